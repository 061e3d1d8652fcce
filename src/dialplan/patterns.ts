/**
 * Asterisk's extension pattern language: matching a dialled number against an extension name, and the
 * order in which a context's extensions are tried.
 *
 * The facts (from Asterisk's pbx, reproduced here in our own code):
 * - A name starting with `_` is a pattern; any other name is matched literally and case-sensitively.
 * - `-` is decoration everywhere outside `[...]`: `555-1212` matches `5551212` and the other way round,
 *   and dashes in the dialled number are ignored as well.
 * - In a pattern, `X` is 0-9, `Z` is 1-9, `N` is 2-9 (upper or lower case); `[...]` is a set of characters
 *   with `a-b` ranges (`[135-7]`); `.` matches one or more further characters and `!` zero or more; any
 *   other character matches itself exactly. Once `.` or `!` is reached the rest of the pattern is not
 *   looked at. `!` also matches "early": as soon as the number so far fits, no more digits are awaited.
 * - Three questions can be asked: does the number match (`matches`), could it match now or after more
 *   digits (`canMatch`), and could more digits still make a (longer) match (`canMatchMore`; a `!` pattern
 *   answers no, which ends digit collection).
 * - Order: literal names before patterns; literals compare as strings (dashes ignored); patterns compare
 *   position by position, and at the first position that differs the one that allows fewer characters
 *   comes first (a digit before `N` before `Z` before `X`), ties broken by the lowest character allowed,
 *   then by the lowest character only one of the two sets allows; `.` comes after any set, `!` after `.`,
 *   and a pattern that ends comes after one that goes on. So `_555XXXX` < `_55[1-5]XXXX` < `_NXXXXXX` < `_X.` < `_!`.
 */

/** The three ways a number can be tested against an extension name (Asterisk's E_MATCH, E_CANMATCH, E_MATCHMORE). */
export type MatchMode = 'match' | 'canmatch' | 'matchmore';

/**
 * The outcome of one test: 0 no, 1 yes, 2 "early match" (a `!` was reached, so the number is complete
 * as far as this pattern is concerned).
 */
export type MatchResult = 0 | 1 | 2;

/** One position of a compiled pattern. */
export type PatternToken =
  /** A set of characters as disjoint, sorted, inclusive code ranges; one literal character is a set of one. */
  | {
      readonly kind: 'set';
      readonly ranges: readonly (readonly [number, number])[];
      /** How many characters the set allows. */
      readonly count: number;
      /** A literal `/` outside brackets: matching stops there (it separates a caller-id part). */
      readonly slash: boolean;
    }
  /** `.`: one or more of anything. */
  | { readonly kind: 'one-or-more' }
  /** `!`: zero or more of anything, matching early. */
  | { readonly kind: 'zero-or-more' }
  /** A `[` without a closing `]`: nothing matches from here on. */
  | { readonly kind: 'invalid' };

export interface CompiledPattern {
  /** The name as given. */
  readonly source: string;
  readonly isPattern: boolean;
  /**
   * Two names with the same key are the same extension to Asterisk. For a literal: the name without
   * dashes. For a pattern: a canonical spelling of its positions (`_X` and `_[0-9]` share one).
   */
  readonly key: string;
  /** The positions of a pattern (dashes and empty `[]` sets dropped); empty for a literal. */
  readonly tokens: readonly PatternToken[];
}

const CHAR_0 = 0x30;
const CHAR_1 = 0x31;
const CHAR_2 = 0x32;
const CHAR_9 = 0x39;

const CACHE_LIMIT = 10_000;
const cache = new Map<string, CompiledPattern>();

/** True when `name` is a pattern (starts with `_`). */
export function isPatternName(name: string): boolean {
  return name.startsWith('_');
}

/**
 * Compiles an extension name (literal or `_` pattern). Results are cached, so calling it again with the
 * same name is cheap. Never throws: a malformed set compiles to a position that matches nothing.
 */
export function compilePattern(name: string): CompiledPattern {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const compiled = name.startsWith('_') ? compilePatternBody(name) : compileLiteral(name);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(name, compiled);
  return compiled;
}

function compileLiteral(name: string): CompiledPattern {
  return Object.freeze({ source: name, isPattern: false, key: name.replaceAll('-', ''), tokens: Object.freeze([]) });
}

