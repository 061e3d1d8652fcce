/**
 * Sample-rate conversion between 8 kHz (narrowband: G.711, `.wav`, `.sln`) and 16 kHz (wideband: slin16,
 * `.wav16`, `.sln16`), for bridges and files that mix the two.
 *
 * Both directions use one linear-phase low-pass FIR designed at 16 kHz (a Kaiser-windowed sinc, 65 taps,
 * half-amplitude at 3.9 kHz: flat to about 3.4 kHz, at least ~60 dB down above about 4.4 kHz):
 * - 8 → 16 kHz inserts a zero between samples and filters, computed as two polyphase branches of 32 taps,
 *   so no zero is ever multiplied, and the symmetric taps are paired (17 multiplications per output sample);
 * - 16 → 8 kHz filters and keeps every other sample, computing only the kept ones (33 multiplications each).
 *
 * A `Resampler` keeps the last input samples between calls, so feeding 20 ms frames one by one gives exactly
 * the same output as converting the whole signal at once: no clicks at frame boundaries. The filter delays
 * the signal by 32 samples at 16 kHz (2 ms); `resample()` (whole buffers, e.g. a file) removes that delay.
 */

import { allocSamples } from './pool.ts';

/** The sample rates this module converts between. */
export type ResampleRate = 8000 | 16000;

const TAPS = 65; // odd, so that the delay is a whole number of samples at both rates
const CUTOFF_HZ = 3900;
const DESIGN_RATE = 16000;
const KAISER_BETA = 6;

/** The prototype low-pass at 16 kHz, unity gain at DC. */
export const LOWPASS_16K: Float64Array = designLowpass(TAPS, CUTOFF_HZ / DESIGN_RATE, KAISER_BETA);

/** Group delay of the prototype filter, in 16 kHz samples. */
export const FILTER_DELAY_16K = (TAPS - 1) / 2;

function designLowpass(taps: number, cutoff: number, beta: number): Float64Array {
  const h = new Float64Array(taps);
  const mid = (taps - 1) / 2;
  const i0Beta = besselI0(beta);
  let sum = 0;
  for (let n = 0; n < taps; n++) {
    const t = n - mid;
    const sinc = t === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * t) / (Math.PI * t);
    const r = t / mid;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta;
    h[n] = sinc * window;
    sum += sinc * window;
  }
  for (let n = 0; n < taps; n++) h[n] = (h[n] as number) / sum;
  return h;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges fast for the β we use). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

// Polyphase branches for 8 → 16 kHz, gain 2 folded in (zero stuffing halves the level).
// Branch b holds h[2k + b] (zero past the end), indexed by k = how many input samples back.
const PHASE_LEN = Math.ceil(TAPS / 2);
/** Taps on each side of branch 0's centre (16 of 33). */
const HALF = (PHASE_LEN - 1) / 2;
const PHASE0 = new Float64Array(PHASE_LEN);
const PHASE1 = new Float64Array(PHASE_LEN);
for (let k = 0; k < PHASE_LEN; k++) {
  PHASE0[k] = 2 * (LOWPASS_16K[2 * k] as number);
  PHASE1[k] = 2 * (LOWPASS_16K[2 * k + 1] ?? 0);
}

const clamp16 = (v: number): number => (v >= 32767 ? 32767 : v <= -32768 ? -32768 : Math.round(v));

/**
 * A streaming converter for one direction of one audio stream. Feed consecutive frames to `process`;
 * the filter state carries over, so frame boundaries are inaudible.
 *
 * @example
 * const up = new Resampler(8000, 16000);
 * const wide = up.process(frame160); // 320 samples
 */
export class Resampler {
  readonly from: ResampleRate;
  readonly to: ResampleRate;
  // Recent input, oldest first; `history.length` is the number of past samples the filter needs.
  #history: Float64Array;
  // 16 → 8 only: 0 when the next kept sample is the first of the next input, 1 when it is the second.
  #phase = 0;
  #scratch = new Float64Array(0);

  constructor(from: ResampleRate, to: ResampleRate) {
    if ((from !== 8000 && from !== 16000) || (to !== 8000 && to !== 16000)) {
      throw new TypeError(`Resampler: unsupported rates ${String(from)} -> ${String(to)} (8000 and 16000 only)`);
    }
    this.from = from;
    this.to = to;
    this.#history = new Float64Array(from === to ? 0 : from < to ? PHASE_LEN - 1 : TAPS - 1);
  }

