/**
 * Bridges: places where channels meet. A bridge has Asterisk's identity fields (UUID id, technology, type,
 * class, creator, name, video mode) and an ordered set of members, each with the options it joined with (role,
 * absorbed DTMF, muted, no connected-line updates). Joining and leaving publish ChannelEnteredBridge /
 * ChannelLeftBridge with the bridge's snapshot, and keep the members' BRIDGEPEER variable as Asterisk does:
 * each of two members names the other, three or more get a comma list of the others, a holding bridge and a
 * leaving member have none (clearing a set value publishes ChannelVarset with ""). A channel that is destroyed
 * while bridged leaves its bridge first.
 *
 * The media that flows between members belongs to the media engine (a BridgeTechnology port) and is not
 * handled here yet; the technology reported is the one Asterisk would pick.
 */

import { randomUUID } from 'node:crypto';
import { AriadneError } from '../shared/errors.ts';
import type { Bus } from './bus.ts';
import type { Channel } from './channel.ts';

export type BridgeType = 'mixing' | 'holding' | 'dtmf_events' | 'proxy_media' | 'video_sfu' | 'video_single' | 'sdp_label';

export const BRIDGE_TYPES: readonly BridgeType[] = ['mixing', 'holding', 'dtmf_events', 'proxy_media', 'video_sfu', 'video_single', 'sdp_label'];

/** How the bridge picks the video everyone sees: the loudest talker, one chosen channel, or each to each. */
export type VideoMode = 'talker' | 'single' | 'sfu';

export interface BridgeSnapshot {
  readonly id: string;
  readonly technology: string;
  readonly bridgeType: 'mixing' | 'holding';
  readonly bridgeClass: string;
  readonly creator: string;
  readonly name: string;
  readonly channels: readonly string[];
  readonly creationtime: number;
  readonly videoMode: VideoMode;
  readonly videoSourceId?: string;
  /** Variables set with `report_events` and their values (only when there are any). */
  readonly bridgevars?: Readonly<Record<string, string>>;
}

export interface BridgeInit {
  readonly id?: string;
  readonly types: readonly BridgeType[];
  readonly name?: string;
  readonly creator?: string;
  readonly bridgeClass?: string;
  /**
   * Asterisk's swap-optimisation flags (AST_BRIDGE_FLAG_SWAP_INHIBIT_FROM/TO, TRANSFER_BRIDGE_ONLY). By default
   * Stasis bridges inhibit everything (res_stasis.c bridge_create_common) and other bridges nothing (basic).
   */
  readonly optimization?: BridgeOptimizationFlags;
}

export interface BridgeOptimizationFlags {
  /** A member may not be swapped out of this bridge into another. */
  readonly swapInhibitFrom: boolean;
  /** No channel may be swapped into this bridge from another. */
  readonly swapInhibitTo: boolean;
  readonly transferBridgeOnly: boolean;
}

/** What a member joined with (ARI addChannel's options). */
export interface BridgeMemberOptions {
  readonly role?: string;
  /** DTMF from this member is not passed to the others. */
  readonly absorbDtmf?: boolean;
  /** Audio from this member is not passed to the others. */
  readonly mute?: boolean;
  /** The others get no connected-line updates about this member. */
  readonly inhibitConnectedLineUpdates?: boolean;
}

/** Up to this many names go into a multi-party BRIDGEPEER (the member's own name is left out). */
const MAX_BRIDGEPEER_NAMES = 11;

export class Bridge {
  readonly id: string;
  readonly name: string;
  readonly creator: string;
  readonly bridgeClass: string;
  readonly types: readonly BridgeType[];
  readonly creationtime: number;
  readonly optimization: BridgeOptimizationFlags;
  readonly #members = new Map<string, { channel: Channel; options: BridgeMemberOptions }>();
  #videoMode: VideoMode;
  #videoSource: string | undefined;
  #snapshot: BridgeSnapshot | undefined;
  #destroyed = false;
  /** Bridge variables (ARI `/bridges/{id}/variable`). */
  readonly #vars = new Map<string, string>();
  /** Names of the variables reported in the snapshot's `bridgevars`, in the order they were chosen. */
  readonly #reported: string[] = [];
  readonly #registry: BridgeRegistry;

