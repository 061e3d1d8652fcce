/**
 * Media URIs → engine sources. What `POST /channels/{id}/play`, `POST /bridges/{id}/play` and the dialplan's
 * media applications play is named by a URI (`sound:hello-world`, `tone:ring;tonezone=fr`, `digits:123`); this
 * module turns one URI into the `SourceSpec`s the media host plays. It reads files but holds no state of its
 * own, so every caller (ARI playbacks, dialplan applications, music on hold) resolves the same way.
 *
 * One URI is one playback item (ARI's PlaybackContinuing is per URI), so schemes that say several files
 * (`digits:`, `number:`, `characters:`) join them into one buffer. URIs:
 *  - `sound:<id>`: the file `resolveSound` finds under `<astdatadir>/sounds` in the playback's language (then
 *    without suffixes, none, `en`), decoded to a `buffer` source. A missing or unreadable file: undefined.
 *  - `recording:<name>`: a stored recording, `<recordingsDir>/<name>.<ext>` in any file format (formats.ts),
 *    at its own rate. Names with `..`, empty or `.` segments, or absolute names: undefined (never outside
 *    the directory).
 *  - `tone:<indication or tone list>[;tonezone=<zone>]`: a `tone` source. A name is looked up in the zone
 *    given, else in the channel's zone (`toneZone`), else in the default zone of indications.conf; a zone that
 *    is not loaded falls back the same way (Asterisk does too). A name no zone knows is played as a tone list
 *    (`350+440`, `!425/200,!0/200`), as in Asterisk; one that does not parse: undefined. Any other `;` option:
 *    undefined (Asterisk fails it too). A tone without a finite end plays until stopped.
 *  - `digits:<digits>`: `digits/0`…`digits/9`, `digits/star`, `digits/pound`, `digits/minus` as Asterisk's
 *    `ast_say_digit_str` says them; characters without a file are skipped.
 *  - `number:<n>[;<options>]`: `n` said as a number (`ast_say_number`): English word order (`en_GB` adds
 *    "and"), e.g. 1234 → 1, thousand, 2, hundred, 30, 4. `n` is read like Asterisk's `%d` (leading spaces, a
 *    sign, digits; the rest ignored) and must be a 32-bit integer. Options (a gender such as `f`) are passed
 *    on for languages that use them; English does not. Any file of the number missing: undefined.
 *  - `characters:<text>`: letters, digits and punctuation as `ast_say_character_str` says them (`letters/a`,
 *    `letters/dot`, `letters/ascii63` for `?`, ...); characters without a file are skipped.
 *  - `tts:<text>[;voice=<v>][;speed=<wpm>]` (Ariadne only): speech rendered by espeak-ng (see tts.ts); the
 *    voice defaults to the playback's language.
 * `digits:` and `characters:` with nothing sayable are undefined (a failed playback), where Asterisk would
 * finish at once without a sound.
 */

import fs from 'node:fs';
import path from 'node:path';
import type { SourceSpec } from './engine/protocol.ts';
import { parseTones } from './engine/source.ts';
import { concatSamples, type SampleRate } from './engine/frame.ts';
import { fileFormats, formatForExtension } from './formats.ts';
import type { FileFormat } from './formats.ts';
import { resolveSound } from './sounds.ts';
import { BUILTIN_INDICATIONS, defaultToneZone, findToneZone, findZoneTone } from '../config/indications.ts';
import type { IndicationsConfig } from '../config/indications.ts';
import { defaultTtsCacheDir, parseTtsUri, renderTts, voiceForLanguage } from './tts.ts';

/** The schemes `resolveMedia` plays. */
export const MEDIA_SCHEMES: ReadonlySet<string> = new Set(['sound', 'recording', 'tone', 'digits', 'number', 'characters', 'tts']);

export function mediaScheme(uri: string): string | undefined {
  const i = uri.indexOf(':');
  return i > 0 ? uri.slice(0, i) : undefined;
}

