/**
 * The MediaSession port, as messages. Core (channels, bridges, ARI playbacks and recordings) never holds media
 * objects: it sends `MediaCommand`s to a media host and listens to the `MediaNotification`s that come back. The
 * host runs in the same thread (`LocalMediaHost` behind `LocalMediaPort`) or in a worker thread
 * (`WorkerMediaPort`); both carry exactly these messages, so moving media to workers touches neither core nor ARI.
 *
 * Rules every message follows, so that it survives `postMessage` (structured clone):
 *  - plain data only: strings, numbers, booleans, arrays, plain objects and `Int16Array`s; no functions, classes
 *    or shared objects. Sources and sinks are described (`SourceSpec`, `SinkSpec`) and built inside the host.
 *  - every message is a union member tagged by `type`; ids are strings chosen by the sender (channel ids for
 *    sessions, bridge ids, ARI playback/recording ids), so no reply is needed to learn an id.
 *  - commands are applied in the order they are sent. They have no replies: failures come back as an `error`
 *    notification naming the command, and `ping` → `pong` is the barrier that says "everything before has run".
 *  - `Int16Array`s in a message are handed over: across a worker their buffers are transferred (see
 *    `transferables`), so the sender must not use them again. Samples on a `SharedArrayBuffer` are shared
 *    instead (a cache of decoded sound files should keep them there).
 *
 * Directions are the channel's, as in ARI's mute: `in` is audio from the channel's far side into Ariadne (what
 * the party says; what a driver writes, Asterisk's ast_read), `out` is audio from Ariadne to the far side (what
 * the party hears; what a driver sends, Asterisk's ast_write).
 */

import type { ErrorCode } from '../../shared/errors.ts';
import type { ClockStats } from './clock.ts';
import type { AudioFrame, SampleRate } from './frame.ts';
import type { ToneSegment } from './source.ts';

export type Direction = 'in' | 'out';
export type MuteDirection = Direction | 'both';
/** What a snoop hears of its target (`spy`) or whispers into it (`whisper`); ARI's snoop directions. */
export type SnoopDirection = MuteDirection | 'none';

/** Where a playback or a recording happens. */
export type MediaTarget = { readonly type: 'session'; readonly id: string } | { readonly type: 'bridge'; readonly id: string };

export type BridgeKind = 'mixing' | 'holding';
/** Holding bridges: participants hear the entertainment or the announcers; announcers are heard by all. */
export type BridgeRole = 'participant' | 'announcer';

/** A source, described as data; the host builds it (`createSource`). */
export type SourceSpec =
  | {
      readonly type: 'tone';
      /** Asterisk's tone syntax (`350+440`, `!425/200,!0/200`) or segments. */
      readonly tones: string | readonly ToneSegment[];
      readonly rate?: SampleRate;
      readonly amplitude?: number;
      readonly maxDurationMs?: number;
    }
  | {
      readonly type: 'dtmf';
      readonly digits: string;
      readonly durationMs?: number;
      readonly betweenMs?: number;
      readonly rate?: SampleRate;
      readonly amplitude?: number;
    }
  | { readonly type: 'buffer'; readonly samples: Int16Array; readonly rate: SampleRate; readonly loop?: boolean; readonly offsetMs?: number }
  | { readonly type: 'silence'; readonly durationMs?: number; readonly rate?: SampleRate };

/**
 * A sink, described as data: in memory (tests), or a file (`file-sink.ts`). A file's `format` is a format
 * name or extension of `formats.ts` (`wav`, `wav16`, `ulaw`, `alaw`, `sln`, `sln16`); its rate is the
 * format's (`rate`, when given, must agree). `path` is the whole file name, extension included; its
 * directory must exist. With `append` an existing file of the same format is continued.
 */
export type SinkSpec =
  | { readonly type: 'buffer'; readonly rate?: SampleRate; readonly maxDurationMs?: number }
  | {
      readonly type: 'file';
      readonly path: string;
      readonly format: string;
      readonly rate?: SampleRate;
      readonly append?: boolean;
      readonly maxDurationMs?: number;
    };

/** Settings of an analyzer (`analyze` command), by name; each analyzer documents its own. */
export type AnalyzerOptions = Readonly<Record<string, number>>;

export type PlaybackOperation = 'pause' | 'unpause' | 'restart' | 'reverse' | 'forward';
export type RecordingOperation = 'pause' | 'unpause' | 'mute' | 'unmute';

