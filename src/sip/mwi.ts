/**
 * Message waiting indication over SIP (RFC 3842), as Asterisk's res_pjsip_mwi does it, fed by the
 * mailboxes ARI keeps (`PUT/DELETE /mailboxes/{name}`, src/core/mailboxes.ts).
 *
 * - Unsolicited: an endpoint with `mailboxes = 1000@default,...` gets an out-of-dialog NOTIFY
 *   (`Event: message-summary`, `Subscription-State: active`) at every contact of its AORs (static `contact=`
 *   and registered ones) whenever one of those mailboxes is updated or deleted, and at a contact when it
 *   registers. The counts of all the endpoint's mailboxes are added up into one body (`aggregate_mwi=yes`).
 * - Solicited: `SUBSCRIBE` with `Event: message-summary` to an AOR (the Request-URI user names the AOR, or
 *   matches an AOR's `voicemail_extension`) whose `mailboxes=` is set. The SUBSCRIBE is authenticated like
 *   any request of the endpoint, answered 200 and followed at once by a NOTIFY; a mailbox change sends a new
 *   NOTIFY in the dialog; a refresh restarts the timer; `Expires: 0` in the dialog (or the timer running out)
 *   ends it with a `terminated` NOTIFY. As in Asterisk (with `mwi_subscribe_replaces_unsolicited=no`), an
 *   endpoint that already gets unsolicited MWI for one of the AOR's mailboxes is refused with 500; an AOR
 *   without mailboxes or unknown answers 404; an initial `Expires: 0` 400; another event package 489.
 *
 * The body is Asterisk's: `Messages-Waiting: yes|no`, a `Message-Account:` line only when a voicemail
 * extension is configured (the AOR's `voicemail_extension` for subscriptions, the global
 * `default_voicemail_extension` otherwise; the account is our From URI with that user), and
 * `Voice-Message: new/old (0/0)`.
 */

import type { PjsipConfig, PjsipEndpoint } from '../config/pjsip.ts';
import type { Mailbox, MailboxChange } from '../core/mailboxes.ts';
import type { Logger } from '../shared/logger.ts';
import { Dialog } from './dialog/dialog.ts';
import { createResponse, generateCallId, generateTag } from './message/helpers.ts';
import { createRequest, type SipRequest, type SipResponse } from './message/message.ts';
import { isSipUri, parseUri } from './message/uri.ts';
import type { Binding } from './registrar/registrar.ts';
import type { DialogHandlers, RequestHandler } from './stack.ts';
import type { ServerTransaction } from './transaction/server.ts';
import { realTimers, type TransactionTimers } from './transaction/timers.ts';
import type { SipAddress } from './transaction/transaction.ts';
import type { SipSource } from './transport/transport.ts';

export const MWI_CONTENT_TYPE = 'application/simple-message-summary';
const ALLOW_EVENTS = 'message-summary, refer';
/** Lifetime given to a SUBSCRIBE without Expires. */
const DEFAULT_SUBSCRIBE_EXPIRES = 3600;

export interface MessageCounts {
  readonly newMessages: number;
  readonly oldMessages: number;
}

/** The RFC 3842 body Asterisk sends. */
export function messageSummary(counts: MessageCounts, account = ''): string {
  return `Messages-Waiting: ${counts.newMessages > 0 ? 'yes' : 'no'}\r\n`
    + (account === '' ? '' : `Message-Account: ${account}\r\n`)
    + `Voice-Message: ${counts.newMessages}/${counts.oldMessages} (0/0)\r\n`;
}

/** The sum of the counts of `names` (a mailbox nobody has set counts as empty). */
export function sumMailboxes(get: (name: string) => Mailbox | undefined, names: readonly string[]): MessageCounts {
  let newMessages = 0;
  let oldMessages = 0;
  for (const n of names) {
    const m = get(n);
    newMessages += m?.new_messages ?? 0;
    oldMessages += m?.old_messages ?? 0;
  }
  return { newMessages, oldMessages };
}

