import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ulawDecode, ulawEncode } from '../codecs/g711.ts';
import { readWav } from '../wav/wav.ts';
import { DtmfDetector, dtmfFrequencies, dtmfTone, generateDtmf, type DtmfEvent } from './dtmf.ts';
import { goertzelAmplitude } from './goertzel.ts';

/** Runs a detector over `pcm` in 20 ms frames and returns all events (flushing at the end). */
function detect(pcm: Int16Array, rate = 8000, options: ConstructorParameters<typeof DtmfDetector>[0] = {}): DtmfEvent[] {
  const det = new DtmfDetector({ sampleRate: rate, ...options });
  const n = rate / 50;
  const events: DtmfEvent[] = [];
  for (let i = 0; i < pcm.length; i += n) events.push(...det.process(pcm.subarray(i, Math.min(pcm.length, i + n))));
  events.push(...det.flush());
  return events;
}

const digitsOf = (events: DtmfEvent[]): string =>
  events
    .filter((e) => e.type === 'end')
    .map((e) => e.digit)
    .join('');

/** Deterministic pseudo-random numbers. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

/** White-ish noise at a given RMS. */
function noise(samples: number, rmsLevel: number, seed = 1): Int16Array {
  const r = rng(seed);
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round((r() + r() + r() - 1.5) * 2 * rmsLevel);
  return out;
}

/**
 * Speech-like audio: voiced segments (a glottal pulse train with a gliding pitch of 90-260 Hz, shaped by
 * two resonant "formant" filters that move) alternating with unvoiced hiss and pauses, at speech levels.
 */
function speechLike(seconds: number, seed: number): Int16Array {
  const rate = 8000;
  const r = rng(seed);
  const out = new Int16Array(seconds * rate);
  let phase = 0;
  let i = 0;
  while (i < out.length) {
    const segment = Math.round((0.06 + r() * 0.25) * rate);
    const kind = r();
    const f0Start = 90 + r() * 170;
    const f0End = 90 + r() * 170;
    const formants = [300 + r() * 600, 900 + r() * 1600].map((f) => {
      const bw = 80 + r() * 120;
      const rr = Math.exp((-Math.PI * bw) / rate);
      return { a1: 2 * rr * Math.cos((2 * Math.PI * f) / rate), a2: -rr * rr, y1: 0, y2: 0 };
    });
    const gain = 500 + r() * 4000;
    for (let k = 0; k < segment && i < out.length; k++, i++) {
      let x: number;
      if (kind < 0.6) {
        const f0 = f0Start + ((f0End - f0Start) * k) / segment;
        phase += f0 / rate;
        x = phase >= 1 ? 1 : 0;
        if (phase >= 1) phase -= 1;
        x = x * 40 + (r() - 0.5) * 0.5;
      } else if (kind < 0.85) {
        x = (r() - 0.5) * 2;
      } else {
        x = 0;
      }
      let y = x;
      for (const f of formants) {
        const v = y + f.a1 * f.y1 + f.a2 * f.y2;
        f.y2 = f.y1;
        f.y1 = v;
        y = v;
      }
      const env = Math.sin((Math.PI * k) / segment);
      out[i] = Math.max(-32768, Math.min(32767, Math.round(y * gain * env * 0.05)));
    }
  }
  return out;
}

