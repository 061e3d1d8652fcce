/**
 * Reliable provisional responses (RFC 3262, "100rel") for the UAS side of an inbound INVITE.
 *
 * `check100rel` applies the endpoint's `100rel` option to the INVITE, the way pjproject's INVITE session does
 * for Asterisk: `no` refuses an INVITE that *requires* 100rel (420 Bad Extension, `Unsupported: 100rel`);
 * `yes` sends reliable provisionals only when the INVITE requires them; `peer_supported` also when it merely
 * lists 100rel in Supported; `required` sends them always and refuses an INVITE that does not support them
 * (421 Extension Required, `Require: 100rel`).
 *
 * `ReliableProvisionals` sends them: each 1xx (other than 100) gets `Require: 100rel` and an `RSeq` that
 * starts at a random value and grows by one; it is retransmitted from T1, doubling, until the PRACK whose
 * RAck names it arrives (§3), and after 64·T1 without one `onGiveUp` runs (the driver refuses the INVITE with
 * a 5xx). Only one reliable provisional is in flight at a time — later ones wait their turn, as §3 asks.
 *
 * `prackFor` is the other side, for our outbound INVITEs: the PRACK that acknowledges a reliable 1xx.
 */

import { Dialog } from '../dialog/dialog.ts';
import { createResponse } from '../message/helpers.ts';
import { cseq, type SipRequest, type SipResponse } from '../message/message.ts';
import type { TransactionTimers } from '../transaction/timers.ts';

export type Rel100Option = 'no' | 'yes' | 'required' | 'peer_supported';

export type Rel100Check =
  | { readonly ok: true; readonly reliable: boolean }
  | { readonly ok: false; readonly status: 420 | 421; readonly headers: Array<[string, string]> };

function lists(request: SipRequest, header: 'Supported' | 'Require' | 'k', option: string): boolean {
  return request.headers.values(header).some((v) => v.split(',').some((t) => t.trim().toLowerCase() === option));
}

export function check100rel(request: SipRequest, option: Rel100Option): Rel100Check {
  const required = lists(request, 'Require', '100rel');
  const supported = required || lists(request, 'Supported', '100rel') || lists(request, 'k', '100rel');
  switch (option) {
    case 'no':
      return required ? { ok: false, status: 420, headers: [['Unsupported', '100rel']] } : { ok: true, reliable: false };
    case 'required':
      return supported ? { ok: true, reliable: true } : { ok: false, status: 421, headers: [['Require', '100rel']] };
    case 'peer_supported':
      return { ok: true, reliable: supported };
    default:
      return { ok: true, reliable: required };
  }
}

export interface ReliableOptions {
  /** Sends (and resends) a response on the INVITE's server transaction. */
  readonly send: (response: SipResponse) => void;
  readonly timers: TransactionTimers;
  /** T1 in ms. */
  readonly t1: number;
  /** No PRACK came within 64·T1. */
  readonly onGiveUp: () => void;
  /** First RSeq (default random in 1..2^31-1, §3). */
  readonly firstRseq?: number;
}

interface InFlight {
  readonly response: SipResponse;
  readonly rseq: number;
  handle: unknown;
  elapsed: number;
}

export class ReliableProvisionals {
  readonly #options: ReliableOptions;
  #next: number;
  #inFlight: InFlight | undefined;
  readonly #waiting: SipResponse[] = [];
  #stopped = false;

  constructor(options: ReliableOptions) {
    this.#options = options;
    this.#next = options.firstRseq ?? 1 + Math.floor(Math.random() * 0x7ffffffe);
  }

  /** True while a reliable provisional waits for its PRACK. */
  get pending(): boolean {
    return this.#inFlight !== undefined;
  }

  /** Sends `response` (a 101–199) reliably, now or once the one in flight is acknowledged. */
  send(response: SipResponse): void {
    if (this.#stopped) return;
    if (this.#inFlight !== undefined) {
      this.#waiting.push(response);
      return;
    }
    const rseq = this.#next++;
    response.headers.append('Require', '100rel');
    response.headers.append('RSeq', String(rseq));
    this.#inFlight = { response, rseq, handle: undefined, elapsed: 0 };
    this.#options.send(response);
    this.#arm(this.#options.t1);
  }

  /**
   * A PRACK in the dialog: 200 when its RAck (`rseq cseq method`) names the provisional in flight — which then
   * stops being retransmitted — else 481 (§3: a PRACK that matches nothing).
   */
  prack(request: SipRequest, invite: SipRequest): SipResponse {
    const rack = (request.headers.get('RAck') ?? '').trim().split(/\s+/);
    const current = this.#inFlight;
    const inviteSeq = cseq(invite).seq;
    const matches = current !== undefined && Number(rack[0]) === current.rseq && Number(rack[1]) === inviteSeq && (rack[2] ?? '').toUpperCase() === 'INVITE';
    if (!matches) return createResponse(request, 481);
    this.#clear();
    const next = this.#waiting.shift();
    if (next !== undefined) this.send(next);
    return createResponse(request, 200);
  }

  /** The INVITE got its final response (or the call ended): nothing more to resend. */
  stop(): void {
    this.#stopped = true;
    this.#waiting.length = 0;
    this.#clear();
  }

  #clear(): void {
    const f = this.#inFlight;
    if (f?.handle !== undefined) this.#options.timers.clearTimeout(f.handle);
    this.#inFlight = undefined;
  }

  #arm(interval: number): void {
    const f = this.#inFlight;
    if (f === undefined) return;
    f.handle = this.#options.timers.setTimeout(() => {
      if (this.#inFlight !== f || this.#stopped) return;
      f.elapsed += interval;
      if (f.elapsed >= 64 * this.#options.t1) {
        this.stop();
        this.#options.onGiveUp();
        return;
      }
      this.#options.send(f.response);
      this.#arm(Math.min(interval * 2, 64 * this.#options.t1 - f.elapsed));
    }, interval);
  }
}

/**
 * The UAC side (§4): the PRACK for a reliable provisional response to our INVITE `request`. `undefined` when
 * `response` is not reliable (or lacks what a PRACK needs), `'repeat'` for one whose RSeq we already
 * acknowledged (a retransmission: dropped, not PRACKed again). `seq` is the CSeq the PRACK uses, which the
 * dialog's later requests must stay above.
 */
export function prackFor(request: SipRequest, response: SipResponse, lastRseq: number | undefined, lastSeq: number | undefined): { request: SipRequest; rseq: number; seq: number } | 'repeat' | undefined {
  const requires = response.headers.values('Require').some((v) => v.split(',').some((t) => t.trim().toLowerCase() === '100rel'));
  const rseq = Number((response.headers.get('RSeq') ?? '').trim());
  if (!requires || !Number.isInteger(rseq) || rseq <= 0) return undefined;
  if (lastRseq !== undefined && rseq <= lastRseq) return 'repeat';
  let dialog: Dialog;
  try {
    dialog = Dialog.uac(request, response);
  } catch {
    return undefined;
  }
  if (dialog.remoteTag === '') return undefined;
  const invite = cseq(request);
  dialog.localSeq = Math.max(invite.seq, lastSeq ?? 0);
  const { request: prack } = dialog.createRequest('PRACK', { headers: [['RAck', `${rseq} ${invite.seq} ${invite.method}`]] });
  return { request: prack, rseq, seq: dialog.localSeq };
}
