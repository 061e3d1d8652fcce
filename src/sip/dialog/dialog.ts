/**
 * SIP dialogs (RFC 3261 §12): the state two user agents share after an INVITE (or SUBSCRIBE/REFER) is
 * answered with a To tag — Call-ID, local and remote tags, local and remote URIs, the CSeq numbers each side
 * uses, the remote target (the peer's Contact) and the route set (Record-Route, reversed on the UAC side).
 *
 * A `Dialog` builds the in-dialog requests (BYE, re-INVITE, UPDATE, INFO, REFER, NOTIFY, and the ACK for a
 * 2xx) with the right Request-URI and Route headers for loose (`;lr`) and strict routing (§12.2.1.1), checks
 * the CSeq order of incoming requests (§12.2.2) and refreshes the remote target on re-INVITE/UPDATE and their
 * 2xx. It adds no Via: the stack stamps one when it sends. `DialogRegistry` finds the dialog of an incoming
 * request or response by its three identifiers.
 */

import { formatNameAddr, parseNameAddr, type NameAddr } from '../message/fields.ts';
import { contactsOf, callId as callIdOf, cseq, fromOf, toOf, createRequest, type SipRequest, type SipResponse } from '../message/message.ts';
import { formatUri, isSipUri, parseUri } from '../message/uri.ts';

export type DialogRole = 'uac' | 'uas';
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** Methods whose requests and 2xx carry a Contact that replaces the remote target (§12.2, RFC 3311). */
const TARGET_REFRESH = new Set(['INVITE', 'UPDATE', 'SUBSCRIBE', 'NOTIFY', 'REFER']);

export interface DialogRequestOptions {
  readonly headers?: Iterable<readonly [string, string]>;
  readonly body?: Buffer | string;
  readonly contentType?: string;
  /** Use this CSeq number instead of the next one (ACK and CANCEL reuse the INVITE's). */
  readonly cseq?: number;
}

export interface DialogRequest {
  readonly request: SipRequest;
  /** Where it goes first: the first Route's URI, or the Request-URI when there is no route set. */
  readonly nextHop: string;
}

export class Dialog {
  readonly role: DialogRole;
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  state: DialogState;
  /** Our URI (From in our requests) without tag. */
  readonly local: NameAddr;
  /** The peer's URI (To in our requests) without tag. */
  readonly remote: NameAddr;
  localSeq: number;
  /** Highest CSeq the peer used; undefined until it sends a request (UAC side). */
  remoteSeq: number | undefined;
  remoteTarget: string;
  /** Route set as URIs with their parameters (name-addr text), in the order our requests list them. */
  readonly routeSet: readonly string[];
  /** Our Contact header value. */
  localContact: string;
  readonly secure: boolean;
  /** Anything the owner (the channel driver) wants to hang on the dialog. */
  owner: unknown;

  private constructor(init: {
    role: DialogRole; callId: string; localTag: string; remoteTag: string; state: DialogState; local: NameAddr; remote: NameAddr;
    localSeq: number; remoteSeq: number | undefined; remoteTarget: string; routeSet: string[]; localContact: string; secure: boolean;
  }) {
    this.role = init.role;
    this.callId = init.callId;
    this.localTag = init.localTag;
    this.remoteTag = init.remoteTag;
    this.state = init.state;
    this.local = init.local;
    this.remote = init.remote;
    this.localSeq = init.localSeq;
    this.remoteSeq = init.remoteSeq;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.localContact = init.localContact;
    this.secure = init.secure;
    this.owner = undefined;
  }

  /**
   * The UAS side, made when we answer `request` (INVITE, SUBSCRIBE, REFER) with a To tag: `early` for a 1xx,
   * then `confirm()` on the 2xx. `localContact` is the Contact our responses carry.
   */
  static uas(request: SipRequest, localTag: string, localContact: string, state: DialogState = 'early'): Dialog {
    const from = fromOf(request);
    const to = toOf(request);
    const target = firstContact(request) ?? formatUri(from.uri);
    return new Dialog({
      role: 'uas',
      callId: callIdOf(request),
      localTag,
      remoteTag: from.params.get('tag') ?? '',
      state,
      local: withoutTag(to),
      remote: withoutTag(from),
      localSeq: Math.floor(Math.random() * 0x7fff) + 1,
      remoteSeq: cseq(request).seq,
      remoteTarget: target,
      routeSet: request.headers.values('Record-Route'),
      localContact,
      secure: isSips(request.uri),
    });
  }

  /** The UAC side, from our `request` and a response carrying a To tag (1xx: early; 2xx: confirmed). */
  static uac(request: SipRequest, response: SipResponse): Dialog {
    const from = fromOf(request);
    const to = toOf(response);
    return new Dialog({
      role: 'uac',
      callId: callIdOf(request),
      localTag: from.params.get('tag') ?? '',
      remoteTag: to.params.get('tag') ?? '',
      state: response.status >= 200 ? 'confirmed' : 'early',
      local: withoutTag(from),
      remote: withoutTag(to),
      localSeq: cseq(request).seq,
      remoteSeq: undefined,
      remoteTarget: firstContact(response) ?? request.uri,
      routeSet: response.headers.values('Record-Route').reverse(),
      localContact: request.headers.get('Contact') ?? '',
      secure: isSips(request.uri),
    });
  }

  get id(): string {
    return dialogKey(this.callId, this.localTag, this.remoteTag);
  }

  confirm(): void {
    if (this.state === 'early') this.state = 'confirmed';
  }

  terminate(): void {
    this.state = 'terminated';
  }

