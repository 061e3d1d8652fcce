/**
 * Media console commands, in the layouts of Asterisk's `main/codec.c`, `main/file.c`, `main/translate.c` and
 * `main/indications.c`:
 *
 * - `core show codecs [audio|video|image|text]`: the codecs of `codecs/registry.ts`, with Asterisk's ids and
 *   quality values, in the order Asterisk's codec container iterates (hash bucket of the name, then
 *   registration order). Like Asterisk, slin16 is the codec `slin` at 16 kHz with the cached format `slin16`.
 * - `core show file formats`: the file formats of `formats.ts` (format, name, extensions).
 * - `core show translation [recalc [<seconds>]|comp [<seconds>]|paths <codec> [<rate>]]`: the translation
 *   cost matrix over Ariadne's translators (G.711 ↔ slin, slin 8 ↔ 16 kHz; G.711 to G.711 goes through slin,
 *   Asterisk has a direct a-law/µ-law translator), table costs computed by Asterisk's rule and paths found by
 *   its relaxation. `comp` shows computational costs (µs per second of audio) measured here, on this machine.
 * - `indication show [<country> ...]`: tone zones from indications.conf.
 */

import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../../media/codecs/g711.ts';
import { codecs as codecRegistry, type Codec, type CodecName } from '../../media/codecs/registry.ts';
import { resample } from '../../media/codecs/resample.ts';
import { fileFormats, type FileFormat } from '../../media/formats.ts';
import { astStrHash } from '../../media/sounds.ts';
import { findToneZone, type IndicationsConfig } from '../../config/indications.ts';
import { CommandFailure, UsageError } from '../registry.ts';
import type { CommandRegistry } from '../registry.ts';

// --- codecs -----------------------------------------------------------------------------------------------------

/** A codec as Asterisk's codec table shows it. */
export interface CodecRow {
  /** Asterisk's id (registration order of `codec_builtin.c`). */
  readonly id: number;
  readonly type: 'audio';
  /** Asterisk's codec name (`slin` for every signed-linear rate). */
  readonly name: string;
  /** The cached format's name (`slin16`). */
  readonly format: CodecName;
  readonly sampleRate: number;
  readonly quality: number;
  readonly description: string;
}

/** Asterisk's ids and quality values for the codecs Ariadne has. */
const ASTERISK_CODECS: Readonly<Record<CodecName, { id: number; name: string; quality: number }>> = {
  ulaw: { id: 3, name: 'ulaw', quality: 100 },
  alaw: { id: 4, name: 'alaw', quality: 100 },
  slin: { id: 9, name: 'slin', quality: 115 },
  slin16: { id: 11, name: 'slin', quality: 116 },
};

/** Buckets of Asterisk's codec container (`CODEC_BUCKETS`). */
const CODEC_BUCKETS = 53;

/** Ariadne's codecs by Asterisk id. */
export function codecRows(registry: ReadonlyMap<CodecName, Codec> = codecRegistry): CodecRow[] {
  const rows: CodecRow[] = [];
  for (const codec of registry.values()) {
    const a = ASTERISK_CODECS[codec.name];
    rows.push({ id: a.id, type: 'audio', name: a.name, format: codec.name, sampleRate: codec.sampleRate, quality: a.quality, description: codec.description });
  }
  return rows.sort((x, y) => x.id - y.id);
}

