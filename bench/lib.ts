/**
 * What the benchmark scripts (`bench/run.ts`, `bench/calls.ts`) share: child-process servers that lead their
 * own process group and are killed with the harness, /proc accounting (RSS, CPU of a process, of the machine,
 * "noise" from other processes), a small HTTP client, the events WebSocket, a temporary Ariadne configuration
 * tree, and the report's number formats and machine line.
 */

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { WebSocket } from 'ws';
import { writeConfigTree as writeTestConfigTree } from '../test/helpers/ariadne.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const RESULTS = path.join(ROOT, 'bench', 'RESULTS.md');
export const USER = 'asterisk:asterisk';
export const AUTH = `Basic ${Buffer.from(USER).toString('base64')}`;
const CLK_TCK = 100;

// Node 24 runs the .ts files; under plain `node` (v20 on this machine) use the pinned one.
export const NODE = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : path.join(ROOT, 'node_modules', 'node', 'bin', 'node');

// ---------------------------------------------------------------------------------------------------------
// Child processes: each one leads its own process group, killed as a group.

const children = new Set<ChildProcess>();

export function spawnGroup(cmd: string, args: string[], options: { stdin?: 'pipe' | 'ignore'; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const child = spawn(cmd, args, {
    cwd: ROOT,
    detached: true,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

export function killAll(signal: NodeJS.Signals): void {
  for (const c of children) killGroup(c, signal);
}

/**
 * SIGTERM to `termPid` (default: the leader), then SIGKILL to the whole group after `graceMs`; resolves when the
 * leader has exited, with whether SIGKILL was needed. For Ariadne under `timeout`, pass the node process: a
 * SIGTERM to `timeout` is sent on to its whole process group as well as to its child, so node would get it
 * twice and the second one kills it before it writes its --cpu-prof profile.
 */
export async function stopChild(child: ChildProcess, graceMs = 3000, termPid?: number): Promise<{ killed: boolean }> {
  if (child.exitCode !== null || child.signalCode !== null) return { killed: false };
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let killed = false;
  try {
    const pid = termPid ?? child.pid;
    if (pid !== undefined) process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  const t = setTimeout(() => {
    killed = true;
    killGroup(child, 'SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(t);
  return { killed };
}

let interrupted = false;
/** True once SIGINT/SIGTERM/SIGHUP arrived (the servers are being stopped). */
export const wasInterrupted = (): boolean => interrupted;

/** Kills every child on exit and on SIGINT/SIGTERM/SIGHUP (then exits 130). Call once per script. */
export function installCleanup(): void {
  process.on('exit', () => killAll('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      interrupted = true;
      process.stderr.write(`\nbench: ${sig}, stopping the servers\n`);
      killAll('SIGTERM');
      setTimeout(() => {
        killAll('SIGKILL');
        process.exit(130);
      }, 500).unref();
    });
  }
}

// ---------------------------------------------------------------------------------------------------------
// /proc

export interface ProcStatus {
  readonly rssKb: number;
  readonly hwmKb: number;
  readonly threads: number;
}

export function procStatus(pid: number): ProcStatus {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const num = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rssKb: num('VmRSS'), hwmKb: num('VmHWM'), threads: num('Threads') };
}

/** Fields of /proc/<pid>/stat after the `(comm)`: index 0 is field 3 (state). */
function statFields(pid: number | 'self'): string[] {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** utime+stime of a process, in seconds. */
export function cpuOf(pid: number): number {
  try {
    const f = statFields(pid);
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** This process's own CPU and that of its reaped children (wrk), in seconds. */
export function selfCpu(): { self: number; children: number } {
  const f = statFields('self');
  return { self: (Number(f[11]) + Number(f[12])) / CLK_TCK, children: (Number(f[13]) + Number(f[14])) / CLK_TCK };
}

/** Busy CPU of the whole machine, in seconds (all cores). */
export function machineBusy(): number {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return (total - idle) / CLK_TCK;
}

export function childPidOf(ppid: number): number | undefined {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (Number(statFields(Number(name))[1]) === ppid) return Number(name);
    } catch {
      /* raced with an exit */
    }
  }
  return undefined;
}

/**
 * CPU over a stretch of time: the server's, this harness's (and its reaped children's), and what every other
 * process on the machine used ("noise"), each as a fraction of one core.
 */
export class CpuMeter {
  readonly #server: number;
  readonly #others: readonly number[];
  readonly #t0 = process.hrtime.bigint();
  readonly #cpu0: number;
  readonly #oth0: number;
  readonly #self0 = selfCpu();
  readonly #busy0 = machineBusy();

  constructor(serverPid: number, otherOwnPids: readonly number[] = []) {
    this.#server = serverPid;
    this.#others = otherOwnPids;
    this.#cpu0 = cpuOf(serverPid);
    this.#oth0 = otherOwnPids.reduce((a, p) => a + cpuOf(p), 0);
  }

  stop(): { wall: number; server: number; harness: number; children: number; noise: number } {
    const wall = Number(process.hrtime.bigint() - this.#t0) / 1e9;
    const server = cpuOf(this.#server) - this.#cpu0;
    const oth = this.#others.reduce((a, p) => a + cpuOf(p), 0) - this.#oth0;
    const self = selfCpu();
    const harness = self.self - this.#self0.self;
    const kids = self.children - this.#self0.children;
    const noise = machineBusy() - this.#busy0 - server - oth - harness - kids;
    return { wall, server: server / wall, harness: harness / wall, children: kids / wall, noise: Math.max(0, noise / wall) };
  }
}

/** CPU other processes use (fraction of one core), sampled over `ms`. */
export async function othersLoad(ours: readonly number[], ms: number): Promise<number> {
  const b0 = machineBusy();
  const o0 = ours.reduce((a, p) => a + cpuOf(p), 0);
  const s0 = selfCpu();
  await sleep(ms);
  const b1 = machineBusy();
  const o1 = ours.reduce((a, p) => a + cpuOf(p), 0);
  const s1 = selfCpu();
  const others = b1 - b0 - (o1 - o0) - (s1.self - s0.self) - (s1.children - s0.children);
  return Math.max(0, others / (ms / 1000));
}

/** Waits (at most `maxWaitS`) until other processes use < 15 % of a core, as Asterisk's measurement did. */
export async function waitQuiet(ours: readonly number[], maxWaitS: number): Promise<number> {
  const deadline = Date.now() + maxWaitS * 1000;
  let load = await othersLoad(ours, 500);
  while (load >= 0.15 && Date.now() < deadline) load = await othersLoad(ours, 1000);
  if (load >= 0.15) log(`  (machine not quiet: others use ${(load * 100).toFixed(0)} % of a core; measuring anyway)`);
  return load;
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers

export const sleep = (ms: number): Promise<void> => new Promise<void>((r) => setTimeout(r, ms));
export const log = (s: string): void => void process.stderr.write(`${s}\n`);

export function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.error ? '' : `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? NaN;
}

export interface Summary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export interface HttpAnswer {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

export function request(
  port: number,
  method: string,
  urlPath: string,
  init: { body?: string; agent?: http.Agent; auth?: boolean; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (init.auth !== false) headers.authorization = AUTH;
    if (init.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(init.body));
    }
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: init.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const timeoutMs = init.timeoutMs ?? 5000;
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${timeoutMs} ms`)));
    req.end(init.body);
  });
}

export async function waitForHttp(port: number, urlPath: string, child: ChildProcess, what: string, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited during start-up (${child.exitCode ?? child.signalCode})`);
    try {
      const r = await request(port, 'GET', urlPath);
      if (r.status === 200) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${urlPath} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    req.setTimeout(1000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

/** Collects a child's stdout and stderr (the first 64 KiB). */
export function capture(child: ChildProcess): () => string {
  let text = '';
  const add = (c: Buffer) => {
    if (text.length < 64 * 1024) text += c.toString();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => text;
}

// ---------------------------------------------------------------------------------------------------------
// Servers

export interface Server {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** The Node process itself (Ariadne runs under `timeout`). */
  readonly pid: number;
  readonly stderr: () => string;
}

/**
 * A temporary Ariadne configuration tree under `dir` (the tests' tree, see test/helpers/ariadne.ts): ari.conf
 * with user asterisk/asterisk, http.conf on 127.0.0.1:`port`, console errors only, plus `extra` files
 * (`{ 'extensions.conf': … }`). Returns the asterisk.conf path.
 */
export function writeConfigTree(dir: string, options: { port: number; pretty: 'yes' | 'no'; extra?: Readonly<Record<string, string>> }): string {
  return writeTestConfigTree(dir, {
    'http.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${options.port}\n`,
    'ari.conf': `[general]\nenabled = yes\npretty = ${options.pretty}\n\n[asterisk]\ntype = user\nread_only = no\npassword = asterisk\npassword_format = plain\n`,
    'logger.conf': '[logfiles]\nconsole => error\n',
    ...options.extra,
  });
}

/**
 * Starts Ariadne from the compiled code (`dist/src/main.js`, as `npm start` runs it; the sources when there is
 * no build) under coreutils `timeout`, and waits until it answers.
 */
/** The flags bin/ariadne starts Node with, so benchmarks measure what `npm start` runs. */
export const ARIADNE_NODE_ARGS: readonly string[] = ['--max-semi-space-size=2', '--expose-gc'];
/** The environment bin/ariadne adds (glibc arenas; see bin/ariadne). */
export const ARIADNE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: process.env['MALLOC_ARENA_MAX'] ?? '2' };

export async function startAriadne(options: {
  conf: string;
  port: number;
  maxSeconds: number;
  profDir?: string | undefined;
  requireBuild?: boolean;
  /** Node flags; by default the ones bin/ariadne uses (`--max-semi-space-size=2`). */
  nodeArgs?: readonly string[];
}): Promise<Server> {
  const nodeArgs = [...(options.nodeArgs?.length ? options.nodeArgs : ARIADNE_NODE_ARGS), ...(options.profDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profDir}`] : [])];
  const built = fs.existsSync(path.join(ROOT, 'dist/src/main.js'));
  if (!built && options.requireBuild) throw new Error('dist/src/main.js is missing: run `npm run build` first');
  const main = built ? 'dist/src/main.js' : 'src/main.ts';
  const child = spawnGroup('timeout', ['-k', '5', String(options.maxSeconds), NODE, ...nodeArgs, main, '-C', options.conf], { env: { ...process.env, ...ARIADNE_ENV } });
  const stderr = capture(child);
  try {
    await waitForHttp(options.port, '/ari/asterisk/ping', child, 'Ariadne');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- Ariadne output ---\n${stderr()}`);
  }
  const pid = childPidOf(child.pid ?? -1);
  if (pid === undefined) throw new Error('could not find the Ariadne node process under timeout');
  return { name: 'Ariadne', port: options.port, child, pid, stderr };
}

