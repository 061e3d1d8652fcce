/**
 * Snoop channels over real sockets, checked by content. The target is the `;2` half of a Local pair in the
 * application: what its far side says is a tone played to `;1` (440 Hz: `;1` hears it, so `;2` says it), what
 * is played to the target is 1000 Hz. A snoop with spy=in says the 440 Hz and not the 1000 Hz, spy=out the
 * opposite; 700 Hz played to a whispering snoop reaches the target's far side (`;1` hears it). The snoop
 * channel is named `Snoop/<target>-<8 hex>`, starts in its application with its args, and hangs up with its
 * target; bad requests get Asterisk's answers.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Direction } from '../../src/media/engine/protocol.ts';
import { MediaApp, level, type Json } from '../helpers/media-app.ts';

const APP = 'snoop-test';

let fx: MediaApp;
let ev: MediaApp['ev'];

before(async () => {
  fx = await MediaApp.start(APP);
  ev = fx.ev;
});
after(() => fx.stop());

const call = (method: string, pathAndQuery: string) => fx.call(method, pathAndQuery);
const pair = () => fx.pair('sn-chan');
const listen = (sessionId: string, direction: Direction, ms = 400) => fx.listen(sessionId, direction, ms);

/** A pair whose target (;2) says 440 Hz and hears 1000 Hz. */
async function talkingPair(): Promise<{ one: string; two: string }> {
  const p = await pair();
  assert.equal((await call('POST', `/channels/${p.one}/play?media=tone:440`)).status, 201);
  assert.equal((await call('POST', `/channels/${p.two}/play?media=tone:1000`)).status, 201);
  return p;
}

async function snoop(target: string, query: string): Promise<Json> {
  const r = await call('POST', `/channels/${encodeURIComponent(target)}/snoop?app=${APP}&${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const id = r.body.id as string;
  await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === id);
  return r.body;
}

describe('snoop', () => {
  it('spy=in hears what the target says, not what it hears; the channel is named and started like Asterisk', async () => {
    const { one, two } = await talkingPair();
    const r = await call('POST', `/channels/${encodeURIComponent(two)}/snoop/spy-in?app=${APP}&spy=in&appArgs=a,b`);
    assert.equal(r.status, 200);
    assert.equal(r.body.id, 'spy-in');
    assert.match(r.body.name as string, new RegExp(`^Snoop/${two}-[0-9a-f]{8}$`));
    assert.equal(r.body.state, 'Up');
    assert.deepEqual(r.body.dialplan, { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' });
    const start = await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === 'spy-in');
    assert.deepEqual(start.args, ['a', 'b']);
    assert.equal(((start.channel as Json).dialplan as Json).app_name, 'Stasis');
    const heard = await listen('spy-in', 'in');
    assert.ok(level(heard, 440) > 3000, `440 Hz ${level(heard, 440)}`);
    assert.ok(level(heard, 1000) < 100, `1000 Hz ${level(heard, 1000)}`);
    await call('DELETE', `/channels/${one}`);
  });

  it('spy=out hears what is played to the target, not what it says', async () => {
    const { one, two } = await talkingPair();
    await snoop(two, 'spy=out&snoopId=spy-out');
    const heard = await listen('spy-out', 'in');
    assert.ok(level(heard, 1000) > 3000, `1000 Hz ${level(heard, 1000)}`);
    assert.ok(level(heard, 440) < 100, `440 Hz ${level(heard, 440)}`);
    await call('DELETE', `/channels/${one}`);
  });

  it('whisper=out: what is played to the snoop reaches the target far side; the snoop hangs up with its target', async () => {
    const { one, two } = await pair();
    await snoop(two, 'whisper=out&snoopId=whisper-out');
    assert.equal((await call('POST', '/channels/whisper-out/play?media=tone:700')).status, 201);
    const farSide = await listen(one, 'in');
    assert.ok(level(farSide, 700) > 3000, `700 Hz at the far side ${level(farSide, 700)}`);
    const said = await listen(two, 'in', 200);
    assert.ok(level(said, 700) < 100, 'nothing whispered into what the target says');
    assert.equal((await call('DELETE', `/channels/${encodeURIComponent(two)}`)).status, 204);
    await ev.next((m) => m.type === 'StasisEnd' && (m.channel as Json).id === 'whisper-out');
    assert.equal((await call('GET', '/channels/whisper-out')).status, 404);
    await call('DELETE', `/channels/${one}`);
  });

  it('answers bad requests as Asterisk does (and a taken id with 409)', async () => {
    const { one, two } = await pair();
    const t = encodeURIComponent(two);
    const expect = async (query: string, status: number, message: string, target = t) => {
      const r = await call('POST', `/channels/${target}/snoop?${query}`);
      assert.equal(r.status, status, query);
      assert.deepEqual(r.body, { message }, query);
    };
    await expect(`app=${APP}&spy=sideways`, 400, 'Invalid direction specified for spy');
    await expect(`app=${APP}&whisper=up`, 400, 'Invalid direction specified for whisper');
    await expect(`app=${APP}`, 400, 'Direction must be specified for at least spy or whisper');
    await expect(`app=${APP}&spy=none&whisper=none`, 400, 'Direction must be specified for at least spy or whisper');
    await expect('spy=both', 400, 'Application name is required');
    await expect(`app=${APP}&spy=both`, 404, 'Provided channel was not found', 'no-such-channel');
    await snoop(two, 'spy=both&snoopId=dup-snoop');
    await expect(`app=${APP}&spy=both&snoopId=dup-snoop`, 409, 'Channel with given unique ID already exists');
    await call('DELETE', `/channels/${one}`);
    await ev.next((m) => m.type === 'StasisEnd' && (m.channel as Json).id === 'dup-snoop');
  });
});
