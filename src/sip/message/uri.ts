/**
 * URIs in SIP messages (RFC 3261 §19.1, RFC 3966, RFC 5118): `sip:`/`sips:` with user, password, host (domain,
 * IPv4 or bracketed IPv6), port, `;params` and `?headers`; `tel:` numbers; anything else with a valid scheme is
 * kept as an opaque absolute URI (a proxy must still route it, RFC 3261 §16.3 asks only for the scheme).
 *
 * Values are kept as written (escapes are not decoded) so a parsed URI serialises back to the same text; the
 * comparison rules of §19.1.4 live in `uriEquals`. IPv6 hosts are stored without their brackets, ready for a
 * socket, and `formatUri` puts them back.
 */

import { SipParseError } from './errors.ts';

export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  user?: string | undefined;
  password?: string | undefined;
  /** Domain name, IPv4 address, or IPv6 address without brackets. */
  host: string;
  port?: number | undefined;
  /** URI parameters by lower-cased name; `null` for a parameter without a value (`;lr`). */
  params: Map<string, string | null>;
  /** `?name=value&...` headers in order, values still escaped. */
  headers: Array<[string, string]>;
}

export interface TelUri {
  readonly scheme: 'tel';
  /** The subscriber number as written (`+1-212-555-0101`). */
  number: string;
  params: Map<string, string | null>;
}

/** A URI of another scheme (`mailto:`, `urn:`, `http:` ...), kept verbatim. */
export interface OtherUri {
  readonly scheme: string & {};
  readonly other: true;
  /** Everything after the colon. */
  rest: string;
}

export type Uri = SipUri | TelUri | OtherUri;

export function isSipUri(uri: Uri): uri is SipUri {
  return uri.scheme === 'sip' || uri.scheme === 'sips';
}

export function isTelUri(uri: Uri): uri is TelUri {
  return uri.scheme === 'tel' && !('other' in uri);
}

// Character classes of RFC 3261 §25.1, as 128-entry lookup tables (parsing runs per message, keep it cheap).
function table(chars: string, alnum = true): Uint8Array {
  const t = new Uint8Array(128);
  if (alnum) for (let c = 0; c < 128; c++) if (/[A-Za-z0-9]/.test(String.fromCharCode(c))) t[c] = 1;
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}
const UNRESERVED_MARK = "-_.!~*'()";
const USER_CHARS = table(UNRESERVED_MARK + '%&=+$,;?/');
const PASSWORD_CHARS = table(UNRESERVED_MARK + '%&=+$,');
const PARAM_CHARS = table(UNRESERVED_MARK + '%[]/:&+$');
// '@' is not in RFC 3261's hvalue, but real peers send it unescaped (Replaces, Route); accept it.
const HEADER_CHARS = table(UNRESERVED_MARK + '%[]/?:+$@');
const HOST_CHARS = table('-.');
const SCHEME_CHARS = table('+-.');
const OTHER_CHARS = table(UNRESERVED_MARK + '%;/?:@&=+$,#[]');
const TEL_CHARS = table('-.()*#+%&=;,/:_!~\'$[]');

function checkChars(text: string, allowed: Uint8Array, what: string): void {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Non-ASCII is allowed only where it is escaped; a raw byte ≥ 128 is as bad as a space.
    if (c >= 128 || allowed[c] !== 1) throw new SipParseError('bad-uri', `invalid character ${JSON.stringify(text[i])} in URI ${what}`, i);
    if (c === 0x25 && !(isHex(text.charCodeAt(i + 1)) && isHex(text.charCodeAt(i + 2)))) {
      throw new SipParseError('bad-uri', `invalid escape in URI ${what}`, i);
    }
  }
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Parses `text` (no surrounding spaces or angle brackets) into a URI, or throws `SipParseError('bad-uri')`. */
export function parseUri(text: string): Uri {
  // Fast path for the spelling nearly every message uses.
  if (text.startsWith('sip:')) return parseSipUri('sip', text.slice(4));
  const colon = text.indexOf(':');
  if (colon <= 0) throw new SipParseError('bad-uri', `URI without a scheme: ${JSON.stringify(text.slice(0, 80))}`);
  const scheme = text.slice(0, colon).toLowerCase();
  const first = scheme.charCodeAt(0);
  if (!(first >= 0x61 && first <= 0x7a)) throw new SipParseError('bad-uri', 'URI scheme must start with a letter');
  checkChars(scheme, SCHEME_CHARS, 'scheme');
  const rest = text.slice(colon + 1);
  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(scheme, rest);
  if (scheme === 'tel') return parseTelUri(rest);
  if (rest.length === 0) throw new SipParseError('bad-uri', 'empty URI');
  checkChars(rest, OTHER_CHARS, 'body');
  return { scheme, other: true, rest };
}

