/**
 * The sound library: what `<astdatadir>/sounds` holds, indexed the way Asterisk's `main/sounds.c` and
 * `main/media_index.c` index it, and the file a `sound:` playback of an id and language opens
 * (`main/file.c` `fileexists_core`).
 *
 * Index (GET /sounds):
 * - Languages are the first-level entries of the sounds directory that are directories after following
 *   symlinks (`stat`). Files directly under `sounds/` belong to no language and are not listed (they can
 *   still be played).
 * - Each language directory is walked recursively (symlinks followed, any depth; a symlink loop is cut here,
 *   where Asterisk recurses until paths get too long). A file's id is its path relative to the language
 *   directory up to the last `.`; what follows is the extension, mapped to Asterisk's format name by the
 *   file formats Asterisk registers (`.wav` is `slin`, `.WAV` is `gsm`, `.ulaw` is `ulaw` …, case
 *   sensitive). Unknown extensions are ignored; one format is listed once per id and language.
 * - Every `*.txt` file is a description file (Debian's and Digium's `core-sounds-en.txt`): lines
 *   `id: text`, `;` comments, lines without `:` continue the previous text. The `text` of a sound is
 *   always its `en` description, whatever the languages it exists in.
 * - Order is Asterisk's, which is deterministic: its string containers iterate hash buckets in order
 *   (djb2 hash modulo 157 buckets for ids, 7 for languages) and keep each bucket sorted by `strcmp`.
 *   Formats within a language follow file name order (Asterisk: `readdir` order).
 * - Ids are case sensitive (Asterisk merges ids that differ only in case into one entry named after
 *   whichever file it met first).
 *
 * Asterisk rebuilds the whole index on every request. Here the index is kept and re-validated on use by
 * `stat`ing the directories and description files it was built from (inode and modification time): an added,
 * removed or renamed file changes its directory's mtime, so it shows up on the next request, and only then
 * is the tree walked again (also while an mtime is too recent to be trusted; see `RACY_WINDOW_MS`).
 * Playback lookups ({@link resolveSound}) read the file system directly, as Asterisk does.
 */

import fs from 'node:fs';
import path from 'node:path';

/** File extension → Asterisk format name, as Asterisk 22's format modules register them (`exts`). */
export const EXTENSION_FORMATS: ReadonlyMap<string, string> = new Map<string, string>([
  // format_wav
  ['wav', 'slin'],
  ['wav16', 'slin16'],
  // format_wav_gsm (Microsoft WAV49 GSM); Asterisk writes these as `.WAV`
  ['WAV', 'gsm'],
  ['wav49', 'gsm'],
  // format_sln
  ['sln', 'slin'],
  ['slin', 'slin'],
  ['raw', 'slin'],
  ['sln12', 'slin12'],
  ['sln16', 'slin16'],
  ['sln24', 'slin24'],
  ['sln32', 'slin32'],
  ['sln44', 'slin44'],
  ['sln48', 'slin48'],
  ['sln96', 'slin96'],
  ['sln192', 'slin192'],
  // format_pcm
  ['pcm', 'ulaw'],
  ['ulaw', 'ulaw'],
  ['ul', 'ulaw'],
  ['mu', 'ulaw'],
  ['ulw', 'ulaw'],
  ['alaw', 'alaw'],
  ['al', 'alaw'],
  ['alw', 'alaw'],
  ['au', 'ulaw'],
  ['g722', 'g722'],
  // the other audio and video formats
  ['gsm', 'gsm'],
  ['g719', 'g719'],
  ['g723', 'g723'],
  ['g723sf', 'g723'],
  ['g726-40', 'g726'],
  ['g726-32', 'g726'],
  ['g726-24', 'g726'],
  ['g726-16', 'g726'],
  ['g729', 'g729'],
  ['ilbc', 'ilbc'],
  ['siren7', 'siren7'],
  ['siren14', 'siren14'],
  ['spx', 'speex'],
  ['spx16', 'speex16'],
  ['spx32', 'speex32'],
  ['ogg', 'slin'],
  ['vox', 'adpcm'],
  ['h263', 'h263'],
  ['h264', 'h264'],
]);

/** The Asterisk format name of a file extension (without the dot), or undefined when Asterisk has no such format. */
export function formatForExtension(ext: string): string | undefined {
  return EXTENSION_FORMATS.get(ext);
}

