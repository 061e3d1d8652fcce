/**
 * ARI as one unit mounted on the HTTP server under `/ari`: the request dispatcher for REST and the events
 * WebSocket for upgrades. Resource handlers come in from the composition root (main.ts) so that this module
 * stays free of core wiring.
 */

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AriConfig } from '../config/types.ts';
import type { HttpRequest, HttpResponse, UpgradeInfo, UriHandler } from '../http/types.ts';
import { writeRawResponse } from '../http/server.ts';
import type { Logger } from '../shared/logger.ts';
import type { AppRegistry } from '../stasis/app-registry.ts';
import { ApiDocs } from './api-docs.ts';
import { AriDispatcher, type HandlerMap } from './dispatcher.ts';
import { operations } from './generated/operations.ts';
import { EventSocketServer } from './ws/event-socket.ts';

export interface AriInterfaceOptions {
  readonly config: AriConfig;
  readonly handlers: HandlerMap;
  readonly apps: AppRegistry;
  readonly logger: Logger;
  readonly asteriskId: () => string;
  readonly httpPrefix: string;
  readonly maxBufferedBytes?: number;
  readonly pingIntervalMs?: number;
}

export class AriInterface implements UriHandler {
  readonly uri = 'ari';
  readonly description = 'Asterisk RESTful API';
  readonly dispatcher: AriDispatcher;
  readonly events: EventSocketServer;
  #enabled: boolean;

  constructor(options: AriInterfaceOptions) {
    this.#enabled = options.config.enabled;
    this.dispatcher = new AriDispatcher({
      config: options.config,
      operations,
      handlers: options.handlers,
      apiDocs: new ApiDocs(),
      logger: options.logger,
      httpPrefix: options.httpPrefix,
    });
    this.events = new EventSocketServer({
      dispatcher: this.dispatcher,
      apps: options.apps,
      logger: options.logger,
      asteriskId: options.asteriskId,
      ...(options.maxBufferedBytes !== undefined ? { maxBufferedBytes: options.maxBufferedBytes } : {}),
      ...(options.pingIntervalMs !== undefined ? { pingIntervalMs: options.pingIntervalMs } : {}),
    });
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  reconfigure(config: AriConfig): void {
    this.#enabled = config.enabled;
    this.dispatcher.reconfigure(config);
  }

  handle(request: HttpRequest): Promise<HttpResponse> | HttpResponse {
    if (!this.#enabled) return { status: 404, headers: [['Content-type', 'application/json']], body: '{"message":"Resource not found"}' };
    return this.dispatcher.handle(request);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, info: UpgradeInfo): void {
    if (!this.#enabled || info.path.replace(/\/+$/, '') !== '/events') {
      writeRawResponse(
        socket,
        { status: 404, headers: [['Content-type', 'application/json']], body: '{"message":"Resource not found"}' },
        info.serverHeaders,
      );
      return;
    }
    this.events.upgrade(req, socket, head, info);
  }

  close(): void {
    this.events.close();
  }
}
