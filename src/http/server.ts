/**
 * Ariadne's HTTP server: the http.conf listeners (plain and, with `tlsenable`, TLS beside it), connection
 * limits and timeouts, redirects, and dispatch of each request to the URI handler mounted on its first path
 * segment (ARI mounts `ari`). It knows nothing about channels or ARI: handlers receive plain `HttpRequest`
 * values and return `HttpResponse` values.
 *
 * fastify parses bodies (with the size limit) and hands every request to one catch-all route; responses are
 * written straight to the socket so that header spelling and order match Asterisk's.
 *
 * Lifecycle of a request: connection admitted (sessionlimit) → redirect? → prefix → URI handler → response.
 * Upgrades (WebSocket) skip fastify: the `upgrade` event goes to the URI handler's `upgrade`.
 */

import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { HttpConfig } from '../config/types.ts';
import type { Logger } from '../shared/logger.ts';
import { FileBody, type HeaderPair, type HttpRequest, type HttpResponse, type UriHandler } from './types.ts';
import { htmlErrorPage, reasonPhrase } from './html.ts';

/** Largest request body accepted; larger bodies get 413. ARI bodies are small JSON objects. */
export const BODY_LIMIT = 1024 * 1024;
/** Listen backlog: Asterisk's 10 makes 32 simultaneous connects stall for a SYN retransmit. */
const LISTEN_BACKLOG = 511;

export interface BoundAddress {
  readonly address: string;
  readonly port: number;
}

export interface HttpServerOptions {
  readonly config: HttpConfig;
  readonly logger: Logger;
}

type Listener = { server: http.Server; secure: boolean; bound?: BoundAddress };

export class HttpServer {
  #config: HttpConfig;
  readonly #logger: Logger;
  readonly #handlers = new Map<string, UriHandler>();
  readonly #app: FastifyInstance;
  #listeners: Listener[] = [];
  readonly #sockets = new Set<Socket>();
  /** Every TCP connection, admitted or not (TLS ones before their handshake too), so that close() ends them all. */
  readonly #connections = new Set<Socket>();
  #closed = false;

