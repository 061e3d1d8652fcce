/**
 * Endpoint and contact states, as res_pjsip's OPTIONS machinery composes them:
 *
 * - a contact (a static `contact=` of an AOR or a registered binding) starts `NonQualified` when it appears;
 *   qualify results make it `Reachable` (with the OPTIONS round trip in µs) or `Unreachable`; when it goes
 *   away it is `Removed` once (announced) and forgotten;
 * - an AOR is available when it has a contact and no `qualify_frequency`, or when at least one of its
 *   contacts is Reachable;
 * - an endpoint is `online` when one of its AORs is available, `offline` otherwise (also when it names no
 *   AOR or only unknown ones: trunks without AORs show Unavailable in Asterisk too).
 *
 * Every contact change is announced once per endpoint whose `aors` name its AOR (ContactStatusChange), an
 * endpoint state change once (EndpointStateChange + PeerStatusChange `Reachable`/`Unreachable`). The
 * tracker does no I/O: `src/sip-wiring.ts` feeds it the registrar's and qualify's callbacks of `SipStack`
 * and config reloads, and a `EndpointStateSink` turns its announcements into ARI events and device states
 * (`endpointEventMessages`, `pjsipDeviceState`).
 */

import type { PjsipConfig } from '../config/pjsip.ts';
import type { DeviceState } from '../core/device-states.ts';
import type { AppMessageBase } from '../stasis/messages.ts';

export type ContactState = 'NonQualified' | 'Reachable' | 'Unreachable' | 'Unknown' | 'Removed';

export interface ContactInfo {
  readonly aor: string;
  readonly uri: string;
  readonly status: ContactState;
  /** Round trip of the last successful qualify in µs; 0 unless Reachable (as Asterisk reports it). */
  readonly rttUs: number;
  /** Whether the contact came from `contact=` in the AOR rather than a registration. */
  readonly static: boolean;
}

export type EndpointState = 'online' | 'offline';

export interface EndpointStateSink {
  /** A contact of an AOR the endpoint uses changed status. */
  contactStatus?(endpoint: string, info: ContactInfo): void;
  /** The endpoint went online or offline. */
  endpointState?(endpoint: string, state: EndpointState): void;
}

/** The short labels `pjsip show contacts` prints. */
export const CONTACT_SHORT_LABELS: Readonly<Record<ContactState, string>> = {
  NonQualified: 'NonQual',
  Reachable: 'Avail',
  Unreachable: 'Unavail',
  Unknown: 'Unknown',
  Removed: 'Removed',
};

const key = (aor: string, uri: string): string => `${aor}\n${uri}`;

export class EndpointStates {
  #config: PjsipConfig;
  readonly #sink: EndpointStateSink;
  /** Live contacts by `aor\nuri`. */
  readonly #contacts = new Map<string, ContactInfo>();
  /** Endpoint states by endpoint id (every configured endpoint has one). */
  readonly #states = new Map<string, EndpointState>();

  constructor(options: { readonly config: PjsipConfig; readonly sink?: EndpointStateSink }) {
    this.#config = options.config;
    this.#sink = options.sink ?? {};
    this.#syncStatic();
    this.#recompute();
  }

  get config(): PjsipConfig {
    return this.#config;
  }

  /** The endpoint's state; undefined when no such endpoint is configured. */
  state(endpoint: string): EndpointState | undefined {
    return this.#states.get(endpoint);
  }

  /** One contact's status (undefined when it is not known). */
  contact(aor: string, uri: string): ContactInfo | undefined {
    return this.#contacts.get(key(aor, uri));
  }

