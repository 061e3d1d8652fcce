/**
 * The generic parser for Asterisk's `.conf` dialect.
 *
 * Every Asterisk configuration file shares one syntax, read by Asterisk's `main/config.c`, and every
 * typed loader in this folder (asterisk.conf, http.conf, ari.conf, logger.conf, later pjsip.conf and
 * extensions.conf) starts from the `ConfDocument` this module builds. The parser knows nothing about
 * options: it only turns text into sections of ordered `key = value` entries, each tagged with the file
 * and line it came from, and reports what it could not understand as diagnostics instead of throwing.
 *
 * The dialect, as Asterisk reads it:
 * - `[name]` opens a section. `[name](!)` makes it a template, `[name](a,b)` copies the entries of the
 *   sections or templates `a` then `b` before the section's own, `[name](!,a)` combines both, and
 *   `[name](+)` appends to the earlier section of that name. Section names compare case-insensitively.
 * - `key = value` and `key => value` (the operator is recorded); `key += more` appends to the value of
 *   the previous `key` in the same section. A line starting with `\` escapes its first character, so
 *   `\[x] = y` is an entry, not a header. Repeated keys are kept, in order.
 * - `;` starts a comment, `\;` is a literal semicolon. `;--` opens a block comment that may span lines
 *   and nest, `--;` closes it (`;---` is an ordinary comment).
 * - `#include file` and `#tryinclude file` (bare, `"quoted"` or `<bracketed>`; glob patterns allowed)
 *   read files relative to the configuration directory. The included text continues the section that
 *   was open at the `#include`. A missing `#include` is an error, a missing `#tryinclude` is not.
 *   `#exec` is not supported (it would run a program) and only warns.
 *
 * Where Asterisk would reject a whole file (a header without `]`, an entry outside any section) we keep
 * what can be kept and report an error diagnostic, so one typo never silently discards a configuration.
 *
 * The parser is pure: files come through an injected `ConfHost` (`readFile`, `glob`). `parseConfFile`
 * binds it to the real file system; `memoryConfHost` serves in-memory files to tests.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic } from './types.ts';

/** One `key = value` (or `key => value`) line. */
export interface ConfEntry {
  /** The option name, trimmed, with its case as written (Asterisk compares names case-insensitively). */
  readonly key: string;
  /** The value, trimmed; `\;` already turned into `;`. */
  readonly value: string;
  readonly op: '=' | '=>';
  /** Absolute path of the file the entry was written in (for inherited entries: the template's file). */
  readonly file: string;
  readonly line: number;
  /** True when the entry was copied from a template or base section named in the header. */
  readonly inherited: boolean;
}

/** One `[section]` with its entries in order: inherited ones first, then its own. */
export interface ConfSection {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  /** `[name](!)`: a template, only used as a base for other sections; loaders skip it. */
  readonly isTemplate: boolean;
  /** The bases named in the header, in order (templates or ordinary sections). */
  readonly templates: readonly string[];
  readonly entries: readonly ConfEntry[];
}

/** A parsed configuration file, with everything it included. Deep-frozen. */
export interface ConfDocument {
  /** Absolute path of the top-level file. */
  readonly file: string;
  /** False when the top-level file does not exist (then `sections` is empty). */
  readonly found: boolean;
  /** Every file that was read, top-level first, in the order they were read. */
  readonly files: readonly string[];
  readonly sections: readonly ConfSection[];
  readonly diagnostics: readonly Diagnostic[];
}

/** How the parser reaches files. All paths it passes are absolute. */
export interface ConfHost {
  /** The text of a regular file, or `undefined` when there is none at `path`. */
  readFile(path: string): string | undefined;
  /** The files matching a glob pattern (`*`, `?`, `[...]`), sorted; `[]` when none match. */
  glob(pattern: string): readonly string[];
}

export interface ParseConfOptions {
  /** The directory relative `#include` paths resolve against (Asterisk's astetcdir). Default: the file's directory. */
  readonly configDir?: string;
  /** How deep `#include`s may nest; Asterisk allows 10. */
  readonly maxIncludeDepth?: number;
}

