/**
 * Client transactions (RFC 3261 §17.1, with RFC 6026's Accepted state for INVITE). The TU hands over a request
 * whose top Via already carries a `z9hG4bK` branch; the transaction sends it, retransmits it over UDP, and
 * passes responses up. It ends on a final response (after absorbing retransmissions), a timeout (Timer B/F:
 * the TU gets a locally made 408) or a transport error (a locally made 503, as RFC 3263 §4.3 suggests).
 *
 *   INVITE:      Calling --1xx--> Proceeding --2xx--> Accepted --M--> Terminated
 *                   |--300-699 (ACK sent)--> Completed --D--> Terminated
 *   non-INVITE:  Trying --1xx--> Proceeding --final--> Completed --K--> Terminated
 */

import { createResponse } from '../message/helpers.ts';
import { SipHeaders } from '../message/headers.ts';
import { SIP_VERSION, cseq, type SipRequest, type SipResponse } from '../message/message.ts';
import { callTu, isReliable, Transaction, type SipAddress, type TransactionContext, type TransactionEnd } from './transaction.ts';

export type ClientState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';


export interface ClientHandlers {
  /**
   * Every response the TU must see: provisional ones, the final one, and (INVITE, Accepted state) each 2xx,
   * including retransmissions and 2xx from other forks, which the TU must ACK itself. `local` is true for the
   * 408/503 the transaction made up after a timeout or transport error.
   */
  readonly onResponse: (response: SipResponse, local: boolean) => void;
  readonly onTerminated?: (end: TransactionEnd) => void;
}

export class ClientTransaction extends Transaction {
  readonly request: SipRequest;
  readonly destination: SipAddress;
  readonly method: string;
  readonly branch: string;
  #state: ClientState;
  #handlers: ClientHandlers;
  #ack: SipRequest | undefined;
  #lastResponse: SipResponse | undefined;

  /** @private — created by `TransactionLayer.sendRequest`. */
  constructor(ctx: TransactionContext, key: string, branch: string, request: SipRequest, destination: SipAddress, handlers: ClientHandlers) {
    super(ctx, key, isReliable(destination.transport));
    this.request = request;
    this.destination = destination;
    this.method = request.method;
    this.branch = branch;
    this.#handlers = handlers;
    this.#state = request.method === 'INVITE' ? 'calling' : 'trying';
  }

  get state(): ClientState {
    return this.#state;
  }

  /** The last response received (provisional or final). */
  get lastResponse(): SipResponse | undefined {
    return this.#lastResponse;
  }

