/**
 * The media engine: 20 ms frames of signed linear audio, the media clock, sessions per channel, Local links,
 * sources and sinks, the bridge mixer, and the MediaSession port (messages) with its in-thread and worker-thread
 * carriers. See `protocol.ts` for the messages and `host.ts` for what a tick does.
 */

export { FRAME_MS, SAMPLE_RATES, concatFrames, framesOf, isSampleRate, samplesPerFrame, saturate, silentFrame } from './frame.ts';
export type { AudioFrame, SampleRate } from './frame.ts';
export { MediaClock } from './clock.ts';
export type { ClockStats, ClockTimers, MediaClockOptions, TickInfo } from './clock.ts';
export { transferables } from './protocol.ts';
export type {
  BridgeKind,
  BridgeRole,
  Direction,
  HostStats,
  MediaCommand,
  MediaMessage,
  MediaNotification,
  MediaTarget,
  MuteDirection,
  PlaybackEndReason,
  PlaybackOperation,
  RecordingEndReason,
  RecordingOperation,
  SinkSpec,
  SourceSpec,
} from './protocol.ts';
export { LocalMediaHost, BridgeMedia } from './host.ts';
export type { LocalMediaHostOptions } from './host.ts';
export { LocalMediaPort, WorkerMediaPort, ping } from './port.ts';
export type { MediaPort, MediaPort as MediaSessionPort, MediaWorkerData } from './port.ts';
export { Session } from './session.ts';
export type { AnalyzerEvent, FrameAnalyzer } from './session.ts';
export { LocalPair } from './local-pair.ts';
export { Mixer, MixerParticipant } from './mixer.ts';
export type { MixerOptions, MixerParticipantOptions } from './mixer.ts';
export { Playback, PlaybackQueue, PlaybackSet } from './playback.ts';
export type { PlaybackItem, PlaybackObserver } from './playback.ts';
export { Recording } from './recording.ts';
export { BufferSource, DTMF_FREQUENCIES, FunctionSource, SilenceSource, ToneSource, createSource, dtmfTones, parseTones } from './source.ts';
export type { AudioSource, BufferSourceOptions, ToneOptions, ToneSegment } from './source.ts';
export { BufferSink, SinkFeed } from './sink.ts';
export type { AudioSink, BufferSinkOptions } from './sink.ts';
export { LinearResampler } from './resample.ts';
