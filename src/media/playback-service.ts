/**
 * ARI playbacks on channels: turns media URIs into engine sources, sends `play` to the media host, keeps ARI's
 * `Playback` objects and publishes PlaybackStarted / PlaybackContinuing / PlaybackFinished to the applications
 * subscribed to the target channel.
 *
 * URIs:
 *  - `sound:<id>`: the file `resolveSound` finds under `<astdatadir>/sounds` in the playback's language (then
 *    without suffixes, none, `en`), decoded to a `buffer` source. A missing or unreadable file: PlaybackStarted,
 *    then PlaybackFinished `failed` at once (Asterisk does the same for a missing file).
 *  - `tone:<indication or tone list>[;tonezone=<zone>]`: a `tone` source; named indications come from the `us`
 *    zone of Asterisk's indications.conf (built in for now; other zones fall back to it); raw specs
 *    (`350+440`, `!425/200,!0/200`) play as given. A tone without a finite end plays until stopped.
 *  - `digits:<digits>`: the digit sound files (`digits/0`…`digits/9`, `digits/star`, `digits/pound`), as
 *    Asterisk says them; a digit without a file is skipped.
 *  - Any other scheme (and `number:`, `characters:`, `recording:` for now) is refused before anything plays (400;
 *    Asterisk answers 201 and then never finishes the playback).
 *
 * Lists of media play one after another as one playback (PlaybackContinuing between items). Items are resolved
 * before the playback is queued, per channel in request order, so the engine's queue keeps their order.
 */

import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { AriadneError } from '../shared/errors.ts';
import type { MediaPort } from './engine/port.ts';
import type { PlaybackEndReason, PlaybackOperation, SourceSpec } from './engine/protocol.ts';
import { formatForExtension } from './formats.ts';
import { resolveSound } from './sounds.ts';
import type { PlaybackView } from '../stasis/messages.ts';

/** Indications of the `us` zone (reference indications.conf). */
const US_TONES: Readonly<Record<string, string>> = {
  dial: '350+440',
  busy: '480+620/500,0/500',
  ring: '440+480/2000,0/4000',
  congestion: '480+620/250,0/250',
  callwaiting: '440/300,0/10000',
  dialrecall: '!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440',
  record: '1400/500,0/15000',
  info: '!950/330,!1400/330,!1800/330,0',
  stutter: '!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440',
};

const DIGIT_SOUNDS: Readonly<Record<string, string>> = { '*': 'digits/star', '#': 'digits/pound', '-': 'digits/dash' };

export type PlaybackState = PlaybackView['state'];

export interface PlayOptions {
  readonly playbackId?: string;
  /** The language to play sounds in (default: the channel's). */
  readonly lang: string;
  readonly offsetms?: number;
  readonly skipms?: number;
}

/**
 * Delivers a playback event to the applications subscribed to the channel and to `alsoTo` (those that heard
 * the playback start: a channel hung up mid-playback has left its application before the playback ends);
 * returns the applications it reached.
 */
export type PlaybackPublisher = (
  channelId: string,
  type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished',
  playback: PlaybackView,
  alsoTo: ReadonlySet<string>,
) => readonly string[];

interface Record_ {
  readonly id: string;
  readonly channelId: string;
  readonly uris: readonly string[];
  readonly language: string;
  readonly offsetms: number;
  readonly skipms: number;
  index: number;
  state: PlaybackState;
  /** Sent to the engine (so stop/control go there). */
  sent: boolean;
  /** Stopped before it reached the engine. */
  cancelled: boolean;
  /** Applications its events reached. */
  readonly apps: Set<string>;
}

/** The schemes this service plays. */
const SCHEMES = new Set(['sound', 'tone', 'digits']);

export function mediaScheme(uri: string): string | undefined {
  const i = uri.indexOf(':');
  return i > 0 ? uri.slice(0, i) : undefined;
}

