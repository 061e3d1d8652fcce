/**
 * The header section of a SIP message: an ordered list of (name, value) lines. Names compare without case and
 * compact forms (`v`, `i`, `m` ...) are expanded to their full names when parsed, so `get('Via')` finds a `v:`
 * line; unknown names keep the spelling they arrived with. Values are raw text (folding already undone); the
 * typed views (Via, name-addr, CSeq, digest params) are parsed on demand by `fields.ts`, because most headers
 * of most messages are never looked at.
 *
 * Multi-value headers (RFC 3261 §7.3.1: `Via: a, b` is the same as two Via lines) are split by `values()`,
 * which ignores commas inside quoted strings and `<...>`.
 */

export interface SipHeader {
  /** Canonical spelling for known headers (`Call-ID`), as received otherwise. */
  readonly name: string;
  /** Lower-cased full name, the lookup key. */
  readonly key: string;
  value: string;
}

/** Compact form letter → full name (RFC 3261 §7.3.3 and the extensions that define one). */
export const compactForms: Readonly<Record<string, string>> = {
  a: 'Accept-Contact',
  b: 'Referred-By',
  c: 'Content-Type',
  d: 'Request-Disposition',
  e: 'Content-Encoding',
  f: 'From',
  i: 'Call-ID',
  j: 'Reject-Contact',
  k: 'Supported',
  l: 'Content-Length',
  m: 'Contact',
  o: 'Event',
  r: 'Refer-To',
  s: 'Subject',
  t: 'To',
  u: 'Allow-Events',
  v: 'Via',
  x: 'Session-Expires',
  y: 'Identity',
};

const knownNames = [
  'Accept', 'Accept-Contact', 'Accept-Encoding', 'Accept-Language', 'Alert-Info', 'Allow', 'Allow-Events',
  'Authentication-Info', 'Authorization', 'Call-ID', 'Call-Info', 'Contact', 'Content-Disposition',
  'Content-Encoding', 'Content-Language', 'Content-Length', 'Content-Type', 'CSeq', 'Date', 'Error-Info', 'Event',
  'Expires', 'From', 'Identity', 'In-Reply-To', 'Max-Forwards', 'Min-Expires', 'Min-SE', 'MIME-Version',
  'Organization', 'P-Asserted-Identity', 'P-Preferred-Identity', 'Path', 'Priority', 'Privacy',
  'Proxy-Authenticate', 'Proxy-Authorization', 'Proxy-Require', 'RAck', 'Reason', 'Record-Route', 'Refer-To',
  'Referred-By', 'Reject-Contact', 'Replaces', 'Reply-To', 'Request-Disposition', 'Require', 'Retry-After',
  'Route', 'RSeq', 'Server', 'Service-Route', 'Session-Expires', 'SIP-ETag', 'SIP-If-Match', 'Subject',
  'Subscription-State', 'Supported', 'Timestamp', 'To', 'Unsupported', 'User-Agent', 'Via', 'Warning',
  'WWW-Authenticate',
];
const canonical = new Map<string, string>(knownNames.map((n) => [n.toLowerCase(), n]));
for (const [letter, full] of Object.entries(compactForms)) canonical.set(letter, full);

interface HeaderName {
  readonly name: string;
  readonly key: string;
}
// Names as they are usually spelled (canonical, lower case, compact) map straight to a shared result, so
// the per-header cost of a typical message is one Map lookup and no allocation.
const spelled = new Map<string, HeaderName>();
for (const [lower, full] of canonical) {
  const entry: HeaderName = { name: full, key: full.toLowerCase() };
  spelled.set(lower, entry);
  spelled.set(full, entry);
  spelled.set(lower.toUpperCase(), entry);
}

/**
 * Headers whose value is a comma-separated list, so several lines and one joined line mean the same thing.
 * Authorization-type headers are not here: their commas separate parameters of one credential.
 */
export const multiValueHeaders: ReadonlySet<string> = new Set([
  'accept', 'accept-contact', 'accept-encoding', 'accept-language', 'alert-info', 'allow', 'allow-events',
  'call-info', 'contact', 'content-encoding', 'content-language', 'error-info', 'in-reply-to',
  'p-asserted-identity', 'p-preferred-identity', 'path', 'privacy', 'proxy-require', 'reason', 'record-route',
  'reject-contact', 'require', 'route', 'service-route', 'supported', 'unsupported', 'via', 'warning',
]);

/** The spelling and lookup key for a header name as written (`v` → Via, `CALL-id` → Call-ID). */
export function normalizeHeaderName(name: string): HeaderName {
  const hit = spelled.get(name);
  if (hit !== undefined) return hit;
  const lower = name.toLowerCase();
  const known = canonical.get(lower);
  return known !== undefined ? (spelled.get(lower) as HeaderName) : { name, key: lower };
}

