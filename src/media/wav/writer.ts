/**
 * Writing WAV files that are valid at every instant — recordings must survive a crash or `kill -9` of the
 * server as playable files (issue 4).
 *
 * The header goes to disk first, with sizes describing zero bytes of audio. Each `append` then writes the
 * audio at the end of the file and, right after, rewrites the header with the new RIFF and `data` sizes
 * (one positioned write of the whole header, so the two sizes never disagree with each other). Whenever the
 * process dies, the header describes either the audio before the last append or the audio including it; in
 * the first case the file may end with the bytes of that one append beyond the `data` chunk, which readers
 * ignore (and which `append` mode cuts off). Writes go straight to the file descriptor (no user-space
 * buffer), so nothing the header promises is ever missing: data reaches the kernel before the header that
 * counts it. Durability against power loss (fsync) is a separate matter; see `sync()`.
 *
 * I/O is synchronous: a 20 ms frame is two small `pwrite`s to the page cache (a few microseconds). Disk
 * errors (ENOSPC) propagate to the caller after the file has been cut back to its last consistent length.
 */

import fs from 'node:fs';
import { AriadneError, errorCodes, ParseError } from '../../shared/errors.ts';
import { alawEncodeInto, ulawEncodeInto } from '../codecs/g711.ts';
import { slinEncodeInto } from '../codecs/slin.ts';
import { buildWavHeader, parseWavHeader, type WavEncoding } from './wav.ts';

export interface WavWriterOptions {
  /** Samples per second; Asterisk's `wav` is 8000, `wav16` 16000. */
  readonly sampleRate: number;
  /** Sample encoding in the file (default `pcm16`, what Asterisk writes). */
  readonly encoding?: WavEncoding;
  /**
   * Continue an existing file (ARI `ifExists=append`): its encoding and rate must match. A missing file is
   * created. Without it, an existing file is replaced.
   */
  readonly append?: boolean;
}

/** The largest RIFF file: sizes are 32-bit. */
const MAX_RIFF_FILE = 0xffffffff + 8;
/** How much of an existing file is read to find its `data` chunk. */
const HEADER_PROBE_BYTES = 1 << 20;

/**
 * A WAV file being written. Feed it signed linear samples at its rate; it encodes them as the file says.
 *
 * @example
 * const w = WavWriter.open('/var/spool/asterisk/recording/demo.wav', { sampleRate: 8000 });
 * w.append(frame); // every 20 ms
 * w.close();
 */
export class WavWriter {
  readonly path: string;
  readonly sampleRate: number;
  readonly encoding: WavEncoding;
  readonly bytesPerSample: 1 | 2;
  #fd: number | undefined;
  /** Header bytes as on disk (everything before the audio), kept current and rewritten after each append. */
  #header: Buffer;
  #dataOffset: number;
  #dataSizeOffset: number;
  #factOffset: number | undefined;
  #dataLength: number;
  #scratch = Buffer.alloc(0);

  private constructor(init: {
    path: string;
    fd: number;
    sampleRate: number;
    encoding: WavEncoding;
    header: Buffer;
    dataSizeOffset: number;
    factOffset: number | undefined;
    dataLength: number;
  }) {
    this.path = init.path;
    this.#fd = init.fd;
    this.sampleRate = init.sampleRate;
    this.encoding = init.encoding;
    this.bytesPerSample = init.encoding === 'pcm16' ? 2 : 1;
    this.#header = init.header;
    this.#dataOffset = init.header.length;
    this.#dataSizeOffset = init.dataSizeOffset;
    this.#factOffset = init.factOffset;
    this.#dataLength = init.dataLength;
  }

