/**
 * Session timers on an established call (RFC 4028), after `negotiateSessionTimer` (dialog/session-timer.ts)
 * has fixed the interval and who refreshes. `SessionRefresh` keeps one timer per call:
 *
 * - when we refresh, `onRefresh` fires at half the interval (§7.2) — the driver sends a re-INVITE, or an
 *   UPDATE when the peer allows it — and the 2xx to that refresh re-arms it (`refreshed`);
 * - when the peer refreshes, `onExpire` fires shortly before the interval runs out (§10: the smaller of 32 s
 *   and a third of the interval) unless a refresh (re-INVITE or UPDATE) arrived first — the driver then ends
 *   the call with BYE.
 *
 * The clock is injected (`TransactionTimers`), so the unit test runs on `ManualTimers` instead of waiting the
 * 90 s minimum interval RFC 4028 allows.
 */

import type { TransactionTimers } from '../transaction/timers.ts';

export interface SessionRefreshOptions {
  /** Seconds. */
  readonly interval: number;
  /** True when this side sends the refreshes. */
  readonly weRefresh: boolean;
  readonly timers: TransactionTimers;
  readonly onRefresh: () => void;
  readonly onExpire: () => void;
}

export class SessionRefresh {
  #interval: number;
  #weRefresh: boolean;
  readonly #timers: TransactionTimers;
  readonly #onRefresh: () => void;
  readonly #onExpire: () => void;
  #handle: unknown;
  #stopped = false;

  constructor(options: SessionRefreshOptions) {
    this.#interval = options.interval;
    this.#weRefresh = options.weRefresh;
    this.#timers = options.timers;
    this.#onRefresh = options.onRefresh;
    this.#onExpire = options.onExpire;
    this.#arm();
  }

  get interval(): number {
    return this.#interval;
  }

  get weRefresh(): boolean {
    return this.#weRefresh;
  }

  /** A refresh happened (the peer's re-INVITE/UPDATE, or the 2xx to ours); the new terms apply from now. */
  refreshed(interval = this.#interval, weRefresh = this.#weRefresh): void {
    if (this.#stopped) return;
    this.#interval = interval;
    this.#weRefresh = weRefresh;
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #arm(): void {
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    const ms = this.#weRefresh ? (this.#interval * 1000) / 2 : (this.#interval - Math.min(32, this.#interval / 3)) * 1000;
    this.#handle = this.#timers.setTimeout(() => {
      this.#handle = undefined;
      if (this.#stopped) return;
      if (this.#weRefresh) this.#onRefresh();
      else {
        this.#stopped = true;
        this.#onExpire();
      }
    }, ms);
  }
}

/** Session-Expires for a refresh we send (we are its UAC and stay the refresher) plus Supported: timer. */
export function refreshHeaders(interval: number, minSe: number): Array<[string, string]> {
  return [['Session-Expires', `${interval};refresher=uac`], ['Min-SE', String(minSe)]];
}

/** Whether the peer's response to a refresh keeps us as refresher (a 2xx may hand the job back, §7.4). */
export function refresherAfterResponse(sessionExpires: string | undefined): { interval: number | undefined; weRefresh: boolean } {
  if (sessionExpires === undefined) return { interval: undefined, weRefresh: true };
  const [value = '', ...params] = sessionExpires.split(';');
  const n = Number(value.trim());
  const who = params.map((p) => p.split('=').map((x) => x.trim().toLowerCase())).find(([k]) => k === 'refresher')?.[1];
  return { interval: Number.isInteger(n) && n > 0 ? n : undefined, weRefresh: who !== 'uas' };
}
