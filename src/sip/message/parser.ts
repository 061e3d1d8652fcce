/**
 * Bytes → `SipMessage` (RFC 3261 §7, §18.3). `parseMessage` takes one whole message: a UDP datagram or a frame
 * cut by the TCP framer (`framer.ts`). It never loops on its input more than a fixed number of passes and it
 * throws only `SipParseError`, whose `reason` tells the transport what to do (400, 505, or drop); when the start
 * line and headers were readable, `partial` holds them so a 400 can still be built.
 *
 * Leniency: empty lines before the start line are skipped (§7.5), bare LF line ends are accepted, folded
 * header lines are joined with one space, compact names are expanded. Strictness: exactly one space between
 * the parts of the start line, token method names, a parseable Request-URI, the five headers every message
 * needs, a CSeq method equal to the request method, and a Content-Length that fits the datagram.
 */

import { isUtf8 } from 'node:buffer';
import { SipParseError } from './errors.ts';
import { isToken, parseCSeq, parseNameAddr, parseNumber, parseVia } from './fields.ts';
import { normalizeHeaderName, SipHeaders, type SipHeader } from './headers.ts';
import type { SipMessage, SipRequest, SipResponse } from './message.ts';
import { parseUri } from './uri.ts';

export interface ParseOptions {
  /** Largest message accepted, default 65,536 bytes. */
  readonly maxSize?: number;
  /** Most header lines accepted, default 256. */
  readonly maxHeaders?: number;
  /**
   * A stream frame: the body is exactly Content-Length bytes (absent = 0). For datagrams (the default) a
   * missing Content-Length means "the rest of the datagram" and extra bytes after the body are ignored.
   */
  readonly stream?: boolean;
  /** Check Via/From/To/Call-ID/CSeq and the Request-URI (default true). */
  readonly validate?: boolean;
}

const EMPTY = Buffer.alloc(0);

export const DEFAULT_MAX_SIZE = 65536;
export const DEFAULT_MAX_HEADERS = 256;

