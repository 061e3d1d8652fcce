/**
 * Why a SIP message or header was rejected. Parsers in `src/sip/message/` throw only `SipParseError` (a
 * `ParseError` from the shared catalogue), so a transport can catch one class, count the reason and answer
 * 400 or drop the datagram.
 */

import { ParseError } from '../../shared/errors.ts';

export type SipParseReason =
  | 'empty'
  | 'too-large'
  | 'too-many-headers'
  | 'truncated'
  | 'invalid-utf8'
  | 'bad-start-line'
  | 'bad-version'
  | 'bad-header'
  | 'missing-header'
  | 'bad-content-length'
  | 'bad-cseq'
  | 'bad-via'
  | 'bad-uri'
  | 'bad-name-addr'
  | 'bad-number'
  | 'bad-auth';

export class SipParseError extends ParseError {
  readonly reason: SipParseReason;
  constructor(reason: SipParseReason, message: string, offset = 0) {
    super(message, offset);
    this.name = 'SipParseError';
    this.reason = reason;
  }
}
