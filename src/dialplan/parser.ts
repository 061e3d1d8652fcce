/**
 * extensions.conf -> `Dialplan` (model.ts). Pure: it reads a `ConfDocument` from the generic .conf parser
 * (which already handled comments, `#include`, templates and file:line) and never touches a channel.
 *
 * What each section means, following Asterisk's pbx_config:
 * - `[general]`: static, writeprotect, autofallthrough, clearglobalvars, extenpatternmatchnew,
 *   userscontext (overrideswitch is not supported); anything else warns.
 * - `[globals]`: `NAME=value` pairs, kept in order, unexpanded.
 * - every other (non-template) section is a context; sections with the same name add to one context.
 *
 * Inside a context:
 * - `exten => name[/callerid],priority[(label)],App(args)`. The priority is a number, `n`/`next` (the
 *   previous line's priority in this context + 1 — Asterisk counts per context, not per extension, so a
 *   jump to another extension warns), `s`/`same` (the previous line's priority), an existing label of the
 *   same extension, or `hint`; any of them may carry `+offset`. `same => priority,App(args)` continues the
 *   previous line's extension.
 * - The application is `App(args)` (args run from the first `(` to the last `)`), `App` alone, or the old
 *   `App,args`. A hint's value is `devices[,presence]`.
 * - `include => context[,timespec]`, `ignorepat => prefix`, `autohints = yes`; `switch =>` is not
 *   supported and warns.
 *
 * Where Asterisk would log and skip a line, we skip it and record a diagnostic with file:line: bad or
 * duplicate priorities (the first definition wins), `same` or `n` with nothing before them, duplicate
 * labels (the label is dropped), missing parentheses. `${NAME}` in extension names, hints, includes and
 * ignore patterns is replaced by the global variable's value as Asterisk does at load time.
 */

import * as path from 'node:path';
import { parseConfFile, parseConfText } from '../config/parser.ts';
import type { ConfDocument, ConfEntry, ConfHost, ConfSection } from '../config/parser.ts';
import { concreteSections, DiagnosticList, missingFile, readBoolean, warnUnknownOption } from '../config/options.ts';
import { DEFAULT_GENERAL, emptyDialplan, freezeDialplan } from './model.ts';
import type {
  Dialplan,
  DialplanContext,
  DialplanExtension,
  DialplanGeneral,
  DialplanInclude,
  DialplanPriority,
  SourceLocation,
} from './model.ts';
import { compilePattern, compareForMatchOrder } from './patterns.ts';
import { compileTimespec } from './lookup.ts';

/** Priority numbers are C ints in Asterisk. */
const MAX_PRIORITY = 2_147_483_647;
/** The `lastpri` value before any line of a context: `n` and `s` are not allowed yet. */
const NO_PREVIOUS = -2;
/** Asterisk stores a hint as priority -1. */
const HINT_PRIORITY = -1;

interface ExtensionBuilder {
  readonly name: string;
  readonly key: string;
  readonly cidMatch: string | undefined;
  readonly priorities: Map<number, DialplanPriority>;
  readonly labels: Map<string, number>;
  hint?: { device: string; presence: string | undefined; at: SourceLocation };
  readonly file: string;
  readonly line: number;
}

interface ContextBuilder {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly extensions: Map<string, ExtensionBuilder>;
  readonly includes: DialplanInclude[];
  /** Full include values (lower case), to refuse the same include twice as Asterisk does. */
  readonly includeValues: Set<string>;
  readonly ignorePatterns: string[];
  autohints: boolean;
}

/** Per-section cursor for `same` and `n`. */
interface Cursor {
  /** The previous `exten` line's extension field (name and caller id), after `${}` substitution. */
  lastExtension: string;
  lastPriority: number;
  /** Identity of the extension the previous priority belonged to. */
  lastKey: string;
  lastName: string;
}