const DEFAULT_MAX_INCLUDE_DEPTH = 10;
const GLOB_MAGIC = /[*?[]/;

// --- the parse itself ------------------------------------------------------------------------------------

interface MutableEntry {
  key: string;
  value: string;
  op: '=' | '=>';
  file: string;
  line: number;
  inherited: boolean;
}

interface MutableSection {
  name: string;
  file: string;
  line: number;
  isTemplate: boolean;
  templates: string[];
  entries: MutableEntry[];
}

/** State shared by the top-level file and everything it includes. */
interface ParseState {
  readonly host: ConfHost;
  readonly configDir: string;
  readonly maxDepth: number;
  readonly sections: MutableSection[];
  readonly diagnostics: Diagnostic[];
  readonly files: string[];
  /** The files being parsed right now, outermost first: an include of one of them is a loop. */
  readonly stack: string[];
  /** The section most recently opened or added to; an included file starts in it (as in Asterisk). */
  current: MutableSection | undefined;
}

/** Per-file cursor: the section lines go to and whether a broken header is being skipped. */
interface FileCursor {
  readonly file: string;
  section: MutableSection | undefined;
  /** After a header we could not read, its entries are dropped silently (one diagnostic is enough). */
  skipping: boolean;
}

/**
 * Parses `file` and everything it includes.
 *
 * @example
 * const doc = parseConf('/etc/asterisk/ari.conf', memoryConfHost({ '/etc/asterisk/ari.conf': '[general]\nenabled=yes\n' }));
 * get(doc, 'general', 'enabled'); // 'yes'
 */
export function parseConf(file: string, host: ConfHost, options: ParseConfOptions = {}): ConfDocument {
  const top = path.posix.normalize(file);
  const state: ParseState = {
    host,
    configDir: options.configDir ?? path.posix.dirname(top),
    maxDepth: options.maxIncludeDepth ?? DEFAULT_MAX_INCLUDE_DEPTH,
    sections: [],
    diagnostics: [],
    files: [],
    stack: [],
    current: undefined,
  };
  const text = host.readFile(top);
  if (text !== undefined) {
    parseFile(state, top, text);
  }
  return freezeDocument({
    file: top,
    found: text !== undefined,
    files: state.files,
    sections: state.sections,
    diagnostics: state.diagnostics,
  });
}

/**
 * Parses text that is already in memory, as if it were the file `file`. Includes are read through
 * `host` (by default there are no other files, so every `#include` is reported missing).
 */
export function parseConfText(
  text: string,
  file: string,
  host: ConfHost = memoryConfHost({}),
  options: ParseConfOptions = {},
): ConfDocument {
  const top = path.posix.normalize(file);
  const overlay: ConfHost = {
    readFile: (p) => (path.posix.normalize(p) === top ? text : host.readFile(p)),
    glob: (pattern) => host.glob(pattern),
  };
  return parseConf(top, overlay, options);
}

/** Parses a file from disk; `file` may be relative to the working directory. */
export function parseConfFile(file: string, options: ParseConfOptions = {}): ConfDocument {
  const abs = path.resolve(file);
  const configDir = options.configDir === undefined ? undefined : path.resolve(options.configDir);
  return parseConf(abs, fsConfHost, {
    ...options,
    ...(configDir === undefined ? {} : { configDir }),
  });
}

function parseFile(state: ParseState, file: string, text: string): void {
  state.files.push(file);
  state.stack.push(file);
  const cursor: FileCursor = { file, section: state.current, skipping: false };
  const lines = text.split('\n');
  const comments: CommentState = { depth: 0, openedAt: [] };
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i] ?? '';
    if (i === 0 && raw.startsWith('\uFEFF')) {
      raw = raw.slice(1);
    }
    const content = stripComments(raw, i + 1, comments).trim();
    if (content !== '') {
      parseLine(state, cursor, content, i + 1);
    }
  }
  if (comments.depth > 0) {
    report(state, 'error', file, comments.openedAt[comments.depth - 1] ?? lines.length,
      'unterminated block comment (";--" without a closing "--;"); the rest of the file is ignored');
  }
  state.stack.pop();
}

interface CommentState {
  /** How many `;--` block comments are open. */
  depth: number;
  /** The line each open block comment started on. */
  openedAt: number[];
}