export class PlaybackService {
  readonly #port: MediaPort;
  readonly #soundsDir: string;
  readonly #publish: PlaybackPublisher;
  readonly #playbacks = new Map<string, Record_>();
  /** Per channel: the resolution of its latest play request, so requests queue in order. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #off: () => void;

  readonly #ensureSession: (channelId: string) => void;

  constructor(options: { port: MediaPort; soundsDir: string; publish: PlaybackPublisher; ensureSession?: (channelId: string) => void }) {
    this.#ensureSession = options.ensureSession ?? (() => undefined);
    this.#port = options.port;
    this.#soundsDir = options.soundsDir;
    this.#publish = options.publish;
    this.#off = this.#port.onNotification((n) => {
      if (n.type === 'playback-started') this.#started(n.playbackId, n.index);
      else if (n.type === 'playback-finished') this.#finished(n.playbackId, n.reason);
      else if (n.type === 'error' && n.command === 'play') {
        // A play the host refused (its session is gone): nothing else will report it.
        for (const r of this.#playbacks.values()) if (r.sent && n.message.includes(`'${r.channelId}'`)) this.#finished(r.id, 'failed');
      }
    });
  }

  /** Validates and queues a playback on a channel; returns its ARI view (state `queued`). */
  play(channelId: string, media: readonly string[], options: PlayOptions): PlaybackView {
    const uris = media.map((m) => m.trim()).filter((m) => m.length > 0);
    if (uris.length === 0) throw new AriadneError('ERR_INVALID_PARAMETER', 'Missing media URI');
    for (const uri of uris) {
      const scheme = mediaScheme(uri);
      if (scheme === undefined || !SCHEMES.has(scheme)) throw new AriadneError('ERR_INVALID_PARAMETER', `Unsupported media URI scheme: ${uri}`);
    }
    const id = options.playbackId ?? randomUUID();
    if (this.#playbacks.has(id)) throw new AriadneError('ERR_CONFLICT', 'Playback with given id already exists');
    const record: Record_ = {
      id,
      channelId,
      uris,
      language: options.lang,
      offsetms: Math.max(0, options.offsetms ?? 0),
      skipms: options.skipms ?? 3000,
      index: 0,
      state: 'queued',
      sent: false,
      cancelled: false,
      apps: new Set(),
    };
    this.#playbacks.set(id, record);
    const view = this.#view(record);
    const previous = this.#chains.get(channelId) ?? Promise.resolve();
    const next = previous.then(() => this.#resolveAndSend(record));
    this.#chains.set(channelId, next);
    void next.finally(() => {
      if (this.#chains.get(channelId) === next) this.#chains.delete(channelId);
    });
    return view;
  }

  get(id: string): PlaybackView | undefined {
    const r = this.#playbacks.get(id);
    return r ? this.#view(r) : undefined;
  }

  /** Stops a playback (PlaybackFinished `stopped`); false when there is no such playback. */
  stop(id: string): boolean {
    const r = this.#playbacks.get(id);
    if (!r) return false;
    if (r.sent) this.#port.send({ type: 'stop', playbackId: id });
    else r.cancelled = true;
    return true;
  }

  /**
   * Applies a control operation. Throws ERR_NOT_FOUND for an unknown playback and ERR_INVALID_STATE when it is
   * not playing (queued, or already over).
   */
  control(id: string, operation: PlaybackOperation): void {
    const r = this.#playbacks.get(id);
    if (!r) throw new AriadneError('ERR_NOT_FOUND', 'Playback not found');
    if (r.state !== 'playing' && r.state !== 'paused') throw new AriadneError('ERR_INVALID_STATE', 'Playback not in a valid state for this operation');
    this.#port.send({ type: 'playback-control', playbackId: id, operation, skipMs: r.skipms });
    if (operation === 'pause') r.state = 'paused';
    else if (operation === 'unpause' || operation === 'restart') r.state = 'playing';
  }

  close(): void {
    this.#off();
  }

  #view(r: Record_): PlaybackView {
    const next = r.uris[r.index + 1];
    return {
      id: r.id,
      media_uri: r.uris[r.index] ?? '',
      ...(next !== undefined ? { next_media_uri: next } : {}),
      target_uri: `channel:${r.channelId}`,
      language: r.language,
      state: r.state,
    };
  }

  async #resolveAndSend(r: Record_): Promise<void> {
    let sources: SourceSpec[] | undefined;
    try {
      sources = [];
      for (const uri of r.uris) {
        const s = await this.#resolve(uri, r);
        if (!s) {
          sources = undefined;
          break;
        }
        sources.push(...s);
      }
    } catch {
      sources = undefined;
    }
    if (r.cancelled) {
      this.#finished(r.id, 'stopped');
      return;
    }
    if (!sources || sources.length === 0) {
      // As Asterisk: a playback that cannot open its media starts and fails at once.
      r.state = 'playing';
      this.#emit(r, 'PlaybackStarted');
      this.#finished(r.id, 'failed');
      return;
    }
    r.sent = true;
    this.#ensureSession(r.channelId);
    this.#port.send({ type: 'play', playbackId: r.id, target: { type: 'session', id: r.channelId }, sources, queue: 'playback' });
  }

  /**
   * The sources one URI plays (several for `digits:`); undefined when its media cannot be found. Sources of
   * list items map to items one to one except for `digits:`, whose files are joined into one buffer.
   */
  async #resolve(uri: string, r: Record_): Promise<SourceSpec[] | undefined> {
    const scheme = mediaScheme(uri);
    const rest = uri.slice((scheme?.length ?? 0) + 1);
    const offsetMs = r.index === 0 && r.uris[0] === uri ? r.offsetms : 0;
    switch (scheme) {
      case 'sound': {
        const samples = await this.#readSound(rest, r.language);
        if (!samples) return undefined;
        return [{ type: 'buffer', samples, rate: 8000, ...(offsetMs > 0 ? { offsetMs } : {}) }];
      }
      case 'tone': {
        const [name = '', ...opts] = rest.split(';');
        void opts; // tonezone: only the `us` zone is built in for now
        const tones = US_TONES[name.trim()] ?? name.trim();
        if (!tones) return undefined;
        return [{ type: 'tone', tones }];
      }
      case 'digits': {
        const parts: Int16Array[] = [];
        for (const c of rest) {
          const id = DIGIT_SOUNDS[c] ?? (/^[0-9]$/.test(c) ? `digits/${c}` : undefined);
          if (!id) continue;
          const samples = await this.#readSound(id, r.language);
          if (samples) parts.push(samples);
        }
        if (parts.length === 0) return undefined;
        const total = parts.reduce((n, p) => n + p.length, 0);
        const all = new Int16Array(total);
        let at = 0;
        for (const p of parts) {
          all.set(p, at);
          at += p.length;
        }
        return [{ type: 'buffer', samples: all, rate: 8000 }];
      }
      default:
        return undefined;
    }
  }