/** Reads a parsed extensions.conf. */
export function parseExtensions(doc: ConfDocument): Dialplan {
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);
  const sections = concreteSections(doc);

  const general = readGeneral(sections, diagnostics);
  const globals: [string, string][] = [];
  const globalValues = new Map<string, string>();
  for (const section of sections) {
    if (section.name.toLowerCase() !== 'globals') continue;
    for (const entry of section.entries) {
      globals.push([entry.key, entry.value]);
      globalValues.set(entry.key, substituteGlobals(entry.value, globalValues).text);
    }
  }

  const contexts = new Map<string, ContextBuilder>();
  for (const section of sections) {
    const lower = section.name.toLowerCase();
    if (lower === 'general' || lower === 'globals') continue;
    let context = contexts.get(section.name);
    if (context === undefined) {
      context = {
        name: section.name,
        file: section.file,
        line: section.line,
        extensions: new Map(),
        includes: [],
        includeValues: new Set(),
        ignorePatterns: [],
        autohints: false,
      };
      contexts.set(section.name, context);
    }
    readContext(section, context, globalValues, diagnostics);
  }

  for (const context of contexts.values()) {
    for (const include of context.includes) {
      if (!contexts.has(include.context)) {
        diagnostics.warn(include, `context '${context.name}' includes '${include.context}', which does not exist`);
      }
    }
  }

  return freezeDialplan({
    contexts: [...contexts.values()].map(buildContext),
    globals,
    general,
    diagnostics: diagnostics.toArray(),
  });
}

/** Parses extensions.conf text held in memory (`#include`s are read through `host`, if given). */
export function parseExtensionsText(text: string, file = '/etc/asterisk/extensions.conf', host?: ConfHost): Dialplan {
  return parseExtensions(parseConfText(text, file, host, { configDir: path.posix.dirname(file) }));
}

/** Loads `<etcDir>/extensions.conf`. A missing file gives an empty dialplan and a warning. */
export function loadExtensions(etcDir: string): Dialplan {
  const file = path.resolve(etcDir, 'extensions.conf');
  const doc = parseConfFile(file, { configDir: etcDir });
  if (!doc.found) {
    const diagnostics = new DiagnosticList();
    diagnostics.addAll(doc.diagnostics);
    missingFile(diagnostics, file, 'the dialplan is empty, so no call can be routed');
    return emptyDialplan(diagnostics.toArray());
  }
  return parseExtensions(doc);
}

// --- [general] -------------------------------------------------------------------------------------------

function readGeneral(sections: readonly ConfSection[], diagnostics: DiagnosticList): DialplanGeneral {
  const general = { ...DEFAULT_GENERAL };
  for (const section of sections) {
    if (section.name.toLowerCase() !== 'general') continue;
    for (const entry of section.entries) {
      switch (entry.key.toLowerCase()) {
        case 'static':
          general.static = readBoolean(entry, diagnostics, DEFAULT_GENERAL.static);
          break;
        case 'writeprotect':
          general.writeProtect = readBoolean(entry, diagnostics, DEFAULT_GENERAL.writeProtect);
          break;
        case 'autofallthrough':
          general.autoFallthrough = readBoolean(entry, diagnostics, DEFAULT_GENERAL.autoFallthrough);
          break;
        case 'clearglobalvars':
          general.clearGlobalVars = readBoolean(entry, diagnostics, DEFAULT_GENERAL.clearGlobalVars);
          break;
        case 'extenpatternmatchnew':
          general.extenPatternMatchNew = readBoolean(entry, diagnostics, DEFAULT_GENERAL.extenPatternMatchNew);
          break;
        case 'userscontext':
          general.usersContext = entry.value === '' ? DEFAULT_GENERAL.usersContext : entry.value;
          break;
        case 'overrideswitch':
          if (entry.value !== '') {
            diagnostics.warn(entry, `overrideswitch is not supported; '${entry.value}' ignored`);
          }
          break;
        default:
          warnUnknownOption(diagnostics, entry, section);
      }
    }
  }
  return general;
}

