/**
 * RIFF/WAVE, the container of Asterisk's `.wav` (slin at 8 kHz) and `.wav16` (slin16) files and of most
 * sound files users bring. This module is pure: `readWav(buf)` parses a whole file held in memory,
 * `parseWavHeader(prefix)` parses just the chunks before the audio (for appending to a large file), and
 * `buildWavHeader` lays out the header `WavWriter` keeps rewriting.
 *
 * What is accepted: PCM 16-bit (format 1), A-law (format 6) and µ-law (format 7) in 8-bit, also wrapped in
 * WAVE_FORMAT_EXTENSIBLE (0xFFFE); mono; any sample rate (the caller decides whether it can use it).
 * Tolerated: chunks other than `fmt ` and `data` before the audio (LIST, fact, cue, ...), odd-sized chunks
 * with or without their pad byte, a RIFF size that disagrees with the file, a `data` size larger than what
 * is present (a truncated file: the samples present are used and `truncated` is set) or 0xFFFFFFFF
 * (streaming writers: "up to the end"), a trailing half sample. Anything else — not RIFF, no `fmt `, no
 * `data`, a chunk header cut short, an unsupported encoding or channel count — throws `ParseError` with the
 * offset of the offending field; nothing here throws anything else for any input.
 */

import { ParseError } from '../../shared/errors.ts';
import { alawDecode, ulawDecode } from '../codecs/g711.ts';
import { slinDecode } from '../codecs/slin.ts';

export type WavEncoding = 'pcm16' | 'alaw' | 'ulaw';

/** WAVE format tags (the `wFormatTag` of the `fmt ` chunk). */
export const WAVE_FORMAT_PCM = 1;
export const WAVE_FORMAT_ALAW = 6;
export const WAVE_FORMAT_MULAW = 7;
export const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

export interface WavChunk {
  /** Four-character id (`fmt `, `data`, `LIST`...). */
  readonly id: string;
  /** Offset of the chunk header (its id) in the file. */
  readonly offset: number;
  /** Size as declared in the chunk header (payload bytes, without the header or pad byte). */
  readonly size: number;
}

export interface WavInfo {
  readonly encoding: WavEncoding;
  /** The format tag as found (1, 6, 7, or 0xFFFE for an extensible header). */
  readonly formatTag: number;
  readonly sampleRate: number;
  readonly channels: 1;
  readonly bitsPerSample: 8 | 16;
  /** Bytes per sample frame (2 for PCM 16-bit, 1 for G.711). */
  readonly blockAlign: 1 | 2;
  /** Offset of the first audio byte. */
  readonly dataOffset: number;
  /** Audio bytes actually usable: the declared size, cut to what is present and to whole samples. */
  readonly dataLength: number;
  /** The `data` chunk size as written in the header. */
  readonly declaredDataLength: number;
  /** The header promised more audio than the input holds. */
  readonly truncated: boolean;
  /** Samples in the file (`dataLength / blockAlign`). */
  readonly sampleCount: number;
  /** Every chunk up to and including `data`, in file order. */
  readonly chunks: readonly WavChunk[];
}

export interface WavAudio extends WavInfo {
  /** The audio as signed linear samples at `sampleRate`. */
  readonly samples: Int16Array;
}

const encodingOfTag = (tag: number): WavEncoding | undefined =>
  tag === WAVE_FORMAT_PCM ? 'pcm16' : tag === WAVE_FORMAT_ALAW ? 'alaw' : tag === WAVE_FORMAT_MULAW ? 'ulaw' : undefined;

const isChunkIdAt = (buf: Uint8Array, offset: number): boolean => {
  if (offset + 4 > buf.length) return false;
  for (let i = 0; i < 4; i++) {
    const c = buf[offset + i] as number;
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
};

const ascii = (buf: Buffer, offset: number): string => buf.toString('latin1', offset, offset + 4);

/**
 * Parses the header of a WAV file from `buf`, which may be just a prefix of the file as long as it reaches
 * the `data` chunk's header. `fileLength` (default: `buf.length`) is the real size of the file, used to
 * decide how much of the declared audio is present.
 */
export function parseWavHeader(buf: Uint8Array, fileLength: number = buf.length): WavInfo {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 12) throw new ParseError(`WAV: file too short for a RIFF header (${b.length} bytes)`, b.length);
  if (ascii(b, 0) !== 'RIFF') throw new ParseError('WAV: does not begin with RIFF', 0);
  if (ascii(b, 8) !== 'WAVE') throw new ParseError('WAV: RIFF form is not WAVE', 8);

  const chunks: WavChunk[] = [];
  let fmt: { tag: number; encoding: WavEncoding; rate: number; bits: 8 | 16; align: 1 | 2 } | undefined;
  let offset = 12;
  for (;;) {
    if (offset + 8 > b.length) {
      throw new ParseError(offset >= fileLength ? 'WAV: no data chunk' : 'WAV: chunk header truncated', Math.min(offset, b.length));
    }
    const id = ascii(b, offset);
    const size = b.readUInt32LE(offset + 4);
    chunks.push({ id, offset, size });
    const body = offset + 8;

    if (id === 'fmt ') {
      fmt = parseFmt(b, body, size);
    } else if (id === 'data') {
      if (fmt === undefined) throw new ParseError('WAV: data chunk before fmt chunk', offset);
      const available = Math.max(0, fileLength - body);
      const wanted = size === 0xffffffff ? available : size;
      const present = Math.min(wanted, available);
      const dataLength = present - (present % fmt.align);
      return {
        encoding: fmt.encoding,
        formatTag: fmt.tag,
        sampleRate: fmt.rate,
        channels: 1,
        bitsPerSample: fmt.bits,
        blockAlign: fmt.align,
        dataOffset: body,
        dataLength,
        declaredDataLength: size,
        truncated: size !== 0xffffffff && size > available,
        sampleCount: dataLength / fmt.align,
        chunks,
      };
    } else if (body + size > fileLength) {
      throw new ParseError(`WAV: chunk '${printable(id)}' of ${size} bytes runs past the end of the file`, offset + 4);
    }

    // Next chunk: RIFF pads odd sizes to even, but some writers forget the pad byte.
    let next = body + size;
    if (size % 2 === 1 && !(isChunkIdAt(b, next) && !isChunkIdAt(b, next + 1))) next += 1;
    offset = next;
  }
}

