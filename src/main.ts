/**
 * The `ariadne` command. Flags follow Asterisk's where they overlap:
 *
 *   ariadne [-C asterisk.conf] [-v…]        run the server in the foreground
 *   ariadne [-C asterisk.conf] -rx "<cmd>"  run one console command on the running server and print its output
 *   ariadne [-C asterisk.conf] -r           interactive remote console
 *   ariadne --app <module.ts>               also start a Stasis application module (examples/hello-world)
 */

import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAsteriskConf } from './config/asterisk-conf.ts';
import { runInteractive, runRemoteCommand } from './cli/console.ts';
import { DEFAULT_ASTERISK_CONF, startAriadne, type Ariadne } from './server.ts';
import { exposedGc, quietGc } from './shared/quiet-gc.ts';
import { originate } from './core/originate.ts';

const USAGE = `Usage: ariadne [-C <asterisk.conf>] [-v...] [-r | -x "<command>"] [--app <file>]...
  -C <file>   asterisk.conf to use (default: the project's configs/asterisk.conf)
  -v          more verbose console output (repeatable)
  -r          connect to the running server's console
  -x <cmd>    run one console command on the running server (with -r: -rx "<cmd>")
  --app <f>   load a Stasis application module after start (its default export receives the ARI URL)
  --demo      place a call to 1000@from-trunk every 5 seconds (Local/1000@from-trunk, other half waits in
              wait@internal), so the hello-world flow is visible without a phone
  -h          this help
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'C' },
        remote: { type: 'boolean', short: 'r' },
        execute: { type: 'string', short: 'x' },
        verbose: { type: 'boolean', short: 'v', multiple: true },
        foreground: { type: 'boolean', short: 'f' },
        console: { type: 'boolean', short: 'c' },
        app: { type: 'string', multiple: true },
        demo: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const confPath = path.resolve(values.config ?? DEFAULT_ASTERISK_CONF);

  if (values.remote || values.execute !== undefined) {
    const socketPath = path.join(loadAsteriskConf(confPath).value.directories.astrundir, 'asterisk.ctl');
    if (values.execute !== undefined) return runRemoteCommand(socketPath, values.execute, { stdout: process.stdout, stderr: process.stderr });
    return runInteractive(socketPath, { input: process.stdin, output: process.stdout });
  }

  const ariadne = await startAriadne({ asteriskConf: confPath, extraVerbose: values.verbose?.length ?? 0 });
  // `on`, not `once`: supervisors that signal a whole process group (coreutils timeout) deliver a signal twice,
  // and the second must not kill the process in the middle of its shutdown. stop() runs once.
  const onSignal = () => void ariadne.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // One full GC once calls stop (see shared/quiet-gc.ts), 35 s after the last channel: SIP transactions outlive
  // their call by up to 32 s (64·T1), and their garbage should go in the same collection.
  const quiet = quietGc({ gc: exposedGc(), busy: () => ariadne.core.channels.count > 0, quietMs: 35_000 });
  const offQuiet = ariadne.core.bus.subscribe((m) => {
    if (m.type === 'ChannelCreated' || m.type === 'ChannelDestroyed') quiet.activity();
  });
  void ariadne.stopped.then(() => {
    offQuiet();
    quiet.stop();
  });
  for (const app of values.app ?? []) {
    const mod = (await import(path.resolve(app))) as { default?: (opts: { url: string; signal: AbortSignal }) => Promise<void> | void };
    const bound = ariadne.http.bound().plain;
    if (!mod.default || !bound) continue;
    const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
    const ctl = new AbortController();
    void ariadne.stopped.then(() => ctl.abort());
    void Promise.resolve(mod.default({ url: `http://${host}:${bound.port}`, signal: ctl.signal })).catch((err: unknown) => {
      ariadne.logger.child('app').error(`application ${app} failed: ${(err as Error).message}`);
    });
  }
  if (values.demo) startDemo(ariadne);
  await ariadne.stopped;
  return 0;
}

/** `--demo`: a call into the seed's dialplan every few seconds, until the server stops. */
function startDemo(ariadne: Ariadne): void {
  const log = ariadne.logger.child('demo');
  const timer = setInterval(() => {
    try {
      const channel = originate(ariadne.core, {
        endpoint: 'Local/1000@from-trunk',
        target: { kind: 'exten', context: 'internal', exten: 'wait', priority: 1 },
        timeoutMs: 30_000,
      });
      log.notice(`demo call ${channel.name} placed to 1000@from-trunk`);
    } catch (err) {
      log.warning(`demo call failed: ${(err as Error).message}`);
    }
  }, 5000);
  timer.unref();
  void ariadne.stopped.then(() => clearInterval(timer));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ariadne: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