function compilePatternBody(name: string): CompiledPattern {
  const tokens: PatternToken[] = [];
  const body = name.slice(1);
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? '';
    switch (ch) {
      case '-':
        break; // decoration
      case 'N':
      case 'n':
        tokens.push(setToken([[CHAR_2, CHAR_9]]));
        break;
      case 'X':
      case 'x':
        tokens.push(setToken([[CHAR_0, CHAR_9]]));
        break;
      case 'Z':
      case 'z':
        tokens.push(setToken([[CHAR_1, CHAR_9]]));
        break;
      case '.':
        tokens.push(ONE_OR_MORE);
        break;
      case '!':
        tokens.push(ZERO_OR_MORE);
        break;
      case '[': {
        const end = body.indexOf(']', i + 1);
        if (end < 0) {
          // Asterisk gives up on matching here, and sorts the rest as if the `[` were not there.
          tokens.push(INVALID);
          break;
        }
        const set = body.slice(i + 1, end);
        i = end;
        if (set === '') break; // an empty set is ignored
        tokens.push(setToken(parseSet(set)));
        break;
      }
      default: {
        const code = body.charCodeAt(i);
        tokens.push(setToken([[code, code]], ch === '/'));
      }
    }
  }
  return Object.freeze({
    source: name,
    isPattern: true,
    key: '_' + tokens.map(tokenKey).join(''),
    tokens: Object.freeze(tokens),
  });
}

const ONE_OR_MORE: PatternToken = Object.freeze({ kind: 'one-or-more' });
const ZERO_OR_MORE: PatternToken = Object.freeze({ kind: 'zero-or-more' });
const INVALID: PatternToken = Object.freeze({ kind: 'invalid' });

/** The ranges of a set's inside (`135-7`): `a-b` is a range when a character follows the dash. */
function parseSet(set: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (let j = 0; j < set.length; j++) {
    const first = set.charCodeAt(j);
    let last = first;
    if (j + 2 < set.length && set[j + 1] === '-') {
      last = set.charCodeAt(j + 2);
      j += 2;
    }
    if (first <= last) ranges.push([first, last]); // a backwards range allows nothing
  }
  return ranges;
}

function setToken(ranges: [number, number][], slash = false): PatternToken {
  const merged = mergeRanges(ranges);
  const count = merged.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
  return Object.freeze({ kind: 'set', ranges: Object.freeze(merged.map((r) => Object.freeze(r))), count, slash });
}

function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && lo <= last[1] + 1) {
      last[1] = Math.max(last[1], hi);
    } else {
      out.push([lo, hi]);
    }
  }
  return out;
}

function tokenKey(token: PatternToken): string {
  switch (token.kind) {
    case 'set':
      // Sets that allow nothing are skipped when Asterisk sorts, so they do not distinguish extensions.
      return token.count === 0 ? '' : `[${token.ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',')}]`;
    case 'one-or-more':
      return '.';
    case 'zero-or-more':
      return '!';
    case 'invalid':
      return '?';
  }
}

function inSet(ranges: readonly (readonly [number, number])[], code: number): boolean {
  for (const [lo, hi] of ranges) {
    if (code < lo) return false;
    if (code <= hi) return true;
  }
  return false;
}

/**
 * Tests `exten` (a dialled number; dashes ignored) against an extension name in one of the three modes
 * and returns Asterisk's three-valued answer.
 */
export function matchExtension(pattern: string | CompiledPattern, exten: string, mode: MatchMode): MatchResult {
  const compiled = typeof pattern === 'string' ? compilePattern(pattern) : pattern;
  const data = exten.includes('-') ? exten.replaceAll('-', '') : exten;

  if (!compiled.isPattern) {
    const literal = compiled.key;
    if (literal.length < data.length) return 0;
    if (mode === 'match') return literal === data ? 1 : 0;
    if (data.length === 0 || literal.startsWith(data)) {
      return mode === 'matchmore' ? (literal.length > data.length ? 1 : 0) : 1;
    }
    return 0;
  }

  // A name that is itself a pattern matches a pattern that sorts equal to it (so `_X.` finds `_X.`).
  if (mode === 'match' && exten.startsWith('_') && compareForMatchOrder(compiled, exten) === 0) {
    return 1;
  }

  const tokens = compiled.tokens;
  let i = 0;
  let t = 0;
  while (i < data.length && t < tokens.length) {
    const token = tokens[t];
    if (token === undefined) break;
    if (token.kind === 'set') {
      if (token.slash) break;
      if (!inSet(token.ranges, data.charCodeAt(i))) return 0;
    } else if (token.kind === 'one-or-more') {
      return 1;
    } else if (token.kind === 'zero-or-more') {
      return 2;
    } else {
      return 0;
    }
    i++;
    t++;
  }
  if (i < data.length) return 0; // the number is longer than the pattern

  // The number ran out; what follows in the pattern decides.
  const next = tokens[t];
  if (next === undefined || (next.kind === 'set' && next.slash)) return mode === 'matchmore' ? 0 : 1;
  if (next.kind === 'zero-or-more') return 2;
  return mode === 'match' ? 0 : 1;
}

