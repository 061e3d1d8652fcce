/**
 * SIP over UDP (RFC 3261 §18): one bound socket per `type=transport` with `protocol=udp`, used for receiving
 * and for sending, so a peer behind NAT sees our replies come from the port it sent to (rport/symmetric
 * signalling, RFC 3581).
 *
 * A datagram that does not parse is answered with 400 when it was a request whose start line and Via could be
 * read (`SipMessageError.partial`), and dropped otherwise; lone CRLF keep-alives are ignored.
 */

import dgram from 'node:dgram';
import { parseMessage } from '../message/parser.ts';
import { SipParseError } from '../message/errors.ts';
import type { LocalAddress, TransportContext } from './context.ts';
import { badRequestFor } from './transport.ts';

export class UdpTransport {
  readonly id: string;
  readonly #socket: dgram.Socket;
  readonly #ctx: TransportContext;
  #local: LocalAddress = { address: '', port: 0 };
  /** Datagrams dropped because they did not parse (for diagnostics). */
  dropped = 0;

  private constructor(id: string, socket: dgram.Socket, ctx: TransportContext) {
    this.id = id;
    this.#socket = socket;
    this.#ctx = ctx;
  }

  static async open(id: string, host: string, port: number, ctx: TransportContext): Promise<UdpTransport> {
    const socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    const t = new UdpTransport(id, socket, ctx);
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    const a = socket.address();
    t.#local = { address: a.address, port: a.port };
    socket.on('error', (e) => ctx.warn(`UDP transport ${id}: ${e.message}`));
    socket.on('message', (buf, rinfo) => t.#receive(buf, rinfo.address, rinfo.port));
    return t;
  }

  get local(): LocalAddress {
    return this.#local;
  }

  get family(): 4 | 6 {
    return this.#local.address.includes(':') ? 6 : 4;
  }

  #receive(buf: Buffer, address: string, port: number): void {
    if (isKeepAlive(buf)) return;
    if (this.#ctx.logging) this.#ctx.traffic({ direction: 'in', transport: 'udp', address, port, bytes: buf });
    const source = { transport: 'udp' as const, address, port, local: this.#local, transportId: this.id };
    let message;
    try {
      message = parseMessage(buf);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      this.dropped++;
      const answer = badRequestFor(e);
      if (answer !== undefined) void this.send(answer, address, port).catch(() => undefined);
      this.#ctx.debug(`UDP ${address}:${port}: dropped unparseable message (${e.message})`);
      return;
    }
    this.#ctx.deliver(message, source);
  }

  send(bytes: Buffer, address: string, port: number): Promise<void> {
    if (this.#ctx.logging) this.#ctx.traffic({ direction: 'out', transport: 'udp', address, port, bytes });
    return new Promise((resolve, reject) => {
      this.#socket.send(bytes, port, address, (err) => (err ? reject(err) : resolve()));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

function isKeepAlive(buf: Buffer): boolean {
  if (buf.length > 4) return false;
  for (const b of buf) if (b !== 0x0d && b !== 0x0a && b !== 0x00) return false;
  return true;
}
