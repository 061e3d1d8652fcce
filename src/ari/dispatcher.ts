/**
 * The ARI request pipeline, shared by HTTP and REST-over-WebSocket:
 *
 *   CORS headers → preflight (answered without credentials) → authentication (401/403) → read-only (403)
 *   → api-docs → route (404 / 405 + Allow / OPTIONS 204) → parameters (400) → handler (501 when the
 *   capability belongs to a later release) → JSON (pretty or compact per ari.conf).
 *
 * Handlers are looked up by `<resource>.<nickname>` and return `{ status, body }` or throw `AriError` /
 * `AriadneError`. They never see HTTP objects.
 */

import type { AriConfig, AriUser } from '../config/types.ts';
import { FileBody, type HeaderPair, type HttpRequest, type HttpResponse } from '../http/types.ts';
import { Authenticator } from '../http/auth/authenticate.ts';
import { corsHeaders, preflightHeaders } from '../http/cors.ts';
import type { Logger } from '../shared/logger.ts';
import type { OperationSpec } from './operation.ts';
import { Router } from './router.ts';
import { ParamError, parseParams, type ParamMessages, type Params } from './params.ts';
import { toAriError } from './errors.ts';
import type { ApiDocs } from './api-docs.ts';

export interface AriRequestInfo {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly secure: boolean;
  readonly remoteAddress: string;
}

export interface AriContext {
  readonly params: Params;
  readonly user: AriUser;
  readonly request: AriRequestInfo;
  readonly op: OperationSpec;
}

export interface AriResult {
  readonly status: number;
  /** JSON, a Buffer sent as it is, or a file streamed from disk (`FileBody`, HTTP only). */
  readonly body?: unknown;
  /** Extra response headers (`Location` of a created playback; `Content-Type` of a Buffer body). */
  readonly headers?: readonly HeaderPair[];
}

export interface OperationHandler {
  handle(ctx: AriContext): AriResult | Promise<AriResult>;
  /** Asterisk's own wording for some parameter errors. */
  readonly messages?: ParamMessages;
  /**
   * The operation is not served yet: the handler only answers what does not depend on it (an unknown
   * channel's 404, a channel outside Stasis's 409) and then 501. Coverage counts it as not served.
   */
  readonly pending?: boolean;
}

/** Handlers keyed by `<resource>.<nickname>`, e.g. `asterisk.ping`. */
export type HandlerMap = Readonly<Record<string, OperationHandler>>;

export interface DispatcherOptions {
  readonly config: AriConfig;
  readonly operations: readonly OperationSpec[];
  readonly handlers: HandlerMap;
  readonly apiDocs: ApiDocs;
  readonly logger: Logger;
  /** URI prefix from http.conf (without slashes), for api-docs basePath. */
  readonly httpPrefix: string;
}

