/**
 * Media URI resolution by content: the sound files numbers, digits and characters are said with (Asterisk's
 * say.c word lists) and the audio they join to (lengths of Debian's real files); tone zones from a written
 * indications.conf, checked by Goertzel on the tone source the engine builds; stored recordings with unsafe names
 * refused; speech rendered by espeak-ng (non-silent, plausible length, cached) and its failures.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MEDIA_SCHEMES,
  characterSoundCandidates,
  characterSoundIds,
  digitSoundIds,
  findStoredRecording,
  isSafeMediaName,
  numberSoundIds,
  parseNumberUri,
  readSound,
  resolveMedia,
  resolveToneUri,
  type MediaContext,
} from './media-uri.ts';
import { createSource } from './engine/source.ts';
import type { SourceSpec } from './engine/protocol.ts';
import { goertzelAmplitude, rms, sine } from './dsp/goertzel.ts';
import { loadIndicationsConf } from '../config/indications.ts';
import { formatByName } from './formats.ts';
import { parseTtsUri, renderTts, TTS_MAX_TEXT } from './tts.ts';
import { resampleRational } from './codecs/resample.ts';

const DEBIAN_SOUNDS = '/usr/share/asterisk/sounds';

let tmp: string;
let ctx: MediaContext;

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-media-uri-'));
  ctx = { soundsDir: DEBIAN_SOUNDS, language: 'en', cacheDir: path.join(tmp, 'cache'), recordingsDir: path.join(tmp, 'recording') };
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The one buffer a URI resolves to. */
async function buffer(uri: string, c: MediaContext = ctx): Promise<Int16Array> {
  const sources = await resolveMedia(uri, c);
  assert.ok(sources, `${uri} resolved`);
  assert.equal(sources.length, 1);
  const s = sources[0] as SourceSpec;
  assert.equal(s.type, 'buffer');
  return (s as Extract<SourceSpec, { type: 'buffer' }>).samples;
}

async function lengthOf(ids: readonly string[]): Promise<number> {
  let n = 0;
  for (const id of ids) {
    const s = await readSound(DEBIAN_SOUNDS, id, 'en');
    assert.ok(s, `${id} exists`);
    n += s.length;
  }
  return n;
}

/** `ms` of a tone source, from its start. */
function render(tones: string, ms: number): Int16Array {
  const src = createSource({ type: 'tone', tones });
  const out = new Int16Array((ms / 20) * 160);
  const frame = new Int16Array(160);
  for (let i = 0; i < ms / 20; i++) {
    assert.ok(src.read(frame));
    out.set(frame, i * 160);
  }
  return out;
}

