/**
 * examples/conference against a real Ariadne: callers reach room r1 through a test extension
 * (`Stasis(conference,r1)`). Each join plays the rising tone (660 Hz, then 880 Hz) to the room, the room mixes
 * (a tone one caller sends is heard by the other), a leave plays the falling tone (880 then 440 Hz) to those
 * who stay, and the last one out destroys the bridge. Stopping the example hangs up and destroys the room.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import conference from '../../examples/conference/app.ts';
import { level, type Json } from '../helpers/media-app.ts';
import { about, dial, fromNow, peak, runExample, startFixture, until, type Fixture } from './harness.ts';

const APP = 'conference';
const DIALPLAN = `
[conf-test]
exten => _room-.,1,Stasis(conference,\${EXTEN:5})
`;

/** Asserts `heard` holds `first` Hz, then `second` Hz. */
function assertTones(heard: Int16Array, first: number, second: number, what: string): void {
  const a = peak(heard, first);
  const b = peak(heard, second);
  assert.ok(a.amplitude > 1000 && b.amplitude > 1000, `${what}: ${first} Hz ${a.amplitude}, ${second} Hz ${b.amplitude}`);
  assert.ok(a.atMs < b.atMs, `${what}: ${first} Hz (at ${a.atMs} ms) before ${second} Hz (at ${b.atMs} ms)`);
}

/** Taps `ones` from now; the function returned waits for the next tone played into a conference bridge to end. */
function toneEars(f: Fixture, ones: string[]): () => Promise<Int16Array[]> {
  const next = fromNow(f.observer);
  const ears = ones.map((one) => f.fx.tap(one, 'in'));
  return async () => {
    await next((m) => m.type === 'PlaybackFinished' && String((m.playback as Json).target_uri).startsWith('bridge:'), 3000);
    await new Promise((r) => setTimeout(r, 60));
    return ears.map((e) => e.stop());
  };
}

test('conference: join tones, mixing, leave tone, last one out destroys the room', async (t) => {
  const f = await startFixture(DIALPLAN);
  t.after(() => f.stop());
  const ex = await runExample(f, conference, APP, {});
  t.after(() => ex.stop());

  let joined = async (): Promise<Int16Array[]> => [];
  const a = await dial(f, 'room-r1', 'conf-test', (one) => (joined = toneEars(f, [one])));
  const created = await f.observer.next((m) => m.type === 'BridgeCreated' && (m.bridge as Json).name === 'conference-r1', 3000);
  const bridgeId = (created.bridge as Json).id as string;
  const [heardA1] = await joined();
  assertTones(heardA1!, 660, 880, 'A joins');

  const b = await dial(f, 'room-r1', 'conf-test', (one) => (joined = toneEars(f, [a.one, one])));
  const [heardA2, heardB] = await joined();
  assertTones(heardA2!, 660, 880, 'B joins, A hears');
  assertTones(heardB!, 660, 880, 'B joins, B hears');

  assert.equal((await f.call('POST', `/channels/${a.one}/play/a-talks?media=tone:500`)).status, 201);
  const mixed = await f.fx.listen(b.one, 'in', 300);
  assert.ok(level(mixed, 500) > 1000, `B hears A (${level(mixed, 500)})`);
  await f.call('DELETE', '/playbacks/a-talks');

  const leaving = toneEars(f, [a.one]);
  await f.call('DELETE', `/channels/${b.one}`);
  const [heardA3] = await leaving();
  assertTones(heardA3!, 880, 440, 'B leaves, A hears');

  await f.call('DELETE', `/channels/${a.one}`);
  await f.observer.next((m) => m.type === 'BridgeDestroyed' && (m.bridge as Json).id === bridgeId, 3000);
  await until('the example logs the empty room', () => ex.lines.includes('room r1: empty, bridge destroyed'));
});

test('conference: stopping the example hangs up the room and destroys it', async (t) => {
  const f = await startFixture(DIALPLAN);
  t.after(() => f.stop());
  const ex = await runExample(f, conference, APP, {});
  t.after(() => ex.stop()); // also when an assertion fails first
  const a = await dial(f, 'room-r2', 'conf-test');
  const entered = await f.observer.next((m) => about('ChannelEnteredBridge', a.two)(m), 3000);
  await ex.stop();
  await f.observer.next(about('ChannelDestroyed', a.two), 3000);
  await f.observer.next((m) => m.type === 'BridgeDestroyed' && (m.bridge as Json).id === (entered.bridge as Json).id, 3000);
});