  /**
   * Checks an incoming in-dialog request's CSeq (§12.2.2): false when it is lower than or equal to one
   * already seen (answer 500), except ACK and CANCEL, which carry their INVITE's number. Updates the remote
   * CSeq and, for target-refresh requests, the remote target.
   */
  receiveRequest(request: SipRequest): boolean {
    const seq = cseq(request).seq;
    if (request.method !== 'ACK' && request.method !== 'CANCEL') {
      if (this.remoteSeq !== undefined && seq <= this.remoteSeq) return false;
      this.remoteSeq = seq;
    }
    if (TARGET_REFRESH.has(request.method)) this.refreshTarget(request);
    return true;
  }

  /** A 2xx to our target-refresh request (re-INVITE, UPDATE) carries the peer's new Contact. */
  receiveResponse(response: SipResponse): void {
    if (response.status >= 200 && response.status < 300 && TARGET_REFRESH.has(cseq(response).method)) this.refreshTarget(response);
  }

  refreshTarget(message: SipRequest | SipResponse): void {
    const c = firstContact(message);
    if (c !== undefined) this.remoteTarget = c;
  }

  /** A new in-dialog request (§12.2.1.1). ACK and CANCEL must pass the INVITE's CSeq in `options.cseq`. */
  createRequest(method: string, options: DialogRequestOptions = {}): DialogRequest {
    let seq = options.cseq;
    if (seq === undefined) {
      this.localSeq++;
      seq = this.localSeq;
    }
    const { uri, routes } = this.#routing();
    const headers: Array<[string, string]> = [];
    for (const r of routes) headers.push(['Route', r]);
    headers.push(['Max-Forwards', '70']);
    headers.push(['From', formatWithTag(this.local, this.localTag)]);
    headers.push(['To', formatWithTag(this.remote, this.remoteTag)]);
    headers.push(['Call-ID', this.callId]);
    headers.push(['CSeq', `${seq} ${method}`]);
    if (TARGET_REFRESH.has(method) && this.localContact !== '') headers.push(['Contact', this.localContact]);
    for (const [k, v] of options.headers ?? []) headers.push([k, v]);
    const body = options.body ?? '';
    if (body.length > 0) headers.push(['Content-Type', options.contentType ?? 'application/sdp']);
    const request = createRequest(method, uri, headers, body);
    const first = routes[0];
    return { request, nextHop: first === undefined ? uri : formatUri(parseNameAddr(first).uri) };
  }

  /** The ACK for a 2xx to the INVITE with CSeq `inviteSeq` (a transaction of its own, §13.2.2.4). */
  createAck(inviteSeq: number, options: Omit<DialogRequestOptions, 'cseq'> = {}): DialogRequest {
    return this.createRequest('ACK', { ...options, cseq: inviteSeq });
  }

  /** Request-URI and Route headers for loose or strict routing (§12.2.1.1). */
  #routing(): { uri: string; routes: string[] } {
    const first = this.routeSet[0];
    if (first === undefined) return { uri: this.remoteTarget, routes: [] };
    const firstUri = parseNameAddr(first).uri;
    if (isSipUri(firstUri) && firstUri.params.has('lr')) return { uri: this.remoteTarget, routes: [...this.routeSet] };
    // Strict router: it gets the request addressed to itself and the remote target travels as the last Route.
    return { uri: formatUri(firstUri), routes: [...this.routeSet.slice(1), `<${this.remoteTarget}>`] };
  }
}

export function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\n${localTag}\n${remoteTag}`;
}

/** Finds dialogs for incoming requests (local tag = To tag) and responses (local tag = From tag). */
export class DialogRegistry {
  readonly #dialogs = new Map<string, Dialog>();

  get size(): number {
    return this.#dialogs.size;
  }

  add(dialog: Dialog): void {
    this.#dialogs.set(dialog.id, dialog);
  }

  remove(dialog: Dialog): void {
    if (this.#dialogs.get(dialog.id) === dialog) this.#dialogs.delete(dialog.id);
  }

  get(callId: string, localTag: string, remoteTag: string): Dialog | undefined {
    return this.#dialogs.get(dialogKey(callId, localTag, remoteTag));
  }

  /** The dialog an in-dialog request belongs to. */
  matchRequest(request: SipRequest): Dialog | undefined {
    const local = toOf(request).params.get('tag');
    if (local === undefined || local === null) return undefined;
    return this.get(callIdOf(request), local, fromOf(request).params.get('tag') ?? '');
  }

  /** The dialog a response to one of our requests belongs to. */
  matchResponse(response: SipResponse): Dialog | undefined {
    const remote = toOf(response).params.get('tag');
    if (remote === undefined || remote === null) return undefined;
    return this.get(callIdOf(response), fromOf(response).params.get('tag') ?? '', remote);
  }

  values(): IterableIterator<Dialog> {
    return this.#dialogs.values();
  }
}

function withoutTag(na: NameAddr): NameAddr {
  const params = new Map(na.params);
  params.delete('tag');
  return { ...na, params };
}

function formatWithTag(na: NameAddr, tag: string): string {
  const params = new Map(na.params);
  if (tag !== '') params.set('tag', tag);
  return formatNameAddr({ ...na, params });
}

function firstContact(msg: SipRequest | SipResponse): string | undefined {
  const contacts = contactsOf(msg);
  if (contacts === '*' || contacts.length === 0) return undefined;
  const c = contacts[0];
  return c === undefined ? undefined : formatUri(c.uri);
}

function isSips(uri: string): boolean {
  try {
    return parseUri(uri).scheme === 'sips';
  } catch {
    return false;
  }
}
