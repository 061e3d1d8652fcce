/**
 * Device states: what a device (a phone, a trunk, a custom flag) is doing right now — idle, in use, ringing,
 * on hold — as Asterisk's device state engine reports it to hints, queues and ARI.
 *
 * A device is named `Tech/resource` (a channel technology: `PJSIP/alice`, `Local/1000@from-trunk`) or
 * `Provider:resource` (a state provider: `Stasis:foo`, `Custom:lamp`). Its state comes from whoever
 * registered that technology or provider here (`registerProvider`); a name nobody answers for is INVALID,
 * and a provider that does not know is UNKNOWN. `Stasis:` devices are the exception this module owns: ARI sets
 * and deletes them, and they live in the astdb (family `StasisDeviceState`, key = the part after `Stasis:`,
 * value = the state) so they survive a restart. The astdb is read through, so a `database put` on the
 * console shows up in ARI at once, as in Asterisk.
 *
 * Changes are announced to `onChange` listeners (the Stasis layer turns them into DeviceStateChanged).
 * Like Asterisk's cachable states, a state that did not change is not announced again, except for
 * announcements a provider marks `cachable: false` (Local channels), which always go out.
 *
 * Where this differs from Asterisk on purpose: deleting a `Stasis:` device announces UNKNOWN (Asterisk's code
 * means to, but the announcement is usually swallowed by a race with its cache), and a `Stasis:` name may
 * contain `/` (Asterisk lists such a device under the wrong name).
 */

import { AriadneError, errorCodes } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { AstDb } from './astdb.ts';

/** Every state, in Asterisk's numbering order. */
export const DEVICE_STATES = ['UNKNOWN', 'NOT_INUSE', 'INUSE', 'BUSY', 'INVALID', 'UNAVAILABLE', 'RINGING', 'RINGINUSE', 'ONHOLD'] as const;

export type DeviceState = (typeof DEVICE_STATES)[number];

/** The astdb family holding `Stasis:` device states. */
export const STASIS_DEVICE_FAMILY = 'StasisDeviceState';

/** The prefix of ARI-controlled devices. */
export const STASIS_PREFIX = 'Stasis:';

export function isDeviceState(value: string): value is DeviceState {
  return (DEVICE_STATES as readonly string[]).includes(value);
}

/** Reads a state name case-insensitively; anything unrecognised is UNKNOWN (so is `UNKNOWN` itself). */
export function parseDeviceState(value: string): DeviceState {
  const upper = value.trim().toUpperCase();
  return isDeviceState(upper) ? upper : 'UNKNOWN';
}

/** Asterisk's ranking when several devices are combined; the higher wins. */
const RANK: Readonly<Record<DeviceState, number>> = {
  INVALID: 0,
  UNKNOWN: 1,
  UNAVAILABLE: 2,
  NOT_INUSE: 3,
  ONHOLD: 4,
  RINGING: 5,
  INUSE: 6,
  BUSY: 7,
  RINGINUSE: 8,
};

/**
 * Combines the states of several devices (a hint like `PJSIP/a&PJSIP/b`) into one: ringing together with in
 * use (or busy, or on hold) makes RINGINUSE; otherwise the highest-ranked state wins
 * (INVALID < UNKNOWN < UNAVAILABLE < NOT_INUSE < ONHOLD < RINGING < INUSE < BUSY < RINGINUSE).
 * No states at all is INVALID.
 *
 * @example
 * aggregate(['NOT_INUSE', 'INUSE']);   // 'INUSE'
 * aggregate(['RINGING', 'ONHOLD']);    // 'RINGINUSE'
 */
export function aggregate(states: Iterable<DeviceState>): DeviceState {
  let result: DeviceState = 'INVALID';
  let ringing = false;
  let inUse = false;
  for (const state of states) {
    if (state === 'RINGING') ringing = true;
    else if (state === 'INUSE' || state === 'ONHOLD' || state === 'BUSY') inUse = true;
    if (ringing && inUse) result = 'RINGINUSE';
    else if (RANK[state] > RANK[result]) result = state;
  }
  return result;
}

/** The device state a channel in a given state implies (Asterisk's channel → device table). */
export function deviceStateForChannelState(channelState: string): DeviceState {
  switch (channelState) {
    case 'Down':
      return 'NOT_INUSE';
    case 'Rsrvd':
    case 'OffHook':
    case 'Dialing':
    case 'Ring':
    case 'Up':
    case 'Dialing Offhook':
      return 'INUSE';
    case 'Ringing':
    case 'Pre-ring':
      return 'RINGING';
    case 'Busy':
      return 'BUSY';
    default:
      return 'UNKNOWN';
  }
}

/** An announced change. `timestamp` is epoch milliseconds. */
export interface DeviceStateChange {
  readonly name: string;
  readonly state: DeviceState;
  readonly timestamp: number;
}

