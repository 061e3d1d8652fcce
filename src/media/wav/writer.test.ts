import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AriadneError, ParseError } from '../../shared/errors.ts';
import { dominantFrequency, goertzelAmplitude, sine } from '../dsp/goertzel.ts';
import { readWav } from './wav.ts';
import { WavWriter } from './writer.ts';

let dir = '';
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-wav-'));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Splits a signal into 20 ms frames. */
function frames(pcm: Int16Array, rate: number): Int16Array[] {
  const n = rate / 50;
  const out: Int16Array[] = [];
  for (let i = 0; i < pcm.length; i += n) out.push(pcm.subarray(i, Math.min(pcm.length, i + n)));
  return out;
}

function assertTone(samples: Int16Array, rate: number, freq: number, amplitude: number): void {
  assert.equal(dominantFrequency(samples, rate, 100, rate / 2 - 100, 10), freq);
  const amp = goertzelAmplitude(samples, freq, rate);
  assert.ok(Math.abs(amp - amplitude) < amplitude * 0.03, `amplitude ${amp.toFixed(0)} vs ${amplitude}`);
}

/** The header's own view of the file: declared RIFF and data sizes. */
function headerSizes(file: Buffer, dataSizeOffset = 40): { riff: number; data: number } {
  return { riff: file.readUInt32LE(4), data: file.readUInt32LE(dataSizeOffset) };
}

