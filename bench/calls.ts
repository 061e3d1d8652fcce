/**
 * Issue 3's benchmarks — calls through Local channels, the dialplan and Stasis — measured as Asterisk was in
 * `shared/reference/asterisk-22/perf.txt` (b)–(d), next to a baseline measured in the same run.
 *
 *   npm run build && node bench/calls.ts [--duration 30 | --quick] [--write] [--cpu-prof] [--only cycles,varset,memory]
 *
 * Ariadne runs the compiled code (`dist/src/main.js -C <temp asterisk.conf>`) in its own process group on
 * 127.0.0.1:18188, with ari.conf pretty=yes, verbose 0, console errors only and the reference's
 * extensions.conf (`wait@internal`: Answer + Wait(3600); `_stasis-.`: Answer + Stasis(${EXTEN:7})). The baseline
 * is `bench/baseline-server.ts` (bare fastify + ws, 127.0.0.1:18189) answering the same REST calls with a
 * pretend call and as many WebSocket messages of the same size per call as Ariadne sent.
 *
 *   memory  (d) on the fresh server: VmRSS idle, with the `perf` WebSocket, with 500 Local pairs
 *           (`Local/stasis-perf@internal`, app=perf: ;1 enters `perf` through app=, ;2 through the dialplan, so
 *           1000 channels are in Stasis), GET /ari/channels time and bytes with them, then after hanging all up
 *   cycles  (b) POST /ari/channels?endpoint=Local/wait@internal&app=perf&channelId=<id> → StasisStart(<id>)
 *           on the WebSocket → DELETE /ari/channels/<id> → StasisEnd(<id>), 10 at a time for 30 s over
 *           keep-alive connections; cycles/s, the three latencies, failures, CPU of server and harness, noise
 *   varset  (c) POST /ari/channels/<id>/variable on a channel in Stasis → ChannelVarset, n=300 sequential
 *
 * Prints markdown; `--write` appends a dated "Issue 3" section to bench/RESULTS.md.
 */

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WebSocket } from 'ws';
import {
  CpuMeter,
  RESULTS,
  ROOT,
  closeSocket,
  f1,
  f2,
  f3,
  gitRev,
  installCleanup,
  int,
  isoNow,
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
  type ProcStatus,
  type Server,
  type Summary,
  benchArgs,
} from './lib.ts';
import { REFERENCE_CONFIG_DIR } from '../test/helpers/reference.ts';

// ---------------------------------------------------------------------------------------------------------
// Arguments

const USAGE = `Usage: node bench/calls.ts [options]   (run \`npm run build\` first: Ariadne runs from dist/)
  --duration <s>      seconds of originate/hangup cycles per server (default 30; 5 with --quick)
  --concurrency <n>   cycles in flight (default 10)
  --warmup <s>        unmeasured cycles per server first (default 3; 1 with --quick)
  --varset <n>        variable → ChannelVarset round trips (default 300)
  --pairs <n>         Local pairs held for the memory test (default 500 = 1000 channels)
  --quick             5 s cycle runs, shorter waits
  --write             append the results to bench/RESULTS.md
  --pretty yes|no     ari.conf pretty (default yes, as Asterisk was measured)
  --port <p>          Ariadne's port (default 18188); the baseline uses port+1
  --cpu-prof          run Ariadne with --cpu-prof; the .cpuprofile is kept in a printed directory
                      (summarize it with: node bench/prof-summary.ts <file>)
  --only <list>       comma list of parts: memory,cycles,varset (default all)
  --node-args <flags> extra flags for Ariadne's node, space-separated (--node-args="--max-semi-space-size=8")
  --quiet-wait <s>    before each measurement, wait up to this long for other processes to use < 15 % of a
                      core (default 30; 5 with --quick)
`;

const opts = benchArgs(USAGE, {
  duration: { type: 'string' },
  concurrency: { type: 'string', default: '10' },
  warmup: { type: 'string' },
  varset: { type: 'string', default: '300' },
  pairs: { type: 'string', default: '500' },
  quick: { type: 'boolean', default: false },
  write: { type: 'boolean', default: false },
  pretty: { type: 'string', default: 'yes' },
  port: { type: 'string', default: '18188' },
  'cpu-prof': { type: 'boolean', default: false },
  only: { type: 'string', default: 'memory,cycles,varset' },
  'node-args': { type: 'string', default: '' },
  'quiet-wait': { type: 'string' },
});
const QUICK = opts.quick;
const DURATION = Number(opts.duration ?? (QUICK ? 5 : 30));
const CONCURRENCY = Number(opts.concurrency);
const WARMUP_S = Number(opts.warmup ?? (QUICK ? 1 : 3));
const VARSET_N = Number(opts.varset);
const VARSET_WARMUP = 50;
const PAIRS = Number(opts.pairs);
const QUIET_WAIT_S = Number(opts['quiet-wait'] ?? (QUICK ? 5 : 30));
const PRETTY: 'yes' | 'no' = opts.pretty === 'no' ? 'no' : 'yes';
const ARIADNE_PORT = Number(opts.port);
const BASELINE_PORT = ARIADNE_PORT + 1;
const PARTS = new Set(opts.only.split(',').map((s) => s.trim()));
const NODE_ARGS = opts['node-args'].split(/\s+/).filter(Boolean);
const EXTENSIONS = path.join(REFERENCE_CONFIG_DIR, 'extensions.conf');
/** How long one step of a cycle may take before it counts as failed. */
const STEP_TIMEOUT_MS = 5000;
/** Originates and hangups in flight while setting up / tearing down the memory test. */
const SETUP_CONCURRENCY = 20;
if (
  ![DURATION, WARMUP_S, QUIET_WAIT_S].every((v) => Number.isFinite(v) && v >= 0) || DURATION < 1 ||
  ![CONCURRENCY, VARSET_N, PAIRS].every((v) => Number.isInteger(v) && v >= 1)
) {
  process.stderr.write(`bad --duration, --concurrency, --warmup, --varset, --pairs or --quiet-wait\n${USAGE}`);
  process.exit(2);
}

