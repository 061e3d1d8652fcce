/**
 * `/ari/bridges` over real sockets, with channels originated into Stasis through the reference's
 * extensions.conf (`Local/wait@internal` with `app=` gives an Up `;1` half in the application and a `;2` half
 * sitting in the dialplan's Wait()): the Bridge model as Asterisk 22 writes it, every status and message the
 * reference shows, moving channels between bridges, BRIDGEPEER, bridge variables, the video source, which
 * applications hear about a bridge, and the two-channel mixing scenario's events compared with Asterisk's.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR, perChannel, referenceEvents, type WireEvent } from '../helpers/sequences.ts';

/** The reference dialplan plus a context whose Dial() makes a basic (non-Stasis) bridge. */
const EXTENSIONS =
  fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8') +
  '\n[dialtest]\nexten => d,1,Dial(Local/wait@internal)\n same => n,Hangup()\n';

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': EXTENSIONS } });
});
after(async () => {
  await srv.stop();
});

async function call(method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await srv.ari(method, pathAndQuery, body === undefined ? {} : { body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function expectStatus(method: string, pathAndQuery: string, status: number, message?: string, body?: unknown): Promise<any> {
  const r = await call(method, pathAndQuery, body);
  assert.equal(r.status, status, `${method} ${pathAndQuery}: ${JSON.stringify(r.body)}`);
  if (message !== undefined) assert.deepEqual(r.body, { message });
  return r.body;
}

/** The reference's response body for one capture in `rest/`. */
function referenceBody(name: string): any {
  return (JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'rest', `${name}.json`), 'utf8')) as { body: unknown }).body;
}

