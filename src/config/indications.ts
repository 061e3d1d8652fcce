/**
 * indications.conf: tone zones, the call-progress tones (dial, busy, ring, congestion, ...) of each country.
 *
 * ARI's `tone:<name>[;tonezone=<zone>]` playbacks and the dialplan's PlayTones look their tones up here. The
 * file's layout is Asterisk's (`main/indications.c`):
 *
 * - `[general]` `country = us`: the zone used when nothing else names one;
 * - every other section is a zone named like the section (`[uk]`): `description` (required), `ringcadence`
 *   (on/off milliseconds of the bell, a comma list), and every other key is a named tone whose value is a tone
 *   list in Asterisk's syntax (`480+620/500,0/500`). A later key of the same name (case-insensitive) replaces
 *   the earlier one and moves to the end, as Asterisk's list does.
 *
 * As in Asterisk: a zone without a description or without any tone is not registered (warning); when
 * `country` is missing or names no registered zone, the first zone of the file is the default (warning); zone
 * and tone names compare case-insensitively. A tone list the engine cannot parse is kept (Asterisk stores it
 * as text too; a playback of it fails) but warned about here, where the user can see the line.
 *
 * Different from Asterisk: without the file (or without any usable zone in it) Ariadne keeps a built-in `us`
 * zone, so `tone:busy` always means something; Asterisk would have no zone at all and play nothing.
 */

import * as path from 'node:path';
import type { ConfDocument, ConfSection } from './parser.ts';
import { parseConfFile } from './parser.ts';
import { deepFreeze } from './freeze.ts';
import { concreteSections, DiagnosticList, warnUnknownOption } from './options.ts';
import type { Loaded } from './types.ts';
import { parseTones } from '../media/engine/source.ts';

/** One named tone of a zone. */
export interface ZoneTone {
  /** As written in the file. */
  readonly name: string;
  /** The tone list (`480+620/500,0/500`). */
  readonly data: string;
}

/** One country's tones. */
export interface ToneZone {
  /** The section name as written (`us`, `uk`). */
  readonly country: string;
  readonly description: string;
  /** Bell cadence in ms, on/off alternating. */
  readonly ringcadence: readonly number[];
  /** In the order Asterisk keeps them (file order; a redefined tone moves to the end). */
  readonly tones: readonly ZoneTone[];
}

export interface IndicationsConfig {
  /** Absolute path of the file, or undefined for the built-in zones. */
  readonly file: string | undefined;
  /** Registered zones in file order (Asterisk registers them in that order). */
  readonly zones: readonly ToneZone[];
  /** The default zone's country (always one of `zones`). */
  readonly defaultCountry: string;
}

/** The `us` zone, used when there is no indications.conf (the values of Asterisk's reference file). */
export const BUILTIN_US_ZONE: ToneZone = deepFreeze({
  country: 'us',
  description: 'United States / North America',
  ringcadence: [2000, 4000],
  tones: [
    { name: 'dial', data: '350+440' },
    { name: 'busy', data: '480+620/500,0/500' },
    { name: 'ring', data: '440+480/2000,0/4000' },
    { name: 'congestion', data: '480+620/250,0/250' },
    { name: 'callwaiting', data: '440/300,0/10000' },
    { name: 'dialrecall', data: '!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440' },
    { name: 'record', data: '1400/500,0/15000' },
    { name: 'info', data: '!950/330,!1400/330,!1800/330,0' },
    {
      name: 'stutter',
      data: '!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440',
    },
  ],
});

/** What applies without indications.conf. */
export const BUILTIN_INDICATIONS: IndicationsConfig = deepFreeze({ file: undefined, zones: [BUILTIN_US_ZONE], defaultCountry: 'us' });

/**
 * Loads `<etcDir>/indications.conf`. A missing file gives {@link BUILTIN_INDICATIONS} without a warning (the
 * built-in zone is a documented default, not a degraded mode).
 */
export function loadIndicationsConf(etcDir: string): Loaded<IndicationsConfig> {
  const file = path.resolve(etcDir, 'indications.conf');
  return readIndications(parseConfFile(file, { configDir: etcDir }));
}

