/**
 * Finding where a call goes: the pbx's extension search over a loaded `Dialplan`.
 *
 * The search follows Asterisk's classic matcher. In the named context, extensions are tried in match
 * order (model.ts keeps them sorted); an extension counts when the number matches it, its caller-id
 * condition (if any) accepts the caller, and it has the priority (or label) asked for — otherwise the
 * search goes on to the next extension. Then the context's includes are searched depth-first in the order
 * written, skipping those whose time specification is not valid now. A context is searched at most once
 * per lookup (case-insensitively, as Asterisk's include stack compares), so include loops end, and the
 * depth is capped as Asterisk caps it.
 *
 * Time specifications (`times,weekdays,mdays,months[,timezone]`, e.g. `09:00-17:00,mon-fri,*,*`) are
 * compiled once and cached; `timespecMatches` is exported for GotoIfTime/ExecIfTime.
 */

import type { Dialplan, DialplanContext, DialplanExtension, DialplanPriority } from './model.ts';
import { compilePattern, matchExtension, matches } from './patterns.ts';
import type { CompiledPattern, MatchMode } from './patterns.ts';

/** Asterisk's AST_PBX_MAX_STACK: how many contexts one search may visit. */
export const MAX_INCLUDE_DEPTH = 512;

export interface ExtensionMatch {
  /** The context the extension was found in (the one asked for, or one it includes). */
  readonly context: DialplanContext;
  readonly extension: DialplanExtension;
}

export interface PriorityMatch extends ExtensionMatch {
  readonly priority: DialplanPriority;
}

/** Options shared by the lookups. */
export interface LookupOptions {
  /** The caller's number, for extensions with a caller-id condition; absent or '' = no caller id. */
  readonly callerId?: string;
  /** The time include time specifications are checked against; default now. */
  readonly now?: Date;
}

/** What an extension must have to count as found. */
type Want =
  | { readonly kind: 'any' }
  | { readonly kind: 'priority'; readonly priority: number }
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'hint' };

interface Hit {
  readonly context: DialplanContext;
  readonly extension: DialplanExtension;
}

interface SearchState {
  readonly visited: Set<string>;
  readonly now: Date;
}

/** A context by its exact name. */
export function findContext(dialplan: Dialplan, name: string): DialplanContext | undefined {
  return dialplan.contexts.get(name);
}

/**
 * The extension a call to `exten` in `context` runs: the first extension (in match order, then through
 * the includes) that matches and has at least one priority. Hint-only extensions are passed over.
 */
export function findExtension(
  dialplan: Dialplan,
  context: string,
  exten: string,
  callerId?: string,
  now?: Date,
): ExtensionMatch | undefined {
  return search(dialplan, context, exten, 'match', { kind: 'any' }, callerId, now);
}

/** The priority `n` of an extension. */
export function findPriority(extension: DialplanExtension, n: number): DialplanPriority | undefined {
  return extension.priorities.get(n);
}

/**
 * Resolves `context,exten,priority` the way the pbx does before running a step: the first matching
 * extension that has that priority (a matching extension without it is passed over).
 */
export function findPriorityLocation(
  dialplan: Dialplan,
  context: string,
  exten: string,
  priority: number,
  options: LookupOptions = {},
): PriorityMatch | undefined {
  const hit = search(dialplan, context, exten, 'match', { kind: 'priority', priority }, options.callerId, options.now);
  const step = hit?.extension.priorities.get(priority);
  return hit === undefined || step === undefined ? undefined : { ...hit, priority: step };
}

/** Resolves a label (`Goto(ctx,exten,label)`): the first matching extension that defines it. */
export function findLabel(
  dialplan: Dialplan,
  context: string,
  exten: string,
  label: string,
  options: LookupOptions = {},
): PriorityMatch | undefined {
  const hit = search(dialplan, context, exten, 'match', { kind: 'label', label }, options.callerId, options.now);
  const number = hit?.extension.labels.get(label);
  const step = number === undefined ? undefined : hit?.extension.priorities.get(number);
  return hit === undefined || step === undefined ? undefined : { ...hit, priority: step };
}

