/**
 * Outbound registration (`type = registration` in pjsip.conf): Ariadne registers itself with a provider's
 * registrar, as Asterisk's res_pjsip_outbound_registration does.
 *
 * For each registration object: a REGISTER to `server_uri`, From and To `client_uri`, Contact
 * `<sip:<contact_user>@<our address toward the server>>` (plus `contact_header_params`), `Expires: expiration`.
 * A 401/407 is answered with the registration's `outbound_auth` once per challenge; the credentials are then
 * sent up front on every refresh (a registrar that wants a new nonce challenges again). After a 2xx the
 * registration is refreshed before the granted expiry runs out; failures follow Asterisk's rules:
 *
 * - a Retry-After header: retry after that many seconds;
 * - a temporary failure (408, 500, 502, 503, 504, 6xx, or 401/407 when `auth_rejection_permanent = no`) with
 *   `retry_interval` set: retry every `retry_interval` seconds, `max_retries` times, then give up;
 * - 403 with `forbidden_retry_interval`, or any other failure with `fatal_retry_interval`: retry after that
 *   interval while retries remain;
 * - otherwise the registration is Rejected for good (until a reload changes it).
 *
 * `line = yes` (with `endpoint = <name>`): the Contact URI carries `;line=<token>`, seven random lower-case
 * letters drawn when the registration starts (again when a reload restarts it). A provider that routes a call to
 * that Contact sends the token back in the Request-URI (or the To URI), and `endpointForLine` names the
 * registration's `endpoint` for it: the stack asks it before pjsip.conf's identifiers, as res_pjsip puts this
 * identifier in front of `endpoint_identifier_order`. So a provider's calls are placed without an `identify`.
 *
 * The first attempt waits 1 s plus a random part of `max_random_initial_delay`, so a server with many
 * registrations does not fire them all at once. `update(config)` (pjsip reload) leaves unchanged registrations
 * alone, restarts changed ones and unregisters (Expires: 0) removed ones. `close()` unregisters what is
 * registered, without waiting long for the answers.
 *
 * Everything that touches the network goes through a `RegistrationClient`, so the state machine is tested
 * on a manual clock with scripted responses.
 */

import type { PjsipAuth, PjsipConfig, PjsipRegistration } from '../config/pjsip.ts';
import type { Logger } from '../shared/logger.ts';
import { answerChallenge, DigestClientState } from './auth/digest.ts';
import { parseNameAddr } from './message/fields.ts';
import { generateCallId, generateTag } from './message/helpers.ts';
import { contactsOf, createRequest, type SipRequest, type SipResponse } from './message/message.ts';
import { isSipUri, parseUri, type Uri } from './message/uri.ts';
import type { SipAddress } from './transaction/transaction.ts';
import type { TransactionTimers } from './transaction/timers.ts';
import { realTimers } from './transaction/timers.ts';

/** Asterisk refreshes a registration this many seconds before it runs out. */
const REREGISTER_BUFFER_S = 10;

/** Letters in a `line` token (Asterisk's buffer of 8 holds 7 and the terminator). */
const LINE_TOKEN_LENGTH = 7;

/** What `pjsip show registrations` prints; Asterisk shows a stopped registration as Unregistered. */
export type RegistrationStatus = 'Unregistered' | 'Registered' | 'Rejected';

export interface RegistrationState {
  readonly id: string;
  readonly status: RegistrationStatus;
  /**
   * Epoch ms of the last scheduled REGISTER: what `pjsip show registrations` prints as `exp.` (Asterisk shows
   * the time of the next refresh or retry there, not the binding's expiry; in the past once it gave up).
   */
  readonly expiresAt: number;
  /** Epoch ms when the binding granted by the registrar runs out (0 when not registered). */
  readonly registeredUntil: number;
  /** Failed attempts since the last success. */
  readonly retries: number;
  /** Status code of the last final response (0 before the first, 408 for no answer). */
  readonly lastCode: number;
}

/** The network side: where to send, our Contact toward the server, and one request/final-response round. */
export interface RegistrationClient {
  /** `<sip:user@our-host:our-port;transport=x>` as the server will see us. */
  contact(registration: PjsipRegistration, user: string): Promise<string>;
  /** Sends `request` (Via added by the client) and resolves with its final response; 408 when nothing came. */
  send(registration: PjsipRegistration, request: SipRequest): Promise<SipResponse>;
}

