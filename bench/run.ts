/**
 * Issue 2's benchmarks: Ariadne against a bare fastify baseline measured in the same run.
 *
 *   npx node bench/run.ts [--duration 10 | --quick] [--write] [--pretty yes|no] [--cpu-prof]
 *
 * Ariadne runs in its own process (`src/main.ts -C <temp asterisk.conf>`, pretty=yes, verbose=0, console
 * errors only, 127.0.0.1:18088); the baseline (`bench/baseline-server.ts`, bare fastify + ws) in another
 * (127.0.0.1:18089). Both are process-group leaders and are killed on exit, SIGINT and SIGTERM; Ariadne also
 * runs under coreutils `timeout`, and the baseline exits when its stdin closes, so neither outlives a killed
 * harness.
 *
 *   1. memory  — VmRSS of each server 2 s after it answers, then with one events WebSocket connected
 *   2. HTTP    — wrk (Debian `wrk`), GET /ari/asterisk/info with Basic auth at -t1 -c1 and -t2 -c32, and
 *                POST /ari/asterisk/variable with a JSON body at the same concurrencies; req/s, p50, p99, max,
 *                the server's CPU and the CPU other processes used meanwhile ("noise")
 *   3. events  — sequentially n times: POST /ari/events/user/Lat?application=benchlat, time until the
 *                ChannelUserevent arrives on the app's WebSocket (client in this process, keep-alive agent)
 *
 * Prints markdown tables; `--write` appends them as a dated section to bench/RESULTS.md.
 */

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  AUTH,
  CpuMeter,
  RESULTS,
  capture,
  closeSocket,
  f1,
  f2,
  f3,
  gitRev,
  installCleanup,
  int,
  killAll,
  log,
  machineInfo,
  mib,
  openSocket,
  pct,
  portFree,
  procStatus,
  ratio,
  request,
  sleep,
  spawnGroup,
  startAriadne,
  startBaseline,
  stopChild,
  summarize,
  waitQuiet,
  wasInterrupted,
  writeConfigTree,
  appendResults,
  reportProfiles,
  runMain,
  type Server,
  benchArgs,
} from './lib.ts';

const POST_BODY = '{"variable":"BENCH","value":"1"}';

// ---------------------------------------------------------------------------------------------------------
// Arguments

const USAGE = `Usage: node bench/run.ts [options]
  --duration <s>     seconds per wrk run (default 10)
  --quick            3 s wrk runs, 300 event round trips, shorter warm-up
  --events <n>       event round trips per server (default 1000)
  --write            append the results to bench/RESULTS.md
  --pretty yes|no    ari.conf pretty (default yes, as Asterisk was measured)
  --port <p>         Ariadne's port (default 18088); the baseline uses port+1
  --cpu-prof         run Ariadne with --cpu-prof; the .cpuprofile is kept in a printed directory
  --only <list>      comma list of parts: memory,http,events (default all)
  --repeat <n>       wrk runs per test and server, alternating servers; the run with the median req/s is
                     reported (default 1)
  --quiet-wait <s>   before each measurement, wait up to this long for other processes to use < 15 % of a
                     core (default 30; 5 with --quick)
`;

