import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse } from '../message/helpers.ts';
import { createRequest, cseq, routesOf, toOf, type SipRequest } from '../message/message.ts';
import { Dialog, DialogRegistry } from './dialog.ts';

function invite(extra: [string, string][] = []): SipRequest {
  return createRequest('INVITE', 'sip:bob@10.0.0.2', [
    ['Via', 'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1'],
    ['Max-Forwards', '70'],
    ['From', '"Alice" <sip:alice@10.0.0.1>;tag=atag'],
    ['To', '<sip:bob@10.0.0.2>'],
    ['Call-ID', 'call-1'],
    ['CSeq', '10 INVITE'],
    ['Contact', '<sip:alice@10.0.0.1:5060>'],
    ...extra,
  ]);
}

describe('Dialog', () => {
  it('UAS: ids, remote target, Record-Route kept in order, loose routing, CSeq order', () => {
    const req = invite([['Record-Route', '<sip:p1.example.com;lr>'], ['Record-Route', '<sip:p2.example.com;lr>']]);
    const d = Dialog.uas(req, 'btag', '<sip:bob@10.0.0.2:5060>');
    assert.equal(d.state, 'early');
    d.confirm();
    assert.equal(d.state, 'confirmed');
    assert.equal(d.remoteTag, 'atag');
    assert.equal(d.remoteTarget, 'sip:alice@10.0.0.1:5060');
    const { request: bye, nextHop } = d.createRequest('BYE');
    assert.equal(bye.uri, 'sip:alice@10.0.0.1:5060');
    assert.deepEqual(routesOf(bye, 'Route').map((r) => (r.uri as { host: string }).host), ['p1.example.com', 'p2.example.com']);
    assert.equal(nextHop, 'sip:p1.example.com;lr');
    assert.equal(toOf(bye).params.get('tag'), 'atag');
    assert.match(bye.headers.get('From') ?? '', /tag=btag/);
    assert.equal(cseq(bye).method, 'BYE');
    assert.equal(bye.headers.get('Contact'), undefined, 'BYE is not a target refresh');

    const reinvite = createRequest('INVITE', 'sip:bob@10.0.0.2', [...req.headers.list.filter((h) => h.key !== 'cseq' && h.key !== 'contact').map((h) => [h.name, h.value] as [string, string]), ['CSeq', '11 INVITE'], ['Contact', '<sip:alice@10.0.0.9:5070>']]);
    assert.equal(d.receiveRequest(reinvite), true);
    assert.equal(d.remoteTarget, 'sip:alice@10.0.0.9:5070', 'target refresh');
    assert.equal(d.receiveRequest(reinvite), false, 'same CSeq again is out of order');
  });

  it('UAC: route set reversed, strict routing puts the target last, ACK reuses the INVITE CSeq', () => {
    const req = invite();
    const ok = createResponse(req, 200, { toTag: 'btag', headers: [['Record-Route', '<sip:p2.example.com>, <sip:p1.example.com;lr>'], ['Contact', '<sip:bob@10.0.0.2:5080>']] });
    const d = Dialog.uac(req, ok);
    assert.equal(d.state, 'confirmed');
    assert.equal(d.localTag, 'atag');
    assert.equal(d.remoteTag, 'btag');
    assert.deepEqual(d.routeSet, ['<sip:p1.example.com;lr>', '<sip:p2.example.com>']);
    const ack = d.createAck(10).request;
    assert.equal(cseq(ack).seq, 10);
    assert.equal(cseq(ack).method, 'ACK');
    assert.equal(ack.uri, 'sip:bob@10.0.0.2:5080', 'first hop is a loose router');
    // Strict first hop: a route set whose first entry lacks ;lr.
    const strict = Dialog.uac(req, createResponse(req, 200, { toTag: 'x', headers: [['Record-Route', '<sip:p1.example.com>'], ['Contact', '<sip:bob@10.0.0.2:5080>']] }));
    const bye = strict.createRequest('BYE');
    assert.equal(bye.request.uri, 'sip:p1.example.com');
    assert.deepEqual(bye.request.headers.values('Route'), ['<sip:bob@10.0.0.2:5080>']);
    assert.equal(cseq(bye.request).seq, 11);
    const update = d.createRequest('UPDATE', { body: 'v=0\r\n' });
    assert.equal(update.request.headers.get('Contact'), '<sip:alice@10.0.0.1:5060>');
    assert.equal(update.request.headers.get('Content-Type'), 'application/sdp');
  });

  it('early dialog from a 1xx with To tag; the registry matches requests and responses', () => {
    const req = invite();
    const ringing = createResponse(req, 180, { toTag: 'btag', headers: [['Contact', '<sip:bob@10.0.0.2>']] });
    const d = Dialog.uac(req, ringing);
    assert.equal(d.state, 'early');
    const reg = new DialogRegistry();
    reg.add(d);
    assert.equal(reg.matchResponse(ringing), d);
    const info = createRequest('INFO', 'sip:alice@10.0.0.1', [
      ['Via', 'SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK9'], ['From', '<sip:bob@10.0.0.2>;tag=btag'], ['To', '<sip:alice@10.0.0.1>;tag=atag'], ['Call-ID', 'call-1'], ['CSeq', '1 INFO'],
    ]);
    assert.equal(reg.matchRequest(info), d);
    assert.equal(reg.matchRequest(invite()), undefined, 'no To tag: not in a dialog');
    reg.remove(d);
    assert.equal(reg.size, 0);
  });
});
