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
 * Our own INVITEs (originate, Dial) follow pjproject's timer module, which Asterisk uses: for an endpoint with
 * `timers` yes/always/required the INVITE carries `Session-Expires: <timers_sess_expires>` (no refresher: the
 * UAS picks) and `Min-SE: <timers_min_se>`, plus `Require: timer` for `required` (`outboundTimerHeaders`); a
 * 422 raises both to the Min-SE it names and the INVITE goes again (`after422`); the 2xx fixes the terms
 * (`uacSessionTimer`): its interval when acceptable, its refresher (`uac` = us; none named = us too), and when
 * it has no Session-Expires: no timer (`yes`), our own terms with us refreshing (`always`), or the end of the
 * call (`required`).
 *
 * The clock is injected (`TransactionTimers`), so the unit test runs on `ManualTimers` instead of waiting the
 * 90 s minimum interval RFC 4028 allows.
 */

import type { SessionTimerConfig } from '../dialog/session-timer.ts';
import type { SipResponse } from '../message/message.ts';
import type { TransactionTimers } from '../transaction/timers.ts';

/** RFC 4028's floor for Min-SE (pjproject refuses settings below it). */
const ABSOLUTE_MIN_SE = 90;

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

/** The interval and floor an outbound INVITE asks for. */
export interface RequestedTimer {
  readonly sessionExpires: number;
  readonly minSe: number;
}

/** What our INVITE asks for under an endpoint's settings; undefined for `timers = no`. */
export function requestedTimer(config: SessionTimerConfig): RequestedTimer | undefined {
  if (config.mode === 'no') return undefined;
  const minSe = Math.max(ABSOLUTE_MIN_SE, config.minSe);
  return { sessionExpires: Math.max(config.sessionExpires, minSe), minSe };
}

/** Session-Expires, Min-SE (and Require: timer for `required`) for an outbound INVITE. */
export function outboundTimerHeaders(mode: SessionTimerConfig['mode'], asked: RequestedTimer | undefined): Array<[string, string]> {
  if (asked === undefined) return [];
  const headers: Array<[string, string]> = [];
  if (mode === 'required') headers.push(['Require', 'timer']);
  headers.push(['Session-Expires', String(asked.sessionExpires)], ['Min-SE', String(asked.minSe)]);
  return headers;
}

/**
 * The terms to ask for again after `422 Session Interval Too Small`: the larger of our Min-SE and the
 * response's, and an interval at least that. Undefined when the 422 names no Min-SE, or one our request
 * already met (asking again would only loop).
 */
export function after422(asked: RequestedTimer, response: SipResponse): RequestedTimer | undefined {
  const theirs = Number((response.headers.get('Min-SE') ?? '').split(';')[0]?.trim() || Number.NaN);
  if (!Number.isInteger(theirs) || theirs <= 0 || theirs <= asked.sessionExpires) return undefined;
  const minSe = Math.max(asked.minSe, theirs);
  return { sessionExpires: Math.max(asked.sessionExpires, minSe), minSe };
}

/**
 * The session timer a 2xx to our INVITE sets up (we were the UAC): `{ interval, weRefresh }`, undefined for
 * none, or 'missing' when the endpoint requires timers and the peer would not use them.
 */
export function uacSessionTimer(mode: SessionTimerConfig['mode'], asked: RequestedTimer | undefined, response: SipResponse): { interval: number; weRefresh: boolean } | 'missing' | undefined {
  if (asked === undefined) return undefined;
  const raw = response.headers.get('Session-Expires');
  if (raw === undefined) {
    if (mode === 'required') return 'missing';
    return mode === 'always' ? { interval: asked.sessionExpires, weRefresh: true } : undefined;
  }
  const [value = '', ...params] = raw.split(';');
  const theirs = Number(value.trim());
  let interval = asked.sessionExpires;
  let floor = asked.minSe;
  if (Number.isInteger(theirs)) {
    // Under our Min-SE but not under RFC 4028's floor: taken anyway, as pjproject does rather than drop the call.
    if (theirs < floor && theirs >= ABSOLUTE_MIN_SE) floor = theirs;
    if (theirs <= interval && theirs >= floor) interval = theirs;
  }
  const who = params.map((p) => p.split('=').map((x) => x.trim().toLowerCase())).find(([k]) => k === 'refresher')?.[1];
  return { interval, weRefresh: who !== 'uas' };
}
