import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createResponse, generateBranch, generateCallId, generateTag, MAGIC_COOKIE, reasonPhrase, stampVia } from './helpers.ts';
import { createRequest, serializeMessage, toOf, topVia, vias, type SipRequest } from './message.ts';
import { parseMessage } from './parser.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const request = (name: string): SipRequest => {
  const m = parseMessage(fs.readFileSync(path.join(FIXTURES, name)));
  assert.ok(m.type === 'request');
  return m;
};

describe('SIP helpers', () => {
  it('createResponse copies Via (all, in order), From, To, Call-ID, CSeq and adds the To tag', () => {
    const req = request('valid-folded-whitespace.sip');
    const res = createResponse(req, 180, { toTag: 'as5f' });
    assert.equal(res.reason, 'Ringing');
    assert.deepEqual(
      vias(res).map((v) => v.branch),
      ['z9hG4bKfold1', 'z9hG4bKp2', 'z9hG4bKp1'],
    );
    assert.equal(toOf(res).params.get('tag'), 'as5f');
    assert.equal(toOf(res).displayName, 'Carol, "the" one');
    assert.equal(res.headers.get('Call-ID'), 'fold-ws-1@pc33.example.com');
    assert.equal(res.headers.get('CSeq'), req.headers.get('CSeq'));
    assert.equal(res.headers.get('From'), req.headers.get('From'));
    assert.equal(res.headers.has('Route'), false);
    const trying = createResponse(req, 100, { toTag: 'never' });
    assert.equal(toOf(trying).params.has('tag'), false, 'no tag on 100 Trying');
    const text = serializeMessage(createResponse(req, 603, { reason: 'Nope', headers: [['Retry-After', '30']], body: 'x' })).toString();
    assert.ok(text.startsWith('SIP/2.0 603 Nope\r\n'));
    assert.ok(text.endsWith('Retry-After: 30\r\nContent-Length: 1\r\n\r\nx'));
    // A To that already has a tag keeps it.
    const inDialog = request('valid-lf-leading-crlf.sip');
    assert.equal(toOf(createResponse(inDialog, 200, { toTag: 'other' })).params.get('tag'), 'lf2');
  });

  it('generated ids have the right shape and do not repeat', () => {
    const branches = new Set(Array.from({ length: 2000 }, generateBranch));
    assert.equal(branches.size, 2000);
    for (const b of [...branches].slice(0, 5)) assert.match(b, new RegExp(`^${MAGIC_COOKIE}[0-9a-f]{24}$`));
    assert.match(generateTag(), /^[0-9a-f]{16}$/);
    assert.match(generateCallId('192.0.2.1'), /^[0-9a-f]{32}@192\.0\.2\.1$/);
    assert.equal(reasonPhrase(487), 'Request Terminated');
    assert.equal(reasonPhrase(299), 'OK');
  });

  it('stampVia adds received and fills rport (RFC 3581) on the top Via only', () => {
    const req = request('valid-invite-sdp.sip');
    assert.equal(stampVia(req, { host: '203.0.113.9', port: 40123 }), true);
    const v = topVia(req);
    assert.equal(v.received, '203.0.113.9');
    assert.equal(v.rport, 40123);
    const again = createRequest('OPTIONS', 'sip:a@b', [
      ['Via', 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa, SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKb;rport'],
      ['CSeq', '1 OPTIONS'],
    ]);
    assert.equal(stampVia(again, { host: '192.0.2.1', port: 5060 }), false, 'same host, no rport asked: untouched');
    assert.equal(stampVia(again, { host: '2001:db8::1', port: 5060 }), true);
    assert.equal(again.headers.get('Via'), 'SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKa;received=[2001:db8::1], SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKb;rport');
  });
});
