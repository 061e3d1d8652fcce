/**
 * The Ariadne SDK for Stasis applications: a typed ARI client for Ariadne and Asterisk 18+.
 *
 * @example
 * import { connect } from './client/index.ts';
 *
 * const ari = await connect({ url: 'http://127.0.0.1:8088', username: 'asterisk', password: 'secret', apps: ['hello'] });
 * ari.on('StasisStart', async (e) => {
 *   const channel = ari.channel(e.channel);
 *   await channel.answer();
 *   const playback = ari.playback();
 *   const done = playback.once('PlaybackFinished');
 *   await channel.play({ media: 'sound:hello-world', playbackId: playback.id });
 *   await done;
 *   await channel.hangup();
 * });
 */

export { Ari, connect, type ConnectOptions, type ConnectionListener, type ServerVersion } from './src/client.ts';
export { AriConnectionError, AriError, UnsupportedOperation } from './src/errors.ts';
export type { AnyEvent, EventMap, EventOf, EventType, Listener, OnceOptions, UnknownEvent } from './src/events.ts';
export type { Bound, BridgeHandle, ChannelHandle, LiveRecordingHandle, ObjectHandle, PlaybackHandle } from './src/handles.ts';
export type { ConnectionState, WebSocketConstructor, WebSocketLike } from './src/socket.ts';
export type { CallOptions, ConfigFields, EventFilter, ObjectKind, VariableMap } from './src/types.ts';
export type * from './generated/api.ts';
export type * from './generated/models.ts';
export { eventTypes } from './generated/models.ts';
