/**
 * The HTTP layer over real sockets: headers and body bytes as Asterisk writes them, pretty/compact JSON,
 * non-ARI paths, `prefix`, `redirect`, methods, the listen backlog, keep-alive and inactivity timeouts and
 * `sessionlimit`.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ariConf, basic, httpConf, parseRawResponse, rawHttp, startTestServer, type TestServer } from '../helpers/ariadne.ts';

const REF = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/reference/asterisk-22');
const AUTH = basic('asterisk:asterisk');

function refJson(name: string): { status: number; headers: Record<string, string>; body: unknown } {
  return JSON.parse(fs.readFileSync(path.join(REF, 'rest', `${name}.json`), 'utf8')) as {
    status: number;
    headers: Record<string, string>;
    body: unknown;
  };
}

function get(port: number, target: string, extra = ''): Promise<string> {
  return rawHttp(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: ${AUTH}\r\n${extra}Connection: close\r\n\r\n`);
}

/** Connects and resolves with the time from connect until the server closed the connection. */
function timeUntilClosed(port: number, send: string | undefined, maxMs: number): Promise<{ ms: number; data: string; closedByServer: boolean }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let data = '';
    let t0 = 0;
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ms: Date.now() - t0, data, closedByServer: false });
    }, maxMs);
    sock.on('connect', () => {
      t0 = Date.now();
      if (send) sock.write(send);
    });
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ ms: Date.now() - t0, data, closedByServer: true });
    });
    sock.on('error', (e) => {
      if (!t0) reject(e);
    });
  });
}

