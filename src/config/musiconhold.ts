/**
 * musiconhold.conf: the music on hold classes (`res_musiconhold`).
 *
 * Each section but `[general]` is a class. Ariadne plays the classes Asterisk plays from files: `mode = files`
 * (every file of `directory`; a relative directory is under `<astdatadir>`, so `moh` is `<astdatadir>/moh`) and
 * `mode = playlist` (the `entry =` lines, absolute paths without extension). A file present in several formats
 * counts once, and files are named without their extension, as in `moh show files`. `sort` is `alpha` (by name,
 * case-insensitive), `random` (a random file each time) or `randstart` (a random first file, then in order); a
 * class without `sort` plays in name order too (Asterisk would use the directory's order, which is arbitrary).
 * The other modes (custom applications, mp3 players) need external programs: such a class loads, is listed, and
 * plays nothing (a warning says so). `[general]`'s options are accepted and have no effect.
 *
 * Without the file, Asterisk's sample applies: one class `default`, `mode = files`, `directory = moh`.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfFile, type ConfSection } from './parser.ts';
import { deepFreeze } from './freeze.ts';
import { concreteSections, DiagnosticList, readChoice, warnUnknownOption } from './options.ts';
import type { Loaded } from './types.ts';

export type MohSort = 'alpha' | 'random' | 'randstart';

export interface MohFile {
  /** The path without extension (what `moh show files` lists). */
  readonly name: string;
  /** The files it exists as, with extension. */
  readonly paths: readonly string[];
}

export interface MohClass {
  readonly name: string;
  /** As written (`files`, `playlist`, `custom`, ...), lower case. */
  readonly mode: string;
  /** As written (`moh`); empty for a playlist. */
  readonly directory: string;
  readonly sort: MohSort | undefined;
  /** In play order before `sort` is applied at play time (name order). */
  readonly files: readonly MohFile[];
}

export interface MohConfig {
  readonly file: string;
  readonly classes: readonly MohClass[];
}

const SORTS: readonly MohSort[] = ['alpha', 'random', 'randstart'];
const PLAYED_MODES = new Set(['files', 'playlist']);
const KNOWN_MODES = new Set(['files', 'playlist', 'custom', 'mp3', 'quietmp3', 'mp3nb', 'quietmp3nb', 'httpmp3']);
/** Options Asterisk knows that do not change what Ariadne plays. */
const ACCEPTED = new Set(['name', 'application', 'announcement', 'digit', 'format', 'loop_last', 'kill_escalation_delay', 'kill_method', 'answeredonly']);

/** Loads `<etcDir>/musiconhold.conf`; files are looked up under `dataDir` (`<astdatadir>`). */
export function loadMusicOnHold(etcDir: string, dataDir: string): Loaded<MohConfig> {
  const file = path.resolve(etcDir, 'musiconhold.conf');
  const doc = parseConfFile(file, { configDir: etcDir });
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);
  const classes: MohClass[] = [];
  if (!doc.found) {
    classes.push({ name: 'default', mode: 'files', directory: 'moh', sort: undefined, files: scanDirectory(path.resolve(dataDir, 'moh')) });
  }
  for (const section of concreteSections(doc)) {
    if (section.name.toLowerCase() === 'general') continue;
    if (classes.some((c) => c.name === section.name)) {
      diagnostics.warn(section, `music on hold class '${section.name}' is defined twice; the first definition is used`);
      continue;
    }
    const c = readClass(section, dataDir, diagnostics);
    if (c) classes.push(c);
  }
  return deepFreeze({ value: { file, classes }, diagnostics: diagnostics.toArray() });
}

function readClass(section: ConfSection, dataDir: string, diagnostics: DiagnosticList): MohClass | undefined {
  let mode = '';
  let directory = '';
  let sort: MohSort | undefined;
  const entries: string[] = [];
  for (const entry of section.entries) {
    const key = entry.key.toLowerCase();
    if (key === 'mode') mode = entry.value.trim().toLowerCase();
    else if (key === 'directory') directory = entry.value.trim();
    else if (key === 'sort') sort = readChoice(entry, diagnostics, SORTS, 'alpha');
    else if (key === 'entry') {
      if (entry.value.startsWith('/')) entries.push(entry.value.trim());
      else diagnostics.error(entry, `playlist entries must be absolute paths; '${entry.value}' ignored`);
    } else if (!ACCEPTED.has(key)) warnUnknownOption(diagnostics, entry, section);
  }
  if (!mode) {
    diagnostics.warn(section, `music on hold class '${section.name}' has no mode; ignored`);
    return undefined;
  }
  if (!KNOWN_MODES.has(mode)) diagnostics.warn(section, `unknown music on hold mode '${mode}' in class '${section.name}'; it plays nothing`);
  else if (!PLAYED_MODES.has(mode)) diagnostics.warn(section, `music on hold mode '${mode}' (class '${section.name}') needs an external player; it plays nothing`);
  if (mode === 'files' && !directory) {
    diagnostics.warn(section, `music on hold class '${section.name}' has no directory; ignored`);
    return undefined;
  }
  let files: MohFile[] = [];
  if (mode === 'files') files = scanDirectory(path.resolve(dataDir, directory));
  else if (mode === 'playlist') files = entries.map((e) => ({ name: e, paths: existingWithExtensions(e) }));
  return { name: section.name, mode, directory, sort, files };
}

/**
 * The playable files of a directory: names without a leading dot and with an extension of two characters or
 * more, one entry per name whatever the formats, in name order. A missing directory has none.
 */
export function scanDirectory(dir: string): MohFile[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const byBase = new Map<string, string[]>();
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const dot = name.lastIndexOf('.');
    if (dot <= 0 || name.length - dot < 3) continue;
    const base = path.join(dir, name.slice(0, dot));
    const list = byBase.get(base) ?? [];
    list.push(path.join(dir, name));
    byBase.set(base, list);
  }
  return [...byBase.entries()]
    .sort(([a], [b]) => a.toLowerCase().localeCompare(b.toLowerCase()))
    .map(([name, paths]) => ({ name, paths: paths.sort() }));
}

/** The files a playlist entry (a path without extension) exists as. */
function existingWithExtensions(base: string): string[] {
  const dir = path.dirname(base);
  const prefix = `${path.basename(base)}.`;
  try {
    return fs.readdirSync(dir).filter((n) => n.startsWith(prefix)).map((n) => path.join(dir, n)).sort();
  } catch {
    return [];
  }
}
