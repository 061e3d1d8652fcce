/**
 * The media clock: one 20 ms tick for everything a media host runs (sessions, Local links, mixers), scheduled
 * against absolute times so that it never drifts. Tick `n` is due at `start + n * periodMs` on the monotonic
 * clock (`performance.now()`); each timer is armed for the time left until the next due tick, never chained as
 * `setTimeout(20)`, so a timer that fires late does not push the ticks after it.
 *
 * Precision. libuv timers have millisecond resolution and fire up to ~1 ms early or late. With `leadMs > 0` the
 * timer is armed that much before the due time and the rest is waited out with `Atomics.wait`, which sleeps with
 * sub-millisecond precision but blocks the thread: right for a media worker thread, a cost on the main thread
 * (other callbacks wait up to `leadMs`). The default is therefore 2 ms in a worker and 0 (timer only; a timer
 * that fires less than ~1.5 ms early runs its tick at once) on the main thread.
 *
 * Catching up after a stall (GC, a slow callback, a busy machine): the clock **bursts, then skips**. Ticks that
 * are overdue run back to back, up to `maxBurst` of them (default 5 = 100 ms of audio), so a short stall loses no
 * audio and timestamps stay continuous; receivers' jitter buffers absorb the burst. Beyond that the missed ticks
 * are skipped: the tick index jumps (so do timestamps derived from it, which receivers treat as loss) and
 * `skipped` reports how many, because replaying a long stall would send a wall of stale audio and a host that
 * is slower than real time would never catch up. After a burst the timer is re-armed (the event loop gets a turn)
 * before any further overdue ticks run.
 */

import { isMainThread } from 'node:worker_threads';

export interface TickInfo {
  /** Tick number since `start()` (0-based); skipped ticks advance it too. */
  readonly index: number;
  /** When the tick was due, on the clock's `now()` (ms). */
  readonly due: number;
  /** When it started. */
  readonly startedAt: number;
  /** `startedAt - due` (negative when a timer fired slightly early). */
  readonly lateMs: number;
  /** Ticks skipped just before this one, after a stall longer than the burst allows. */
  readonly skipped: number;
  /** True when this tick runs right after another one to catch up. */
  readonly catchUp: boolean;
}

export interface ClockTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface MediaClockOptions {
  /** Tick period, default 20 ms. */
  readonly periodMs?: number;
  /** Monotonic time in ms, default `performance.now`. */
  readonly now?: () => number;
  /** Timer functions, default the global ones (tests inject fakes). */
  readonly timers?: ClockTimers;
  /** How many overdue ticks may run back to back before the rest are skipped (default 5). */
  readonly maxBurst?: number;
  /** Arm the timer this much early and wait out the rest precisely (default 2 in a worker, 0 on the main thread). */
  readonly leadMs?: number;
  /** Blocking sleep used for the lead, default `Atomics.wait` on a private cell. */
  readonly wait?: (ms: number) => void;
  /** Do not keep the process alive for the clock's timer. */
  readonly unref?: boolean;
}

export interface ClockStats {
  readonly ticks: number;
  /** Ticks that started one period or more after they were due (their frame is late). */
  readonly lateTicks: number;
  /** Ticks that ran back to back to catch up. */
  readonly catchUpTicks: number;
  readonly skippedTicks: number;
  readonly maxLateMs: number;
}

const defaultTimers: ClockTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

function atomicsSleep(): (ms: number) => void {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (ms) => {
    if (ms > 0) Atomics.wait(cell, 0, 0, ms);
  };
}

export class MediaClock {
  readonly periodMs: number;
  readonly leadMs: number;
  readonly maxBurst: number;
  readonly #now: () => number;
  readonly #timers: ClockTimers;
  readonly #wait: (ms: number) => void;
  readonly #unref: boolean;
  #onTick: ((tick: TickInfo) => void) | undefined;
  #timer: unknown;
  /** Bumped by start() and stop(), so a tick callback that restarts the clock ends the old loop. */
  #generation = 0;
  #start = 0;
  #next = 0;
  #ticks = 0;
  #late = 0;
  #catchUp = 0;
  #skipped = 0;
  #maxLate = 0;

  constructor(options: MediaClockOptions = {}) {
    this.periodMs = options.periodMs ?? 20;
    if (!(this.periodMs > 0)) throw new TypeError('periodMs must be positive');
    this.leadMs = Math.max(0, options.leadMs ?? (isMainThread ? 0 : 2));
    this.maxBurst = Math.max(0, options.maxBurst ?? 5);
    this.#now = options.now ?? (() => performance.now());
    this.#timers = options.timers ?? defaultTimers;
    this.#wait = options.wait ?? atomicsSleep();
    this.#unref = options.unref ?? false;
  }

  get running(): boolean {
    return this.#onTick !== undefined;
  }

  /** When tick 0 was due (the clock's `now()` at `start()` plus one period). */
  get startTime(): number {
    return this.#start;
  }

  get stats(): ClockStats {
    return { ticks: this.#ticks, lateTicks: this.#late, catchUpTicks: this.#catchUp, skippedTicks: this.#skipped, maxLateMs: this.#maxLate };
  }

  /** Starts ticking; the first tick is due one period from now. */
  start(onTick: (tick: TickInfo) => void): void {
    if (this.#onTick) throw new Error('MediaClock already started');
    this.#onTick = onTick;
    this.#generation++;
    this.#start = this.#now() + this.periodMs;
    this.#next = 0;
    this.#arm();
  }

  stop(): void {
    this.#onTick = undefined;
    this.#generation++;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #due(index: number): number {
    return this.#start + index * this.periodMs;
  }

  #arm(): void {
    const delay = this.#due(this.#next) - this.#now() - this.leadMs;
    this.#timer = this.#timers.setTimeout(() => this.#fire(), Math.max(0, delay));
    if (this.#unref) (this.#timer as { unref?: () => void } | undefined)?.unref?.();
  }

  #fire(): void {
    this.#timer = undefined;
    const onTick = this.#onTick;
    const generation = this.#generation;
    if (!onTick) return;
    let now = this.#now();
    let due = this.#due(this.#next);
    if (now < due) {
      const early = due - now;
      // A timer that woke far too early (a fake or coarse timer): sleep again instead of blocking.
      if (early > this.leadMs + 1.5) return this.#arm();
      if (this.leadMs > 0) {
        this.#wait(early);
        now = this.#now();
      }
    }
    try {
      for (let run = 0; run <= this.maxBurst; run++) {
        if (run > 0) {
          due = this.#due(this.#next);
          if (due > now) break;
        }
        // Overdue by more than the burst allows: skip the oldest ticks.
        const behind = Math.floor((now - due) / this.periodMs);
        let skipped = 0;
        if (behind > this.maxBurst) {
          skipped = behind - this.maxBurst;
          this.#next += skipped;
          this.#skipped += skipped;
          due = this.#due(this.#next);
        }
        const lateMs = now - due;
        this.#ticks++;
        if (lateMs >= this.periodMs) this.#late++;
        if (run > 0) this.#catchUp++;
        if (lateMs > this.#maxLate) this.#maxLate = lateMs;
        const index = this.#next++;
        onTick({ index, due, startedAt: now, lateMs, skipped, catchUp: run > 0 });
        if (this.#generation !== generation) return;
        now = this.#now();
      }
    } finally {
      if (this.#generation === generation) this.#arm();
    }
  }
}