describe('DTMF generation', () => {
  it('maps digits to their row and column frequencies', () => {
    assert.deepEqual(dtmfFrequencies('1'), [697, 1209]);
    assert.deepEqual(dtmfFrequencies('0'), [941, 1336]);
    assert.deepEqual(dtmfFrequencies('#'), [941, 1477]);
    assert.deepEqual(dtmfFrequencies('d'), [941, 1633]);
    assert.throws(() => dtmfFrequencies('x'), TypeError);
  });

  it('a digit tone holds exactly its two frequencies at the requested level', () => {
    const t = dtmfTone('5', 100, { amplitude: 6000 });
    assert.equal(t.length, 800);
    assert.ok(Math.abs(goertzelAmplitude(t, 770, 8000) - 6000) < 60);
    assert.ok(Math.abs(goertzelAmplitude(t, 1336, 8000) - 6000) < 60);
    for (const other of [697, 852, 941, 1209, 1477, 1633]) assert.ok(goertzelAmplitude(t, other, 8000) < 600, `${other} Hz`);
    const twisted = dtmfTone('5', 100, { amplitude: 6000, twistDb: 2 });
    assert.ok(Math.abs(goertzelAmplitude(twisted, 1336, 8000) / goertzelAmplitude(twisted, 770, 8000) - 10 ** (2 / 20)) < 0.02);
  });

  it('a digit string is tones and gaps of the requested lengths', () => {
    const pcm = generateDtmf('12', { durationMs: 80, gapMs: 50, beforeMs: 10, afterMs: 20 });
    assert.equal(pcm.length, (10 + 80 + 50 + 80 + 20) * 8);
    assert.equal(generateDtmf('1,2').length, (100 + 500 + 100 + 100) * 8, "',' adds a 500 ms pause");
    assert.throws(() => generateDtmf('1x'), TypeError);
  });
});

