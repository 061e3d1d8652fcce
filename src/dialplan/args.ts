/**
 * Argument splitting for dialplan applications and functions, as Asterisk does it.
 *
 * Every application receives one data string (`Dial(PJSIP/100,30,tT)`) after variable substitution and
 * cuts it into arguments itself. Asterisk's rule (`ast_app_separate_args`) is character by character:
 * a separator splits only outside parentheses, square brackets and double quotes; double quotes are
 * removed; a backslash is removed and the character after it is taken literally; spaces are kept. A
 * trailing separator yields one more, empty, argument, and an empty string yields none. With a limit, the
 * last argument receives the unprocessed rest of the string. Functions such as `IF(expr?a:b)` and
 * `DB(family/key)` use the same rule with other separators.
 *
 * Option strings (`Dial(...,tTL(60000:30000))`) follow `ast_app_parse_options`: one letter per option,
 * an optional `(argument)` after it, parentheses counted, and a backslash outside quotes escaping the next
 * character. Pure functions; the caller decides what a problem costs.
 */

import { ParseError } from '../shared/errors.ts';

export interface SplitOptions {
  /**
   * The largest number of arguments to produce; the last one then receives the unprocessed rest of the
   * string (quotes and backslashes left in place), as Asterisk's fixed argument arrays do. Default: no limit.
   */
  readonly limit?: number;
  /** Keep quotes and backslashes instead of removing them (Asterisk's "raw" argument parsing). */
  readonly raw?: boolean;
}

/**
 * Splits application or function data into arguments.
 *
 * @example
 * splitAppArgs('PJSIP/100&PJSIP/101,30,tT') // ['PJSIP/100&PJSIP/101', '30', 'tT']
 * splitAppArgs('"a,b",c')                  // ['a,b', 'c']
 * splitAppArgs('x?1:2', '?')               // ['x', '1:2']
 * splitAppArgs('fam/a/b', '/', { limit: 2 }) // ['fam', 'a/b']
 */
export function splitAppArgs(data: string, sep = ',', options: SplitOptions = {}): string[] {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const remove = options.raw !== true;
  const result: string[] = [];
  if (limit < 1 || data === '') return result;

  const n = data.length;
  let paren = 0;
  let bracket = 0;
  let quote = false;
  let i = 0;
  /** Index just after the last separator that ended an argument, or -1. */
  let afterDelim = -1;

  while (i < n && result.length < limit - 1) {
    let arg = '';
    let split = false;
    while (i < n) {
      const c = data[i]!;
      if (c === '(') {
        paren++;
      } else if (c === ')') {
        if (paren > 0) paren--;
      } else if (c === '[') {
        bracket++;
      } else if (c === ']') {
        if (bracket > 0) bracket--;
      } else if (c === '"' && sep !== '"') {
        quote = !quote;
        if (remove) {
          i++;
          continue;
        }
      } else if (c === '\\') {
        if (remove) {
          // The backslash goes; the next character is copied without being interpreted.
          if (i + 1 < n) arg += data[i + 1]!;
          i += 2;
          continue;
        }
        arg += c;
        if (i + 1 < n) arg += data[i + 1]!;
        i += 2;
        continue;
      } else if (c === sep && paren === 0 && !quote && bracket === 0) {
        i++;
        afterDelim = i;
        split = true;
        break;
      }
      arg += c;
      i++;
    }
    result.push(arg);
    if (!split) break;
  }

  // The rest: either the unprocessed remainder once the limit is reached, or the empty argument after a
  // trailing separator.
  if (i < n || (i > 0 && i === afterDelim)) result.push(data.slice(i));
  return result;
}

/** How one option letter behaves. */
export interface AppOptionSpec {
  /** The option takes an argument in parentheses (`L(60000)`). */
  readonly arg?: boolean;
}

/** The options an application knows, by letter. */
export type AppOptionsSpec = Readonly<Record<string, AppOptionSpec>>;

/**
 * Parses an option string such as `gtTL(60000:30000)r`. The result maps each letter given to `true`, or,
 * for letters whose spec takes an argument, to the argument (`''` when the parentheses were left out).
 * A later occurrence of a letter replaces an earlier one. Unknown letters are reported through `warn` and
 * ignored, as Asterisk does. Throws `ParseError` when an argument's closing parenthesis is missing (the
 * application should then fail, as Asterisk's do).
 *
 * Inside the parentheses, parentheses nest; when the argument starts with a double quote, quotes are
 * removed and protect parentheses; a backslash outside quotes is removed and escapes the next character.
 */
export function parseAppOptions(
  text: string,
  spec: AppOptionsSpec,
  warn?: (message: string) => void,
): Map<string, string | true> {
  const options = new Map<string, string | true>();
  const n = text.length;
  let i = 0;
  while (i < n) {
    const letter = text[i]!;
    i++;
    const known = Object.hasOwn(spec, letter) ? spec[letter] : undefined;
    let argument: string | undefined;
    if (text[i] === '(') {
      const start = i;
      i++;
      const parseQuotes = text[i] === '"';
      let paren = 1;
      let quote = false;
      let arg = '';
      let closed = false;
      while (i < n) {
        const c = text[i]!;
        if (c === '(' && !quote) {
          paren++;
        } else if (c === ')' && !quote) {
          paren--;
          if (paren === 0) {
            closed = true;
            i++;
            break;
          }
        } else if (c === '"' && parseQuotes) {
          quote = !quote;
          i++;
          continue;
        } else if (c === '\\') {
          if (!quote || text[i + 1] === '"') {
            // Outside quotes, or an escaped quote inside them: drop the backslash, keep the next character.
            if (i + 1 < n) arg += text[i + 1]!;
            i += 2;
            continue;
          }
          // A backslash inside quotes stays, together with the character after it.
          arg += c;
          if (i + 1 < n) arg += text[i + 1]!;
          i += 2;
          continue;
        }
        arg += c;
        i++;
      }
      if (!closed) {
        throw new ParseError(`Missing closing parenthesis for argument '${letter}' in string '${text.slice(start + 1)}'`, start);
      }
      argument = arg;
    }
    if (known === undefined) {
      warn?.(`Unrecognized option: '${letter}'`);
      continue;
    }
    options.set(letter, known.arg === true ? (argument ?? '') : true);
  }
  return options;
}