/** Starts `bench/baseline-server.ts` (bare fastify + ws) and waits until it answers. */
export async function startBaseline(options: { port: number; bodyFile?: string; maxSeconds: number }): Promise<Server> {
  const args = ['bench/baseline-server.ts', '--port', String(options.port), '--max-seconds', String(options.maxSeconds)];
  if (options.bodyFile) args.push('--body-file', options.bodyFile);
  const child = spawnGroup(NODE, args, { stdin: 'pipe' });
  const stderr = capture(child);
  try {
    await waitForHttp(options.port, '/ari/asterisk/info', child, 'the baseline');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- baseline output ---\n${stderr()}`);
  }
  return { name: 'baseline', port: options.port, child, pid: child.pid ?? -1, stderr };
}

// ---------------------------------------------------------------------------------------------------------
// The events WebSocket

export async function openSocket(port: number, app: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ari/events?app=${app}`, { headers: { Authorization: AUTH }, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('WebSocket did not open in 5 s')), 5000);
    ws.once('open', () => {
      clearTimeout(t);
      resolve();
    });
    ws.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(t);
      reject(new Error(`WebSocket upgrade answered ${res.statusCode}`));
    });
  });
  return ws;
}

export function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const t = setTimeout(() => {
      ws.terminate();
      resolve();
    }, 1000);
    ws.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    ws.close();
  });
}

