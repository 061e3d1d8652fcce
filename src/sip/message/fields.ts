/**
 * Typed views of individual header values: name-addr (From, To, Contact, Route, Record-Route, Refer-To ...),
 * Via, CSeq, numbers, and the digest parameters of WWW-/Proxy-Authenticate and (Proxy-)Authorization.
 * Each `parseX` takes one value (already split from its list and unfolded) and returns a value or throws a
 * `SipParseError`; each `formatX` writes it back. Whitespace is allowed where RFC 3261's SWS/LWS allow it
 * (around `;`, `=`, `/`, `:`), so odd but valid spacing parses.
 */

import { SipParseError } from './errors.ts';
import { formatHost, formatParams, formatUri, isHostname, isIpv6, parsePort, parseUri, type Uri } from './uri.ts';

// token chars (RFC 3261 §25.1): alphanum and -.!%*_+`'~
const TOKEN = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (/[A-Za-z0-9\-.!%*_+`'~]/.test(String.fromCharCode(c))) TOKEN[c] = 1;

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] !== 1) return false;
  }
  return true;
}

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Reads a quoted-string starting at `s[i] === '"'`; returns its unescaped content and the index after it. */
function readQuoted(s: string, i: number, reason: 'bad-name-addr' | 'bad-auth' | 'bad-header'): [string, number] {
  let out = '';
  let from = i + 1;
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return [out + s.slice(from, j), j + 1];
    if (c === 0x5c) {
      if (j + 1 >= s.length) break;
      out += s.slice(from, j) + s[j + 1];
      j++;
      from = j + 1;
    }
  }
  throw new SipParseError(reason, 'unterminated quoted string', i);
}

/** `"text"` with `"` and `\` escaped. */
export function quote(text: string): string {
  return '"' + text.replace(/[\\"]/g, (m) => '\\' + m) + '"';
}

/**
 * Parses `;name=value;flag` parameters (the text after the first `;`, or empty) into `into`. Names are
 * lower-cased; values are kept as written, a quoted value with its quotes (so it round-trips).
 */
export function parseParamList(s: string, into: Map<string, string | null>, reason: 'bad-name-addr' | 'bad-via' | 'bad-header'): void {
  let i = 0;
  const n = s.length;
  for (;;) {
    while (i < n && isWs(s.charCodeAt(i))) i++;
    if (i >= n) return;
    let j = i;
    while (j < n && s.charCodeAt(j) < 128 && TOKEN[s.charCodeAt(j)] === 1) j++;
    const name = s.slice(i, j);
    if (name.length === 0) throw new SipParseError(reason, `bad parameter near ${JSON.stringify(s.slice(i, i + 20))}`, i);
    i = j;
    while (i < n && isWs(s.charCodeAt(i))) i++;
    let value: string | null = null;
    if (s.charCodeAt(i) === 0x3d /* = */) {
      i++;
      while (i < n && isWs(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) === 0x22) {
        const start = i;
        i = readQuoted(s, i, reason === 'bad-via' ? 'bad-header' : reason)[1];
        value = s.slice(start, i);
      } else if (s.charCodeAt(i) === 0x5b /* [ IPv6 in received/maddr */) {
        const close = s.indexOf(']', i);
        if (close < 0) throw new SipParseError(reason, 'unterminated IPv6 reference in parameter', i);
        value = s.slice(i, close + 1);
        i = close + 1;
      } else {
        j = i;
        while (j < n && s.charCodeAt(j) < 128 && (TOKEN[s.charCodeAt(j)] === 1 || s.charCodeAt(j) === 0x3a)) j++;
        value = s.slice(i, j);
        if (value.length === 0) throw new SipParseError(reason, `empty value for parameter ${name}`, i);
        i = j;
      }
      while (i < n && isWs(s.charCodeAt(i))) i++;
    }
    into.set(name.toLowerCase(), value);
    if (i >= n) return;
    if (s.charCodeAt(i) !== 0x3b) throw new SipParseError(reason, `unexpected ${JSON.stringify(s[i])} in parameters`, i);
    i++;
  }
}

/** A parameter's value without the quotes a quoted-string value carries. */
export function paramValue(params: ReadonlyMap<string, string | null>, name: string): string | undefined {
  const v = params.get(name);
  if (v === undefined || v === null) return undefined;
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? readQuoted(v, 0, 'bad-header')[0] : v;
}

// ---------------------------------------------------------------------------------------------------------
// name-addr / addr-spec

export interface NameAddr {
  /** Display name without quotes, or undefined when absent. */
  displayName?: string | undefined;
  uri: Uri;
  /** Header parameters (`tag`, `expires`, `q`, `lr` is a URI param ...), lower-cased names. */
  params: Map<string, string | null>;
}

/**
 * Parses `"Alice" <sip:alice@example.com>;tag=1`, `Alice <sip:...>`, `<sip:...>` or a bare addr-spec
 * `sip:alice@example.com;tag=1` (where, per RFC 3261 §20.10, everything after the first `;` is a header
 * parameter, not a URI parameter).
 */
export function parseNameAddr(value: string): NameAddr {
  const s = value.trim();
  let i = 0;
  let displayName: string | undefined;
  let uriText: string;
  let rest: string;
  const lt = s.indexOf('<');
  if (s.charCodeAt(0) === 0x22) {
    [displayName, i] = readQuoted(s, 0, 'bad-name-addr');
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3c) throw new SipParseError('bad-name-addr', 'quoted display name not followed by "<"', i);
  } else if (lt >= 0 && (s.indexOf(';') < 0 || lt < s.indexOf(';'))) {
    const name = s.slice(0, lt).trim();
    if (name.length > 0) {
      for (let k = 0; k < name.length; k++) {
        const c = name.charCodeAt(k);
        if (c !== 0x20 && c !== 0x09 && (c >= 128 || TOKEN[c] !== 1)) {
          throw new SipParseError('bad-name-addr', `invalid display name ${JSON.stringify(name.slice(0, 40))}`);
        }
      }
      displayName = name;
    }
    i = lt;
  } else {
    // addr-spec: no angle brackets
    const semi = s.indexOf(';');
    uriText = (semi >= 0 ? s.slice(0, semi) : s).trim();
    if (/[ \t,?]/.test(uriText)) throw new SipParseError('bad-name-addr', 'a URI with spaces, "," or "?" must be in angle brackets');
    const params = new Map<string, string | null>();
    if (semi >= 0) parseParamList(s.slice(semi + 1), params, 'bad-name-addr');
    return { displayName: undefined, uri: parseUriIn(uriText), params };
  }
  const gt = s.indexOf('>', i);
  if (gt < 0) throw new SipParseError('bad-name-addr', 'missing ">"', i);
  uriText = s.slice(i + 1, gt);
  rest = s.slice(gt + 1).trim();
  const params = new Map<string, string | null>();
  if (rest.length > 0) {
    if (rest.charCodeAt(0) !== 0x3b) throw new SipParseError('bad-name-addr', `unexpected text after ">": ${JSON.stringify(rest.slice(0, 20))}`, gt + 1);
    parseParamList(rest.slice(1), params, 'bad-name-addr');
  }
  return { displayName, uri: parseUriIn(uriText), params };
}

function parseUriIn(text: string): Uri {
  try {
    return parseUri(text);
  } catch (e) {
    if (e instanceof SipParseError) throw new SipParseError('bad-name-addr', e.message, e.offset);
    throw e;
  }
}

/** Writes a name-addr, always with angle brackets (safe whatever the URI holds). */
export function formatNameAddr(na: NameAddr): string {
  const name = na.displayName !== undefined && na.displayName.length > 0 ? quote(na.displayName) + ' ' : '';
  return `${name}<${formatUri(na.uri)}>${formatParams(na.params)}`;
}

/** The value of a Contact header line(s): `*` or a list of name-addrs. */
export function parseContacts(values: readonly string[]): '*' | NameAddr[] {
  if (values.length === 1 && values[0]?.trim() === '*') return '*';
  return values.map((v) => {
    if (v.trim() === '*') throw new SipParseError('bad-name-addr', '"*" must be the only Contact');
    return parseNameAddr(v);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Via

/**
 * One Via value. `params` is the source of truth (and is what `formatVia` writes); the getters read it.
 */
export class Via {
  /** `SIP/2.0` */
  protocol: string;
  /** Upper-cased: UDP, TCP, TLS, SCTP, WS, WSS. */
  transport: string;
  /** sent-by host; IPv6 without brackets. */
  host: string;
  port: number | undefined;
  readonly params: Map<string, string | null>;

  constructor(init: { protocol?: string; transport: string; host: string; port?: number | undefined; params?: Iterable<[string, string | null]> }) {
    this.protocol = init.protocol ?? 'SIP/2.0';
    this.transport = init.transport.toUpperCase();
    this.host = init.host;
    this.port = init.port;
    this.params = new Map(init.params ?? []);
  }

  get branch(): string | undefined {
    return this.params.get('branch') ?? undefined;
  }

  get received(): string | undefined {
    const r = this.params.get('received');
    return r === null || r === undefined ? undefined : r.replace(/^\[(.*)\]$/, '$1');
  }

  /** A number when `rport=N`, `true` for a bare `rport` (the client asks for it), undefined when absent. */
  get rport(): number | true | undefined {
    const r = this.params.get('rport');
    if (r === undefined) return undefined;
    return r === null ? true : Number(r);
  }

  get maddr(): string | undefined {
    const r = this.params.get('maddr');
    return r === null || r === undefined ? undefined : r.replace(/^\[(.*)\]$/, '$1');
  }

  get ttl(): number | undefined {
    const r = this.params.get('ttl');
    return r === null || r === undefined ? undefined : Number(r);
  }

  /** `host:port` of sent-by with the default port of the transport filled in (5061 for TLS, else 5060). */
  get sentBy(): string {
    const port = this.port ?? (this.transport === 'TLS' || this.transport === 'WSS' ? 5061 : 5060);
    return `${this.host.toLowerCase()}:${port}`;
  }

  toString(): string {
    return formatVia(this);
  }
}

function readToken(s: string, i: number): number {
  while (i < s.length && s.charCodeAt(i) < 128 && TOKEN[s.charCodeAt(i)] === 1) i++;
  return i;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/** Parses one Via value: `SIP/2.0/UDP host:port;params`, with optional spaces around `/`, `:` and `;`. */
export function parseVia(value: string): Via {
  const s = value;
  const bad = (what: string): SipParseError => new SipParseError('bad-via', `${what} in Via ${JSON.stringify(s.slice(0, 80))}`);
  let i = skipWs(s, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    const end = readToken(s, i);
    if (end === i) throw bad('missing protocol, version or transport');
    parts.push(s.slice(i, end));
    i = skipWs(s, end);
    if (k < 2) {
      if (s.charCodeAt(i) !== 0x2f) throw bad('expected "/"');
      i = skipWs(s, i + 1);
    }
  }
  if (i === s.length || !isWs(s.charCodeAt(i - 1))) throw bad('missing sent-by');
  let host: string;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i);
    host = close > 0 ? s.slice(i + 1, close) : '';
    if (close < 0 || !isIpv6(host)) throw bad('invalid IPv6 host');
    i = close + 1;
  } else {
    let j = i;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 0x3a || c === 0x3b || isWs(c)) break;
      j++;
    }
    host = s.slice(i, j);
    if (!isHostname(host)) throw bad('invalid host');
    i = j;
  }
  i = skipWs(s, i);
  let port: number | undefined;
  if (s.charCodeAt(i) === 0x3a) {
    i = skipWs(s, i + 1);
    let j = i;
    while (j < s.length && s.charCodeAt(j) >= 0x30 && s.charCodeAt(j) <= 0x39) j++;
    try {
      port = parsePort(s.slice(i, j));
    } catch {
      throw bad('invalid port');
    }
    i = skipWs(s, j);
  }
  const via = new Via({ protocol: `${(parts[0] as string).toUpperCase()}/${parts[1] as string}`, transport: parts[2] as string, host, port });
  if (i < s.length) {
    if (s.charCodeAt(i) !== 0x3b) throw bad('unexpected text after sent-by');
    parseParamList(s.slice(i + 1), via.params, 'bad-via');
  }
  const ttl = via.params.get('ttl');
  if (ttl !== undefined && (ttl === null || !/^[0-9]{1,3}$/.test(ttl) || Number(ttl) > 255)) throw bad('invalid ttl');
  const rport = via.params.get('rport');
  if (rport !== undefined && rport !== null && !/^[0-9]{1,5}$/.test(rport)) throw bad('invalid rport');
  if (via.params.get('branch') === null) throw bad('branch without a value');
  return via;
}

export function formatVia(via: Via): string {
  return `${via.protocol}/${via.transport} ${formatHost(via.host)}${via.port !== undefined ? `:${via.port}` : ''}${formatParams(via.params)}`;
}

// ---------------------------------------------------------------------------------------------------------
// CSeq and numbers

export interface CSeq {
  seq: number;
  method: string;
}

export function parseCSeq(value: string): CSeq {
  const m = /^[ \t]*([0-9]{1,10})[ \t\r\n]+([^ \t\r\n]+)[ \t]*$/.exec(value);
  if (!m || !isToken(m[2] as string)) throw new SipParseError('bad-cseq', `malformed CSeq ${JSON.stringify(value.slice(0, 40))}`);
  const seq = Number(m[1]);
  // RFC 3261 §8.1.1.5: the sequence number is a 32-bit unsigned integer less than 2**31.
  if (seq >= 2 ** 31) throw new SipParseError('bad-cseq', `CSeq number out of range: ${m[1]}`);
  return { seq, method: m[2] as string };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}

/** A non-negative decimal header value (Content-Length, Max-Forwards, Expires ...) not above `max`. */
export function parseNumber(value: string, max = 2 ** 32 - 1, what = 'number'): number {
  let i = 0;
  let end = value.length;
  while (i < end && (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x09)) i++;
  while (end > i && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--;
  let n = 0;
  for (let k = i; k < end; k++) {
    const d = value.charCodeAt(k) - 0x30;
    if (d < 0 || d > 9 || end - i > 10) throw new SipParseError('bad-number', `invalid ${what} ${JSON.stringify(value.slice(0, 20))}`);
    n = n * 10 + d;
  }
  if (end === i) throw new SipParseError('bad-number', `empty ${what}`);
  if (n > max) throw new SipParseError('bad-number', `${what} out of range: ${value.trim()}`);
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// Digest challenges and credentials (RFC 3261 §20.27/§20.44/§20.7, RFC 7616)

export interface AuthValue {
  /** `Digest` (as written). */
  scheme: string;
  /** Parameters by lower-cased name, unquoted. */
  params: Map<string, string>;
}

/** Parses `Digest realm="x", nonce="y", algorithm=MD5` (also used for Authorization values). */
export function parseAuth(value: string): AuthValue {
  const s = value.trim();
  let i = 0;
  while (i < s.length && !isWs(s.charCodeAt(i))) i++;
  const scheme = s.slice(0, i);
  if (!isToken(scheme)) throw new SipParseError('bad-auth', `invalid auth scheme ${JSON.stringify(scheme.slice(0, 20))}`);
  const params = new Map<string, string>();
  for (;;) {
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (i >= s.length) break;
    let j = i;
    while (j < s.length && s.charCodeAt(j) < 128 && TOKEN[s.charCodeAt(j)] === 1) j++;
    const name = s.slice(i, j).toLowerCase();
    if (name.length === 0) throw new SipParseError('bad-auth', `bad auth parameter near ${JSON.stringify(s.slice(i, i + 20))}`, i);
    i = j;
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 0x3d) throw new SipParseError('bad-auth', `auth parameter ${name} without "="`, i);
    i++;
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    let v: string;
    if (s.charCodeAt(i) === 0x22) [v, i] = readQuoted(s, i, 'bad-auth');
    else {
      j = i;
      while (j < s.length && s.charCodeAt(j) !== 0x2c && !isWs(s.charCodeAt(j))) j++;
      v = s.slice(i, j);
      if (v.length === 0) throw new SipParseError('bad-auth', `empty auth parameter ${name}`, i);
      i = j;
    }
    if (params.has(name)) throw new SipParseError('bad-auth', `duplicate auth parameter ${name}`, i);
    params.set(name, v);
    while (i < s.length && isWs(s.charCodeAt(i))) i++;
    if (i >= s.length) break;
    if (s.charCodeAt(i) !== 0x2c) throw new SipParseError('bad-auth', `expected "," after ${name}`, i);
    i++;
  }
  return { scheme, params };
}

// Parameters whose value is a token, not a quoted string. `qop` is quoted in a challenge (it lists options)
// but a bare token in credentials (the chosen one) — RFC 3261 §25.1 digest-response vs digest-challenge.
const TOKEN_PARAMS_CHALLENGE = new Set(['algorithm', 'stale']);
const TOKEN_PARAMS_CREDENTIALS = new Set(['algorithm', 'nc', 'qop']);

/** Writes a WWW-Authenticate / Proxy-Authenticate value. */
export function formatChallenge(auth: AuthValue): string {
  return formatAuth(auth, TOKEN_PARAMS_CHALLENGE);
}

/** Writes an Authorization / Proxy-Authorization value. */
export function formatCredentials(auth: AuthValue): string {
  return formatAuth(auth, TOKEN_PARAMS_CREDENTIALS);
}

function formatAuth(auth: AuthValue, tokens: ReadonlySet<string>): string {
  const parts: string[] = [];
  for (const [k, v] of auth.params) parts.push(tokens.has(k) && isToken(v) ? `${k}=${v}` : `${k}=${quote(v)}`);
  return `${auth.scheme} ${parts.join(', ')}`;
}
