/**
 * SIP over WebSocket (RFC 7118), as Asterisk's res_pjsip_transport_websocket serves it: the HTTP server's `/ws`
 * URI hands over every upgrade that negotiates the `sip` subprotocol, and each WebSocket message (text or
 * binary) carries exactly one SIP message, so no framing is needed. A connection is `WS`, or `WSS` when the
 * upgrade came over the HTTP server's TLS listener; it is connection-oriented like TCP, and also incoming-only:
 * responses, in-dialog requests and requests to a contact registered over it go back on the same connection,
 * and a destination with no open connection cannot be reached (we never dial out over WebSocket, nor does
 * Asterisk).
 *
 * One `WebSocketTransport` owns every WebSocket connection; the pjsip.conf `protocol=ws|wss` transports only
 * name it (for `pjsip show transports`, endpoint `transport=`, local_net...), as in Asterisk, where the
 * configured bind of a websocket transport is never bound.
 */

import type { WebSocket } from 'ws';
import { SipParseError } from '../message/errors.ts';
import { parseMessage } from '../message/parser.ts';
import type { LocalAddress, TransportContext } from './context.ts';
import { badRequestFor, hostPort } from './transport.ts';

export type WebSocketKind = 'ws' | 'wss';

/** The address facts of an accepted WebSocket (from the HTTP connection it was upgraded on). */
export interface WebSocketPeer {
  readonly remote: { readonly address: string; readonly port: number };
  readonly local: LocalAddress;
  readonly secure: boolean;
}

interface Connection {
  readonly id: string;
  readonly ws: WebSocket;
  readonly kind: WebSocketKind;
  readonly remote: { address: string; port: number };
  readonly local: LocalAddress;
}

let nextConnection = 0;

export class WebSocketTransport {
  readonly #ctx: TransportContext;
  /** The pjsip.conf transport id a connection of each kind reports as its `transportId` ('' when none). */
  #transportIds: Readonly<Record<WebSocketKind, string>>;
  readonly #byId = new Map<string, Connection>();
  readonly #byRemote = new Map<string, Connection>();
  #closed = false;

  constructor(ctx: TransportContext, transportIds: Readonly<Record<WebSocketKind, string>>) {
    this.#ctx = ctx;
    this.#transportIds = transportIds;
  }

  set transportIds(ids: Readonly<Record<WebSocketKind, string>>) {
    this.#transportIds = ids;
  }

  get connectionCount(): number {
    return this.#byId.size;
  }

  hasConnection(id: string): boolean {
    return this.#byId.has(id);
  }

  /** The local address of a connection (Via sent-by and Contact for messages sent on it). */
  localOf(connectionId: string): LocalAddress | undefined {
    return this.#byId.get(connectionId)?.local;
  }

  /** Takes over an upgraded WebSocket that negotiated `sip`. */
  accept(ws: WebSocket, peer: WebSocketPeer): void {
    if (this.#closed) {
      ws.terminate();
      return;
    }
    const kind: WebSocketKind = peer.secure ? 'wss' : 'ws';
    const conn: Connection = { id: `${kind}-${++nextConnection}`, ws, kind, remote: { ...peer.remote }, local: peer.local };
    this.#byId.set(conn.id, conn);
    this.#byRemote.set(hostPort(conn.remote.address, conn.remote.port), conn);
    this.#ctx.debug(`Creating websocket transport for ${kind.toUpperCase()}:${hostPort(conn.remote.address, conn.remote.port)}`);
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => this.#receive(conn, toBuffer(data)));
    ws.on('error', (e) => this.#ctx.debug(`${kind.toUpperCase()} ${hostPort(conn.remote.address, conn.remote.port)}: ${e.message}`));
    ws.on('close', () => this.#forget(conn));
  }

  #forget(conn: Connection): void {
    this.#byId.delete(conn.id);
    const key = hostPort(conn.remote.address, conn.remote.port);
    if (this.#byRemote.get(key) === conn) this.#byRemote.delete(key);
  }

  #receive(conn: Connection, buf: Buffer): void {
    if (buf.length === 0 || /^[\r\n]+$/.test(buf.toString('latin1'))) return; // keep-alive
    const { address, port } = conn.remote;
    if (this.#ctx.logging) this.#ctx.traffic({ direction: 'in', transport: conn.kind, address, port, bytes: buf });
    let message;
    try {
      message = parseMessage(buf);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      const answer = badRequestFor(e);
      if (answer !== undefined) this.#write(conn, answer);
      this.#ctx.debug(`${conn.kind.toUpperCase()} ${hostPort(address, port)}: unparseable message (${e.message})`);
      return;
    }
    this.#ctx.deliver(message, { transport: conn.kind, address, port, connectionId: conn.id, local: conn.local, transportId: this.#transportIds[conn.kind] });
  }

  #write(conn: Connection, bytes: Buffer): void {
    if (this.#ctx.logging) this.#ctx.traffic({ direction: 'out', transport: conn.kind, address: conn.remote.address, port: conn.remote.port, bytes });
    // SIP is text; Asterisk writes text frames too.
    conn.ws.send(bytes.toString('utf8'));
  }

  /** Sends on the named connection, else on any open one to that address; never opens one. */
  send(bytes: Buffer, address: string, port: number, connectionId?: string): Promise<void> {
    const byId = connectionId === undefined ? undefined : this.#byId.get(connectionId);
    const conn = byId ?? this.#byRemote.get(hostPort(address, port));
    if (conn === undefined || conn.ws.readyState !== conn.ws.OPEN) {
      return Promise.reject(new Error(`no WebSocket connection to ${hostPort(address, port)}`));
    }
    this.#write(conn, bytes);
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    for (const c of this.#byId.values()) c.ws.terminate();
    this.#byId.clear();
    this.#byRemote.clear();
    return Promise.resolve();
  }
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
