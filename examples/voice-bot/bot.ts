/**
 * The voice-bot example's bot: a WebSocket server that Ariadne connects to for each call (externalMedia with
 * `transport=websocket`, see docs/external-media.md) and that speaks the media WebSocket protocol — binary
 * messages are raw audio, text messages JSON control.
 *
 * It is an echo bot with a twist: it listens until the caller has said something and then stopped (energy-based
 * end of speech: a frame is speech when its RMS level is above `speechLevel`, an utterance ends after
 * `endOfSpeechMs` without speech), then plays what it heard back, followed by a `mark` so that it learns when
 * the caller has heard all of it. If the caller talks while the reply plays (barge-in, `bargeInMs` of speech),
 * it sends `clear` to drop the rest of the reply and starts listening to the new utterance, which it echoes in
 * turn. Audio must be signed linear (`slin` or `slin16`), which the example asks for.
 *
 * A real bot has the same shape: replace "buffer and echo" with a recogniser and a synthesiser.
 */

import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export interface EchoBotOptions {
  /** Address to listen on; default 127.0.0.1 (Ariadne on the same machine). */
  host?: string;
  /** Port to listen on; default 0, any free port. */
  port?: number;
  /** RMS level (16-bit samples) above which audio counts as speech; default 500 (about −36 dBFS). */
  speechLevel?: number;
  /** Silence that ends an utterance, in ms; default 400. */
  endOfSpeechMs?: number;
  /** Shortest utterance worth answering, in ms of speech (shorter noises are ignored); default 100. */
  minSpeechMs?: number;
  /** Speech over the bot's reply that interrupts it, in ms; default 100. */
  bargeInMs?: number;
  /** Longest utterance kept, in ms; the rest is not echoed. Default 10 000. */
  maxUtteranceMs?: number;
  log?: (line: string) => void;
}

export interface EchoBot {
  /** `ws://host:port`; each call connects to `<url>/call/<anything>`. */
  readonly url: string;
  /** Calls connected now. */
  readonly calls: number;
  /** Stops listening and drops every connection (Ariadne hangs their channels up). */
  close(): Promise<void>;
}

type Settings = Required<Omit<EchoBotOptions, 'host' | 'port' | 'log'>>;

