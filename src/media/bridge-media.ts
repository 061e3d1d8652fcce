/**
 * Bridges' media: core bridges become mixers in the media host. Core knows nothing of media; this module listens
 * to the core bus and speaks to the host only through `MediaPort` messages, like `channel-media.ts`.
 *
 * Engine bridges are made lazily: a bridge that nobody ever joins and nothing ever plays into costs the host
 * nothing. But the members of a bridge must hear each other, so a channel entering a bridge gets a media session
 * (`ChannelMedia.ensure`, which also attaches and links its Local other half) and makes the engine bridge
 * (`bridge-create`, kind `holding` or `mixing` from the bridge's type) before it joins (`bridge-join`). Leaving
 * sends `bridge-leave`, and destroying a bridge that reached the engine sends `bridge-destroy`. Everything that
 * moves channels between bridges — ARI, Dial()'s basic bridges, Local channel optimisation's swaps — publishes
 * ChannelLeftBridge / ChannelEnteredBridge, so the engine follows all of them.
 *
 * How a member is in the mixer comes from the options it joined with: `mute` keeps what it says out of the mix
 * (`muteIn`); in a holding bridge the role `announcer` is heard by every participant, any other role is a
 * participant, who hears the bridge's entertainment (see `entertainment`) while no announcer and no bridge
 * playback is there. The other bridge features (dtmf_events, proxy_media, video_*) change nothing for audio.
 */

import type { Core } from '../core/core.ts';
import type { Bridge } from '../core/bridge.ts';
import type { ChannelMedia } from './channel-media.ts';
import type { MediaPort } from './engine/port.ts';
import type { SourceSpec } from './engine/protocol.ts';

export interface BridgeMediaOptions {
  readonly core: Core;
  readonly port: MediaPort;
  readonly channelMedia: ChannelMedia;
  /**
   * What the participants of a holding bridge hear while nobody announces (music on hold, by default as
   * Asterisk's holding bridge does); null for silence. Asked once per engine bridge; it may take a while
   * (decoding a file), the participants hear silence meanwhile.
   */
  readonly entertainment?: (bridge: Bridge) => Promise<SourceSpec | null>;
}

export class BridgeMediaService {
  readonly #core: Core;
  readonly #port: MediaPort;
  readonly #channelMedia: ChannelMedia;
  readonly #entertainment: ((bridge: Bridge) => Promise<SourceSpec | null>) | undefined;
  /** Engine bridges, by id. */
  readonly #bridges = new Set<string>();
  /** The engine bridge each session is in, by channel id. */
  readonly #members = new Map<string, string>();
  readonly #unsubscribe: () => void;

  constructor(options: BridgeMediaOptions) {
    this.#core = options.core;
    this.#port = options.port;
    this.#channelMedia = options.channelMedia;
    this.#entertainment = options.entertainment;
    this.#unsubscribe = this.#core.bus.subscribe((m) => {
      switch (m.type) {
        case 'ChannelEnteredBridge':
          this.#join(m.bridge.id, m.channel.id);
          break;
        case 'ChannelLeftBridge':
          this.#leave(m.bridge.id, m.channel.id);
          break;
        case 'BridgeDestroyed':
          this.#destroy(m.bridge.id);
          break;
        case 'ChannelDestroyed':
          // The host takes a detached session out of its bridge by itself.
          this.#members.delete(m.channel.id);
          break;
        default:
          break;
      }
    });
  }

  /** Makes the engine bridge of a live core bridge (bridge playbacks, music on hold); false for an unknown one. */
  ensure(bridgeId: string): boolean {
    if (this.#bridges.has(bridgeId)) return true;
    const bridge = this.#core.bridges.get(bridgeId);
    if (!bridge || bridge.destroyed) return false;
    this.#bridges.add(bridgeId);
    const kind = bridge.bridgeType;
    this.#port.send({ type: 'bridge-create', bridgeId, kind });
    if (kind === 'holding' && this.#entertainment) {
      this.#entertainment(bridge).then(
        (source) => {
          if (source && this.#bridges.has(bridgeId)) this.#port.send({ type: 'bridge-entertainment', bridgeId, source });
        },
        () => undefined,
      );
    }
    return true;
  }

  /** Whether the bridge has reached the engine. */
  has(bridgeId: string): boolean {
    return this.#bridges.has(bridgeId);
  }

  /** The engine bridge a channel's session is in. */
  bridgeOf(channelId: string): string | undefined {
    return this.#members.get(channelId);
  }

  #join(bridgeId: string, channelId: string): void {
    const bridge = this.#core.bridges.get(bridgeId);
    if (!bridge?.has(channelId)) return;
    if (!this.#channelMedia.ensure(channelId) || !this.ensure(bridgeId)) return;
    const options = bridge.memberOptions(channelId) ?? {};
    const holding = bridge.bridgeType === 'holding';
    this.#port.send({
      type: 'bridge-join',
      bridgeId,
      sessionId: channelId,
      ...(holding ? { role: options.role === 'announcer' ? 'announcer' : 'participant' } : {}),
      muteIn: options.mute === true,
    });
    this.#members.set(channelId, bridgeId);
  }

  #leave(bridgeId: string, channelId: string): void {
    if (this.#members.get(channelId) !== bridgeId) return;
    this.#members.delete(channelId);
    // A session being detached (hangup) has already left; a destroyed bridge releases its members itself.
    if (this.#channelMedia.has(channelId) && this.#bridges.has(bridgeId)) this.#port.send({ type: 'bridge-leave', bridgeId, sessionId: channelId });
  }

  #destroy(bridgeId: string): void {
    if (!this.#bridges.delete(bridgeId)) return;
    for (const [channel, bridge] of this.#members) if (bridge === bridgeId) this.#members.delete(channel);
    this.#port.send({ type: 'bridge-destroy', bridgeId });
  }

  close(): void {
    this.#unsubscribe();
  }
}