/** The language Asterisk falls back to when a sound is missing in the requested one (`DEFAULT_LANGUAGE`). */
export const DEFAULT_SOUND_LANGUAGE = 'en';

/** Formats tried first when the caller states no preference: what the media engine plays without transcoding losses. */
const DEFAULT_FORMAT_PREFERENCE: readonly string[] = ['slin16', 'slin', 'g722', 'ulaw', 'alaw', 'gsm'];

/** One `{language, format}` pair of the ARI `Sound` model. */
export interface SoundFormat {
  readonly language: string;
  readonly format: string;
}

/** The ARI `Sound` model: `text` only when the sound has an English description. */
export interface SoundInfo {
  readonly id: string;
  readonly text?: string;
  readonly formats: readonly SoundFormat[];
}

export interface SoundFilter {
  /** Only this language (exact match); empty means any. */
  readonly lang?: string | undefined;
  /** Only this Asterisk format name (`slin`, not `wav`); empty means any. */
  readonly format?: string | undefined;
}

/** The file a playback of a sound opens. */
export interface ResolvedSound {
  readonly path: string;
  /** Asterisk format name (`slin`, `ulaw`, …). */
  readonly format: string;
  /** File extension without the dot. */
  readonly ext: string;
  /** The language directory it was found in; '' when it was found without one. */
  readonly language: string;
  /** Every format the sound exists in for that language (a playback may prefer another one). */
  readonly available: readonly { readonly format: string; readonly ext: string; readonly path: string }[];
}

export interface SoundLibraryOptions {
  /** Trust the index this long after a check before `stat`ing again; 0 (default) checks on every use. */
  readonly recheckMs?: number;
  /** Deepest directory level walked below a language directory (default 64). */
  readonly maxDepth?: number;
  /** Clock for `recheckMs` (tests). */
  readonly now?: () => number;
}

// --- Asterisk's container order ------------------------------------------------------------------------

/** `ast_str_hash`: djb2 (`hash * 33 ^ byte`) over the UTF-8 bytes, kept to the positive half of an int. */
export function astStrHash(s: string): number {
  let h = 5381;
  for (const byte of Buffer.from(s, 'utf8')) h = (Math.imul(h, 33) ^ byte) >>> 0;
  return h & 0x7fffffff;
}

/** `strcmp` over UTF-8 bytes. */
function strcmp(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Sorts strings in the order an `ast_str_container_alloc(buckets)` container iterates them. */
export function asteriskContainerOrder(items: Iterable<string>, buckets: number): string[] {
  return [...items]
    .map((s) => ({ s, b: astStrHash(s) % buckets, bytes: Buffer.from(s, 'utf8') }))
    .sort((x, y) => x.b - y.b || Buffer.compare(x.bytes, y.bytes))
    .map((x) => x.s);
}

/** `INDEX_BUCKETS` and `VARIANT_BUCKETS` of `main/media_index.c`. */
const ID_BUCKETS = 157;
const LANGUAGE_BUCKETS = 7;

// --- description files ------------------------------------------------------------------------------------

/** Longest line `process_description_file` reads (its 2048-byte `fgets` buffer); longer lines are skipped. */
const MAX_DESCRIPTION_LINE = 2045;

/** Trailing bytes Asterisk's `ast_trim_blanks` removes and leading ones `ast_skip_blanks` skips: anything below '!'. */
const trimEnd = (s: string) => s.replace(/[\x00-\x20]+$/, '');
const trimStart = (s: string) => s.replace(/^[\x00-\x20]+/, '');

/**
 * Parses a description file the way `process_description_file` does: `id: text` starts an entry (the id is
 * everything before the first `:`, untrimmed), a line without `:` continues the current one after a
 * newline (blank lines too), `;` in the first column starts a comment, and an entry with empty text is
 * dropped. A later entry for the same id wins.
 */
export function parseDescriptions(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let id: string | undefined;
  let acc = '';
  const archive = () => {
    if (id !== undefined && acc.length > 0) out.set(id, acc);
  };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const raw of lines) {
    if (Buffer.byteLength(raw, 'utf8') > MAX_DESCRIPTION_LINE) continue;
    if (raw.startsWith(';')) continue;
    const line = trimEnd(raw);
    const colon = line.indexOf(':');
    if (colon === -1) {
      if (id !== undefined) acc += `\n${line}`;
      continue;
    }
    archive();
    id = line.slice(0, colon);
    acc = trimStart(line.slice(colon + 1));
  }
  archive();
  return out;
}