/** `core show codecs`; `filter` is the optional media type word. */
export function formatCodecs(rows: readonly CodecRow[], filter?: string): string {
  let out = 'Disclaimer: this command is for informational purposes only.\n\tIt does not indicate anything about your configuration.\n';
  out += `${'ID'.padStart(8)} ${'TYPE'.padEnd(5)} ${'NAME'.padEnd(12)} ${'FORMAT'.padEnd(16)} ${'QUALITY'.padStart(7)} DESCRIPTION\n`;
  out += `${'-'.repeat(96)}\n`;
  // Asterisk walks its hash container: by bucket of the name, then in registration order within a bucket.
  const ordered = [...rows].sort((a, b) => (astStrHash(a.name) % CODEC_BUCKETS) - (astStrHash(b.name) % CODEC_BUCKETS) || a.id - b.id);
  for (const r of ordered) {
    if (filter !== undefined && filter.toLowerCase() !== r.type) continue;
    out += `${String(r.id).padStart(8)} ${r.type.padEnd(5)} ${r.name.padEnd(12)} ${r.format.padEnd(16)} ${String(r.quality).padStart(7)} (${r.description})\n`;
  }
  return out;
}

// --- file formats -----------------------------------------------------------------------------------------------

/** `core show file formats`. */
export function formatFileFormats(formats: readonly FileFormat[] = fileFormats): string {
  const line = (a: string, b: string, c: string) => `${a.padEnd(10)} ${b.padEnd(10)} ${c.padEnd(20)}\n`;
  let out = line('Format', 'Name', 'Extensions') + line('------', '----', '----------');
  for (const f of formats) out += line(f.codec, f.name, f.extensions.join('|'));
  return `${out}${formats.length} file formats registered.\n`;
}

// --- translation ------------------------------------------------------------------------------------------------

/** A one-step conversion the engine does, and how to run it on one second of audio (to time it). */
export interface Translator {
  readonly src: CodecName;
  readonly dst: CodecName;
  /** Converts `seconds` of a test signal; returns something so the work is not optimised away. */
  run(seconds: number): number;
}

function testSignal(rate: number, seconds: number): Int16Array {
  const out = new Int16Array(rate * seconds);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(8000 * Math.sin((2 * Math.PI * 1004 * i) / rate));
  return out;
}

/** The engine's translators: G.711 to and from slin, and slin between 8 and 16 kHz. */
export const ENGINE_TRANSLATORS: readonly Translator[] = [
  { src: 'ulaw', dst: 'slin', run: (s) => ulawDecode(ulawEncode(testSignal(8000, s))).length },
  { src: 'slin', dst: 'ulaw', run: (s) => ulawEncode(testSignal(8000, s)).length },
  { src: 'alaw', dst: 'slin', run: (s) => alawDecode(alawEncode(testSignal(8000, s))).length },
  { src: 'slin', dst: 'alaw', run: (s) => alawEncode(testSignal(8000, s)).length },
  { src: 'slin', dst: 'slin16', run: (s) => resample(testSignal(8000, s), 8000, 16000).length },
  { src: 'slin16', dst: 'slin', run: (s) => resample(testSignal(16000, s), 16000, 8000).length },
];

/** `generate_table_cost`: Asterisk's cost of a step from lossless/lossy and the rate change. */
export function tableCost(src: CodecRow, dst: CodecRow): number {
  const srcLl = src.name === 'slin';
  const dstLl = dst.name === 'slin';
  const cmp = Math.sign(src.sampleRate - dst.sampleRate); // 0 same, -1 up, 1 down
  if (srcLl) {
    if (cmp === 0) return dstLl ? 400000 : 600000;
    if (cmp < 0) return dstLl ? 800000 : 825000;
    return dstLl ? 850000 : 875000;
  }
  if (cmp === 0) return dstLl ? 900000 : 915000;
  if (cmp < 0) return dstLl ? 930000 : 945000;
  return dstLl ? 960000 : 975000;
}

interface Cell {
  /** The first step's translator (index into translators), or -1 without a path. */
  step: number;
  tableCost: number;
  compCost: number;
}

/** The cost matrix over the codecs (by row index), built as Asterisk's `matrix_rebuild` does. */
export class TranslationMatrix {
  readonly rows: readonly CodecRow[];
  readonly translators: readonly Translator[];
  readonly #cells: Cell[][];
  readonly #compCosts: number[];

