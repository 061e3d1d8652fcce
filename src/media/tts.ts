/**
 * Text to speech for `tts:<text>` playbacks (not in Asterisk): the text is rendered offline by `espeak-ng`
 * (Debian's package of that name), converted to 8 kHz signed linear and kept in a cache, so the same text in
 * the same voice is rendered once.
 *
 * Safety: espeak-ng is started without a shell (`execFile`), the text goes through its standard input (never
 * the command line, so a text starting with `-` is only text), the voice name is checked against a strict
 * pattern, the text is bounded (`TTS_MAX_TEXT` characters) and a render that takes longer than the timeout is
 * killed. Every failure (no espeak-ng, unknown voice, timeout, unwritable cache) comes back as `undefined`,
 * which the caller reports as a failed playback; nothing here throws for bad input.
 *
 * Cache: `<cacheDir>/<sha256 of engine, voice, speed and text>.wav` (8 kHz PCM). Files are written to a
 * temporary name and renamed, so a reader never sees half a file; renders of the same key already under way are
 * shared.
 */

import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { slinEncode } from './codecs/slin.ts';
import { buildWavHeader, readWav } from './wav/wav.ts';
import { resampleRational } from './codecs/resample.ts';

/** Longest text rendered; longer texts fail (a playback is not a way to keep espeak-ng busy for an hour). */
export const TTS_MAX_TEXT = 4000;
/** How long one render may take. */
export const TTS_DEFAULT_TIMEOUT_MS = 30_000;
/** Words per minute espeak-ng accepts (its `-s` range). */
const MIN_SPEED = 80;
const MAX_SPEED = 450;
const VOICE = /^[A-Za-z0-9][A-Za-z0-9_+.\-]{0,63}$/;

export interface TtsRequest {
  readonly text: string;
  /** An espeak-ng voice (`en`, `en-us`, `fr`, `de+f3`). */
  readonly voice: string;
  /** Words per minute; espeak-ng's default (175) when absent. */
  readonly speed?: number;
}

export interface TtsOptions {
  /** Where rendered audio is kept (created on demand). */
  readonly cacheDir: string;
  /** The program to run (default `espeak-ng`); tests point it elsewhere. */
  readonly command?: string;
  readonly timeoutMs?: number;
}

export interface TtsResult {
  /** 8 kHz signed linear. */
  readonly samples: Int16Array;
  /** True when the audio came from the cache without running espeak-ng. */
  readonly cached: boolean;
}

/** The espeak-ng voice for an ARI language (`en` → `en`, `en_GB` → `en-gb`), or undefined when it cannot be one. */
export function voiceForLanguage(language: string): string | undefined {
  const v = language.trim().toLowerCase().replace(/_/g, '-');
  return VOICE.test(v) ? v : undefined;
}

/**
 * Parses what follows `tts:`: the text, then optional `;voice=<v>` and `;speed=<wpm>` at the end (only those
 * keys are taken as options, so other semicolons stay part of the text). `defaultVoice` applies without
 * `voice=` (`voiceGiven` tells which). Undefined for an empty or too long text, a bad voice name or an
 * out-of-range speed.
 *
 * @example parseTtsUri('Hello world;voice=en-us', 'en') // { text: 'Hello world', voice: 'en-us', voiceGiven: true }
 */
export function parseTtsUri(rest: string, defaultVoice: string): (TtsRequest & { readonly voiceGiven: boolean }) | undefined {
  let text = rest;
  let voice: string | undefined;
  let speed: number | undefined;
  for (;;) {
    const m = /;(voice|speed)=([^;]*)$/i.exec(text);
    if (!m) break;
    const key = (m[1] as string).toLowerCase();
    const value = (m[2] as string).trim();
    if (key === 'voice') {
      if (voice !== undefined || !VOICE.test(value)) return undefined;
      voice = value;
    } else {
      if (speed !== undefined || !/^\d+$/.test(value)) return undefined;
      speed = Number(value);
      if (speed < MIN_SPEED || speed > MAX_SPEED) return undefined;
    }
    text = text.slice(0, m.index);
  }
  if (text.trim() === '' || [...text].length > TTS_MAX_TEXT) return undefined;
  const v = voice ?? defaultVoice;
  if (!VOICE.test(v)) return undefined;
  return { text, voice: v, ...(speed !== undefined ? { speed } : {}), voiceGiven: voice !== undefined };
}

/** The cache directory used when none is configured. */
export function defaultTtsCacheDir(): string {
  return path.join(os.tmpdir(), 'ariadne-tts');
}

/** The cache file of a request. */
export function ttsCacheFile(request: TtsRequest, cacheDir: string): string {
  const key = createHash('sha256')
    .update(JSON.stringify(['espeak-ng', 8000, request.voice, request.speed ?? 0, request.text]))
    .digest('hex');
  return path.join(cacheDir, `${key}.wav`);
}

const pending = new Map<string, Promise<TtsResult | undefined>>();

/** Renders (or finds in the cache) the speech of a request; undefined when it cannot be had. */
export function renderTts(request: TtsRequest, options: TtsOptions): Promise<TtsResult | undefined> {
  if (request.text.trim() === '' || [...request.text].length > TTS_MAX_TEXT || !VOICE.test(request.voice)) return Promise.resolve(undefined);
  const file = ttsCacheFile(request, options.cacheDir);
  let p = pending.get(file);
  if (!p) {
    p = renderOrLoad(request, file, options).finally(() => pending.delete(file));
    pending.set(file, p);
  }
  return p;
}

async function renderOrLoad(request: TtsRequest, file: string, options: TtsOptions): Promise<TtsResult | undefined> {
  const cached = await readCached(file);
  if (cached) return { samples: cached, cached: true };
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
  } catch {
    return undefined;
  }
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const raw = `${tmp}.espeak.wav`;
  try {
    const ok = await runEspeak(request, raw, options);
    if (!ok) return undefined;
    const wav = readWav(await fs.promises.readFile(raw));
    const samples = resampleRational(wav.samples, wav.sampleRate, 8000);
    if (samples.length === 0) return undefined;
    const { header } = buildWavHeader({ encoding: 'pcm16', sampleRate: 8000, dataLength: samples.length * 2 });
    await fs.promises.writeFile(tmp, Buffer.concat([header, slinEncode(samples)]));
    await fs.promises.rename(tmp, file);
    return { samples, cached: false };
  } catch {
    return undefined;
  } finally {
    await fs.promises.rm(raw, { force: true }).catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
  }
}

async function readCached(file: string): Promise<Int16Array | undefined> {
  try {
    const wav = readWav(await fs.promises.readFile(file));
    return wav.sampleRate === 8000 && wav.samples.length > 0 ? wav.samples.slice() : undefined;
  } catch {
    return undefined; // absent, or damaged: render again
  }
}

/** Runs espeak-ng writing `out`; true when it exited cleanly. */
function runEspeak(request: TtsRequest, out: string, options: TtsOptions): Promise<boolean> {
  const args = ['-b', '1', '-v', request.voice, ...(request.speed !== undefined ? ['-s', String(request.speed)] : []), '-w', out, '--stdin'];
  return new Promise((resolve) => {
    let child: ReturnType<typeof execFile>;
    try {
      child = execFile(
        options.command ?? 'espeak-ng',
        args,
        { timeout: options.timeoutMs ?? TTS_DEFAULT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20, windowsHide: true },
        (err) => resolve(err === null),
      );
    } catch {
      resolve(false);
      return;
    }
    // A program that is missing or exits early closes the pipe; that is reported through the callback.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(request.text, 'utf8');
  });
}

