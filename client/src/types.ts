/**
 * Types shared by the hand-written runtime and the generated API tables (`client/generated/api.ts`). They
 * describe what a call sends, not what the server answers; the answers are the models in `generated/models.ts`.
 */

import type { ConfigTuple } from '../generated/models.ts';

/** HTTP methods ARI uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Channel or bridge variables as sent in a JSON body: a plain string, or `{ value, report_events }` to have later
 * changes of the variable reported in channel/bridge events (Asterisk 22+ and Ariadne).
 *
 * @example
 * await ari.channels.originate({ endpoint: 'PJSIP/alice', app: 'demo', variables: { 'CALLERID(num)': '100' } });
 */
export type VariableMap = Readonly<Record<string, string | { readonly value: string; readonly report_events?: boolean }>>;

/**
 * An application's event filter (`PUT /applications/{name}/eventFilter`): event types to let through, or to drop.
 *
 * @example
 * await ari.applications.filter({ applicationName: 'demo', filter: { allowed: [{ type: 'StasisStart' }] } });
 */
export interface EventFilter {
  readonly allowed?: readonly { readonly type: string }[];
  readonly disallowed?: readonly { readonly type: string }[];
}

/** The `fields` body of a dynamic configuration update. */
export type ConfigFields = readonly ConfigTuple[];

/** Per-call options accepted by every generated method as its second argument. */
export interface CallOptions {
  /** Aborts the HTTP request (or stops waiting for the answer when the call went over the WebSocket). */
  readonly signal?: AbortSignal;
}

/** How one operation is sent; one entry per operation in `generated/api.ts`. */
export interface OperationEntry {
  /** Resource (api-docs file) name: `channels`, `bridges`, … */
  readonly resource: string;
  /** Operation nickname, the method name: `originate`, `answer`, … */
  readonly name: string;
  readonly method: HttpMethod;
  /** Path below `/ari`, with `{param}` placeholders. */
  readonly path: string;
  /** Names of the path parameters, in the order they appear. */
  readonly pathParams: readonly string[];
  /** Names of the query-string parameters. */
  readonly query: readonly string[];
  /**
   * The body parameter, if any. `wrap` sends `{ [name]: value }` (`variables`, `fields`); otherwise the value is
   * the whole body (an application's `filter`).
   */
  readonly body?: { readonly name: string; readonly wrap: boolean };
  /** How to read a successful answer. */
  readonly returns: 'json' | 'void' | 'binary';
}

/** Kinds of object that events refer to and that the client offers handles for. */
export type ObjectKind = 'Channel' | 'Bridge' | 'Playback' | 'LiveRecording';