  /** Decodes a sound at 8 kHz, or undefined when it does not exist or cannot be read. */
  async #readSound(id: string, lang: string): Promise<Int16Array | undefined> {
    const found = await resolveSound(this.#soundsDir, id, lang, ['slin', 'ulaw', 'alaw']);
    if (!found) return undefined;
    const format = formatForExtension(found.ext);
    if (!format || format.sampleRate !== 8000) {
      // Prefer an 8 kHz file the sound also exists in.
      const alt = found.available.map((a) => formatForExtension(a.ext)).find((f) => f?.sampleRate === 8000);
      const altPath = found.available.find((a) => formatForExtension(a.ext) === alt)?.path;
      if (!alt || !altPath) return undefined;
      return alt.readFile(altPath);
    }
    return format.readFile(path.resolve(found.path));
  }

  #started(id: string, index: number): void {
    const r = this.#playbacks.get(id);
    if (!r) return;
    // `digits:` lists and the like map item for item: the engine's index is the URI's.
    r.index = Math.min(index, r.uris.length - 1);
    if (r.state !== 'paused') r.state = 'playing';
    this.#emit(r, index === 0 ? 'PlaybackStarted' : 'PlaybackContinuing');
  }

  #finished(id: string, reason: PlaybackEndReason): void {
    const r = this.#playbacks.get(id);
    if (!r) return;
    this.#playbacks.delete(id);
    r.state = reason === 'stopped' ? 'stopped' : reason === 'failed' ? 'failed' : 'done';
    this.#emit(r, 'PlaybackFinished');
  }

  #emit(r: Record_, type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished'): void {
    for (const app of this.#publish(r.channelId, type, this.#view(r), r.apps)) r.apps.add(app);
  }
}
