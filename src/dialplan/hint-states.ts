/**
 * Extension states: what a hinted extension (`exten => 100,hint,Stasis:foo&Local/1000@from-trunk`) is
 * doing, kept up to date from the device states of the devices its hint names, and the console's
 * `core show hints` / `core show hint <exten>` in Asterisk's layout.
 *
 * An extension state is Asterisk's bit set — Idle (0), InUse (1), Busy (2), Unavailable (4), Ringing (8),
 * Hold (16), and the combinations InUse&Ringing and InUse&Hold — derived from the aggregate (`aggregate()`)
 * of the hint's devices (separated by `&`; a presence part after a comma does not count): UNKNOWN and
 * NOT_INUSE are Idle, INVALID and UNAVAILABLE are Unavailable, RINGINUSE is InUse&Ringing.
 *
 * Every hint in the dialplan is listed, patterns included; a pattern hint whose devices use `${...}` is
 * only resolved for a dialled number, so it shows Unavailable with no presence, as in Asterisk. Ariadne has
 * no presence providers yet, so every other hint's presence is `not_set`, and nothing watches hints
 * (Watchers 0). Hints are listed in dialplan order (Asterisk lists them in hash order).
 *
 * The dialplan is read through a getter; after `dialplan reload` the hints are rebuilt on next use, and a
 * hint that is still there keeps its last state until one of its devices changes.
 */

import type { CommandRegistry } from '../cli/registry.ts';
import { UsageError } from '../cli/registry.ts';
import { aggregate, type DeviceState, type DeviceStateRegistry } from '../core/device-states.ts';
import type { Dialplan } from './model.ts';
import { findHint } from './lookup.ts';

/** Extension state bits. */
export const EXTENSION_STATE = Object.freeze({ NOT_INUSE: 0, INUSE: 1, BUSY: 2, UNAVAILABLE: 4, RINGING: 8, ONHOLD: 16 });

/** The extension state a device state stands for. */
export function extensionStateForDevice(state: DeviceState): number {
  switch (state) {
    case 'ONHOLD':
      return EXTENSION_STATE.ONHOLD;
    case 'BUSY':
      return EXTENSION_STATE.BUSY;
    case 'UNAVAILABLE':
    case 'INVALID':
      return EXTENSION_STATE.UNAVAILABLE;
    case 'RINGINUSE':
      return EXTENSION_STATE.INUSE | EXTENSION_STATE.RINGING;
    case 'RINGING':
      return EXTENSION_STATE.RINGING;
    case 'INUSE':
      return EXTENSION_STATE.INUSE;
    case 'UNKNOWN':
    case 'NOT_INUSE':
      return EXTENSION_STATE.NOT_INUSE;
  }
}

const TEXT: ReadonlyMap<number, readonly [console: string, fn: string]> = new Map([
  [EXTENSION_STATE.NOT_INUSE, ['Idle', 'NOT_INUSE']],
  [EXTENSION_STATE.INUSE, ['InUse', 'INUSE']],
  [EXTENSION_STATE.BUSY, ['Busy', 'BUSY']],
  [EXTENSION_STATE.UNAVAILABLE, ['Unavailable', 'UNAVAILABLE']],
  [EXTENSION_STATE.RINGING, ['Ringing', 'RINGING']],
  [EXTENSION_STATE.INUSE | EXTENSION_STATE.RINGING, ['InUse&Ringing', 'RINGINUSE']],
  [EXTENSION_STATE.ONHOLD, ['Hold', 'ONHOLD']],
  [EXTENSION_STATE.INUSE | EXTENSION_STATE.ONHOLD, ['InUse&Hold', 'HOLDINUSE']],
]);

/** The console's name of an extension state (`Idle`, `InUse&Ringing`, ...; `Unknown` otherwise). */
export function extensionStateText(state: number): string {
  return TEXT.get(state)?.[0] ?? 'Unknown';
}