const opts = benchArgs(USAGE, {
  duration: { type: 'string' },
  quick: { type: 'boolean', default: false },
  events: { type: 'string' },
  write: { type: 'boolean', default: false },
  pretty: { type: 'string', default: 'yes' },
  port: { type: 'string', default: '18088' },
  'cpu-prof': { type: 'boolean', default: false },
  only: { type: 'string', default: 'memory,http,events' },
  repeat: { type: 'string', default: '1' },
  'quiet-wait': { type: 'string' },
});
const QUICK = opts.quick;
const DURATION = Number(opts.duration ?? (QUICK ? 3 : 10));
const EVENTS_N = Number(opts.events ?? (QUICK ? 300 : 1000));
const EVENTS_WARMUP = QUICK ? 50 : 100;
const WARMUP_S = QUICK ? 1 : 2;
const QUIET_WAIT_S = Number(opts['quiet-wait'] ?? (QUICK ? 5 : 30));
const REPEAT = Number(opts.repeat);
const PRETTY: 'yes' | 'no' = opts.pretty === 'no' ? 'no' : 'yes';
const ARIADNE_PORT = Number(opts.port);
const BASELINE_PORT = ARIADNE_PORT + 1;
const PARTS = new Set(opts.only.split(',').map((s) => s.trim()));
if (
  !Number.isFinite(DURATION) || DURATION < 1 || !Number.isInteger(EVENTS_N) || EVENTS_N < 10 ||
  !Number.isInteger(REPEAT) || REPEAT < 1 || !Number.isFinite(QUIET_WAIT_S) || QUIET_WAIT_S < 0
) {
  process.stderr.write(`bad --duration, --events, --repeat or --quiet-wait\n${USAGE}`);
  process.exit(2);
}

installCleanup();

function requireWrk(): string {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    process.stderr.write(
      'bench: `wrk` is not installed. Install the Debian package: apt-get install -y wrk  (.ci/run installs it in CI)\n',
    );
    process.exit(2);
  }
  return (/wrk\s+\S+/.exec(`${r.stdout}${r.stderr}`)?.[0] ?? 'wrk').trim();
}

// ---------------------------------------------------------------------------------------------------------
// wrk

interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly p50: number;
  readonly p75: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  /** CPU as a fraction of one core over the run. */
  readonly serverCpu: number;
  readonly wrkCpu: number;
  readonly noise: number;
  readonly raw: string;
}

function toMs(value: string, unit: string): number {
  const v = Number(value);
  return unit === 'us' ? v / 1000 : unit === 's' ? v * 1000 : unit === 'm' ? v * 60000 : v;
}

export function parseWrk(out: string): Omit<WrkResult, 'serverCpu' | 'wrkCpu' | 'noise' | 'raw'> {
  const pct = (p: number) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1] ?? '', m[2] ?? '') : NaN;
  };
  const lat = /^\s*Latency\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)\s+([\d.]+)(us|ms|s|m)/m.exec(out);
  const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN),
    p50: pct(50),
    p75: pct(75),
    p90: pct(90),
    p99: pct(99),
    max: lat ? toMs(lat[5] ?? '', lat[6] ?? '') : NaN,
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: se ? se.slice(1).reduce((a, n) => a + Number(n), 0) : 0,
  };
}

async function runWrk(server: Server, others: readonly number[], spec: { threads: number; conns: number; seconds: number; script?: string; path: string }): Promise<WrkResult> {
  await waitQuiet([server.pid, ...others], QUIET_WAIT_S);
  const args = ['-t', String(spec.threads), '-c', String(spec.conns), '-d', `${spec.seconds}s`, '--latency', '-H', `Authorization: ${AUTH}`];
  if (spec.script) args.push('-s', spec.script);
  args.push(`http://127.0.0.1:${server.port}${spec.path}`);
  const meter = new CpuMeter(server.pid, others);
  const child = spawnGroup('wrk', args);
  const out = capture(child);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  // The exit event comes after libuv reaped wrk, so its CPU is in our cutime/cstime now.
  const cpu = meter.stop();
  const raw = out();
  if (code !== 0) throw new Error(`wrk failed (${code}):\n${raw}`);
  const parsed = parseWrk(raw);
  if (!Number.isFinite(parsed.rps)) throw new Error(`could not parse wrk output:\n${raw}`);
  return { ...parsed, serverCpu: cpu.server, wrkCpu: cpu.children, noise: cpu.noise, raw };
}

// ---------------------------------------------------------------------------------------------------------
// Event latency

interface LatencyResult {
  readonly n: number;
  readonly event: { p50: number; p90: number; p99: number; max: number };
  readonly rest: { p50: number; p90: number; p99: number; max: number };
}

