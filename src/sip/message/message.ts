/**
 * The SIP message model (RFC 3261 §7): a request or a response, tagged by `type`, with an ordered header list
 * and a body Buffer, and its serialiser. Typed getters (`topVia`, `cseq`, `fromOf` ...) parse the header they
 * need on demand; a header that is malformed throws `SipParseError` from the getter, and the parser has
 * already checked the ones every message must have (Via, From, To, Call-ID, CSeq).
 */

import { SipParseError } from './errors.ts';
import { parseCSeq, parseContacts, parseNameAddr, parseNumber, parseVia, type CSeq, type NameAddr, type Via } from './fields.ts';
import { SipHeaders } from './headers.ts';

export const SIP_VERSION = 'SIP/2.0';

export interface SipRequest {
  readonly type: 'request';
  method: string;
  /** The Request-URI as written; `parseUri` gives its parts. */
  uri: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export interface SipResponse {
  readonly type: 'response';
  status: number;
  reason: string;
  version: string;
  headers: SipHeaders;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

const EMPTY = Buffer.alloc(0);

/** A request with the given headers (`[name, value]` pairs in order) and an optional body. */
export function createRequest(method: string, uri: string, headers: Iterable<readonly [string, string]>, body: Buffer | string = EMPTY): SipRequest {
  return { type: 'request', method, uri, version: SIP_VERSION, headers: SipHeaders.from(headers), body: typeof body === 'string' ? Buffer.from(body) : body };
}

/** Writes a message to bytes. Content-Length is always rewritten to the body's real length. */
export function serializeMessage(msg: SipMessage): Buffer {
  let head = msg.type === 'request' ? `${msg.method} ${msg.uri} ${msg.version}\r\n` : `${msg.version} ${msg.status} ${msg.reason}\r\n`;
  let wroteLength = false;
  for (const h of msg.headers.list) {
    if (h.key === 'content-length') {
      if (wroteLength) continue;
      wroteLength = true;
      head += `Content-Length: ${msg.body.length}\r\n`;
      continue;
    }
    head += `${h.name}: ${h.value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
  head += '\r\n';
  if (msg.body.length === 0) return Buffer.from(head, 'utf8');
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + msg.body.length);
  out.write(head, 0, 'utf8');
  msg.body.copy(out, headLen);
  return out;
}

function required(msg: SipMessage, name: string): string {
  const v = msg.headers.first(name);
  if (v === undefined) throw new SipParseError('missing-header', `missing ${name} header`);
  return v;
}

/** The top Via (the one this hop's transaction is keyed on). */
export function topVia(msg: SipMessage): Via {
  return parseVia(required(msg, 'Via'));
}

/** Every Via, top first. */
export function vias(msg: SipMessage): Via[] {
  return msg.headers.values('Via').map(parseVia);
}

export function cseq(msg: SipMessage): CSeq {
  return parseCSeq(required(msg, 'CSeq'));
}

export function callId(msg: SipMessage): string {
  return required(msg, 'Call-ID').trim();
}

export function fromOf(msg: SipMessage): NameAddr {
  return parseNameAddr(required(msg, 'From'));
}

export function toOf(msg: SipMessage): NameAddr {
  return parseNameAddr(required(msg, 'To'));
}

/** The `tag` parameter of From or To, if any. */
export function tagOf(msg: SipMessage, header: 'From' | 'To'): string | undefined {
  return parseNameAddr(required(msg, header)).params.get('tag') ?? undefined;
}

/** `*` (only valid in REGISTER) or the Contact list (empty when there is no Contact header). */
export function contactsOf(msg: SipMessage): '*' | NameAddr[] {
  const values = msg.headers.values('Contact');
  return values.length === 0 ? [] : parseContacts(values);
}

/** Route or Record-Route entries in order. */
export function routesOf(msg: SipMessage, header: 'Route' | 'Record-Route'): NameAddr[] {
  return msg.headers.values(header).map(parseNameAddr);
}

/** Max-Forwards, or undefined when absent. */
export function maxForwards(msg: SipMessage): number | undefined {
  const v = msg.headers.get('Max-Forwards');
  return v === undefined ? undefined : parseNumber(v, 255, 'Max-Forwards');
}

/** The method a response answers, or the request's own method. */
export function methodOf(msg: SipMessage): string {
  return msg.type === 'request' ? msg.method : cseq(msg).method;
}
