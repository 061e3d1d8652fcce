/**
 * A snoop: the link between a snoop channel's session (the snooper) and the session it listens to (the target),
 * as ARI's `POST /channels/{id}/snoop` makes it.
 *
 * - Spy: what the snooper says (its `in` side, which its application can record, bridge or tap) is what the
 *   target says (`in`), what the target hears (`out`), or both mixed (`both`).
 * - Whisper: what the snooper hears (its `out` side: what its application plays to it) is mixed into the
 *   target's `out` (heard by the target's far side), its `in` (heard by whoever the target talks to), or both.
 *
 * The target session calls `spied` and then `whisperInto` for each side as it makes it, so a snoop hears the
 * target's own audio (after mute, before any whisper — a snooper never hears itself back). After the `out`
 * phase of a tick, the host calls `carry`, which hands the spied audio to the snooper's `in` and the snooper's
 * `out` to the whisper of the next tick: one tick (20 ms) of delay each way, like a Local hop, so the result
 * never depends on the order in which sessions are visited.
 */

import { saturate } from './frame.ts';
import type { Direction, SnoopDirection } from './protocol.ts';
import { LinearResampler } from './resample.ts';
import type { Session } from './session.ts';

const DIRECTIONS: readonly SnoopDirection[] = ['none', 'in', 'out', 'both'];

export function isSnoopDirection(value: unknown): value is SnoopDirection {
  return typeof value === 'string' && (DIRECTIONS as readonly string[]).includes(value);
}

function covers(d: SnoopDirection, side: Direction): boolean {
  return d === 'both' || d === side;
}

export class Snoop {
  readonly id: string;
  readonly snooper: Session;
  readonly target: Session;
  readonly spy: SnoopDirection;
  readonly whisper: SnoopDirection;
  // What was spied this tick, at the target's rate.
  readonly #spyIn: Int16Array;
  readonly #spyOut: Int16Array;
  #spyInActive = false;
  #spyOutActive = false;
  readonly #mix: Int16Array;
  // What the snooper heard last tick, at the target's rate.
  readonly #whisper: Int16Array;
  #whisperActive = false;
  readonly #toSnooper: LinearResampler | undefined;
  readonly #toTarget: LinearResampler | undefined;
  #closed = false;

  constructor(id: string, snooper: Session, target: Session, spy: SnoopDirection, whisper: SnoopDirection) {
    if (snooper === target) throw new TypeError('A snoop cannot listen to itself');
    if (!isSnoopDirection(spy) || !isSnoopDirection(whisper)) throw new TypeError(`Bad snoop direction '${String(isSnoopDirection(spy) ? whisper : spy)}'`);
    this.id = id;
    this.snooper = snooper;
    this.target = target;
    this.spy = spy;
    this.whisper = whisper;
    const n = target.frameSamples;
    this.#spyIn = new Int16Array(n);
    this.#spyOut = new Int16Array(n);
    this.#mix = new Int16Array(n);
    this.#whisper = new Int16Array(n);
    if (snooper.rate !== target.rate) {
      this.#toSnooper = new LinearResampler(target.rate, snooper.rate);
      this.#toTarget = new LinearResampler(snooper.rate, target.rate);
    }
    target.snoops.add(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The target made one side of its tick (`active` false: silence); kept if spied. */
  spied(side: Direction, frame: Int16Array, active: boolean): void {
    if (!covers(this.spy, side)) return;
    if (side === 'in') {
      if (active) this.#spyIn.set(frame);
      this.#spyInActive = active;
    } else {
      if (active) this.#spyOut.set(frame);
      this.#spyOutActive = active;
    }
  }

  /** Mixes last tick's whisper into a side of the target; true when it added audio. */
  whisperInto(side: Direction, frame: Int16Array): boolean {
    if (!this.#whisperActive || !covers(this.whisper, side)) return false;
    const w = this.#whisper;
    for (let i = 0; i < frame.length; i++) frame[i] = saturate((frame[i] as number) + (w[i] as number));
    return true;
  }

  /** After the `out` phase: spied audio to the snooper's next `in`, the snooper's `out` to the next whisper. */
  carry(): void {
    if (this.#closed) return;
    const snooper = this.snooper;
    let source: Int16Array | undefined;
    if (this.#spyInActive && this.#spyOutActive) {
      const a = this.#spyIn;
      const b = this.#spyOut;
      const m = this.#mix;
      for (let i = 0; i < m.length; i++) m[i] = saturate((a[i] as number) + (b[i] as number));
      source = m;
    } else if (this.#spyInActive) source = this.#spyIn;
    else if (this.#spyOutActive) source = this.#spyOut;
    if (source) {
      if (this.#toSnooper) this.#toSnooper.process(source, snooper.linkIn);
      else snooper.linkIn.set(source);
    }
    snooper.linkInActive = source !== undefined;
    this.#spyInActive = false;
    this.#spyOutActive = false;

    this.#whisperActive = this.whisper !== 'none' && snooper.outActive;
    if (this.#whisperActive) {
      if (this.#toTarget) this.#toTarget.process(snooper.outFrame, this.#whisper);
      else this.#whisper.set(snooper.outFrame);
    }
  }

  /** Ends the snoop: the target forgets it, the snooper says nothing more. Runs once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.target.snoops.delete(this);
    this.snooper.linkInActive = false;
    this.#whisperActive = false;
  }
}