// --- contexts --------------------------------------------------------------------------------------------

function readContext(
  section: ConfSection,
  context: ContextBuilder,
  globals: ReadonlyMap<string, string>,
  diagnostics: DiagnosticList,
): void {
  // `same` and `n` refer to earlier lines of the same section only.
  const cursor: Cursor = { lastExtension: '', lastPriority: NO_PREVIOUS, lastKey: '', lastName: '' };
  for (const entry of section.entries) {
    const key = entry.key.toLowerCase();
    if (key.startsWith('same')) {
      if (cursor.lastExtension === '') {
        diagnostics.error(entry,
          `'${entry.key} => ${entry.value}' in context '${context.name}' has no extension before it to continue; ignored`);
        continue;
      }
      readExtensionLine(entry, cursor.lastExtension, entry.value, false, context, cursor, globals, diagnostics);
    } else if (key === 'exten') {
      const [field, rest] = splitExtensionField(entry.value);
      const substituted = substituteGlobals(field, globals);
      if (substituted.unresolved) {
        diagnostics.warn(entry, `cannot expand '${field}' at load time (only \${GLOBAL} names are replaced)`);
      }
      cursor.lastExtension = substituted.text;
      readExtensionLine(entry, substituted.text, rest, true, context, cursor, globals, diagnostics);
    } else if (key === 'include') {
      readInclude(entry, context, globals, diagnostics);
    } else if (key === 'ignorepat') {
      const pattern = substituteGlobals(entry.value, globals).text;
      if (pattern === '') {
        diagnostics.error(entry, `'ignorepat' in context '${context.name}' needs a pattern; ignored`);
      } else if (context.ignorePatterns.includes(pattern)) {
        diagnostics.warn(entry, `ignore pattern '${pattern}' is already in context '${context.name}'; ignored`);
      } else {
        context.ignorePatterns.push(pattern);
      }
    } else if (key === 'switch' || key === 'lswitch' || key === 'eswitch') {
      diagnostics.warn(entry, `alternative switches are not supported; '${entry.key} => ${entry.value}' ignored`);
    } else if (key === 'autohints') {
      context.autohints = readBoolean(entry, diagnostics, false);
    } else {
      diagnostics.warn(entry, `unknown directive '${entry.key}' in context '${context.name}'; ignored`);
    }
  }
}

/**
 * Splits `name,rest` at the first comma that is not inside `[...]` or escaped by a backslash (so
 * `_[1,2]XX,1,...` keeps its set).
 */
function splitExtensionField(value: string): [string, string | undefined] {
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '[') {
      depth++;
    } else if (ch === ']') {
      if (depth > 0) depth--;
    } else if (ch === '\\') {
      i++;
    } else if (ch === ',' && depth === 0) {
      return [value.slice(0, i), value.slice(i + 1)];
    }
  }
  return [value, undefined];
}

