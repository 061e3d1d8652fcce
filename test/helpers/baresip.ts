/**
 * A real softphone for tests: baresip 1.0 (Debian `baresip-core`) running headless on loopback, driven over
 * its `ctrl_tcp` JSON interface. Each phone gets a private config dir in a temp dir, its own SIP port, a WAV
 * file (or a generated tone) as its microphone, and records what it sent and heard per call as WAV files that
 * tests analyse by content (Goertzel: src/media/dsp/goertzel.ts).
 *
 * @example Basic use (see test/e2e/baresip-harness.test.ts for complete tests against SIPp)
 * const alice = await startBaresip({ name: 'alice', account: { user: 'alice', domain: '127.0.0.1:5060' },
 *   audioSource: { toneHz: 1000 } });
 * try {
 *   await alice.dial('sip:1000@127.0.0.1:5060');
 *   await alice.waitFor('CALL_ESTABLISHED', 5000);
 *   await alice.sendDtmf('12#');
 *   await alice.hangup();
 *   await alice.waitFor('CALL_CLOSED', 5000);
 *   const [call] = await alice.recordings();
 *   const heard = readRecording(call!.heard!); // { samples, sampleRate: 8000 }
 * } finally {
 *   await alice.stop();
 * }
 *
 * @example For the PJSIP driver tests: two phones registered to Ariadne, calling each other through Dial()
 * // pjsip.conf: endpoints alice and bob (context=phones, allow=ulaw, auth/aors as usual, max_contacts=1),
 * // extensions.conf: [phones] exten => bob,1,Dial(PJSIP/bob)
 * const acct = (user: string) => ({ user, password: 'secret', domain: `127.0.0.1:${sipPort}`, register: true });
 * const alice = await startBaresip({ name: 'alice', account: acct('alice'), audioSource: { toneHz: 1000 } });
 * const bob = await startBaresip({ name: 'bob', account: { ...acct('bob'), autoAnswer: true },
 *   audioSource: { toneHz: 1400 } });
 * await Promise.all([alice.registered(), bob.registered()]);
 * await alice.dial('bob');                    // baresip completes it to sip:bob@<domain>
 * await Promise.all([alice.waitFor('CALL_ESTABLISHED'), bob.waitFor('CALL_ESTABLISHED')]);
 * await sleep(1500); await alice.hangup();
 * await Promise.all([alice.waitFor('CALL_CLOSED'), bob.waitFor('CALL_CLOSED')]);
 * // alice's `heard` holds 1400 Hz and bob's `heard` holds 1000 Hz; stop() both in `finally`/`after`.
 * For the hello-world flow: dial `sip:1000@127.0.0.1:<port>` from an account whose endpoint (or `identify`)
 * lands in from-trunk, wait for CALL_ESTABLISHED then CALL_CLOSED (the app hangs up), and look for speech
 * (RMS well above silence for about the length of hello-world.wav) in `heard`. For DTMF into an app, send
 * `sendDtmf('123')` after CALL_ESTABLISHED and wait for ChannelDtmfReceived on the ARI side.
 *
 * baresip 1.0 facts this relies on (found by running it, and in its source at tag v1.0.0):
 * - Config names: `sip_listen`, `module_path`, `module` / `module_tmp` / `module_app`, `ctrl_tcp_listen`,
 *   `audio_source aufile,<wav>`, `audio_player aubridge,nil` (a player nobody pulls: nothing needs a sound
 *   card), `snd_path` (sndfile's output dir), `rtp_ports a-b`, `statmode_default off` (otherwise menu prints a
 *   status line to stdout every 100 ms), `net_interface 127.0.0.1` (the value `lo` fails: "could not get
 *   network address"; an IP address works and keeps SDP and Contact on loopback), `dns_server 127.0.0.1:53`
 *   (so nothing ever asks the machine's resolver).
 * - ctrl_tcp: netstrings (`<len>:<json>,`) both ways; a command is `{"command","params","token"}` and runs as
 *   the long form of a menu command (`dial <uri>`, `accept`, `hangup`, `sndcode <digits>`, `uanew <account>`,
 *   `quit`); the answer is `{"response":true,"ok","data","token"}`. Events are `{"event":true,"type","class",
 *   "accountaor","direction","peeruri","id","param"}`. Only one control connection at a time (a new one
 *   replaces the old). `CALL_DTMF_END` carries no digit.
 * - Accounts are created with `uanew` after the control connection is up, not from the `accounts` file: the
 *   file's accounts start registering while modules load, so REGISTER_OK would often fire before anyone
 *   listens. `answermode=auto` answers at once and emits no CALL_INCOMING (manual mode emits it).
 * - The aufile source hangs the call up ("end of file") when the WAV ends: the source must outlast the call
 *   (the default generated tone lasts 30 s). The WAV must be 8 kHz mono 16-bit (checked here up front).
 * - sndfile names its files `dump-<local time to the second>-{enc,dec}.wav` (enc = sent, dec = heard), so a
 *   second call starting in the same second would truncate the first call's files; and libsndfile writes the
 *   final WAV sizes only when the call's audio stops. This harness therefore renames a call's files to
 *   `<n>-<call id>-{sent,heard}.wav` as soon as CALL_CLOSED arrives, and `recordings()` waits (bounded) until
 *   their sizes are final. Two calls *at the same time* on one phone cannot be told apart. `heard` is the
 *   decoded frames in arrival order (160 samples each), not aligned to wall-clock time: analyse it per 20 ms
 *   block or over its whole length, and don't read gaps in it as silence.
 * - An event's `id` is the call's SIP Call-ID (both directions), handy to match a call with Ariadne's channel.
 * - `-t <seconds>` makes baresip quit by itself: every phone has a bounded lifetime even if a test forgets it.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sine } from '../../src/media/dsp/goertzel.ts';
import { readWav, parseWavHeader } from '../../src/media/wav/wav.ts';
import { WavWriter } from '../../src/media/wav/writer.ts';

/** A generated sine as the phone's microphone. */
export interface ToneSource {
  readonly toneHz: number;
  /** Length of the generated file; the call ends when it runs out (default 30). */
  readonly seconds?: number;
  /** Peak amplitude in sample units (default 8000, about -12 dBFS). */
  readonly amplitude?: number;
}

