/**
 * Audio sources: whatever produces audio on demand, 20 ms at a time — tones (Asterisk's playtones syntax), DTMF,
 * a buffer of samples (files once they are decoded), silence, or any function. The engine pulls one frame per
 * tick from the current source of a playback; a source says it has finished by returning false.
 *
 * Sources are plain in-thread objects. Across the media port they are described by a `SourceSpec` (data only,
 * see `protocol.ts`) and built inside the host by `createSource`.
 */

import { ParseError } from '../../shared/errors.ts';
import { samplesPerFrame, type SampleRate } from './frame.ts';
import type { SourceSpec } from './protocol.ts';

export interface AudioSource {
  readonly rate: SampleRate;
  /** True once the source has nothing more to give. */
  readonly finished: boolean;
  /**
   * Writes the next 20 ms into `out` (`samplesPerFrame(rate)` samples). A source that ends inside the frame
   * zero-fills the rest. Returns false, leaving `out` untouched, once it has finished.
   */
  read(out: Int16Array): boolean;
  /** Where the source is, in ms from its start (sources that can tell). */
  readonly positionMs?: number;
  /** Its length in ms; undefined for endless sources. */
  readonly durationMs?: number | undefined;
  /** Moves to `ms` from the start (clamped); a seekable source may become unfinished again. */
  seek?(ms: number): void;
  /** Releases what the source holds; called once when its playback ends. */
  close?(): void;
}

// ---------------------------------------------------------------------------------------------------------
// Tones

export interface ToneSegment {
  /** Frequencies in Hz, summed; none (or only 0) is silence. */
  readonly frequencies: readonly number[];
  /** Length in ms; absent means forever. */
  readonly durationMs?: number;
  /** Played on the first pass only (Asterisk's `!`): the tone repeats from the first segment without it. */
  readonly once?: boolean;
  /** The first frequency amplitude-modulated by the second (Asterisk's `f1*f2`). */
  readonly modulate?: boolean;
}

/**
 * Parses Asterisk's tone syntax (indications.conf, PlayTones): comma-separated parts
 * `[!][M]f1[+f2|*f2][/duration]`, e.g. `!350+440/100,!0/100,350+440` or `480+620/500,0/500`. `M` gives MIDI
 * note numbers instead of Hz, `!` plays a part once, `*` modulates; a part without a duration lasts forever.
 * Throws `ParseError` with the offset of the bad part.
 */
export function parseTones(text: string): ToneSegment[] {
  const segments: ToneSegment[] = [];
  let offset = 0;
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const m = /^(!)?(M)?(\d+(?:\.\d+)?)(?:([+*])(\d+(?:\.\d+)?))?(?:\/(\d+))?$/i.exec(part);
    if (!m?.[3]) throw new ParseError(`Bad tone part '${part}'`, offset);
    const midi = m[2] !== undefined;
    const freq = (v: string): number => (midi ? 440 * 2 ** ((Number(v) - 69) / 12) : Number(v));
    const frequencies = [freq(m[3])];
    if (m[5] !== undefined) frequencies.push(freq(m[5]));
    segments.push({
      frequencies: frequencies.filter((f) => f > 0),
      ...(m[6] !== undefined ? { durationMs: Number(m[6]) } : {}),
      ...(m[1] ? { once: true } : {}),
      ...(m[4] === '*' ? { modulate: true } : {}),
    });
    offset += raw.length + 1;
  }
  return segments;
}

export interface ToneOptions {
  /** The tone: segments, or a string in Asterisk's syntax. */
  readonly tones: readonly ToneSegment[] | string;
  readonly rate?: SampleRate;
  /** Peak amplitude of each frequency (default 7219, Asterisk's playtones volume). */
  readonly amplitude?: number;
  /** Stops after this long even if the tone would go on. */
  readonly maxDurationMs?: number;
}

const DEFAULT_TONE_AMPLITUDE = 7219;