export interface OutboundRegistrationsOptions {
  readonly config: PjsipConfig;
  readonly client: RegistrationClient;
  readonly logger: Logger;
  readonly timers?: TransactionTimers;
  readonly now?: () => number;
  /** 0 ≤ n < 1, for the random initial delay (default Math.random). */
  readonly random?: () => number;
  /** Status changes (for events/logs). */
  readonly onStatus?: (state: RegistrationState) => void;
}

interface Client {
  reg: PjsipRegistration;
  status: RegistrationStatus;
  expiresAt: number;
  nextAt: number;
  retries: number;
  lastCode: number;
  readonly callId: string;
  readonly fromTag: string;
  cseq: number;
  /** The last challenge answered, so refreshes carry credentials up front. */
  challenge: SipResponse | undefined;
  readonly digest: DigestClientState;
  timer: unknown;
  /** True once stopped: late responses and timers of this client are ignored. */
  stopped: boolean;
  /** Set while a REGISTER is outstanding. */
  busy: boolean;
  /** The Contact we last sent, to find our binding in the 2xx. */
  contactUri: string;
  /** The `line` token of our Contact ('' without `line = yes`). */
  readonly line: string;
}

export class OutboundRegistrations {
  readonly #client: RegistrationClient;
  readonly #logger: Logger;
  readonly #timers: TransactionTimers;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onStatus: ((state: RegistrationState) => void) | undefined;
  readonly #clients = new Map<string, Client>();
  #config: PjsipConfig;
  #closed = false;

  constructor(options: OutboundRegistrationsOptions) {
    this.#client = options.client;
    this.#logger = options.logger;
    this.#timers = options.timers ?? realTimers;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#onStatus = options.onStatus;
    this.#config = options.config;
    for (const reg of options.config.registration.values()) this.#start(reg);
  }

  /** The state of registration `id`; undefined for an unknown id. */
  state(id: string): RegistrationState | undefined {
    const c = this.#clients.get(id);
    return c === undefined ? undefined : snapshot(c);
  }