export interface BaresipAccount {
  readonly user: string;
  /** Digest password (`auth_pass`); the auth user defaults to `user`. */
  readonly password?: string;
  readonly authUser?: string;
  /** host[:port] of the registrar / proxy, e.g. `127.0.0.1:5060`; the AOR is `sip:<user>@<domain>`. */
  readonly domain: string;
  readonly transport?: 'udp' | 'tcp';
  /** REGISTER to the domain (default false: the phone only places and takes calls). */
  readonly register?: boolean;
  /** Registration interval in seconds (default 60). */
  readonly registerInterval?: number;
  /** Answer incoming calls at once (`answermode=auto`); otherwise wait for `answer()`. */
  readonly autoAnswer?: boolean;
  readonly displayName?: string;
  /** Codecs to offer, in order (default PCMU then PCMA). */
  readonly codecs?: readonly ('pcmu' | 'pcma')[];
  /** Outbound proxy URI, e.g. `sip:127.0.0.1:5060` (default: none, requests go to the domain). */
  readonly outboundProxy?: string;
}

export interface BaresipOptions {
  /** Used in the temp dir name and in error messages. */
  readonly name: string;
  /** SIP port on 127.0.0.1, UDP and TCP (default: a free one). */
  readonly sipPort?: number;
  readonly account: BaresipAccount;
  /** An 8 kHz mono 16-bit WAV file, or a tone to generate (default: 1000 Hz for 30 s). */
  readonly audioSource?: string | ToneSource;
  /**
   * Where recordings go (default: inside the private dir, removed by `stop()`). One dir per phone: sndfile's
   * file names carry no phone name.
   */
  readonly recordDir?: string;
  /** baresip quits by itself after this many seconds (default 60). */
  readonly lifetimeSeconds?: number;
  /** Log every SIP message (`-s`) into `logs()`. */
  readonly sipTrace?: boolean;
  /** Extra lines appended to the config file. */
  readonly extraConfig?: string;
}

