/**
 * The dialplan as data: what extensions.conf says, after parsing and before anything runs.
 *
 * parser.ts builds these objects from a `ConfDocument`; lookup.ts searches them the way Asterisk's pbx
 * does; show.ts prints them as `dialplan show`; the pbx engine executes them. Everything here is
 * deep-frozen (maps are `FrozenMap`s), so a loaded dialplan can be shared by every running channel and
 * replaced as a whole on `dialplan reload` without anyone seeing it half-built.
 *
 * Contexts are keyed by their exact name (Asterisk compares context names case-sensitively). A context's
 * extensions are kept in Asterisk's match order (patterns.ts `compareForMatchOrder`, caller-id variants
 * before the plain one), which is also the order `dialplan show` prints them in.
 */

import { deepFreeze, FrozenMap } from '../config/freeze.ts';
import type { Diagnostic } from '../config/types.ts';

/** Where something was written. `file` is the absolute path of the file the line is in. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** One step of an extension: `exten => 1000,1,NoOp(hello)`. */
export interface DialplanPriority {
  readonly priority: number;
  readonly label?: string;
  /** The application name as written (Asterisk looks applications up case-insensitively). */
  readonly app: string;
  /** Everything between the first `(` and the last `)`, unexpanded (`${...}` is substituted when it runs). */
  readonly appData: string;
  readonly file: string;
  readonly line: number;
}

/**
 * An extension (or pattern) with its priorities. Lines whose names differ only in `-` separators
 * (`555-1212`, `5551212`) or that describe the same pattern (`_X`, `_[0-9]`) build one extension, as in
 * Asterisk; `name` is the one written first.
 */
export interface DialplanExtension {
  /** As written (spaces removed), e.g. `_NXX` or `1000`. */
  readonly name: string;
  /** The name starts with `_`. */
  readonly isPattern: boolean;
  /**
   * `exten => 100/5551234,...`: only calls whose caller id matches this (a number or `_` pattern, with
   * `()`, spaces and `-` removed). `''` (`exten => 100/,...`) matches only calls without a caller id.
   * Absent: any caller.
   */
  readonly cidMatch?: string;
  /** In ascending priority order. */
  readonly priorities: ReadonlyMap<number, DialplanPriority>;
  /** Label -> priority number. */
  readonly labels: ReadonlyMap<string, number>;
  /** `exten => 100,hint,PJSIP/alice&PJSIP/bob,CustomPresence:alice`: the devices (`PJSIP/alice&PJSIP/bob`). */
  readonly hint?: string;
  /** The presence part of a hint, after its first comma (`CustomPresence:alice`). */
  readonly hintPresence?: string;
  /** Where the hint line is. */
  readonly hintSource?: SourceLocation;
  /** The first line that created this extension. */
  readonly file: string;
  readonly line: number;
}

/** `include => other[,timespec]`. */
export interface DialplanInclude {
  readonly context: string;
  /** `times,weekdays,mdays,months[,timezone]` (lookup.ts `timespecMatches`); absent = always. */
  readonly timeSpec?: string;
  readonly file: string;
  readonly line: number;
}

export interface DialplanContext {
  readonly name: string;
  /** The first `[name]` section that created the context. */
  readonly file: string;
  readonly line: number;
  /** In Asterisk's match order. */
  readonly extensions: readonly DialplanExtension[];
  /** In the order written; searched depth-first after the context's own extensions. */
  readonly includes: readonly DialplanInclude[];
  /** `ignorepat => 9`: dial tone continues after these prefixes (read by dialling applications). */
  readonly ignorePatterns: readonly string[];
  /** `autohints = yes`. */
  readonly autohints: boolean;
}

/** The `[general]` options of extensions.conf, with Asterisk's defaults. */
export interface DialplanGeneral {
  readonly static: boolean;
  readonly writeProtect: boolean;
  /** Hang up (rather than wait) when a channel runs off the end of its extension. Default yes. */
  readonly autoFallthrough: boolean;
  /** `dialplan reload` clears global variables first. */
  readonly clearGlobalVars: boolean;
  /** Accepted for compatibility; Ariadne always uses the classic (sorted list) matcher. */
  readonly extenPatternMatchNew: boolean;
  readonly usersContext: string;
}

export interface Dialplan {
  /** Keyed by exact context name, in the order the contexts first appear in the files. */
  readonly contexts: ReadonlyMap<string, DialplanContext>;
  /** `[globals]` name/value pairs in file order, values unexpanded; when a name repeats, the last wins. */
  readonly globals: ReadonlyArray<readonly [string, string]>;
  readonly general: DialplanGeneral;
  readonly diagnostics: readonly Diagnostic[];
}

export const DEFAULT_GENERAL: DialplanGeneral = Object.freeze({
  static: false,
  writeProtect: true,
  autoFallthrough: true,
  clearGlobalVars: false,
  extenPatternMatchNew: false,
  usersContext: 'default',
});

/** The registrar `dialplan show` names for contexts loaded from extensions.conf. */
export const DIALPLAN_REGISTRAR = 'pbx_config';

/** Builds a frozen `Dialplan`. Maps given as plain `Map`s are copied into `FrozenMap`s. */
export function freezeDialplan(input: {
  contexts: Iterable<DialplanContext>;
  globals: ReadonlyArray<readonly [string, string]>;
  general?: DialplanGeneral;
  diagnostics: readonly Diagnostic[];
}): Dialplan {
  const contexts = new FrozenMap<string, DialplanContext>(
    [...input.contexts].map((c) => [c.name, freezeContext(c)] as const),
  );
  return Object.freeze({
    contexts,
    globals: deepFreeze(input.globals.map(([k, v]) => [k, v] as const)),
    general: Object.freeze({ ...(input.general ?? DEFAULT_GENERAL) }),
    diagnostics: deepFreeze(input.diagnostics.map((d) => ({ ...d }))),
  });
}

function freezeContext(c: DialplanContext): DialplanContext {
  return Object.freeze({
    name: c.name,
    file: c.file,
    line: c.line,
    extensions: Object.freeze(c.extensions.map(freezeExtension)),
    includes: deepFreeze(c.includes.map((i) => ({ ...i }))),
    ignorePatterns: Object.freeze([...c.ignorePatterns]),
    autohints: c.autohints,
  });
}

function freezeExtension(e: DialplanExtension): DialplanExtension {
  const priorities = [...e.priorities.values()]
    .sort((a, b) => a.priority - b.priority)
    .map((p) => [p.priority, Object.freeze({ ...p })] as const);
  return Object.freeze({
    ...e,
    priorities: new FrozenMap(priorities),
    labels: e.labels instanceof FrozenMap ? e.labels : new FrozenMap(e.labels),
    ...(e.hintSource === undefined ? {} : { hintSource: Object.freeze({ ...e.hintSource }) }),
  });
}

/** A dialplan with no contexts (what a missing extensions.conf gives). */
export function emptyDialplan(diagnostics: readonly Diagnostic[] = []): Dialplan {
  return freezeDialplan({ contexts: [], globals: [], diagnostics });
}
