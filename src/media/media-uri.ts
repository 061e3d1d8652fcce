/**
 * Media URIs → engine sources. What `POST /channels/{id}/play`, `POST /bridges/{id}/play` and the dialplan's
 * media applications play is named by a URI (`sound:hello-world`, `tone:ring;tonezone=fr`, `digits:123`); this
 * module turns one URI into the `SourceSpec`s the media host plays. It reads files but holds no state of its
 * own, so every caller (ARI playbacks, dialplan applications, music on hold) resolves the same way.
 *
 * URIs:
 *  - `sound:<id>`: the file `resolveSound` finds under `<astdatadir>/sounds` in the playback's language (then
 *    without suffixes, none, `en`), decoded to a `buffer` source. A missing or unreadable file: undefined.
 *  - `tone:<indication or tone list>[;tonezone=<zone>]`: a `tone` source; named indications come from the `us`
 *    zone of Asterisk's indications.conf (built in for now; other zones fall back to it); raw specs
 *    (`350+440`, `!425/200,!0/200`) play as given. A tone without a finite end plays until stopped.
 *  - `digits:<digits>`: the digit sound files (`digits/0`…`digits/9`, `digits/star`, `digits/pound`), as
 *    Asterisk says them; a digit without a file is skipped.
 */

import path from 'node:path';
import type { SourceSpec } from './engine/protocol.ts';
import { formatForExtension } from './formats.ts';
import { resolveSound } from './sounds.ts';

/** Indications of the `us` zone (reference indications.conf). */
const US_TONES: Readonly<Record<string, string>> = {
  dial: '350+440',
  busy: '480+620/500,0/500',
  ring: '440+480/2000,0/4000',
  congestion: '480+620/250,0/250',
  callwaiting: '440/300,0/10000',
  dialrecall: '!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440',
  record: '1400/500,0/15000',
  info: '!950/330,!1400/330,!1800/330,0',
  stutter: '!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,!350+440/100,!0/100,350+440',
};

const DIGIT_SOUNDS: Readonly<Record<string, string>> = { '*': 'digits/star', '#': 'digits/pound', '-': 'digits/dash' };

/** The schemes `resolveMedia` plays. */
export const MEDIA_SCHEMES: ReadonlySet<string> = new Set(['sound', 'tone', 'digits']);

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
}

/**
 * The sources one URI plays (several for some schemes); undefined when its media cannot be found or its scheme
 * is not one of `MEDIA_SCHEMES`.
 */
export async function resolveMedia(uri: string, ctx: MediaContext): Promise<SourceSpec[] | undefined> {
  const scheme = mediaScheme(uri);
  const rest = uri.slice((scheme?.length ?? 0) + 1);
  const offsetMs = ctx.offsetMs ?? 0;
  switch (scheme) {
    case 'sound': {
      const samples = await readSound(ctx.soundsDir, rest, ctx.language);
      if (!samples) return undefined;
      return [{ type: 'buffer', samples, rate: 8000, ...(offsetMs > 0 ? { offsetMs } : {}) }];
    }
    case 'tone': {
      const [name = '', ...opts] = rest.split(';');
      void opts; // tonezone: only the `us` zone is built in for now
      const tones = US_TONES[name.trim()] ?? name.trim();
      if (!tones) return undefined;
      return [{ type: 'tone', tones }];
    }
    case 'digits': {
      const parts: Int16Array[] = [];
      for (const c of rest) {
        const id = DIGIT_SOUNDS[c] ?? (/^[0-9]$/.test(c) ? `digits/${c}` : undefined);
        if (!id) continue;
        const samples = await readSound(ctx.soundsDir, id, ctx.language);
        if (samples) parts.push(samples);
      }
      if (parts.length === 0) return undefined;
      return [{ type: 'buffer', samples: concatSamples(parts), rate: 8000 }];
    }
    default:
      return undefined;
  }
}

/** Joins sample arrays into one. */
export function concatSamples(parts: readonly Int16Array[]): Int16Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const all = new Int16Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** Decodes a sound at 8 kHz, or undefined when it does not exist or cannot be read. */
export async function readSound(soundsDir: string, id: string, lang: string): Promise<Int16Array | undefined> {
  const found = await resolveSound(soundsDir, id, lang, ['slin', 'ulaw', 'alaw']);
  if (!found) return undefined;
  const format = formatForExtension(found.ext);
  if (!format || format.sampleRate !== 8000) {
    // Prefer an 8 kHz file the sound also exists in.
    const alt = found.available.map((a) => formatForExtension(a.ext)).find((f) => f?.sampleRate === 8000);
    const altPath = found.available.find((a) => formatForExtension(a.ext) === alt)?.path;
    if (!alt || !altPath) return undefined;
    return alt.readFile(altPath);
  }
  return format.readFile(path.resolve(found.path));
}
