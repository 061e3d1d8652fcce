/**
 * The events WebSocket, kept open: it reconnects with jittered exponential backoff whenever the socket closes
 * or stops answering, and reopens the same URL, which registers the same applications again. The app's code
 * sees only the events (and a status callback); nothing has to be redone by hand after a server restart.
 *
 * Liveness is checked by the owner's `ping` (a `RESTRequest` for `asterisk/ping` over this very socket when the
 * server supports REST over WebSocket, an HTTP ping otherwise): the standard WebSocket API cannot send
 * protocol-level pings, and a socket whose peer vanished without a FIN never reports a close by itself.
 */

/** The part of the standard WebSocket API the client uses (Node 24's global WebSocket, a browser's, or `ws`). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { readonly data: unknown }) => void) | null;
  onclose: ((ev: { readonly code?: number; readonly reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class: `globalThis.WebSocket` by default, or `ws`'s `WebSocket` on older runtimes. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** What the connection is doing; reported to `ari.onConnection`. */
export type ConnectionState = 'open' | 'reconnecting' | 'closed';

export interface ReconnectingSocketOptions {
  readonly url: string;
  readonly WebSocket: WebSocketConstructor;
  /** First reconnect delay (before jitter). */
  readonly initialDelayMs: number;
  /** Longest reconnect delay (before jitter). */
  readonly maxDelayMs: number;
  /** How often to check liveness while open; 0 disables the check. */
  readonly pingIntervalMs: number;
  /** How long a liveness check may take before the socket is considered dead. */
  readonly pingTimeoutMs: number;
  readonly ping: () => Promise<void>;
  readonly onMessage: (data: string) => void;
  readonly onState: (state: ConnectionState, detail: { attempt: number; reason?: string }) => void;
  /** Source of jitter, injectable for tests; defaults to Math.random. */
  readonly random?: () => number;
}

const OPEN = 1;

export class ReconnectingSocket {
  readonly #o: ReconnectingSocketOptions;
  #ws: WebSocketLike | undefined;
  #attempt = 0;
  #everOpened = false;
  #stopped = false;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pingInFlight = false;

  constructor(options: ReconnectingSocketOptions) {
    this.#o = options;
  }

  get isOpen(): boolean {
    return this.#ws !== undefined && this.#ws.readyState === OPEN;
  }

  /** Opens the socket; resolves on the first open, rejects if the first attempt fails (nothing retries then). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => this.#open({ resolve, reject }));
  }

  /** Sends a text frame; false when the socket is not open. */
  send(data: string): boolean {
    if (!this.isOpen || this.#ws === undefined) return false;
    this.#ws.send(data);
    return true;
  }

  /** Closes for good: no reconnect. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#stopPing();
    const ws = this.#ws;
    this.#ws = undefined;
    if (ws !== undefined) {
      detach(ws);
      try {
        ws.close(1000, 'client closing');
      } catch {
        // already closing
      }
    }
    this.#o.onState('closed', { attempt: this.#attempt });
  }

  /** Drops the current socket (as if it died) and reconnects; used when a liveness check fails. */
  drop(reason: string): void {
    const ws = this.#ws;
    if (ws === undefined || this.#stopped) return;
    detach(ws);
    try {
      ws.close(4000, reason);
    } catch {
      // a dead socket may refuse to close cleanly; it is abandoned either way
    }
    this.#lost(reason);
  }

  #open(first?: { resolve: () => void; reject: (err: Error) => void }): void {
    if (this.#stopped) return;
    let ws: WebSocketLike;
    try {
      ws = new this.#o.WebSocket(this.#o.url);
    } catch (err) {
      if (first) first.reject(err as Error);
      else this.#schedule(`cannot open: ${(err as Error).message}`);
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.#everOpened = true;
      this.#startPing();
      this.#o.onState('open', { attempt: 0 });
      first?.resolve();
    };
    ws.onmessage = (ev) => {
      const data = ev.data;
      if (typeof data === 'string') this.#o.onMessage(data);
      else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return; // the event socket is text only
      else this.#o.onMessage(String(data));
    };
    ws.onerror = () => undefined; // a close always follows; it decides
    ws.onclose = (ev) => {
      detach(ws);
      if (this.#ws !== ws) return;
      const reason = `closed (${ev.code ?? 'no code'}${ev.reason ? ` ${ev.reason}` : ''})`;
      if (first && !this.#everOpened) {
        this.#ws = undefined;
        first.reject(new Error(`the events WebSocket did not open: ${reason}`));
        return;
      }
      this.#lost(reason);
    };
  }

  #lost(reason: string): void {
    this.#ws = undefined;
    this.#stopPing();
    this.#schedule(reason);
  }

  #schedule(reason: string): void {
    if (this.#stopped) return;
    const ceiling = Math.min(this.#o.maxDelayMs, this.#o.initialDelayMs * 2 ** Math.min(this.#attempt, 30));
    // Half fixed, half random: clients dropped together by one restart do not all come back in the same instant.
    const delay = ceiling * (0.5 + 0.5 * (this.#o.random ?? Math.random)());
    this.#attempt++;
    this.#o.onState('reconnecting', { attempt: this.#attempt, reason });
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #startPing(): void {
    this.#stopPing();
    if (this.#o.pingIntervalMs <= 0) return;
    const ws = this.#ws;
    this.#pingTimer = setInterval(() => {
      if (this.#pingInFlight || this.#ws !== ws) return;
      this.#pingInFlight = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to a ping within ${this.#o.pingTimeoutMs} ms`)), this.#o.pingTimeoutMs);
      });
      Promise.race([this.#o.ping(), timeout])
        .catch((err: unknown) => {
          if (this.#ws === ws) this.drop(`liveness check failed: ${(err as Error).message}`);
        })
        .finally(() => {
          clearTimeout(timer);
          this.#pingInFlight = false;
        });
    }, this.#o.pingIntervalMs);
  }

  #stopPing(): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }
}

function detach(ws: WebSocketLike): void {
  ws.onopen = null;
  ws.onmessage = null;
  ws.onclose = null;
  ws.onerror = () => undefined;
}
