/**
 * Recordings: a sink fed every tick from a session direction or a bridge's mix. Pausing leaves time out of the
 * recording; muting records silence in its place (ARI's recording pause and mute). A recording ends once:
 * stopped, discarded, full (`maxDurationMs`) or because its target went away.
 */

import type { SampleRate } from './frame.ts';
import type { Direction, MediaTarget, RecordingEndReason } from './protocol.ts';
import { SinkFeed, type AudioSink } from './sink.ts';

export class Recording {
  readonly id: string;
  readonly target: MediaTarget;
  readonly direction: Direction;
  readonly sink: AudioSink;
  readonly #feed: SinkFeed;
  paused = false;
  muted = false;
  #ended: RecordingEndReason | undefined;
  #silence: Int16Array | undefined;

  constructor(id: string, target: MediaTarget, direction: Direction, sink: AudioSink) {
    this.id = id;
    this.target = target;
    this.direction = direction;
    this.sink = sink;
    this.#feed = new SinkFeed(sink);
  }

  get ended(): boolean {
    return this.#ended !== undefined;
  }

  /** True once the sink is full: the host ends the recording with `max-duration`. */
  get full(): boolean {
    return this.sink.full;
  }

  /** One tick of audio at `rate`; `active` false means silence. */
  write(samples: Int16Array, rate: SampleRate, active: boolean): void {
    if (this.#ended || this.paused || this.sink.full) return;
    if (active && !this.muted) {
      this.#feed.write(samples, rate);
      return;
    }
    if (this.#silence?.length !== samples.length) this.#silence = new Int16Array(samples.length);
    this.#feed.write(this.#silence, rate);
  }

  /** Marks the recording ended and closes its sink; false when it had ended already. */
  end(reason: RecordingEndReason): boolean {
    if (this.#ended) return false;
    this.#ended = reason;
    this.sink.close?.();
    return true;
  }
}
