/**
 * Typed event dispatch. Each message from the events WebSocket is parsed once and handed to the listeners for its
 * `type`, to `'*'` listeners, and to the listeners of every per-object handle it refers to (a channel handle
 * hears the events whose channel fields — `channel`, `peer`, `caller`, … as the api-docs declare them — hold its
 * id). Types this SDK does not know (a newer server) go to `'unknown'` and `'*'` untyped; they never throw.
 *
 * A listener that throws, or returns a promise that rejects, is reported to `onError` and does not stop the
 * others. Registrations for an object end by themselves with its final event (ChannelDestroyed,
 * BridgeDestroyed, PlaybackFinished, RecordingFinished/RecordingFailed), so handles do not leak.
 */

import { eventRefs, type EventsAbout } from '../generated/api.ts';
import { eventTypes, type AriEvent } from '../generated/models.ts';
import { AriConnectionError } from './errors.ts';
import type { ObjectKind } from './types.ts';

/** Event interfaces by `type`: `EventMap['StasisStart']` is `StasisStart`. */
export type EventMap = { [E in AriEvent as E['type']]: E };

/** Any known event type. */
export type EventType = keyof EventMap;

/** The event of a given type (`never` for a name that is not an event type). */
export type EventOf<T> = T extends EventType ? EventMap[T] : never;

/** An event of a type this SDK was not generated with (from a newer server), delivered as parsed. */
export interface UnknownEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** What `'*'` listeners receive. */
export type AnyEvent = AriEvent | UnknownEvent;

/** An event listener; a returned promise is watched for rejection. */
export type Listener<E> = (event: E) => void | Promise<void>;

/** Options of `once`. */
export interface OnceOptions {
  /** Reject with an `AriConnectionError` when no such event came in this time. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

type AnyListener = Listener<AnyEvent> & { onGone?: (why: string) => void };
type ListenerTable = Map<string, AnyListener[]>;

/** Which field of an object identifies it. */
const ID_FIELD: Readonly<Record<ObjectKind, 'id' | 'name'>> = { Channel: 'id', Bridge: 'id', Playback: 'id', LiveRecording: 'name' };

/** The event after which an object is gone. */
const FINAL_EVENT: Readonly<Record<string, ObjectKind>> = {
  ChannelDestroyed: 'Channel',
  BridgeDestroyed: 'Bridge',
  PlaybackFinished: 'Playback',
  RecordingFinished: 'LiveRecording',
  RecordingFailed: 'LiveRecording',
};

const KNOWN: ReadonlySet<string> = new Set(eventTypes);

export class EventHub {
  readonly #byType: ListenerTable = new Map();
  readonly #objects = new Map<ObjectKind, Map<string, ListenerTable>>();
  readonly #onError: (err: unknown, event: AnyEvent) => void;
  #objectListeners = 0;

  constructor(onError: (err: unknown, event: AnyEvent) => void) {
    this.#onError = onError;
  }

  /** Adds a listener for a type, `'*'` or `'unknown'`; returns its remover. */
  on(type: string, listener: AnyListener): () => void {
    return add(this.#byType, type, listener);
  }

  /** Adds a listener for events of `type` that refer to object `id` of `kind`; returns its remover. */
  onObject(kind: ObjectKind, id: string, type: string, listener: AnyListener): () => void {
    let ids = this.#objects.get(kind);
    if (ids === undefined) this.#objects.set(kind, (ids = new Map()));
    let table = ids.get(id);
    if (table === undefined) ids.set(id, (table = new Map()));
    const t = table;
    const remove = add(t, type, listener);
    this.#objectListeners++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      if (ids.get(id) !== t) return; // already forgotten with the object's final event
      this.#objectListeners--;
      remove();
      if (t.size === 0) ids.delete(id);
    };
  }

  /** A promise for the next event that `register` routes to its listener. */
  once<E>(register: (l: AnyListener) => () => void, what: string, options: OnceOptions = {}): Promise<E> {
    return new Promise<E>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        remove();
      };
      const listener: AnyListener = (event) => {
        finish();
        resolve(event as E);
      };
      listener.onGone = (why) => {
        finish();
        reject(new AriConnectionError(`${what} will not come: ${why}`));
      };
      const onAbort = () => {
        finish();
        reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      };
      const remove = register(listener);
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          finish();
          reject(new AriConnectionError(`no ${what} within ${options.timeoutMs} ms`));
        }, options.timeoutMs);
      }
    });
  }

  /** Delivers one parsed message. */
  dispatch(event: AnyEvent): void {
    const type = event.type;
    const known = KNOWN.has(type);
    this.#run(this.#byType.get(known ? type : 'unknown'), event);
    this.#run(this.#byType.get('*'), event);
    if (!known || this.#objects.size === 0) return;
    const refs = eventRefs[type];
    if (refs === undefined) return;
    const fields = event as unknown as Record<string, Record<string, unknown> | undefined>;
    for (const kind of Object.keys(refs) as ObjectKind[]) {
      const ids = this.#objects.get(kind);
      if (ids === undefined || ids.size === 0) continue;
      const idField = ID_FIELD[kind];
      let seen: string | string[] | undefined;
      for (const field of refs[kind] ?? []) {
        const id = fields[field]?.[idField];
        if (typeof id !== 'string') continue;
        // The same object can sit in two fields (a transfer's channel and transferee); hear it once.
        if (seen === id || (Array.isArray(seen) && seen.includes(id))) continue;
        seen = seen === undefined ? id : [...(Array.isArray(seen) ? seen : [seen]), id];
        const table = ids.get(id);
        if (table !== undefined) this.#run(table.get(type), event);
      }
    }
    const finalKind = FINAL_EVENT[type];
    if (finalKind !== undefined) this.#forget(finalKind, fields, type);
  }

  /** Number of per-object listeners registered (for tests and leak checks). */
  get objectListenerCount(): number {
    return this.#objectListeners;
  }

  #forget(kind: ObjectKind, fields: Record<string, Record<string, unknown> | undefined>, type: string): void {
    const field = eventRefs[type]?.[kind]?.[0];
    const id = field === undefined ? undefined : fields[field]?.[ID_FIELD[kind]];
    if (typeof id !== 'string') return;
    const table = this.#objects.get(kind)?.get(id);
    if (table === undefined) return;
    this.#objects.get(kind)?.delete(id);
    for (const list of table.values()) {
      this.#objectListeners -= list.length;
      for (const l of list) l.onGone?.(`${kind.toLowerCase()} ${id} ended (${type})`);
    }
  }

  #run(list: readonly AnyListener[] | undefined, event: AnyEvent): void {
    if (list === undefined) return;
    for (const listener of list) {
      try {
        const result = listener(event);
        if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
          (result as Promise<void>).then(undefined, (err: unknown) => this.#onError(err, event));
        }
      } catch (err) {
        this.#onError(err, event);
      }
    }
  }
}

/** Copy-on-write, so that a listener removing itself (or another) does not disturb the loop that runs them. */
function add(table: ListenerTable, type: string, listener: AnyListener): () => void {
  table.set(type, [...(table.get(type) ?? []), listener]);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    const list = table.get(type);
    if (list === undefined) return;
    const next = list.filter((l) => l !== listener);
    if (next.length === 0) table.delete(type);
    else table.set(type, next);
  };
}

/** Event types each kind of handle can listen to. */
export type HandleEventType<K extends ObjectKind> = EventsAbout[K];
