/**
 * `SipStack`: the SIP pieces put together for the channel driver. `SipStack.start({ config, logger })` opens
 * the pjsip.conf transports, runs the transaction layer on them and answers what needs no channel:
 *
 * - OPTIONS outside a dialog: 200 with Allow, Accept and Supported (challenged first when the identified
 *   endpoint has `auth=` and not `allow_unauthenticated_options=yes`, as Asterisk does);
 * - REGISTER: endpoint identification, digest auth, then the registrar (with `rewrite_contact`); an unknown
 *   sender is challenged like a real user (so scans learn nothing) and refused when it answers; a source
 *   address that keeps failing authentication is refused with 403 for a while (`authLimiter`);
 * - requests inside a dialog go to the handlers given to `attachDialog`; an unknown dialog gets 481, a CSeq
 *   out of order 500; BYE for a dialog nobody handles gets 200 and ends it;
 * - CANCEL: 200, then the `onCancel` handler (default: 487 for the INVITE); 481 when the INVITE is gone;
 * - new INVITE/MESSAGE/REFER/SUBSCRIBE/NOTIFY/INFO... requests go to `onRequest(method, handler)`; with no
 *   handler a method we know gets 405 with Allow, any other 501.
 *
 * It sends requests (`sendRequest` adds Via with our sent-by and rport, Max-Forwards, User-Agent, resolves the
 * next hop from Route/Request-URI with RFC 3263 — `dns/resolver.ts` — and fails over to the next server on a
 * 503 or timeout), answers 401/407 for `outbound_auth` (`request`), and qualifies contacts:
 * every `qualify_frequency` seconds each contact of an AOR (static `contact=` and registered bindings) gets
 * an OPTIONS; any response within `qualify_timeout` (a 2xx with `qualify_2xx_only`) is Reachable with its RTT,
 * silence is Unreachable. Status changes go to `onContactStatus`.
 */

import type { PjsipConfig, PjsipEndpoint } from '../config/pjsip.ts';
import type { Logger } from '../shared/logger.ts';
import { answerChallenge, DigestClientState, DigestServer, type VerifyOptions } from './auth/digest.ts';
import { AuthFailureLimiter } from './auth/limiter.ts';
import { Dialog, DialogRegistry } from './dialog/dialog.ts';
import { locateSipServers, systemDns, type DnsLookup } from './dns/resolver.ts';
import { SipParseError } from './message/errors.ts';
import { createResponse, generateBranch, generateCallId, generateTag } from './message/helpers.ts';
import { Via } from './message/fields.ts';
import { createRequest, maxForwards, routesOf, serializeMessage, type SipMessage, type SipRequest, type SipResponse } from './message/message.ts';
import { isSipUri, parseUri } from './message/uri.ts';
import { identifyEndpoint } from './registrar/identify.ts';
import { Registrar, type Binding, type ContactChange } from './registrar/registrar.ts';
import type { ClientTransaction } from './transaction/client.ts';
import { TransactionLayer } from './transaction/layer.ts';
import type { ServerTransaction } from './transaction/server.ts';
import { realTimers, type TransactionTimers } from './transaction/timers.ts';
import type { SipAddress, TransactionEnd } from './transaction/transaction.ts';
import { SipTransports } from './transport/transports.ts';
import { sourceAddress, type SipSource } from './transport/transport.ts';

/** Methods the stack or its driver understands (the Allow header). */
export const ALLOWED_METHODS = ['OPTIONS', 'REGISTER', 'INVITE', 'ACK', 'BYE', 'CANCEL', 'UPDATE', 'PRACK', 'MESSAGE', 'INFO', 'REFER', 'SUBSCRIBE', 'NOTIFY'];
const ACCEPT = 'application/sdp, application/simple-message-summary, message/sipfrag;version=2.0, text/plain';
const SUPPORTED = '100rel, timer, replaces, norefersub';
/** Room for the Via, Max-Forwards and User-Agent `prepareRequest` adds, when judging a request's size. */
const VIA_ALLOWANCE = 160;

export type RequestHandler = (request: SipRequest, tx: ServerTransaction, source: SipSource, endpointId: string | undefined) => void;

