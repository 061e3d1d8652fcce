import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParseError } from '../../shared/errors.ts';
import { samplesPerFrame, type SampleRate } from './frame.ts';
import { LinearResampler } from './resample.ts';
import { BufferSink } from './sink.ts';
import { BufferSource, FunctionSource, SilenceSource, ToneSource, createSource, dtmfTones, parseTones, type AudioSource } from './source.ts';
import { rms, sine, toneAmplitude } from './test-audio.ts';

/** Pulls up to `maxFrames` frames; stops at the end. */
function drain(src: AudioSource, maxFrames: number): Int16Array {
  const sink = new BufferSink({ rate: src.rate });
  const frame = new Int16Array(samplesPerFrame(src.rate));
  for (let i = 0; i < maxFrames && src.read(frame); i++) sink.write(frame);
  return sink.samples();
}

/** RMS of each 20 ms slice. */
function levels(samples: Int16Array, rate: SampleRate): number[] {
  const n = samplesPerFrame(rate);
  const out: number[] = [];
  for (let i = 0; i + n <= samples.length; i += n) out.push(rms(samples.subarray(i, i + n)));
  return out;
}

describe('parseTones', () => {
  it('reads Asterisk tone syntax', () => {
    assert.deepEqual(parseTones('350+440'), [{ frequencies: [350, 440] }]);
    assert.deepEqual(parseTones('!950/330,!1400/330, 0/1000'), [
      { frequencies: [950], durationMs: 330, once: true },
      { frequencies: [1400], durationMs: 330, once: true },
      { frequencies: [], durationMs: 1000 },
    ]);
    assert.deepEqual(parseTones('425*25/1000'), [{ frequencies: [425, 25], durationMs: 1000, modulate: true }]);
    const [midi] = parseTones('M69/200');
    assert.equal(midi?.frequencies[0], 440);
  });

  it('rejects bad parts with their offset', () => {
    assert.throws(() => parseTones('350+440,abc'), (e: unknown) => e instanceof ParseError && e.offset === 8);
    assert.throws(() => parseTones('440/'), ParseError);
    assert.throws(() => parseTones(''), ParseError);
  });
});

describe('ToneSource', () => {
  it('plays the frequencies it is given, at 8 and 16 kHz', () => {
    for (const rate of [8000, 16000] as const) {
      const pcm = drain(new ToneSource({ tones: '440', rate }), 50);
      assert.equal(pcm.length, rate);
      assert.ok(Math.abs(toneAmplitude(pcm, rate, 440) - 7219) < 50, `${rate}: 440 Hz at full level`);
      assert.ok(toneAmplitude(pcm, rate, 1000) < 50);
      const dual = drain(new ToneSource({ tones: '350+440', rate, amplitude: 4000 }), 50);
      assert.ok(Math.abs(toneAmplitude(dual, rate, 350) - 4000) < 50);
      assert.ok(Math.abs(toneAmplitude(dual, rate, 440) - 4000) < 50);
    }
  });

  it('joins frames without clicks (the phase runs on across frames)', () => {
    const pcm = drain(new ToneSource({ tones: '1000', rate: 8000 }), 100);
    const w = (2 * Math.PI * 1000) / 8000;
    const maxStep = Math.ceil(7219 * 2 * Math.sin(w / 2)) + 1;
    for (let i = 1; i < pcm.length; i++) assert.ok(Math.abs(pcm[i]! - pcm[i - 1]!) <= maxStep, `step at ${i}`);
  });

  it('follows a cadence and repeats from the first part not marked once', () => {
    // 100 ms of 1000 Hz once, then 200 ms on / 200 ms off of 500 Hz, forever.
    const pcm = drain(new ToneSource({ tones: '!1000/100,500/200,0/200' }), 50);
    const lv = levels(pcm, 8000).map((l) => l > 1000);
    assert.deepEqual(lv.slice(0, 5), [true, true, true, true, true]);
    assert.deepEqual(lv.slice(5, 15), [true, true, true, true, true, true, true, true, true, true]);
    assert.deepEqual(lv.slice(15, 25), new Array(10).fill(false));
    assert.deepEqual(lv.slice(25, 35), new Array(10).fill(true));
    assert.ok(toneAmplitude(pcm.subarray(0, 800), 8000, 1000) > 5000);
    assert.ok(toneAmplitude(pcm.subarray(800, 2400), 8000, 500) > 5000);
    assert.ok(toneAmplitude(pcm.subarray(4000, 5600), 8000, 1000) < 100, 'the once part does not come back');
  });

  it('ends when every part is played once, or at maxDurationMs', () => {
    const once = new ToneSource({ tones: '!440/50,!0/30' });
    const pcm = drain(once, 100);
    assert.equal(once.finished, true);
    assert.equal(once.durationMs, 80);
    assert.equal(pcm.length, 4 * 160, '80 ms rounds up to four frames, the last zero-padded');
    const capped = new ToneSource({ tones: '440', maxDurationMs: 1000 });
    assert.equal(drain(capped, 500).length, 8000);
    assert.equal(capped.finished, true);
  });

  it('seeks along the cadence', () => {
    const t = new ToneSource({ tones: '!1000/100,500/200,0/200' });
    t.seek(350);
    assert.equal(t.positionMs, 350);
    const frame = new Int16Array(160);
    t.read(frame);
    assert.ok(rms(frame) < 1, '350 ms in is the silent part');
    t.seek(0);
    t.read(frame);
    assert.ok(toneAmplitude(frame, 8000, 1000) > 5000);
  });

  it('makes DTMF: both frequencies of each digit, separated by silence', () => {
    const pcm = drain(new ToneSource({ tones: dtmfTones('1#', 100, 100) }), 100);
    assert.equal(pcm.length, 8000 * 0.4);
    const one = pcm.subarray(0, 800);
    assert.ok(toneAmplitude(one, 8000, 697) > 5000 && toneAmplitude(one, 8000, 1209) > 5000);
    assert.ok(rms(pcm.subarray(800, 1600)) < 1);
    const hash = pcm.subarray(1600, 2400);
    assert.ok(toneAmplitude(hash, 8000, 941) > 5000 && toneAmplitude(hash, 8000, 1477) > 5000);
    assert.throws(() => dtmfTones('1x'), TypeError);
  });
});

