/**
 * Slows down digest brute force: a source address that fails authentication `maxFailures` times within
 * `windowMs` is refused (403, credentials not even checked) until the window has passed without new failures.
 * Pure, on an injected clock; the table is pruned as it is used so it cannot grow without bound.
 */

export interface LimiterOptions {
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly now?: () => number;
  /** Most addresses tracked (oldest dropped first). */
  readonly maxEntries?: number;
}

export class AuthFailureLimiter {
  readonly #max: number;
  readonly #window: number;
  readonly #now: () => number;
  readonly #maxEntries: number;
  /** address → failures and the time of the last one (Map order = least recently failed first). */
  readonly #failures = new Map<string, { count: number; last: number }>();

  constructor(options: LimiterOptions = {}) {
    this.#max = options.maxFailures ?? 10;
    this.#window = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Whether `address` is currently refused. */
  blocked(address: string): boolean {
    const e = this.#failures.get(address);
    if (e === undefined) return false;
    if (this.#now() - e.last > this.#window) {
      this.#failures.delete(address);
      return false;
    }
    return e.count >= this.#max;
  }

  fail(address: string): void {
    const now = this.#now();
    const e = this.#failures.get(address);
    const count = e !== undefined && now - e.last <= this.#window ? e.count + 1 : 1;
    this.#failures.delete(address);
    this.#failures.set(address, { count, last: now });
    while (this.#failures.size > this.#maxEntries) {
      const oldest = this.#failures.keys().next().value;
      if (oldest === undefined) break;
      this.#failures.delete(oldest);
    }
  }

  /** A successful authentication clears the address. */
  succeed(address: string): void {
    this.#failures.delete(address);
  }
}
