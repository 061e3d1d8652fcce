/**
 * Recording to files: a sink that encodes every frame it takes straight into a file of one of the formats of
 * `formats.ts` — WAV (`wav` 8 kHz, `wav16` 16 kHz) through the always-valid `WavWriter`, or headerless `ulaw`,
 * `alaw`, `sln`, `sln16`. Nothing is buffered in user space, so whatever instant the process dies at (`kill -9`),
 * the file holds every frame taken before and its WAV header counts exactly them.
 *
 * A disk error (ENOSPC, EIO, EACCES on a file whose permissions changed...) does not throw into the media tick:
 * the writer has already cut the file back to its last consistent length, the sink closes it, stops taking
 * audio and sets `failure`, and the host ends the recording `failed` with that message. The file stays valid
 * and keeps the audio written before the error.
 */

import { formatByName, formatForExtension, type FileFormat, type MediaFileWriter } from '../formats.ts';
import { isSampleRate, type SampleRate } from './frame.ts';
import type { AudioSink } from './sink.ts';

export interface FileSinkOptions {
  /** The whole file name, extension included. Its directory must exist. */
  readonly path: string;
  /** A format name or extension (`wav`, `wav16`, `ulaw`/`pcm`, `alaw`, `sln`, `sln16`). */
  readonly format: string;
  /** Must be the format's rate when given. */
  readonly rate?: SampleRate;
  /** Continue an existing file of the same format instead of replacing it. */
  readonly append?: boolean;
  /** Stops taking frames after this much audio (of this recording, not counting appended-to audio). */
  readonly maxDurationMs?: number;
}

/** The format a recording asks for, by Asterisk's name or by file extension; undefined when unknown. */
export function recordingFormat(name: string): FileFormat | undefined {
  return formatByName(name) ?? formatForExtension(name);
}

/** A short, stable description of a file-system error (`ENOSPC: no space left on device`). */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string') return `${e.code}: ${e.message.replace(/^[A-Z]+: /, '').replace(/, \w+( .*)?$/, '')}`;
  return err instanceof Error ? err.message : String(err);
}

export class FileSink implements AudioSink {
  readonly path: string;
  readonly format: FileFormat;
  readonly rate: SampleRate;
  readonly #max: number;
  #writer: MediaFileWriter | undefined;
  #samples = 0;
  #failure: string | undefined;

  private constructor(path: string, format: FileFormat, writer: MediaFileWriter, maxSamples: number) {
    this.path = path;
    this.format = format;
    this.rate = format.sampleRate;
    this.#writer = writer;
    this.#max = maxSamples;
  }

  /**
   * Opens (creates, replaces or continues) the file; it is valid when this returns. Throws a `TypeError` for
   * an unknown format or a rate that is not the format's, and the file system's error when it cannot open.
   */
  static open(options: FileSinkOptions): FileSink {
    const format = recordingFormat(options.format);
    if (!format) throw new TypeError(`Unknown recording format '${options.format}'`);
    if (options.rate !== undefined && (!isSampleRate(options.rate) || options.rate !== format.sampleRate)) {
      throw new TypeError(`Format ${format.name} is ${format.sampleRate} Hz, not ${String(options.rate)}`);
    }
    if (typeof options.path !== 'string' || options.path === '') throw new TypeError('A file sink needs a path');
    const max = options.maxDurationMs !== undefined && options.maxDurationMs > 0 ? Math.round((options.maxDurationMs * format.sampleRate) / 1000) : Infinity;
    const writer = format.createWriter(options.path, { append: options.append === true });
    return new FileSink(options.path, format, writer, max);
  }

  get full(): boolean {
    return this.#samples >= this.#max;
  }

  get durationMs(): number {
    return (this.#samples * 1000) / this.rate;
  }

  get failure(): string | undefined {
    return this.#failure;
  }

  write(samples: Int16Array): void {
    const writer = this.#writer;
    if (!writer || this.#failure !== undefined) return;
    const room = this.#max - this.#samples;
    if (room <= 0) return;
    const take = room < samples.length ? samples.subarray(0, room) : samples;
    const before = writer.sampleCount;
    try {
      writer.append(take);
      this.#samples += take.length;
    } catch (err) {
      // Whole samples that made it before the error stay in the file (and in the count).
      this.#samples += Math.max(0, writer.sampleCount - before);
      this.#failure = describeFsError(err);
      this.close();
    }
  }

  close(): void {
    const writer = this.#writer;
    if (!writer) return;
    this.#writer = undefined;
    try {
      writer.close();
    } catch (err) {
      this.#failure ??= describeFsError(err);
    }
  }
}