/**
 * Removes comments from one line and returns what is left to parse (untrimmed). Follows Asterisk's
 * scanner: every `;` is examined in turn; `\;` is a literal `;`; `;--` (not `;---`) opens a nested block
 * comment; `--;` closes one when it lies after the previous `;` that was handled; any other `;` outside
 * a block comment ends the line. Text on both sides of a one-line block comment is joined.
 */
function stripComments(line: string, lineNo: number, state: CommentState): string {
  let out = '';
  // The position right after the last `;` that was handled; `--;` only closes if both dashes follow it.
  let scanFrom = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch !== ';') {
      if (state.depth === 0) {
        out += ch;
      }
      continue;
    }
    if (i > 0 && line[i - 1] === '\\') {
      // Escaped semicolon: drop the backslash we already copied and keep the `;`.
      if (state.depth === 0) {
        out = out.slice(0, -1) + ';';
      }
      scanFrom = i + 1;
    } else if (line[i + 1] === '-' && line[i + 2] === '-' && line[i + 3] !== '-') {
      state.depth++;
      state.openedAt.push(lineNo);
      i += 2;
      scanFrom = i + 1;
    } else if (state.depth > 0 && i >= scanFrom + 2 && line[i - 1] === '-' && line[i - 2] === '-') {
      state.depth--;
      state.openedAt.pop();
      scanFrom = i + 1;
    } else if (state.depth === 0) {
      break; // an ordinary comment runs to the end of the line
    } else {
      scanFrom = i + 1;
    }
  }
  return out;
}

function parseLine(state: ParseState, cursor: FileCursor, text: string, line: number): void {
  if (text.startsWith('[')) {
    parseHeader(state, cursor, text, line);
  } else if (text.startsWith('#')) {
    parseDirective(state, cursor, text, line);
  } else {
    parseEntry(state, cursor, text, line);
  }
}

function parseHeader(state: ParseState, cursor: FileCursor, text: string, line: number): void {
  const close = text.indexOf(']');
  if (close < 0) {
    report(state, 'error', cursor.file, line,
      `bad section header '${text}': no closing ']'; its entries are ignored`);
    cursor.section = undefined;
    cursor.skipping = true;
    return;
  }
  const name = text.slice(1, close);
  const rest = text.slice(close + 1).trim();
  let options: string[] = [];
  if (rest.startsWith('(')) {
    const end = rest.indexOf(')');
    if (end < 0) {
      report(state, 'error', cursor.file, line,
        `bad section header '${text}': no closing ')'; its entries are ignored`);
      cursor.section = undefined;
      cursor.skipping = true;
      return;
    }
    options = rest.slice(1, end).split(',').map((o) => o.trim());
    if (rest.slice(end + 1).trim() !== '') {
      report(state, 'warning', cursor.file, line, `text after section header '[${name}]' ignored: '${rest.slice(end + 1).trim()}'`);
    }
  } else if (rest !== '') {
    report(state, 'warning', cursor.file, line, `text after section header '[${name}]' ignored: '${rest}'`);
  }

  let section: MutableSection = {
    name,
    file: cursor.file,
    line,
    isTemplate: false,
    templates: [],
    entries: [],
  };
  let appended = false;
  for (const option of options) {
    if (option === '!') {
      section.isTemplate = true;
    } else if (option.startsWith('+')) {
      if (option.length > 1) {
        report(state, 'warning', cursor.file, line,
          `section addition filter '${option.slice(1)}' in '[${name}]' is not supported; appending to the first '[${name}]'`);
      }
      // Asterisk appends to the first ordinary (non-template) section of that name.
      const target = state.sections.find((s) => !s.isTemplate && sameName(s.name, name));
      if (target === undefined) {
        report(state, 'error', cursor.file, line,
          `section addition '[${name}](+)' but no earlier section '[${name}]' exists; starting a new one`);
        continue;
      }
      target.isTemplate ||= section.isTemplate;
      target.entries.push(...section.entries);
      section = target;
      appended = true;
    } else if (option === '') {
      report(state, 'warning', cursor.file, line, `empty name in the option list of section '[${name}]'`);
    } else {
      // Inheritance: copy the base's entries (it may be a template or an ordinary section), first match.
      const base = state.sections.find((s) => sameName(s.name, option));
      if (base === undefined) {
        report(state, 'error', cursor.file, line,
          `section '[${name}]' inherits from '${option}', which is not defined above it`);
        continue;
      }
      section.templates.push(base.name);
      for (const entry of base.entries) {
        section.entries.push({ ...entry, inherited: true });
      }
    }
  }
  if (!appended) {
    state.sections.push(section);
  }
  state.current = section;
  cursor.section = section;
  cursor.skipping = false;
}