/** The `EXTENSION_STATE()` dialplan function's name of a state (`NOT_INUSE`, `HOLDINUSE`, ...; `UNKNOWN`). */
export function extensionStateName(state: number): string {
  return TEXT.get(state)?.[1] ?? 'UNKNOWN';
}

/** One hint as the console shows it. */
export interface HintView {
  readonly context: string;
  readonly exten: string;
  readonly isPattern: boolean;
  /** The hint as written after `hint,`: devices, and the presence provider after a comma. */
  readonly app: string;
  readonly devices: readonly string[];
  /** Extension state bits (see `EXTENSION_STATE`). */
  readonly state: number;
  /** Presence state name (`not_set`; `''` for an unresolved pattern hint). */
  readonly presence: string;
  readonly watchers: number;
}

export interface HintChange {
  readonly context: string;
  readonly exten: string;
  readonly state: number;
  readonly previous: number;
}

interface Hint {
  readonly context: string;
  readonly exten: string;
  readonly isPattern: boolean;
  readonly app: string;
  readonly devices: readonly string[];
  /** Lower-case device names, for matching announcements. */
  readonly keys: ReadonlySet<string>;
  /** A pattern hint with `${...}`: resolved only for a dialled number. */
  readonly dynamic: boolean;
  state: number;
}

export interface HintStatesOptions {
  readonly states: DeviceStateRegistry;
  readonly dialplan: () => Dialplan;
}

/**
 * @example
 * const hints = new HintStates({ states, dialplan: () => engine.dialplan });
 * hints.onChange((c) => console.log(`${c.exten}@${c.context}`, extensionStateText(c.state)));
 * hints.extensionState('internal', '100'); // 0 (Idle), or undefined without a hint
 */
export class HintStates {
  readonly #states: DeviceStateRegistry;
  readonly #dialplan: () => Dialplan;
  #built: Dialplan | undefined;
  #hints: Hint[] = [];
  readonly #listeners = new Set<(c: HintChange) => void>();
  readonly #unsubscribe: () => void;

  constructor(options: HintStatesOptions) {
    this.#states = options.states;
    this.#dialplan = options.dialplan;
    this.#unsubscribe = this.#states.onChange((e) => this.#deviceChanged(e.name));
    this.#sync();
  }

  close(): void {
    this.#unsubscribe();
    this.#listeners.clear();
  }