function readExtensionLine(
  entry: ConfEntry,
  extensionField: string,
  rest: string | undefined,
  isExten: boolean,
  context: ContextBuilder,
  cursor: Cursor,
  globals: ReadonlyMap<string, string>,
  diagnostics: DiagnosticList,
): void {
  const slash = extensionField.indexOf('/');
  const rawName = slash < 0 ? extensionField : extensionField.slice(0, slash);
  const cidMatch = slash < 0 ? undefined : stripSpaces(shrinkPhoneNumber(extensionField.slice(slash + 1)));
  const name = stripSpaces(rawName);
  if (name === '') {
    diagnostics.error(entry, `'exten => ${entry.value}' in context '${context.name}' has no extension name; ignored`);
    return;
  }

  // The priority field runs to the next comma (no bracket rules here); the rest is the application.
  const comma = rest === undefined ? -1 : rest.indexOf(',');
  let priorityText = (rest === undefined ? '' : comma < 0 ? rest : rest.slice(0, comma)).trim();
  const appText = rest === undefined || comma < 0 ? '' : rest.slice(comma + 1);

  let label: string | undefined;
  const open = priorityText.indexOf('(');
  if (open >= 0) {
    const close = priorityText.indexOf(')', open + 1);
    if (close < 0) {
      diagnostics.error(entry, `label in '${priorityText}' has no closing ')'; line ignored`);
      return;
    }
    label = priorityText.slice(open + 1, close);
    priorityText = priorityText.slice(0, open);
    if (label === '') label = undefined;
  }
  let offset = 0;
  const plus = priorityText.indexOf('+');
  if (plus >= 0) {
    offset = leadingInteger(priorityText.slice(plus + 1)) ?? 0;
    priorityText = priorityText.slice(0, plus);
  }

  const compiled = compilePattern(name);
  const identity = extensionIdentity(name, cidMatch);
  const shown = cidMatch === undefined ? name : `${name}/${cidMatch}`;

  let priority: number;
  if (priorityText === 'hint') {
    priority = HINT_PRIORITY;
  } else if (priorityText === 'n' || priorityText === 'next' || priorityText === 's' || priorityText === 'same') {
    if (cursor.lastPriority === NO_PREVIOUS) {
      diagnostics.error(entry,
        `priority '${priorityText}' needs an earlier line in context '${context.name}' to count from; line ignored`);
      return;
    }
    const step = priorityText.startsWith('n') ? 1 : 0;
    priority = cursor.lastPriority + step;
    if (isExten && identity !== cursor.lastKey && cursor.lastKey !== '') {
      diagnostics.warn(entry,
        `'${priorityText}' on extension '${shown}' continues from the previous line (extension '${cursor.lastName}', priority ${cursor.lastPriority}); it becomes priority ${priority + offset}`);
    }
  } else {
    const number = leadingInteger(priorityText);
    if (number === undefined) {
      const existing = context.extensions.get(identity)?.labels.get(priorityText);
      if (existing === undefined || priorityText === '') {
        diagnostics.error(entry,
          `invalid priority or unknown label '${priorityText}' for extension '${shown}' in context '${context.name}'; line ignored`);
        return;
      }
      priority = existing;
    } else {
      if (!/^[+-]?\d+$/.test(priorityText)) {
        diagnostics.warn(entry, `priority '${priorityText}' read as ${number}`);
      }
      if (number < 1) {
        diagnostics.error(entry,
          `invalid priority '${priorityText}' for extension '${shown}' in context '${context.name}': priorities start at 1; line ignored`);
        return;
      }
      priority = number;
    }
  }

  if (priority !== HINT_PRIORITY) {
    priority += offset;
    if (priority < 1 || priority > MAX_PRIORITY) {
      diagnostics.error(entry,
        `priority of extension '${shown}' in context '${context.name}' works out to ${priority}, which is not a valid priority; line ignored`);
      return;
    }
  }

  cursor.lastPriority = priority;
  cursor.lastKey = identity;
  cursor.lastName = shown;

  if (name === '_.' || name === '_!') {
    diagnostics.warn(entry,
      `extension '${name}' matches everything, including the special extensions h, i and t; '_X${name.slice(1)}' is almost always meant`);
  }

  let extension = context.extensions.get(identity);
  const fresh = extension === undefined;
  extension ??= {
    name,
    key: compiled.key,
    cidMatch,
    priorities: new Map(),
    labels: new Map(),
    file: entry.file,
    line: entry.line,
  };

  if (priority === HINT_PRIORITY) {
    let value = appText.trim();
    if (!compiled.isPattern && value.includes('${')) value = substituteGlobals(value, globals).text;
    if (value === '') {
      diagnostics.error(entry, `hint for extension '${shown}' in context '${context.name}' names no device; ignored`);
      return;
    }
    if (extension.hint !== undefined) {
      diagnostics.error(entry,
        `extension '${shown}' in context '${context.name}' already has a hint (${where(extension.hint.at)}); this one is ignored`);
      return;
    }
    const presenceAt = value.indexOf(',');
    extension.hint = {
      device: presenceAt < 0 ? value : value.slice(0, presenceAt),
      presence: presenceAt < 0 ? undefined : value.slice(presenceAt + 1),
      at: { file: entry.file, line: entry.line },
    };
    if (fresh) context.extensions.set(identity, extension);
    return;
  }

  const app = parseApplication(appText, entry, diagnostics);
  if (app === undefined) return;

  const existing = extension.priorities.get(priority);
  if (existing !== undefined) {
    diagnostics.error(entry,
      `extension '${shown}' priority ${priority} in context '${context.name}' is already defined (${where(existing)}); this line is ignored`);
    return;
  }
  if (label !== undefined) {
    const taken = extension.labels.get(label);
    if (taken !== undefined) {
      diagnostics.error(entry,
        `label '${label}' of extension '${shown}' in context '${context.name}' is already used at priority ${taken}; the label is dropped`);
      label = undefined;
    } else {
      extension.labels.set(label, priority);
    }
  }
  extension.priorities.set(priority, {
    priority,
    ...(label === undefined ? {} : { label }),
    app: app.app,
    appData: app.data,
    file: entry.file,
    line: entry.line,
  });
  if (fresh) context.extensions.set(identity, extension);
}

