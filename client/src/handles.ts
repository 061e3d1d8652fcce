/**
 * Per-object handles: `ari.channel(id)`, `ari.bridge(id)`, `ari.playback(id)`, `ari.liveRecording(name)`.
 * A handle listens to the events about its object and carries every operation of its resource that takes the
 * object's id, with that id filled in (`channel.answer()`, `bridge.addChannel({ channel })`). Handles are cheap,
 * hold no state of their own beyond their registrations, and may be created before the object exists (to
 * originate with a known id, or to listen for a playback before starting it).
 */

import type { BridgesApi, ChannelsApi, PlaybacksApi, RecordingsApi } from '../generated/api.ts';
import type { EventHub, EventOf, HandleEventType, Listener, OnceOptions } from './events.ts';
import type { CallOptions, ObjectKind, OperationEntry } from './types.ts';

type ParamsOf<F> = F extends (params: infer P, options?: CallOptions) => unknown ? NonNullable<P> : never;
type ResultOf<F> = F extends (...args: never[]) => infer R ? R : never;
type BoundMethod<P, R> = {} extends P ? (params?: P, options?: CallOptions) => R : (params: P, options?: CallOptions) => R;

/**
 * The methods of `Api` that require parameter `K` (as a path parameter), with `K` removed from their parameters.
 * Operations where it is optional (`originate`'s `channelId`) stay on the resource.
 */
export type Bound<Api, K extends string> = {
  [M in keyof Api as string extends keyof ParamsOf<Api[M]> ? never : ParamsOf<Api[M]> extends Readonly<Record<K, unknown>> ? M : never]: BoundMethod<
    Omit<ParamsOf<Api[M]>, K>,
    ResultOf<Api[M]>
  >;
};

/** What every handle has: its id and event registration. */
export interface ObjectHandle<K extends ObjectKind> {
  readonly kind: K;
  /** The object's id (a live recording's name). */
  readonly id: string;
  /**
   * Listens to events of `type` about this object; returns a function that removes the listener.
   *
   * @example
   * channel.on('ChannelDtmfReceived', (e) => console.log(`${e.channel.name} pressed ${e.digit}`));
   */
  on<T extends HandleEventType<K>>(type: T, listener: Listener<EventOf<T>>): () => void;
  /**
   * The next event of `type` about this object. Rejects when the object ends first, on timeout or abort.
   * Register before starting what causes the event.
   *
   * @example
   * const playback = ari.playback();
   * const finished = playback.once('PlaybackFinished');
   * await channel.play({ media: 'tone:ring;tonezone=us', playbackId: playback.id });
   * await finished;
   */
  once<T extends HandleEventType<K>>(type: T, options?: OnceOptions): Promise<EventOf<T>>;
  /** Removes every listener added through this handle. */
  removeAllListeners(): void;
}

/**
 * A channel: its events and the channel operations.
 *
 * @example
 * ari.on('StasisStart', async (e) => {
 *   const channel = ari.channel(e.channel);
 *   await channel.answer();
 *   channel.on('ChannelDtmfReceived', (d) => console.log(d.digit));
 * });
 */
export type ChannelHandle = ObjectHandle<'Channel'> & Bound<ChannelsApi, 'channelId'>;
/**
 * A bridge: its events and the bridge operations.
 *
 * @example
 * const bridge = ari.bridge();
 * await bridge.createWithId({ type: 'mixing' });
 * await bridge.addChannel({ channel: [a.id, b.id] });
 */
export type BridgeHandle = ObjectHandle<'Bridge'> & Bound<BridgesApi, 'bridgeId'>;
/**
 * A playback: its events and the playback operations.
 *
 * @example
 * const playback = ari.playback();
 * await channel.play({ media: 'sound:hello-world', playbackId: playback.id });
 * await playback.control({ operation: 'pause' });
 */
export type PlaybackHandle = ObjectHandle<'Playback'> & Bound<PlaybacksApi, 'playbackId'>;
/**
 * A recording, by name: the events of its live recording and the recording operations.
 *
 * @example
 * const rec = ari.liveRecording('message-1');
 * const done = rec.once('RecordingFinished');
 * await channel.record({ name: rec.id, format: 'wav', maxDurationSeconds: 30 });
 * await done;
 */
export type LiveRecordingHandle = ObjectHandle<'LiveRecording'> & Bound<RecordingsApi, 'recordingName'>;

type Call = (entry: OperationEntry, params: Record<string, unknown> | undefined, options: CallOptions | undefined) => Promise<unknown>;

/** Builds the handle class of one kind: the common part plus a method per operation that takes `idParam`. */
export function handleFactory<K extends ObjectKind>(
  kind: K,
  idParam: string,
  entries: readonly OperationEntry[],
  hub: EventHub,
  call: Call,
): (id: string) => ObjectHandle<K> {
  class Handle implements ObjectHandle<K> {
    readonly kind = kind;
    readonly id: string;
    readonly #removers = new Set<() => void>();

    constructor(id: string) {
      this.id = id;
    }

    on<T extends HandleEventType<K>>(type: T, listener: Listener<EventOf<T>>): () => void {
      const remove = hub.onObject(kind, this.id, type, listener as Listener<unknown>);
      const remover = () => {
        this.#removers.delete(remover);
        remove();
      };
      this.#removers.add(remover);
      return remover;
    }

    once<T extends HandleEventType<K>>(type: T, options?: OnceOptions): Promise<EventOf<T>> {
      return hub.once((l) => this.on(type, l as Listener<EventOf<T>>), `${type} for ${kind.toLowerCase()} ${this.id}`, options);
    }

    removeAllListeners(): void {
      for (const remove of [...this.#removers]) remove();
    }
  }
  const proto = Handle.prototype as unknown as Record<string, unknown>;
  for (const entry of entries) {
    if (!entry.pathParams.includes(idParam) || entry.name in proto) continue;
    proto[entry.name] = function (this: Handle, params?: Record<string, unknown>, options?: CallOptions) {
      return call(entry, { ...params, [idParam]: this.id }, options);
    };
  }
  return (id) => new Handle(id);
}
