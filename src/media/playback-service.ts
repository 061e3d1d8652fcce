/**
 * ARI playbacks on channels and bridges: turns media URIs into engine sources, sends `play` to the media host,
 * keeps ARI's `Playback` objects and publishes PlaybackStarted / PlaybackContinuing / PlaybackFinished to the
 * applications subscribed to the target (`channel:<id>` or `bridge:<id>`). A bridge playback plays into the
 * engine bridge (made on demand) and is heard by every member; Asterisk does it with an `Announcer/ARI` channel
 * that joins the bridge, which Ariadne does not make (no BRIDGEPEER naming it, no extra member).
 *
 * URIs are resolved by `media-uri.ts`. A URI whose media cannot be found: PlaybackStarted, then PlaybackFinished
 * `failed` at once (Asterisk does the same for a missing file). An unknown scheme is refused before anything
 * plays (400; Asterisk answers 201 and then never finishes the playback).
 *
 * Lists of media play one after another as one playback (PlaybackContinuing between items). Items are resolved
 * before the playback is queued, per target in request order, so the engine's queue keeps their order.
 */

import { randomUUID } from 'node:crypto';
import { AriadneError } from '../shared/errors.ts';
import type { MediaPort } from './engine/port.ts';
import type { PlaybackEndReason, PlaybackOperation, SourceSpec } from './engine/protocol.ts';
import { MEDIA_SCHEMES, mediaScheme, resolveMedia } from './media-uri.ts';
import type { MediaEnvironment } from './media-uri.ts';
import type { PlaybackView } from '../stasis/messages.ts';

export type PlaybackState = PlaybackView['state'];

/** What a playback plays to. */
export type PlaybackTarget = { readonly type: 'channel'; readonly id: string } | { readonly type: 'bridge'; readonly id: string };

export interface PlayOptions {
  readonly playbackId?: string;
  /** The language to play sounds in (the channel's, for a channel; `defaultLanguage` for a bridge). */
  readonly lang: string;
  readonly offsetms?: number;
  readonly skipms?: number;
}

/**
 * Delivers a playback event to the applications subscribed to the target and to `alsoTo` (those that heard
 * the playback start: a channel hung up mid-playback has left its application before the playback ends);
 * returns the applications it reached.
 */
export type PlaybackPublisher = (
  target: PlaybackTarget,
  type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished',
  playback: PlaybackView,
  alsoTo: ReadonlySet<string>,
) => readonly string[];

interface Record_ {
  readonly id: string;
  readonly target: PlaybackTarget;
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

export class PlaybackService {
  /** asterisk.conf's `defaultlanguage`: what a bridge, which has no language of its own, plays sounds in. */
  readonly defaultLanguage: string;
  readonly #port: MediaPort;
  readonly #soundsDir: string;
  readonly #publish: PlaybackPublisher;
  readonly #playbacks = new Map<string, Record_>();
  /** Per target (`channel:<id>`, `bridge:<id>`): the resolution of its latest play request, so requests queue in order. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #off: () => void;

  readonly #ensureSession: (channelId: string) => void;
  readonly #ensureBridge: (bridgeId: string) => void;
  readonly #environment: () => MediaEnvironment;

  constructor(options: {
    port: MediaPort;
    soundsDir: string;
    publish: PlaybackPublisher;
    ensureSession?: (channelId: string) => void;
    /** Makes the engine bridge a bridge playback plays into. */
    ensureBridge?: (bridgeId: string) => void;
    /** Recordings dir, tone zones, cache dir for the URIs that need them (media-uri.ts). */
    environment?: () => MediaEnvironment;
    /** asterisk.conf's `defaultlanguage` (`en` when not given). */
    defaultLanguage?: string;
  }) {
    this.defaultLanguage = options.defaultLanguage || 'en';
    this.#ensureSession = options.ensureSession ?? (() => undefined);
    this.#ensureBridge = options.ensureBridge ?? (() => undefined);
    this.#environment = options.environment ?? (() => ({}));
    this.#port = options.port;
    this.#soundsDir = options.soundsDir;
    this.#publish = options.publish;
    this.#off = this.#port.onNotification((n) => {
      if (n.type === 'playback-started') this.#started(n.playbackId, n.index);
      else if (n.type === 'playback-finished') this.#finished(n.playbackId, n.reason);
      else if (n.type === 'error' && n.command === 'play') {
        // A play the host refused (its session is gone): nothing else will report it.
        for (const r of this.#playbacks.values()) if (r.sent && n.message.includes(`'${r.target.id}'`)) this.#finished(r.id, 'failed');
      }
    });
  }

  /** Validates and queues a playback on a channel; returns its ARI view (state `queued`). */
  play(channelId: string, media: readonly string[], options: PlayOptions): PlaybackView {
    return this.playOn({ type: 'channel', id: channelId }, media, options);
  }

  /** Validates and queues a playback on a channel or a bridge; returns its ARI view (state `queued`). */
  playOn(target: PlaybackTarget, media: readonly string[], options: PlayOptions): PlaybackView {
    const uris = media.map((m) => m.trim()).filter((m) => m.length > 0);
    if (uris.length === 0) throw new AriadneError('ERR_INVALID_PARAMETER', 'Missing media URI');
    for (const uri of uris) {
      const scheme = mediaScheme(uri);
      if (scheme === undefined || !MEDIA_SCHEMES.has(scheme)) throw new AriadneError('ERR_INVALID_PARAMETER', `Unsupported media URI scheme: ${uri}`);
    }
    const id = options.playbackId ?? randomUUID();
    if (this.#playbacks.has(id)) throw new AriadneError('ERR_CONFLICT', 'Playback with given id already exists');
    const record: Record_ = {
      id,
      target,
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
    const key = `${target.type}:${target.id}`;
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#resolveAndSend(record));
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
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
      target_uri: `${r.target.type}:${r.target.id}`,
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
    if (r.target.type === 'channel') this.#ensureSession(r.target.id);
    else this.#ensureBridge(r.target.id);
    const target = { type: r.target.type === 'channel' ? ('session' as const) : ('bridge' as const), id: r.target.id };
    this.#port.send({ type: 'play', playbackId: r.id, target, sources, queue: 'playback' });
  }

  /** The sources one URI plays; undefined when its media cannot be found. */
  #resolve(uri: string, r: Record_): Promise<SourceSpec[] | undefined> {
    const offsetMs = r.index === 0 && r.uris[0] === uri ? r.offsetms : 0;
    return resolveMedia(uri, { ...this.#environment(), soundsDir: this.#soundsDir, language: r.language, offsetMs });
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
    for (const app of this.#publish(r.target, type, this.#view(r), r.apps)) r.apps.add(app);
  }
}
