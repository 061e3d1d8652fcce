/**
 * Cuts a byte stream (TCP, TLS) into SIP messages (RFC 3261 §18.3: Content-Length is mandatory on streams and
 * marks where the body ends) and recognises RFC 5626 keep-alives between messages: a double CRLF "ping",
 * which the transport answers with a single CRLF "pong". Pure: the transport feeds chunks with `push` and gets
 * events back. A framing error (oversized message, no or bad Content-Length in a stream) is fatal for the
 * connection, since the next message boundary is unknown; a message that frames well but does not parse is
 * reported and the stream goes on.
 */

import { SipParseError } from './errors.ts';
import type { SipMessage } from './message.ts';
import { DEFAULT_MAX_HEADERS, DEFAULT_MAX_SIZE, findHeaderEnd, parseMessage } from './parser.ts';

export type FramerEvent =
  | { readonly type: 'message'; readonly message: SipMessage; readonly bytes: number }
  /** A message framed well but failed to parse; the connection can go on. */
  | { readonly type: 'invalid'; readonly error: SipParseError; readonly bytes: number }
  /** CRLFCRLF between messages: answer with CRLF. */
  | { readonly type: 'ping' }
  /** A lone CRLF between messages (the answer to our ping). */
  | { readonly type: 'pong' }
  /** The stream can no longer be framed; close the connection. */
  | { readonly type: 'fatal'; readonly error: SipParseError };

export interface FramerOptions {
  readonly maxSize?: number;
  readonly maxHeaders?: number;
}

const CONTENT_LENGTH_RE = /(?:^|\n)(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/i;

export class StreamFramer {
  readonly #maxSize: number;
  readonly #maxHeaders: number;
  #buf: Buffer = Buffer.alloc(0);
  #failed = false;

  constructor(options: FramerOptions = {}) {
    this.#maxSize = options.maxSize ?? DEFAULT_MAX_SIZE;
    this.#maxHeaders = options.maxHeaders ?? DEFAULT_MAX_HEADERS;
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.#buf.length;
  }

  /** Feeds a chunk and returns what it completed, in order. After a `fatal` event every push returns []. */
  push(chunk: Buffer): FramerEvent[] {
    if (this.#failed) return [];
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const events: FramerEvent[] = [];
    // Each pass consumes bytes or returns, so the loop ends.
    for (;;) {
      const buf = this.#buf;
      let i = 0;
      while (i + 1 < buf.length && buf[i] === 0x0d && buf[i + 1] === 0x0a) {
        if (i + 3 < buf.length && buf[i + 2] === 0x0d && buf[i + 3] === 0x0a) {
          events.push({ type: 'ping' });
          i += 4;
        } else if (i + 2 < buf.length) {
          // A single CRLF followed by something other than a second CRLF.
          events.push({ type: 'pong' });
          i += 2;
        } else break;
      }
      // A lone CRLF ending the data is taken as a pong at once rather than held back (a pong must not wait
      // for the next message); a ping split between two reads then counts as two pongs, a harmless miscount.
      if (i + 2 === buf.length && buf[i] === 0x0d && buf[i + 1] === 0x0a) {
        events.push({ type: 'pong' });
        i += 2;
      }
      if (i > 0) this.#buf = buf.subarray(i);
      if (this.#buf.length === 0) return events;
      const b = this.#buf;
      const [end, sepLen] = findHeaderEnd(b, 0);
      if (end < 0) {
        if (b.length > this.#maxSize) return this.#fatal(events, new SipParseError('too-large', `header section longer than ${this.#maxSize} bytes`));
        return events;
      }
      if (end + sepLen > this.#maxSize) return this.#fatal(events, new SipParseError('too-large', `header section longer than ${this.#maxSize} bytes`));
      const head = b.toString('latin1', 0, end);
      const m = CONTENT_LENGTH_RE.exec(head);
      let len = 0;
      if (m) {
        const v = (m[1] as string).trim();
        if (!/^[0-9]{1,10}$/.test(v)) return this.#fatal(events, new SipParseError('bad-content-length', `invalid Content-Length ${JSON.stringify(v.slice(0, 20))}`));
        len = Number(v);
      } else {
        return this.#fatal(events, new SipParseError('bad-content-length', 'stream message without Content-Length'));
      }
      const total = end + sepLen + len;
      if (total > this.#maxSize) return this.#fatal(events, new SipParseError('too-large', `message of ${total} bytes exceeds ${this.#maxSize}`));
      if (b.length < total) return events;
      const frame = b.subarray(0, total);
      this.#buf = b.subarray(total);
      try {
        events.push({ type: 'message', message: parseMessage(frame, { stream: true, maxSize: this.#maxSize, maxHeaders: this.#maxHeaders }), bytes: total });
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
        events.push({ type: 'invalid', error: e, bytes: total });
      }
    }
  }

  #fatal(events: FramerEvent[], error: SipParseError): FramerEvent[] {
    this.#failed = true;
    this.#buf = Buffer.alloc(0);
    events.push({ type: 'fatal', error });
    return events;
  }
}
