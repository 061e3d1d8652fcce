/**
 * Device states fed by channels: a device `Tech/resource` is whatever its live channels are doing, and every
 * time one of them changes state or is destroyed the device state registry is told to look again
 * (`states.notify`), which announces DeviceStateChanged when that changes what the device reports.
 *
 * A channel belongs to the device named by its channel name up to the last `-`
 * (`Local/1000@from-trunk-0000000d;2` → `Local/1000@from-trunk`, `PJSIP/alice-00000001` → `PJSIP/alice`).
 * As in Asterisk, creating a channel announces nothing; a state change and the channel's end do.
 *
 * - Local devices (`Local/exten@context[/options]`), as Asterisk's Local driver answers: INUSE while a pair
 *   for that `exten@context` is in a call (the `;2` half was started in the dialplan and neither half is
 *   hanging up), NOT_INUSE when pairs exist but none is in a call or when the extension exists, INVALID
 *   otherwise (also for a resource without `@context`). Local announcements are not cached, so each change of
 *   a Local channel announces the device again (Asterisk's capture shows INUSE twice when both halves
 *   answer, and NOT_INUSE twice when both go).
 * - Any other technology (unless something registered its own provider first): the aggregate
 *   (`aggregate()`) of its live channels' states through Asterisk's channel → device table, ONHOLD for a
 *   channel on hold; UNKNOWN when it has no channels. (Asterisk looks at the first channel it finds by name;
 *   aggregating over all of them is the same for one channel and better for several.)
 *
 * Technologies are registered as providers when this starts and when a channel of a new technology
 * appears; `syncTechnologies()` picks up drivers registered later without a channel yet.
 */

import type { Core } from './core.ts';
import type { Channel } from './channel.ts';
import type { CoreMessage } from './bus.ts';
import type { Logger } from '../shared/logger.ts';
import { aggregate, deviceStateForChannelState, type DeviceState, type DeviceStateRegistry } from './device-states.ts';
import { localPeer } from './local.ts';

import { deviceNameOf } from './channels.ts';

export { deviceNameOf };

export interface ChannelDeviceStatesOptions {
  readonly core: Core;
  readonly states: DeviceStateRegistry;
  readonly logger?: Logger;
  /**
   * Whether `exten@context` exists in the dialplan (an idle Local device of an existing extension is
   * NOT_INUSE). Defaults to asking the core's PBX for priority 1.
   */
  readonly extensionExists?: (context: string, exten: string) => boolean;
}

export class ChannelDeviceStates {
  readonly #core: Core;
  readonly #states: DeviceStateRegistry;
  readonly #logger: Logger | undefined;
  readonly #extensionExists: (context: string, exten: string) => boolean;
  /** Local `;2` halves whose dialplan has started (the pair was called). */
  readonly #started = new Set<string>();
  /** Channels on hold. */
  readonly #held = new Set<string>();
  /** Technologies handled (lower case), with what removes their provider (undefined: someone else answers). */
  readonly #techs = new Map<string, (() => void) | undefined>();
  readonly #unsubscribe: () => void;

  constructor(options: ChannelDeviceStatesOptions) {
    this.#core = options.core;
    this.#states = options.states;
    this.#logger = options.logger;
    this.#extensionExists =
      options.extensionExists ??
      ((context, exten) => {
        try {
          return this.#core.pbx.exists(context, exten, 1);
        } catch {
          return false;
        }
      });
    this.syncTechnologies();
    this.#unsubscribe = this.#core.bus.subscribe((m) => this.#onMessage(m));
  }

  /** Registers a provider for every channel technology not handled yet. */
  syncTechnologies(): void {
    for (const tech of this.#core.channels.technologies()) this.#handleTech(tech.name);
  }

  /** What a device of technology `tech` reports now (undefined: UNKNOWN). */
  deviceState(tech: string, resource: string): DeviceState | undefined {
    return tech.toLowerCase() === 'local' ? this.#localState(resource) : this.#channelState(`${tech}/${resource}`);
  }

  /** Stops listening and removes the providers this registered. */
  close(): void {
    this.#unsubscribe();
    for (const remove of this.#techs.values()) remove?.();
    this.#techs.clear();
  }

  #handleTech(name: string): void {
    const key = name.toLowerCase();
    if (this.#techs.has(key)) return;
    try {
      this.#techs.set(key, this.#states.registerProvider(name, (resource) => this.deviceState(name, resource)));
    } catch {
      // The technology answers for its devices itself; its channels still trigger the announcements.
      this.#techs.set(key, undefined);
      this.#logger?.debug(3, `device states of ${name} come from its own provider`);
    }
  }

  #remove(channelId: string): void {
    this.#started.delete(channelId);
    this.#held.delete(channelId);
  }

  #onMessage(m: CoreMessage): void {
    switch (m.type) {
      case 'ChannelCreated': {
        this.#handleTech(m.channel.tech);
        return;
      }
      case 'ChannelDialplan':
        if (isLocal(m.channel.tech) && m.channel.name.endsWith(';2')) this.#started.add(m.channel.id);
        return;
      case 'ChannelStateChange':
        this.#announce(m.channel.name, m.channel.tech);
        return;
      case 'ChannelHold':
      case 'ChannelUnhold':
        if (m.type === 'ChannelHold') this.#held.add(m.channel.id);
        else this.#held.delete(m.channel.id);
        // A Local device does not report hold.
        if (!isLocal(m.channel.tech)) this.#announce(m.channel.name, m.channel.tech);
        return;
      case 'ChannelDestroyed':
        this.#remove(m.channel.id);
        this.#announce(m.channel.name, m.channel.tech);
        return;
      default:
        return;
    }
  }

  #announce(channelName: string, tech: string): void {
    this.#states.notify(deviceNameOf(channelName), { cachable: !isLocal(tech) });
  }

  /** The device's live channels (those being destroyed are skipped), from the core's index. */
  *#live(device: string): Generator<Channel> {
    for (const c of this.#core.channels.ofDevice(device)) if (!c.destroyed) yield c;
  }

  #channelState(device: string): DeviceState | undefined {
    const states: DeviceState[] = [];
    for (const c of this.#live(device)) states.push(this.#held.has(c.id) ? 'ONHOLD' : deviceStateForChannelState(c.state));
    return states.length === 0 ? undefined : aggregate(states);
  }

  #localState(resource: string): DeviceState {
    const at = resource.indexOf('@');
    if (at < 0) {
      this.#logger?.warning(`Local/${resource} used as a device without @context`);
      return 'INVALID';
    }
    const exten = resource.slice(0, at);
    let context = resource.slice(at + 1);
    // Options follow a `/` after the context (a `/` before the `@` belongs to the extension).
    const slash = context.indexOf('/');
    if (slash >= 0) context = context.slice(0, slash);
    const device = `Local/${exten}@${context}`;
    let found = false;
    for (const ch of this.#live(device)) {
      if (deviceNameOf(ch.name) !== device) continue;
      found = true;
      if (this.#inCall(ch)) return 'INUSE';
    }
    if (found) return 'NOT_INUSE';
    return this.#extensionExists(context, exten) ? 'NOT_INUSE' : 'INVALID';
  }

  /** A Local half whose pair was called and is not going away. */
  #inCall(ch: Channel): boolean {
    const peer = localPeer(ch);
    if (!peer || peer.destroyed || peer.hangupRequested || ch.hangupRequested) return false;
    const two = ch.name.endsWith(';2') ? ch : peer;
    return this.#started.has(two.id);
  }
}

function isLocal(tech: string): boolean {
  return tech.toLowerCase() === 'local';
}