/** One event from ctrl_tcp; `type` is baresip's name (CALL_INCOMING, CALL_ESTABLISHED, REGISTER_OK, ...). */
export interface BaresipEvent {
  readonly type: string;
  readonly class?: string;
  readonly param?: string;
  readonly accountaor?: string;
  readonly direction?: 'incoming' | 'outgoing';
  readonly peeruri?: string;
  /** baresip's id of the call. */
  readonly id?: string;
  /** Milliseconds since the phone started. */
  readonly at: number;
  readonly [key: string]: unknown;
}

/** The audio files of one finished call. */
export interface CallRecording {
  readonly callId: string;
  readonly peerUri: string;
  /** What this phone received and decoded (8 kHz 16-bit WAV). */
  readonly heard: string | undefined;
  /** What this phone sent (its source, before encoding). */
  readonly sent: string | undefined;
}

export interface Baresip {
  readonly name: string;
  readonly dir: string;
  readonly sipPort: number;
  readonly ctrlPort: number;
  readonly recordDir: string;
  /** `sip:<user>@<domain>` */
  readonly aor: string;
  /** Where other parties reach this phone directly: `sip:<user>@127.0.0.1:<sipPort>`. */
  readonly contactUri: string;
  readonly pid: number | undefined;
  /** Every event received so far. */
  readonly events: readonly BaresipEvent[];
  /** Runs a ctrl_tcp command; resolves with its `data`, rejects when baresip answers `ok: false`. */
  command(command: string, params?: string, timeoutMs?: number): Promise<string>;
  /** Places a call (`sip:...` URI, or a user part that baresip completes with the account's domain). */
  dial(uri: string): Promise<void>;
  /** Answers the ringing incoming call. */
  answer(): Promise<void>;
  /** Hangs up the current call (does nothing without one). */
  hangup(): Promise<void>;
  /** Sends RFC 4733 digits in the current call, one at a time, `gapMs` apart (default 250). */
  sendDtmf(digits: string, gapMs?: number): Promise<void>;
  /**
   * The first event of `type` (and matching `match`) not yet returned by an earlier `waitFor`, including
   * events that came before this call. Rejects after `timeoutMs` (default 5000) or if baresip exits.
   */
  waitFor(type: string, timeoutMs?: number, match?: (e: BaresipEvent) => boolean): Promise<BaresipEvent>;
  /** Resolves once the latest registration event is REGISTER_OK; rejects on REGISTER_FAIL or timeout. */
  registered(timeoutMs?: number): Promise<void>;
  /** Recordings of the calls closed so far, oldest first (waits, bounded, for files still being finished). */
  recordings(): Promise<CallRecording[]>;
  /** baresip's stdout and stderr so far. */
  logs(): string;
  /** Quits baresip (kills it if it does not quit in time) and removes the private dir. Safe to call twice. */
  stop(): Promise<void>;
}

const MODULE_DIRS = ['/usr/lib/baresip/modules', '/usr/lib/x86_64-linux-gnu/baresip/modules', '/usr/local/lib/baresip/modules'];
const MAX_LOG_CHARS = 256 * 1024;
const RECORDING_SETTLE_MS = 2000;

/** Every baresip this process started and has not reaped: killed if the test process exits first. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `p`'s value, or `undefined` after `ms`; the timer never outlives the wait. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Absolute path of `bin` on PATH, or undefined. */
export function findBinary(bin: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '/usr/bin:/bin').split(':')) {
    const p = path.join(dir || '.', bin);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not in this dir
    }
  }
  return undefined;
}

