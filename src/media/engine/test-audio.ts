/**
 * Listening helpers for the engine's tests and benchmarks: how loud a frequency is in a buffer (Goertzel), how
 * loud the whole buffer is, and fake timers for the clock. Not part of the engine's API.
 */

import type { ClockTimers } from './clock.ts';
import type { SampleRate } from './frame.ts';

/** Amplitude (peak, in sample units) of the `freq` component of `samples`, by the Goertzel algorithm. */
export function toneAmplitude(samples: Int16Array, rate: SampleRate, freq: number): number {
  const n = samples.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * freq) / rate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

/** Root mean square of the samples. */
export function rms(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return Math.sqrt(sum / samples.length);
}

/** Frequency (Hz) with the most energy among `candidates`. */
export function strongest(samples: Int16Array, rate: SampleRate, candidates: readonly number[]): number {
  let best = 0;
  let bestAmp = -1;
  for (const f of candidates) {
    const a = toneAmplitude(samples, rate, f);
    if (a > bestAmp) {
      bestAmp = a;
      best = f;
    }
  }
  return best;
}

/** A pure sine, `ms` long. */
export function sine(freq: number, ms: number, rate: SampleRate, amplitude = 8000): Int16Array {
  const n = Math.round((ms * rate) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate));
  return out;
}

/**
 * Virtual time for the clock: `now()` only moves when `advance` runs timers (each fires `lateness()` ms after
 * its time) or when the clock's `wait` sleeps.
 */
export class FakeTime implements ClockTimers {
  now = 0;
  lateness: () => number = () => 0;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #nextId = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#nextId++;
    this.#timers.push({ at: Math.max(this.now, this.now + ms + this.lateness()), fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  readonly wait = (ms: number): void => {
    this.now += ms;
  };

  /** Runs timers in order until virtual time reaches `until`. */
  advance(until: number): void {
    for (;;) {
      this.#timers.sort((a, b) => a.at - b.at);
      const t = this.#timers[0];
      if (!t || t.at > until) break;
      this.#timers.shift();
      if (t.at > this.now) this.now = t.at;
      t.fn();
    }
    if (until > this.now) this.now = until;
  }

  get pending(): number {
    return this.#timers.length;
  }
}

/** Sorted-array percentile (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