async function eventLatency(server: Server, n: number, warmup: number): Promise<LatencyResult> {
  const ws = await openSocket(server.port, 'benchlat');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let waiter: ((t: bigint) => void) | undefined;
  ws.on('message', (data) => {
    const t = process.hrtime.bigint();
    const m = JSON.parse(String(data)) as { type?: string };
    if (m.type === 'ChannelUserevent' && waiter) {
      const w = waiter;
      waiter = undefined;
      w(t);
    }
  });
  const event: number[] = [];
  const rest: number[] = [];
  const urlPath = '/ari/events/user/Lat?application=benchlat';
  try {
    for (let i = 0; i < warmup + n; i++) {
      let timer: NodeJS.Timeout | undefined;
      const arrived = new Promise<bigint>((resolve, reject) => {
        waiter = resolve;
        timer = setTimeout(() => reject(new Error(`${server.name}: no ChannelUserevent within 2 s (round ${i})`)), 2000);
      });
      const t0 = process.hrtime.bigint();
      const answered = request(server.port, 'POST', urlPath, { agent }).then((r) => {
        const t = process.hrtime.bigint();
        if (r.status !== 204) throw new Error(`${server.name}: POST ${urlPath} answered ${r.status}: ${r.body.toString()}`);
        return t;
      });
      const [tEvent, tRest] = await Promise.all([arrived, answered]).finally(() => clearTimeout(timer));
      if (i >= warmup) {
        event.push(Number(tEvent - t0) / 1e6);
        rest.push(Number(tRest - t0) / 1e6);
      }
    }
  } finally {
    agent.destroy();
    await closeSocket(ws);
  }
  return { n, event: summarize(event), rest: summarize(rest) };
}

// ---------------------------------------------------------------------------------------------------------
// Memory

interface MemResult {
  readonly idleKb: number;
  readonly idleThreads: number;
  readonly wsKb: number;
  readonly wsThreads: number;
}

async function memory(server: Server): Promise<MemResult> {
  await sleep(2000);
  const idle = procStatus(server.pid);
  const ws = await openSocket(server.port, 'benchmem');
  await sleep(1000);
  const withWs = procStatus(server.pid);
  await closeSocket(ws);
  return { idleKb: idle.rssKb, idleThreads: idle.threads, wsKb: withWs.rssKb, wsThreads: withWs.threads };
}

// ---------------------------------------------------------------------------------------------------------
// Report

interface HttpCase {
  readonly label: string;
  readonly spec: { threads: number; conns: number; path: string; script?: string };
  ariadne?: WrkResult;
  baseline?: WrkResult;
}

