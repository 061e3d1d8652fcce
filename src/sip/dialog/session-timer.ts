/**
 * Session timers (RFC 4028) for the UAS side of an INVITE: reading `Session-Expires`/`Min-SE`, refusing an
 * interval under our minimum with 422, and choosing the interval and refresher our 2xx announces. The
 * endpoint options are pjsip.conf's `timers` (no/yes/required/always), `timers_min_se` and
 * `timers_sess_expires`. Which side refreshes: the one the UAC named, else the UAC when it supports timers,
 * else us.
 */

import { parseNumber } from '../message/fields.ts';
import type { SipRequest } from '../message/message.ts';

export interface SessionTimerConfig {
  readonly mode: 'no' | 'yes' | 'required' | 'always';
  /** timers_min_se (seconds, at least 90 per RFC 4028). */
  readonly minSe: number;
  /** timers_sess_expires (seconds). */
  readonly sessionExpires: number;
}

export interface SessionTimer {
  /** Seconds between refreshes. */
  readonly interval: number;
  readonly refresher: 'uac' | 'uas';
}

export type SessionTimerResult =
  /** Answer with these extra headers; `timer` undefined = no session timer on this call. */
  | { readonly ok: true; readonly timer: SessionTimer | undefined; readonly headers: Array<[string, string]> }
  /** Refuse the INVITE with this status (422 Session Interval Too Small, 421 Extension Required). */
  | { readonly ok: false; readonly status: 421 | 422; readonly headers: Array<[string, string]> };

function hasOption(request: SipRequest, header: 'Supported' | 'Require', option: string): boolean {
  return request.headers.values(header).some((v) => v.trim().toLowerCase() === option);
}

/** What the UAS answers to an INVITE (or UPDATE) carrying — or lacking — Session-Expires. */
export function negotiateSessionTimer(request: SipRequest, config: SessionTimerConfig): SessionTimerResult {
  const uacSupports = hasOption(request, 'Supported', 'timer') || hasOption(request, 'Require', 'timer');
  const minSe = Math.max(90, config.minSe);
  if (config.mode === 'no') return { ok: true, timer: undefined, headers: [] };
  if (config.mode === 'required' && !uacSupports) return { ok: false, status: 421, headers: [['Require', 'timer']] };
  const raw = request.headers.get('Session-Expires');
  let interval = config.sessionExpires;
  let refresher: 'uac' | 'uas' | undefined;
  if (raw !== undefined) {
    const [value = '', ...params] = raw.split(';');
    let asked: number;
    try {
      asked = parseNumber(value, 2 ** 31 - 1, 'Session-Expires');
    } catch {
      return { ok: true, timer: undefined, headers: [] };
    }
    if (asked < minSe) return { ok: false, status: 422, headers: [['Min-SE', String(minSe)]] };
    interval = Math.min(asked, config.sessionExpires > 0 ? Math.max(config.sessionExpires, minSe) : asked);
    for (const p of params) {
      const [k, v] = p.split('=').map((x) => x.trim().toLowerCase());
      if (k === 'refresher' && (v === 'uac' || v === 'uas')) refresher = v;
    }
  } else if (config.mode !== 'always' && !uacSupports) {
    return { ok: true, timer: undefined, headers: [] };
  }
  interval = Math.max(interval, minSe);
  const peerMin = request.headers.get('Min-SE');
  if (peerMin !== undefined) {
    const n = Number(peerMin.split(';')[0]?.trim());
    if (Number.isFinite(n) && n > interval) interval = n;
  }
  const chosen = refresher ?? (uacSupports ? 'uac' : 'uas');
  const headers: Array<[string, string]> = [['Session-Expires', `${interval};refresher=${chosen}`]];
  if (uacSupports) headers.push(['Require', 'timer']);
  return { ok: true, timer: { interval, refresher: chosen }, headers };
}
