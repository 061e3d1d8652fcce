/**
 * A minimal 8 <-> 16 kHz resampler for the engine's own needs (a 16 kHz participant in an 8 kHz source's bridge
 * and the reverse), by linear interpolation. Up: each input sample is followed by the midpoint to the next one,
 * with half an input sample of delay so that it needs no look-ahead; down: each output sample is the mean of two
 * inputs (a crude low-pass that keeps 4 kHz aliasing down). A stream keeps one resampler so that frames join
 * without clicks. Codecs will bring a better one; this one only has to be cheap and continuous.
 */

import type { SampleRate } from './frame.ts';

export class LinearResampler {
  readonly from: SampleRate;
  readonly to: SampleRate;
  /** Last input sample of the previous frame (upsampling). */
  #last = 0;

  constructor(from: SampleRate, to: SampleRate) {
    this.from = from;
    this.to = to;
  }

  /** Output length for an input of `n` samples. */
  outputLength(n: number): number {
    return (n * this.to) / this.from;
  }

  /** Resamples `input` into `out` (length `outputLength(input.length)`); returns `out`. */
  process(input: Int16Array, out: Int16Array): Int16Array {
    if (this.from === this.to) {
      out.set(input);
    } else if (this.to > this.from) {
      let last = this.#last;
      for (let i = 0, j = 0; i < input.length; i++, j += 2) {
        const s = input[i]!;
        out[j] = (last + s) >> 1;
        out[j + 1] = s;
        last = s;
      }
      this.#last = last;
    } else {
      for (let i = 0, j = 0; j < out.length; i += 2, j++) out[j] = (input[i]! + input[i + 1]!) >> 1;
    }
    return out;
  }

  reset(): void {
    this.#last = 0;
  }
}
