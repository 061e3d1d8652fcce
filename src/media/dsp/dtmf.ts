/**
 * In-band DTMF (ITU-T Q.23/Q.24): generating the dual tones and detecting them in audio, for channels that
 * carry digits as sound rather than as RFC 4733 events.
 *
 * Generation sums one frequency of the low group (rows 697, 770, 852, 941 Hz) and one of the high group
 * (columns 1209, 1336, 1477, 1633 Hz).
 *
 * Detection runs Goertzel filters for the eight frequencies over blocks of 102 samples at 8 kHz
 * (12.75 ms; the block scales with the rate). A block "hits" a digit when
 * - the strongest row and column are each above a level floor (default -36 dBFS peak),
 * - their levels are within the allowed twist (the low group up to 8 dB louder, the high group up to 4 dB),
 * - each is well above the other frequencies of its group (8 dB), and
 * - together they carry most of the block's energy (so speech and music rarely qualify).
 * A digit begins after `hitsToBegin` consecutive hits (default 2) and ends after `missesToEnd` blocks without
 * it (default 3). Durations are refined inside the first and last blocks from their level relative to the
 * steady level, so they come out within a few ms of the truth rather than a whole block.
 */

import { concatSamples } from '../engine/frame.ts';

export type DtmfDigit = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '*' | '#' | 'A' | 'B' | 'C' | 'D';

export const DTMF_ROWS: readonly number[] = Object.freeze([697, 770, 852, 941]);
export const DTMF_COLUMNS: readonly number[] = Object.freeze([1209, 1336, 1477, 1633]);
const KEYPAD: readonly (readonly DtmfDigit[])[] = [
  ['1', '2', '3', 'A'],
  ['4', '5', '6', 'B'],
  ['7', '8', '9', 'C'],
  ['*', '0', '#', 'D'],
];

export function isDtmfDigit(c: string): c is DtmfDigit {
  return c.length === 1 && '0123456789*#ABCD'.includes(c);
}

/** The row and column frequencies of a digit (lower-case a-d are accepted). */
export function dtmfFrequencies(digit: string): readonly [number, number] {
  const d = digit.toUpperCase();
  for (let r = 0; r < 4; r++) {
    const c = (KEYPAD[r] as readonly DtmfDigit[]).indexOf(d as DtmfDigit);
    if (c >= 0) return [DTMF_ROWS[r] as number, DTMF_COLUMNS[c] as number];
  }
  throw new TypeError(`not a DTMF digit: '${digit}'`);
}

export interface DtmfToneOptions {
  readonly sampleRate?: number;
  /** Peak amplitude of each of the two tones (default 7219, Asterisk's tone level, ≈ -13 dBFS each). */
  readonly amplitude?: number;
  /** Level of the high tone relative to the low one, in dB (default 0). */
  readonly twistDb?: number;
}

/** One digit's tone: `durationMs` of the row + column pair. */
export function dtmfTone(digit: string, durationMs: number, options: DtmfToneOptions = {}): Int16Array {
  const [low, high] = dtmfFrequencies(digit);
  const rate = options.sampleRate ?? 8000;
  const a1 = options.amplitude ?? 7219;
  const a2 = a1 * 10 ** ((options.twistDb ?? 0) / 20);
  const n = Math.round((durationMs * rate) / 1000);
  const out = new Int16Array(n);
  const w1 = (2 * Math.PI * low) / rate;
  const w2 = (2 * Math.PI * high) / rate;
  for (let i = 0; i < n; i++) {
    const v = a1 * Math.sin(w1 * i) + a2 * Math.sin(w2 * i);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
  }
  return out;
}

export interface DtmfSequenceOptions extends DtmfToneOptions {
  /** Tone length per digit (default 100 ms, ARI's default). */
  readonly durationMs?: number;
  /** Silence between digits (default 100 ms, ARI's `between`). */
  readonly gapMs?: number;
  /** Silence before the first digit (default 0). */
  readonly beforeMs?: number;
  /** Silence after the last digit (default 0). */
  readonly afterMs?: number;
}

/**
 * Audio for a digit string. Characters that are not DTMF digits throw `TypeError`, except `,`, which
 * inserts 500 ms of silence (a pause, as in Asterisk's SendDTMF).
 */