/** Builds the zones from a parsed indications.conf (see the module comment for the rules). */
export function readIndications(doc: ConfDocument): Loaded<IndicationsConfig> {
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);
  if (!doc.found) return { value: BUILTIN_INDICATIONS, diagnostics: diagnostics.toArray() };

  const zones: ToneZone[] = [];
  let country: { value: string; at: { file: string; line: number } } | undefined;
  let generalAt: ConfSection | undefined;
  for (const section of concreteSections(doc)) {
    if (section.name.toLowerCase() === 'general') {
      generalAt ??= section;
      for (const entry of section.entries) {
        if (entry.key.toLowerCase() === 'country') country = { value: entry.value.trim(), at: entry };
        else warnUnknownOption(diagnostics, entry, section);
      }
      continue;
    }
    if (zones.some((z) => z.country.toLowerCase() === section.name.toLowerCase())) {
      // Asterisk reads a zone's keys from the first section of that name only.
      diagnostics.warn(section, `tone zone [${section.name}] is defined again; the first definition is used`);
      continue;
    }
    const zone = readZone(section, diagnostics);
    if (zone) zones.push(zone);
  }

  if (zones.length === 0) {
    diagnostics.warn({ file: doc.file, line: 0 }, `${path.basename(doc.file)} has no usable tone zone; using the built-in 'us' zone`);
    return { value: BUILTIN_INDICATIONS, diagnostics: diagnostics.toArray() };
  }
  const first = zones[0] as ToneZone;
  let defaultCountry = first.country;
  if (!country || country.value === '') {
    diagnostics.warn(generalAt ?? { file: doc.file, line: 0 }, `no default country in [general]; using '${first.country}', the first zone`);
  } else {
    const named = zones.find((z) => z.country.toLowerCase() === country.value.toLowerCase());
    if (named) defaultCountry = named.country;
    else diagnostics.warn(country.at, `default country '${country.value}' is not a tone zone of this file; using '${first.country}', the first zone`);
  }
  return { value: deepFreeze({ file: doc.file, zones, defaultCountry }), diagnostics: diagnostics.toArray() };
}

function readZone(section: ConfSection, diagnostics: DiagnosticList): ToneZone | undefined {
  let description = '';
  const ringcadence: number[] = [];
  const tones: ZoneTone[] = [];
  for (const entry of section.entries) {
    const key = entry.key.toLowerCase();
    if (key === 'description') {
      description = entry.value;
      continue;
    }
    if (key === 'ringcadence') {
      for (const part of entry.value.split(',')) {
        const p = part.trim();
        if (/^\d+$/.test(p)) ringcadence.push(Number(p));
        else diagnostics.warn(entry, `invalid ringcadence value '${p}' in [${section.name}]; skipped`);
      }
      continue;
    }
    if (entry.key === '' || entry.value === '') continue; // Asterisk ignores an empty name or tone list
    try {
      parseTones(entry.value);
    } catch (err) {
      diagnostics.warn(entry, `tone '${entry.key}' of zone [${section.name}] is not a valid tone list (${(err as Error).message}); playing it will fail`);
    }
    const i = tones.findIndex((t) => t.name.toLowerCase() === key);
    if (i >= 0) tones.splice(i, 1);
    tones.push({ name: entry.key, data: entry.value });
  }
  if (description === '' || tones.length === 0) {
    diagnostics.warn(section, `tone zone [${section.name}] needs a description and at least one tone; ignored`);
    return undefined;
  }
  return { country: section.name, description, ringcadence, tones };
}

/** The zone called `country` (case-insensitive), if registered. */
export function findToneZone(config: IndicationsConfig, country: string): ToneZone | undefined {
  const lower = country.toLowerCase();
  return config.zones.find((z) => z.country.toLowerCase() === lower);
}

/** The default zone. */
export function defaultToneZone(config: IndicationsConfig): ToneZone {
  return findToneZone(config, config.defaultCountry) ?? config.zones[0] ?? BUILTIN_US_ZONE;
}

/** The tone list of the indication `name` in `zone` (case-insensitive), if it has one. */
export function findZoneTone(zone: ToneZone, name: string): string | undefined {
  const lower = name.toLowerCase();
  return zone.tones.find((t) => t.name.toLowerCase() === lower)?.data;
}