  /**
   * Creates (or, with `append`, continues) a WAV file. The file is valid when this returns.
   * Throws `ParseError` when an existing file to append to is not a WAV file we can continue, and an
   * `AriadneError` (ERR_UNPROCESSABLE) when its format differs from the one asked for.
   */
  static open(path: string, options: WavWriterOptions): WavWriter {
    const encoding = options.encoding ?? 'pcm16';
    const sampleRate = options.sampleRate;
    if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new TypeError(`WavWriter: bad sample rate ${sampleRate}`);
    if (options.append === true) {
      let fd: number | undefined;
      try {
        fd = fs.openSync(path, 'r+');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      if (fd !== undefined) {
        try {
          return WavWriter.#continue(path, fd, sampleRate, encoding);
        } catch (e) {
          fs.closeSync(fd);
          throw e;
        }
      }
    }
    // Replace without truncating first: the new header lands over the old file, which is then cut to it, so
    // even an overwritten file never goes through an empty (invalid) state.
    const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o666);
    try {
      const { header, layout } = buildWavHeader({ encoding, sampleRate, dataLength: 0 });
      writeAll(fd, header, 0);
      fs.ftruncateSync(fd, header.length);
      return new WavWriter({ path, fd, sampleRate, encoding, header, dataSizeOffset: layout.dataSizeOffset, factOffset: layout.factOffset, dataLength: 0 });
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  static #continue(path: string, fd: number, sampleRate: number, encoding: WavEncoding): WavWriter {
    const size = fs.fstatSync(fd).size;
    if (size === 0) {
      // An empty file (created but never written): start it afresh.
      const { header, layout } = buildWavHeader({ encoding, sampleRate, dataLength: 0 });
      writeAll(fd, header, 0);
      return new WavWriter({ path, fd, sampleRate, encoding, header, dataSizeOffset: layout.dataSizeOffset, factOffset: layout.factOffset, dataLength: 0 });
    }
    const probe = Buffer.alloc(Math.min(size, HEADER_PROBE_BYTES));
    const got = fs.readSync(fd, probe, 0, probe.length, 0);
    const info = parseWavHeader(probe.subarray(0, got), size);
    if (info.encoding !== encoding || info.sampleRate !== sampleRate) {
      throw new AriadneError(
        errorCodes.ERR_UNPROCESSABLE,
        `cannot append ${encoding}/${sampleRate} Hz audio to ${path}: it holds ${info.encoding}/${info.sampleRate} Hz`,
      );
    }
    const dataEnd = info.dataOffset + info.dataLength;
    if (dataEnd < size && info.declaredDataLength !== 0xffffffff && info.declaredDataLength === info.dataLength) {
      // Bytes after the audio: a chunk (LIST after data) we must not overwrite, or the remains of an append
      // cut short by a crash, which we drop.
      const tail = Buffer.alloc(8);
      const n = fs.readSync(fd, tail, 0, 8, dataEnd + (info.dataLength % 2));
      if (n === 8 && /^[\x20-\x7e]{4}$/.test(tail.toString('latin1', 0, 4)) && dataEnd + 8 + tail.readUInt32LE(4) <= size + 1) {
        throw new ParseError(`WAV: cannot append to ${path}: chunk '${tail.toString('latin1', 0, 4)}' follows the audio`, dataEnd);
      }
    }
    if (dataEnd !== size) fs.ftruncateSync(fd, dataEnd);
    const header = Buffer.alloc(info.dataOffset);
    probe.copy(header, 0, 0, info.dataOffset);
    const fact = info.chunks.find((c) => c.id === 'fact' && c.size >= 4);
    const writer = new WavWriter({
      path,
      fd,
      sampleRate,
      encoding,
      header,
      dataSizeOffset: info.dataOffset - 4,
      factOffset: fact === undefined ? undefined : fact.offset + 8,
      dataLength: info.dataLength,
    });
    writer.#writeHeader();
    return writer;
  }

  /** Audio bytes written so far (in this file, including what was there before an append). */
  get dataLength(): number {
    return this.#dataLength;
  }

  /** Samples in the file. */
  get sampleCount(): number {
    return this.#dataLength / this.bytesPerSample;
  }

  /** Duration of the audio in the file, in milliseconds. */
  get durationMs(): number {
    return (this.sampleCount * 1000) / this.sampleRate;
  }

  get closed(): boolean {
    return this.#fd === undefined;
  }

  /** Encodes and appends signed linear samples (at the file's rate), then updates the header. */
  append(pcm: Int16Array): void {
    const bytes = pcm.length * this.bytesPerSample;
    if (this.#scratch.length < bytes) this.#scratch = Buffer.alloc(Math.max(bytes, 640));
    const out = this.#scratch;
    if (this.encoding === 'pcm16') slinEncodeInto(pcm, out, 0);
    else if (this.encoding === 'ulaw') ulawEncodeInto(pcm, out, 0);
    else alawEncodeInto(pcm, out, 0);
    this.appendEncoded(out.subarray(0, bytes));
  }

  /** Appends bytes already in the file's encoding (e.g. µ-law straight from RTP); whole samples only. */
  appendEncoded(bytes: Uint8Array): void {
    const fd = this.#fd;
    if (fd === undefined) throw new AriadneError(errorCodes.ERR_INVALID_STATE, `WavWriter: ${this.path} is closed`);
    if (bytes.length % this.bytesPerSample !== 0) throw new TypeError(`WavWriter: ${bytes.length} bytes is not a whole number of samples`);
    if (bytes.length === 0) return;
    const end = this.#dataOffset + this.#dataLength;
    if (end + bytes.length > MAX_RIFF_FILE) {
      throw new AriadneError(errorCodes.ERR_UNPROCESSABLE, `WavWriter: ${this.path} would exceed the 4 GiB limit of WAV`);
    }
    try {
      writeAll(fd, bytes, end);
    } catch (e) {
      // Drop whatever part of the audio made it, so the file ends where its header says (best effort).
      try {
        fs.ftruncateSync(fd, end);
      } catch {
        /* the header is still consistent; trailing bytes are harmless */
      }
      throw e;
    }
    this.#dataLength += bytes.length;
    this.#writeHeader();
  }

  #writeHeader(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    const h = this.#header;
    h.writeUInt32LE(this.#dataOffset - 8 + this.#dataLength, 4);
    h.writeUInt32LE(this.#dataLength, this.#dataSizeOffset);
    if (this.#factOffset !== undefined) h.writeUInt32LE(this.#dataLength / this.bytesPerSample, this.#factOffset);
    writeAll(fd, h, 0);
  }

  /** Flushes the file to stable storage (fsync). Not needed for crash safety, only for power loss. */
  sync(): void {
    if (this.#fd !== undefined) fs.fsyncSync(this.#fd);
  }

  /** Closes the file; the header is already current. Idempotent. */
  close(): void {
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    fs.closeSync(fd);
  }
}

/** Positioned write of all of `bytes` (regular files may write short only on errors like ENOSPC). */
function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
    if (n <= 0) throw new Error(`short write at ${position + done}`);
    done += n;
  }
}
