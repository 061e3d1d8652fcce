/**
 * Small helpers the dialplan function families share: Asterisk's blank trimming, its backslash-encoded
 * delimiter characters (`\n`, `\t`, `\x2C`, `\054`), C's `strsep` field splitting, and reading the value
 * of a variable named in an argument (CUT, FIELDQTY and REPLACE take a variable *name*).
 */

import { substitute, type SubstitutionScope } from '../substitute.ts';

/** Removes leading characters below 33 (space and controls), as `ast_skip_blanks`. */
export function skipBlanks(text: string): string {
  let i = 0;
  while (i < text.length && text.charCodeAt(i) < 33) i++;
  return text.slice(i);
}

/** Removes trailing characters below 33, as `ast_trim_blanks`. */
export function trimBlanks(text: string): string {
  let j = text.length;
  while (j > 0 && text.charCodeAt(j - 1) < 33) j--;
  return text.slice(0, j);
}

/** Both, as `ast_strip`. */
export function stripBlanks(text: string): string {
  return trimBlanks(skipBlanks(text));
}

/** Removes one pair of surrounding double quotes after stripping blanks, as `ast_strip_quoted`. */
export function stripQuoted(text: string): string {
  const s = stripBlanks(text);
  if (s.length > 0 && s[0] === '"' && s[s.length - 1] === '"') return s.length === 1 ? '' : s.slice(1, -1);
  return s;
}

/**
 * Decodes one possibly backslash-encoded character at the start of `text` (`ast_get_encoded_char`):
 * `\n \r \t`, `\xH[H]`, `\0ooo` octal, `\c` for any other `c`, or a plain character. Returns the character
 * (`''` for a NUL) and how many characters were used, or `undefined` for empty text or a bad `\x`.
 */
export function decodeChar(text: string): { char: string; consumed: number } | undefined {
  if (text === '') return undefined;
  if (text[0] !== '\\') return { char: text[0]!, consumed: 1 };
  const c = text[1];
  switch (c) {
    case undefined:
      return { char: '', consumed: 2 };
    case 'n':
      return { char: '\n', consumed: 2 };
    case 'r':
      return { char: '\r', consumed: 2 };
    case 't':
      return { char: '\t', consumed: 2 };
    case 'x': {
      const hex = /^[0-9A-Fa-f]{1,2}/.exec(text.slice(2));
      if (hex === null) return undefined;
      return { char: codeToChar(Number.parseInt(hex[0], 16)), consumed: 2 + hex[0].length };
    }
    case '0': {
      const oct = /^[0-7]*/.exec(text.slice(2))?.[0] ?? '';
      return { char: codeToChar(oct === '' ? 0 : Number.parseInt(oct, 8) & 0xff), consumed: 2 + oct.length };
    }
    default:
      return { char: c, consumed: 2 };
  }
}

function codeToChar(code: number): string {
  return code === 0 ? '' : String.fromCharCode(code);
}

/** Decodes a whole string of possibly encoded characters (`ast_get_encoded_str`); stops at a bad one. */
export function decodeString(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const d = decodeChar(rest);
    if (d === undefined) return out;
    out += d.char;
    rest = rest.slice(d.consumed);
  }
}

/**
 * C's `strsep` applied until the end: splits on every occurrence of the one-character `delim`; an empty
 * `delim` gives the whole text as one field.
 */
export function strsepAll(text: string, delim: string): string[] {
  return delim === '' ? [text] : text.split(delim);
}

/** `${name}` substituted in the scope: the value of the variable (or function call) an argument names. */
export function valueOf(scope: SubstitutionScope, name: string): string {
  return substitute('${' + name + '}', scope);
}

/** Sends a warning to the scope. */
export function warn(scope: SubstitutionScope, message: string): void {
  scope.warn?.(message);
}