  list(): RegistrationState[] {
    return [...this.#clients.values()].map(snapshot);
  }

  /**
   * The endpoint of the registration whose `line` token `request` carries (a `line` parameter of the To URI,
   * else of the Request-URI, as Asterisk looks); undefined when there is none or it is not one of ours.
   */
  endpointForLine(request: SipRequest): string | undefined {
    const token = lineOf(request);
    if (token === undefined || token === '') return undefined;
    for (const c of this.#clients.values()) {
      if (c.line === token && c.reg.endpoint !== '') {
        this.#logger.debug(3, `Determined relationship to outbound registration '${c.reg.id}' based on line '${token}', using configured endpoint '${c.reg.endpoint}'`);
        return c.reg.endpoint;
      }
    }
    return undefined;
  }

  /** pjsip reload: start new registrations, restart changed ones, unregister removed ones. */
  update(config: PjsipConfig): void {
    this.#config = config;
    if (this.#closed) return;
    for (const [id, c] of [...this.#clients]) {
      const next = config.registration.get(id);
      if (next !== undefined && sameSettings(c.reg, next)) {
        c.reg = next;
        continue;
      }
      this.#stop(c);
      this.#clients.delete(id);
      if (next !== undefined) this.#start(next);
    }
    for (const reg of config.registration.values()) if (!this.#clients.has(reg.id)) this.#start(reg);
  }

  /** Unregisters every registered client (waiting at most `waitMs` for the answers) and stops. */
  async close(waitMs = 300): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pending = [...this.#clients.values()].map((c) => this.#stop(c));
    this.#clients.clear();
    let timer: unknown;
    await Promise.race([Promise.all(pending), new Promise<void>((r) => (timer = this.#timers.setTimeout(r, waitMs)))]);
    this.#timers.clearTimeout(timer);
  }

  #start(reg: PjsipRegistration): void {
    const c: Client = {
      reg, status: 'Unregistered', expiresAt: 0, nextAt: 0, retries: 0, lastCode: 0, callId: generateCallId(), fromTag: generateTag(),
      cseq: 0, challenge: undefined, digest: new DigestClientState(), timer: undefined, stopped: false, busy: false, contactUri: '',
      line: reg.line ? lineToken(this.#random) : '',
    };
    this.#clients.set(reg.id, c);
    const delay = reg.maxRandomInitialDelay > 0 ? Math.floor(this.#random() * reg.maxRandomInitialDelay) : 0;
    this.#schedule(c, delay + 1);
  }

  /** Stops `c`; a registered client is unregistered (resolves when answered or failed). */
  async #stop(c: Client): Promise<void> {
    c.stopped = true;
    this.#timers.clearTimeout(c.timer);
    if (c.status !== 'Registered') return;
    c.status = 'Unregistered';
    try {
      await this.#exchange(c, 0);
    } catch {
      // Unregistering is best effort; the binding expires at the registrar anyway.
    }
  }

  #schedule(c: Client, seconds: number): void {
    this.#timers.clearTimeout(c.timer);
    c.nextAt = this.#now() + seconds * 1000;
    c.timer = this.#timers.setTimeout(() => {
      c.timer = undefined;
      if (!c.stopped && !c.busy) void this.#attempt(c);
    }, seconds * 1000);
  }

  /** One REGISTER round with `expires`, answering a challenge once per CSeq; resolves with the final response. */
  async #exchange(c: Client, expires: number): Promise<SipResponse> {
    const reg = c.reg;
    const contact = withLine(await this.#client.contact(reg, reg.contactUser || 's'), c.line);
    c.contactUri = contact;
    const contactValue = reg.contactHeaderParams === '' ? contact : `${contact};${reg.contactHeaderParams}`;
    c.cseq++;
    const headers: Array<[string, string]> = [
      ['From', `<${reg.clientUri}>;tag=${c.fromTag}`],
      ['To', `<${reg.clientUri}>`],
      ['Call-ID', c.callId],
      ['CSeq', `${c.cseq} REGISTER`],
      ['Contact', contactValue],
      ['Expires', String(expires)],
    ];
    if (reg.userAgent !== '') headers.push(['User-Agent', reg.userAgent]);
    if (reg.outboundProxy !== '') headers.push(['Route', reg.outboundProxy.startsWith('<') ? reg.outboundProxy : `<${reg.outboundProxy}>`]);
    let request = createRequest('REGISTER', reg.serverUri, headers);
    if (c.challenge !== undefined) request = this.#withCredentials(c, request, c.challenge) ?? request;
    let res = await this.#client.send(reg, request);
    if (res.status === 401 || res.status === 407) {
      const retry = this.#withCredentials(c, request, res);
      if (retry !== undefined) {
        c.challenge = res;
        res = await this.#client.send(reg, retry);
      }
    }
    return res;
  }

  /** The request again with credentials for `challenge` (same CSeq space: the copy takes CSeq + 1). */
  #withCredentials(c: Client, request: SipRequest, challenge: SipResponse): SipRequest | undefined {
    const auths = c.reg.outboundAuth.map((a) => this.#config.auth.get(a)).filter((a): a is PjsipAuth => a !== undefined);
    if (auths.length === 0) return undefined;
    // answerChallenge wants a Via to re-branch; the client stamps the real one when sending.
    const withVia = { ...request, headers: request.headers.clone() };
    withVia.headers.prepend('Via', 'SIP/2.0/UDP 0.0.0.0;branch=z9hG4bKplaceholder');
    const retry = answerChallenge(withVia, challenge, { auths, defaultAlgorithms: this.#config.global.defaultAuthAlgorithmsUac, state: c.digest });
    if (retry === undefined) return undefined;
    retry.headers.removeFirst('Via');
    c.cseq++;
    return retry;
  }

  async #attempt(c: Client): Promise<void> {
    c.busy = true;
    let res: SipResponse | undefined;
    try {
      res = await this.#exchange(c, c.reg.expiration);
    } catch (e) {
      this.#logger.warning(`Outbound registration '${c.reg.id}' to '${c.reg.serverUri}' could not be sent: ${(e as Error).message}`);
    } finally {
      c.busy = false;
    }
    if (c.stopped) return;
    this.#handle(c, res?.status ?? 408, res);
  }

  #handle(c: Client, code: number, res: SipResponse | undefined): void {
    const reg = c.reg;
    c.lastCode = code;
    if (code >= 200 && code < 300 && res !== undefined) {
      const granted = grantedExpiry(res, reg.expiration, c.contactUri);
      if (granted > 0) {
        c.retries = 0;
        c.expiresAt = this.#now() + granted * 1000;
        this.#setStatus(c, 'Registered');
        // Asterisk refreshes `expiration - 10 s` after the 2xx (at once when that is not positive); for short
        // grants Ariadne refreshes at half the lifetime instead, so a 2 s grant does not become a busy loop.
        this.#schedule(c, granted > REREGISTER_BUFFER_S ? granted - REREGISTER_BUFFER_S : granted / 2);
      } else {
        c.expiresAt = 0;
        this.#setStatus(c, 'Unregistered');
      }
      return;
    }
    c.expiresAt = 0;
    const retryAfter = res === undefined ? undefined : Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
    if (retryAfter !== undefined && Number.isFinite(retryAfter) && retryAfter > 0) {
      this.#retry(c, retryAfter, `Temporal response '${code}' received from '${reg.serverUri}' on registration attempt to '${reg.clientUri}', retrying in '${retryAfter}'`);
      return;
    }
    const temporal = code === 408 || code === 500 || code === 502 || code === 503 || code === 504 || code >= 600
      || ((code === 401 || code === 407) && !reg.authRejectionPermanent);
    if (reg.retryInterval > 0 && temporal) {
      if (c.retries >= reg.maxRetries) {
        this.#setStatus(c, 'Rejected');
        this.#logger.warning(`Maximum retries reached when attempting outbound registration to '${reg.serverUri}' with client '${reg.clientUri}', stopping registration attempt`);
        return;
      }
      c.retries++;
      this.#retry(c, reg.retryInterval, res === undefined
        ? `No response received from '${reg.serverUri}' on registration attempt to '${reg.clientUri}', retrying in '${reg.retryInterval}'`
        : `Temporal response '${code}' received from '${reg.serverUri}' on registration attempt to '${reg.clientUri}', retrying in '${reg.retryInterval}'`);
      return;
    }
    if (code === 403 && reg.forbiddenRetryInterval > 0 && c.retries < reg.maxRetries) {
      c.retries++;
      this.#retry(c, reg.forbiddenRetryInterval, `403 Forbidden fatal response received from '${reg.serverUri}' on registration attempt to '${reg.clientUri}', retrying in '${reg.forbiddenRetryInterval}' seconds`);
      return;
    }
    if (reg.fatalRetryInterval > 0 && c.retries < reg.maxRetries) {
      c.retries++;
      this.#retry(c, reg.fatalRetryInterval, `'${code}' fatal response received from '${reg.serverUri}' on registration attempt to '${reg.clientUri}', retrying in '${reg.fatalRetryInterval}' seconds`);
      return;
    }
    this.#setStatus(c, 'Rejected');
    this.#logger.warning(`Fatal response '${code}' received from '${reg.serverUri}' on registration attempt to '${reg.clientUri}', stopping outbound registration`);
  }

  #retry(c: Client, seconds: number, message: string): void {
    this.#setStatus(c, 'Rejected');
    this.#logger.warning(message);
    this.#schedule(c, seconds);
  }

  #setStatus(c: Client, status: RegistrationStatus): void {
    if (c.status === status) return;
    c.status = status;
    this.#logger.verbose(3, `Outbound registration '${c.reg.id}' to '${c.reg.serverUri}' is now ${status}`);
    try {
      this.#onStatus?.(snapshot(c));
    } catch (e) {
      this.#logger.error(`registration status listener failed: ${String(e)}`);
    }
  }
}

/** Seven random lower-case letters, like Asterisk's line tokens. */
function lineToken(random: () => number): string {
  let token = '';
  for (let i = 0; i < LINE_TOKEN_LENGTH; i++) token += String.fromCharCode(97 + Math.floor(random() * 26));
  return token;
}

/** `<sip:user@host:port;transport=x>` with `;line=token` added to the URI (inside the brackets). */
function withLine(contact: string, line: string): string {
  if (line === '') return contact;
  return contact.endsWith('>') ? `${contact.slice(0, -1)};line=${line}>` : `${contact};line=${line}`;
}

/** The `line` URI parameter of the To header, else of the Request-URI. */
export function lineOf(request: SipRequest): string | undefined {
  const param = (uri: Uri): string | undefined => {
    if (!isSipUri(uri)) return undefined;
    const v = uri.params.get('line');
    return typeof v === 'string' ? v : undefined;
  };
  try {
    const to = request.headers.get('To');
    const fromTo = to === undefined ? undefined : param(parseNameAddr(to).uri);
    if (fromTo !== undefined) return fromTo;
  } catch {
    // a To we cannot read: look at the Request-URI
  }
  try {
    return param(parseUri(request.uri));
  } catch {
    return undefined;
  }
}

function snapshot(c: Client): RegistrationState {
  return { id: c.reg.id, status: c.status, expiresAt: c.nextAt, registeredUntil: c.expiresAt, retries: c.retries, lastCode: c.lastCode };
}

/** Settings that make a running registration restart when a reload changes them (everything but `source`). */
function sameSettings(a: PjsipRegistration, b: PjsipRegistration): boolean {
  const strip = (r: PjsipRegistration): string => JSON.stringify({ ...r, source: undefined });
  return strip(a) === strip(b);
}

/**
 * The lifetime the registrar granted: the `expires` parameter of the Contact it returns for us (matched by
 * user, host and port; the only one when there is just one), else the Expires header, else what we asked for.
 */
export function grantedExpiry(res: SipResponse, requested: number, ours = ''): number {
  let contacts: ReturnType<typeof contactsOf> = [];
  try {
    contacts = contactsOf(res);
  } catch {
    contacts = [];
  }
  if (contacts !== '*') {
    const key = (uri: Uri): string => (isSipUri(uri) ? `${uri.user ?? ''}@${uri.host.toLowerCase()}:${uri.port ?? ''}` : '');
    let mine = '';
    try {
      mine = ours === '' ? '' : key(parseNameAddr(ours).uri);
    } catch {
      mine = '';
    }
    const match = contacts.length === 1 ? contacts[0] : contacts.find((c) => key(c.uri) === mine);
    const e = match?.params.get('expires');
    if (typeof e === 'string' && /^\d+$/.test(e)) return Number(e);
  }
  const header = res.headers.get('Expires');
  if (header !== undefined && /^\s*\d+\s*$/.test(header)) return Number(header);
  return requested;
}

/** The parts of `SipStack` a `RegistrationClient` needs. */
export interface RegistrationStack {
  resolve(uri: string): Promise<SipAddress>;
  contactFor(dest: SipAddress, user?: string): string;
  sendRequest(request: SipRequest, options: { destination?: SipAddress; onResponse?: (response: SipResponse, local: boolean) => void }): Promise<unknown>;
  readonly config: PjsipConfig;
}

/**
 * Sends registrations through the SIP stack: to `outbound_proxy` when set, else to `server_uri`; over the
 * protocol of the registration's `transport` when it names one (the URI's own transport otherwise).
 */
export function stackRegistrationClient(stack: RegistrationStack): RegistrationClient {
  const destination = async (reg: PjsipRegistration): Promise<SipAddress> => {
    const proxy = reg.outboundProxy === '' ? '' : reg.outboundProxy.replace(/^<|>.*$/g, '');
    const dest = await stack.resolve(proxy === '' ? reg.serverUri : proxy);
    const t = reg.transport === '' ? undefined : stack.config.transport.get(reg.transport);
    return t === undefined ? dest : { ...dest, transport: t.protocol.toUpperCase() };
  };
  return {
    contact: async (reg, user) => stack.contactFor(await destination(reg), user),
    send: async (reg, request) => {
      const dest = await destination(reg);
      return new Promise<SipResponse>((resolve, reject) => {
        stack.sendRequest(request, {
          destination: dest,
          onResponse: (res) => {
            if (res.status >= 200) resolve(res);
          },
        }).catch(reject);
      });
    },
  };
}
