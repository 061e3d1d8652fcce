/**
 * Where RTP sessions run. Drivers ask an `RtpService` for an `RtpChannel` and never learn which thread does the
 * per-packet work:
 *
 * - `InThreadRtp`: the session lives in this thread and follows the media host through its port (a tap on `out`
 *   and `write`s) — the simple arrangement, used by tests and with `rtpworkers=0`.
 * - `RtpPool`: sessions live in worker threads (rtp-worker.ts), spread over them by load, and exchange audio with
 *   the host through shared memory (engine/exchange.ts). The pool starts a worker only when a session needs it, so
 *   a server without calls has no RTP threads.
 *
 * A channel's setters apply in order (messages are ordered); `stats()` and `close()` answer when the worker has.
 * If a worker dies, its sessions go silent and their requests fail; the pool logs it and starts a fresh worker for
 * the next session.
 */

import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { newControl, newPage, SLOTS_PER_PAGE, ExchangeSlot } from '../engine/exchange.ts';
import type { MediaPort } from '../engine/port.ts';
import type { DtmfEvent } from './rfc4733.ts';
import type { RtpWireOptions, RtpWorkerData, RtpWorkerReply, RtpWorkerRequest } from './rtp-worker.ts';
import { RtpSession, type RtpCodecChoice, type RtpCounters, type RtpDirection, type RtpRemote, type RtpSessionOptions, type RtpStatistics } from './session.ts';

/** What a driver holds for one call leg's RTP. */
export interface RtpChannel {
  readonly sessionId: string;
  readonly localAddress: string;
  readonly localPort: number;
  setRemote(remote: RtpRemote): void;
  setCodec(codec: RtpCodecChoice): void;
  setTelephoneEvent(payloadType: number | undefined): void;
  setDirection(direction: RtpDirection): void;
  /** Resolves once the digit's last packets are out. */
  sendDtmf(digit: string, durationMs?: number): Promise<void>;
  stats(): Promise<RtpStatistics>;
  counters(): Promise<RtpCounters>;
  /** Where audio goes now (symmetric RTP may have moved it from the SDP address). */
  sendingTo(): Promise<{ readonly address: string; readonly port: number } | undefined>;
  close(): Promise<void>;
}

/** Options of a channel: those of `RtpSession` without the port, which the service supplies. */
export type RtpChannelOptions = Omit<RtpSessionOptions, 'port'>;

export interface RtpService {
  open(options: RtpChannelOptions): Promise<RtpChannel>;
  /** Closes every channel and stops the workers. */
  close(): Promise<void>;
}

// -----------------------------------------------------------------------------------------------------------
// In this thread

