import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAuth } from '../message/fields.ts';
import { createResponse } from '../message/helpers.ts';
import { createRequest, cseq, topVia, type SipRequest } from '../message/message.ts';
import { pjsipFromText } from '../test-config.ts';
import { answerChallenge, computeHa1, DigestClientState, DigestServer, digestResponse, hashHex } from './digest.ts';

const CONF = pjsipFromText(`
[alice]
type=auth
auth_type=userpass
username=alice
password=secret

[shaonly]
type=auth
username=sha
password=pw
realm=example.org
supported_algorithms_uas=SHA-256,MD5
supported_algorithms_uac=SHA-256

[md5cred]
type=auth
auth_type=md5
username=bob
md5_cred=${hashHex('MD5', 'bob:asterisk:hunter2')}
`);
const auth = (id: string) => {
  const a = CONF.auth.get(id);
  assert.ok(a, id);
  return a;
};

function register(extra: [string, string][] = []): SipRequest {
  return createRequest('REGISTER', 'sip:127.0.0.1', [
    ['Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc'],
    ['From', '<sip:alice@127.0.0.1>;tag=1'],
    ['To', '<sip:alice@127.0.0.1>'],
    ['Call-ID', 'c1'],
    ['CSeq', '1 REGISTER'],
    ...extra,
  ]);
}

