/**
 * Variable substitution in dialplan text: `${VAR}`, `${VAR:offset:length}`, `${FUNC(args)}` and
 * `$[expression]`, as Asterisk's pbx_substitute_variables does it.
 *
 * The engine substitutes each priority's application data just before running it; functions such as EVAL,
 * CUT and FIELDQTY substitute too. The scan is Asterisk's: a `$` opens a substitution only when `{` or
 * `[` follows; the end is found by counting braces (or brackets), and whatever the name itself contains
 * (`${${X}}`, `${CUT(${LIST},|,2)}`, `$[${A} + $[${B} * 2]]`) is substituted first. A name holding `(`
 * is a function call (`NAME(args)`, arguments up to the last `)`); otherwise it is a variable read through
 * the scope. `:offset[:length]` after the name takes a substring, counted in bytes like Asterisk, with
 * negative offsets from the end and negative lengths leaving characters off the end. Unknown variables
 * and failed functions produce nothing; a value is never substituted again. A missing `}` or `]` is
 * warned about and the rest of the text is taken as the name. Nesting deeper than 15 levels (counting
 * EVAL and friends) is refused with an error, as a guard against dialplans that recurse forever.
 *
 * The module defines the scope interfaces that functions see; the engine adapts its channels, globals and
 * astdb to them (`scope.ts`). Nothing here knows about core channels.
 */

import { evaluateExpression, ExprError } from './expr.ts';
import type { FunctionRegistry } from './functions/registry.ts';

/** The astdb as functions see it (DB, DB_EXISTS, DB_DELETE). */
export interface AstDbPort {
  get(family: string, key: string): string | undefined;
  put(family: string, key: string, value: string): void;
  /** Deletes one key; false when it did not exist. */
  del(family: string, key: string): boolean;
}

/** Global variables (`[globals]`, GLOBAL()). */
export interface GlobalVariablesPort {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  delete?(name: string): void;
}

/** Variables shared between channels through SHARED(name[,channel]). */
export interface SharedVariablesPort {
  /**
   * The full name of the channel SHARED's second argument designates: an exact channel name, or a
   * `Tech/resource` prefix followed by `-` (as Asterisk matches it); `undefined` when there is none.
   * Without this method the argument is taken as the channel name.
   */
  resolve?(channel: string): string | undefined;
  get(channelName: string, name: string): string | undefined;
  set(channelName: string, name: string, value: string): void;
}

/** A caller or connected line identity. */
export interface PartyId {
  readonly name: string;
  readonly number: string;
}

/** The channel as dialplan functions see it; the engine adapts the core channel to this. */
export interface FunctionChannel {
  readonly name: string;
  readonly uniqueid: string;
  readonly language: string;
  /** Asterisk's state name: Down, Rsrvd, OffHook, Dialing, Ring, Ringing, Up, Busy, ... */
  readonly state: string;
  readonly context: string;
  readonly exten: string;
  readonly priority: number;
  readonly caller: PartyId;
  readonly connected: PartyId;
  readonly accountcode: string;
  /** Empty or absent when unset (CHANNEL(linkedid) then reports the uniqueid). */
  readonly linkedid?: string;
  /** The technology (`PJSIP`, `Local`): CHANNEL(channeltype). */
  readonly tech: string;
  readonly hangupCause?: number;
  /** Changes the caller identity (one update, one ChannelCallerId event). */
  setCaller(update: { readonly name?: string; readonly number?: string }): void;
  /** Changes the connected line identity. */
  setConnected(update: { readonly name?: string; readonly number?: string }): void;
  setLanguage(language: string): void;
  /** CHANNEL() items the driver or engine knows beyond the common ones; `item` is lower case. */
  channelValue?(item: string): string | undefined;
  /** Writes a CHANNEL() item other than `language`; false when the item is unknown or read-only. */
  setChannelValue?(item: string, value: string): boolean;
}

/** Everything a substitution and the functions it calls can see and change. */
export interface SubstitutionScope {
  /**
   * A variable's value: the channel's variables, then the globals. Built-ins such as EXTEN, CONTEXT,
   * PRIORITY, UNIQUEID, CHANNEL, EPOCH and HANGUPCAUSE are the engine's to answer too. `undefined` when
   * unset.
   */
  getVariable(name: string): string | undefined;
  /** Sets a channel variable (a global one when there is no channel). */
  setVariable(name: string, value: string): void;
  /** Removes a channel variable (DELETE()); optional. */
  deleteVariable?(name: string): void;
  readonly functions: FunctionRegistry;
  /** Absent when there is no channel (globals-only substitution). */
  readonly channel?: FunctionChannel;
  readonly globals: GlobalVariablesPort;
  readonly db?: AstDbPort;
  readonly shared?: SharedVariablesPort;
  /** Receives warnings and errors Asterisk would log; the messages are Asterisk's, without a channel name. */
  readonly warn?: (message: string) => void;
  /** Milliseconds since the epoch (STRFTIME's default time); `Date.now` when absent. */
  readonly now?: () => number;
  /** A number in [0, 1) (RAND); `Math.random` when absent. */
  readonly random?: () => number;
}

