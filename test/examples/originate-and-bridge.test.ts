/**
 * examples/originate-and-bridge against a real Ariadne: its two calls go to `Local/stasis-ex-test@internal`, so
 * their far halves land in the test's application, where the test listens to what each party hears. Both
 * hear the bridge's 660 Hz tone (Goertzel), then both calls end and the bridge is destroyed; stopping the example
 * in the middle of the tone tears everything down as well.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import originateAndBridge, { type OriginateAndBridgeOptions } from '../../examples/originate-and-bridge/app.ts';
import { level, type Json } from '../helpers/media-app.ts';
import { about, runExample, startFixture, TEST_APP, until, type Fixture } from './harness.ts';

const APP = 'originate-and-bridge';
const FAR = `Local/stasis-${TEST_APP}@internal`;

/** The far halves of the example's two calls, once both are in the test app and the bridge exists. */
async function farHalves(f: Fixture): Promise<{ bridgeId: string; fars: string[] }> {
  const created = await f.observer.next((m) => m.type === 'BridgeCreated' && (m.bridge as Json).name === APP, 5000);
  const bridgeId = (created.bridge as Json).id as string;
  await f.observer.next((m) => m.type === 'ChannelEnteredBridge' && (m.bridge as Json).id === bridgeId && ((m.bridge as Json).channels as string[]).length === 2, 5000);
  const starts = f.fx.ev.messages.filter((m) => m.type === 'StasisStart' && String((m.channel as Json).id).endsWith(';2'));
  assert.equal(starts.length, 2, 'both far halves are in the test app');
  return { bridgeId, fars: starts.map((m) => (m.channel as Json).id as string) };
}

test('originate-and-bridge: both parties hear the tone, then both calls and the bridge end', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample<OriginateAndBridgeOptions>(f, originateAndBridge, APP, { endpoints: [FAR, FAR], toneMs: 1500 });
  t.after(() => ex.stop());

  const { bridgeId, fars } = await farHalves(f);
  await f.observer.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).target_uri === `bridge:${bridgeId}`, 3000);
  for (const far of fars) {
    const heard = await f.fx.listen(far, 'in', 300);
    assert.ok(level(heard, 660) > 1000, `${far} hears 660 Hz (${level(heard, 660)})`);
    assert.ok(level(heard, 660) > 10 * level(heard, 440), `${far}: a 660 Hz tone, not something else`);
  }
  // The example ends the calls itself after the tone.
  for (const far of fars) await f.observer.next(about('ChannelDestroyed', far), 4000);
  await f.observer.next((m) => m.type === 'BridgeDestroyed' && (m.bridge as Json).id === bridgeId, 3000);
  assert.deepEqual((await f.call('GET', '/channels')).body, []);
  assert.deepEqual((await f.call('GET', '/bridges')).body, []);
  assert.ok(ex.lines.some((l) => l.includes('destroyed the bridge')), ex.lines.join('\n'));
  await ex.stop();
  await until('the application is unregistered', async () => (await f.call('GET', `/applications/${APP}`)).status === 404);
});

test('originate-and-bridge: aborting during the tone hangs up both calls and destroys the bridge', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample<OriginateAndBridgeOptions>(f, originateAndBridge, APP, { endpoints: [FAR, FAR], toneMs: 60_000 });
  t.after(() => ex.stop()); // also when an assertion fails first
  const { bridgeId, fars } = await farHalves(f);
  await f.observer.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).target_uri === `bridge:${bridgeId}`, 3000);
  const t0 = Date.now();
  await ex.stop();
  assert.ok(Date.now() - t0 < 2000, 'stopped promptly');
  for (const far of fars) await f.observer.next(about('ChannelDestroyed', far), 3000);
  await f.observer.next((m) => m.type === 'BridgeDestroyed' && (m.bridge as Json).id === bridgeId, 3000);
  await until('the application is unregistered', async () => (await f.call('GET', `/applications/${APP}`)).status === 404);
});
