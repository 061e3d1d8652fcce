/**
 * `/ws`, the generic WebSocket endpoint Asterisk's res_http_websocket serves, where other modules offer
 * subprotocols (SIP over WebSocket will live here). With no subprotocol registered yet, an upgrade is refused
 * with 400 and a plain request with 426, so the URI exists, as operators expect from `http show status`.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpRequest, HttpResponse, UpgradeInfo, UriHandler } from './types.ts';
import { htmlErrorPage } from './html.ts';
import { writeRawResponse, type HttpServer } from './server.ts';

export class WsUri implements UriHandler {
  readonly uri = 'ws';
  readonly description = 'Asterisk HTTP WebSocket';
  readonly subtree = false;
  readonly #server: HttpServer;

  constructor(server: HttpServer) {
    this.#server = server;
  }

  handle(_request: HttpRequest): HttpResponse {
    return { status: 426, headers: [['Content-type', 'text/html']], body: htmlErrorPage(426, '', this.#server.config.servername) };
  }

  upgrade(req: IncomingMessage, socket: Duplex, _head: Buffer, info: UpgradeInfo): void {
    const offered = req.headers['sec-websocket-protocol'] ?? '';
    writeRawResponse(
      socket,
      {
        status: 400,
        headers: [['Content-type', 'text/html']],
        body: htmlErrorPage(400, `No WebSocket protocol handler for '${offered}'`, this.#server.config.servername),
      },
      info.serverHeaders,
    );
  }
}