export type MediaCommand =
  /**
   * Creates the media session of a channel. `input` feeds its `in` side from a source instead of a driver (a
   * simulated talker; tests and benches).
   */
  | { readonly type: 'attach'; readonly sessionId: string; readonly rate: SampleRate; readonly input?: SourceSpec }
  /** Ends a session: its playbacks and recordings end (`detached`), it leaves its bridge and its Local link. */
  | { readonly type: 'detach'; readonly sessionId: string }
  /** A frame the channel's far side said (`in`), from its driver. Frames queue (up to 5), one is used per tick. */
  | { readonly type: 'write'; readonly sessionId: string; readonly frame: AudioFrame }
  /** Sends every frame of one direction back as `frame` notifications (external media, RTP, tests). */
  | { readonly type: 'tap'; readonly sessionId: string; readonly direction: Direction; readonly enabled: boolean }
  /**
   * Connects a session to an RTP worker through shared memory (exchange.ts): each tick its `out` frame goes into
   * `slot` of `page` and the newest `in` frame is taken from there, and `control`'s tick counter is bumped after
   * the tick. Without `page` the session is disconnected.
   */
  | { readonly type: 'exchange'; readonly sessionId: string; readonly control?: SharedArrayBuffer; readonly page?: SharedArrayBuffer; readonly slot?: number }
  /** Mutes a direction of the channel: the other side gets silence. */
  | { readonly type: 'mute'; readonly sessionId: string; readonly direction: MuteDirection; readonly muted: boolean }
  /** Joins the two halves of a Local channel: what `a` hears (`out`) is what `b` says (`in`), and back. */
  | { readonly type: 'link'; readonly linkId: string; readonly a: string; readonly b: string }
  | { readonly type: 'unlink'; readonly linkId: string }
  | { readonly type: 'bridge-create'; readonly bridgeId: string; readonly kind: BridgeKind; readonly entertainment?: SourceSpec }
  /** Ends a bridge: its playbacks and recordings end (`detached`), its members leave (their sessions stay). */
  | { readonly type: 'bridge-destroy'; readonly bridgeId: string }
  /** Puts a session in a bridge (leaving any other bridge first), or changes how it is in this one. */
  | {
      readonly type: 'bridge-join';
      readonly bridgeId: string;
      readonly sessionId: string;
      readonly role?: BridgeRole;
      /** What it says is not heard by the others. */
      readonly muteIn?: boolean;
      /** It hears nothing from the bridge. */
      readonly muteOut?: boolean;
    }
  | { readonly type: 'bridge-leave'; readonly bridgeId: string; readonly sessionId: string }
  /** What the participants of a holding bridge hear when no announcer is there; null for silence. */
  | { readonly type: 'bridge-entertainment'; readonly bridgeId: string; readonly source: SourceSpec | null }
  /**
   * Plays `sources` one after the other. Playbacks on the same target and `queue` wait for each other (ARI's
   * queued state); different queues (say `playback` and `moh`) play at the same time and are summed. A
   * session hears its playbacks instead of its bridge while any plays; a bridge's playbacks are heard by all.
   */
  | { readonly type: 'play'; readonly playbackId: string; readonly target: MediaTarget; readonly sources: readonly SourceSpec[]; readonly queue?: string }
  /** Stops a playback, playing or queued (`playback-finished` with `stopped`). */
  | { readonly type: 'stop'; readonly playbackId: string }
  | { readonly type: 'playback-control'; readonly playbackId: string; readonly operation: PlaybackOperation; readonly skipMs?: number }
  /**
   * Records a session direction (`in` unless given) or a bridge's mix: `recording-started`, later one
   * `recording-finished`. Once the id is accepted, every failure (unknown target, a file that cannot be
   * opened or written) is a `recording-finished` with reason `failed` and a message, not an `error`.
   * `maxSilenceMs`: end (reason `silence`) after that much continuous silence — a frame whose mean absolute
   * sample value is below `silenceThreshold` (default 256) — keeping only the first 200 ms of it.
   */
  | {
      readonly type: 'record';
      readonly recordingId: string;
      readonly target: MediaTarget;
      readonly direction?: Direction;
      readonly sink: SinkSpec;
      readonly maxSilenceMs?: number;
      readonly silenceThreshold?: number;
    }
  /** Ends a recording; with `discard` its audio is dropped. */
  | { readonly type: 'record-stop'; readonly recordingId: string; readonly discard?: boolean }
  | { readonly type: 'record-control'; readonly recordingId: string; readonly operation: RecordingOperation }
  /**
   * Turns an analyzer the host was built with (`dtmf`, `talk`, `tone`) on or off for one side of a session (`in`
   * unless given); turning it on again replaces it, with the new `options` (thresholds, frequency...).
   */
  | {
      readonly type: 'analyze';
      readonly sessionId: string;
      readonly analyzer: string;
      readonly enabled: boolean;
      readonly direction?: Direction;
      readonly options?: AnalyzerOptions;
    }
  /**
   * Makes `sessionId` (a snoop channel's session) a snoop on `targetId`: what the snoop says (`in`) is what the
   * target says, hears, or both mixed (`spy`), and what the snoop hears (`out`: its playbacks) is mixed into
   * the target's `in`, `out` or both (`whisper`). One tick of delay each way. Ends with `unsnoop` or when
   * either session is detached.
   */
  | {
      readonly type: 'snoop';
      readonly snoopId: string;
      readonly sessionId: string;
      readonly targetId: string;
      readonly spy: SnoopDirection;
      readonly whisper: SnoopDirection;
    }
  | { readonly type: 'unsnoop'; readonly snoopId: string }
  /** Echo (Asterisk's Echo()): while on, what the channel says is what it hears, unless a playback plays. */
  | { readonly type: 'echo'; readonly sessionId: string; readonly enabled: boolean }
  /** Runs `count` ticks now: only for a host with a manual clock (tests, benches). */
  | { readonly type: 'tick'; readonly count?: number }
  /** Answered by `pong` once everything sent before has been applied. */
  | { readonly type: 'ping'; readonly requestId: number }
  /** Ends everything, then `closed`. */
  | { readonly type: 'close' };