  constructor(init: BridgeInit, registry: BridgeRegistry, now: number) {
    this.id = init.id ?? randomUUID();
    this.name = init.name ?? '';
    this.creator = init.creator ?? 'Stasis';
    this.bridgeClass = init.bridgeClass ?? 'stasis';
    this.types = init.types.length ? [...init.types] : ['mixing'];
    this.creationtime = now;
    const stasis = this.bridgeClass === 'stasis';
    this.optimization = init.optimization ?? { swapInhibitFrom: stasis, swapInhibitTo: stasis, transferBridgeOnly: stasis };
    this.#videoMode = this.types.includes('video_sfu') ? 'sfu' : this.types.includes('video_single') ? 'single' : 'talker';
    this.#registry = registry;
  }

  /** True once destruction has begun (members are being removed) and after. */
  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** An SFU bridge always mixes; otherwise holding wins. */
  get bridgeType(): 'mixing' | 'holding' {
    return this.types.includes('holding') && !this.types.includes('video_sfu') ? 'holding' : 'mixing';
  }

  /** The technology Asterisk would pick: simple_bridge for two or fewer, softmix above (and for SFU), holding_bridge. */
  get technology(): string {
    if (this.bridgeType === 'holding') return 'holding_bridge';
    if (this.types.includes('video_sfu')) return 'softmix';
    return this.#members.size > 2 ? 'softmix' : 'simple_bridge';
  }

  get videoSourceId(): string | undefined {
    return this.#videoSource;
  }

