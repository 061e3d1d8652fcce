/**
 * Sound and recording file formats, named as Asterisk names them (`core show file formats`): each has a
 * name, the file extensions it claims, the codec its audio is reported as (`GET /sounds` lists a `.wav`
 * as `slin`), its sample rate, a reader and a writer.
 *
 * ARI's `format` parameter of `record` is a file extension (Asterisk looks it up with
 * `ast_get_format_for_file_ext`), so `record?format=ulaw` means the `pcm` format: use
 * `formatForExtension` for user input and `formatByName` for Asterisk's own names.
 *
 * | name  | extensions               | codec  | rate  | container |
 * |-------|--------------------------|--------|-------|-----------|
 * | wav   | wav                      | slin   | 8000  | WAV PCM   |
 * | wav16 | wav16                    | slin16 | 16000 | WAV PCM   |
 * | pcm   | pcm, ulaw, ul, mu, ulw   | ulaw   | 8000  | raw       |
 * | alaw  | alaw, al, alw            | alaw   | 8000  | raw       |
 * | sln   | sln, slin, raw           | slin   | 8000  | raw       |
 * | sln16 | sln16                    | slin16 | 16000 | raw       |
 *
 * Readers return signed linear samples at the format's rate. A WAV file whose header says another rate
 * than its extension (a 16 kHz `.wav`) is converted (8 ↔ 16 kHz), where Asterisk would refuse it; other
 * rates are a `ParseError`. Writers keep every file valid at every instant (see `wav/writer.ts`; raw files
 * are valid by construction, and `append` trims a half sample left by a crash).
 */

import fs from 'node:fs';
import { AriadneError, errorCodes, ParseError } from '../shared/errors.ts';
import { alawDecode, alawEncodeInto, ulawDecode, ulawEncodeInto } from './codecs/g711.ts';
import type { CodecName } from './codecs/registry.ts';
import { resample } from './codecs/resample.ts';
import { slinDecode, slinEncodeInto } from './codecs/slin.ts';
import { readWav } from './wav/wav.ts';
import { WavWriter } from './wav/writer.ts';

export type FormatName = 'wav' | 'wav16' | 'pcm' | 'alaw' | 'sln' | 'sln16';

/** A file being written in some format; input is signed linear at the format's rate. */
export interface MediaFileWriter {
  readonly path: string;
  readonly sampleRate: number;
  /** Samples in the file so far (including those before an append). */
  readonly sampleCount: number;
  readonly durationMs: number;
  append(pcm: Int16Array): void;
  close(): void;
}

export interface CreateWriterOptions {
  /** Continue an existing file (ARI `ifExists=append`) instead of replacing it. */
  readonly append?: boolean;
}

export interface FileFormat {
  readonly name: FormatName;
  /** Extensions without the dot; the first is the one recordings are written with. */
  readonly extensions: readonly string[];
  /** The codec the audio is reported as (sounds listing, `core show file formats`). */
  readonly codec: CodecName;
  readonly sampleRate: 8000 | 16000;
  readonly container: 'wav' | 'raw';
  /** Decodes a whole file's bytes to signed linear at `sampleRate`; malformed input throws `ParseError`. */
  decode(buf: Uint8Array): Int16Array;
  /** Reads and decodes a file. */
  readFile(path: string): Promise<Int16Array>;
  readFileSync(path: string): Int16Array;
  /** Opens a file for recording; valid from the moment this returns. */
  createWriter(path: string, options?: CreateWriterOptions): MediaFileWriter;
}

type RawEncoding = 'ulaw' | 'alaw' | 'slin';

function rawFormat(name: FormatName, extensions: readonly string[], codec: CodecName, sampleRate: 8000 | 16000, encoding: RawEncoding): FileFormat {
  const decode = (buf: Uint8Array): Int16Array => {
    if (encoding === 'ulaw') return ulawDecode(buf);
    if (encoding === 'alaw') return alawDecode(buf);
    // A raw slin file cut mid-sample (a crash while writing) keeps its whole samples.
    return slinDecode(buf.length % 2 === 0 ? buf : buf.subarray(0, buf.length - 1));
  };
  return Object.freeze({
    name,
    extensions: Object.freeze([...extensions]),
    codec,
    sampleRate,
    container: 'raw' as const,
    decode,
    readFile: async (path: string) => decode(await fs.promises.readFile(path)),
    readFileSync: (path: string) => decode(fs.readFileSync(path)),
    createWriter: (path: string, options: CreateWriterOptions = {}) => RawFileWriter.open(path, { sampleRate, encoding, append: options.append === true }),
  });
}

