/**
 * Music on hold and silence, on channels and bridges. A class's files (musiconhold.conf, see
 * `config/musiconhold.ts`) play one after another in a loop: each file is one engine playback in the `moh`
 * queue of its target, and the next starts when the engine reports the previous one `done`. Stopping stops the
 * current playback; a channel that goes away ends it (`detached`) and with it the loop. Music on hold is not an
 * ARI playback: it raises no Playback events (as in Asterisk, where it is a channel generator).
 *
 * Targets: a channel's session hears its playbacks instead of its bridge while any plays, so a channel on hold
 * hears the music and not the bridge. A bridge's music plays into the bridge and every member hears it
 * (holding-bridge participants instead of their entertainment) — Asterisk plays it through an `Announcer/ARI_MOH`
 * channel it adds to the bridge; Ariadne adds no channel. Silence (`startSilence`) is an endless silent playback
 * in its own queue: the channel hears nothing else while it runs, as with Asterisk's silence generator.
 *
 * Which class plays: the one asked for, else `default` (Asterisk also tries the channel's `musicclass` between
 * the two); when neither exists, or the class has no file that can be decoded, nothing plays. Decoded files are
 * kept in a small cache (least recently used first out) on SharedArrayBuffers, so playing a file again neither
 * decodes it again nor, with the host in a worker, copies it. A file is played at its format's rate.
 */

import type { MohClass, MohFile } from '../config/musiconhold.ts';
import type { Bus } from '../core/bus.ts';
import { formatForPath } from './formats.ts';
import type { MediaPort } from './engine/port.ts';
import type { SampleRate } from './engine/frame.ts';
import { resample } from './codecs/resample.ts';
import type { MediaTarget, SourceSpec } from './engine/protocol.ts';

export interface MohServiceOptions {
  readonly port: MediaPort;
  /** The classes as loaded now (a reload may change them). */
  readonly classes: () => readonly MohClass[];
  /** Gives a channel a media session; false for an unknown channel. */
  readonly ensureSession: (channelId: string) => boolean;
  /** Makes a bridge's engine bridge; false for an unknown bridge. */
  readonly ensureBridge: (bridgeId: string) => boolean;
  /** The core bus, to forget a destroyed bridge's music. */
  readonly bus?: Bus;
  /** Decoded samples kept, in bytes (default 32 MB: about 30 minutes of 8 kHz audio). */
  readonly cacheBytes?: number;
  readonly random?: () => number;
}

interface Loop {
  readonly target: MediaTarget;
  readonly cls: MohClass;
  /** The files in play order (for `random`, one is drawn each time instead). */
  readonly order: readonly MohFile[];
  next: number;
  /** The file that plays next, chosen (and read ahead) while the current one plays. */
  upcoming: MohFile | undefined;
  playbackId: string | undefined;
}

interface Decoded {
  readonly samples: Int16Array;
  readonly rate: SampleRate;
}

const key = (t: MediaTarget): string => `${t.type}:${t.id}`;

export class MohService {
  readonly #port: MediaPort;
  readonly #classes: () => readonly MohClass[];
  readonly #ensureSession: (channelId: string) => boolean;
  readonly #ensureBridge: (bridgeId: string) => boolean;
  readonly #cacheBytes: number;
  readonly #random: () => number;
  readonly #loops = new Map<string, Loop>();
  readonly #byPlayback = new Map<string, Loop>();
  /**
   * Bridges whose music was started and not stopped, playing or not (a class without files plays nothing, but
   * stopping it is still fine, as Asterisk's announcer channel exists either way).
   */
  readonly #bridgeMoh = new Set<string>();
  /** Channel id → its silence playback. */
  readonly #silence = new Map<string, string>();
  readonly #cache = new Map<string, Decoded>();
  #cached = 0;
  /** The last class joined for holding bridges (plain order only), so bridges share one buffer. */
  #joined: { readonly key: string; readonly samples: Int16Array; readonly rate: SampleRate } | undefined;
  #seq = 0;
  readonly #off: () => void;
  readonly #offBus: () => void;

