/**
 * `/ws`, the generic WebSocket endpoint Asterisk's res_http_websocket serves, where other modules offer
 * subprotocols (`sip` for SIP over WebSocket, src/sip/transport/websocket.ts). The client's first offered
 * subprotocol we serve is accepted; a client that offers none gets the only one when exactly one is served
 * (as Asterisk does). Otherwise the upgrade is refused with 400; a plain request gets 426, so the URI exists,
 * as operators expect from `http show status`.
 */

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HttpRequest, HttpResponse, UpgradeInfo, UriHandler } from './types.ts';
import { htmlErrorPage } from './html.ts';
import { writeRawResponse, type HttpServer } from './server.ts';

/** A subprotocol served on `/ws`: `accept` owns the WebSocket from the moment the upgrade completes. */
export interface WebSocketProtocol {
  readonly name: string;
  accept(ws: WebSocket, request: IncomingMessage, info: UpgradeInfo): void;
}

export class WsUri implements UriHandler {
  readonly uri = 'ws';
  readonly description = 'Asterisk HTTP WebSocket';
  readonly subtree = false;
  readonly #server: HttpServer;
  readonly #protocols: ReadonlyMap<string, WebSocketProtocol>;
  #wss: WebSocketServer | undefined;

  constructor(server: HttpServer, protocols: readonly WebSocketProtocol[] = []) {
    this.#server = server;
    this.#protocols = new Map(protocols.map((p) => [p.name, p]));
  }

  handle(_request: HttpRequest): HttpResponse {
    return { status: 426, headers: [['Content-type', 'text/html']], body: htmlErrorPage(426, '', this.#server.config.servername) };
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, info: UpgradeInfo): void {
    const offered = req.headers['sec-websocket-protocol'] ?? '';
    const names = offered.split(',').map((p) => p.trim()).filter((p) => p !== '');
    const only = this.#protocols.size === 1 ? [...this.#protocols.values()][0] : undefined;
    const protocol = names.length === 0 ? only : names.map((n) => this.#protocols.get(n)).find((p) => p !== undefined);
    if (protocol === undefined) {
      writeRawResponse(
        socket,
        {
          status: 400,
          headers: [['Content-type', 'text/html']],
          body: htmlErrorPage(400, `No WebSocket protocol handler for '${offered}'`, this.#server.config.servername),
        },
        info.serverHeaders,
      );
      return;
    }
    this.#wss ??= new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024, handleProtocols: (set) => (set.size === 0 ? false : [...set].find((n) => this.#protocols.has(n)) ?? false) });
    this.#wss.handleUpgrade(req, socket as Socket, head, (ws) => protocol.accept(ws, req, info));
  }
}
