/**
 * The registrar (RFC 3261 §10.3) for the AORs of pjsip.conf, with Asterisk's rules on top:
 *
 * - the AOR is the To URI's user (or `user@domain`) and must be one of the identified endpoint's `aors`
 *   (404 otherwise); an AOR with `max_contacts=0` accepts no registrations (403);
 * - each Contact's lifetime is its `expires` parameter, else the Expires header, else `default_expiration`;
 *   a non-zero lifetime under `minimum_expiration` is refused with 423 and Min-Expires, one over
 *   `maximum_expiration` is cut down to it;
 * - `Contact: *` with `Expires: 0` removes every binding of the AOR;
 * - a binding is replaced only by a request with a different Call-ID or a higher CSeq (an older one fails with
 *   500, §10.3 step 7);
 * - more bindings than `max_contacts` fail with 403, unless `remove_existing=yes`, which drops the bindings
 *   closest to expiring to make room;
 * - the 200 lists every current binding with its remaining `expires`.
 *
 * Bindings expire on the injected timers; each change is reported through `onContactChange`. Path and
 * `+sip.instance`/`reg-id` are stored with the binding (not used for routing yet).
 */

import type { PjsipAor, PjsipConfig } from '../../config/pjsip.ts';
import { parseNumber, type NameAddr } from '../message/fields.ts';
import { createResponse } from '../message/helpers.ts';
import { callId, contactsOf, cseq, toOf, type SipRequest, type SipResponse } from '../message/message.ts';
import { formatUri, isSipUri, uriEquals, parseUri } from '../message/uri.ts';
import { realTimers, type TransactionTimers } from '../transaction/timers.ts';
import { SipParseError } from '../message/errors.ts';

export type ContactChange = 'created' | 'removed' | 'updated';

export interface Binding {
  readonly aor: string;
  /** `aor;@<n>`, unique for the life of the registrar (Asterisk names contacts `aor;@hash`). */
  readonly id: string;
  /** The contact URI as registered. */
  readonly uri: string;
  /** Absolute expiry, ms on the registrar's clock. */
  expiresAt: number;
  callId: string;
  cseq: number;
  userAgent: string;
  path: readonly string[];
  instance: string | undefined;
  regId: string | undefined;
  /** The endpoint that registered it. */
  endpoint: string | undefined;
  /** Where the REGISTER came from (for NAT: `rewrite_contact`, qualify). */
  source: { transport: string; address: string; port: number; connectionId?: string } | undefined;
}

export interface RegistrarOptions {
  readonly config: () => PjsipConfig;
  /** Clock in ms (default Date.now). Expiry timers run on `timers`, which must follow the same clock. */
  readonly now?: () => number;
  readonly timers?: TransactionTimers;
  readonly onContactChange?: (aor: string, binding: Binding, change: ContactChange) => void;
}

export interface RegisterSource {
  readonly transport: string;
  readonly address: string;
  readonly port: number;
  readonly connectionId?: string;
}

export class Registrar {
  readonly #options: RegistrarOptions;
  readonly #now: () => number;
  readonly #timers: TransactionTimers;
  readonly #bindings = new Map<string, Binding[]>();
  readonly #expiry = new Map<Binding, unknown>();
  #seq = 0;

  constructor(options: RegistrarOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? realTimers;
  }

  /** The AOR a REGISTER from `endpointId` is for, or undefined (→ 404). */
  findAor(request: SipRequest, endpointId: string): PjsipAor | undefined {
    const config = this.#options.config();
    const endpoint = config.endpoint.get(endpointId);
    if (endpoint === undefined) return undefined;
    const uri = toOf(request).uri;
    if (!isSipUri(uri) || uri.user === undefined) return undefined;
    for (const name of [uri.user, `${uri.user}@${uri.host}`]) {
      if (endpoint.aors.includes(name)) return config.aor.get(name);
    }
    return undefined;
  }

