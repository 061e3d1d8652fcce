/**
 * The HTTP layer's own small vocabulary. Interfaces above HTTP (ARI today) see requests and answer them
 * through these plain values, never through framework objects, so that the same handlers can serve
 * REST-over-WebSocket requests and tests without a socket.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** One header as it goes on the wire; names keep their spelling (`Content-type` as Asterisk writes it). */
export type HeaderPair = readonly [name: string, value: string];

export interface HttpRequest {
  readonly method: string;
  /** Path below the URI handler's mount point, percent-encoded as received, without the query, e.g. `/channels/x`. */
  readonly path: string;
  /** Raw query string without `?` ('' when none). */
  readonly query: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Raw body bytes, empty when none. */
  readonly body: Buffer;
  readonly remoteAddress: string;
  /** True when the request came over the TLS listener. */
  readonly secure: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: readonly HeaderPair[];
  /** Text, bytes, or a file streamed from disk (a recording of any size never sits in memory). */
  readonly body?: string | Buffer | FileBody;
}

/**
 * A response body read from a file while it is sent: its first `size` bytes (measured when the answer was
 * made, so a file still growing is sent as it was then and `Content-Length` stays true).
 */
export class FileBody {
  readonly path: string;
  readonly size: number;
  constructor(path: string, size: number) {
    this.path = path;
    this.size = size;
  }
}

/** A handler mounted on a first path segment (`ari` for `/ari/...`), like Asterisk's `ast_http_uri`. */
export interface UriHandler {
  /** First path segment it serves, without slashes: `ari`. */
  readonly uri: string;
  /** Shown by `http show status` under "Enabled URI's". */
  readonly description: string;
  /** False when only the exact path is served (`/ws`); otherwise everything below it (`/ari/...`). */
  readonly subtree?: boolean;
  handle(request: HttpRequest): Promise<HttpResponse> | HttpResponse;
  /**
   * Takes over an HTTP upgrade (WebSocket) on this URI. It must either complete the upgrade or write an
   * HTTP response on the socket and destroy it.
   */
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer, info: UpgradeInfo): void;
}

/** What the HTTP server tells a URI handler about an upgrade request. */
export interface UpgradeInfo {
  /** Path below the mount point, as in `HttpRequest.path`. */
  readonly path: string;
  /** Raw query string without `?`. */
  readonly query: string;
  readonly secure: boolean;
  /** Headers every answer carries (`Server`), for error responses written with `writeRawResponse`. */
  readonly serverHeaders: readonly HeaderPair[];
}
