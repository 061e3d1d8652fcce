import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { PROMPT, runCommand, runInteractive } from './console.ts';
import { startControlServer } from './control-server.ts';
import type { ControlServer } from './control-server.ts';
import { CommandRegistry } from './registry.ts';

/** Collects everything written to a stream and lets a test wait for some text to appear. */
function sink(): { stream: PassThrough; text: () => string; waitFor: (s: string) => Promise<void> } {
  const stream = new PassThrough();
  let text = '';
  const waiters: (() => void)[] = [];
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const w of waiters.splice(0)) w();
  });
  return {
    stream,
    text: () => text,
    waitFor: async (s: string) => {
      while (!text.includes(s)) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

describe('interactive console', () => {
  let dir: string;
  let socketPath: string;
  let server: ControlServer;
  const registry = new CommandRegistry();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-console-'));
    socketPath = join(dir, 'ariadne.ctl');
    registry.register({ words: ['echo'], usage: 'echo <words>', summary: 'Echo', handler: ({ args, write }) => write(`${args.join(' ')}\n`) });
    registry.register({
      words: ['ari', 'show', 'app'],
      usage: 'ari show app <application>',
      summary: 'Show one app',
      handler: ({ args, write }) => write(`app ${args[0] ?? '?'}\n`),
      complete: () => ['hello-world'],
    });
    server = await startControlServer({ socketPath, registry, welcome: () => 'Connected to Ariadne 0.1.0' });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('prompts, runs commands, streams logs and leaves on quit', async () => {
    const input = new PassThrough();
    const out = sink();
    const done = runInteractive(socketPath, { input, output: out.stream, terminal: false });
    await out.waitFor(PROMPT);
    await out.waitFor('Connected to Ariadne 0.1.0\n');
    input.write('echo one two\n');
    await out.waitFor('one two\n');
    // Wait until the console has asked for logs: a command round trip after connect guarantees it.
    server.broadcastLog('  == A log line');
    await out.waitFor('  == A log line\n');
    input.write('\n');
    input.write('bogus\n');
    await out.waitFor("No such command 'bogus'");
    input.write('quit\n');
    assert.equal(await done, 0);
    const text = out.text();
    assert.ok(text.indexOf('one two\n') < text.indexOf("No such command 'bogus'"));
    assert.ok(text.split(PROMPT).length >= 4, 'a prompt after every line');
  });

  it('runs lines typed before the input ends, then leaves', async () => {
    const input = new PassThrough();
    const out = sink();
    const done = runInteractive(socketPath, { input, output: out.stream, terminal: false });
    input.end('echo a\necho b\n');
    assert.equal(await done, 0);
    assert.ok(out.text().includes('a\n'));
    assert.ok(out.text().indexOf('a\n') < out.text().indexOf('b\n'));
  });

  it('completes command words on Tab and keeps history in a file', async () => {
    const historyFile = join(dir, 'history');
    await writeFile(historyFile, 'echo old\n');
    const input = new PassThrough();
    const out = sink();
    const done = runInteractive(socketPath, { input, output: out.stream, terminal: true, historyFile });
    await out.waitFor(PROMPT);
    input.write('ari sh\t');
    await out.waitFor('ari show ');
    input.write('app hel\t');
    await out.waitFor('hello-world');
    input.write('\r');
    await out.waitFor('app hello-world\n');
    input.write('exit\r');
    assert.equal(await done, 0);
    assert.equal(await readFile(historyFile, 'utf8'), 'echo old\nari show app hello-world\nexit\n');
  });

  it('leaves on Ctrl-C in a terminal', async () => {
    const input = new PassThrough();
    const out = sink();
    const done = runInteractive(socketPath, { input, output: out.stream, terminal: true });
    await out.waitFor(PROMPT);
    input.write('\x03');
    assert.equal(await done, 0);
    assert.equal(await runCommand(socketPath, 'echo server still up'), 'server still up\n');
  });

  it('reports a server that goes away', async () => {
    const own = join(dir, 'own.ctl');
    const ownServer = await startControlServer({ socketPath: own, registry });
    const input = new PassThrough();
    const out = sink();
    const done = runInteractive(own, { input, output: out.stream, terminal: false });
    await out.waitFor(PROMPT);
    await ownServer.close();
    assert.equal(await done, 0);
    assert.ok(out.text().endsWith('\nDisconnected from Asterisk server\n'));
  });

  it('prints the connect error and returns 1 when there is no server', async () => {
    const out = sink();
    const missing = join(dir, 'missing.ctl');
    assert.equal(await runInteractive(missing, { input: new PassThrough(), output: out.stream }), 1);
    assert.equal(out.text(), `Unable to connect to remote asterisk (does ${missing} exist?)\n`);
  });
});