function parseFmt(b: Buffer, body: number, size: number): { tag: number; encoding: WavEncoding; rate: number; bits: 8 | 16; align: 1 | 2 } {
  if (size < 16) throw new ParseError(`WAV: fmt chunk too small (${size} bytes)`, body - 4);
  if (body + 16 > b.length) throw new ParseError('WAV: fmt chunk truncated', b.length);
  const tag = b.readUInt16LE(body);
  const channels = b.readUInt16LE(body + 2);
  const rate = b.readUInt32LE(body + 4);
  const align = b.readUInt16LE(body + 12);
  const bits = b.readUInt16LE(body + 14);
  let encoding = encodingOfTag(tag);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    // cbSize(2) validBits(2) channelMask(4) then the sub-format GUID, whose first two bytes are the tag.
    if (size < 40 || body + 26 > b.length) throw new ParseError('WAV: extensible fmt chunk too small', body - 4);
    encoding = encodingOfTag(b.readUInt16LE(body + 24));
  }
  if (encoding === undefined) throw new ParseError(`WAV: unsupported format tag ${tag} (PCM, A-law and µ-law only)`, body);
  if (channels !== 1) throw new ParseError(`WAV: ${channels} channels, only mono is supported`, body + 2);
  if (rate === 0) throw new ParseError('WAV: sample rate 0', body + 4);
  const wantBits = encoding === 'pcm16' ? 16 : 8;
  if (bits !== wantBits) throw new ParseError(`WAV: ${bits} bits per sample for ${encoding}, expected ${wantBits}`, body + 14);
  const wantAlign = encoding === 'pcm16' ? 2 : 1;
  if (align !== wantAlign) throw new ParseError(`WAV: block align ${align}, expected ${wantAlign}`, body + 12);
  return { tag, encoding, rate, bits: wantBits, align: wantAlign };
}

function printable(id: string): string {
  return id.replace(/[^\x20-\x7e]/g, '?');
}

/** Parses a whole WAV file and decodes its audio to signed linear samples. */
export function readWav(buf: Uint8Array): WavAudio {
  const info = parseWavHeader(buf);
  const data = buf.subarray(info.dataOffset, info.dataOffset + info.dataLength);
  const samples = info.encoding === 'pcm16' ? slinDecode(data) : info.encoding === 'ulaw' ? ulawDecode(data) : alawDecode(data);
  return { ...info, samples };
}

/** Format tag for an encoding. */
export function formatTagOf(encoding: WavEncoding): number {
  return encoding === 'pcm16' ? WAVE_FORMAT_PCM : encoding === 'alaw' ? WAVE_FORMAT_ALAW : WAVE_FORMAT_MULAW;
}

/** Where the size fields of a header built by `buildWavHeader` live. */
export interface WavHeaderLayout {
  readonly headerLength: number;
  /** Offset of the `data` chunk's size field. */
  readonly dataSizeOffset: number;
  /** Offset of the `fact` chunk's sample count, when there is one (G.711). */
  readonly factOffset: number | undefined;
}

/**
 * Lays out a canonical header for `dataLength` bytes of audio. PCM gets the classic 44-byte header
 * (Asterisk's own layout: RIFF, a 16-byte `fmt `, `data`); G.711 gets an 18-byte `fmt ` (with cbSize) and the
 * `fact` chunk non-PCM formats should carry, 58 bytes in all.
 */
export function buildWavHeader(options: { encoding: WavEncoding; sampleRate: number; dataLength: number }): { header: Buffer; layout: WavHeaderLayout } {
  const { encoding, sampleRate, dataLength } = options;
  const pcm = encoding === 'pcm16';
  const align = pcm ? 2 : 1;
  const fmtSize = pcm ? 16 : 18;
  const factLen = pcm ? 0 : 12;
  const headerLength = 12 + 8 + fmtSize + factLen + 8;
  const h = Buffer.alloc(headerLength);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(headerLength - 8 + dataLength, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(fmtSize, 16);
  h.writeUInt16LE(formatTagOf(encoding), 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * align, 28);
  h.writeUInt16LE(align, 32);
  h.writeUInt16LE(align * 8, 34);
  let o = 36;
  if (!pcm) o += 2; // cbSize = 0
  let factOffset: number | undefined;
  if (!pcm) {
    h.write('fact', o, 'latin1');
    h.writeUInt32LE(4, o + 4);
    factOffset = o + 8;
    h.writeUInt32LE(dataLength / align, factOffset);
    o += 12;
  }
  h.write('data', o, 'latin1');
  h.writeUInt32LE(dataLength, o + 4);
  return { header: h, layout: { headerLength, dataSizeOffset: o + 4, factOffset } };
}
