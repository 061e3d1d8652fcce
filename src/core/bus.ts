/**
 * The core's message bus: every change in the system is published here as an immutable message carrying
 * snapshots, and every interface (Stasis/ARI, the console, later AMI-like views) subscribes. Delivery is
 * synchronous and in publication order, so the order of events about one channel is the order in which they
 * happened — the basis of ARI's ordering guarantee. A throwing subscriber is reported and skipped; it never
 * stops delivery to the others.
 */

import type { ChannelSnapshot } from './channel.ts';
import type { BridgeSnapshot } from './bridge.ts';

interface Base {
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

export type CoreMessage =
  | (Base & { readonly type: 'ChannelCreated'; readonly channel: ChannelSnapshot })
  | (Base & { readonly type: 'ChannelStateChange'; readonly channel: ChannelSnapshot })
  | (Base & { readonly type: 'ChannelDialplan'; readonly channel: ChannelSnapshot; readonly app: string; readonly appData: string })
  | (Base & { readonly type: 'ChannelVarset'; readonly channel: ChannelSnapshot | undefined; readonly variable: string; readonly value: string })
  /** `techCause`: the driver's own cause (a SIP status), when it gave one (ARI `tech_cause`). */
  | (Base & { readonly type: 'ChannelHangupRequest'; readonly channel: ChannelSnapshot; readonly cause: number; readonly soft: boolean; readonly techCause?: number })
  | (Base & { readonly type: 'ChannelDestroyed'; readonly channel: ChannelSnapshot; readonly cause: number; readonly causeText: string; readonly techCause?: number })
  | (Base & { readonly type: 'ChannelCallerId'; readonly channel: ChannelSnapshot; readonly callerPresentation: number; readonly callerPresentationText: string })
  | (Base & { readonly type: 'ChannelConnectedLine'; readonly channel: ChannelSnapshot })
  | (Base & { readonly type: 'ChannelDtmfReceived'; readonly channel: ChannelSnapshot; readonly digit: string; readonly durationMs: number })
  /** TALK_DETECT and TONE_DETECT (media analyzers, see media/channel-audio.ts). `durationMs`: the talk, without the closing silence. */
  | (Base & { readonly type: 'ChannelTalkingStarted'; readonly channel: ChannelSnapshot })
  | (Base & { readonly type: 'ChannelTalkingFinished'; readonly channel: ChannelSnapshot; readonly durationMs: number })
  | (Base & { readonly type: 'ChannelToneDetected'; readonly channel: ChannelSnapshot })
  | (Base & { readonly type: 'ChannelHold'; readonly channel: ChannelSnapshot; readonly musicclass?: string })
  | (Base & { readonly type: 'ChannelUnhold'; readonly channel: ChannelSnapshot })
  | (Base & { readonly type: 'ChannelUserevent'; readonly channel?: ChannelSnapshot; readonly eventname: string; readonly userevent: Readonly<Record<string, string>> })
  /**
   * A transfer requested on `channel` (the transferer; a SIP REFER): where to (`destination`, the Refer-To user, or
   * for an attended transfer the Call-ID to replace and its tags as `params`), the transferer's bridge and peer,
   * and, once reported, the transfer's `state` (channel_progress, channel_answered, channel_unavailable,
   * channel_declined).
   */
  | (Base & {
      readonly type: 'ChannelTransfer';
      readonly channel: ChannelSnapshot;
      readonly state?: string;
      readonly destination: string;
      readonly protocolId?: string;
      readonly params?: ReadonlyArray<{ readonly name: string; readonly value: string }>;
      readonly sourcePeer?: ChannelSnapshot;
      readonly sourceBridge?: BridgeSnapshot;
    })
  /**
   * A blind transfer done by the core (a phone's REFER): `channel` is the transferer, `transferee` the party
   * sent to `exten@context`; `result` is Success, Fail, Invalid or Not Permitted, as Asterisk spells them.
   */
  | (Base & {
      readonly type: 'BridgeBlindTransfer';
      readonly channel: ChannelSnapshot;
      readonly transferee?: ChannelSnapshot;
      readonly replaceChannel?: ChannelSnapshot;
      readonly bridge?: BridgeSnapshot;
      readonly exten: string;
      readonly context: string;
      readonly result: string;
      readonly isExternal: boolean;
    })
  /**
   * An attended transfer done by the core: the transferer's leg with the transferee (`firstLeg`) and its leg
   * with the target (`secondLeg`), their bridges, and where the parties ended up (`destinationType` bridge with
   * `destinationBridge`, or fail).
   */
  | (Base & {
      readonly type: 'BridgeAttendedTransfer';
      readonly firstLeg: ChannelSnapshot;
      readonly secondLeg: ChannelSnapshot;
      readonly firstLegBridge?: BridgeSnapshot;
      readonly secondLegBridge?: BridgeSnapshot;
      readonly transferee?: ChannelSnapshot;
      readonly target?: ChannelSnapshot;
      readonly result: string;
      readonly isExternal: boolean;
      readonly destinationType: string;
      readonly destinationBridge?: string;
    })
  | (Base & {
      readonly type: 'Dial';
      readonly caller?: ChannelSnapshot;
      readonly peer: ChannelSnapshot;
      readonly forwarded?: ChannelSnapshot;
      readonly dialstring: string;
      readonly dialstatus: string;
      readonly forward: string;
    })
  | (Base & { readonly type: 'BridgeCreated'; readonly bridge: BridgeSnapshot })
  | (Base & { readonly type: 'BridgeDestroyed'; readonly bridge: BridgeSnapshot })
  | (Base & { readonly type: 'BridgeVideoSourceChanged'; readonly bridge: BridgeSnapshot; readonly oldVideoSourceId?: string })
  | (Base & { readonly type: 'ChannelEnteredBridge'; readonly bridge: BridgeSnapshot; readonly channel: ChannelSnapshot })
  | (Base & { readonly type: 'ChannelLeftBridge'; readonly bridge: BridgeSnapshot; readonly channel: ChannelSnapshot });

export type CoreMessageType = CoreMessage['type'];

export type BusListener = (message: CoreMessage) => void;

export class Bus {
  readonly #listeners: BusListener[] = [];
  readonly #onError: (err: unknown, message: CoreMessage) => void;

  constructor(options: { onError?: (err: unknown, message: CoreMessage) => void } = {}) {
    this.#onError = options.onError ?? ((err) => queueMicrotask(() => { throw err; }));
  }

  /** Subscribers now (read-only; the leak test checks that per-call subscriptions are released). */
  get listenerCount(): number {
    return this.#listeners.length;
  }

  subscribe(listener: BusListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i !== -1) this.#listeners.splice(i, 1);
    };
  }

  publish(message: CoreMessage): void {
    for (const l of this.#listeners) {
      try {
        l(message);
      } catch (err) {
        this.#onError(err, message);
      }
    }
  }
}