/** Asterisk's MAX_VARIABLE_SUB_RECURSE_DEPTH. */
export const MAX_SUBSTITUTION_DEPTH = 15;

/** Nesting of substitutions in progress (substitution is synchronous, so one counter serves all scopes). */
let depth = 0;

/**
 * Substitutes `${...}` and `$[...]` in `text`.
 *
 * @example
 * substitute('Dial(PJSIP/${EXTEN:1},${TIMEOUT})', scope)  // 'Dial(PJSIP/100,30)' with EXTEN=9100, TIMEOUT=30
 * substitute('$[${COUNT} + 1]', scope)                     // '5' with COUNT=4
 * substitute('${CALLERID(num):0:3}', scope)                // the first three digits of the caller's number
 */
export function substitute(text: string, scope: SubstitutionScope): string {
  if (!text.includes('$')) return text;
  if (depth >= MAX_SUBSTITUTION_DEPTH) {
    scope.warn?.(
      `Exceeded maximum variable substitution recursion depth (${MAX_SUBSTITUTION_DEPTH}) - possible infinite recursion in dialplan?`,
    );
    return '';
  }
  depth++;
  try {
    return substituteText(text, scope);
  } finally {
    depth--;
  }
}

function substituteText(text: string, scope: SubstitutionScope): string {
  const n = text.length;
  let out = '';
  let i = 0;
  while (i < n) {
    const dollar = text.indexOf('$', i);
    if (dollar < 0) {
      out += text.slice(i);
      break;
    }
    const open = text[dollar + 1];
    if (open !== '{' && open !== '[') {
      out += text.slice(i, dollar + 1);
      i = dollar + 1;
      continue;
    }
    out += text.slice(i, dollar);

    // Find the end: count the braces (or brackets); a nested `${` or `$[` means the inside needs substituting.
    const start = dollar + 2;
    const close = open === '{' ? '}' : ']';
    let k = start;
    let level = 1;
    let nested = false;
    while (level > 0 && k < n) {
      const c = text[k]!;
      if (c === '$' && text[k + 1] === open) {
        nested = true;
        level++;
        k++;
      } else if (c === open) {
        level++;
      } else if (c === close) {
        level--;
      } else if (c === '$' && (text[k + 1] === '{' || text[k + 1] === '[')) {
        nested = true;
        k++;
      }
      k++;
    }
    let inner: string;
    if (level > 0) {
      scope.warn?.(`Error in extension logic (missing '${close}')`);
      inner = text.slice(start, k);
    } else {
      inner = text.slice(start, k - 1);
    }
    i = k;
    if (nested) inner = substitute(inner, scope);

    if (open === '{') {
      out += readVariableOrFunction(inner, scope) ?? '';
    } else {
      out += expression(inner, scope);
    }
  }
  return out;
}

function expression(inner: string, scope: SubstitutionScope): string {
  try {
    return evaluateExpression(inner, {
      warn: (message) => scope.warn?.(message),
      callFunction: (name, args) => {
        if (scope.channel === undefined) return undefined;
        const fn = scope.functions.get(name);
        if (fn === undefined) return undefined;
        if (fn.read === undefined) {
          scope.warn?.(`Error! Function '${name}' cannot be read!`);
          return '0';
        }
        return safeRead(name, args, scope);
      },
    });
  } catch (err) {
    if (err instanceof ExprError) {
      // Asterisk logs the syntax error and the expression's value is "0".
      scope.warn?.(`ast_yyerror(): ${err.message}; Input:\n${inner}\n${' '.repeat(err.offset)}^`);
      return '0';
    }
    throw err;
  }
}

const INT_MAX = 2147483647;

/** A `${...}` name split as Asterisk does: the name, `:offset:length`, and whether it calls a function. */
export interface VariableReference {
  readonly name: string;
  readonly offset: number;
  /** `2147483647` when not given. */
  readonly length: number;
  readonly isFunction: boolean;
}

/**
 * Splits `NAME:offset:length` at the first `:` outside parentheses. Offset and length are read as C's
 * `%d` does (a missing or unreadable offset is 0, a missing or unreadable length means "to the end").
 */
export function parseReference(text: string): VariableReference {
  let parens = 0;
  let isFunction = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') {
      isFunction = true;
      parens++;
    } else if (c === ')') {
      parens--;
    } else if (c === ':' && parens === 0) {
      let offset = 0;
      let length = INT_MAX;
      const o = scanCInt(text, i + 1);
      if (o !== undefined) {
        offset = o.value;
        if (text[o.end] === ':') {
          const l = scanCInt(text, o.end + 1);
          if (l !== undefined) length = l.value;
        }
      }
      return { name: text.slice(0, i), offset, length, isFunction };
    }
  }
  return { name: text, offset: 0, length: INT_MAX, isFunction };
}

