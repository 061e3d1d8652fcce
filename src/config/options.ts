/**
 * Shared pieces of the typed loaders: collecting diagnostics, and reading option values the way
 * Asterisk does (its boolean words, integers with ranges, fixed word lists, comma lists).
 *
 * A reader never throws and never returns an invalid value: when the text is not acceptable it records
 * an error diagnostic naming the file, line, option, bad value and what would have been accepted, and
 * returns the default. That is how a user's existing files "load unchanged" — a typo costs one option,
 * not the server.
 */

import * as path from 'node:path';
import type { ConfDocument, ConfEntry, ConfSection } from './parser.ts';
import type { Diagnostic } from './types.ts';

/** Something that has a place in a file. */
export interface Located {
  readonly file: string;
  readonly line: number;
}

/** Collects diagnostics while a loader runs. */
export class DiagnosticList {
  readonly #items: Diagnostic[] = [];

  warn(at: Located, message: string): void {
    this.#items.push({ level: 'warning', file: at.file, line: at.line, message });
  }

  error(at: Located, message: string): void {
    this.#items.push({ level: 'error', file: at.file, line: at.line, message });
  }

  addAll(diagnostics: readonly Diagnostic[]): void {
    this.#items.push(...diagnostics);
  }

  /** A frozen copy of what was collected. */
  toArray(): readonly Diagnostic[] {
    return Object.freeze(this.#items.map((d) => Object.freeze({ ...d })));
  }
}

/** Words Asterisk's `ast_true()` accepts (case-insensitive). */
export const TRUE_WORDS: readonly string[] = Object.freeze(['yes', 'true', 'y', 't', '1', 'on']);
/** Words Asterisk's `ast_false()` accepts (case-insensitive). */
export const FALSE_WORDS: readonly string[] = Object.freeze(['no', 'false', 'n', 'f', '0', 'off']);

/** `true`/`false` for one of Asterisk's boolean words, `undefined` for anything else. */
export function parseBooleanWord(text: string): boolean | undefined {
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.includes(word)) {
    return true;
  }
  if (FALSE_WORDS.includes(word)) {
    return false;
  }
  return undefined;
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

/** Reads a yes/no option; an unknown word is an error and gives `fallback`. */
export function readBoolean(entry: ConfEntry, diagnostics: DiagnosticList, fallback: boolean): boolean {
  const value = parseBooleanWord(entry.value);
  if (value === undefined) {
    diagnostics.error(entry,
      `invalid value '${entry.value}' for '${entry.key}': expected yes/no (also true/false, on/off, 1/0); using the default ${yesNo(fallback)}`);
    return fallback;
  }
  return value;
}

export interface IntegerRange {
  readonly min?: number;
  readonly max?: number;
}

/** Reads a whole number within `range`; anything else is an error and gives `fallback`. */
export function readInteger(
  entry: ConfEntry,
  diagnostics: DiagnosticList,
  fallback: number,
  range: IntegerRange = {},
): number {
  const text = entry.value.trim();
  const min = range.min ?? Number.MIN_SAFE_INTEGER;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const value = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    diagnostics.error(entry,
      `invalid value '${entry.value}' for '${entry.key}': expected ${describeRange(range)}; using the default ${fallback}`);
    return fallback;
  }
  return value;
}

function describeRange(range: IntegerRange): string {
  if (range.min !== undefined && range.max !== undefined) {
    return `an integer from ${range.min} to ${range.max}`;
  }
  if (range.min !== undefined) {
    return `an integer of at least ${range.min}`;
  }
  if (range.max !== undefined) {
    return `an integer of at most ${range.max}`;
  }
  return 'an integer';
}

/** Reads one of a fixed list of words (case-insensitive); anything else is an error and gives `fallback`. */
export function readChoice<T extends string>(
  entry: ConfEntry,
  diagnostics: DiagnosticList,
  choices: readonly T[],
  fallback: T,
): T {
  const word = entry.value.trim().toLowerCase();
  const found = choices.find((c) => c === word);
  if (found === undefined) {
    diagnostics.error(entry,
      `invalid value '${entry.value}' for '${entry.key}': expected one of ${choices.join(', ')}; using the default ${fallback}`);
    return fallback;
  }
  return found;
}

/** Splits a comma list, trimming each item and dropping empty ones. */
export function splitList(value: string, separator: RegExp | string = ','): string[] {
  return value
    .split(separator)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Reports an option the loader does not know. */
export function warnUnknownOption(diagnostics: DiagnosticList, entry: ConfEntry, section: ConfSection): void {
  diagnostics.warn(entry,
    `unknown option '${entry.key}' in [${section.name}] of ${path.basename(entry.file)}; ignored`);
}

/** Reports a section the loader does not know. */
export function warnUnknownSection(diagnostics: DiagnosticList, section: ConfSection, hint = ''): void {
  diagnostics.warn(section,
    `unknown section [${section.name}] in ${path.basename(section.file)}; ignored${hint === '' ? '' : ` (${hint})`}`);
}

/** The sections a loader should look at: templates are only bases for other sections, never read directly. */
export function concreteSections(doc: ConfDocument): readonly ConfSection[] {
  return doc.sections.filter((s) => !s.isTemplate);
}

/** The diagnostic for a configuration file that does not exist. */
export function missingFile(diagnostics: DiagnosticList, file: string, consequence: string): void {
  diagnostics.warn({ file, line: 0 }, `${path.basename(file)} not found; ${consequence}`);
}