describe('HTTP headers and JSON formatting (pretty = yes)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'http.conf': httpConf('servername = Asterisk/22.10.1') } });
  });
  after(() => srv.stop());

  it('answers a GET with Asterisk headers and a 2-space indented body without trailing newline', async () => {
    const r = parseRawResponse(await get(srv.port, '/ari/asterisk/ping'));
    assert.equal(r.statusLine, 'HTTP/1.1 200 OK');
    assert.equal(r.header('Server'), 'Asterisk/22.10.1');
    assert.equal(r.header('Cache-Control'), 'no-cache, no-store');
    // Spelled as Asterisk spells it.
    assert.ok(r.headerLines.some(([k, v]) => k === 'Content-type' && v === 'application/json'), JSON.stringify(r.headerLines));
    const parsed = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(r.body, JSON.stringify(parsed, null, 2));
    assert.ok(!r.body.endsWith('\n'));
    assert.deepEqual(Object.keys(parsed), ['ping', 'timestamp', 'asterisk_id']);
    assert.equal(r.rest, '');
    // Same header names as the reference capture (Date aside, whose value differs).
    const ref = fs.readFileSync(path.join(REF, 'raw', 'pretty-get-ping-200.txt'), 'latin1');
    const refHead = ref.slice(ref.indexOf('HTTP/1.1 200 OK'), ref.indexOf('<CR>\n<CR>\n'));
    const refNames = refHead.split('<CR>\n').slice(1).map((l) => l.slice(0, l.indexOf(':')));
    assert.deepEqual(
      r.headerLines.map(([k]) => k).sort(),
      refNames.sort(),
      'same set of headers as Asterisk',
    );
  });

  it('answers 204 with Content-Length: 0 and no content type', async () => {
    const raw = await rawHttp(
      srv.port,
      `POST /ari/asterisk/variable?variable=RAWVAR&value=1 HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
    );
    const r = parseRawResponse(raw);
    assert.equal(r.statusLine, 'HTTP/1.1 204 No Content');
    assert.equal(r.header('Content-Length'), '0');
    assert.equal(r.header('Content-Type'), undefined);
    assert.equal(r.header('Cache-Control'), 'no-cache, no-store');
    assert.equal(r.header('Server'), 'Asterisk/22.10.1');
    assert.equal(r.body, '');
  });

  it('serves two pipelined keep-alive requests on one connection', async () => {
    const req = `GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n\r\n`;
    const raw = await rawHttp(srv.port, req + req.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'));
    const first = parseRawResponse(raw);
    assert.equal(first.status, 200);
    assert.equal(first.header('Connection')?.toLowerCase() ?? 'keep-alive', 'keep-alive');
    const second = parseRawResponse(first.rest);
    assert.equal(second.status, 200);
    assert.equal(second.header('Connection'), 'close');
    assert.equal((JSON.parse(second.body) as { ping: string }).ping, 'pong');
  });

  it('answers a non-/ari path with the same HTML 404 page as Asterisk, byte for byte', async () => {
    const ref = refJson('non-ari-path-404');
    const r = parseRawResponse(await get(srv.port, '/nonexistent'));
    assert.equal(r.status, 404);
    assert.equal(r.header('Content-Type'), 'text/html');
    assert.equal(r.body, ref.body);
    assert.equal(r.header('Content-Length'), ref.headers['content-length']);
    assert.equal(r.header('Server'), 'Asterisk/22.10.1');
    assert.equal(r.header('Cache-Control'), 'no-cache, no-store');
  });

  it('answers 405 Invalid method with Allow for a method the path does not take', async () => {
    const ref = refJson('method-405-put-channels');
    const res = await srv.ari('PUT', '/channels');
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'OPTIONS,GET,POST');
    assert.equal(res.headers.get('allow'), ref.headers.allow);
    assert.deepEqual(await res.json(), ref.body);
  });

  it('answers HEAD with 405 and Allow, without a body', async () => {
    const raw = await rawHttp(srv.port, `HEAD /ari/asterisk/info HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nConnection: close\r\n\r\n`);
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    assert.match(head, /^HTTP\/1\.1 405 /);
    assert.match(head, /\r\nAllow: OPTIONS,GET\r\n/);
    assert.equal(raw.slice(raw.indexOf('\r\n\r\n') + 4), '', 'no body on a HEAD answer');
  });

  it('answers 405 on GET /ari, 404 Resource not found on unknown and deep paths', async () => {
    const root = await srv.ari('GET', '');
    assert.equal(root.status, 405);
    assert.equal(root.headers.get('allow'), 'OPTIONS');
    assert.deepEqual(await root.json(), { message: 'Invalid method' });
    // A path that is only a prefix of operations behaves the same way (Asterisk's handler tree).
    const prefix = await srv.ari('GET', '/asterisk');
    assert.equal(prefix.status, 405);
    assert.equal(prefix.headers.get('allow'), 'OPTIONS');
    await prefix.arrayBuffer();
    for (const p of ['/nonexistent', '/channels/x/y/z', '/asterisk/info/more', '/bridges/b/addChannel/extra/deeper']) {
      const res = await srv.ari('GET', p);
      assert.equal(res.status, 404, p);
      assert.equal(res.headers.get('content-type'), 'application/json');
      assert.deepEqual(await res.json(), { message: 'Resource not found' }, p);
    }
  });

  it('serves /ws: 426 HTML without an upgrade, 400 HTML for an upgrade with no protocol handler', async () => {
    const plain = parseRawResponse(await rawHttp(srv.port, 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.equal(plain.status, 426);
    assert.equal(plain.header('Content-Type'), 'text/html');
    assert.match(plain.body, /<title>426 Upgrade Required<\/title>/);
    const up = parseRawResponse(
      await rawHttp(
        srv.port,
        'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n',
      ),
    );
    assert.equal(up.status, 400);
    assert.equal(up.header('Server'), 'Asterisk/22.10.1');
    // `sip` is served there now (SIP over WebSocket, test/e2e/pjsip-ws.test.ts); others are refused.
    assert.match(up.body, /No WebSocket protocol handler for 'xmpp'/);
  });

  it('listens with a backlog of at least 511', () => {
    const out = execFileSync('ss', ['-lntH', `sport = :${srv.port}`], { encoding: 'utf8' });
    const line = out.split('\n').find((l) => l.includes(`:${srv.port}`));
    assert.ok(line, `ss shows the listener: ${out}`);
    const sendQ = Number(line.trim().split(/\s+/)[2]);
    assert.ok(sendQ >= 511, `backlog ${sendQ}`);
  });
});

describe('HTTP compact JSON (pretty = no)', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'ari.conf': ariConf('pretty = no') } });
  });
  after(() => srv.stop());

  it('writes compact JSON', async () => {
    const r = parseRawResponse(await get(srv.port, '/ari/asterisk/ping'));
    assert.equal(r.status, 200);
    assert.equal(r.body, JSON.stringify(JSON.parse(r.body)));
    assert.match(r.body, /^\{"ping":"pong","timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000","asterisk_id":"02:fc:00:00:00:01"\}$/);
    const nf = await srv.ari('GET', '/nope');
    assert.equal(await nf.text(), '{"message":"Resource not found"}');
  });
});

describe('http.conf prefix, redirect and servername', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({
      files: { 'http.conf': httpConf('prefix = /asterisk/\nredirect = /foo /ari/api-docs/resources.json\nservername = Ariadne-Test') },
    });
  });
  after(() => srv.stop());

  it('serves ARI under the prefix only', async () => {
    const ok = parseRawResponse(await get(srv.port, '/asterisk/ari/asterisk/ping'));
    assert.equal(ok.status, 200);
    assert.equal(ok.header('Server'), 'Ariadne-Test');
    assert.equal((JSON.parse(ok.body) as { ping: string }).ping, 'pong');
    const bare = parseRawResponse(await get(srv.port, '/ari/asterisk/ping'));
    assert.equal(bare.status, 404);
    assert.equal(bare.header('Content-Type'), 'text/html');
    assert.match(bare.body, /<address>Ariadne-Test<\/address>/);
  });

  it('puts the prefix into the api-docs basePath', async () => {
    const r = parseRawResponse(await get(srv.port, '/asterisk/ari/api-docs/resources.json'));
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { basePath: string }).basePath, `http://127.0.0.1:${srv.port}/asterisk/ari`);
  });

  it('redirects with 302 and Location', async () => {
    const r = parseRawResponse(await rawHttp(srv.port, 'GET /foo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.equal(r.status, 302);
    assert.equal(r.header('Location'), '/ari/api-docs/resources.json');
    // Only the exact path redirects.
    const other = parseRawResponse(await rawHttp(srv.port, 'GET /foobar HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.equal(other.status, 404);
  });
});

describe('http.conf servername empty', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'http.conf': httpConf('servername =') } });
  });
  after(() => srv.stop());

  it('sends no Server header', async () => {
    const r = parseRawResponse(await get(srv.port, '/ari/asterisk/ping'));
    assert.equal(r.status, 200);
    assert.equal(r.header('Server'), undefined);
  });
});