function scanCInt(text: string, pos: number): { value: number; end: number } | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text.slice(pos));
  if (m === null) return undefined;
  const v = Math.max(-2147483648, Math.min(INT_MAX, Number(m[1])));
  return { value: v, end: pos + m[0].length };
}

/**
 * Asterisk's substring: `offset` < 0 counts from the end (clamped to the start), an offset past the end
 * gives `''`; `length` < 0 leaves that many characters off the end. Counted in UTF-8 bytes, like Asterisk
 * (a multi-byte character cut in half becomes U+FFFD).
 */
export function takeSubstring(value: string, offset: number, length: number): string {
  if (/^[\x00-\x7f]*$/.test(value)) return substringUnits(value, offset, length);
  const bytes = Buffer.from(value, 'utf8');
  const range = substringRange(bytes.length, offset, length);
  return range === undefined ? '' : bytes.subarray(range[0], range[1]).toString('utf8');
}

function substringUnits(value: string, offset: number, length: number): string {
  const range = substringRange(value.length, offset, length);
  return range === undefined ? '' : value.slice(range[0], range[1]);
}

function substringRange(total: number, offset: number, length: number): [number, number] | undefined {
  if (offset === 0 && length >= total) return [0, total];
  if (offset < 0) offset = Math.max(0, total + offset);
  if (offset >= total) return undefined;
  const rest = total - offset;
  if (length >= 0) return [offset, offset + Math.min(length, rest)];
  if (rest > -length) return [offset, offset + rest + length];
  return undefined;
}

/** Splits `NAME(args)` as Asterisk does: the name before the first `(`, the arguments up to the last `)`. */
function splitCall(call: string, scope: SubstitutionScope): { name: string; args: string } {
  const open = call.indexOf('(');
  if (open < 0) {
    scope.warn?.(`Function '${call}' doesn't contain parentheses.  Assuming null argument.`);
    return { name: call, args: '' };
  }
  const close = call.lastIndexOf(')');
  if (close < open) {
    scope.warn?.(`Can't find trailing parenthesis for function '${call.slice(0, open)}(${call.slice(open + 1)}'?`);
    return { name: call.slice(0, open), args: call.slice(open + 1) };
  }
  return { name: call.slice(0, open), args: call.slice(open + 1, close) };
}

/**
 * Reads a function call such as `CALLERID(num)` (already substituted). Returns `undefined`, with a
 * warning, when the function is not registered or cannot be read.
 */
export function readFunction(call: string, scope: SubstitutionScope): string | undefined {
  const { name, args } = splitCall(call, scope);
  const fn = scope.functions.get(name);
  if (fn === undefined) {
    scope.warn?.(`Function ${name} not registered`);
    return undefined;
  }
  if (fn.read === undefined) {
    scope.warn?.(`Function ${name} cannot be read`);
    return undefined;
  }
  return safeRead(name, args, scope);
}

function safeRead(name: string, args: string, scope: SubstitutionScope): string {
  const fn = scope.functions.get(name);
  try {
    return fn?.read?.(scope, args) ?? '';
  } catch (err) {
    scope.warn?.(`Function ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    return '';
  }
}

/**
 * Writes a function call such as `CALLERID(num)`. Returns false, with a warning, when the function is not
 * registered, cannot be written or fails.
 */
export function writeFunction(call: string, value: string, scope: SubstitutionScope): boolean {
  const { name, args } = splitCall(call, scope);
  const fn = scope.functions.get(name);
  if (fn === undefined) {
    scope.warn?.(`Function ${name} not registered`);
    return false;
  }
  if (fn.write === undefined) {
    scope.warn?.(`Function ${name} cannot be written to`);
    return false;
  }
  try {
    fn.write(scope, args, value);
    return true;
  } catch (err) {
    scope.warn?.(`Function ${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

/**
 * What `Set(target=value)` does: a target ending in `)` is a function write (`CALLERID(num)`,
 * `GLOBAL(x)`, `DB(family/key)`), anything else a channel variable. Returns false when a function write
 * failed.
 */
export function setVariableOrFunction(target: string, value: string, scope: SubstitutionScope): boolean {
  if (target.endsWith(')')) return writeFunction(target, value, scope);
  scope.setVariable(target, value);
  return true;
}

/**
 * Reads `${name}` without the surrounding syntax: a function call when `name` holds `(`, else a variable;
 * `:offset:length` applies. `undefined` when the variable is unset or the function unknown (ARI's channel
 * variable GET uses this).
 */
export function readVariableOrFunction(name: string, scope: SubstitutionScope): string | undefined {
  const ref = parseReference(name);
  const value = ref.isFunction ? readFunction(ref.name, scope) : scope.getVariable(ref.name);
  if (value === undefined) return undefined;
  return ref.offset === 0 && ref.length === INT_MAX ? value : takeSubstring(value, ref.offset, ref.length);
}