describe('WavWriter', () => {
  it('the file is valid after open and after every append, with exact sizes', () => {
    const p = path.join(dir, 'steps.wav');
    const w = WavWriter.open(p, { sampleRate: 8000 });
    let file = fs.readFileSync(p);
    assert.equal(file.length, 44);
    assert.equal(readWav(file).dataLength, 0);
    const tone = sine(1000, 8000, 8000, 6000);
    let written = 0;
    for (const f of frames(tone, 8000)) {
      w.append(f);
      written += f.length;
      file = fs.readFileSync(p);
      const { riff, data } = headerSizes(file);
      assert.equal(data, written * 2);
      assert.equal(riff, file.length - 8);
      assert.equal(file.length, 44 + written * 2);
    }
    assert.equal(w.sampleCount, 8000);
    assert.equal(w.durationMs, 1000);
    w.close();
    w.close();
    assert.ok(w.closed);
    assert.throws(() => w.append(new Int16Array(160)), AriadneError);
    const wav = readWav(fs.readFileSync(p));
    assert.deepEqual(wav.samples, tone);
  });

  it('writes 16 kHz (wav16) and G.711 WAV files that read back with their content', () => {
    const p16 = path.join(dir, 'wide.wav16');
    const w16 = WavWriter.open(p16, { sampleRate: 16000 });
    for (const f of frames(sine(3000, 16000, 16000, 9000), 16000)) w16.append(f);
    w16.close();
    const wide = readWav(fs.readFileSync(p16));
    assert.equal(wide.sampleRate, 16000);
    assertTone(wide.samples, 16000, 3000, 9000);

    for (const encoding of ['ulaw', 'alaw'] as const) {
      const p = path.join(dir, `g711-${encoding}.wav`);
      const w = WavWriter.open(p, { sampleRate: 8000, encoding });
      for (const f of frames(sine(700, 8000, 4000, 9000), 8000)) w.append(f);
      w.close();
      const file = fs.readFileSync(p);
      const wav = readWav(file);
      assert.equal(wav.encoding, encoding);
      assert.equal(wav.dataLength, 4000);
      assert.equal(file.readUInt32LE(46), 4000, 'fact sample count');
      assert.equal(headerSizes(file, 54).data, 4000);
      assertTone(wav.samples, 8000, 700, 9000);
    }
  });

  it('append mode continues an existing recording, or creates a missing one', () => {
    const p = path.join(dir, 'appended.wav');
    const tone = sine(1000, 8000, 16000, 5000);
    const first = WavWriter.open(p, { sampleRate: 8000, append: true });
    for (const f of frames(tone.subarray(0, 8000), 8000)) first.append(f);
    first.close();
    const second = WavWriter.open(p, { sampleRate: 8000, append: true });
    assert.equal(second.sampleCount, 8000);
    for (const f of frames(tone.subarray(8000), 8000)) second.append(f);
    second.close();
    const file = fs.readFileSync(p);
    assert.equal(headerSizes(file).data, 32000);
    assert.deepEqual(readWav(file).samples, tone, 'phase-continuous tone across the two sessions');
    // Without append the file is replaced.
    WavWriter.open(p, { sampleRate: 8000 }).close();
    assert.equal(fs.statSync(p).size, 44);
  });

  it('append mode refuses a different format and files it cannot continue', () => {
    const p = path.join(dir, 'fmt.wav');
    WavWriter.open(p, { sampleRate: 8000 }).close();
    assert.throws(() => WavWriter.open(p, { sampleRate: 16000, append: true }), (e: unknown) => e instanceof AriadneError && e.code === 'ERR_UNPROCESSABLE');
    assert.throws(() => WavWriter.open(p, { sampleRate: 8000, encoding: 'ulaw', append: true }), AriadneError);
    const junk = path.join(dir, 'junk.wav');
    fs.writeFileSync(junk, 'this is not a wav file at all');
    assert.throws(() => WavWriter.open(junk, { sampleRate: 8000, append: true }), ParseError);
    // A chunk after the audio (some editors put LIST there) must not be overwritten.
    const listAfter = path.join(dir, 'list-after.wav');
    const w = WavWriter.open(listAfter, { sampleRate: 8000 });
    w.append(new Int16Array(160));
    w.close();
    fs.appendFileSync(listAfter, Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([4, 0, 0, 0]), Buffer.from('INFO', 'latin1')]));
    assert.throws(() => WavWriter.open(listAfter, { sampleRate: 8000, append: true }), /follows the audio/);
    // An empty file (created, then the process died) is started afresh.
    const empty = path.join(dir, 'empty.wav');
    fs.writeFileSync(empty, '');
    const e = WavWriter.open(empty, { sampleRate: 8000, append: true });
    e.append(new Int16Array(160));
    e.close();
    assert.equal(readWav(fs.readFileSync(empty)).sampleCount, 160);
  });

  it('append mode cuts the remains of an append interrupted by a crash', () => {
    const p = path.join(dir, 'leftover.wav');
    const w = WavWriter.open(p, { sampleRate: 8000 });
    w.append(sine(1000, 8000, 160, 5000));
    w.close();
    fs.appendFileSync(p, Buffer.alloc(100, 0)); // audio written, header not yet updated
    const again = WavWriter.open(p, { sampleRate: 8000, append: true });
    assert.equal(again.sampleCount, 160);
    again.append(sine(1000, 8000, 160, 5000));
    again.close();
    const file = fs.readFileSync(p);
    assert.equal(file.length, 44 + 640);
    assert.equal(readWav(file).sampleCount, 320);
  });

  it('a failing disk (ENOSPC) leaves the file consistent, and the error reaches the caller', (t) => {
    const p = path.join(dir, 'full.wav');
    const w = WavWriter.open(p, { sampleRate: 8000 });
    w.append(sine(1000, 8000, 160, 5000));
    const real = fs.writeSync;
    // Let the next audio write land halfway, then fail as a full disk does.
    let calls = 0;
    t.mock.method(fs, 'writeSync', (fd: number, buf: Uint8Array, off: number, len: number, pos: number): number => {
      calls++;
      if (calls === 1) return real(fd, buf, off, Math.floor(len / 2), pos);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    assert.throws(() => w.append(sine(1000, 8000, 160, 5000)), /ENOSPC/);
    t.mock.restoreAll();
    const file = fs.readFileSync(p);
    assert.equal(file.length, 44 + 320, 'the partial audio was cut off');
    assert.equal(readWav(file).sampleCount, 160);
    assert.equal(headerSizes(file).data, 320);
    w.close();
  });

  it('rejects partial samples and absurd rates', () => {
    const p = path.join(dir, 'bad.wav');
    const w = WavWriter.open(p, { sampleRate: 8000 });
    assert.throws(() => w.appendEncoded(Buffer.alloc(3)), TypeError);
    w.close();
    assert.throws(() => WavWriter.open(p, { sampleRate: 0 }), TypeError);
  });

  // The crash guarantee, for real: a child process records a tone in a loop and is killed with SIGKILL.
  const childScript = `
    const { WavWriter } = await import(process.argv[1]);
    const rate = 8000, n = 160, file = process.argv[2];
    const w = WavWriter.open(file, { sampleRate: rate });
    const frame = new Int16Array(n);
    let t = 0;
    for (let i = 0; i < 60000; i++) {
      for (let k = 0; k < n; k++, t++) frame[k] = Math.round(7000 * Math.sin(2 * Math.PI * 1000 * t / rate));
      w.append(frame);
      if (i === 25) process.stdout.write('recording\\n');
    }
    w.close();
    process.stdout.write('finished\\n');
  `;

  for (const delayMs of [0, 15, 40, 90, 150]) {
    it(`a kill -9 while recording (after ~${delayMs} ms) leaves a playable WAV whose header matches its audio`, async () => {
      const p = path.join(dir, `killed-${delayMs}.wav`);
      const writerUrl = new URL('./writer.ts', import.meta.url).href;
      const child = spawn(process.execPath, ['--input-type=module', '-e', childScript, writerUrl, p], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('recording')) resolve();
        });
        child.on('exit', () => reject(new Error(`child exited before recording: ${stderr}`)));
      });
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      const { signal } = await exited;
      assert.equal(signal, 'SIGKILL', `the child was killed mid-recording (stderr: ${stderr})`);

      const file = fs.readFileSync(p);
      const wav = readWav(file);
      const { riff, data } = headerSizes(file);
      assert.equal(wav.truncated, false);
      assert.equal(wav.dataLength, data, 'audio length equals what the header says');
      assert.ok(data > 0);
      assert.equal(data % 320, 0, 'whole frames only');
      assert.equal(riff, 36 + data);
      // At most the one append in flight may lie beyond the data chunk.
      assert.ok(file.length - 44 - data <= 320, `${file.length - 44 - data} stray bytes`);
      // The recorded content is the tone, intact up to the last frame (checked on the first and last 0.2 s).
      assertTone(wav.samples.subarray(0, 1600), 8000, 1000, 7000);
      assertTone(wav.samples.subarray(wav.samples.length - 1600), 8000, 1000, 7000);
      const last = wav.samples.subarray(wav.samples.length - 160);
      assert.ok(Math.abs(goertzelAmplitude(last, 1000, 8000) - 7000) < 300, 'the last frame is the tone too');
    });
  }
});