/** Waits for the first message at or after index `from` that matches. */
async function until(ev: EventClient, pred: (m: any) => boolean, from = 0, timeoutMs = 3000): Promise<any> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = msgs(ev).slice(from).find(pred);
    if (found) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for an event; got ${msgs(ev).slice(from).map((m) => m.type).join(', ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until the socket has been quiet for `quietMs` (bounded). */
async function settle(ev: EventClient, quietMs = 200, maxMs = 4000): Promise<void> {
  const start = Date.now();
  let seen = ev.messages.length;
  let quietSince = Date.now();
  while (Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 20));
    if (ev.messages.length !== seen) {
      seen = ev.messages.length;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
  }
}

/** The messages a socket received, loosely typed for reading fields. */
const msgs = (ev: EventClient): any[] => ev.messages as any[];

const is = (type: string, channelId?: string) => (m: any) => m.type === type && (channelId === undefined || m.channel?.id === channelId);

/** Originates `Local/wait@internal` into `app` as `id` and waits for its StasisStart. */
async function inStasis(ev: EventClient, app: string, id: string): Promise<void> {
  await expectStatus('POST', `/channels?endpoint=Local/wait@internal&app=${app}&channelId=${id}`, 200);
  await until(ev, is('StasisStart', id));
}

const appSocket = (app: string, extra = '') => openEvents(srv.base, `api_key=asterisk:asterisk&app=${app}${extra}`);

describe('/bridges: the Bridge model and creation', () => {
  it('creates mixing, holding and JSON-body bridges shaped exactly like Asterisk 22', async () => {
    assert.deepEqual(await expectStatus('GET', '/bridges', 200), referenceBody('bridges-list-empty'));

    const mixing = await expectStatus('POST', '/bridges?type=mixing&name=ref-bridge', 200);
    assert.match(mixing.id, UUID);
    assert.match(mixing.creationtime, TS);
    const ref = referenceBody('bridges-create-mixing');
    assert.deepEqual(Object.keys(mixing), Object.keys(ref), 'field order');
    assert.deepEqual({ ...mixing, id: '', creationtime: '' }, { ...ref, id: '', creationtime: '' });

    const withId = await expectStatus('POST', '/bridges/ref-bridge-2?type=mixing,dtmf_events', 200);
    assert.deepEqual({ ...withId, creationtime: '' }, { ...referenceBody('bridges-create-with-id'), creationtime: '' });

    const holding = await expectStatus('POST', '/bridges?type=holding&bridgeId=ref-holding', 200);
    assert.deepEqual({ ...holding, creationtime: '' }, { ...referenceBody('bridges-create-holding'), creationtime: '' });

    const json = await expectStatus('POST', '/bridges', 200, undefined, { type: 'mixing', bridgeId: 'ref-bridge-json', name: 'json' });
    assert.deepEqual({ ...json, creationtime: '' }, { ...referenceBody('bridges-create-json-body'), creationtime: '' });

    await expectStatus('POST', '/bridges', 400, 'Error parsing request body', '{not json');

    const got = await expectStatus('GET', `/bridges/${mixing.id}`, 200);
    assert.deepEqual(got, mixing);
    const list = (await expectStatus('GET', '/bridges', 200)) as { id: string }[];
    assert.deepEqual(list.map((b) => b.id), [mixing.id, 'ref-bridge-2', 'ref-holding', 'ref-bridge-json']);

    await expectStatus('GET', '/bridges/no-such-bridge', 404, 'Bridge not found');
    for (const b of list) await expectStatus('DELETE', `/bridges/${b.id}`, 204);
    await expectStatus('DELETE', `/bridges/${mixing.id}`, 404, 'Bridge not found');
    assert.deepEqual(await expectStatus('GET', '/bridges', 200), []);
  });

  it('defaults to mixing; video_sfu and video_single set the video mode', async () => {
    const plain = await expectStatus('POST', '/bridges', 200);
    assert.equal(plain.bridge_type, 'mixing');
    assert.equal(plain.technology, 'simple_bridge');
    assert.equal(plain.video_mode, 'talker');
    const sfu = await expectStatus('POST', '/bridges?type=video_sfu', 200);
    assert.deepEqual([sfu.bridge_type, sfu.technology, sfu.video_mode], ['mixing', 'softmix', 'sfu']);
    const single = await expectStatus('POST', '/bridges?type=mixing,video_single,proxy_media,sdp_label', 200);
    assert.deepEqual([single.bridge_type, single.technology, single.video_mode], ['mixing', 'simple_bridge', 'single']);
    assert.equal(single.video_source_id, undefined);
    for (const b of [plain, sfu, single]) await expectStatus('DELETE', `/bridges/${b.id}`, 204);
  });

  it('answers a bad type with a 400 naming the accepted values (Asterisk: 500), and a taken id with 409', async () => {
    const bad = await expectStatus('POST', '/bridges?type=nonsense', 400);
    assert.match(bad.message, /nonsense.*mixing, holding, dtmf_events, proxy_media, video_sfu, video_single/);
    await expectStatus('POST', '/bridges?type=holding,mixing', 400, 'Bridge types holding and mixing cannot be combined');
    await expectStatus('POST', '/bridges?type=dtmf_events', 400, 'Bridge type must include mixing, holding or video_sfu');
    await expectStatus('POST', '/bridges/taken', 200);
    await expectStatus('POST', '/bridges/taken', 409, "Bridge with id 'taken' already exists");
    await expectStatus('POST', '/bridges?bridgeId=taken', 409, "Bridge with id 'taken' already exists");
    await expectStatus('DELETE', '/bridges/taken', 204);
    assert.deepEqual(await expectStatus('GET', '/bridges', 200), []);
  });

  it('music on hold and play on an empty bridge', async () => {
    await expectStatus('POST', '/bridges/b501', 200);
    // Audio is checked in bridges-media.test.ts; here the statuses (no member needed, as in Asterisk).
    await expectStatus('POST', '/bridges/b501/moh', 204);
    await expectStatus('DELETE', '/bridges/b501/moh', 204);
    await expectStatus('DELETE', '/bridges/b501/moh', 409, "Bridge isn't playing music");
    await expectStatus('POST', '/bridges/b501/play/pb1?media=tone:ring', 201);
    await expectStatus('DELETE', '/playbacks/pb1', 204);
    await expectStatus('DELETE', '/bridges/b501', 204);
  });
});

describe('/bridges: channels', () => {
  it('adds, moves and removes channels with the reference statuses and messages', async () => {
    const ev = await appSocket('br-app');
    try {
      await inStasis(ev, 'br-app', 'br-1');
      await inStasis(ev, 'br-app', 'br-2');
      const b = await expectStatus('POST', '/bridges?type=mixing&name=ref-bridge', 200);
      await expectStatus('POST', '/bridges/ref-bridge-2?type=mixing,dtmf_events', 200);

      // The errors, checked before anything joins.
      await expectStatus('POST', `/bridges/${b.id}/addChannel`, 400, 'Missing parameter channel');
      await expectStatus('POST', `/bridges/${b.id}/addChannel?channel=no-such-channel`, 400, 'Channel not found');
      await expectStatus('POST', `/bridges/${b.id}/addChannel?channel=br-1,no-such-channel`, 400, 'Channel not found');
      await expectStatus('POST', `/bridges/${b.id}/addChannel?channel=br-1;2`, 422, 'Channel not in Stasis application');
      await expectStatus('POST', '/bridges/no-such-bridge/addChannel?channel=br-1', 404, 'Bridge not found');
      assert.deepEqual((await expectStatus('GET', `/bridges/${b.id}`, 200)).channels, []);

      const mark = ev.messages.length;
      await expectStatus('POST', `/bridges/${b.id}/addChannel?channel=br-1,br-2&role=participant&absorbDTMF=yes&mute=no&inhibitConnectedLineUpdates=true`, 204);
      const withTwo = await expectStatus('GET', `/bridges/${b.id}`, 200);
      assert.deepEqual({ ...withTwo, id: '', creationtime: '' }, { ...referenceBody('bridges-get-with-channels'), id: '', creationtime: '', channels: ['br-1', 'br-2'] });
      await until(ev, (m) => is('ChannelVarset', 'br-2')(m) && m.variable === 'BRIDGEPEER', mark);

      // Already in another bridge: it moves (204), leaving the first with the other channel.
      const moveMark = ev.messages.length;
      await expectStatus('POST', '/bridges/ref-bridge-2/addChannel?channel=br-1', 204);
      assert.deepEqual((await expectStatus('GET', `/bridges/${b.id}`, 200)).channels, ['br-2']);
      assert.deepEqual((await expectStatus('GET', '/bridges/ref-bridge-2', 200)).channels, ['br-1']);
      await until(ev, is('ChannelEnteredBridge', 'br-1'), moveMark);
      const moved = msgs(ev).slice(moveMark).filter((m) => m.channel?.id === 'br-1');
      assert.deepEqual(
        moved.map((m) => [m.type, m.variable ?? m.bridge?.id, m.value ?? m.bridge?.channels]),
        [
          ['ChannelVarset', 'BRIDGEPEER', ''],
          ['ChannelLeftBridge', b.id, ['br-2']],
          ['ChannelEnteredBridge', 'ref-bridge-2', ['br-1']],
        ],
        'as in the reference background capture',
      );
      // Adding a member again changes nothing.
      await expectStatus('POST', '/bridges/ref-bridge-2/addChannel?channel=br-1', 204);
      assert.deepEqual((await expectStatus('GET', '/bridges/ref-bridge-2', 200)).channels, ['br-1']);

      await expectStatus('POST', `/bridges/${b.id}/removeChannel?channel=no-such-channel`, 400, 'Channel not found');
      await expectStatus('POST', `/bridges/${b.id}/removeChannel?channel=br-1`, 422, 'Channel not in this bridge');
      await expectStatus('POST', `/bridges/${b.id}/removeChannel`, 400, 'Missing parameter channel');
      await expectStatus('POST', '/bridges/no-such-bridge/removeChannel?channel=br-1', 404, 'Bridge not found');
      await expectStatus('POST', `/bridges/${b.id}/removeChannel?channel=br-2`, 204);
      assert.deepEqual((await expectStatus('GET', `/bridges/${b.id}`, 200)).channels, []);
      await expectStatus('POST', `/bridges/${b.id}/removeChannel?channel=br-2`, 422, 'Channel not in this bridge');

      // Removed channels stay in the application and can be controlled.
      await expectStatus('POST', '/channels/br-2/answer', 204);
      await expectStatus('DELETE', `/bridges/${b.id}`, 204);
      await expectStatus('DELETE', '/bridges/ref-bridge-2', 204);
      await expectStatus('DELETE', '/channels/br-1', 204);
      await expectStatus('DELETE', '/channels/br-2', 204);
      await until(ev, is('StasisEnd', 'br-2'));
    } finally {
      await ev.close();
    }
  });

  it('keeps BRIDGEPEER as Asterisk does: the other name, a comma list for three, none after leaving', async () => {
    const ev = await appSocket('peer-app');
    try {
      for (const id of ['p-1', 'p-2', 'p-3']) await inStasis(ev, 'peer-app', id);
      const names = Object.fromEntries(
        await Promise.all(['p-1', 'p-2', 'p-3'].map(async (id) => [id, (await expectStatus('GET', `/channels/${id}`, 200)).name as string])),
      ) as Record<string, string>;
      await expectStatus('POST', '/bridges/peers', 200);
      const peer = async (id: string) => (await call('GET', `/channels/${id}/variable?variable=BRIDGEPEER`)).body;

      await expectStatus('POST', '/bridges/peers/addChannel?channel=p-1', 204);
      assert.deepEqual(await peer('p-1'), { message: 'Provided variable was not found' }, 'alone: no peer');
      await expectStatus('POST', '/bridges/peers/addChannel?channel=p-2', 204);
      assert.deepEqual(await peer('p-1'), { value: names['p-2'] });
      assert.deepEqual(await peer('p-2'), { value: names['p-1'] });

      await expectStatus('POST', '/bridges/peers/addChannel?channel=p-3', 204);
      const three = await expectStatus('GET', '/bridges/peers', 200);
      assert.equal(three.technology, 'softmix', 'more than two members mix');
      assert.deepEqual(await peer('p-1'), { value: `${names['p-2']},${names['p-3']}` });
      assert.deepEqual(await peer('p-2'), { value: `${names['p-1']},${names['p-3']}` });
      assert.deepEqual(await peer('p-3'), { value: `${names['p-1']},${names['p-2']}` });

      const mark = ev.messages.length;
      await expectStatus('POST', '/bridges/peers/removeChannel?channel=p-2', 204);
      assert.equal((await expectStatus('GET', '/bridges/peers', 200)).technology, 'simple_bridge');
      assert.deepEqual(await peer('p-2'), { message: 'Provided variable was not found' });
      assert.deepEqual(await peer('p-1'), { value: names['p-3'] });
      assert.deepEqual(await peer('p-3'), { value: names['p-1'] });
      await until(ev, (m) => is('ChannelVarset', 'p-3')(m) && m.variable === 'BRIDGEPEER', mark);
      assert.deepEqual(
        msgs(ev).slice(mark).map((m) => [m.type, m.channel?.id, m.variable ?? '', m.value ?? '']),
        [
          ['ChannelVarset', 'p-2', 'BRIDGEPEER', ''],
          ['ChannelLeftBridge', 'p-2', '', ''],
          ['ChannelVarset', 'p-1', 'BRIDGEPEER', names['p-3']],
          ['ChannelVarset', 'p-3', 'BRIDGEPEER', names['p-1']],
        ],
      );

      // A holding bridge has no peers: moving there clears it.
      await expectStatus('POST', '/bridges/hold?type=holding', 200);
      await expectStatus('POST', '/bridges/hold/addChannel?channel=p-1,p-2&role=participant', 204);
      assert.deepEqual(await peer('p-1'), { message: 'Provided variable was not found' });
      assert.equal((await expectStatus('GET', '/bridges/hold', 200)).technology, 'holding_bridge');

      for (const id of ['p-1', 'p-2', 'p-3']) await expectStatus('DELETE', `/channels/${id}`, 204);
      await until(ev, is('StasisEnd', 'p-3'));
      for (const b of ['peers', 'hold']) await expectStatus('DELETE', `/bridges/${b}`, 204);
    } finally {
      await ev.close();
    }
  });

  it('destroying a bridge sends its channels out (still in the application), then BridgeDestroyed', async () => {
    const ev = await appSocket('destroy-app');
    try {
      await inStasis(ev, 'destroy-app', 'd-1');
      await inStasis(ev, 'destroy-app', 'd-2');
      await expectStatus('POST', '/bridges/doomed', 200);
      await expectStatus('POST', '/bridges/doomed/addChannel?channel=d-1,d-2', 204);
      const mark = ev.messages.length;
      await expectStatus('DELETE', '/bridges/doomed', 204);
      await until(ev, is('BridgeDestroyed'), mark);
      assert.deepEqual(
        msgs(ev).slice(mark).map((m) => [m.type, m.channel?.id ?? '', m.variable ?? '', m.bridge?.channels ?? '']),
        [
          ['ChannelVarset', 'd-1', 'BRIDGEPEER', ''],
          ['ChannelLeftBridge', 'd-1', '', ['d-2']],
          ['ChannelVarset', 'd-2', 'BRIDGEPEER', ''],
          ['ChannelLeftBridge', 'd-2', '', []],
          ['BridgeDestroyed', '', '', []],
        ],
      );
      await expectStatus('GET', '/bridges/doomed', 404, 'Bridge not found');
      // Still in the application: they can join another bridge.
      await expectStatus('POST', '/bridges/next', 200);
      await expectStatus('POST', '/bridges/next/addChannel?channel=d-1', 204);
      await expectStatus('DELETE', '/channels/d-1', 204);
      await expectStatus('DELETE', '/channels/d-2', 204);
      await until(ev, is('StasisEnd', 'd-2'));
      assert.deepEqual((await expectStatus('GET', '/bridges/next', 200)).channels, [], 'a hung-up channel leaves its bridge');
      await expectStatus('DELETE', '/bridges/next', 204);
    } finally {
      await ev.close();
    }
  });

  it('a bridge Dial() made (class basic) is listed but not changed through ARI (409)', async () => {
    const ev = await appSocket('dial-app');
    try {
      await inStasis(ev, 'dial-app', 'dl-1');
      await expectStatus('POST', '/channels?endpoint=Local/d@dialtest&extension=wait&context=internal&channelId=dl-caller', 200);
      let basic: any;
      const end = Date.now() + 3000;
      while (!basic && Date.now() < end) {
        basic = ((await expectStatus('GET', '/bridges', 200)) as any[]).find((b) => b.bridge_class === 'basic' && b.channels.length === 2);
        if (!basic) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(basic, 'Dial() bridged its two legs');
      assert.equal(basic.creator, '');
      assert.equal((await expectStatus('GET', `/bridges/${basic.id}`, 200)).id, basic.id);
      await expectStatus('POST', `/bridges/${basic.id}/addChannel?channel=dl-1`, 409, 'Bridge not in Stasis application');
      await expectStatus('DELETE', `/bridges/${basic.id}`, 409, 'Bridge not in Stasis application');
      await expectStatus('POST', `/bridges/${basic.id}/variable?variable=X&value=1`, 409, 'Bridge not in Stasis application');
      await expectStatus('DELETE', '/channels/dl-caller', 204);
      await expectStatus('DELETE', '/channels/dl-1', 204);
      await until(ev, is('StasisEnd', 'dl-1'));
    } finally {
      await ev.close();
    }
  });
});

describe('/bridges: which applications hear about a bridge', () => {
  it('BridgeCreated/Destroyed of a REST-made bridge reach subscribeAll apps only (a4)', async () => {
    const plain = await appSocket('quiet-app');
    const all = await appSocket('all-app', '&subscribeAll=true');
    try {
      await expectStatus('POST', '/bridges?type=mixing&bridgeId=ev-a4-bridge', 200);
      await expectStatus('DELETE', '/bridges/ev-a4-bridge', 204);
      const created = await until(all, is('BridgeCreated'));
      const destroyed = await until(all, is('BridgeDestroyed'));
      const ref = referenceEvents('a4-subscribeAll', 'all').filter((e) => String(e.type).startsWith('Bridge'));
      for (const [ours, theirs] of [
        [created, ref[0]],
        [destroyed, ref[1]],
      ] as const) {
        assert.deepEqual(Object.keys(ours), Object.keys(theirs as object), 'field order');
        assert.deepEqual({ ...ours, timestamp: '', application: '', asterisk_id: '', bridge: { ...ours.bridge, creationtime: '' } }, {
          ...(theirs as WireEvent),
          timestamp: '',
          application: '',
          asterisk_id: '',
          bridge: { ...((theirs as WireEvent).bridge as object), creationtime: '' },
        });
      }
      await settle(plain, 100);
      assert.deepEqual(msgs(plain).filter((m) => String(m.type).startsWith('Bridge')), []);
    } finally {
      await plain.close();
      await all.close();
    }
  });

  it('an app is subscribed to the bridge its channel is in, until the channel is taken out', async () => {
    const a = await appSocket('sub-a');
    const b = await appSocket('sub-b');
    try {
      await inStasis(a, 'sub-a', 's-a');
      await inStasis(b, 'sub-b', 's-b');
      await expectStatus('POST', '/bridges/shared', 200);
      await expectStatus('POST', '/bridges/shared/addChannel?channel=s-a', 204);
      assert.deepEqual((await expectStatus('GET', '/applications/sub-a', 200)).bridge_ids, ['shared']);
      assert.deepEqual((await expectStatus('GET', '/applications/sub-b', 200)).bridge_ids, []);

      // sub-a hears about sub-b's channel entering because it is subscribed to the bridge.
      await expectStatus('POST', '/bridges/shared/addChannel?channel=s-b', 204);
      const entered = await until(a, is('ChannelEnteredBridge', 's-b'));
      assert.deepEqual(entered.bridge.channels, ['s-a', 's-b']);
      assert.equal(entered.application, 'sub-a');
      // ...but not about sub-b's channel variables (those follow the channel).
      await settle(a, 100);
      assert.equal(msgs(a).filter((m) => m.type === 'ChannelVarset' && m.channel?.id === 's-b').length, 0);

      // Taken out while staying in the application: sub-a stops hearing about the bridge.
      await expectStatus('POST', '/bridges/shared/removeChannel?channel=s-a', 204);
      assert.deepEqual((await expectStatus('GET', '/applications/sub-a', 200)).bridge_ids, []);
      const mark = a.messages.length;
      await expectStatus('POST', '/bridges/shared/removeChannel?channel=s-b', 204);
      await expectStatus('DELETE', '/bridges/shared', 204);
      await settle(a, 100);
      assert.equal(msgs(b).filter((m) => m.type === 'BridgeDestroyed').length, 0, 'sub-b was unsubscribed too');
      assert.deepEqual(msgs(a).slice(mark).map((m) => m.type), []);

      // An explicit bridge: subscription brings the same events to an app whose channels are not in it.
      await expectStatus('POST', '/bridges/watched', 200);
      await expectStatus('POST', '/applications/sub-a/subscription?eventSource=bridge:watched', 200);
      await expectStatus('POST', '/bridges/watched/addChannel?channel=s-b', 204);
      await until(a, is('ChannelEnteredBridge', 's-b'), mark);
      await expectStatus('DELETE', '/bridges/watched', 204);
      await until(a, is('BridgeDestroyed'), mark);
      assert.deepEqual((await expectStatus('GET', '/applications/sub-a', 200)).bridge_ids, []);

      await expectStatus('DELETE', '/channels/s-a', 204);
      await expectStatus('DELETE', '/channels/s-b', 204);
      await until(b, is('StasisEnd', 's-b'));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a channel moved to another application stays bridged and the subscription moves with it', async () => {
    const one = await appSocket('move-1');
    const two = await appSocket('move-2');
    try {
      await inStasis(one, 'move-1', 'mv-1');
      await expectStatus('POST', '/bridges/moving', 200);
      await expectStatus('POST', '/bridges/moving/addChannel?channel=mv-1', 204);
      await expectStatus('POST', '/channels/mv-1/move?app=move-2', 204);
      await until(two, is('StasisStart', 'mv-1'));
      assert.deepEqual((await expectStatus('GET', '/bridges/moving', 200)).channels, ['mv-1']);
      assert.deepEqual((await expectStatus('GET', '/applications/move-2', 200)).bridge_ids, ['moving']);
      assert.deepEqual((await expectStatus('GET', '/applications/move-1', 200)).bridge_ids, []);
      assert.equal(msgs(one).filter((m) => m.type === 'ChannelLeftBridge').length, 0);
      await expectStatus('DELETE', '/channels/mv-1', 204);
      const left = await until(two, is('ChannelLeftBridge', 'mv-1'));
      const end = await until(two, is('StasisEnd', 'mv-1'));
      assert.ok(msgs(two).indexOf(left) < msgs(two).indexOf(end), 'ChannelLeftBridge comes before StasisEnd');
      await expectStatus('DELETE', '/bridges/moving', 204);
      await until(two, is('BridgeDestroyed'));
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('/bridges: variables and video source', () => {
  it('sets and reads bridge variables; report_events ones show as bridgevars', async () => {
    const created = await expectStatus('POST', '/bridges?name=vars', 200, undefined, {
      variables: { state: { value: 'waiting', report_events: true }, plain: 'x', ' spaced ': 'y' },
    });
    assert.deepEqual(created.bridgevars, { state: 'waiting' });
    const id = created.id as string;
    assert.deepEqual(await expectStatus('GET', `/bridges/${id}/variable?variable=plain`, 200), { value: 'x' });
    assert.deepEqual(await expectStatus('GET', `/bridges/${id}/variable?variable=spaced`, 200), { value: 'y' });
    await expectStatus('GET', `/bridges/${id}/variable?variable=nope`, 404, 'Provided variable was not found');
    await expectStatus('GET', `/bridges/${id}/variable`, 400, 'Variable name is required');
    await expectStatus('GET', '/bridges/no-such-bridge/variable?variable=plain', 404, 'Bridge not found');

    await expectStatus('POST', `/bridges/${id}/variable?variable=queue&value=sales&report_events=true`, 204);
    assert.deepEqual((await expectStatus('GET', `/bridges/${id}`, 200)).bridgevars, { state: 'waiting', queue: 'sales' });
    // Setting it again without report_events stops the reporting; an empty value removes the variable.
    await expectStatus('POST', `/bridges/${id}/variable?variable=state&value=busy`, 204);
    await expectStatus('POST', `/bridges/${id}/variable?variable=queue`, 204);
    const after = await expectStatus('GET', `/bridges/${id}`, 200);
    assert.equal(after.bridgevars, undefined);
    assert.deepEqual(await expectStatus('GET', `/bridges/${id}/variables?variables=state,plain`, 200), { variables: { state: 'busy', plain: 'x' } });
    await expectStatus('GET', `/bridges/${id}/variables?variables=state,queue`, 404, 'Provided variable was not found');
    await expectStatus('GET', `/bridges/${id}/variables`, 400, 'At least one variable name is required');
    await expectStatus('GET', '/bridges/no-such-bridge/variables?variables=a', 404, 'Provided bridge was not found');
    await expectStatus('POST', `/bridges/${id}/variable?value=1`, 400, 'Variable name is required');
    await expectStatus('POST', '/bridges/no-such-bridge/variable?variable=a&value=1', 404, 'Bridge not found');

    await expectStatus('POST', `/bridges/${id}/variables`, 204, undefined, { variables: { a: '1', b: { value: '2', report_events: true } } });
    assert.deepEqual(await expectStatus('GET', `/bridges/${id}/variables?variables=a,b`, 200), { variables: { a: '1', b: '2' } });
    assert.deepEqual((await expectStatus('GET', `/bridges/${id}`, 200)).bridgevars, { b: '2' });
    await expectStatus('POST', `/bridges/${id}/variables`, 400, "The 'variables' field is required");
    await expectStatus('POST', `/bridges/${id}/variables`, 400, "The 'variables' field must be a JSON object", { variables: 'x' });
    await expectStatus('POST', `/bridges/${id}/variables`, 400, "Each object value in 'variables' must include string field 'value'", { variables: { a: {} } });
    await expectStatus('POST', `/bridges/${id}/variables`, 400, "Field 'report_events' in 'variables' entries must be boolean", {
      variables: { a: { value: '1', report_events: 'yes' } },
    });
    await expectStatus('POST', `/bridges/${id}/variables`, 400, "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'", {
      variables: { a: 1 },
    });
    await expectStatus('POST', '/bridges/no-such-bridge/variables', 404, 'Provided bridge was not found', { variables: { a: '1' } });
    // A bad variable on create creates nothing.
    await expectStatus('POST', '/bridges/never', 400, undefined, { variables: { a: 1 } });
    await expectStatus('GET', '/bridges/never', 404, 'Bridge not found');
    await expectStatus('DELETE', `/bridges/${id}`, 204);
  });

  it('chooses and clears the video source, with BridgeVideoSourceChanged', async () => {
    const ev = await appSocket('video-app');
    try {
      await inStasis(ev, 'video-app', 'v-1');
      await inStasis(ev, 'video-app', 'v-2');
      await inStasis(ev, 'video-app', 'v-out');
      await expectStatus('POST', '/bridges/video', 200);
      await expectStatus('POST', '/bridges/video/addChannel?channel=v-1,v-2', 204);

      await expectStatus('POST', '/bridges/no-such-bridge/videoSource/v-1', 404, 'Bridge not found');
      await expectStatus('POST', '/bridges/video/videoSource/no-such-channel', 404, 'Channel not found');
      await expectStatus('POST', '/bridges/video/videoSource/v-1;2', 409, 'Channel not in Stasis application');
      await expectStatus('POST', '/bridges/video/videoSource/v-out', 422, 'Channel not in this bridge');

      const mark = ev.messages.length;
      await expectStatus('POST', '/bridges/video/videoSource/v-1', 204);
      const b1 = await expectStatus('GET', '/bridges/video', 200);
      assert.deepEqual([b1.video_mode, b1.video_source_id], ['single', 'v-1']);
      const first = await until(ev, is('BridgeVideoSourceChanged'), mark);
      assert.deepEqual(Object.keys(first), ['type', 'timestamp', 'bridge', 'asterisk_id', 'application']);
      assert.equal(first.bridge.video_source_id, 'v-1');

      await expectStatus('POST', '/bridges/video/videoSource/v-2', 204);
      const second = await until(ev, (m) => is('BridgeVideoSourceChanged')(m) && m.bridge.video_source_id === 'v-2', mark);
      assert.equal(second.old_video_source_id, 'v-1');

      await expectStatus('DELETE', '/bridges/video/videoSource', 204);
      const b2 = await expectStatus('GET', '/bridges/video', 200);
      assert.deepEqual([b2.video_mode, b2.video_source_id], ['talker', undefined]);
      const cleared = await until(ev, (m) => is('BridgeVideoSourceChanged')(m) && m.old_video_source_id === 'v-2', mark);
      assert.equal(cleared.bridge.video_source_id, undefined);
      await expectStatus('DELETE', '/bridges/no-such-bridge/videoSource', 404, 'Bridge not found');

      // The source leaving the bridge clears it.
      await expectStatus('POST', '/bridges/video/videoSource/v-1', 204);
      const leaveMark = ev.messages.length;
      await expectStatus('POST', '/bridges/video/removeChannel?channel=v-1', 204);
      const gone = await until(ev, is('BridgeVideoSourceChanged'), leaveMark);
      assert.equal(gone.old_video_source_id, 'v-1');
      assert.equal((await expectStatus('GET', '/bridges/video', 200)).video_source_id, undefined);

      await expectStatus('DELETE', '/bridges/video', 204);
      for (const id of ['v-1', 'v-2', 'v-out']) await expectStatus('DELETE', `/channels/${id}`, 204);
      await until(ev, is('StasisEnd', 'v-out'));
    } finally {
      await ev.close();
    }
  });
});

describe('/bridges: events of a two-channel mixing bridge match Asterisk 22 (b-mixing-bridge-two-channels)', () => {
  /** The bridge fields of an event, with the channel it concerns. */
  const bridgeView = (events: readonly WireEvent[]) =>
    events
      .filter((e) => e.bridge !== undefined)
      .map((e) => {
        const b = e.bridge as Record<string, unknown>;
        const c = e.channel as { id?: string } | undefined;
        return [e.type, c?.id ?? '', b.id, b.channels, b.technology, b.bridge_type, b.bridge_class, b.creator, b.name, b.video_mode];
      });

  /** BRIDGEPEER names the other channel; its 8-hex name sequence differs from run to run, so it becomes that channel's id. */
  const peersById = (events: readonly WireEvent[]): WireEvent[] => {
    const idOf = new Map<string, string>();
    for (const e of events) {
      const c = e.channel as { id?: string; name?: string } | undefined;
      if (c?.id && c.name) idOf.set(c.name, c.id);
    }
    return events.map((e) =>
      e.type === 'ChannelVarset' && e.variable === 'BRIDGEPEER' ? { ...e, value: String(e.value).split(',').map((n) => (n ? `<${idOf.get(n) ?? n}>` : n)).join(',') } : e,
    );
  };

  it('per channel: entered, BRIDGEPEER, hangup, BRIDGEPEER "", left, StasisEnd; BridgeDestroyed after both hung up', async () => {
    const ev = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=hello-world');
    try {
      await expectStatus('POST', '/channels?endpoint=Local/wait@internal&app=hello-world&channelId=ev-b1', 200);
      await expectStatus('POST', '/channels?endpoint=Local/wait@internal&app=hello-world&channelId=ev-b2', 200);
      await until(ev, is('StasisStart', 'ev-b1'));
      await until(ev, is('StasisStart', 'ev-b2'));
      const created = await expectStatus('POST', '/bridges?type=mixing&bridgeId=ev-bridge&name=evb', 200);
      const refCreate = (JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'events', 'b-mixing-bridge-two-channels.json'), 'utf8')) as { entries: any[] }).entries.find(
        (e) => e.kind === 'rest' && e.path === '/ari/bridges',
      ).response;
      assert.deepEqual({ ...created, creationtime: '' }, { ...refCreate, creationtime: '' });
      await expectStatus('POST', '/bridges/ev-bridge/addChannel?channel=ev-b1,ev-b2', 204);
      for (const id of ['ev-b1;2', 'ev-b2;2']) await until(ev, (m) => is('ChannelDialplan', id)(m) && m.dialplan_app === 'Wait');
      await expectStatus('DELETE', '/channels/ev-b1', 204);
      await until(ev, is('ChannelDestroyed', 'ev-b1;2'));
      await expectStatus('DELETE', '/channels/ev-b2', 204);
      await until(ev, is('ChannelDestroyed', 'ev-b2;2'));
      await expectStatus('DELETE', '/bridges/ev-bridge', 204);
      await until(ev, is('BridgeDestroyed'));
      await settle(ev);

      const reference = referenceEvents('b-mixing-bridge-two-channels');
      const ours = perChannel(peersById(ev.messages));
      const theirs = perChannel(peersById(reference));
      assert.deepEqual(Object.keys(ours.byChannel).sort(), Object.keys(theirs.byChannel).sort(), 'the same channels have events');
      for (const key of Object.keys(theirs.byChannel)) assert.deepEqual(ours.byChannel[key], theirs.byChannel[key], `events of ${key}`);
      assert.deepEqual(ours.ids, theirs.ids, 'channel ids');
      assert.deepEqual(ours.other, theirs.other, 'events without a channel');
      assert.deepEqual(bridgeView(ev.messages), bridgeView(reference), 'bridge events: ids, members, technology, class');
    } finally {
      await ev.close();
    }
  });
});