/** Starts the bot; resolves once it listens. */
export async function startEchoBot(opts: EchoBotOptions = {}): Promise<EchoBot> {
  const log = opts.log ?? ((line: string) => console.log(`[voice-bot] ${line}`));
  const settings: Settings = {
    speechLevel: opts.speechLevel ?? 500,
    endOfSpeechMs: opts.endOfSpeechMs ?? 400,
    minSpeechMs: opts.minSpeechMs ?? 100,
    bargeInMs: opts.bargeInMs ?? 100,
    maxUtteranceMs: opts.maxUtteranceMs ?? 10_000,
  };
  const wss = new WebSocketServer({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0, perMessageDeflate: false, maxPayload: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const { address, port } = wss.address() as AddressInfo;
  wss.on('connection', (ws, req) => new BotCall(ws, req.url ?? '/', settings, log));
  return {
    url: `ws://${address}:${port}`,
    get calls() {
      return wss.clients.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
}

/** Root mean square of signed 16-bit little-endian samples. */
function rms(pcm: Buffer): number {
  const n = pcm.length >> 1;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = pcm.readInt16LE(2 * i);
    sum += v * v;
  }
  return Math.sqrt(sum / n);
}

/**
 * One call. States: `listening` (collecting an utterance; a reply goes out when it ends) and `replying` (the
 * reply is queued at Ariadne until its mark comes back; speech meanwhile is a barge-in).
 */
class BotCall {
  readonly #ws: WebSocket;
  readonly #s: Settings;
  readonly #log: (line: string) => void;
  #name: string;
  #bytesPerMs = 0;
  #state: 'listening' | 'replying' = 'listening';
  /** The utterance being heard: chunks from its first speech on, and how many of them end with speech. */
  #utterance: Buffer[] = [];
  #voicedChunks = 0;
  #speechMs = 0;
  #silenceMs = 0;
  /** While replying: the speech heard over the reply so far (the start of the next utterance). */
  #overlap: Buffer[] = [];
  #overlapMs = 0;
  #replies = 0;

  constructor(ws: WebSocket, path: string, settings: Settings, log: (line: string) => void) {
    this.#ws = ws;
    this.#s = settings;
    this.#log = log;
    this.#name = path;
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) this.#audio(bytes);
      else this.#control(bytes.toString('utf8'));
    });
    ws.on('close', () => this.#log(`${this.#name}: connection closed`));
    ws.on('error', (err) => this.#log(`${this.#name}: ${err.message}`));
  }

  #control(text: string): void {
    let m: Record<string, unknown>;
    try {
      m = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.#log(`${this.#name}: not JSON: ${text.slice(0, 80)}`);
    }
    switch (m.event) {
      case 'start': {
        this.#name = `call ${String(m.channel)}`;
        if (m.format !== 'slin' && m.format !== 'slin16') {
          this.#log(`${this.#name}: format ${String(m.format)} is not signed linear; hanging up`);
          return this.#send({ command: 'hangup' });
        }
        this.#bytesPerMs = (Number(m.rate) * 2) / 1000;
        return this.#log(`${this.#name}: started (${m.format}, ${String(m.rate)} Hz)`);
      }
      case 'mark': {
        // A reply cut by a barge-in has its mark come back with `cleared`: its audio was dropped, not played.
        if (m.cleared === true) return this.#log(`${this.#name}: ${String(m.name)} dropped unheard`);
        if (this.#state !== 'replying' || m.name !== `reply-${this.#replies}`) return;
        this.#log(`${this.#name}: reply ${this.#replies} heard`);
        this.#state = 'listening';
        this.#overlap = [];
        this.#overlapMs = 0;
        return;
      }
      case 'hangup':
        return this.#log(`${this.#name}: hangup (cause ${String(m.cause)})`);
      case 'error':
        return this.#log(`${this.#name}: error from the server: ${String(m.message)}`);
      default:
        return;
    }
  }

  #audio(chunk: Buffer): void {
    if (this.#bytesPerMs === 0) return; // before `start`, or not slin
    const ms = chunk.length / this.#bytesPerMs;
    const speech = rms(chunk) >= this.#s.speechLevel;
    if (this.#state === 'replying') return this.#overReply(chunk, ms, speech);

    if (speech) {
      if (this.#speechMs + this.#silenceMs < this.#s.maxUtteranceMs) {
        this.#utterance.push(chunk);
        this.#voicedChunks = this.#utterance.length;
      }
      this.#speechMs += ms;
      this.#silenceMs = 0;
      return;
    }
    if (this.#utterance.length === 0) return; // silence before anyone spoke
    this.#silenceMs += ms;
    if (this.#silenceMs < this.#s.endOfSpeechMs) {
      // A pause inside the utterance is part of it (kept only if speech follows).
      if (this.#speechMs + this.#silenceMs < this.#s.maxUtteranceMs) this.#utterance.push(chunk);
      return;
    }
    const heard = this.#utterance.slice(0, this.#voicedChunks);
    const speechMs = this.#speechMs;
    this.#utterance = [];
    this.#voicedChunks = 0;
    this.#speechMs = 0;
    this.#silenceMs = 0;
    if (speechMs < this.#s.minSpeechMs) return;
    this.#reply(Buffer.concat(heard));
  }

  /** Sends the utterance back, then a mark that comes back once the caller has heard all of it. */
  #reply(audio: Buffer): void {
    this.#replies++;
    this.#state = 'replying';
    this.#overlap = [];
    this.#overlapMs = 0;
    this.#log(`${this.#name}: reply ${this.#replies}: ${Math.round(audio.length / this.#bytesPerMs)} ms`);
    // All at once: the server queues it and plays it at real time.
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(audio, { binary: true });
    this.#send({ command: 'mark', name: `reply-${this.#replies}` });
  }

  /** Speech while the reply plays: once it has lasted `bargeInMs`, the reply is cut and that speech is heard. */
  #overReply(chunk: Buffer, ms: number, speech: boolean): void {
    if (!speech) {
      this.#overlap = [];
      this.#overlapMs = 0;
      return;
    }
    this.#overlap.push(chunk);
    this.#overlapMs += ms;
    if (this.#overlapMs < this.#s.bargeInMs) return;
    this.#send({ command: 'clear' });
    this.#log(`${this.#name}: barge-in: reply ${this.#replies} cleared`);
    this.#state = 'listening';
    this.#utterance = this.#overlap;
    this.#voicedChunks = this.#utterance.length;
    this.#speechMs = this.#overlapMs;
    this.#silenceMs = 0;
    this.#overlap = [];
    this.#overlapMs = 0;
  }

  #send(command: Record<string, unknown>): void {
    if (this.#ws.readyState === this.#ws.OPEN) this.#ws.send(JSON.stringify(command));
  }
}
