/**
 * Typed messages the Stasis layer delivers to applications. They carry domain values (times as epoch
 * milliseconds, objects as snapshots); `src/ari/events` turns them into ARI's wire JSON. The union grows as
 * core publishes more (channels, bridges, playbacks...).
 */

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

/** A user-defined event from `POST /events/user/{eventName}` (or the UserEvent() dialplan app). */
export interface ChannelUserevent extends AppMessageBase {
  readonly type: 'ChannelUserevent';
  readonly eventname: string;
  readonly userevent: Readonly<Record<string, unknown>>;
  /** Snapshots of the event sources, already in wire shape (until core snapshots land). */
  readonly channel?: unknown;
  readonly bridge?: unknown;
  readonly endpoint?: unknown;
}

export type AppMessage = ApplicationReplaced | ApplicationRegistered | ApplicationUnregistered | ChannelUserevent;

/** Where an application's messages go: one events WebSocket today. */
export interface AppSink {
  deliver(message: AppMessage): void;
}
