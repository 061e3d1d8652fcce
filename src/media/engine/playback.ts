/**
 * Playbacks: a list of sources played one after another into a session's `out` side or into a bridge, in a
 * named queue where later playbacks wait for earlier ones (ARI's `queued` state). The queue is pulled once per
 * tick at the rate of whatever it plays into; sources at another rate are resampled. Lifecycle reports go to a
 * `PlaybackObserver` (the host turns them into notifications): `started` for each item, `sourceFinished` for each
 * item that started, `finished` exactly once per playback.
 */

import type { SampleRate } from './frame.ts';
import { samplesPerFrame } from './frame.ts';
import type { PlaybackEndReason, PlaybackOperation, SourceSpec } from './protocol.ts';
import { LinearResampler } from './resample.ts';
import { createSource, type AudioSource } from './source.ts';

export interface PlaybackObserver {
  started(playback: Playback, index: number, durationMs: number | undefined): void;
  sourceFinished(playback: Playback, index: number, reason: PlaybackEndReason, positionMs: number): void;
  finished(playback: Playback, reason: PlaybackEndReason, message?: string): void;
}

/** Each list item is a spec (built when its turn comes) or a source object (in-thread use). */
export type PlaybackItem = SourceSpec | AudioSource;

const DEFAULT_SKIP_MS = 3000;

export class Playback {
  readonly id: string;
  readonly queue: PlaybackQueue;
  readonly #items: readonly PlaybackItem[];
  readonly #observer: PlaybackObserver;
  #index = -1;
  #source: AudioSource | undefined;
  #resampler: LinearResampler | undefined;
  #scratch: Int16Array | undefined;
  #paused = false;
  #done = false;

  constructor(id: string, items: readonly PlaybackItem[], queue: PlaybackQueue, observer: PlaybackObserver) {
    this.id = id;
    this.#items = items;
    this.queue = queue;
    this.#observer = observer;
  }

  get done(): boolean {
    return this.#done;
  }
  get started(): boolean {
    return this.#index >= 0;
  }
  get paused(): boolean {
    return this.#paused;
  }
  get index(): number {
    return this.#index;
  }
  get source(): AudioSource | undefined {
    return this.#source;
  }

