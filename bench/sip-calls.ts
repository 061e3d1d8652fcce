/**
 * Issue 5's SIP call benchmarks — SIPp on the same machine against a real Ariadne (the PJSIP driver), measured as
 * Asterisk was in `shared/reference/asterisk-22/sip-perf.txt`, next to a baseline measured in the same run.
 *
 *   npm run build && node bench/sip-calls.ts [--quick] [--write] [--cpu-prof] [--only rate,concurrent]
 *
 * Ariadne runs the compiled code on 127.0.0.1 (ARI :18288, SIP UDP :15060, RTP 20000–39999) with a trunk
 * endpoint identified by 127.0.0.1 (PCMU/PCMA) and this dialplan in `from-trunk`:
 *   1000: Stasis(rate)            the bench's application answers (POST …/answer) and hangs up (DELETE)
 *   1001: Answer() + Hangup()     the dialplan path alone (no ARI)
 *   1002: Answer() + Stasis(hold) the application plays `tone:440` (no end) to the channel
 *
 *   rate        SIPp (bench/sipp/uac-app-hangup.xml: INVITE → 200 → ACK → the server's BYE → 200) at each
 *               rate of --rates for --duration seconds, into 1000 and into 1001; failed calls, the rate SIPp
 *               achieved, INVITE → 200 times (`-trace_rtt`, ms resolution), Ariadne's CPU. Baseline: SIPp's
 *               built-in `uac` against SIPp's built-in `uas` at the same rates (how fast SIPp itself goes).
 *               Ariadne's RSS before and after all of these calls (the issue's "RSS after 10,000 calls").
 *   concurrent  for each level N of --levels: N−K calls from SIPp (bench/sipp/uac-hold.xml, `-rtp_echo`: SIPp
 *               sends every packet back) plus K sample calls from a small UAC in this process whose RTP
 *               socket measures what Ariadne sends (loss from sequence numbers, RFC 3550 interarrival jitter,
 *               |arrival gap − 20 ms|) and echoes it back, so the sampled calls load Ariadne as the others do.
 *               Ariadne's CPU and RSS over a --window seconds plateau once every call is up.
 *               The jitter is measured at the receiver, on the same 2 cores: it includes this process's own
 *               scheduling delay (as Asterisk's anchor did).
 *
 * Prints markdown; `--write` appends a dated "Issue 5 — SIP calls" section to bench/RESULTS.md.
 */

import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { ChildProcess } from 'node:child_process';
import type { WebSocket } from 'ws';
import {
  CpuMeter,
  RESULTS,
  ROOT,
  appendResults,
  closeSocket,
  cpuOf,
  f1,
  f2,
  gitRev,
  installCleanup,
  int,
  isoNow,
  log,
  machineInfo,
  mib,
  openSocket,
  pct,
  procStatus,
  reportProfiles,
  request,
  runMain,
  sh,
  sleep,
  spawnGroup,
  startAriadne,
  stopChild,
  summarize,
  waitQuiet,
  writeConfigTree,
  type Server,
  type Summary,
  benchArgs,
  ARIADNE_ENV,
  ARIADNE_NODE_ARGS,
} from './lib.ts';

// ---------------------------------------------------------------------------------------------------------
// Arguments

const USAGE = `Usage: node bench/sip-calls.ts [options]   (run \`npm run build\` first: Ariadne runs from dist/)
  --rates <list>      call rates (calls/s) for the rate test (default 50,100,200,400; 50,200 with --quick)
  --duration <s>      seconds of offered load per rate (default 15; 3 with --quick)
  --levels <list>     concurrent calls (default 100,250,500,1000; 50 with --quick)
  --ramp <cps>        call rate while the concurrent calls are set up (default 100)
  --window <s>        measured plateau per level (default 20; 5 with --quick)
  --samples <n>       sample calls with the measuring UAC per level (default 10; 5 with --quick)
  --only <list>       rate,concurrent (default both)
  --quick             a short smoke run
  --write             append the results to bench/RESULTS.md
  --cpu-prof          run Ariadne with --cpu-prof (summarize with: node bench/prof-summary.ts <file>)
  --port <p>          ARI port (default 18288); SIP uses 15060
  --node-args <flags> Ariadne's node flags instead of bin/ariadne's (--node-args="--max-old-space-size=96")
  --quiet-wait <s>    wait up to this long for other processes to use < 15 % of a core (default 10; 2 with --quick)
`;

