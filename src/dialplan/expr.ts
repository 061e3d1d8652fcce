/**
 * The `$[...]` expression language of the dialplan, evaluated as Asterisk's ast_expr2 does.
 *
 * By the time an expression reaches this module, `${...}` inside it has been substituted
 * (`substitute.ts`), so the text is plain: `$[${COUNT} + 1]` arrives as `4 + 1`. A small scanner cuts it
 * into tokens the way Asterisk's flex scanner does (spaces are optional around operators, `"..."` keeps
 * its quotes, a run of letters, digits and `.';\_^#@` is one token, characters it does not know are
 * skipped), and a precedence-climbing parser evaluates while it parses, as the bison actions do.
 *
 * Operators, loosest first: `a ? b :: c`; `|` (`||`); `&` (`&&`); `= == != < > <= >=`; `+ -`;
 * `* / %`; unary `-` and `!`; `:` (regex anchored at the start), `=~` (regex anywhere) and `~~`
 * (concatenation); then parentheses and `NAME(arg, ...)` calls (the math functions here, anything else
 * through `callFunction`). Values are strings, "numeric strings" (digits and dots) or numbers, and each
 * operator coerces as Asterisk does: comparisons are numeric unless one side is a plain string, `|`
 * and `&` return an operand rather than 1, `!abc` is 1, division by zero gives 2147483647, and so on.
 *
 * Asterisk computes in `long double` and prints with `%.18Lg`. We compute exactly on rationals
 * (BigInt numerator and denominator) and print 18 significant digits, which gives the same text as
 * Asterisk for ordinary arithmetic (`$[125/60]` is `2.08333333333333333`, `$[0.1+0.2]` is `0.3`).
 * Transcendental functions (COS, SQRT, LOG, ...) use doubles and print their shortest exact form, so
 * their last digits can differ from Asterisk's.
 *
 * A syntax error throws `ExprError` with the offset of the offending token; Asterisk then logs a
 * warning and the expression's value is "0" (see `substitute.ts`). Problems Asterisk only warns about
 * (non-numeric operands, division by zero, a bad regex) go to `warn` and evaluation continues.
 */

import { ParseError } from '../shared/errors.ts';
import { compilePosixRegex } from '../shared/posix-regex.ts';

export { compilePosixRegex };

/** A syntax error in a `$[...]` expression; `offset` is the index of the offending token in the text. */
export class ExprError extends ParseError {
  constructor(message: string, offset: number) {
    super(message, offset);
    this.name = 'ExprError';
  }
}

export interface ExpressionOptions {
  /**
   * Evaluates `NAME(args)` for names that are not built-in math functions (a dialplan function). `args`
   * are the evaluated arguments joined with commas. Return `undefined` when there is no such function;
   * the call then yields 0, as in Asterisk.
   */
  readonly callFunction?: (name: string, args: string) => string | undefined;
  /** Receives the warnings Asterisk would log (non-numeric argument, division by zero, bad regex, ...). */
  readonly warn?: (message: string) => void;
}

/**
 * Evaluates an expression (the text between `$[` and `]`, already substituted) and returns its value as
 * Asterisk prints it. An empty expression yields `''`. Throws `ExprError` on a syntax error.
 *
 * @example
 * evaluateExpression('1 + 2 * 3')            // '7'
 * evaluateExpression('10 / 4')               // '2.5'
 * evaluateExpression('"abc" = "abc"')        // '1'
 * evaluateExpression('5551234 : 555(.*)')    // '1234'
 * evaluateExpression('1 > 2 ? yes :: no')    // 'no'
 */
export function evaluateExpression(text: string, options: ExpressionOptions = {}): string {
  const parser = new Parser(text, options);
  const value = parser.parseAll();
  if (value === undefined) return '';
  return value.kind === 'number' ? formatNum(value.num) : value.str;
}

/**
 * Whether a condition is true, as Asterisk's `pbx_checkcondition` decides for GotoIf, IF() and
 * ExecIf: empty is false, text starting with an integer is that integer's truth, any other text is true.
 */
export function checkCondition(condition: string): boolean {
  if (condition === '') return false;
  const n = scanInt(condition, 0);
  if (n !== undefined) return n.value !== 0;
  return true;
}