  /** Every hint, context by context in dialplan order. */
  list(): HintView[] {
    return this.#sync().map((h) => ({
      context: h.context,
      exten: h.exten,
      isPattern: h.isPattern,
      app: h.app,
      devices: h.devices,
      state: h.state,
      presence: h.dynamic ? '' : 'not_set',
      watchers: 0,
    }));
  }

  /**
   * The extension state of `exten@context` as the dialplan's hint lookup finds it (through includes and
   * patterns); undefined when there is no hint.
   */
  extensionState(context: string, exten: string): number | undefined {
    this.#sync();
    const literal = this.#hints.find((h) => !h.isPattern && h.context === context && h.exten === exten);
    if (literal) return literal.state;
    const found = findHint(this.#dialplan(), context, exten);
    if (!found) return undefined;
    const device = found.device.replace(/\$\{EXTEN\}/g, exten);
    return this.#compute(device.split('&'));
  }

  /** Listens to extension state changes; returns a function that stops listening. */
  onChange(listener: (c: HintChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #compute(devices: readonly string[]): number {
    return extensionStateForDevice(aggregate(devices.map((d) => this.#states.get(d))));
  }

  #sync(): Hint[] {
    const dialplan = this.#dialplan();
    if (dialplan === this.#built) return this.#hints;
    this.#built = dialplan;
    // A hint that survives a reload keeps its last state, so the next device change is compared with it.
    const previous = new Map(this.#hints.map((h) => [`${h.context}\0${h.exten}\0${h.app}`, h.state]));
    const hints: Hint[] = [];
    for (const context of dialplan.contexts.values()) {
      for (const e of context.extensions) {
        if (e.hint === undefined) continue;
        const devices = e.hint.split('&');
        const dynamic = e.isPattern && e.hint.includes('${');
        const app = e.hintPresence === undefined ? e.hint : `${e.hint},${e.hintPresence}`;
        hints.push({
          context: context.name,
          exten: e.name,
          isPattern: e.isPattern,
          app,
          devices,
          keys: new Set(devices.map((d) => d.toLowerCase())),
          dynamic,
          state: dynamic ? EXTENSION_STATE.UNAVAILABLE : (previous.get(`${context.name}\0${e.name}\0${app}`) ?? this.#compute(devices)),
        });
      }
    }
    this.#hints = hints;
    return hints;
  }

  #deviceChanged(device: string): void {
    const key = device.toLowerCase();
    for (const hint of this.#sync()) {
      if (hint.dynamic || !hint.keys.has(key)) continue;
      const state = this.#compute(hint.devices);
      if (state === hint.state) continue;
      const previous = hint.state;
      hint.state = state;
      const change: HintChange = { context: hint.context, exten: hint.exten, state, previous };
      for (const l of [...this.#listeners]) l(change);
    }
  }
}

/** `%-N.Ns`: left-justified in N columns, cut at N. */
function col(text: string, width: number): string {
  return text.slice(0, width).padEnd(width);
}

function hintLine(h: HintView): string {
  const watchers = String(h.watchers).padStart(2);
  return `${col(`${h.exten}@${h.context}`, 30)}: ${col(h.app, 60)}  State:${col(extensionStateText(h.state), 15)} Presence:${col(h.presence, 15)} Watchers ${watchers}\n`;
}

/** `core show hints`. */
export function formatShowHints(hints: readonly HintView[]): string {
  if (hints.length === 0) return 'There are no registered dialplan hints\n';
  return `\n    -= Registered Asterisk Dial Plan Hints =-\n${hints.map(hintLine).join('')}----------------\n- ${hints.length} hints registered\n`;
}

/** `core show hint <exten>`: hints whose extension starts with `exten` (case-insensitive). */
export function formatShowHint(hints: readonly HintView[], exten: string): string {
  if (hints.length === 0) return 'There are no registered dialplan hints\n';
  const prefix = exten.toLowerCase();
  const matching = hints.filter((h) => h.exten.toLowerCase().startsWith(prefix));
  if (matching.length === 0) return `No hints matching extension ${exten}\n`;
  return `${matching.map(hintLine).join('')}${matching.length} hint${matching.length === 1 ? '' : 's'} matching extension ${exten}\n`;
}

/** Registers `core show hints` and `core show hint <exten>`; returns a function that removes them. */
export function registerHintCommands(registry: CommandRegistry, hints: Pick<HintStates, 'list'>): () => void {
  const removers = [
    registry.register({
      words: ['core', 'show', 'hints'],
      usage: 'core show hints',
      summary: 'Show dialplan hints',
      description:
        'List registered hints: the hinted extension, the devices (and presence provider) it maps,\n' +
        'its extension state (the aggregate of the devices), its presence state and how many watch it.',
      handler: ({ args, write }) => {
        if (args.length > 0) throw new UsageError();
        write(formatShowHints(hints.list()));
      },
    }),
    registry.register({
      words: ['core', 'show', 'hint'],
      usage: 'core show hint <exten>',
      summary: 'Show dialplan hints matching an extension',
      description: 'List the registered hints whose extension starts with <exten>, in the layout of core show hints.',
      handler: ({ args, write }) => {
        if (args.length !== 1 || args[0] === undefined) throw new UsageError();
        write(formatShowHint(hints.list(), args[0]));
      },
      complete: (args, word) => (args.length > 0 ? [] : [...new Set(hints.list().map((h) => h.exten))].filter((e) => e.toLowerCase().startsWith(word.toLowerCase()))),
    }),
  ];
  return () => {
    for (const remove of removers) remove();
  };
}