function parseDirective(state: ParseState, cursor: FileCursor, text: string, line: number): void {
  const match = /^#(\S*)\s*(.*)$/s.exec(text);
  const directive = (match?.[1] ?? '').toLowerCase();
  let argument = (match?.[2] ?? '').trim();
  if (directive === 'exec') {
    report(state, 'warning', cursor.file, line, `#exec is not supported; '${text}' ignored`);
    return;
  }
  if (directive !== 'include' && directive !== 'tryinclude') {
    report(state, 'warning', cursor.file, line, `unknown directive '#${match?.[1] ?? ''}' ignored`);
    return;
  }
  if (argument === '') {
    report(state, 'warning', cursor.file, line, `#${directive} needs a file name`);
    return;
  }
  // Dequote "name" and <name>.
  const first = argument[0];
  const closing = first === '"' ? '"' : first === '<' ? '>' : undefined;
  if (closing !== undefined && argument.length > 1 && argument.endsWith(closing)) {
    argument = argument.slice(1, -1);
  }
  const pattern = path.posix.isAbsolute(argument)
    ? path.posix.normalize(argument)
    : path.posix.join(state.configDir, argument);
  const candidates = GLOB_MAGIC.test(argument) ? state.host.glob(pattern) : [pattern];

  let loaded = 0;
  for (const candidate of candidates) {
    const target = path.posix.normalize(candidate);
    if (state.stack.includes(target)) {
      const chain = [...state.stack.slice(state.stack.indexOf(target)), target].map((f) => path.posix.basename(f));
      report(state, 'error', cursor.file, line, `include loop: ${chain.join(' -> ')}; '#${directive} ${argument}' skipped`);
      loaded++; // the file exists; the loop is the problem, not a missing file
      continue;
    }
    if (state.stack.length > state.maxDepth) {
      report(state, 'error', cursor.file, line,
        `includes nested more than ${state.maxDepth} deep; '#${directive} ${argument}' skipped`);
      return;
    }
    const text = state.host.readFile(target);
    if (text === undefined) {
      continue;
    }
    loaded++;
    parseFile(state, target, text);
  }
  if (loaded === 0 && directive === 'include') {
    report(state, 'error', cursor.file, line, `#include '${argument}': no such file (looked for ${pattern})`);
  }
}

function parseEntry(state: ParseState, cursor: FileCursor, text: string, line: number): void {
  if (cursor.skipping) {
    return;
  }
  const section = cursor.section;
  if (section === undefined) {
    report(state, 'error', cursor.file, line, `'${text}' is outside any [section]; ignored`);
    return;
  }
  // A leading backslash escapes the first character of the key (so `\[x] = 1` is an entry).
  let body = text;
  let escaped = 0;
  if (body.startsWith('\\')) {
    const next = body.codePointAt(1) ?? 0;
    if (next < 33) {
      report(state, 'error', cursor.file, line, `invalid escape at the start of '${text}'; ignored`);
      return;
    }
    body = body.slice(1);
    escaped = 1;
  }
  const eq = body.indexOf('=', escaped);
  if (eq < 0) {
    report(state, 'error', cursor.file, line, `'${text}' has no '=' (expected 'name = value'); ignored`);
    return;
  }

  if (eq > escaped && body[eq - 1] === '+') {
    // `key += more`: append to the last value of the same key in this section.
    const key = body.slice(0, eq - 1).trim();
    const more = body.slice(eq + 1);
    const previous = section.entries.findLast((e) => e.key === key);
    if (previous !== undefined) {
      previous.value = (previous.value + more).trimEnd().trimStart();
      return;
    }
    addEntry(state, cursor, section, key, more.trim(), '=', line, text);
    return;
  }

  const key = body.slice(0, eq).trim();
  let value = body.slice(eq + 1);
  let op: '=' | '=>' = '=';
  if (value.startsWith('>')) {
    op = '=>';
    value = value.slice(1);
  }
  addEntry(state, cursor, section, key, value.trim(), op, line, text);
}