const opts = benchArgs(USAGE, {
  rates: { type: 'string' },
  duration: { type: 'string' },
  levels: { type: 'string' },
  ramp: { type: 'string', default: '100' },
  window: { type: 'string' },
  samples: { type: 'string' },
  only: { type: 'string', default: 'rate,concurrent' },
  quick: { type: 'boolean', default: false },
  write: { type: 'boolean', default: false },
  'cpu-prof': { type: 'boolean', default: false },
  port: { type: 'string', default: '18288' },
  'node-args': { type: 'string', default: '' },
  'quiet-wait': { type: 'string' },
});
const QUICK = opts.quick;
const list = (s: string): number[] => s.split(',').map((v) => Number(v.trim()));
const RATES = list(opts.rates ?? (QUICK ? '50,200' : '50,100,200,400'));
const DURATION = Number(opts.duration ?? (QUICK ? 3 : 15));
const LEVELS = list(opts.levels ?? (QUICK ? '50' : '100,250,500,1000'));
const RAMP = Number(opts.ramp);
const WINDOW = Number(opts.window ?? (QUICK ? 5 : 20));
const SAMPLES = Number(opts.samples ?? (QUICK ? 5 : 10));
const QUIET_WAIT_S = Number(opts['quiet-wait'] ?? (QUICK ? 2 : 10));
const PARTS = new Set(opts.only.split(',').map((s) => s.trim()));
const ARI_PORT = Number(opts.port);
const SIP_PORT = 15060;
const SIPP_PORT = 15070;
const SIPP_UAS_PORT = 15071;
const SIPP_MEDIA_PORT = 16000;
if (
  ![...RATES, ...LEVELS, RAMP, SAMPLES].every((v) => Number.isInteger(v) && v >= 1) ||
  ![DURATION, WINDOW].every((v) => Number.isFinite(v) && v >= 1) ||
  !Number.isFinite(QUIET_WAIT_S)
) {
  process.stderr.write(`bad --rates, --duration, --levels, --ramp, --window, --samples or --quiet-wait\n${USAGE}`);
  process.exit(2);
}

installCleanup();

// ---------------------------------------------------------------------------------------------------------
// Ariadne's configuration

const PJSIP = `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${SIP_PORT}

[trunk]
type = endpoint
transport = transport-udp
context = from-trunk
disallow = all
allow = ulaw,alaw
direct_media = no

[trunk]
type = identify
endpoint = trunk
match = 127.0.0.1
`;

const DIALPLAN = `[from-trunk]
exten => 1000,1,Stasis(rate)
 same => n,Hangup()
exten => 1001,1,Answer()
 same => n,Hangup()
exten => 1002,1,Answer()
 same => n,Stasis(hold)
 same => n,Hangup()
`;

// ---------------------------------------------------------------------------------------------------------
// The Stasis applications (one events WebSocket each)

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** `rate`: answer then hang up each call; `hold`: play an endless tone to each. Counts REST failures. */
class StasisApp {
  readonly ws: WebSocket;
  started = 0;
  restFailures = 0;
  readonly failures: string[] = [];

  constructor(ws: WebSocket, action: (id: string) => Promise<void>) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      if (!text.includes('"StasisStart"')) return;
      const m = JSON.parse(text) as { type?: string; channel?: { id?: string } };
      const id = m.channel?.id;
      if (m.type !== 'StasisStart' || !id) return;
      this.started++;
      action(id).catch((err: unknown) => {
        this.restFailures++;
        if (this.failures.length < 5) this.failures.push((err as Error).message);
      });
    });
  }
}

async function ari(method: string, urlPath: string): Promise<void> {
  const r = await request(ARI_PORT, method, urlPath, { agent, timeoutMs: 10000 });
  // 404 after the caller hung up first is not the server's failure.
  if (r.status >= 300 && r.status !== 404) throw new Error(`${method} ${urlPath}: ${r.status} ${r.body.toString().slice(0, 200)}`);
}

/** How long the rate test waits after its last call before it reads the RSS "after 10,000 calls". */
const SETTLE_S = 40;

async function channelCount(): Promise<number> {
  const r = await request(ARI_PORT, 'GET', '/ari/channels', { agent });
  return (JSON.parse(r.body.toString()) as unknown[]).length;
}

