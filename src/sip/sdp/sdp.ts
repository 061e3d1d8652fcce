/**
 * SDP text ↔ a typed session (RFC 8866, formerly 4566): the lowest layer of offer/answer.
 *
 * This module knows the grammar of SDP lines and nothing about codecs or negotiation (that is
 * `media.ts` and `offer-answer.ts`). It is pure: `parseSdp` turns bytes or text into an `SdpSession` and
 * throws `SdpParseError` with the 1-based line for text that is not SDP; `serializeSdp` writes a session
 * back in the order RFC 8866 prescribes, with CRLF line ends.
 *
 * The parser is strict about what makes SDP unreadable (a line that is not `<letter>=<value>`, a `v=` other
 * than 0 or not first, a malformed `o=`, `c=` or `m=` line, invalid UTF-8) and lenient about the rest, as
 * real peers need: LF-only line ends, a missing `t=`, blank lines, unknown line types (skipped, as the RFC
 * asks) and attributes of any kind (kept in order, name and value as written).
 *
 * Design note: the project's DESIGN.md names `sdp-transform` for the text layer, but it is not installed
 * (package.json has no such dependency), so this is a small self-contained parser; the shapes are close to
 * what the media code needs rather than sdp-transform's, which keeps `media.ts` simple.
 */

import { ParseError } from '../../shared/errors.ts';

/** `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`. Ids are digit strings (up to 64 bits). */
export interface SdpOrigin {
  readonly username: string;
  readonly sessionId: string;
  readonly sessionVersion: string;
  readonly netType: string;
  readonly addrType: string;
  readonly address: string;
}

/** `c=<nettype> <addrtype> <connection-address>[/ttl][/count]`. */
export interface SdpConnection {
  readonly netType: string;
  readonly addrType: string;
  readonly address: string;
  readonly ttl?: number;
  readonly count?: number;
}

export interface SdpBandwidth {
  readonly type: string;
  readonly value: number;
}

/** `a=<name>` (a property attribute: `value` undefined) or `a=<name>:<value>`. */
export interface SdpAttribute {
  readonly name: string;
  readonly value?: string;
}

export interface SdpTiming {
  readonly start: string;
  readonly stop: string;
  /** `r=` lines that follow this `t=`, as written. */
  readonly repeats?: readonly string[];
}

/** One `m=` section. */
export interface SdpMedia {
  readonly type: string;
  readonly port: number;
  /** The `/<number of ports>` suffix of the port, when given. */
  readonly portCount?: number;
  readonly protocol: string;
  /** Payload types (RTP) or format names, in the order of the `m=` line. */
  readonly formats: readonly string[];
  readonly information?: string;
  readonly connections: readonly SdpConnection[];
  readonly bandwidths: readonly SdpBandwidth[];
  readonly key?: string;
  readonly attributes: readonly SdpAttribute[];
}

export interface SdpSession {
  readonly version: 0;
  readonly origin: SdpOrigin;
  readonly sessionName: string;
  readonly information?: string;
  readonly uri?: string;
  readonly emails?: readonly string[];
  readonly phones?: readonly string[];
  readonly connection?: SdpConnection;
  readonly bandwidths: readonly SdpBandwidth[];
  readonly timing: readonly SdpTiming[];
  readonly timeZones?: string;
  readonly key?: string;
  readonly attributes: readonly SdpAttribute[];
  readonly media: readonly SdpMedia[];
}

