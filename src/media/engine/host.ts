/**
 * The media host: the far end of the MediaSession port. It takes `MediaCommand`s, owns everything media (sessions,
 * Local links, bridge mixers, playbacks, recordings) and reports through `MediaNotification`s. The same class
 * runs in the main thread (`LocalMediaPort`) and inside a worker (`worker.ts`); it never learns which.
 *
 * Every tick of its clock runs three phases, each over all objects, so that the result does not depend on the
 * order in which they were created:
 *   1. `in`: each session gathers what its channel says (driver frame, simulated talker, Local peer); taps,
 *      recordings and analyzers of `in` see it.
 *   2. mix: each bridge reads its playbacks, mixes its members and feeds its recordings.
 *   3. `out`: each session produces what its channel hears (playbacks, else its bridge's mix); its Local peer
 *      gets it for the next tick, taps, recordings and analyzers of `out` see it. Then snoops hand over this
 *      tick's audio (snoop.ts), for the next tick too.
 *
 * Ownership: the host owns all; closing a session ends its playbacks and recordings and takes it out of its
 * bridge and link; destroying a bridge ends its playbacks and recordings and releases its members. Each end is
 * reported once. Commands that arrive during a tick (a listener reacting synchronously) wait until it is over.
 * Nothing a message contains can throw out of `handle`: a bad command becomes an `error` notification.
 */

import { AriadneError, type ErrorCode } from '../../shared/errors.ts';
import { STANDARD_ANALYZERS, type AnalyzerFactory } from './analyzers.ts';
import { MediaClock, type TickInfo } from './clock.ts';
import { isSampleRate, samplesPerFrame, type AudioFrame, type SampleRate } from './frame.ts';
import { LocalPair } from './local-pair.ts';
import { Mixer } from './mixer.ts';
import { Playback, PlaybackSet, type PlaybackObserver } from './playback.ts';
import type { BridgeKind, Direction, HostStats, MediaCommand, MediaNotification, MediaTarget, RecordingEndReason, SourceSpec } from './protocol.ts';
import { Snoop } from './snoop.ts';
import { Recording } from './recording.ts';
import { Session, type FrameAnalyzer } from './session.ts';
import { BufferSink, type AudioSink } from './sink.ts';
import { describeFsError, FileSink } from './file-sink.ts';
import { controlId, ExchangeSlot, signalTick } from './exchange.ts';
import { createSource } from './source.ts';

export interface LocalMediaHostOptions {
  /** Receives every notification, synchronously, in order. */
  readonly emit: (notification: MediaNotification) => void;
  /**
   * The clock that drives ticks; it runs while the host has sessions or bridges. `'manual'`: ticks only happen
   * through `tick()` or the `tick` command (tests, benchmarks). Default: a new `MediaClock`.
   */
  readonly clock?: MediaClock | 'manual';
  /** Analyzers sessions can turn on by name (`analyze` command). Default: `dtmf`, `talk`, `tone` (analyzers.ts). */
  readonly analyzers?: Readonly<Record<string, AnalyzerFactory>>;
  /** Called after every tick with the clock's info (absent for manual ticks) and how long the work took (ms). */
  readonly onTick?: (tick: TickInfo | undefined, workMs: number) => void;
}

/** The media of a bridge. */
export class BridgeMedia {
  readonly id: string;
  readonly mixer: Mixer;
  readonly playbacks = new PlaybackSet();
  readonly recordings = new Set<Recording>();
  #extra = new Int16Array(samplesPerFrame(8000));

  constructor(id: string, kind: BridgeKind) {
    this.id = id;
    this.mixer = new Mixer({ kind });
  }

  setEntertainment(spec: SourceSpec | null | undefined): void {
    if (!spec) return this.mixer.setEntertainment(undefined);
    createSource(spec); // fails now, not on the first tick
    this.mixer.setEntertainment(() => createSource(spec));
  }