  constructor(rows: readonly CodecRow[], translators: readonly Translator[], compCosts: readonly number[]) {
    this.rows = rows;
    this.translators = translators;
    this.#compCosts = [...compCosts];
    const n = rows.length;
    this.#cells = Array.from({ length: n }, () => Array.from({ length: n }, () => ({ step: -1, tableCost: 0, compCost: 0 })));
    translators.forEach((t, i) => {
      const x = this.index(t.src);
      const z = this.index(t.dst);
      const cell = this.#cells[x]?.[z];
      if (!cell || x < 0 || z < 0) return;
      const cost = tableCost(rows[x] as CodecRow, rows[z] as CodecRow);
      const comp = this.#compCosts[i] ?? 0;
      if (cell.step === -1 || cost < cell.tableCost || comp < cell.compCost) Object.assign(cell, { step: i, tableCost: cost, compCost: comp });
    });
    // Relax through intermediate formats until nothing changes (multi-step paths keep no computational cost).
    for (let changed = true; changed; ) {
      changed = false;
      for (let x = 0; x < n; x++) {
        for (let y = 0; y < n; y++) {
          if (x === y) continue;
          for (let z = 0; z < n; z++) {
            const xy = this.cell(x, y);
            const yz = this.cell(y, z);
            const xz = this.cell(x, z);
            if (z === x || z === y || xy.step === -1 || yz.step === -1) continue;
            const cost = xy.tableCost + yz.tableCost;
            if (xz.step === -1 || cost < xz.tableCost) {
              Object.assign(xz, { step: xy.step, tableCost: cost });
              changed = true;
            }
          }
        }
      }
    }
  }

  index(format: CodecName): number {
    return this.rows.findIndex((r) => r.format === format);
  }