function wavFormat(name: FormatName, extensions: readonly string[], codec: CodecName, sampleRate: 8000 | 16000): FileFormat {
  const decode = (buf: Uint8Array): Int16Array => {
    const wav = readWav(buf);
    if (wav.sampleRate === sampleRate) return wav.samples;
    if (wav.sampleRate === 8000 || wav.sampleRate === 16000) return resample(wav.samples, wav.sampleRate, sampleRate);
    throw new ParseError(`WAV: sample rate ${wav.sampleRate} Hz is not supported (8000 or 16000)`, 24);
  };
  return Object.freeze({
    name,
    extensions: Object.freeze([...extensions]),
    codec,
    sampleRate,
    container: 'wav' as const,
    decode,
    readFile: async (path: string) => decode(await fs.promises.readFile(path)),
    readFileSync: (path: string) => decode(fs.readFileSync(path)),
    createWriter: (path: string, options: CreateWriterOptions = {}) => WavWriter.open(path, { sampleRate, append: options.append === true }),
  });
}

/** Every format, in Asterisk's registration spirit. */
export const fileFormats: readonly FileFormat[] = Object.freeze([
  wavFormat('wav', ['wav'], 'slin', 8000),
  wavFormat('wav16', ['wav16'], 'slin16', 16000),
  rawFormat('pcm', ['pcm', 'ulaw', 'ul', 'mu', 'ulw'], 'ulaw', 8000, 'ulaw'),
  rawFormat('alaw', ['alaw', 'al', 'alw'], 'alaw', 8000, 'alaw'),
  rawFormat('sln', ['sln', 'slin', 'raw'], 'slin', 8000, 'slin'),
  rawFormat('sln16', ['sln16'], 'slin16', 16000, 'slin'),
]);

const byName = new Map<string, FileFormat>(fileFormats.map((f) => [f.name, f]));
const byExtension = new Map<string, FileFormat>(fileFormats.flatMap((f) => f.extensions.map((e): [string, FileFormat] => [e, f])));

/** The format called `name` (Asterisk's format name: `pcm`, not `ulaw`). */
export function formatByName(name: string): FileFormat | undefined {
  return byName.get(name);
}

/** The format that owns extension `ext` (with or without the dot; case-sensitive, as in Asterisk). */
export function formatForExtension(ext: string): FileFormat | undefined {
  return byExtension.get(ext.startsWith('.') ? ext.slice(1) : ext);
}

/** The format of a file path, by its extension. */
export function formatForPath(path: string): FileFormat | undefined {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? formatForExtension(path.slice(dot + 1)) : undefined;
}

/** Every extension a sound file may have, for scanning sounds directories. */
export const knownExtensions: readonly string[] = Object.freeze([...byExtension.keys()]);

/** A headerless file of encoded samples (`.ulaw`, `.alaw`, `.sln`, `.sln16`). */
export class RawFileWriter implements MediaFileWriter {
  readonly path: string;
  readonly sampleRate: number;
  readonly encoding: RawEncoding;
  readonly bytesPerSample: 1 | 2;
  #fd: number | undefined;
  #bytes: number;
  #scratch = Buffer.alloc(0);

  private constructor(path: string, fd: number, sampleRate: number, encoding: RawEncoding, bytes: number) {
    this.path = path;
    this.#fd = fd;
    this.sampleRate = sampleRate;
    this.encoding = encoding;
    this.bytesPerSample = encoding === 'slin' ? 2 : 1;
    this.#bytes = bytes;
  }

  static open(path: string, options: { sampleRate: number; encoding: RawEncoding; append: boolean }): RawFileWriter {
    const fd = fs.openSync(path, options.append ? 'a+' : 'w');
    try {
      let size = options.append ? fs.fstatSync(fd).size : 0;
      const width = options.encoding === 'slin' ? 2 : 1;
      if (size % width !== 0) {
        size -= size % width;
        fs.ftruncateSync(fd, size);
      }
      return new RawFileWriter(path, fd, options.sampleRate, options.encoding, size);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  get sampleCount(): number {
    return this.#bytes / this.bytesPerSample;
  }

  get durationMs(): number {
    return (this.sampleCount * 1000) / this.sampleRate;
  }

  append(pcm: Int16Array): void {
    const fd = this.#fd;
    if (fd === undefined) throw new AriadneError(errorCodes.ERR_INVALID_STATE, `RawFileWriter: ${this.path} is closed`);
    const n = pcm.length * this.bytesPerSample;
    if (this.#scratch.length < n) this.#scratch = Buffer.alloc(Math.max(n, 640));
    const out = this.#scratch;
    if (this.encoding === 'slin') slinEncodeInto(pcm, out, 0);
    else if (this.encoding === 'ulaw') ulawEncodeInto(pcm, out, 0);
    else alawEncodeInto(pcm, out, 0);
    let done = 0;
    try {
      while (done < n) done += fs.writeSync(fd, out, done, n - done);
    } catch (e) {
      // Keep whole samples only, so the file stays decodable.
      if (done % this.bytesPerSample !== 0) {
        try {
          fs.ftruncateSync(fd, this.#bytes + done - (done % this.bytesPerSample));
        } catch {
          /* best effort */
        }
      }
      this.#bytes += done - (done % this.bytesPerSample);
      throw e;
    }
    this.#bytes += n;
  }

  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    fs.closeSync(fd);
  }
}