/** Asterisk's `ast_exists_extension`: does `context,exten,priority` exist for this caller? */
export function existsExtension(
  dialplan: Dialplan,
  context: string,
  exten: string,
  priority: number,
  options: LookupOptions = {},
): boolean {
  return search(dialplan, context, exten, 'match', { kind: 'priority', priority }, options.callerId, options.now) !== undefined;
}

/**
 * Asterisk's `ast_canmatch_extension`: could `exten` (digits so far) reach an extension with `priority`,
 * now or after more digits? Used by WaitExten and overlap dialling to keep collecting.
 */
export function canMatchExtension(
  dialplan: Dialplan,
  context: string,
  exten: string,
  priority = 1,
  options: LookupOptions = {},
): boolean {
  return search(dialplan, context, exten, 'canmatch', { kind: 'priority', priority }, options.callerId, options.now) !== undefined;
}

/**
 * Asterisk's `ast_matchmore_extension`: could more digits still lead to a (longer) extension? A `!`
 * pattern that already fits ends the wait for its context.
 */
export function matchMoreExtension(
  dialplan: Dialplan,
  context: string,
  exten: string,
  priority = 1,
  options: LookupOptions = {},
): boolean {
  return search(dialplan, context, exten, 'matchmore', { kind: 'priority', priority }, options.callerId, options.now) !== undefined;
}

export interface HintMatch extends ExtensionMatch {
  /** The devices, e.g. `PJSIP/alice&PJSIP/bob`. */
  readonly device: string;
  readonly presence?: string;
}

/** The hint for `exten` in `context` (through includes and patterns, as Asterisk's hint lookup does). */
export function findHint(dialplan: Dialplan, context: string, exten: string, now?: Date): HintMatch | undefined {
  const hit = search(dialplan, context, exten, 'match', { kind: 'hint' }, undefined, now);
  if (hit?.extension.hint === undefined) return undefined;
  return {
    ...hit,
    device: hit.extension.hint,
    ...(hit.extension.hintPresence === undefined ? {} : { presence: hit.extension.hintPresence }),
  };
}

export interface HintEntry {
  readonly context: string;
  readonly exten: string;
  readonly device: string;
  readonly presence?: string;
}

/**
 * Every hint on a literal extension, context by context in file order: what device states and
 * extension states watch. (Hints on patterns only become real when a number is looked up.)
 */
export function hints(dialplan: Dialplan): HintEntry[] {
  const out: HintEntry[] = [];
  for (const context of dialplan.contexts.values()) {
    for (const extension of context.extensions) {
      if (extension.hint === undefined || extension.isPattern) continue;
      out.push({
        context: context.name,
        exten: extension.name,
        device: extension.hint,
        ...(extension.hintPresence === undefined ? {} : { presence: extension.hintPresence }),
      });
    }
  }
  return out;
}

function search(
  dialplan: Dialplan,
  context: string,
  exten: string,
  mode: MatchMode,
  want: Want,
  callerId: string | undefined,
  now: Date | undefined,
): Hit | undefined {
  const state: SearchState = { visited: new Set(), now: now ?? new Date() };
  const found = searchContext(dialplan, context, exten, mode, want, callerId ?? '', state);
  return found === STOP ? undefined : found;
}

/** A `!` pattern ended a "match more" search in one context (its includes are not searched either). */
const STOP = Symbol('stop');

