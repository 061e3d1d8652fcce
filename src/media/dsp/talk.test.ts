import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { readWav } from '../wav/wav.ts';
import { dbfs, rms, sine } from './goertzel.ts';
import { TalkDetector, isSilentFrame, type TalkEvent } from './talk.ts';

/** Silence, then `talkMs` of a 300 Hz tone at `amplitude`, then silence, in 20 ms frames through a detector. */
function run(det: TalkDetector, parts: Array<[ms: number, amplitude: number]>): TalkEvent[] {
  const events: TalkEvent[] = [];
  let t = 0;
  for (const [ms, amplitude] of parts) {
    for (let f = 0; f < ms / 20; f++, t++) {
      const frame = amplitude === 0 ? new Int16Array(160) : sine(300, 8000, 160, amplitude, t * ((2 * Math.PI * 300 * 160) / 8000));
      const e = det.process(frame);
      if (e !== undefined) events.push(e);
    }
  }
  return events;
}

describe('talk detection', () => {
  it('classifies frames by mean magnitude against the threshold (256 by default)', () => {
    assert.ok(isSilentFrame(new Int16Array(160)));
    assert.ok(isSilentFrame(new Int16Array(160).fill(255)));
    assert.ok(!isSilentFrame(new Int16Array(160).fill(-256)));
    assert.ok(isSilentFrame(new Int16Array(160).fill(300), 301));
  });

  it('reports talking start and stop with TALK_DETECT timing', () => {
    const det = new TalkDetector({ silenceMs: 1200 });
    const events = run(det, [
      [1000, 0],
      [3000, 3000],
      [2000, 0],
    ]);
    assert.deepEqual(events, [
      { type: 'talking-started', atMs: 1000 },
      { type: 'talking-stopped', atMs: 5200, durationMs: 3000 },
    ]);
    assert.equal(det.talking, false);
    assert.equal(det.talkingTotalMs, 3000);
    assert.equal(det.silenceTotalMs, 3000);
    assert.equal(det.silenceRunMs, 2000);
  });

  it('pauses shorter than the silence threshold do not end talking', () => {
    const det = new TalkDetector(); // 2500 ms
    const events = run(det, [
      [500, 2000],
      [1500, 0],
      [500, 2000],
      [2600, 0],
    ]);
    assert.deepEqual(events, [
      { type: 'talking-started', atMs: 0 },
      { type: 'talking-stopped', atMs: 5000, durationMs: 2500 },
    ]);
  });

  it('a quiet signal below the threshold is silence; a custom threshold changes that', () => {
    // Mean magnitude of a sine is 2A/π: A = 300 gives ≈ 191 < 256.
    assert.deepEqual(run(new TalkDetector(), [[1000, 300]]), []);
    assert.equal(run(new TalkDetector({ threshold: 128 }), [[1000, 300]]).length, 1);
  });

  const prompt = '/usr/share/asterisk/sounds/en/hello-world.wav';
  it('a real prompt is talking, its padding silence', { skip: !fs.existsSync(prompt) }, () => {
    const speech = readWav(fs.readFileSync(prompt)).samples;
    assert.ok(dbfs(speech) > -40 && rms(speech) > 0);
    const det = new TalkDetector({ silenceMs: 500 });
    const events: TalkEvent[] = [];
    const signal = new Int16Array(speech.length + 8000);
    signal.set(speech, 0);
    for (let i = 0; i + 160 <= signal.length; i += 160) {
      const e = det.process(signal.subarray(i, i + 160));
      if (e !== undefined) events.push(e);
    }
    const started = events.find((e) => e.type === 'talking-started');
    const stopped = events.filter((e) => e.type === 'talking-stopped').at(-1);
    assert.ok(started !== undefined && started.atMs < 500, 'talking starts near the beginning');
    assert.ok(stopped?.type === 'talking-stopped' && stopped.atMs <= speech.length / 8 + 600, 'and stops after the speech');
    assert.ok(det.talkingTotalMs > 400, `${det.talkingTotalMs} ms of talking`);
  });
});
