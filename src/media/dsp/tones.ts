/**
 * Call-progress tones in Asterisk's indications syntax (`indications.conf`, ARI `tone:` playback,
 * PlayTones): a comma-separated (or `|`-separated) list of parts, each
 *
 *     [!]f1[+f2][/ms]     one or two frequencies summed, for ms milliseconds (no /ms: forever)
 *     [!]f1*f2[/ms]       f1 amplitude-modulated by f2
 *     [!]Mn[+Mn][/ms]     MIDI note numbers instead of Hz (also Mn*Mn)
 *
 * A frequency of 0 is silence. Parts marked `!` play once; the sequence repeats from the first part without
 * `!`, and a sequence made only of `!` parts plays once and ends. Examples from the US zone:
 * `350+440` (dial), `480+620/500,0/500` (busy), `!950/330,!1400/330,!1800/330,0` (info: three tones once,
 * then silence forever).
 *
 * `parseTones` is pure; a `ToneGenerator` renders a parsed sequence frame by frame at 8 or 16 kHz, keeping
 * its position across frames so cadences are exact.
 */

import { ParseError } from '../../shared/errors.ts';

export interface TonePart {
  /** First frequency in Hz (0: none). */
  readonly freq1: number;
  /** Second frequency in Hz (0: none). */
  readonly freq2: number;
  /** Duration in ms; 0 means the part lasts forever. */
  readonly durationMs: number;
  /** `f1*f2`: f1 amplitude-modulated by f2 instead of the two summed. */
  readonly modulate: boolean;
  /** `!`: played on the first pass only. */
  readonly once: boolean;
}

export interface ToneSequence {
  readonly parts: readonly TonePart[];
  /** Index where playback resumes after the last part; -1 when the sequence plays once. */
  readonly repeatFrom: number;
}

/** Asterisk's default tone amplitude per frequency (about -13 dBFS each). */
export const DEFAULT_TONE_AMPLITUDE = 7219;

/** Frequency of a MIDI note as Asterisk rounds it (down to whole Hz; note 69 = 440 Hz). */
export function midiNoteHz(note: number): number {
  if (!Number.isInteger(note) || note < 0 || note > 127) return 0;
  return Math.floor(440 * 2 ** ((note - 69) / 12) + 1e-9);
}

const PART = /^(M?)(\d+)(?:([+*])(M?)(\d+))?(?:\/(\d+))?$/;

/**
 * Parses a tone list. Throws `ParseError` (offset = position of the part in `text`) for a part that does
 * not follow the syntax, and for a list without any part.
 *
 * @example parseTones('480+620/500,0/500') // busy: two parts, repeating from 0
 */
export function parseTones(text: string): ToneSequence {
  const separator = text.includes('|') ? '|' : ',';
  const parts: TonePart[] = [];
  let repeatFrom = -1;
  let offset = 0;
  for (const raw of text.split(separator)) {
    const start = offset + (raw.length - raw.trimStart().length);
    offset += raw.length + 1;
    let s = raw.trim();
    if (s === '') continue;
    const once = s.startsWith('!');
    if (once) s = s.slice(1).trim();
    const m = PART.exec(s);
    if (m === null) throw new ParseError(`tone part '${raw.trim()}' is not f1[+f2][/ms], f1*f2[/ms] or Mn[+Mn][/ms]`, start);
    const [, midi1 = '', f1 = '0', op, midi2 = '', f2, ms] = m;
    if (op !== undefined && midi1 !== midi2) throw new ParseError(`tone part '${raw.trim()}' mixes MIDI notes and Hz`, start);
    const toHz = (value: string | undefined, midi: string): number => {
      if (value === undefined) return 0;
      const n = Number(value);
      return midi === 'M' ? midiNoteHz(n) : n;
    };
    if (!once && repeatFrom === -1) repeatFrom = parts.length;
    parts.push({
      freq1: toHz(f1, midi1),
      freq2: toHz(f2, midi2),
      durationMs: ms === undefined ? 0 : Number(ms),
      modulate: op === '*',
      once,
    });
  }
  if (parts.length === 0) throw new ParseError('no tone parts', 0);
  return { parts, repeatFrom };
}

