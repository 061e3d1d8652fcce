/**
 * examples/presence against a real Ariadne, reached through the seed's `stasis-presence@internal` (device
 * Stasis:alice). The app creates the state, subscribes to it (`deviceState:Stasis:alice` in its application),
 * and announces every DeviceStateChanged to the callers watching: the caller's own keys (checked through
 * `GET /deviceStates` and in what the caller hears) and a change made by someone else over REST alike.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import presence from '../../examples/presence/app.ts';
import type { Json } from '../helpers/media-app.ts';
import { about, contains, dial, fromNow, key, runExample, startFixture, type Fixture } from './harness.ts';

const APP = 'presence';
const DEVICE = encodeURIComponent('Stasis:alice');

/** Runs `act`, then returns what the caller heard until the next playback on `two` finished. */
async function hearAfter(f: Fixture, one: string, two: string, act: () => Promise<unknown>): Promise<Int16Array> {
  const next = fromNow(f.observer);
  const ear = f.fx.tap(one, 'in');
  await act();
  await next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).target_uri === `channel:${two}`, 4000);
  return ear.stop();
}

test('presence: keys set Stasis:alice, every change (keys or REST) is announced from DeviceStateChanged', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample(f, presence, APP, {});
  t.after(() => ex.stop());
  let ear: { stop(): Int16Array } = { stop: () => new Int16Array(0) };
  const { one, two } = await dial(f, `stasis-${APP}`, 'internal', (id) => (ear = f.fx.tap(id, 'in')));
  await f.observer.next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).target_uri === `channel:${two}`, 4000);
  assert.ok(contains(ear.stop(), 'activated'), 'hears the initial state: available');
  assert.equal((await f.call('GET', `/deviceStates/${DEVICE}`)).body.state, 'NOT_INUSE');
  const registered = await f.call('GET', `/applications/${APP}`);
  assert.deepEqual(registered.body.device_names, ['Stasis:alice'], 'subscribed to the device');

  const busy = await hearAfter(f, one, two, () => key(f, one, two, '2'));
  assert.equal((await f.call('GET', `/deviceStates/${DEVICE}`)).body.state, 'INUSE');
  assert.ok(contains(busy, 'vm-isonphone'), '2: "is on the phone"');

  const away = await hearAfter(f, one, two, () => f.call('PUT', `/deviceStates/${DEVICE}?deviceState=UNAVAILABLE`));
  assert.ok(contains(away, 'vm-isunavail'), 'a change over REST is announced too');
  assert.ok(!contains(away, 'vm-isonphone'));
  assert.ok(ex.lines.includes('Stasis:alice is now UNAVAILABLE'), ex.lines.join('\n'));

  await hearAfter(f, one, two, () => key(f, one, two, '1'));
  assert.equal((await f.call('GET', `/deviceStates/${DEVICE}`)).body.state, 'NOT_INUSE');
});

test('presence: a second caller watching another device is not told; stopping hangs up both', async (t) => {
  const f = await startFixture('\n[presence-test]\nexten => bob,1,Stasis(presence,bob)\n');
  t.after(() => f.stop());
  const ex = await runExample(f, presence, APP, {});
  t.after(() => ex.stop()); // also when an assertion fails first
  const alice = await dial(f, `stasis-${APP}`);
  const bob = await dial(f, 'bob', 'presence-test');
  await f.observer.next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).target_uri === `channel:${bob.two}`, 4000);
  const next = fromNow(f.observer);
  await key(f, bob.one, bob.two, '3');
  await next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).target_uri === `channel:${bob.two}`, 4000);
  assert.equal((await f.call('GET', `/deviceStates/${encodeURIComponent('Stasis:bob')}`)).body.state, 'UNAVAILABLE');
  assert.equal((await f.call('GET', `/deviceStates/${DEVICE}`)).body.state, 'NOT_INUSE');
  assert.ok(!f.observer.messages.slice(f.observer.messages.length - 50).some((m) => m.type === 'PlaybackStarted' && (m.playback as Json).target_uri === `channel:${alice.two}` && (m.playback as Json).media_uri === 'sound:vm-isunavail'));
  await ex.stop();
  await f.observer.next(about('ChannelDestroyed', alice.two), 3000);
  await f.observer.next(about('ChannelDestroyed', bob.two), 3000);
});
