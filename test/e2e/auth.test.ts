/**
 * Authentication over real sockets: HTTP Basic and `api_key`, every kind of bad credential, custom realms,
 * crypt passwords made by `openssl passwd` at test time, read-only users, per-user permit/deny, and
 * ari.conf `enabled = no`.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { WebSocket } from 'ws';
import { ariConf, basic, parseRawResponse, rawHttp, startTestServer, type TestServer } from '../helpers/ariadne.ts';

const REALM = 'Basic realm="Asterisk REST Interface"';

function passwd(flag: '-6' | '-5' | '-1', password: string): string {
  return execFileSync('openssl', ['passwd', flag, password], { encoding: 'utf8' }).trim();
}

async function expect401(res: Response, realm = REALM): Promise<void> {
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), realm);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(await res.json(), { message: 'Authentication required' });
}

/** Status of a WebSocket upgrade attempt (101 when it opened). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', (e) => reject(e));
  });
}

describe('authentication', () => {
  let srv: TestServer;
  const hashes = { sha512: passwd('-6', 'secret6'), sha256: passwd('-5', 'secret5'), md5: passwd('-1', 'secret1') };

  before(async () => {
    const users = [
      ...Object.entries(hashes).map(([name, hash]) => `[${name}]\ntype = user\npassword_format = crypt\npassword = ${hash}\n`),
      '[denied]\ntype = user\npassword = pw\ndeny = 0.0.0.0/0\npermit = 10.0.0.0/8\n',
      '[permitted]\ntype = user\npassword = pw\ndeny = 0.0.0.0/0\npermit = 127.0.0.1\n',
      '[colon]\ntype = user\npassword = a:b\n',
    ].join('\n');
    srv = await startTestServer({ files: { 'ari.conf': ariConf('', users) } });
  });
  after(() => srv.stop());

  it('accepts HTTP Basic and api_key', async () => {
    const b = await srv.ari('GET', '/asterisk/ping');
    assert.equal(b.status, 200);
    assert.equal(((await b.json()) as { ping: string }).ping, 'pong');
    const k = await srv.ari('GET', '/asterisk/ping?api_key=asterisk:asterisk', { auth: null });
    assert.equal(k.status, 200);
    // A password with a colon: everything after the first colon is the password.
    assert.equal((await srv.ari('GET', '/asterisk/ping', { auth: 'colon:a:b' })).status, 200);
    assert.equal((await srv.ari('GET', '/asterisk/ping?api_key=colon:a:b', { auth: null })).status, 200);
  });

  it('answers 401 with WWW-Authenticate for missing and wrong credentials', async () => {
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: null }));
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: 'asterisk:wrong' }));
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: 'nobody:x' }));
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: 'asterisk:' }));
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: ':asterisk' }));
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: 'asterisk' }));
    await expect401(await srv.ari('GET', '/asterisk/info?api_key=asterisk:wrong', { auth: null }));
    await expect401(await srv.ari('GET', '/asterisk/info?api_key=asterisk', { auth: null }));
    await expect401(await srv.ari('GET', '/asterisk/info?api_key=', { auth: null }));
    // api_key wins over a valid Authorization header.
    await expect401(await srv.ari('GET', '/asterisk/info?api_key=asterisk:wrong'));
    // Case matters in user names and passwords.
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: 'Asterisk:asterisk' }));
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: 'asterisk:ASTERISK' }));
  });

  it('answers 401 for malformed Authorization headers', async () => {
    for (const value of [
      'Basic !!!notbase64!!!',
      'Basic YXN0ZXJpc2s6YXN0ZXJpc2s', // valid base64 with its padding dropped is accepted below; this is a control
      'Basic',
      'Basic ',
      'Bearer asterisk:asterisk',
      `Basic ${Buffer.from('asterisk').toString('base64')}`, // no colon
      'Basic YX%0ZXJpc2s6YXN0ZXJpc2s=',
      'Digest username="asterisk"',
    ]) {
      const res = await srv.ari('GET', '/asterisk/info', { auth: null, headers: { authorization: value } });
      if (value === 'Basic YXN0ZXJpc2s6YXN0ZXJpc2s') {
        // Unpadded base64 of the right credentials: either answer is defensible, but never a 5xx.
        assert.ok(res.status === 200 || res.status === 401, `${value}: ${res.status}`);
        await res.arrayBuffer();
        continue;
      }
      await expect401(res);
    }
  });

  it('answers 401 on a raw request with invalid base64 and keeps serving', async () => {
    const r = parseRawResponse(
      await rawHttp(srv.port, 'GET /ari/asterisk/ping HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \u00ff\u00fe==\r\nConnection: close\r\n\r\n'),
    );
    assert.equal(r.status, 401);
    assert.equal(r.header('WWW-Authenticate'), REALM);
    assert.equal((await srv.ari('GET', '/asterisk/ping')).status, 200);
  });

  it('verifies SHA-512, SHA-256 and MD5 crypt passwords made by openssl passwd', async () => {
    for (const [user, pw] of [
      ['sha512', 'secret6'],
      ['sha256', 'secret5'],
      ['md5', 'secret1'],
    ] as const) {
      const ok = await srv.ari('GET', '/asterisk/ping', { auth: `${user}:${pw}` });
      assert.equal(ok.status, 200, user);
      await ok.arrayBuffer();
      // Twice (a cached verification must still be right), then a wrong password after a right one.
      assert.equal((await srv.ari('GET', '/asterisk/ping', { auth: `${user}:${pw}` })).status, 200, user);
      await expect401(await srv.ari('GET', '/asterisk/ping', { auth: `${user}:${pw}x` }));
      await expect401(await srv.ari('GET', '/asterisk/ping', { auth: `${user}:${hashes[user]}` }));
    }
  });

  it('lets a read-only user read and refuses every write with 403 Write access denied', async () => {
    const ro = 'readonly:readonly';
    assert.equal((await srv.ari('GET', '/asterisk/info', { auth: ro })).status, 200);
    assert.equal((await srv.ari('GET', '/applications', { auth: ro })).status, 200);
    for (const [method, p] of [
      ['POST', '/bridges?type=mixing'],
      ['POST', '/asterisk/variable?variable=X&value=1'],
      ['PUT', '/asterisk/modules/res_ari.so'],
      ['DELETE', '/channels/no-such-channel'],
      ['DELETE', '/asterisk/modules/res_ari.so'],
      ['POST', '/events/user/x?application=nope'],
      ['PUT', '/channels'],
    ] as const) {
      const res = await srv.ari(method, p, { auth: ro });
      assert.equal(res.status, 403, `${method} ${p}`);
      assert.deepEqual(await res.json(), { message: 'Write access denied' }, `${method} ${p}`);
    }
    // Nothing was written.
    const v = await srv.ari('GET', '/asterisk/variable?variable=X');
    assert.deepEqual(await v.json(), { value: '' });
    // A read-only user's OPTIONS works.
    const opt = await srv.ari('OPTIONS', '/channels', { auth: ro });
    assert.equal(opt.status, 204);
    assert.equal(opt.headers.get('allow'), 'OPTIONS,GET,POST');
  });

  it('applies per-user permit/deny to the caller address (HTTP and WebSocket)', async () => {
    const denied = await srv.ari('GET', '/asterisk/ping', { auth: 'denied:pw' });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('www-authenticate'), null);
    assert.equal(typeof ((await denied.json()) as { message: unknown }).message, 'string');
    // A wrong password for that user is still a 401 (the ACL is not an oracle for passwords).
    await expect401(await srv.ari('GET', '/asterisk/ping', { auth: 'denied:nope' }));
    assert.equal((await srv.ari('GET', '/asterisk/ping', { auth: 'permitted:pw' })).status, 200);
    const wsBase = `ws://127.0.0.1:${srv.port}/ari/events`;
    assert.equal(await upgradeStatus(`${wsBase}?app=acl&api_key=denied:pw`), 403);
    assert.equal(await upgradeStatus(`${wsBase}?app=acl&api_key=permitted:pw`), 101);
  });

  it('authenticates the events WebSocket: 401 JSON with WWW-Authenticate for bad credentials', async () => {
    const raw = await rawHttp(
      srv.port,
      'GET /ari/events?app=x&api_key=asterisk:wrong HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    const r = parseRawResponse(raw);
    assert.equal(r.status, 401);
    assert.equal(r.header('WWW-Authenticate'), REALM);
    assert.equal(r.header('Server'), 'Asterisk/22.10.1');
    assert.equal(r.body, '{\n  "message": "Authentication required"\n}');
    const wsBase = `ws://127.0.0.1:${srv.port}/ari/events`;
    assert.equal(await upgradeStatus(`${wsBase}?app=x&api_key=nobody:x`), 401);
    assert.equal(await upgradeStatus(`${wsBase}?app=x`), 401);
    assert.equal(await upgradeStatus(`${wsBase}?app=x`, { authorization: basic('asterisk:asterisk') }), 101);
    assert.equal(await upgradeStatus(`${wsBase}?app=x`, { authorization: basic('sha512:secret6') }), 101);
  });
});

describe('custom auth_realm', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'ari.conf': ariConf('auth_realm = Ariadne Test Realm') } });
  });
  after(() => srv.stop());

  it('names the configured realm', async () => {
    await expect401(await srv.ari('GET', '/asterisk/info', { auth: null }), 'Basic realm="Ariadne Test Realm"');
  });
});

describe('ari.conf enabled = no', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer({ files: { 'ari.conf': ariConf('enabled = no') } });
  });
  after(() => srv.stop());

  it('serves no /ari at all', async () => {
    const res = await srv.ari('GET', '/asterisk/ping');
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    const docs = await srv.ari('GET', '/api-docs/resources.json');
    assert.equal(docs.status, 404);
    await docs.arrayBuffer();
    assert.equal(await upgradeStatus(`ws://127.0.0.1:${srv.port}/ari/events?app=x&api_key=asterisk:asterisk`), 404);
  });
});
