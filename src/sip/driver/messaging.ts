/**
 * SIP MESSAGE and out-of-dialog REFER, the way Asterisk's res_pjsip_messaging and res_pjsip_refer serve ARI.
 *
 * MESSAGE in (outside a dialog, or inside a call's dialog through `receive`): the sender must be an identified
 * endpoint (digest-authenticated when it has `auth=`); the body must be `text/plain` outside a dialog (415
 * otherwise; any `text/*` inside one). The message goes to the Stasis applications subscribed to the endpoint
 * (`endpoint:PJSIP/<name>`), to its technology (`endpoint:PJSIP`) or to everything (`subscribeAll`) as
 * TextMessageReceived, answered 202 Accepted. An out-of-dialog MESSAGE also goes to the dialplan (Asterisk's
 * res_pjsip_messaging → ast_msg_queue, core/text-messages.ts) when the endpoint's `message_context` (its `context`
 * when empty) has the Request-URI user (`s` when empty): it runs there on a Message channel, MESSAGE() and
 * MESSAGE_DATA() read it and MessageSend() sends it on — like Asterisk, every handler that wants the message gets
 * it. With neither an application nor a dialplan extension it has no destination and gets 404, as Asterisk
 * answers when no message handler wants it. The event carries what Asterisk puts there: `from` as
 * `"display" <sip:user@host>` (no port), `to` as the To URI with `sip:` spelled `pjsip:`, the body, and as
 * variables every header of the request plus PJSIP_RECVADDR, PJSIP_TRANSPORT and PJSIP_ENDPOINT.
 *
 * MESSAGE and REFER out (`PUT /endpoints/sendMessage`, `POST /endpoints/refer` and their per-endpoint forms): the
 * `to` is `pjsip:<destination>` (`pjsip:` is the only message technology here; another prefix, or none, is "not
 * found" as in Asterisk). The destination, as Asterisk's `ast_sip_get_endpoint` reads it:
 * - `alice`: endpoint alice, its first contact;
 * - `alice/sip:bob@host` (or `alice/bob@host`): that URI, sent with alice's settings (outbound_auth ...);
 * - `bob@alice`: alice's contact with bob as the user part;
 * - `sip:bob@host` or `bob@host`: the URI, through `default_outbound_endpoint` when it exists.
 * The request leaves at once; the caller gets 202 whatever the far end answers (a 401/407 is answered with the
 * endpoint's `outbound_auth`). ARI variables become SIP headers (`Content-Type` sets the body's type; the headers
 * the stack owns — To, From, Via, Route, Contact, Call-ID, CSeq, Allow, Content-Length — are never taken from
 * them, and a Max-Forwards is decremented, the message dropped when it reaches 0). MessageSend() sends the same
 * way through the `pjsip` message technology registered with the router, its message's To (a SIP URI once
 * `pjsip:` is removed) as the To header.
 * REFER's `refer_to` is an endpoint name (its contact URI, or with `to_self` a URI pointing at us, so the referee
 * calls us) or a URI; `display_name` in the body decorates it. The NOTIFYs of the implicit subscription are
 * answered 200 and logged.
 */

import type { PjsipEndpoint } from '../../config/pjsip.ts';
import { TextMessage, type MessageRouter } from '../../core/text-messages.ts';
import type { Logger } from '../../shared/logger.ts';
import type { AppMessage } from '../../stasis/messages.ts';
import { Dialog } from '../dialog/dialog.ts';
import { formatNameAddr, parseNameAddr } from '../message/fields.ts';
import { createResponse, generateCallId, generateTag } from '../message/helpers.ts';
import { createRequest, fromOf, toOf, type SipRequest, type SipResponse } from '../message/message.ts';
import { formatUri, isSipUri, parseUri } from '../message/uri.ts';
import type { SipStack } from '../stack.ts';
import type { EndpointEventApp, EndpointWire } from '../state.ts';
import type { ServerTransaction } from '../transaction/server.ts';
import type { SipAddress } from '../transaction/transaction.ts';
import type { SipSource } from '../transport/transport.ts';

/** Where an endpoint's requests go: a contact URI and, for a registration over TCP/TLS, its connection. */
export interface ContactTarget {
  readonly uri: string;
  readonly destination: SipAddress | undefined;
}