function searchContext(
  dialplan: Dialplan,
  name: string,
  exten: string,
  mode: MatchMode,
  want: Want,
  callerId: string,
  state: SearchState,
): Hit | typeof STOP | undefined {
  if (state.visited.size >= MAX_INCLUDE_DEPTH) return undefined;
  const key = name.toLowerCase();
  if (state.visited.has(key)) return undefined;
  const context = dialplan.contexts.get(name);
  if (context === undefined) return undefined;

  for (const extension of candidates(context, exten, mode)) {
    const result = matchExtension(compiledName(extension), exten, mode);
    if (result === 0) continue;
    if (extension.cidMatch !== undefined && !callerIdMatches(extension.cidMatch, callerId)) continue;
    if (result === 2 && mode === 'matchmore') return STOP;
    if (has(extension, want)) return { context, extension };
  }

  state.visited.add(key);
  for (const include of context.includes) {
    if (include.timeSpec !== undefined && !timespecMatches(include.timeSpec, state.now)) continue;
    const found = searchContext(dialplan, include.context, exten, mode, want, callerId, state);
    if (found !== undefined && found !== STOP) return found;
  }
  return undefined;
}

interface ContextIndex {
  /** Literal extensions by name without dashes, in match order (caller-id variants first). */
  readonly literals: ReadonlyMap<string, readonly DialplanExtension[]>;
  /** The patterns, in match order (they all come after the literals). */
  readonly patterns: readonly DialplanExtension[];
}

const indexes = new WeakMap<DialplanContext, ContextIndex>();

/**
 * The extensions worth testing, in match order. For an exact match only the literals spelled like the
 * number can match, and every literal sorts before every pattern, so a hash lookup replaces the scan
 * of the literals; the other modes accept prefixes and scan everything.
 */
function candidates(context: DialplanContext, exten: string, mode: MatchMode): readonly DialplanExtension[] {
  if (mode !== 'match' || exten.startsWith('_')) return context.extensions;
  let index = indexes.get(context);
  if (index === undefined) {
    const literals = new Map<string, DialplanExtension[]>();
    const patterns: DialplanExtension[] = [];
    for (const extension of context.extensions) {
      const compiled = compiledName(extension);
      if (compiled.isPattern) {
        patterns.push(extension);
      } else {
        const list = literals.get(compiled.key);
        if (list === undefined) literals.set(compiled.key, [extension]);
        else list.push(extension);
      }
    }
    index = { literals, patterns };
    indexes.set(context, index);
  }
  const literal = index.literals.get(exten.includes('-') ? exten.replaceAll('-', '') : exten);
  return literal === undefined ? index.patterns : [...literal, ...index.patterns];
}

/** Each extension's compiled name, kept beside the (frozen) extension for as long as it lives. */
const compiledNames = new WeakMap<DialplanExtension, CompiledPattern>();

function compiledName(extension: DialplanExtension): CompiledPattern {
  let compiled = compiledNames.get(extension);
  if (compiled === undefined) {
    compiled = compilePattern(extension.name);
    compiledNames.set(extension, compiled);
  }
  return compiled;
}

function has(extension: DialplanExtension, want: Want): boolean {
  switch (want.kind) {
    case 'any':
      return extension.priorities.size > 0;
    case 'priority':
      return extension.priorities.has(want.priority);
    case 'label':
      return extension.labels.has(want.label);
    case 'hint':
      return extension.hint !== undefined;
  }
}

/** An empty caller-id condition accepts only calls without a caller id; otherwise it is a match test. */
function callerIdMatches(cidMatch: string, callerId: string): boolean {
  if (callerId === '') return cidMatch === '';
  return matches(cidMatch, callerId);
}

// --- time specifications ---------------------------------------------------------------------------------

/** A compiled `times,weekdays,mdays,months[,timezone]`. */
export interface CompiledTimespec {
  readonly source: string;
  /** One flag per minute of the day (1440). */
  readonly minutes: Uint8Array;
  /** Bit n = weekday n (0 = Sunday). */
  readonly weekdays: number;
  /** Bit n = day n + 1 of the month. */
  readonly monthDays: number;
  /** Bit n = month n (0 = January). */
  readonly months: number;
  /** IANA zone the fields are read in; absent = the server's local time. */
  readonly timezone?: string;
  /** What was wrong with the text (each bad element is skipped, as in Asterisk). */
  readonly warnings: readonly string[];
}