  /** Live bindings of an AOR (not expired), oldest first. */
  bindings(aor: string): Binding[] {
    const now = this.#now();
    return (this.#bindings.get(aor) ?? []).filter((b) => b.expiresAt > now);
  }

  /** Every AOR that has bindings. */
  aors(): string[] {
    return [...this.#bindings.keys()];
  }

  /**
   * Handles an authenticated REGISTER from `endpointId` and returns the response to send (200, 400, 403,
   * 404, 423, 500).
   */
  register(request: SipRequest, source: RegisterSource, endpointId: string, options: { rewriteContact?: boolean } = {}): SipResponse {
    const aor = this.findAor(request, endpointId);
    if (aor === undefined) return createResponse(request, 404);
    if (aor.maxContacts === 0) return createResponse(request, 403, { reason: 'Forbidden' });
    let contacts: '*' | NameAddr[];
    let headerExpires: number | undefined;
    try {
      contacts = contactsOf(request);
      if (options.rewriteContact === true && contacts !== '*') contacts = contacts.map((c) => rewrite(c, source));
      const e = request.headers.get('Expires');
      headerExpires = e === undefined ? undefined : parseNumber(e);
    } catch (e) {
      if (e instanceof SipParseError) return createResponse(request, 400);
      throw e;
    }
    const cid = callId(request);
    const seq = cseq(request).seq;
    const now = this.#now();
    if (contacts === '*') {
      if (headerExpires !== 0) return createResponse(request, 400, { reason: 'Bad Request' });
      for (const b of [...this.bindings(aor.id)]) this.#remove(b);
      return this.#ok(request, aor.id);
    }
    // Validate everything before changing anything (§10.3: the request succeeds or fails as a whole).
    const planned: Array<{ na: NameAddr; expires: number; existing: Binding | undefined }> = [];
    for (const na of contacts) {
      const raw = na.params.get('expires');
      let expires = raw !== undefined && raw !== null && /^\d+$/.test(raw) ? Number(raw) : (headerExpires ?? aor.defaultExpiration);
      if (expires !== 0 && expires < aor.minimumExpiration) {
        return createResponse(request, 423, { headers: [['Min-Expires', String(aor.minimumExpiration)]] });
      }
      if (aor.maximumExpiration > 0 && expires > aor.maximumExpiration) expires = aor.maximumExpiration;
      const existing = this.bindings(aor.id).find((b) => sameUri(b.uri, na));
      if (existing !== undefined && existing.callId === cid && seq <= existing.cseq) {
        return createResponse(request, 500, { reason: 'Server Internal Error' });
      }
      planned.push({ na, expires, existing });
    }
    const current = this.bindings(aor.id);
    const removing = planned.filter((p) => p.expires === 0 && p.existing !== undefined).length;
    const adding = planned.filter((p) => p.expires > 0 && p.existing === undefined).length;
    const overflow = current.length - removing + adding - aor.maxContacts;
    if (overflow > 0 && !aor.removeExisting) return createResponse(request, 403, { reason: 'Forbidden' });

    const userAgent = request.headers.get('User-Agent') ?? '';
    const path = request.headers.values('Path');
    for (const p of planned) {
      if (p.expires === 0) {
        if (p.existing !== undefined) this.#remove(p.existing);
        continue;
      }
      const fields = {
        expiresAt: now + p.expires * 1000,
        callId: cid,
        cseq: seq,
        userAgent,
        path,
        instance: stringParam(p.na, '+sip.instance'),
        regId: stringParam(p.na, 'reg-id'),
        endpoint: endpointId,
        source: { transport: source.transport, address: source.address, port: source.port, ...(source.connectionId === undefined ? {} : { connectionId: source.connectionId }) },
      };
      if (p.existing !== undefined) {
        Object.assign(p.existing, fields);
        this.#arm(p.existing);
        this.#emit(p.existing, 'updated');
      } else {
        const b: Binding = { aor: aor.id, id: `${aor.id};@${++this.#seq}`, uri: formatUri(p.na.uri), ...fields };
        const list = this.#bindings.get(aor.id) ?? [];
        list.push(b);
        this.#bindings.set(aor.id, list);
        this.#arm(b);
        this.#emit(b, 'created');
      }
    }
    if (overflow > 0) {
      // remove_existing: drop the bindings closest to expiring (never one this request just wrote).
      const written = new Set(planned.map((p) => p.existing).filter((b) => b !== undefined));
      const victims = this.bindings(aor.id)
        .filter((b) => !written.has(b) && b.callId !== cid)
        .sort((a, b) => a.expiresAt - b.expiresAt)
        .slice(0, overflow);
      for (const v of victims) this.#remove(v);
    }
    return this.#ok(request, aor.id);
  }

  /** Removes one binding by id (`pjsip` CLI, ARI); false when unknown. */
  remove(bindingId: string): boolean {
    for (const list of this.#bindings.values()) {
      const b = list.find((x) => x.id === bindingId);
      if (b !== undefined) {
        this.#remove(b);
        return true;
      }
    }
    return false;
  }

  /** Stops every expiry timer (bindings are kept: nothing is reported). */
  close(): void {
    for (const h of this.#expiry.values()) this.#timers.clearTimeout(h);
    this.#expiry.clear();
  }

  #ok(request: SipRequest, aor: string): SipResponse {
    const now = this.#now();
    const headers: Array<[string, string]> = this.bindings(aor).map((b) => ['Contact', `<${b.uri}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`]);
    headers.push(['Date', new Date(now).toUTCString()]);
    return createResponse(request, 200, { headers });
  }

  #arm(b: Binding): void {
    const old = this.#expiry.get(b);
    if (old !== undefined) this.#timers.clearTimeout(old);
    this.#expiry.set(b, this.#timers.setTimeout(() => {
      this.#expiry.delete(b);
      this.#remove(b);
    }, Math.max(0, b.expiresAt - this.#now())));
  }

  #remove(b: Binding): void {
    const list = this.#bindings.get(b.aor);
    if (list === undefined) return;
    const i = list.indexOf(b);
    if (i < 0) return;
    list.splice(i, 1);
    if (list.length === 0) this.#bindings.delete(b.aor);
    const h = this.#expiry.get(b);
    if (h !== undefined) this.#timers.clearTimeout(h);
    this.#expiry.delete(b);
    this.#emit(b, 'removed');
  }

