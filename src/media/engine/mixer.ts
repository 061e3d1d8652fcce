/**
 * The bridge mixer, softmix style. Every tick each participant's frame is read, all contributions are summed once
 * at the mixing rate (the highest participant rate, 8 or 16 kHz), and each participant hears the sum minus its
 * own contribution, saturated to int16 and brought back to its own rate. Bridge-wide audio (bridge playbacks,
 * music on hold into the bridge) arrives as `extras` and is heard by everyone.
 *
 * Holding bridges (Asterisk's holding_bridge): participants are not heard by anyone. Announcers are heard by
 * all participants; while an announcer is in the bridge, or bridge audio plays, participants hear that instead
 * of their entertainment (a source each, from the bridge's entertainment factory — music on hold — or silence).
 * Announcers hear nothing.
 *
 * Mute is per participant per direction: `muteIn` keeps what it says out of the mix, `muteOut` gives it
 * silence. The mixer owns no clock and no sessions: the host sets each participant's `input` and calls `mix()`.
 */

import { samplesPerFrame, type SampleRate } from './frame.ts';
import type { BridgeKind, BridgeRole } from './protocol.ts';
import { LinearResampler } from './resample.ts';
import type { AudioSource } from './source.ts';

export interface MixerParticipantOptions {
  readonly rate: SampleRate;
  readonly role?: BridgeRole;
  readonly muteIn?: boolean;
  readonly muteOut?: boolean;
}

export class MixerParticipant {
  readonly id: string;
  readonly rate: SampleRate;
  role: BridgeRole;
  muteIn: boolean;
  muteOut: boolean;
  /** What the participant says this tick, at its rate; null when it says nothing. Set before `mix()`. */
  input: Int16Array | null = null;
  /** What it hears, at its rate, after `mix()`. */
  readonly output: Int16Array;
  /** False when `output` is silence. */
  outputActive = false;
  /** Its contribution at the mixing rate in the current tick (`input` itself, or `resampled`); null when none. */
  contribution: Int16Array | null = null;
  /** Buffer for its input brought to the mixing rate. */
  resampled: Int16Array | undefined;
  up: LinearResampler | undefined;
  down: LinearResampler | undefined;
  entertainment: AudioSource | undefined;
  entertainmentBuffer: Int16Array | undefined;
  entertainmentResampler: LinearResampler | undefined;

  constructor(id: string, options: MixerParticipantOptions) {
    this.id = id;
    this.rate = options.rate;
    this.role = options.role ?? 'participant';
    this.muteIn = options.muteIn ?? false;
    this.muteOut = options.muteOut ?? false;
    this.output = new Int16Array(samplesPerFrame(options.rate));
  }
}

export interface MixerOptions {
  readonly kind?: BridgeKind;
  /** Makes each holding-bridge participant's entertainment; absent means silence. */
  readonly entertainment?: (() => AudioSource) | undefined;
}

export class Mixer {
  readonly kind: BridgeKind;
  readonly #participants = new Map<string, MixerParticipant>();
  #entertainment: (() => AudioSource) | undefined;
  #rate: SampleRate = 8000;
  #acc = new Int32Array(samplesPerFrame(8000));
  #heard = new Int16Array(samplesPerFrame(8000));
  /** The whole mix of the last tick at the mixing rate (bridge recordings). */
  #mixed = new Int16Array(samplesPerFrame(8000));
  #mixedActive = false;

  constructor(options: MixerOptions = {}) {
    this.kind = options.kind ?? 'mixing';
    this.#entertainment = options.entertainment;
  }

  /** The mixing rate: the highest participant rate (8 kHz when empty). */
  get rate(): SampleRate {
    return this.#rate;
  }

  get size(): number {
    return this.#participants.size;
  }

  /** Everything contributed in the last tick, at `rate` (what a bridge recording takes). */
  get mixed(): Int16Array {
    return this.#mixed;
  }
  get mixedActive(): boolean {
    return this.#mixedActive;
  }

  participants(): IterableIterator<MixerParticipant> {
    return this.#participants.values();
  }

  get(id: string): MixerParticipant | undefined {
    return this.#participants.get(id);
  }

  /** Adds a participant (or returns the one with this id, options updated). */
  join(id: string, options: MixerParticipantOptions): MixerParticipant {
    const existing = this.#participants.get(id);
    if (existing && existing.rate === options.rate) {
      existing.role = options.role ?? existing.role;
      existing.muteIn = options.muteIn ?? existing.muteIn;
      existing.muteOut = options.muteOut ?? existing.muteOut;
      return existing;
    }
    if (existing) this.leave(id);
    const p = new MixerParticipant(id, options);
    this.#participants.set(id, p);
    this.#updateRate();
    return p;
  }

