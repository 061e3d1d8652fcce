/**
 * ITU-T G.711 companding: µ-law (North America, Japan) and A-law (the rest of the world), 8 bits per sample.
 *
 * This is the bottom of the media stack: RTP payloads, `.ulaw`/`.alaw` files and WAV format 6/7 all pass
 * through here. Everything is table driven so that a 20 ms frame costs 160 lookups:
 * - decoding indexes a 256-entry `Int16Array` by the code byte;
 * - encoding indexes a 16384-entry `Uint8Array` by `sample >> 2` (offset by 8192). G.711 only looks at the
 *   14 (µ-law) or 13 (A-law) most significant bits of a 16-bit sample, and the standard algorithm treats a
 *   negative sample by its one's complement, so the code depends on `sample >> 2` alone and the table is exact.
 *
 * The tables are built at load time from the segment algorithms below (`ulawEncodeSample`,
 * `alawEncodeSample`, `ulawDecodeSample`, `alawDecodeSample`), written from the G.711 recommendation: a sign
 * bit, a 3-bit segment (exponent) and a 4-bit step inside the segment; µ-law adds a bias of 33 (in 14-bit
 * units) before finding the segment and inverts all bits, A-law inverts the even bits (XOR 0x55).
 */

import { allocSamples } from './pool.ts';

// ---------------------------------------------------------------------------------------------------------
// The segment algorithms (reference, one sample at a time).

/** µ-law code for a 16-bit linear sample, by the G.711 segment algorithm on its 14 most significant bits. */
export function ulawEncodeSample(sample: number): number {
  // Magnitude in 14-bit units; negative values use the one's complement, as the recommendation's reference does.
  const negative = sample < 0;
  let magnitude = (negative ? ~sample : sample) >> 2;
  magnitude += 33; // the µ-law bias
  if (magnitude > 0x1fff) magnitude = 0x1fff;
  // Segment = position of the highest set bit above bit 5 (the biased value is at least 33, so >= 1).
  let segment = 1;
  for (let v = magnitude >> 6; v !== 0; v >>= 1) segment++;
  const step = (magnitude >> segment) & 0x0f;
  const code = ((8 - segment) << 4) | (0x0f - step);
  return negative ? code : code | 0x80;
}

/** 16-bit linear value of a µ-law code (the middle of its quantisation interval, scaled by 4). */
export function ulawDecodeSample(code: number): number {
  const inverted = ~code & 0xff;
  const segment = (inverted >> 4) & 0x07;
  const step = inverted & 0x0f;
  // Interval middle in 14-bit units is ((2 * step + 33) << segment) - 33; scaled to 16 bits (x4).
  const magnitude = (((2 * step + 33) << segment) - 33) << 2;
  return inverted & 0x80 ? -magnitude | 0 : magnitude; // `| 0`: -0 would not equal 0
}

/** A-law code for a 16-bit linear sample, by the G.711 segment algorithm on its 13 most significant bits. */
export function alawEncodeSample(sample: number): number {
  const negative = sample < 0;
  let magnitude = (negative ? ~sample : sample) >> 4; // 0..2047: the 12-bit magnitude without its last bit
  let code: number;
  if (magnitude < 32) {
    // Segments 0 and 1 share one step size: the code is the magnitude itself.
    code = magnitude;
  } else {
    // Segment s >= 2 spans [16 << (s - 1), 32 << (s - 1)): halve until 4 bits of step remain above bit 4.
    let segment = 1;
    while (magnitude > 31) {
      magnitude >>= 1;
      segment++;
    }
    code = (segment << 4) | (magnitude - 16);
  }
  if (!negative) code |= 0x80;
  return code ^ 0x55;
}

/** 16-bit linear value of an A-law code (the middle of its quantisation interval, scaled by 8). */
export function alawDecodeSample(code: number): number {
  const value = (code ^ 0x55) & 0xff;
  const segment = (value >> 4) & 0x07;
  const step = value & 0x0f;
  // Middle of the interval in units of 8: segments 0 and 1 have the same step; each later one doubles it.
  let magnitude = (step << 4) + 8;
  if (segment > 0) magnitude = (magnitude + 0x100) << (segment - 1);
  return value & 0x80 ? magnitude : -magnitude;
}

