/**
 * Recordings, the ARI side and the dialplan's: ARI's live recordings (`POST /channels/{id}/record`,
 * `POST /bridges/{id}/record`, `/recordings/live/...`), the stored ones (`/recordings/stored/...`) and the
 * recordings `Record()` makes. The audio is written by the media host (`engine/file-sink.ts`); this service
 * only speaks `MediaPort` messages to it, so the host may run in a worker.
 *
 * Stored recordings live under `<astspooldir>/recording`, as in Asterisk. A name is the file's path relative
 * to that directory without its extension (`support/2024/call-1`); subdirectories are made on demand. A name
 * that is absolute, has an empty, `.` or `..` segment, or would lead outside the directory (through a symbolic
 * link too) is refused (400). A recording's `format` is a file extension Asterisk knows (`wav`, `wav16`, `ulaw`,
 * `alaw`, `sln`, ...) and the file is written as `<name>.<format>`.
 *
 * A live recording is `queued` until the host has opened its file (after the beep, when one was asked for),
 * then `recording` (RecordingStarted), `paused` while paused, and ends `done` (RecordingFinished: stopped,
 * `maxDurationSeconds`, `maxSilenceSeconds`, a `terminateOn` digit, or its channel hung up), `canceled`
 * (RecordingFinished; the file is deleted) or `failed` (RecordingFailed with `cause`: the file could not be
 * opened or written, the target went away before it started). Once over it is no longer live (404), as in
 * Asterisk. Durations are whole seconds, as ARI has them; `talking_duration` and `silence_duration` come only
 * with `maxSilenceSeconds`, also as in Asterisk.
 */

import fs from 'node:fs';
import path from 'node:path';
import type { Core } from '../core/core.ts';
import { AriadneError } from '../shared/errors.ts';
import type { RecordingView } from '../stasis/messages.ts';
import type { MediaPort } from './engine/port.ts';
import type { MediaNotification, MediaTarget, RecordingEndReason, RecordingOperation, SourceSpec } from './engine/protocol.ts';
import { formatForExtension, knownExtensions } from './formats.ts';
import { readSound } from './media-uri.ts';

export type RecordingState = RecordingView['state'];
export type RecordingTarget = { readonly type: 'channel'; readonly id: string } | { readonly type: 'bridge'; readonly id: string };
export type IfExists = 'fail' | 'overwrite' | 'append';

/** What `POST .../record` asks for. */
export interface LiveRecordingOptions {
  readonly name: string;
  readonly format: string;
  readonly maxDurationSeconds?: number;
  readonly maxSilenceSeconds?: number;
  readonly ifExists?: IfExists;
  readonly beep?: boolean;
  readonly terminateOn?: 'none' | 'any' | '*' | '#';
}

/** A recording to a file of any path (the dialplan's `Record()`). */
export interface FileRecordingOptions {
  readonly path: string;
  readonly format: string;
  readonly append?: boolean;
  readonly maxDurationMs?: number;
  readonly maxSilenceMs?: number;
  readonly silenceThreshold?: number;
  readonly beep?: boolean;
  /** DTMF digits that end the recording. */
  readonly terminateOn?: string;
}

/** How a recording ended: the engine's reason, or `dtmf` with the digit. */
export interface RecordingResult {
  readonly reason: RecordingEndReason | 'dtmf';
  readonly digit?: string;
  readonly durationMs: number;
  readonly talkingMs: number;
  readonly silenceMs: number;
  readonly message?: string;
}

/** Delivers a recording event to the applications subscribed to the target (and `alsoTo`); returns those reached. */
export type RecordingPublisher = (
  target: RecordingTarget,
  type: 'RecordingStarted' | 'RecordingFinished' | 'RecordingFailed',
  recording: RecordingView,
  alsoTo: ReadonlySet<string>,
) => readonly string[];

/** Asterisk's silence threshold for ARI recordings (`ast_play_and_record`'s default). */
const ARI_SILENCE_THRESHOLD = 128;
const BEEP_FALLBACK: SourceSpec = { type: 'tone', tones: '1000', maxDurationMs: 250 };

/** One recording in the host. */
interface Job {
  readonly id: string;
  readonly target: RecordingTarget;
  readonly file: string;
  readonly terminateOn: string;
  /** Sent `record` to the host (stop and controls go there); before that, a stop only marks it. */
  sent: boolean;
  started: boolean;
  /** What ended it before it reached the host, or the digit that ended it. */
  cancelled?: 'stop' | 'discard';
  digit?: string;
  readonly onStarted: () => void;
  readonly done: (result: RecordingResult) => void;
}