  cell(x: number, z: number): Cell {
    return (this.#cells[x] as Cell[])[z] as Cell;
  }

  /** The formats a conversion goes through, `src` first and `dst` last; [] without a path. */
  path(x: number, z: number): CodecRow[] {
    const out: CodecRow[] = [];
    let at = x;
    for (let guard = 0; at !== z && guard <= this.rows.length; guard++) {
      const cell = this.cell(at, z);
      if (cell.step === -1) return out.length === 0 ? [] : [...out, this.rows[z] as CodecRow];
      const t = this.translators[cell.step] as Translator;
      out.push(this.rows[this.index(t.src)] as CodecRow);
      at = this.index(t.dst);
    }
    return [...out, this.rows[z] as CodecRow];
  }
}

/** Times each translator on `seconds` of audio: µs per second of audio (Asterisk's computational cost). */
export function measureCompCosts(translators: readonly Translator[], seconds = 1): number[] {
  return translators.map((t) => {
    t.run(seconds); // warm up
    const start = process.hrtime.bigint();
    t.run(seconds);
    const us = Number(process.hrtime.bigint() - start) / 1000;
    return Math.max(1, Math.round(us / seconds));
  });
}

/** The width Asterisk gives a column: the name (slin with its kHz), at least 5. */
function columnWidth(r: CodecRow): number {
  const len = r.name === 'slin' ? r.name.length + Math.floor(Math.log10(r.sampleRate / 1000) + 1) : r.name.length;
  return Math.max(5, len);
}

function rowLabel(r: CodecRow): string {
  return r.name === 'slin' ? `${r.name}${r.sampleRate / 1000}` : r.name;
}

/** `core show translation` (and `comp`): the cost table, sources as rows. */
export function formatTranslationTable(matrix: TranslationMatrix, mode: 'table' | 'comp' = 'table'): string {
  const rows = matrix.rows;
  const longest = Math.max(7, ...rows.map((r) => r.name.length));
  let out = '         Translation times between formats (in microseconds) for one second of data\n';
  out += '          Source Format (Rows) Destination Format (Columns)\n\n';
  let line = ` ${''.padStart(longest)}`;
  for (const col of rows) line += rowLabel(col).padStart(columnWidth(col) + 1);
  out += `${line}\n`;
  rows.forEach((row, x) => {
    let l = ` ${rowLabel(row).padStart(longest)}`;
    rows.forEach((col, y) => {
      const width = columnWidth(col) + 1;
      const cell = matrix.cell(x, y);
      let text = '-';
      if (x !== y && cell.step !== -1) {
        if (mode === 'comp') text = cell.compCost === 0 || cell.compCost === 999999 ? '-' : String(cell.compCost);
        else text = String(Math.floor(cell.tableCost / 100));
      }
      l += text.padStart(width);
    });
    out += `${l}\n`;
  });
  return out;
}

/** `core show translation paths <codec> [<rate>]`; undefined when no such codec. */
export function formatTranslationPaths(matrix: TranslationMatrix, codec: string, rate = 0): string | undefined {
  const src = matrix.rows.find((r) => r.name === codec && (rate === 0 || r.sampleRate === rate));
  if (!src) return undefined;
  const x = matrix.rows.indexOf(src);
  let out = `--- Translation paths SRC Codec "${codec}" sample rate ${src.sampleRate} ---\n`;
  const cut = (s: string, w: number) => s.slice(0, w).padEnd(w);
  matrix.rows.forEach((dst, z) => {
    if (z === x) return;
    const steps = matrix.path(x, z).map((r) => `(${r.name}@${r.sampleRate})`).join('->');
    out += `\t${cut(`${src.name}:${src.sampleRate}`, 16)} To ${cut(`${dst.name}:${dst.sampleRate}`, 16)}: ${cut(steps, 60)}\n`;
  });
  return out;
}

// --- indications ------------------------------------------------------------------------------------------------

/** Buckets of Asterisk's tone zone container (`NUM_TONE_ZONE_BUCKETS`). */
const ZONE_BUCKETS = 53;

/** `indication show [<country> ...]`. */
export function formatIndications(config: IndicationsConfig, countries: readonly string[] = []): string {
  if (countries.length === 0) {
    // Asterisk's zone container hashes names case-insensitively; within a bucket, registration order.
    const bucket = (c: string) => astStrHash(c.toLowerCase()) % ZONE_BUCKETS;
    const zones = config.zones.map((z, i) => ({ z, i })).sort((a, b) => bucket(a.z.country) - bucket(b.z.country) || a.i - b.i);
    let out = 'Country   Description\n===========================\n';
    for (const { z } of zones) out += `${z.country.slice(0, 7).padEnd(7)}  ${z.description}\n`;
    return `${out}===========================\nDefault tone zone: ${config.defaultCountry}\n`;
  }
  let out = '';
  for (const name of countries) {
    const zone = findToneZone(config, name);
    if (!zone) continue;
    if (out === '') out = 'Country Indication      PlayList\n=====================================\n';
    const country = zone.country.slice(0, 7).padEnd(7);
    out += `${country} ${'<ringcadence>'.padEnd(15)} ${zone.ringcadence.join(',')}\n`;
    for (const t of zone.tones) out += `${country} ${t.name.slice(0, 15).padEnd(15)} ${t.data}\n`;
  }
  return out === '' ? 'No countries matched your criteria.\n' : out;
}

// --- registration -----------------------------------------------------------------------------------------------

export interface MediaCommandDeps {
  /** The loaded tone zones (they change on reload). */
  readonly indications: () => IndicationsConfig;
}

/** Registers the media commands. Returns a function that removes them. */
export function registerMediaCommands(registry: CommandRegistry, deps: MediaCommandDeps): () => void {
  const rows = codecRows();
  let compCosts: number[] | undefined;
  const matrix = (recalcSeconds?: number): TranslationMatrix => {
    if (recalcSeconds !== undefined || !compCosts) compCosts = measureCompCosts(ENGINE_TRANSLATORS, recalcSeconds ?? 1);
    return new TranslationMatrix(rows, ENGINE_TRANSLATORS, compCosts);
  };
  const removers = [
    registry.register({
      words: ['core', 'show', 'codecs'],
      display: 'core show codecs [audio|video|image|text]',
      usage: 'core show codecs [audio|video|image|text]',
      summary: 'Displays a list of registered codecs',
      description: 'Displays codec mapping',
      handler: ({ args, write }) => {
        if (args.length > 1) throw new UsageError();
        write(formatCodecs(rows, args[0]));
      },
      complete: (args, word) => (args.length === 0 ? ['audio', 'video', 'image', 'text'].filter((w) => w.startsWith(word.toLowerCase())) : []),
    }),
    registry.register({
      words: ['core', 'show', 'file', 'formats'],
      usage: 'core show file formats',
      summary: 'Displays file formats',
      description: 'Displays currently registered file formats (if any).',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        write(formatFileFormats());
      },
    }),
    registry.register({
      words: ['core', 'show', 'translation'],
      usage: "core show translation [recalc [<recalc seconds>]]\ncore show translation paths [codec [sample_rate]]\ncore show translation comp [<recalc seconds>]",
      summary: 'Display translation matrix',
      description:
        'Shows the cost of converting between codecs (sources as rows), the steps a\n' +
        'conversion from one codec takes (paths), or the measured computational costs\n' +
        'in microseconds per second of audio (comp; recalc measures again).',
      handler: ({ args, write }) => {
        if (args.length > 3) throw new UsageError();
        const option = args[0]?.toLowerCase();
        if (option === 'paths' && args.length >= 2) {
          let rate = 0;
          if (args.length === 3) {
            const m = /^\s*(\d+)/.exec(args[2] as string);
            if (!m) throw new CommandFailure(`Invalid sample rate: ${args[2]}.`);
            rate = Number(m[1]);
          }
          const text = formatTranslationPaths(matrix(), args[1] as string, rate);
          if (text === undefined) throw new CommandFailure(`Source codec "${args[1]}" is not found.`);
          write(text);
          return;
        }
        if (option === 'recalc' || option === 'comp') {
          let seconds = args[1] !== undefined ? Number.parseInt(args[1], 10) || 0 : 1;
          let note = '';
          if (seconds <= 0) {
            note += '         Recalc must be greater than 0.  Defaulting to 1.\n';
            seconds = 1;
          }
          if (seconds > 1000) {
            note += `         Maximum limit of recalc exceeded by ${seconds - 1000}, truncating value to 1000\n`;
            seconds = 1000;
          }
          // Measuring 1000 s of audio per translator would stall the console; a few seconds tell as much.
          note += `         Recalculating Codec Translation (number of sample seconds: ${seconds})\n\n`;
          write(note + formatTranslationTable(matrix(Math.min(seconds, 5)), option === 'comp' ? 'comp' : 'table'));
          return;
        }
        if (args.length > 0) throw new UsageError();
        write(formatTranslationTable(matrix()));
      },
      complete: (args, word) => (args.length === 0 ? ['recalc', 'paths', 'comp'].filter((w) => w.startsWith(word.toLowerCase())) : args[0] === 'paths' && args.length === 1 ? [...new Set(rows.map((r) => r.name))].filter((n) => n.startsWith(word)) : []),
    }),
    registry.register({
      words: ['indication', 'show'],
      display: 'indication show [<country> ...]',
      usage: 'indication show [<country> ...]',
      summary: 'Display a list of all countries/indications',
      description: 'Display either a condensed summary of all countries and indications, or a\nmore verbose list of indications for the specified countries.',
      handler: ({ args, write }) => write(formatIndications(deps.indications(), args)),
      complete: (_args, word) => deps.indications().zones.map((z) => z.country).filter((c) => c.toLowerCase().startsWith(word.toLowerCase())),
    }),
  ];
  return () => {
    for (const remove of removers) remove();
  };
}