const t0ok = (ms: number) => ms >= 300 && ms < 2500;

describe('session_keep_alive and session_inactivity', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'http.conf': httpConf('session_keep_alive = 300\nsession_inactivity = 400') } });
  });
  after(() => srv.stop());

  it('closes an idle keep-alive connection after session_keep_alive', async () => {
    const r = await timeUntilClosed(srv.port, `GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n\r\n`, 3000);
    assert.ok(r.closedByServer, 'server closed the connection');
    assert.equal(parseRawResponse(r.data).status, 200);
    assert.ok(r.ms >= 250 && r.ms < 1000, `closed after ${r.ms} ms`);
  });

  it('closes a connection that sends nothing after session_inactivity', async () => {
    const r = await timeUntilClosed(srv.port, undefined, 3000);
    assert.ok(r.closedByServer, 'server closed the connection');
    assert.equal(r.data, '');
    assert.ok(r.ms >= 300 && r.ms < 2500, `closed after ${r.ms} ms`);
  });

  it('closes a connection that sends half a request and stops', async () => {
    const r = await timeUntilClosed(srv.port, 'GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\n', 4000);
    assert.ok(r.closedByServer, 'server closed the connection');
    assert.ok(r.ms < 3500, `closed after ${r.ms} ms`);
  });

  it('closes a keep-alive connection whose second request stalls in its body', async () => {
    const req = `GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n\r\n`;
    const r = await new Promise<{ ms: number; data: string; closed: boolean }>((resolve) => {
      const sock = net.connect(srv.port, '127.0.0.1', () => sock.write(req));
      let data = '';
      let t0 = 0;
      const timer = setTimeout(() => {
        sock.destroy();
        resolve({ ms: Date.now() - t0, data, closed: false });
      }, 4000);
      sock.on('data', (d) => {
        data += d.toString('latin1');
        if (!t0 && data.includes('"pong"')) {
          // A second request whose body never completes, then silence.
          t0 = Date.now();
          sock.write(`POST /ari/asterisk/variable HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"vari`);
        }
      });
      sock.on('error', () => {});
      sock.on('close', () => {
        clearTimeout(timer);
        resolve({ ms: Date.now() - t0, data, closed: true });
      });
    });
    assert.ok(r.closed, 'server closed the connection');
    assert.ok(t0ok(r.ms), `closed after ${r.ms} ms`);
  });

  it('keeps serving afterwards', async () => {
    const res = await srv.ari('GET', '/asterisk/ping');
    assert.equal(res.status, 200);
  });
});