describe('digest computations', () => {
  it('RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    const ha1 = computeHa1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life');
    const r = digestResponse({ algorithm: 'MD5', ha1, method: 'GET', uri: '/dir/index.html', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' });
    assert.equal(r, '6629fae49393a05397450978507c4ef1');
  });
  it('RFC 7616 §3.9.1 examples (MD5 and SHA-256)', () => {
    const base = { method: 'GET', uri: '/dir/index.html', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', qop: 'auth', nc: '00000001', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ' };
    const md5 = digestResponse({ ...base, algorithm: 'MD5', ha1: computeHa1('MD5', 'Mufasa', 'http-auth@example.org', 'Circle of Life') });
    assert.equal(md5, '8ca523f5e9506fed4657c9700eebdbec');
    const sha = digestResponse({ ...base, algorithm: 'SHA-256', ha1: computeHa1('SHA-256', 'Mufasa', 'http-auth@example.org', 'Circle of Life') });
    assert.equal(sha, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
  });
  it('RFC 2069 style (no qop)', () => {
    const ha1 = computeHa1('MD5', 'u', 'r', 'p');
    const ha2 = hashHex('MD5', 'REGISTER:sip:x');
    assert.equal(digestResponse({ algorithm: 'MD5', ha1, method: 'REGISTER', uri: 'sip:x', nonce: 'n' }), hashHex('MD5', `${ha1}:n:${ha2}`));
  });
});

describe('DigestServer and the client side', () => {
  let now = 1_800_000_000_000;
  const server = new DigestServer({ now: () => now, secret: Buffer.from('k') });
  const opts = { auths: [auth('alice')], defaultRealm: 'asterisk', defaultAlgorithms: ['MD5'] as const };

  it('challenges with realm, nonce, opaque, algorithm and qop="auth"', () => {
    const [c, more] = server.challengesFor(opts);
    assert.equal(more, undefined);
    const p = parseAuth(c ?? '').params;
    assert.equal(p.get('realm'), 'asterisk');
    assert.equal(p.get('algorithm'), 'MD5');
    assert.equal(p.get('qop'), 'auth');
    assert.ok(p.get('opaque'));
    assert.equal(server.checkNonce(p.get('nonce') ?? '', 'asterisk', 32), 'valid');
    assert.equal(server.checkNonce(p.get('nonce') ?? '', 'other', 32), 'invalid');
    assert.equal(server.checkNonce('0/' + 'a'.repeat(12) + '/' + 'a'.repeat(32), 'asterisk', 32), 'invalid');
  });

  it('accepts the client answer once, rejects its replay, a wrong password, and goes stale after nonce_lifetime', () => {
    const req = register();
    assert.deepEqual(server.verify(req, opts), { result: 'missing' });
    const challenge = createResponse(req, 401, { headers: server.challengesFor(opts).map((v) => ['WWW-Authenticate', v] as [string, string]) });
    const state = new DigestClientState();
    const retry = answerChallenge(req, challenge, { auths: [auth('alice')], defaultAlgorithms: ['MD5'], state });
    assert.ok(retry);
    assert.equal(cseq(retry).seq, 2);
    assert.notEqual(topVia(retry).branch, topVia(req).branch);
    const cred = parseAuth(retry.headers.get('Authorization') ?? '').params;
    assert.equal(cred.get('nc'), '00000001');
    assert.equal(cred.get('qop'), 'auth');
    const ok = server.verify(retry, opts);
    assert.equal(ok.result, 'ok');
    assert.equal(server.verify(retry, opts).result, 'failed', 'same nc replayed');
    const again = answerChallenge(req, challenge, { auths: [auth('alice')], defaultAlgorithms: ['MD5'], state });
    assert.ok(again);
    assert.equal(parseAuth(again.headers.get('Authorization') ?? '').params.get('nc'), '00000002');
    assert.equal(server.verify(again, opts).result, 'ok');

    const wrong = pjsipFromText('[alice]\ntype=auth\nusername=alice\npassword=nope\n').auth.get('alice');
    assert.ok(wrong);
    const bad = answerChallenge(req, challenge, { auths: [wrong], defaultAlgorithms: ['MD5'], state: new DigestClientState() });
    assert.ok(bad);
    assert.deepEqual(server.verify(bad, opts), { result: 'failed', reason: 'wrong password', username: 'alice' });

    now += 33_000;
    const late = answerChallenge(req, challenge, { auths: [auth('alice')], defaultAlgorithms: ['MD5'], state });
    assert.ok(late);
    assert.deepEqual(server.verify(late, opts), { result: 'stale' });
    const staleChallenge = parseAuth(server.challengesFor(opts, true)[0] ?? '').params;
    assert.equal(staleChallenge.get('stale'), 'true');
  });

  it('offers SHA-256 first when configured, and a SHA-256-only client answers with it', () => {
    const o = { auths: [auth('shaonly')], defaultRealm: 'asterisk', defaultAlgorithms: ['MD5'] as const };
    const values = server.challengesFor(o);
    assert.deepEqual(values.map((v) => parseAuth(v).params.get('algorithm')), ['SHA-256', 'MD5']);
    assert.equal(parseAuth(values[0] ?? '').params.get('realm'), 'example.org');
    const req = register();
    const challenge = createResponse(req, 407, { headers: values.map((v) => ['Proxy-Authenticate', v] as [string, string]) });
    const retry = answerChallenge(req, challenge, { auths: [auth('shaonly')], defaultAlgorithms: ['MD5'], state: new DigestClientState() });
    assert.ok(retry);
    const cred = parseAuth(retry.headers.get('Proxy-Authorization') ?? '').params;
    assert.equal(cred.get('algorithm'), 'SHA-256');
    assert.equal(cred.get('response')?.length, 64);
    assert.equal(server.verify(retry, o).result, 'ok');
  });

  it('verifies against md5_cred', () => {
    const o = { auths: [auth('md5cred')], defaultRealm: 'asterisk', defaultAlgorithms: ['MD5'] as const };
    const req = register();
    const challenge = createResponse(req, 401, { headers: server.challengesFor(o).map((v) => ['WWW-Authenticate', v] as [string, string]) });
    const client = pjsipFromText('[b]\ntype=auth\nusername=bob\npassword=hunter2\n').auth.get('b');
    assert.ok(client);
    const retry = answerChallenge(req, challenge, { auths: [client], defaultAlgorithms: ['MD5'], state: new DigestClientState() });
    assert.ok(retry);
    assert.equal(server.verify(retry, o).result, 'ok');
  });

  it('returns undefined when no challenge can be answered (algorithm not allowed)', () => {
    const req = register();
    const challenge = createResponse(req, 401, { headers: [['WWW-Authenticate', 'Digest realm="x", nonce="n", algorithm=MD5']] });
    assert.equal(answerChallenge(req, challenge, { auths: [auth('shaonly')], defaultAlgorithms: ['MD5'], state: new DigestClientState() }), undefined);
  });
});
