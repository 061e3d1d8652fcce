/**
 * The media clock of a stream-transport external media channel (AudioSocket, WebSocket). The channel's session
 * `out` side is tapped, so every 20 ms tick of the media host delivers what the channel says to the outside:
 * that frame is encoded in the channel's format and handed to `send`; on the same tick one queued frame of what
 * the outside said (`InboundAudio`) is written into the session, so the peer's audio is played at real time
 * whatever pace it arrives at. Marks reached on the tick are reported through `onMarks`.
 *
 * One notification listener per media port serves every pump (`frames`), so a tick costs one map lookup per
 * external channel rather than one call per channel per frame.
 */

import type { Codec } from '../codecs/registry.ts';
import type { MediaPort } from '../engine/port.ts';
import type { MediaNotification } from '../engine/protocol.ts';
import type { SampleRate } from '../engine/frame.ts';
import { LinearResampler } from '../engine/resample.ts';
import { InboundAudio } from './inbound-audio.ts';

type FrameNotification = Extract<MediaNotification, { type: 'frame' }>;

const routers = new WeakMap<MediaPort, { readonly pumps: Map<string, (n: FrameNotification) => void>; readonly off: () => void }>();

/** Routes the `out` frames of `sessionId` to `handler` until the returned function is called. */
function routeOut(port: MediaPort, sessionId: string, handler: (n: FrameNotification) => void): () => void {
  let router = routers.get(port);
  if (!router) {
    const pumps = new Map<string, (n: FrameNotification) => void>();
    const off = port.onNotification((n) => {
      if (n.type === 'frame' && n.direction === 'out') pumps.get(n.sessionId)?.(n);
    });
    router = { pumps, off };
    routers.set(port, router);
  }
  const r = router;
  r.pumps.set(sessionId, handler);
  port.send({ type: 'tap', sessionId, direction: 'out', enabled: true });
  return () => {
    if (r.pumps.get(sessionId) !== handler) return;
    r.pumps.delete(sessionId);
    port.send({ type: 'tap', sessionId, direction: 'out', enabled: false });
    if (r.pumps.size === 0) {
      r.off();
      routers.delete(port);
    }
  };
}

export interface MediaPumpOptions {
  readonly port: MediaPort;
  readonly sessionId: string;
  readonly codec: Codec;
  /** One encoded 20 ms frame of what the channel says. */
  readonly send: (payload: Buffer) => void;
  readonly onMarks?: (names: readonly string[]) => void;
  /** Longest inbound queue, in ms (default 60 s). */
  readonly maxQueueMs?: number;
}

export class MediaPump {
  readonly inbound: InboundAudio;
  readonly #port: MediaPort;
  readonly #sessionId: string;
  readonly #codec: Codec;
  readonly #send: (payload: Buffer) => void;
  readonly #onMarks: ((names: readonly string[]) => void) | undefined;
  #resampler: LinearResampler | undefined;
  #off: (() => void) | undefined;
  #inTs = 0;
  #inSeq = 0;

  constructor(options: MediaPumpOptions) {
    this.#port = options.port;
    this.#sessionId = options.sessionId;
    this.#codec = options.codec;
    this.#send = options.send;
    this.#onMarks = options.onMarks;
    this.inbound = new InboundAudio({ codec: options.codec, ...(options.maxQueueMs !== undefined ? { maxMs: options.maxQueueMs } : {}) });
  }

  /** Starts following the session's clock (the session must be attached). */
  start(): void {
    this.#off ??= routeOut(this.#port, this.#sessionId, (n) => this.#tick(n));
  }

  /** Stops following the clock (before the session is detached). */
  stop(): void {
    this.#off?.();
    this.#off = undefined;
  }

  #tick(n: FrameNotification): void {
    const { frame, marks } = this.inbound.next();
    const rate = this.#codec.sampleRate as SampleRate;
    if (frame) {
      this.#port.send({ type: 'write', sessionId: this.#sessionId, frame: { samples: frame, rate, timestamp: this.#inTs, seq: this.#inSeq++ } });
      this.#inTs += frame.length;
    }
    if (marks.length > 0) this.#onMarks?.(marks);
    let samples = n.frame.samples;
    if (n.frame.rate !== rate) {
      if (this.#resampler?.from !== n.frame.rate) this.#resampler = new LinearResampler(n.frame.rate, rate);
      samples = this.#resampler.process(samples, new Int16Array(this.#resampler.outputLength(samples.length)));
    }
    this.#send(this.#codec.encode(samples));
  }
}
