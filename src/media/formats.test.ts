import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ParseError } from '../shared/errors.ts';
import { dominantFrequency, goertzelAmplitude, sine } from './dsp/goertzel.ts';
import { fileFormats, formatByName, formatForExtension, formatForPath, knownExtensions } from './formats.ts';
import { WavWriter } from './wav/writer.ts';

let dir = '';
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-formats-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function assertTone(samples: Int16Array, rate: number, freq: number, amplitude: number, label: string): void {
  assert.equal(dominantFrequency(samples, rate, 100, rate / 2 - 100, 10), freq, label);
  const amp = goertzelAmplitude(samples, freq, rate);
  assert.ok(Math.abs(amp - amplitude) < amplitude * 0.03, `${label}: amplitude ${amp.toFixed(0)} vs ${amplitude}`);
}

describe('file formats', () => {
  it('names and extensions follow Asterisk', () => {
    assert.deepEqual(
      fileFormats.map((f) => [f.name, f.extensions.join('|'), f.codec, f.sampleRate]),
      [
        ['wav', 'wav', 'slin', 8000],
        ['wav16', 'wav16', 'slin16', 16000],
        ['pcm', 'pcm|ulaw|ul|mu|ulw', 'ulaw', 8000],
        ['alaw', 'alaw|al|alw', 'alaw', 8000],
        ['sln', 'sln|slin|raw', 'slin', 8000],
        ['sln16', 'sln16', 'slin16', 16000],
      ],
    );
    assert.equal(formatForExtension('ulaw')?.name, 'pcm');
    assert.equal(formatForExtension('.al')?.name, 'alaw');
    assert.equal(formatForExtension('WAV'), undefined, 'case-sensitive like Asterisk');
    assert.equal(formatForExtension('gsm'), undefined);
    assert.equal(formatByName('pcm')?.codec, 'ulaw');
    assert.equal(formatByName('ulaw'), undefined, 'ulaw is an extension, not a format name');
    assert.equal(formatForPath('/var/lib/asterisk/sounds/en/hello-world.wav')?.name, 'wav');
    assert.equal(formatForPath('/x.y/noext'), undefined);
    assert.equal(formatForPath('/a/b.sln16')?.name, 'sln16');
    assert.ok(knownExtensions.includes('wav16') && knownExtensions.includes('raw'));
  });

  it('every format writes a recording that reads back with the same tone', async () => {
    for (const format of fileFormats) {
      const rate = format.sampleRate;
      const file = path.join(dir, `tone.${format.extensions[0] ?? ''}`);
      const w = format.createWriter(file);
      const tone = sine(1000, rate, rate, 9000);
      for (let i = 0; i < tone.length; i += rate / 50) w.append(tone.subarray(i, i + rate / 50));
      assert.equal(w.durationMs, 1000, format.name);
      w.close();
      const back = await format.readFile(file);
      assert.equal(back.length, rate, format.name);
      assertTone(back, rate, 1000, 9000, format.name);
      assert.deepEqual(format.readFileSync(file), back);
    }
  });

  it('append continues raw and WAV files', () => {
    for (const name of ['pcm', 'sln16', 'wav'] as const) {
      const format = formatByName(name);
      assert.ok(format);
      const file = path.join(dir, `append.${format.extensions[0] ?? ''}`);
      const a = format.createWriter(file);
      a.append(new Int16Array(160).fill(1000));
      a.close();
      const b = format.createWriter(file, { append: true });
      assert.equal(b.sampleCount, 160, name);
      b.append(new Int16Array(160).fill(1000));
      b.close();
      assert.equal(format.readFileSync(file).length, 320, name);
      const c = format.createWriter(file);
      c.close();
      assert.equal(format.readFileSync(file).length, 0, `${name}: replaced without append`);
    }
  });

  it('a raw slin file cut mid-sample reads its whole samples, and append trims the half sample', () => {
    const sln = formatByName('sln');
    assert.ok(sln);
    const file = path.join(dir, 'cut.sln');
    fs.writeFileSync(file, Buffer.from([1, 0, 2, 0, 3]));
    assert.deepEqual([...sln.readFileSync(file)], [1, 2]);
    const w = sln.createWriter(file, { append: true });
    assert.equal(w.sampleCount, 2);
    w.append(new Int16Array([4]));
    w.close();
    assert.deepEqual([...sln.readFileSync(file)], [1, 2, 4]);
  });

  it('a 16 kHz .wav plays at 8 kHz (and the reverse), converted instead of refused', () => {
    const file = path.join(dir, 'wide-inside.wav');
    const w = WavWriter.open(file, { sampleRate: 16000 });
    w.append(sine(1000, 16000, 16000, 9000));
    w.close();
    const wav = formatByName('wav');
    assert.ok(wav);
    const narrow = wav.readFileSync(file);
    assert.equal(narrow.length, 8000);
    assertTone(narrow.subarray(100, 7900), 8000, 1000, 9000, 'wav from 16 kHz');

    const file8 = path.join(dir, 'narrow-inside.wav16');
    const w8 = WavWriter.open(file8, { sampleRate: 8000 });
    w8.append(sine(1000, 8000, 8000, 9000));
    w8.close();
    const wide = formatByName('wav16')?.readFileSync(file8);
    assert.equal(wide?.length, 16000);
  });

  it('corrupt or unsupported WAV files are ParseErrors', async () => {
    const wav = formatByName('wav');
    assert.ok(wav);
    const file = path.join(dir, 'corrupt.wav');
    fs.writeFileSync(file, 'RIFF\x10\x00\x00\x00WAVEfmt \x10\x00');
    await assert.rejects(wav.readFile(file), ParseError);
    const odd = path.join(dir, 'cd.wav');
    const w = WavWriter.open(odd, { sampleRate: 44100 });
    w.append(new Int16Array(441));
    w.close();
    assert.throws(() => wav.readFileSync(odd), (e: unknown) => e instanceof ParseError && /44100/.test(e.message));
  });
});