/** The mailboxes a list of names from pjsip.conf (`mailboxes = 1000@default, 1001`) refers to. */
function hasAny(list: readonly string[], names: readonly string[]): boolean {
  return list.some((m) => names.includes(m));
}

/** What MWI needs of the SIP stack (`SipStack` fits). */
export interface MwiStack {
  readonly config: PjsipConfig;
  readonly registrar: { bindings(aor: string): Binding[] };
  resolve(uri: string): Promise<SipAddress>;
  bindingDestination(binding: Binding): Promise<SipAddress>;
  contactFor(dest: SipAddress, user?: string): string;
  sendRequest(request: SipRequest, options: { destination?: SipAddress; onResponse?: (response: SipResponse, local: boolean) => void }): Promise<unknown>;
  onRequest(method: string, handler: RequestHandler): () => void;
  authenticate(request: SipRequest, tx: ServerTransaction, endpointId: string): boolean;
  attachDialog(dialog: Dialog, handlers: DialogHandlers): void;
  detachDialog(dialog: Dialog): void;
  readonly digest: { challenges(options: { realm: string; algorithms: readonly string[] }): string[] };
  readonly transports: { sentBy(dest: SipAddress): { host: string; port: number } };
}

export interface MailboxSource {
  get(name: string): Mailbox | undefined;
  onChange(listener: (change: MailboxChange) => void): () => void;
}

export interface MwiOptions {
  readonly stack: MwiStack;
  readonly mailboxes: MailboxSource;
  readonly logger: Logger;
  readonly timers?: TransactionTimers;
}

interface Subscription {
  readonly dialog: Dialog;
  readonly endpoint: string;
  readonly aor: string;
  readonly mailboxes: readonly string[];
  readonly dest: SipAddress | undefined;
  /** The Request-URI of the SUBSCRIBE: the Message-Account is built from it. */
  readonly resourceUri: string;
  expiresAt: number;
  timer: unknown;
}

export class Mwi {
  readonly #stack: MwiStack;
  readonly #mailboxes: MailboxSource;
  readonly #logger: Logger;
  readonly #timers: TransactionTimers;
  readonly #subs = new Set<Subscription>();
  readonly #off: Array<() => void> = [];
  #cseq = 0;

  constructor(options: MwiOptions) {
    this.#stack = options.stack;
    this.#mailboxes = options.mailboxes;
    this.#logger = options.logger;
    this.#timers = options.timers ?? realTimers;
    this.#off.push(this.#mailboxes.onChange((c) => this.#changed(c.name)));
    this.#off.push(this.#stack.onRequest('SUBSCRIBE', (req, tx, source, endpointId) => this.#subscribe(req, tx, source, endpointId)));
  }

  /** Number of active solicited subscriptions. */
  get subscriptions(): number {
    return this.#subs.size;
  }

  /** A contact registered to `aor`: it gets the current state of its endpoint's mailboxes at once. */
  contactAdded(aor: string, binding: Binding): void {
    const config = this.#stack.config;
    for (const e of config.endpoint.values()) {
      if (e.mailboxes.length === 0 || !e.aors.includes(aor)) continue;
      void this.#unsolicited(e, binding.uri, binding);
    }
  }