function report(input: {
  wrkVersion: string;
  cases: HttpCase[];
  events?: { ariadne: LatencyResult; baseline: LatencyResult };
  mem?: { ariadne: MemResult; baseline: MemResult; ariadneAfterLoad?: { rssKb: number; hwmKb: number; threads: number } };
  infoBytes: number;
  notes: string[];
}): string {
  const L: string[] = [];
  L.push(`## ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} — ${gitRev()}`);
  L.push('');
  L.push(`Machine: ${machineInfo(input.wrkVersion)}.`);
  L.push(
    `Settings: wrk ${DURATION} s per run${REPEAT > 1 ? ` (median req/s of ${REPEAT} alternating runs)` : ''} after a ${WARMUP_S} s warm-up per server and method; pretty=${PRETTY}; ` +
      `GET info body ${input.infoBytes} bytes; events n=${EVENTS_N} after ${EVENTS_WARMUP} warm-up rounds.`,
  );
  L.push('');
  if (input.cases.some((c) => c.ariadne)) {
    L.push('### HTTP (wrk) — Ariadne vs bare fastify baseline');
    L.push('');
    L.push('| Test | Ariadne req/s | baseline req/s | ratio | Ariadne p50 ms | baseline p50 ms | ratio | Ariadne p99 ms | baseline p99 ms | ratio |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of input.cases) {
      const a = c.ariadne;
      const b = c.baseline;
      if (!a || !b) continue;
      L.push(`| ${c.label} | ${int(a.rps)} | ${int(b.rps)} | ${ratio(a.rps, b.rps)} | ${f3(a.p50)} | ${f3(b.p50)} | ${ratio(a.p50, b.p50)} | ${f3(a.p99)} | ${f3(b.p99)} | ${ratio(a.p99, b.p99)} |`);
    }
    L.push('');
    L.push('Details (CPU as % of one core over the run; noise = CPU used by processes other than server, wrk and harness):');
    L.push('');
    L.push('| Test | Server | p75 ms | p90 ms | max ms | requests | non-2xx | socket errors | server CPU | wrk CPU | noise |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of input.cases) {
      for (const [name, r] of [['Ariadne', c.ariadne], ['baseline', c.baseline]] as const) {
        if (!r) continue;
        L.push(`| ${c.label} | ${name} | ${f3(r.p75)} | ${f3(r.p90)} | ${f2(r.max)} | ${int(r.requests)} | ${r.non2xx} | ${r.socketErrors} | ${pct(r.serverCpu)} | ${pct(r.wrkCpu)} | ${pct(r.noise)} |`);
      }
    }
    L.push('');
  }
  if (input.events) {
    const { ariadne: a, baseline: b } = input.events;
    L.push('### Event latency — POST /ari/events/user/Lat → ChannelUserevent on the WebSocket (sequential)');
    L.push('');
    L.push('| Server | n | p50 ms | p90 ms | p99 ms | max ms | REST answer p50 ms | REST answer p99 ms |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|');
    L.push(`| Ariadne | ${a.n} | ${f3(a.event.p50)} | ${f3(a.event.p90)} | ${f3(a.event.p99)} | ${f2(a.event.max)} | ${f3(a.rest.p50)} | ${f3(a.rest.p99)} |`);
    L.push(`| baseline (fastify + ws) | ${b.n} | ${f3(b.event.p50)} | ${f3(b.event.p90)} | ${f3(b.event.p99)} | ${f2(b.event.max)} | ${f3(b.rest.p50)} | ${f3(b.rest.p99)} |`);
    L.push(
      `| ratio | | ${ratio(a.event.p50, b.event.p50)} | ${ratio(a.event.p90, b.event.p90)} | ${ratio(a.event.p99, b.event.p99)} | ${ratio(a.event.max, b.event.max)} | ${ratio(a.rest.p50, b.rest.p50)} | ${ratio(a.rest.p99, b.rest.p99)} |`,
    );
    L.push('');
  }
  if (input.mem) {
    const { ariadne: a, baseline: b, ariadneAfterLoad } = input.mem;
    L.push('### Memory — VmRSS (MiB = kB / 1024)');
    L.push('');
    L.push('| State | Ariadne | baseline | ratio |');
    L.push('|---|---:|---:|---:|');
    L.push(`| idle, 2 s after start | ${f1(mib(a.idleKb))} MiB, ${a.idleThreads} threads | ${f1(mib(b.idleKb))} MiB, ${b.idleThreads} threads | ${ratio(a.idleKb, b.idleKb)} |`);
    L.push(`| + 1 events WebSocket | ${f1(mib(a.wsKb))} MiB, ${a.wsThreads} threads | ${f1(mib(b.wsKb))} MiB, ${b.wsThreads} threads | ${ratio(a.wsKb, b.wsKb)} |`);
    if (ariadneAfterLoad) L.push(`| after the load runs (VmRSS / peak VmHWM) | ${f1(mib(ariadneAfterLoad.rssKb))} / ${f1(mib(ariadneAfterLoad.hwmKb))} MiB | | |`);
    L.push('');
  }
  // Targets
  const info32 = input.cases.find((c) => c.spec.conns === 32 && !c.spec.script)?.ariadne;
  const rows: string[] = [];
  const mark = (ok: boolean | undefined) => (ok === undefined ? '–' : ok ? 'yes' : '**no**');
  if (info32) {
    rows.push(`| GET info c=32 req/s ≥ 24,000 | 23,826 | ${int(info32.rps)} | ${mark(info32.rps >= 24000)} |`);
    rows.push(`| GET info c=32 p99 ≤ 5 ms | 9.53 ms | ${f3(info32.p99)} ms | ${mark(info32.p99 <= 5)} |`);
  }
  if (input.events) rows.push(`| userevent → ChannelUserevent p99 ≤ 1 ms | 3.73 ms | ${f3(input.events.ariadne.event.p99)} ms | ${mark(input.events.ariadne.event.p99 <= 1)} |`);
  if (input.mem) rows.push(`| idle RSS ≤ 61 MB | 60.8 MB | ${f1(mib(input.mem.ariadne.idleKb))} MiB | ${mark(mib(input.mem.ariadne.idleKb) <= 61)} |`);
  if (rows.length) {
    L.push('### Targets (issue 2)');
    L.push('');
    L.push('| Target | Asterisk 22.10.1 | Ariadne | met |');
    L.push('|---|---:|---:|---|');
    L.push(...rows);
    L.push('');
  }
  if (input.notes.length) {
    L.push('Notes:');
    for (const n of input.notes) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}

const header = (machine: string) => `# Ariadne benchmarks

Issue 2's benchmarks, produced by \`npm run bench -- --write\` (\`node bench/run.ts --write\`; \`--quick\` for 3 s
runs, \`--repeat 3\` for the median of three alternating runs, \`--help\` for the rest); each run appends a dated
section below. Every figure for Ariadne is shown next to a **baseline measured in the same run**, so a slower or
busier machine moves both columns and the ratios stay meaningful.

Machine when this file was created: ${machine}. Each section repeats the machine it ran on.

## Method

- **Servers.** Ariadne runs in its own process (\`src/main.ts -C <temp asterisk.conf>\`: ari.conf \`pretty = yes\`
  as Asterisk was measured, \`verbose = 0\`, logger.conf \`console => error\`, 127.0.0.1:18088, user
  asterisk/asterisk). The baseline (\`bench/baseline-server.ts\`) is a bare fastify 5 server in another process
  (127.0.0.1:18089) that serves the exact body bytes Ariadne returned for \`GET /ari/asterisk/info\` with the same
  headers, answers \`POST /ari/asterisk/variable\` with 204, and on \`POST /ari/events/user/:name\` sends a
  ChannelUserevent-shaped, 2-space indented JSON message to its \`ws\` sockets. It does no auth, routing table or
  parameter validation: the ratio is what Ariadne costs on top of fastify.
- **HTTP** with \`wrk\` (Debian package) on the same machine: \`GET /ari/asterisk/info\` with a Basic
  \`Authorization\` header at \`-t1 -c1\` and \`-t2 -c32\`; \`POST /ari/asterisk/variable\` with the JSON body
  \`{"variable":"BENCH","value":"1"}\` (wrk Lua script) at the same concurrencies. \`--latency\` gives p50/p75/p90/p99.
  Each server first gets a short warm-up (GET and POST at c=32) so the JIT has compiled the hot paths. Before
  each run the harness waits (bounded) until other processes use < 15 % of a core, and reports the CPU they used
  during the run as "noise". Server CPU is utime+stime from \`/proc/<pid>/stat\`; wrk's from the harness's
  reaped-children time. Non-2xx responses and socket errors must be 0.
- **Event latency.** A \`ws\` client in the harness opens \`/ari/events?app=benchlat\`, then sequentially POSTs
  \`/ari/events/user/Lat?application=benchlat\` over a keep-alive \`http.Agent\` and times (process.hrtime) from
  sending the request to the ChannelUserevent arriving on the socket; the REST answer is timed too. Baseline:
  the same against the fastify + ws server. This is how Asterisk's (c) was measured (client in one Node process).
- **Memory.** VmRSS from \`/proc/<pid>/status\` 2 s after the server first answers (before any load), then with
  one events WebSocket connected; the same for the baseline (itself a Node process running a \`.ts\` file).

Client and servers share the machine's cores, exactly as in Asterisk's measurement.

## Targets (issue 2) and Asterisk 22.10.1 on the same kind of machine

From \`shared/reference/asterisk-22/perf.txt\` (Debian 12 VM, 2 vCPU, wrk 4.1, pretty=yes, client on the same cores):

| Measure | Target | Asterisk 22.10.1 |
|---|---|---|
| GET /ari/asterisk/info, wrk -t1 -c1 | — | 14,271 req/s, p50 0.063 ms, p99 0.126 ms |
| GET /ari/asterisk/info, wrk -t2 -c32 | ≥ 24,000 req/s and p99 ≤ 5 ms | 23,826 req/s, p50 1.22 ms, p99 9.53 ms |
| POST /events/user → ChannelUserevent (sequential, n=1000) | p99 ≤ 1 ms | p50 0.54 ms, p90 0.63, p99 3.73, max 19.4 ms |
| Idle RSS (fresh start, no WebSocket) | ≤ 61 MB | 60.8 MB (62.5 MB with one WS app) |

`;

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const wrkVersion = PARTS.has('http') ? requireWrk() : 'wrk (not used)';
  for (const p of [ARIADNE_PORT, BASELINE_PORT]) {
    if (!(await portFree(p))) throw new Error(`port ${p} is in use; pass --port <p> (uses p and p+1)`);
  }
  const httpRuns = PARTS.has('http') ? 8 * REPEAT : 0;
  const budget = 60 + httpRuns * (DURATION + QUIET_WAIT_S + 2) + 4 * (WARMUP_S + QUIET_WAIT_S) + (PARTS.has('events') ? 60 : 0) + 20;
  const watchdog = setTimeout(() => {
    log(`bench: still running after ${budget} s; stopping`);
    killAll('SIGKILL');
    process.exit(1);
  }, budget * 1000);
  watchdog.unref();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-bench-'));
  const profDir = opts['cpu-prof'] ? fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-prof-')) : undefined;
  const notes: string[] = [];
  try {
    log(`bench: starting Ariadne on 127.0.0.1:${ARIADNE_PORT} (pretty=${PRETTY})`);
    const conf = writeConfigTree(tmp, { port: ARIADNE_PORT, pretty: PRETTY });
    const ariadne = await startAriadne({ conf, port: ARIADNE_PORT, maxSeconds: budget + 30, profDir });
    let ariadneMem: MemResult | undefined;
    if (PARTS.has('memory')) {
      log('bench: Ariadne idle memory');
      ariadneMem = await memory(ariadne);
    }
    const info = await request(ARIADNE_PORT, 'GET', '/ari/asterisk/info');
    if (info.status !== 200) throw new Error(`GET /ari/asterisk/info answered ${info.status}`);
    const bodyFile = path.join(tmp, 'info.json');
    fs.writeFileSync(bodyFile, info.body);

    log(`bench: starting the baseline on 127.0.0.1:${BASELINE_PORT}`);
    const baseline = await startBaseline({ port: BASELINE_PORT, bodyFile, maxSeconds: budget + 30 });
    let baselineMem: MemResult | undefined;
    if (PARTS.has('memory')) {
      log('bench: baseline idle memory');
      baselineMem = await memory(baseline);
    }
    const check = await request(BASELINE_PORT, 'GET', '/ari/asterisk/info');
    if (!check.body.equals(info.body)) throw new Error('the baseline does not serve the same info body');

    const script = path.join(tmp, 'post.lua');
    fs.writeFileSync(
      script,
      `wrk.method = "POST"\nwrk.body = '${POST_BODY}'\nwrk.headers["Content-Type"] = "application/json"\n`,
    );
    const cases: HttpCase[] = [
      { label: 'GET info c=1 (-t1 -c1)', spec: { threads: 1, conns: 1, path: '/ari/asterisk/info' } },
      { label: 'GET info c=32 (-t2 -c32)', spec: { threads: 2, conns: 32, path: '/ari/asterisk/info' } },
      { label: 'POST variable c=1 (-t1 -c1)', spec: { threads: 1, conns: 1, path: '/ari/asterisk/variable', script } },
      { label: 'POST variable c=32 (-t2 -c32)', spec: { threads: 2, conns: 32, path: '/ari/asterisk/variable', script } },
    ];
    if (PARTS.has('http')) {
      const post = await request(ARIADNE_PORT, 'POST', '/ari/asterisk/variable', { body: POST_BODY });
      if (post.status !== 204) throw new Error(`POST /ari/asterisk/variable answered ${post.status}: ${post.body.toString()}`);
      for (const s of [ariadne, baseline]) {
        const other = s === ariadne ? baseline.pid : ariadne.pid;
        log(`bench: warm-up ${s.name}`);
        await runWrk(s, [other], { threads: 2, conns: 32, seconds: WARMUP_S, path: '/ari/asterisk/info' });
        await runWrk(s, [other], { threads: 2, conns: 32, seconds: WARMUP_S, path: '/ari/asterisk/variable', script });
      }
      for (const c of cases) {
        const runs = new Map<Server, WrkResult[]>([[ariadne, []], [baseline, []]]);
        for (let i = 0; i < REPEAT; i++) {
          for (const s of [ariadne, baseline]) {
            const other = s === ariadne ? baseline.pid : ariadne.pid;
            log(`bench: ${c.label} → ${s.name} (${DURATION} s${REPEAT > 1 ? `, run ${i + 1}/${REPEAT}` : ''})`);
            const r = await runWrk(s, [other], { ...c.spec, seconds: DURATION });
            log(`  ${int(r.rps)} req/s  p50 ${f3(r.p50)} ms  p99 ${f3(r.p99)} ms  max ${f2(r.max)} ms  CPU ${pct(r.serverCpu)}  noise ${pct(r.noise)}`);
            if (r.non2xx || r.socketErrors) notes.push(`${c.label} → ${s.name}: ${r.non2xx} non-2xx responses, ${r.socketErrors} socket errors.`);
            runs.get(s)?.push(r);
          }
        }
        for (const s of [ariadne, baseline]) {
          const sorted = [...(runs.get(s) ?? [])].sort((a, b) => a.rps - b.rps);
          const r = sorted[Math.floor((sorted.length - 1) / 2)];
          if (!r) continue;
          if (r.noise >= 0.15) notes.push(`${c.label} → ${s.name}: other processes used ${pct(r.noise)} of a core during the run (noisy).`);
          if (s === ariadne) c.ariadne = r;
          else c.baseline = r;
        }
      }
    }

    let events: { ariadne: LatencyResult; baseline: LatencyResult } | undefined;
    if (PARTS.has('events')) {
      await waitQuiet([ariadne.pid, baseline.pid], QUIET_WAIT_S);
      log(`bench: event latency Ariadne (n=${EVENTS_N})`);
      const a = await eventLatency(ariadne, EVENTS_N, EVENTS_WARMUP);
      await waitQuiet([ariadne.pid, baseline.pid], QUIET_WAIT_S);
      log(`bench: event latency baseline (n=${EVENTS_N})`);
      const b = await eventLatency(baseline, EVENTS_N, EVENTS_WARMUP);
      events = { ariadne: a, baseline: b };
    }

    const after = procStatus(ariadne.pid);
    const errors = ariadne.stderr().trim();
    if (errors) notes.push(`Ariadne printed on its console: ${errors.split('\n').slice(0, 3).join(' / ')}`);
    const text = report({
      wrkVersion,
      cases,
      ...(events ? { events } : {}),
      ...(ariadneMem && baselineMem ? { mem: { ariadne: ariadneMem, baseline: baselineMem, ...(PARTS.has('http') ? { ariadneAfterLoad: after } : {}) } } : {}),
      infoBytes: info.body.length,
      notes,
    });

    await Promise.all([stopChild(ariadne.child, profDir ? 15_000 : 3000, ariadne.pid), stopChild(baseline.child)]);
    process.stdout.write(`\n${text}\n`);
    if (opts.write) {
      appendResults(RESULTS, text, () => header(machineInfo(wrkVersion)) + '# Results\n\n');
    }
    await reportProfiles(profDir);
  } finally {
    killAll('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