describe('number:', () => {
  const d = (...xs: (number | string)[]) => xs.map((x) => `digits/${x}`);
  it('says numbers with the files and word order of Asterisk (English)', () => {
    assert.deepEqual(numberSoundIds(0), d(0));
    assert.deepEqual(numberSoundIds(7), d(7));
    assert.deepEqual(numberSoundIds(13), d(13));
    assert.deepEqual(numberSoundIds(20), d(20));
    assert.deepEqual(numberSoundIds(21), d(20, 1));
    assert.deepEqual(numberSoundIds(100), d(1, 'hundred'));
    assert.deepEqual(numberSoundIds(115), d(1, 'hundred', 15));
    assert.deepEqual(numberSoundIds(1000), d(1, 'thousand'));
    assert.deepEqual(numberSoundIds(1234), d(1, 'thousand', 2, 'hundred', 30, 4));
    assert.deepEqual(numberSoundIds(1000000), d(1, 'million'));
    assert.deepEqual(numberSoundIds(-5), d('minus', 5));
    assert.deepEqual(numberSoundIds(2_000_345_019), d(2, 'billion', 3, 'hundred', 40, 5, 'thousand', 19));
    assert.deepEqual(numberSoundIds(-2147483648), d('minus'));
    assert.equal(numberSoundIds(2147483647), undefined);
    assert.equal(numberSoundIds(2 ** 31), undefined);
    assert.equal(numberSoundIds(1.5), undefined);
  });

  it('British English says "and"', () => {
    assert.deepEqual(numberSoundIds(115, 'en_GB'), ['digits/1', 'digits/hundred', 'vm-and', 'digits/15']);
    assert.deepEqual(numberSoundIds(1005, 'en_GB'), ['digits/1', 'digits/thousand', 'vm-and', 'digits/5']);
    assert.deepEqual(numberSoundIds(1234, 'en_GB'), ['digits/1', 'digits/thousand', 'digits/2', 'digits/hundred', 'vm-and', 'digits/30', 'digits/4']);
    assert.equal(numberSoundIds(1_000_000_000, 'en_GB'), undefined);
  });

  it('reads the argument like %d, with options after ;', () => {
    assert.deepEqual(parseNumberUri('42'), { value: 42 });
    assert.deepEqual(parseNumberUri(' -7abc'), { value: -7 });
    assert.deepEqual(parseNumberUri('+3;f'), { value: 3, options: 'f' });
    assert.equal(parseNumberUri('abc'), undefined);
    assert.equal(parseNumberUri(''), undefined);
    assert.equal(parseNumberUri('99999999999'), undefined);
  });

  it('number:1234 is one buffer as long as its files together', async () => {
    const samples = await buffer('number:1234');
    assert.equal(samples.length, await lengthOf(numberSoundIds(1234) as string[]));
    assert.ok(rms(samples) > 300, 'speech, not silence');
  });

  it('an unreadable number or a missing file fails', async () => {
    assert.equal(await resolveMedia('number:twelve', ctx), undefined);
    const empty = fs.mkdtempSync(path.join(tmp, 'nosounds-'));
    assert.equal(await resolveMedia('number:5', { ...ctx, soundsDir: empty }), undefined);
  });
});

describe('digits: and characters:', () => {
  it('digits as ast_say_digit_str names them', () => {
    assert.deepEqual(digitSoundIds('1*#-x9'), ['digits/1', 'digits/star', 'digits/pound', 'digits/minus', 'digits/9']);
  });

  it('characters: letters (any case), digits and punctuation, with the ascii fallback', () => {
    assert.deepEqual(characterSoundIds('aB3.@ ?'), [
      'letters/a',
      'letters/b',
      'digits/3',
      'letters/dot',
      'letters/at',
      'letters/space',
      'letters/ascii63',
    ]);
    assert.deepEqual(characterSoundCandidates('!'), [['letters/exclaimation-point', 'letters/ascii33']]);
    assert.deepEqual(characterSoundCandidates('%')[0], ['letters/%', 'letters/ascii37']);
    assert.deepEqual(characterSoundIds('aB', 'upper'), ['letters/a', 'uppercase', 'letters/b']);
    assert.deepEqual(characterSoundIds('aB', 'all'), ['lowercase', 'letters/a', 'uppercase', 'letters/b']);
  });

  it('characters:a?z plays letters/a, letters/ascii63 and letters/z joined', async () => {
    const samples = await buffer('characters:a?z');
    assert.equal(samples.length, await lengthOf(['letters/a', 'letters/ascii63', 'letters/z']));
  });

  it('characters without a file are skipped; nothing sayable fails', async () => {
    assert.equal((await buffer('characters:a\u00e9')).length, await lengthOf(['letters/a']));
    assert.equal(await resolveMedia('characters:\u00e9', ctx), undefined);
    assert.equal(await resolveMedia('digits:abc', ctx), undefined);
  });

  it('digits:-1 says minus, one', async () => {
    assert.equal((await buffer('digits:-1')).length, await lengthOf(['digits/minus', 'digits/1']));
  });
});