function parseSipUri(scheme: 'sip' | 'sips', s: string): SipUri {
  let i = 0;
  let user: string | undefined;
  let password: string | undefined;
  // The first '@' ends the userinfo: '@' is not allowed unescaped in user, password, host or parameters, and
  // a user may contain '?', ';' and ',' (RFC 3261 user-unreserved), so nothing else can mark the boundary.
  const at = s.indexOf('@');
  if (at >= 0) {
    const userinfo = s.slice(0, at);
    const pc = userinfo.indexOf(':');
    user = pc >= 0 ? userinfo.slice(0, pc) : userinfo;
    if (pc >= 0) {
      password = userinfo.slice(pc + 1);
      checkChars(password, PASSWORD_CHARS, 'password');
    }
    if (user.length === 0) throw new SipParseError('bad-uri', 'empty user part before "@"');
    checkChars(user, USER_CHARS, 'user');
    i = at + 1;
  }
  let host: string;
  if (s.charCodeAt(i) === 0x5b /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0) throw new SipParseError('bad-uri', 'unterminated IPv6 reference');
    host = s.slice(i + 1, close);
    if (!isIpv6(host)) throw new SipParseError('bad-uri', `invalid IPv6 address ${JSON.stringify(host)}`);
    i = close + 1;
  } else {
    let j = i;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 0x3a || c === 0x3b || c === 0x3f) break;
      j++;
    }
    host = s.slice(i, j);
    if (!isHostname(host)) throw new SipParseError('bad-uri', `invalid host ${JSON.stringify(host.slice(0, 80))}`);
    i = j;
  }
  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a) {
    let j = i + 1;
    while (j < s.length && s.charCodeAt(j) !== 0x3b && s.charCodeAt(j) !== 0x3f) j++;
    port = parsePort(s.slice(i + 1, j));
    i = j;
  }
  const params = new Map<string, string | null>();
  const q = s.indexOf('?', i);
  const end = q >= 0 ? q : s.length;
  if (i < end) {
    if (s.charCodeAt(i) !== 0x3b) throw new SipParseError('bad-uri', 'unexpected text after host');
    parseParams(s.slice(i + 1, end), params, PARAM_CHARS);
  }
  const headers: Array<[string, string]> = [];
  if (end < s.length) {
    for (const h of s.slice(end + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq <= 0) throw new SipParseError('bad-uri', 'URI header without a name or "="');
      const name = h.slice(0, eq);
      const value = h.slice(eq + 1);
      checkChars(name, HEADER_CHARS, 'header name');
      checkChars(value, HEADER_CHARS, 'header value');
      headers.push([name, value]);
    }
  }
  return { scheme, user, password, host, port, params, headers };
}

function parseTelUri(s: string): TelUri {
  const semi = s.indexOf(';');
  const number = semi >= 0 ? s.slice(0, semi) : s;
  if (!/^\+?[0-9A-Fa-f*#().\-]+$/.test(number) || !/[0-9A-Fa-f*#]/.test(number)) {
    throw new SipParseError('bad-uri', `invalid tel number ${JSON.stringify(number.slice(0, 80))}`);
  }
  const params = new Map<string, string | null>();
  if (semi >= 0) parseParams(s.slice(semi + 1), params, TEL_CHARS);
  return { scheme: 'tel', number, params };
}

function parseParams(s: string, into: Map<string, string | null>, allowed: Uint8Array): void {
  for (const p of s.split(';')) {
    const eq = p.indexOf('=');
    const name = eq >= 0 ? p.slice(0, eq) : p;
    if (name.length === 0) throw new SipParseError('bad-uri', 'empty URI parameter name');
    checkChars(name, allowed, 'parameter');
    if (eq >= 0) checkChars(p.slice(eq + 1), allowed, 'parameter value');
    into.set(name.toLowerCase(), eq >= 0 ? p.slice(eq + 1) : null);
  }
}

/** Port text → number 0..65535, or throws. */
export function parsePort(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9 || i >= 5) throw new SipParseError('bad-uri', `invalid port ${JSON.stringify(text.slice(0, 20))}`);
    n = n * 10 + d;
  }
  if (text.length === 0) throw new SipParseError('bad-uri', 'empty port');
  if (n > 65535) throw new SipParseError('bad-uri', `port out of range: ${n}`);
  return n;
}