export class SipMessageError extends SipParseError {
  /** The message as far as it could be read (start line and headers), for answering 400. */
  readonly partial: SipMessage | undefined;
  constructor(inner: SipParseError, partial: SipMessage) {
    super(inner.reason, inner.message, inner.offset);
    this.partial = partial;
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
const LFLF = Buffer.from('\n\n', 'latin1');

/** Index of the blank line ending the header section, and the length of that separator; -1 when absent. */
export function findHeaderEnd(buf: Buffer, from: number): [number, number] {
  const crlf = buf.indexOf(CRLFCRLF, from);
  // Bare-LF messages: look for "\n\n" only before the first CRLFCRLF (which may sit in a body).
  const lf = (crlf < 0 ? buf.subarray(from) : buf.subarray(from, crlf + 1)).indexOf(LFLF);
  if (lf >= 0) return [from + lf, 2];
  if (crlf >= 0) return [crlf, 4];
  return [-1, 0];
}

/** Where the start line begins, after any empty lines. */
export function skipEmptyLines(buf: Buffer, from = 0): number {
  let i = from;
  while (i < buf.length && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  return i;
}

/** Parses one whole message. */
export function parseMessage(buf: Buffer, options: ParseOptions = {}): SipMessage {
  const maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
  if (buf.length > maxSize) throw new SipParseError('too-large', `message of ${buf.length} bytes exceeds ${maxSize}`);
  const start = skipEmptyLines(buf);
  if (start >= buf.length) throw new SipParseError('empty', 'no message (only line breaks)');
  const [end, sepLen] = findHeaderEnd(buf, start);
  if (end < 0) throw new SipParseError('truncated', 'no blank line after the headers', buf.length);
  const head = buf.subarray(start, end);
  // Headers are UTF-8 (display names, reason phrases); invalid bytes would not survive a round trip.
  if (!isUtf8(head)) throw new SipParseError('invalid-utf8', 'header section is not valid UTF-8', start);
  const text = head.toString('utf8');

  const list: SipHeader[] = [];
  const msg = parseStartLine(readLines(text, list, options.maxHeaders ?? DEFAULT_MAX_HEADERS), new SipHeaders(list));

  const bodyStart = end + sepLen;
  try {
    msg.body = readBody(buf, bodyStart, msg.headers, options.stream === true);
    if (options.validate !== false) validate(msg);
  } catch (e) {
    if (e instanceof SipParseError) throw new SipMessageError(e, msg);
    throw e;
  }
  return msg;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Reads the header section: returns the start line and pushes one header per logical line into `list`,
 * joining folded continuation lines with a single space (§7.3.1). One pass, no intermediate line strings.
 */
function readLines(text: string, list: SipHeader[], maxHeaders: number): string {
  const n = text.length;
  let j = text.indexOf('\n');
  if (j < 0) j = n;
  const startLine = text.slice(0, j > 0 && text.charCodeAt(j - 1) === 0x0d ? j - 1 : j);
  let i = j + 1;
  while (i < n) {
    j = text.indexOf('\n', i);
    if (j < 0) j = n;
    const end = j > i && text.charCodeAt(j - 1) === 0x0d ? j - 1 : j;
    if (isSpace(text.charCodeAt(i))) {
      const prev = list[list.length - 1];
      if (prev === undefined) throw new SipParseError('bad-header', 'continuation line without a header before it', i);
      const more = text.slice(i, end).trim();
      prev.value = prev.value.length === 0 ? more : more.length === 0 ? prev.value : `${prev.value} ${more}`;
    } else {
      if (list.length >= maxHeaders) throw new SipParseError('too-many-headers', `more than ${maxHeaders} header lines`, i);
      list.push(parseHeaderAt(text, i, end));
    }
    i = j + 1;
  }
  return startLine;
}

function parseStartLine(line: string, headers: SipHeaders): SipRequest | SipResponse {
  // Fast path: `METHOD uri SIP/2.0` with single spaces and a token method (the slow path below gives the errors).
  if (line.endsWith(' SIP/2.0')) {
    const sp = line.indexOf(' ');
    const method = line.slice(0, sp);
    const uri = line.slice(sp + 1, line.length - 8);
    if (sp > 0 && uri.length > 0 && !uri.includes(' ') && isToken(method)) {
      return { type: 'request', method, uri, version: 'SIP/2.0', headers, body: EMPTY };
    }
  }
  const sp1 = line.indexOf(' ');
  let sp2 = sp1 < 0 ? -1 : line.indexOf(' ', sp1 + 1);
  // A status line whose empty reason phrase lost its space (`SIP/2.0 100`) is accepted, as most stacks do.
  if (sp1 > 0 && sp2 < 0 && line.toUpperCase().startsWith('SIP/')) sp2 = line.length;
  if (sp1 <= 0 || sp2 < 0) throw new SipParseError('bad-start-line', `malformed start line ${JSON.stringify(line.slice(0, 80))}`);
  const a = line.slice(0, sp1);
  if (a.length === 7 && a.toUpperCase().startsWith('SIP/')) {
    if (a.toUpperCase() !== 'SIP/2.0') throw new SipParseError('bad-version', `unsupported version ${a}`);
    const code = line.slice(sp1 + 1, sp2);
    if (!/^[1-6][0-9][0-9]$/.test(code)) throw new SipParseError('bad-start-line', `invalid status code ${JSON.stringify(code.slice(0, 10))}`, sp1 + 1);
    return { type: 'response', status: Number(code), reason: line.slice(sp2 + 1), version: 'SIP/2.0', headers, body: EMPTY };
  }
  if (a.toUpperCase().startsWith('SIP/')) throw new SipParseError('bad-version', `unsupported version ${a}`);
  const uri = line.slice(sp1 + 1, sp2);
  const version = line.slice(sp2 + 1);
  if (!isToken(a)) throw new SipParseError('bad-start-line', `invalid method ${JSON.stringify(a.slice(0, 20))}`);
  if (uri.length === 0 || version.includes(' ') || version.length === 0) {
    throw new SipParseError('bad-start-line', `malformed request line ${JSON.stringify(line.slice(0, 80))}`);
  }
  if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(version)) throw new SipParseError('bad-start-line', `malformed version ${JSON.stringify(version.slice(0, 20))}`);
  if (version.toUpperCase() !== 'SIP/2.0') throw new SipParseError('bad-version', `unsupported version ${version}`);
  return { type: 'request', method: a, uri, version: 'SIP/2.0', headers, body: EMPTY };
}

/** One header line, text[start, end): `name HCOLON value` with the value trimmed. */
function parseHeaderAt(text: string, start: number, end: number): SipHeader {
  const colon = text.indexOf(':', start);
  if (colon < 0 || colon >= end) {
    throw new SipParseError('bad-header', `header line without ":" ${JSON.stringify(text.slice(start, Math.min(end, start + 40)))}`, start);
  }
  // HCOLON allows spaces/tabs between the name and the colon.
  let ne = colon;
  while (ne > start && isSpace(text.charCodeAt(ne - 1))) ne--;
  const rawName = text.slice(start, ne);
  if (!isToken(rawName)) throw new SipParseError('bad-header', `invalid header name ${JSON.stringify(rawName.slice(0, 40))}`, start);
  const { name, key } = normalizeHeaderName(rawName);
  let vs = colon + 1;
  let ve = end;
  while (vs < ve && isSpace(text.charCodeAt(vs))) vs++;
  while (ve > vs && isSpace(text.charCodeAt(ve - 1))) ve--;
  return { name, key, value: text.slice(vs, ve) };
}

function readBody(buf: Buffer, bodyStart: number, headers: SipHeaders, stream: boolean): Buffer {
  const lengths = headers.lines('Content-Length');
  if (lengths.length === 0) return stream ? EMPTY : buf.subarray(bodyStart);
  const len = parseNumber(lengths[0] as string, 2 ** 31, 'Content-Length');
  for (const other of lengths) {
    if (parseNumber(other, 2 ** 31, 'Content-Length') !== len) throw new SipParseError('bad-content-length', 'conflicting Content-Length headers');
  }
  if (bodyStart + len > buf.length) {
    throw new SipParseError('bad-content-length', `Content-Length ${len} exceeds the ${buf.length - bodyStart} body bytes received`, bodyStart);
  }
  return buf.subarray(bodyStart, bodyStart + len);
}

function validate(msg: SipMessage): void {
  // One pass over the list: the first value of each required header; the single ones must not repeat.
  let via: string | undefined;
  let from: string | undefined;
  let to: string | undefined;
  let id: string | undefined;
  let cseqValue: string | undefined;
  let mf: string | undefined;
  for (const h of msg.headers.list) {
    let dup = false;
    switch (h.key) {
      case 'via':
        via ??= h.value;
        break;
      case 'from':
        dup = from !== undefined;
        from = h.value;
        break;
      case 'to':
        dup = to !== undefined;
        to = h.value;
        break;
      case 'call-id':
        dup = id !== undefined;
        id = h.value;
        break;
      case 'cseq':
        dup = cseqValue !== undefined;
        cseqValue = h.value;
        break;
      case 'max-forwards':
        dup = mf !== undefined;
        mf = h.value;
        break;
    }
    if (dup) throw new SipParseError('bad-header', `more than one ${h.name} header`);
  }
  if (via === undefined) throw new SipParseError('missing-header', 'missing Via header');
  if (from === undefined) throw new SipParseError('missing-header', 'missing From header');
  if (to === undefined) throw new SipParseError('missing-header', 'missing To header');
  if (id === undefined) throw new SipParseError('missing-header', 'missing Call-ID header');
  if (cseqValue === undefined) throw new SipParseError('missing-header', 'missing CSeq header');
  const cs = parseCSeq(cseqValue);
  if (id.length === 0) throw new SipParseError('bad-header', 'empty Call-ID');
  parseNameAddr(from);
  parseNameAddr(to);
  parseVia(via.includes(',') ? (msg.headers.first('Via') ?? '') : via);
  if (mf !== undefined) parseNumber(mf, 255, 'Max-Forwards');
  if (msg.type === 'request') {
    if (cs.method !== msg.method) throw new SipParseError('bad-cseq', `CSeq method ${cs.method} does not match ${msg.method}`);
    try {
      parseUri(msg.uri);
    } catch (e) {
      if (e instanceof SipParseError) throw new SipParseError('bad-uri', `bad Request-URI: ${e.message}`);
      throw e;
    }
  }
}
