/**
 * The media of one channel. Each tick a session first gathers its `in` side — what the channel says: the next
 * frame its driver wrote, else its simulated talker (`input`), else what its Local peer (or, for a snoop channel,
 * its snoop) gave it last tick, else nothing — and then, after the bridges have mixed, produces its `out` side —
 * what the channel hears: its playbacks while any plays, else its own `in` in echo mode, else its bridge's mix for
 * it, else nothing. Mute replaces a direction with silence; snoops on the session then copy each side and mix
 * their whispers in. Delivering the frames (taps, recordings, analyzers, the Local peer) is the host's job.
 */

import type { ExchangeSlot } from './exchange.ts';
import { IN_RATE } from './exchange.ts';
import type { AudioFrame, SampleRate } from './frame.ts';
import { samplesPerFrame } from './frame.ts';
import type { LocalPair } from './local-pair.ts';
import type { MixerParticipant } from './mixer.ts';
import { PlaybackSet } from './playback.ts';
import type { Recording } from './recording.ts';
import { LinearResampler } from './resample.ts';
import type { Snoop } from './snoop.ts';
import type { AudioSource } from './source.ts';

/** Looks at one side of a session's frames (DTMF, talk, tone detection); what it finds becomes notifications. */
export interface FrameAnalyzer {
  analyze(samples: Int16Array, rate: SampleRate): readonly AnalyzerEvent[] | undefined;
  reset?(): void;
}

export type AnalyzerEvent =
  | { readonly type: 'dtmf'; readonly digit: string; readonly durationMs: number }
  | { readonly type: 'talk'; readonly talking: boolean; readonly durationMs?: number }
  | { readonly type: 'tone'; readonly frequency: number };

/** Driver frames waiting for their tick; more are dropped oldest first (100 ms at most). */
const MAX_QUEUED_FRAMES = 5;

export class Session {
  readonly id: string;
  readonly rate: SampleRate;
  readonly frameSamples: number;
  muteIn = false;
  muteOut = false;
  tapIn = false;
  tapOut = false;

  // `in` side
  readonly #queue: AudioFrame[] = [];
  #queueResampler: LinearResampler | undefined;
  #input: AudioSource | undefined;
  #inputBuffer: Int16Array | undefined;
  #inputResampler: LinearResampler | undefined;
  link: LocalPair | undefined;
  /** Written by the Local peer for the next tick. */
  readonly linkIn: Int16Array;
  linkInActive = false;
  readonly inFrame: Int16Array;
  inActive = false;
  inSeq = 0;
  inTimestamp = 0;

  // `out` side
  readonly playbacks = new PlaybackSet();
  participant: MixerParticipant | undefined;
  bridgeId: string | undefined;
  readonly outFrame: Int16Array;
  outActive = false;
  outSeq = 0;
  outTimestamp = 0;

  readonly recordings = { in: new Set<Recording>(), out: new Set<Recording>() };
  readonly analyzers = new Map<string, FrameAnalyzer>();
  /** Analyzers of the `out` side (TONE_DETECT on what the channel hears). */
  readonly analyzersOut = new Map<string, FrameAnalyzer>();
  /** Snoops whose target this session is: they copy its sides and whisper into them (see snoop.ts). */
  readonly snoops = new Set<Snoop>();
  /** Echo(): the channel hears what it says. */
  echo = false;
  droppedFrames = 0;
  /** An RTP worker's shared slot (exchange.ts): the host writes `out` there and takes `in` from it. */
  exchange: ExchangeSlot | undefined;
  /** The worker's tick counter that slot belongs to. */
  exchangeControl: Int32Array | undefined;
  #exchangeResampler: LinearResampler | undefined;

  constructor(id: string, rate: SampleRate) {
    this.id = id;
    this.rate = rate;
    this.frameSamples = samplesPerFrame(rate);
    this.linkIn = new Int16Array(this.frameSamples);
    this.inFrame = new Int16Array(this.frameSamples);
    this.outFrame = new Int16Array(this.frameSamples);
  }