  /** Sends unsolicited NOTIFYs for `endpointId` now (all its contacts); resolves when they are sent. */
  async notifyEndpoint(endpointId: string): Promise<void> {
    const e = this.#stack.config.endpoint.get(endpointId);
    if (e === undefined || e.mailboxes.length === 0) return;
    const sends: Promise<void>[] = [];
    for (const aorId of e.aors) {
      const aor = this.#stack.config.aor.get(aorId);
      if (aor === undefined) continue;
      for (const uri of aor.contacts) sends.push(this.#unsolicited(e, uri, undefined));
      for (const b of this.#stack.registrar.bindings(aorId)) sends.push(this.#unsolicited(e, b.uri, b));
    }
    await Promise.all(sends);
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    for (const s of [...this.#subs]) this.#end(s, 'noresource');
  }

  #changed(mailbox: string): void {
    for (const e of this.#stack.config.endpoint.values()) {
      if (e.mailboxes.includes(mailbox)) void this.notifyEndpoint(e.id);
    }
    for (const s of this.#subs) if (s.mailboxes.includes(mailbox)) this.#notify(s, 'active');
  }

  async #unsolicited(endpoint: PjsipEndpoint, uri: string, binding: Binding | undefined): Promise<void> {
    const config = this.#stack.config;
    try {
      const dest = binding === undefined ? await this.#stack.resolve(uri) : await this.#stack.bindingDestination(binding);
      const s = this.#stack.transports.sentBy(dest);
      const host = endpoint.fromDomain !== '' ? endpoint.fromDomain : s.host.includes(':') ? `[${s.host}]` : `${s.host}:${s.port}`;
      const user = endpoint.fromUser !== '' ? endpoint.fromUser : config.global.defaultFromUser;
      const vm = config.global.defaultVoicemailExtension;
      const body = messageSummary(sumMailboxes((n) => this.#mailboxes.get(n), endpoint.mailboxes), vm === '' ? '' : `sip:${vm}@${host}`);
      const req = createRequest('NOTIFY', uri, [
        ['From', `<sip:${user}@${host}>;tag=${generateTag()}`],
        ['To', `<${uri}>`],
        ['Contact', this.#stack.contactFor(dest, user)],
        ['Call-ID', generateCallId()],
        ['CSeq', `${++this.#cseq} NOTIFY`],
        ['Subscription-State', 'active'],
        ['Event', 'message-summary'],
        ['Allow-Events', ALLOW_EVENTS],
        ['Content-Type', MWI_CONTENT_TYPE],
      ], body);
      await this.#stack.sendRequest(req, { destination: dest });
    } catch (e) {
      this.#logger.warning(`Unable to send unsolicited MWI NOTIFY to endpoint ${endpoint.id} URI ${uri}: ${(e as Error).message}`);
    }
  }

  // --- solicited ------------------------------------------------------------------------------------

  #subscribe(req: SipRequest, tx: ServerTransaction, source: SipSource, endpointId: string | undefined): void {
    const respond = (status: number, headers: Array<[string, string]> = []): void => {
      tx.respond(createResponse(req, status, { toTag: generateTag(), headers }));
    };
    const event = (req.headers.get('Event') ?? '').split(';')[0]?.trim().toLowerCase();
    if (event !== 'message-summary') {
      respond(489, [['Allow-Events', ALLOW_EVENTS]]);
      return;
    }
    const config = this.#stack.config;
    if (endpointId === undefined) {
      // Like a REGISTER from nobody: a challenge first, so the answer tells a scan nothing; then 403.
      if (req.headers.has('Authorization')) respond(403);
      else respond(401, this.#stack.digest.challenges({ realm: config.global.defaultRealm, algorithms: config.global.defaultAuthAlgorithmsUas }).map((c) => ['WWW-Authenticate', c] as [string, string]));
      return;
    }
    if (!this.#stack.authenticate(req, tx, endpointId)) return;
    const endpoint = config.endpoint.get(endpointId);
    if (endpoint === undefined || !endpoint.allowSubscribe) {
      respond(603);
      return;
    }
    const uri = parseUri(req.uri);
    if (!isSipUri(uri)) {
      respond(416);
      return;
    }
    const expiresHeader = req.headers.get('Expires');
    const expires = expiresHeader === undefined || !/^\s*\d+\s*$/.test(expiresHeader) ? DEFAULT_SUBSCRIBE_EXPIRES : Number(expiresHeader);
    if (expires === 0) {
      respond(400);
      return;
    }
    const resource = (uri.user ?? '').split(';')[0] ?? '';
    const aor = config.aor.get(resource) ?? endpoint.aors.map((a) => config.aor.get(a)).find((a) => a !== undefined && a.voicemailExtension !== '' && a.voicemailExtension === resource);
    if (aor === undefined || aor.mailboxes.length === 0) {
      respond(404);
      return;
    }
    if (hasAny(endpoint.mailboxes, aor.mailboxes)) {
      this.#logger.debug(1, `Endpoint '${endpoint.id}' already gets unsolicited MWI for a mailbox of '${aor.id}'; denying its subscription`);
      respond(500);
      return;
    }
    const dest: SipAddress | undefined = source.transport === 'udp' ? undefined
      : { transport: source.transport.toUpperCase(), host: source.address, port: source.port, ...(source.connectionId === undefined ? {} : { connection: source.connectionId }) };
    const localTag = generateTag();
    const contact = this.#stack.contactFor(dest ?? { transport: 'UDP', host: source.address, port: source.port }, endpoint.contactUser || 's');
    const dialog = Dialog.uas(req, localTag, contact, 'confirmed');
    const sub: Subscription = { dialog, endpoint: endpoint.id, aor: aor.id, mailboxes: aor.mailboxes, dest, resourceUri: req.uri, expiresAt: 0, timer: undefined };
    this.#subs.add(sub);
    this.#stack.attachDialog(dialog, { onRequest: (r, t) => this.#inDialog(sub, r, t) });
    this.#arm(sub, expires);
    tx.respond(createResponse(req, 200, { toTag: localTag, headers: [['Contact', contact], ['Expires', String(expires)]] }));
    this.#notify(sub, 'active');
  }

  #inDialog(sub: Subscription, req: SipRequest, tx: ServerTransaction): void {
    if (req.method !== 'SUBSCRIBE') {
      tx.respond(createResponse(req, req.method === 'BYE' ? 481 : 405, { headers: [['Allow', 'SUBSCRIBE, NOTIFY']] }));
      return;
    }
    const header = req.headers.get('Expires');
    const expires = header === undefined || !/^\s*\d+\s*$/.test(header) ? DEFAULT_SUBSCRIBE_EXPIRES : Number(header);
    tx.respond(createResponse(req, 200, { headers: [['Contact', sub.dialog.localContact], ['Expires', String(expires)]] }));
    if (expires === 0) {
      this.#end(sub, 'timeout');
      return;
    }
    this.#arm(sub, expires);
    this.#notify(sub, 'active');
  }

  #arm(sub: Subscription, seconds: number): void {
    this.#timers.clearTimeout(sub.timer);
    sub.expiresAt = Date.now() + seconds * 1000;
    sub.timer = this.#timers.setTimeout(() => this.#end(sub, 'timeout'), seconds * 1000);
  }

  #end(sub: Subscription, reason: string): void {
    if (!this.#subs.delete(sub)) return;
    this.#timers.clearTimeout(sub.timer);
    this.#notify(sub, `terminated;reason=${reason}`);
    this.#stack.detachDialog(sub.dialog);
  }

  #notify(sub: Subscription, state: string): void {
    const aor = this.#stack.config.aor.get(sub.aor);
    const vm = aor?.voicemailExtension || this.#stack.config.global.defaultVoicemailExtension;
    let account = '';
    if (vm !== '') {
      const u = parseUri(sub.resourceUri);
      if (isSipUri(u)) account = `${u.scheme}:${vm}@${u.host.includes(':') ? `[${u.host}]` : u.host}${u.port === undefined ? '' : `:${u.port}`}`;
    }
    const remaining = Math.max(0, Math.round((sub.expiresAt - Date.now()) / 1000));
    const { request, nextHop } = sub.dialog.createRequest('NOTIFY', {
      headers: [
        ['Event', 'message-summary'],
        ['Subscription-State', state === 'active' ? `active;expires=${remaining}` : state],
        ['Allow-Events', ALLOW_EVENTS],
      ],
      body: messageSummary(sumMailboxes((n) => this.#mailboxes.get(n), sub.mailboxes), account),
      contentType: MWI_CONTENT_TYPE,
    });
    void (async () => {
      try {
        await this.#stack.sendRequest(request, { destination: sub.dest ?? (await this.#stack.resolve(nextHop)) });
      } catch (e) {
        this.#logger.warning(`Unable to send MWI NOTIFY to endpoint ${sub.endpoint}: ${(e as Error).message}`);
      }
    })();
  }
}
