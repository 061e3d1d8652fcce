/**
 * SIP over TCP and TLS (RFC 3261 §18, RFC 5626 keep-alives). One listener per `type=transport`; connections,
 * whoever opened them, are kept in one table and reused: a response or in-dialog request for a peer goes out
 * on the connection its request came in on (looked up by connection id, then by remote address), and only
 * when there is none is a new outbound connection opened.
 *
 * Each connection feeds a `StreamFramer`. A message that frames but does not parse is answered 400 when it was
 * a request with a readable Via, else ignored; a framing error (no Content-Length, oversized message) closes
 * the connection since the next message boundary is lost. A CRLFCRLF ping is answered with a CRLF pong.
 * Connections idle longer than `idleMs` close, and at most `maxConnections` are open at once (new inbound
 * connections beyond that are refused).
 */

import net from 'node:net';
import tls from 'node:tls';
import { serializeMessage } from '../message/message.ts';
import { StreamFramer } from '../message/framer.ts';
import type { LocalAddress, TransportContext } from './context.ts';
import { badRequestFor, hostPort } from './transport.ts';

export interface StreamOptions {
  readonly kind: 'tcp' | 'tls';
  /** TLS: key, cert (PEM) and client-side verification. */
  readonly tls?: { key: Buffer; cert: Buffer; ca?: Buffer; verifyServer: boolean; verifyClient: boolean };
  readonly idleMs?: number;
  readonly maxConnections?: number;
}

interface Connection {
  readonly id: string;
  readonly socket: net.Socket;
  readonly remote: { address: string; port: number };
  readonly local: LocalAddress;
  readonly framer: StreamFramer;
  idle: ReturnType<typeof setTimeout> | undefined;
}

let nextConnection = 0;

export class StreamTransport {
  readonly id: string;
  readonly kind: 'tcp' | 'tls';
  readonly #server: net.Server;
  readonly #ctx: TransportContext;
  readonly #options: StreamOptions;
  readonly #byId = new Map<string, Connection>();
  readonly #byRemote = new Map<string, Connection>();
  readonly #connecting = new Map<string, Promise<Connection>>();
  #local: LocalAddress = { address: '', port: 0 };
  #closed = false;

  private constructor(id: string, server: net.Server, ctx: TransportContext, options: StreamOptions) {
    this.id = id;
    this.kind = options.kind;
    this.#server = server;
    this.#ctx = ctx;
    this.#options = options;
  }

