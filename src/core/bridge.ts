/**
 * Bridges: places where channels meet. A bridge has Asterisk's identity fields (UUID id, technology, type,
 * class, creator, name, video mode) and a set of channels. Joining and leaving publish ChannelEnteredBridge /
 * ChannelLeftBridge with the bridge's snapshot; the media that flows between members belongs to the media
 * engine (a BridgeTechnology port) and is not handled here yet.
 */

import { randomUUID } from 'node:crypto';
import { AriadneError } from '../shared/errors.ts';
import type { Bus } from './bus.ts';
import type { Channel } from './channel.ts';

export type BridgeType = 'mixing' | 'holding' | 'dtmf_events' | 'proxy_media' | 'video_sfu' | 'video_single';

export interface BridgeSnapshot {
  readonly id: string;
  readonly technology: string;
  readonly bridgeType: 'mixing' | 'holding';
  readonly bridgeClass: string;
  readonly creator: string;
  readonly name: string;
  readonly channels: readonly string[];
  readonly creationtime: number;
  readonly videoMode: string;
  readonly videoSourceId?: string;
}

export interface BridgeInit {
  readonly id?: string;
  readonly types: readonly BridgeType[];
  readonly name?: string;
  readonly creator?: string;
  readonly bridgeClass?: string;
}

export class Bridge {
  readonly id: string;
  readonly name: string;
  readonly creator: string;
  readonly bridgeClass: string;
  readonly types: readonly BridgeType[];
  readonly creationtime: number;
  readonly #members = new Map<string, Channel>();
  readonly #roles = new Map<string, string>();
  #videoSource: string | undefined;
  #snapshot: BridgeSnapshot | undefined;
  #destroyed = false;
  readonly variables = new Map<string, string>();
  readonly #registry: BridgeRegistry;

  constructor(init: BridgeInit, registry: BridgeRegistry, now: number) {
    this.id = init.id ?? randomUUID();
    this.name = init.name ?? '';
    this.creator = init.creator ?? 'Stasis';
    this.bridgeClass = init.bridgeClass ?? 'stasis';
    this.types = init.types.length ? [...init.types] : ['mixing'];
    this.creationtime = now;
    this.#registry = registry;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  get bridgeType(): 'mixing' | 'holding' {
    return this.types.includes('holding') ? 'holding' : 'mixing';
  }

  /** The technology Asterisk would pick: simple_bridge for two or fewer, softmix above, holding_bridge. */
  get technology(): string {
    if (this.bridgeType === 'holding') return 'holding_bridge';
    if (this.types.includes('video_sfu')) return 'softmix';
    return this.#members.size > 2 ? 'softmix' : 'simple_bridge';
  }

  snapshot(): BridgeSnapshot {
    if (this.#snapshot) return this.#snapshot;
    const snap: BridgeSnapshot = {
      id: this.id,
      technology: this.technology,
      bridgeType: this.bridgeType,
      bridgeClass: this.bridgeClass,
      creator: this.creator,
      name: this.name,
      channels: [...this.#members.keys()],
      creationtime: this.creationtime,
      videoMode: this.types.includes('video_sfu') ? 'sfu' : this.#videoSource ? 'single' : 'talker',
      ...(this.#videoSource ? { videoSourceId: this.#videoSource } : {}),
    };
    this.#snapshot = Object.freeze(snap);
    return this.#snapshot;
  }

  has(channelId: string): boolean {
    return this.#members.has(channelId);
  }

  members(): Channel[] {
    return [...this.#members.values()];
  }

  role(channelId: string): string | undefined {
    return this.#roles.get(channelId);
  }

  /** Adds a channel, taking it out of any other bridge first (as Asterisk moves it). */
  add(channel: Channel, options: { role?: string } = {}): void {
    if (this.#destroyed) throw new AriadneError('ERR_INVALID_STATE', 'Bridge is being destroyed');
    if (this.#members.has(channel.id)) return;
    const current = channel.bridgeId ? this.#registry.get(channel.bridgeId) : undefined;
    if (current && current !== this) current.remove(channel);
    this.#members.set(channel.id, channel);
    if (options.role) this.#roles.set(channel.id, options.role);
    this.#snapshot = undefined;
    channel.setBridge(this.id);
    this.#registry.bus.publish({ type: 'ChannelEnteredBridge', timestamp: this.#registry.now(), bridge: this.snapshot(), channel: channel.snapshot() });
  }

  remove(channel: Channel): boolean {
    if (!this.#members.delete(channel.id)) return false;
    this.#roles.delete(channel.id);
    if (this.#videoSource === channel.id) this.#videoSource = undefined;
    this.#snapshot = undefined;
    channel.setBridge(undefined);
    this.#registry.bus.publish({ type: 'ChannelLeftBridge', timestamp: this.#registry.now(), bridge: this.snapshot(), channel: channel.snapshot() });
    return true;
  }

  setVideoSource(channelId: string | undefined): void {
    this.#videoSource = channelId;
    this.#snapshot = undefined;
  }

  /** Removes every channel and publishes BridgeDestroyed. Runs once. */
  destroy(): void {
    if (this.#destroyed) return;
    for (const c of this.members()) this.remove(c);
    this.#destroyed = true;
    this.#registry.forget(this);
    this.#registry.bus.publish({ type: 'BridgeDestroyed', timestamp: this.#registry.now(), bridge: this.snapshot() });
  }
}

export class BridgeRegistry {
  readonly #bridges = new Map<string, Bridge>();
  readonly bus: Bus;
  readonly now: () => number;

  constructor(options: { bus: Bus; now: () => number }) {
    this.bus = options.bus;
    this.now = options.now;
  }

  create(init: BridgeInit): Bridge {
    if (init.id !== undefined && this.#bridges.has(init.id)) throw new AriadneError('ERR_CONFLICT', 'Bridge with given id already exists');
    const bridge = new Bridge(init, this, this.now());
    this.#bridges.set(bridge.id, bridge);
    this.bus.publish({ type: 'BridgeCreated', timestamp: this.now(), bridge: bridge.snapshot() });
    return bridge;
  }

  get(id: string): Bridge | undefined {
    return this.#bridges.get(id);
  }

  list(): Bridge[] {
    return [...this.#bridges.values()];
  }

  forget(bridge: Bridge): void {
    this.#bridges.delete(bridge.id);
  }
}