/** RFC 3261 hostname or IPv4 address (labels of alphanumerics and inner hyphens, optional trailing dot). */
export function isHostname(host: string): boolean {
  const n = host.length;
  if (n === 0 || n > 255) return false;
  // One pass over the labels: each is non-empty and neither starts nor ends with '-'. The top label of a
  // domain starts with a letter; a top label starting with a digit means IPv4: four all-digit octets ≤ 255.
  let labels = 0;
  let start = 0;
  let digitsOnly = true;
  let octetsOk = true;
  let octet = 0;
  let topStartsWithDigit = false;
  const end = host.charCodeAt(n - 1) === 0x2e ? n - 1 : n;
  if (end === 0) return false;
  for (let i = 0; i <= end; i++) {
    const c = i === end ? 0x2e : host.charCodeAt(i);
    if (c === 0x2e) {
      const len = i - start;
      if (len === 0 || host.charCodeAt(start) === 0x2d || host.charCodeAt(i - 1) === 0x2d) return false;
      if (!digitsOnly || len > 3 || octet > 255) octetsOk = false;
      const first = host.charCodeAt(start);
      topStartsWithDigit = first >= 0x30 && first <= 0x39;
      labels++;
      start = i + 1;
      digitsOnly = true;
      octet = 0;
      continue;
    }
    if (c >= 128 || HOST_CHARS[c] !== 1) return false;
    if (c < 0x30 || c > 0x39) digitsOnly = false;
    else octet = octet * 10 + (c - 0x30);
  }
  return topStartsWithDigit ? labels === 4 && octetsOk && end === n : true;
}

/** IPv6 address text (RFC 4291 §2.2, with an optional dotted IPv4 tail), no brackets. */
export function isIpv6(text: string): boolean {
  if (text.length < 2 || text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return false;
  let body = text;
  let groupsNeeded = 8;
  const lastColon = body.lastIndexOf(':');
  const tail = body.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (!isHostname(tail) || !/^[0-9.]+$/.test(tail)) return false;
    body = body.slice(0, lastColon + 1) + '0';
    groupsNeeded = 7;
  }
  const dbl = body.indexOf('::');
  if (dbl >= 0 && body.indexOf('::', dbl + 1) >= 0) return false;
  const groups = (s: string): string[] => (s.length === 0 ? [] : s.split(':'));
  const parts = dbl >= 0 ? [...groups(body.slice(0, dbl)), ...groups(body.slice(dbl + 2))] : groups(body);
  if (!parts.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return dbl >= 0 ? parts.length < groupsNeeded : parts.length === groupsNeeded;
}

/** `host` as it appears in a URI or Via: IPv6 in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function formatParams(params: ReadonlyMap<string, string | null>): string {
  let out = '';
  for (const [k, v] of params) out += v === null ? `;${k}` : `;${k}=${v}`;
  return out;
}

export function formatUri(uri: Uri): string {
  if ('other' in uri) return `${uri.scheme}:${uri.rest}`;
  if (uri.scheme === 'tel') return `tel:${uri.number}${formatParams(uri.params)}`;
  let out = uri.scheme + ':';
  if (uri.user !== undefined) out += uri.password !== undefined ? `${uri.user}:${uri.password}@` : `${uri.user}@`;
  out += formatHost(uri.host);
  if (uri.port !== undefined) out += `:${uri.port}`;
  out += formatParams(uri.params);
  if (uri.headers.length > 0) out += '?' + uri.headers.map(([k, v]) => `${k}=${v}`).join('&');
  return out;
}

/** Builds a SIP URI from parts; `params` may be omitted. */
export function sipUri(parts: {
  scheme?: 'sip' | 'sips';
  user?: string;
  host: string;
  port?: number;
  params?: Iterable<[string, string | null]>;
}): SipUri {
  return {
    scheme: parts.scheme ?? 'sip',
    user: parts.user,
    host: parts.host,
    port: parts.port,
    params: new Map(parts.params ?? []),
    headers: [],
  };
}

function unescape(s: string): string {
  return s.includes('%') ? s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : s;
}

/**
 * RFC 3261 §19.1.4 equality of SIP URIs: user and password case-sensitive after unescaping, host and scheme
 * case-insensitive, ports must both be absent or equal, `user`/`ttl`/`method`/`maddr`/`transport` parameters
 * must match when either side has them, other parameters only when both sides have them, headers all match.
 */
export function uriEquals(a: Uri, b: Uri): boolean {
  if (!isSipUri(a) || !isSipUri(b)) return formatUri(a).toLowerCase() === formatUri(b).toLowerCase();
  if (a.scheme !== b.scheme) return false;
  if (unescape(a.user ?? '') !== unescape(b.user ?? '') || unescape(a.password ?? '') !== unescape(b.password ?? '')) return false;
  if (a.user === undefined !== (b.user === undefined)) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  for (const key of new Set([...a.params.keys(), ...b.params.keys()])) {
    const av = a.params.get(key);
    const bv = b.params.get(key);
    const strict = key === 'user' || key === 'ttl' || key === 'method' || key === 'maddr' || key === 'transport';
    if (av === undefined || bv === undefined) {
      if (strict) return false;
      continue;
    }
    if ((av ?? '').toLowerCase() !== (bv ?? '').toLowerCase()) return false;
  }
  if (a.headers.length !== b.headers.length) return false;
  const bh = new Map(b.headers.map(([k, v]) => [k.toLowerCase(), unescape(v)]));
  return a.headers.every(([k, v]) => bh.get(k.toLowerCase()) === unescape(v));
}
