/**
 * POSIX extended regular expressions (what Asterisk compiles with `regcomp(REG_EXTENDED)`: dialplan `:`/`=~`,
 * REGEX(), application filters) translated to JavaScript RegExps. Shared by the dialplan and Stasis.
 */

/**
 * Compiles a POSIX extended regular expression (what Asterisk's `regcomp(REG_EXTENDED)` takes) into a
 * JavaScript one: bracket classes such as `[[:digit:]]`, a backslash inside brackets as a literal, `\<`
 * and `\>` as word boundaries, other escapes of non-alphanumerics as literals, and `.` matching newlines.
 * Returns the regex and its number of capture groups; throws an `Error` for an invalid pattern.
 * (JavaScript picks the first alternative that matches where POSIX picks the longest.)
 */
export function compilePosixRegex(pattern: string): { regex: RegExp; groups: number } {
  const { source, groups } = translatePosixRegex(pattern);
  return { regex: new RegExp(source, 's'), groups };
}

function translatePosixRegex(pattern: string): { source: string; groups: number } {
  const classes: Readonly<Record<string, string>> = {
    alpha: 'A-Za-z', digit: '0-9', alnum: '0-9A-Za-z', upper: 'A-Z', lower: 'a-z', space: ' \\t\\n\\r\\f\\v',
    blank: ' \\t', punct: '!-\\/:-@\\[-`{-~', print: ' -~', graph: '!-~', cntrl: '\\x00-\\x1f\\x7f', xdigit: '0-9A-Fa-f',
  };
  let out = '';
  let groups = 0;
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const c = pattern[i]!;
    if (c === '\\') {
      const d = pattern[i + 1];
      if (d === undefined) throw new Error('Trailing backslash');
      if (d === '<' || d === '>') out += '\\b';
      else if (/[wWsSbB1-9]/.test(d)) out += '\\' + d;
      else if (/[A-Za-z0-9]/.test(d)) out += d;
      else out += '\\' + d;
      i += 2;
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] !== '?') groups++;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let body = '';
      if (pattern[j] === '^') {
        body += '^';
        j++;
      }
      if (pattern[j] === ']') {
        body += '\\]';
        j++;
      }
      let closed = false;
      while (j < n) {
        const d = pattern[j]!;
        if (d === ']') {
          closed = true;
          j++;
          break;
        }
        if (d === '[' && (pattern[j + 1] === ':' || pattern[j + 1] === '.' || pattern[j + 1] === '=')) {
          const kind = pattern[j + 1]!;
          const end = pattern.indexOf(kind + ']', j + 2);
          if (end < 0) throw new Error('Unmatched [ or [^');
          const name = pattern.slice(j + 2, end);
          if (kind === ':') {
            const cls = classes[name];
            if (cls === undefined) throw new Error('Invalid character class name');
            body += cls;
          } else {
            body += name.replace(/[\\\]\[^-]/g, '\\$&');
          }
          j = end + 2;
          continue;
        }
        body += d === '\\' || d === '[' ? '\\' + d : d;
        j++;
      }
      if (!closed) throw new Error('Unmatched [ or [^');
      out += `[${body}]`;
      i = j;
      continue;
    }
    out += c;
    i++;
  }
  return { source: out, groups };
}
