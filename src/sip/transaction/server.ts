/**
 * Server transactions (RFC 3261 §17.2, with RFC 6026's Accepted state for INVITE). The layer creates one per
 * new request and hands it to the TU, which answers with `respond()`. The transaction absorbs retransmitted
 * requests (answering them with the last response sent), retransmits INVITE final responses over UDP until
 * the ACK arrives, and tells the TU when that ACK never comes (Timer H) or the transport fails.
 *
 *   INVITE:      Proceeding --2xx--> Accepted --L--> Terminated
 *                   |--300-699--> Completed --ACK--> Confirmed --I--> Terminated
 *                                     |--H (no ACK)--> Terminated
 *   non-INVITE:  Trying --1xx--> Proceeding --final--> Completed --J--> Terminated
 */

import type { SipRequest, SipResponse } from '../message/message.ts';
import { createResponse } from '../message/helpers.ts';
import { callTu, isReliable, Transaction, type SipAddress, type TransactionContext, type TransactionEnd } from './transaction.ts';

export type ServerState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface ServerHandlers {
  /** An ACK that matched this INVITE transaction after a 2xx (RFC 6026 Accepted state). */
  readonly onAck?: (ack: SipRequest) => void;
  /** Timer H fired: the final non-2xx response was never acknowledged. */
  readonly onTimeout?: () => void;
  /** A response could not be sent. */
  readonly onTransportError?: (error: unknown) => void;
  readonly onTerminated?: (end: TransactionEnd) => void;
}

export interface ServerOptions {
  /** Delay after which an INVITE gets an automatic 100 Trying if the TU has not answered; `false` disables. */
  readonly trying100Ms: number | false;
}

export class ServerTransaction extends Transaction {
  readonly request: SipRequest;
  readonly method: string;
  /** Where the request came from. */
  readonly source: SipAddress;
  /** Where responses go (RFC 3261 §18.2.2 with RFC 3581 rport), fixed when the request arrived. */
  readonly responseDestination: SipAddress;
  #state: ServerState;
  #handlers: ServerHandlers = {};
  #last: SipResponse | undefined;

  /** @private — created by the layer for each new request. */
  constructor(ctx: TransactionContext, key: string, request: SipRequest, source: SipAddress, destination: SipAddress, options: ServerOptions) {
    super(ctx, key, isReliable(source.transport));
    this.request = request;
    this.method = request.method;
    this.source = source;
    this.responseDestination = destination;
    this.#state = request.method === 'INVITE' ? 'proceeding' : 'trying';
    if (request.method === 'INVITE' && options.trying100Ms !== false) {
      this.arm('trying', options.trying100Ms, () => {
        if (this.#last === undefined) this.respond(createResponse(request, 100));
      });
    }
  }

  get state(): ServerState {
    return this.#state;
  }

  /** The last response sent. */
  get lastResponse(): SipResponse | undefined {
    return this.#last;
  }

  /** Sets the TU callbacks (the TU gets the transaction first, then decides what it wants to hear). */
  setHandlers(handlers: ServerHandlers): void {
    this.#handlers = handlers;
  }

  /**
   * Sends a response. Returns false when the state does not allow it (a final response was already sent:
   * RFC 3261 discards it; only an INVITE's 2xx may be repeated, in Accepted, for the TU's own retransmissions).
   */
  respond(res: SipResponse): boolean {
    if (this.terminated) return false;
    const s = this.#state;
    if (this.method === 'INVITE') {
      if (s === 'accepted') {
        if (res.status < 200 || res.status >= 300) return false;
        this.#send(res);
        return true;
      }
      if (s !== 'proceeding') return false;
      this.disarm('trying');
      if (res.status < 200) {
        this.#send(res);
      } else if (res.status < 300) {
        this.#state = 'accepted';
        this.arm('L', 64 * this.ctx.values.t1, () => this.terminate());
        this.#send(res);
      } else {
        this.#state = 'completed';
        const { t1 } = this.ctx.values;
        if (!this.reliable) this.#armG(t1);
        this.arm('H', 64 * t1, () => {
          this.end = 'timeout';
          callTu(this.ctx, this.#handlers.onTimeout);
          this.terminate();
        });
        this.#send(res);
      }
      return true;
    }
    if (s !== 'trying' && s !== 'proceeding') return false;
    if (res.status < 200) {
      this.#state = 'proceeding';
      this.#send(res);
      return true;
    }
    this.#state = 'completed';
    if (this.reliable) {
      this.#send(res);
      this.terminate();
    } else {
      this.arm('J', 64 * this.ctx.values.t1, () => this.terminate());
      this.#send(res);
    }
    return true;
  }

  #armG(interval: number): void {
    this.arm('G', interval, () => {
      if (this.#state !== 'completed' || this.#last === undefined) return;
      this.#send(this.#last);
      if (!this.terminated) this.#armG(Math.min(interval * 2, this.ctx.values.t2));
    });
  }

  #send(res: SipResponse): void {
    this.#last = res;
    this.transmit(res, this.responseDestination);
  }

  /** @private — a request the layer matched to this transaction (retransmission or ACK). */
  receive(req: SipRequest): void {
    if (this.terminated) return;
    const s = this.#state;
    if (req.method === 'ACK') {
      if (this.method !== 'INVITE') return;
      if (s === 'completed') {
        this.#state = 'confirmed';
        this.disarm('G');
        this.disarm('H');
        if (this.reliable) this.terminate();
        else this.arm('I', this.ctx.values.t4, () => this.terminate());
      } else if (s === 'accepted') {
        callTu(this.ctx, this.#handlers.onAck, req);
      }
      return;
    }
    // A retransmission of the request: repeat the last provisional or final response, as the state says.
    if (this.#last === undefined) return;
    if (s === 'proceeding' || s === 'completed') {
      this.transmit(this.#last, this.responseDestination);
    }
    // Accepted (RFC 6026 §8.5) and Confirmed absorb retransmissions without answering.
  }

  protected transportFailed(error: unknown): void {
    if (this.terminated) return;
    this.end = 'transport-error';
    callTu(this.ctx, this.#handlers.onTransportError, error);
    this.terminate();
  }

  protected onTerminated(): void {
    this.#state = 'terminated';
    callTu(this.ctx, this.#handlers.onTerminated, this.end);
  }
}