/** Where files are and how a URI is played. */
export interface MediaContext {
  /** `<astdatadir>/sounds`. */
  readonly soundsDir: string;
  /** The language sounds are looked up in first. */
  readonly language: string;
  /** Start this far into the media (only sources that can seek honour it). */
  readonly offsetMs?: number;
  /** `<astspooldir>/recording`: where `recording:` names live. Without it `recording:` URIs fail. */
  readonly recordingsDir?: string;
  /** Loaded tone zones (indications.conf); the built-in `us` zone without it. */
  readonly indications?: IndicationsConfig;
  /** The channel's tone zone, when it has one (Asterisk's CHANNEL(tonezone)). */
  readonly toneZone?: string;
  /** `<astcachedir>`: rendered speech goes to `<cacheDir>/tts` (the system temp dir without it). */
  readonly cacheDir?: string;
  /** The speech program (default `espeak-ng`); tests use it to simulate a missing one. */
  readonly ttsCommand?: string;
}

/** The per-server part of a {@link MediaContext} (directories, tone zones), as the composition root hands it out. */
export type MediaEnvironment = Omit<MediaContext, 'soundsDir' | 'language' | 'offsetMs'>;

/**
 * The sources one URI plays (several for some schemes); undefined when its media cannot be found or its scheme
 * is not one of `MEDIA_SCHEMES`.
 */