/**
 * Splits a header value at commas that are outside double quotes and angle brackets, trimming each part;
 * empty parts (`a,,b`) are dropped.
 */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (quoted) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22) quoted = false;
    } else if (c === 0x22) quoted = true;
    else if (c === 0x3c) angle = true;
    else if (c === 0x3e) angle = false;
    else if (c === 0x2c && !angle) {
      const part = value.slice(start, i).trim();
      if (part.length > 0) out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last.length > 0) out.push(last);
  return out;
}

export class SipHeaders {
  readonly list: SipHeader[];

  constructor(list: SipHeader[] = []) {
    this.list = list;
  }

  /** Builds headers from `[name, value]` pairs, in order. */
  static from(pairs: Iterable<readonly [string, string]>): SipHeaders {
    const h = new SipHeaders();
    for (const [name, value] of pairs) h.append(name, value);
    return h;
  }

  get size(): number {
    return this.list.length;
  }

  has(name: string): boolean {
    const key = normalizeHeaderName(name).key;
    return this.list.some((h) => h.key === key);
  }

  /** The value of the first line named `name` (a whole line: for Via that can still hold several values). */
  get(name: string): string | undefined {
    const key = normalizeHeaderName(name).key;
    for (const h of this.list) if (h.key === key) return h.value;
    return undefined;
  }

  /** Every line named `name`, unsplit. */
  lines(name: string): string[] {
    const key = normalizeHeaderName(name).key;
    const out: string[] = [];
    for (const h of this.list) if (h.key === key) out.push(h.value);
    return out;
  }

  /**
   * Every value of `name` in order: lines of list headers are split at top-level commas, other headers give
   * one value per line.
   */
  values(name: string): string[] {
    const key = normalizeHeaderName(name).key;
    const out: string[] = [];
    const split = multiValueHeaders.has(key);
    for (const h of this.list) {
      if (h.key !== key) continue;
      if (split) for (const v of splitList(h.value)) out.push(v);
      else out.push(h.value);
    }
    return out;
  }

  /** The first value of a list header (`Via` → the top Via) or the first line of another header. */
  first(name: string): string | undefined {
    const key = normalizeHeaderName(name).key;
    for (const h of this.list) {
      if (h.key !== key) continue;
      if (!multiValueHeaders.has(key)) return h.value;
      const parts = splitList(h.value);
      if (parts.length > 0) return parts[0];
    }
    return undefined;
  }

  append(name: string, value: string): this {
    const n = normalizeHeaderName(name);
    this.list.push({ name: n.name, key: n.key, value });
    return this;
  }

  /** Inserts before the first line of the same name, or at the top (a proxy's Via, a Record-Route). */
  prepend(name: string, value: string): this {
    const n = normalizeHeaderName(name);
    const at = this.list.findIndex((h) => h.key === n.key);
    this.list.splice(at < 0 ? 0 : at, 0, { name: n.name, key: n.key, value });
    return this;
  }

  /** Replaces every line of `name` with one line, at the position of the first one (or appended). */
  set(name: string, value: string): this {
    const n = normalizeHeaderName(name);
    const at = this.list.findIndex((h) => h.key === n.key);
    if (at < 0) return this.append(name, value);
    this.list[at] = { name: n.name, key: n.key, value };
    for (let i = this.list.length - 1; i > at; i--) if (this.list[i]?.key === n.key) this.list.splice(i, 1);
    return this;
  }

  /** Removes every line of `name`; returns how many there were. */
  delete(name: string): number {
    const key = normalizeHeaderName(name).key;
    const before = this.list.length;
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]?.key === key) this.list.splice(i, 1);
    return before - this.list.length;
  }

  /**
   * Removes the first value of a list header (a proxy popping its own Via, or a Route); when the first line
   * holds several values only the first is cut from it.
   */
  removeFirst(name: string): string | undefined {
    const key = normalizeHeaderName(name).key;
    const at = this.list.findIndex((h) => h.key === key);
    if (at < 0) return undefined;
    const line = this.list[at] as SipHeader;
    const parts = multiValueHeaders.has(key) ? splitList(line.value) : [line.value];
    if (parts.length <= 1) this.list.splice(at, 1);
    else line.value = parts.slice(1).join(', ');
    return parts[0];
  }

  clone(): SipHeaders {
    return new SipHeaders(this.list.map((h) => ({ ...h })));
  }

  [Symbol.iterator](): Iterator<SipHeader> {
    return this.list[Symbol.iterator]();
  }
}
