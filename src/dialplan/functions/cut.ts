/**
 * CUT(varname,delimiter,fields) and SORT(key:value,...).
 *
 * CUT reads the variable named by its first argument, splits it on a one-character delimiter (`-` when
 * empty; backslash encodings such as `\t` allowed) and returns the fields asked for, joined with the
 * delimiter: `2`, ranges `1-3`, `2-` (to the end), `-2` (from the start), and lists joined with `&`
 * (`1&3-4`). Fields are taken in order: a range that starts before the current position does not go back.
 */

import type { SubstitutionScope } from '../substitute.ts';
import { splitAppArgs } from '../args.ts';
import { scanInt } from '../expr.ts';
import type { DialplanFunction } from './registry.ts';
import { decodeChar, valueOf, warn } from './helpers.ts';

const INT_MAX = 2147483647;

/** One `&`-separated part of a field spec, as Asterisk's sscanf patterns read it; undefined when invalid. */
function parseRange(spec: string): { start: number; stop: number } | undefined {
  const first = scanInt(spec, 0);
  if (first !== undefined && spec[first.end] === '-') {
    const second = scanInt(spec, first.end + 1);
    if (second !== undefined) return { start: first.value, stop: second.value };
  }
  if (spec[0] === '-') {
    const stop = scanInt(spec, 1);
    if (stop !== undefined) return { start: 1, stop: stop.value };
  }
  if (first !== undefined) {
    if (spec[first.end] === '-') return { start: first.value, stop: INT_MAX };
    return { start: first.value, stop: first.value };
  }
  return undefined;
}

function cutRead(scope: SubstitutionScope, args: string): string {
  const parts = splitAppArgs(args);
  if (parts.length < 3) {
    warn(scope, 'Syntax: CUT(<varname>,<char-delim>,<range-spec>) - missing argument!');
    return '';
  }
  const [varname = '', delimArg = '', fieldSpec = ''] = parts;
  const value = valueOf(scope, varname);
  const decoded = decodeChar(delimArg);
  const delim = decoded === undefined ? '-' : decoded.char;
  if (value === '') return '';

  // `pending` is what strsep has not consumed yet (undefined once the fields are exhausted).
  let pending: string | undefined = value;
  const next = (): string => {
    const s: string = pending!;
    const at = delim === '' ? -1 : s.indexOf(delim);
    if (at < 0) {
      pending = undefined;
      return s;
    }
    pending = s.slice(at + delim.length);
    return s.slice(0, at);
  };
  let fieldNum = 1;
  const out: string[] = [];
  for (const spec of fieldSpec.split('&')) {
    if (pending === undefined) break;
    const range = parseRange(spec);
    if (range === undefined) {
      warn(scope, 'Usage: CUT(<varname>,<char-delim>,<range-spec>)');
      return '';
    }
    while (pending !== undefined && fieldNum < range.start) {
      next();
      fieldNum++;
    }
    if (fieldNum > range.start) warn(scope, "We're already past the field you wanted?");
    while (pending !== undefined && fieldNum <= range.stop) {
      out.push(next());
      fieldNum++;
    }
  }
  return out.join(delim);
}

function sortRead(_scope: SubstitutionScope, args: string): string {
  const entries: { key: string; value: number }[] = [];
  for (const item of args.split(',')) {
    const colon = item.indexOf(':');
    if (colon < 0) continue;
    const m = /^[ \t\n\v\f\r]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(item.slice(colon + 1));
    entries.push({ key: item.slice(0, colon), value: m === null ? 0 : Math.fround(Number(m[0])) });
  }
  entries.sort((a, b) => a.value - b.value);
  return entries.map((e) => e.key).join(',');
}

export const cutFunctions: readonly DialplanFunction[] = [
  {
    name: 'CUT',
    synopsis: 'Selected fields of a delimited variable',
    syntax: 'CUT(varname,char-delim,range-spec)',
    read: cutRead,
  },
  {
    name: 'SORT',
    synopsis: 'Keys of key:value pairs, ordered by their numeric values',
    syntax: 'SORT(key1:val1[,key2:val2[,...]])',
    read: sortRead,
  },
];
