/**
 * The client: `connect()` checks the credentials and reads what the server is (`GET /asterisk/info`, the
 * api-docs), opens the events WebSocket for the applications, and returns an `Ari` whose resources
 * (`ari.channels`, `ari.bridges`, …) are built from the generated operation table.
 *
 * Calls go over HTTP (`fetch`, Basic auth): path parameters in the path, scalars in the query string, and the
 * body parameters as JSON (`{"variables": {…}}`), as Asterisk expects them. With `restOverWebSocket`, calls
 * travel as `RESTRequest` messages on the events socket instead (Asterisk 20.14+/21.9+/22.4+, Ariadne); the
 * client checks that the server answers them and uses HTTP until it does, or when the socket is down.
 */

import { operationTable, type AriApi } from '../generated/api.ts';
import type { AsteriskInfo } from '../generated/models.ts';
import { AriConnectionError, AriError, UnsupportedOperation } from './errors.ts';
import { EventHub, type AnyEvent, type EventMap, type EventType, type Listener, type OnceOptions, type UnknownEvent } from './events.ts';
import {
  handleFactory,
  type BridgeHandle,
  type ChannelHandle,
  type LiveRecordingHandle,
  type ObjectHandle,
  type PlaybackHandle,
} from './handles.ts';
import { ReconnectingSocket, type ConnectionState, type WebSocketConstructor } from './socket.ts';
import type { CallOptions, OperationEntry } from './types.ts';

/** Options of `connect`. */
export interface ConnectOptions {
  /** Base URL of the server's HTTP interface, e.g. `http://127.0.0.1:8088` (a trailing `/ari` is accepted). */
  readonly url: string;
  readonly username: string;
  readonly password: string;
  /** Stasis applications to register on the events WebSocket. None: a REST-only client without events. */
  readonly apps?: readonly string[];
  /** Receive every event of the system, not only those of the applications' channels and bridges. */
  readonly subscribeAll?: boolean;
  /** Send calls as `RESTRequest` messages over the events WebSocket when the server supports it. */
  readonly restOverWebSocket?: boolean;
  /** Read the server's api-docs at connect so calls it lacks fail with `UnsupportedOperation`. Default true. */
  readonly detectOperations?: boolean;
  /** First and longest reconnect delays; each delay is jittered between half and all of its value. */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
  /** How often to check that the events socket is alive (0: never). Default 10 s. */
  readonly pingIntervalMs?: number;
  /** How long a liveness check may take before the socket is dropped and reopened. Default 5 s. */
  readonly pingTimeoutMs?: number;
  /** WebSocket implementation; default the runtime's global `WebSocket` (Node 22+, browsers). */
  readonly WebSocket?: WebSocketConstructor;
  /** Where errors thrown by event listeners go; default `console.error`. */
  readonly onListenerError?: (err: unknown, event: AnyEvent) => void;
}

/** What the server said about itself at connect. */
export interface ServerVersion {
  /** Version string from `GET /asterisk/info` (`system.version`), when the user may read it. */
  readonly asterisk: string | undefined;
  /** `apiVersion` from the api-docs, e.g. `10.0.0` for Asterisk 22. */
  readonly apiVersion: string | undefined;
}

/** Connection status callback. */
export type ConnectionListener = (state: ConnectionState, detail: { readonly attempt: number; readonly reason?: string }) => void;

interface WireResponse {
  readonly type: 'RESTResponse';
  readonly request_id?: string;
  readonly status_code?: number;
  readonly reason_phrase?: string;
  readonly content_type?: string;
  readonly message_body?: string;
}

interface PendingRequest {
  resolve(response: WireResponse): void;
  reject(err: Error): void;
}

/**
 * An ARI client. Every resource of the API is a property (`ari.channels.originate(…)`), typed from the
 * api-docs; events arrive through `on`/`once`; `channel(id)` & co. give per-object handles.
 *
 * @example
 * const ari = await connect({ url: 'http://127.0.0.1:8088', username: 'asterisk', password: 'secret', apps: ['demo'] });
 * ari.on('StasisStart', async (e) => {
 *   const channel = ari.channel(e.channel);
 *   await channel.answer();
 *   await channel.play({ media: 'sound:hello-world' });
 * });
 */
