/**
 * Hangup causes across the SIP boundary, with the same tables Asterisk's chan_pjsip (`hangup_cause2sip`) and
 * res_pjsip (`ast_sip_hangup_sip2cause`) use, so dialplans and applications see the causes they expect:
 *
 * - `causeToSip(cause)`: the final response we send when our side ends an inbound call before answering. A cause
 *   with no SIP counterpart (Normal Clearing among them) gives 0, which Asterisk turns into 603 Decline.
 * - `sipToCause(status)`: the Q.850 cause for a final response we received (or 487 for a CANCEL we received).
 *   A 2xx (a BYE ends the call normally) is Normal Clearing.
 */

const CAUSE_TO_SIP: ReadonlyMap<number, number> = new Map([
  [23, 302], // redirected to new destination
  [1, 404], [2, 404], [3, 404], // unallocated, no route to network, no route to destination
  [34, 503], [42, 503], // congestion
  [18, 408], // no user responding
  [19, 480], [20, 480], // no answer, subscriber absent
  [21, 403], // call rejected
  [22, 410], // number changed
  [31, 480], // normal, unspecified
  [28, 484], // invalid number format
  [17, 486], // user busy
  [38, 500], // network out of order (AST_CAUSE_FAILURE)
  [29, 501], // facility rejected
  [66, 503], // channel not implemented
  [27, 502], // destination out of order
  [58, 488], // bearer capability not available: no codec in common
  [127, 500], // interworking
]);

const SIP_TO_CAUSE: ReadonlyMap<number, number> = new Map([
  [302, 23], [401, 21], [403, 21], [404, 1], [405, 127], [407, 21], [408, 18], [409, 41], [410, 22], [411, 127],
  [413, 127], [414, 127], [415, 127], [420, 3], [480, 19], [481, 127], [482, 127], [483, 19], [484, 28], [485, 1],
  [486, 17], [487, 127], [488, 58], [491, 127], [493, 127], [500, 38], [501, 29], [502, 27], [503, 34], [504, 102],
  [505, 127], [600, 17], [603, 21], [604, 1], [606, 58],
]);

/** SIP status for a Q.850 cause; 0 when there is none (the caller then sends 603). */
export function causeToSip(cause: number): number {
  return CAUSE_TO_SIP.get(cause) ?? 0;
}

/** The final status to send for `cause` when ending an unanswered inbound call. */
export function rejectStatus(cause: number): number {
  return causeToSip(cause) || 603;
}

/** Q.850 cause for a SIP final status. */
export function sipToCause(status: number): number {
  const known = SIP_TO_CAUSE.get(status);
  if (known !== undefined) return known;
  if (status >= 400 && status < 500) return 127;
  if (status >= 500 && status < 600) return 34;
  if (status >= 600 && status < 700) return 127;
  return 16;
}