  constructor(options: HttpServerOptions) {
    this.#config = options.config;
    this.#logger = options.logger;
    let handler: http.RequestListener | undefined;
    this.#app = Fastify({
      logger: false,
      bodyLimit: BODY_LIMIT,
      exposeHeadRoutes: false,
      return503OnClosing: false,
      // A server object fastify believes it owns; the real listeners share its request handler.
      serverFactory: (h) => {
        handler = h;
        return http.createServer();
      },
    });
    this.#app.removeAllContentTypeParsers();
    this.#app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    this.#app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH'],
      url: '*',
      handler: (req, reply) => this.#onRequest(req, reply),
    });
    this.#app.setErrorHandler((error: { statusCode?: number; message: string }, req, reply) => {
      const status = error.statusCode === 413 ? 413 : error.statusCode === 400 ? 400 : 500;
      const message = status === 413 ? 'Request body too large' : status === 400 ? 'Error parsing request body' : 'Internal server error';
      if (status === 500) this.#logger.error(`http request failed [url:${req.url}]: ${error.message}`);
      this.#write(reply, { status, headers: [['Content-type', 'application/json']], body: JSON.stringify({ message }) });
    });
    this.#handlerReady = Promise.resolve(this.#app.ready()).then(() => {
      if (!handler) throw new Error('fastify did not provide a request handler');
      return handler;
    });
  }

  readonly #handlerReady: Promise<http.RequestListener>;

  /** Mounts a URI handler; `ari` serves `/[prefix/]ari/...`. */
  mount(handler: UriHandler): void {
    this.#handlers.set(handler.uri, handler);
  }

  /** The mounted handlers, for `http show status`. */
  uris(): { path: string; subtree: boolean; description: string }[] {
    return [...this.#handlers.values()].map((h) => ({ path: h.uri, subtree: h.subtree !== false, description: h.description }));
  }

  get config(): HttpConfig {
    return this.#config;
  }

  /** Where the listeners are bound (after `start`). */
  bound(): { plain?: BoundAddress; tls?: BoundAddress } {
    const out: { plain?: BoundAddress; tls?: BoundAddress } = {};
    for (const l of this.#listeners) if (l.bound) out[l.secure ? 'tls' : 'plain'] = l.bound;
    return out;
  }

  async start(): Promise<void> {
    if (!this.#config.enabled) {
      this.#logger.notice('HTTP server disabled in http.conf');
      return;
    }
    const handler = await this.#handlerReady;
    const plain = http.createServer(handler);
    await this.#listen({ server: plain, secure: false }, this.#config.bindaddr, this.#config.bindport);
    const tls = this.#config.tls;
    if (tls.enabled) {
      const options: https.ServerOptions = {
        cert: fs.readFileSync(tls.certfile),
        key: fs.readFileSync(tls.privatekey || tls.certfile),
        // A connection that never completes its handshake never reaches #admit; bound it like an idle one.
        handshakeTimeout: this.#config.sessionInactivityMs,
      };
      if (tls.cipher) options.ciphers = tls.cipher;
      if (tls.cafile) options.ca = fs.readFileSync(tls.cafile);
      const secure = https.createServer(options, handler);
      await this.#listen({ server: secure, secure: true }, tls.bindaddr, tls.bindport);
    }
  }

  async #listen(listener: Listener, host: string, port: number): Promise<void> {
    const { server, secure } = listener;
    server.keepAliveTimeout = this.#config.sessionKeepAliveMs;
    // Close idle keep-alive connections when session_keep_alive says, not a second later (Node's default).
    server.keepAliveTimeoutBuffer = 0;
    // Node re-arms this on every request after the first one on a keep-alive connection (our own timer set
    // in #admit only covers the first), so a client that stalls mid-request is closed after session_inactivity.
    server.timeout = this.#config.sessionInactivityMs;
    // Headers must arrive within the inactivity window; bodies too.
    server.headersTimeout = Math.max(1000, this.#config.sessionInactivityMs);
    server.requestTimeout = 0;
    server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => this.#admit(socket));
    server.on('connection', (socket: Socket) => {
      this.#connections.add(socket);
      socket.once('close', () => this.#connections.delete(socket));
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head, secure));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      // Only HTTP parse errors and timeouts get an answer. TLS errors (a failed or timed-out handshake, which
      // https re-emits here) must not: plain text on a TLS socket before its handshake waits forever.
      const code = err.code ?? '';
      const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : code.startsWith('HPE_') ? 400 : 0;
      if (status === 0 || !socket.writable) {
        socket.destroy();
        return;
      }
      socket.end(`HTTP/1.1 ${status} ${reasonPhraseFor(status)}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    if (addr && typeof addr === 'object') listener.bound = { address: addr.address, port: addr.port };
    this.#listeners.push(listener);
    const where = listener.bound ? formatHostPort(listener.bound) : `${host}:${port}`;
    this.#logger.verbose(1, `${secure ? 'HTTPS' : 'HTTP'} server listening on ${where}`);
  }

  /** Enforces `sessionlimit` and `session_inactivity` on a new connection. */
  #admit(socket: Socket): void {
    if (this.#sockets.size >= this.#config.sessionlimit) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroySoon?.();
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.setTimeout(this.#config.sessionInactivityMs, () => socket.destroy());
  }

  async #onRequest(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const raw = req.raw;
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    const redirect = this.#config.redirects.find((r) => r.from === fullPath);
    if (redirect) {
      this.#write(reply, { status: 302, headers: [['Location', redirect.to]], body: '' });
      return;
    }
    const mounted = this.#resolve(fullPath);
    if (!mounted) {
      this.#write(reply, this.#htmlError(404, 'The requested URL was not found on this server.'));
      return;
    }
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const request: HttpRequest = {
      method: raw.method ?? 'GET',
      path: mounted.rest,
      query,
      headers: raw.headers,
      body,
      remoteAddress: raw.socket.remoteAddress ?? '',
      secure: (raw.socket as { encrypted?: boolean }).encrypted === true,
    };
    let response: HttpResponse;
    try {
      response = await mounted.handler.handle(request);
    } catch (err) {
      this.#logger.error(`handler for /${mounted.handler.uri} failed [url:${url}]: ${(err as Error).stack ?? String(err)}`);
      response = { status: 500, headers: [['Content-type', 'application/json']], body: '{"message":"Internal server error"}' };
    }
    this.#write(reply, response);
  }

  /** Splits `/[prefix/]uri/rest` into the mounted handler and the rest of the path. */
  #resolve(fullPath: string): { handler: UriHandler; rest: string } | undefined {
    let path = fullPath;
    const prefix = this.#config.prefix;
    if (prefix) {
      if (!path.startsWith(`/${prefix}/`)) return undefined;
      path = path.slice(prefix.length + 1);
    }
    const slash = path.indexOf('/', 1);
    const first = slash === -1 ? path.slice(1) : path.slice(1, slash);
    const handler = this.#handlers.get(first);
    if (!handler) return undefined;
    return { handler, rest: slash === -1 ? '' : path.slice(slash) };
  }

  #onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, secure: boolean): void {
    // An upgraded connection lives on its own terms: no HTTP inactivity timer.
    (socket as Socket).setTimeout?.(0);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const fullPath = q === -1 ? url : url.slice(0, q);
    const mounted = this.#resolve(fullPath);
    if (!mounted?.handler.upgrade) {
      writeRawResponse(socket, this.#htmlError(404, 'The requested URL was not found on this server.'), this.#serverHeaders());
      return;
    }
    mounted.handler.upgrade(req, socket, head, {
      path: mounted.rest,
      query: q === -1 ? '' : url.slice(q + 1),
      secure,
      serverHeaders: this.#serverHeaders(),
    });
  }

  #htmlError(status: number, text: string): HttpResponse {
    return { status, headers: [['Content-type', 'text/html']], body: htmlErrorPage(status, text, this.#config.servername) };
  }

  /** `Server` (unless servername is empty) and `Cache-Control`, which Asterisk puts on every answer. */
  #serverHeaders(): HeaderPair[] {
    const out: HeaderPair[] = [];
    if (this.#config.servername) out.push(['Server', this.#config.servername]);
    return out;
  }

  #write(reply: FastifyReply, response: HttpResponse): void {
    reply.hijack();
    const res = reply.raw;
    const body = response.body ?? '';
    if (body instanceof FileBody) {
      this.#writeFile(reply, response, body);
      return;
    }
    res.writeHead(response.status, reasonPhraseFor(response.status), this.#headerList(response, Buffer.byteLength(body)));
    res.end(req_is_head(reply) ? undefined : body);
  }

  #headerList(response: HttpResponse, length: number): string[] {
    const headers: string[] = [];
    for (const [k, v] of this.#serverHeaders()) headers.push(k, v);
    headers.push('Cache-Control', 'no-cache, no-store');
    for (const [k, v] of response.headers) headers.push(k, v);
    headers.push('Content-Length', String(length));
    return headers;
  }

  /**
   * Streams a file body: the file is opened before anything is written, so a file that vanished since the
   * handler looked at it still gets a proper error answer; after the head, a read error can only cut the
   * connection (the client sees fewer bytes than Content-Length).
   */
  #writeFile(reply: FastifyReply, response: HttpResponse, body: FileBody): void {
    const res = reply.raw;
    fs.open(body.path, 'r', (err, fd) => {
      if (err) {
        this.#logger.error(`cannot open ${body.path} for [url:${reply.request.raw.url ?? ''}]: ${err.message}`);
        const failure = '{"message":"Internal server error"}';
        res.writeHead(500, reasonPhraseFor(500), this.#headerList({ status: 500, headers: [['Content-type', 'application/json']] }, failure.length));
        res.end(failure);
        return;
      }
      res.writeHead(response.status, reasonPhraseFor(response.status), this.#headerList(response, body.size));
      if (req_is_head(reply) || body.size === 0) {
        fs.close(fd, () => undefined);
        res.end();
        return;
      }
      const stream = fs.createReadStream('', { fd, start: 0, end: body.size - 1 });
      // A file that shrank meanwhile ends early: cut the connection rather than leave a short body on a
      // keep-alive connection.
      let sent = 0;
      stream.on('data', (chunk) => (sent += chunk.length));
      stream.on('error', () => res.destroy());
      stream.on('end', () => {
        if (sent < body.size) res.destroy();
      });
      res.on('close', () => stream.destroy());
      stream.pipe(res);
    });
  }

  /** Re-reads http.conf values that can change without rebinding (limits, timeouts, names, redirects). */
  reconfigure(config: HttpConfig): { rebindNeeded: boolean } {
    const old = this.#config;
    this.#config = config;
    for (const l of this.#listeners) {
      l.server.keepAliveTimeout = config.sessionKeepAliveMs;
      l.server.timeout = config.sessionInactivityMs;
    }
    const rebindNeeded =
      old.enabled !== config.enabled ||
      old.bindaddr !== config.bindaddr ||
      old.bindport !== config.bindport ||
      old.tls.enabled !== config.tls.enabled ||
      old.tls.bindaddr !== config.tls.bindaddr ||
      old.tls.bindport !== config.tls.bindport;
    return { rebindNeeded };
  }

  /** Number of open client connections (HTTP and upgraded). */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = Promise.all(this.#listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve()))));
    // server.close() waits for every connection: upgraded WebSockets and unfinished TLS handshakes included,
    // which closeAllConnections() does not know about.
    for (const l of this.#listeners) l.server.closeAllConnections();
    for (const s of this.#sockets) s.destroy();
    for (const s of this.#connections) s.destroy();
    await closed;
    await this.#app.close();
  }
}

function req_is_head(reply: FastifyReply): boolean {
  return reply.request.raw.method === 'HEAD';
}

function reasonPhraseFor(status: number): string {
  return http.STATUS_CODES[status] ?? reasonPhrase(status);
}

/** Writes a complete HTTP response on a raw socket (used before/without an upgrade) and closes it. */
export function writeRawResponse(socket: Duplex, response: HttpResponse, extra: readonly HeaderPair[] = []): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Raw answers are error pages; a file body has no place here and goes out empty.
  const body = response.body instanceof FileBody ? '' : (response.body ?? '');
  let head = `HTTP/1.1 ${response.status} ${reasonPhraseFor(response.status)}\r\n`;
  for (const [k, v] of extra) head += `${k}: ${v}\r\n`;
  head += `Date: ${new Date().toUTCString()}\r\nConnection: close\r\nCache-Control: no-cache, no-store\r\n`;
  for (const [k, v] of response.headers) head += `${k}: ${v}\r\n`;
  head += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  socket.end(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body)]));
}

export function formatHostPort(b: BoundAddress): string {
  return b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}