  /** Feeds the `in` side from a source instead of a driver (a simulated talker); undefined stops it. */
  setInput(source: AudioSource | undefined): void {
    this.#input?.close?.();
    this.#input = source;
    this.#inputResampler = undefined;
  }

  /** Queues a frame the driver received; throws `TypeError` for a frame of the wrong size. */
  write(frame: AudioFrame): void {
    if (!(frame.samples instanceof Int16Array) || frame.samples.length !== samplesPerFrame(frame.rate)) {
      throw new TypeError(`A ${frame.rate} Hz frame has ${samplesPerFrame(frame.rate)} samples`);
    }
    if (this.#queue.length >= MAX_QUEUED_FRAMES) {
      this.#queue.shift();
      this.droppedFrames++;
    }
    this.#queue.push(frame);
  }

  /** Phase 1 of a tick: what the channel says. */
  gatherIn(): void {
    let active = false;
    const frame = this.#queue.shift();
    if (frame) {
      if (frame.rate === this.rate) this.inFrame.set(frame.samples);
      else {
        if (this.#queueResampler?.from !== frame.rate) this.#queueResampler = new LinearResampler(frame.rate, this.rate);
        this.#queueResampler.process(frame.samples, this.inFrame);
      }
      active = true;
    } else if (this.exchange && this.#readExchange(this.exchange)) {
      active = true;
    } else if (this.#input) {
      active = this.#readInput(this.#input);
    } else if (this.linkInActive) {
      this.inFrame.set(this.linkIn);
      this.linkInActive = false;
      active = true;
    }
    if (active && this.muteIn) {
      this.inFrame.fill(0);
      active = false;
    } else if (!active && this.inActive) this.inFrame.fill(0);
    if (this.snoops.size) active = this.#snoop('in', this.inFrame, active);
    this.inActive = active;
    if (this.participant) this.participant.input = active ? this.inFrame : null;
  }

  /** Phase 3 of a tick (after the mixers): what the channel hears. */
  produceOut(): void {
    let active = this.playbacks.size > 0 && this.playbacks.read(this.outFrame, this.rate);
    if (!active && this.echo && this.inActive) {
      this.outFrame.set(this.inFrame);
      active = true;
    }
    if (!active && this.participant?.outputActive) {
      this.outFrame.set(this.participant.output);
      active = true;
    }
    if (active && this.muteOut) active = false;
    if (!active) this.outFrame.fill(0);
    if (this.snoops.size) active = this.#snoop('out', this.outFrame, active);
    this.outActive = active;
  }

  /** Snoops see a side as the channel made it (after mute), then their whispers are mixed in. */
  #snoop(direction: 'in' | 'out', frame: Int16Array, active: boolean): boolean {
    for (const s of this.snoops) s.spied(direction, frame, active);
    for (const s of this.snoops) if (s.whisperInto(direction, frame)) active = true;
    return active;
  }

  /** Advances the stream counters after a tick (and over skipped ticks). */
  advance(frames: number): void {
    this.inSeq += frames;
    this.outSeq += frames;
    this.inTimestamp += frames * this.frameSamples;
    this.outTimestamp += frames * this.frameSamples;
  }

  /** The RTP worker's newest frame, straight from shared memory (no copy but into `inFrame`). */
  #readExchange(slot: ExchangeSlot): boolean {
    const frame = slot.readIn();
    if (!frame) return false;
    if (this.rate === IN_RATE) this.inFrame.set(frame);
    else {
      this.#exchangeResampler ??= new LinearResampler(IN_RATE, this.rate);
      this.#exchangeResampler.process(frame, this.inFrame);
    }
    return true;
  }

  #readInput(src: AudioSource): boolean {
    if (src.rate === this.rate) return src.read(this.inFrame);
    const n = samplesPerFrame(src.rate);
    if (this.#inputBuffer?.length !== n) this.#inputBuffer = new Int16Array(n);
    if (!src.read(this.#inputBuffer)) return false;
    this.#inputResampler ??= new LinearResampler(src.rate, this.rate);
    this.#inputResampler.process(this.#inputBuffer, this.inFrame);
    return true;
  }
}