// --- the index --------------------------------------------------------------------------------------------

interface Variant {
  /** Format names in discovery order, each once. */
  readonly formats: string[];
  /** First file found for each format. */
  readonly files: Map<string, string>;
  description?: string;
}

interface Entry {
  readonly id: string;
  readonly variants: Map<string, Variant>;
  /** Languages in Asterisk's order (filled when the scan ends). */
  languages: string[];
}

/** What the index was built from: each directory and description file with its identity and mtime. */
interface Witness {
  readonly path: string;
  /** `dev:ino:mtimeNs`, or '' when the path did not exist. */
  readonly stamp: string;
}

interface Index {
  /** A directory or description file changed so shortly before the scan that a later change could keep its mtime. */
  readonly racy: boolean;
  readonly entries: Map<string, Entry>;
  /** Ids in Asterisk's order. */
  readonly order: readonly string[];
  readonly languages: readonly string[];
  readonly witnesses: readonly Witness[];
  checkedAt: number;
}

function stampOf(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}:${st.mtimeNs}`;
}

async function statStamp(p: string): Promise<string> {
  try {
    return stampOf(await fs.promises.stat(p, { bigint: true }));
  } catch {
    return '';
  }
}

type Kind = 'file' | 'dir' | 'other';

async function kindOf(dirent: fs.Dirent, full: string): Promise<{ kind: Kind; st?: fs.BigIntStats }> {
  if (dirent.isFile()) return { kind: 'file' };
  if (dirent.isDirectory()) return { kind: 'dir' };
  // Sockets, FIFOs and devices are skipped, as Asterisk does; symlinks (and entries the file system gives
  // no type for) are looked at through stat, which follows links.
  if (dirent.isFIFO() || dirent.isSocket() || dirent.isBlockDevice() || dirent.isCharacterDevice()) return { kind: 'other' };
  try {
    const st = await fs.promises.stat(full, { bigint: true });
    return { kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other', st };
  } catch {
    return { kind: 'other' }; // a broken link: Asterisk logs it and goes on
  }
}

async function readDirSorted(dir: string): Promise<fs.Dirent[]> {
  const list = await fs.promises.readdir(dir, { withFileTypes: true });
  return list.sort((a, b) => strcmp(a.name, b.name));
}

/**
 * File systems stamp mtimes from a coarse clock (a few ms, seconds on some), so a file added just after a scan
 * can leave its directory's mtime as the scan saw it. An index that saw an mtime this close to its scan is
 * checked by scanning again until the tree has been quiet for this long (git's "racy" entries).
 */
const RACY_WINDOW_MS = 1000;

class Scanner {
  readonly entries = new Map<string, Entry>();
  readonly witnesses: Witness[] = [];
  readonly #maxDepth: number;
  readonly #racyFromNs: bigint;
  #racy = false;

  constructor(maxDepth: number) {
    this.#maxDepth = maxDepth;
    this.#racyFromNs = BigInt(Date.now() - RACY_WINDOW_MS) * 1_000_000n;
  }

  #witness(p: string, st: fs.BigIntStats | undefined): void {
    if (st && st.mtimeNs >= this.#racyFromNs) this.#racy = true;
    this.witnesses.push({ path: p, stamp: st ? stampOf(st) : '' });
  }

  #variant(id: string, lang: string): Variant {
    let entry = this.entries.get(id);
    if (!entry) this.entries.set(id, (entry = { id, variants: new Map(), languages: [] }));
    let v = entry.variants.get(lang);
    if (!v) entry.variants.set(lang, (v = { formats: [], files: new Map() }));
    return v;
  }

  async scan(soundsDir: string): Promise<Index> {
    let rootStat: fs.BigIntStats | undefined;
    try {
      rootStat = await fs.promises.stat(soundsDir, { bigint: true });
    } catch {
      rootStat = undefined;
    }
    this.#witness(soundsDir, rootStat);
    const languages: string[] = [];
    if (rootStat?.isDirectory()) {
      let top: fs.Dirent[] = [];
      try {
        top = await readDirSorted(soundsDir);
      } catch {
        top = [];
      }
      for (const d of top) {
        const full = path.join(soundsDir, d.name);
        const { kind } = await kindOf(d, full);
        if (kind === 'dir') languages.push(d.name);
      }
      for (const lang of languages) await this.#walk(path.join(soundsDir, lang), lang, '', 0, new Set());
    }
    for (const entry of this.entries.values()) entry.languages = asteriskContainerOrder(entry.variants.keys(), LANGUAGE_BUCKETS);
    return {
      racy: this.#racy,
      entries: this.entries,
      order: asteriskContainerOrder(this.entries.keys(), ID_BUCKETS),
      languages: asteriskContainerOrder(languages, LANGUAGE_BUCKETS),
      witnesses: this.witnesses,
      checkedAt: 0,
    };
  }

  async #walk(dir: string, lang: string, prefix: string, depth: number, ancestors: ReadonlySet<string>): Promise<void> {
    let st: fs.BigIntStats;
    try {
      st = await fs.promises.stat(dir, { bigint: true });
    } catch {
      return;
    }
    const identity = `${st.dev}:${st.ino}`;
    if (ancestors.has(identity)) return; // a symlink back up the tree
    this.#witness(dir, st);
    let list: fs.Dirent[];
    try {
      list = await readDirSorted(dir);
    } catch {
      return;
    }
    const below = new Set(ancestors).add(identity);
    for (const d of list) {
      const full = path.join(dir, d.name);
      const { kind, st: fileStat } = await kindOf(d, full);
      if (kind === 'dir') {
        if (depth < this.#maxDepth) await this.#walk(full, lang, `${prefix}${d.name}/`, depth + 1, below);
        continue;
      }
      if (kind !== 'file') continue;
      const rel = prefix + d.name;
      const dot = rel.lastIndexOf('.');
      if (dot === -1) continue;
      const ext = rel.slice(dot + 1);
      const id = rel.slice(0, dot);
      if (ext === 'txt') {
        await this.#description(full, lang, fileStat);
        continue;
      }
      const format = formatForExtension(ext);
      if (!format || id.length === 0) continue;
      const v = this.#variant(id, lang);
      if (!v.files.has(format)) {
        v.formats.push(format);
        v.files.set(format, full);
      }
    }
  }

  async #description(file: string, lang: string, known: fs.BigIntStats | undefined): Promise<void> {
    let text: string;
    let st: fs.BigIntStats;
    try {
      st = known ?? (await fs.promises.stat(file, { bigint: true }));
      text = await fs.promises.readFile(file, 'utf8');
    } catch {
      return;
    }
    this.#witness(file, st);
    for (const [id, description] of parseDescriptions(text)) this.#variant(id, lang).description = description;
  }
}

function toSoundInfo(entry: Entry, filter: SoundFilter): SoundInfo | undefined {
  const formats: SoundFormat[] = [];
  for (const language of entry.languages) {
    if (filter.lang && language !== filter.lang) continue;
    for (const format of entry.variants.get(language)?.formats ?? []) {
      if (filter.format && format !== filter.format) continue;
      formats.push({ language, format });
    }
  }
  if (formats.length === 0) return undefined;
  const text = entry.variants.get(DEFAULT_SOUND_LANGUAGE)?.description;
  return text ? { id: entry.id, text, formats } : { id: entry.id, formats };
}

/**
 * The sounds under one directory (`<astdatadir>/sounds`): the ARI index and playback file lookup.
 */
export class SoundLibrary {
  readonly soundsDir: string;
  readonly #recheckMs: number;
  readonly #maxDepth: number;
  readonly #now: () => number;
  #index: Index | undefined;
  #pending: Promise<Index> | undefined;

  constructor(soundsDir: string, options: SoundLibraryOptions = {}) {
    this.soundsDir = path.resolve(soundsDir);
    this.#recheckMs = options.recheckMs ?? 0;
    this.#maxDepth = options.maxDepth ?? 64;
    this.#now = options.now ?? Date.now;
  }

  /** Every sound that has at least one format matching the filter, in Asterisk's order. */
  async list(filter: SoundFilter = {}): Promise<SoundInfo[]> {
    const index = await this.#current();
    const out: SoundInfo[] = [];
    for (const id of index.order) {
      const entry = index.entries.get(id);
      const info = entry && toSoundInfo(entry, filter);
      if (info) out.push(info);
    }
    return out;
  }

  /** One sound by id (`hello-world`, `digits/1`), every language and format; undefined when no file has it. */
  async get(id: string): Promise<SoundInfo | undefined> {
    const entry = (await this.#current()).entries.get(id);
    return entry && toSoundInfo(entry, {});
  }

  /** The language directories, in Asterisk's order. */
  async languages(): Promise<string[]> {
    return [...(await this.#current()).languages];
  }

  /** Forgets the index; the next use walks the tree again. */
  invalidate(): void {
    this.#index = undefined;
  }

  /** See {@link resolveSound}; looks at the files themselves, not at the index. */
  resolve(id: string, lang: string | undefined, preferredFormats: readonly string[] = []): Promise<ResolvedSound | undefined> {
    return resolveSound(this.soundsDir, id, lang, preferredFormats);
  }

  #current(): Promise<Index> {
    this.#pending ??= this.#refresh().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #refresh(): Promise<Index> {
    const now = this.#now();
    const index = this.#index;
    if (index) {
      if (now - index.checkedAt < this.#recheckMs) return index;
      if (!index.racy && (await this.#unchanged(index))) {
        index.checkedAt = now;
        return index;
      }
    }
    const fresh = await new Scanner(this.#maxDepth).scan(this.soundsDir);
    fresh.checkedAt = now;
    this.#index = fresh;
    return fresh;
  }

  async #unchanged(index: Index): Promise<boolean> {
    const stamps = await Promise.all(index.witnesses.map((w) => statStamp(w.path)));
    return stamps.every((s, i) => s === index.witnesses[i]?.stamp);
  }
}

/** Languages in the order `fileexists_core` tries them: the language, then without each `_suffix`, none, then `en`. */
export function languageCandidates(lang: string | undefined): string[] {
  const out: string[] = [];
  let l = lang ?? '';
  while (l.length > 0) {
    out.push(l);
    const cut = l.lastIndexOf('_');
    if (cut === -1) break;
    l = l.slice(0, cut);
  }
  out.push('');
  if (!out.includes(DEFAULT_SOUND_LANGUAGE)) out.push(DEFAULT_SOUND_LANGUAGE);
  return out;
}

/** Where `fileexists_test` looks for a name in a language, without extension. */
function candidateBase(soundsDir: string, id: string, lang: string): string {
  if (path.isAbsolute(id)) {
    // Absolute names keep their directory; the language goes in before the file name (Asterisk's "old layout").
    return lang ? path.join(path.dirname(id), lang, path.basename(id)) : id;
  }
  return lang ? path.join(soundsDir, lang, id) : path.join(soundsDir, id);
}

/**
 * The file a `sound:<id>` playback in language `lang` opens, as Asterisk's `fileexists_core` finds it: the
 * first language in {@link languageCandidates} order with the sound in any known format wins, and within it
 * the first of `preferredFormats` that exists, else the best of the others. `id` may be a path under the
 * sounds directory (`digits/1`) or absolute. Undefined when there is no such sound.
 */
export async function resolveSound(
  soundsDir: string,
  id: string,
  lang: string | undefined,
  preferredFormats: readonly string[] = [],
): Promise<ResolvedSound | undefined> {
  if (id.length === 0 || id.includes('\0') || id.includes('://') || id.endsWith('/')) return undefined;
  for (const language of languageCandidates(lang)) {
    const base = candidateBase(soundsDir, id, language);
    const dir = path.dirname(base);
    const name = path.basename(base);
    let names: string[];
    try {
      names = (await fs.promises.readdir(dir)).filter((n) => n.startsWith(`${name}.`)).sort(strcmp);
    } catch {
      continue;
    }
    const available: { format: string; ext: string; path: string }[] = [];
    for (const n of names) {
      const ext = n.slice(name.length + 1);
      const format = formatForExtension(ext);
      if (!format || available.some((a) => a.format === format)) continue;
      const full = path.join(dir, n);
      try {
        if (!(await fs.promises.stat(full)).isFile()) continue;
      } catch {
        continue;
      }
      available.push({ format, ext, path: full });
    }
    if (available.length === 0) continue;
    const pick =
      [...preferredFormats, ...DEFAULT_FORMAT_PREFERENCE].map((f) => available.find((a) => a.format === f)).find((a) => a !== undefined) ??
      (available[0] as (typeof available)[number]);
    return { path: pick.path, format: pick.format, ext: pick.ext, language, available };
  }
  return undefined;
}
