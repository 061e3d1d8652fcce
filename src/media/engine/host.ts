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
 *      gets it for the next tick, taps and recordings of `out` see it.
 *
 * Ownership: the host owns all; closing a session ends its playbacks and recordings and takes it out of its
 * bridge and link; destroying a bridge ends its playbacks and recordings and releases its members. Each end is
 * reported once. Commands that arrive during a tick (a listener reacting synchronously) wait until it is over.
 * Nothing a message contains can throw out of `handle`: a bad command becomes an `error` notification.
 */

import { AriadneError, type ErrorCode } from '../../shared/errors.ts';
import { MediaClock, type TickInfo } from './clock.ts';
import { isSampleRate, samplesPerFrame, type AudioFrame, type SampleRate } from './frame.ts';
import { LocalPair } from './local-pair.ts';
import { Mixer } from './mixer.ts';
import { Playback, PlaybackSet, type PlaybackObserver } from './playback.ts';
import type { BridgeKind, Direction, HostStats, MediaCommand, MediaNotification, MediaTarget, RecordingEndReason, SourceSpec } from './protocol.ts';
import { Recording } from './recording.ts';
import { Session, type FrameAnalyzer } from './session.ts';
import { BufferSink } from './sink.ts';
import { createSource } from './source.ts';

export interface LocalMediaHostOptions {
  /** Receives every notification, synchronously, in order. */
  readonly emit: (notification: MediaNotification) => void;
  /**
   * The clock that drives ticks; it runs while the host has sessions or bridges. `'manual'`: ticks only happen
   * through `tick()` or the `tick` command (tests, benchmarks). Default: a new `MediaClock`.
   */
  readonly clock?: MediaClock | 'manual';
  /** Analyzers sessions can turn on by name (`analyze` command), e.g. `dtmf`. */
  readonly analyzers?: Readonly<Record<string, () => FrameAnalyzer>>;
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
  readonly #analyzers: Readonly<Record<string, () => FrameAnalyzer>>;
  readonly #onTick: ((tick: TickInfo | undefined, workMs: number) => void) | undefined;
  readonly #sessions = new Map<string, Session>();
  readonly #bridges = new Map<string, BridgeMedia>();
  readonly #links = new Map<string, LocalPair>();
  readonly #playbacks = new Map<string, Playback>();
  readonly #recordings = new Map<string, Recording>();
  readonly #observer: PlaybackObserver;
  #ticking = false;
  #deferred: unknown[] = [];
  #closed = false;
  #stats = { ...ZERO_STATS };
  #dropped = 0;

  constructor(options: LocalMediaHostOptions) {
    this.#emit = options.emit;
    this.#clock = options.clock === 'manual' ? undefined : (options.clock ?? new MediaClock());
    this.#analyzers = options.analyzers ?? {};
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
      if (s.inActive && s.analyzers.size) this.#analyze(s);
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
      if (s.recordings.out.size) this.#record(s.recordings.out, s.outFrame, s.rate, s.outActive);
      s.advance(1);
    }
  }

  #emitFrame(s: Session, direction: Direction, samples: Int16Array, timestamp: number, seq: number): void {
    this.#emit({ type: 'frame', sessionId: s.id, direction, frame: { samples: samples.slice(), rate: s.rate, timestamp, seq } });
  }

  #record(recordings: Set<Recording>, samples: Int16Array, rate: SampleRate, active: boolean): void {
    let full: Recording[] | undefined;
    for (const r of recordings) {
      r.write(samples, rate, active);
      if (r.full) (full ??= []).push(r);
    }
    if (full) for (const r of full) this.#endRecording(r, 'max-duration');
  }

  #analyze(s: Session): void {
    for (const analyzer of s.analyzers.values()) {
      const events = analyzer.analyze(s.inFrame, s.rate);
      if (!events) continue;
      for (const e of events) this.#emit({ type: 'dtmf', sessionId: s.id, digit: e.digit, durationMs: e.durationMs });
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
        if (c.sink?.type !== 'buffer') throw new TypeError(`Unknown sink type '${String((c.sink as { type?: unknown } | undefined)?.type)}'`);
        const direction = c.direction ?? 'in';
        if (direction !== 'in' && direction !== 'out') throw new TypeError(`Bad direction '${String(direction)}'`);
        const target = this.#targetOf(c.target);
        const rate = c.sink.rate ?? (target instanceof Session ? target.rate : target.mixer.rate);
        if (!isSampleRate(rate)) throw new TypeError(`Unsupported rate ${String(rate)}`);
        const sink = new BufferSink({ rate, ...(c.sink.maxDurationMs !== undefined ? { maxDurationMs: c.sink.maxDurationMs } : {}) });
        const rec = new Recording(id, c.target, direction, sink);
        this.#recordings.set(id, rec);
        (target instanceof Session ? target.recordings[direction] : target.recordings).add(rec);
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
        if (!c.enabled) {
          s.analyzers.delete(name);
          return;
        }
        const factory = this.#analyzers[name];
        if (!factory) throw new AriadneError('ERR_NOT_FOUND', `No analyzer '${name}'`);
        if (!s.analyzers.has(name)) s.analyzers.set(name, factory());
        return;
      }
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
    for (const a of s.analyzers.values()) a.reset?.();
    s.analyzers.clear();
    this.#sessions.delete(id);
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
    const sink = r.sink as BufferSink;
    const durationMs = sink.durationMs;
    this.#emit({
      type: 'recording-finished',
      recordingId: r.id,
      reason,
      durationMs,
      rate: sink.rate,
      ...(reason !== 'discarded' ? { samples: sink.samples() } : {}),
    });
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