describe('sessionlimit', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'http.conf': httpConf('sessionlimit = 2') } });
  });
  after(() => srv.stop());

  function openConn(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const s = net.connect(srv.port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
  }

  /** One keep-alive request on an open socket; resolves with the parsed response. */
  function request(sock: net.Socket): Promise<ReturnType<typeof parseRawResponse>> {
    return new Promise((resolve, reject) => {
      let data = '';
      const onData = (d: Buffer) => {
        data += d.toString('latin1');
        try {
          const r = parseRawResponse(data);
          if (r.body.length >= Number(r.header('content-length') ?? 0)) {
            sock.off('data', onData);
            resolve(r);
          }
        } catch {
          // incomplete head
        }
      };
      sock.on('data', onData);
      sock.once('close', () => reject(new Error(`closed; got ${JSON.stringify(data)}`)));
      sock.write(`GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\n\r\n`);
    });
  }

  it('refuses the third concurrent connection cleanly while the first two work', async () => {
    const a = await openConn();
    const b = await openConn();
    try {
      assert.equal((await request(a)).status, 200);
      assert.equal((await request(b)).status, 200);
      // The third gets a 503 (or a close) and nothing else.
      const third = await rawHttp(srv.port, `GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nConnection: close\r\n\r\n`, 2000);
      if (third !== '') {
        const r = parseRawResponse(third);
        assert.equal(r.status, 503);
        assert.equal(r.rest, '', 'exactly one response on a refused connection');
      }
      // A write on a refused connection must not happen behind the 503.
      const refused = await rawHttp(
        srv.port,
        `POST /ari/asterisk/variable?variable=LEAK&value=1 HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        2000,
      );
      if (refused !== '') assert.equal(parseRawResponse(refused).status, 503);
      // The first two still work.
      assert.equal((await request(a)).status, 200);
      assert.equal((await request(b)).status, 200);
    } finally {
      a.destroy();
      b.destroy();
    }
    // After they close, new connections are served.
    const deadline = Date.now() + 2000;
    let status = 0;
    while (Date.now() < deadline) {
      const res = await srv.ari('GET', '/asterisk/ping', { headers: { connection: 'close' } });
      status = res.status;
      await res.arrayBuffer();
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200);
    assert.ok(srv.ariadne.http.connectionCount <= 2);
    const leak = await srv.ari('GET', '/asterisk/variable?variable=LEAK');
    assert.deepEqual(await leak.json(), { value: '' }, 'the refused request was not executed');
  });
});