export interface ToneGeneratorOptions {
  /** 8000 (default) or 16000. */
  readonly sampleRate?: number;
  /** Peak amplitude of each frequency (default 7219, as Asterisk). */
  readonly amplitude?: number;
}

/**
 * Renders a tone sequence. `next(n)` returns the next `n` samples, fewer once a non-repeating sequence
 * ends (then `done` is true and further calls return empty arrays).
 *
 * @example
 * const busy = new ToneGenerator('480+620/500,0/500');
 * const frame = busy.next(160); // 20 ms at 8 kHz
 */
export class ToneGenerator {
  readonly sequence: ToneSequence;
  readonly sampleRate: number;
  readonly amplitude: number;
  #index = 0;
  /** Samples already played of the current part. */
  #position = 0;
  #done = false;

  constructor(tones: string | ToneSequence, options: ToneGeneratorOptions = {}) {
    this.sequence = typeof tones === 'string' ? parseTones(tones) : tones;
    if (this.sequence.parts.length === 0) throw new TypeError('ToneGenerator: empty sequence');
    this.sampleRate = options.sampleRate ?? 8000;
    this.amplitude = options.amplitude ?? DEFAULT_TONE_AMPLITUDE;
  }

  get done(): boolean {
    return this.#done;
  }

  /** Index of the part playing now. */
  get partIndex(): number {
    return this.#index;
  }

  next(samples: number): Int16Array {
    const out = new Int16Array(samples);
    let written = 0;
    while (written < samples && !this.#done) {
      const part = this.sequence.parts[this.#index] as TonePart;
      const length = part.durationMs > 0 ? Math.max(1, Math.round((part.durationMs * this.sampleRate) / 1000)) : Infinity;
      const n = Math.min(samples - written, length - this.#position);
      this.#render(part, out, written, n);
      written += n;
      this.#position += n;
      if (this.#position >= length) this.#advance();
    }
    return written === samples ? out : out.slice(0, written);
  }

  #render(part: TonePart, out: Int16Array, at: number, n: number): void {
    const rate = this.sampleRate;
    const a = this.amplitude;
    const w1 = (2 * Math.PI * part.freq1) / rate;
    const w2 = (2 * Math.PI * part.freq2) / rate;
    // Each part starts at phase 0 (its first sample is 0), so part boundaries do not click.
    const t0 = this.#position;
    if (part.modulate) {
      // f1 carries, f2 modulates its envelope (depth proportional to the level, as Asterisk does).
      const depth = a / 32768;
      for (let i = 0; i < n; i++) {
        const t = t0 + i;
        out[at + i] = Math.round(a * 0.9 * Math.sin(w1 * t) * (1 - depth * Math.sin(w2 * t)));
      }
    } else {
      for (let i = 0; i < n; i++) {
        const t = t0 + i;
        const v = a * (Math.sin(w1 * t) + Math.sin(w2 * t));
        out[at + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
      }
    }
  }

  #advance(): void {
    this.#position = 0;
    this.#index++;
    if (this.#index >= this.sequence.parts.length) {
      if (this.sequence.repeatFrom < 0) {
        this.#done = true;
        this.#index = this.sequence.parts.length - 1;
      } else {
        this.#index = this.sequence.repeatFrom;
      }
    }
  }
}

/** Renders a finite tone sequence (or the first `maxMs` of an endless one) in one array. */
export function renderTones(tones: string | ToneSequence, maxMs: number, options: ToneGeneratorOptions = {}): Int16Array {
  const g = new ToneGenerator(tones, options);
  return g.next(Math.round((maxMs * g.sampleRate) / 1000));
}