/** Does `exten` match the extension name exactly (a complete number)? */
export function matches(pattern: string | CompiledPattern, exten: string): boolean {
  return matchExtension(pattern, exten, 'match') !== 0;
}

/** Does `exten` match now, or could it after more digits? (Asterisk's "can match".) */
export function canMatch(pattern: string | CompiledPattern, exten: string): boolean {
  return matchExtension(pattern, exten, 'canmatch') !== 0;
}

/**
 * Is `exten` a proper prefix of something the name matches, so that waiting for more digits makes sense?
 * (Asterisk's "match more".) A pattern that reaches `!` says no: it matches early, so digit collection
 * should stop.
 */
export function canMatchMore(pattern: string | CompiledPattern, exten: string): boolean {
  return matchExtension(pattern, exten, 'matchmore') === 1;
}

// --- ordering --------------------------------------------------------------------------------------------

/** The rank of a sort position; sets are ranked by size, then lowest character, then membership. */
const RANK_SET = 0;
const RANK_ONE_OR_MORE = 1;
const RANK_ZERO_OR_MORE = 2;
const RANK_END = 3;
const RANK_INVALID = 4;

type SortPosition =
  | { readonly rank: typeof RANK_SET; readonly count: number; readonly min: number; readonly ranges: readonly (readonly [number, number])[] }
  | { readonly rank: typeof RANK_ONE_OR_MORE | typeof RANK_ZERO_OR_MORE | typeof RANK_END | typeof RANK_INVALID };

const END_POSITION: SortPosition = { rank: RANK_END };

function sortPositions(compiled: CompiledPattern): SortPosition[] {
  const out: SortPosition[] = [];
  for (const token of compiled.tokens) {
    switch (token.kind) {
      case 'set':
        if (token.count > 0) {
          out.push({ rank: RANK_SET, count: token.count, min: token.ranges[0]?.[0] ?? 0, ranges: token.ranges });
        }
        break;
      case 'one-or-more':
        out.push({ rank: RANK_ONE_OR_MORE });
        break;
      case 'zero-or-more':
        out.push({ rank: RANK_ZERO_OR_MORE });
        break;
      case 'invalid':
        out.push({ rank: RANK_INVALID });
        break;
    }
  }
  return out;
}

/** The lowest code allowed by exactly one of two range lists, or undefined when they allow the same. */
function lowestDifference(
  a: readonly (readonly [number, number])[],
  b: readonly (readonly [number, number])[],
): { code: number; inA: boolean } | undefined {
  const boundaries = new Set<number>();
  for (const [lo, hi] of [...a, ...b]) {
    boundaries.add(lo);
    boundaries.add(hi + 1);
  }
  for (const code of [...boundaries].sort((x, y) => x - y)) {
    const inA = inSet(a, code);
    if (inA !== inSet(b, code)) return { code, inA };
  }
  return undefined;
}

function comparePositions(a: SortPosition, b: SortPosition): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.rank !== RANK_SET || b.rank !== RANK_SET) return 0;
  if (a.count !== b.count) return a.count - b.count;
  if (a.min !== b.min) return a.min - b.min;
  const diff = lowestDifference(a.ranges, b.ranges);
  if (diff === undefined) return 0;
  return diff.inA ? -1 : 1; // the set allowing the lower character comes first
}

function comparePatterns(a: CompiledPattern, b: CompiledPattern): number {
  const pa = sortPositions(a);
  const pb = sortPositions(b);
  for (let k = 0; ; k++) {
    const x = pa[k] ?? END_POSITION;
    const y = pb[k] ?? END_POSITION;
    const cmp = comparePositions(x, y);
    if (cmp !== 0) return cmp;
    if (x.rank === RANK_END) return 0;
  }
}

/**
 * Asterisk's order of extensions within a context: negative when `a` is tried before `b`, 0 when they
 * are the same extension, positive otherwise. Usable directly as an `Array.prototype.sort` comparator.
 */
export function compareForMatchOrder(a: string | CompiledPattern, b: string | CompiledPattern): number {
  const ca = typeof a === 'string' ? compilePattern(a) : a;
  const cb = typeof b === 'string' ? compilePattern(b) : b;
  if (!ca.isPattern) {
    if (cb.isPattern) return -1;
    return ca.key < cb.key ? -1 : ca.key > cb.key ? 1 : 0;
  }
  if (!cb.isPattern) return 1;
  if (ca.key === cb.key) return 0;
  return Math.sign(comparePatterns(ca, cb));
}
