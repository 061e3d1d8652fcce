/**
 * Typed messages the Stasis layer delivers to applications: the core bus's messages addressed to one
 * application, plus Stasis's own (StasisStart/End, application lifecycle). They carry snapshots and epoch
 * times; `src/ari/events` turns them into ARI's wire JSON.
 */

import type { CoreMessage } from '../core/bus.ts';
import type { ChannelSnapshot } from '../core/channel.ts';
import type { BridgeSnapshot } from '../core/bridge.ts';
import type { EndpointEventMessage } from '../sip/state.ts';

/** Fields every message to an application carries. */
export interface AppMessageBase {
  readonly application: string;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

export interface ApplicationReplaced extends AppMessageBase {
  readonly type: 'ApplicationReplaced';
}

export interface ApplicationRegistered extends AppMessageBase {
  readonly type: 'ApplicationRegistered';
}

export interface ApplicationUnregistered extends AppMessageBase {
  readonly type: 'ApplicationUnregistered';
}

export interface StasisStart extends AppMessageBase {
  readonly type: 'StasisStart';
  readonly args: readonly string[];
  readonly channel: ChannelSnapshot;
  readonly replaceChannel?: ChannelSnapshot;
}

export interface StasisEnd extends AppMessageBase {
  readonly type: 'StasisEnd';
  readonly channel: ChannelSnapshot;
}

/** A user event from `POST /events/user/{eventName}` with its resolved sources. */
export interface UserEvent extends AppMessageBase {
  readonly type: 'ChannelUserevent';
  readonly eventname: string;
  readonly userevent: Readonly<Record<string, unknown>>;
  readonly channel?: ChannelSnapshot;
  readonly bridge?: BridgeSnapshot;
  readonly endpoint?: unknown;
}

export interface DeviceStateChanged extends AppMessageBase {
  readonly type: 'DeviceStateChanged';
  readonly name: string;
  readonly state: string;
}

export interface ApplicationMoveFailed extends AppMessageBase {
  readonly type: 'ApplicationMoveFailed';
  readonly channel: ChannelSnapshot;
  readonly destination: string;
  readonly args: readonly string[];
}

/** A channel offered by `StasisBroadcast()`; the first application to claim it gets it. */
export interface CallBroadcast extends AppMessageBase {
  readonly type: 'CallBroadcast';
  readonly channel: ChannelSnapshot;
  /** The caller's number ('' when unknown). */
  readonly caller: string;
  /** The extension the channel was at ('' when unknown). */
  readonly called: string;
}

/** A broadcast channel was claimed (sent only when `StasisBroadcast()` asked for it). */
export interface CallClaimed extends AppMessageBase {
  readonly type: 'CallClaimed';
  readonly channel: ChannelSnapshot;
  readonly winnerApp: string;
}

/** ARI's `Playback` model, as the playback service keeps it (already in wire field names). */
export interface PlaybackView {
  readonly id: string;
  readonly media_uri: string;
  readonly next_media_uri?: string;
  readonly target_uri: string;
  readonly language: string;
  readonly state: 'queued' | 'playing' | 'paused' | 'done' | 'failed' | 'stopped';
}

/** A playback's progress (media events, published by the playback service through `Stasis.publishAbout`). */
export interface PlaybackEvent extends AppMessageBase {
  readonly type: 'PlaybackStarted' | 'PlaybackContinuing' | 'PlaybackFinished';
  readonly playback: PlaybackView;
}

/** ARI's `LiveRecording` model, as the recording service keeps it (already in wire field names). */
export interface RecordingView {
  readonly name: string;
  readonly format: string;
  readonly target_uri: string;
  readonly state: 'queued' | 'recording' | 'paused' | 'done' | 'failed' | 'canceled';
  /** Seconds, once the recording is over. */
  readonly duration?: number;
  /** Seconds of talking and of silence, once over and only when `maxSilenceSeconds` was given (as Asterisk). */
  readonly talking_duration?: number;
  readonly silence_duration?: number;
  readonly cause?: string;
}

/** A recording's progress (published by the recording service through `Stasis.publishAbout`). */
export interface RecordingEvent extends AppMessageBase {
  readonly type: 'RecordingStarted' | 'RecordingFinished' | 'RecordingFailed';
  readonly recording: RecordingView;
}

/**
 * A SIP MESSAGE from an endpoint (src/sip/driver/messaging.ts), already in wire field names: `message` is ARI's
 * TextMessage (`from`, `to`, `body`, `variables`), `endpoint` the sender's Endpoint model.
 */
export interface TextMessageReceived extends AppMessageBase {
  readonly type: 'TextMessageReceived';
  readonly message: { readonly from: string; readonly to: string; readonly body: string; readonly variables: Readonly<Record<string, string>> };
  readonly endpoint?: { readonly technology: string; readonly resource: string; readonly state: string; readonly channel_ids: readonly string[] };
}

export type AppMessage =
  | ApplicationReplaced
  | TextMessageReceived
  | PlaybackEvent
  | RecordingEvent
  /** EndpointStateChange, PeerStatusChange, ContactStatusChange (src/sip/state.ts). */
  | EndpointEventMessage
  | CallBroadcast
  | CallClaimed
  | DeviceStateChanged
  | ApplicationMoveFailed
  | ApplicationRegistered
  | ApplicationUnregistered
  | StasisStart
  | StasisEnd
  | UserEvent
  | (Exclude<CoreMessage, { type: 'ChannelUserevent' }> & { readonly application: string });

/** Where an application's messages go: one events WebSocket today. */
export interface AppSink {
  deliver(message: AppMessage): void;
}