export async function resolveMedia(uri: string, ctx: MediaContext): Promise<SourceSpec[] | undefined> {
  const scheme = mediaScheme(uri);
  const rest = uri.slice((scheme?.length ?? 0) + 1);
  const offsetMs = ctx.offsetMs ?? 0;
  const seek = offsetMs > 0 ? { offsetMs } : {};
  const said = (samples: Int16Array | undefined): SourceSpec[] | undefined => (samples ? [{ type: 'buffer', samples, rate: 8000 }] : undefined);
  switch (scheme) {
    case 'sound': {
      const samples = await readSound(ctx.soundsDir, rest, ctx.language);
      if (!samples) return undefined;
      return [{ type: 'buffer', samples: owned(samples), rate: 8000, ...seek }];
    }
    case 'recording': {
      const found = ctx.recordingsDir === undefined ? undefined : await findStoredRecording(ctx.recordingsDir, rest);
      if (!found) return undefined;
      const samples = await found.format.readFile(found.path).catch(() => undefined);
      if (!samples) return undefined;
      return [{ type: 'buffer', samples: owned(samples), rate: found.format.sampleRate as SampleRate, ...seek }];
    }
    case 'tone': {
      const tones = resolveToneUri(rest, ctx);
      return tones === undefined ? undefined : [{ type: 'tone', tones }];
    }
    case 'digits':
      return said(await readSoundSequence(digitSoundIds(rest), ctx, { skipMissing: true }));
    case 'number': {
      const parsed = parseNumberUri(rest);
      const ids = parsed && numberSoundIds(parsed.value, ctx.language, parsed.options);
      return ids ? said(await readSoundSequence(ids, ctx, { skipMissing: false })) : undefined;
    }
    case 'characters':
      return said(await readSoundSequence(characterSoundCandidates(rest), ctx, { skipMissing: true }));
    case 'tts': {
      const derived = voiceForLanguage(ctx.language) ?? 'en';
      const request = parseTtsUri(rest, derived);
      if (!request) return undefined;
      const cacheDir = ctx.cacheDir !== undefined ? path.join(ctx.cacheDir, 'tts') : defaultTtsCacheDir();
      const options = { cacheDir, ...(ctx.ttsCommand !== undefined ? { command: ctx.ttsCommand } : {}) };
      // A voice named in the URI is used or fails; one taken from the language (`en_US_f_Allison`) falls back
      // to its first part, then to English, since espeak-ng knows no such voice.
      const voices = request.voiceGiven ? [request.voice] : [...new Set([derived, derived.split('-')[0] as string, 'en'])];
      for (const voice of voices) {
        const { text, speed } = request;
        const result = await renderTts({ text, voice, ...(speed !== undefined ? { speed } : {}) }, options);
        // A copy per playback: renders are shared by concurrent requests, and a worker port takes the buffer.
        if (result) return [{ type: 'buffer', samples: result.samples.slice(), rate: 8000, ...seek }];
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

// --- say: numbers, digits, characters -----------------------------------------------------------------------

/** The sound files `ast_say_digit_str` plays for a digit string (`*` star, `#` pound, `-` minus; others skipped). */
export function digitSoundIds(text: string): string[] {
  const out: string[] = [];
  for (const c of text) {
    if (c >= '0' && c <= '9') out.push(`digits/${c}`);
    else if (c === '*') out.push('digits/star');
    else if (c === '#') out.push('digits/pound');
    else if (c === '-') out.push('digits/minus');
  }
  return out;
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;

/**
 * The sound files `ast_say_number` plays for `n` (a 32-bit integer) in `lang`: English (`en`, and every
 * language without its own grammar here, as Asterisk's default), or British English (`en_GB`, with `vm-and`).
 * `options` is the gender/case option string of languages that have one (ignored by these two). Undefined when
 * Asterisk cannot say the number (not an integer in range; `en_GB` from a billion up).
 *
 * @example numberSoundIds(1234) // ['digits/1', 'digits/thousand', 'digits/2', 'digits/hundred', 'digits/30', 'digits/4']
 */
export function numberSoundIds(n: number, lang = 'en', options?: string): string[] | undefined {
  void options;
  if (!Number.isInteger(n) || n < INT_MIN || n > INT_MAX) return undefined;
  if (n === 0) return ['digits/0'];
  const british = lang.toLowerCase().startsWith('en_gb');
  const out: string[] = [];
  const ok = british ? sayBritish(n, out) : sayEnglish(n, out);
  return ok ? out : undefined;
}

/** `get_number_str_en`. */
function sayEnglish(num: number, out: string[]): boolean {
  if (num < 0) {
    out.push('digits/minus');
    // Asterisk cannot negate INT_MIN and says only "minus".
    if (num === INT_MIN) return true;
    num = -num;
  }
  if (num === INT_MAX) return false; // "too big" in Asterisk (its test is `num < INT_MAX`)
  const groups: [number, string][] = [
    [1_000_000_000, 'digits/billion'],
    [1_000_000, 'digits/million'],
    [1000, 'digits/thousand'],
  ];
  for (const [size, word] of groups) {
    if (num >= size) {
      sayEnglish(Math.floor(num / size), out);
      out.push(word);
      num %= size;
    }
  }
  if (num >= 100) {
    out.push(`digits/${Math.floor(num / 100)}`, 'digits/hundred');
    num %= 100;
  }
  if (num >= 20) {
    out.push(`digits/${Math.floor(num / 10) * 10}`);
    num %= 10;
  }
  if (num > 0) out.push(`digits/${num}`);
  return true;
}

/** `ast_say_number_full_en_GB`: English with "and" after hundreds, and before a last group under 100. */
function sayBritish(num: number, out: string[]): boolean {
  if (num < 0) {
    out.push('digits/minus');
    if (num === INT_MIN) return true;
    num = -num;
  }
  if (num >= 1_000_000_000) return false;
  for (const [size, word] of [[1_000_000, 'digits/million'], [1000, 'digits/thousand']] as const) {
    if (num >= size) {
      if (!sayBritish(Math.floor(num / size), out)) return false;
      out.push(word);
      num %= size;
      if (num > 0 && num < 100) out.push('vm-and');
    }
  }
  if (num >= 100) {
    out.push(`digits/${Math.floor(num / 100)}`, 'digits/hundred');
    num %= 100;
    if (num > 0) out.push('vm-and');
  }
  if (num >= 20) {
    out.push(`digits/${Math.floor(num / 10) * 10}`);
    num %= 10;
  }
  if (num > 0) out.push(`digits/${num}`);
  return true;
}

/** Reads `number:`'s argument as Asterisk's `sscanf("%d")` does, plus the options after `;`. */
export function parseNumberUri(rest: string): { value: number; options?: string } | undefined {
  const semi = rest.indexOf(';');
  const text = semi === -1 ? rest : rest.slice(0, semi);
  const m = /^[ \t\n\r\f\v]*([+-]?\d+)/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  if (!Number.isSafeInteger(value) || value < INT_MIN || value > INT_MAX) return undefined;
  const options = semi === -1 ? '' : rest.slice(semi + 1).trim();
  return options ? { value, options } : { value };
}

/** How `characters:` and SayAlpha treat letter case (`ast_say_case_sensitivity`). */
export type SayCase = 'none' | 'upper' | 'lower' | 'all';

const CHARACTER_SOUNDS: Readonly<Record<string, string>> = {
  '*': 'digits/star',
  '#': 'digits/pound',
  '!': 'letters/exclaimation-point',
  '@': 'letters/at',
  $: 'letters/dollar',
  '-': 'letters/dash',
  '.': 'letters/dot',
  '=': 'letters/equals',
  '+': 'letters/plus',
  '/': 'letters/slash',
  ' ': 'letters/space',
};

/** One sound of a character string: the files to try in order, and the one a sound pack normally has. */
interface CharacterSound {
  readonly candidates: readonly [string, string];
  readonly usual: string;
}

function characterSounds(text: string, sensitivity: SayCase): CharacterSound[] {
  const out: CharacterSound[] = [];
  const add = (id: string, fallback: string) => out.push({ candidates: [id, fallback], usual: id });
  for (const c of text) {
    const fallback = `letters/ascii${c.codePointAt(0) as number}`;
    const named = CHARACTER_SOUNDS[c];
    const upper = c >= 'A' && c <= 'Z';
    const lower = c >= 'a' && c <= 'z';
    if (named) add(named, fallback);
    else if (c >= '0' && c <= '9') add(`digits/${c}`, fallback);
    else if (upper || lower) {
      if (upper && (sensitivity === 'upper' || sensitivity === 'all')) add('uppercase', fallback);
      if (lower && (sensitivity === 'lower' || sensitivity === 'all')) add('lowercase', fallback);
      add(`letters/${c.toLowerCase()}`, fallback);
    } else {
      // Asterisk tries `letters/<the character>` first; sound packs name these files by their code instead.
      out.push({ candidates: [`letters/${c}`, fallback], usual: fallback });
    }
  }
  return out;
}

/**
 * What `ast_say_character_str` tries for each sound it says, in order: the named file, then
 * `letters/ascii<code>` (how `?`, `%`, `(`... are said). With `upper`/`all`, an upper-case letter is preceded
 * by `uppercase`, with `lower`/`all` a lower-case one by `lowercase`. Play the first candidate of each entry
 * that exists, and skip the entry when none does.
 */
export function characterSoundCandidates(text: string, sensitivity: SayCase = 'none'): string[][] {
  return characterSounds(text, sensitivity).map((s) => [...s.candidates]);
}

/**
 * The file each sound of a character string is normally said with (`'Ab?'` → `letters/a`, `letters/b`,
 * `letters/ascii63`); {@link characterSoundCandidates} has the fallbacks.
 */
export function characterSoundIds(text: string, sensitivity: SayCase = 'none'): string[] {
  return characterSounds(text, sensitivity).map((s) => s.usual);
}

/**
 * Reads and joins sound files (8 kHz) in order; an entry may list alternatives (the first that exists wins).
 * With `skipMissing`, entries without any file are left out (undefined when nothing is left); without it, a
 * missing entry makes the whole sequence undefined.
 */
export async function readSoundSequence(
  items: readonly (string | readonly string[])[],
  ctx: Pick<MediaContext, 'soundsDir' | 'language'>,
  options: { readonly skipMissing: boolean },
): Promise<Int16Array | undefined> {
  const parts: Int16Array[] = [];
  for (const item of items) {
    let samples: Int16Array | undefined;
    for (const id of typeof item === 'string' ? [item] : item) {
      samples = await readSound(ctx.soundsDir, id, ctx.language);
      if (samples) break;
    }
    if (samples) parts.push(samples);
    else if (!options.skipMissing) return undefined;
  }
  return parts.length === 0 ? undefined : concatSamples(parts);
}

// --- tones ----------------------------------------------------------------------------------------------------

/**
 * The tone list `tone:<rest>` plays (see the module comment for the zone rules), or undefined when the URI is
 * malformed or names neither an indication nor a valid tone list.
 */
export function resolveToneUri(rest: string, ctx: Pick<MediaContext, 'indications' | 'toneZone'>): string | undefined {
  // As Asterisk's parse_tone_uri: the first `;` ends the indication; what follows must be `tonezone=`.
  const semi = rest.indexOf(';');
  const name = (semi === -1 ? rest : rest.slice(0, semi)).trim();
  let zoneName: string | undefined;
  if (semi !== -1) {
    const option = rest.slice(semi + 1);
    if (option !== '') {
      if (!option.startsWith('tonezone=')) return undefined;
      zoneName = option.slice('tonezone='.length).trim();
    }
  }
  if (name === '') return undefined;
  const config = ctx.indications ?? BUILTIN_INDICATIONS;
  const zone =
    (zoneName ? findToneZone(config, zoneName) : undefined) ?? (ctx.toneZone ? findToneZone(config, ctx.toneZone) : undefined) ?? defaultToneZone(config);
  const tones = findZoneTone(zone, name) ?? name;
  try {
    parseTones(tones);
  } catch {
    return undefined;
  }
  return tones;
}

// --- stored recordings ----------------------------------------------------------------------------------------

/** True when `name` stays inside the directory it is looked up in (no absolute path, `..`, `.` or empty segments). */
export function isSafeMediaName(name: string): boolean {
  if (name === '' || name.includes('\0') || name.startsWith('/') || path.isAbsolute(name)) return false;
  return name.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}

/** Lossless and native-rate formats first: the engine mixes signed linear. */
const RECORDING_FORMAT_PREFERENCE: readonly FileFormat['name'][] = ['wav16', 'sln16', 'wav', 'sln', 'pcm', 'alaw'];

/**
 * The file of the stored recording `name` under `dir`: `<dir>/<name>.<ext>` with an extension of a known
 * format (several formats: the best by {@link RECORDING_FORMAT_PREFERENCE}). Undefined for an unsafe name or
 * when there is none.
 */
export async function findStoredRecording(dir: string, name: string): Promise<{ path: string; format: FileFormat } | undefined> {
  if (!isSafeMediaName(name)) return undefined;
  const base = path.join(dir, name);
  const parent = path.dirname(base);
  const stem = path.basename(base);
  let entries: string[];
  try {
    entries = await fs.promises.readdir(parent);
  } catch {
    return undefined;
  }
  const found: { path: string; format: FileFormat }[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(`${stem}.`)) continue;
    const format = formatForExtension(entry.slice(stem.length + 1));
    if (!format) continue;
    const full = path.join(parent, entry);
    try {
      if (!(await fs.promises.stat(full)).isFile()) continue;
    } catch {
      continue;
    }
    found.push({ path: full, format });
  }
  const rank = (f: FileFormat) => {
    const i = RECORDING_FORMAT_PREFERENCE.indexOf(f.name);
    return i === -1 ? RECORDING_FORMAT_PREFERENCE.length + fileFormats.indexOf(f) : i;
  };
  found.sort((a, b) => rank(a.format) - rank(b.format) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return found[0];
}

// --- files ------------------------------------------------------------------------------------------------------

export { concatSamples };

/**
 * `samples` on a buffer of its own: decoders carve small arrays out of a shared slab (codecs/pool.ts), and a
 * source handed to a worker must not take the slab with it.
 */
function owned(samples: Int16Array): Int16Array {
  return samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength ? samples : samples.slice();
}

/** Decodes a sound at 8 kHz, or undefined when it does not exist or cannot be read. */
export async function readSound(soundsDir: string, id: string, lang: string): Promise<Int16Array | undefined> {
  const found = await resolveSound(soundsDir, id, lang, ['slin', 'ulaw', 'alaw']);
  if (!found) return undefined;
  try {
    const format = formatForExtension(found.ext);
    if (!format || format.sampleRate !== 8000) {
      // Prefer an 8 kHz file the sound also exists in.
      const alt = found.available.map((a) => formatForExtension(a.ext)).find((f) => f?.sampleRate === 8000);
      const altPath = found.available.find((a) => formatForExtension(a.ext) === alt)?.path;
      if (!alt || !altPath) return undefined;
      return await alt.readFile(altPath);
    }
    return await format.readFile(path.resolve(found.path));
  } catch {
    return undefined; // a corrupt or unreadable file is a failed playback, not an exception
  }
}