/** What ARI shows for one device. */
export interface DeviceStateView {
  readonly name: string;
  readonly state: DeviceState;
}

/** Answers for the resources of one technology or provider; undefined means "don't know" (UNKNOWN). */
export type DeviceStateProvider = (resource: string) => DeviceState | undefined;

export interface ProviderOptions {
  /**
   * `/` (the default) registers a channel technology, asked for `Tech/resource`; `:` registers a state
   * provider, asked for `Label:resource`.
   */
  readonly separator?: '/' | ':';
}

export interface NotifyOptions {
  /** The new state when the caller knows it; otherwise the provider is asked. */
  readonly state?: DeviceState;
  /** False for states that are not remembered and always announced (Local channels). Default true. */
  readonly cachable?: boolean;
}

export interface DeviceStateRegistryOptions {
  readonly db: AstDb;
  readonly logger?: Logger;
  /** Epoch milliseconds for change timestamps (tests). */
  readonly clock?: () => number;
}

type Parsed =
  | { readonly kind: 'stasis'; readonly resource: string }
  | { readonly kind: 'tech' | 'provider'; readonly label: string; readonly resource: string }
  | { readonly kind: 'invalid' };

/**
 * Splits a device name the way Asterisk does: `Stasis:` first (case-insensitive), then at the first `/`
 * (channel technology), else at the first `:` (provider); a name with neither is invalid.
 */
function parseName(name: string): Parsed {
  if (name.slice(0, STASIS_PREFIX.length).toLowerCase() === STASIS_PREFIX.toLowerCase()) {
    return { kind: 'stasis', resource: name.slice(STASIS_PREFIX.length) };
  }
  const slash = name.indexOf('/');
  if (slash !== -1) return { kind: 'tech', label: name.slice(0, slash).toLowerCase(), resource: name.slice(slash + 1) };
  const colon = name.indexOf(':');
  if (colon !== -1) return { kind: 'provider', label: name.slice(0, colon).toLowerCase(), resource: name.slice(colon + 1) };
  return { kind: 'invalid' };
}

function uncontrolled(): AriadneError {
  return new AriadneError(errorCodes.ERR_CONFLICT, 'Uncontrolled device specified');
}

function missingName(): AriadneError {
  return new AriadneError(errorCodes.ERR_NOT_FOUND, 'Device name is missing');
}

/**
 * @example
 * const states = new DeviceStateRegistry({ db: AstDb.openInMemory() });
 * states.onChange((e) => console.log(e.name, e.state));
 * states.set('Stasis:lamp', 'BUSY');           // logs "Stasis:lamp BUSY", stored in the astdb
 * states.registerProvider('Local', (res) => res === '1000@from-trunk' ? 'NOT_INUSE' : undefined);
 * states.get('Local/1000@from-trunk');         // 'NOT_INUSE'
 * states.get('Nope/1');                        // 'INVALID'
 */
export class DeviceStateRegistry {
  readonly #db: AstDb;
  readonly #logger: Logger | undefined;
  readonly #clock: () => number;
  /** Channel technologies (`Tech/…`) and providers (`Label:…`), keyed by lower-case label. */
  readonly #techs = new Map<string, DeviceStateProvider>();
  readonly #providers = new Map<string, DeviceStateProvider>();
  /** Last announced cachable state per device name; a missing entry means UNKNOWN. */
  readonly #cache = new Map<string, DeviceState>();
  readonly #listeners = new Set<(e: DeviceStateChange) => void>();