const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;
const MINUTES_PER_DAY = 24 * 60;
const TIMESPEC_CACHE_LIMIT = 1000;
const timespecCache = new Map<string, CompiledTimespec>();

/**
 * Compiles a time specification. Fields are separated by `,` or `|`; a missing or `*` field allows
 * everything. Times are `HH:MM` or `HH:MM-HH:MM` (inclusive, may wrap past midnight); weekdays
 * (`mon`, or 1-7 from Sunday), month days (1-31) and months (`jan`, or 1-12) are single values or
 * `a-b` ranges (which may wrap), joined by `&`. A fifth field names a time zone.
 */
export function compileTimespec(spec: string): CompiledTimespec {
  const cached = timespecCache.get(spec);
  if (cached !== undefined) return cached;
  const warnings: string[] = [];
  const fields = spec.split(/[|,]/);
  let timezone: string | undefined;
  if (fields.length === 5) {
    const zone = (fields[4] ?? '').trim();
    if (zone !== '') {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        timezone = zone;
      } catch {
        warnings.push(`unknown time zone '${zone}'; using local time`);
      }
    }
  }
  const compiled: CompiledTimespec = Object.freeze({
    source: spec,
    minutes: timeRange(fields[0], warnings),
    weekdays: fields.length > 1 ? bitRange(fields[1], 7, WEEKDAY_NAMES, 'day of week', warnings) : 0x7f,
    monthDays: fields.length > 2 ? bitRange(fields[2], 31, undefined, 'day of month', warnings) : 0x7fffffff,
    months: fields.length > 3 ? bitRange(fields[3], 12, MONTH_NAMES, 'month', warnings) : 0xfff,
    ...(timezone === undefined ? {} : { timezone }),
    warnings: Object.freeze(warnings),
  });
  if (timespecCache.size >= TIMESPEC_CACHE_LIMIT) timespecCache.clear();
  timespecCache.set(spec, compiled);
  return compiled;
}

/** Is `date` (default now) inside the time specification? An empty specification always is. */
export function timespecMatches(spec: string | CompiledTimespec, date: Date = new Date()): boolean {
  if (typeof spec === 'string' && spec.trim() === '') return true;
  const ts = typeof spec === 'string' ? compileTimespec(spec) : spec;
  const parts = dateParts(date, ts.timezone);
  if ((ts.months & (1 << parts.month)) === 0) return false;
  if ((ts.monthDays & (1 << (parts.day - 1))) === 0) return false;
  if ((ts.weekdays & (1 << parts.weekday)) === 0) return false;
  return ts.minutes[parts.hour * 60 + parts.minute] === 1;
}

function timeRange(field: string | undefined, warnings: string[]): Uint8Array {
  const minutes = new Uint8Array(MINUTES_PER_DAY);
  const text = (field ?? '').trim();
  if (text === '' || text === '*') {
    minutes.fill(1);
    return minutes;
  }
  for (const part of text.split('&')) {
    const dash = part.indexOf('-');
    if (dash < 0) {
      const at = parseClock(part);
      if (at === undefined) {
        warnings.push(`'${part.trim()}' is not a valid time (expected HH:MM)`);
      } else {
        minutes[at] = 1;
      }
      continue;
    }
    const startText = part.slice(0, dash);
    const endText = part.slice(dash + 1).replace(/^\D+/, ''); // Asterisk skips non-digits after the dash
    if (endText === '') {
      warnings.push(`invalid time range starting with '${startText.trim()}-'`);
      continue;
    }
    const start = parseClock(startText);
    const end = parseClock(endText);
    if (start === undefined) {
      warnings.push(`'${startText.trim()}' is not a valid start time (expected HH:MM)`);
      continue;
    }
    if (end === undefined) {
      warnings.push(`'${endText.trim()}' is not a valid end time (expected HH:MM)`);
      continue;
    }
    let x = start;
    while (x !== end) {
      minutes[x] = 1;
      x = (x + 1) % MINUTES_PER_DAY;
    }
    minutes[end] = 1;
  }
  return minutes;
}