function addEntry(
  state: ParseState,
  cursor: FileCursor,
  section: MutableSection,
  key: string,
  value: string,
  op: '=' | '=>',
  line: number,
  text: string,
): void {
  if (key === '') {
    report(state, 'error', cursor.file, line, `'${text}' has no option name before '${op}'; ignored`);
    return;
  }
  section.entries.push({ key, value, op, file: cursor.file, line, inherited: false });
}

function report(state: ParseState, level: Diagnostic['level'], file: string, line: number, message: string): void {
  state.diagnostics.push({ level, file, line, message });
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function freezeDocument(doc: {
  file: string;
  found: boolean;
  files: string[];
  sections: MutableSection[];
  diagnostics: Diagnostic[];
}): ConfDocument {
  const sections = doc.sections.map((s) =>
    Object.freeze({
      name: s.name,
      file: s.file,
      line: s.line,
      isTemplate: s.isTemplate,
      templates: Object.freeze([...s.templates]),
      entries: Object.freeze(s.entries.map((e) => Object.freeze({ ...e }))),
    }),
  );
  return Object.freeze({
    file: doc.file,
    found: doc.found,
    files: Object.freeze([...doc.files]),
    sections: Object.freeze(sections),
    diagnostics: Object.freeze(doc.diagnostics.map((d) => Object.freeze({ ...d }))),
  });
}

// --- reading a document ----------------------------------------------------------------------------------

export interface SectionQuery {
  /** Include `(!)` templates; by default they are skipped, as Asterisk's lookups skip them. */
  readonly includeTemplates?: boolean;
}

/** The sections called `name` (case-insensitive), in file order, templates excluded unless asked for. */
export function sectionsNamed(doc: ConfDocument, name: string, query: SectionQuery = {}): readonly ConfSection[] {
  return doc.sections.filter((s) => sameName(s.name, name) && (query.includeTemplates === true || !s.isTemplate));
}

/** Every entry `key` (case-insensitive) in the non-template sections called `section`, in order. */
export function getAll(doc: ConfDocument, section: string, key: string): readonly ConfEntry[] {
  const wanted = key.toLowerCase();
  return sectionsNamed(doc, section).flatMap((s) => s.entries.filter((e) => e.key.toLowerCase() === wanted));
}

/** The value of `key` in `section`; when it is set more than once the last one wins (as in Asterisk). */
export function get(doc: ConfDocument, section: string, key: string): string | undefined {
  return getAll(doc, section, key).at(-1)?.value;
}

/** `file:line: level: message`, the way diagnostics are printed. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}: ${d.level}: ${d.message}`;
}

// --- hosts -----------------------------------------------------------------------------------------------

/** A `ConfHost` on the real file system. */
export const fsConfHost: ConfHost = Object.freeze({
  readFile(file: string): string | undefined {
    try {
      if (!fs.statSync(file).isFile()) {
        return undefined;
      }
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  },
  glob(pattern: string): readonly string[] {
    try {
      return fs.globSync(pattern).map((p) => path.resolve(p)).sort();
    } catch {
      return [];
    }
  },
});

/**
 * A `ConfHost` over in-memory files keyed by absolute path, for tests.
 *
 * @example
 * memoryConfHost({ '/etc/asterisk/a.conf': '#include b.conf\n', '/etc/asterisk/b.conf': '[x]\ny=1\n' })
 */
export function memoryConfHost(files: Readonly<Record<string, string>>): ConfHost {
  const table = new Map(Object.entries(files).map(([p, text]) => [path.posix.normalize(p), text]));
  return {
    readFile: (file) => table.get(path.posix.normalize(file)),
    glob: (pattern) => {
      const re = globToRegExp(path.posix.normalize(pattern));
      return [...table.keys()].filter((p) => re.test(p)).sort();
    },
  };
}

/** Translates a glob (`*`, `?`, `[...]`; none of them crossing `/`) into an anchored regular expression. */
function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] ?? '';
    if (ch === '*') {
      re += '[^/]*';
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
      } else {
        let set = glob.slice(i + 1, end);
        if (set.startsWith('!')) {
          set = '^' + set.slice(1);
        }
        re += '[' + set.replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else {
      re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(re + '$');
}