/** SDP that cannot be read; `line` is 1-based (0 = the body as a whole). */
export class SdpParseError extends ParseError {
  readonly line: number;
  constructor(message: string, line: number) {
    super(line > 0 ? `SDP line ${line}: ${message}` : `SDP: ${message}`, line);
    this.name = 'SdpParseError';
    this.line = line;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const LINE = /^([a-z])=(.*)$/;
const DIGITS = /^\d+$/;

interface MutableMedia {
  type: string;
  port: number;
  portCount?: number;
  protocol: string;
  formats: string[];
  information?: string;
  connections: SdpConnection[];
  bandwidths: SdpBandwidth[];
  key?: string;
  attributes: SdpAttribute[];
}

/**
 * Parses an SDP body.
 *
 * @example
 * const sdp = parseSdp('v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n');
 * sdp.media[0]?.port; // 4000
 */
export function parseSdp(input: string | Uint8Array): SdpSession {
  let textValue: string;
  if (typeof input === 'string') {
    textValue = input;
  } else {
    try {
      textValue = utf8.decode(input);
    } catch {
      throw new SdpParseError('the body is not valid UTF-8', 0);
    }
  }
  const lines = textValue.split(/\r?\n/);
  let origin: SdpOrigin | undefined;
  let sessionName: string | undefined;
  let sawVersion = false;
  const session: {
    information?: string; uri?: string; emails: string[]; phones: string[]; connection?: SdpConnection;
    bandwidths: SdpBandwidth[]; timing: { start: string; stop: string; repeats: string[] }[]; timeZones?: string;
    key?: string; attributes: SdpAttribute[];
  } = { emails: [], phones: [], bandwidths: [], timing: [], attributes: [] };
  const media: MutableMedia[] = [];

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    if (raw.trim() === '') {
      continue;
    }
    const match = LINE.exec(raw);
    if (match === null) {
      throw new SdpParseError(`expected '<letter>=<value>', got '${clip(raw)}'`, lineNo);
    }
    const type = match[1] ?? '';
    const value = match[2] ?? '';
    if (!sawVersion) {
      if (type !== 'v') {
        throw new SdpParseError(`the first line must be 'v=0', got '${clip(raw)}'`, lineNo);
      }
      if (value.trim() !== '0') {
        throw new SdpParseError(`unsupported SDP version '${clip(value)}'`, lineNo);
      }
      sawVersion = true;
      continue;
    }
    const current = media.at(-1);
    if (current === undefined) {
      switch (type) {
        case 'v':
          throw new SdpParseError("a second 'v=' line", lineNo);
        case 'o':
          origin = parseOrigin(value, lineNo);
          break;
        case 's':
          sessionName = value;
          break;
        case 'i':
          session.information = value;
          break;
        case 'u':
          session.uri = value;
          break;
        case 'e':
          session.emails.push(value);
          break;
        case 'p':
          session.phones.push(value);
          break;
        case 'c':
          session.connection = parseConnection(value, lineNo);
          break;
        case 'b':
          session.bandwidths.push(parseBandwidth(value, lineNo));
          break;
        case 't': {
          const [start = '', stop = '', ...extra] = value.trim().split(/\s+/);
          if (!DIGITS.test(start) || !DIGITS.test(stop) || extra.length > 0) {
            throw new SdpParseError(`malformed 't=' line '${clip(value)}'`, lineNo);
          }
          session.timing.push({ start, stop, repeats: [] });
          break;
        }
        case 'r':
          session.timing.at(-1)?.repeats.push(value);
          break;
        case 'z':
          session.timeZones = value;
          break;
        case 'k':
          session.key = value;
          break;
        case 'a':
          session.attributes.push(parseAttribute(value));
          break;
        case 'm':
          media.push(parseMediaLine(value, lineNo));
          break;
        default:
          // RFC 8866 section 5: unknown line types are ignored.
          break;
      }
      continue;
    }
    switch (type) {
      case 'm':
        media.push(parseMediaLine(value, lineNo));
        break;
      case 'i':
        current.information = value;
        break;
      case 'c':
        current.connections.push(parseConnection(value, lineNo));
        break;
      case 'b':
        current.bandwidths.push(parseBandwidth(value, lineNo));
        break;
      case 'k':
        current.key = value;
        break;
      case 'a':
        current.attributes.push(parseAttribute(value));
        break;
      case 'v':
      case 'o':
      case 's':
        throw new SdpParseError(`'${type}=' is a session-level line but appears inside a media section`, lineNo);
      default:
        break;
    }
  }

  if (!sawVersion) {
    throw new SdpParseError("the body is empty (no 'v=0' line)", 0);
  }
  if (origin === undefined) {
    throw new SdpParseError("missing the 'o=' line", 0);
  }
  if (sessionName === undefined) {
    throw new SdpParseError("missing the 's=' line", 0);
  }
  const result: SdpSession = {
    version: 0,
    origin,
    sessionName,
    ...(session.information === undefined ? {} : { information: session.information }),
    ...(session.uri === undefined ? {} : { uri: session.uri }),
    ...(session.emails.length === 0 ? {} : { emails: session.emails }),
    ...(session.phones.length === 0 ? {} : { phones: session.phones }),
    ...(session.connection === undefined ? {} : { connection: session.connection }),
    bandwidths: session.bandwidths,
    timing: session.timing.length === 0
      ? [{ start: '0', stop: '0' }]
      : session.timing.map((t) => (t.repeats.length === 0 ? { start: t.start, stop: t.stop } : t)),
    ...(session.timeZones === undefined ? {} : { timeZones: session.timeZones }),
    ...(session.key === undefined ? {} : { key: session.key }),
    attributes: session.attributes,
    media,
  };
  return result;
}

function clip(textValue: string): string {
  return textValue.length > 60 ? `${textValue.slice(0, 60)}...` : textValue;
}

function parseOrigin(value: string, lineNo: number): SdpOrigin {
  const parts = value.trim().split(/\s+/);
  const [username = '', sessionId = '', sessionVersion = '', netType = '', addrType = '', address = ''] = parts;
  if (parts.length !== 6 || !DIGITS.test(sessionId) || !DIGITS.test(sessionVersion)) {
    throw new SdpParseError(`malformed 'o=' line '${clip(value)}' (expected username, numeric session id and version, nettype, addrtype, address)`, lineNo);
  }
  return { username, sessionId, sessionVersion, netType, addrType, address };
}

function parseConnection(value: string, lineNo: number): SdpConnection {
  const parts = value.trim().split(/\s+/);
  const [netType = '', addrType = '', addressPart = ''] = parts;
  if (parts.length !== 3 || addressPart === '') {
    throw new SdpParseError(`malformed 'c=' line '${clip(value)}' (expected 'IN IP4 <address>')`, lineNo);
  }
  const [address = '', ...suffix] = addressPart.split('/');
  if (suffix.some((s) => !DIGITS.test(s)) || suffix.length > 2) {
    throw new SdpParseError(`malformed connection address '${clip(addressPart)}'`, lineNo);
  }
  // For IPv4 multicast the first suffix is the TTL; IPv6 has no TTL, only a count.
  const numbers = suffix.map(Number);
  let ttl: number | undefined;
  let count: number | undefined;
  if (addrType.toUpperCase() === 'IP6') {
    count = numbers[0];
  } else {
    ttl = numbers[0];
    count = numbers[1];
  }
  return {
    netType,
    addrType,
    address,
    ...(ttl === undefined ? {} : { ttl }),
    ...(count === undefined ? {} : { count }),
  };
}

function parseBandwidth(value: string, lineNo: number): SdpBandwidth {
  const match = /^([A-Za-z0-9_.-]+):(\d+)$/.exec(value.trim());
  if (match === null) {
    throw new SdpParseError(`malformed 'b=' line '${clip(value)}'`, lineNo);
  }
  return { type: match[1] ?? '', value: Number(match[2]) };
}

function parseAttribute(value: string): SdpAttribute {
  const colon = value.indexOf(':');
  return colon < 0 ? { name: value.trim() } : { name: value.slice(0, colon).trim(), value: value.slice(colon + 1) };
}

function parseMediaLine(value: string, lineNo: number): MutableMedia {
  const parts = value.trim().split(/\s+/);
  const [type = '', portPart = '', protocol = '', ...formats] = parts;
  const portMatch = /^(\d+)(?:\/(\d+))?$/.exec(portPart);
  const port = portMatch === null ? Number.NaN : Number(portMatch[1]);
  if (parts.length < 3 || type === '' || protocol === '' || !(port <= 65535)) {
    throw new SdpParseError(`malformed 'm=' line '${clip(value)}' (expected '<media> <port> <proto> <fmt> ...')`, lineNo);
  }
  if (formats.length === 0 && port !== 0) {
    throw new SdpParseError(`'m=' line '${clip(value)}' lists no formats`, lineNo);
  }
  const media: MutableMedia = { type, port, protocol, formats, connections: [], bandwidths: [], attributes: [] };
  if (portMatch?.[2] !== undefined) {
    media.portCount = Number(portMatch[2]);
  }
  return media;
}

// --- serialising ------------------------------------------------------------------------------------------

/** Writes a session as SDP text: RFC 8866 line order, CRLF after every line. */
export function serializeSdp(sdp: SdpSession): string {
  const out: string[] = ['v=0'];
  const o = sdp.origin;
  out.push(`o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${sdp.sessionName === '' ? ' ' : sdp.sessionName}`);
  if (sdp.information !== undefined) {
    out.push(`i=${sdp.information}`);
  }
  if (sdp.uri !== undefined) {
    out.push(`u=${sdp.uri}`);
  }
  for (const email of sdp.emails ?? []) {
    out.push(`e=${email}`);
  }
  for (const phone of sdp.phones ?? []) {
    out.push(`p=${phone}`);
  }
  if (sdp.connection !== undefined) {
    out.push(connectionLine(sdp.connection));
  }
  for (const b of sdp.bandwidths) {
    out.push(`b=${b.type}:${b.value}`);
  }
  const timing = sdp.timing.length === 0 ? [{ start: '0', stop: '0' }] : sdp.timing;
  for (const t of timing) {
    out.push(`t=${t.start} ${t.stop}`);
    for (const r of 'repeats' in t ? t.repeats ?? [] : []) {
      out.push(`r=${r}`);
    }
  }
  if (sdp.timeZones !== undefined) {
    out.push(`z=${sdp.timeZones}`);
  }
  if (sdp.key !== undefined) {
    out.push(`k=${sdp.key}`);
  }
  for (const a of sdp.attributes) {
    out.push(attributeLine(a));
  }
  for (const m of sdp.media) {
    const port = m.portCount === undefined ? `${m.port}` : `${m.port}/${m.portCount}`;
    out.push(`m=${[m.type, port, m.protocol, ...m.formats].join(' ')}`);
    if (m.information !== undefined) {
      out.push(`i=${m.information}`);
    }
    for (const c of m.connections) {
      out.push(connectionLine(c));
    }
    for (const b of m.bandwidths) {
      out.push(`b=${b.type}:${b.value}`);
    }
    if (m.key !== undefined) {
      out.push(`k=${m.key}`);
    }
    for (const a of m.attributes) {
      out.push(attributeLine(a));
    }
  }
  return out.join('\r\n') + '\r\n';
}

function connectionLine(c: SdpConnection): string {
  const suffix = [c.ttl, c.count].filter((n) => n !== undefined).map((n) => `/${n}`).join('');
  return `c=${c.netType} ${c.addrType} ${c.address}${suffix}`;
}

function attributeLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}
