/**
 * The audio link between the two halves of a Local channel. What one half hears (its `out` side: a playback, its
 * bridge's mix) is what the other half says (its `in` side) one tick later, in both directions: playing a file to
 * `;1` makes `;2` say it into whatever `;2` is bridged with, and back. The one-tick delay (20 ms per Local hop,
 * as Asterisk's frame queue between the halves) keeps every tick independent of the order sessions are visited
 * in, and makes loops through Local channels harmless.
 */

import { LinearResampler } from './resample.ts';
import type { Session } from './session.ts';

export class LocalPair {
  readonly id: string;
  readonly a: Session;
  readonly b: Session;
  #toA: LinearResampler | undefined;
  #toB: LinearResampler | undefined;
  #closed = false;

  constructor(id: string, a: Session, b: Session) {
    if (a === b) throw new TypeError('A Local pair needs two sessions');
    this.id = id;
    this.a = a;
    this.b = b;
    if (a.rate !== b.rate) {
      this.#toB = new LinearResampler(a.rate, b.rate);
      this.#toA = new LinearResampler(b.rate, a.rate);
    }
    a.link = this;
    b.link = this;
  }

  get closed(): boolean {
    return this.#closed;
  }

  peerOf(session: Session): Session {
    return session === this.a ? this.b : this.a;
  }

  /** Hands what `from` hears this tick to its peer's `in` side for the next tick. */
  carry(from: Session): void {
    if (this.#closed) return;
    const to = this.peerOf(from);
    if (!from.outActive) {
      to.linkInActive = false;
      return;
    }
    const resampler = from === this.a ? this.#toB : this.#toA;
    if (resampler) resampler.process(from.outFrame, to.linkIn);
    else to.linkIn.set(from.outFrame);
    to.linkInActive = true;
  }

  /** Unlinks both halves. Runs once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [this.a, this.b]) {
      if (s.link === this) s.link = undefined;
      s.linkInActive = false;
    }
  }
}
