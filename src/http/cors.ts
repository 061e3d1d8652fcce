/**
 * Cross-origin rules from ari.conf's `allowed_origins`: a comma list of exact origins, or `*` for any.
 *
 * Like Asterisk, an allowed request gets `Access-Control-Allow-Origin: <its own Origin>` (never `*`) and
 * `Access-Control-Allow-Credentials: true`; a preflight also gets the allowed methods (only when the requested
 * method is one of them) and echoes the requested headers. Unlike Asterisk, a preflight is answered without
 * credentials (browsers never send them on preflights) and the events WebSocket checks Origin as well.
 */

import type { HeaderPair } from './types.ts';

/** True when `origin` (an `Origin` header value) may make cross-origin requests. */
export function originAllowed(allowed: readonly string[], origin: string): boolean {
  if (/[\r\n]/.test(origin)) return false;
  for (const a of allowed) if (a === '*' || a === origin) return true;
  return false;
}

/** Headers for a simple (non-preflight) request with an Origin. */
export function corsHeaders(allowed: readonly string[], origin: string | undefined): HeaderPair[] {
  if (!origin || !originAllowed(allowed, origin)) return [];
  return [
    ['Access-Control-Allow-Origin', origin],
    ['Access-Control-Allow-Credentials', 'true'],
  ];
}

/** Headers for a preflight: `allow` is the methods the path accepts, e.g. `['OPTIONS','GET','POST']`. */
export function preflightHeaders(
  allowed: readonly string[],
  origin: string | undefined,
  requestMethod: string | undefined,
  requestHeaders: string | undefined,
  allow: readonly string[],
): HeaderPair[] {
  const base = corsHeaders(allowed, origin);
  if (base.length === 0) return base;
  const out = [...base];
  if (requestMethod && allow.includes(requestMethod.toUpperCase())) {
    out.push(['Access-Control-Allow-Methods', allow.join(',')]);
    if (requestHeaders && !/[\r\n]/.test(requestHeaders)) out.push(['Access-Control-Allow-Headers', requestHeaders]);
  }
  return out;
}