  constructor(options: DeviceStateRegistryOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Reads the `Stasis:` devices stored in the astdb into the change cache, so that setting a device to the
   * state it had before a restart announces nothing. Returns how many there were. Announces nothing itself.
   */
  load(): number {
    const entries = this.#stasisEntries();
    for (const { resource, state } of entries) this.#remember(STASIS_PREFIX + resource, state);
    return entries.length;
  }

  /**
   * The state of any device. A `Stasis:` device never set is UNKNOWN; a technology or provider nobody
   * registered (or a name with neither `/` nor `:`) is INVALID.
   */
  get(name: string): DeviceState {
    const parsed = parseName(name);
    if (parsed.kind === 'stasis') return this.#stasisState(parsed.resource);
    const cached = this.#cache.get(name);
    if (cached !== undefined && cached !== 'UNKNOWN') return cached;
    return this.#ask(parsed);
  }

  /** The `Stasis:` devices, as ARI lists them (ordered by name). */
  list(): DeviceStateView[] {
    return this.#stasisEntries().map(({ resource, state }) => ({ name: STASIS_PREFIX + resource, state }));
  }

  /**
   * Sets a `Stasis:` device (stored in the astdb) and announces the change.
   * @throws AriadneError ERR_CONFLICT for any other device, ERR_NOT_FOUND for `Stasis:` without a name;
   *   TypeError for UNKNOWN (a device is deleted, not set to UNKNOWN).
   */
  set(name: string, state: DeviceState): void {
    const parsed = parseName(name);
    if (parsed.kind !== 'stasis') throw uncontrolled();
    if (parsed.resource === '') throw missingName();
    if (!isDeviceState(state) || state === 'UNKNOWN') throw new TypeError(`cannot set device ${name} to ${String(state)}`);
    this.#db.put(STASIS_DEVICE_FAMILY, parsed.resource, state);
    this.#publish(STASIS_PREFIX + parsed.resource, state, true);
  }

  /**
   * Forgets a `Stasis:` device; it reads UNKNOWN afterwards, and UNKNOWN is announced when it had a state.
   * Returns false when the device was never set.
   * @throws AriadneError ERR_CONFLICT for any other device, ERR_NOT_FOUND for `Stasis:` without a name.
   */
  delete(name: string): boolean {
    const parsed = parseName(name);
    if (parsed.kind !== 'stasis') throw uncontrolled();
    if (parsed.resource === '') throw missingName();
    const existed = this.#db.del(STASIS_DEVICE_FAMILY, parsed.resource);
    this.#publish(STASIS_PREFIX + parsed.resource, 'UNKNOWN', true);
    return existed;
  }

  /**
   * Makes a channel technology (`Local`, `PJSIP`) or, with `{ separator: ':' }`, a provider (`Custom`) answer
   * for its devices. Labels compare case-insensitively. Returns a function that removes the provider.
   * @throws AriadneError ERR_CONFLICT when the label is taken (`Stasis` is always taken).
   */
  registerProvider(label: string, provider: DeviceStateProvider, options: ProviderOptions = {}): () => void {
    const key = label.toLowerCase();
    if (!key || key.includes('/') || key.includes(':')) throw new TypeError(`invalid device state provider label '${label}'`);
    const table = options.separator === ':' ? this.#providers : this.#techs;
    if (table.has(key) || (table === this.#providers && key === 'stasis')) {
      throw new AriadneError(errorCodes.ERR_CONFLICT, `Device state provider '${label}' already registered`);
    }
    table.set(key, provider);
    return () => {
      if (table.get(key) === provider) table.delete(key);
    };
  }

  /**
   * A provider announces that a device changed. Without `state`, the provider is asked for it.
   * Cachable announcements (the default) go out only when the state differs from the last one.
   */
  notify(device: string, options: NotifyOptions = {}): void {
    const parsed = parseName(device);
    const name = parsed.kind === 'stasis' ? STASIS_PREFIX + parsed.resource : device;
    const state = options.state ?? this.#ask(parsed);
    this.#publish(name, state, options.cachable ?? true);
  }

  /** Listens to announced changes. Returns a function that stops listening. */
  onChange(listener: (e: DeviceStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #stasisState(resource: string): DeviceState {
    if (resource === '') return 'UNKNOWN';
    const value = this.#db.get(STASIS_DEVICE_FAMILY, resource);
    return value === undefined ? 'UNKNOWN' : parseDeviceState(value);
  }

  #stasisEntries(): { resource: string; state: DeviceState }[] {
    const prefixLength = STASIS_DEVICE_FAMILY.length + 2;
    return this.#db
      .getTree(STASIS_DEVICE_FAMILY)
      .map((e) => ({ resource: e.key.slice(prefixLength), state: parseDeviceState(e.value) }))
      .filter((e) => e.resource !== '');
  }

  #ask(parsed: Parsed): DeviceState {
    if (parsed.kind === 'invalid') return 'INVALID';
    if (parsed.kind === 'stasis') return this.#stasisState(parsed.resource);
    const provider = (parsed.kind === 'tech' ? this.#techs : this.#providers).get(parsed.label);
    if (!provider) return 'INVALID';
    try {
      return provider(parsed.resource) ?? 'UNKNOWN';
    } catch (err) {
      this.#logger?.warning(`device state provider for '${parsed.label}' failed: ${(err as Error)?.message ?? String(err)}`);
      return 'UNKNOWN';
    }
  }

  #remember(name: string, state: DeviceState): void {
    if (state === 'UNKNOWN') this.#cache.delete(name);
    else this.#cache.set(name, state);
  }

  #publish(name: string, state: DeviceState, cachable: boolean): void {
    if (cachable) {
      if ((this.#cache.get(name) ?? 'UNKNOWN') === state) return;
      this.#remember(name, state);
    }
    this.#logger?.debug(3, `device ${name} is now ${state}`);
    const change: DeviceStateChange = { name, state, timestamp: this.#clock() };
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.#logger?.error(`device state listener failed for ${name}: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  }
}