describe('tone: zones', () => {
  let etc: string;
  before(() => {
    etc = fs.mkdtempSync(path.join(tmp, 'etc-'));
    fs.writeFileSync(
      path.join(etc, 'indications.conf'),
      [
        '[general]',
        'country = fr',
        '[uk]',
        'description = United Kingdom',
        'busy = 400/375,0/375',
        'ring = 400+450/400,0/200,400+450/400,0/2000',
        '[fr]',
        'description = France',
        'busy = 440/500,0/500',
        'dial = 440',
        '',
      ].join('\n'),
    );
  });

  it('tone:busy;tonezone=uk plays the UK zone (400 Hz), not the default (440 Hz)', async () => {
    const { value: indications, diagnostics } = loadIndicationsConf(etc);
    assert.deepEqual(diagnostics, []);
    const sources = await resolveMedia('tone:busy;tonezone=uk', { ...ctx, indications });
    assert.deepEqual(sources, [{ type: 'tone', tones: '400/375,0/375' }]);
    const audio = render('400/375,0/375', 360); // within the first "on" part
    const a400 = goertzelAmplitude(audio, 400, 8000);
    assert.ok(a400 > 3000, `400 Hz at ${a400}`);
    assert.ok(a400 > 20 * goertzelAmplitude(audio, 440, 8000));
    assert.ok(a400 > 20 * goertzelAmplitude(audio, 480, 8000));
    assert.ok(a400 > 20 * goertzelAmplitude(audio, 620, 8000));
  });

  it('without tonezone: the channel zone, then the default country; unknown zones fall back', () => {
    const { value: indications } = loadIndicationsConf(etc);
    assert.equal(resolveToneUri('busy', { indications }), '440/500,0/500'); // country = fr
    assert.equal(resolveToneUri('busy', { indications, toneZone: 'UK' }), '400/375,0/375');
    assert.equal(resolveToneUri('busy;tonezone=zz', { indications }), '440/500,0/500');
    assert.equal(resolveToneUri('BUSY;tonezone=Uk', { indications }), '400/375,0/375');
    // A name no zone has plays as a tone list; the uk zone has no dial tone, so the raw word is tried and fails.
    assert.equal(resolveToneUri('dial;tonezone=uk', { indications }), undefined);
    assert.equal(resolveToneUri('425/200,0/200;tonezone=uk', { indications }), '425/200,0/200');
    assert.equal(resolveToneUri('busy;volume=3', { indications }), undefined);
    // Without indications: the built-in us zone.
    assert.equal(resolveToneUri('ring', {}), '440+480/2000,0/4000');
  });

  it('the ring tone of a zone has its frequencies', () => {
    const { value: indications } = loadIndicationsConf(etc);
    const tones = resolveToneUri('ring;tonezone=uk', { indications }) as string;
    const audio = render(tones, 400);
    assert.ok(goertzelAmplitude(audio, 400, 8000) > 3000);
    assert.ok(goertzelAmplitude(audio, 450, 8000) > 3000);
    assert.ok(goertzelAmplitude(audio, 480, 8000) < 1000);
  });
});

describe('recording:', () => {
  before(() => {
    const dir = path.join(tmp, 'recording', 'sub');
    fs.mkdirSync(dir, { recursive: true });
    const w = formatByName('wav')?.createWriter(path.join(dir, 'greeting.wav'));
    assert.ok(w);
    w.append(sine(1000, 8000, 4000));
    w.close();
    // A file beside the recordings dir that `..` would reach.
    const w2 = formatByName('wav')?.createWriter(path.join(tmp, 'secret.wav'));
    w2?.append(sine(500, 8000, 800));
    w2?.close();
  });

  it('plays a stored recording in a subdirectory', async () => {
    const samples = await buffer('recording:sub/greeting');
    assert.equal(samples.length, 4000);
    assert.ok(goertzelAmplitude(samples, 1000, 8000) > 6000);
  });

  it('refuses names outside the recordings dir and missing recordings', async () => {
    assert.equal(await resolveMedia('recording:../secret', ctx), undefined);
    assert.equal(await resolveMedia('recording:sub/../../secret', ctx), undefined);
    assert.equal(await resolveMedia(`recording:${path.join(tmp, 'secret')}`, ctx), undefined);
    assert.equal(await resolveMedia('recording:nope', ctx), undefined);
    assert.equal(await resolveMedia('recording:sub/greeting', { soundsDir: ctx.soundsDir, language: 'en' }), undefined);
    assert.equal(isSafeMediaName('a/b'), true);
    for (const bad of ['', '..', 'a/../b', '/abs', './a', 'a//b', 'a\0b']) assert.equal(isSafeMediaName(bad), false, bad);
    assert.equal(await findStoredRecording(path.join(tmp, 'recording'), '../secret'), undefined);
  });
});

