/**
 * The events WebSocket over real sockets: registration, subprotocol, errors before the upgrade,
 * ApplicationReplaced, user events, event filters, subscriptions, REST over WebSocket, back-pressure from a
 * client that never reads, and server pings.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { basic, openEvents, parseRawResponse, rawHttp, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';

const REF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/reference/asterisk-22');
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;
const KEY = 'api_key=asterisk:asterisk';

function refRest(name: string): { status: number; body: unknown } {
  const ref = JSON.parse(fs.readFileSync(path.join(REF, 'rest', `${name}.json`), 'utf8')) as { status: number; body: unknown };
  return { status: ref.status, body: ref.body };
}

function refEvent(scenario: string, type: string): Record<string, unknown> {
  const doc = JSON.parse(fs.readFileSync(path.join(REF, 'events', `${scenario}.json`), 'utf8')) as {
    entries: { kind: string; event?: Record<string, unknown> }[];
  };
  const e = doc.entries.find((x) => x.kind === 'event' && x.event?.type === type)?.event;
  if (!e) throw new Error(`no ${type} in ${scenario}`);
  return e;
}

/** Status of an upgrade attempt and the body of a refusal. */
function upgrade(url: string, opts: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers ?? {} });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '', headers: {} });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        ws.terminate();
      });
    });
    ws.once('error', reject);
  });
}

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('events WebSocket', () => {
  let srv: TestServer;
  const clients: EventClient[] = [];
  const open = async (query: string, opts?: Parameters<typeof openEvents>[2]) => {
    const c = await openEvents(srv.base, query, opts);
    clients.push(c);
    return c;
  };

  before(async () => {
    srv = await startTestServer();
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await srv.stop();
  });

  async function json(method: string, p: string, init?: Parameters<TestServer['ari']>[2]): Promise<{ status: number; body: unknown }> {
    const res = await srv.ari(method, p, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  it('lists no applications before any socket', async () => {
    assert.deepEqual(await json('GET', '/applications'), { status: 200, body: [] });
  });

  it('registers app=hello-world with the shape Asterisk lists', async () => {
    const c = await open(`app=hello-world&${KEY}`);
    assert.deepEqual(await json('GET', '/applications'), { status: 200, body: refRest('applications-list').body });
    assert.deepEqual(await json('GET', '/applications/hello-world'), { status: 200, body: refRest('applications-get').body });
    assert.deepEqual(await json('GET', '/applications/no-such-app'), refRest('applications-get-404'));
    await c.close();
    await until(async () => (await json('GET', '/applications/hello-world')).status === 404, 3000, 'unregistration');
  });

  it('registers every app of app=a,b (and repeated app keys) on one socket', async () => {
    const c = await open(`app=multi-a,multi-b&app=multi-c&${KEY}`);
    for (const name of ['multi-a', 'multi-b', 'multi-c']) assert.equal((await json('GET', `/applications/${name}`)).status, 200, name);
    await c.close();
    await until(async () => (await json('GET', '/applications/multi-b')).status === 404, 3000, 'unregistration');
    assert.equal((await json('GET', '/applications/multi-a')).status, 404);
  });

  it('accepts the ari subprotocol when offered, and no subprotocol', async () => {
    const withProto = await open(`app=proto-app&${KEY}`, { protocols: 'ari' });
    assert.equal(withProto.ws.protocol, 'ari');
    const without = await open(`app=proto-app2&${KEY}`);
    assert.equal(without.ws.protocol, '');
    const both = await open(`app=proto-app3&${KEY}`, { protocols: ['foo', 'ari'] });
    assert.equal(both.ws.protocol, 'ari');
    await Promise.all([withProto.close(), without.close(), both.close()]);
  });

  it('answers the upgrade with exactly Asterisk\'s 101 headers', async () => {
    const raw = await rawHttp(
      srv.port,
      `GET /ari/events?app=rawapp&${KEY} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ari\r\n\r\n',
      300,
    );
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    const lines = head.split('\r\n');
    assert.equal(lines[0], 'HTTP/1.1 101 Switching Protocols');
    const names = lines.slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase()).sort();
    assert.deepEqual(names, ['connection', 'sec-websocket-accept', 'sec-websocket-protocol', 'upgrade']);
    assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=(\r\n|$)/);
  });

  it('refuses an upgrade without app (400 JSON), with bad credentials (401), and a plain GET (426)', async () => {
    const noApp = await upgrade(`${srv.base.replace('http', 'ws')}/ari/events?${KEY}`);
    assert.equal(noApp.status, 400);
    assert.equal(noApp.headers['content-type'], 'application/json');
    assert.match((JSON.parse(noApp.body) as { message: string }).message, /app/);
    for (const q of ['app=', 'app=,', 'app=%20']) {
      assert.equal((await upgrade(`${srv.base.replace('http', 'ws')}/ari/events?${q}&${KEY}`)).status, 400, q);
    }
    const bad = await upgrade(`${srv.base.replace('http', 'ws')}/ari/events?app=x&api_key=asterisk:wrong`);
    assert.equal(bad.status, 401);
    assert.equal(bad.headers['www-authenticate'], 'Basic realm="Asterisk REST Interface"');
    assert.deepEqual(JSON.parse(bad.body), { message: 'Authentication required' });
    assert.equal((await upgrade(`${srv.base.replace('http', 'ws')}/ari/events?app=x`)).status, 401);
    const plain = await srv.ari('GET', '/events?app=hello-world');
    assert.equal(plain.status, 426);
    await plain.arrayBuffer();
    // An upgrade on another ARI path is a 404.
    assert.equal((await upgrade(`${srv.base.replace('http', 'ws')}/ari/channels?app=x&${KEY}`)).status, 404);
    // None of the refused sockets registered anything.
    assert.deepEqual(await json('GET', '/applications'), { status: 200, body: [] });
  });

  it('tells the first socket ApplicationReplaced when a second takes the app; closing the second unregisters it', async () => {
    const first = await open(`app=hello-world&${KEY}`);
    const second = await open(`app=hello-world&${KEY}`);
    const replaced = await first.next((m) => m.type === 'ApplicationReplaced');
    const ref = refEvent('a6-same-app-two-sockets', 'ApplicationReplaced');
    assert.deepEqual(Object.keys(replaced), Object.keys(ref));
    assert.deepEqual({ ...replaced, timestamp: 'T' }, { ...ref, timestamp: 'T' });
    assert.match(String(replaced.timestamp), TIMESTAMP);
    // Events now go to the second socket only.
    assert.equal((await json('POST', '/events/user/AfterReplace?application=hello-world')).status, 204);
    await second.next((m) => m.type === 'ChannelUserevent' && m.eventname === 'AfterReplace');
    assert.ok(!first.messages.some((m) => m.type === 'ChannelUserevent'), 'the replaced socket gets nothing more');
    assert.ok(!second.messages.some((m) => m.type === 'ApplicationReplaced'));
    // The first socket stays open.
    assert.equal(first.ws.readyState, WebSocket.OPEN);
    await second.close();
    await until(async () => (await json('GET', '/applications/hello-world')).status === 404, 3000, 'unregistration');
    assert.equal(first.ws.readyState, WebSocket.OPEN);
    await first.close();
  });

  it('keeps the app registered when the replaced (first) socket closes', async () => {
    const first = await open(`app=keep-app&${KEY}`);
    const second = await open(`app=keep-app&${KEY}`);
    await first.next((m) => m.type === 'ApplicationReplaced');
    await first.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await json('GET', '/applications/keep-app')).status, 200);
    assert.equal((await json('POST', '/events/user/Still?application=keep-app')).status, 204);
    await second.next((m) => m.eventname === 'Still');
    await second.close();
  });

  it('delivers POST /events/user as ChannelUserevent', async () => {
    const c = await open(`app=user-app&${KEY}`);
    const before = Date.now();
    const res = await json('POST', '/events/user/Ping?application=user-app', { body: { variables: { k: 'v', n: '1' } } });
    assert.deepEqual(res, { status: 204, body: undefined });
    const ev = await c.next((m) => m.type === 'ChannelUserevent');
    assert.deepEqual(Object.keys(ev), ['type', 'timestamp', 'eventname', 'userevent', 'asterisk_id', 'application']);
    assert.equal(ev.eventname, 'Ping');
    assert.deepEqual(ev.userevent, { k: 'v', n: '1', eventname: 'Ping' });
    assert.equal(ev.asterisk_id, '02:fc:00:00:00:01');
    assert.equal(ev.application, 'user-app');
    assert.match(String(ev.timestamp), TIMESTAMP);
    assert.ok(Math.abs(Date.parse(String(ev.timestamp).replace('+0000', 'Z')) - before) < 5000);
    // Pretty frames, as ari.conf says, without a trailing newline.
    const raw = await new Promise<string>((resolve) => {
      c.ws.once('message', (d) => resolve(String(d)));
      void json('POST', '/events/user/Raw?application=user-app');
    });
    assert.equal(raw, JSON.stringify(JSON.parse(raw), null, 2));
    // Without variables: userevent holds only the name.
    const bare = await c.next((m) => m.eventname === 'Raw');
    assert.deepEqual(bare.userevent, { eventname: 'Raw' });
    // A deviceState source is accepted.
    assert.equal((await json('POST', '/events/user/Dev?application=user-app&source=deviceState:Stasis:foo')).status, 204);
    await c.next((m) => m.eventname === 'Dev');
    await c.close();
  });

  it('answers user-event errors: unknown app 404, missing app 400, missing source 422, bad scheme 400', async () => {
    const c = await open(`app=user-err&${KEY}`);
    assert.deepEqual(await json('POST', '/events/user/X?application=no-such-app'), refRest('events-user-unknown-app'));
    assert.deepEqual(await json('POST', '/events/user/X'), refRest('events-user-missing-app'));
    const noChan = await json('POST', '/events/user/X?application=user-err&source=channel:nope');
    assert.equal(noChan.status, 422);
    assert.equal(typeof (noChan.body as { message: unknown }).message, 'string');
    assert.equal((await json('POST', '/events/user/X?application=user-err&source=bridge:nope')).status, 422);
    assert.equal((await json('POST', '/events/user/X?application=user-err&source=bogus:x')).status, 400);
    const badVars = await json('POST', '/events/user/X?application=user-err', { body: { variables: ['a'] } });
    assert.equal(badVars.status, 400);
    // None of these reached the socket.
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(!c.messages.some((m) => m.type === 'ChannelUserevent'), JSON.stringify(c.messages));
    await c.close();
  });

  it('applies event filters (allowed and disallowed)', async () => {
    const c = await open(`app=filter-app&${KEY}`);
    const set = await json('PUT', '/applications/filter-app/eventFilter', { body: { allowed: [{ type: 'ApplicationReplaced' }] } });
    assert.equal(set.status, 200);
    assert.deepEqual((set.body as { events_allowed: unknown }).events_allowed, [{ type: 'ApplicationReplaced' }]);
    assert.equal((await json('POST', '/events/user/Filtered?application=filter-app')).status, 204);
    // Clear the filter; the next event must be the first one seen.
    const cleared = await json('PUT', '/applications/filter-app/eventFilter', { body: {} });
    assert.deepEqual((cleared.body as { events_allowed: unknown }).events_allowed, []);
    assert.equal((await json('POST', '/events/user/Passed?application=filter-app')).status, 204);
    await c.next((m) => m.eventname === 'Passed');
    assert.ok(!c.messages.some((m) => m.eventname === 'Filtered'));
    // disallowed
    const dis = await json('PUT', '/applications/filter-app/eventFilter', { body: { disallowed: [{ type: 'ChannelUserevent' }] } });
    assert.deepEqual((dis.body as { events_disallowed: unknown }).events_disallowed, [{ type: 'ChannelUserevent' }]);
    assert.equal((await json('POST', '/events/user/Dropped?application=filter-app')).status, 204);
    await json('PUT', '/applications/filter-app/eventFilter', { body: { allowed: [{ type: 'ChannelUserevent' }] } });
    assert.equal((await json('POST', '/events/user/Allowed?application=filter-app')).status, 204);
    await c.next((m) => m.eventname === 'Allowed');
    assert.ok(!c.messages.some((m) => m.eventname === 'Dropped'));
    // The filter shows up on GET.
    const got = await json('GET', '/applications/filter-app');
    assert.deepEqual((got.body as { events_allowed: unknown }).events_allowed, [{ type: 'ChannelUserevent' }]);
    assert.deepEqual((got.body as { events_disallowed: unknown }).events_disallowed, []);
    // Errors.
    assert.equal((await json('PUT', '/applications/filter-app/eventFilter', { body: { allowed: 'x' } })).status, 400);
    assert.equal((await json('PUT', '/applications/filter-app/eventFilter', { body: { allowed: [{ nope: 1 }] } })).status, 400);
    assert.equal((await json('PUT', '/applications/no-such-app/eventFilter', { body: {} })).status, 404);
    await c.close();
  });

  it('subscribes and unsubscribes event sources', async () => {
    const c = await open(`app=sub-app&${KEY}`);
    const sub = await json('POST', '/applications/sub-app/subscription?eventSource=deviceState:Stasis:foo');
    assert.equal(sub.status, 200);
    assert.deepEqual(sub.body, {
      name: 'sub-app',
      channel_ids: [],
      bridge_ids: [],
      endpoint_ids: [],
      device_names: ['Stasis:foo'],
      events_allowed: [],
      events_disallowed: [],
    });
    assert.deepEqual(await json('POST', '/applications/sub-app/subscription?eventSource=bogus:x'), refRest('applications-subscribe-bad-source'));
    assert.deepEqual(
      await json('POST', '/applications/sub-app/subscription?eventSource=channel:no-such-channel'),
      refRest('applications-subscribe-missing-channel'),
    );
    // A list, as a comma list and as a JSON array.
    const two = await json('POST', '/applications/sub-app/subscription?eventSource=deviceState:a,deviceState:b');
    assert.deepEqual((two.body as { device_names: string[] }).device_names, ['Stasis:foo', 'a', 'b']);
    const arr = await json('POST', '/applications/sub-app/subscription', { body: { eventSource: ['deviceState:c', 'deviceState:d'] } });
    assert.deepEqual((arr.body as { device_names: string[] }).device_names, ['Stasis:foo', 'a', 'b', 'c', 'd']);
    // A failing item leaves the others unsubscribed.
    assert.equal((await json('POST', '/applications/sub-app/subscription?eventSource=deviceState:e,channel:nope')).status, 422);
    assert.ok(!((await json('GET', '/applications/sub-app')).body as { device_names: string[] }).device_names.includes('e'));

    const unsub = await json('DELETE', '/applications/sub-app/subscription?eventSource=deviceState:Stasis:foo');
    assert.equal(unsub.status, 200);
    assert.deepEqual((unsub.body as { device_names: string[] }).device_names, ['a', 'b', 'c', 'd']);
    assert.deepEqual(
      await json('DELETE', '/applications/sub-app/subscription?eventSource=deviceState:Stasis:foo'),
      refRest('applications-unsubscribe-not-subscribed'),
    );
    assert.equal((await json('DELETE', '/applications/sub-app/subscription?eventSource=channel:nope')).status, 422);
    assert.equal((await json('DELETE', '/applications/sub-app/subscription?eventSource=bogus:x')).status, 400);
    assert.equal((await json('POST', '/applications/no-such-app/subscription?eventSource=deviceState:x')).status, 404);
    assert.equal((await json('POST', '/applications/sub-app/subscription')).status, 400);
    await c.close();
  });

  it('answers REST requests over the WebSocket', async () => {
    const c = await open(`app=rest-app&${KEY}`);
    c.ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't1', request_id: 'r1', method: 'GET', uri: 'asterisk/ping' }));
    const resp = await c.next((m) => m.type === 'RESTResponse' && m.request_id === 'r1');
    assert.equal(resp.transaction_id, 't1');
    assert.equal(resp.status_code, 200);
    assert.equal(resp.reason_phrase, 'OK');
    assert.equal(resp.uri, 'asterisk/ping');
    assert.equal(resp.content_type, 'application/json');
    const body = JSON.parse(String(resp.message_body)) as { ping: string; asterisk_id: string };
    assert.equal(body.ping, 'pong');
    assert.equal(body.asterisk_id, '02:fc:00:00:00:01');

    // Query strings as a list, then a JSON body; 204 has an empty body.
    c.ws.send(
      JSON.stringify({
        type: 'RESTRequest',
        transaction_id: 't2',
        request_id: 'r2',
        method: 'POST',
        uri: 'asterisk/variable',
        query_strings: [
          { name: 'variable', value: 'WSVAR' },
          { name: 'value', value: 'from-ws' },
        ],
      }),
    );
    const set = await c.next((m) => m.request_id === 'r2');
    assert.equal(set.status_code, 204);
    assert.ok(set.message_body === undefined || set.message_body === '');
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=WSVAR'), { status: 200, body: { value: 'from-ws' } });

    c.ws.send(
      JSON.stringify({
        type: 'RESTRequest',
        transaction_id: 't3',
        request_id: 'r3',
        method: 'POST',
        uri: 'asterisk/variable',
        content_type: 'application/json',
        message_body: JSON.stringify({ variable: 'WSVAR2', value: 'json' }),
      }),
    );
    assert.equal((await c.next((m) => m.request_id === 'r3')).status_code, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=WSVAR2'), { status: 200, body: { value: 'json' } });

    // Query in the uri; errors come back as responses.
    c.ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't4', request_id: 'r4', method: 'GET', uri: 'asterisk/info?only=system' }));
    const info = await c.next((m) => m.request_id === 'r4');
    assert.deepEqual(Object.keys(JSON.parse(String(info.message_body)) as object), ['system']);
    c.ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't5', request_id: 'r5', method: 'GET', uri: 'nope/nothing' }));
    const nf = await c.next((m) => m.request_id === 'r5');
    assert.equal(nf.status_code, 404);
    assert.equal(nf.reason_phrase, 'Not Found');
    c.ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't6', request_id: 'r6', method: 'PUT', uri: 'channels' }));
    assert.equal((await c.next((m) => m.request_id === 'r6')).status_code, 405);

    // Junk is ignored and the socket keeps working.
    c.ws.send('not json');
    c.ws.send(JSON.stringify({ type: 'Something' }));
    c.ws.send(Buffer.from([1, 2, 3]));
    c.ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't7', request_id: 'r7', method: 'GET', uri: 'applications/rest-app' }));
    const app = await c.next((m) => m.request_id === 'r7');
    assert.equal(app.status_code, 200);
    assert.equal((JSON.parse(String(app.message_body)) as { name: string }).name, 'rest-app');
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    await c.close();
  });

  it('runs REST over WebSocket as the socket\'s user: read-only gets 403 for writes', async () => {
    const c = await open('app=ro-app&api_key=readonly:readonly');
    c.ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't', request_id: 'get', method: 'GET', uri: 'asterisk/ping' }));
    assert.equal((await c.next((m) => m.request_id === 'get')).status_code, 200);
    c.ws.send(
      JSON.stringify({ type: 'RESTRequest', transaction_id: 't', request_id: 'post', method: 'POST', uri: 'asterisk/variable?variable=RO&value=1' }),
    );
    const post = await c.next((m) => m.request_id === 'post');
    assert.equal(post.status_code, 403);
    assert.deepEqual(JSON.parse(String(post.message_body)), { message: 'Write access denied' });
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=RO'), { status: 200, body: { value: '' } });
    await c.close();
  });

  it('accepts credentials in an Authorization header on the upgrade', async () => {
    const c = await open('app=hdr-app', { headers: { authorization: basic('asterisk:asterisk') } });
    assert.equal((await json('GET', '/applications/hdr-app')).status, 200);
    await c.close();
  });

  it('registers with subscribeAll=true', async () => {
    const c = await open(`app=all-app&subscribeAll=true&${KEY}`);
    assert.equal((await json('GET', '/applications/all-app')).status, 200);
    assert.equal(srv.ariadne.apps.get('all-app')?.subscribeAll, true);
    await c.close();
  });
});

describe('events WebSocket back-pressure', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ start: { wsMaxBufferedBytes: 64 * 1024 } });
  });
  after(() => srv.stop());

  it('disconnects a client that never reads while another client keeps receiving promptly', async () => {
    const slow = await openEvents(srv.base, `app=slow-app&${KEY}`);
    const fast = await openEvents(srv.base, `app=fast-app&${KEY}`);
    try {
      // Stop reading: the kernel buffers fill, then the server's send queue grows.
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = 'x'.repeat(100 * 1024);
      const latencies: number[] = [];
      let disconnected = false;
      for (let i = 0; i < 400 && !disconnected; i++) {
        const res = await srv.ari('POST', '/events/user/Flood?application=slow-app', { body: { variables: { big } } });
        if (res.status === 404) {
          // The server dropped the slow client and its application with it.
          disconnected = true;
          await res.arrayBuffer();
          break;
        }
        assert.equal(res.status, 204);
        if (i % 10 === 0) {
          const t0 = Date.now();
          await srv.ari('POST', `/events/user/Tick${i}?application=fast-app`);
          await fast.next((m) => m.eventname === `Tick${i}`, 2000);
          latencies.push(Date.now() - t0);
        }
      }
      assert.ok(disconnected, 'the slow client was disconnected');
      assert.ok(Math.max(...latencies) < 1000, `fast client latencies ${latencies.join(',')} ms`);
      assert.match(srv.logs(), /not reading/);
      // The fast client still works after the slow one is gone.
      await srv.ari('POST', '/events/user/After?application=fast-app');
      await fast.next((m) => m.eventname === 'After', 2000);
      assert.equal((await srv.ari('GET', '/applications/fast-app')).status, 200);
    } finally {
      slow.ws.terminate();
      await fast.close();
    }
  });

  it('stops promptly while a client is connected that does not read', async () => {
    const other = await startTestServer();
    const c = await openEvents(other.base, `app=paused&${KEY}`);
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const t0 = Date.now();
    await other.stop();
    assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
    c.ws.terminate();
  });
});

describe('events WebSocket pings', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ start: { wsPingIntervalMs: 100 } });
  });
  after(() => srv.stop());

  it('pings; a client that answers stays connected', async () => {
    const c = await openEvents(srv.base, `app=ping-app&${KEY}`);
    let pings = 0;
    c.ws.on('ping', () => pings++);
    await new Promise((r) => setTimeout(r, 650));
    assert.ok(pings >= 3, `${pings} pings`);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 't', request_id: 'p', method: 'GET', uri: 'asterisk/ping' }));
    assert.equal((await c.next((m) => m.request_id === 'p')).status_code, 200);
    assert.equal((await srv.ari('GET', '/applications/ping-app')).status, 200);
    await c.close();
  });

  it('drops a client that does not answer pings', async () => {
    const ws = new WebSocket(`${srv.base.replace('http', 'ws')}/ari/events?app=mute-app&${KEY}`, { autoPong: false });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const t0 = Date.now();
    await new Promise<void>((resolve) => ws.once('close', () => resolve()));
    const ms = Date.now() - t0;
    assert.ok(ms >= 150 && ms < 2000, `dropped after ${ms} ms`);
    await until(async () => (await srv.ari('GET', '/applications/mute-app')).status === 404, 2000, 'unregistration');
  });
});

describe('events WebSocket and shutdown', () => {
  it('closes sockets with 1001 when the server stops', async () => {
    const srv = await startTestServer();
    const c = await openEvents(srv.base, `app=bye&${KEY}`);
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
    await srv.stop();
    const code = await closed;
    assert.ok(code === 1001 || code === 1006, `close code ${code}`);
    const r = await rawHttp(srv.port, 'GET / HTTP/1.1\r\n\r\n', 500).catch(() => '');
    assert.equal(r === '' ? '' : parseRawResponse(r).status, '', 'nothing listens any more');
  });
});
