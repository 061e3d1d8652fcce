/**
 * The channel driver port: how a technology (Local today, PJSIP later) creates legs, places calls, answers,
 * hangs up and passes DTMF. Drivers report what happens on the far side as frames on the channel
 * (`channel.deliverFrame`), which whoever dials the channel (originate, Dial()) reads.
 */

import type { Channel, CallerId } from './channel.ts';

export interface ChannelTech {
  readonly name: string;
  readonly driver: ChannelDriver;
}

export interface RequestOptions {
  /** Id for the leg that is returned; a new unique id when absent. */
  readonly id?: string;
  /** Id for a second leg the technology creates (Local `;2`). */
  readonly otherId?: string;
  readonly caller?: CallerId;
  readonly language?: string;
  readonly accountcode?: string;
  /** Channel that causes this request (Dial's caller), if any. */
  readonly requestor?: Channel;
}

export interface ChannelDriver {
  /** Technology name as in dial strings: `Local`. */
  readonly name: string;
  readonly description: string;
  /** Creates an outbound leg for `resource` (the part after `Tech/`). Throws `AriadneError` for a bad resource. */
  request(resource: string, options: RequestOptions): Channel;
  /** Starts calling a requested leg; progress arrives as frames on it. */
  call(channel: Channel, options: { readonly timeoutMs: number }): void;
  /** Answers an inbound leg (or a leg the application controls). */
  answer(channel: Channel): void;
  /** Tears the leg down (called once, from `Channel.hangup`). */
  hangup(channel: Channel): void;
  /** Sends one DTMF digit to the far side. */
  sendDigit(channel: Channel, digit: string, durationMs: number): void;
  /** Sends an indication to the far side (ringing, progress, busy, congestion, hold, unhold). */
  indicate(channel: Channel, indication: Indication): void;
  /** The endpoints this technology knows, for `/endpoints`. */
  endpoints?(): EndpointView[];
}

export type Indication = 'ringing' | 'progress' | 'busy' | 'congestion' | 'hold' | 'unhold' | 'ringstop';

/** What the far side did, as the dialing side sees it. */
export type ChannelFrame =
  | { readonly type: 'answer' }
  | { readonly type: 'ringing' }
  | { readonly type: 'progress' }
  | { readonly type: 'busy' }
  | { readonly type: 'congestion' }
  | { readonly type: 'hangup'; readonly cause: number }
  | { readonly type: 'dtmf'; readonly digit: string; readonly durationMs: number }
  /** The far side put this leg on hold (ChannelHold) or took it off (ChannelUnhold). */
  | { readonly type: 'hold'; readonly musicclass?: string }
  | { readonly type: 'unhold' };

export interface EndpointView {
  readonly technology: string;
  readonly resource: string;
  readonly state: 'unknown' | 'offline' | 'online';
  readonly channelIds: readonly string[];
}
