/**
 * Q.850 hangup causes as Asterisk names them (`cause_txt` on ChannelDestroyed), and the `reason` words of
 * `DELETE /channels/{id}` mapped to causes.
 */

export const causeText: Readonly<Record<number, string>> = {
  0: 'Unknown',
  1: 'Unallocated (unassigned) number',
  2: 'No route to specified transmit network',
  3: 'No route to destination',
  6: 'Channel unacceptable',
  7: 'Call awarded, being delivered in an established channel',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  22: 'Number changed',
  23: 'Redirected to new destination',
  26: 'Answered elsewhere',
  27: 'Destination out of order',
  28: 'Invalid number format',
  29: 'Facility rejected',
  30: 'Response to STATus ENQuiry',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
  38: 'Network out of order',
  41: 'Temporary failure',
  42: 'Switching equipment congestion',
  43: 'Access information discarded',
  44: 'Requested channel not available',
  50: 'Requested facility not subscribed',
  52: 'Outgoing call barred',
  54: 'Incoming call barred',
  57: 'Bearer capability not authorized',
  58: 'Bearer capability not available',
  65: 'Bearer capability not implemented',
  66: 'Channel not implemented',
  69: 'Facility not implemented',
  81: 'Invalid call reference value',
  88: 'Incompatible destination',
  95: 'Invalid message unspecified',
  96: 'Mandatory information element is missing',
  97: 'Message type nonexist.',
  98: 'Wrong message',
  99: 'Info. element nonexist or not implemented',
  100: 'Invalid information element contents',
  101: 'Message not compatible with call state',
  102: 'Recover on timer expiry',
  111: 'Protocol error, unspecified',
  127: 'Interworking, unspecified',
};

export const CAUSE = {
  UNKNOWN: 0,
  UNALLOCATED: 1,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  CALL_REJECTED: 21,
  ANSWERED_ELSEWHERE: 26,
  INVALID_NUMBER_FORMAT: 28,
  NORMAL_UNSPECIFIED: 31,
  CONGESTION: 34,
  FAILURE: 38,
  BEARERCAPABILITY_NOTAVAIL: 58,
  INTERWORKING: 127,
} as const;

export function causeToText(cause: number): string {
  return causeText[cause] ?? 'Unknown';
}

/** `DELETE /channels/{id}?reason=` words. */
export const hangupReasons: Readonly<Record<string, number>> = {
  normal: CAUSE.NORMAL_CLEARING,
  busy: CAUSE.USER_BUSY,
  congestion: CAUSE.CONGESTION,
  no_answer: CAUSE.NO_ANSWER,
  timeout: CAUSE.NO_USER_RESPONSE,
  rejected: CAUSE.CALL_REJECTED,
  unallocated: CAUSE.UNALLOCATED,
  normal_unspecified: CAUSE.NORMAL_UNSPECIFIED,
  number_incomplete: CAUSE.INVALID_NUMBER_FORMAT,
  codec_mismatch: CAUSE.BEARERCAPABILITY_NOTAVAIL,
  interworking: CAUSE.INTERWORKING,
  failure: CAUSE.FAILURE,
  answered_elsewhere: CAUSE.ANSWERED_ELSEWHERE,
};
