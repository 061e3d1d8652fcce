/**
 * AudioSocket (`encapsulation=audiosocket`, `transport=tcp`): Ariadne connects to the peer over TCP and both
 * sides exchange TLV messages — one byte of kind, two bytes of payload length (big-endian), the payload:
 *
 * | kind | payload |
 * |---|---|
 * | 0x00 hangup | none |
 * | 0x01 id | the call's UUID, 16 bytes (sent first by Ariadne) |
 * | 0x03 DTMF | one ASCII digit |
 * | 0x10 audio | signed linear 16-bit little-endian, 8 kHz mono (`format=slin`) |
 * | 0x12 audio | the same at 16 kHz (`format=slin16`) |
 * | 0xff error | optional error code |
 *
 * Audio goes out as one 20 ms message per media tick (320 bytes at 8 kHz); what the peer sends is queued and
 * played at real time whatever the size of its messages (audio of another rate is dropped). A hangup message, an
 * error message, an unknown kind or the connection closing hangs the channel up; when the channel hangs up first, Ariadne sends hangup and closes.
 * Unlike Asterisk, DTMF messages from the peer are taken (ChannelDtmfReceived) rather than ending the call.
 */

import net from 'node:net';
import type { Codec } from '../codecs/registry.ts';
import type { MediaPort } from '../engine/port.ts';
import { ExternalConnectError, type ExternalLink, type LinkEvents } from './link.ts';
import { MediaPump } from './media-pump.ts';

export const KIND_HANGUP = 0x00;
export const KIND_ID = 0x01;
export const KIND_DTMF = 0x03;
export const KIND_SLIN = 0x10;
export const KIND_SLIN16 = 0x12;
export const KIND_ERROR = 0xff;

/** The audio kind that carries a format, for the formats AudioSocket links speak. */
export function audioKindOf(codec: Codec): number | undefined {
  return codec.name === 'slin' ? KIND_SLIN : codec.name === 'slin16' ? KIND_SLIN16 : undefined;
}

/** One message: kind, big-endian length, payload. */
export function encodeMessage(kind: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  if (payload.length > 0xffff) throw new RangeError(`AudioSocket payload of ${payload.length} bytes`);
  const out = Buffer.allocUnsafe(3 + payload.length);
  out[0] = kind;
  out.writeUInt16BE(payload.length, 1);
  out.set(payload, 3);
  return out;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** The 16 bytes of a UUID in its text form. */
export function uuidBytes(uuid: string): Buffer {
  if (!isUuid(uuid)) throw new TypeError(`'${uuid}' is not a UUID`);
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

/** Cuts a TCP byte stream into messages; a message may arrive in any number of pieces. */
export class MessageReader {
  #buf: Buffer = Buffer.alloc(0);

  /** Appends bytes and returns the messages now complete. */
  push(bytes: Buffer): { kind: number; payload: Buffer }[] {
    this.#buf = this.#buf.length > 0 ? Buffer.concat([this.#buf, bytes]) : bytes;
    const out: { kind: number; payload: Buffer }[] = [];
    let at = 0;
    while (at + 3 <= this.#buf.length) {
      const length = this.#buf.readUInt16BE(at + 1);
      if (at + 3 + length > this.#buf.length) break;
      out.push({ kind: this.#buf[at]!, payload: this.#buf.subarray(at + 3, at + 3 + length) });
      at += 3 + length;
    }
    this.#buf = at < this.#buf.length ? Buffer.from(this.#buf.subarray(at)) : Buffer.alloc(0);
    return out;
  }
}

/** Connects to `host:port` (TCP); rejects with `ExternalConnectError` when that fails within `timeoutMs`. */
export function connectTcp(host: string, port: number, timeoutMs = 5000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => fail(new Error('timed out')), timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(new ExternalConnectError(`Failed to connect to AudioSocket server ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

export class AudioSocketLink implements ExternalLink {
  readonly #socket: net.Socket;
  readonly #port: MediaPort;
  readonly #codec: Codec;
  readonly #kind: number;
  readonly #uuid: string;
  readonly #service: string;
  #pump: MediaPump | undefined;
  #closed = false;

  constructor(options: { socket: net.Socket; port: MediaPort; codec: Codec; uuid: string; service: string }) {
    const kind = audioKindOf(options.codec);
    if (kind === undefined) throw new TypeError(`AudioSocket cannot carry ${options.codec.name}`);
    this.#socket = options.socket;
    this.#port = options.port;
    this.#codec = options.codec;
    this.#kind = kind;
    this.#uuid = options.uuid;
    this.#service = options.service;
    // Until start(), errors must not go unhandled.
    this.#socket.on('error', () => undefined);
  }

  start(channelId: string, events: LinkEvents): Promise<Readonly<Record<string, string>>> {
    const socket = this.#socket;
    let gone = false;
    const goneOnce = (reason: string): void => {
      if (gone || this.#closed) return;
      gone = true;
      this.#stop();
      this.#endSocket();
      events.gone(reason);
    };
    const reader = new MessageReader();
    socket.on('data', (chunk: Buffer) => {
      for (const m of reader.push(chunk)) {
        if (m.kind === this.#kind) this.#pump?.inbound.push(m.payload);
        else if (m.kind === KIND_DTMF && m.payload.length >= 1) events.dtmf(String.fromCharCode(m.payload[0]!).toUpperCase(), 100);
        // The id again, or audio at another rate than the channel's: nothing to play, no reason to end the call.
        else if (m.kind === KIND_ID || (m.kind >= KIND_SLIN && m.kind <= 0x18)) continue;
        else return goneOnce(m.kind === KIND_HANGUP ? 'hangup message' : `message of kind 0x${m.kind.toString(16)}`);
      }
    });
    socket.on('close', () => goneOnce('connection closed'));
    socket.write(encodeMessage(KIND_ID, uuidBytes(this.#uuid)));
    this.#pump = new MediaPump({
      port: this.#port,
      sessionId: channelId,
      codec: this.#codec,
      send: (payload) => {
        if (!this.#closed && socket.writable) socket.write(encodeMessage(this.#kind, payload));
      },
    });
    this.#pump.start();
    return Promise.resolve({ AUDIOSOCKET_UUID: this.#uuid, AUDIOSOCKET_SERVICE: this.#service });
  }

  sendDigit(digit: string): void {
    if (!this.#closed && this.#socket.writable) this.#socket.write(encodeMessage(KIND_DTMF, Buffer.from(digit.slice(0, 1), 'latin1')));
  }

  close(): void {
    if (this.#closed) return;
    this.#stop();
    this.#endSocket(encodeMessage(KIND_HANGUP));
  }

  #endSocket(last?: Buffer): void {
    if (this.#socket.writable) {
      if (last) this.#socket.end(last);
      else this.#socket.end();
    }
    else this.#socket.destroy();
    // A peer that never closes its side must not keep the socket forever.
    setTimeout(() => this.#socket.destroy(), 2000).unref();
  }

  #stop(): void {
    this.#closed = true;
    this.#pump?.stop();
  }
}
