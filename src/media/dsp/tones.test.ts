import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ParseError } from '../../shared/errors.ts';
import { goertzelAmplitude, rms } from './goertzel.ts';
import { DEFAULT_TONE_AMPLITUDE, ToneGenerator, midiNoteHz, parseTones, renderTones } from './tones.ts';
import { REFERENCE_CONFIG_DIR } from '../../../test/helpers/reference.ts';

/** Amplitude of `freq` over [fromMs, toMs) of a signal. */
function level(pcm: Int16Array, freq: number, fromMs: number, toMs: number, rate = 8000): number {
  return goertzelAmplitude(pcm, freq, rate, Math.round((fromMs * rate) / 1000), Math.round((toMs * rate) / 1000));
}

const A = DEFAULT_TONE_AMPLITUDE;
const near = (v: number, want: number, tol = 0.05): boolean => Math.abs(v - want) <= want * tol;

describe('indications tone syntax', () => {
  it('parses the forms Asterisk accepts', () => {
    assert.deepEqual(parseTones('350+440'), { parts: [{ freq1: 350, freq2: 440, durationMs: 0, modulate: false, once: false }], repeatFrom: 0 });
    assert.deepEqual(parseTones('480+620/500,0/500').parts.map((p) => [p.freq1, p.freq2, p.durationMs]), [
      [480, 620, 500],
      [0, 0, 500],
    ]);
    const info = parseTones('!950/330,!1400/330,!1800/330,0');
    assert.equal(info.repeatFrom, 3);
    assert.deepEqual(info.parts.map((p) => p.once), [true, true, true, false]);
    const mod = parseTones('425*25/1000');
    assert.equal(mod.parts[0]?.modulate, true);
    assert.equal(mod.parts[0]?.freq2, 25);
    assert.deepEqual(parseTones('M69+M81/100').parts[0], { freq1: 440, freq2: 880, durationMs: 100, modulate: false, once: false });
    assert.equal(parseTones('M60').parts[0]?.freq1, 261);
    assert.equal(parseTones('!440/100|!0/100').repeatFrom, -1, "'|' separates too; all parts once");
    assert.equal(parseTones(' 440/100 , 0/100 ,').parts.length, 2, 'spaces around parts and a trailing separator');
  });

  it('MIDI notes map to Hz as Asterisk rounds them', () => {
    assert.deepEqual([0, 1, 21, 60, 69, 81, 127].map(midiNoteHz), [8, 8, 27, 261, 440, 880, 12543]);
    assert.equal(midiNoteHz(128), 0);
  });

  it('rejects malformed parts with the offset of the part', () => {
    for (const [text, offset] of [
      ['350+440,abc', 8],
      ['350+', 0],
      ['440/', 0],
      ['M60+440', 0],
      ['', 0],
      [',,', 0],
    ] as const) {
      assert.throws(
        () => parseTones(text),
        (e: unknown) => e instanceof ParseError && e.offset === offset,
        text,
      );
    }
  });

  it('parses every tone of the shipped indications.conf', () => {
    const file = path.join(REFERENCE_CONFIG_DIR, 'indications.conf');
    assert.ok(fs.existsSync(file), `${file} is missing (shared/ must lie beside the repository)`);
    let count = 0;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      const m = /^\s*(\w+)\s*=\s*([^;]+)/.exec(line);
      if (m === null || ['country', 'description', 'ringcadence', 'alias'].includes(m[1] ?? '')) continue;
      const seq = parseTones((m[2] ?? '').trim());
      assert.ok(seq.parts.length > 0, line);
      count++;
    }
    assert.ok(count >= 9, `${count} tones`);
  });
});

describe('ToneGenerator', () => {
  it('dial tone 350+440 is both frequencies at the configured level, forever', () => {
    const g = new ToneGenerator('350+440');
    const pcm = new Int16Array(8000);
    for (let i = 0; i < 50; i++) pcm.set(g.next(160), i * 160);
    assert.ok(near(level(pcm, 350, 0, 1000), A));
    assert.ok(near(level(pcm, 440, 0, 1000), A));
    assert.ok(level(pcm, 1000, 0, 1000) < A * 0.01);
    assert.equal(g.done, false);
  });

  it('busy 480+620/500,0/500 has an exact cadence across 20 ms frames', () => {
    const g = new ToneGenerator('480+620/500,0/500');
    const pcm = new Int16Array(8000 * 3);
    for (let i = 0; i < 150; i++) pcm.set(g.next(160), i * 160);
    for (let cycle = 0; cycle < 3; cycle++) {
      const on = cycle * 1000;
      assert.ok(near(level(pcm, 480, on + 10, on + 490), A), `cycle ${cycle} on`);
      assert.ok(near(level(pcm, 620, on + 10, on + 490), A));
      assert.equal(rms(pcm, (on + 500) * 8, (on + 1000) * 8), 0, `cycle ${cycle} off`);
    }
    // The edges fall exactly at 500 ms: the last on sample is non-silent nearby, the first off sample is 0.
    assert.ok(rms(pcm, 3990, 4000) > 1000);
    assert.equal(pcm[4000], 0);
  });

  it('! parts play once, then the sequence repeats from the first part without !', () => {
    const pcm = renderTones('!950/330,!1400/330,!1800/330,0', 2000);
    assert.ok(near(level(pcm, 950, 20, 320), A));
    assert.ok(near(level(pcm, 1400, 350, 650), A));
    assert.ok(near(level(pcm, 1800, 680, 980), A));
    assert.equal(rms(pcm, 990 * 8, 2000 * 8), 0, 'then silence forever');
    // A sequence made only of ! parts ends: next() returns fewer samples, then none.
    const g = new ToneGenerator('!440/100,!0/50');
    assert.equal(g.next(2000).length, 1200);
    assert.ok(g.done);
    assert.equal(g.next(160).length, 0);
  });

  it('repeats from the middle (stutter-like sequences)', () => {
    const pcm = renderTones('!350/100,440/100,0/100', 700);
    assert.ok(near(level(pcm, 350, 5, 95), A));
    // Then 440/100,0/100 repeating: on at 100-200, 300-400, 500-600.
    for (const on of [100, 300, 500]) assert.ok(near(level(pcm, 440, on + 5, on + 95), A), `440 at ${on}`);
    for (const off of [200, 400, 600]) assert.equal(rms(pcm, off * 8, (off + 100) * 8), 0);
  });

  it('f1*f2 modulates f1 by f2 (sidebands at f1 ± f2)', () => {
    const pcm = renderTones('1000*100', 1000);
    assert.ok(level(pcm, 1000, 0, 1000) > A * 0.8);
    assert.ok(level(pcm, 900, 0, 1000) > 50 && level(pcm, 1100, 0, 1000) > 50, 'sidebands present');
    assert.ok(level(pcm, 100, 0, 1000) < 20, 'the modulating tone itself is not heard');
  });

  it('renders at 16 kHz with the same cadence and pitch', () => {
    const pcm = renderTones('3500/200,0/200', 400, { sampleRate: 16000, amplitude: 5000 });
    assert.equal(pcm.length, 6400);
    assert.ok(near(level(pcm, 3500, 10, 190, 16000), 5000));
    assert.equal(rms(pcm, 3200, 6400), 0);
  });
});