/** A tone or a cadence of tones, as Asterisk's playtones generator makes them. */
export class ToneSource implements AudioSource {
  readonly rate: SampleRate;
  readonly segments: readonly ToneSegment[];
  readonly #amplitude: number;
  readonly #maxSamples: number;
  readonly #repeatFrom: number;
  /** Current segment and the sample inside it. */
  #segment = 0;
  #offset = 0;
  /** Samples produced so far. */
  #position = 0;
  #finished = false;
  /** Sum of the sines of the current frame. */
  readonly #acc: Float64Array;

  constructor(options: ToneOptions) {
    this.rate = options.rate ?? 8000;
    this.segments = typeof options.tones === 'string' ? parseTones(options.tones) : [...options.tones];
    this.#amplitude = options.amplitude ?? DEFAULT_TONE_AMPLITUDE;
    this.#maxSamples = options.maxDurationMs !== undefined ? Math.round((options.maxDurationMs * this.rate) / 1000) : Infinity;
    this.#repeatFrom = this.segments.findIndex((s) => !s.once);
    this.#acc = new Float64Array(samplesPerFrame(this.rate));
    if (this.segments.length === 0) this.#finished = true;
  }

  get finished(): boolean {
    return this.#finished;
  }
  get positionMs(): number {
    return (this.#position * 1000) / this.rate;
  }
  get durationMs(): number | undefined {
    if (this.#maxSamples !== Infinity) return (this.#maxSamples * 1000) / this.rate;
    if (this.#repeatFrom !== -1 || this.segments.some((s) => s.durationMs === undefined)) return undefined;
    return this.segments.reduce((t, s) => t + (s.durationMs ?? 0), 0);
  }

  read(out: Int16Array): boolean {
    if (this.#finished) return false;
    const n = samplesPerFrame(this.rate);
    let i = 0;
    while (i < n) {
      const seg = this.segments[this.#segment];
      if (!seg || this.#position >= this.#maxSamples) {
        this.#finished = true;
        break;
      }
      const segLength = seg.durationMs === undefined ? Infinity : Math.round((seg.durationMs * this.rate) / 1000);
      const count = Math.min(n - i, segLength - this.#offset, this.#maxSamples - this.#position);
      if (count > 0) {
        this.#synth(seg, out, i, count);
        i += count;
        this.#offset += count;
        this.#position += count;
      }
      if (this.#offset >= segLength) this.#advance();
    }
    if (i < n) out.fill(0, i);
    return i > 0;
  }

  seek(ms: number): void {
    const target = Math.max(0, Math.round((ms * this.rate) / 1000));
    this.#segment = 0;
    this.#offset = 0;
    this.#position = 0;
    this.#finished = this.segments.length === 0;
    // Walk the cadence to `target` without synthesising.
    while (!this.#finished && this.#position < target) {
      const seg = this.segments[this.#segment];
      if (!seg) {
        this.#finished = true;
        break;
      }
      const segLength = seg.durationMs === undefined ? Infinity : Math.round((seg.durationMs * this.rate) / 1000);
      const step = Math.min(target - this.#position, segLength - this.#offset);
      this.#offset += step;
      this.#position += step;
      if (this.#offset >= segLength) this.#advance();
    }
    if (this.#position >= this.#maxSamples) this.#finished = true;
  }

  #advance(): void {
    this.#offset = 0;
    this.#segment++;
    if (this.#segment >= this.segments.length) {
      if (this.#repeatFrom === -1) this.#finished = true;
      else this.#segment = this.#repeatFrom;
    }
  }

  /** Writes `count` samples of `seg` from its sample `this.#offset` into `out[at..]`. */
  #synth(seg: ToneSegment, out: Int16Array, at: number, count: number): void {
    const freqs = seg.frequencies;
    if (freqs.length === 0) {
      out.fill(0, at, at + count);
      return;
    }
    const amp = this.#amplitude;
    const t0 = this.#offset;
    if (seg.modulate && freqs.length >= 2) {
      const w1 = (2 * Math.PI * freqs[0]!) / this.rate;
      const w2 = (2 * Math.PI * freqs[1]!) / this.rate;
      for (let k = 0; k < count; k++) {
        const t = t0 + k;
        out[at + k] = Math.round((amp * Math.sin(w1 * t) * (1 + 0.9 * Math.sin(w2 * t))) / 1.9);
      }
      return;
    }
    // Each frequency by the sine recurrence y[n] = 2cos(w)·y[n-1] - y[n-2], seeded exactly at the frame start so
    // that no error accumulates across frames.
    const acc = this.#acc;
    acc.fill(0, 0, count);
    for (const f of freqs) {
      const w = (2 * Math.PI * f) / this.rate;
      const c = 2 * Math.cos(w);
      let y2 = Math.sin(w * (t0 - 2));
      let y1 = Math.sin(w * (t0 - 1));
      for (let k = 0; k < count; k++) {
        const y = c * y1 - y2;
        acc[k]! += y;
        y2 = y1;
        y1 = y;
      }
    }
    for (let k = 0; k < count; k++) {
      const v = Math.round(amp * acc[k]!);
      out[at + k] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }
}

/** DTMF digit -> [low, high] frequency (Hz). */
export const DTMF_FREQUENCIES: Readonly<Record<string, readonly [number, number]>> = Object.freeze({
  '1': [697, 1209], '2': [697, 1336], '3': [697, 1477], A: [697, 1633],
  '4': [770, 1209], '5': [770, 1336], '6': [770, 1477], B: [770, 1633],
  '7': [852, 1209], '8': [852, 1336], '9': [852, 1477], C: [852, 1633],
  '*': [941, 1209], '0': [941, 1336], '#': [941, 1477], D: [941, 1633],
});

/**
 * Inband DTMF for `digits` (0-9, *, #, A-D; `,` is a 500 ms pause as in ARI's `between`-less dialstrings): each
 * digit for `durationMs`, then `betweenMs` of silence.
 */
export function dtmfTones(digits: string, durationMs = 100, betweenMs = 100): ToneSegment[] {
  const segments: ToneSegment[] = [];
  for (const ch of digits.toUpperCase()) {
    if (ch === ',') {
      segments.push({ frequencies: [], durationMs: 500, once: true });
      continue;
    }
    const pair = DTMF_FREQUENCIES[ch];
    if (!pair) throw new TypeError(`Not a DTMF digit: '${ch}'`);
    segments.push({ frequencies: pair, durationMs, once: true });
    if (betweenMs > 0) segments.push({ frequencies: [], durationMs: betweenMs, once: true });
  }
  return segments;
}

// ---------------------------------------------------------------------------------------------------------
// Buffers, silence, functions

export interface BufferSourceOptions {
  readonly samples: Int16Array;
  readonly rate: SampleRate;
  /** Start again from the beginning at the end (music on hold). */
  readonly loop?: boolean;
  /** Start this far in. */
  readonly offsetMs?: number;
}

/** Plays a buffer of samples once (or in a loop). The buffer is read, never changed, so sources may share one. */
export class BufferSource implements AudioSource {
  readonly rate: SampleRate;
  readonly loop: boolean;
  readonly #samples: Int16Array;
  #pos: number;

  constructor(options: BufferSourceOptions) {
    this.rate = options.rate;
    this.loop = options.loop ?? false;
    this.#samples = options.samples;
    this.#pos = 0;
    if (options.offsetMs) this.seek(options.offsetMs);
  }

  get finished(): boolean {
    return !this.loop && this.#pos >= this.#samples.length;
  }
  get positionMs(): number {
    return (this.#pos * 1000) / this.rate;
  }
  get durationMs(): number | undefined {
    return this.loop ? undefined : (this.#samples.length * 1000) / this.rate;
  }

  read(out: Int16Array): boolean {
    const src = this.#samples;
    const n = out.length;
    if (this.loop) {
      if (src.length === 0) {
        out.fill(0);
        return true;
      }
      let i = 0;
      while (i < n) {
        if (this.#pos >= src.length) this.#pos = 0;
        const count = Math.min(n - i, src.length - this.#pos);
        out.set(src.subarray(this.#pos, this.#pos + count), i);
        i += count;
        this.#pos += count;
      }
      return true;
    }
    if (this.#pos >= src.length) return false;
    const count = Math.min(n, src.length - this.#pos);
    out.set(src.subarray(this.#pos, this.#pos + count));
    if (count < n) out.fill(0, count);
    this.#pos += count;
    return true;
  }

  seek(ms: number): void {
    const at = Math.max(0, Math.round((ms * this.rate) / 1000));
    this.#pos = this.loop && this.#samples.length > 0 ? at % this.#samples.length : Math.min(at, this.#samples.length);
  }
}

/** Silence, for `durationMs` or forever. */
export class SilenceSource implements AudioSource {
  readonly rate: SampleRate;
  readonly #total: number;
  #pos = 0;

  constructor(options: { readonly rate?: SampleRate; readonly durationMs?: number } = {}) {
    this.rate = options.rate ?? 8000;
    this.#total = options.durationMs !== undefined ? Math.round((options.durationMs * this.rate) / 1000) : Infinity;
  }

  get finished(): boolean {
    return this.#pos >= this.#total;
  }
  get positionMs(): number {
    return (this.#pos * 1000) / this.rate;
  }
  get durationMs(): number | undefined {
    return this.#total === Infinity ? undefined : (this.#total * 1000) / this.rate;
  }

  read(out: Int16Array): boolean {
    if (this.finished) return false;
    out.fill(0);
    this.#pos += out.length;
    return true;
  }

  seek(ms: number): void {
    this.#pos = Math.min(this.#total, Math.max(0, Math.round((ms * this.rate) / 1000)));
  }
}

/**
 * A source made from a function: `generate(out, timestamp)` fills the frame that starts at sample `timestamp`
 * and returns false when there is no more audio.
 */
export class FunctionSource implements AudioSource {
  readonly rate: SampleRate;
  readonly #generate: (out: Int16Array, timestamp: number) => boolean;
  #pos = 0;
  #finished = false;

  constructor(options: { readonly rate?: SampleRate; readonly generate: (out: Int16Array, timestamp: number) => boolean }) {
    this.rate = options.rate ?? 8000;
    this.#generate = options.generate;
  }

  get finished(): boolean {
    return this.#finished;
  }
  get positionMs(): number {
    return (this.#pos * 1000) / this.rate;
  }

  read(out: Int16Array): boolean {
    if (this.#finished) return false;
    if (!this.#generate(out, this.#pos)) {
      this.#finished = true;
      return false;
    }
    this.#pos += out.length;
    return true;
  }
}

/** Builds a source from its description (what crosses the media port). Throws `TypeError` on a bad spec. */
export function createSource(spec: SourceSpec): AudioSource {
  switch (spec.type) {
    case 'tone':
      return new ToneSource({
        tones: spec.tones,
        ...(spec.rate !== undefined ? { rate: spec.rate } : {}),
        ...(spec.amplitude !== undefined ? { amplitude: spec.amplitude } : {}),
        ...(spec.maxDurationMs !== undefined ? { maxDurationMs: spec.maxDurationMs } : {}),
      });
    case 'dtmf':
      return new ToneSource({
        tones: dtmfTones(spec.digits, spec.durationMs ?? 100, spec.betweenMs ?? 100),
        ...(spec.rate !== undefined ? { rate: spec.rate } : {}),
        ...(spec.amplitude !== undefined ? { amplitude: spec.amplitude } : {}),
      });
    case 'buffer':
      if (!(spec.samples instanceof Int16Array)) throw new TypeError('buffer source needs an Int16Array');
      return new BufferSource({
        samples: spec.samples,
        rate: spec.rate,
        ...(spec.loop !== undefined ? { loop: spec.loop } : {}),
        ...(spec.offsetMs !== undefined ? { offsetMs: spec.offsetMs } : {}),
      });
    case 'silence':
      return new SilenceSource({ ...(spec.rate !== undefined ? { rate: spec.rate } : {}), ...(spec.durationMs !== undefined ? { durationMs: spec.durationMs } : {}) });
    default:
      throw new TypeError(`Unknown source type '${(spec as { type?: unknown }).type}'`);
  }
}

