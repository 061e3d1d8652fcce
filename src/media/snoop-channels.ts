/**
 * Snoop channels (ARI's `POST /channels/{id}/snoop`): the `Snoop` technology and the service that makes its
 * channels. A snoop channel is named `Snoop/<target id>-<8 hex digits>` (its own counter, from 0, as Asterisk's
 * res_stasis_snoop), is Up from the start, and runs the given Stasis application (StasisStart with its args).
 * Its audio is the media host's snoop link (engine/snoop.ts): it says what it spies of the target and whatever
 * is played to it is whispered into the target. It hangs up when its target goes; hanging it up ends the link.
 *
 * Snoop channels cannot be dialed; they exist only through this service. Core knows the technology like any
 * other (`core show channeltypes`, channel names), the media host only sees sessions and a `snoop` link.
 */

import type { Channel } from '../core/channel.ts';
import type { Core } from '../core/core.ts';
import type { ChannelDriver } from '../core/driver.ts';
import { AriadneError } from '../shared/errors.ts';
import type { ChannelMedia } from './channel-media.ts';
import type { MediaPort } from './engine/port.ts';
import type { SnoopDirection } from './engine/protocol.ts';

export interface SnoopRequest {
  readonly spy: SnoopDirection;
  readonly whisper: SnoopDirection;
  readonly app: string;
  readonly appArgs?: string;
  /** The snoop channel's id; a new unique id when absent. */
  readonly snoopId?: string;
}

/** Runs a channel in a Stasis application (`Stasis(data)` without a dialplan) until it leaves. */
export type RunStasis = (channel: Channel, data: string) => Promise<unknown>;

export class SnoopChannels implements ChannelDriver {
  readonly name = 'Snoop';
  readonly description = 'Snoop Channel Driver';
  readonly #core: Core;
  readonly #port: MediaPort;
  readonly #media: ChannelMedia;
  readonly #runStasis: RunStasis;
  /** Snoop channel ids by target channel id. */
  readonly #byTarget = new Map<string, Set<string>>();
  /** Target channel id by snoop channel id. */
  readonly #targetOf = new Map<string, string>();
  #index = 0;
  readonly #unsubscribe: () => void;

  constructor(options: { core: Core; port: MediaPort; media: ChannelMedia; runStasis: RunStasis }) {
    this.#core = options.core;
    this.#port = options.port;
    this.#media = options.media;
    this.#runStasis = options.runStasis;
    this.#unsubscribe = this.#core.bus.subscribe((m) => {
      if (m.type === 'ChannelDestroyed') this.#targetGone(m.channel.id);
    });
  }

  /**
   * Makes a snoop channel on `target` and starts it in the application. Throws `AriadneError` `ERR_CONFLICT`
   * for a snoop id that is taken, `ERR_INVALID_PARAMETER` for bad directions (both `none` included).
   */
  snoop(target: Channel, request: SnoopRequest): Channel {
    const { spy, whisper } = request;
    if (spy === 'none' && whisper === 'none') throw new AriadneError('ERR_INVALID_PARAMETER', 'Direction must be specified for at least spy or whisper');
    if (target.destroyed) throw new AriadneError('ERR_NOT_FOUND', 'Provided channel was not found');
    const channels = this.#core.channels;
    const id = request.snoopId || channels.ids.uniqueId();
    if (!channels.idAvailable(id)) throw new AriadneError('ERR_CONFLICT', 'Channel with given unique ID already exists');
    const suffix = this.#index.toString(16).padStart(8, '0');
    this.#index = (this.#index + 1) >>> 0;
    const channel = channels.create({ tech: this.name, id, name: `Snoop/${target.id}-${suffix}`, state: 'Up', context: 'default', exten: 's', priority: 1 });
    let set = this.#byTarget.get(target.id);
    if (!set) this.#byTarget.set(target.id, (set = new Set()));
    set.add(channel.id);
    this.#targetOf.set(channel.id, target.id);
    this.#media.ensure(target.id);
    this.#media.ensure(channel.id);
    this.#port.send({ type: 'snoop', snoopId: channel.id, sessionId: channel.id, targetId: target.id, spy, whisper });
    // The application gets it after the REST answer (whose snapshot has no application yet, as Asterisk's).
    const data = request.appArgs ? `${request.app},${request.appArgs}` : request.app;
    setImmediate(() => {
      if (channel.destroyed) return;
      channel.enterApp('Stasis', data);
      void this.#runStasis(channel, data).finally(() => {
        channel.setApp('', '');
        channel.hangup(channel.hangupCause || 16);
      });
    });
    return channel;
  }

  close(): void {
    this.#unsubscribe();
  }

  #targetGone(id: string): void {
    const snoops = this.#byTarget.get(id);
    if (snoops) {
      this.#byTarget.delete(id);
      for (const snoopId of snoops) {
        this.#targetOf.delete(snoopId);
        const ch = this.#core.channels.get(snoopId);
        if (ch && !ch.hangupRequested) ch.requestHangup({ cause: 16, soft: false });
      }
      return;
    }
    // A snoop channel that went: forget it (its media session, and with it the link, goes by itself).
    const targetId = this.#targetOf.get(id);
    if (targetId === undefined) return;
    this.#targetOf.delete(id);
    const set = this.#byTarget.get(targetId);
    if (set?.delete(id) && set.size === 0) this.#byTarget.delete(targetId);
  }

  // ChannelDriver: snoop channels are made here only, and have no far side of their own.

  request(): Channel {
    throw new AriadneError('ERR_INVALID_PARAMETER', 'Snoop channels cannot be requested');
  }

  call(): void {
    throw new AriadneError('ERR_INVALID_STATE', 'Snoop channels cannot be called');
  }

  answer(channel: Channel): void {
    channel.setState('Up');
  }

  hangup(): void {}

  sendDigit(): void {}

  indicate(): void {}
}
