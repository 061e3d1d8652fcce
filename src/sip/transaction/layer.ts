/**
 * The transaction layer (RFC 3261 §17): sits between a transport (which calls `receive` with parsed messages
 * and is called through the injected `send`) and the transaction users above it (dialogs, registrar, the
 * PJSIP-style driver). It keeps the two matching tables:
 *
 * - client transactions by top-Via branch + CSeq method (§17.1.3), so an INVITE and its CANCEL, which share
 *   a branch, stay apart;
 * - server transactions by branch + sent-by + method, with ACK looked up as INVITE (§17.2.3); requests whose
 *   branch lacks the `z9hG4bK` cookie (RFC 2543 peers) are keyed on Request-URI, From tag, Call-ID, CSeq
 *   number and the whole top Via instead.
 *
 * A new request creates a server transaction and goes to `onRequest`; an ACK that matches nothing (the ACK for
 * a 2xx, which is a transaction of its own) goes to `onAck`; a response that matches nothing goes to
 * `onStrayResponse`. CANCEL gets its own server transaction, and `findInviteServer` finds the INVITE it cancels.
 *
 * @example
 * const layer = new TransactionLayer({ send: (msg, dest) => udp.send(serializeMessage(msg), dest), onRequest });
 * udp.on('message', (buf, rinfo) => layer.receive(parseMessage(buf), { transport: 'UDP', host: rinfo.address, port: rinfo.port }));
 */

import { MAGIC_COOKIE, stampVia } from '../message/helpers.ts';
import { callId, cseq, tagOf, topVia, type SipMessage, type SipRequest, type SipResponse } from '../message/message.ts';
import { SipParseError } from '../message/errors.ts';
import { ClientTransaction, type ClientHandlers } from './client.ts';
import { ServerTransaction } from './server.ts';
import { DEFAULT_TIMER_VALUES, realTimers, type TimerValues, type TransactionTimers } from './timers.ts';
import { isReliable, type SendFn, type SipAddress, type TransactionContext } from './transaction.ts';

export interface TransactionLayerOptions {
  readonly send: SendFn;
  /** Default: the real clock (unref'd timers). */
  readonly timers?: TransactionTimers;
  /** T1/T2/T4 overrides. */
  readonly values?: Partial<TimerValues>;
  /** A request that starts a new server transaction (CANCEL included). The TU must answer through `tx`. */
  readonly onRequest: (request: SipRequest, tx: ServerTransaction) => void;
  /** An ACK that matched no transaction: the ACK for a 2xx, for the dialog layer. */
  readonly onAck?: (ack: SipRequest, source: SipAddress) => void;
  /** A response that matched no client transaction (a late 2xx retransmission, a misrouted response). */
  readonly onStrayResponse?: (response: SipResponse, source: SipAddress) => void;
  /** 100 Trying for INVITEs the TU has not answered after this many ms (default 200, RFC 3261 §17.2.1). */
  readonly trying100Ms?: number | false;
  /** Add `received`/`rport` to the top Via of incoming requests (default true, §18.2.1, RFC 3581). */
  readonly stampVia?: boolean;
  /** Exceptions thrown by TU callbacks (default: logged to stderr). */
  readonly onTuError?: (error: unknown) => void;
}

/** What `receive` did with a message (for counters and logs). */
export type ReceiveResult = 'new' | 'matched' | 'ack' | 'stray' | 'invalid';

export class TransactionLayer {
  readonly #clients = new Map<string, ClientTransaction>();
  readonly #servers = new Map<string, ServerTransaction>();
  readonly #options: TransactionLayerOptions;
  readonly #clientCtx: TransactionContext;
  readonly #serverCtx: TransactionContext;
  readonly #trying100: number | false;
  #closed = false;

