/**
 * The SDK against a scripted server (node:http + ws on loopback) for what a real Ariadne never does: event
 * types from a newer server, a socket that goes silent without closing, api-docs that lack operations, and
 * listeners that throw.
 */

import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { connect, UnsupportedOperation, type AnyEvent, type Ari, type UnknownEvent } from '../../client/index.ts';

interface FakeServer {
  readonly url: string;
  readonly sockets: WebSocket[];
  /** Connections accepted so far. */
  connections: number;
  /** Whether RESTRequest pings are answered. */
  answerPings: boolean;
  close(): Promise<void>;
}

const LISTING = {
  apiVersion: '9.0.0',
  swaggerVersion: '1.1',
  basePath: 'http://localhost/ari',
  apis: [{ path: '/api-docs/asterisk.{format}', description: 'Asterisk resources' }],
};
const ASTERISK_DOC = {
  apiVersion: '9.0.0',
  apis: [
    { path: '/asterisk/info', operations: [{ httpMethod: 'GET', nickname: 'getInfo' }] },
    { path: '/asterisk/ping', operations: [{ httpMethod: 'GET', nickname: 'ping' }] },
  ],
};

async function fakeServer(): Promise<FakeServer> {
  const sockets: WebSocket[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.startsWith('/ari/asterisk/info')) json(200, { system: { version: '21.0.0-fake', entity_id: 'x' } });
    else if (url === '/ari/api-docs/resources.json') json(200, LISTING);
    else if (url === '/ari/api-docs/asterisk.json') json(200, ASTERISK_DOC);
    else if (url === '/ari/asterisk/ping') json(200, { ping: 'pong' });
    else json(404, { message: 'Not found' });
  });
  const wss = new WebSocketServer({ server });
  const fake: FakeServer = {
    url: '',
    sockets,
    connections: 0,
    answerPings: true,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of wss.clients) s.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  wss.on('connection', (ws) => {
    fake.connections++;
    sockets.push(ws);
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string; request_id: string; uri: string };
      if (m.type === 'RESTRequest' && m.uri === 'asterisk/ping' && fake.answerPings) {
        ws.send(JSON.stringify({ type: 'RESTResponse', request_id: m.request_id, status_code: 200, message_body: '{"ping":"pong"}' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(fake, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

const until = async (cond: () => boolean, what: string, ms = 3000): Promise<void> => {
  for (let t = 0; t < ms && !cond(); t += 10) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
};

describe('SDK against a scripted server', () => {
  let fake: FakeServer | undefined;
  let ari: Ari | undefined;
  afterEach(async () => {
    ari?.close();
    await fake?.close();
  });

  it('delivers an unknown event type generically and keeps dispatching the known ones', async () => {
    fake = await fakeServer();
    const errors: unknown[] = [];
    ari = await connect({ url: fake.url, username: 'u', password: 'p', apps: ['a'], pingIntervalMs: 0, onListenerError: (e) => errors.push(e) });
    const unknown: UnknownEvent[] = [];
    const all: AnyEvent[] = [];
    const users: string[] = [];
    ari.on('unknown', (e) => void unknown.push(e));
    ari.on('*', (e) => void all.push(e));
    ari.on('ChannelUserevent', (e) => void users.push(e.eventname));
    // A throwing listener (sync or async) is reported, not fatal.
    ari.on('ChannelUserevent', () => {
      throw new Error('listener bug');
    });
    ari.on('ChannelUserevent', async () => {
      throw new Error('async listener bug');
    });
    await until(() => fake!.sockets.length === 1, 'the socket');
    const ws = fake.sockets[0]!;
    ws.send(JSON.stringify({ type: 'ChannelTeleported', application: 'a', timestamp: 'now', destination: 'mars' }));
    ws.send('this is not JSON');
    ws.send(JSON.stringify({ no: 'type' }));
    ws.send(JSON.stringify({ type: 'ChannelUserevent', application: 'a', timestamp: 'now', eventname: 'after', userevent: {} }));
    await until(() => users.length === 1, 'the known event after the unknown one');
    assert.deepEqual(unknown, [{ type: 'ChannelTeleported', application: 'a', timestamp: 'now', destination: 'mars' }]);
    assert.deepEqual(all.map((e) => e.type), ['ChannelTeleported', 'ChannelUserevent']);
    assert.deepEqual(users, ['after']);
    await until(() => errors.length === 2, 'both listener errors');
    assert.deepEqual(errors.map((e) => (e as Error).message).sort(), ['async listener bug', 'listener bug']);
  });

  it('reads the api-docs: operations the server lacks reject with UnsupportedOperation, unsent', async () => {
    fake = await fakeServer();
    ari = await connect({ url: fake.url, username: 'u', password: 'p' });
    assert.deepEqual(ari.version, { asterisk: '21.0.0-fake', apiVersion: '9.0.0' });
    assert.equal(ari.supports('asterisk', 'ping'), true);
    assert.equal(ari.supports('channels', 'externalMedia'), false);
    await assert.rejects(ari.channels.externalMedia({ app: 'a', external_host: '127.0.0.1:1', format: 'ulaw' }), (err) => {
      assert.ok(err instanceof UnsupportedOperation);
      assert.equal(err.operation, 'channels.externalMedia');
      assert.match(err.message, /21\.0\.0-fake/);
      return true;
    });
    assert.deepEqual(await ari.asterisk.ping(), { ping: 'pong' });
  });

  it('drops a socket that stops answering pings and reconnects', async () => {
    fake = await fakeServer();
    ari = await connect({
      url: fake.url,
      username: 'u',
      password: 'p',
      apps: ['a'],
      pingIntervalMs: 50,
      // Generous against a loaded machine (the fake server shares this process): only silence should miss it.
      pingTimeoutMs: 400,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    const states: string[] = [];
    ari.onConnection((state, { reason }) => states.push(`${state}${reason ? `: ${reason}` : ''}`));
    await until(() => fake!.connections === 1, 'the first socket');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(fake.connections, 1, 'answered pings keep the socket');
    // The server goes silent without closing the TCP connection.
    fake.answerPings = false;
    await until(() => fake!.connections === 2, 'a second connection');
    assert.match(states[0] ?? '', /^reconnecting: liveness check failed/);
    // The server counts the connection at the upgrade; the client reports `open` a moment later.
    await until(() => states.includes('open'), 'the client open again');
  });
});