const JSON_TYPE: HeaderPair = ['Content-type', 'application/json'];

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export class AriDispatcher {
  #config: AriConfig;
  #auth: Authenticator;
  readonly #router: Router;
  readonly #handlers: HandlerMap;
  readonly #apiDocs: ApiDocs;
  readonly #logger: Logger;
  readonly #httpPrefix: string;

  constructor(options: DispatcherOptions) {
    this.#config = options.config;
    this.#auth = new Authenticator(options.config.users);
    this.#router = new Router(options.operations);
    this.#handlers = options.handlers;
    this.#apiDocs = options.apiDocs;
    this.#logger = options.logger;
    this.#httpPrefix = options.httpPrefix;
  }

  get config(): AriConfig {
    return this.#config;
  }

  /** `<resource>.<nickname>` of every operation that is served (WebSocket upgrades included). */
  implemented(operations: readonly OperationSpec[]): Set<string> {
    const out = new Set<string>();
    for (const op of operations) {
      const key = `${op.resource}.${op.nickname}`;
      const handler = this.#handlers[key];
      if (op.upgrade === 'websocket' || (handler && !handler.pending)) out.add(key);
    }
    return out;
  }

  /** Applies a re-read ari.conf; live connections keep going. */
  reconfigure(config: AriConfig): void {
    this.#config = config;
    this.#auth = new Authenticator(config.users);
  }

  /** Authenticates a request's credentials; used by the WebSocket upgrade as well. */
  authenticate(authorization: string | undefined, apiKey: string | undefined, remoteAddress: string) {
    return this.#auth.authenticateRequest(authorization, apiKey, remoteAddress);
  }

  /** Serialises a JSON body the way ari.conf's `pretty` says. */
  json(body: unknown): string {
    return this.#config.pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body);
  }

  #error(status: number, message: string, extra: readonly HeaderPair[] = []): HttpResponse {
    return { status, headers: [...extra, JSON_TYPE], body: this.json({ message }) };
  }

  /** Handles one HTTP request whose path is relative to `/ari`. */
  async handle(req: HttpRequest): Promise<HttpResponse> {
    const origin = headerValue(req.headers.origin);
    const cors = corsHeaders(this.#config.allowedOrigins, origin);
    const query = new URLSearchParams(req.query);
    const method = req.method.toUpperCase();

    // Preflights carry no credentials; answering them is what lets browsers use ARI at all.
    const acrm = headerValue(req.headers['access-control-request-method']);
    if (method === 'OPTIONS' && acrm !== undefined && origin !== undefined) return this.#options(req, origin, acrm);

    const auth = this.authenticate(headerValue(req.headers.authorization), query.get('api_key') ?? undefined, req.remoteAddress);
    if (!auth.ok) {
      const extra: HeaderPair[] = [...cors];
      if (auth.status === 401) extra.push(['WWW-Authenticate', `Basic realm="${this.#config.authRealm}"`]);
      return this.#error(auth.status, auth.message, extra);
    }
    if (method === 'OPTIONS') return this.#options(req, origin, acrm);
    return this.invoke(
      {
        method,
        path: req.path,
        query,
        contentType: headerValue(req.headers['content-type']) ?? '',
        body: req.body,
        info: {
          method,
          path: req.path,
          host: headerValue(req.headers.host) ?? '',
          secure: req.secure,
          remoteAddress: req.remoteAddress,
        },
      },
      auth.user,
      cors,
      true,
    );
  }

  #options(req: HttpRequest, origin: string | undefined, acrm: string | undefined): HttpResponse {
    const route = this.#router.match('OPTIONS', req.path);
    const cors = corsHeaders(this.#config.allowedOrigins, origin);
    if (route.kind === 'none') return this.#error(404, 'Resource not found', cors);
    const pre = preflightHeaders(
      this.#config.allowedOrigins,
      origin,
      acrm,
      headerValue(req.headers['access-control-request-headers']),
      route.allow,
    );
    return { status: 204, headers: [...pre, ['Allow', route.allow.join(',')]] };
  }

  /**
   * Runs an authenticated request through read-only checks, routing, parameters and the handler.
   * REST-over-WebSocket requests enter here with the socket's user. Only HTTP can stream a file body
   * (`fileBodies`); elsewhere an operation answering a file gets 406, as Asterisk answers over its WebSocket.
   */
  async invoke(
    r: {
      method: string;
      path: string;
      query: URLSearchParams;
      contentType: string;
      body: Buffer | string;
      info: AriRequestInfo;
    },
    user: AriUser,
    cors: readonly HeaderPair[] = [],
    fileBodies = false,
  ): Promise<HttpResponse> {
    const { method } = r;
    if (user.readOnly && method !== 'GET' && method !== 'OPTIONS') return this.#error(403, 'Write access denied', cors);

    if (r.path.startsWith('/api-docs/') || r.path === '/api-docs') return this.#apiDocsResponse(r.path, method, r.info, cors);

    const route = this.#router.match(method, r.path);
    if (route.kind === 'none') return this.#error(404, 'Resource not found', cors);
    if (route.kind === 'method') return this.#error(405, 'Invalid method', [...cors, ['Allow', route.allow.join(',')]]);
    const op = route.op;
    const key = `${op.resource}.${op.nickname}`;
    const handler = this.#handlers[key];

    // Body: JSON object or form fields; anything else that is not empty is rejected.
    let json: Record<string, unknown> | undefined;
    let form: URLSearchParams | undefined;
    const bodyText = typeof r.body === 'string' ? r.body : r.body.toString('utf8');
    if (bodyText.trim().length > 0) {
      const ct = r.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
      if (ct === 'application/x-www-form-urlencoded') form = new URLSearchParams(bodyText);
      else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(bodyText);
        } catch {
          return this.#error(400, 'Error parsing request body', cors);
        }
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
        else if (parsed !== null) return this.#error(400, 'Request body must be a JSON object', cors);
      }
    }

    let params: Params;
    try {
      params = parseParams(op, { path: route.pathParams, query: r.query, ...(form ? { form } : {}), ...(json ? { json } : {}) }, handler?.messages);
    } catch (err) {
      if (err instanceof ParamError) return this.#error(400, err.message, cors);
      throw err;
    }
    if (op.upgrade === 'websocket') {
      // The events socket is only reachable through an Upgrade; HTTP and REST-over-WS callers get 426.
      return this.#error(426, 'WebSocket upgrade required', cors);
    }
    if (!handler) return this.#error(501, 'Not implemented', cors);

    let result: AriResult;
    try {
      result = await handler.handle({ params, user, request: r.info, op });
    } catch (err) {
      const e = toAriError(err);
      if (e.internal) this.#logger.error(`ARI ${method} ${r.path} failed: ${(err as Error)?.stack ?? String(err)}`);
      return this.#error(e.status, e.message, cors);
    }
    const extra = result.headers ?? [];
    if (result.body === undefined) return { status: result.status, headers: [...cors, ...extra] };
    // Bytes (a recording's file) go as they are, with the content type the handler put in its headers.
    if (Buffer.isBuffer(result.body)) return { status: result.status, headers: [...cors, ...extra], body: result.body };
    if (result.body instanceof FileBody) {
      if (!fileBodies) return this.#error(406, 'Not Acceptable. Use HTTP GET', cors);
      return { status: result.status, headers: [...cors, ...extra], body: result.body };
    }
    return { status: result.status, headers: [...cors, ...extra, JSON_TYPE], body: this.json(result.body) };
  }

  #apiDocsResponse(path: string, method: string, info: AriRequestInfo, cors: readonly HeaderPair[]): HttpResponse {
    if (method !== 'GET') return this.#error(405, 'Invalid method', [...cors, ['Allow', 'OPTIONS,GET']]);
    const m = /^\/api-docs\/([^/]+)\.json$/.exec(path);
    const scheme = info.secure ? 'https' : 'http';
    const prefix = this.#httpPrefix ? `/${this.#httpPrefix}` : '';
    const doc = m?.[1] ? this.#apiDocs.get(m[1], `${scheme}://${info.host}${prefix}/ari`) : undefined;
    if (!doc) return this.#error(404, 'Resource not found', cors);
    return { status: 200, headers: [...cors, JSON_TYPE], body: this.json(doc) };
  }
}
