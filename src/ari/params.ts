/**
 * ARI request parameters: gathered from the path, the query string, a form body or a JSON body (JSON fields
 * override the query, as in Asterisk), then checked against the operation's spec.
 *
 * Stricter than Asterisk on purpose: a value that is not a valid integer, boolean or allowed enum value is a
 * 400 naming the parameter (Asterisk silently reads `abc` as 0), and an undeclared parameter is a 400 too, so a
 * misspelt option never goes unnoticed. `allowMultiple` parameters take comma lists, repeated keys or arrays.
 * A parameter of paramType `body` (`variables`, `fields`, `filter`) receives the whole JSON body, as in Asterisk,
 * whose handlers then read `body.variables`, `body.fields` or `body.allowed`.
 */

import type { OperationSpec, ParamSpec } from './operation.ts';

/** The parameters every ARI request may carry besides the declared ones. */
const ALWAYS_ALLOWED = new Set(['api_key']);

export type ParamValue = string | number | boolean | readonly string[] | readonly number[] | Record<string, unknown> | unknown[];

export class ParamError extends Error {
  readonly status: 400;
  readonly param: string | undefined;
  readonly kind: 'missing' | 'invalid' | 'unknown' | 'body';
  constructor(kind: 'missing' | 'invalid' | 'unknown' | 'body', message: string, param?: string) {
    super(message);
    this.status = 400;
    this.kind = kind;
    this.param = param;
  }
}

/** Validated parameters with typed getters; absent optional parameters without default are undefined. */
export class Params {
  readonly #values: ReadonlyMap<string, ParamValue>;
  constructor(values: ReadonlyMap<string, ParamValue>) {
    this.#values = values;
  }
  has(name: string): boolean {
    return this.#values.has(name);
  }
  string(name: string): string | undefined {
    const v = this.#values.get(name);
    return v === undefined ? undefined : typeof v === 'string' ? v : String(v);
  }
  int(name: string): number | undefined {
    const v = this.#values.get(name);
    return typeof v === 'number' ? v : undefined;
  }
  bool(name: string): boolean | undefined {
    const v = this.#values.get(name);
    return typeof v === 'boolean' ? v : undefined;
  }
  list(name: string): readonly string[] {
    const v = this.#values.get(name);
    if (v === undefined) return [];
    if (Array.isArray(v)) return v.map(String);
    return [String(v)];
  }
  object(name: string): Record<string, unknown> | undefined {
    const v = this.#values.get(name);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  }
  raw(name: string): ParamValue | undefined {
    return this.#values.get(name);
  }
}

/** Raw inputs, each a list of strings per key, plus an optional parsed JSON body. */
export interface ParamSources {
  readonly path: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Form-encoded body fields, when the body was `application/x-www-form-urlencoded`. */
  readonly form?: URLSearchParams;
  /** Parsed JSON body, when it was an object. */
  readonly json?: Record<string, unknown>;
}

const BOOL_TRUE = new Set(['yes', 'true', 'y', 't', '1', 'on']);
const BOOL_FALSE = new Set(['no', 'false', 'n', 'f', '0', 'off']);

/** Messages an operation may use instead of the generic ones (Asterisk words some of them its own way). */
export interface ParamMessages {
  readonly missing?: Readonly<Record<string, string>>;
  readonly invalid?: Readonly<Record<string, string>>;
}

export function parseParams(op: OperationSpec, src: ParamSources, messages?: ParamMessages): Params {
  const declared = new Set(op.params.map((p) => p.name));
  for (const key of src.query.keys()) {
    if (!declared.has(key) && !ALWAYS_ALLOWED.has(key)) throw new ParamError('unknown', `Unknown parameter ${key}`, key);
  }
  if (src.form) {
    for (const key of src.form.keys()) {
      if (!declared.has(key) && !ALWAYS_ALLOWED.has(key)) throw new ParamError('unknown', `Unknown parameter ${key}`, key);
    }
  }
  // An operation with a body parameter receives the whole JSON body there (`{"variables": {...}}`,
  // `{"allowed": [...]}`), so its keys are not checked against the declared names.
  if (src.json && !op.params.some((p) => p.paramType === 'body')) {
    for (const key of Object.keys(src.json)) {
      if (!declared.has(key) && !ALWAYS_ALLOWED.has(key)) throw new ParamError('unknown', `Unknown parameter ${key}`, key);
    }
  }
  const values = new Map<string, ParamValue>();
  for (const p of op.params) {
    const raw = gather(p, src);
    if (raw === undefined) {
      if (p.required) throw new ParamError('missing', messages?.missing?.[p.name] ?? `Missing parameter ${p.name}`, p.name);
      if (p.defaultValue !== undefined) values.set(p.name, p.defaultValue);
      continue;
    }
    values.set(p.name, convert(p, raw, messages));
  }
  return new Params(values);
}

/** The raw value for one parameter, or undefined when absent. JSON wins over form, form over query. */
function gather(p: ParamSpec, src: ParamSources): unknown {
  if (p.paramType === 'path') return src.path[p.name];
  if (p.paramType === 'body') return src.json;
  if (src.json && Object.hasOwn(src.json, p.name)) return src.json[p.name];
  const from = src.form?.has(p.name) ? src.form : src.query.has(p.name) ? src.query : undefined;
  if (!from) return undefined;
  const all = from.getAll(p.name);
  return all.length === 1 ? all[0] : all;
}

function invalid(p: ParamSpec, detail: string, messages?: ParamMessages): ParamError {
  return new ParamError('invalid', messages?.invalid?.[p.name] ?? `Invalid value for parameter ${p.name}: ${detail}`, p.name);
}

function convert(p: ParamSpec, raw: unknown, messages?: ParamMessages): ParamValue {
  if (p.dataType === 'containers' || p.dataType === 'object') {
    if (raw === null || typeof raw !== 'object') throw invalid(p, 'expected a JSON object', messages);
    return raw as Record<string, unknown>;
  }
  if (p.allowMultiple) {
    const items = Array.isArray(raw) ? raw.flatMap((x) => splitList(x)) : splitList(raw);
    const out = items.map((item) => scalar(p, item, messages));
    return out as string[] | number[];
  }
  if (Array.isArray(raw)) {
    // A repeated key for a single-valued parameter: the last one wins, as with most HTTP servers.
    raw = raw[raw.length - 1];
  }
  return scalar(p, raw, messages);
}

function splitList(x: unknown): unknown[] {
  if (typeof x === 'string') return x.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return [x];
}

function scalar(p: ParamSpec, raw: unknown, messages?: ParamMessages): string | number | boolean {
  switch (p.dataType) {
    case 'int':
    case 'long': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw)) n = Number(raw);
      else throw invalid(p, 'expected an integer', messages);
      if (!Number.isSafeInteger(n)) throw invalid(p, 'expected an integer', messages);
      const range = p.allowableValues;
      if (range?.valueType === 'RANGE') {
        if (range.min !== undefined && n < range.min) throw invalid(p, `must be at least ${range.min}`, messages);
        if (range.max !== undefined && n > range.max) throw invalid(p, `must be at most ${range.max}`, messages);
      }
      return n;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (BOOL_TRUE.has(s)) return true;
      if (BOOL_FALSE.has(s)) return false;
      throw invalid(p, 'expected true or false', messages);
    }
    default: {
      if (raw !== null && typeof raw === 'object') throw invalid(p, 'expected a string', messages);
      const s = String(raw);
      const list = p.allowableValues;
      if (list?.valueType === 'LIST' && !list.values.includes(s)) {
        throw invalid(p, `expected one of ${list.values.join(', ')}`, messages);
      }
      return s;
    }
  }
}