/** `HH:MM` (one or two digits each) -> minute of the day. */
function parseClock(text: string): number | undefined {
  const m = /^\s*(\d{1,2}):\s*(\d{1,2})/.exec(text);
  if (m === null) return undefined;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return undefined;
  return h * 60 + min;
}

function bitRange(
  field: string | undefined,
  max: number,
  names: readonly string[] | undefined,
  what: string,
  warnings: string[],
): number {
  const text = (field ?? '').trim();
  const all = max === 31 ? 0x7fffffff : (1 << max) - 1;
  if (text === '' || text === '*') return all;
  let mask = 0;
  for (const part of text.split('&')) {
    const dash = part.indexOf('-');
    const startText = (dash < 0 ? part : part.slice(0, dash)).trim();
    const endText = dash < 0 ? undefined : part.slice(dash + 1).trim();
    const start = lookupName(startText, names, max);
    if (start === undefined) {
      warnings.push(`invalid ${what} '${startText}'; element skipped`);
      continue;
    }
    let end = start;
    if (endText !== undefined) {
      const e = lookupName(endText, names, max);
      if (e === undefined) {
        warnings.push(`invalid end ${what} '${endText}'; element skipped`);
        continue;
      }
      end = e;
    }
    // Ranges wrap: fri-mon is fri, sat, sun, mon.
    mask |= 1 << end;
    for (let x = start; x !== end; x = (x + 1) % max) {
      mask |= 1 << x;
    }
  }
  return mask >>> 0;
}

/** A name (`mon`, `jan`, case-insensitive) or a number from 1 to `max`, as a 0-based index. */
function lookupName(text: string, names: readonly string[] | undefined, max: number): number | undefined {
  if (names !== undefined) {
    const i = names.indexOf(text.toLowerCase());
    if (i >= 0) return i;
  }
  const m = /^\d{1,2}/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[0]);
  return n >= 1 && n <= max ? n - 1 : undefined;
}

interface DateParts {
  /** 0-11 */
  readonly month: number;
  /** 1-31 */
  readonly day: number;
  /** 0 = Sunday */
  readonly weekday: number;
  readonly hour: number;
  readonly minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY_SHORT: Readonly<Record<string, number>> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function dateParts(date: Date, timezone: string | undefined): DateParts {
  if (timezone === undefined) {
    return {
      month: date.getMonth(),
      day: date.getDate(),
      weekday: date.getDay(),
      hour: date.getHours(),
      minute: date.getMinutes(),
    };
  }
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timezone, formatter);
  }
  const fields: Record<string, string> = {};
  for (const part of formatter.formatToParts(date)) fields[part.type] = part.value;
  return {
    month: Number(fields['month']) - 1,
    day: Number(fields['day']),
    weekday: WEEKDAY_SHORT[fields['weekday'] ?? ''] ?? 0,
    hour: Number(fields['hour']) % 24,
    minute: Number(fields['minute']),
  };
}

/** How a run of digits matches a context's extensions (Asterisk's exists / canmatch / matchmore), at priority 1. */
export interface ExtenMatch {
  readonly exists: boolean;
  readonly canMatch: boolean;
  readonly matchMore: boolean;
}

/**
 * All three answers for digits a caller dialled (WaitExten, Background, Read's overlap): what the dialplan
 * applications that collect digits need, with the caller's number for caller-id conditions.
 */
export function extenMatch(dialplan: Dialplan, context: string, digits: string, callerId: string): ExtenMatch {
  const options = callerId ? { callerId } : {};
  return {
    exists: existsExtension(dialplan, context, digits, 1, options),
    canMatch: canMatchExtension(dialplan, context, digits, 1, options),
    matchMore: matchMoreExtension(dialplan, context, digits, 1, options),
  };
}
