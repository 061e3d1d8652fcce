/**
 * Audio an external media peer sends us, waiting to be played at real time. A peer may send faster than real
 * time (a text-to-speech service hands over a whole sentence at once), in pieces of any size: the bytes are cut
 * into 20 ms frames of the channel's format and queued, and the channel takes one frame per media tick. The
 * queue is bounded (`maxMs`); what does not fit is refused, never played late.
 *
 * Marks (the WebSocket protocol's playback marks) sit in the queue between frames: a mark is reached once every
 * frame queued before it has been played, so a voice bot learns when its speech was heard. `clear` drops the
 * queued audio (barge-in) and reports the marks it passed over.
 */

import type { Codec } from '../codecs/registry.ts';
import { samplesPerFrame } from '../codecs/registry.ts';

type Item = { readonly kind: 'audio'; readonly samples: Int16Array } | { readonly kind: 'mark'; readonly name: string };

export interface InboundTick {
  /** The frame to play on this tick, at the codec's rate; none when the queue is empty. */
  readonly frame: Int16Array | undefined;
  /** Marks reached on this tick (everything before them has been played). */
  readonly marks: readonly string[];
}

export class InboundAudio {
  readonly codec: Codec;
  readonly frameBytes: number;
  readonly #frameSamples: number;
  readonly #maxFrames: number;
  #items: Item[] = [];
  #head = 0;
  #frames = 0;
  /** Bytes of a frame not complete yet. */
  #partial: Buffer = Buffer.alloc(0);
  /** Frames refused because the queue was full. */
  overflowFrames = 0;

  constructor(options: { readonly codec: Codec; readonly maxMs?: number }) {
    this.codec = options.codec;
    this.#frameSamples = samplesPerFrame(options.codec.sampleRate);
    this.frameBytes = this.#frameSamples * options.codec.bytesPerSample;
    this.#maxFrames = Math.max(1, Math.floor((options.maxMs ?? 60_000) / 20));
  }

  /** Milliseconds of audio waiting to be played. */
  get queuedMs(): number {
    return this.#frames * 20;
  }

  /** Queues encoded audio; returns false when some of it was refused (queue full). */
  push(bytes: Uint8Array): boolean {
    let data = this.#partial.length > 0 ? Buffer.concat([this.#partial, bytes]) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    let ok = true;
    let at = 0;
    for (; at + this.frameBytes <= data.length; at += this.frameBytes) {
      if (!this.#queueFrame(data.subarray(at, at + this.frameBytes))) ok = false;
    }
    // Keep the tail (copied: the caller's buffer may be reused).
    data = data.subarray(at);
    this.#partial = data.length > 0 ? Buffer.from(data) : Buffer.alloc(0);
    return ok;
  }

  /** A mark after everything queued so far (a partial frame is completed with silence first). */
  mark(name: string): void {
    this.#flushPartial();
    this.#items.push({ kind: 'mark', name });
  }

  /** Drops the queued audio; returns the marks that were waiting, in order. */
  clear(): string[] {
    const marks: string[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const item = this.#items[i]!;
      if (item.kind === 'mark') marks.push(item.name);
    }
    this.#items = [];
    this.#head = 0;
    this.#frames = 0;
    this.#partial = Buffer.alloc(0);
    return marks;
  }

  /** One media tick: the marks reached, then the next frame. */
  next(): InboundTick {
    let marks: string[] | undefined;
    let frame: Int16Array | undefined;
    while (this.#head < this.#items.length) {
      const item = this.#items[this.#head]!;
      // Marks before the frame: what preceded them was played on earlier ticks.
      if (frame) break;
      if (item.kind === 'mark') {
        (marks ??= []).push(item.name);
        this.#head++;
        continue;
      }
      frame = item.samples;
      this.#head++;
      this.#frames--;
    }
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return { frame, marks: marks ?? [] };
  }

  #queueFrame(bytes: Uint8Array): boolean {
    if (this.#frames >= this.#maxFrames) {
      this.overflowFrames++;
      return false;
    }
    // Decoders may hand out pooled arrays: the queue keeps its own copy.
    this.#items.push({ kind: 'audio', samples: Int16Array.from(this.codec.decode(bytes)) });
    this.#frames++;
    return true;
  }

  #flushPartial(): void {
    if (this.#partial.length === 0) return;
    const padded = Buffer.alloc(this.frameBytes, this.codec.encode(new Int16Array(1)));
    this.#partial.copy(padded);
    this.#partial = Buffer.alloc(0);
    this.#queueFrame(padded);
  }
}