  /** Every live contact of an AOR, static ones first, in the order they appeared. */
  contacts(aor: string): ContactInfo[] {
    const out = [...this.#contacts.values()].filter((c) => c.aor === aor);
    return [...out.filter((c) => c.static), ...out.filter((c) => !c.static)];
  }

  /** Whether an AOR counts as available (see the file header). */
  aorAvailable(aor: string): boolean {
    const a = this.#config.aor.get(aor);
    if (a === undefined) return false;
    const contacts = this.contacts(aor);
    return a.qualifyFrequency > 0 ? contacts.some((c) => c.status === 'Reachable') : contacts.length > 0;
  }

  /** A registration created a binding. */
  contactAdded(aor: string, uri: string): void {
    if (this.#contacts.has(key(aor, uri))) return;
    this.#set({ aor, uri, status: 'NonQualified', rttUs: 0, static: false });
    this.#recompute();
  }

  /** A binding expired or was unregistered. */
  contactRemoved(aor: string, uri: string): void {
    const c = this.#contacts.get(key(aor, uri));
    if (c === undefined || c.static) return;
    this.#remove(c);
    this.#recompute();
  }

  /** A qualify result (`SipStack`'s onContactStatus). `Unknown` from the stack is ignored. */
  qualified(aor: string, uri: string, status: 'Reachable' | 'Unreachable' | 'Unknown', rttUs: number | undefined): void {
    const c = this.#contacts.get(key(aor, uri));
    if (c === undefined || status === 'Unknown' || c.status === status) return;
    this.#set({ ...c, status, rttUs: status === 'Reachable' ? (rttUs ?? 0) : 0 });
    this.#recompute();
  }

  /** `pjsip reload` or a push-config change: static contacts follow the AORs, endpoints come and go. */
  updateConfig(config: PjsipConfig): void {
    this.#config = config;
    this.#syncStatic();
    // Bindings of AORs that no longer exist cannot be reached through any endpoint; drop them.
    for (const c of [...this.#contacts.values()]) if (!config.aor.has(c.aor)) this.#remove(c);
    for (const id of [...this.#states.keys()]) if (!config.endpoint.has(id)) this.#states.delete(id);
    this.#recompute();
  }

  /** Static contacts of the current config: new ones appear, vanished ones are removed. */
  #syncStatic(): void {
    const wanted = new Set<string>();
    for (const aor of this.#config.aor.values()) {
      for (const uri of aor.contacts) {
        wanted.add(key(aor.id, uri));
        if (!this.#contacts.has(key(aor.id, uri))) this.#set({ aor: aor.id, uri, status: 'NonQualified', rttUs: 0, static: true });
      }
    }
    for (const c of [...this.#contacts.values()]) if (c.static && !wanted.has(key(c.aor, c.uri))) this.#remove(c);
  }

  #set(info: ContactInfo): void {
    this.#contacts.set(key(info.aor, info.uri), info);
    this.#announceContact(info);
  }

  #remove(c: ContactInfo): void {
    this.#contacts.delete(key(c.aor, c.uri));
    this.#announceContact({ ...c, status: 'Removed', rttUs: 0 });
  }

  #announceContact(info: ContactInfo): void {
    for (const ep of this.#config.endpoint.values()) {
      if (ep.aors.includes(info.aor)) this.#sink.contactStatus?.(ep.id, info);
    }
  }

  #recompute(): void {
    for (const ep of this.#config.endpoint.values()) {
      const next: EndpointState = ep.aors.some((a) => this.aorAvailable(a)) ? 'online' : 'offline';
      const before = this.#states.get(ep.id);
      this.#states.set(ep.id, next);
      // Asterisk creates endpoints offline and only announces changes from there.
      if ((before ?? 'offline') !== next) this.#sink.endpointState?.(ep.id, next);
    }
  }
}

/**
 * The device state of `PJSIP/<endpoint>` (chan_pjsip's rule): INVALID for an unknown endpoint; with channels,
 * what they aggregate to (BUSY once `device_state_busy_at` of them are up); without, UNAVAILABLE when offline
 * and NOT_INUSE when online.
 */
export function pjsipDeviceState(
  state: EndpointState | undefined,
  channels: { readonly aggregate: DeviceState | undefined; readonly inUse: number },
  busyAt: number,
): DeviceState {
  if (state === undefined) return 'INVALID';
  if (busyAt > 0 && channels.inUse >= busyAt) return 'BUSY';
  if (channels.aggregate !== undefined && channels.aggregate !== 'INVALID') return channels.aggregate;
  return state === 'online' ? 'NOT_INUSE' : 'UNAVAILABLE';
}

/** The ARI `Endpoint` model, as endpoint events carry it. */
export interface EndpointWire {
  readonly technology: string;
  readonly resource: string;
  readonly state: string;
  readonly channel_ids: readonly string[];
}

/** Endpoint events for Stasis applications, already in ARI's field names (see `toWire`). */
export type EndpointEventBody =
  | { readonly type: 'EndpointStateChange'; readonly endpoint: EndpointWire }
  | { readonly type: 'PeerStatusChange'; readonly endpoint: EndpointWire; readonly peer: { readonly peer_status: string } }
  | {
      readonly type: 'ContactStatusChange';
      readonly endpoint: EndpointWire;
      readonly contact_info: { readonly uri: string; readonly contact_status: string; readonly aor: string; readonly roundtrip_usec: string };
    };

export type EndpointEventMessage = AppMessageBase & EndpointEventBody;

/** The ContactStatusChange body for one contact change. */
export function contactStatusEvent(endpoint: EndpointWire, info: ContactInfo): EndpointEventBody {
  return {
    type: 'ContactStatusChange',
    endpoint,
    contact_info: { uri: info.uri, contact_status: info.status, aor: info.aor, roundtrip_usec: String(info.rttUs) },
  };
}

/**
 * The events of an endpoint state change, in Asterisk's order: the new snapshot (EndpointStateChange), then
 * PeerStatusChange with `Reachable` (online) or `Unreachable` (offline).
 */
export function endpointStateEvents(endpoint: EndpointWire, state: EndpointState): EndpointEventBody[] {
  return [
    { type: 'EndpointStateChange', endpoint },
    { type: 'PeerStatusChange', endpoint, peer: { peer_status: state === 'online' ? 'Reachable' : 'Unreachable' } },
  ];
}

/** An application as the router sees it (`AppRegistry.list()` entries). */
export interface EndpointEventApp {
  readonly name: string;
  readonly subscribeAll: boolean;
  readonly subscriptions: { readonly endpoints: ReadonlyMap<string, number> };
}

/**
 * Which applications hear an endpoint event, as Asterisk routes them: those subscribed to `tech/resource`
 * or to the whole technology hear all three; `subscribeAll` applications hear PeerStatusChange and
 * ContactStatusChange but not EndpointStateChange (Asterisk's all-endpoints router forwards only those two).
 */
export function endpointEventTargets(apps: Iterable<EndpointEventApp>, event: EndpointEventBody): string[] {
  const id = `${event.endpoint.technology}/${event.endpoint.resource}`;
  const out: string[] = [];
  for (const app of apps) {
    const subs = app.subscriptions.endpoints;
    const direct = [...subs.keys()].some((k) => k.toLowerCase() === id.toLowerCase() || k.toLowerCase() === event.endpoint.technology.toLowerCase());
    if (direct || (app.subscribeAll && event.type !== 'EndpointStateChange')) out.push(app.name);
  }
  return out;
}