interface Live {
  readonly name: string;
  readonly format: string;
  readonly target: RecordingTarget;
  readonly withSilence: boolean;
  readonly job: Job;
  state: RecordingState;
  muted: boolean;
  result?: RecordingResult;
  readonly apps: Set<string>;
}

export interface RecordingServiceOptions {
  readonly port: MediaPort;
  readonly core: Core;
  /** `<astspooldir>/recording`. */
  readonly recordingDir: string;
  /** Where the beep is looked for (`<astdatadir>/sounds`). */
  readonly soundsDir: string;
  readonly publish: RecordingPublisher;
  readonly ensureSession?: (channelId: string) => void;
  readonly ensureBridge?: (bridgeId: string) => void;
  /** asterisk.conf's `defaultlanguage`: the beep played into a bridge is looked up in it (`en` when not given). */
  readonly defaultLanguage?: string;
}

export class RecordingService {
  readonly recordingDir: string;
  readonly #port: MediaPort;
  readonly #core: Core;
  readonly #soundsDir: string;
  readonly #defaultLanguage: string;
  readonly #publish: RecordingPublisher;
  readonly #ensureSession: (channelId: string) => void;
  readonly #ensureBridge: (bridgeId: string) => void;
  readonly #jobs = new Map<string, Job>();
  readonly #live = new Map<string, Live>();
  readonly #beeps = new Map<string, () => void>();
  readonly #offPort: () => void;
  readonly #offBus: () => void;
  #next = 0;