export function generateDtmf(digits: string, options: DtmfSequenceOptions = {}): Int16Array {
  const rate = options.sampleRate ?? 8000;
  const ms = (v: number): number => Math.round((v * rate) / 1000);
  const duration = options.durationMs ?? 100;
  const gap = options.gapMs ?? 100;
  const pieces: Int16Array[] = [new Int16Array(ms(options.beforeMs ?? 0))];
  let first = true;
  for (const c of digits) {
    if (c === ',') {
      pieces.push(new Int16Array(ms(500)));
      continue;
    }
    if (!first) pieces.push(new Int16Array(ms(gap)));
    pieces.push(dtmfTone(c, duration, options));
    first = false;
  }
  pieces.push(new Int16Array(ms(options.afterMs ?? 0)));
  return concatSamples(pieces);
}

// ---------------------------------------------------------------------------------------------------------
// Detection.

export type DtmfEvent =
  | { readonly type: 'begin'; readonly digit: DtmfDigit; /** Start of the tone, ms since the detector started. */ readonly atMs: number }
  | {
      readonly type: 'end';
      readonly digit: DtmfDigit;
      /** End of the tone, ms since the detector started. */
      readonly atMs: number;
      /** How long the tone lasted. */
      readonly durationMs: number;
    };

export interface DtmfDetectorOptions {
  /** 8000 (default) or 16000. */
  readonly sampleRate?: number;
  /** Consecutive hit blocks before a digit begins (default 2). */
  readonly hitsToBegin?: number;
  /** Consecutive blocks without the digit before it ends (default 3). */
  readonly missesToEnd?: number;
  /** Minimum peak level of each tone in dBFS (default -36). */
  readonly minLevelDbfs?: number;
  /** How much louder the low (row) tone may be than the high one, dB (default 8). */
  readonly normalTwistDb?: number;
  /** How much louder the high (column) tone may be than the low one, dB (default 4). */
  readonly reverseTwistDb?: number;
  /** How far the chosen row/column must stand above the others of its group, dB (default 8). */
  readonly relativePeakDb?: number;
  /** Minimum share of the block's energy in the two tones (default 0.85). */
  readonly minToneShare?: number;
}

const dbPower = (db: number): number => 10 ** (db / 10);

/** A run of blocks that hit the same digit, with the levels needed to place its edges precisely. */
interface Run {
  digit: DtmfDigit;
  row: number;
  col: number;
  hits: number;
  /** Sample where the first hit block begins. */
  firstBlock: number;
  /** Row/column amplitudes in the block before the first hit (the tone may have started there). */
  leadRow: number;
  leadCol: number;
  /** Row/column amplitudes in the first hit block (it may be only partly covered). */
  firstRow: number;
  firstCol: number;
  /** Steady (largest) row/column amplitudes seen. */
  peakRow: number;
  peakCol: number;
  /** Sample where the last hit block begins, and its amplitudes. */
  lastBlock: number;
  lastRow: number;
  lastCol: number;
  /** Amplitudes at the digit's frequencies in the first block after the last hit (the tone may end there). */
  tailRow: number;
  tailCol: number;
}

/**
 * A streaming in-band DTMF detector for one audio direction. Feed it frames of any length; it returns the
 * events the new audio completes.
 *
 * @example
 * const det = new DtmfDetector();
 * for (const frame of frames) for (const e of det.process(frame)) if (e.type === 'end') digit(e.digit, e.durationMs);
 */
export class DtmfDetector {
  readonly sampleRate: number;
  readonly blockSize: number;
  readonly #hitsToBegin: number;
  readonly #missesToEnd: number;
  readonly #minAmplitude: number;
  readonly #normalTwist: number;
  readonly #reverseTwist: number;
  readonly #relativePeak: number;
  readonly #minShare: number;
  readonly #rowCoeff: Float64Array;
  readonly #colCoeff: Float64Array;

  readonly #block: Float64Array;
  #fill = 0;
  /** Samples consumed before the current block. */
  #blockStart = 0;
  /** Amplitudes of the 4 rows then 4 columns, for the block just analysed and the one before. */
  #amps = new Float64Array(8);
  #prevAmps = new Float64Array(8);

  /** The latest run of identical hits (may not have begun yet). */
  #candidate: Run | undefined;
  /** The digit in progress. */
  #current: Run | undefined;
  #misses = 0;

