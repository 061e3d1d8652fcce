import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse } from '../message/helpers.ts';
import { createRequest, type SipRequest, type SipResponse } from '../message/message.ts';
import { ManualTimers } from '../transaction/timers.ts';
import { check100rel, prackFor, ReliableProvisionals } from './reliable.ts';

function invite(extra: [string, string][] = []): SipRequest {
  return createRequest('INVITE', 'sip:1000@x', [['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['From', '<sip:a@x>;tag=1'], ['To', '<sip:b@x>'], ['Call-ID', 'c'], ['CSeq', '7 INVITE'], ...extra]);
}

function prack(rack: string): SipRequest {
  return createRequest('PRACK', 'sip:a@x', [['Via', 'SIP/2.0/UDP h;branch=z9hG4bK2'], ['From', '<sip:a@x>;tag=1'], ['To', '<sip:b@x>;tag=2'], ['Call-ID', 'c'], ['CSeq', '8 PRACK'], ['RAck', rack]]);
}

describe('check100rel', () => {
  const supported = invite([['Supported', 'timer, 100rel']]);
  const required = invite([['Require', '100rel']]);
  const none = invite();
  it('follows the endpoint option', () => {
    assert.deepEqual(check100rel(required, 'no'), { ok: false, status: 420, headers: [['Unsupported', '100rel']] });
    assert.deepEqual(check100rel(supported, 'no'), { ok: true, reliable: false });
    assert.deepEqual(check100rel(supported, 'yes'), { ok: true, reliable: false });
    assert.deepEqual(check100rel(required, 'yes'), { ok: true, reliable: true });
    assert.deepEqual(check100rel(supported, 'peer_supported'), { ok: true, reliable: true });
    assert.deepEqual(check100rel(none, 'peer_supported'), { ok: true, reliable: false });
    assert.deepEqual(check100rel(supported, 'required'), { ok: true, reliable: true });
    assert.deepEqual(check100rel(none, 'required'), { ok: false, status: 421, headers: [['Require', '100rel']] });
  });
});

describe('ReliableProvisionals', () => {
  function setup() {
    const clock = new ManualTimers();
    const sent: Array<{ at: number; res: SipResponse }> = [];
    let gaveUp = 0;
    const rel = new ReliableProvisionals({ send: (res) => sent.push({ at: clock.now, res }), timers: clock, t1: 500, firstRseq: 41, onGiveUp: () => gaveUp++ });
    return { clock, sent, rel, gaveUp: () => gaveUp };
  }
  const req = invite([['Require', '100rel']]);

  it('adds Require and RSeq, retransmits T1 doubling until the PRACK, then sends the next one', () => {
    const { clock, sent, rel } = setup();
    rel.send(createResponse(req, 180, { toTag: '2' }));
    rel.send(createResponse(req, 183, { toTag: '2' })); // waits for the first PRACK
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.res.headers.get('Require'), '100rel');
    assert.equal(sent[0]?.res.headers.get('RSeq'), '41');
    clock.advance(3600);
    assert.deepEqual(sent.map((s) => s.at), [0, 500, 1500, 3500]);
    assert.equal(rel.prack(prack('40 7 INVITE'), req).status, 481, 'wrong RSeq');
    assert.equal(rel.prack(prack('41 6 INVITE'), req).status, 481, 'wrong CSeq');
    assert.equal(rel.prack(prack('41 7 INVITE'), req).status, 200);
    assert.equal(sent.length, 5);
    assert.equal(sent[4]?.res.status, 183);
    assert.equal(sent[4]?.res.headers.get('RSeq'), '42');
    assert.equal(rel.prack(prack('42 7 INVITE'), req).status, 200);
    assert.equal(rel.prack(prack('42 7 INVITE'), req).status, 481, 'already acknowledged');
    clock.advance(60_000);
    assert.equal(sent.length, 5);
    assert.equal(clock.pending, 0);
  });

  it('gives up after 64·T1 without PRACK; stop() ends retransmissions', () => {
    const a = setup();
    a.rel.send(createResponse(req, 180, { toTag: '2' }));
    a.clock.advance(31_999);
    assert.equal(a.gaveUp(), 0);
    a.clock.advance(1);
    assert.equal(a.gaveUp(), 1);
    assert.equal(a.sent.length, 7); // 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s
    const b = setup();
    b.rel.send(createResponse(req, 180, { toTag: '2' }));
    b.rel.stop();
    b.clock.advance(60_000);
    assert.equal(b.sent.length, 1);
    assert.equal(b.gaveUp(), 0);
  });
});

describe('prackFor', () => {
  const ours = createRequest('INVITE', 'sip:bob@x', [['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['From', '<sip:a@x>;tag=1'], ['To', '<sip:bob@x>'], ['Call-ID', 'c'], ['CSeq', '7 INVITE'], ['Contact', '<sip:a@h>']]);
  const ringing = (rseq: string, extra: [string, string][] = [['Require', '100rel']]) => {
    const r = createResponse(ours, 180, { toTag: 'b', headers: [['Contact', '<sip:bob@10.0.0.9:5062>'], ['Record-Route', '<sip:proxy.example;lr>'], ['RSeq', rseq], ...extra] });
    return r;
  };
  it('PRACKs a reliable 1xx in its early dialog, once per RSeq, above the INVITE CSeq', () => {
    const p = prackFor(ours, ringing('5'), undefined, undefined);
    assert.ok(p !== undefined && p !== 'repeat');
    assert.equal(p.request.method, 'PRACK');
    assert.equal(p.request.uri, 'sip:bob@10.0.0.9:5062');
    assert.equal(p.request.headers.get('Route'), '<sip:proxy.example;lr>');
    assert.equal(p.request.headers.get('RAck'), '5 7 INVITE');
    assert.equal(p.request.headers.get('CSeq'), '8 PRACK');
    assert.match(p.request.headers.get('To') ?? '', /tag=b/);
    assert.equal(p.rseq, 5);
    assert.equal(p.seq, 8);
    assert.equal(prackFor(ours, ringing('5'), 5, 8), 'repeat');
    const next = prackFor(ours, ringing('6'), 5, 8);
    assert.ok(next !== undefined && next !== 'repeat');
    assert.equal(next.request.headers.get('CSeq'), '9 PRACK');
  });
  it('leaves unreliable provisionals alone', () => {
    assert.equal(prackFor(ours, ringing('5', []), undefined, undefined), undefined);
    assert.equal(prackFor(ours, ringing('x'), undefined, undefined), undefined);
  });
});