  static async open(id: string, host: string, port: number, ctx: TransportContext, options: StreamOptions): Promise<StreamTransport> {
    let server: net.Server;
    if (options.kind === 'tls') {
      const t = options.tls;
      if (t === undefined) throw new Error(`TLS transport ${id} needs cert_file and priv_key_file`);
      server = tls.createServer({ key: t.key, cert: t.cert, ...(t.ca === undefined ? {} : { ca: t.ca }), requestCert: t.verifyClient, rejectUnauthorized: t.verifyClient });
    } else {
      server = net.createServer();
    }
    const transport = new StreamTransport(id, server, ctx, options);
    server.on(options.kind === 'tls' ? 'secureConnection' : 'connection', (socket: net.Socket) => transport.#accept(socket));
    server.on('tlsClientError', (e: Error) => ctx.debug(`TLS transport ${id}: handshake failed: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as net.AddressInfo;
    transport.#local = { address: a.address, port: a.port };
    server.on('error', (e) => ctx.warn(`${options.kind.toUpperCase()} transport ${id}: ${e.message}`));
    return transport;
  }

  get local(): LocalAddress {
    return this.#local;
  }

  get family(): 4 | 6 {
    return this.#local.address.includes(':') ? 6 : 4;
  }

  get connectionCount(): number {
    return this.#byId.size;
  }

  hasConnection(id: string): boolean {
    return this.#byId.has(id);
  }

  #accept(socket: net.Socket): void {
    if (this.#closed || this.#byId.size >= (this.#options.maxConnections ?? 1000)) {
      socket.destroy();
      return;
    }
    this.#adopt(socket);
  }

  #adopt(socket: net.Socket): Connection {
    const remote = { address: stripMapped(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    const conn: Connection = {
      id: `${this.kind}-${++nextConnection}`,
      socket,
      remote,
      local: { address: stripMapped(socket.localAddress ?? ''), port: socket.localPort ?? 0 },
      framer: new StreamFramer(),
      idle: undefined,
    };
    this.#byId.set(conn.id, conn);
    this.#byRemote.set(hostPort(remote.address, remote.port), conn);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#data(conn, chunk));
    socket.on('error', (e) => this.#ctx.debug(`${this.kind.toUpperCase()} ${hostPort(remote.address, remote.port)}: ${e.message}`));
    socket.on('close', () => this.#forget(conn));
    this.#touch(conn);
    return conn;
  }

  #forget(conn: Connection): void {
    if (conn.idle !== undefined) clearTimeout(conn.idle);
    this.#byId.delete(conn.id);
    const key = hostPort(conn.remote.address, conn.remote.port);
    if (this.#byRemote.get(key) === conn) this.#byRemote.delete(key);
  }

  #touch(conn: Connection): void {
    if (conn.idle !== undefined) clearTimeout(conn.idle);
    conn.idle = setTimeout(() => conn.socket.destroy(), this.#options.idleMs ?? 300_000);
    conn.idle.unref();
  }

  #data(conn: Connection, chunk: Buffer): void {
    this.#touch(conn);
    const source = { transport: this.kind, address: conn.remote.address, port: conn.remote.port, connectionId: conn.id, local: conn.local, transportId: this.id };
    for (const ev of conn.framer.push(chunk)) {
      switch (ev.type) {
        case 'message':
          if (this.#ctx.logging) this.#ctx.traffic({ direction: 'in', transport: this.kind, address: conn.remote.address, port: conn.remote.port, bytes: serializeMessage(ev.message) });
          this.#ctx.deliver(ev.message, source);
          break;
        case 'ping':
          conn.socket.write('\r\n');
          break;
        case 'pong':
          break;
        case 'invalid': {
          const answer = badRequestFor(ev.error);
          if (answer !== undefined) this.#write(conn, answer);
          this.#ctx.debug(`${this.kind.toUpperCase()} ${hostPort(conn.remote.address, conn.remote.port)}: unparseable message (${ev.error.message})`);
          break;
        }
        case 'fatal':
          this.#ctx.warn(`${this.kind.toUpperCase()} ${hostPort(conn.remote.address, conn.remote.port)}: closing connection: ${ev.error.message}`);
          conn.socket.destroy();
          return;
      }
    }
  }

  #write(conn: Connection, bytes: Buffer): void {
    if (this.#ctx.logging) this.#ctx.traffic({ direction: 'out', transport: this.kind, address: conn.remote.address, port: conn.remote.port, bytes });
    this.#touch(conn);
    conn.socket.write(bytes);
  }

  /** The connection for a peer: the one named, else any to that address, else a new one. */
  async connection(address: string, port: number, connectionId?: string): Promise<{ id: string; local: LocalAddress }> {
    const c = await this.#connection(address, port, connectionId);
    return { id: c.id, local: c.local };
  }

  async #connection(address: string, port: number, connectionId?: string): Promise<Connection> {
    if (connectionId !== undefined) {
      const byId = this.#byId.get(connectionId);
      if (byId !== undefined && !byId.socket.destroyed) return byId;
    }
    const key = hostPort(address, port);
    const existing = this.#byRemote.get(key);
    if (existing !== undefined && !existing.socket.destroyed) return existing;
    const pending = this.#connecting.get(key);
    if (pending !== undefined) return pending;
    if (this.#closed) throw new Error('transport closed');
    if (this.#byId.size >= (this.#options.maxConnections ?? 1000)) throw new Error(`${this.kind.toUpperCase()} transport ${this.id}: too many connections`);
    const p = this.#connect(address, port).finally(() => this.#connecting.delete(key));
    this.#connecting.set(key, p);
    return p;
  }

  #connect(address: string, port: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const t = this.#options.tls;
      const socket: net.Socket =
        this.kind === 'tls'
          ? tls.connect({ host: address, port, ...(t?.ca === undefined ? {} : { ca: t.ca }), rejectUnauthorized: t?.verifyServer ?? false, ...(net.isIP(address) === 0 ? { servername: address } : {}) })
          : net.connect({ host: address, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${hostPort(address, port)} timed out`));
      }, 8000);
      timer.unref();
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      socket.once(this.kind === 'tls' ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(this.#adopt(socket));
      });
    });
  }

  async send(bytes: Buffer, address: string, port: number, connectionId?: string): Promise<void> {
    const conn = await this.#connection(address, port, connectionId);
    this.#write(conn, bytes);
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#byId.values()) c.socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

function stripMapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
