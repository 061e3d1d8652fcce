/**
 * What client and server transactions share: the address types, the injected `send`, the named timers a
 * transaction owns (all cleared when it terminates), and transport-error handling (a `send` that throws or
 * whose promise rejects ends the transaction, RFC 3261 §17.1.4 and §17.2.4).
 */

import type { SipMessage } from '../message/message.ts';
import type { TimerValues, TransactionTimers } from './timers.ts';

/** Where a message goes or came from. `transport` is upper case (UDP, TCP, TLS, WS, WSS). */
export interface SipAddress {
  readonly transport: string;
  readonly host: string;
  readonly port: number;
  /** The transport's id for a connection (TCP/TLS/WS), so responses reuse the connection a request came on. */
  readonly connection?: string;
}

/**
 * Hands a message to the transport layer. A synchronous throw or a rejected promise is a transport error for
 * the transaction that sent it.
 */
export type SendFn = (message: SipMessage, destination: SipAddress) => void | Promise<void>;

/** UDP is the only unreliable transport SIP runs over here; retransmission timers apply to it alone. */
export function isReliable(transport: string): boolean {
  return transport.toUpperCase() !== 'UDP';
}

export interface TransactionContext {
  readonly send: SendFn;
  readonly timers: TransactionTimers;
  readonly values: TimerValues;
  /** Called once when the transaction terminates, so its owner drops it from the matching table. */
  readonly terminated: (key: string) => void;
  /** Where an exception thrown by a TU callback goes (it must not unwind into the state machine). */
  readonly tuError: (error: unknown) => void;
}

/** How a transaction ended, given to the TU's `onTerminated`. */
export type TransactionEnd = 'completed' | 'timeout' | 'transport-error' | 'aborted';

export abstract class Transaction {
  /** The matching key (see layer.ts). */
  readonly key: string;
  readonly reliable: boolean;
  protected readonly ctx: TransactionContext;
  readonly #timers = new Map<string, unknown>();
  #done = false;
  /** Set before `terminate()` when the end is not a normal completion. */
  protected end: TransactionEnd = 'completed';

  constructor(ctx: TransactionContext, key: string, reliable: boolean) {
    this.ctx = ctx;
    this.key = key;
    this.reliable = reliable;
  }

  get terminated(): boolean {
    return this.#done;
  }

  /** Names of the timers armed now (for tests and `sip show` style diagnostics). */
  get activeTimers(): string[] {
    return [...this.#timers.keys()];
  }

  protected arm(name: string, ms: number, fn: () => void): void {
    this.disarm(name);
    const handle = this.ctx.timers.setTimeout(() => {
      this.#timers.delete(name);
      if (!this.#done) fn();
    }, ms);
    this.#timers.set(name, handle);
  }

  protected disarm(name: string): void {
    const h = this.#timers.get(name);
    if (h !== undefined) {
      this.ctx.timers.clearTimeout(h);
      this.#timers.delete(name);
    }
  }

  /** Sends and routes a failure to `onTransportError`; returns false when `send` threw synchronously. */
  protected transmit(message: SipMessage, destination: SipAddress): boolean {
    let result: void | Promise<void>;
    try {
      result = this.ctx.send(message, destination);
    } catch (e) {
      this.transportFailed(e);
      return false;
    }
    if (result instanceof Promise) result.catch((e: unknown) => this.transportFailed(e));
    return true;
  }

  protected abstract transportFailed(error: unknown): void;

  /** Moves to Terminated: timers cleared, the owner told once. Later events are ignored. */
  protected terminate(): void {
    if (this.#done) return;
    this.#done = true;
    for (const h of this.#timers.values()) this.ctx.timers.clearTimeout(h);
    this.#timers.clear();
    this.ctx.terminated(this.key);
    this.onTerminated();
  }

  protected abstract onTerminated(): void;

  /** Ends the transaction at once; the TU hears only `onTerminated('aborted')` (layer shutdown). */
  abort(): void {
    if (!this.#done) this.end = 'aborted';
    this.terminate();
  }
}

/** Calls a TU callback; a throwing TU must not break the state machine that called it. */
export function callTu<A extends unknown[]>(ctx: TransactionContext, fn: ((...args: A) => void) | undefined, ...args: A): void {
  if (fn === undefined) return;
  try {
    fn(...args);
  } catch (e) {
    ctx.tuError(e);
  }
}
