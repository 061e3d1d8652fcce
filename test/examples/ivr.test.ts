/**
 * examples/ivr against a real Ariadne, reached through the seed's `stasis-ivr@internal`. What the caller hears
 * is located in Debian's sound files by correlation: the menu starts with vm-press, * starts it over, 1 plays
 * hello-world, 2 leaves the application for the dialplan (here a test extension that enters the test app).
 * With no key the menu times out and the caller hears goodbye; stopping the example hangs up its calls.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import ivr, { type IvrOptions } from '../../examples/ivr/app.ts';
import { sleep, type Json } from '../helpers/media-app.ts';
import { about, contains, dial, fromNow, key, locate, runExample, soundSamples, startFixture, TEST_APP, type Fixture } from './harness.ts';

const APP = 'ivr';
const DIALPLAN = `
[ivr-test]
exten => target,1,Stasis(${TEST_APP},transferred)
`;

/** Where in sound `name` what the caller hears now comes from. */
async function hearing(f: Fixture, one: string, name: string, ms = 500): Promise<number> {
  const { atMs, score } = locate(await f.fx.listen(one, 'in', ms), soundSamples(name));
  assert.ok(score > 0.8, `the caller hears ${name} (correlation ${score.toFixed(2)})`);
  return atMs;
}

test('ivr: menu, * repeats it, 1 plays hello-world, 2 continues in the dialplan', async (t) => {
  const f = await startFixture(DIALPLAN);
  t.after(() => f.stop());
  const ex = await runExample<IvrOptions>(f, ivr, APP, { transfer: { context: 'ivr-test', extension: 'target' } });
  t.after(() => ex.stop());
  const { one, two } = await dial(f, `stasis-${APP}`);
  await f.observer.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).target_uri === `channel:${two}`, 3000);
  assert.ok((await hearing(f, one, 'vm-press', 400)) < 400, 'the menu starts with "press"');
  await sleep(600); // into "1, for hello world"

  await key(f, one, two, '*');
  assert.ok((await hearing(f, one, 'vm-press', 400)) < 400, '* starts the menu over');

  const next = fromNow(f.observer);
  await key(f, one, two, '1');
  assert.ok((await hearing(f, one, 'hello-world', 500)) < 500, '1 plays hello-world from its start');
  await next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).media_uri === 'sound:hello-world', 3000);
  await next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).target_uri === `channel:${two}`, 3000);
  assert.ok((await hearing(f, one, 'vm-press', 400)) < 500, 'then the menu again');

  await key(f, one, two, '2');
  const back = await f.fx.ev.next(about('StasisStart', two), 3000);
  assert.deepEqual(back.args, ['transferred'], '2 continued at target@ivr-test');
  await f.call('DELETE', `/channels/${one}`);
});

test('ivr: no key → the menu times out, goodbye, hang up; stopping the example hangs up its calls', async (t) => {
  const f = await startFixture(DIALPLAN);
  t.after(() => f.stop());
  const ex = await runExample<IvrOptions>(f, ivr, APP, { menu: ['sound:beep'], timeoutMs: 400, maxTries: 2 });
  t.after(() => ex.stop()); // also when an assertion fails first
  const { one, two } = await dial(f, `stasis-${APP}`);
  const ear = f.fx.tap(one, 'in');
  const t0 = Date.now();
  await f.observer.next(about('ChannelDestroyed', two), 5000);
  const heard = ear.stop();
  // Two menus (0.43 s each) with their 0.4 s waits, then vm-goodbye (~0.9 s).
  assert.ok(Date.now() - t0 > 1500, `ended after ${Date.now() - t0} ms`);
  assert.ok(contains(heard, 'vm-goodbye'), 'goodbye before the call ended');
  assert.equal(ex.lines.filter((l) => l.endsWith('no key')).length, 2, ex.lines.join('\n'));

  const second = await dial(f, `stasis-${APP}`);
  await f.observer.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).target_uri === `channel:${second.two}`, 3000);
  await ex.stop();
  await f.observer.next(about('ChannelDestroyed', second.two), 3000);
});
