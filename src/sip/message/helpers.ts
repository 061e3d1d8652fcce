/**
 * Building blocks for the layers above the parser: responses built from a request (RFC 3261 §8.2.6), the
 * identifiers SIP needs (branch with the `z9hG4bK` magic cookie, tags, Call-IDs), the standard reason
 * phrases, and the `received`/`rport` stamp a server puts on the top Via of what it receives (§18.2.1,
 * RFC 3581).
 */

import { randomBytes } from 'node:crypto';
import { parseNameAddr } from './fields.ts';
import { SipHeaders, splitList } from './headers.ts';
import { SIP_VERSION, topVia, type SipRequest, type SipResponse } from './message.ts';
import { formatParams } from './uri.ts';

/** RFC 3261 §8.1.1.7: branches starting with this were made by an RFC 3261 element and are unique. */
export const MAGIC_COOKIE = 'z9hG4bK';

// Random identifiers come from a pooled block of crypto bytes: one syscall per 4 KiB, not per id.
let pool = Buffer.alloc(0);
let poolAt = 0;
function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  const s = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return s;
}

/** A new Via branch: the magic cookie and 96 random bits. */
export function generateBranch(): string {
  return MAGIC_COOKIE + randomHex(12);
}

/** A From/To tag (64 random bits, RFC 3261 §19.3 asks for at least 32). */
export function generateTag(): string {
  return randomHex(8);
}

/** A Call-ID: 128 random bits, `@host` appended when given. */
export function generateCallId(host?: string): string {
  const id = randomHex(16);
  return host === undefined ? id : `${id}@${host}`;
}

export const reasonPhrases: Readonly<Record<number, string>> = {
  100: 'Trying',
  180: 'Ringing',
  181: 'Call Is Being Forwarded',
  182: 'Queued',
  183: 'Session Progress',
  199: 'Early Dialog Terminated',
  200: 'OK',
  202: 'Accepted',
  204: 'No Notification',
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Moved Temporarily',
  305: 'Use Proxy',
  380: 'Alternative Service',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  410: 'Gone',
  412: 'Conditional Request Failed',
  413: 'Request Entity Too Large',
  414: 'Request-URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Unsupported URI Scheme',
  420: 'Bad Extension',
  421: 'Extension Required',
  422: 'Session Interval Too Small',
  423: 'Interval Too Brief',
  480: 'Temporarily Unavailable',
  481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected',
  483: 'Too Many Hops',
  484: 'Address Incomplete',
  485: 'Ambiguous',
  486: 'Busy Here',
  487: 'Request Terminated',
  488: 'Not Acceptable Here',
  489: 'Bad Event',
  491: 'Request Pending',
  493: 'Undecipherable',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Server Time-out',
  505: 'Version Not Supported',
  513: 'Message Too Large',
  580: 'Precondition Failure',
  600: 'Busy Everywhere',
  603: 'Decline',
  604: 'Does Not Exist Anywhere',
  606: 'Not Acceptable',
};

export function reasonPhrase(status: number): string {
  return reasonPhrases[status] ?? (status < 200 ? 'Trying' : status < 300 ? 'OK' : 'Unknown');
}

export interface ResponseOptions {
  readonly reason?: string;
  /** Tag added to To when the request's To has none (never for 100 Trying, §8.2.6.2). */
  readonly toTag?: string;
  /** Extra headers appended after the copied ones. */
  readonly headers?: Iterable<readonly [string, string]>;
  readonly body?: Buffer | string;
}

/**
 * A response to `req` (RFC 3261 §8.2.6): Via lines (all of them, in order), From, To, Call-ID and CSeq copied;
 * a To tag added when asked for and missing; Timestamp echoed for 100 (§8.2.6.1).
 */
export function createResponse(req: SipRequest, status: number, options: ResponseOptions = {}): SipResponse {
  const headers = new SipHeaders();
  for (const h of req.headers.list) if (h.key === 'via') headers.append('Via', h.value);
  const from = req.headers.get('From');
  if (from !== undefined) headers.append('From', from);
  const to = req.headers.get('To');
  if (to !== undefined) {
    let value = to;
    if (options.toTag !== undefined && status !== 100) {
      const na = parseNameAddr(to);
      if (!na.params.has('tag')) value = `${to.trimEnd()}${formatParams(new Map([['tag', options.toTag]]))}`;
    }
    headers.append('To', value);
  }
  for (const name of ['Call-ID', 'CSeq']) {
    const v = req.headers.get(name);
    if (v !== undefined) headers.append(name, v);
  }
  if (status === 100) {
    const ts = req.headers.get('Timestamp');
    if (ts !== undefined) headers.append('Timestamp', ts);
  }
  for (const [k, v] of options.headers ?? []) headers.append(k, v);
  const body = options.body === undefined ? Buffer.alloc(0) : typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  return { type: 'response', status, reason: options.reason ?? reasonPhrase(status), version: SIP_VERSION, headers, body };
}

/**
 * What a server does to the top Via of a request it receives (RFC 3261 §18.2.1, RFC 3581 §4): add
 * `received=<source ip>` when sent-by differs from it, and fill a bare `rport` with the source port (which also
 * requires `received`). Returns whether the header was changed.
 */
export function stampVia(req: SipRequest, source: { readonly host: string; readonly port: number }): boolean {
  const first = req.headers.list.find((h) => h.key === 'via');
  if (first === undefined) return false;
  const via = topVia(req);
  const askedRport = via.params.has('rport') && via.params.get('rport') === null;
  if (via.host === source.host && !askedRport) return false;
  via.params.set('received', source.host.includes(':') ? `[${source.host}]` : source.host);
  if (askedRport) via.params.set('rport', String(source.port));
  // Replace only the top value of the first Via line (it may hold several, comma-separated).
  const lineValues = splitList(first.value);
  lineValues[0] = via.toString();
  first.value = lineValues.join(', ');
  return true;
}
