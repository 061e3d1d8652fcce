/**
 * CORS as Asterisk answers it (Origin echoed, never `*`, credentials allowed) plus Ariadne's two additions:
 * preflights answered without credentials and the events WebSocket checking Origin.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { ariConf, basic, parseRawResponse, rawHttp, startTestServer, type TestServer } from '../helpers/ariadne.ts';

const AUTH = basic('asterisk:asterisk');

function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
        ws.terminate();
      });
    });
    ws.once('error', (e) => reject(e));
  });
}

function corsOf(res: Response): Record<string, string | null> {
  return {
    origin: res.headers.get('access-control-allow-origin'),
    credentials: res.headers.get('access-control-allow-credentials'),
    methods: res.headers.get('access-control-allow-methods'),
    headers: res.headers.get('access-control-allow-headers'),
  };
}

describe('CORS with an allowed_origins list', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  it('echoes an allowed Origin with credentials on a simple request', async () => {
    for (const origin of ['http://allowed.test', 'http://other.test']) {
      const res = await srv.ari('GET', '/asterisk/ping', { headers: { origin } });
      assert.equal(res.status, 200);
      assert.deepEqual(corsOf(res), { origin, credentials: 'true', methods: null, headers: null });
      await res.arrayBuffer();
    }
  });

  it('adds CORS headers to errors too (401, 404) for an allowed Origin', async () => {
    const unauth = await srv.ari('GET', '/asterisk/ping', { auth: null, headers: { origin: 'http://allowed.test' } });
    assert.equal(unauth.status, 401);
    assert.equal(corsOf(unauth).origin, 'http://allowed.test');
    await unauth.arrayBuffer();
    const nf = await srv.ari('GET', '/nope', { headers: { origin: 'http://allowed.test' } });
    assert.equal(nf.status, 404);
    assert.equal(corsOf(nf).origin, 'http://allowed.test');
    await nf.arrayBuffer();
  });

  it('sends no CORS headers for an unknown Origin, a near miss, or no Origin', async () => {
    for (const headers of [
      { origin: 'http://evil.test' },
      { origin: 'http://allowed.test.evil.test' },
      { origin: 'https://allowed.test' },
      { origin: 'http://ALLOWED.test' },
      { origin: 'http://allowed.test/' },
      { origin: 'null' },
      {} as Record<string, string>,
    ]) {
      const res = await srv.ari('GET', '/asterisk/ping', { headers });
      assert.equal(res.status, 200);
      assert.deepEqual(corsOf(res), { origin: null, credentials: null, methods: null, headers: null }, JSON.stringify(headers));
      await res.arrayBuffer();
    }
  });

  it('answers a preflight without credentials: 204, Allow, Allow-Methods and Allow-Headers echo', async () => {
    const res = await srv.ari('OPTIONS', '/channels', {
      auth: null,
      headers: { origin: 'http://allowed.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'Authorization, Content-Type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('allow'), 'OPTIONS,GET,POST');
    assert.deepEqual(corsOf(res), {
      origin: 'http://allowed.test',
      credentials: 'true',
      methods: 'OPTIONS,GET,POST',
      headers: 'Authorization, Content-Type',
    });
    assert.equal(res.headers.get('content-length'), '0');
    assert.equal(res.headers.get('content-type'), null);
    assert.equal(res.headers.get('cache-control'), 'no-cache, no-store');
  });

  it('leaves out Allow-Methods and Allow-Headers when the requested method is not allowed', async () => {
    const res = await srv.ari('OPTIONS', '/asterisk/info', {
      auth: null,
      headers: { origin: 'http://allowed.test', 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'X-Foo' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('allow'), 'OPTIONS,GET');
    assert.deepEqual(corsOf(res), { origin: 'http://allowed.test', credentials: 'true', methods: null, headers: null });
  });

  it('gives a preflight from a disallowed Origin no CORS headers', async () => {
    const res = await srv.ari('OPTIONS', '/channels', {
      auth: null,
      headers: { origin: 'http://evil.test', 'access-control-request-method': 'POST' },
    });
    assert.ok(res.status === 204 || res.status === 403 || res.status === 401, String(res.status));
    assert.deepEqual(corsOf(res), { origin: null, credentials: null, methods: null, headers: null });
    await res.arrayBuffer();
  });

  it('answers OPTIONS with credentials and no Origin with 204 + Allow; without credentials 401', async () => {
    const res = await srv.ari('OPTIONS', '/channels');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('allow'), 'OPTIONS,GET,POST');
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const noauth = await srv.ari('OPTIONS', '/channels', { auth: null });
    assert.equal(noauth.status, 401);
    await noauth.arrayBuffer();
  });

  it('answers OPTIONS on an unknown path with 404 (with or without credentials)', async () => {
    const authed = await srv.ari('OPTIONS', '/nonexistent', {
      headers: { origin: 'http://allowed.test', 'access-control-request-method': 'GET' },
    });
    assert.equal(authed.status, 404);
    assert.deepEqual(await authed.json(), { message: 'Resource not found' });
    assert.equal(authed.headers.get('access-control-allow-origin'), 'http://allowed.test');
    const pre = await srv.ari('OPTIONS', '/nonexistent', {
      auth: null,
      headers: { origin: 'http://allowed.test', 'access-control-request-method': 'GET' },
    });
    assert.equal(pre.status, 404);
    await pre.arrayBuffer();
  });

  it('never echoes an Origin carrying CR or LF, and keeps serving', async () => {
    // A bare CR, a bare LF, and obs-fold continuation lines (CRLF or LF, then a space).
    for (const origin of ['http://allowed.test\rX-Injected: 1', 'http://allowed.test\nX-Injected: 1', 'http://allowed.test\r\n X-Injected: 1', 'http://allowed.test\n\tX-Injected: 1']) {
      const raw = await rawHttp(
        srv.port,
        `GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nOrigin: ${origin}\r\nConnection: close\r\n\r\n`,
      );
      assert.ok(raw.startsWith('HTTP/1.1 '), JSON.stringify(raw.slice(0, 100)));
      const head = raw.slice(0, raw.indexOf('\r\n\r\n') + 2);
      assert.doesNotMatch(head, /X-Injected/i, JSON.stringify(origin));
      const status = Number(raw.slice(9, 12));
      assert.ok(status === 200 || status === 400, `${JSON.stringify(origin)} → ${status}`);
      if (status === 200) assert.doesNotMatch(head, /Access-Control-Allow-Origin/i);
    }
    // Same for a preflight without credentials.
    const raw = await rawHttp(
      srv.port,
      `OPTIONS /ari/channels HTTP/1.1\r\nHost: x\r\nOrigin: http://allowed.test\r\n X-Injected: 1\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n`,
    );
    assert.doesNotMatch(raw.slice(0, raw.indexOf('\r\n\r\n')), /X-Injected|Access-Control-Allow-Origin/i);
    const ok = await srv.ari('GET', '/asterisk/ping');
    assert.equal(ok.status, 200);
  });

  it('checks Origin on the events WebSocket: disallowed → 403, allowed → 101, none → 101', async () => {
    const url = `ws://127.0.0.1:${srv.port}/ari/events?app=cors-app&api_key=asterisk:asterisk`;
    const bad = await upgradeStatus(url, { origin: 'http://evil.test' });
    assert.equal(bad.status, 403);
    assert.equal(typeof (JSON.parse(bad.body) as { message: unknown }).message, 'string');
    assert.equal((await upgradeStatus(url, { origin: 'http://allowed.test' })).status, 101);
    assert.equal((await upgradeStatus(url)).status, 101);
    // The refused socket did not register its application.
    const apps = await srv.ari('GET', '/applications');
    assert.ok(Array.isArray(await apps.json()));
  });

  it('does not register the application of a socket refused for its Origin', async () => {
    const url = `ws://127.0.0.1:${srv.port}/ari/events?app=never-registered&api_key=asterisk:asterisk`;
    assert.equal((await upgradeStatus(url, { origin: 'http://evil.test' })).status, 403);
    const res = await srv.ari('GET', '/applications/never-registered');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });
});

describe('CORS with allowed_origins = *', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'ari.conf': ariConf('allowed_origins = *') } });
  });
  after(() => srv.stop());

  it('echoes any Origin (never a literal *)', async () => {
    const res = await srv.ari('GET', '/asterisk/ping', { headers: { origin: 'http://anything.test' } });
    assert.deepEqual(corsOf(res), { origin: 'http://anything.test', credentials: 'true', methods: null, headers: null });
    await res.arrayBuffer();
    const ws = await upgradeStatus(`ws://127.0.0.1:${srv.port}/ari/events?app=star&api_key=asterisk:asterisk`, { origin: 'http://anything.test' });
    assert.equal(ws.status, 101);
  });
});

describe('CORS with no allowed_origins', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'ari.conf': ariConf('allowed_origins =') } });
  });
  after(() => srv.stop());

  it('sends no CORS headers and refuses browser WebSockets', async () => {
    const res = await srv.ari('GET', '/asterisk/ping', { headers: { origin: 'http://allowed.test' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    await res.arrayBuffer();
    const ws = await upgradeStatus(`ws://127.0.0.1:${srv.port}/ari/events?app=none&api_key=asterisk:asterisk`, { origin: 'http://allowed.test' });
    assert.equal(ws.status, 403);
    const parsed = parseRawResponse(
      await rawHttp(srv.port, `GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nConnection: close\r\n\r\n`),
    );
    assert.equal(parsed.status, 200);
  });
});