  /** @private */
  start(): void {
    const { t1 } = this.ctx.values;
    if (!this.transmit(this.request, this.destination)) return;
    if (this.method === 'INVITE') {
      if (!this.reliable) this.#armA(t1);
      this.arm('B', 64 * t1, () => this.#timeout());
    } else {
      if (!this.reliable) this.#armE(t1);
      this.arm('F', 64 * t1, () => this.#timeout());
    }
  }

  #armA(interval: number): void {
    this.arm('A', interval, () => {
      if (this.#state !== 'calling') return;
      if (this.transmit(this.request, this.destination)) this.#armA(interval * 2);
    });
  }

  #armE(interval: number): void {
    this.arm('E', interval, () => {
      if (this.#state !== 'trying' && this.#state !== 'proceeding') return;
      if (!this.transmit(this.request, this.destination)) return;
      const { t2 } = this.ctx.values;
      this.#armE(this.#state === 'trying' ? Math.min(interval * 2, t2) : t2);
    });
  }

  /** @private — a response the layer matched to this transaction. */
  receive(res: SipResponse): void {
    if (this.terminated) return;
    if (this.method === 'INVITE') this.#inviteResponse(res);
    else this.#nonInviteResponse(res);
  }

  #inviteResponse(res: SipResponse): void {
    const s = this.#state;
    if (res.status < 200) {
      if (s !== 'calling' && s !== 'proceeding') return;
      this.#state = 'proceeding';
      this.disarm('A');
      this.#deliver(res);
    } else if (res.status < 300) {
      if (s === 'calling' || s === 'proceeding') {
        // RFC 6026 §7.2: stay around for 64*T1 so 2xx retransmissions and forked 2xx reach the TU.
        this.#state = 'accepted';
        this.disarm('A');
        this.disarm('B');
        this.arm('M', 64 * this.ctx.values.t1, () => this.terminate());
        this.#deliver(res);
      } else if (s === 'accepted') this.#deliver(res);
    } else if (s === 'calling' || s === 'proceeding') {
      this.#state = 'completed';
      this.disarm('A');
      this.disarm('B');
      this.#ack = buildAck(this.request, res);
      this.transmit(this.#ack, this.destination);
      this.#deliver(res);
      if (this.terminated) return;
      if (this.reliable) this.terminate();
      else this.arm('D', 32000, () => this.terminate());
    } else if (s === 'completed' && this.#ack !== undefined) {
      // A retransmitted final response means our ACK was lost.
      this.transmit(this.#ack, this.destination);
    }
  }

  #nonInviteResponse(res: SipResponse): void {
    const s = this.#state;
    if (s !== 'trying' && s !== 'proceeding') return;
    if (res.status < 200) {
      this.#state = 'proceeding';
      this.#deliver(res);
      return;
    }
    this.#state = 'completed';
    this.disarm('E');
    this.disarm('F');
    this.#deliver(res);
    if (this.terminated) return;
    if (this.reliable) this.terminate();
    else this.arm('K', this.ctx.values.t4, () => this.terminate());
  }

  #deliver(res: SipResponse, local = false): void {
    this.#lastResponse = res;
    callTu(this.ctx, this.#handlers.onResponse, res, local);
  }

  #timeout(): void {
    const s = this.#state;
    if (this.method === 'INVITE' ? s !== 'calling' : s !== 'trying' && s !== 'proceeding') return;
    this.end = 'timeout';
    this.#state = 'terminated';
    this.#deliver(createResponse(this.request, 408), true);
    this.terminate();
  }

  protected transportFailed(_error: unknown): void {
    if (this.terminated) return;
    const s = this.#state;
    this.end = 'transport-error';
    const beforeFinal = s === 'calling' || s === 'trying' || s === 'proceeding';
    this.#state = 'terminated';
    if (beforeFinal) this.#deliver(createResponse(this.request, 503, { reason: 'Service Unavailable' }), true);
    this.terminate();
  }

  protected onTerminated(): void {
    this.#state = 'terminated';
    callTu(this.ctx, this.#handlers.onTerminated, this.end);
  }
}

/**
 * The ACK a client INVITE transaction sends for a 300-699 response (RFC 3261 §17.1.1.3): Request-URI, Call-ID,
 * From and the CSeq number of the INVITE, the To of the response (with its tag), the INVITE's top Via only, and
 * its Route headers.
 */
export function buildAck(invite: SipRequest, res: SipResponse): SipRequest {
  const h = new SipHeaders();
  const via = invite.headers.first('Via');
  if (via !== undefined) h.append('Via', via);
  for (const r of invite.headers.lines('Route')) h.append('Route', r);
  h.append('Max-Forwards', '70');
  const from = invite.headers.get('From');
  if (from !== undefined) h.append('From', from);
  const to = res.headers.get('To') ?? invite.headers.get('To');
  if (to !== undefined) h.append('To', to);
  const id = invite.headers.get('Call-ID');
  if (id !== undefined) h.append('Call-ID', id);
  h.append('CSeq', `${cseq(invite).seq} ACK`);
  return { type: 'request', method: 'ACK', uri: invite.uri, version: SIP_VERSION, headers: h, body: Buffer.alloc(0) };
}

/**
 * A CANCEL for a pending request (RFC 3261 §9.1): same Request-URI, Call-ID, From, To and CSeq number, the
 * request's top Via only (so the CANCEL shares its branch), and its Route headers. Send it with
 * `TransactionLayer.sendRequest` to the same destination once a provisional response has arrived.
 */
export function buildCancel(req: SipRequest): SipRequest {
  const h = new SipHeaders();
  const via = req.headers.first('Via');
  if (via !== undefined) h.append('Via', via);
  for (const r of req.headers.lines('Route')) h.append('Route', r);
  h.append('Max-Forwards', '70');
  for (const name of ['From', 'To', 'Call-ID']) {
    const v = req.headers.get(name);
    if (v !== undefined) h.append(name, v);
  }
  h.append('CSeq', `${cseq(req).seq} CANCEL`);
  return { type: 'request', method: 'CANCEL', uri: req.uri, version: SIP_VERSION, headers: h, body: Buffer.alloc(0) };
}