// ---------------------------------------------------------------------------------------------------------
// Tables.

/** µ-law code → linear sample. */
export const ULAW_TO_LINEAR: Int16Array = buildDecodeTable(ulawDecodeSample);
/** A-law code → linear sample. */
export const ALAW_TO_LINEAR: Int16Array = buildDecodeTable(alawDecodeSample);
/** `(sample >> 2) + 8192` → µ-law code. */
export const LINEAR_TO_ULAW: Uint8Array = buildEncodeTable(ulawEncodeSample);
/** `(sample >> 2) + 8192` → A-law code. */
export const LINEAR_TO_ALAW: Uint8Array = buildEncodeTable(alawEncodeSample);

function buildDecodeTable(decode: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = decode(code);
  return table;
}

function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(16384);
  // Every 16-bit sample with the same `sample >> 2` encodes alike; use the lowest as the representative.
  for (let index = 0; index < 16384; index++) table[index] = encode((index - 8192) << 2);
  return table;
}

/** The µ-law code of silence (+0). */
export const ULAW_SILENCE = 0xff;
/** The A-law code of silence (+0, the smallest positive step). */
export const ALAW_SILENCE = 0xd5;

// ---------------------------------------------------------------------------------------------------------
// Frame codecs.

/**
 * Encodes linear samples to µ-law.
 * @example ulawEncode(new Int16Array([0, -32768])) // <Buffer ff 00>
 */
export function ulawEncode(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  encodeWith(LINEAR_TO_ULAW, pcm, out, 0);
  return out;
}

/** Encodes linear samples to A-law. */
export function alawEncode(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  encodeWith(LINEAR_TO_ALAW, pcm, out, 0);
  return out;
}

/** Encodes into an existing buffer at `offset` (no allocation); returns the number of bytes written. */
export function ulawEncodeInto(pcm: Int16Array, out: Uint8Array, offset = 0): number {
  return encodeWith(LINEAR_TO_ULAW, pcm, out, offset);
}

/** Encodes into an existing buffer at `offset` (no allocation); returns the number of bytes written. */
export function alawEncodeInto(pcm: Int16Array, out: Uint8Array, offset = 0): number {
  return encodeWith(LINEAR_TO_ALAW, pcm, out, offset);
}

/**
 * Decodes µ-law bytes to linear samples. Every byte is a valid code, so this never fails.
 * Small results come from a shared pool (see `pool.ts`): never transfer their `.buffer`.
 */
export function ulawDecode(buf: Uint8Array): Int16Array {
  const out = allocSamples(buf.length);
  decodeWith(ULAW_TO_LINEAR, buf, out, 0);
  return out;
}

/** Decodes A-law bytes to linear samples (pooled like `ulawDecode`). */
export function alawDecode(buf: Uint8Array): Int16Array {
  const out = allocSamples(buf.length);
  decodeWith(ALAW_TO_LINEAR, buf, out, 0);
  return out;
}

/** Decodes into an existing sample array at `offset`; returns the number of samples written. */
export function ulawDecodeInto(buf: Uint8Array, out: Int16Array, offset = 0): number {
  return decodeWith(ULAW_TO_LINEAR, buf, out, offset);
}

/** Decodes into an existing sample array at `offset`; returns the number of samples written. */
export function alawDecodeInto(buf: Uint8Array, out: Int16Array, offset = 0): number {
  return decodeWith(ALAW_TO_LINEAR, buf, out, offset);
}

function encodeWith(table: Uint8Array, pcm: Int16Array, out: Uint8Array, offset: number): number {
  const n = pcm.length;
  if (offset < 0 || offset + n > out.length) throw new RangeError(`encode: ${n} bytes do not fit at offset ${offset} of ${out.length}`);
  for (let i = 0; i < n; i++) out[offset + i] = table[((pcm[i] as number) >> 2) + 8192] as number;
  return n;
}

function decodeWith(table: Int16Array, buf: Uint8Array, out: Int16Array, offset: number): number {
  const n = buf.length;
  if (offset < 0 || offset + n > out.length) throw new RangeError(`decode: ${n} samples do not fit at offset ${offset} of ${out.length}`);
  for (let i = 0; i < n; i++) out[offset + i] = table[buf[i] as number] as number;
  return n;
}