  snapshot(): BridgeSnapshot {
    if (this.#snapshot) return this.#snapshot;
    let bridgevars: Record<string, string> | undefined;
    for (const name of this.#reported) {
      const v = this.#vars.get(name);
      if (v !== undefined) (bridgevars ??= {})[name] = v;
    }
    const snap: BridgeSnapshot = {
      id: this.id,
      technology: this.technology,
      bridgeType: this.bridgeType,
      bridgeClass: this.bridgeClass,
      creator: this.creator,
      name: this.name,
      channels: [...this.#members.keys()],
      creationtime: this.creationtime,
      videoMode: this.#videoMode,
      ...(this.#videoSource ? { videoSourceId: this.#videoSource } : {}),
      ...(bridgevars ? { bridgevars: Object.freeze(bridgevars) } : {}),
    };
    this.#snapshot = Object.freeze(snap);
    return this.#snapshot;
  }

  has(channelId: string): boolean {
    return this.#members.has(channelId);
  }

  members(): Channel[] {
    return [...this.#members.values()].map((m) => m.channel);
  }

  memberOptions(channelId: string): BridgeMemberOptions | undefined {
    return this.#members.get(channelId)?.options;
  }

  role(channelId: string): string | undefined {
    return this.#members.get(channelId)?.options.role;
  }

  /** Adds a channel, taking it out of any other bridge first (as Asterisk moves it). */
  add(channel: Channel, options: BridgeMemberOptions = {}): void {
    this.addAll([channel], options);
  }

  /**
   * Adds several channels as one operation: each enters in turn (ChannelEnteredBridge), then the members'
   * BRIDGEPEER is brought up to date once. A channel already in this bridge only takes the new options.
   */
  addAll(channels: readonly Channel[], options: BridgeMemberOptions = {}): void {
    if (this.#destroyed) throw new AriadneError('ERR_INVALID_STATE', 'Bridge is being destroyed');
    let joined = false;
    for (const channel of channels) {
      const member = this.#members.get(channel.id);
      if (member) {
        member.options = { ...options };
        continue;
      }
      const current = channel.bridgeId ? this.#registry.get(channel.bridgeId) : undefined;
      if (current && current !== this) current.remove(channel);
      this.#members.set(channel.id, { channel, options: { ...options } });
      this.#snapshot = undefined;
      channel.setBridge(this.id);
      this.#registry.bus.publish({ type: 'ChannelEnteredBridge', timestamp: this.#registry.now(), bridge: this.snapshot(), channel: channel.snapshot() });
      joined = true;
    }
    if (joined) this.#updatePeers();
  }

  /** Takes a channel out; false when it is not a member. */
  remove(channel: Channel): boolean {
    if (!this.#members.has(channel.id)) return false;
    clearBridgePeer(channel);
    this.#members.delete(channel.id);
    this.#snapshot = undefined;
    channel.setBridge(undefined);
    this.#registry.bus.publish({ type: 'ChannelLeftBridge', timestamp: this.#registry.now(), bridge: this.snapshot(), channel: channel.snapshot() });
    if (this.#videoSource === channel.id) this.#changeVideoSource(this.#videoMode, undefined);
    if (!this.#destroyed) this.#updatePeers();
    return true;
  }

  /** Makes `channelId` the video everyone sees (single-source mode). */
  setVideoSource(channelId: string): void {
    this.#changeVideoSource('single', channelId);
  }

  /** Goes back to talker mode: the video follows whoever speaks. */
  clearVideoSource(): void {
    this.#changeVideoSource('talker', undefined);
  }

  #changeVideoSource(mode: VideoMode, source: string | undefined): void {
    const old = this.#videoSource;
    this.#videoMode = mode;
    this.#videoSource = source;
    this.#snapshot = undefined;
    if (old === source) return;
    this.#registry.bus.publish({
      type: 'BridgeVideoSourceChanged',
      timestamp: this.#registry.now(),
      bridge: this.snapshot(),
      ...(old !== undefined ? { oldVideoSourceId: old } : {}),
    });
  }

  getVariable(name: string): string | undefined {
    return this.#vars.get(name);
  }

  /**
   * Sets a bridge variable; an empty value removes it. With `reportEvents` its value appears in the snapshot's
   * `bridgevars`; setting it again without the flag stops that, as in Asterisk.
   */
  setVariable(name: string, value: string, reportEvents = false): void {
    if (!name) throw new AriadneError('ERR_INVALID_PARAMETER', 'Variable name is required');
    this.#vars.delete(name);
    const i = this.#reported.indexOf(name);
    if (value === '' || !reportEvents) {
      if (i !== -1) this.#reported.splice(i, 1);
    } else if (i === -1) this.#reported.push(name);
    if (value !== '') this.#vars.set(name, value);
    this.#snapshot = undefined;
  }

  /** Removes every channel and publishes BridgeDestroyed. Runs once. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    for (const c of this.members()) this.remove(c);
    this.#registry.forget(this);
    this.#registry.bus.publish({ type: 'BridgeDestroyed', timestamp: this.#registry.now(), bridge: this.snapshot() });
  }

  /** BRIDGEPEER after a change of members (Asterisk sets it even when the value stays the same). */
  #updatePeers(): void {
    const members = this.members();
    if (this.bridgeType === 'holding') {
      for (const c of members) clearBridgePeer(c);
      return;
    }
    if (members.length < 2) return;
    const names = members.slice(0, MAX_BRIDGEPEER_NAMES).map((c) => c.name);
    members.forEach((c, i) => {
      const skip = Math.min(i, names.length - 1);
      c.setVariable('BRIDGEPEER', names.filter((_, j) => j !== skip).join(','));
    });
  }
}

/** Removes BRIDGEPEER; a value that was set is reported as changed to "". */
function clearBridgePeer(channel: Channel): void {
  if (channel.getVariable('BRIDGEPEER')) channel.setVariable('BRIDGEPEER', '');
  channel.deleteVariable('BRIDGEPEER');
}

export class BridgeRegistry {
  readonly #bridges = new Map<string, Bridge>();
  readonly bus: Bus;
  readonly now: () => number;

  constructor(options: { bus: Bus; now: () => number }) {
    this.bus = options.bus;
    this.now = options.now;
    // A channel that goes away while bridged leaves its bridge before anyone hears it was destroyed.
    this.bus.subscribe((m) => {
      if (m.type !== 'ChannelDestroyed' || !m.channel.bridgeId) return;
      const bridge = this.#bridges.get(m.channel.bridgeId);
      const channel = bridge?.members().find((c) => c.id === m.channel.id);
      if (bridge && channel) bridge.remove(channel);
    });
  }

  create(init: BridgeInit): Bridge {
    if (init.id !== undefined && this.#bridges.has(init.id)) throw new AriadneError('ERR_CONFLICT', `Bridge with id '${init.id}' already exists`);
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
