/**
 * Media URI schemes over real sockets, heard on the far side: `number:42` and `characters:ab` play exactly the
 * joined core sound files (the audio tapped on the Local peer matches them, and the playback lasts as long as
 * they do), `tts:hello` plays speech rendered by espeak-ng, `tone:ring;tonezone=uk` has the UK zone's
 * frequencies (from the test tree's indications.conf), and `recording:` plays a stored recording while a name
 * reaching outside the recordings directory fails.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEBIAN_EN, MediaApp, playbackEvent, sleep, type Json } from '../helpers/media-app.ts';
import { goertzelAmplitude, rms, sine } from '../../src/media/dsp/goertzel.ts';
import { formatByName } from '../../src/media/formats.ts';
import { concatSamples } from '../../src/media/media-uri.ts';

const APP = 'media-uris';

let fx: MediaApp;
let ev: MediaApp['ev'];
let srv: MediaApp['srv'];

before(async () => {
  fx = await MediaApp.start(APP, {
    files: {
      'indications.conf': '[general]\ncountry = us\n[us]\ndescription = US\nring = 440+480/2000,0/4000\n[uk]\ndescription = UK\nring = 400+450/400,0/200,400+450/400,0/2000\n',
    },
  });
  ev = fx.ev;
  srv = fx.srv;
});
after(() => fx.stop());

const call = (method: string, pathAndQuery: string) => fx.call(method, pathAndQuery);
const pair = () => fx.pair('mu-chan');

/** Samples of a core sound file (8 kHz 16-bit WAV). */
function soundSamples(id: string): Int16Array {
  return formatByName('wav')!.readFileSync(path.join(DEBIAN_EN, `${id}.wav`));
}

/**
 * Plays `uri` on ;2 and records what ;1 hears until PlaybackFinished (or, with `stopAfterMs`, until then).
 * Returns the audio, the playback's final state and how long it played (PlaybackStarted → Finished).
 */
async function playAndListen(uri: string, id: string, stopAfterMs?: number): Promise<{ heard: Int16Array; state: unknown; playedMs: number }> {
  const { one, two } = await pair();
  const ear = fx.tap(one, 'in');
  try {
    assert.equal((await call('POST', `/channels/${two}/play/${id}?media=${encodeURIComponent(uri)}`)).status, 201);
    await ev.next(playbackEvent('PlaybackStarted', id), 10_000);
    const started = Date.now();
    if (stopAfterMs !== undefined) {
      await sleep(stopAfterMs);
      assert.equal((await call('DELETE', `/playbacks/${id}`)).status, 204);
    }
    const fin = await ev.next(playbackEvent('PlaybackFinished', id), 10_000);
    const playedMs = Date.now() - started;
    // A few more frames so the last ones cross the Local hop.
    await sleep(120);
    return { heard: ear.stop(), state: (fin.playback as Json).state, playedMs };
  } finally {
    ear.stop();
    await call('DELETE', `/channels/${one}`);
  }
}

/** Where `needle` starts in `hay` (exact sample match of its first 400 samples), or -1. */
function findExact(hay: Int16Array, needle: Int16Array): number {
  const probe = Math.min(400, needle.length);
  outer: for (let i = 0; i + probe <= hay.length; i++) {
    for (let j = 0; j < probe; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** The expected audio is heard whole: found in place, then equal sample by sample (slin end to end, no codec). */
function assertHeard(heard: Int16Array, expected: Int16Array): void {
  // Skip the leading silence both may have; anchor at the first clearly audible stretch of the expected audio.
  let anchor = 0;
  while (anchor < expected.length && Math.abs(expected[anchor] as number) < 200) anchor++;
  const at = findExact(heard, expected.subarray(anchor));
  assert.ok(at >= 0, 'the joined sound files are heard sample for sample');
  const got = heard.subarray(at, at + expected.length - anchor);
  assert.equal(got.length, expected.length - anchor, `heard ${got.length} of ${expected.length - anchor} samples`);
  let mismatches = 0;
  for (let i = 0; i < got.length; i++) if (got[i] !== expected[anchor + i]) mismatches++;
  assert.equal(mismatches, 0);
}

describe('media URI schemes', () => {
  for (const [uri, files, what] of [
    ['number:42', ['digits/40', 'digits/2'], '"forty" and "two"'],
    ['characters:ab', ['letters/a', 'letters/b'], 'letters/a then letters/b'],
  ] as const) {
    it(`${uri} is ${what}, for as long as the files`, async () => {
      const expected = concatSamples(files.map(soundSamples));
      const expectedMs = (expected.length * 1000) / 8000;
      const { heard, state, playedMs } = await playAndListen(uri, `mu-${uri.replace(':', '-')}`);
      assert.equal(state, 'done');
      assert.ok(Math.abs(playedMs - expectedMs) < 300, `played ${playedMs} ms, files are ${expectedMs} ms`);
      assertHeard(heard, expected);
    });
  }

  it('tts:hello plays speech from espeak-ng', async () => {
    const { heard, state, playedMs } = await playAndListen('tts:hello', 'mu-tts');
    assert.equal(state, 'done');
    assert.ok(playedMs > 200 && playedMs < 3000, `played ${playedMs} ms`);
    assert.ok(rms(heard) > 300, `rms ${rms(heard)}`);
    // The rendering was cached under astcachedir.
    assert.equal(fs.readdirSync(path.join(srv.dir, 'cache', 'tts')).filter((f) => f.endsWith('.wav')).length, 1);
  });

  it('tone:ring;tonezone=uk rings at 400+450 Hz, not the default zone 440+480 Hz', async () => {
    const { heard, state } = await playAndListen('tone:ring;tonezone=uk', 'mu-tone', 350);
    assert.equal(state, 'stopped');
    // The first "on" part is 400 ms long: look inside it.
    let start = 0;
    while (start < heard.length && Math.abs(heard[start] as number) < 500) start++;
    const on = heard.subarray(start + 80, start + 80 + 1600);
    assert.equal(on.length, 1600);
    const a400 = goertzelAmplitude(on, 400, 8000);
    const a450 = goertzelAmplitude(on, 450, 8000);
    assert.ok(a400 > 2000 && a450 > 2000, `400 Hz ${a400}, 450 Hz ${a450}`);
    assert.ok(goertzelAmplitude(on, 480, 8000) < a400 / 10, 'no 480 Hz of the us ring');
  });

  it('recording: plays a stored recording; a name outside the recordings dir fails', async () => {
    const dir = path.join(srv.dir, 'spool', 'recording');
    fs.mkdirSync(dir, { recursive: true });
    const w = formatByName('wav')!.createWriter(path.join(dir, 'stored-tone.wav'));
    w.append(sine(1000, 8000, 4000));
    w.close();
    fs.copyFileSync(path.join(dir, 'stored-tone.wav'), path.join(srv.dir, 'spool', 'outside.wav'));
    const { heard, state } = await playAndListen('recording:stored-tone', 'mu-rec');
    assert.equal(state, 'done');
    assert.ok(goertzelAmplitude(heard, 1000, 8000) > 1000);
    const bad = await playAndListen('recording:../outside', 'mu-rec-bad');
    assert.equal(bad.state, 'failed');
    assert.ok(bad.playedMs < 500);
  });
});