describe('BufferSource', () => {
  it('plays a buffer once, zero-padding the last frame', () => {
    const data = sine(440, 1010, 8000);
    const src = new BufferSource({ samples: data, rate: 8000 });
    assert.equal(src.durationMs, 1010);
    const pcm = drain(src, 1000);
    assert.equal(src.finished, true);
    assert.equal(pcm.length, 51 * 160);
    assert.deepEqual(pcm.subarray(0, data.length), data);
    assert.ok(pcm.subarray(data.length).every((v) => v === 0));
    assert.equal(src.read(new Int16Array(160)), false);
  });

  it('loops, and seeks for restart, forward and reverse', () => {
    const data = Int16Array.from({ length: 240 }, (_, i) => i);
    const src = new BufferSource({ samples: data, rate: 8000, loop: true });
    const frame = new Int16Array(160);
    src.read(frame);
    src.read(frame);
    assert.equal(frame[0], 160);
    assert.equal(frame[80], 0, 'wrapped to the start');
    assert.equal(src.finished, false);
    const once = new BufferSource({ samples: sine(440, 1000, 8000), rate: 8000, offsetMs: 500 });
    assert.equal(once.positionMs, 500);
    once.seek(once.positionMs + 3000);
    assert.equal(once.finished, true);
    once.seek(0);
    assert.equal(once.finished, false);
  });

  it('shares one buffer between several sources (music on hold)', () => {
    const data = sine(440, 100, 8000);
    const a = new BufferSource({ samples: data, rate: 8000 });
    const b = new BufferSource({ samples: data, rate: 8000 });
    drain(a, 3);
    assert.deepEqual(drain(b, 10), data);
  });
});

describe('other sources and createSource', () => {
  it('silence for a while, and functions', () => {
    const s = new SilenceSource({ durationMs: 100 });
    assert.equal(drain(s, 100).length, 800);
    let calls = 0;
    const f = new FunctionSource({ generate: (out, ts) => (out.fill(ts === 0 ? 1 : 2), ++calls <= 2) });
    assert.deepEqual([...drain(f, 10).subarray(158, 162)], [1, 1, 2, 2]);
    assert.equal(f.finished, true);
  });

  it('builds sources from specs and rejects bad ones', () => {
    assert.ok(createSource({ type: 'tone', tones: '440' }) instanceof ToneSource);
    assert.ok(createSource({ type: 'dtmf', digits: '123' }) instanceof ToneSource);
    assert.ok(createSource({ type: 'buffer', samples: new Int16Array(10), rate: 8000 }) instanceof BufferSource);
    assert.ok(createSource({ type: 'silence' }) instanceof SilenceSource);
    assert.throws(() => createSource({ type: 'file' } as never), TypeError);
    assert.throws(() => createSource({ type: 'buffer', samples: [1, 2] as never, rate: 8000 }), TypeError);
    assert.throws(() => createSource({ type: 'tone', tones: 'x' }), ParseError);
  });
});

describe('LinearResampler', () => {
  it('keeps a tone through 8 -> 16 -> 8 kHz, continuously across frames', () => {
    const src = sine(440, 1000, 8000);
    const up = new LinearResampler(8000, 16000);
    const down = new LinearResampler(16000, 8000);
    const wide = new Int16Array(16000);
    const back = new Int16Array(8000);
    for (let i = 0; i < 50; i++) {
      const f16 = up.process(src.subarray(i * 160, i * 160 + 160), new Int16Array(320));
      wide.set(f16, i * 320);
      back.set(down.process(f16, new Int16Array(160)), i * 160);
    }
    assert.ok(Math.abs(toneAmplitude(wide, 16000, 440) - 8000) < 150);
    assert.ok(Math.abs(toneAmplitude(back, 8000, 440) - 8000) < 150);
    for (let i = 1; i < wide.length; i++) assert.ok(Math.abs(wide[i]! - wide[i - 1]!) <= 1450, `step at ${i}`); // a 440 Hz sine moves at most 1382 per sample at 16 kHz
  });
});
