/**
 * Local channel optimisation (issue 3 item 2), as Asterisk's bridge.c try_swap_optimize_out does it: when both
 * halves of a Local pair sit in bridges that allow a swap, the party bridged with `;1` is moved into `;2`'s
 * bridge in place of `;2`, and the pair is hung up with cause 16. Dial()'s basic bridges allow it; Stasis (ARI)
 * bridges inhibit it (res_stasis.c bridge_create_common), and `/n` turns it off for the pair.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR } from '../helpers/sequences.ts';

const EXTENSIONS =
  fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8') +
  `
[opt]
exten => a,1,Dial(Local/b@opt)
 same => n,Hangup()
exten => an,1,Dial(Local/b@opt/n)
 same => n,Hangup()
exten => b,1,Dial(Local/wait@internal)
 same => n,Hangup()
exten => s,1,Answer()
 same => n,Stasis(opt-app)
 same => n,Hangup()
`;

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': EXTENSIONS } });
});
after(async () => {
  await srv.stop();
});

async function call(method: string, pathAndQuery: string): Promise<{ status: number; body: any }> {
  const res = await srv.ari(method, pathAndQuery, {});
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function expectStatus(method: string, pathAndQuery: string, status: number): Promise<any> {
  const r = await call(method, pathAndQuery);
  assert.equal(r.status, status, `${method} ${pathAndQuery}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Polls `probe` until it returns something truthy. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 3000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const channels = async (): Promise<any[]> => expectStatus('GET', '/channels', 200);
const basicBridges = async (): Promise<any[]> => ((await expectStatus('GET', '/bridges', 200)) as any[]).filter((b) => b.bridge_class === 'basic');
const named = (list: any[], prefix: string, half: string) => list.find((c) => c.name.startsWith(prefix) && c.name.endsWith(half));
const is = (type: string, channelId?: string) => (m: any) => m.type === type && (channelId === undefined || m.channel?.id === channelId);

async function allGone(): Promise<void> {
  await eventually('every channel to go', async () => (await channels()).length === 0 && (await basicBridges()).length === 0);
}

describe('Local channel optimisation', () => {
  it('a pair between two Dial() bridges is optimised away: ;1\'s partner is swapped into ;2\'s bridge', async () => {
    const ev: EventClient = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=opt-app&subscribeAll=true');
    try {
      await expectStatus('POST', '/channels?endpoint=Local/a@opt&app=opt-app&channelId=c1', 200);
      // c1;2 Dial()s Local/b@opt (M), whose ;2 Dial()s Local/wait@internal (N): bridges {c1;2, M;1} and {M;2, N;1}.
      const bridge = await eventually('the optimised bridge', async () => {
        const list = await channels();
        const bridges = await basicBridges();
        return !named(list, 'Local/b@opt-', '') && bridges.length === 1 && bridges[0].channels.length === 2 ? bridges[0] : undefined;
      });
      const list = await channels();
      const n1 = named(list, 'Local/wait@internal-', ';1');
      assert.ok(n1, 'the far leg stays');
      assert.deepEqual([...bridge.channels].sort(), ['c1;2', n1.id].sort(), 'c1;2 now shares the far bridge with N;1');

      // The optimised pair: both halves destroyed with normal clearing.
      const destroyed = ev.messages.filter((m: any) => m.type === 'ChannelDestroyed' && m.channel.name.startsWith('Local/b@opt-')) as any[];
      assert.deepEqual(destroyed.map((m) => m.cause).sort(), [16, 16]);
      // The move as Asterisk publishes it: c1;2 leaves its bridge, enters the other, then M;2 is swapped out.
      const seq = ev.messages
        .filter((m: any) => (m.type === 'ChannelEnteredBridge' || m.type === 'ChannelLeftBridge') && m.bridge.id === bridge.id)
        .map((m: any) => `${m.type}:${m.channel.name.replace(/-[0-9a-f]{8}/, '')}`);
      assert.deepEqual(seq.slice(-2), ['ChannelEnteredBridge:Local/a@opt;2', 'ChannelLeftBridge:Local/b@opt;2']);
      const left = ev.messages.findIndex((m: any) => m.type === 'ChannelLeftBridge' && m.channel.id === 'c1;2');
      const entered = ev.messages.findIndex((m: any) => m.type === 'ChannelEnteredBridge' && m.channel.id === 'c1;2' && m.bridge.id === bridge.id);
      assert.ok(left !== -1 && left < entered, 'c1;2 left its first bridge before entering the far one');
      assert.equal((await expectStatus('GET', `/channels/c1;2/variable?variable=BRIDGEPEER`, 200)).value, n1.name);

      // The call still works end to end: hanging up the originator clears everything.
      await expectStatus('DELETE', '/channels/c1', 204);
      await allGone();
      await ev.next(is('StasisEnd', 'c1'));
    } finally {
      await ev.close();
    }
  });

  it('a pair made with /n is left alone', async () => {
    await expectStatus('POST', '/channels?endpoint=Local/an@opt&extension=wait&context=internal&channelId=n1', 200);
    await eventually('two Dial() bridges', async () => (await basicBridges()).filter((b) => b.channels.length === 2).length === 2);
    await new Promise((r) => setTimeout(r, 150));
    const list = await channels();
    assert.ok(named(list, 'Local/b@opt-', ';1') && named(list, 'Local/b@opt-', ';2'), 'both halves of the /n pair stay');
    assert.equal((await basicBridges()).length, 2);
    await expectStatus('DELETE', '/channels/n1', 204);
    await allGone();
  });

  it('Stasis bridges inhibit the swap: a pair bridged through ARI on both sides stays', async () => {
    const ev: EventClient = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=opt-app');
    try {
      await expectStatus('POST', '/channels?endpoint=Local/s@opt&app=opt-app&channelId=p1', 200);
      for (const id of ['x1', 'y1']) await expectStatus('POST', `/channels?endpoint=Local/wait@internal&app=opt-app&channelId=${id}`, 200);
      for (const id of ['p1', 'p1;2', 'x1', 'y1']) await ev.next(is('StasisStart', id));
      await expectStatus('POST', '/bridges?type=mixing&bridgeId=opt-a', 200);
      await expectStatus('POST', '/bridges?type=mixing&bridgeId=opt-b', 200);
      await expectStatus('POST', '/bridges/opt-a/addChannel?channel=p1,x1', 204);
      await expectStatus('POST', '/bridges/opt-b/addChannel?channel=p1;2,y1', 204);
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual((await expectStatus('GET', '/bridges/opt-a', 200)).channels, ['p1', 'x1']);
      assert.deepEqual((await expectStatus('GET', '/bridges/opt-b', 200)).channels, ['p1;2', 'y1']);
      assert.equal(ev.messages.some((m: any) => m.type === 'ChannelDestroyed'), false);
      for (const id of ['p1', 'x1', 'y1']) await expectStatus('DELETE', `/channels/${id}`, 204);
      await expectStatus('DELETE', '/bridges/opt-a', 204);
      await expectStatus('DELETE', '/bridges/opt-b', 204);
      await eventually('every channel to go', async () => (await channels()).length === 0);
    } finally {
      await ev.close();
    }
  });
});