  constructor(options: DtmfDetectorOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.blockSize = Math.round((102 * this.sampleRate) / 8000);
    this.#hitsToBegin = options.hitsToBegin ?? 2;
    this.#missesToEnd = options.missesToEnd ?? 3;
    this.#minAmplitude = 32767 * 10 ** ((options.minLevelDbfs ?? -36) / 20);
    this.#normalTwist = dbPower(options.normalTwistDb ?? 8);
    this.#reverseTwist = dbPower(options.reverseTwistDb ?? 4);
    this.#relativePeak = dbPower(options.relativePeakDb ?? 8);
    this.#minShare = options.minToneShare ?? 0.85;
    const coeff = (f: number): number => 2 * Math.cos((2 * Math.PI * f) / this.sampleRate);
    this.#rowCoeff = Float64Array.from(DTMF_ROWS, coeff);
    this.#colCoeff = Float64Array.from(DTMF_COLUMNS, coeff);
    this.#block = new Float64Array(this.blockSize);
  }

  /** The digit currently sounding (already begun, not yet ended). */
  get currentDigit(): DtmfDigit | undefined {
    return this.#current?.digit;
  }

  process(frame: Int16Array): DtmfEvent[] {
    const events: DtmfEvent[] = [];
    let i = 0;
    while (i < frame.length) {
      const n = Math.min(frame.length - i, this.blockSize - this.#fill);
      for (let k = 0; k < n; k++) this.#block[this.#fill + k] = frame[i + k] as number;
      this.#fill += n;
      i += n;
      if (this.#fill === this.blockSize) {
        this.#analyse(events);
        this.#blockStart += this.blockSize;
        this.#fill = 0;
      }
    }
    return events;
  }

  /** Ends a digit still in progress (the stream stops); returns its end event, if any. */
  flush(): DtmfEvent[] {
    const events: DtmfEvent[] = [];
    if (this.#current !== undefined) this.#end(events);
    this.#candidate = undefined;
    return events;
  }

  reset(): void {
    this.#fill = 0;
    this.#blockStart = 0;
    this.#amps.fill(0);
    this.#prevAmps.fill(0);
    this.#candidate = undefined;
    this.#current = undefined;
    this.#misses = 0;
  }

  #ms(sample: number): number {
    return Math.round((sample * 1000) / this.sampleRate);
  }

  /** Measures the full block into `#amps` and classifies it: the digit's row and column, or undefined. */
  #classify(): { row: number; col: number } | undefined {
    const x = this.#block;
    const n = this.blockSize;
    const amps = this.#amps;
    let energy = 0;
    for (let k = 0; k < n; k++) energy += (x[k] as number) * (x[k] as number);
    // Amplitude of a sine from its Goertzel power: 2·sqrt(P)/N.
    for (let f = 0; f < 4; f++) {
      amps[f] = (2 * Math.sqrt(power(x, n, this.#rowCoeff[f] as number))) / n;
      amps[4 + f] = (2 * Math.sqrt(power(x, n, this.#colCoeff[f] as number))) / n;
    }
    if (energy === 0) return undefined;
    let r = 0;
    let c = 0;
    for (let f = 1; f < 4; f++) {
      if ((amps[f] as number) > (amps[r] as number)) r = f;
      if ((amps[4 + f] as number) > (amps[4 + c] as number)) c = f;
    }
    const rowAmp = amps[r] as number;
    const colAmp = amps[4 + c] as number;
    if (rowAmp < this.#minAmplitude || colAmp < this.#minAmplitude) return undefined;
    const rowP = rowAmp * rowAmp;
    const colP = colAmp * colAmp;
    if (rowP > colP * this.#normalTwist || colP > rowP * this.#reverseTwist) return undefined;
    for (let f = 0; f < 4; f++) {
      const otherRow = amps[f] as number;
      const otherCol = amps[4 + f] as number;
      if (f !== r && otherRow * otherRow * this.#relativePeak > rowP) return undefined;
      if (f !== c && otherCol * otherCol * this.#relativePeak > colP) return undefined;
    }
    // Mean power of the two sines (A²/2 each) against the block's mean power.
    const toneShare = (rowP + colP) / 2 / (energy / n);
    if (toneShare < this.#minShare) return undefined;
    return { row: r, col: c };
  }

  #analyse(events: DtmfEvent[]): void {
    const prev = this.#prevAmps;
    this.#prevAmps = this.#amps;
    this.#amps = prev; // reuse the older array for this block
    const hit = this.#classify();
    const amps = this.#amps;
    const before = this.#prevAmps;
    const digit = hit === undefined ? undefined : ((KEYPAD[hit.row] as readonly DtmfDigit[])[hit.col] as DtmfDigit);

    // Track the run of identical results.
    const cand = this.#candidate;
    if (hit !== undefined && digit !== undefined && cand !== undefined && cand.digit === digit) {
      cand.hits++;
      cand.peakRow = Math.max(cand.peakRow, amps[hit.row] as number);
      cand.peakCol = Math.max(cand.peakCol, amps[4 + hit.col] as number);
      cand.lastBlock = this.#blockStart;
      cand.lastRow = amps[hit.row] as number;
      cand.lastCol = amps[4 + hit.col] as number;
    } else if (hit !== undefined && digit !== undefined) {
      const row = amps[hit.row] as number;
      const col = amps[4 + hit.col] as number;
      this.#candidate = {
        digit,
        row: hit.row,
        col: hit.col,
        hits: 1,
        firstBlock: this.#blockStart,
        leadRow: before[hit.row] as number,
        leadCol: before[4 + hit.col] as number,
        firstRow: row,
        firstCol: col,
        peakRow: row,
        peakCol: col,
        lastBlock: this.#blockStart,
        lastRow: row,
        lastCol: col,
        tailRow: 0,
        tailCol: 0,
      };
    } else {
      this.#candidate = undefined;
    }

    const cur = this.#current;
    if (cur !== undefined) {
      if (digit === cur.digit) {
        this.#misses = 0;
        const c = this.#candidate as Run; // the same run
        cur.peakRow = Math.max(cur.peakRow, c.peakRow);
        cur.peakCol = Math.max(cur.peakCol, c.peakCol);
        cur.lastBlock = this.#blockStart;
        cur.lastRow = amps[cur.row] as number;
        cur.lastCol = amps[4 + cur.col] as number;
        return;
      }
      this.#misses++;
      if (this.#misses === 1) {
        cur.tailRow = amps[cur.row] as number;
        cur.tailCol = amps[4 + cur.col] as number;
      }
      if (this.#misses < this.#missesToEnd) return;
      this.#end(events);
    }

    const next = this.#candidate;
    if (next !== undefined && next.hits >= this.#hitsToBegin) {
      this.#current = { ...next };
      this.#misses = 0;
      events.push({ type: 'begin', digit: next.digit, atMs: this.#ms(this.#startOf(next)) });
    }
  }

  /** Where the tone began: inside the block before the first hit, or inside the first hit block (one share is ~0). */
  #startOf(run: Run): number {
    const lead = share(run.leadRow, run.peakRow, run.leadCol, run.peakCol);
    const first = share(run.firstRow, run.peakRow, run.firstCol, run.peakCol);
    return run.firstBlock + this.blockSize * (1 - first - lead);
  }

  /** Where the tone ended: inside the last hit block, or inside the block after it (one share is ~0). */
  #endOf(run: Run): number {
    const last = share(run.lastRow, run.peakRow, run.lastCol, run.peakCol);
    const tail = share(run.tailRow, run.peakRow, run.tailCol, run.peakCol);
    return run.lastBlock + this.blockSize * (last + tail);
  }

  #end(events: DtmfEvent[]): void {
    const run = this.#current as Run;
    const start = this.#startOf(run);
    const end = this.#endOf(run);
    events.push({ type: 'end', digit: run.digit, atMs: this.#ms(end), durationMs: this.#ms(Math.max(0, end - start)) });
    this.#current = undefined;
    this.#misses = 0;
    // A following digit must build up its own run.
    if (this.#candidate?.digit === run.digit) this.#candidate = undefined;
  }
}

/**
 * Share of a block covered by a tone pair, from each tone's level against its steady level; the smaller of
 * the two, so that a neighbouring digit sharing one frequency does not count. Clamped to [0, 1].
 */
function share(row: number, steadyRow: number, col: number, steadyCol: number): number {
  if (steadyRow <= 0 || steadyCol <= 0) return 1;
  const f = Math.min(row / steadyRow, col / steadyCol);
  return f >= 1 ? 1 : f <= 0 ? 0 : f;
}

function power(x: Float64Array, n: number, coeff: number): number {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = (x[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}