  constructor(options: TransactionLayerOptions) {
    this.#options = options;
    const timers = options.timers ?? realTimers;
    const values = { ...DEFAULT_TIMER_VALUES, ...options.values };
    const tuError = options.onTuError ?? ((e: unknown) => console.error('ariadne:sip:transaction TU callback threw', e));
    this.#clientCtx = { send: options.send, timers, values, tuError, terminated: (key) => this.#clients.delete(key) };
    this.#serverCtx = { send: options.send, timers, values, tuError, terminated: (key) => this.#servers.delete(key) };
    this.#trying100 = options.trying100Ms ?? 200;
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  get serverCount(): number {
    return this.#servers.size;
  }

  /**
   * Starts a client transaction. The request's top Via must carry a `z9hG4bK` branch unique to it (a CANCEL
   * reuses its INVITE's). Throws TypeError for ACK (not a transaction: use `sendStateless`) or a bad branch.
   */
  sendRequest(request: SipRequest, destination: SipAddress, handlers: ClientHandlers): ClientTransaction {
    if (this.#closed) throw new TypeError('transaction layer is closed');
    if (request.method === 'ACK') throw new TypeError('ACK is not sent in a transaction; use sendStateless');
    const branch = topVia(request).branch;
    if (branch === undefined || !branch.startsWith(MAGIC_COOKIE)) throw new TypeError(`request needs a top Via branch starting with ${MAGIC_COOKIE}`);
    const key = `${branch}|${request.method}`;
    if (this.#clients.has(key)) throw new TypeError(`a client transaction with branch ${branch} and method ${request.method} exists`);
    const tx = new ClientTransaction(this.#clientCtx, key, branch, request, destination, handlers);
    this.#clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Sends a message outside any transaction: the ACK for a 2xx, a stateless 400/503. */
  sendStateless(message: SipMessage, destination: SipAddress): void | Promise<void> {
    return this.#options.send(message, destination);
  }

  /**
   * Feeds a message from the transport. `source` is the peer's address (and connection) it came from.
   * Never throws for bad input: a message whose Via/CSeq cannot be read is reported as `invalid`.
   */
  receive(message: SipMessage, source: SipAddress): ReceiveResult {
    if (this.#closed) return 'invalid';
    try {
      return message.type === 'request' ? this.#receiveRequest(message, source) : this.#receiveResponse(message, source);
    } catch (e) {
      if (e instanceof SipParseError) return 'invalid';
      throw e;
    }
  }

  #receiveRequest(req: SipRequest, source: SipAddress): ReceiveResult {
    if (this.#options.stampVia !== false) stampVia(req, source);
    const key = serverKey(req, req.method === 'ACK' ? 'INVITE' : req.method);
    const tx = this.#servers.get(key);
    if (tx !== undefined) {
      tx.receive(req);
      return 'matched';
    }
    if (req.method === 'ACK') {
      this.#callTu(this.#options.onAck, req, source);
      return 'ack';
    }
    const created = new ServerTransaction(this.#serverCtx, key, req, source, responseDestination(req, source), { trying100Ms: this.#trying100 });
    this.#servers.set(key, created);
    this.#callTu(this.#options.onRequest, req, created);
    return 'new';
  }

  #receiveResponse(res: SipResponse, source: SipAddress): ReceiveResult {
    const branch = topVia(res).branch;
    const tx = branch === undefined ? undefined : this.#clients.get(`${branch}|${cseq(res).method}`);
    if (tx === undefined) {
      this.#callTu(this.#options.onStrayResponse, res, source);
      return 'stray';
    }
    tx.receive(res);
    return 'matched';
  }

  /** The INVITE server transaction a CANCEL refers to (RFC 3261 §9.2), if it still exists. */
  findInviteServer(cancel: SipRequest): ServerTransaction | undefined {
    try {
      return this.#servers.get(serverKey(cancel, 'INVITE'));
    } catch (e) {
      if (e instanceof SipParseError) return undefined;
      throw e;
    }
  }

  /** Aborts every transaction (their timers stop; TUs get `onTerminated('aborted')`). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const tx of [...this.#clients.values(), ...this.#servers.values()]) tx.abort();
  }

  #callTu<A extends unknown[]>(fn: ((...args: A) => void) | undefined, ...args: A): void {
    if (fn === undefined) return;
    try {
      fn(...args);
    } catch (e) {
      this.#clientCtx.tuError(e);
    }
  }
}

/** The server-side matching key of RFC 3261 §17.2.3 for `req`, looked up as `method`. */
export function serverKey(req: SipRequest, method: string): string {
  const via = topVia(req);
  const branch = via.branch;
  if (branch !== undefined && branch.startsWith(MAGIC_COOKIE)) return `${branch}|${via.sentBy}|${method}`;
  // RFC 2543 peers: no reliable branch, so match on the request's identity. The To tag is left out because the
  // ACK for a non-2xx carries the tag our response added, which the INVITE did not have.
  return `2543|${req.uri}|${tagOf(req, 'From') ?? ''}|${callId(req)}|${cseq(req).seq}|${via.toString()}|${method}`;
}

/**
 * Where the responses to `req` go (RFC 3261 §18.2.2, RFC 3581 §4): back over the same connection for a
 * reliable transport; otherwise to `maddr` if present, to the source address and port when the client asked
 * for rport, else to `received` (or the sent-by host) at the sent-by port.
 */
export function responseDestination(req: SipRequest, source: SipAddress): SipAddress {
  if (isReliable(source.transport)) return source;
  const via = topVia(req);
  const transport = source.transport;
  const defaultPort = 5060;
  if (via.maddr !== undefined) return { transport, host: via.maddr, port: via.port ?? defaultPort };
  const rport = via.rport;
  if (rport === true) return { transport, host: source.host, port: source.port };
  if (typeof rport === 'number') return { transport, host: via.received ?? source.host, port: rport };
  return { transport, host: via.received ?? via.host, port: via.port ?? defaultPort };
}