class LocalRtpChannel implements RtpChannel {
  readonly #s: RtpSession;
  constructor(session: RtpSession) {
    this.#s = session;
  }
  get sessionId(): string {
    return this.#s.sessionId;
  }
  get localAddress(): string {
    return this.#s.localAddress;
  }
  get localPort(): number {
    return this.#s.localPort;
  }
  setRemote(remote: RtpRemote): void {
    this.#s.setRemote(remote);
  }
  setCodec(codec: RtpCodecChoice): void {
    this.#s.setCodec(codec);
  }
  setTelephoneEvent(payloadType: number | undefined): void {
    this.#s.setTelephoneEvent(payloadType);
  }
  setDirection(direction: RtpDirection): void {
    this.#s.setDirection(direction);
  }
  sendDtmf(digit: string, durationMs?: number): Promise<void> {
    return this.#s.sendDtmf(digit, durationMs);
  }
  stats(): Promise<RtpStatistics> {
    return Promise.resolve(this.#s.stats());
  }
  counters(): Promise<RtpCounters> {
    return Promise.resolve(this.#s.counters);
  }
  sendingTo(): Promise<{ readonly address: string; readonly port: number } | undefined> {
    return Promise.resolve(this.#s.sendingTo);
  }
  close(): Promise<void> {
    return this.#s.close();
  }
}

export class InThreadRtp implements RtpService {
  readonly #port: MediaPort;
  readonly #open = new Set<RtpChannel>();

  constructor(port: MediaPort) {
    this.#port = port;
  }

  async open(options: RtpChannelOptions): Promise<RtpChannel> {
    const channel = new LocalRtpChannel(await RtpSession.open({ ...options, port: this.#port }));
    this.#open.add(channel);
    const close = channel.close.bind(channel);
    channel.close = async () => {
      this.#open.delete(channel);
      await close();
    };
    return channel;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#open].map((c) => c.close()));
  }
}

// -----------------------------------------------------------------------------------------------------------
// In workers

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './rtp-worker.ts' : './rtp-worker.js', import.meta.url);

/** How many RTP workers by default: one per core (the main thread is mostly idle once calls are up). */
export function defaultRtpWorkers(): number {
  return Math.max(1, Math.min(8, os.availableParallelism()));
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

class RtpWorker {
  readonly worker: Worker;
  readonly control = newControl();
  readonly pages: SharedArrayBuffer[] = [];
  readonly free: Array<{ page: number; slot: number }> = [];
  readonly pending = new Map<number, Pending>();
  readonly dtmf = new Map<number, (e: DtmfEvent) => void>();
  sessions = 0;
  dead = false;
  #nextReq = 1;

  constructor(onGone: (w: RtpWorker, why: string) => void, onError: (message: string) => void) {
    this.worker = new Worker(WORKER_URL, { workerData: { control: this.control } satisfies RtpWorkerData });
    this.worker.unref();
    this.worker.on('message', (m: RtpWorkerReply) => {
      if (m.op === 'reply') {
        const p = this.pending.get(m.req);
        if (!p) return;
        this.pending.delete(m.req);
        if (m.error !== undefined) p.reject(new Error(m.error));
        else p.resolve(m.value);
      } else if (m.op === 'dtmf-event') this.dtmf.get(m.id)?.(m.event);
      else onError(m.message);
    });
    const gone = (why: string): void => {
      if (this.dead) return;
      this.dead = true;
      for (const p of this.pending.values()) p.reject(new Error(`RTP worker stopped: ${why}`));
      this.pending.clear();
      onGone(this, why);
    };
    this.worker.on('error', (err) => gone(err.message));
    this.worker.on('exit', (code) => gone(`exit ${code}`));
  }

  post(m: RtpWorkerRequest): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  request<T>(make: (req: number) => RtpWorkerRequest): Promise<T> {
    if (this.dead) return Promise.reject(new Error('RTP worker stopped'));
    const req = this.#nextReq++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(make(req));
    });
  }

  /** A free slot, adding a page when all are taken. */
  takeSlot(): { page: number; slot: number; buffer: SharedArrayBuffer } {
    let s = this.free.pop();
    if (!s) {
      const index = this.pages.length;
      const page = newPage();
      this.pages.push(page);
      this.post({ op: 'page', index, page });
      for (let i = SLOTS_PER_PAGE - 1; i > 0; i--) this.free.push({ page: index, slot: i });
      s = { page: index, slot: 0 };
    }
    const buffer = this.pages[s.page]!;
    new ExchangeSlot(buffer, s.slot).reset();
    return { ...s, buffer };
  }
}

let nextChannel = 1;

class WorkerRtpChannel implements RtpChannel {
  readonly sessionId: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly #w: RtpWorker;
  readonly #id: number;
  readonly #release: () => void;
  #closing: Promise<void> | undefined;

  constructor(w: RtpWorker, id: number, sessionId: string, local: { localAddress: string; localPort: number }, release: () => void) {
    this.#w = w;
    this.#id = id;
    this.sessionId = sessionId;
    this.localAddress = local.localAddress;
    this.localPort = local.localPort;
    this.#release = release;
  }

  setRemote(remote: RtpRemote): void {
    this.#w.post({ op: 'remote', id: this.#id, remote: { ...remote } });
  }
  setCodec(codec: RtpCodecChoice): void {
    this.#w.post({ op: 'codec', id: this.#id, codec: { name: codec.name, payloadType: codec.payloadType } });
  }
  setTelephoneEvent(payloadType: number | undefined): void {
    this.#w.post({ op: 'telephone-event', id: this.#id, payloadType });
  }
  setDirection(direction: RtpDirection): void {
    if (direction !== 'sendrecv' && direction !== 'sendonly' && direction !== 'recvonly' && direction !== 'inactive') {
      throw new TypeError(`Bad RTP direction '${String(direction)}'`);
    }
    this.#w.post({ op: 'direction', id: this.#id, direction });
  }
  sendDtmf(digit: string, durationMs = 100): Promise<void> {
    if (this.#closing) return Promise.resolve();
    return this.#w.request((req) => ({ op: 'dtmf', req, id: this.#id, digit, durationMs }));
  }
  async stats(): Promise<RtpStatistics> {
    return (await this.#inspect()).stats;
  }
  async counters(): Promise<RtpCounters> {
    return (await this.#inspect()).counters;
  }
  async sendingTo(): Promise<{ readonly address: string; readonly port: number } | undefined> {
    return (await this.#inspect()).sendingTo;
  }
  #inspect(): Promise<{ stats: RtpStatistics; counters: RtpCounters; sendingTo?: { address: string; port: number } }> {
    return this.#w.request((req) => ({ op: 'stats', req, id: this.#id }));
  }
  close(): Promise<void> {
    this.#closing ??= this.#w
      .request<void>((req) => ({ op: 'close', req, id: this.#id }))
      .catch(() => undefined)
      .finally(this.#release);
    return this.#closing;
  }
}

export interface RtpPoolOptions {
  readonly port: MediaPort;
  /** Worker threads at most (default: one per core). */
  readonly workers?: number;
  readonly onError?: (message: string) => void;
}

export class RtpPool implements RtpService {
  readonly #port: MediaPort;
  readonly #max: number;
  readonly #onError: (message: string) => void;
  readonly #workers: RtpWorker[] = [];
  readonly #open = new Set<RtpChannel>();
  #closed = false;

  constructor(options: RtpPoolOptions) {
    this.#port = options.port;
    this.#max = Math.max(1, options.workers ?? defaultRtpWorkers());
    this.#onError = options.onError ?? (() => undefined);
  }

  /** Workers running now (for the console and tests). */
  get workers(): number {
    return this.#workers.length;
  }

  async open(options: RtpChannelOptions): Promise<RtpChannel> {
    if (this.#closed) throw new Error('The RTP pool is closed');
    const w = this.#pick();
    const { page, slot, buffer } = w.takeSlot();
    const id = nextChannel++;
    w.sessions++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      w.sessions--;
      w.dtmf.delete(id);
      if (!w.dead) w.free.push({ page, slot });
    };
    const { onDtmf, ...rest } = options;
    if (onDtmf) w.dtmf.set(id, onDtmf);
    let local: { localAddress: string; localPort: number };
    try {
      local = await w.request((req) => ({ op: 'open', req, id, options: wireOptions(rest), page, slot }));
    } catch (err) {
      release();
      throw err;
    }
    const channel = new WorkerRtpChannel(w, id, options.sessionId, local, () => {
      // The host stops using the slot first (a detached session has let go already: that error is harmless).
      this.#port.send({ type: 'exchange', sessionId: options.sessionId });
      this.#open.delete(channel);
      release();
    });
    this.#open.add(channel);
    this.#port.send({ type: 'exchange', sessionId: options.sessionId, control: w.control, page: buffer, slot });
    return channel;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#open].map((c) => c.close()));
    await Promise.all(
      this.#workers.map(async (w) => {
        w.post({ op: 'exit' });
        const timer = setTimeout(() => void w.worker.terminate(), 2000);
        if (!w.dead) await new Promise((resolve) => w.worker.once('exit', resolve));
        clearTimeout(timer);
      }),
    );
    this.#workers.length = 0;
  }

  /** The least loaded worker; a new one while there are fewer than allowed and every one has sessions. */
  #pick(): RtpWorker {
    let best: RtpWorker | undefined;
    for (const w of this.#workers) if (!best || w.sessions < best.sessions) best = w;
    if (best && (best.sessions === 0 || this.#workers.length >= this.#max)) return best;
    const w = new RtpWorker(
      (gone, why) => {
        const i = this.#workers.indexOf(gone);
        if (i >= 0) this.#workers.splice(i, 1);
        if (!this.#closed) this.#onError(`RTP worker stopped (${why}); its calls have no audio`);
      },
      (message) => this.#onError(`RTP: ${message}`),
    );
    this.#workers.push(w);
    return w;
  }
}

/** Only plain data crosses to the worker. */
function wireOptions(o: Omit<RtpChannelOptions, 'onDtmf'>): RtpWireOptions {
  return JSON.parse(JSON.stringify(o)) as RtpWireOptions;
}
