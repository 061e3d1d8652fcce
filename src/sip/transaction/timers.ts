/**
 * Time for the transaction layer. RFC 3261 §17 drives everything with timers named A–K (and L, M from
 * RFC 6026), all derived from T1 (round-trip estimate), T2 (cap on retransmit intervals) and T4 (how long the
 * network keeps a message). The layer never calls the global timer functions itself: it takes a
 * `TransactionTimers` so tests run on `ManualTimers`, a virtual clock that only moves when told to.
 */

export interface TransactionTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface TimerValues {
  /** RTT estimate, default 500 ms. */
  readonly t1: number;
  /** Longest retransmit interval for non-INVITE requests and INVITE responses, default 4 s. */
  readonly t2: number;
  /** Longest time a message stays in the network, default 5 s. */
  readonly t4: number;
}

export const DEFAULT_TIMER_VALUES: TimerValues = { t1: 500, t2: 4000, t4: 5000 };

/** The real clock; timers are unref'd so a pending retransmission never keeps the process alive. */
export const realTimers: TransactionTimers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/**
 * A virtual clock for tests: `advance(ms)` runs due timers in time order (ties in the order they were set),
 * moving `now` to each timer's time before calling it, so callbacks that set new timers see the right time.
 */
export class ManualTimers implements TransactionTimers {
  now = 0;
  #seq = 0;
  readonly #pending = new Map<number, { at: number; seq: number; fn: () => void }>();

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#pending.set(id, { at: this.now + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }

  /** Number of armed timers. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Runs every timer due within the next `ms` milliseconds; at most `limit` callbacks (a runaway guard). */
  advance(ms: number, limit = 100000): void {
    const until = this.now + ms;
    for (let n = 0; n < limit; n++) {
      let next: [number, { at: number; seq: number; fn: () => void }] | undefined;
      for (const e of this.#pending) {
        if (e[1].at <= until && (next === undefined || e[1].at < next[1].at || (e[1].at === next[1].at && e[1].seq < next[1].seq))) next = e;
      }
      if (next === undefined) break;
      this.#pending.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
    }
    this.now = until;
  }
}