describe('DTMF detection', () => {
  it('detects "123A*#" with the generated durations', () => {
    const pcm = generateDtmf('123A*#', { durationMs: 100, gapMs: 100, beforeMs: 50, afterMs: 100 });
    const events = detect(pcm);
    assert.equal(digitsOf(events), '123A*#');
    const begins = events.filter((e) => e.type === 'begin');
    assert.equal(begins.length, 6);
    let expectStart = 50;
    for (const e of events) {
      if (e.type === 'begin') {
        assert.ok(Math.abs(e.atMs - expectStart) <= 5, `${e.digit} begins at ${e.atMs}, expected ${expectStart}`);
      } else {
        assert.ok(Math.abs(e.durationMs - 100) <= 8, `${e.digit} lasted ${e.durationMs} ms`);
        assert.ok(Math.abs(e.atMs - (expectStart + 100)) <= 5, `${e.digit} ends at ${e.atMs}`);
        expectStart += 200;
      }
    }
  });

  it('measures long and short digits, and every one of the 16 keys', () => {
    for (const duration of [45, 70, 250, 1000]) {
      const events = detect(generateDtmf('9', { durationMs: duration, beforeMs: 37, afterMs: 200 }));
      const end = events.find((e) => e.type === 'end');
      assert.ok(end?.type === 'end' && end.digit === '9', `${duration} ms digit detected`);
      assert.ok(Math.abs(end.durationMs - duration) <= 8, `${duration} ms measured as ${end.durationMs}`);
    }
    const all = '0123456789*#ABCD';
    assert.equal(digitsOf(detect(generateDtmf(all, { durationMs: 60, gapMs: 60 }))), all);
  });

  it('tells repeated digits apart and follows a digit change without a gap', () => {
    assert.equal(digitsOf(detect(generateDtmf('1111', { durationMs: 60, gapMs: 60 }))), '1111');
    const backToBack = new Int16Array(2400);
    backToBack.set(dtmfTone('4', 100), 0);
    backToBack.set(dtmfTone('8', 100), 800);
    assert.equal(digitsOf(detect(backToBack)), '48');
  });

  it('survives G.711, noise at 20 dB SNR, twist and low levels; works at 16 kHz', () => {
    const clean = generateDtmf('159#', { durationMs: 80, gapMs: 80, beforeMs: 40, afterMs: 100 });
    assert.equal(digitsOf(detect(ulawDecode(ulawEncode(clean)))), '159#', 'through µ-law');
    const noisy = Int16Array.from(clean, (v, i) => v + (noise(clean.length, 7219 / Math.SQRT2 / 10 ** (20 / 20), 7)[i] as number));
    assert.equal(digitsOf(detect(noisy)), '159#', 'with noise');
    assert.equal(digitsOf(detect(generateDtmf('26', { twistDb: 3, gapMs: 80 }))), '26', 'high group +3 dB');
    assert.equal(digitsOf(detect(generateDtmf('26', { twistDb: -6, gapMs: 80 }))), '26', 'low group +6 dB');
    assert.equal(digitsOf(detect(generateDtmf('7', { amplitude: 700 }))), '7', '-33 dBFS per tone');
    assert.equal(digitsOf(detect(generateDtmf('3C', { sampleRate: 16000 }), 16000)), '3C', '16 kHz');
  });

  it('rejects what is not DTMF: excessive twist, one tone alone, too short a burst, too faint', () => {
    assert.equal(digitsOf(detect(generateDtmf('5', { twistDb: 9 }))), '', 'high group 9 dB louder');
    assert.equal(digitsOf(detect(generateDtmf('5', { twistDb: -12 }))), '', 'low group 12 dB louder');
    const single = new Int16Array(1600);
    for (let i = 0; i < single.length; i++) single[i] = Math.round(7000 * Math.sin((2 * Math.PI * 697 * i) / 8000));
    assert.equal(digitsOf(detect(single)), '', 'a lone 697 Hz tone');
    assert.equal(digitsOf(detect(generateDtmf('5', { durationMs: 15, afterMs: 100 }))), '', '15 ms burst');
    assert.equal(digitsOf(detect(generateDtmf('5', { amplitude: 200 }))), '', '-44 dBFS');
  });

  it('silence and noise produce no digits', () => {
    assert.deepEqual(detect(new Int16Array(8000 * 5)), []);
    for (const level of [50, 500, 3000]) assert.deepEqual(detect(noise(8000 * 10, level, level)), [], `noise rms ${level}`);
  });

  it('speech-like audio produces no digits (talk-off)', () => {
    for (let seed = 1; seed <= Number(process.env.TALKOFF_SEEDS ?? 20); seed++) assert.deepEqual(detect(speechLike(10, seed)), [], `seed ${seed}`);
  });

  // Real speech and music: every core prompt and music-on-hold file installed on this machine.
  const soundDirs = ['/usr/share/asterisk/sounds/en', '/usr/share/asterisk/moh'].filter((d) => fs.existsSync(d));
  it('real prompts and music on hold produce no digits', { skip: soundDirs.length === 0 ? 'no Asterisk sounds installed' : false }, () => {
    let seconds = 0;
    let files = 0;
    const hits: string[] = [];
    for (const dir of soundDirs) {
      for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
        if (!name.endsWith('.wav')) continue;
        let wav;
        try {
          wav = readWav(fs.readFileSync(path.join(dir, name)));
        } catch {
          continue;
        }
        if (wav.sampleRate !== 8000) continue;
        const digits = digitsOf(detect(wav.samples));
        if (digits !== '') hits.push(`${name}: ${digits}`);
        seconds += wav.samples.length / 8000;
        files++;
      }
    }
    assert.ok(files > 0);
    assert.deepEqual(hits, [], `false digits in ${hits.length} of ${files} files (${Math.round(seconds)} s of audio)`);
  });

  it('DTMF played over a real prompt is still found (talk-down)', { skip: !fs.existsSync('/usr/share/asterisk/sounds/en/hello-world.wav') }, () => {
    const speech = readWav(fs.readFileSync('/usr/share/asterisk/sounds/en/hello-world.wav')).samples;
    const tones = generateDtmf('0', { durationMs: 200, beforeMs: 300 });
    const mixed = Int16Array.from(speech, (v, i) => Math.max(-32768, Math.min(32767, Math.round(v * 0.3) + (tones[i] ?? 0))));
    assert.equal(digitsOf(detect(mixed)), '0');
  });

  it('reports the digit in progress and can be reset', () => {
    const det = new DtmfDetector();
    const tone = dtmfTone('8', 200);
    det.process(tone.subarray(0, 800));
    assert.equal(det.currentDigit, '8');
    det.reset();
    assert.equal(det.currentDigit, undefined);
    assert.deepEqual(det.flush(), []);
  });
});
