/**
 * examples/record-and-playback against a real Ariadne. The caller (reaching it through the seed's
 * `stasis-record-and-playback@internal`) hears the beep, then plays a 700 Hz tone into the recording and
 * presses #; it then hears its own tone back (Goertzel on what it hears while the recording plays), and the
 * stored recording is gone once the call has ended. With a 1 s limit the recording stops by itself.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import recordAndPlayback, { type RecordAndPlaybackOptions } from '../../examples/record-and-playback/app.ts';
import { level, sleep, type Json } from '../helpers/media-app.ts';
import { about, contains, dial, fromNow, key, runExample, startFixture } from './harness.ts';

const APP = 'record-and-playback';

test('record-and-playback: beep, record until #, play the message back, delete it', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample<RecordAndPlaybackOptions>(f, recordAndPlayback, APP, {});
  t.after(() => ex.stop());
  const { one, two } = await dial(f, `stasis-${APP}`);
  const beep = f.fx.tap(one, 'in');
  const started = await f.observer.next((m) => m.type === 'RecordingStarted' && (m.recording as Json).target_uri === `channel:${two}`, 3000);
  const name = (started.recording as Json).name as string;
  await sleep(100);
  assert.ok(contains(beep.stop(), 'beep'), 'the caller heard the beep before recording');

  assert.equal((await f.call('POST', `/channels/${one}/play/msg-tone?media=tone:700`)).status, 201);
  await sleep(1000);
  assert.equal((await f.call('DELETE', '/playbacks/msg-tone')).status, 204);
  const next = fromNow(f.observer);
  await key(f, one, two, '#');
  const finished = await next((m) => m.type === 'RecordingFinished' && (m.recording as Json).name === name);
  const seconds = (finished.recording as Json).duration as number;
  assert.ok(seconds >= 1 && seconds <= 3, `recorded ${seconds} s`);

  await next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).media_uri === `recording:${name}`);
  assert.equal((await f.call('GET', `/recordings/stored/${name}`)).status, 200, 'stored while it plays');
  const heard = await f.fx.listen(one, 'in', 600);
  assert.ok(level(heard, 700) > 1000, `the caller hears its 700 Hz message (${level(heard, 700)})`);
  await next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).media_uri === `recording:${name}`, 4000);
  await f.observer.next(about('ChannelDestroyed', two), 3000);
  assert.equal((await f.call('GET', `/recordings/stored/${name}`)).status, 404, 'deleted after playing');
});

test('record-and-playback: the recording stops at maxSeconds; stopping the example hangs up', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample<RecordAndPlaybackOptions>(f, recordAndPlayback, APP, { maxSeconds: 1 });
  t.after(() => ex.stop()); // also when an assertion fails first
  const { two } = await dial(f, `stasis-${APP}`);
  const started = await f.observer.next((m) => m.type === 'RecordingStarted' && (m.recording as Json).target_uri === `channel:${two}`, 3000);
  const t0 = Date.now();
  const name = (started.recording as Json).name as string;
  await f.observer.next((m) => m.type === 'RecordingFinished' && (m.recording as Json).name === name, 3000);
  assert.ok(Date.now() - t0 >= 800 && Date.now() - t0 < 2000, `stopped after ${Date.now() - t0} ms`);
  await f.observer.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).media_uri === `recording:${name}`, 3000);
  await ex.stop();
  await f.observer.next(about('ChannelDestroyed', two), 3000);
});
