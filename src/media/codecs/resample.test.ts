import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dominantFrequency, goertzelAmplitude, rms, sine } from '../dsp/goertzel.ts';
import { LOWPASS_16K, Resampler, resample } from './resample.ts';

/** Feeds `pcm` through a fresh resampler in frames of `frame` samples and joins the output. */
function streamed(pcm: Int16Array, from: 8000 | 16000, to: 8000 | 16000, frame: number): Int16Array {
  const r = new Resampler(from, to);
  const parts: Int16Array[] = [];
  for (let i = 0; i < pcm.length; i += frame) parts.push(r.process(pcm.subarray(i, Math.min(pcm.length, i + frame))));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Largest jump between neighbouring samples: a click at a frame boundary would show up here. */
function maxStep(pcm: Int16Array, from = 0): number {
  let m = 0;
  for (let i = from + 1; i < pcm.length; i++) m = Math.max(m, Math.abs((pcm[i] as number) - (pcm[i - 1] as number)));
  return m;
}

describe('resampler 8 kHz <-> 16 kHz', () => {
  it('has a unity-gain linear-phase prototype', () => {
    const sum = LOWPASS_16K.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-12);
    for (let i = 0; i < LOWPASS_16K.length; i++) assert.ok(Math.abs((LOWPASS_16K[i] as number) - (LOWPASS_16K[LOWPASS_16K.length - 1 - i] as number)) < 1e-15);
  });

  it('8 -> 16 kHz keeps a 1 kHz tone at 1 kHz and at the same level, 20 ms frame by frame', () => {
    const tone = sine(1000, 8000, 8000, 10000);
    const up = streamed(tone, 8000, 16000, 160);
    assert.equal(up.length, 16000);
    const steady = up.subarray(320); // skip the filter's start-up
    assert.equal(dominantFrequency(steady, 16000, 100, 7900, 10), 1000);
    const amp = goertzelAmplitude(steady, 1000, 16000);
    assert.ok(Math.abs(amp - 10000) < 150, `amplitude ${amp.toFixed(0)}`);
    // The image at 8000 - 1000 = 7 kHz that sample repetition would leave must be gone.
    const image = goertzelAmplitude(steady, 7000, 16000);
    assert.ok(image < 10, `7 kHz image amplitude ${image.toFixed(1)}`);
  });

  it('16 -> 8 kHz keeps a 1 kHz tone and attenuates a 5 kHz tone strongly', () => {
    const low = streamed(sine(1000, 16000, 16000, 10000), 16000, 8000, 320);
    assert.equal(low.length, 8000);
    const steady = low.subarray(160);
    assert.equal(dominantFrequency(steady, 8000, 100, 3900, 10), 1000);
    assert.ok(Math.abs(goertzelAmplitude(steady, 1000, 8000) - 10000) < 150);

    const high = streamed(sine(5000, 16000, 16000, 10000), 16000, 8000, 320).subarray(160);
    // 5 kHz would alias to 3 kHz: it must be at least 55 dB down.
    const alias = goertzelAmplitude(high, 3000, 8000);
    assert.ok(20 * Math.log10(alias / 10000) < -55, `alias at ${(20 * Math.log10(alias / 10000)).toFixed(1)} dB`);
    assert.ok(rms(high) < 10, `residual rms ${rms(high).toFixed(1)}`);
  });

  it('passes the telephone band flat (300-3400 Hz within 1 dB)', () => {
    for (const f of [300, 1000, 2000, 3000, 3400]) {
      const out = streamed(sine(f, 16000, 16000, 10000), 16000, 8000, 320).subarray(200);
      const db = 20 * Math.log10(goertzelAmplitude(out, f, 8000) / 10000);
      assert.ok(Math.abs(db) < 1, `${f} Hz: ${db.toFixed(2)} dB`);
      const up = streamed(sine(f, 8000, 8000, 10000), 8000, 16000, 160).subarray(400);
      const dbUp = 20 * Math.log10(goertzelAmplitude(up, f, 16000) / 10000);
      assert.ok(Math.abs(dbUp) < 1, `${f} Hz up: ${dbUp.toFixed(2)} dB`);
    }
  });

  it('frame-by-frame output equals one-shot output (state carries over; no clicks)', () => {
    const tone = sine(440, 8000, 4000, 12000);
    const whole = new Resampler(8000, 16000).process(tone);
    const frames = streamed(tone, 8000, 16000, 160);
    assert.deepEqual(frames, whole);
    // An odd frame size at 16 -> 8 keeps the decimation phase across calls.
    const wide = sine(440, 16000, 8000, 12000);
    assert.deepEqual(streamed(wide, 16000, 8000, 77), new Resampler(16000, 8000).process(wide));
    // A smooth 440 Hz sine never jumps more than 2π·440/16000·A ≈ 2073 between samples (+ margin).
    assert.ok(maxStep(frames, 64) < 2200, `max step ${maxStep(frames, 64)}`);
  });

  it('resample() compensates the delay: output is aligned with the input', () => {
    const tone = sine(500, 8000, 800, 10000);
    const up = resample(tone, 8000, 16000);
    assert.equal(up.length, 1600);
    // Compare the middle (edges suffer from the filter's start-up): up[2n] ≈ tone[n].
    let err = 0;
    for (let n = 100; n < 700; n++) err = Math.max(err, Math.abs((up[2 * n] as number) - (tone[n] as number)));
    assert.ok(err < 400, `max misalignment error ${err}`);
    const down = resample(up, 16000, 8000);
    assert.equal(down.length, 800);
    let err2 = 0;
    for (let n = 100; n < 700; n++) err2 = Math.max(err2, Math.abs((down[n] as number) - (tone[n] as number)));
    assert.ok(err2 < 400, `round trip error ${err2}`);
    assert.deepEqual(resample(tone, 8000, 8000), tone);
  });

  it('clamps instead of wrapping on full-scale square waves', () => {
    const square = new Int16Array(800);
    for (let i = 0; i < square.length; i++) square[i] = Math.floor(i / 20) % 2 ? -32768 : 32767;
    const up = resample(square, 8000, 16000);
    // Overshoot (Gibbs) must saturate at the rails, never flip sign.
    for (let i = 60; i < up.length - 60; i++) {
      const srcSign = Math.sign(square[Math.floor(i / 2)] as number);
      const v = up[i] as number;
      if (Math.abs(v) > 30000) assert.equal(Math.sign(v), srcSign, `sample ${i}`);
    }
  });

  it('reports output lengths and rejects other rates', () => {
    assert.equal(new Resampler(8000, 16000).outputLength(160), 320);
    assert.equal(new Resampler(16000, 8000).outputLength(320), 160);
    assert.equal(new Resampler(16000, 16000).process(new Int16Array([1, 2])).length, 2);
    assert.throws(() => new Resampler(8000, 44100 as 16000), TypeError);
  });

  it('reset() forgets the previous stream', () => {
    const r = new Resampler(8000, 16000);
    r.process(sine(1000, 8000, 160, 20000));
    r.reset();
    assert.ok(r.process(new Int16Array(160)).every((v) => v === 0));
  });
});