export interface SipMessagingOptions {
  readonly stack: SipStack;
  readonly logger: Logger;
  /** Milliseconds since the epoch (event timestamps). */
  readonly now: () => number;
  /** The Stasis applications (`AppRegistry`). */
  readonly apps?: { list(): Iterable<EndpointEventApp>; publish(message: AppMessage): boolean };
  /** The endpoint's ARI model now. */
  readonly endpointModel: (resource: string) => EndpointWire;
  /** The endpoint's first contact (PjsipDriver.contactOf). */
  readonly contactOf: (endpoint: PjsipEndpoint) => ContactTarget | undefined;
  /** Answers a sender no endpoint matches as an INVITE's is (PjsipDriver.refuseUnknown: 401, then 403). */
  readonly refuseUnknown: (request: SipRequest, tx: ServerTransaction, source: SipSource) => void;
  /** Messages through the dialplan (MESSAGE to message_context, MessageSend with `pjsip:`). */
  readonly router?: MessageRouter;
}

export interface OutgoingText {
  readonly to: string;
  /** The To header's URI when it differs from `to` (MessageSend's message To); used when it is a SIP URI. */
  readonly toUri?: string;
  readonly from: string;
  readonly body: string;
  readonly variables: Readonly<Record<string, string>>;
}

export interface OutgoingRefer {
  readonly to: string;
  readonly from: string;
  readonly referTo: string;
  readonly toSelf: boolean;
  readonly variables: Readonly<Record<string, string>>;
}

/** A resolved destination: the endpoint whose settings apply and the Request-URI. */
interface Route {
  readonly endpoint: PjsipEndpoint;
  readonly uri: string;
  readonly destination: SipAddress | undefined;
}

const MAX_BODY = 1024 * 1024;
/** Headers a message's variables never set (res_pjsip_messaging blocks the same). */
const BLOCKED_HEADERS = new Set(['to', 'from', 'via', 'route', 'contact', 'call-id', 'cseq', 'allow', 'content-length', 'content-type', 'request-uri']);

export class SipMessaging {
  readonly #options: SipMessagingOptions;
  readonly #stack: SipStack;
  readonly #log: Logger;
  readonly #off: Array<() => void> = [];