export interface DialogHandlers {
  /** A request inside the dialog (CSeq already checked). The handler must answer through `tx`. */
  readonly onRequest?: (request: SipRequest, tx: ServerTransaction, dialog: Dialog, source: SipSource) => void;
  /** The ACK for our 2xx to an INVITE of this dialog. */
  readonly onAck?: (ack: SipRequest, dialog: Dialog) => void;
}

export type ContactStatus = 'Reachable' | 'Unreachable' | 'Unknown';

export interface ContactStatusEvent {
  readonly aor: string;
  readonly uri: string;
  readonly status: ContactStatus;
  /** Round-trip time of the OPTIONS in microseconds (Asterisk reports RTT in µs); undefined when unreachable. */
  readonly rttUs: number | undefined;
}

export interface SipStackOptions {
  readonly config: PjsipConfig;
  readonly logger: Logger;
  /** Transaction, expiry and qualify timers (default: the real clock). */
  readonly timers?: TransactionTimers;
  /** Wall clock in ms, following `timers` (default Date.now). */
  readonly now?: () => number;
  /** Nonce HMAC key (default: random). */
  readonly authSecret?: Buffer;
  /** Where `pjsip set logger on` text goes (default: the logger at verbose level 0). */
  readonly onTraffic?: (text: string) => void;
  readonly onContactChange?: (aor: string, binding: Binding, change: ContactChange) => void;
  readonly onContactStatus?: (event: ContactStatusEvent) => void;
  /** Run qualify timers (default true). */
  readonly qualify?: boolean;
  /** Stream idle close (ms, default 300 s). */
  readonly idleMs?: number;
  /** DNS for RFC 3263 server location (default: the process resolver, `systemDns()`). */
  readonly dns?: DnsLookup;
  /** Brute-force limit: failures per source address within a window (default 10 per 60 s). */
  readonly authLimit?: { readonly maxFailures?: number; readonly windowMs?: number };
}

export interface SendOptions {
  /** Default: resolved from the first Route or the Request-URI. */
  readonly destination?: SipAddress;
  readonly onResponse?: (response: SipResponse, local: boolean) => void;
  readonly onTerminated?: (end: TransactionEnd) => void;
}

export interface RequestOptions {
  readonly destination?: SipAddress;
  /** Answer 401/407 with this endpoint's `outbound_auth` (one retry per challenge round, at most 2). */
  readonly endpointId?: string;
  /** Provisional responses. */
  readonly onProvisional?: (response: SipResponse) => void;
}

export class SipStack {
  readonly transports: SipTransports;
  readonly transactions: TransactionLayer;
  readonly dialogs = new DialogRegistry();
  readonly registrar: Registrar;
  readonly digest: DigestServer;
  /** Refuses a source address after repeated authentication failures (brute force). */
  readonly authLimiter: AuthFailureLimiter;
  readonly #logger: Logger;
  readonly #timers: TransactionTimers;
  readonly #now: () => number;
  readonly #options: SipStackOptions;
  #config: PjsipConfig;
  readonly #handlers = new Map<string, RequestHandler>();
  readonly #dialogHandlers = new WeakMap<Dialog, DialogHandlers>();
  #cancelHandler: ((cancel: SipRequest, invite: ServerTransaction) => void) | undefined;
  /** Identifiers asked before pjsip.conf's (`addIdentifier`). */
  readonly #identifiers: Array<(request: SipRequest) => string | undefined> = [];
  /** The source of the message being delivered (the layer's callbacks run synchronously inside receive). */
  #current: SipSource | undefined;
  readonly #clientAuth = new DigestClientState();
  /** Alternatives of a destination `resolve` gave out, with the one in use (RFC 3263 failover). */
  readonly #failover = new WeakMap<SipAddress, { readonly targets: readonly SipAddress[]; index: number }>();
  /** DNS for RFC 3263 and identify host names (default: the process resolver); tests point it at their own. */
  dns: DnsLookup;
  readonly #qualifyTimers = new Map<string, unknown>();
  readonly #status = new Map<string, { status: ContactStatus; rttUs: number | undefined }>();
  #closed = false;

