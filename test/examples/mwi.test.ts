/**
 * examples/mwi against a real Ariadne, reached through the seed's `stasis-mwi@internal` (mailbox 1000@default).
 * The mailbox is created empty and the caller hears "you have 0 new messages"; keys change the counts, checked
 * through `GET /mailboxes` and in what the caller hears next (the spoken count located in digits/<n>.wav);
 * # hangs up; stopping the example hangs up its calls.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import mwi from '../../examples/mwi/app.ts';
import type { Json } from '../helpers/media-app.ts';
import { about, contains, dial, fromNow, key, runExample, startFixture, until, type Fixture } from './harness.ts';

const APP = 'mwi';
const BOX = encodeURIComponent('1000@default');

/** Presses `digit`, then returns what the caller heard of the announcement that follows. */
async function pressAndHear(f: Fixture, one: string, two: string, digit: string): Promise<Int16Array> {
  const next = fromNow(f.observer);
  const ear = f.fx.tap(one, 'in');
  await key(f, one, two, digit);
  await next((m) => m.type === 'PlaybackContinuing' && (m.playback as Json).target_uri === `channel:${two}` && (m.playback as Json).media_uri === 'sound:vm-INBOX', 5000);
  return ear.stop();
}

const counts = async (f: Fixture) => {
  const r = await f.call('GET', `/mailboxes/${BOX}`);
  return r.status === 200 ? [r.body.new_messages, r.body.old_messages] : r.status;
};

test('mwi: creates the mailbox, 1/2/3/0 change it, the count is read back and said; # hangs up', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample(f, mwi, APP, {});
  t.after(() => ex.stop());
  let ear: { stop(): Int16Array } = { stop: () => new Int16Array(0) };
  const { one, two } = await dial(f, `stasis-${APP}`, 'internal', (id) => (ear = f.fx.tap(id, 'in')));
  await f.observer.next((m) => m.type === 'PlaybackContinuing' && (m.playback as Json).media_uri === 'sound:vm-INBOX', 5000);
  assert.deepEqual(await counts(f), [0, 0], 'created empty');
  assert.ok(contains(ear.stop(), 'digits/0'), '"you have 0 …"');

  await key(f, one, two, '1');
  const heard2 = await pressAndHear(f, one, two, '1');
  assert.deepEqual(await counts(f), [2, 0]);
  assert.ok(contains(heard2, 'digits/2'), 'says 2 after two presses of 1');
  assert.ok(!contains(heard2, 'digits/1'), 'and not 1');

  const heard1 = await pressAndHear(f, one, two, '2');
  assert.deepEqual(await counts(f), [1, 0]);
  assert.ok(contains(heard1, 'digits/1'), 'says 1 after 2');

  const before = ex.lines.length;
  await key(f, one, two, '3');
  await key(f, one, two, '2');
  await key(f, one, two, '1');
  await key(f, one, two, '0');
  await until('four more read-backs', () => ex.lines.slice(before).filter((l) => l.startsWith('1000@default: ')).length === 4);
  assert.deepEqual(
    ex.lines.slice(before).filter((l) => l.startsWith('1000@default: ')),
    ['1000@default: 0 new, 1 old', '1000@default: 0 new, 1 old', '1000@default: 1 new, 1 old', '1000@default: 0 new, 0 old'],
    '3 marks new as old, 2 never goes below zero, 0 deletes (read back: made again, empty)',
  );
  assert.deepEqual(await counts(f), [0, 0]);

  await key(f, one, two, '#');
  await f.observer.next(about('ChannelDestroyed', two), 3000);
  assert.ok(ex.lines.includes('1000@default: 2 new, 0 old'), ex.lines.join('\n'));
});

test('mwi: a mailbox from the dialplan argument; stopping the example hangs up', async (t) => {
  const f = await startFixture('\n[mwi-test]\nexten => box,1,Stasis(mwi,2000@sales)\n');
  t.after(() => f.stop());
  const ex = await runExample(f, mwi, APP, {});
  t.after(() => ex.stop()); // also when an assertion fails first
  const { one, two } = await dial(f, 'box', 'mwi-test');
  await key(f, one, two, '1');
  await until('2000@sales has a message', async () => (await f.call('GET', `/mailboxes/${encodeURIComponent('2000@sales')}`)).body.new_messages === 1);
  assert.equal((await f.call('GET', `/mailboxes/${BOX}`)).status, 404, 'the default mailbox untouched');
  await ex.stop();
  await f.observer.next(about('ChannelDestroyed', two), 3000);
});
