/**
 * Recordings: a sink fed every tick from a session direction or a bridge's mix. Pausing leaves time out of the
 * recording; muting records silence in its place (ARI's recording pause and mute). A recording ends once:
 * stopped, discarded, full (`maxDurationMs`), silent for `maxSilenceMs`, its sink failed, or because its
 * target went away.
 *
 * Talking and silence are told apart as Asterisk's DSP does for `ast_play_and_record`: a frame is silent when
 * its mean absolute sample value is below the threshold (a muted or absent frame is silent). With
 * `maxSilenceMs`, silent frames are held back (at most `maxSilenceMs` of them) and written only once talking
 * resumes; a recording that ends on silence keeps just the first 200 ms of it, as Asterisk trims the file.
 */

import { averageMagnitude } from '../dsp/goertzel.ts';
import { DEFAULT_SILENCE_THRESHOLD } from '../dsp/talk.ts';
import type { SampleRate } from './frame.ts';
import type { Direction, MediaTarget, RecordingEndReason } from './protocol.ts';
import { SinkFeed, type AudioSink } from './sink.ts';

/** Silence a recording ended by silence keeps at its end (Asterisk keeps 200 ms). */
export const KEPT_TRAILING_SILENCE_MS = 200;

export interface RecordingOptions {
  /** Ends the recording (`silence`) after this much continuous silence. */
  readonly maxSilenceMs?: number;
  /** Mean absolute sample value below which a frame is silence (default 256). */
  readonly silenceThreshold?: number;
}

export class Recording {
  readonly id: string;
  readonly target: MediaTarget;
  readonly direction: Direction;
  readonly sink: AudioSink;
  readonly #feed: SinkFeed;
  readonly #maxSilenceMs: number | undefined;
  readonly #threshold: number;
  paused = false;
  muted = false;
  #ended: RecordingEndReason | undefined;
  #silence: Int16Array | undefined;
  #talkingMs = 0;
  #silenceRunMs = 0;
  /** Silent frames not written yet (only with `maxSilenceMs`). */
  #held: { samples: Int16Array; rate: SampleRate }[] = [];

  constructor(id: string, target: MediaTarget, direction: Direction, sink: AudioSink, options: RecordingOptions = {}) {
    this.id = id;
    this.target = target;
    this.direction = direction;
    this.sink = sink;
    this.#feed = new SinkFeed(sink);
    this.#maxSilenceMs = options.maxSilenceMs !== undefined && options.maxSilenceMs > 0 ? options.maxSilenceMs : undefined;
    this.#threshold = options.silenceThreshold ?? DEFAULT_SILENCE_THRESHOLD;
  }

  get ended(): boolean {
    return this.#ended !== undefined;
  }

  /** True once the sink is full: the host ends the recording with `max-duration`. */
  get full(): boolean {
    return this.sink.full;
  }

  /** True once silence has lasted `maxSilenceMs`: the host ends the recording with `silence`. */
  get silenceExceeded(): boolean {
    return this.#maxSilenceMs !== undefined && this.#silenceRunMs >= this.#maxSilenceMs;
  }

  /** Milliseconds of talking frames recorded. */
  get talkingMs(): number {
    return Math.min(this.#talkingMs, this.sink.durationMs);
  }

  /** One tick of audio at `rate`; `active` false means silence. */
  write(samples: Int16Array, rate: SampleRate, active: boolean): void {
    if (this.#ended || this.paused || this.sink.full || this.sink.failure !== undefined) return;
    const heard = active && !this.muted;
    let frame = samples;
    if (!heard) {
      if (this.#silence?.length !== samples.length) this.#silence = new Int16Array(samples.length);
      frame = this.#silence;
    }
    const ms = (samples.length * 1000) / rate;
    const loud = heard && averageMagnitude(samples) >= this.#threshold;
    if (loud) {
      this.#talkingMs += ms;
      this.#silenceRunMs = 0;
    } else this.#silenceRunMs += ms;
    if (this.#maxSilenceMs === undefined) {
      this.#feed.write(frame, rate);
      return;
    }
    if (!loud) {
      this.#held.push({ samples: frame.slice(), rate });
      return;
    }
    this.#flushHeld(Infinity);
    this.#feed.write(frame, rate);
  }

  /** Marks the recording ended and closes its sink; false when it had ended already. */
  end(reason: RecordingEndReason): boolean {
    if (this.#ended) return false;
    this.#ended = reason;
    if (reason === 'silence') this.#flushHeld(KEPT_TRAILING_SILENCE_MS);
    else if (reason !== 'discarded' && reason !== 'failed') this.#flushHeld(Infinity);
    this.#held = [];
    this.sink.close?.();
    return true;
  }

  /** Writes up to `maxMs` of the held silence (all of it with Infinity). */
  #flushHeld(maxMs: number): void {
    let left = maxMs;
    for (const h of this.#held) {
      if (left <= 0 || this.sink.full || this.sink.failure !== undefined) break;
      const ms = (h.samples.length * 1000) / h.rate;
      this.#feed.write(h.samples, h.rate);
      left -= ms;
    }
    this.#held = [];
  }
}