/**
 * Reads a C `%d` conversion at `pos`: optional leading whitespace, an optional sign and at least one digit.
 * Returns the value (clamped to 32 bits, as an `int`) and the index after it, or `undefined`.
 */
export function scanInt(text: string, pos: number): { value: number; end: number } | undefined {
  let i = pos;
  while (i < text.length && isCSpace(text.charCodeAt(i))) i++;
  let sign = 1;
  if (text[i] === '+' || text[i] === '-') {
    if (text[i] === '-') sign = -1;
    i++;
  }
  const start = i;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (i === start) return undefined;
  let value = sign * Number(text.slice(start, i));
  if (value > 2147483647) value = 2147483647;
  if (value < -2147483648) value = -2147483648;
  return { value, end: i };
}

// ---------------------------------------------------------------------------------------------------------
// Numbers: exact rationals, or doubles for the results of transcendental functions

interface Exact {
  readonly exact: true;
  /** Numerator, carries the sign. */
  readonly p: bigint;
  /** Denominator, always positive, coprime with `p`. */
  readonly q: bigint;
  /** A zero that is negative, as `long double` arithmetic produces (`$[-0]` prints `-0`). */
  readonly negZero: boolean;
}

interface Float {
  readonly exact: false;
  readonly v: number;
}

type Num = Exact | Float;

const ZERO: Exact = { exact: true, p: 0n, q: 1n, negZero: false };
const INT_MAX = 2147483647;

function exact(p: bigint, q: bigint, negZero = false): Exact {
  if (q < 0n) {
    p = -p;
    q = -q;
  }
  if (p === 0n) return negZero ? { exact: true, p: 0n, q: 1n, negZero: true } : ZERO;
  const g = gcd(p < 0n ? -p : p, q);
  return g === 1n ? { exact: true, p, q, negZero: false } : { exact: true, p: p / g, q: q / g, negZero: false };
}