  #emit(b: Binding, change: ContactChange): void {
    try {
      this.#options.onContactChange?.(b.aor, b, change);
    } catch (e) {
      console.error('ariadne:sip:registrar onContactChange threw', e);
    }
  }
}

/**
 * `rewrite_contact=yes`: the contact is reached where the REGISTER came from (a phone behind NAT writes its
 * private address), and the original host:port is kept in `x-ast-orig-host` as Asterisk does.
 */
function rewrite(na: NameAddr, source: RegisterSource): NameAddr {
  const uri = na.uri;
  if (!isSipUri(uri)) return na;
  const params = new Map(uri.params);
  params.set('x-ast-orig-host', `${uri.host.includes(':') ? `[${uri.host}]` : uri.host}:${uri.port ?? 5060}`);
  const t = source.transport.toLowerCase();
  if (t === 'udp') params.delete('transport');
  else params.set('transport', t);
  return { ...na, uri: { ...uri, host: source.address, port: source.port, params } };
}

function sameUri(uri: string, na: NameAddr): boolean {
  try {
    return uriEquals(parseUri(uri), na.uri);
  } catch {
    return uri === formatUri(na.uri);
  }
}

function stringParam(na: NameAddr, name: string): string | undefined {
  const v = na.params.get(name);
  return v === undefined || v === null ? undefined : v.replace(/^"(.*)"$/, '$1');
}

