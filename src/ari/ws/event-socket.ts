/**
 * The events WebSocket, `GET /ari/events?app=a,b[&subscribeAll=true]`.
 *
 * Upgrade: credentials (Basic or api_key) → Origin against `allowed_origins` (browsers only; no Origin header
 * means a non-browser client) → `app` present → upgrade, accepting the `ari` subprotocol when offered. Errors
 * before the upgrade are JSON (`{"message": …}`), unlike Asterisk's HTML 400 page.
 *
 * A session holds its applications (a second socket for the same app replaces it), sends each message as one
 * text frame, and answers `RESTRequest` messages with `RESTResponse` through the same dispatcher as HTTP.
 * Sending is bounded: a client whose unread backlog passes `MAX_BUFFERED_BYTES` is disconnected instead of
 * slowing the server or other clients (Asterisk drops such clients after a 100 ms write timeout instead).
 * The server pings every `PING_INTERVAL_MS`; a peer that misses two pings is dropped.
 */

import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AriUser } from '../../config/types.ts';
import type { HeaderPair, UpgradeInfo } from '../../http/types.ts';
import { writeRawResponse } from '../../http/server.ts';
import { originAllowed } from '../../http/cors.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppRegistry } from '../../stasis/app-registry.ts';
import type { AppMessage, AppSink } from '../../stasis/messages.ts';
import { ariTimestamp } from '../../shared/time.ts';
import type { AriDispatcher } from '../dispatcher.ts';
import { toWire } from '../events/to-wire.ts';

export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
export const PING_INTERVAL_MS = 30_000;
const MAX_MESSAGE_BYTES = 1024 * 1024;

export interface EventSocketOptions {
  readonly dispatcher: AriDispatcher;
  readonly apps: AppRegistry;
  readonly logger: Logger;
  readonly asteriskId: () => string;
  readonly maxBufferedBytes?: number;
  readonly pingIntervalMs?: number;
}

export class EventSocketServer {
  readonly #opts: EventSocketOptions;
  readonly #wss: WebSocketServer;
  readonly #sessions = new Set<EventSession>();

  constructor(options: EventSocketOptions) {
    this.#opts = options;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has('ari') ? 'ari' : false),
    });
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Handles an upgrade on `/ari/events`; `query` is the raw query string. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, info: UpgradeInfo): void {
    const d = this.#opts.dispatcher;
    const query = new URLSearchParams(info.query);
    const json = (status: number, message: string, extra: HeaderPair[] = []) =>
      writeRawResponse(
        socket,
        { status, headers: [...extra, ['Content-type', 'application/json']], body: d.json({ message }) },
        info.serverHeaders,
      );

    const auth = d.authenticate(req.headers.authorization, query.get('api_key') ?? undefined, req.socket.remoteAddress ?? '');
    if (!auth.ok) {
      json(auth.status, auth.message, auth.status === 401 ? [['WWW-Authenticate', `Basic realm="${d.config.authRealm}"`]] : []);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(d.config.allowedOrigins, origin)) {
      json(403, 'Origin not allowed');
      return;
    }
    const apps = query
      .getAll('app')
      .flatMap((a) => a.split(','))
      .map((a) => a.trim())
      .filter(Boolean);
    if (apps.length === 0) {
      json(400, 'Missing parameter app');
      return;
    }
    const sa = query.get('subscribeAll');
    const subscribeAll = sa !== null && /^(yes|true|y|t|1|on)$/i.test(sa);
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const session = new EventSession(ws, auth.user, apps, subscribeAll, this.#opts, info, req);
      this.#sessions.add(session);
      ws.once('close', () => this.#sessions.delete(session));
    });
  }

  /** Closes every session (server shutdown). */
  close(): void {
    for (const s of this.#sessions) s.close(1001, 'Server shutting down');
    this.#wss.close();
  }
}

class EventSession implements AppSink {
  readonly #ws: WebSocket;
  readonly #user: AriUser;
  readonly #apps: readonly string[];
  readonly #opts: EventSocketOptions;
  readonly #info: { secure: boolean; host: string; remoteAddress: string };
  readonly #maxBuffered: number;
  #pingTimer: NodeJS.Timeout | undefined;
  #awaitingPong = 0;
  #closed = false;
  #corked = false;