// ---------------------------------------------------------------------------------------------------------
// Report

export const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');
export const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : '–');
export const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : '–');
export const int = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
export const mib = (kb: number): number => kb / 1024;
export const pct = (v: number): string => (Number.isFinite(v) ? `${Math.round(v * 100)} %` : '–');
export const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? (a / b).toFixed(2) : '–');

/** One line about the machine: cores, CPU, RAM, kernel, Node, the load tool, the OS. */
export function machineInfo(tool: string): string {
  const cpu = /model name\s*:\s*(.+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const mem = /^Mem:\s+(\S+)/m.exec(sh('free', ['-h']))?.[1] ?? `${Math.round(os.totalmem() / 2 ** 30)}Gi`;
  return (
    `nproc ${sh('nproc', [])} (${cpu}), RAM ${mem} (free -h), kernel ${os.release()}, ` +
    `Node ${sh(NODE, ['--version'])}, ${tool}, ${sh('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"']) || os.platform()}`
  );
}

export function gitRev(): string {
  const rev = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src']) ? ' + uncommitted src changes' : '';
  return rev ? `${rev}${dirty}` : 'unknown';
}

export const isoNow = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Appends a run's markdown section to bench/RESULTS.md (`ifMissing` writes the file's header first). */
export function appendResults(file: string, text: string, ifMissing: () => string): void {
  if (!fs.existsSync(file)) fs.writeFileSync(file, ifMissing());
  fs.appendFileSync(file, `${text}\n`);
  process.stderr.write(`bench: appended to ${path.relative(process.cwd(), file)}\n`);
}

/** Lists the CPU profiles a run left (after the profiled process had time to write them). */
export async function reportProfiles(profDir: string | undefined): Promise<void> {
  if (!profDir) return;
  await new Promise((r) => setTimeout(r, 500));
  process.stderr.write(`bench: Ariadne CPU profile(s) in ${profDir}: ${fs.readdirSync(profDir).join(', ')}\n`);
}

/** Runs a harness's main and exits: 0 on success, 1 (after killing every child) on failure. */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (!wasInterrupted()) process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
      killAll('SIGKILL');
      process.exit(1);
    },
  );
}

/**
 * Parses a benchmark's command line (`--help`/`-h` is added): prints the error and `usage` and exits 2 on a bad
 * option, prints `usage` and exits 0 on `--help`.
 */
export function benchArgs<const T extends ParseArgsOptionsConfig>(usage: string, options: T) {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}