describe('tts:', () => {
  it('renders speech with espeak-ng, then hits the cache', async () => {
    const c = { ...ctx, cacheDir: path.join(tmp, 'tts-cache') };
    const t0 = Date.now();
    const first = await buffer('tts:Hello world', c);
    const ms = (first.length * 1000) / 8000;
    assert.ok(ms > 400 && ms < 4000, `${ms} ms of speech`);
    assert.ok(rms(first) > 300, `rms ${rms(first)}`);
    const files = fs.readdirSync(path.join(c.cacheDir, 'tts'));
    assert.equal(files.length, 1, files.join(','));
    // The second render needs no program at all: it comes from the cache.
    const second = await buffer('tts:Hello world', { ...c, ttsCommand: path.join(tmp, 'no-such-program') });
    assert.deepEqual(second, first);
    assert.ok(Date.now() - t0 < 10_000);
    // Another voice is another entry.
    await buffer('tts:Hello world;voice=en-us', c);
    assert.equal(fs.readdirSync(path.join(c.cacheDir, 'tts')).length, 2);
  });

  it('fails cleanly without the program, with an unknown voice, a bad option or too much text', async () => {
    const c = { ...ctx, cacheDir: path.join(tmp, 'tts-fail') };
    assert.equal(await resolveMedia('tts:nothing here', { ...c, ttsCommand: path.join(tmp, 'no-such-program') }), undefined);
    assert.equal(await resolveMedia('tts:hello;voice=zz-nonexistent', c), undefined);
    assert.equal(await resolveMedia('tts:hello;voice=-w', c), undefined);
    assert.equal(await resolveMedia('tts:hello;speed=5', c), undefined);
    assert.equal(await resolveMedia('tts:   ', c), undefined);
    assert.equal(await resolveMedia(`tts:${'a'.repeat(TTS_MAX_TEXT + 1)}`, c), undefined);
    assert.equal(await renderTts({ text: 'x', voice: '; rm -rf /' }, { cacheDir: c.cacheDir }), undefined);
  });

  it('a voice from the language falls back to English; options are only the trailing voice= and speed=', async () => {
    const samples = await buffer('tts:hello', { ...ctx, language: 'en_US_f_Allison', cacheDir: path.join(tmp, 'tts-lang') });
    assert.ok(rms(samples) > 300);
    assert.deepEqual(parseTtsUri('a;b;voice=fr;speed=120', 'en'), { text: 'a;b', voice: 'fr', speed: 120, voiceGiven: true });
    assert.deepEqual(parseTtsUri('x;colour=red', 'de'), { text: 'x;colour=red', voice: 'de', voiceGiven: false });
  });

  it('a text that looks like options is spoken, not obeyed', async () => {
    const samples = await buffer('tts:--version', { ...ctx, cacheDir: path.join(tmp, 'tts-opt') });
    assert.ok(rms(samples) > 300);
  });

  it('resampling 22050 → 8000 Hz keeps the voice band and removes what would alias', () => {
    const tone = sine(1000, 22050, 22050);
    const out = resampleRational(tone, 22050, 8000);
    assert.equal(out.length, 8000);
    const mid = out.subarray(1000, 7000);
    assert.ok(Math.abs(goertzelAmplitude(mid, 1000, 8000) - 8000) < 400, `1 kHz kept at ${goertzelAmplitude(mid, 1000, 8000)}`);
    const high = resampleRational(sine(6000, 22050, 22050), 22050, 8000).subarray(1000, 7000);
    assert.ok(goertzelAmplitude(high, 2000, 8000) < 80, `6 kHz aliased to 2 kHz at ${goertzelAmplitude(high, 2000, 8000)}`);
  });
});

it('every scheme is playable', () => {
  assert.deepEqual([...MEDIA_SCHEMES].sort(), ['characters', 'digits', 'number', 'recording', 'sound', 'tone', 'tts']);
});
