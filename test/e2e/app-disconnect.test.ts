/**
 * An application whose WebSocket goes away mid-call: as in Asterisk, the application is only deactivated —
 * its channels stay up, stay in the application (REST calls that need Stasis still work) and are not hung up;
 * a socket that registers the same application again takes them over and hears about them again (Asterisk
 * keeps the application's subscriptions while it has channels, so StasisEnd, ChannelHangupRequest and
 * ChannelDestroyed reach the new socket).
 *
 * Watched from a second application subscribed to everything, which must see no hangup of those channels
 * while the application is gone.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import path from 'node:path';
import { REFERENCE_CONFIG_DIR } from '../helpers/reference.ts';

const EXTENSIONS = fs.readFileSync(path.join(REFERENCE_CONFIG_DIR, 'extensions.conf'), 'utf8');
const KEY = 'api_key=asterisk:asterisk';
const APP = 'appdc';

let srv: TestServer;
let watch: EventClient;

before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': EXTENSIONS } });
  watch = await openEvents(srv.base, `${KEY}&app=watcher&subscribeAll=true`);
});
after(async () => {
  await watch.close();
  await srv.stop();
});

type Msg = Record<string, unknown>;
const channelId = (m: Msg) => (m.channel as { id?: string } | undefined)?.id;
const is = (type: string, id: string) => (m: Msg) => m.type === type && channelId(m) === id;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json(method: string, pathAndQuery: string, expect: number): Promise<Msg> {
  const res = await srv.ari(method, pathAndQuery);
  const text = await res.text();
  assert.equal(res.status, expect, `${method} ${pathAndQuery}: ${text}`);
  return text ? (JSON.parse(text) as Msg) : {};
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Hangup-related events the watcher saw for `id`. */
const hangupsOf = (id: string) => watch.messages.filter((m) => channelId(m) === id && (m.type === 'ChannelHangupRequest' || m.type === 'ChannelDestroyed' || m.type === 'StasisEnd'));

describe('an application socket that disconnects mid-call', () => {
  // dc-a: originated straight into the app (;1 in Stasis through app=, ;2 in Wait() in the dialplan).
  // dc-b: ;2 enters the app through Stasis() in the dialplan, ;1 through app= (both halves in the app).
  // dc-c: like dc-a, hung up while the application has no socket.
  const ids = ['dc-a', 'dc-b', 'dc-b;2', 'dc-c'];
  let first: EventClient;

  it('puts four channels into the application', async () => {
    first = await openEvents(srv.base, `${KEY}&app=${APP}`);
    await json('POST', `/channels?endpoint=Local/wait@internal&app=${APP}&channelId=dc-a`, 200);
    await json('POST', `/channels?endpoint=Local/stasis-${APP}@internal&app=${APP}&channelId=dc-b`, 200);
    await json('POST', `/channels?endpoint=Local/wait@internal&app=${APP}&channelId=dc-c`, 200);
    for (const id of ids) await first.next(is('StasisStart', id), 3000);
  });

  it('closing the socket (and dropping a second one abruptly) hangs nothing up', async () => {
    // A clean close, then wait long enough for anything the server might do about it.
    await first.close();
    await sleep(500);
    for (const id of ids) {
      const ch = await json('GET', `/channels/${id}`, 200);
      assert.equal(ch.state, 'Up', `${id} is still up`);
      assert.deepEqual(hangupsOf(id), [], `no hangup of ${id} after the socket closed`);
    }
    // The same again with a socket that vanishes without a close handshake.
    const abrupt = await openEvents(srv.base, `${KEY}&app=${APP}`);
    abrupt.ws.terminate();
    await sleep(500);
    for (const id of ids) {
      await json('GET', `/channels/${id}`, 200);
      assert.deepEqual(hangupsOf(id), [], `no hangup of ${id} after the socket was dropped`);
    }
    const list = (await json('GET', '/channels', 200)) as unknown as Msg[];
    for (const id of ids) assert.ok(list.some((c) => c.id === id), `${id} is listed`);
  });

  it('the channels stay in the application and can be controlled while it has no socket', async () => {
    // Operations that need the channel in Stasis (409 otherwise) still work.
    await json('POST', `/channels/dc-a/variable?variable=WHILE_AWAY&value=1`, 204);
    const v = await json('GET', `/channels/dc-a/variable?variable=WHILE_AWAY`, 200);
    assert.equal(v.value, '1');
    await json('POST', '/channels/dc-b/ring', 204);
    await json('DELETE', '/channels/dc-b/ring', 204);
    assert.deepEqual(hangupsOf('dc-a'), []);
  });

  it('a channel can be hung up while its application has no socket', async () => {
    await json('DELETE', '/channels/dc-c', 204);
    await until(async () => (await srv.ari('GET', '/channels/dc-c')).status === 404, 3000, 'dc-c gone');
    await until(async () => (await srv.ari('GET', '/channels/dc-c;2')).status === 404, 3000, 'dc-c;2 gone');
    await watch.next(is('ChannelDestroyed', 'dc-c'), 3000);
  });

  let second: EventClient | undefined;
  after(async () => {
    await second?.close();
  });

  it('a new socket for the application controls the channels', async () => {
    second = await openEvents(srv.base, `${KEY}&app=${APP}`);
    await json('POST', `/channels/dc-a/variable?variable=BACK&value=1`, 204);
    await json('DELETE', '/channels/dc-a', 204);
    await second.next(is('StasisEnd', 'dc-a'), 3000);
    await json('DELETE', '/channels/dc-b', 204);
    await second.next(is('StasisEnd', 'dc-b'), 3000);
    await second.next(is('StasisEnd', 'dc-b;2'), 3000);
    await until(async () => ((await json('GET', '/channels', 200)) as unknown as Msg[]).length === 0, 3000, 'no channels left');
  });

  it(
    'the new socket hears the channel events again (the subscriptions outlive the disconnect)',
    async () => {
      assert.ok(second, 'the previous test opened the socket');
      await second.next((m) => m.type === 'ChannelVarset' && channelId(m) === 'dc-a' && m.variable === 'BACK', 500);
      for (const id of ['dc-a', 'dc-b', 'dc-b;2']) {
        await second.next(is('ChannelHangupRequest', id), 500);
        await second.next(is('ChannelDestroyed', id), 500);
      }
    },
  );
});