async function waitNoChannels(maxS: number): Promise<number> {
  const end = Date.now() + maxS * 1000;
  let n = await channelCount();
  while (n > 0 && Date.now() < end) {
    await sleep(250);
    n = await channelCount();
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// SIPp

interface SippStats {
  readonly code: number | null;
  readonly successful: number;
  readonly failed: number;
  /** Calls per second between the first and the last measured response (the rate SIPp achieved). */
  readonly achievedCps: number;
  readonly rtt: Summary | undefined;
  /** CPU of the sipp process (fraction of one core), sampled until it exits. */
  readonly cpu: number;
  readonly wall: number;
  readonly errors: string;
}

interface SippRun {
  readonly child: ChildProcess;
  readonly done: Promise<SippStats>;
}

/** Starts sipp in a temporary directory (with statistics, response times and errors in files there). */
function startSipp(args: string[], options: { remote?: string; timeoutS: number; rtt: boolean }): SippRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sipp-'));
  const full = [
    ...args,
    '-i', '127.0.0.1', '-nostdin', '-timeout', `${options.timeoutS}s`, '-timeout_error',
    '-trace_stat', '-stf', path.join(dir, 'stat.csv'), '-fd', '1',
    '-trace_err', '-error_file', path.join(dir, 'errors.log'),
    ...(options.rtt ? ['-trace_rtt', '-rtt_freq', '1'] : []),
    ...(options.remote ? [options.remote] : []),
  ];
  const t0 = performance.now();
  // In the temporary directory (sipp writes its -trace_rtt file in its working directory), under `timeout`,
  // so sipp's own pid is the child's child.
  const child = spawnGroup('env', ['-C', dir, 'timeout', '-k', '3', String(options.timeoutS + 10), 'sipp', ...full]);
  let cpu = 0;
  let sippPid: number | undefined;
  const sampler = setInterval(() => {
    sippPid ??= childOf(child.pid ?? -1);
    if (sippPid !== undefined) cpu = Math.max(cpu, cpuOf(sippPid));
  }, 250);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
  const done = new Promise<SippStats>((resolve) => {
    child.once('exit', (code) => {
      clearInterval(sampler);
      const wall = (performance.now() - t0) / 1000;
      const stat = readLastCsv(path.join(dir, 'stat.csv'));
      const rtts: number[] = [];
      const stamps: number[] = [];
      for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
        for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(1)) {
          const [at, ms] = line.split(';');
          if (at === undefined || ms === undefined || line === '') continue;
          stamps.push(Number(at));
          rtts.push(Number(ms));
        }
      }
      const span = stamps.length > 1 ? (Math.max(...stamps) - Math.min(...stamps)) / 1000 : NaN;
      const errPath = path.join(dir, 'errors.log');
      const errors = summarizeErrors(fs.existsSync(errPath) ? fs.readFileSync(errPath, 'utf8') : '') || (code === 0 ? '' : out.slice(-1500));
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({
        code,
        successful: Number(stat.get('SuccessfulCall(C)') ?? NaN),
        failed: Number(stat.get('FailedCall(C)') ?? NaN),
        achievedCps: (stamps.length - 1) / span,
        rtt: rtts.length ? summarize(rtts) : undefined,
        cpu: cpu / wall,
        wall,
        errors,
      });
    });
  });
  return { child, done };
}