  /** Phase 2. */
  mix(): void {
    const rate = this.mixer.rate;
    let extras: Int16Array[] | undefined;
    if (this.playbacks.size > 0) {
      if (this.#extra.length !== samplesPerFrame(rate)) this.#extra = new Int16Array(samplesPerFrame(rate));
      if (this.playbacks.read(this.#extra, rate)) extras = [this.#extra];
    }
    this.mixer.mix(extras);
  }
}

const ZERO_STATS = { ticks: 0, droppedFrames: 0, lastTickMs: 0, maxTickMs: 0 };

export class LocalMediaHost {
  readonly #emit: (n: MediaNotification) => void;
  readonly #clock: MediaClock | undefined;
  readonly #analyzers: Readonly<Record<string, AnalyzerFactory>>;
  readonly #onTick: ((tick: TickInfo | undefined, workMs: number) => void) | undefined;
  readonly #sessions = new Map<string, Session>();
  readonly #bridges = new Map<string, BridgeMedia>();
  readonly #links = new Map<string, LocalPair>();
  readonly #snoops = new Map<string, Snoop>();
  readonly #playbacks = new Map<string, Playback>();
  readonly #recordings = new Map<string, Recording>();
  readonly #observer: PlaybackObserver;
  #ticking = false;
  #deferred: unknown[] = [];
  #closed = false;
  /** RTP workers' tick counters, with how many sessions use each (exchange.ts). */
  readonly #exchanges = new Map<number, { readonly view: Int32Array; users: number }>();
  #stats = { ...ZERO_STATS };
  #dropped = 0;

  constructor(options: LocalMediaHostOptions) {
    this.#emit = options.emit;
    this.#clock = options.clock === 'manual' ? undefined : (options.clock ?? new MediaClock());
    this.#analyzers = options.analyzers ?? STANDARD_ANALYZERS;
    this.#onTick = options.onTick;
    this.#observer = {
      started: (pb, index, durationMs) =>
        this.#emit({ type: 'playback-started', playbackId: pb.id, index, ...(durationMs !== undefined ? { durationMs } : {}) }),
      sourceFinished: (pb, index, reason, positionMs) => this.#emit({ type: 'source-finished', playbackId: pb.id, index, reason, positionMs }),
      finished: (pb, reason, message) => {
        this.#playbacks.delete(pb.id);
        this.#emit({ type: 'playback-finished', playbackId: pb.id, reason, ...(message !== undefined ? { message } : {}) });
      },
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** In-thread access for the engine's own users and tests; across a port only messages exist. */
  session(id: string): Session | undefined {
    return this.#sessions.get(id);
  }

  bridge(id: string): BridgeMedia | undefined {
    return this.#bridges.get(id);
  }

  stats(): HostStats {
    return {
      sessions: this.#sessions.size,
      bridges: this.#bridges.size,
      links: this.#links.size,
      playbacks: this.#playbacks.size,
      recordings: this.#recordings.size,
      ticks: this.#stats.ticks,
      droppedFrames: this.#dropped,
      lastTickMs: this.#stats.lastTickMs,
      maxTickMs: this.#stats.maxTickMs,
      ...(this.#clock ? { clock: this.#clock.stats } : {}),
    };
  }

  /** Applies one command (possibly malformed: it comes off a port). Never throws. */
  handle(command: unknown): void {
    if (this.#ticking) {
      this.#deferred.push(command);
      return;
    }
    this.#apply(command);
  }

  /** Runs one tick now (manual clock, or called by the clock). */
  tick(info?: TickInfo): void {
    if (this.#closed || this.#ticking) return;
    const t0 = performance.now();
    this.#ticking = true;
    try {
      this.#runTick(info?.skipped ?? 0);
    } finally {
      this.#ticking = false;
    }
    const workMs = performance.now() - t0;
    this.#stats.ticks++;
    this.#stats.lastTickMs = workMs;
    if (workMs > this.#stats.maxTickMs) this.#stats.maxTickMs = workMs;
    this.#onTick?.(info, workMs);
    if (this.#deferred.length) {
      const deferred = this.#deferred;
      this.#deferred = [];
      for (const c of deferred) this.handle(c);
    }
  }

  /** Ends everything (each end reported) and stops the clock; then `closed`. Runs once. */
  close(): void {
    if (this.#closed) return;
    for (const id of [...this.#bridges.keys()]) this.#destroyBridge(id);
    for (const id of [...this.#sessions.keys()]) this.#detach(id);
    this.#clock?.stop();
    this.#closed = true;
    this.#emit({ type: 'closed' });
  }

  // -------------------------------------------------------------------------------------------------------
  // The tick

  #runTick(skipped: number): void {
    const sessions = this.#sessions;
    if (skipped > 0) for (const s of sessions.values()) s.advance(skipped);
    // 1. in
    for (const s of sessions.values()) {
      s.gatherIn();
      if (s.tapIn) this.#emitFrame(s, 'in', s.inFrame, s.inTimestamp, s.inSeq);
      if (s.recordings.in.size) this.#record(s.recordings.in, s.inFrame, s.rate, s.inActive);
      // Analyzers see silence too: talk detection ends on it, and a digit cut short by a pause still ends.
      if (s.analyzers.size) this.#analyze(s, 'in', s.analyzers, s.inFrame);
    }
    // 2. mix
    for (const b of this.#bridges.values()) {
      b.mix();
      if (b.recordings.size) this.#record(b.recordings, b.mixer.mixed, b.mixer.rate, b.mixer.mixedActive);
    }
    // 3. out
    for (const s of sessions.values()) {
      s.produceOut();
      s.link?.carry(s);
      if (s.tapOut) this.#emitFrame(s, 'out', s.outFrame, s.outTimestamp, s.outSeq);
      if (s.exchange) s.exchange.writeOut(s.outFrame, s.rate, s.outTimestamp);
      if (s.recordings.out.size) this.#record(s.recordings.out, s.outFrame, s.rate, s.outActive);
      if (s.analyzersOut.size) this.#analyze(s, 'out', s.analyzersOut, s.outFrame);
      s.advance(1);
    }
    // Snoops hand over this tick's audio once every session has made both sides (see snoop.ts).
    for (const snoop of this.#snoops.values()) snoop.carry();
    // The RTP workers take this tick's frames now.
    for (const x of this.#exchanges.values()) signalTick(x.view);
  }

  #emitFrame(s: Session, direction: Direction, samples: Int16Array, timestamp: number, seq: number): void {
    this.#emit({ type: 'frame', sessionId: s.id, direction, frame: { samples: samples.slice(), rate: s.rate, timestamp, seq } });
  }

  #record(recordings: Set<Recording>, samples: Int16Array, rate: SampleRate, active: boolean): void {
    let over: [Recording, RecordingEndReason][] | undefined;
    for (const r of recordings) {
      r.write(samples, rate, active);
      const reason = r.sink.failure !== undefined ? 'failed' : r.full ? 'max-duration' : r.silenceExceeded ? 'silence' : undefined;
      if (reason) (over ??= []).push([r, reason]);
    }
    if (over) for (const [r, reason] of over) this.#endRecording(r, reason);
  }

  #analyze(s: Session, direction: Direction, analyzers: Map<string, FrameAnalyzer>, frame: Int16Array): void {
    for (const analyzer of analyzers.values()) {
      const events = analyzer.analyze(frame, s.rate);
      if (!events) continue;
      for (const e of events) {
        if (e.type === 'dtmf') this.#emit({ type: 'dtmf', sessionId: s.id, digit: e.digit, durationMs: e.durationMs });
        else if (e.type === 'talk') this.#emit({ type: 'talk', sessionId: s.id, talking: e.talking, ...(e.durationMs !== undefined ? { durationMs: e.durationMs } : {}) });
        else this.#emit({ type: 'tone', sessionId: s.id, direction, frequency: e.frequency });
      }
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Commands

  #apply(raw: unknown): void {
    const type = typeof raw === 'object' && raw !== null && typeof (raw as { type?: unknown }).type === 'string' ? (raw as { type: string }).type : '?';
    if (this.#closed) {
      if (type !== 'close') this.#error(type, 'ERR_INVALID_STATE', 'The media host is closed');
      return;
    }
    try {
      this.#dispatch(raw as MediaCommand);
    } catch (err) {
      if (err instanceof AriadneError) this.#error(type, err.code, err.message);
      else this.#error(type, 'ERR_INVALID_PARAMETER', err instanceof Error ? err.message : String(err));
    }
  }

  #dispatch(c: MediaCommand): void {
    switch (c.type) {
      case 'attach': {
        const id = str(c.sessionId, 'sessionId');
        if (this.#sessions.has(id)) throw new AriadneError('ERR_CONFLICT', `Session '${id}' exists`);
        if (!isSampleRate(c.rate)) throw new TypeError(`Unsupported rate ${String(c.rate)}`);
        const s = new Session(id, c.rate);
        if (c.input) s.setInput(createSource(c.input));
        this.#sessions.set(id, s);
        this.#updateClock();
        return;
      }
      case 'detach':
        this.#sessionOf(c.sessionId);
        this.#detach(c.sessionId);
        this.#updateClock();
        return;
      case 'write': {
        const s = this.#sessionOf(c.sessionId);
        const f = c.frame as AudioFrame | undefined;
        if (!f || !isSampleRate(f.rate)) throw new TypeError('write needs a frame at 8000 or 16000 Hz');
        const before = s.droppedFrames;
        s.write(f);
        this.#dropped += s.droppedFrames - before;
        return;
      }
      case 'tap': {
        const s = this.#sessionOf(c.sessionId);
        if (c.direction === 'in') s.tapIn = !!c.enabled;
        else if (c.direction === 'out') s.tapOut = !!c.enabled;
        else throw new TypeError(`Bad direction '${String(c.direction)}'`);
        return;
      }
      case 'exchange': {
        const s = this.#sessionOf(c.sessionId);
        this.#unexchange(s);
        if (c.page === undefined) return;
        if (!(c.page instanceof SharedArrayBuffer) || !(c.control instanceof SharedArrayBuffer)) throw new TypeError('exchange needs shared page and control buffers');
        s.exchange = new ExchangeSlot(c.page, Number(c.slot));
        // Keyed by the id inside the buffer: a buffer posted to a worker host arrives as a new object each time.
        const key = controlId(c.control);
        let x = this.#exchanges.get(key);
        if (!x) this.#exchanges.set(key, (x = { view: new Int32Array(c.control), users: 0 }));
        x.users++;
        s.exchangeControl = x.view;
        return;
      }
      case 'mute': {
        const s = this.#sessionOf(c.sessionId);
        if (c.direction !== 'in' && c.direction !== 'out' && c.direction !== 'both') throw new TypeError(`Bad direction '${String(c.direction)}'`);
        if (c.direction !== 'out') s.muteIn = !!c.muted;
        if (c.direction !== 'in') s.muteOut = !!c.muted;
        return;
      }
      case 'link': {
        const id = str(c.linkId, 'linkId');
        if (this.#links.has(id)) throw new AriadneError('ERR_CONFLICT', `Link '${id}' exists`);
        const a = this.#sessionOf(c.a);
        const b = this.#sessionOf(c.b);
        if (a.link || b.link) throw new AriadneError('ERR_CONFLICT', 'A session is already linked');
        this.#links.set(id, new LocalPair(id, a, b));
        return;
      }
      case 'unlink': {
        const link = this.#links.get(c.linkId);
        if (!link) throw new AriadneError('ERR_NOT_FOUND', `No link '${c.linkId}'`);
        link.close();
        this.#links.delete(c.linkId);
        return;
      }
      case 'bridge-create': {
        const id = str(c.bridgeId, 'bridgeId');
        if (this.#bridges.has(id)) throw new AriadneError('ERR_CONFLICT', `Bridge '${id}' exists`);
        if (c.kind !== 'mixing' && c.kind !== 'holding') throw new TypeError(`Bad bridge kind '${String(c.kind)}'`);
        const b = new BridgeMedia(id, c.kind);
        b.setEntertainment(c.entertainment);
        this.#bridges.set(id, b);
        this.#updateClock();
        return;
      }
      case 'bridge-destroy':
        this.#bridgeOf(c.bridgeId);
        this.#destroyBridge(c.bridgeId);
        this.#updateClock();
        return;
      case 'bridge-join': {
        const b = this.#bridgeOf(c.bridgeId);
        const s = this.#sessionOf(c.sessionId);
        if (c.role !== undefined && c.role !== 'participant' && c.role !== 'announcer') throw new TypeError(`Bad role '${String(c.role)}'`);
        if (s.bridgeId !== undefined && s.bridgeId !== b.id) this.#leaveBridge(s);
        s.participant = b.mixer.join(s.id, {
          rate: s.rate,
          ...(c.role !== undefined ? { role: c.role } : {}),
          ...(c.muteIn !== undefined ? { muteIn: !!c.muteIn } : {}),
          ...(c.muteOut !== undefined ? { muteOut: !!c.muteOut } : {}),
        });
        s.bridgeId = b.id;
        return;
      }
      case 'bridge-leave': {
        this.#bridgeOf(c.bridgeId);
        const s = this.#sessionOf(c.sessionId);
        if (s.bridgeId !== c.bridgeId) throw new AriadneError('ERR_NOT_FOUND', `Session '${s.id}' is not in bridge '${c.bridgeId}'`);
        this.#leaveBridge(s);
        return;
      }
      case 'bridge-entertainment':
        this.#bridgeOf(c.bridgeId).setEntertainment(c.source);
        return;
      case 'play': {
        const id = str(c.playbackId, 'playbackId');
        if (this.#playbacks.has(id)) throw new AriadneError('ERR_CONFLICT', `Playback '${id}' exists`);
        if (!Array.isArray(c.sources) || c.sources.length === 0) throw new TypeError('play needs at least one source');
        const set = this.#targetOf(c.target).playbacks;
        const queue = set.queue(c.queue === undefined ? 'default' : str(c.queue, 'queue'));
        const pb = new Playback(id, c.sources, queue, this.#observer);
        this.#playbacks.set(id, pb);
        queue.add(pb);
        return;
      }
      case 'stop':
        this.#playbackOf(c.playbackId).end('stopped');
        return;
      case 'playback-control': {
        const pb = this.#playbackOf(c.playbackId);
        if (!pb.control(c.operation, c.skipMs)) {
          throw new AriadneError('ERR_INVALID_STATE', `Playback '${pb.id}' cannot ${String(c.operation)} now`);
        }
        return;
      }
      case 'record': {
        const id = str(c.recordingId, 'recordingId');
        if (this.#recordings.has(id)) throw new AriadneError('ERR_CONFLICT', `Recording '${id}' exists`);
        // From here on the recording has an id its owner waits on: failures end it instead of `error`.
        let rec: Recording;
        let target: Session | BridgeMedia;
        try {
          const direction = c.direction ?? 'in';
          if (direction !== 'in' && direction !== 'out') throw new TypeError(`Bad direction '${String(direction)}'`);
          target = this.#targetOf(c.target);
          const sink = this.#sinkOf(c.sink, target instanceof Session ? target.rate : target.mixer.rate);
          rec = new Recording(id, c.target, direction, sink, {
            ...(typeof c.maxSilenceMs === 'number' ? { maxSilenceMs: c.maxSilenceMs } : {}),
            ...(typeof c.silenceThreshold === 'number' ? { silenceThreshold: c.silenceThreshold } : {}),
          });
        } catch (err) {
          const message = err instanceof TypeError || err instanceof AriadneError ? err.message : describeFsError(err);
          this.#emit({ type: 'recording-finished', recordingId: id, reason: 'failed', durationMs: 0, talkingMs: 0, silenceMs: 0, rate: 8000, message });
          return;
        }
        this.#recordings.set(id, rec);
        (target instanceof Session ? target.recordings[rec.direction] : target.recordings).add(rec);
        this.#emit({ type: 'recording-started', recordingId: id, rate: rec.sink.rate });
        return;
      }
      case 'record-stop':
        this.#endRecording(this.#recordingOf(c.recordingId), c.discard ? 'discarded' : 'stopped');
        return;
      case 'record-control': {
        const rec = this.#recordingOf(c.recordingId);
        switch (c.operation) {
          case 'pause':
          case 'unpause':
            rec.paused = c.operation === 'pause';
            return;
          case 'mute':
          case 'unmute':
            rec.muted = c.operation === 'mute';
            return;
          default:
            throw new TypeError(`Bad recording operation '${String((c as { operation?: unknown }).operation)}'`);
        }
      }
      case 'analyze': {
        const s = this.#sessionOf(c.sessionId);
        const name = str(c.analyzer, 'analyzer');
        const direction = c.direction ?? 'in';
        if (direction !== 'in' && direction !== 'out') throw new TypeError(`Bad direction '${String(direction)}'`);
        const analyzers = direction === 'in' ? s.analyzers : s.analyzersOut;
        if (!c.enabled) {
          analyzers.delete(name);
          return;
        }
        const factory = Object.hasOwn(this.#analyzers, name) ? this.#analyzers[name] : undefined;
        if (!factory) throw new AriadneError('ERR_NOT_FOUND', `No analyzer '${name}'`);
        // Turning an analyzer on again restarts it with its new options (TALK_DETECT(set) twice).
        analyzers.set(name, factory(c.options));
        return;
      }
      case 'snoop': {
        const id = str(c.snoopId, 'snoopId');
        if (this.#snoops.has(id)) throw new AriadneError('ERR_CONFLICT', `Snoop '${id}' exists`);
        const snooper = this.#sessionOf(c.sessionId);
        const target = this.#sessionOf(c.targetId);
        // The snooper's `in` side is fed by the snoop alone.
        if (snooper.link) throw new AriadneError('ERR_INVALID_STATE', `Session '${snooper.id}' is a Local half`);
        this.#snoops.set(id, new Snoop(id, snooper, target, c.spy, c.whisper));
        return;
      }
      case 'unsnoop': {
        const snoop = this.#snoops.get(str(c.snoopId, 'snoopId'));
        if (!snoop) throw new AriadneError('ERR_NOT_FOUND', `No snoop '${String(c.snoopId)}'`);
        snoop.close();
        this.#snoops.delete(snoop.id);
        return;
      }
      case 'echo':
        this.#sessionOf(c.sessionId).echo = !!c.enabled;
        return;
      case 'tick': {
        if (this.#clock) throw new AriadneError('ERR_INVALID_STATE', 'tick is only for a host with a manual clock');
        const count = c.count ?? 1;
        if (!Number.isInteger(count) || count < 0) throw new TypeError('tick count must be a whole number');
        for (let i = 0; i < count; i++) this.tick();
        return;
      }
      case 'ping':
        this.#emit({ type: 'pong', requestId: c.requestId, stats: this.stats() });
        return;
      case 'close':
        this.close();
        return;
      default:
        throw new TypeError(`Unknown command '${String((c as { type?: unknown }).type)}'`);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Ownership

  #detach(id: string): void {
    const s = this.#sessions.get(id);
    if (!s) return;
    s.playbacks.endAll('detached');
    for (const r of [...s.recordings.in, ...s.recordings.out]) this.#endRecording(r, 'detached');
    this.#leaveBridge(s);
    if (s.link) {
      this.#links.delete(s.link.id);
      s.link.close();
    }
    s.setInput(undefined);
    for (const snoop of [...this.#snoops.values()]) {
      if (snoop.snooper !== s && snoop.target !== s) continue;
      snoop.close();
      this.#snoops.delete(snoop.id);
    }
    for (const a of [...s.analyzers.values(), ...s.analyzersOut.values()]) a.reset?.();
    s.analyzers.clear();
    s.analyzersOut.clear();
    this.#unexchange(s);
    this.#sessions.delete(id);
  }

  /** Disconnects a session from its RTP worker's slot; a worker with no sessions left is no longer woken. */
  #unexchange(s: Session): void {
    const view = s.exchangeControl;
    s.exchange = undefined;
    s.exchangeControl = undefined;
    if (!view) return;
    const key = controlId(view.buffer as SharedArrayBuffer);
    const x = this.#exchanges.get(key);
    if (x && --x.users <= 0) this.#exchanges.delete(key);
  }

  #destroyBridge(id: string): void {
    const b = this.#bridges.get(id);
    if (!b) return;
    b.playbacks.endAll('detached');
    for (const r of [...b.recordings]) this.#endRecording(r, 'detached');
    for (const p of [...b.mixer.participants()]) {
      const s = this.#sessions.get(p.id);
      if (s) this.#leaveBridge(s);
    }
    this.#bridges.delete(id);
  }

  #leaveBridge(s: Session): void {
    if (s.bridgeId === undefined) return;
    this.#bridges.get(s.bridgeId)?.mixer.leave(s.id);
    s.participant = undefined;
    s.bridgeId = undefined;
  }

  #endRecording(r: Recording, reason: RecordingEndReason): void {
    if (!r.end(reason)) return;
    this.#recordings.delete(r.id);
    const t = r.target.type === 'session' ? this.#sessions.get(r.target.id)?.recordings[r.direction] : this.#bridges.get(r.target.id)?.recordings;
    t?.delete(r);
    const sink = r.sink;
    // Writing the held-back silence while ending can fail too.
    const failure = reason !== 'discarded' ? sink.failure : undefined;
    const durationMs = sink.durationMs;
    const talkingMs = r.talkingMs;
    this.#emit({
      type: 'recording-finished',
      recordingId: r.id,
      reason: failure !== undefined ? 'failed' : reason,
      durationMs,
      talkingMs,
      silenceMs: Math.max(0, durationMs - talkingMs),
      rate: sink.rate,
      ...(reason !== 'discarded' && sink instanceof BufferSink ? { samples: sink.samples() } : {}),
      ...(failure !== undefined ? { message: failure } : {}),
    });
  }

  /** Builds the sink a `record` command describes; `rate` is the target's, for a buffer without one. */
  #sinkOf(spec: unknown, rate: SampleRate): AudioSink {
    const s = spec as { type?: unknown; rate?: unknown; maxDurationMs?: unknown } | undefined;
    const maxDurationMs = typeof s?.maxDurationMs === 'number' ? { maxDurationMs: s.maxDurationMs } : {};
    if (s?.type === 'buffer') {
      const r = s.rate ?? rate;
      if (!isSampleRate(r)) throw new TypeError(`Unsupported rate ${String(r)}`);
      return new BufferSink({ rate: r, ...maxDurationMs });
    }
    if (s?.type === 'file') {
      const f = spec as { path?: unknown; format?: unknown; append?: unknown };
      if (typeof f.path !== 'string' || typeof f.format !== 'string') throw new TypeError('A file sink needs a path and a format');
      return FileSink.open({
        path: f.path,
        format: f.format,
        append: f.append === true,
        ...maxDurationMs,
        ...(s.rate !== undefined ? { rate: s.rate as SampleRate } : {}),
      });
    }
    throw new TypeError(`Unknown sink type '${String(s?.type)}'`);
  }

  /** The clock runs while there is something to tick. */
  #updateClock(): void {
    const clock = this.#clock;
    if (!clock) return;
    const busy = this.#sessions.size > 0 || this.#bridges.size > 0;
    if (busy && !clock.running) clock.start((info) => this.tick(info));
    else if (!busy && clock.running) clock.stop();
  }

  // -------------------------------------------------------------------------------------------------------
  // Lookups

  #sessionOf(id: unknown): Session {
    const s = this.#sessions.get(str(id, 'sessionId'));
    if (!s) throw new AriadneError('ERR_NOT_FOUND', `No session '${String(id)}'`);
    return s;
  }

  #bridgeOf(id: unknown): BridgeMedia {
    const b = this.#bridges.get(str(id, 'bridgeId'));
    if (!b) throw new AriadneError('ERR_NOT_FOUND', `No bridge '${String(id)}'`);
    return b;
  }

  #playbackOf(id: unknown): Playback {
    const pb = this.#playbacks.get(str(id, 'playbackId'));
    if (!pb) throw new AriadneError('ERR_NOT_FOUND', `No playback '${String(id)}'`);
    return pb;
  }

  #recordingOf(id: unknown): Recording {
    const r = this.#recordings.get(str(id, 'recordingId'));
    if (!r) throw new AriadneError('ERR_NOT_FOUND', `No recording '${String(id)}'`);
    return r;
  }

  #targetOf(target: MediaTarget | undefined): Session | BridgeMedia {
    if (target?.type === 'session') return this.#sessionOf(target.id);
    if (target?.type === 'bridge') return this.#bridgeOf(target.id);
    throw new TypeError('target must be { type: "session" | "bridge", id }');
  }

  #error(command: string, code: ErrorCode, message: string): void {
    this.#emit({ type: 'error', command, code, message });
  }
}

function str(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new TypeError(`${name} must be a non-empty string`);
  return v;
}