  constructor(options: SipMessagingOptions) {
    this.#options = options;
    this.#stack = options.stack;
    this.#log = options.logger;
    this.#off.push(this.#stack.onRequest('MESSAGE', (req, tx, source, endpointId) => this.#outOfDialog(req, tx, source, endpointId)));
    const router = options.router;
    if (router !== undefined) {
      this.#off.push(router.registerTech({
        name: 'pjsip',
        send: (message, destination, from) => this.send({
          to: destination,
          ...(message.to === '' ? {} : { toUri: message.to }),
          from: from || message.from,
          body: message.body,
          variables: Object.fromEntries(message.outboundVars()),
        }),
      }));
    }
  }

  close(): void {
    for (const off of this.#off) off();
  }

  // --- in -------------------------------------------------------------------------------------------------

  #outOfDialog(req: SipRequest, tx: ServerTransaction, source: SipSource, identified: string | undefined): void {
    const config = this.#stack.config;
    let endpointId = identified;
    if (endpointId === undefined && config.global.endpointIdentifierOrder.includes('anonymous') && config.endpoint.has('anonymous')) endpointId = 'anonymous';
    const endpoint = endpointId === undefined ? undefined : config.endpoint.get(endpointId);
    if (endpoint === undefined) {
      this.#options.refuseUnknown(req, tx, source);
      return;
    }
    if (!this.#stack.authenticate(req, tx, endpoint.id)) return;
    if (!isPlainText(req)) {
      tx.respond(createResponse(req, 415, { toTag: generateTag(), headers: [['Accept', 'text/plain']] }));
      return;
    }
    this.receive(req, tx, source, endpoint, false);
  }

  /** A MESSAGE from `endpoint` (the driver passes in-dialog ones here); answers it. */
  receive(req: SipRequest, tx: ServerTransaction, source: SipSource, endpoint: PjsipEndpoint, inDialog: boolean): void {
    const toTag = inDialog ? {} : { toTag: generateTag() };
    if (inDialog && !/^text\//i.test(req.headers.get('Content-Type') ?? '')) {
      tx.respond(createResponse(req, 415, { ...toTag, headers: [['Accept', 'text/*']] }));
      return;
    }
    let ruri;
    try {
      ruri = parseUri(req.uri);
    } catch {
      tx.respond(createResponse(req, 400, toTag));
      return;
    }
    if (!isSipUri(ruri)) {
      tx.respond(createResponse(req, 416, toTag));
      return;
    }
    if (req.body.length > MAX_BODY) {
      tx.respond(createResponse(req, 413, toTag));
      return;
    }
    const targets = this.#targets(endpoint.id);
    let message;
    try {
      message = this.#received(req, source, endpoint);
    } catch {
      tx.respond(createResponse(req, 400, toTag));
      return;
    }
    // Out of a dialog the dialplan may want it too (in a dialog it belongs to the call's channel).
    const router = this.#options.router;
    const queued = inDialog || router === undefined ? undefined : this.#forDialplan(message, endpoint, ruri.user ?? '');
    const toDialplan = queued !== undefined && router !== undefined && router.hasDestination(queued);
    if (targets.length === 0 && !toDialplan) {
      this.#log.debug(1, `MESSAGE from '${endpoint.id}': no application is subscribed to PJSIP/${endpoint.id} and no extension wants it`);
      tx.respond(createResponse(req, 404, toTag));
      return;
    }
    tx.respond(createResponse(req, 202, toTag));
    if (toDialplan) router.queue(queued);
    const apps = this.#options.apps;
    const model = this.#options.endpointModel(endpoint.id);
    for (const application of targets) {
      apps?.publish({ type: 'TextMessageReceived', application, timestamp: this.#options.now(), message, endpoint: model });
    }
  }

  /** The dialplan's copy of a received message: in the endpoint's message_context at the Request-URI user. */
  #forDialplan(received: { from: string; to: string; body: string; variables: Record<string, string> }, endpoint: PjsipEndpoint, user: string): TextMessage {
    const m = new TextMessage();
    m.to = received.to;
    m.from = received.from;
    m.body = received.body;
    m.context = endpoint.messageContext || endpoint.context;
    // Dialplan matching ignores user options (`;phone-context=...` and the like), as Asterisk truncates them.
    m.exten = decodeURIComponent(user.split(';')[0] ?? '');
    m.tech = 'PJSIP';
    m.endpoint = endpoint.id;
    for (const [name, value] of Object.entries(received.variables)) m.setVar(name, value, false);
    return m;
  }

  /** Applications subscribed to the endpoint, to the PJSIP technology, or to everything. */
  #targets(resource: string): string[] {
    const id = `pjsip/${resource.toLowerCase()}`;
    const out: string[] = [];
    for (const app of this.#options.apps?.list() ?? []) {
      const keys = [...app.subscriptions.endpoints.keys()].map((k) => k.toLowerCase());
      if (app.subscribeAll || keys.includes(id) || keys.includes('pjsip')) out.push(app.name);
    }
    return out;
  }

  /** ARI's TextMessage for a received MESSAGE. */
  #received(req: SipRequest, source: SipSource, endpoint: PjsipEndpoint): { from: string; to: string; body: string; variables: Record<string, string> } {
    const from = fromOf(req);
    const to = toOf(req);
    const display = from.displayName === undefined || from.displayName === '' ? '' : `"${from.displayName.replace(/[\x00-\x1f]/g, ' ')}" `;
    const fromUri = isSipUri(from.uri) ? `${from.uri.scheme}:${from.uri.user ?? ''}@${from.uri.host.includes(':') ? `[${from.uri.host}]` : from.uri.host}` : formatUri(from.uri);
    const toText = formatUri(to.uri);
    const variables: Record<string, string> = {};
    for (const h of req.headers.list) variables[h.name] = h.value;
    variables.PJSIP_RECVADDR = source.address.includes(':') ? `[${source.address}]:${source.port}` : `${source.address}:${source.port}`;
    variables.PJSIP_TRANSPORT = source.transport.toLowerCase();
    if (endpoint.callerid !== undefined && endpoint.callerid.name !== '') variables.PJSIP_ENDPOINT = endpoint.callerid.name;
    return {
      from: `${display}<${fromUri}>`,
      to: toText.startsWith('sip') ? `pj${toText}` : `pjsip:${toText}`,
      body: req.body.toString('utf8'),
      variables,
    };
  }

  // --- out ------------------------------------------------------------------------------------------------

  /** Sends a MESSAGE; false when the destination names no endpoint we can use (ARI's 404). */
  async send(text: OutgoingText): Promise<boolean> {
    const route = await this.#route(text.to, true);
    if (route === undefined) return false;
    const headers: Array<[string, string]> = [];
    for (const [name, value] of Object.entries(text.variables)) {
      if (BLOCKED_HEADERS.has(name.toLowerCase())) continue;
      if (name.toLowerCase() === 'max-forwards') {
        // Loop prevention: a message that has been forwarded too often goes no further.
        const hops = /^\s*\d+\s*$/.test(value) ? Number(value) - 1 : 0;
        if (hops <= 0) {
          this.#log.notice('MESSAGE(Max-Forwards) reached zero.  MESSAGE not sent.');
          return false;
        }
        headers.push([name, String(hops)]);
      } else headers.push([name, value]);
    }
    const type = Object.entries(text.variables).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'text/plain';
    const target = stripTech(text.toUri ?? text.to);
    const toHeader = target.startsWith('sip:') || target.startsWith('sips:') ? `<${target}>` : `<${route.uri}>`;
    // RFC 3428: a MESSAGE carries no Contact.
    const request = createRequest('MESSAGE', route.uri, [
      ['From', await this.#from(route, text.from)],
      ['To', toHeader],
      ['Call-ID', generateCallId()],
      ['CSeq', `${Math.floor(Math.random() * 30000) + 1} MESSAGE`],
      ...headers,
      ['Content-Type', type],
    ], text.body);
    this.#dispatch(request, route, `MESSAGE to ${route.uri}`);
    return true;
  }

  /** Sends an out-of-dialog REFER; false when `to` or `refer_to` cannot be resolved (ARI's 404). */
  async refer(refer: OutgoingRefer): Promise<boolean> {
    const route = await this.#route(refer.to, true);
    if (route === undefined) return false;
    const referTo = await this.#referTarget(refer.referTo, refer.toSelf, route);
    if (referTo === undefined) {
      this.#log.warning(`PJSIP REFER - Refer to '${refer.referTo}' is not a valid resource identifier or SIP URI`);
      return false;
    }
    const displayName = refer.variables.display_name;
    const headers = Object.entries(refer.variables).filter(([k]) => k !== 'display_name');
    const destination = route.destination ?? (await this.#stack.resolve(route.uri));
    const request = createRequest('REFER', route.uri, [
      ['From', await this.#from(route, refer.from)],
      ['To', `<${route.uri}>`],
      ['Contact', this.#stack.contactFor(destination, route.endpoint.contactUser || 'asterisk')],
      ['Call-ID', generateCallId()],
      ['CSeq', `${Math.floor(Math.random() * 30000) + 1} REFER`],
      ['Event', 'refer'],
      ['Refer-To', displayName === undefined ? `<${referTo}>` : `"${displayName.replace(/["\\]/g, '\\$&')}" <${referTo}>`],
      ...headers,
    ]);
    this.#dispatch(request, { ...route, destination }, `REFER to ${route.uri}`, true);
    return true;
  }

  /** Sends in the background; the result only reaches the log. A REFER's accepted dialog takes its NOTIFYs. */
  #dispatch(request: SipRequest, route: Route, what: string, subscribe = false): void {
    const destination = route.destination;
    void this.#stack.request(request, { endpointId: route.endpoint.id, ...(destination === undefined ? {} : { destination }) })
      .then((res) => {
        if (res.status >= 300) {
          this.#log.warning(`${what} failed: ${res.status} ${res.reason}`);
          return;
        }
        this.#log.verbose(3, `${what}: ${res.status} ${res.reason}`);
        if (subscribe && res.headers.has('To')) this.#followNotifies(request, res);
      })
      .catch((e: unknown) => this.#log.warning(`${what} could not be sent: ${(e as Error)?.message ?? String(e)}`));
  }

  /** The implicit subscription of an accepted REFER (RFC 3515): its NOTIFYs get 200 until it terminates. */
  #followNotifies(request: SipRequest, res: SipResponse): void {
    let dialog: Dialog;
    try {
      dialog = Dialog.uac(request, res);
    } catch {
      return;
    }
    const stack = this.#stack;
    const end = setTimeout(() => stack.detachDialog(dialog), 120_000);
    end.unref();
    stack.attachDialog(dialog, {
      onRequest: (req, tx) => {
        if (req.method !== 'NOTIFY') {
          tx.respond(createResponse(req, 405, { headers: [['Allow', 'NOTIFY']] }));
          return;
        }
        tx.respond(createResponse(req, 200));
        this.#log.verbose(3, `REFER ${request.uri}: ${req.body.toString('utf8').split('\r\n')[0] ?? ''}`);
        if (/^\s*terminated/i.test(req.headers.get('Subscription-State') ?? '')) {
          clearTimeout(end);
          stack.detachDialog(dialog);
        }
      },
    });
  }

  /** `From` for an outgoing request: the given name-addr, URI or user, else the endpoint's from_user. */
  async #from(route: Route, from: string): Promise<string> {
    const tag = new Map<string, string | null>([['tag', generateTag()]]);
    const trimmed = from.trim();
    if (trimmed !== '') {
      try {
        const na = parseNameAddr(/^(sips?:|"|<)/i.test(trimmed) || trimmed.includes('<') ? trimmed : `<sip:${trimmed.includes('@') ? trimmed : `${trimmed}@${await this.#localHost(route)}`}>`);
        return formatNameAddr({ ...na, params: tag });
      } catch {
        // Not a usable address: fall back to the endpoint's identity below.
      }
    }
    const domain = route.endpoint.fromDomain || (await this.#localHost(route));
    const user = route.endpoint.fromUser || this.#stack.config.global.defaultFromUser;
    return formatNameAddr({ uri: parseUri(`sip:${user}@${domain}`), params: tag });
  }

  async #localHost(route: Route): Promise<string> {
    const dest = route.destination ?? (await this.#stack.resolve(route.uri));
    const s = this.#stack.transports.sentBy(dest);
    return s.host.includes(':') ? `[${s.host}]` : s.host;
  }

  /** `pjsip:<destination>` → the endpoint and Request-URI (see the header comment); undefined: not found. */
  async #route(to: string, useDefault: boolean): Promise<Route | undefined> {
    const colon = to.indexOf(':');
    if (colon <= 0 || to.slice(0, colon).toLowerCase() !== 'pjsip') return undefined;
    const route = this.#resolveDestination(to.slice(colon + 1), useDefault);
    if (route === undefined) return undefined;
    try {
      // An unroutable URI (bad host) is as good as no endpoint: nothing could be sent.
      return route.destination === undefined ? { ...route, destination: await this.#stack.resolve(route.uri) } : route;
    } catch {
      return undefined;
    }
  }

  #resolveDestination(dest: string, useDefault: boolean): Route | undefined {
    const config = this.#stack.config;
    const byName = (name: string) => config.endpoint.get(name);
    const slash = dest.indexOf('/');
    if (slash >= 0) {
      const endpoint = byName(dest.slice(0, slash));
      const rest = dest.slice(slash + 1);
      if (endpoint === undefined || rest === '') return undefined;
      return { endpoint, uri: asSipUri(rest), destination: undefined };
    }
    const hasScheme = /^sips?:/i.test(dest);
    const at = dest.indexOf('@');
    if (!hasScheme && at < 0) {
      const endpoint = byName(dest);
      const contact = endpoint === undefined ? undefined : this.#options.contactOf(endpoint);
      return endpoint === undefined || contact === undefined ? undefined : { endpoint, ...contact };
    }
    if (!hasScheme) {
      // `user@endpoint`: the endpoint's contact with another user part.
      const endpoint = byName(dest.slice(at + 1));
      const contact = endpoint === undefined ? undefined : this.#options.contactOf(endpoint);
      if (endpoint !== undefined && contact !== undefined) {
        const uri = parseUri(contact.uri);
        if (isSipUri(uri)) uri.user = dest.slice(0, at);
        return { endpoint, uri: formatUri(uri), destination: contact.destination };
      }
    }
    const fallback = useDefault ? byName(config.global.defaultOutboundEndpoint) : undefined;
    return fallback === undefined ? undefined : { endpoint: fallback, uri: asSipUri(dest), destination: undefined };
  }

  /** REFER's Refer-To: an endpoint (its contact, or us with `to_self`) or a URI. */
  async #referTarget(referTo: string, toSelf: boolean, route: Route): Promise<string | undefined> {
    const target = stripTech(referTo);
    if (target === '') return undefined;
    const endpoint = this.#stack.config.endpoint.get(target);
    if (endpoint !== undefined) {
      if (toSelf) {
        const dest = route.destination ?? (await this.#stack.resolve(route.uri));
        return /<(.*)>/.exec(this.#stack.contactFor(dest, endpoint.id))?.[1];
      }
      return this.#options.contactOf(endpoint)?.uri;
    }
    const resolved = this.#resolveDestination(target, false);
    if (resolved !== undefined) return resolved.uri;
    try {
      return formatUri(parseUri(asSipUri(target)));
    } catch {
      return undefined;
    }
  }
}

function stripTech(value: string): string {
  return value.toLowerCase().startsWith('pjsip:') ? value.slice(6) : value;
}

function asSipUri(text: string): string {
  const t = text.replace(/^<(.*)>$/, '$1');
  return /^sips?:/i.test(t) ? t : `sip:${t}`;
}

function isPlainText(req: SipRequest): boolean {
  const type = (req.headers.get('Content-Type') ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'text/plain';
}
