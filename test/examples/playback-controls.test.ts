/**
 * examples/playback-controls against a real Ariadne. A caller reaches it through the seed's
 * `stasis-playback-controls@internal`; where the playback is in demo-congrats.wav is read from what the caller
 * hears (the heard audio is located in the file by correlation), so forward, rewind, restart and pause are
 * checked by content: 4 jumps ~3 s ahead, 3 ~3 s back, 2 to the top, 1 silences it and 1 again resumes where
 * it was, # stops it and the caller hears goodbye before the call ends. Stopping the example hangs up its calls.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import playbackControls from '../../examples/playback-controls/app.ts';
import { rms } from '../../src/media/dsp/goertzel.ts';
import { sleep, type Json } from '../helpers/media-app.ts';
import { about, contains, dial, fromNow, key, locate, runExample, soundSamples, startFixture, type Fixture } from './harness.ts';

const APP = 'playback-controls';
const CONGRATS = soundSamples('demo-congrats');

/** Where the playback is (ms into the file) at the moment of the call, and when that was. */
async function position(f: Fixture, one: string): Promise<{ ms: number; at: number }> {
  const at = Date.now();
  const heard = await f.fx.listen(one, 'in', 500);
  const { atMs, score } = locate(heard, CONGRATS);
  assert.ok(score > 0.8, `what the caller hears is demo-congrats (correlation ${score.toFixed(2)})`);
  return { ms: atMs, at };
}

test('playback-controls: 4 forward, 3 rewind, 2 restart, 1 pause/unpause, # stop and goodbye', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample(f, playbackControls, APP, {});
  t.after(() => ex.stop());
  const { one, two } = await dial(f, `stasis-${APP}`);
  await f.observer.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).target_uri === `channel:${two}`, 3000);
  await sleep(1500);

  const p1 = await position(f, one);
  assert.ok(p1.ms > 800 && p1.ms < 2800, `playing from the top: at ${p1.ms} ms`);
  await key(f, one, two, '4');
  const p2 = await position(f, one);
  const jump = (a: typeof p1, b: typeof p1) => b.ms - a.ms - (b.at - a.at);
  // ±800 ms: a 3 s jump is still unmistakable, and a loaded machine delays when positions are taken.
  assert.ok(Math.abs(jump(p1, p2) - 3000) < 800, `4 jumped ${jump(p1, p2)} ms`);
  await key(f, one, two, '3');
  const p3 = await position(f, one);
  assert.ok(Math.abs(jump(p2, p3) + 3000) < 800, `3 jumped ${jump(p2, p3)} ms`);
  await key(f, one, two, '2');
  const p4 = await position(f, one);
  assert.ok(p4.ms < 600, `2 restarted: at ${p4.ms} ms`);

  await key(f, one, two, '1');
  const quiet = await f.fx.listen(one, 'in', 500);
  assert.ok(rms(quiet) < 50, `paused: silence (rms ${rms(quiet)})`);
  const pausedFor = Date.now();
  await key(f, one, two, '1');
  const p5 = await position(f, one);
  // Resumed where it stopped: less progress than the wall clock, by about the paused time.
  assert.ok(jump(p4, p5) < -(p5.at - pausedFor) + 200 && jump(p4, p5) < -400, `advanced ${p5.ms - p4.ms} ms in ${p5.at - p4.at} ms`);

  const next = fromNow(f.observer);
  const ear = f.fx.tap(one, 'in');
  await key(f, one, two, '#');
  const stopped = await next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).media_uri === 'sound:demo-congrats');
  assert.equal((stopped.playback as Json).state, 'stopped');
  await f.observer.next(about('ChannelDestroyed', two), 4000);
  assert.ok(contains(ear.stop(), 'vm-goodbye'), 'the caller heard goodbye before the call ended');
});

test('playback-controls: stopping the example hangs up the calls it holds', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample(f, playbackControls, APP, {});
  t.after(() => ex.stop()); // also when an assertion fails first
  const { two } = await dial(f, `stasis-${APP}`);
  await f.observer.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).target_uri === `channel:${two}`, 3000);
  await ex.stop();
  await f.observer.next(about('ChannelDestroyed', two), 3000);
});
