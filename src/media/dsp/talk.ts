/**
 * Energy-based talk and silence detection, as Asterisk's DSP does it: a frame is "talking" when its mean
 * absolute sample value reaches a threshold (default 256, `dsp.conf` `silencethreshold`), silent otherwise.
 *
 * `TalkDetector` follows the TALK_DETECT dialplan function: talking starts on the first loud frame; it stops
 * once silence has lasted `silenceMs` (default 2500), and the reported duration is the time from the start of
 * talking to the start of that silence. The same counters give a recording its `talking_duration`,
 * `silence_duration` and the run of silence that `maxSilenceSeconds` watches.
 */

import { averageMagnitude } from './goertzel.ts';

/** Asterisk's default silence threshold (mean absolute sample value). */
export const DEFAULT_SILENCE_THRESHOLD = 256;
/** TALK_DETECT's default: silence that ends talking, in ms. */
export const DEFAULT_TALK_SILENCE_MS = 2500;

/** Whether a frame counts as silence at `threshold`. */
export function isSilentFrame(frame: Int16Array, threshold = DEFAULT_SILENCE_THRESHOLD): boolean {
  return averageMagnitude(frame) < threshold;
}

export type TalkEvent =
  | { readonly type: 'talking-started'; /** ms since the detector started */ readonly atMs: number }
  | { readonly type: 'talking-stopped'; readonly atMs: number; /** talking time, without the closing silence */ readonly durationMs: number };

export interface TalkDetectorOptions {
  readonly sampleRate?: number;
  /** Mean absolute sample value at which a frame is talking (TALK_DETECT's `dsp_talking_threshold`). */
  readonly threshold?: number;
  /** Silence, in ms, that ends talking (TALK_DETECT's `dsp_silence_threshold`). */
  readonly silenceMs?: number;
}

export class TalkDetector {
  readonly sampleRate: number;
  readonly threshold: number;
  readonly silenceMs: number;
  #elapsed = 0; // samples
  #talking = false;
  #talkStart = 0;
  #silenceRun = 0; // samples of consecutive silence
  #talkingTotal = 0; // samples classified as talking
  #silenceTotal = 0; // samples classified as silence

  constructor(options: TalkDetectorOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.threshold = options.threshold ?? DEFAULT_SILENCE_THRESHOLD;
    this.silenceMs = options.silenceMs ?? DEFAULT_TALK_SILENCE_MS;
  }

  get talking(): boolean {
    return this.#talking;
  }

  /** Consecutive silence up to now, in ms. */
  get silenceRunMs(): number {
    return this.#ms(this.#silenceRun);
  }

  /** Total time of frames at or above the threshold, in ms. */
  get talkingTotalMs(): number {
    return this.#ms(this.#talkingTotal);
  }

  /** Total time of frames below the threshold, in ms. */
  get silenceTotalMs(): number {
    return this.#ms(this.#silenceTotal);
  }

  #ms(samples: number): number {
    return Math.round((samples * 1000) / this.sampleRate);
  }

  /** Classifies one frame (20 ms is the usual size); returns the state change it causes, if any. */
  process(frame: Int16Array): TalkEvent | undefined {
    const start = this.#elapsed;
    this.#elapsed += frame.length;
    if (frame.length === 0) return undefined;
    if (!isSilentFrame(frame, this.threshold)) {
      this.#talkingTotal += frame.length;
      this.#silenceRun = 0;
      if (!this.#talking) {
        this.#talking = true;
        this.#talkStart = start;
        return { type: 'talking-started', atMs: this.#ms(start) };
      }
      return undefined;
    }
    this.#silenceTotal += frame.length;
    this.#silenceRun += frame.length;
    if (this.#talking && this.#ms(this.#silenceRun) >= this.silenceMs) {
      this.#talking = false;
      const silenceStart = this.#elapsed - this.#silenceRun;
      return { type: 'talking-stopped', atMs: this.#ms(this.#elapsed), durationMs: this.#ms(silenceStart - this.#talkStart) };
    }
    return undefined;
  }
}