  leave(id: string): boolean {
    const p = this.#participants.get(id);
    if (!p) return false;
    this.#participants.delete(id);
    p.entertainment?.close?.();
    p.entertainment = undefined;
    this.#updateRate();
    return true;
  }

  /** Replaces the entertainment; participants start the new one from its beginning. */
  setEntertainment(factory: (() => AudioSource) | undefined): void {
    this.#entertainment = factory;
    for (const p of this.#participants.values()) {
      p.entertainment?.close?.();
      p.entertainment = undefined;
    }
  }

  /** Mixes one tick. `extras` are bridge-wide frames at `rate`, heard by everyone. */
  mix(extras: readonly Int16Array[] = []): void {
    const rate = this.#rate;
    const n = samplesPerFrame(rate);
    const acc = this.#acc;
    const holding = this.kind === 'holding';
    let contributors = 0;
    let announcers = 0;
    acc.fill(0);
    for (const extra of extras) {
      for (let i = 0; i < n; i++) acc[i]! += extra[i]!;
      contributors++;
    }
    for (const p of this.#participants.values()) {
      p.contribution = null;
      if (p.role === 'announcer') announcers++;
      if (holding && p.role !== 'announcer') continue;
      if (p.muteIn || !p.input) continue;
      let c = p.input;
      if (p.rate !== rate) {
        if (p.resampled?.length !== n) p.resampled = new Int16Array(n);
        if (p.up?.to !== rate) p.up = new LinearResampler(p.rate, rate);
        c = p.up.process(p.input, p.resampled);
      }
      for (let i = 0; i < n; i++) acc[i]! += c[i]!;
      p.contribution = c;
      contributors++;
    }
    this.#mixedActive = contributors > 0;
    if (this.#mixedActive) saturateInto(acc, this.#mixed, n);
    else this.#mixed.fill(0);

    const heard = this.#heard;
    for (const p of this.#participants.values()) {
      if (p.muteOut || (holding && p.role === 'announcer')) {
        silence(p);
        continue;
      }
      if (holding && announcers === 0 && extras.length === 0) {
        this.#entertain(p);
        continue;
      }
      // Everyone else: the sum without its own contribution.
      const own = p.contribution;
      if (contributors - (own ? 1 : 0) === 0) {
        silence(p);
        continue;
      }
      // At the mixing rate straight into the output; otherwise through `heard` and down to its rate.
      const target = p.rate === rate ? p.output : heard;
      if (own) {
        for (let i = 0; i < n; i++) {
          const v = acc[i]! - own[i]!;
          target[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        }
      } else {
        target.set(this.#mixed);
      }
      if (target === heard) {
        if (p.down?.from !== rate) p.down = new LinearResampler(rate, p.rate);
        p.down.process(heard, p.output);
      }
      p.outputActive = true;
    }
  }

  #entertain(p: MixerParticipant): void {
    if (!p.entertainment && this.#entertainment) p.entertainment = this.#entertainment();
    const src = p.entertainment;
    if (!src) return silence(p);
    if (src.rate === p.rate) {
      if (!src.read(p.output)) return silence(p);
    } else {
      const len = samplesPerFrame(src.rate);
      if (p.entertainmentBuffer?.length !== len) p.entertainmentBuffer = new Int16Array(len);
      if (p.entertainmentResampler?.from !== src.rate) p.entertainmentResampler = new LinearResampler(src.rate, p.rate);
      if (!src.read(p.entertainmentBuffer)) return silence(p);
      p.entertainmentResampler.process(p.entertainmentBuffer, p.output);
    }
    p.outputActive = true;
  }

  #updateRate(): void {
    let rate: SampleRate = 8000;
    for (const p of this.#participants.values()) if (p.rate > rate) rate = p.rate;
    if (rate === this.#rate) return;
    this.#rate = rate;
    const n = samplesPerFrame(rate);
    this.#acc = new Int32Array(n);
    this.#heard = new Int16Array(n);
    this.#mixed = new Int16Array(n);
    for (const p of this.#participants.values()) {
      p.up = undefined;
      p.down = undefined;
    }
  }
}

function silence(p: MixerParticipant): void {
  if (p.outputActive) p.output.fill(0);
  p.outputActive = false;
}

function saturateInto(acc: Int32Array, out: Int16Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = acc[i]!;
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
}