export interface Ari extends AriApi {}
// The resource properties (`channels`, `bridges`, …) are created from the operation table in the constructor;
// the interface of the same name gives them their generated types.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Ari {
  /**
   * Server version and API version, read at connect.
   *
   * @example
   * if (ari.version.apiVersion?.startsWith('10.')) console.log('Asterisk 22 API');
   */
  version: ServerVersion = { asterisk: undefined, apiVersion: undefined };

  readonly #base: string;
  readonly #auth: string;
  readonly #opts: ConnectOptions;
  readonly #hub: EventHub;
  readonly #pending = new Map<string, PendingRequest>();
  readonly #connectionListeners = new Set<ConnectionListener>();
  #socket: ReconnectingSocket | undefined;
  #supported: ReadonlySet<string> | undefined;
  #wsRest = false;
  #nextRequest = 0;
  #closed = false;
  readonly #channel: (id: string) => ObjectHandle<'Channel'>;
  readonly #bridge: (id: string) => ObjectHandle<'Bridge'>;
  readonly #playback: (id: string) => ObjectHandle<'Playback'>;
  readonly #recording: (id: string) => ObjectHandle<'LiveRecording'>;

  /** Use `connect()`, which also opens the connection. */
  constructor(options: ConnectOptions) {
    this.#opts = options;
    this.#base = options.url.replace(/\/+$/, '').replace(/\/ari$/, '');
    this.#auth = `Basic ${base64(`${options.username}:${options.password}`)}`;
    this.#hub = new EventHub(options.onListenerError ?? ((err, event) => console.error(`ARI listener for ${event.type} failed:`, err)));
    const self = this as unknown as Record<string, Record<string, unknown>>;
    for (const entry of operationTable) {
      const resource = (self[entry.resource] ??= {});
      resource[entry.name] = (params?: Record<string, unknown>, callOptions?: CallOptions) => this.#call(entry, params, callOptions);
    }
    const call = (entry: OperationEntry, params: Record<string, unknown> | undefined, o: CallOptions | undefined) => this.#call(entry, params, o);
    this.#channel = handleFactory('Channel', 'channelId', operationTable, this.#hub, call);
    this.#bridge = handleFactory('Bridge', 'bridgeId', operationTable, this.#hub, call);
    this.#playback = handleFactory('Playback', 'playbackId', operationTable, this.#hub, call);
    this.#recording = handleFactory('LiveRecording', 'recordingName', operationTable, this.#hub, call);
  }

  /**
   * Reads the server's identity and api-docs, then opens the events socket. `connect()` calls it; call it
   * yourself only on an `Ari` made with `new`.
   *
   * @example
   * const ari = new Ari({ url, username, password, apps: ['demo'] });
   * ari.on('StasisStart', onStart); // listeners in place before the first event can arrive
   * await ari.open();
   */
  async open(): Promise<void> {
    const info = (await this.asterisk.getInfo({ only: 'system' })) as AsteriskInfo;
    const docs = this.#opts.detectOperations === false ? undefined : await this.#readApiDocs().catch(() => undefined);
    this.version = { asterisk: info.system?.version, apiVersion: docs?.apiVersion };
    this.#supported = docs?.operations;
    const apps = this.#opts.apps ?? [];
    if (apps.length === 0) return;
    const query = new URLSearchParams({ app: apps.join(','), api_key: `${this.#opts.username}:${this.#opts.password}` });
    if (this.#opts.subscribeAll) query.set('subscribeAll', 'true');
    const WebSocketImpl = this.#opts.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketImpl === undefined) throw new AriConnectionError('no WebSocket implementation: pass the `WebSocket` option');
    this.#socket = new ReconnectingSocket({
      url: `${this.#base.replace(/^http/, 'ws')}/ari/events?${query}`,
      WebSocket: WebSocketImpl,
      initialDelayMs: this.#opts.reconnect?.initialDelayMs ?? 250,
      maxDelayMs: this.#opts.reconnect?.maxDelayMs ?? 10_000,
      pingIntervalMs: this.#opts.pingIntervalMs ?? 10_000,
      pingTimeoutMs: this.#opts.pingTimeoutMs ?? 5_000,
      ping: () => this.#ping(),
      onMessage: (data) => this.#onMessage(data),
      onState: (state, detail) => this.#onState(state, detail),
    });
    await this.#socket.start();
  }

  /**
   * Listens to every event of a type, narrowed to its interface; `'*'` hears everything, `'unknown'` the
   * types this SDK does not know. Returns a function that removes the listener.
   *
   * @example
   * const off = ari.on('ChannelDtmfReceived', (e) => console.log(e.digit, e.channel.id));
   * ari.on('unknown', (e) => console.log('newer server sent', e.type));
   * off();
   */
  on<T extends EventType>(type: T, listener: Listener<EventMap[T]>): () => void;
  on(type: '*', listener: Listener<AnyEvent>): () => void;
  on(type: 'unknown', listener: Listener<UnknownEvent>): () => void;
  on(type: string, listener: Listener<never>): () => void {
    return this.#hub.on(type, listener as Listener<AnyEvent>);
  }

  /**
   * The next event of a type.
   *
   * @example
   * const start = await ari.once('StasisStart', { timeoutMs: 5000 });
   */
  once<T extends EventType>(type: T, options?: OnceOptions): Promise<EventMap[T]>;
  once(type: '*' | 'unknown', options?: OnceOptions): Promise<AnyEvent>;
  once(type: string, options?: OnceOptions): Promise<AnyEvent> {
    return this.#hub.once((l) => this.#hub.on(type, l), type, options);
  }

  /**
   * Reports connection changes: `open` (also after each reconnect), `reconnecting` (with the attempt number and
   * why), `closed` (after `close()`). Returns a function that removes the listener.
   *
   * @example
   * ari.onConnection((state, { attempt, reason }) => console.log(state, attempt, reason ?? ''));
   */
  onConnection(listener: ConnectionListener): () => void {
    this.#connectionListeners.add(listener);
    return () => this.#connectionListeners.delete(listener);
  }

  /**
   * A handle on a channel, by id or from a snapshot in an event; without an argument, a new unique id to
   * originate with (`originateWithId` / `create` then take it from the handle).
   *
   * @example
   * const channel = ari.channel();
   * const up = channel.once('StasisStart');
   * await channel.originateWithId({ endpoint: 'PJSIP/alice', app: 'demo' });
   * await up;
   */
  channel(idOrSnapshot?: string | { readonly id: string }): ChannelHandle {
    return this.#channel(idOf(idOrSnapshot)) as ChannelHandle;
  }

  /**
   * A handle on a bridge, by id or snapshot; without an argument, a new id for `bridge.createWithId()`.
   *
   * @example
   * const bridge = ari.bridge();
   * await bridge.createWithId({ type: 'mixing' });
   */
  bridge(idOrSnapshot?: string | { readonly id: string }): BridgeHandle {
    return this.#bridge(idOf(idOrSnapshot)) as BridgeHandle;
  }

  /**
   * A handle on a playback, by id or snapshot; without an argument, a new id to pass as `playbackId`.
   *
   * @example
   * const playback = ari.playback();
   * const done = playback.once('PlaybackFinished');
   * await channel.play({ media: 'digits:123', playbackId: playback.id });
   * await done;
   */
  playback(idOrSnapshot?: string | { readonly id: string }): PlaybackHandle {
    return this.#playback(idOf(idOrSnapshot)) as PlaybackHandle;
  }

  /**
   * A handle on a recording by name (live recordings are named, not numbered).
   *
   * @example
   * const rec = ari.liveRecording('greeting');
   * await channel.record({ name: rec.id, format: 'wav' });
   * await rec.stop();
   */
  liveRecording(nameOrSnapshot: string | { readonly name: string }): LiveRecordingHandle {
    return this.#recording(typeof nameOrSnapshot === 'string' ? nameOrSnapshot : nameOrSnapshot.name) as LiveRecordingHandle;
  }

  /**
   * Whether the server listed `resource.operation` in its api-docs at connect (true when they were not read).
   *
   * @example
   * if (ari.supports('channels', 'externalMedia')) await ari.channels.externalMedia({ app: 'demo', external_host: '127.0.0.1:4000', format: 'ulaw' });
   */
  supports<R extends keyof AriApi>(resource: R, operation: keyof AriApi[R] & string): boolean {
    return this.#supported === undefined || this.#supported.has(`${resource}.${operation}`);
  }

  /**
   * Whether calls currently travel over the events WebSocket (asked for with `restOverWebSocket`, the server
   * answered the client's first `RESTRequest`, and the socket is open).
   *
   * @example
   * console.log(ari.restOverWebSocket ? 'REST over WebSocket' : 'REST over HTTP');
   */
  get restOverWebSocket(): boolean {
    return this.#opts.restOverWebSocket === true && this.#wsRest && this.#socket?.isOpen === true;
  }

  /**
   * Closes the events socket for good (the applications are unregistered by the server) and fails calls still
   * waiting for an answer on it.
   *
   * @example
   * process.once('SIGINT', () => ari.close());
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket?.stop();
    this.#failPending('the client was closed');
  }

  // ---------------------------------------------------------------------------------------------------------

  async #call(entry: OperationEntry, params: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> {
    const operation = `${entry.resource}.${entry.name}`;
    if (this.#supported !== undefined && !this.#supported.has(operation)) throw new UnsupportedOperation(operation, this.version.asterisk);
    let path = entry.path;
    for (const name of entry.pathParams) {
      const value = params[name];
      if (value === undefined || value === '') throw new TypeError(`${operation}: missing path parameter ${name}`);
      path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
    }
    const query: [string, string][] = [];
    for (const name of entry.query) {
      const value = params[name];
      if (value === undefined) continue;
      // Asterisk reads a list parameter as one comma-separated value.
      query.push([name, Array.isArray(value) ? value.map(String).join(',') : String(value)]);
    }
    let body: string | undefined;
    if (entry.body !== undefined && params[entry.body.name] !== undefined) {
      const value = params[entry.body.name];
      body = JSON.stringify(entry.body.wrap ? { [entry.body.name]: value } : value);
    }
    if (entry.returns !== 'binary' && this.restOverWebSocket) {
      const res = await this.#wsRequest(entry.method, path.slice(1), query, body, options.signal);
      const status = res.status_code ?? 0;
      const text = res.message_body ?? '';
      if (status >= 400) throw errorFrom(status, res.reason_phrase ?? '', text, operation, `${entry.method} ${path}`);
      return entry.returns === 'void' || text === '' ? undefined : JSON.parse(text);
    }
    const qs = query.length === 0 ? '' : `?${new URLSearchParams(query)}`;
    const headers: Record<string, string> = { authorization: this.#auth };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.#base}/ari${path}${qs}`, {
        method: entry.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new AriConnectionError(`${operation}: cannot reach ${this.#base}: ${(err as Error).message}`, operation, { cause: err });
    }
    if (res.status >= 400) throw errorFrom(res.status, res.statusText, await res.text(), operation, `${entry.method} ${path}`);
    if (entry.returns === 'binary') return res.arrayBuffer();
    const text = await res.text();
    return entry.returns === 'void' || text === '' ? undefined : JSON.parse(text);
  }

  #wsRequest(method: string, uri: string, query: readonly [string, string][], body: string | undefined, signal?: AbortSignal): Promise<WireResponse> {
    const id = `sdk-${++this.#nextRequest}`;
    const message: Record<string, unknown> = { type: 'RESTRequest', transaction_id: id, request_id: id, method, uri };
    if (query.length > 0) message['query_strings'] = query.map(([name, value]) => ({ name, value }));
    if (body !== undefined) {
      message['content_type'] = 'application/json';
      message['message_body'] = body;
    }
    return new Promise<WireResponse>((resolve, reject) => {
      const onAbort = () => {
        this.#pending.delete(id);
        reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      });
      if (this.#socket?.send(JSON.stringify(message)) !== true) {
        this.#pending.delete(id);
        reject(new AriConnectionError(`${method} ${uri}: the events WebSocket is not open`));
      }
    });
  }

  #onMessage(data: string): void {
    let message: AnyEvent;
    try {
      message = JSON.parse(data) as AnyEvent;
    } catch {
      return; // not JSON: nothing a listener could use
    }
    if (message === null || typeof message !== 'object' || typeof message.type !== 'string') return;
    if (message.type === 'RESTResponse') {
      const response = message as unknown as WireResponse;
      const pending = response.request_id === undefined ? undefined : this.#pending.get(response.request_id);
      if (pending !== undefined && response.request_id !== undefined) {
        this.#pending.delete(response.request_id);
        pending.resolve(response);
      }
      return;
    }
    this.#hub.dispatch(message);
  }

  #onState(state: ConnectionState, detail: { attempt: number; reason?: string }): void {
    if (state !== 'open') {
      this.#failPending(`the events WebSocket went down${detail.reason ? `: ${detail.reason}` : ''}`);
    } else if (this.#opts.restOverWebSocket === true || (this.#opts.pingIntervalMs ?? 10_000) > 0) {
      // A server may have been replaced by another version; find out again whether it answers RESTRequests.
      this.#wsRest = false;
      this.#wsRequest('GET', 'asterisk/ping', [], undefined, AbortSignal.timeout(this.#opts.pingTimeoutMs ?? 5_000)).then(
        (r) => (this.#wsRest = r.status_code === 200),
        () => undefined,
      );
    }
    for (const listener of this.#connectionListeners) {
      try {
        listener(state, detail);
      } catch (err) {
        console.error('ARI connection listener failed:', err);
      }
    }
  }

  /** Liveness: a RESTRequest over the socket itself when possible, else any HTTP answer from the server. */
  async #ping(): Promise<void> {
    if (this.#wsRest) {
      await this.#wsRequest('GET', 'asterisk/ping', [], undefined);
      return;
    }
    const res = await fetch(`${this.#base}/ari/asterisk/ping`, { headers: { authorization: this.#auth } });
    await res.arrayBuffer();
  }

  #failPending(why: string): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(new AriConnectionError(why));
  }

  async #readApiDocs(): Promise<{ apiVersion: string | undefined; operations: Set<string> }> {
    const get = async (file: string): Promise<Record<string, unknown>> => {
      const res = await fetch(`${this.#base}/ari/api-docs/${file}`, { headers: { authorization: this.#auth } });
      if (!res.ok) throw new Error(`api-docs ${file}: ${res.status}`);
      return (await res.json()) as Record<string, unknown>;
    };
    const listing = await get('resources.json');
    const files = ((listing['apis'] as { path?: string }[] | undefined) ?? [])
      .map((a) => /\/api-docs\/([A-Za-z]+)\.\{format\}$/.exec(a.path ?? '')?.[1])
      .filter((n): n is string => n !== undefined);
    const operations = new Set<string>();
    await Promise.all(
      files.map(async (name) => {
        const doc = await get(`${name}.json`);
        for (const api of (doc['apis'] as { operations?: { nickname?: string }[] }[] | undefined) ?? []) {
          for (const op of api.operations ?? []) if (op.nickname !== undefined) operations.add(`${name}.${op.nickname}`);
        }
      }),
    );
    return { apiVersion: typeof listing['apiVersion'] === 'string' ? listing['apiVersion'] : undefined, operations };
  }
}

/**
 * Connects to an ARI server: checks the credentials, reads the server's version and api-docs, registers the
 * applications on the events WebSocket, and resolves once they are registered. The connection then keeps itself
 * up (reconnecting with backoff, re-registering the applications) until `ari.close()`.
 *
 * @example
 * import { connect } from './client/index.ts';
 *
 * const ari = await connect({ url: 'http://127.0.0.1:8088', username: 'asterisk', password: 'secret', apps: ['demo'] });
 * console.log(`connected to ${ari.version.asterisk} (ARI ${ari.version.apiVersion})`);
 * ari.on('StasisStart', async (e) => {
 *   await ari.channel(e.channel).answer();
 * });
 */
export async function connect(options: ConnectOptions): Promise<Ari> {
  const ari = new Ari(options);
  try {
    await ari.open();
  } catch (err) {
    ari.close();
    throw err;
  }
  return ari;
}

function errorFrom(status: number, reason: string, text: string, operation: string, request: string): AriError {
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return new AriError(status, typeof message === 'string' ? message : reason || `HTTP ${status}`, operation, request, body);
}

function idOf(idOrSnapshot: string | { readonly id: string } | undefined): string {
  if (idOrSnapshot === undefined) return crypto.randomUUID();
  return typeof idOrSnapshot === 'string' ? idOrSnapshot : idOrSnapshot.id;
}

function base64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}