  constructor(
    ws: WebSocket,
    user: AriUser,
    apps: readonly string[],
    subscribeAll: boolean,
    opts: EventSocketOptions,
    info: { secure: boolean },
    req: IncomingMessage,
  ) {
    this.#ws = ws;
    this.#user = user;
    this.#apps = apps;
    this.#opts = opts;
    this.#info = { secure: info.secure, host: req.headers.host ?? '', remoteAddress: req.socket.remoteAddress ?? '' };
    this.#maxBuffered = opts.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
    for (const app of apps) opts.apps.register(app, this, { subscribeAll });
    opts.logger.verbose(3, `ARI: WebSocket for ${apps.join(',')} connected from ${this.#info.remoteAddress} as ${user.name}`);
    ws.on('message', (data, isBinary) => void this.#onMessage(data as Buffer, isBinary));
    ws.on('pong', () => (this.#awaitingPong = 0));
    ws.on('close', () => this.#onClose());
    ws.on('error', (err) => opts.logger.debug(1, `ARI WebSocket error: ${err.message}`));
    const interval = opts.pingIntervalMs ?? PING_INTERVAL_MS;
    if (interval > 0) {
      this.#pingTimer = setInterval(() => {
        if (this.#awaitingPong >= 2) {
          ws.terminate();
          return;
        }
        this.#awaitingPong++;
        ws.ping();
      }, interval);
      this.#pingTimer.unref();
    }
  }

  deliver(message: AppMessage): void {
    this.#send(toWire(message, this.#opts.asteriskId()));
  }

  #send(body: unknown): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#ws.bufferedAmount > this.#maxBuffered) {
      this.#opts.logger.warning(
        `ARI: WebSocket for ${this.#apps.join(',')} is not reading (${this.#ws.bufferedAmount} bytes queued); disconnecting it`,
      );
      this.#ws.terminate();
      return;
    }
    this.#cork();
    this.#ws.send(this.#opts.dispatcher.json(body));
  }

  /**
   * Events come in synchronous bursts (a hangup is ~6 messages). Corking the socket until the burst is over
   * turns them into one write instead of one syscall each, which was over a quarter of a call's CPU.
   */
  #cork(): void {
    if (this.#corked) return;
    const socket = (this.#ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return;
    this.#corked = true;
    socket.cork();
    // A microtask, not nextTick: it runs before the continuation that writes the HTTP response of the
    // request that caused the burst, so events still leave before that response (as with Asterisk).
    queueMicrotask(() => {
      this.#corked = false;
      socket.uncork();
    });
  }

  async #onMessage(data: Buffer, isBinary: boolean): Promise<void> {
    if (isBinary) return;
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      this.#opts.logger.debug(1, 'ARI WebSocket: ignoring a message that is not JSON');
      return;
    }
    if (!msg || typeof msg !== 'object' || (msg as { type?: unknown }).type !== 'RESTRequest') return;
    await this.#restRequest(msg as Record<string, unknown>);
  }

  /** REST over WebSocket: the request runs as this socket's user, through the HTTP pipeline after auth. */
  async #restRequest(m: Record<string, unknown>): Promise<void> {
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    const uri = str(m.uri);
    const q = uri.indexOf('?');
    const query = new URLSearchParams(q === -1 ? '' : uri.slice(q + 1));
    if (Array.isArray(m.query_strings)) {
      for (const p of m.query_strings as unknown[]) {
        const qp = p as { name?: unknown; value?: unknown };
        if (typeof qp?.name === 'string') query.append(qp.name, String(qp.value ?? ''));
      }
    }
    let path = q === -1 ? uri : uri.slice(0, q);
    if (!path.startsWith('/')) path = `/${path}`;
    const method = str(m.method).toUpperCase() || 'GET';
    const res = await this.#opts.dispatcher.invoke(
      {
        method,
        path,
        query,
        contentType: str(m.content_type),
        body: str(m.message_body),
        info: { method, path, host: this.#info.host, secure: this.#info.secure, remoteAddress: this.#info.remoteAddress },
      },
      this.#user,
    );
    const contentType = res.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1];
    const reply: Record<string, unknown> = {
      type: 'RESTResponse',
      transaction_id: str(m.transaction_id),
      request_id: str(m.request_id),
      status_code: res.status,
      reason_phrase: STATUS_CODES[res.status] ?? 'Unknown',
      uri,
    };
    if (contentType) reply.content_type = contentType;
    reply.message_body = res.body === undefined ? '' : res.body.toString();
    reply.timestamp = ariTimestamp();
    reply.asterisk_id = this.#opts.asteriskId();
    reply.application = this.#apps[0];
    this.#send(reply);
  }

  close(code: number, reasonText: string): void {
    this.#ws.close(code, reasonText);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pingTimer) clearInterval(this.#pingTimer);
    for (const app of this.#apps) this.#opts.apps.unregister(app, this);
    this.#opts.logger.verbose(3, `ARI: WebSocket for ${this.#apps.join(',')} closed`);
  }
}