export type PlaybackEndReason = 'done' | 'stopped' | 'failed' | 'detached';
/** `silence`: `maxSilenceMs` of silence; `failed`: the target or the file failed (see `message`). */
export type RecordingEndReason = 'stopped' | 'discarded' | 'max-duration' | 'silence' | 'failed' | 'detached';

export interface HostStats {
  readonly sessions: number;
  readonly bridges: number;
  readonly links: number;
  readonly playbacks: number;
  readonly recordings: number;
  /** Ticks the host has processed. */
  readonly ticks: number;
  /** Driver frames dropped because a session's queue was full. */
  readonly droppedFrames: number;
  /** Milliseconds the last tick's work took, and the most any took. */
  readonly lastTickMs: number;
  readonly maxTickMs: number;
  /** The clock's counters (absent with a manual clock). */
  readonly clock?: ClockStats;
}

export type MediaNotification =
  /** A frame of a tapped direction. */
  | { readonly type: 'frame'; readonly sessionId: string; readonly direction: Direction; readonly frame: AudioFrame }
  /** An item of a playback began: index 0 is ARI's PlaybackStarted, later ones PlaybackContinuing. */
  | { readonly type: 'playback-started'; readonly playbackId: string; readonly index: number; readonly durationMs?: number }
  /** An item that had started ended. */
  | { readonly type: 'source-finished'; readonly playbackId: string; readonly index: number; readonly reason: PlaybackEndReason; readonly positionMs: number }
  /** The playback is over (sent once for every `play`, even one stopped while queued). */
  | { readonly type: 'playback-finished'; readonly playbackId: string; readonly reason: PlaybackEndReason; readonly message?: string }
  /** An analyzer heard a digit on the session's `in` side. */
  | { readonly type: 'dtmf'; readonly sessionId: string; readonly digit: string; readonly durationMs: number }
  /** The `talk` analyzer: talking started, or stopped after `durationMs` of talk (without the closing silence). */
  | { readonly type: 'talk'; readonly sessionId: string; readonly talking: boolean; readonly durationMs?: number }
  /** The `tone` analyzer heard its frequency long enough on one side of the session. */
  | { readonly type: 'tone'; readonly sessionId: string; readonly direction: Direction; readonly frequency: number }
  /** A recording's sink is open and takes audio from the next tick. */
  | { readonly type: 'recording-started'; readonly recordingId: string; readonly rate: SampleRate }
  | {
      readonly type: 'recording-finished';
      readonly recordingId: string;
      readonly reason: RecordingEndReason;
      /** Audio this recording put in its sink (an appended file's earlier audio not included). */
      readonly durationMs: number;
      /** Of `durationMs`: frames at or above the silence threshold, and the rest. */
      readonly talkingMs: number;
      readonly silenceMs: number;
      readonly rate: SampleRate;
      /** What a buffer sink collected (absent when discarded). */
      readonly samples?: Int16Array;
      /** Why it failed (reason `failed`). */
      readonly message?: string;
    }
  | { readonly type: 'pong'; readonly requestId: number; readonly stats: HostStats }
  /** A command could not be applied. */
  | { readonly type: 'error'; readonly command: string; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'closed' };

export type MediaMessage = MediaCommand | MediaNotification;

/**
 * The ArrayBuffers a message hands over when posted to a worker: the buffers of its `Int16Array`s that own
 * their whole buffer (a view into a larger one, such as a pooled Node Buffer, is copied instead; a
 * SharedArrayBuffer is shared).
 */
export function transferables(message: MediaMessage): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const add = (a: Int16Array | undefined): void => {
    if (!a) return;
    const buf = a.buffer;
    if (buf instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === buf.byteLength && !out.includes(buf)) out.push(buf);
  };
  const addSpec = (s: SourceSpec | null | undefined): void => {
    if (s?.type === 'buffer') add(s.samples);
  };
  switch (message.type) {
    case 'write':
    case 'frame':
      add(message.frame.samples);
      break;
    case 'attach':
      addSpec(message.input);
      break;
    case 'play':
      for (const s of message.sources) addSpec(s);
      break;
    case 'bridge-create':
      addSpec(message.entertainment);
      break;
    case 'bridge-entertainment':
      addSpec(message.source);
      break;
    case 'recording-finished':
      add(message.samples);
      break;
    default:
      break;
  }
  return out;
}