  constructor(options: MohServiceOptions) {
    this.#port = options.port;
    this.#classes = options.classes;
    this.#ensureSession = options.ensureSession;
    this.#ensureBridge = options.ensureBridge;
    this.#cacheBytes = options.cacheBytes ?? 32 * 1024 * 1024;
    this.#random = options.random ?? Math.random;
    this.#off = this.#port.onNotification((n) => {
      if (n.type === 'playback-finished') this.#finished(n.playbackId, n.reason);
      else if (n.type === 'error' && n.command === 'play') {
        // The target went away between our check and the engine: the loop ends.
        for (const loop of [...this.#loops.values()]) if (n.message.includes(`'${loop.target.id}'`)) this.#end(loop);
      }
    });
    this.#offBus = options.bus?.subscribe((m) => {
      if (m.type === 'BridgeDestroyed') this.#bridgeMoh.delete(m.bridge.id);
    }) ?? (() => undefined);
  }

  /** The class that plays for `name`: that class, else `default`. */
  findClass(name?: string): MohClass | undefined {
    const classes = this.#classes();
    return (name ? classes.find((c) => c.name === name) : undefined) ?? classes.find((c) => c.name === 'default');
  }

  /**
   * Starts (or restarts) music on hold on a channel, ending its silence (a channel has one generator in
   * Asterisk); false when the channel or a class to play is missing.
   */
  start(channelId: string, className?: string): boolean {
    if (!this.#ensureSession(channelId)) return false;
    this.stopSilence(channelId);
    return this.#start({ type: 'session', id: channelId }, className);
  }

  /** Stops a channel's music on hold; false when none was playing. */
  stop(channelId: string): boolean {
    return this.#stop({ type: 'session', id: channelId });
  }

  /** Whether music on hold plays on the channel. */
  playing(channelId: string): boolean {
    return this.#loops.has(key({ type: 'session', id: channelId }));
  }

  /** Starts (or restarts) music in a bridge; false when the bridge or a class to play is missing. */
  startBridge(bridgeId: string, className?: string): boolean {
    if (!this.#ensureBridge(bridgeId)) return false;
    this.#bridgeMoh.add(bridgeId);
    return this.#start({ type: 'bridge', id: bridgeId }, className);
  }

  /** Stops a bridge's music; false when it was not started. */
  stopBridge(bridgeId: string): boolean {
    this.#stop({ type: 'bridge', id: bridgeId });
    return this.#bridgeMoh.delete(bridgeId);
  }

  /** Whether music plays in the bridge. */
  bridgePlaying(bridgeId: string): boolean {
    return this.#loops.has(key({ type: 'bridge', id: bridgeId }));
  }

  /**
   * Plays silence to a channel until `stopSilence` (a new start restarts it), ending its music on hold; false
   * for an unknown channel.
   */
  startSilence(channelId: string): boolean {
    if (!this.#ensureSession(channelId)) return false;
    this.stopSilence(channelId);
    this.stop(channelId);
    const playbackId = `silence-${++this.#seq}`;
    this.#silence.set(channelId, playbackId);
    this.#port.send({ type: 'play', playbackId, target: { type: 'session', id: channelId }, sources: [{ type: 'silence' }], queue: 'silence' });
    return true;
  }

  /** Ends a channel's silence; false when there was none. */
  stopSilence(channelId: string): boolean {
    const playbackId = this.#silence.get(channelId);
    if (playbackId === undefined) return false;
    this.#silence.delete(channelId);
    this.#port.send({ type: 'stop', playbackId });
    return true;
  }

  /**
   * What a holding bridge's participants hear while nobody announces: the class's files one after another (in
   * the order a channel would hear them: `randstart` starts at a random file, `random` draws a shuffled order
   * once), as one looping buffer; null when the class has nothing to play. One buffer because each participant
   * gets its own copy of the source, from the start, inside the mixer — which is what keeps the music away
   * while an announcer or a bridge playback is heard. The files that decode are joined (at the first one's
   * rate) up to the decode cache's size, so a huge class costs bounded memory; a class in its plain order is
   * joined once and shared by every holding bridge.
   */
  async entertainment(className?: string): Promise<SourceSpec | null> {
    const cls = this.findClass(className);
    if (!cls) return null;
    const files = this.#order(cls);
    if (cls.sort === 'random') {
      for (let i = files.length - 1; i > 0; i--) {
        const j = Math.floor(this.#random() * (i + 1));
        [files[i], files[j]] = [files[j]!, files[i]!];
      }
    }
    const shareable = cls.sort !== 'random' && cls.sort !== 'randstart';
    const cacheKey = `${cls.name}\0${files.map((f) => f.name).join('\0')}`;
    if (shareable && this.#joined?.key === cacheKey) return { type: 'buffer', samples: this.#joined.samples, rate: this.#joined.rate, loop: true };
    const parts: Int16Array[] = [];
    let rate: SampleRate | undefined;
    let total = 0;
    for (const file of files) {
      if (total * 2 >= this.#cacheBytes) break;
      const decoded = await this.#decode(file);
      if (!decoded) continue;
      rate ??= decoded.rate;
      const samples = decoded.rate === rate ? decoded.samples : resample(decoded.samples, decoded.rate, rate);
      parts.push(samples);
      total += samples.length;
    }
    if (rate === undefined || total === 0) return null;
    const joined = new Int16Array(new SharedArrayBuffer(total * 2));
    let at = 0;
    for (const part of parts) {
      joined.set(part, at);
      at += part.length;
    }
    if (shareable) this.#joined = { key: cacheKey, samples: joined, rate };
    return { type: 'buffer', samples: joined, rate, loop: true };
  }

  close(): void {
    this.#off();
    this.#offBus();
  }

  #start(target: MediaTarget, className: string | undefined): boolean {
    const cls = this.findClass(className);
    this.#stop(target);
    if (!cls || cls.files.length === 0) return false;
    const loop: Loop = { target, cls, order: this.#order(cls), next: 0, upcoming: undefined, playbackId: undefined };
    this.#loops.set(key(target), loop);
    void this.#playNext(loop);
    return true;
  }

  #stop(target: MediaTarget): boolean {
    const loop = this.#loops.get(key(target));
    if (!loop) return false;
    this.#end(loop);
    if (loop.playbackId !== undefined) this.#port.send({ type: 'stop', playbackId: loop.playbackId });
    return true;
  }

  #end(loop: Loop): void {
    if (this.#loops.get(key(loop.target)) === loop) this.#loops.delete(key(loop.target));
    if (loop.playbackId !== undefined) this.#byPlayback.delete(loop.playbackId);
  }

  /** The loop's next file: in order, or drawn at random for `sort = random`. */
  #pick(loop: Loop): MohFile | undefined {
    const file = loop.upcoming ?? (loop.cls.sort === 'random' ? loop.order[Math.floor(this.#random() * loop.order.length)] : loop.order[loop.next++ % loop.order.length]);
    loop.upcoming = undefined;
    return file;
  }

  /**
   * Plays the loop's next file that decodes; ends the loop when none does. The file after it is read while it
   * plays, so that the music goes on without a gap.
   */
  async #playNext(loop: Loop): Promise<void> {
    for (let tries = 0; tries < loop.order.length; tries++) {
      const file = this.#pick(loop);
      const decoded = file && (await this.#decode(file));
      if (this.#loops.get(key(loop.target)) !== loop) return;
      if (!decoded) continue;
      const playbackId = `moh-${++this.#seq}`;
      loop.playbackId = playbackId;
      this.#byPlayback.set(playbackId, loop);
      this.#port.send({ type: 'play', playbackId, target: loop.target, sources: [{ type: 'buffer', samples: decoded.samples, rate: decoded.rate }], queue: 'moh' });
      loop.upcoming = this.#pick(loop);
      if (loop.upcoming && loop.upcoming !== file) void this.#decode(loop.upcoming);
      return;
    }
    this.#end(loop);
  }

  #finished(playbackId: string, reason: string): void {
    if (this.#silence.size > 0) {
      for (const [channel, id] of this.#silence) if (id === playbackId) this.#silence.delete(channel);
    }
    const loop = this.#byPlayback.get(playbackId);
    if (!loop) return;
    this.#byPlayback.delete(playbackId);
    if (this.#loops.get(key(loop.target)) !== loop) return;
    loop.playbackId = undefined;
    if (reason === 'done') void this.#playNext(loop);
    else this.#end(loop);
  }

  /** The class's files in the order a new loop plays them (`random` draws from them instead). */
  #order(cls: MohClass): MohFile[] {
    const files = [...cls.files];
    if (cls.sort === 'randstart' && files.length > 1) {
      const start = Math.floor(this.#random() * files.length);
      return [...files.slice(start), ...files.slice(0, start)];
    }
    return files;
  }

  /** A file decoded (cached; 8 kHz formats first), or undefined when none of its formats can be read. */
  async #decode(file: MohFile): Promise<Decoded | undefined> {
    const cached = this.#cache.get(file.name);
    if (cached) {
      this.#cache.delete(file.name);
      this.#cache.set(file.name, cached);
      return cached;
    }
    const candidates = file.paths
      .map((p) => ({ p, format: formatForPath(p) }))
      .filter((c) => c.format !== undefined)
      .sort((a, b) => (a.format!.sampleRate === 8000 ? 0 : 1) - (b.format!.sampleRate === 8000 ? 0 : 1));
    for (const { p, format } of candidates) {
      try {
        const decoded = await format!.readFile(p);
        const shared = new Int16Array(new SharedArrayBuffer(decoded.byteLength));
        shared.set(decoded);
        const out = { samples: shared, rate: format!.sampleRate };
        this.#remember(file.name, out);
        return out;
      } catch {
        // Try the next format.
      }
    }
    return undefined;
  }

  #remember(name: string, decoded: Decoded): void {
    if (decoded.samples.byteLength > this.#cacheBytes) return;
    this.#cache.set(name, decoded);
    this.#cached += decoded.samples.byteLength;
    for (const [k, v] of this.#cache) {
      if (this.#cached <= this.#cacheBytes) break;
      this.#cache.delete(k);
      this.#cached -= v.samples.byteLength;
    }
  }
}