  /** Output samples produced for `inputLength` input samples (exact for even lengths at 16 → 8 kHz). */
  outputLength(inputLength: number): number {
    if (this.from === this.to) return inputLength;
    if (this.from < this.to) return inputLength * 2;
    return Math.floor((inputLength + 1 - this.#phase) / 2);
  }

  /** Converts the next stretch of input; returns a new array (pooled when small, see `pool.ts`). */
  process(input: Int16Array): Int16Array {
    if (this.from === this.to) return input.slice();
    const hlen = this.#history.length;
    const total = hlen + input.length;
    if (this.#scratch.length < total) this.#scratch = new Float64Array(total);
    const w = this.#scratch;
    w.set(this.#history, 0);
    for (let i = 0; i < input.length; i++) w[hlen + i] = input[i] as number;

    let out: Int16Array;
    if (this.from < this.to) {
      out = allocSamples(input.length * 2);
      // Both branches are symmetric (the prototype is): pair the taps and halve the multiplications.
      // Branch 0 has 33 taps centred on k = 16; branch 1 has 32 taps (k = 0..31), mirrored around 15.5.
      for (let n = 0; n < input.length; n++) {
        const newest = hlen + n; // index of x[n] in w
        let a0 = (PHASE0[HALF] as number) * (w[newest - HALF] as number);
        let a1 = 0;
        for (let k = 0; k < HALF; k++) {
          const x = w[newest - k] as number;
          a0 += (PHASE0[k] as number) * (x + (w[newest - 2 * HALF + k] as number));
          a1 += (PHASE1[k] as number) * (x + (w[newest - 2 * HALF + 1 + k] as number));
        }
        out[2 * n] = clamp16(a0);
        out[2 * n + 1] = clamp16(a1);
      }
    } else {
      out = allocSamples(this.outputLength(input.length));
      let pos = hlen + this.#phase; // index in w of the newest sample of the next output
      const h = LOWPASS_16K;
      const centre = (TAPS - 1) / 2;
      for (let o = 0; o < out.length; o++, pos += 2) {
        // h[k] = h[TAPS - 1 - k]: pair the mirrored taps around the centre one.
        let acc = (h[centre] as number) * (w[pos - centre] as number);
        for (let k = 0; k < centre; k++) acc += (h[k] as number) * ((w[pos - k] as number) + (w[pos - (TAPS - 1) + k] as number));
        out[o] = clamp16(acc);
      }
      this.#phase = pos - total;
    }
    // Keep the newest `hlen` samples for the next call.
    this.#history.set(w.subarray(total - hlen, total));
    return out;
  }

  /** Forgets the past (a new stream starts). */
  reset(): void {
    this.#history.fill(0);
    this.#phase = 0;
  }
}

/**
 * Converts a whole signal (a file, a prompt) between 8 and 16 kHz, compensating the filter delay so that
 * the output is aligned with the input and exactly `length * to / from` samples long (rounded down).
 */
export function resample(pcm: Int16Array, from: ResampleRate, to: ResampleRate): Int16Array {
  if (from === to) return pcm.slice();
  const r = new Resampler(from, to);
  if (from < to) {
    // Output delay 32 samples at 16 kHz: pad 16 input samples (32 outputs) of zeros and drop 32 outputs.
    const padded = new Int16Array(pcm.length + 16);
    padded.set(pcm);
    return r.process(padded).slice(32, 32 + pcm.length * 2);
  }
  // Output delay 32 input samples = 16 outputs: pad 32 inputs (16 outputs) and drop 16.
  const padded = new Int16Array(pcm.length + 32);
  padded.set(pcm);
  const wanted = Math.floor(pcm.length / 2);
  return r.process(padded).slice(16, 16 + wanted);
}

/**
 * Converts mono samples between any two rates with a Kaiser-windowed sinc low-pass at 90% of the lower
 * Nyquist frequency (espeak-ng speaks at 22050 Hz; telephony wants 8000). With the rates reduced to `to/g` and
 * `from/g`, output sample k sits at input position k·from/to, whose fractional part takes only `to/g` values
 * (160 for 22050 → 8000): one kernel per such phase is computed once and reused.
 */
export function resampleRational(input: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return input.slice();
  if (!Number.isInteger(from) || !Number.isInteger(to) || from <= 0 || to <= 0 || input.length === 0) return new Int16Array(0);
  const g = gcd(from, to);
  const phases = to / g;
  const advance = from / g; // input samples per `phases` output samples
  const cutoff = (0.45 * Math.min(from, to)) / from; // cycles per input sample
  const half = Math.ceil(6 / cutoff); // kernel half-width in input samples
  const kernels = new Map<number, Float64Array>();
  const kernel = (phase: number): Float64Array => {
    let k = kernels.get(phase);
    if (k) return k;
    // Taps at input offsets j - half + 1 … j + half from the base sample, at distance (offset - frac).
    const frac = phase / phases;
    k = new Float64Array(2 * half);
    const i0Beta = besselI0(RATIONAL_KAISER_BETA);
    let sum = 0;
    for (let j = 0; j < 2 * half; j++) {
      const d = j - half + 1 - frac;
      const x = 2 * cutoff * d;
      const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
      const r = d / half;
      const w = sinc * (besselI0(RATIONAL_KAISER_BETA * Math.sqrt(Math.max(0, 1 - r * r))) / i0Beta);
      k[j] = w;
      sum += w;
    }
    for (let j = 0; j < k.length; j++) k[j] = (k[j] as number) / sum;
    kernels.set(phase, k);
    return k;
  };
  const n = Math.floor((input.length * to) / from);
  const out = new Int16Array(n);
  for (let m = 0; m < n; m++) {
    const pos = m * advance; // input position × phases
    const base = Math.floor(pos / phases);
    const w = kernel(pos - base * phases);
    const start = base - half + 1;
    let acc = 0;
    for (let j = 0; j < w.length; j++) {
      const i = start + j;
      if (i >= 0 && i < input.length) acc += (input[i] as number) * (w[j] as number);
    }
    out[m] = acc >= 32767 ? 32767 : acc <= -32768 ? -32768 : Math.round(acc);
  }
  return out;
}

/** A longer, sharper window for the one-shot rational resampler than for the 20 ms frame filter. */
const RATIONAL_KAISER_BETA = 8;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}