function childOf(ppid: number): number | undefined {
  const out = sh('pgrep', ['-P', String(ppid)]);
  const pid = Number(out.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * SIPp's error log as "count × kind" lines: each entry starts with a timestamp line; its first line, without
 * the numbers that differ per call, is its kind.
 */
function summarizeErrors(text: string): string {
  const kinds = new Map<string, number>();
  for (const m of text.matchAll(/^\d{4}-\d\d-\d\d\t[\d:.]+\t[\d.]+: (.*)$/gm)) {
    const kind = (m[1] ?? '').replace(/\d+/g, 'N').slice(0, 120);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${n} × ${k}`).join('\n');
}

/** The last line of a SIPp statistics CSV, by column name. */
function readLastCsv(file: string): Map<string, string> {
  const m = new Map<string, string>();
  if (!fs.existsSync(file)) return m;
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const head = lines[0]?.split(';') ?? [];
  const last = lines[lines.length - 1]?.split(';') ?? [];
  head.forEach((h, i) => m.set(h, last[i] ?? ''));
  return m;
}

const SIPP_DIR = path.join(ROOT, 'bench', 'sipp');

// ---------------------------------------------------------------------------------------------------------
// (a) Call rate

interface RateRow {
  readonly target: string;
  readonly rate: number;
  readonly calls: number;
  readonly s: SippStats;
  readonly serverCpu: number;
  /** This process (the Stasis application's WebSocket and REST calls). */
  readonly harnessCpu: number;
  readonly noise: number;
  readonly left: number;
  readonly restFailures: number;
}

async function rateRun(ariadne: Server, target: 'app' | 'dialplan', rate: number, app: StasisApp): Promise<RateRow> {
  const calls = rate * DURATION;
  const noise0 = await waitQuiet([ariadne.pid], QUIET_WAIT_S);
  const rest0 = app.restFailures;
  const meter = new CpuMeter(ariadne.pid);
  const run = startSipp(
    ['-sf', path.join(SIPP_DIR, 'uac-app-hangup.xml'), '-s', target === 'app' ? '1000' : '1001', '-p', String(SIPP_PORT), '-mp', String(SIPP_MEDIA_PORT),
      '-r', String(rate), '-rp', '1000', '-m', String(calls), '-l', String(Math.max(100, rate * 10))],
    { remote: `127.0.0.1:${SIP_PORT}`, timeoutS: DURATION + 30, rtt: true },
  );
  const s = await run.done;
  const cpu = meter.stop();
  const left = await waitNoChannels(10);
  log(`  ${target} ${rate} cps: ${s.successful} ok, ${s.failed} failed, ${f1(s.achievedCps)} cps achieved, Ariadne ${pct(cpu.server)}${s.errors ? `\n${s.errors.slice(0, 400)}` : ''}`);
  return { target, rate, calls, s, serverCpu: cpu.server, harnessCpu: cpu.harness, noise: Math.max(noise0, cpu.noise), left, restFailures: app.restFailures - rest0 };
}

async function sippBaseline(rate: number): Promise<RateRow> {
  const calls = rate * DURATION;
  const noise0 = await waitQuiet([], QUIET_WAIT_S);
  const uas = startSipp(['-sn', 'uas', '-p', String(SIPP_UAS_PORT), '-mp', String(SIPP_MEDIA_PORT + 10)], { timeoutS: DURATION + 35, rtt: false });
  await sleep(300);
  const uasPid = () => childOf(uas.child.pid ?? -1);
  const pid = uasPid();
  const meter = new CpuMeter(pid ?? process.pid);
  const uac = startSipp(['-sn', 'uac', '-p', String(SIPP_PORT), '-mp', String(SIPP_MEDIA_PORT), '-r', String(rate), '-rp', '1000', '-m', String(calls), '-l', String(Math.max(100, rate * 10))],
    { remote: `127.0.0.1:${SIPP_UAS_PORT}`, timeoutS: DURATION + 30, rtt: true });
  const s = await uac.done;
  const cpu = meter.stop();
  await stopChild(uas.child, 1000, pid);
  log(`  SIPp uas ${rate} cps: ${s.successful} ok, ${s.failed} failed, ${f1(s.achievedCps)} cps achieved`);
  return { target: 'SIPp uac → SIPp uas', rate, calls, s, serverCpu: pid === undefined ? NaN : cpu.server, harnessCpu: NaN, noise: Math.max(noise0, cpu.noise), left: 0, restFailures: 0 };
}

// ---------------------------------------------------------------------------------------------------------
// (b) Concurrent calls: the measuring UAC

interface Stream {
  readonly callId: string;
  readonly rtp: dgram.Socket;
  toTag?: string | undefined;
  established: boolean;
  byeOk: boolean;
  remoteRtp?: number;
  /** Packets inside the measuring window. */
  packets: number;
  firstSeq?: number;
  lastSeq?: number;
  lastArrival?: number;
  lastTs?: number;
  j: number;
  n: number;
  readonly jitter: number[];
  readonly gapDev: number[];
  firstAt?: number;
  lastAt?: number;
}

/**
 * A few calls into 1002 from one SIP socket, each with its own RTP socket: records when each packet arrives and
 * echoes it back. Only SIP needed for that: INVITE (retransmitted), ACK of the 200, BYE, 200 to what the server
 * sends in the dialog.
 */
class MeasuringUac {
  readonly sip = dgram.createSocket('udp4');
  readonly streams = new Map<string, Stream>();
  #measuring = false;
  #sipPort = 0;

  async start(): Promise<void> {
    await new Promise<void>((r) => this.sip.bind(0, '127.0.0.1', () => r()));
    this.#sipPort = this.sip.address().port;
    this.sip.on('message', (buf) => this.#onSip(buf.toString('latin1')));
  }

  measure(on: boolean): void {
    this.#measuring = on;
  }

  /** A receiving (and echoing) RTP socket; the stream is measured while `measure(true)`. */
  async stream(callId: string): Promise<Stream> {
    const rtp = dgram.createSocket('udp4');
    await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', () => r()));
    const st: Stream = { callId, rtp, established: false, byeOk: false, packets: 0, j: 0, n: 0, jitter: [], gapDev: [] };
    this.streams.set(callId, st);
    rtp.on('message', (pkt, rinfo) => {
      rtp.send(pkt, rinfo.port, rinfo.address);
      if (this.#measuring) this.#onRtp(st, pkt);
    });
    return st;
  }

  async call(i: number): Promise<void> {
    const callId = `bench-${i}-${process.pid}-${Date.now()}`;
    const st = await this.stream(callId);
    const rtp = st.rtp;
    const sdp = `v=0\r\no=bench 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${rtp.address().port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n`;
    const invite = this.#request('INVITE', st, 1, `Content-Type: application/sdp\r\n`, sdp);
    for (let tries = 0; tries < 8 && !st.established; tries++) {
      this.#send(invite);
      await sleep(500);
    }
    if (!st.established) throw new Error(`sample call ${i} was not answered`);
  }

  async hangupAll(): Promise<void> {
    for (let tries = 0; tries < 6; tries++) {
      const open = [...this.streams.values()].filter((s) => s.established && !s.byeOk);
      if (open.length === 0) break;
      for (const s of open) this.#send(this.#request('BYE', s, 2, '', ''));
      await sleep(500);
    }
    for (const s of this.streams.values()) s.rtp.close();
    this.sip.close();
  }

  #request(method: string, st: Stream, cseq: number, extra: string, body: string): string {
    const to = `<sip:1002@127.0.0.1:${SIP_PORT}>${st.toTag ? `;tag=${st.toTag}` : ''}`;
    return `${method} sip:1002@127.0.0.1:${SIP_PORT} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${this.#sipPort};branch=z9hG4bK${st.callId}-${method}-${cseq};rport\r\n` +
      `From: <sip:bench@127.0.0.1:${this.#sipPort}>;tag=${st.callId}\r\nTo: ${to}\r\nCall-ID: ${st.callId}\r\nCSeq: ${cseq} ${method}\r\n` +
      `Contact: <sip:bench@127.0.0.1:${this.#sipPort}>\r\nMax-Forwards: 70\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }

  #send(text: string): void {
    this.sip.send(text, SIP_PORT, '127.0.0.1');
  }

  #onSip(text: string): void {
    const header = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'mi').exec(text)?.[1]?.trim() ?? '';
    const st = this.streams.get(header('Call-ID'));
    if (!st) return;
    const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
    if (status === undefined) {
      // A request in the dialog (the server's BYE, a re-INVITE…): 200 OK echoing the transaction headers.
      const vias = text.match(/^Via\s*:.*$/gim) ?? [];
      this.#send(`SIP/2.0 200 OK\r\n${vias.join('\r\n')}\r\nFrom: ${header('From')}\r\nTo: ${header('To')}\r\nCall-ID: ${st.callId}\r\nCSeq: ${header('CSeq')}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const method = header('CSeq').split(/\s+/)[1];
    if (method === 'BYE' && Number(status) >= 200) st.byeOk = true;
    if (method !== 'INVITE' || Number(status) < 200) return;
    if (status !== '200') {
      log(`bench: sample call ${st.callId} answered ${status}`);
      return;
    }
    st.toTag = /;tag=([^;>\s]+)/.exec(header('To'))?.[1];
    st.remoteRtp = Number(/^m=audio (\d+)/m.exec(text)?.[1]);
    st.established = true;
    this.#send(this.#request('ACK', st, 1, '', ''));
  }

  #onRtp(st: Stream, pkt: Buffer): void {
    if (pkt.length < 12 || (pkt[1]! & 0x7f) >= 72) return; // RTCP on the RTP port
    const now = performance.now();
    const seq = pkt.readUInt16BE(2);
    const ts = pkt.readUInt32BE(4);
    st.packets++;
    st.firstAt ??= now;
    st.lastAt = now;
    if (st.firstSeq === undefined) st.firstSeq = seq;
    else {
      // Extended sequence numbers: the window is short, one wrap at most matters.
      let ext = seq + (st.lastSeq! & ~0xffff);
      if (ext < st.lastSeq! - 0x8000) ext += 0x10000;
      if (ext === st.lastSeq! + 1 && st.lastArrival !== undefined && st.lastTs !== undefined) {
        const gap = now - st.lastArrival;
        const d = gap - ((ts - st.lastTs) >>> 0) / 8;
        st.j += (Math.abs(d) - st.j) / 16;
        st.n++;
        if (st.n > 50) st.jitter.push(st.j);
        st.gapDev.push(Math.abs(gap - 20));
      }
      st.lastSeq = Math.max(ext, st.lastSeq!);
      st.lastArrival = now;
      st.lastTs = ts;
      return;
    }
    st.lastSeq = seq;
    st.lastArrival = now;
    st.lastTs = ts;
  }

  /** Loss, packet rate and timing over the measuring window, all sampled streams together. */
  report(): { streams: number; received: number; expected: number; lossPct: number; pps: number; missingPct: number; jitter: Summary; gapDev: Summary } {
    let received = 0;
    let expected = 0;
    let wall = 0;
    let pps = 0;
    const jitter: number[] = [];
    const gapDev: number[] = [];
    const live = [...this.streams.values()].filter((s) => s.firstSeq !== undefined);
    for (const s of live) {
      received += s.packets;
      expected += s.lastSeq! - s.firstSeq! + 1;
      pps += (s.packets - 1) / (((s.lastAt ?? 0) - (s.firstAt ?? 0)) / 1000);
      wall += (s.lastAt ?? 0) - (s.firstAt ?? 0);
      jitter.push(...s.jitter);
      gapDev.push(...s.gapDev);
    }
    return { streams: live.length, received, expected, lossPct: expected ? (100 * (expected - received)) / expected : NaN, pps: pps / live.length, missingPct: wall ? 100 * (1 - (received - live.length) * 20 / wall) : NaN, jitter: summarize(jitter), gapDev: summarize(gapDev) };
  }
}

/**
 * The pacing floor of this machine right now: a bare Node process (no SIP, no media engine) sends `streams`
 * RTP streams of 172-byte packets every 20 ms, scheduled against absolute times as the media clock does (timer
 * only, as on Ariadne's main thread), to receivers measured exactly as the sampled calls are.
 */
const PACER = `
const dgram = require('node:dgram');
const ports = JSON.parse(process.argv[1]);
const s = dgram.createSocket('udp4');
const pkt = Buffer.alloc(172); pkt[0] = 0x80;
const t0 = performance.now(); let n = 0;
function tick() {
  for (let i = 0; i < ports.length; i++) {
    const p = Buffer.from(pkt); p.writeUInt16BE(n & 0xffff, 2); p.writeUInt32BE((n * 160) >>> 0, 4); p.writeUInt32BE(i, 8);
    s.send(p, ports[i], '127.0.0.1');
  }
  n++;
  setTimeout(tick, Math.max(0, t0 + n * 20 - performance.now()));
}
s.bind(0, '127.0.0.1', tick);
`;

async function pacerBaseline(streams: number): Promise<{ rtp: ReturnType<MeasuringUac['report']>; noise: number; harnessDelay: { p99: number; max: number } }> {
  const noise0 = await waitQuiet([], QUIET_WAIT_S);
  const uac = new MeasuringUac();
  await uac.start();
  const ports: number[] = [];
  for (let i = 0; i < streams; i++) ports.push((await uac.stream(`pacer-${i}`)).rtp.address().port);
  const child = spawnGroup('timeout', ['-k', '2', String(WINDOW + 15), process.execPath, '-e', PACER, JSON.stringify(ports)]);
  await sleep(3000);
  const meter = new CpuMeter(process.pid);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  uac.measure(true);
  await sleep(WINDOW * 1000);
  uac.measure(false);
  loopDelay.disable();
  const cpu = meter.stop();
  await stopChild(child, 1000);
  await uac.hangupAll();
  return { rtp: uac.report(), noise: Math.max(noise0, cpu.noise), harnessDelay: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 } };
}

interface LevelRow {
  readonly level: number;
  readonly bulk: number;
  readonly up: number;
  readonly s: SippStats;
  readonly serverCpu: number;
  readonly sippCpu: number;
  readonly noise: number;
  readonly rssKb: number;
  readonly rss0Kb: number;
  readonly rtp: ReturnType<MeasuringUac['report']>;
  /** This process's event-loop delay over the window (ms): how late the measuring receiver itself was. */
  readonly harnessDelay: { p99: number; max: number };
  readonly restFailures: number;
  readonly left: number;
}

async function concurrentLevel(ariadne: Server, level: number, app: StasisApp): Promise<LevelRow> {
  const samples = Math.min(SAMPLES, Math.max(1, Math.floor(level / 10)));
  const bulk = level - samples;
  const rampS = bulk / RAMP;
  const holdMs = Math.ceil((rampS + 4 + WINDOW + 3) * 1000);
  const noise0 = await waitQuiet([ariadne.pid], QUIET_WAIT_S);
  const rss0Kb = procStatus(ariadne.pid).rssKb;
  const rest0 = app.restFailures;
  const run = startSipp(
    ['-sf', path.join(SIPP_DIR, 'uac-hold.xml'), '-s', '1002', '-p', String(SIPP_PORT), '-mp', String(SIPP_MEDIA_PORT), '-rtp_echo',
      '-r', String(RAMP), '-rp', '1000', '-m', String(bulk), '-l', String(bulk), '-d', String(holdMs)],
    { remote: `127.0.0.1:${SIP_PORT}`, timeoutS: Math.ceil(holdMs / 1000) + 30, rtt: false },
  );
  const uac = new MeasuringUac();
  await uac.start();
  await sleep(rampS * 1000);
  for (let i = 0; i < samples; i++) await uac.call(i);
  await sleep(3000);
  const up = await channelCount();
  uac.measure(true);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  let sippPid = childOf(run.child.pid ?? -1);
  const sipp0 = sippPid === undefined ? 0 : cpuOf(sippPid);
  const meter = new CpuMeter(ariadne.pid, sippPid === undefined ? [] : [sippPid]);
  let rssKb = 0;
  const rssTimer = setInterval(() => (rssKb = Math.max(rssKb, procStatus(ariadne.pid).rssKb)), 500);
  await sleep(WINDOW * 1000);
  uac.measure(false);
  loopDelay.disable();
  const harnessDelay = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  clearInterval(rssTimer);
  rssKb = Math.max(rssKb, procStatus(ariadne.pid).rssKb);
  sippPid ??= childOf(run.child.pid ?? -1);
  const sippCpu = sippPid === undefined ? NaN : cpuOf(sippPid) - sipp0;
  const cpu = meter.stop();
  await uac.hangupAll();
  const s = await run.done;
  const left = await waitNoChannels(15);
  const rtp = uac.report();
  log(`  ${level} calls: ${up} channels up, Ariadne ${pct(cpu.server)}, RSS ${f1(mib(rssKb))} MiB, loss ${f2(rtp.lossPct)} %, jitter p99 ${f2(rtp.jitter.p99)} ms, SIPp ${s.successful} ok ${s.failed} failed`);
  return { level, bulk, up, s, serverCpu: cpu.server, sippCpu: sippCpu / cpu.wall, noise: Math.max(noise0, cpu.noise), rssKb, rss0Kb, rtp, harnessDelay, restFailures: app.restFailures - rest0, left };
}

// ---------------------------------------------------------------------------------------------------------
// Report

function rateTable(rows: readonly RateRow[]): string {
  const errorNotes: string[] = [];
  const out = [
    '| Path | offered cps | calls | ok | failed | achieved cps | INVITE→200 p50 / p99 / max ms | server CPU | SIPp CPU | app (bench) CPU | noise | left / REST errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const rtt = r.s.rtt ? `${r.s.rtt.p50} / ${r.s.rtt.p99} / ${r.s.rtt.max}` : '–';
    out.push(`| ${r.target} | ${r.rate} | ${int(r.calls)} | ${int(r.s.successful)} | ${int(r.s.failed)}${r.s.code === 0 ? '' : ` (exit ${r.s.code})`} | ${f1(r.s.achievedCps)} | ${rtt} | ${pct(r.serverCpu)} | ${pct(r.s.cpu)} | ${pct(r.harnessCpu)} | ${pct(r.noise)} | ${r.left} / ${r.restFailures} |`);
    if (r.s.errors && r.s.failed > 0) errorNotes.push(`- ${r.target} ${r.rate} cps, SIPp's errors: ${r.s.errors.split('\n').join('; ').replaceAll('|', '\\|')}`);
  }
  return [out.join('\n'), ...(errorNotes.length ? ['', ...errorNotes] : [])].join('\n');
}

function best(rows: readonly RateRow[], target: string): string {
  const clean = rows.filter((r) => r.target === target && r.s.failed === 0 && r.s.successful === r.calls && r.s.achievedCps >= 0.95 * r.rate);
  return clean.length ? String(Math.max(...clean.map((r) => r.rate))) : 'none';
}

function levelTable(rows: readonly LevelRow[], idleKb: number): string {
  const out = [
    '| Calls (SIPp + sampled) | channels up | SIPp ok / failed | server CPU | CPU per call | VmRSS before → peak | (peak − fresh idle) / calls | RTP loss (seq) | pps/call | audio short of real time | jitter p50 / p99 / max ms | \\|gap−20 ms\\| p99 / max | bench loop delay p99 / max ms | SIPp CPU | noise |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const j = r.rtp.jitter;
    out.push(
      `| ${r.level} (${r.bulk} + ${r.level - r.bulk}) | ${r.up} | ${r.s.successful} / ${r.s.failed}${r.s.code === 0 ? '' : ` (exit ${r.s.code})`} | ${pct(r.serverCpu)} | ${f2((100 * r.serverCpu) / r.level)} % | ${f1(mib(r.rss0Kb))} → ${f1(mib(r.rssKb))} MiB | ` +
        `${f1((r.rssKb - idleKb) / r.level)} KB | ${f2(r.rtp.lossPct)} % (${int(r.rtp.expected - r.rtp.received)}/${int(r.rtp.expected)}) | ${f2(r.rtp.pps)} | ${f1(r.rtp.missingPct)} % | ${f2(j.p50)} / ${f2(j.p99)} / ${f2(j.max)} | ` +
        `${f2(r.rtp.gapDev.p99)} / ${f2(r.rtp.gapDev.max)} | ${f1(r.harnessDelay.p99)} / ${f1(r.harnessDelay.max)} | ${pct(r.sippCpu)} | ${pct(r.noise)} |`,
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sip-'));
  const conf = writeConfigTree(dir, {
    port: ARI_PORT,
    pretty: 'no',
    extra: { 'pjsip.conf': PJSIP, 'rtp.conf': '[general]\nrtpstart = 20000\nrtpend = 39999\n', 'extensions.conf': DIALPLAN },
  });
  const profDir = opts['cpu-prof'] ? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sip-prof-')) : undefined;
  const totalS = 120 + (PARTS.has('rate') ? RATES.length * 2 * (DURATION + 45) + SETTLE_S : 0) + (PARTS.has('concurrent') ? LEVELS.reduce((a, n) => a + n / RAMP + WINDOW + 60, 0) : 0);
  const nodeArgs = opts['node-args'].split(/\s+/).filter(Boolean);
  const ariadne = await startAriadne({ conf, port: ARI_PORT, maxSeconds: Math.ceil(totalS), profDir, requireBuild: true, nodeArgs });
  const rateApp = new StasisApp(await openSocket(ARI_PORT, 'rate'), async (id) => {
    await ari('POST', `/ari/channels/${id}/answer`);
    await ari('DELETE', `/ari/channels/${id}`);
  });
  const holdApp = new StasisApp(await openSocket(ARI_PORT, 'hold'), (id) => ari('POST', `/ari/channels/${id}/play?media=${encodeURIComponent('tone:440')}`));
  const sections: string[] = [];
  const started = isoNow();
  const idleKb = procStatus(ariadne.pid).rssKb;
  try {
    if (PARTS.has('rate')) {
      log('bench: call rate');
      // A short unmeasured warm-up, so the first measured rate does not pay for JIT compilation.
      await rateRun(ariadne, 'app', 50, rateApp);
      const rssBeforeKb = procStatus(ariadne.pid).rssKb;
      const callsBefore = rateApp.started;
      const rows: RateRow[] = [];
      for (const rate of RATES) {
        rows.push(await rateRun(ariadne, 'app', rate, rateApp));
        rows.push(await rateRun(ariadne, 'dialplan', rate, rateApp));
      }
      const measuredCalls = rows.reduce((a, r) => a + r.s.successful + r.s.failed, 0);
      const rssAfterKb = procStatus(ariadne.pid).rssKb;
      // The issue's "RSS after 10,000 calls": once the calls are over and their finished SIP transactions have
      // expired (32 s, timer J/K/H at T1 = 500 ms), which is also when V8's memory reducer gets to shrink the heap.
      await waitNoChannels(15);
      await sleep(SETTLE_S * 1000);
      const rssSettledKb = procStatus(ariadne.pid).rssKb;
      for (const rate of RATES) rows.push(await sippBaseline(rate));
      const order = ['app', 'dialplan', 'SIPp uac → SIPp uas'];
      rows.sort((a, b) => order.indexOf(a.target) - order.indexOf(b.target) || a.rate - b.rate);
      sections.push(
        `### (a) Call setup rate: ${DURATION} s of offered load per rate (SIPp \`-r R -m ${DURATION}×R\`, bench/sipp/uac-app-hangup.xml)\n\n` +
          '`app`: exten 1000 → Stasis(rate), the application POSTs …/answer then DELETEs the channel (Ariadne sends the BYE). ' +
          '`dialplan`: exten 1001 → Answer() + Hangup(). Baseline: SIPp `-sn uac` (its own BYE) against SIPp `-sn uas` on the same machine. ' +
          'INVITE→200 from `-trace_rtt` (whole ms). "achieved cps" = answered calls / (last − first answer time).\n\n' +
          `${rateTable(rows)}\n\n` +
          `Highest offered rate with 0 failed calls and ≥ 95 % of it achieved: app **${best(rows, 'app')}** cps, dialplan ${best(rows, 'dialplan')} cps, SIPp→SIPp ${best(rows, 'SIPp uac → SIPp uas')} cps ` +
          `(Asterisk 22.10.1: 75 cps, 50 cps with p99 < 50 ms).\n\n` +
          `Ariadne VmRSS: idle ${f1(mib(idleKb))} MiB; after the warm-up ${f1(mib(rssBeforeKb))} MiB; after ${int(measuredCalls)} more calls ${f1(mib(rssAfterKb))} MiB ` +
          `(${f1((100 * (rssAfterKb - rssBeforeKb)) / rssBeforeKb)} %), and ${SETTLE_S} s after the last one ended ${f1(mib(rssSettledKb))} MiB ` +
          `(**${f1((100 * (rssSettledKb - rssBeforeKb)) / rssBeforeKb)} %** against after the warm-up; target within 10 %). Asterisk: 84 MB → 815 MB over 6,750 calls.`,
      );
    }
    if (PARTS.has('concurrent')) {
      log('bench: concurrent calls');
      const rows: LevelRow[] = [];
      const pacer = await pacerBaseline(SAMPLES);
      log(`  pacer baseline: jitter p99 ${f2(pacer.rtp.jitter.p99)} ms, loss ${f2(pacer.rtp.lossPct)} %`);
      for (const level of LEVELS) rows.push(await concurrentLevel(ariadne, level, holdApp));
      sections.push(
        `### (b) Concurrent calls with RTP both ways: exten 1002 → Answer() + Stasis(hold), the application plays \`tone:440\` to each\n\n` +
          `Calls set up at ${RAMP} cps; SIPp (bench/sipp/uac-hold.xml, \`-rtp_echo\`) echoes each packet back; the sampled calls come from the bench's own UAC, ` +
          `which echoes too and times what arrives. Measured over ${WINDOW} s once every call is up. Jitter = RFC 3550 interarrival jitter (after each stream's first 50 packets), ` +
          `at the receiver on the same 2 cores. CPU: one core = 100 %.\n\n${levelTable(rows, idleKb)}\n\n` +
          `Baseline, same receiver, same run: a bare Node process pacing ${SAMPLES} RTP streams with absolute-time timers (no SIP, no engine): ` +
          `loss ${f2(pacer.rtp.lossPct)} %, ${f2(pacer.rtp.pps)} pps/stream, jitter p50 / p99 / max ${f2(pacer.rtp.jitter.p50)} / ${f2(pacer.rtp.jitter.p99)} / ${f2(pacer.rtp.jitter.max)} ms, ` +
          `|gap−20 ms| p99 / max ${f2(pacer.rtp.gapDev.p99)} / ${f2(pacer.rtp.gapDev.max)} ms, bench loop delay p99 / max ${f1(pacer.harnessDelay.p99)} / ${f1(pacer.harnessDelay.max)} ms, noise ${pct(pacer.noise)}.\n\n` +
          `REST failures (play): ${rows.map((r) => r.restFailures).join(', ')}; channels left 15 s after each level: ${rows.map((r) => r.left).join(', ')}. ` +
          'Asterisk 22.10.1 (sip-perf.txt): 270 calls clean (jitter p99 2.86 ms, 109 % CPU), degraded from 320, 0.21 % loss at 420.',
      );
    }
  } finally {
    await closeSocket(rateApp.ws);
    await closeSocket(holdApp.ws);
    agent.destroy();
    const stop = await stopChild(ariadne.child, 5000, ariadne.pid);
    if (stop.killed) log('bench: Ariadne had to be killed');
    await reportProfiles(profDir);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (rateApp.failures.length || holdApp.failures.length) log(`bench: REST failures: ${[...rateApp.failures, ...holdApp.failures].join('; ')}`);
  const sipp = sh('sipp', ['-v']).match(/SIPp v[\d.]+/)?.[0] ?? 'SIPp';
  const text = `\n## Issue 5 — SIP calls (bench/sip-calls.ts${QUICK ? ' --quick' : ''}), ${started}\n\n` +
    `Machine: ${machineInfo(sipp)}. Ariadne ${gitRev()} (dist/, node flags \`${(nodeArgs.length ? nodeArgs : ARIADNE_NODE_ARGS).join(' ')}\`, MALLOC_ARENA_MAX=${ARIADNE_ENV['MALLOC_ARENA_MAX']}), SIP UDP on loopback, SIPp and the bench on the same 2 cores.\n\n${sections.join('\n\n')}\n`;
  process.stdout.write(text);
  if (opts.write) appendResults(RESULTS, text, () => '# Benchmark results\n');
}

runMain(main);
