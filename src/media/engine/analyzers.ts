/**
 * The analyzers a media host offers by default (`analyze` command): what a session's side carries becomes
 * notifications.
 *
 * - `dtmf`: in-band DTMF digits (`dsp/dtmf.ts`), one `dtmf` event per digit when it ends, with its duration.
 * - `talk`: TALK_DETECT (`dsp/talk.ts`); options `threshold` (mean absolute sample value, default 256) and
 *   `silenceMs` (silence that ends talking, default 2500).
 * - `tone`: TONE_DETECT; options `frequency` (Hz, required), `durationMs` (how long the tone must last, default
 *   500) and `db` (how far the tone must stand above the rest of the signal, default 16). It fires once per
 *   tone, when the tone has lasted long enough, and again only after the tone has stopped.
 *
 * Analyzers learn the session's rate from the frames they are given, so a factory needs no more than its options.
 */

import { DtmfDetector } from '../dsp/dtmf.ts';
import { goertzelPower } from '../dsp/goertzel.ts';
import { TalkDetector } from '../dsp/talk.ts';
import type { SampleRate } from './frame.ts';
import type { AnalyzerOptions } from './protocol.ts';
import type { AnalyzerEvent, FrameAnalyzer } from './session.ts';

export type AnalyzerFactory = (options?: AnalyzerOptions) => FrameAnalyzer;

function option(options: AnalyzerOptions | undefined, name: string, fallback: number, min: number): number {
  const v = options?.[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new TypeError(`Bad ${name} ${String(v)}`);
  return v;
}

/** In-band DTMF. */
export function dtmfAnalyzer(): FrameAnalyzer {
  let detector: DtmfDetector | undefined;
  return {
    analyze(samples: Int16Array, rate: SampleRate): readonly AnalyzerEvent[] | undefined {
      if (detector?.sampleRate !== rate) detector = new DtmfDetector({ sampleRate: rate });
      let out: AnalyzerEvent[] | undefined;
      for (const e of detector.process(samples)) if (e.type === 'end') (out ??= []).push({ type: 'dtmf', digit: e.digit, durationMs: e.durationMs });
      return out;
    },
    reset: () => detector?.reset(),
  };
}

/** TALK_DETECT. */
export function talkAnalyzer(options?: AnalyzerOptions): FrameAnalyzer {
  const threshold = option(options, 'threshold', 256, 1);
  const silenceMs = option(options, 'silenceMs', 2500, 1);
  let detector: TalkDetector | undefined;
  return {
    analyze(samples: Int16Array, rate: SampleRate): readonly AnalyzerEvent[] | undefined {
      if (detector?.sampleRate !== rate) detector = new TalkDetector({ sampleRate: rate, threshold, silenceMs });
      const e = detector.process(samples);
      if (!e) return undefined;
      return [e.type === 'talking-started' ? { type: 'talk', talking: true } : { type: 'talk', talking: false, durationMs: e.durationMs }];
    },
  };
}

/**
 * TONE_DETECT: a single frequency, judged over blocks of a whole number of its periods (about 20 ms) by the
 * share of the block's energy at that frequency (Goertzel) against the rest, as Asterisk's DSP does: the tone
 * must be `db` dB above everything else and not too quiet. About 90% of `durationMs` of consecutive hit blocks
 * (the first and last blocks may be partial) is a detection.
 */
export function toneAnalyzer(options?: AnalyzerOptions): FrameAnalyzer {
  const frequency = option(options, 'frequency', Number.NaN, 1);
  if (Number.isNaN(frequency)) throw new TypeError('tone needs a frequency');
  const durationMs = option(options, 'durationMs', 500, 1);
  const ratio = 10 ** (option(options, 'db', 16, 1) / 10);
  let rate = 0;
  let block = 0;
  let hitsRequired = 1;
  let coeff = 0;
  let s1 = 0;
  let s2 = 0;
  let energy = 0;
  let fill = 0;
  let hits = 0;
  let fired = false;
  const setup = (r: SampleRate): void => {
    rate = r;
    if (frequency >= r / 2) throw new TypeError(`Frequency ${frequency} Hz is too high for ${r} Hz audio`);
    const periods = Math.max(5, Math.floor((0.02 * r * frequency) / r));
    block = Math.max(1, Math.floor((periods * r) / frequency));
    hitsRequired = Math.max(1, Math.floor(((durationMs * r * 0.9) / 1000 - (block - 1)) / block));
    coeff = 2 * Math.cos((2 * Math.PI * frequency) / r);
    s1 = s2 = energy = fill = hits = 0;
    fired = false;
  };
  /** One whole block: a hit or not. */
  const judge = (): boolean => {
    const power = Math.max(s1 * s1 + s2 * s2 - coeff * s1 * s2, 0);
    // |X(f)|² of a sine of amplitude A over N samples is (A·N/2)² and its energy A²·N/2: its share is 2·|X|²/N.
    const tone = (2 * power) / block;
    const rest = Math.max(energy - tone, 0);
    // Quieter than about -45 dBFS (peak 180) is no tone at all, whatever the ratio.
    const loud = tone / block > (180 * 180) / 2;
    return loud && tone > rest * ratio;
  };
  return {
    analyze(samples: Int16Array, r: SampleRate): readonly AnalyzerEvent[] | undefined {
      if (r !== rate) setup(r);
      let out: AnalyzerEvent[] | undefined;
      for (let i = 0; i < samples.length; i++) {
        const x = samples[i] as number;
        const s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
        energy += x * x;
        if (++fill < block) continue;
        if (judge()) {
          if (++hits >= hitsRequired && !fired) {
            fired = true;
            (out ??= []).push({ type: 'tone', frequency });
          }
        } else {
          hits = 0;
          fired = false;
        }
        s1 = s2 = energy = fill = 0;
      }
      return out;
    },
    reset: () => {
      rate = 0;
    },
  };
}

export const STANDARD_ANALYZERS: Readonly<Record<string, AnalyzerFactory>> = Object.freeze({
  dtmf: dtmfAnalyzer,
  talk: talkAnalyzer,
  tone: toneAnalyzer,
});
