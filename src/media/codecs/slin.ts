/**
 * Signed linear ("slin"): 16-bit signed little-endian samples, Asterisk's internal audio format and the
 * payload of `.sln`/`.sln16` files and PCM WAV data. The engine's frames are `Int16Array`s already, so
 * this codec is a byte-order-aware copy.
 */

import { ParseError } from '../../shared/errors.ts';
import { allocSamples } from './pool.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Samples → little-endian bytes (a new Buffer, 2 bytes per sample). */
export function slinEncode(pcm: Int16Array): Buffer {
  const out = Buffer.allocUnsafe(pcm.length * 2);
  slinEncodeInto(pcm, out, 0);
  return out;
}

/** Writes the samples as little-endian bytes at `offset`; returns the number of bytes written. */
export function slinEncodeInto(pcm: Int16Array, out: Uint8Array, offset = 0): number {
  const bytes = pcm.length * 2;
  if (offset < 0 || offset + bytes > out.length) throw new RangeError(`slin: ${bytes} bytes do not fit at offset ${offset} of ${out.length}`);
  if (LITTLE_ENDIAN) {
    out.set(new Uint8Array(pcm.buffer, pcm.byteOffset, bytes), offset);
  } else {
    for (let i = 0; i < pcm.length; i++) {
      const v = pcm[i] as number;
      out[offset + 2 * i] = v & 0xff;
      out[offset + 2 * i + 1] = (v >> 8) & 0xff;
    }
  }
  return bytes;
}

/**
 * Little-endian bytes → samples (always a copy, so the result is aligned and independent of `buf`; small
 * results come from the shared pool, see `pool.ts`). An odd byte count is malformed: throws `ParseError`
 * at the offset of the lone byte.
 */
export function slinDecode(buf: Uint8Array): Int16Array {
  if (buf.length % 2 !== 0) throw new ParseError(`slin: odd byte count ${buf.length}`, buf.length - 1);
  const out = allocSamples(buf.length / 2);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(buf);
  } else {
    for (let i = 0; i < out.length; i++) out[i] = ((buf[2 * i + 1] as number) << 8) | (buf[2 * i] as number);
  }
  return out;
}