  private constructor(options: SipStackOptions, transports: SipTransports, deliver: { fn?: (message: SipMessage, source: SipSource) => void }) {
    this.#options = options;
    this.#config = options.config;
    this.#logger = options.logger;
    this.#timers = options.timers ?? realTimers;
    this.#now = options.now ?? Date.now;
    this.dns = options.dns ?? systemDns();
    this.digest = new DigestServer({ ...(options.authSecret === undefined ? {} : { secret: options.authSecret }), now: this.#now });
    this.authLimiter = new AuthFailureLimiter({ now: this.#now, ...options.authLimit });
    this.registrar = new Registrar({
      config: () => this.#config,
      now: this.#now,
      timers: this.#timers,
      onContactChange: (aor, b, change) => this.#contactChanged(aor, b, change),
    });
    this.transactions = new TransactionLayer({
      send: (message, dest) => this.transports.send(message, dest),
      timers: this.#timers,
      values: { t1: this.#config.system.timerT1 },
      onRequest: (req, tx) => this.#onRequest(req, tx),
      onAck: (ack) => this.#onAck(ack),
      onTuError: (e) => this.#logger.error(`SIP handler threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`),
    });
    this.transports = transports;
    deliver.fn = (message, source) => this.#receive(message, source);
  }

  /** Opens the transports of `options.config` and starts answering. */
  static async start(options: SipStackOptions): Promise<SipStack> {
    const deliver: { fn?: (message: SipMessage, source: SipSource) => void } = {};
    const transports = await SipTransports.open(options.config, {
      onMessage: (msg, source) => deliver.fn?.(msg, source),
      onTraffic: (text) => (options.onTraffic ?? ((t: string) => options.logger.verbose(0, t)))(text),
      onWarning: (text) => options.logger.warning(text),
      onDebug: (text) => options.logger.debug(3, text),
      onLog: (level, text) => (level === 'error' ? options.logger.error(text) : level === 'notice' ? options.logger.notice(text) : options.logger.verbose(2, text)),
      ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
    });
    const stack = new SipStack(options, transports, deliver);
    if (options.qualify !== false) stack.#scheduleQualify();
    return stack;
  }

  get config(): PjsipConfig {
    return this.#config;
  }

  /** `pjsip reload`: new objects take effect for the next request; qualify timers are rebuilt. */
  updateConfig(config: PjsipConfig): void {
    this.#config = config;
    if (this.#options.qualify !== false) this.#scheduleQualify();
  }

  /** `pjsip set logger on|off`. */
  get logging(): boolean {
    return this.transports.logging;
  }

  set logging(on: boolean) {
    this.transports.logging = on;
  }

  /** Handles new out-of-dialog requests of `method` ('INVITE', 'MESSAGE' ...). Returns an unsubscribe. */
  onRequest(method: string, handler: RequestHandler): () => void {
    const m = method.toUpperCase();
    this.#handlers.set(m, handler);
    return () => {
      if (this.#handlers.get(m) === handler) this.#handlers.delete(m);
    };
  }

  /**
   * An endpoint identifier asked before `endpoint_identifier_order` (res_pjsip runs identifiers registered
   * without a name first): outbound registrations' `line` tokens. Returns a remover.
   */
  addIdentifier(identify: (request: SipRequest) => string | undefined): () => void {
    this.#identifiers.push(identify);
    return () => {
      const i = this.#identifiers.indexOf(identify);
      if (i >= 0) this.#identifiers.splice(i, 1);
    };
  }

  /** Who hears CANCEL after the stack has answered it 200 (default: 487 to the INVITE). */
  onCancel(handler: (cancel: SipRequest, invite: ServerTransaction) => void): void {
    this.#cancelHandler = handler;
  }

  /** Registers a dialog so its in-dialog requests (and 2xx ACKs) reach `handlers`. */
  attachDialog(dialog: Dialog, handlers: DialogHandlers): void {
    this.dialogs.add(dialog);
    this.#dialogHandlers.set(dialog, handlers);
  }

  detachDialog(dialog: Dialog): void {
    dialog.terminate();
    this.dialogs.remove(dialog);
  }

  // --- receiving -------------------------------------------------------------------------------------

  #receive(message: SipMessage, source: SipSource): void {
    if (this.#closed) return;
    this.#current = source;
    try {
      const result = this.transactions.receive(message, sourceAddress(source));
      if (result === 'invalid' && message.type === 'request' && message.method !== 'ACK') {
        this.#stateless(message, 400, source);
      }
    } finally {
      this.#current = undefined;
    }
  }

  #stateless(request: SipRequest, status: number, source: SipSource): void {
    try {
      void this.transports.send(createResponse(request, status), sourceAddress(source)).catch(() => undefined);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
    }
  }

  #onRequest(req: SipRequest, tx: ServerTransaction): void {
    const source = this.#current ?? fallbackSource(tx);
    try {
      this.#route(req, tx, source);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
      tx.respond(createResponse(req, 400, { reason: 'Bad Request' }));
    }
  }

  #route(req: SipRequest, tx: ServerTransaction, source: SipSource): void {
    const mf = maxForwards(req);
    if (mf === 0 && req.method !== 'OPTIONS') {
      tx.respond(createResponse(req, 483));
      return;
    }
    if (req.method === 'CANCEL') {
      this.#cancel(req, tx);
      return;
    }
    const toTag = toTagOf(req);
    if (toTag !== undefined) {
      this.#inDialog(req, tx, source);
      return;
    }
    const endpointId = this.#identify(req, source);
    switch (req.method) {
      case 'OPTIONS':
        if (endpointId !== undefined && !this.#endpoint(endpointId)?.allowUnauthenticatedOptions && !this.authenticate(req, tx, endpointId)) return;
        tx.respond(createResponse(req, 200, { toTag: generateTag(), headers: this.#capabilities() }));
        return;
      case 'REGISTER':
        this.#register(req, tx, source, endpointId);
        return;
      case 'BYE':
      case 'UPDATE':
      case 'PRACK':
      case 'INFO':
        if (!this.#handlers.has(req.method)) {
          tx.respond(createResponse(req, 481, { toTag: generateTag() }));
          return;
        }
    }
    const handler = this.#handlers.get(req.method);
    if (handler !== undefined) {
      handler(req, tx, source, endpointId);
      return;
    }
    if (ALLOWED_METHODS.includes(req.method)) {
      tx.respond(createResponse(req, 405, { toTag: generateTag(), headers: [['Allow', ALLOWED_METHODS.join(', ')]] }));
    } else {
      tx.respond(createResponse(req, 501, { toTag: generateTag(), headers: [['Allow', ALLOWED_METHODS.join(', ')]] }));
    }
  }

  #identify(req: SipRequest, source: SipSource): string | undefined {
    for (const identify of this.#identifiers) {
      const id = identify(req);
      if (id !== undefined && this.#config.endpoint.has(id)) return id;
    }
    return identifyEndpoint(req, source, this.#config);
  }

  #capabilities(): Array<[string, string]> {
    return [
      ['Allow', ALLOWED_METHODS.join(', ')],
      ['Accept', ACCEPT],
      ['Supported', SUPPORTED],
      ['Accept-Encoding', 'text/plain'],
      ['Accept-Language', 'en'],
      ['Server', this.#config.global.userAgent],
    ];
  }

  #cancel(cancel: SipRequest, tx: ServerTransaction): void {
    const invite = this.transactions.findInviteServer(cancel);
    if (invite === undefined || invite.state !== 'proceeding') {
      tx.respond(createResponse(cancel, 481));
      return;
    }
    tx.respond(createResponse(cancel, 200));
    if (this.#cancelHandler !== undefined) this.#cancelHandler(cancel, invite);
    else invite.respond(createResponse(invite.request, 487, { toTag: generateTag() }));
  }

  #inDialog(req: SipRequest, tx: ServerTransaction, source: SipSource): void {
    const dialog = this.dialogs.matchRequest(req);
    if (dialog === undefined) {
      tx.respond(createResponse(req, 481));
      return;
    }
    if (!dialog.receiveRequest(req)) {
      tx.respond(createResponse(req, 500, { headers: [['Retry-After', String(Math.floor(Math.random() * 10))]] }));
      return;
    }
    const h = this.#dialogHandlers.get(dialog)?.onRequest;
    if (h !== undefined) {
      h(req, tx, dialog, source);
      return;
    }
    if (req.method === 'BYE') {
      tx.respond(createResponse(req, 200));
      this.detachDialog(dialog);
      return;
    }
    tx.respond(createResponse(req, req.method === 'OPTIONS' ? 200 : 501));
  }

  #onAck(ack: SipRequest): void {
    try {
      const dialog = this.dialogs.matchRequest(ack);
      if (dialog === undefined) return;
      dialog.receiveRequest(ack);
      this.#dialogHandlers.get(dialog)?.onAck?.(ack, dialog);
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
    }
  }

  #endpoint(id: string): PjsipEndpoint | undefined {
    return this.#config.endpoint.get(id);
  }

  #verifyOptions(endpoint: PjsipEndpoint | undefined): VerifyOptions {
    const auths = (endpoint?.auth ?? []).map((a) => this.#config.auth.get(a)).filter((a) => a !== undefined);
    return { auths, defaultRealm: this.#config.global.defaultRealm, defaultAlgorithms: this.#config.global.defaultAuthAlgorithmsUas };
  }

  /**
   * Digest-authenticates `request` for `endpointId` (whose `auth=` objects are checked). True when the
   * endpoint needs no auth or the credentials are right; otherwise a 401 challenge (stale=true for an expired
   * nonce) — or a 403 for a source address over the brute-force limit — has been sent on `tx` and the caller
   * must stop.
   */
  authenticate(request: SipRequest, tx: ServerTransaction, endpointId: string): boolean {
    const options = this.#verifyOptions(this.#endpoint(endpointId));
    if (options.auths.length === 0) return true;
    const address = tx.source.host;
    if (this.authLimiter.blocked(address)) {
      tx.respond(createResponse(request, 403, { toTag: generateTag() }));
      return false;
    }
    const result = this.digest.verify(request, options);
    if (result.result === 'ok') {
      this.authLimiter.succeed(address);
      return true;
    }
    if (result.result === 'failed') {
      this.authLimiter.fail(address);
      this.#logger.security(`Failed to authenticate ${request.method} from endpoint '${endpointId}' at ${address}: ${result.reason}`);
    }
    const challenges = this.digest.challengesFor(options, result.result === 'stale');
    tx.respond(createResponse(request, 401, { toTag: generateTag(), headers: challenges.map((c) => ['WWW-Authenticate', c] as [string, string]) }));
    return false;
  }

  #register(req: SipRequest, tx: ServerTransaction, source: SipSource, endpointId: string | undefined): void {
    if (endpointId === undefined) {
      // Asterisk challenges unknown senders as if they existed, so a scan cannot tell users apart.
      if (req.headers.has('Authorization')) {
        this.authLimiter.fail(source.address);
        this.#logger.security(`REGISTER from unknown endpoint at ${source.address}:${source.port} rejected`);
        tx.respond(createResponse(req, 403, { toTag: generateTag() }));
        return;
      }
      const challenges = this.digest.challenges({ realm: this.#config.global.defaultRealm, algorithms: this.#config.global.defaultAuthAlgorithmsUas });
      tx.respond(createResponse(req, 401, { toTag: generateTag(), headers: challenges.map((c) => ['WWW-Authenticate', c] as [string, string]) }));
      return;
    }
    if (!this.authenticate(req, tx, endpointId)) return;
    const from = { transport: source.transport.toUpperCase(), address: source.address, port: source.port, ...(source.connectionId === undefined ? {} : { connectionId: source.connectionId }) };
    // Over a WebSocket the Contact (often `sip:x@abc.invalid;transport=ws`) always becomes the connection's
    // address, as res_pjsip_transport_websocket rewrites it; elsewhere only with rewrite_contact.
    const viaWebSocket = source.transport === 'ws' || source.transport === 'wss';
    const res = this.registrar.register(req, from, endpointId, { rewriteContact: viaWebSocket || this.#endpoint(endpointId)?.rewriteContact === true });
    const to = res.headers.get('To');
    if (to !== undefined && toTagOf(res) === undefined) res.headers.set('To', `${to};tag=${generateTag()}`);
    tx.respond(res);
  }

  // --- sending ---------------------------------------------------------------------------------------

  /**
   * Where a URI's requests go: the first destination RFC 3263 gives (`locateSipServers`: NAPTR, SRV, A/AAAA
   * for a host name without a port). The others are remembered with the returned object, so a request sent
   * to it with `sendRequest` fails over to them on 503 or timeout (and its CANCEL follows it).
   */
  async resolve(uri: string): Promise<SipAddress> {
    const all = await this.resolveAll(uri);
    const first = { ...(all[0] as SipAddress) };
    if (all.length > 1) this.#failover.set(first, { targets: all, index: 0 });
    return first;
  }

  /** Every destination for `uri`, in the order to try them. */
  resolveAll(uri: string): Promise<SipAddress[]> {
    const available = (transport: string, family: 4 | 6): boolean =>
      this.transports.list.some((t) => t.protocol === transport.toLowerCase() && (t.local.address.includes(':') ? 6 : 4) === family);
    return locateSipServers(uri, this.dns, { available });
  }

  /**
   * Where requests for a registered contact go: over the connection its REGISTER came on when it used
   * TCP/TLS (the phone may not accept connections, RFC 5626 style), else to the contact URI.
   */
  async bindingDestination(binding: Binding): Promise<SipAddress> {
    const src = binding.source;
    if (src !== undefined && src.transport !== 'UDP' && src.connectionId !== undefined) {
      return { transport: src.transport, host: src.address, port: src.port, connection: src.connectionId };
    }
    return this.resolve(binding.uri);
  }

  /** `<sip:user@host:port;transport=x>` for messages we send to `dest`. */
  contactFor(dest: SipAddress, user = 'asterisk'): string {
    const s = this.transports.sentBy(dest);
    const host = s.host.includes(':') ? `[${s.host}]` : s.host;
    const t = dest.transport.toUpperCase() === 'UDP' ? '' : `;transport=${dest.transport.toLowerCase()}`;
    return `<sip:${user}@${host}:${s.port}${t}>`;
  }

  /** Fills in Via (our sent-by, rport, a new branch), Max-Forwards and User-Agent for `dest`. */
  prepareRequest(request: SipRequest, dest: SipAddress): void {
    const s = this.transports.sentBy(dest);
    const params: Array<[string, string | null]> = [];
    if (!this.#config.system.disableRport) params.push(['rport', null]);
    params.push(['branch', generateBranch()]);
    const via = new Via({ transport: s.transport, host: s.host, port: s.port, params });
    if (request.method === 'CANCEL' && request.headers.has('Via')) return; // a CANCEL carries its INVITE's Via
    request.headers.prepend('Via', via.toString());
    if (!request.headers.has('Max-Forwards')) request.headers.append('Max-Forwards', String(this.#config.global.maxForwards));
    if (!request.headers.has('User-Agent')) request.headers.append('User-Agent', this.#config.global.userAgent);
  }

  /**
   * Starts a client transaction for `request` (Via added here). With `disable_tcp_switch=no` a request that
   * would be larger than 1300 bytes goes over TCP instead of UDP (RFC 3261 §18.1.1), when a TCP transport is
   * open.
   */
  async sendRequest(request: SipRequest, options: SendOptions = {}): Promise<ClientTransaction> {
    const given = options.destination ?? (await this.resolve(nextHopOf(request)));
    const failover = this.#failover.get(given);
    let dest = failover === undefined ? given : (failover.targets[failover.index] as SipAddress);
    if (dest.transport.toUpperCase() === 'UDP' && !this.#config.system.disableTcpSwitch && this.transports.has('tcp')
      && serializeMessage(request).length + VIA_ALLOWANCE > 1300) {
      dest = { transport: 'TCP', host: dest.host, port: dest.port };
    }
    this.prepareRequest(request, dest);
    let heard = false;
    return this.transactions.sendRequest(request, dest, {
      onResponse: (res, local) => {
        // RFC 3263 §4.3: a 503 or no answer at all moves on to the next server, as pjproject does.
        // (A local answer is a timeout or transport error: it counts only when the server never answered.)
        if (failover !== undefined && (local ? !heard : res.status === 503) && request.method !== 'CANCEL' && request.method !== 'ACK'
          && failover.index < failover.targets.length - 1) {
          failover.index++;
          this.#logger.verbose(3, `${request.method} to ${hostPortOf(dest)} failed (${res.status}); trying ${hostPortOf(failover.targets[failover.index] as SipAddress)}`);
          request.headers.removeFirst('Via');
          void this.sendRequest(request, { ...options, destination: given }).catch((e: unknown) => this.#logger.warning(`failover for ${request.method} failed: ${String(e)}`));
          return;
        }
        if (!local) heard = true;
        const dialog = this.dialogs.matchResponse(res);
        if (dialog !== undefined) dialog.receiveResponse(res);
        options.onResponse?.(res, local);
      },
      ...(options.onTerminated === undefined ? {} : { onTerminated: options.onTerminated }),
    });
  }

  /** Sends an ACK for a 2xx (or any stateless request) with a fresh Via. */
  async sendAck(ack: SipRequest, destination?: SipAddress): Promise<void> {
    const dest = destination ?? (await this.resolve(nextHopOf(ack)));
    this.prepareRequest(ack, dest);
    await this.transactions.sendStateless(ack, dest);
  }

  /**
   * Sends `request` and resolves with its final response; a 401/407 is answered once per challenge with the
   * endpoint's `outbound_auth` (the retried request reuses Call-ID and From tag with CSeq + 1).
   */
  async request(request: SipRequest, options: RequestOptions = {}): Promise<SipResponse> {
    let current = request;
    for (let attempt = 0; ; attempt++) {
      const res = await new Promise<SipResponse>((resolve, reject) => {
        this.sendRequest(current, {
          ...(options.destination === undefined ? {} : { destination: options.destination }),
          onResponse: (r) => {
            if (r.status < 200) options.onProvisional?.(r);
            else resolve(r);
          },
        }).catch(reject);
      });
      if ((res.status !== 401 && res.status !== 407) || options.endpointId === undefined || attempt >= 2) return res;
      const ep = this.#endpoint(options.endpointId);
      const auths = (ep?.outboundAuth ?? []).map((a) => this.#config.auth.get(a)).filter((a) => a !== undefined);
      const retry = answerChallenge(current, res, { auths, defaultAlgorithms: this.#config.global.defaultAuthAlgorithmsUac, state: this.#clientAuth });
      if (retry === undefined) return res;
      retry.headers.removeFirst('Via'); // sendRequest stamps a new one
      current = retry;
    }
  }

  // --- qualify ---------------------------------------------------------------------------------------

  /** Last known status of a contact (`Unknown` before the first qualify). */
  contactStatus(aor: string, uri: string): { status: ContactStatus; rttUs: number | undefined } {
    return this.#status.get(`${aor}\n${uri}`) ?? { status: 'Unknown', rttUs: undefined };
  }

  #scheduleQualify(): void {
    for (const h of this.#qualifyTimers.values()) this.#timers.clearTimeout(h);
    this.#qualifyTimers.clear();
    for (const aor of this.#config.aor.values()) {
      if (aor.qualifyFrequency > 0) this.#qualifyLoop(aor.id, 0);
    }
  }

  #qualifyLoop(aorId: string, delayMs: number): void {
    const h = this.#timers.setTimeout(() => {
      if (this.#closed) return;
      const aor = this.#config.aor.get(aorId);
      if (aor === undefined || aor.qualifyFrequency <= 0) return;
      this.qualifyAor(aorId);
      this.#qualifyLoop(aorId, aor.qualifyFrequency * 1000);
    }, delayMs);
    this.#qualifyTimers.set(aorId, h);
  }

  /** Sends one OPTIONS to every contact of `aorId` now. */
  qualifyAor(aorId: string): void {
    const aor = this.#config.aor.get(aorId);
    if (aor === undefined) return;
    for (const uri of aor.contacts) void this.qualifyContact(aorId, uri);
    for (const b of this.registrar.bindings(aorId)) void this.qualifyContact(aorId, b.uri, b);
  }

  /** One qualify round trip; resolves with the status it recorded. */
  async qualifyContact(aorId: string, uri: string, binding?: Binding): Promise<ContactStatus> {
    const aor = this.#config.aor.get(aorId);
    const timeoutMs = Math.max(100, (aor?.qualifyTimeout ?? 3) * 1000);
    let dest: SipAddress;
    try {
      dest = binding === undefined ? await this.resolve(uri) : await this.bindingDestination(binding);
    } catch {
      this.#setStatus(aorId, uri, 'Unreachable', undefined);
      return 'Unreachable';
    }
    const s = this.transports.sentBy(dest);
    const host = s.host.includes(':') ? `[${s.host}]` : s.host;
    const req = createRequest('OPTIONS', uri, [
      ['From', `<sip:${this.#config.global.defaultFromUser}@${host}>;tag=${generateTag()}`],
      ['To', `<${uri}>`],
      ['Contact', this.contactFor(dest, this.#config.global.defaultFromUser)],
      ['Call-ID', generateCallId()],
      ['CSeq', '1 OPTIONS'],
    ]);
    const started = performance.now();
    const status = await new Promise<ContactStatus>((resolve) => {
      let done = false;
      const finish = (st: ContactStatus): void => {
        if (done) return;
        done = true;
        this.#timers.clearTimeout(timer);
        resolve(st);
      };
      const timer = this.#timers.setTimeout(() => finish('Unreachable'), timeoutMs);
      this.sendRequest(req, {
        destination: dest,
        onResponse: (res, local) => {
          if (res.status < 200) return;
          if (local) finish('Unreachable');
          else finish(aor?.qualify2xxOnly === true && res.status >= 300 ? 'Unreachable' : 'Reachable');
        },
      }).catch(() => finish('Unreachable'));
    });
    this.#setStatus(aorId, uri, status, status === 'Reachable' ? Math.round((performance.now() - started) * 1000) : undefined);
    return status;
  }

  #setStatus(aor: string, uri: string, status: ContactStatus, rttUs: number | undefined): void {
    const key = `${aor}\n${uri}`;
    const before = this.#status.get(key);
    this.#status.set(key, { status, rttUs });
    if (before?.status !== status) {
      try {
        this.#options.onContactStatus?.({ aor, uri, status, rttUs });
      } catch (e) {
        this.#logger.error(`onContactStatus threw: ${String(e)}`);
      }
    }
  }

  #contactChanged(aor: string, b: Binding, change: ContactChange): void {
    if (change === 'removed') this.#status.delete(`${aor}\n${b.uri}`);
    this.#logger.verbose(3, change === 'created' ? `Added contact '${b.uri}' to AOR '${aor}' with expiration of ${Math.round((b.expiresAt - this.#now()) / 1000)} seconds`
      : change === 'removed' ? `Removed contact '${b.uri}' from AOR '${aor}'` : `Updated contact '${b.uri}' of AOR '${aor}'`);
    try {
      this.#options.onContactChange?.(aor, b, change);
    } catch (e) {
      this.#logger.error(`onContactChange threw: ${String(e)}`);
    }
    const aorObj = this.#config.aor.get(aor);
    if (change === 'created' && aorObj !== undefined && aorObj.qualifyFrequency > 0 && !this.#closed && this.#options.qualify !== false) {
      void this.qualifyContact(aor, b.uri, b);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of this.#qualifyTimers.values()) this.#timers.clearTimeout(h);
    this.#qualifyTimers.clear();
    this.registrar.close();
    this.transactions.close();
    await this.transports.close();
  }
}

function toTagOf(msg: SipMessage): string | undefined {
  const to = msg.headers.get('To');
  if (to === undefined) return undefined;
  const m = /;\s*tag\s*=\s*([^;\s]+)/i.exec(to.slice(to.lastIndexOf('>') + 1));
  return m?.[1];
}

/** The first Route's URI, or the Request-URI. */
export function nextHopOf(request: SipRequest): string {
  const routes = routesOf(request, 'Route');
  const first = routes[0];
  if (first === undefined) return request.uri;
  const u = first.uri;
  return isSipUri(u) ? `${u.scheme}:${u.host.includes(':') ? `[${u.host}]` : u.host}${u.port === undefined ? '' : `:${u.port}`}${u.params.has('transport') ? `;transport=${u.params.get('transport') ?? ''}` : ''}` : request.uri;
}

function hostPortOf(a: SipAddress): string {
  return `${a.transport} ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

function fallbackSource(tx: ServerTransaction): SipSource {
  const t = tx.source.transport.toLowerCase();
  return {
    transport: t === 'tcp' || t === 'tls' || t === 'ws' || t === 'wss' ? t : 'udp',
    address: tx.source.host,
    port: tx.source.port,
    ...(tx.source.connection === undefined ? {} : { connectionId: tx.source.connection }),
    local: { address: '', port: 0 },
    transportId: '',
  };
}
