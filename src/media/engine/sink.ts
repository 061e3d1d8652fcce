/**
 * Audio sinks: where frames go to be kept — recordings (`file-sink.ts` writes files as it goes) and tests. The
 * engine pushes one frame per tick into every sink attached to a session direction or a bridge.
 */

import { samplesPerFrame, type SampleRate } from './frame.ts';
import { LinearResampler } from './resample.ts';

export interface AudioSink {
  readonly rate: SampleRate;
  /** Takes one frame of `rate` samples; the array is only lent (copy what you keep). */
  write(samples: Int16Array): void;
  /** True once the sink wants no more (its maximum duration was reached). */
  readonly full: boolean;
  /** Milliseconds of audio the sink has taken. */
  readonly durationMs: number;
  /** Set once the sink failed (a disk error): it takes nothing more and the recording ends `failed`. */
  readonly failure?: string | undefined;
  /** Ends the sink; called once. */
  close?(): void;
}

export interface BufferSinkOptions {
  readonly rate?: SampleRate;
  /** Stops taking frames after this long. */
  readonly maxDurationMs?: number;
}

/** Collects frames in memory. */
export class BufferSink implements AudioSink {
  readonly rate: SampleRate;
  readonly #chunks: Int16Array[] = [];
  readonly #max: number;
  #length = 0;

  constructor(options: BufferSinkOptions = {}) {
    this.rate = options.rate ?? 8000;
    this.#max = options.maxDurationMs !== undefined ? Math.round((options.maxDurationMs * this.rate) / 1000) : Infinity;
  }

  get full(): boolean {
    return this.#length >= this.#max;
  }

  /** Samples collected so far. */
  get length(): number {
    return this.#length;
  }

  get durationMs(): number {
    return (this.#length * 1000) / this.rate;
  }

  write(samples: Int16Array): void {
    const room = this.#max - this.#length;
    if (room <= 0) return;
    const take = Math.min(room, samples.length);
    this.#chunks.push(samples.slice(0, take));
    this.#length += take;
  }

  /** Everything collected, as one buffer. */
  samples(): Int16Array {
    const out = new Int16Array(this.#length);
    let off = 0;
    for (const c of this.#chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }
}

/**
 * Feeds a sink from frames at another rate: what the engine puts between a session (or a bridge whose mixing
 * rate changes as members come and go) and a sink with a fixed rate.
 */
export class SinkFeed {
  readonly sink: AudioSink;
  #resampler: LinearResampler | undefined;
  #scratch: Int16Array;

  constructor(sink: AudioSink) {
    this.sink = sink;
    this.#scratch = new Int16Array(samplesPerFrame(sink.rate));
  }

  write(samples: Int16Array, rate: SampleRate): void {
    if (rate === this.sink.rate) {
      this.sink.write(samples);
      return;
    }
    if (this.#resampler?.from !== rate) this.#resampler = new LinearResampler(rate, this.sink.rate);
    this.sink.write(this.#resampler.process(samples, this.#scratch));
  }
}