/** Writes an 8 kHz mono 16-bit WAV holding a sine. */
export function writeToneWav(file: string, tone: ToneSource): void {
  const rate = 8000;
  const w = WavWriter.open(file, { sampleRate: rate });
  try {
    w.append(sine(tone.toneHz, rate, Math.round(rate * (tone.seconds ?? 30)), tone.amplitude ?? 8000));
  } finally {
    w.close();
  }
}

/** A recording's samples (signed 16-bit) and rate. */
export function readRecording(file: string): { samples: Int16Array; sampleRate: number } {
  const wav = readWav(fs.readFileSync(file));
  return { samples: wav.samples, sampleRate: wav.sampleRate };
}

/** A port free on 127.0.0.1 for TCP and, with `udp`, for UDP too (baresip's SIP listens on both). */
export async function freePort(udp: boolean): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
    });
    let ok = true;
    if (udp) {
      const sock = dgram.createSocket('udp4');
      ok = await new Promise<boolean>((resolve) => {
        sock.once('error', () => resolve(false));
        sock.bind(port, '127.0.0.1', () => resolve(true));
      });
      sock.close();
    }
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (ok) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}

function checkSourceWav(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(4096);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    const info = parseWavHeader(head.subarray(0, n), fs.fstatSync(fd).size);
    if (info.sampleRate !== 8000 || info.encoding !== 'pcm16' || info.channels !== 1) {
      throw new Error(`baresip's aufile source needs 8 kHz mono 16-bit PCM: ${file} is ${info.encoding} ${info.sampleRate} Hz`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The account line for `uanew` (the same syntax as the `accounts` file). */
function accountLine(acc: BaresipAccount): string {
  for (const [k, v] of Object.entries({ user: acc.user, password: acc.password, authUser: acc.authUser, domain: acc.domain })) {
    if (v !== undefined && /[\s;<>"',]/.test(v)) throw new Error(`baresip account ${k} may not contain spaces or ; < > " ' ,`);
  }
  const uriParams = acc.transport ? `;transport=${acc.transport}` : '';
  const display = acc.displayName ? `"${acc.displayName.replace(/"/g, '')}" ` : '';
  const params = [
    `regint=${acc.register === true ? (acc.registerInterval ?? 60) : 0}`,
    `answermode=${acc.autoAnswer === true ? 'auto' : 'manual'}`,
    `audio_codecs=${(acc.codecs ?? ['pcmu', 'pcma']).join(',')}`,
    'ptime=20',
    'mwi=no',
    'pubint=0',
  ];
  if (acc.password !== undefined) params.push(`auth_pass=${acc.password}`);
  if (acc.authUser !== undefined) params.push(`auth_user=${acc.authUser}`);
  if (acc.outboundProxy !== undefined) params.push(`outbound="${acc.outboundProxy}"`);
  return `${display}<sip:${acc.user}@${acc.domain}${uriParams}>;${params.join(';')}`;
}

function configText(o: { sipPort: number; ctrlPort: number; source: string; recordDir: string; moduleDir: string; rtpBase: number; extra: string }): string {
  return `# Written by test/helpers/baresip.ts: headless, loopback only, no sound card, no STUN/ICE, no video.
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:${o.sipPort}
net_interface\t\t127.0.0.1
dns_server\t\t127.0.0.1:53
call_local_timeout\t30
call_max_calls\t\t4
audio_source\t\taufile,${o.source}
audio_player\t\taubridge,nil
audio_alert\t\taubridge,nil
ausrc_srate\t\t8000
auplay_srate\t\t8000
ausrc_channels\t\t1
auplay_channels\t\t1
audio_level\t\tno
rtp_ports\t\t${o.rtpBase}-${o.rtpBase + 199}
rtcp_mux\t\tno
jitter_buffer_delay\t1-5
rtp_stats\t\tno
module_path\t\t${o.moduleDir}
module\t\t\tg711.so
module\t\t\taufile.so
module\t\t\taubridge.so
module\t\t\tsndfile.so
module_app\t\tmenu.so
module_app\t\tctrl_tcp.so
ctrl_tcp_listen\t\t127.0.0.1:${o.ctrlPort}
snd_path\t\t${o.recordDir}
statmode_default\toff
ringback_disabled\tyes
menu_bell\t\tno
${o.extra}
`;
}

/** Starts a headless baresip and connects to its control port; the account is created and, if asked, registers. */
export async function startBaresip(options: BaresipOptions): Promise<Baresip> {
  const binary = findBinary('baresip');
  if (!binary) throw new Error('baresip is not installed: apt-get install baresip-core (.ci/run installs it)');
  const moduleDir = MODULE_DIRS.find((d) => fs.existsSync(path.join(d, 'ctrl_tcp.so')));
  if (!moduleDir) throw new Error(`baresip modules not found in ${MODULE_DIRS.join(', ')}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `baresip-${options.name.replace(/[^\w.-]/g, '_')}-`));
  const recordDir = options.recordDir ?? path.join(dir, 'recordings');
  fs.mkdirSync(recordDir, { recursive: true });
  let source: string;
  if (typeof options.audioSource === 'string') {
    source = path.resolve(options.audioSource);
    checkSourceWav(source);
  } else {
    source = path.join(dir, 'source.wav');
    writeToneWav(source, options.audioSource ?? { toneHz: 1000 });
  }
  if (source.includes(',') || recordDir.includes(',')) throw new Error('baresip paths may not contain commas');

  const sipPort = options.sipPort ?? (await freePort(true));
  const ctrlPort = await freePort(false);
  // Each phone draws its own 200-port block; a port someone else holds is skipped by baresip's retry.
  const rtpBase = 30000 + 200 * Math.floor(Math.random() * 50);
  fs.writeFileSync(
    path.join(dir, 'config'),
    configText({ sipPort, ctrlPort, source, recordDir, moduleDir, rtpBase, extra: options.extraConfig ?? '' }),
  );
  // Accounts come over ctrl_tcp (`uanew`, see the header); empty files keep baresip from writing templates.
  fs.writeFileSync(path.join(dir, 'accounts'), '');
  fs.writeFileSync(path.join(dir, 'contacts'), '');

  const started = Date.now();
  const args = ['-f', dir, '-t', String(options.lifetimeSeconds ?? 60)];
  if (options.sipTrace === true) args.push('-s');
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);

  let log = '';
  const appendLog = (chunk: Buffer) => {
    // baresip colours warnings with ANSI escapes even without a terminal.
    log += chunk.toString('utf8').replace(/\x1b\[[0-9;]*m/g, '');
    if (log.length > MAX_LOG_CHARS) log = log.slice(log.length - MAX_LOG_CHARS);
  };
  child.stdout!.on('data', appendLog);
  child.stderr!.on('data', appendLog);
  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `baresip ${options.name} exited (${signal ?? `code ${code}`})`;
      settleAll();
      resolve();
    });
    child.once('error', (err) => {
      exited = `baresip ${options.name} could not run: ${err.message}`;
      settleAll();
      resolve();
    });
  });

  const tail = (lines = 40) => log.split('\n').slice(-lines).join('\n');
  const failure = (what: string) =>
    new Error(`${what}\n--- events: ${events.map((e) => e.type).join(' ') || '(none)'}\n--- baresip ${options.name} log (tail):\n${tail()}`);

  // Events, waiters and command answers.
  const events: BaresipEvent[] = [];
  const consumed = new Set<BaresipEvent>();
  interface Waiter {
    check(): boolean;
    fail(err: Error): void;
  }
  const waiters = new Set<Waiter>();
  function settleAll(): void {
    for (const w of [...waiters]) {
      if (!w.check() && exited !== undefined) w.fail(failure(exited));
    }
  }
  function until<T>(what: string, timeoutMs: number, test: () => { done: true; value: T } | { done: false; error?: Error }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(w);
        reject(failure(`baresip ${options.name}: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const w: Waiter = {
        check: () => {
          const r = test();
          if (r.done) {
            clearTimeout(timer);
            waiters.delete(w);
            resolve(r.value);
            return true;
          }
          if (r.error) {
            w.fail(r.error);
            return true;
          }
          return false;
        },
        fail: (err) => {
          clearTimeout(timer);
          waiters.delete(w);
          reject(err);
        },
      };
      waiters.add(w);
      if (!w.check() && exited !== undefined) w.fail(failure(exited));
    });
  }

  const pending = new Map<string, { resolve(data: string): void; reject(err: Error): void }>();
  let tokenSeq = 0;
  let ctrl: net.Socket | undefined;
  let inbuf: Buffer = Buffer.alloc(0);

  // Call recordings: renamed once their call is closed (see the header).
  const calls: CallRecording[] = [];
  let finishing: Promise<void> = Promise.resolve();

  function onMessage(msg: Record<string, unknown>): void {
    if (msg['response'] === true) {
      const token = typeof msg['token'] === 'string' ? msg['token'] : '';
      const p = pending.get(token);
      if (!p) return;
      pending.delete(token);
      const data = typeof msg['data'] === 'string' ? msg['data'] : '';
      if (msg['ok'] === true) p.resolve(data);
      else p.reject(failure(`baresip ${options.name} refused the command: ${data}`));
      return;
    }
    if (msg['event'] === true && typeof msg['type'] === 'string') {
      const e = { ...msg, type: msg['type'], at: Date.now() - started } as BaresipEvent;
      events.push(e);
      if (e.type === 'CALL_CLOSED') collectRecordings(e.id ?? '', e.peeruri ?? '');
      for (const w of [...waiters]) w.check();
    }
  }

  function onData(chunk: Buffer): void {
    inbuf = inbuf.length ? Buffer.concat([inbuf, chunk]) : chunk;
    for (;;) {
      const colon = inbuf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(inbuf.toString('latin1', 0, colon));
      if (!Number.isInteger(len) || colon > 9) {
        appendLog(Buffer.from(`\n[harness] bad netstring from ctrl_tcp: ${inbuf.toString('latin1', 0, 40)}\n`));
        inbuf = Buffer.alloc(0);
        return;
      }
      if (inbuf.length < colon + 1 + len + 1) return;
      const body = inbuf.toString('utf8', colon + 1, colon + 1 + len);
      inbuf = inbuf.subarray(colon + 2 + len);
      if (len === 0) continue;
      try {
        onMessage(JSON.parse(body) as Record<string, unknown>);
      } catch {
        appendLog(Buffer.from(`\n[harness] unparsable ctrl_tcp message: ${body}\n`));
      }
    }
  }

  /**
   * Renames the closed call's dump files at once (an open file keeps being written through its descriptor),
   * so that the next call's `dump-<same second>` files cannot replace them; then waits, bounded, until
   * libsndfile has written their final sizes.
   */
  function collectRecordings(callId: string, peerUri: string): void {
    const n = String(calls.length + 1).padStart(2, '0');
    let heard: string | undefined;
    let sent: string | undefined;
    for (const f of fs.readdirSync(recordDir)) {
      const m = /^dump-.*-(enc|dec)\.wav$/.exec(f);
      if (!m) continue;
      const kind = m[1] === 'dec' ? 'heard' : 'sent';
      const to = path.join(recordDir, `${n}-${callId.replace(/[^\w.@-]/g, '_') || 'call'}-${kind}.wav`);
      fs.renameSync(path.join(recordDir, f), to);
      if (kind === 'heard') heard = to;
      else sent = to;
    }
    calls.push({ callId, peerUri, heard, sent });
    const files = [heard, sent].filter((f) => f !== undefined);
    finishing = finishing.then(async () => {
      const deadline = Date.now() + RECORDING_SETTLE_MS;
      while (Date.now() < deadline && !files.every(wavComplete)) await sleep(50);
    });
  }

  async function connect(): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      if (exited !== undefined) throw failure(exited);
      const sock = await new Promise<net.Socket | undefined>((resolve) => {
        const s = net.connect(ctrlPort, '127.0.0.1');
        s.once('connect', () => resolve(s));
        s.once('error', () => {
          s.destroy();
          resolve(undefined);
        });
      });
      if (sock) {
        ctrl = sock;
        sock.on('data', onData);
        sock.on('error', () => undefined);
        sock.on('close', () => {
          ctrl = undefined;
          for (const [, p] of pending) p.reject(failure(`baresip ${options.name}: control connection closed`));
          pending.clear();
        });
        return;
      }
      if (Date.now() > deadline) throw failure(`baresip ${options.name}: ctrl_tcp never listened on ${ctrlPort}`);
      await sleep(50);
    }
  }

  function command(cmd: string, params?: string, timeoutMs = 5000): Promise<string> {
    const sock = ctrl;
    if (!sock) return Promise.reject(failure(`baresip ${options.name}: not connected (${exited ?? 'control connection closed'})`));
    const token = `t${++tokenSeq}`;
    const body = Buffer.from(JSON.stringify(params === undefined ? { command: cmd, token } : { command: cmd, params, token }));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(token);
        reject(failure(`baresip ${options.name}: no answer to '${cmd}' within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(token, {
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      sock.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(',')]));
    });
  }

  let stopped: Promise<void> | undefined;
  async function stop(): Promise<void> {
    stopped ??= (async () => {
      if (exited === undefined) {
        // `quit` lets baresip send BYE / un-REGISTER; a peer that is gone must not hold the test up.
        if (ctrl) await command('quit', undefined, 1000).catch(() => undefined);
        if ((await within(exitPromise.then(() => true), 1500)) === undefined) {
          child.kill('SIGKILL');
          await within(exitPromise, 2000);
        }
      }
      ctrl?.destroy();
      await within(finishing, RECORDING_SETTLE_MS + 500);
      fs.rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  }

  const aor = `sip:${options.account.user}@${options.account.domain}`;
  try {
    await connect();
    await command('uanew', accountLine(options.account));
  } catch (err) {
    await stop();
    throw err;
  }

  const phone: Baresip = {
    name: options.name,
    dir,
    sipPort,
    ctrlPort,
    recordDir,
    aor,
    contactUri: `sip:${options.account.user}@127.0.0.1:${sipPort}`,
    pid: child.pid,
    get events() {
      return events.slice();
    },
    command,
    async dial(uri) {
      await command('dial', uri);
    },
    async answer() {
      await command('accept');
    },
    async hangup() {
      await command('hangup');
    },
    async sendDtmf(digits, gapMs = 250) {
      for (const d of digits) {
        if (!/^[0-9*#A-Da-d]$/.test(d)) throw new Error(`not a DTMF digit: ${JSON.stringify(d)}`);
        await command('sndcode', d.toUpperCase());
        await sleep(gapMs);
      }
    },
    waitFor(type, timeoutMs = 5000, match) {
      return until(type, timeoutMs, () => {
        const e = events.find((x) => x.type === type && !consumed.has(x) && (match === undefined || match(x)));
        if (!e) return { done: false };
        consumed.add(e);
        return { done: true, value: e };
      });
    },
    registered(timeoutMs = 5000) {
      return until('REGISTER_OK', timeoutMs, () => {
        const last = events.findLast((x) => x.type === 'REGISTER_OK' || x.type === 'REGISTER_FAIL');
        if (last?.type === 'REGISTER_OK') return { done: true, value: undefined };
        if (last?.type === 'REGISTER_FAIL') return { done: false, error: failure(`baresip ${options.name}: registration failed: ${last.param ?? ''}`) };
        return { done: false };
      });
    },
    async recordings() {
      await within(finishing, RECORDING_SETTLE_MS + 500);
      return calls.slice();
    },
    logs: () => log,
    stop,
  };
  return phone;
}

/** True when the WAV header's sizes account for every byte of the file (libsndfile has closed it). */
function wavComplete(file: string): boolean {
  try {
    const buf = fs.readFileSync(file);
    const info = parseWavHeader(buf, buf.length);
    return info.dataOffset + info.declaredDataLength === buf.length;
  } catch {
    return false;
  }
}