/** `App(args)`, `App` or the old `App,args`. Undefined (with a diagnostic) when there is no application. */
function parseApplication(
  text: string,
  entry: ConfEntry,
  diagnostics: DiagnosticList,
): { app: string; data: string } | undefined {
  const open = text.indexOf('(');
  const comma = text.indexOf(',');
  let app: string;
  let data = '';
  if (comma >= 0 && (open < 0 || comma < open)) {
    app = text.slice(0, comma);
    data = text.slice(comma + 1);
    diagnostics.warn(entry, `'${app.trim()},${data}' uses the old 'App,args' form; write '${app.trim()}(${data})'`);
  } else if (open < 0) {
    app = text;
  } else {
    app = text.slice(0, open);
    if (app.includes('${') || app.includes('$[')) {
      // Asterisk keeps such a line whole as the application name, without arguments.
      app = text;
    } else {
      const inside = text.slice(open + 1);
      const close = inside.lastIndexOf(')');
      if (close < 0) {
        diagnostics.error(entry, `no closing parenthesis in '${text.trim()}'; the arguments run to the end of the line`);
        data = inside;
      } else {
        data = inside.slice(0, close);
        const trailing = inside.slice(close + 1).trim();
        if (trailing !== '') {
          diagnostics.warn(entry, `text after the closing parenthesis of '${app.trim()}' is ignored: '${trailing}'`);
        }
      }
    }
  }
  app = app.trim();
  if (app === '') {
    diagnostics.error(entry, `'${entry.key} => ${entry.value}' names no application; line ignored`);
    return undefined;
  }
  return { app, data };
}

function readInclude(
  entry: ConfEntry,
  context: ContextBuilder,
  globals: ReadonlyMap<string, string>,
  diagnostics: DiagnosticList,
): void {
  const value = substituteGlobals(entry.value, globals).text;
  let separator = value.indexOf('|');
  if (separator < 0) separator = value.indexOf(',');
  const target = (separator < 0 ? value : value.slice(0, separator)).trim();
  const timeSpec = separator < 0 ? '' : value.slice(separator + 1).trim();
  if (target === '') {
    diagnostics.error(entry, `'include' in context '${context.name}' names no context; ignored`);
    return;
  }
  const lower = value.toLowerCase();
  if (context.includeValues.has(lower)) {
    diagnostics.warn(entry, `context '${value}' is already included in context '${context.name}'; ignored`);
    return;
  }
  if (timeSpec !== '') {
    for (const warning of compileTimespec(timeSpec).warnings) {
      diagnostics.warn(entry, `include of '${target}': ${warning}`);
    }
  }
  context.includeValues.add(lower);
  context.includes.push({
    context: target,
    ...(timeSpec === '' ? {} : { timeSpec }),
    file: entry.file,
    line: entry.line,
  });
}