  constructor(options: RecordingServiceOptions) {
    this.#port = options.port;
    this.#core = options.core;
    this.recordingDir = path.resolve(options.recordingDir);
    this.#soundsDir = options.soundsDir;
    this.#defaultLanguage = options.defaultLanguage || 'en';
    this.#publish = options.publish;
    this.#ensureSession = options.ensureSession ?? (() => undefined);
    this.#ensureBridge = options.ensureBridge ?? (() => undefined);
    fs.mkdirSync(this.recordingDir, { recursive: true });
    this.#offPort = this.#port.onNotification((n) => this.#onNotification(n));
    this.#offBus = this.#core.bus.subscribe((m) => {
      if (m.type !== 'ChannelDtmfReceived') return;
      for (const job of this.#jobs.values()) {
        if (job.target.type !== 'channel' || job.target.id !== m.channel.id || !job.terminateOn.includes(m.digit)) continue;
        job.digit ??= m.digit;
        this.#stopJob(job, false);
      }
    });
  }

  close(): void {
    this.#offPort();
    this.#offBus();
  }

  // -------------------------------------------------------------------------------------------------------
  // Live recordings (ARI)

  /**
   * Starts a live recording; returns its view (state `queued`). Throws ERR_UNPROCESSABLE for an unknown format,
   * ERR_INVALID_PARAMETER for a bad name, ERR_CONFLICT when the name is recording or exists with `fail`.
   */
  record(target: RecordingTarget, options: LiveRecordingOptions): RecordingView {
    if (!formatForExtension(options.format)) throw new AriadneError('ERR_UNPROCESSABLE', 'specified format is unknown on this system');
    const file = this.#fileFor(options.name, options.format);
    const ifExists = options.ifExists ?? 'fail';
    const taken = (): AriadneError => new AriadneError('ERR_CONFLICT', `Recording '${options.name}' already exists and can not be overwritten`);
    if (this.#live.has(options.name)) throw taken();
    if (ifExists === 'fail' && this.#findStored(options.name)) throw taken();
    this.#makeParent(file);
    const terminateOn = options.terminateOn === 'any' ? '0123456789*#ABCD' : options.terminateOn === '*' || options.terminateOn === '#' ? options.terminateOn : '';
    const maxSilenceMs = (options.maxSilenceSeconds ?? 0) * 1000;
    let live!: Live;
    const job = this.#start(
      target,
      {
        path: file,
        format: options.format,
        append: ifExists === 'append',
        ...(options.maxDurationSeconds ? { maxDurationMs: options.maxDurationSeconds * 1000 } : {}),
        ...(maxSilenceMs > 0 ? { maxSilenceMs, silenceThreshold: ARI_SILENCE_THRESHOLD } : {}),
        beep: options.beep === true,
        terminateOn,
      },
      () => {
        live.state = 'recording';
        this.#emit(live, 'RecordingStarted');
      },
      (result) => this.#liveDone(live, result),
    );
    live = {
      name: options.name,
      format: options.format,
      target,
      withSilence: maxSilenceMs > 0,
      job,
      state: 'queued',
      muted: false,
      apps: new Set(),
    };
    this.#live.set(options.name, live);
    return this.#view(live);
  }

  getLive(name: string): RecordingView | undefined {
    const live = this.#live.get(name);
    return live ? this.#view(live) : undefined;
  }

  /** Stops a live recording (kept, `done`); a queued one is dropped (`canceled`), as in Asterisk. */
  stop(name: string): void {
    const live = this.#liveOf(name);
    if (live.state === 'queued') live.state = 'canceled';
    this.#stopJob(live.job, live.state === 'canceled');
  }

  /** Cancels a live recording: it ends `canceled` and its file is deleted. */
  cancel(name: string): void {
    const live = this.#liveOf(name);
    live.state = 'canceled';
    this.#stopJob(live.job, true);
  }

  /** Pause, unpause, mute, unmute: 409 unless recording or paused (Asterisk: "Recording not in session"). */
  control(name: string, operation: RecordingOperation): void {
    const live = this.#liveOf(name);
    if (live.state !== 'recording' && live.state !== 'paused') throw new AriadneError('ERR_INVALID_STATE', 'Recording not in session');
    this.#port.send({ type: 'record-control', recordingId: live.job.id, operation });
    if (operation === 'pause') live.state = 'paused';
    else if (operation === 'unpause') live.state = 'recording';
    else live.muted = operation === 'mute';
  }

  #liveOf(name: string): Live {
    const live = this.#live.get(name);
    if (!live) throw new AriadneError('ERR_NOT_FOUND', 'Recording not found');
    return live;
  }

  #liveDone(live: Live, result: RecordingResult): void {
    this.#live.delete(live.name);
    live.result = result;
    if (live.state === 'canceled' || result.reason === 'discarded') {
      live.state = 'canceled';
      // Only a file this recording wrote: one cancelled while queued leaves an existing file alone.
      if (live.job.sent) fs.rmSync(live.job.file, { force: true });
    } else live.state = result.reason === 'failed' ? 'failed' : 'done';
    this.#emit(live, live.state === 'failed' ? 'RecordingFailed' : 'RecordingFinished');
  }

  #view(live: Live): RecordingView {
    const r = live.result;
    const seconds = (ms: number): number => Math.round(ms / 1000);
    return {
      name: live.name,
      format: live.format,
      state: live.state,
      target_uri: `${live.target.type}:${live.target.id}`,
      ...(r && live.job.started && live.state !== 'canceled' ? { duration: seconds(r.durationMs) } : {}),
      ...(r && live.job.started && live.withSilence && live.state !== 'canceled' ? { talking_duration: seconds(r.talkingMs), silence_duration: seconds(r.durationMs) - seconds(r.talkingMs) } : {}),
      ...(r?.message !== undefined && live.state === 'failed' ? { cause: r.message } : {}),
    };
  }

  #emit(live: Live, type: 'RecordingStarted' | 'RecordingFinished' | 'RecordingFailed'): void {
    for (const app of this.#publish(live.target, type, this.#view(live), live.apps)) live.apps.add(app);
  }

  // -------------------------------------------------------------------------------------------------------
  // Recording to any file (dialplan)

  /** Records a channel or bridge into `options.path`; resolves when it is over. */
  recordFile(target: RecordingTarget, options: FileRecordingOptions, onStarted: () => void = () => undefined): { stop(): void; done: Promise<RecordingResult> } {
    let resolve!: (r: RecordingResult) => void;
    const done = new Promise<RecordingResult>((r) => (resolve = r));
    const job = this.#start(target, options, onStarted, resolve);
    return { stop: () => this.#stopJob(job, false), done };
  }

  // -------------------------------------------------------------------------------------------------------
  // Jobs: one recording in the host

  #start(target: RecordingTarget, options: FileRecordingOptions, onStarted: () => void, done: (r: RecordingResult) => void): Job {
    const job: Job = {
      id: `recording-${++this.#next}`,
      target,
      file: options.path,
      terminateOn: options.terminateOn ?? '',
      sent: false,
      started: false,
      onStarted,
      done,
    };
    this.#jobs.set(job.id, job);
    if (target.type === 'channel') this.#ensureSession(target.id);
    else this.#ensureBridge(target.id);
    const mediaTarget: MediaTarget = { type: target.type === 'channel' ? 'session' : 'bridge', id: target.id };
    const send = (): void => {
      if (!this.#jobs.has(job.id)) return;
      if (job.cancelled) return this.#finish(job, { reason: job.cancelled === 'discard' ? 'discarded' : 'stopped', durationMs: 0, talkingMs: 0, silenceMs: 0 });
      job.sent = true;
      this.#port.send({
        type: 'record',
        recordingId: job.id,
        target: mediaTarget,
        sink: {
          type: 'file',
          path: options.path,
          format: options.format,
          ...(options.append ? { append: true } : {}),
          ...(options.maxDurationMs ? { maxDurationMs: options.maxDurationMs } : {}),
        },
        ...(options.maxSilenceMs ? { maxSilenceMs: options.maxSilenceMs } : {}),
        ...(options.silenceThreshold !== undefined ? { silenceThreshold: options.silenceThreshold } : {}),
      });
    };
    if (options.beep) void this.#beep(job, mediaTarget).then(send);
    else send();
    return job;
  }

  /** Plays the beep to the target and resolves once it has been heard (or could not be played). */
  async #beep(job: Job, target: MediaTarget): Promise<void> {
    const language = target.type === 'session' ? (this.#core.channels.get(target.id)?.language ?? this.#defaultLanguage) : this.#defaultLanguage;
    let source: SourceSpec = BEEP_FALLBACK;
    try {
      const samples = await readSound(this.#soundsDir, 'beep', language);
      if (samples) source = { type: 'buffer', samples, rate: 8000 };
    } catch {
      /* the tone will do */
    }
    if (job.cancelled) return;
    const playbackId = `${job.id}-beep`;
    await new Promise<void>((resolve) => {
      this.#beeps.set(playbackId, resolve);
      this.#port.send({ type: 'play', playbackId, target, sources: [source], queue: 'recording-beep' });
    });
  }

  #stopJob(job: Job, discard: boolean): void {
    if (!this.#jobs.has(job.id)) return;
    if (job.sent) this.#port.send({ type: 'record-stop', recordingId: job.id, ...(discard ? { discard: true } : {}) });
    else {
      job.cancelled = discard ? 'discard' : 'stop';
      const beep = `${job.id}-beep`;
      if (this.#beeps.has(beep)) this.#port.send({ type: 'stop', playbackId: beep });
    }
  }

  #onNotification(n: MediaNotification): void {
    switch (n.type) {
      case 'recording-started': {
        const job = this.#jobs.get(n.recordingId);
        if (!job || job.started) return;
        job.started = true;
        job.onStarted();
        return;
      }
      case 'recording-finished': {
        const job = this.#jobs.get(n.recordingId);
        if (!job) return;
        this.#finish(job, {
          reason: job.digit !== undefined && n.reason === 'stopped' ? 'dtmf' : n.reason,
          ...(job.digit !== undefined ? { digit: job.digit } : {}),
          durationMs: n.durationMs,
          talkingMs: n.talkingMs,
          silenceMs: n.silenceMs,
          ...(n.message !== undefined ? { message: n.message } : {}),
        });
        return;
      }
      case 'playback-finished': {
        const beep = this.#beeps.get(n.playbackId);
        if (!beep) return;
        this.#beeps.delete(n.playbackId);
        beep();
        return;
      }
      case 'error':
        // A beep the host refused names its missing target: go on, and `record` reports the failure.
        if (n.command !== 'play') return;
        for (const [id, resolve] of this.#beeps) {
          const job = this.#jobs.get(id.replace(/-beep$/, ''));
          if (job && !n.message.includes(`'${job.target.id}'`)) continue;
          this.#beeps.delete(id);
          resolve();
        }
        return;
      default:
        return;
    }
  }

  #finish(job: Job, result: RecordingResult): void {
    if (!this.#jobs.delete(job.id)) return;
    job.done(result);
  }

  // -------------------------------------------------------------------------------------------------------
  // Stored recordings

  /** Every stored recording, sorted by name: `{ name, format }`. */
  listStored(): { name: string; format: string }[] {
    const out: { name: string; format: string }[] = [];
    const walk = (dir: string, prefix: string): void => {
      let entries: fs.Dirent[];
      try {
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`);
        else if (e.isFile()) {
          const split = splitExtension(e.name);
          if (split) out.push({ name: prefix + split.base, format: split.ext });
        }
      }
    };
    walk(this.recordingDir, '');
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.format < b.format ? -1 : 1));
  }

  /** A stored recording by name, or undefined (also for names that are invalid or lead outside). */
  getStored(name: string): { name: string; format: string } | undefined {
    const found = this.#findStored(name);
    return found ? { name, format: found.format } : undefined;
  }

  /** Deletes a stored recording; ERR_NOT_FOUND when there is none. */
  deleteStored(name: string): void {
    const found = this.#findStored(name);
    if (!found) throw new AriadneError('ERR_NOT_FOUND', 'Recording not found');
    fs.rmSync(found.file, { force: true });
  }

  /** Copies a stored recording to `destination` (same format). */
  copyStored(name: string, destination: string): { name: string; format: string } {
    const found = this.#findStored(name);
    if (!found) throw new AriadneError('ERR_NOT_FOUND', 'Recording not found');
    if (this.#findStored(destination)) throw new AriadneError('ERR_CONFLICT', 'A recording with the same name already exists on the system');
    let target: string;
    try {
      target = this.#fileFor(destination, found.format);
    } catch {
      throw new AriadneError('ERR_INVALID_PARAMETER', 'Invalid destination recording name');
    }
    this.#makeParent(target, 'Destination file path is forbidden');
    fs.copyFileSync(found.file, target, fs.constants.COPYFILE_EXCL);
    return { name: destination, format: found.format };
  }

  /** The file of a stored recording and its content type (`audio/<extension>`, as Asterisk sends it). */
  storedFile(name: string): { file: string; contentType: string } {
    const found = this.#findStored(name);
    if (!found) throw new AriadneError('ERR_NOT_FOUND', 'Recording not found');
    return { file: found.file, contentType: `audio/${found.format}` };
  }

  /** The file of a stored recording: `<name>.<ext>` for the first known extension found (sorted). */
  #findStored(name: string): { file: string; format: string } | undefined {
    let base: string;
    try {
      base = this.#fileFor(name, 'x').slice(0, -2);
    } catch {
      return undefined;
    }
    const dir = path.dirname(base);
    const prefix = `${path.basename(base)}.`;
    let entries: string[];
    try {
      entries = fs.readdirSync(dir).sort();
    } catch {
      return undefined;
    }
    if (!this.#inside(dir)) return undefined;
    for (const entry of entries) {
      if (!entry.startsWith(prefix)) continue;
      const ext = entry.slice(prefix.length);
      if (!formatForExtension(ext)) continue;
      const file = path.join(dir, entry);
      try {
        if (fs.statSync(file).isFile()) return { file, format: ext };
      } catch {
        /* gone meanwhile */
      }
    }
    return undefined;
  }

  /** `<dir>/<name>.<ext>`; ERR_INVALID_PARAMETER for a name that is not a clean relative path. */
  #fileFor(name: string, ext: string): string {
    const bad = (): AriadneError => new AriadneError('ERR_INVALID_PARAMETER', 'Recording name invalid');
    if (typeof name !== 'string' || name === '' || name.startsWith('/') || name.includes('\0') || name.includes('\\')) throw bad();
    for (const seg of name.split('/')) if (seg === '' || seg === '.' || seg === '..') throw bad();
    const file = path.resolve(this.recordingDir, `${name}.${ext}`);
    if (!file.startsWith(this.recordingDir + path.sep)) throw bad();
    return file;
  }

  /** Makes the directories of `file` and checks that, symbolic links followed, it stays inside. */
  #makeParent(file: string, message = 'Recording name invalid'): void {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    if (!this.#inside(dir)) throw new AriadneError('ERR_INVALID_PARAMETER', message);
  }

  #inside(dir: string): boolean {
    try {
      const real = fs.realpathSync(dir);
      const root = fs.realpathSync(this.recordingDir);
      return real === root || real.startsWith(root + path.sep);
    } catch {
      return false;
    }
  }
}

/** `name.ext` with a known recording extension, split; undefined otherwise. */
function splitExtension(file: string): { base: string; ext: string } | undefined {
  const dot = file.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const ext = file.slice(dot + 1);
  return knownExtensions.includes(ext) ? { base: file.slice(0, dot), ext } : undefined;
}