  /**
   * Writes the next frame at `rate` into `out`; false when the playback has ended (it has reported `finished`
   * and left its queue). Finished items give way to the next within the same frame, so a list plays without gaps
   * of a whole frame.
   */
  read(out: Int16Array, rate: SampleRate): boolean {
    if (this.#done) return false;
    if (this.#paused) {
      out.fill(0);
      return true;
    }
    for (;;) {
      if (!this.#source && !this.#next()) return false;
      const source = this.#source!;
      let got: boolean;
      if (source.rate === rate) {
        got = source.read(out);
      } else {
        const n = samplesPerFrame(source.rate);
        if (this.#scratch?.length !== n) this.#scratch = new Int16Array(n);
        if (this.#resampler?.from !== source.rate || this.#resampler.to !== rate) this.#resampler = new LinearResampler(source.rate, rate);
        got = source.read(this.#scratch);
        if (got) this.#resampler.process(this.#scratch, out);
      }
      if (got) {
        // A source that has just given its last frame is over now, not on the next tick: its end (and the
        // playback's, after the last item) is reported with this frame.
        if (source.finished) {
          this.#endSource('done');
          if (this.#index + 1 >= this.#items.length) this.#finish('done');
        }
        return true;
      }
      this.#endSource('done');
    }
  }

  /** Applies an ARI control operation; false when the current source cannot do it (or nothing plays). */
  control(operation: PlaybackOperation, skipMs = DEFAULT_SKIP_MS): boolean {
    if (this.#done || !this.#source) return false;
    const src = this.#source;
    switch (operation) {
      case 'pause':
        this.#paused = true;
        return true;
      case 'unpause':
        this.#paused = false;
        return true;
      case 'restart':
        if (!src.seek) return false;
        src.seek(0);
        this.#paused = false;
        return true;
      case 'forward':
      case 'reverse': {
        if (!src.seek || src.positionMs === undefined) return false;
        src.seek(src.positionMs + (operation === 'forward' ? skipMs : -skipMs));
        return true;
      }
    }
  }

  /** Ends the playback now (stopped, detached) or after a failure. Runs once. */
  end(reason: PlaybackEndReason, message?: string): void {
    if (this.#done) return;
    if (this.#source) this.#endSource(reason);
    this.#finish(reason, message);
  }

  /** Starts the next item; false (and finished) when there is none. */
  #next(): boolean {
    this.#index++;
    const item = this.#items[this.#index];
    if (item === undefined) {
      this.#finish('done');
      return false;
    }
    let source: AudioSource;
    try {
      source = isSpec(item) ? createSource(item) : item;
    } catch (err) {
      this.#finish('failed', err instanceof Error ? err.message : String(err));
      return false;
    }
    this.#source = source;
    this.#observer.started(this, this.#index, source.durationMs);
    return true;
  }

  #endSource(reason: PlaybackEndReason): void {
    const src = this.#source;
    if (!src) return;
    this.#source = undefined;
    this.#resampler = undefined;
    src.close?.();
    this.#observer.sourceFinished(this, this.#index, reason, src.positionMs ?? 0);
  }

  #finish(reason: PlaybackEndReason, message?: string): void {
    if (this.#done) return;
    this.#done = true;
    this.queue.remove(this);
    this.#observer.finished(this, reason, message);
  }
}

function isSpec(item: PlaybackItem): item is SourceSpec {
  return typeof (item as { read?: unknown }).read !== 'function';
}

/** Playbacks that wait for each other, first one playing. */
export class PlaybackQueue {
  readonly name: string;
  readonly #items: Playback[] = [];

  constructor(name: string) {
    this.name = name;
  }

  get length(): number {
    return this.#items.length;
  }

  get current(): Playback | undefined {
    return this.#items[0];
  }

  add(playback: Playback): void {
    this.#items.push(playback);
  }

  remove(playback: Playback): void {
    const i = this.#items.indexOf(playback);
    if (i !== -1) this.#items.splice(i, 1);
  }

  /** The next frame of whatever plays, moving through the queue as playbacks end; false when it is empty. */
  read(out: Int16Array, rate: SampleRate): boolean {
    for (;;) {
      const pb = this.#items[0];
      if (!pb) return false;
      if (pb.read(out, rate)) return true;
      // It ended and removed itself; the next one starts in this same frame.
      if (this.#items[0] === pb) this.#items.shift();
    }
  }

  /** Ends every playback, the one playing first. */
  endAll(reason: PlaybackEndReason): void {
    for (const pb of [...this.#items]) pb.end(reason);
  }
}

/**
 * The queues of one target, summed: what a session hears from its playbacks, or what a bridge's playbacks add
 * to its mix. Reads at `rate` into `out`; false when nothing played.
 */
export class PlaybackSet {
  readonly #queues = new Map<string, PlaybackQueue>();
  #scratch: Int16Array | undefined;
  #acc: Int32Array | undefined;

  get size(): number {
    if (this.#queues.size === 0) return 0;
    let n = 0;
    for (const q of this.#queues.values()) n += q.length;
    return n;
  }

  queue(name: string): PlaybackQueue {
    let q = this.#queues.get(name);
    if (!q) {
      q = new PlaybackQueue(name);
      this.#queues.set(name, q);
    }
    return q;
  }

  read(out: Int16Array, rate: SampleRate): boolean {
    let active = 0;
    for (const q of this.#queues.values()) {
      if (q.length === 0) continue;
      if (active === 0) {
        if (q.read(out, rate)) active = 1;
        continue;
      }
      // A second queue playing at the same time: sum with saturation.
      const n = out.length;
      if (this.#scratch?.length !== n) {
        this.#scratch = new Int16Array(n);
        this.#acc = new Int32Array(n);
      }
      const scratch = this.#scratch;
      if (!q.read(scratch, rate)) continue;
      const acc = this.#acc!;
      if (active === 1) for (let i = 0; i < n; i++) acc[i] = out[i]!;
      for (let i = 0; i < n; i++) acc[i]! += scratch[i]!;
      active++;
    }
    if (active > 1) {
      const acc = this.#acc!;
      for (let i = 0; i < out.length; i++) {
        const v = acc[i]!;
        out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
    }
    return active > 0;
  }

  endAll(reason: PlaybackEndReason): void {
    for (const q of this.#queues.values()) q.endAll(reason);
  }
}