function buildContext(context: ContextBuilder): DialplanContext {
  const extensions = [...context.extensions.values()].sort(compareExtensions).map((e): DialplanExtension => ({
    name: e.name,
    isPattern: e.name.startsWith('_'),
    ...(e.cidMatch === undefined ? {} : { cidMatch: e.cidMatch }),
    priorities: e.priorities,
    labels: e.labels,
    ...(e.hint === undefined
      ? {}
      : {
          hint: e.hint.device,
          ...(e.hint.presence === undefined ? {} : { hintPresence: e.hint.presence }),
          hintSource: e.hint.at,
        }),
    file: e.file,
    line: e.line,
  }));
  return {
    name: context.name,
    file: context.file,
    line: context.line,
    extensions,
    includes: context.includes,
    ignorePatterns: context.ignorePatterns,
    autohints: context.autohints,
  };
}

/** Match order; for the same name, extensions with a caller-id condition come first. */
function compareExtensions(a: ExtensionBuilder, b: ExtensionBuilder): number {
  const byName = compareForMatchOrder(a.name, b.name);
  if (byName !== 0) return byName;
  if (a.cidMatch === undefined) return b.cidMatch === undefined ? 0 : 1;
  if (b.cidMatch === undefined) return -1;
  return compareForMatchOrder(a.cidMatch, b.cidMatch);
}

// --- small helpers ---------------------------------------------------------------------------------------

/** Two lines describe the same extension when their names and caller-id conditions sort equal. */
function extensionIdentity(name: string, cidMatch: string | undefined): string {
  const cid = cidMatch === undefined ? '-' : `+${compilePattern(cidMatch).key}`;
  return `${compilePattern(name).key}\u0000${cid}`;
}

/** Asterisk drops spaces from extension names (outside a pattern's `[...]`). */
function stripSpaces(name: string): string {
  if (!name.includes(' ')) return name;
  const pattern = name.startsWith('_');
  let out = '';
  let inSet = false;
  for (const ch of name) {
    if (ch === '[' && pattern) inSet = true;
    else if (ch === ']') inSet = false;
    else if (ch === ' ' && !inSet) continue;
    out += ch;
  }
  return out;
}

/**
 * A caller-id condition loses `(`, `)`, spaces, `-` outside brackets and `.` except at the end, so
 * `(555) 123-4567` is `5551234567`.
 */
function shrinkPhoneNumber(text: string): string {
  let out = '';
  let bracketed = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === '[') {
      bracketed++;
      out += ch;
    } else if (ch === ']') {
      bracketed--;
      out += ch;
    } else if (ch === '-') {
      if (bracketed > 0) out += ch;
    } else if (ch === '.') {
      if (i === text.length - 1) out += ch;
    } else if (ch !== '(' && ch !== ')' && ch !== ' ') {
      out += ch;
    }
  }
  return out;
}

/** The integer a text starts with (like C's sscanf `%d`), or undefined. */
function leadingInteger(text: string): number | undefined {
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Replaces `${NAME}` by the global variable's value ('' when it is not set), as Asterisk expands these
 * fields at load time. Anything more elaborate (functions, `${X:1}`, `$[...]`) is left as written and
 * reported through `unresolved`.
 */
function substituteGlobals(text: string, globals: ReadonlyMap<string, string>): { text: string; unresolved: boolean } {
  if (!text.includes('$')) return { text, unresolved: false };
  const out = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_m, name: string) => globals.get(name) ?? '');
  return { text: out, unresolved: out.includes('${') || out.includes('$[') };
}

function where(at: SourceLocation): string {
  return `${path.basename(at.file)}:${at.line}`;
}