function int(n: number | bigint): Exact {
  return exact(BigInt(n), 1n);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function fromDouble(v: number): Num {
  if (Number.isInteger(v)) return exact(BigInt(v), 1n, Object.is(v, -0));
  return { exact: false, v };
}

function toDouble(n: Num): number {
  if (!n.exact) return n.v;
  if (n.p === 0n) return n.negZero ? -0 : 0;
  const safe = 9007199254740991n;
  if (n.p <= safe && n.p >= -safe && n.q <= safe) return Number(n.p) / Number(n.q);
  return Number.parseFloat(exactDigits(n, 20, true));
}

/** Whether the number is negative or a negative zero (the sign bit). */
function signBit(n: Num): boolean {
  if (n.exact) return n.p < 0n || (n.p === 0n && n.negZero);
  return n.v < 0 || Object.is(n.v, -0);
}

function isZero(n: Num): boolean {
  return n.exact ? n.p === 0n : n.v === 0;
}

function neg(a: Num): Num {
  if (!a.exact) return { exact: false, v: -a.v };
  if (a.p === 0n) return exact(0n, 1n, !a.negZero);
  return { exact: true, p: -a.p, q: a.q, negZero: false };
}

function add(a: Num, b: Num): Num {
  if (!a.exact || !b.exact) return fromDouble(toDouble(a) + toDouble(b));
  const r = exact(a.p * b.q + b.p * a.q, a.q * b.q);
  // IEEE: a zero sum is negative only when both operands were negative zeros.
  if (r.p === 0n && a.p === 0n && b.p === 0n && a.negZero && b.negZero) return exact(0n, 1n, true);
  return r;
}

function sub(a: Num, b: Num): Num {
  return add(a, neg(b));
}

function mul(a: Num, b: Num): Num {
  if (!a.exact || !b.exact) return fromDouble(toDouble(a) * toDouble(b));
  return exact(a.p * b.p, a.q * b.q, signBit(a) !== signBit(b));
}

/** `b` must not be zero. */
function div(a: Num, b: Num): Num {
  if (!a.exact || !b.exact) return fromDouble(toDouble(a) / toDouble(b));
  return exact(a.p * b.q, a.q * b.p, signBit(a) !== signBit(b));
}

/** C `fmod`: the remainder of truncated division, with the sign of `a`. `b` must not be zero. */
function fmod(a: Num, b: Num): Num {
  if (!a.exact || !b.exact) return fromDouble(toDouble(a) % toDouble(b));
  // Bigint division truncates toward zero, whatever the signs.
  const t = (a.p * b.q) / (a.q * b.p);
  const r = sub(a, mul(int(t), b));
  return isZero(r) ? exact(0n, 1n, signBit(a)) : r;
}

function floorExact(a: Exact): bigint {
  const t = a.p / a.q;
  return a.p < 0n && t * a.q !== a.p ? t - 1n : t;
}

function compare(a: Num, b: Num): number {
  if (a.exact && b.exact) {
    const l = a.p * b.q;
    const r = b.p * a.q;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  const x = toDouble(a);
  const y = toDouble(b);
  return x < y ? -1 : x > y ? 1 : x === y ? 0 : Number.NaN;
}

/**
 * `strtold` over the text of a numeric string: leading blanks, an optional sign, digits with at most one
 * dot. Text with no digits converts to 0.
 */
function parseDecimal(text: string): Exact {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)(?:\.(\d*))?/.exec(text);
  const sign = m?.[1] ?? '';
  const whole = m?.[2] ?? '';
  const frac = m?.[3] ?? '';
  if (whole === '' && frac === '') return ZERO;
  const p = BigInt((whole === '' ? '0' : whole) + frac);
  return exact(sign === '-' ? -p : p, 10n ** BigInt(frac.length), sign === '-');
}

/** `%.18Lg`. */
function formatNum(n: Num): string {
  if (!n.exact) return formatDouble(n.v);
  if (n.p === 0n) return n.negZero ? '-0' : '0';
  return exactDigits(n, 18, false);
}

/**
 * Prints a non-zero exact number with `precision` significant digits, rounded half to even, in `%g` style
 * (`forceExponent` gives `d.ddde±x` for re-parsing).
 */
function exactDigits(n: Exact, precision: number, forceExponent: boolean): string {
  const negative = n.p < 0n;
  const a = negative ? -n.p : n.p;
  const b = n.q;
  // Decimal exponent e with 10^e <= a/b < 10^(e+1).
  let e = a.toString().length - b.toString().length;
  if (e >= 0 ? a < b * 10n ** BigInt(e) : a * 10n ** BigInt(-e) < b) e--;
  const shift = precision - 1 - e;
  const num = shift >= 0 ? a * 10n ** BigInt(shift) : a;
  const den = shift >= 0 ? b : b * 10n ** BigInt(-shift);
  let digits = num / den;
  const rem = num - digits * den;
  if (rem * 2n > den || (rem * 2n === den && digits % 2n === 1n)) digits++;
  if (digits.toString().length > precision) {
    digits /= 10n;
    e++;
  }
  return layoutG(negative, digits.toString(), e, precision, forceExponent);
}

/** Doubles print their shortest round-trip digits, laid out as `%.18g` would. */
function formatDouble(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const [mantissa = '', exponent = '0'] = Math.abs(v).toExponential().split('e');
  return layoutG(v < 0, mantissa.replace('.', ''), Number(exponent), 18, false);
}

/** `%g` layout of significant `digits` (first digit non-zero) with decimal exponent `e`; trailing zeros go. */
function layoutG(negative: boolean, digits: string, e: number, precision: number, forceExponent: boolean): string {
  const sign = negative ? '-' : '';
  const trimmed = digits.replace(/0+$/, '') || '0';
  if (forceExponent || e < -4 || e >= precision) {
    const mant = trimmed.length > 1 ? `${trimmed[0]}.${trimmed.slice(1)}` : trimmed;
    const abs = Math.abs(e);
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  if (e < 0) return `${sign}0.${'0'.repeat(-e - 1)}${trimmed}`;
  if (trimmed.length <= e + 1) return `${sign}${trimmed}${'0'.repeat(e + 1 - trimmed.length)}`;
  return `${sign}${trimmed.slice(0, e + 1)}.${trimmed.slice(e + 1)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Values, with Asterisk's three types and its in-place conversion to number

type ValueKind = 'number' | 'numeric' | 'string';

class Value {
  kind: ValueKind;
  str: string;
  num: Num;

  constructor(kind: ValueKind, str: string, num: Num) {
    this.kind = kind;
    this.str = str;
    this.num = num;
  }

  static number(num: Num): Value {
    return new Value('number', '', num);
  }

  static string(text: string): Value {
    return new Value('string', text, ZERO);
  }

  /** A string computed by an operator: numeric when it is made of digits and dots only (`make_str`). */
  static made(text: string): Value {
    return new Value(/^[0-9.]+$/.test(text) ? 'numeric' : 'string', text, ZERO);
  }

  /** Converts a numeric string to a number in place; false for plain strings. */
  toNumber(): boolean {
    if (this.kind === 'number') return true;
    if (this.kind === 'string') return false;
    this.num = parseDecimal(this.str);
    this.kind = 'number';
    return true;
  }

  /** Prints a number in place (numbers only; strings stay as they are). */
  toStr(): void {
    if (this.kind !== 'number') return;
    this.str = formatNum(this.num);
    this.kind = 'string';
  }

  isString(): boolean {
    return this.kind === 'string';
  }

  isZeroOrNull(): boolean {
    if (this.kind === 'number') return isZero(this.num);
    return this.str === '' || (this.toNumber() && isZero(this.num));
  }

  /** The text of a string value with its double quotes removed when it starts and ends with one. */
  unquoted(): string {
    const s = this.str;
    if (s.length > 0 && s[0] === '"' && s[s.length - 1] === '"') return s.replaceAll('"', '');
    return s;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scanner

type Op =
  | '|' | '&' | '=' | '=~' | '~~' | '>' | '<' | '>=' | '<=' | '!=' | '+' | ',' | '-' | '*' | '/' | '%'
  | '?' | '!' | ':' | '::' | '(' | ')';

interface Token {
  /** An operator, `tok` for a value, or `eof`. */
  readonly type: Op | 'tok' | 'eof';
  readonly text: string;
  readonly pos: number;
  readonly numeric: boolean;
}

const TWO_CHAR_OPS: Readonly<Record<string, Op>> = {
  '||': '|', '&&': '&', '==': '=', '=~': '=~', '~~': '~~', '>=': '>=', '<=': '<=', '!=': '!=', '::': '::',
};
const ONE_CHAR_OPS = new Set<string>(['|', '&', '=', '>', '<', '+', ',', '-', '*', '/', '%', '?', '!', ':', '(', ')']);
/** Characters that end the text after a `${...}` inside a token. */
const TRAIL_STOP = new Set<string>(['-', '\t', '\r', ' ', '\n', '$', '(', ')', ':', '?', '%', '/', '+', '=', '*', '<', '>', '!', '|', '&']);

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isCSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return (
    (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || isDigit(code) || code >= 0x80 ||
    c === '.' || c === "'" || c === ';' || c === '\\' || c === '_' || c === '^' || c === '#' || c === '@'
  );
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    const two = TWO_CHAR_OPS[text.slice(i, i + 2)];
    if (two !== undefined) {
      tokens.push({ type: two, text: text.slice(i, i + 2), pos: i, numeric: false });
      i += 2;
      continue;
    }
    if (ONE_CHAR_OPS.has(c)) {
      tokens.push({ type: c as Op, text: c, pos: i, numeric: false });
      i++;
      continue;
    }
    if (c === '"') {
      const close = text.indexOf('"', i + 1);
      if (close >= 0) {
        tokens.push({ type: 'tok', text: text.slice(i, close + 1), pos: i, numeric: false });
        i = close + 1;
        continue;
      }
      i++; // An unmatched quote is skipped, as the scanner's default rule does.
      continue;
    }
    // A run of token characters (and `$x` pairs), possibly continued by `${...}` and what follows it.
    let j = i;
    for (;;) {
      const d = text[j];
      if (d === undefined) break;
      if (isTokenChar(d)) j++;
      else if (d === '$' && j + 1 < n && text[j + 1] !== '{') j += 2;
      else break;
    }
    if (text[j] === '$' && text[j + 1] === '{') {
      const end = scanVariableToken(text, j + 2);
      tokens.push({ type: 'tok', text: text.slice(i, end), pos: i, numeric: false });
      i = end;
      continue;
    }
    if (j === i) {
      i++; // A character no rule matches (`[`, `{`, a lone `~` or `$`) is skipped.
      continue;
    }
    const num = /^[0-9]+(?:\.[0-9]+)?/.exec(text.slice(i, j));
    const numLength = num === null ? 0 : num[0].length;
    tokens.push({ type: 'tok', text: text.slice(i, j), pos: i, numeric: numLength > 0 && numLength >= j - i });
    i = j;
  }
  tokens.push({ type: 'eof', text: '', pos: n, numeric: false });
  return tokens;
}

/** From just after a `${`: the balanced braces, then trailing characters up to an operator or space. */
function scanVariableToken(text: string, from: number): number {
  const n = text.length;
  let i = from;
  for (;;) {
    let curly = 0;
    for (;;) {
      if (i >= n) return n;
      const c = text[i]!;
      i++;
      if (c === '{') curly++;
      else if (c === '}' && --curly < 0) break;
    }
    while (i < n && !TRAIL_STOP.has(text[i]!)) i++;
    if (text[i] === '$' && text[i + 1] === '{') {
      i += 2;
      continue;
    }
    return i;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parser and evaluator

const MAX_NESTING = 500;

class Parser {
  readonly #tokens: Token[];
  readonly #options: ExpressionOptions;
  #pos = 0;
  #depth = 0;

  constructor(text: string, options: ExpressionOptions) {
    this.#tokens = tokenize(text);
    this.#options = options;
  }

  /** The value of the whole expression, or undefined for an empty one. */
  parseAll(): Value | undefined {
    if (this.#peek().type === 'eof') return undefined;
    const value = this.#ternary();
    const next = this.#peek();
    if (next.type !== 'eof') this.#unexpected(next);
    return value;
  }

  #peek(): Token {
    return this.#tokens[this.#pos]!;
  }

  #next(): Token {
    const t = this.#tokens[this.#pos]!;
    if (t.type !== 'eof') this.#pos++;
    return t;
  }

  #unexpected(t: Token, expecting?: string): never {
    const what = t.type === 'eof' ? 'end of expression' : `'${t.text}'`;
    throw new ExprError(`syntax error, unexpected ${what}${expecting === undefined ? '' : `, expecting ${expecting}`}`, t.pos);
  }

  #warn(message: string): void {
    this.#options.warn?.(message);
  }

  #enter(t: Token): void {
    if (++this.#depth > MAX_NESTING) throw new ExprError('expression nested too deeply', t.pos);
  }

  // a ? b :: c, left-associative, loosest
  #ternary(): Value {
    this.#enter(this.#peek());
    let left = this.#or();
    while (this.#peek().type === '?') {
      this.#next();
      const whenTrue = this.#ternary();
      const sep = this.#peek();
      if (sep.type !== '::') this.#unexpected(sep, "'::'");
      this.#next();
      const whenFalse = this.#or();
      left = this.#cond(left, whenTrue, whenFalse);
    }
    this.#depth--;
    return left;
  }

  #or(): Value {
    let left = this.#and();
    while (this.#peek().type === '|') {
      this.#next();
      const right = this.#and();
      left = left.isZeroOrNull() ? right : left;
    }
    return left;
  }

  #and(): Value {
    let left = this.#comparison();
    while (this.#peek().type === '&') {
      this.#next();
      const right = this.#comparison();
      left = left.isZeroOrNull() || right.isZeroOrNull() ? Value.number(ZERO) : left;
    }
    return left;
  }

  #comparison(): Value {
    let left = this.#additive();
    for (;;) {
      const t = this.#peek().type;
      if (t !== '=' && t !== '!=' && t !== '<' && t !== '>' && t !== '<=' && t !== '>=') return left;
      this.#next();
      left = compareValues(t, left, this.#additive());
    }
  }

  #additive(): Value {
    let left = this.#multiplicative();
    for (;;) {
      const t = this.#peek().type;
      if (t !== '+' && t !== '-') return left;
      this.#next();
      const right = this.#multiplicative();
      left = t === '+' ? this.#plus(left, right) : this.#minus(left, right);
    }
  }

  #multiplicative(): Value {
    let left = this.#unary();
    for (;;) {
      const t = this.#peek().type;
      if (t !== '*' && t !== '/' && t !== '%') return left;
      this.#next();
      const right = this.#unary();
      left = t === '*' ? this.#times(left, right) : t === '/' ? this.#div(left, right) : this.#rem(left, right);
    }
  }

  // Unary `-` and `!` bind looser than `:`, `=~` and `~~`: `-a : b` is `-(a : b)`.
  #unary(): Value {
    const t = this.#peek();
    if (t.type === '-' || t.type === '!') {
      this.#next();
      this.#enter(t);
      const operand = this.#unary();
      this.#depth--;
      return t.type === '-' ? this.#negate(operand) : complement(operand);
    }
    return this.#match();
  }

  #match(): Value {
    let left = this.#primary();
    for (;;) {
      const t = this.#peek().type;
      if (t !== ':' && t !== '=~' && t !== '~~') return left;
      this.#next();
      // A unary operator on the right takes the rest of the chain: `a : -b : c` is `a : -(b : c)`.
      const n = this.#peek().type;
      const right = n === '-' || n === '!' ? this.#unary() : this.#primary();
      left = t === '~~' ? concat(left, right) : this.#regex(left, right, t === ':');
    }
  }

  #primary(): Value {
    const t = this.#next();
    if (t.type === '(') {
      this.#enter(t);
      const inner = this.#ternary();
      const close = this.#peek();
      if (close.type !== ')') this.#unexpected(close, "')'");
      this.#next();
      this.#depth--;
      return inner;
    }
    if (t.type !== 'tok') this.#unexpected(t);
    if (this.#peek().type === '(') {
      this.#next();
      this.#enter(t);
      const args = this.#arguments();
      this.#depth--;
      return this.#call(t.text, args);
    }
    return t.numeric ? new Value('numeric', t.text, ZERO) : Value.string(t.text);
  }

  /** After `NAME(`: one or more comma-separated expressions (a trailing comma adds an empty one), then `)`. */
  #arguments(): Value[] {
    const args: Value[] = [this.#ternary()];
    for (;;) {
      const t = this.#next();
      if (t.type === ')') return args;
      if (t.type !== ',') this.#unexpected(t, "',' or ')'");
      const n = this.#peek().type;
      args.push(n === ',' || n === ')' ? Value.string('') : this.#ternary());
    }
  }

  // -- operators

  #cond(a: Value, b: Value, c: Value): Value {
    if (a.isString()) return a.str !== '' && a.str !== '""' && a.str !== '0' ? b : c;
    a.toNumber();
    return isZero(a.num) ? c : b;
  }

  #plus(a: Value, b: Value): Value {
    if (!a.toNumber()) {
      this.#warn('non-numeric argument');
      return b.toNumber() ? b : Value.number(ZERO);
    }
    if (!b.toNumber()) return a;
    return Value.number(add(a.num, b.num));
  }

  #minus(a: Value, b: Value): Value {
    if (!a.toNumber()) {
      this.#warn('non-numeric argument');
      return b.toNumber() ? Value.number(sub(ZERO, b.num)) : Value.number(ZERO);
    }
    if (!b.toNumber()) {
      this.#warn('non-numeric argument');
      return a;
    }
    return Value.number(sub(a.num, b.num));
  }

  #negate(a: Value): Value {
    if (!a.toNumber()) {
      this.#warn('non-numeric argument');
      return Value.number(ZERO);
    }
    return Value.number(neg(a.num));
  }

  #times(a: Value, b: Value): Value {
    if (!a.toNumber() || !b.toNumber()) {
      this.#warn('non-numeric argument');
      return Value.number(ZERO);
    }
    return Value.number(mul(a.num, b.num));
  }

  #div(a: Value, b: Value): Value {
    if (!a.toNumber()) {
      this.#warn('non-numeric argument');
      return Value.number(ZERO);
    }
    if (!b.toNumber()) {
      this.#warn('non-numeric argument');
      return Value.number(int(INT_MAX));
    }
    if (isZero(b.num)) {
      this.#warn('division by zero');
      return Value.number(int(INT_MAX));
    }
    return Value.number(div(a.num, b.num));
  }

  #rem(a: Value, b: Value): Value {
    if (!a.toNumber() || !b.toNumber()) {
      this.#warn('non-numeric argument');
      return Value.number(ZERO);
    }
    if (isZero(b.num)) {
      this.#warn('div by zero');
      return b;
    }
    return Value.number(fmod(a.num, b.num));
  }

  /** `:` (anchored at the start) and `=~`: the first group's text, else the match length; see the module doc. */
  #regex(a: Value, b: Value, anchored: boolean): Value {
    a.toStr();
    b.toStr();
    const subject = a.unquoted();
    let re: RegExp;
    let groups: number;
    try {
      ({ regex: re, groups } = compilePosixRegex(b.unquoted()));
    } catch (err) {
      this.#warn(`regcomp() error : ${err instanceof Error ? err.message : String(err)}`);
      return Value.string('');
    }
    const m = re.exec(subject);
    if (m !== null && (!anchored || m.index === 0)) {
      const first = m[1];
      if (first !== undefined) return Value.made(first);
      return Value.number(int(Buffer.byteLength(m[0])));
    }
    return groups === 0 ? Value.number(ZERO) : Value.string('');
  }

  #call(name: string, args: Value[]): Value {
    if (!/^[A-Z_0-9]+$/.test(name)) {
      this.#warn(`Error! '${name}' is not possibly a function name!`);
      return Value.number(ZERO);
    }
    const math = MATH_FUNCTIONS[name];
    if (math !== undefined) {
      if (args.length !== math.arity) {
        this.#warn(`Wrong args to ${name}() function`);
        return Value.number(ZERO);
      }
      const nums = args.map((v) => (v.toNumber() ? v.num : ZERO));
      return Value.number(math.apply(nums));
    }
    const composed = args.map((v) => (v.kind === 'number' ? formatNum(v.num) : v.str)).join(',');
    const result = this.#options.callFunction?.(name, composed);
    if (result === undefined) {
      this.#warn(`Error! '${name}' doesn't appear to be an available function!`);
      return Value.number(ZERO);
    }
    // A result made only of digits, signs, dots and blanks becomes a number (strtod of its start).
    if (/^[-0-9. \t]*$/.test(result)) return Value.number(parseDecimal(result));
    return Value.made(result);
  }
}

function compareValues(op: '=' | '!=' | '<' | '>' | '<=' | '>=', a: Value, b: Value): Value {
  let c: number;
  if (a.isString() || b.isString()) {
    a.toStr();
    b.toStr();
    c = a.str < b.str ? -1 : a.str > b.str ? 1 : 0;
  } else {
    a.toNumber();
    b.toNumber();
    c = compare(a.num, b.num);
  }
  let r: boolean;
  switch (op) {
    case '=': r = c === 0; break;
    case '!=': r = c !== 0; break;
    case '<': r = c < 0; break;
    case '>': r = c > 0; break;
    case '<=': r = c <= 0; break;
    case '>=': r = c >= 0; break;
  }
  return Value.number(r ? int(1) : ZERO);
}

/** `!x`: 1 for zero, empty, "0" and text that `atoi` reads as 0 (so `!abc` is 1). */
function complement(a: Value): Value {
  let truth: boolean;
  if (a.kind === 'number') {
    truth = !isZero(a.num);
  } else if (a.str === '' || a.str === '0') {
    truth = false;
  } else {
    truth = (scanInt(a.str, 0)?.value ?? 0) !== 0;
  }
  return Value.number(truth ? ZERO : int(1));
}

function concat(a: Value, b: Value): Value {
  a.toStr();
  b.toStr();
  return Value.made(a.unquoted() + b.unquoted());
}


// ---------------------------------------------------------------------------------------------------------
// Math functions available inside expressions

interface MathFunction {
  readonly arity: number;
  apply(args: readonly Num[]): Num;
}

function unaryDouble(f: (x: number) => number): MathFunction {
  return { arity: 1, apply: (args) => fromDouble(f(toDouble(args[0]!))) };
}

function unaryExact(f: (x: Exact) => Num, fallback: (x: number) => number): MathFunction {
  return {
    arity: 1,
    apply: (args) => {
      const x = args[0]!;
      return x.exact ? f(x) : fromDouble(fallback(x.v));
    },
  };
}

/** Round half to even (`rint` in the default rounding mode). */
function rintExact(x: Exact): Num {
  const f = floorExact(x);
  const frac = sub(x, int(f));
  const c = compare(frac, exact(1n, 2n));
  const r = c < 0 ? f : c > 0 ? f + 1n : f % 2n === 0n ? f : f + 1n;
  return exact(r, 1n, r === 0n && signBit(x));
}

function roundExact(x: Exact): Num {
  const negative = signBit(x);
  const a = negative ? neg(x) as Exact : x;
  const r = floorExact(add(a, exact(1n, 2n)) as Exact);
  return exact(negative ? -r : r, 1n, r === 0n && negative);
}

function powNum(a: Num, b: Num): Num {
  if (a.exact && b.exact && b.q === 1n && b.p >= -64n && b.p <= 64n && !(a.p === 0n && b.p < 0n)) {
    const e = b.p < 0n ? -b.p : b.p;
    const p = a.p ** e;
    const q = a.q ** e;
    return b.p < 0n ? exact(q, p) : exact(p, q, a.p === 0n && signBit(a) && e % 2n === 1n);
  }
  return fromDouble(Math.pow(toDouble(a), toDouble(b)));
}

function remainderNum(a: Num, b: Num): Num {
  if (isZero(b)) return { exact: false, v: Number.NaN };
  if (!a.exact || !b.exact) {
    const x = toDouble(a);
    const y = toDouble(b);
    const n = x / y;
    let r = Math.round(n);
    if (Math.abs(n - Math.trunc(n)) === 0.5) r = 2 * Math.round(n / 2);
    return fromDouble(x - r * y);
  }
  const quotient = div(a, b) as Exact;
  const nearest = rintExact(quotient) as Exact;
  const r = sub(a, mul(nearest, b));
  return isZero(r) ? exact(0n, 1n, signBit(a)) : r;
}

const MATH_FUNCTIONS: Readonly<Record<string, MathFunction>> = {
  COS: unaryDouble(Math.cos),
  SIN: unaryDouble(Math.sin),
  TAN: unaryDouble(Math.tan),
  ACOS: unaryDouble(Math.acos),
  ASIN: unaryDouble(Math.asin),
  ATAN: unaryDouble(Math.atan),
  ATAN2: { arity: 2, apply: (args) => fromDouble(Math.atan2(toDouble(args[0]!), toDouble(args[1]!))) },
  POW: { arity: 2, apply: (args) => powNum(args[0]!, args[1]!) },
  SQRT: unaryDouble(Math.sqrt),
  FLOOR: unaryExact((x) => exact(floorExact(x), 1n, x.p === 0n && x.negZero), Math.floor),
  CEIL: unaryExact((x) => {
    const c = -floorExact(exact(-x.p, x.q));
    return exact(c, 1n, c === 0n && signBit(x));
  }, Math.ceil),
  ROUND: unaryExact(roundExact, (v) => Math.sign(v) * Math.round(Math.abs(v))),
  RINT: unaryExact(rintExact, (v) => v - Math.round(v) === -0.5 ? 2 * Math.round(v / 2) : Math.round(v)),
  TRUNC: unaryExact((x) => {
    const t = x.p / x.q;
    return exact(t, 1n, t === 0n && signBit(x));
  }, Math.trunc),
  EXP: unaryDouble(Math.exp),
  EXP2: unaryDouble((x) => Math.pow(2, x)),
  EXP10: unaryDouble((x) => Math.pow(10, x)),
  LOG: unaryDouble(Math.log),
  LOG2: unaryDouble(Math.log2),
  LOG10: unaryDouble(Math.log10),
  REMAINDER: { arity: 2, apply: (args) => remainderNum(args[0]!, args[1]!) },
  ABS: unaryExact((x) => (x.p < 0n ? exact(-x.p, x.q) : exact(x.p, x.q, x.negZero)), Math.abs),
};
