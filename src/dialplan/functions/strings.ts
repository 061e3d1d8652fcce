/**
 * The string functions: LEN, TOUPPER, TOLOWER, TRIM, LTRIM, RTRIM, FIELDQTY, FIELDNUM, REPLACE,
 * STRREPLACE, REGEX, QUOTE, KEYPADHASH, EVAL and PASSTHRU.
 *
 * They follow Asterisk's byte-oriented C behaviour where it shows: LEN counts UTF-8 bytes, and
 * TOUPPER/TOLOWER change ASCII letters only. FIELDQTY, FIELDNUM, REPLACE and STRREPLACE take the *name*
 * of a variable and read its value themselves; their delimiters may be backslash-encoded (`\t`, `\x7C`).
 * REGEX takes `"pattern" string`, a POSIX extended regular expression matched anywhere in the string.
 */

import type { SubstitutionScope } from '../substitute.ts';
import { substitute } from '../substitute.ts';
import { splitAppArgs } from '../args.ts';
import { compilePosixRegex } from '../expr.ts';
import type { DialplanFunction } from './registry.ts';
import { decodeChar, decodeString, skipBlanks, strsepAll, trimBlanks, valueOf, warn } from './helpers.ts';

function asciiUpper(text: string): string {
  return text.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

function fieldQty(scope: SubstitutionScope, args: string): string {
  const [varname = '', delimArg] = splitAppArgs(args);
  if (delimArg === undefined) return '1';
  const delim = decodeChar(delimArg)?.char ?? '';
  const value = valueOf(scope, varname);
  return value === '' ? '0' : String(strsepAll(value, delim).length);
}

function fieldNum(scope: SubstitutionScope, args: string): string {
  const parts = splitAppArgs(args);
  if (parts.length < 3) {
    warn(scope, 'Usage: FIELDNUM(<listname>,<delimiter>,<fieldvalue>)');
    return '0';
  }
  const [varname = '', delimArg = '', wanted = ''] = parts;
  const value = valueOf(scope, varname);
  if (value === '' || delimArg === '') return '0';
  const delim = decodeChar(delimArg);
  if (delim === undefined) return '0';
  const index = strsepAll(value, delim.char).findIndex((f) => f.toLowerCase() === wanted.toLowerCase());
  return String(index + 1);
}

function replaceChars(scope: SubstitutionScope, args: string): string {
  const parts = splitAppArgs(args);
  if (parts.length < 2) {
    warn(scope, 'Usage: REPLACE(<varname>,<search-chars>[,<replace-char>])');
    return '';
  }
  const [varname = '', findArg = '', replaceArg = ''] = parts;
  const find = decodeString(findArg);
  const replacement = decodeChar(replaceArg)?.char ?? '';
  if (find === '' || varname === '') {
    warn(scope, 'The characters to search for and the variable name must not be empty.');
    return '';
  }
  let out = '';
  for (const c of valueOf(scope, varname)) out += find.includes(c) ? replacement : c;
  return out;
}

function strReplace(scope: SubstitutionScope, args: string): string {
  const parts = splitAppArgs(args);
  if (parts.length < 2) {
    warn(scope, 'Usage: STRREPLACE(<varname>,<find-string>[,<replace-string>,[<max-replacements>]])');
    return '';
  }
  const [varname = '', find = '', replacement, maxArg] = parts;
  if (varname === '') return '';
  if (find === '') {
    warn(scope, 'No <find-string> specified');
    return '';
  }
  const max = maxArg === undefined ? 0 : Number.parseInt(maxArg, 10) || 0;
  const value = valueOf(scope, varname);
  let out = '';
  let start = 0;
  for (let count = 0; max <= 0 || count < max; count++) {
    const at = value.indexOf(find, start);
    if (at < 0) break;
    out += value.slice(start, at) + (replacement ?? '');
    start = at + find.length;
  }
  return out + value.slice(start);
}

function regexRead(scope: SubstitutionScope, args: string): string {
  const parts = splitAppArgs(args, '"');
  if (parts.length !== 3) {
    warn(scope, `Unexpected arguments: should have been in the form '"<regex>" <string>'`);
    return '';
  }
  const pattern = parts[1] ?? '';
  let subject = parts[2] ?? '';
  if (subject[0] === ' ' || subject[0] === '\t') subject = subject.slice(1);
  try {
    return compilePosixRegex(pattern).regex.test(subject) ? '1' : '0';
  } catch (err) {
    warn(scope, `Malformed input REGEX(${args}): ${err instanceof Error ? err.message : String(err)}`);
    return '';
  }
}

function quote(scope: SubstitutionScope, args: string): string {
  if (args === '') {
    warn(scope, 'No argument specified!');
    return '""';
  }
  return `"${args.replace(/[\\"]/g, '\\$&')}"`;
}

const KEYPAD: Readonly<Record<string, string>> = (() => {
  const table: Record<string, string> = {};
  const groups = ['1', 'ABC2', 'DEF3', 'GHI4', 'JKL5', 'MNO6', 'PQRS7', 'TUV8', 'WXYZ9', '0'];
  for (const g of groups) {
    const digit = g[g.length - 1]!;
    for (const c of g) {
      table[c] = digit;
      table[c.toLowerCase()] = digit;
    }
  }
  return table;
})();

export const stringFunctions: readonly DialplanFunction[] = [
  {
    name: 'LEN',
    synopsis: 'The length of the argument in bytes',
    syntax: 'LEN(string)',
    read: (_scope, args) => String(Buffer.byteLength(args, 'utf8')),
  },
  {
    name: 'TOUPPER',
    synopsis: 'The argument with ASCII letters in upper case',
    syntax: 'TOUPPER(string)',
    read: (_scope, args) => asciiUpper(args),
  },
  {
    name: 'TOLOWER',
    synopsis: 'The argument with ASCII letters in lower case',
    syntax: 'TOLOWER(string)',
    read: (_scope, args) => asciiLower(args),
  },
  {
    name: 'TRIM',
    synopsis: 'The argument without leading and trailing blanks',
    syntax: 'TRIM(string)',
    read: (_scope, args) => trimBlanks(skipBlanks(args)),
  },
  {
    name: 'LTRIM',
    synopsis: 'The argument without leading blanks',
    syntax: 'LTRIM(string)',
    read: (_scope, args) => skipBlanks(args),
  },
  {
    name: 'RTRIM',
    synopsis: 'The argument without trailing blanks',
    syntax: 'RTRIM(string)',
    read: (_scope, args) => trimBlanks(args),
  },
  {
    name: 'FIELDQTY',
    synopsis: 'How many fields a delimited variable holds',
    syntax: 'FIELDQTY(varname,delim)',
    read: fieldQty,
  },
  {
    name: 'FIELDNUM',
    synopsis: 'The position of a value in a delimited variable, 0 when absent',
    syntax: 'FIELDNUM(varname,delim,value)',
    read: fieldNum,
  },
  {
    name: 'REPLACE',
    synopsis: 'A variable with each of some characters replaced by one character (or removed)',
    syntax: 'REPLACE(varname,find-chars[,replace-char])',
    read: replaceChars,
  },
  {
    name: 'STRREPLACE',
    synopsis: 'A variable with occurrences of a string replaced',
    syntax: 'STRREPLACE(varname,find-string[,replace-string[,max-replacements]])',
    read: strReplace,
  },
  {
    name: 'REGEX',
    synopsis: '1 when a string matches a regular expression, else 0',
    syntax: 'REGEX("regex" string)',
    read: regexRead,
  },
  {
    name: 'QUOTE',
    synopsis: 'The argument in double quotes, with quotes and backslashes escaped',
    syntax: 'QUOTE(string)',
    read: quote,
  },
  {
    name: 'KEYPADHASH',
    synopsis: 'Letters turned into the digits of a telephone keypad',
    syntax: 'KEYPADHASH(string)',
    read: (_scope, args) => [...args].map((c) => KEYPAD[c] ?? '').join(''),
  },
  {
    name: 'EVAL',
    synopsis: 'The argument substituted once more',
    syntax: 'EVAL(variable)',
    read: (scope, args) => {
      if (args === '') {
        warn(scope, 'EVAL requires an argument: EVAL(<string>)');
        return '';
      }
      return substitute(args, scope);
    },
  },
  {
    name: 'PASSTHRU',
    synopsis: 'The argument unchanged',
    syntax: 'PASSTHRU([string])',
    read: (_scope, args) => args,
  },
];
