/**
 * WebSocket external media (`transport=websocket`, `encapsulation=none`): Ariadne connects as a WebSocket
 * client to the URI given in the request and streams the call both ways. Binary messages are raw audio in the
 * channel's format (ulaw, alaw, slin, slin16), 20 ms per message from Ariadne; the peer may send any amount per
 * message, faster than real time: it is queued (bounded) and played at real time. Text messages are JSON
 * control, described in docs/external-media.md:
 *
 * - to the peer: `start` (channel, format, rate, frame size), `dtmf`, `mark` (a mark was reached, or dropped by
 *   `clear` with `cleared: true`), `error` (a bad command, audio refused because the queue is full), `hangup`
 *   (then the socket closes with 1000);
 * - from the peer: `mark` (answered once the audio sent before it has been played), `clear` (drop queued audio:
 *   barge-in), `dtmf` (the channel receives a digit), `hangup`.
 *
 * The peer closing the socket hangs the channel up, as does its `hangup` command.
 */

import { WebSocket, type RawData } from 'ws';
import type { Codec } from '../codecs/registry.ts';
import { samplesPerFrame } from '../codecs/registry.ts';
import type { MediaPort } from '../engine/port.ts';
import { ExternalConnectError, type ExternalLink, type LinkEvents } from './link.ts';
import { MediaPump } from './media-pump.ts';

/** Largest message taken from the peer (about 30 s of slin16). */
const MAX_MESSAGE_BYTES = 1 << 20;

/** Opens a client connection; rejects with `ExternalConnectError` when it fails within `timeoutMs`. */
export function connectWebSocket(uri: string, timeoutMs = 5000): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(uri, { handshakeTimeout: timeoutMs, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
    } catch (err) {
      reject(new ExternalConnectError(`Failed to connect to WebSocket server ${uri}: ${(err as Error).message}`));
      return;
    }
    const fail = (why: string): void => {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      reject(new ExternalConnectError(`Failed to connect to WebSocket server ${uri}: ${why}`));
    };
    ws.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    ws.once('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode ?? 0}`));
    ws.once('open', () => {
      ws.removeAllListeners();
      resolve(ws);
    });
  });
}

export class WebSocketLink implements ExternalLink {
  readonly #ws: WebSocket;
  readonly #port: MediaPort;
  readonly #codec: Codec;
  readonly #uri: string;
  readonly #data: string | undefined;
  #pump: MediaPump | undefined;
  #closed = false;
  #overflowReported = false;

  constructor(options: { ws: WebSocket; port: MediaPort; codec: Codec; uri: string; data?: string }) {
    this.#ws = options.ws;
    this.#port = options.port;
    this.#codec = options.codec;
    this.#uri = options.uri;
    this.#data = options.data;
    this.#ws.on('error', () => undefined);
  }

  start(channelId: string, events: LinkEvents): Promise<Readonly<Record<string, string>>> {
    const ws = this.#ws;
    const frameBytes = samplesPerFrame(this.#codec.sampleRate) * this.#codec.bytesPerSample;
    let gone = false;
    const goneOnce = (reason: string): void => {
      if (gone || this.#closed) return;
      gone = true;
      this.#stop();
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      events.gone(reason);
    };
    this.#pump = new MediaPump({
      port: this.#port,
      sessionId: channelId,
      codec: this.#codec,
      send: (payload) => {
        if (!this.#closed && ws.readyState === WebSocket.OPEN) ws.send(payload, { binary: true });
      },
      onMarks: (names) => {
        for (const name of names) this.#event({ event: 'mark', name });
      },
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.#closed) return;
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        if (!this.#pump?.inbound.push(bytes) && !this.#overflowReported) {
          this.#overflowReported = true;
          this.#event({ event: 'error', message: 'Audio queue full: audio dropped' });
        }
        return;
      }
      this.#command(bytes.toString('utf8'), events, goneOnce);
    });
    ws.on('close', () => goneOnce('connection closed'));
    this.#event({
      event: 'start',
      channel: channelId,
      format: this.#codec.name,
      rate: this.#codec.sampleRate,
      frame_ms: 20,
      frame_bytes: frameBytes,
      ...(this.#data ? { data: this.#data } : {}),
    });
    this.#pump.start();
    return Promise.resolve({ MEDIA_WEBSOCKET_CONNECTION_ID: this.#uri, MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE: String(frameBytes) });
  }

  sendDigit(digit: string, durationMs: number): void {
    this.#event({ event: 'dtmf', digit, duration_ms: durationMs });
  }

  close(cause: number): void {
    if (this.#closed) return;
    this.#event({ event: 'hangup', cause });
    this.#stop();
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(1000);
    // A peer that never answers the close must not keep the socket.
    setTimeout(() => this.#ws.terminate(), 2000).unref();
  }

  #command(text: string, events: LinkEvents, gone: (reason: string) => void): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      return this.#event({ event: 'error', message: 'Control messages are JSON objects' });
    }
    const m = (msg !== null && typeof msg === 'object' ? msg : {}) as Record<string, unknown>;
    const inbound = this.#pump!.inbound;
    switch (m.command) {
      case 'mark':
        if (typeof m.name !== 'string' || m.name === '') return this.#event({ event: 'error', message: 'mark needs a name' });
        return inbound.mark(m.name);
      case 'clear':
        this.#overflowReported = false;
        for (const name of inbound.clear()) this.#event({ event: 'mark', name, cleared: true });
        return;
      case 'dtmf': {
        const digit = typeof m.digit === 'string' ? m.digit.toUpperCase() : '';
        if (!/^[0-9A-D*#]$/.test(digit)) return this.#event({ event: 'error', message: 'dtmf needs a digit (0-9, A-D, *, #)' });
        const duration = typeof m.duration_ms === 'number' && m.duration_ms > 0 ? Math.round(m.duration_ms) : 100;
        return events.dtmf(digit, duration);
      }
      case 'hangup':
        return gone('hangup command');
      default:
        return this.#event({ event: 'error', message: `Unknown command '${String(m.command)}'` });
    }
  }

  #event(event: Record<string, unknown>): void {
    if (!this.#closed && this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(event));
  }

  #stop(): void {
    this.#closed = true;
    this.#pump?.stop();
  }
}