installCleanup();

// ---------------------------------------------------------------------------------------------------------
// The application's WebSocket: waits for StasisStart/StasisEnd/ChannelVarset of given channels

type Waited = 'StasisStart' | 'StasisEnd' | 'ChannelVarset';

/**
 * Reads an events socket cheaply: every message is counted, only the types a benchmark waits for are parsed.
 * Waiters are keyed `type|channelId` (ChannelVarset: `type|channelId|value`); an event that arrives before its
 * waiter is kept so a fast server is not mistaken for a lost event.
 */
class AppEvents {
  readonly ws: WebSocket;
  messages = 0;
  bytes = 0;
  readonly counts = new Map<string, number>();
  /** `messages` when the latest StasisStart / StasisEnd arrived (for the sequential shape probe). */
  readonly lastAt = { StasisStart: 0, StasisEnd: 0 };
  readonly #waiters = new Map<string, (t: number) => void>();
  readonly #early = new Map<string, number>();

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => this.#onMessage(data));
  }

  #onMessage(data: Buffer): void {
    const t = performance.now();
    this.messages++;
    this.bytes += data.length;
    const text = data.toString('utf8');
    const type = /"type":\s*"([A-Za-z]+)"/.exec(text)?.[1] ?? '';
    this.counts.set(type, (this.counts.get(type) ?? 0) + 1);
    if (type !== 'StasisStart' && type !== 'StasisEnd' && type !== 'ChannelVarset') return;
    if (type !== 'ChannelVarset') this.lastAt[type] = this.messages;
    const m = JSON.parse(text) as { channel?: { id?: string }; value?: string };
    const key = type === 'ChannelVarset' ? `${type}|${m.channel?.id ?? ''}|${m.value ?? ''}` : `${type}|${m.channel?.id ?? ''}`;
    const w = this.#waiters.get(key);
    if (w) {
      this.#waiters.delete(key);
      w(t);
    } else if (this.#early.size < 100_000) this.#early.set(key, t);
  }

  /** Resolves with the arrival time (performance.now()) of the event, or rejects after `timeoutMs`. */
  wait(type: Waited, channelId: string, timeoutMs: number, value?: string): Promise<number> {
    const key = type === 'ChannelVarset' ? `${type}|${channelId}|${value ?? ''}` : `${type}|${channelId}`;
    const early = this.#early.get(key);
    if (early !== undefined) {
      this.#early.delete(key);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(key);
        reject(new Error(`no ${type} for ${channelId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.set(key, (t) => {
        clearTimeout(timer);
        resolve(t);
      });
    });
  }

  count(type: string): number {
    return this.counts.get(type) ?? 0;
  }

  forget(): void {
    this.#early.clear();
  }
}

async function appSocket(port: number, app: string): Promise<AppEvents> {
  return new AppEvents(await openSocket(port, app));
}

/** A failure reason without the varying channel id, so equal failures group. */
const reasonOf = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/ for \S+ within/, ' within').replace(/\/ari\/channels\/\S+/, '/ari/channels/<id>');

// ---------------------------------------------------------------------------------------------------------
// (b) Originate into Stasis + DELETE cycles

interface CycleResult {
  readonly cycles: number;
  readonly seconds: number;
  readonly rate: number;
  readonly failures: number;
  readonly failureReasons: ReadonlyMap<string, number>;
  readonly start: Summary;
  readonly end: Summary;
  readonly cycle: Summary;
  readonly cpu: { server: number; harness: number; noise: number };
  readonly messagesPerCycle: number;
  readonly bytesPerCycle: number;
  readonly peak?: ProcStatus;
  readonly leftover: number;
}

/** One cycle; returns the three latencies in ms. `endpoint` is the query for POST /ari/channels (without channelId). */
async function oneCycle(port: number, events: AppEvents, agent: http.Agent, id: string, originateQuery: string): Promise<[number, number, number]> {
  const started = events.wait('StasisStart', id, STEP_TIMEOUT_MS);
  const t0 = performance.now();
  const post = await request(port, 'POST', `/ari/channels?${originateQuery}&channelId=${encodeURIComponent(id)}`, { agent, timeoutMs: STEP_TIMEOUT_MS }).catch((e: unknown) => {
    started.catch(() => undefined);
    throw e;
  });
  if (post.status !== 200) {
    started.catch(() => undefined);
    throw new Error(`POST /ari/channels answered ${post.status}`);
  }
  const tStart = await started;
  const ended = events.wait('StasisEnd', id, STEP_TIMEOUT_MS);
  const t1 = performance.now();
  const del = await request(port, 'DELETE', `/ari/channels/${encodeURIComponent(id)}`, { agent, timeoutMs: STEP_TIMEOUT_MS }).catch((e: unknown) => {
    ended.catch(() => undefined);
    throw e;
  });
  if (del.status !== 204) {
    ended.catch(() => undefined);
    throw new Error(`DELETE /ari/channels/<id> answered ${del.status}`);
  }
  const tEnd = await ended;
  return [tStart - t0, tEnd - t1, tEnd - t0];
}

async function runCycles(
  server: Server,
  events: AppEvents,
  options: { seconds: number; concurrency: number; prefix: string; otherPids: readonly number[] },
): Promise<CycleResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const query = 'endpoint=Local/wait@internal&app=perf';
  const start: number[] = [];
  const end: number[] = [];
  const cycle: number[] = [];
  const reasons = new Map<string, number>();
  let failures = 0;
  let seq = 0;
  let peak: ProcStatus | undefined;
  const m0 = events.messages;
  const b0 = events.bytes;
  const meter = new CpuMeter(server.pid, options.otherPids);
  const t0 = performance.now();
  const deadline = t0 + options.seconds * 1000;
  // Peak RSS as Asterisk's figure was taken: sampled while the cycles run.
  const sampler = setInterval(() => {
    try {
      const s = procStatus(server.pid);
      if (!peak || s.rssKb > peak.rssKb) peak = s;
    } catch {
      /* gone */
    }
  }, 1000);
  const worker = async () => {
    while (performance.now() < deadline && !wasInterrupted()) {
      const id = `${options.prefix}-${seq++}`;
      try {
        const [a, b, c] = await oneCycle(server.port, events, agent, id, query);
        start.push(a);
        end.push(b);
        cycle.push(c);
      } catch (err) {
        failures++;
        const r = reasonOf(err);
        reasons.set(r, (reasons.get(r) ?? 0) + 1);
        // Whatever happened, do not leave the channel behind.
        await request(server.port, 'DELETE', `/ari/channels/${encodeURIComponent(id)}`, { agent }).catch(() => undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = meter.stop();
  clearInterval(sampler);
  agent.destroy();
  const cycles = cycle.length;
  const messagesPerCycle = (events.messages - m0) / Math.max(1, cycles + failures);
  const bytesPerCycle = (events.bytes - b0) / Math.max(1, cycles + failures);
  // Every channel should be gone shortly after its StasisEnd (the ;2 half follows ;1).
  const leftover = server.name === 'Ariadne' ? await channelsLeft(server.port, 5000) : 0;
  events.forget();
  return {
    cycles,
    seconds,
    rate: cycles / seconds,
    failures,
    failureReasons: reasons,
    start: summarize(start),
    end: summarize(end),
    cycle: summarize(cycle),
    cpu: { server: cpu.server, harness: cpu.harness, noise: cpu.noise },
    messagesPerCycle,
    bytesPerCycle,
    ...(peak ? { peak } : {}),
    leftover,
  };
}

/** Channels still listed after waiting up to `maxMs` for the list to empty. */
async function channelsLeft(port: number, maxMs: number): Promise<number> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const r = await request(port, 'GET', '/ari/channels');
    const n = (JSON.parse(r.body.toString()) as unknown[]).length;
    if (n === 0 || Date.now() > deadline) return n;
    await sleep(100);
  }
}

interface Shape {
  originate: { before: number; after: number };
  hangup: { before: number; after: number };
  bytes: number;
}

/**
 * One sequential cycle on Ariadne, counting the WebSocket messages before and after StasisStart and StasisEnd
 * (and their mean size), so the baseline can send as many messages of the same size.
 */
async function probeShape(server: Server, events: AppEvents): Promise<Shape> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const id = 'shape-probe';
  const settle = async () => {
    let n = -1;
    while (n !== events.messages) {
      n = events.messages;
      await sleep(200);
    }
  };
  await settle();
  const m0 = events.messages;
  const b0 = events.bytes;
  const started = events.wait('StasisStart', id, STEP_TIMEOUT_MS);
  await request(server.port, 'POST', `/ari/channels?endpoint=Local/wait@internal&app=perf&channelId=${id}`, { agent });
  await started;
  await settle();
  const startAt = events.lastAt.StasisStart;
  const m1 = events.messages;
  const ended = events.wait('StasisEnd', id, STEP_TIMEOUT_MS);
  await request(server.port, 'DELETE', `/ari/channels/${id}`, { agent });
  await ended;
  await settle();
  const endAt = events.lastAt.StasisEnd;
  const m2 = events.messages;
  agent.destroy();
  events.forget();
  return {
    originate: { before: startAt - m0 - 1, after: m1 - startAt },
    hangup: { before: endAt - m1 - 1, after: m2 - endAt },
    bytes: Math.round((events.bytes - b0) / Math.max(1, m2 - m0)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// (c) REST → event latency: POST /channels/{id}/variable → ChannelVarset

interface LatencyResult {
  readonly n: number;
  readonly event: Summary;
  readonly rest: Summary;
  /** CPU other processes used meanwhile, fraction of one core. */
  readonly noise: number;
}

async function varsetLatency(server: Server, events: AppEvents, n: number, warmup: number, otherPids: readonly number[]): Promise<LatencyResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const id = `varset-${server.name}`;
  const started = events.wait('StasisStart', id, STEP_TIMEOUT_MS);
  const post = await request(server.port, 'POST', `/ari/channels?endpoint=Local/wait@internal&app=perf&channelId=${id}`, { agent });
  if (post.status !== 200) throw new Error(`${server.name}: originate answered ${post.status}: ${post.body.toString()}`);
  await started;
  const event: number[] = [];
  const rest: number[] = [];
  const meter = new CpuMeter(server.pid, otherPids);
  try {
    for (let i = 0; i < warmup + n; i++) {
      const value = String(i);
      const arrived = events.wait('ChannelVarset', id, 2000, value);
      const t0 = performance.now();
      const r = await request(server.port, 'POST', `/ari/channels/${id}/variable?variable=LAT&value=${value}`, { agent });
      const tRest = performance.now();
      if (r.status !== 204) {
        arrived.catch(() => undefined);
        throw new Error(`${server.name}: POST /channels/${id}/variable answered ${r.status}: ${r.body.toString()}`);
      }
      const tEvent = await arrived;
      if (i >= warmup) {
        event.push(tEvent - t0);
        rest.push(tRest - t0);
      }
    }
  } finally {
    await request(server.port, 'DELETE', `/ari/channels/${id}`, { agent }).catch(() => undefined);
    agent.destroy();
  }
  return { n, event: summarize(event), rest: summarize(rest), noise: meter.stop().noise };
}

// ---------------------------------------------------------------------------------------------------------
// (d) Memory with 1000 channels in Stasis

interface MemoryResult {
  readonly idle: ProcStatus;
  readonly withWs: ProcStatus;
  readonly loaded: ProcStatus;
  readonly pairs: number;
  readonly channels: number;
  readonly stasisStarts: number;
  readonly setupSeconds: number;
  readonly setupFailures: number;
  readonly list: { first: number; median: number; max: number; bytes: number; count: number; runs: number };
  readonly hangupSeconds: number;
  readonly afterHangup: ProcStatus;
  readonly leftover: number;
}

/** Runs `task(i)` for i in [0, n) with at most `limit` in flight; returns how many threw. */
async function pool(n: number, limit: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        await task(i);
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
  return failed;
}

async function memory(server: Server, pairs: number): Promise<MemoryResult> {
  await sleep(2000);
  const idle = procStatus(server.pid);
  const events = await appSocket(server.port, 'perf');
  await sleep(1000);
  const withWs = procStatus(server.pid);
  const agent = new http.Agent({ keepAlive: true, maxSockets: SETUP_CONCURRENCY });
  const want = 2 * pairs;
  const startsBefore = events.count('StasisStart');
  const t0 = performance.now();
  const setupFailures = await pool(pairs, SETUP_CONCURRENCY, async (i) => {
    const r = await request(server.port, 'POST', `/ari/channels?endpoint=Local/stasis-perf@internal&app=perf&channelId=mem-${i}`, { agent });
    if (r.status !== 200) throw new Error(`originate answered ${r.status}`);
  });
  // Both halves of every pair enter `perf`: ;1 through app=, ;2 through Stasis(perf) in the dialplan.
  const deadline = Date.now() + 30_000;
  while (events.count('StasisStart') - startsBefore < want - 2 * setupFailures && Date.now() < deadline) await sleep(10);
  const setupSeconds = (performance.now() - t0) / 1000;
  const stasisStarts = events.count('StasisStart') - startsBefore;
  await sleep(2000);
  const loaded = procStatus(server.pid);

  // GET /ari/channels with everything up: the first answer, then the median of 20 more.
  const times: number[] = [];
  let bytes = 0;
  let count = 0;
  for (let i = 0; i < 21; i++) {
    const t = performance.now();
    const r = await request(server.port, 'GET', '/ari/channels', { agent });
    times.push(performance.now() - t);
    bytes = r.body.length;
    count = (JSON.parse(r.body.toString()) as unknown[]).length;
  }
  const first = times[0] ?? NaN;
  const rest = summarize(times.slice(1));

  // Hang up every ;1 (its ;2 follows) and wait until the list is empty.
  const t1 = performance.now();
  await pool(pairs, SETUP_CONCURRENCY, async (i) => {
    await request(server.port, 'DELETE', `/ari/channels/mem-${i}`, { agent });
  });
  const leftover = await channelsLeft(server.port, 30_000);
  const hangupSeconds = (performance.now() - t1) / 1000;
  agent.destroy();
  await sleep(2000);
  const afterHangup = procStatus(server.pid);
  await closeSocket(events.ws);
  return {
    idle,
    withWs,
    loaded,
    pairs,
    channels: count,
    stasisStarts,
    setupSeconds,
    setupFailures,
    list: { first, median: rest.p50, max: Math.max(first, rest.max), bytes, count, runs: times.length },
    hangupSeconds,
    afterHangup,
    leftover,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Report

interface Results {
  cycles?: { ariadne: CycleResult; baseline: CycleResult; shape: Shape };
  varset?: { ariadne: LatencyResult; baseline: LatencyResult };
  mem?: MemoryResult;
  baselineIdle?: ProcStatus;
  notes: string[];
}

const ms = (v: number) => `${f3(v)}`;
const mark = (ok: boolean) => (ok ? 'yes' : '**no**');

function report(r: Results): string {
  const L: string[] = [];
  L.push(`## ${isoNow()} — Issue 3 (calls) — ${gitRev()}`);
  L.push('');
  L.push(`Machine: ${machineInfo('load generator: the harness (Node http + ws)')}.`);
  L.push(
    `Settings: \`node bench/calls.ts\`${QUICK ? ' --quick' : ''}; Ariadne from dist/ (pretty=${PRETTY}, verbose 0, the reference extensions.conf${NODE_ARGS.length ? `, node ${NODE_ARGS.join(' ')}` : ''}); ` +
      [
        ...(PARTS.has('cycles') ? [`cycles ${DURATION} s at concurrency ${CONCURRENCY} after a ${WARMUP_S} s warm-up per server`] : []),
        ...(PARTS.has('varset') ? [`varset n=${VARSET_N} after ${VARSET_WARMUP} warm-up rounds`] : []),
        ...(PARTS.has('memory') ? [`memory with ${PAIRS} Local pairs`] : []),
      ].join('; ') +
      `. Baseline: bench/baseline-server.ts (bare fastify + ws) answering the same calls with as many WebSocket messages of the same size.`,
  );
  L.push('');
  if (r.cycles) {
    const { ariadne: a, baseline: b, shape } = r.cycles;
    L.push(`### (b) Originate into Stasis + DELETE cycles — concurrency ${CONCURRENCY}, ${DURATION} s`);
    L.push('');
    L.push('Cycle: POST /ari/channels?endpoint=Local/wait@internal&app=perf&channelId=<id> → StasisStart(<id>) on the WebSocket → DELETE /ari/channels/<id> → StasisEnd(<id>).');
    L.push('');
    L.push('| Measure | Ariadne | baseline | ratio | Asterisk 22.10.1 |');
    L.push('|---|---:|---:|---:|---:|');
    L.push(`| cycles (failed) | ${int(a.cycles)} (${a.failures}) | ${int(b.cycles)} (${b.failures}) | | 13,911 (0) |`);
    L.push(`| cycles/s | ${f1(a.rate)} | ${f1(b.rate)} | ${ratio(a.rate, b.rate)} | 463.6 |`);
    const rows: [string, keyof CycleResult, [number, number, number, number]][] = [
      ['originate → StasisStart', 'start', [10.4, 18.3, 31.6, 97.6]],
      ['DELETE → StasisEnd', 'end', [8.6, 15.8, 28.9, 55.7]],
      ['full cycle', 'cycle', [19.4, 31.8, 56.3, 138]],
    ];
    for (const [label, key, ast] of rows) {
      const sa = a[key] as Summary;
      const sb = b[key] as Summary;
      L.push(`| ${label} p50 ms | ${ms(sa.p50)} | ${ms(sb.p50)} | ${ratio(sa.p50, sb.p50)} | ${ast[0]} |`);
      L.push(`| ${label} p90 ms | ${ms(sa.p90)} | ${ms(sb.p90)} | ${ratio(sa.p90, sb.p90)} | ${ast[1]} |`);
      L.push(`| ${label} p99 ms | ${ms(sa.p99)} | ${ms(sb.p99)} | ${ratio(sa.p99, sb.p99)} | ${ast[2]} |`);
      L.push(`| ${label} max ms | ${f2(sa.max)} | ${f2(sb.max)} | ${ratio(sa.max, sb.max)} | ${ast[3]} |`);
    }
    L.push(`| server CPU (one core = 100 %) | ${pct(a.cpu.server)} | ${pct(b.cpu.server)} | ${ratio(a.cpu.server, b.cpu.server)} | 92.5 % |`);
    const perCycle = (c: CycleResult) => (c.cpu.server * c.seconds * 1e6) / Math.max(1, c.cycles);
    L.push(`| server CPU per cycle µs | ${int(perCycle(a))} | ${int(perCycle(b))} | ${ratio(perCycle(a), perCycle(b))} | ~2,000 |`);
    L.push(`| harness (load generator) CPU | ${pct(a.cpu.harness)} | ${pct(b.cpu.harness)} | | ~85 % |`);
    L.push(`| noise (other processes) | ${pct(a.cpu.noise)} | ${pct(b.cpu.noise)} | | 1.9 % |`);
    L.push(`| WebSocket messages / bytes per cycle | ${f1(a.messagesPerCycle)} / ${int(a.bytesPerCycle)} | ${f1(b.messagesPerCycle)} / ${int(b.bytesPerCycle)} | | |`);
    L.push(`| peak VmRSS during the run | ${a.peak ? `${f1(mib(a.peak.rssKb))} MiB` : '–'} | ${b.peak ? `${f1(mib(b.peak.rssKb))} MiB` : '–'} | | 67–88 MB |`);
    L.push(`| channels left 5 s after the run | ${a.leftover} | | | |`);
    L.push('');
    L.push(
      `Per cycle Ariadne sent ${shape.originate.before} messages before StasisStart and ${shape.originate.after} after it, ` +
        `${shape.hangup.before} before StasisEnd and ${shape.hangup.after} after it (mean ${shape.bytes} bytes); the baseline sent the same.`,
    );
    for (const [name, c] of [['Ariadne', a], ['baseline', b]] as const) {
      if (c.failureReasons.size) L.push(`Failures (${name}): ${[...c.failureReasons].map(([k, v]) => `${v} × ${k}`).join('; ')}.`);
    }
    L.push('');
  }
  if (r.varset) {
    const { ariadne: a, baseline: b } = r.varset;
    L.push('### (c) REST → event: POST /ari/channels/{id}/variable (channel in Stasis) → ChannelVarset (sequential)');
    L.push('');
    L.push('| Server | n | p50 ms | p90 ms | p99 ms | max ms | REST answer p50 ms | REST answer p99 ms | noise |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    L.push(`| Ariadne | ${a.n} | ${f3(a.event.p50)} | ${f3(a.event.p90)} | ${f3(a.event.p99)} | ${f2(a.event.max)} | ${f3(a.rest.p50)} | ${f3(a.rest.p99)} | ${pct(a.noise)} |`);
    L.push(`| baseline (fastify + ws) | ${b.n} | ${f3(b.event.p50)} | ${f3(b.event.p90)} | ${f3(b.event.p99)} | ${f2(b.event.max)} | ${f3(b.rest.p50)} | ${f3(b.rest.p99)} | ${pct(b.noise)} |`);
    L.push(`| ratio | | ${ratio(a.event.p50, b.event.p50)} | ${ratio(a.event.p90, b.event.p90)} | ${ratio(a.event.p99, b.event.p99)} | ${ratio(a.event.max, b.event.max)} | ${ratio(a.rest.p50, b.rest.p50)} | ${ratio(a.rest.p99, b.rest.p99)} | |`);
    L.push('| Asterisk 22.10.1 | 300 | 0.49 | 0.64 | 3.96 | 18.1 | | | quiet |');
    L.push('');
  }
  if (r.mem) {
    const m = r.mem;
    const perChannel = (m.loaded.rssKb - m.withWs.rssKb) / Math.max(1, m.stasisStarts);
    L.push(`### (d) Memory — VmRSS with ${m.stasisStarts} channels in Stasis (MiB = kB / 1024)`);
    L.push('');
    L.push(`${m.pairs} × POST /ari/channels?endpoint=Local/stasis-perf@internal&app=perf (${SETUP_CONCURRENCY} in flight): ;1 enters \`perf\` through app=, ;2 through Stasis(perf) in the dialplan.`);
    L.push('');
    L.push('| State | Ariadne | Asterisk 22.10.1 |');
    L.push('|---|---:|---:|');
    L.push(`| fresh start, idle | ${f1(mib(m.idle.rssKb))} MiB, ${m.idle.threads} threads | 60.8 MB, 31 threads |`);
    L.push(`| + 1 WebSocket app | ${f1(mib(m.withWs.rssKb))} MiB, ${m.withWs.threads} threads | 62.5 MB, 32 threads |`);
    L.push(
      `| ${m.stasisStarts} channels in Stasis (${m.setupFailures} originates failed; set up in ${f2(m.setupSeconds)} s) | ${f1(mib(m.loaded.rssKb))} MiB, ${m.loaded.threads} threads | 111.9 MB, 1037 threads (2.4 s) |`,
    );
    L.push(`| per channel (loaded − WebSocket idle) / channels | ${f1(perChannel)} KB | ~41–51 KB |`);
    L.push(`| GET /ari/channels with ${m.list.count} channels: first / median of ${m.list.runs - 1} / max | ${f2(m.list.first)} / ${f2(m.list.median)} / ${f2(m.list.max)} ms | 46 ms |`);
    L.push(`| GET /ari/channels body | ${int(m.list.bytes)} bytes | 511,782 bytes |`);
    L.push(`| after hanging all up (in ${f2(m.hangupSeconds)} s; ${m.leftover} left) | ${f1(mib(m.afterHangup.rssKb))} MiB, ${m.afterHangup.threads} threads | 97.6 MB |`);
    if (r.baselineIdle) L.push(`| baseline (fastify + ws) idle, for scale | ${f1(mib(r.baselineIdle.rssKb))} MiB, ${r.baselineIdle.threads} threads | |`);
    L.push('');
  }
  const rows: string[] = [];
  if (r.cycles) {
    const a = r.cycles.ariadne;
    rows.push(`| cycles/s ≥ 930 | 463.6 | ${f1(a.rate)} | ${mark(a.rate >= 930)} |`);
    rows.push(`| cycle p99 ≤ 28 ms | 56.3 ms | ${f3(a.cycle.p99)} ms | ${mark(a.cycle.p99 <= 28)} |`);
  }
  if (r.varset) rows.push(`| variable → ChannelVarset p99 ≤ 1 ms | 3.96 ms | ${f3(r.varset.ariadne.event.p99)} ms | ${mark(r.varset.ariadne.event.p99 <= 1)} |`);
  if (r.mem) {
    const m = r.mem;
    const perChannel = (m.loaded.rssKb - m.withWs.rssKb) / Math.max(1, m.stasisStarts);
    rows.push(`| RSS with 1000 channels in Stasis ≤ 112 MB | 111.9 MB | ${f1(mib(m.loaded.rssKb))} MiB | ${mark(mib(m.loaded.rssKb) <= 112)} |`);
    rows.push(`| ≤ 20 KB per channel | ~41–51 KB | ${f1(perChannel)} KB | ${mark(perChannel <= 20)} |`);
    rows.push(`| GET /channels with 1000 channels ≤ 10 ms (median) | 46 ms | ${f2(m.list.median)} ms | ${mark(m.list.median <= 10)} |`);
  }
  if (rows.length) {
    L.push('### Targets (issue 3)');
    L.push('');
    L.push('| Target | Asterisk 22.10.1 | Ariadne | met |');
    L.push('|---|---:|---:|---|');
    L.push(...rows);
    L.push('');
  }
  if (r.notes.length) {
    L.push('Notes:');
    for (const n of r.notes) L.push(`- ${n}`);
    L.push('');
  }
  return L.join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Main

/** The newest .ts file under src/ that is newer than the build, if any. */
function staleBuild(): string | undefined {
  const built = fs.statSync(path.join(ROOT, 'dist/src/main.js')).mtimeMs;
  const walk = (dir: string): string | undefined => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        const f = walk(p);
        if (f) return f;
      } else if (e.name.endsWith('.ts') && fs.statSync(p).mtimeMs > built) return p;
    }
    return undefined;
  };
  return walk(path.join(ROOT, 'src'));
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist/src/main.js'))) throw new Error('dist/src/main.js is missing: run `npm run build` first');
  const notes: string[] = [];
  const stale = staleBuild();
  if (stale) {
    log(`bench: warning: ${path.relative(ROOT, stale)} is newer than dist/ — run \`npm run build\` to measure the current sources`);
    notes.push(`dist/ was older than ${path.relative(ROOT, stale)} (at least) when this ran.`);
  }
  for (const p of [ARIADNE_PORT, BASELINE_PORT]) {
    if (!(await portFree(p))) throw new Error(`port ${p} is in use; pass --port <p> (uses p and p+1)`);
  }
  const budget =
    60 +
    (PARTS.has('memory') ? 90 + QUIET_WAIT_S : 0) +
    (PARTS.has('cycles') ? 2 * (DURATION + WARMUP_S + QUIET_WAIT_S + 15) : 0) +
    (PARTS.has('varset') ? 30 + 2 * QUIET_WAIT_S : 0);
  const watchdog = setTimeout(() => {
    log(`bench: still running after ${budget} s; stopping`);
    killAll('SIGKILL');
    process.exit(1);
  }, budget * 1000);
  watchdog.unref();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-calls-'));
  const profDir = opts['cpu-prof'] ? fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-prof-')) : undefined;
  const results: Results = { notes };
  try {
    const conf = writeConfigTree(tmp, { port: ARIADNE_PORT, pretty: PRETTY, extra: { 'extensions.conf': fs.readFileSync(EXTENSIONS, 'utf8') } });
    log(`bench: starting Ariadne (dist/) on 127.0.0.1:${ARIADNE_PORT} (pretty=${PRETTY})`);
    const ariadne = await startAriadne({ conf, port: ARIADNE_PORT, maxSeconds: budget + 30, profDir, requireBuild: true, nodeArgs: NODE_ARGS });
    log(`bench: starting the baseline on 127.0.0.1:${BASELINE_PORT}`);
    const baseline = await startBaseline({ port: BASELINE_PORT, maxSeconds: budget + 30 });
    const ours = [ariadne.pid, baseline.pid];

    if (PARTS.has('memory')) {
      await waitQuiet(ours, QUIET_WAIT_S);
      log(`bench: (d) memory with ${PAIRS} Local pairs in Stasis`);
      results.mem = await memory(ariadne, PAIRS);
      results.baselineIdle = procStatus(baseline.pid);
      const m = results.mem;
      log(
        `  idle ${f1(mib(m.idle.rssKb))} MiB, +ws ${f1(mib(m.withWs.rssKb))}, loaded ${f1(mib(m.loaded.rssKb))} MiB with ${m.stasisStarts} StasisStart ` +
          `(${f2(m.setupSeconds)} s), GET /channels ${f2(m.list.median)} ms ${int(m.list.bytes)} B, after hangup ${f1(mib(m.afterHangup.rssKb))} MiB`,
      );
      if (m.stasisStarts !== 2 * PAIRS) notes.push(`(d): ${m.stasisStarts} StasisStart for ${2 * PAIRS} channels (${m.setupFailures} originates failed).`);
      if (m.leftover) notes.push(`(d): ${m.leftover} channels were still listed 30 s after the hangups.`);
    }

    if (PARTS.has('cycles') || PARTS.has('varset')) {
      const aEvents = await appSocket(ariadne.port, 'perf');
      const bEvents = await appSocket(baseline.port, 'perf');
      try {
        if (PARTS.has('cycles')) {
          const shape = await probeShape(ariadne, aEvents);
          await request(baseline.port, 'POST', '/bench/shape', { body: JSON.stringify(shape) });
          const measured = new Map<Server, CycleResult>();
          for (const [s, ev] of [[ariadne, aEvents], [baseline, bEvents]] as const) {
            const other = s === ariadne ? [baseline.pid] : [ariadne.pid];
            if (WARMUP_S > 0) {
              log(`bench: (b) warm-up ${s.name} (${WARMUP_S} s)`);
              await runCycles(s, ev, { seconds: WARMUP_S, concurrency: CONCURRENCY, prefix: `warm-${s.name}`, otherPids: other });
            }
            await waitQuiet(ours, QUIET_WAIT_S);
            log(`bench: (b) cycles → ${s.name} (${DURATION} s, concurrency ${CONCURRENCY})`);
            const r = await runCycles(s, ev, { seconds: DURATION, concurrency: CONCURRENCY, prefix: `perf-${s.name}`, otherPids: other });
            log(
              `  ${int(r.cycles)} cycles (${r.failures} failed) ${f1(r.rate)}/s; cycle p50 ${f3(r.cycle.p50)} p99 ${f3(r.cycle.p99)} ms; ` +
                `server CPU ${pct(r.cpu.server)} harness ${pct(r.cpu.harness)} noise ${pct(r.cpu.noise)}`,
            );
            if (r.cpu.noise >= 0.15) notes.push(`(b) ${s.name}: other processes used ${pct(r.cpu.noise)} of a core during the run (noisy).`);
            if (r.leftover) notes.push(`(b) ${s.name}: ${r.leftover} channels still listed 5 s after the run.`);
            measured.set(s, r);
          }
          const a = measured.get(ariadne);
          const b = measured.get(baseline);
          if (a && b) results.cycles = { ariadne: a, baseline: b, shape };
        }
        if (PARTS.has('varset')) {
          const out = new Map<Server, LatencyResult>();
          for (const [s, ev] of [[ariadne, aEvents], [baseline, bEvents]] as const) {
            await waitQuiet(ours, QUIET_WAIT_S);
            log(`bench: (c) variable → ChannelVarset ${s.name} (n=${VARSET_N})`);
            const r = await varsetLatency(s, ev, VARSET_N, VARSET_WARMUP, s === ariadne ? [baseline.pid] : [ariadne.pid]);
            log(`  p50 ${f3(r.event.p50)} p90 ${f3(r.event.p90)} p99 ${f3(r.event.p99)} max ${f2(r.event.max)} ms  noise ${pct(r.noise)}`);
            if (r.noise >= 0.15) notes.push(`(c) ${s.name}: other processes used ${pct(r.noise)} of a core during the run (noisy).`);
            out.set(s, r);
          }
          const a = out.get(ariadne);
          const b = out.get(baseline);
          if (a && b) results.varset = { ariadne: a, baseline: b };
        }
      } finally {
        await closeSocket(aEvents.ws);
        await closeSocket(bEvents.ws);
      }
    }

    const errors = ariadne.stderr().trim();
    if (errors) notes.push(`Ariadne printed on its console: ${errors.split('\n').slice(0, 3).join(' / ')}`);
    const t0 = performance.now();
    const [stopped] = await Promise.all([stopChild(ariadne.child, profDir ? 15_000 : 3000, ariadne.pid), stopChild(baseline.child)]);
    const stopMs = performance.now() - t0;
    if (stopped.killed) notes.push(`Ariadne did not exit within ${Math.round(stopMs)} ms of SIGTERM and was killed.`);
    log(`bench: Ariadne stopped in ${Math.round(stopMs)} ms${stopped.killed ? ' (SIGKILL)' : ''}`);
    const text = report(results);
    process.stdout.write(`\n${text}\n`);
    if (opts.write) {
      if (!fs.existsSync(RESULTS)) throw new Error(`${RESULTS} is missing; run bench/run.ts --write first (it writes the header)`);
      appendResults(RESULTS, text, () => '');
    }
    await reportProfiles(profDir);
  } finally {
    killAll('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runMain(main);
