import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse, generateBranch } from '../message/helpers.ts';
import { createRequest, cseq, serializeMessage, tagOf, topVia, type SipMessage, type SipRequest, type SipResponse } from '../message/message.ts';
import { parseMessage } from '../message/parser.ts';
import { buildCancel } from './client.ts';
import { responseDestination, TransactionLayer, type TransactionLayerOptions } from './layer.ts';
import type { ServerTransaction } from './server.ts';
import { ManualTimers } from './timers.ts';
import type { SipAddress } from './transaction.ts';

const PEER: SipAddress = { transport: 'UDP', host: '192.0.2.50', port: 5062 };
const PEER_TCP: SipAddress = { transport: 'TCP', host: '192.0.2.50', port: 40000, connection: 'c1' };

interface Sent {
  at: number;
  msg: SipMessage;
  dest: SipAddress;
}

/** A layer on a manual clock whose `send` records what it was given (and round-trips it through bytes). */
function harness(overrides: Partial<TransactionLayerOptions> = {}) {
  const clock = new ManualTimers();
  const sent: Sent[] = [];
  const requests: Array<[SipRequest, ServerTransaction]> = [];
  const acks: SipRequest[] = [];
  const strays: SipResponse[] = [];
  const layer = new TransactionLayer({
    timers: clock,
    send: (msg, dest) => {
      sent.push({ at: clock.now, msg: parseMessage(serializeMessage(msg)), dest });
    },
    onRequest: (req, tx) => requests.push([req, tx]),
    onAck: (ack) => acks.push(ack),
    onStrayResponse: (res) => strays.push(res),
    ...overrides,
  });
  return { clock, sent, requests, acks, strays, layer };
}

function request(method: string, opts: { branch?: string; transport?: string; seq?: number; toTag?: string; via?: string } = {}): SipRequest {
  const via = opts.via ?? `SIP/2.0/${opts.transport ?? 'UDP'} 192.0.2.50:5062;branch=${opts.branch ?? generateBranch()};rport`;
  return createRequest(method, 'sip:1000@192.0.2.10', [
    ['Via', via],
    ['Max-Forwards', '70'],
    ['From', '<sip:alice@192.0.2.50>;tag=from1'],
    ['To', `<sip:1000@192.0.2.10>${opts.toTag !== undefined ? `;tag=${opts.toTag}` : ''}`],
    ['Call-ID', 'call-1@192.0.2.50'],
    ['CSeq', `${opts.seq ?? 1} ${method}`],
  ]);
}

const methodsAt = (sent: Sent[]): Array<[number, string]> => sent.map((s) => [s.at, s.msg.type === 'request' ? s.msg.method : String(s.msg.status)]);

describe('client transactions', () => {
  it('non-INVITE over UDP retransmits at 500/1000/2000/4000/4000 ms and times out with a 408 at 64*T1', () => {
    const { clock, sent, layer } = harness();
    const got: Array<[number, boolean]> = [];
    const ends: string[] = [];
    const tx = layer.sendRequest(request('OPTIONS'), PEER, { onResponse: (r, local) => got.push([r.status, local]), onTerminated: (e) => ends.push(e) });
    assert.equal(tx.state, 'trying');
    clock.advance(31999);
    const times = sent.map((s) => s.at);
    assert.deepEqual(times, [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    assert.deepEqual(times.slice(1).map((t, i) => t - (times[i] as number)).slice(0, 6), [500, 1000, 2000, 4000, 4000, 4000]);
    assert.deepEqual(got, []);
    clock.advance(1);
    assert.deepEqual(got, [[408, true]]);
    assert.deepEqual(ends, ['timeout']);
    assert.equal(tx.state, 'terminated');
    assert.equal(layer.clientCount, 0);
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  it('non-INVITE: a provisional response caps retransmissions at T2; the final one stops them; Timer K absorbs repeats', () => {
    const { clock, sent, layer } = harness();
    const got: number[] = [];
    const req = request('REGISTER');
    const tx = layer.sendRequest(req, PEER, { onResponse: (r) => got.push(r.status) });
    clock.advance(600); // one retransmission at 500
    layer.receive(createResponse(req, 100), PEER);
    assert.equal(tx.state, 'proceeding');
    clock.advance(10000);
    assert.deepEqual(sent.map((s) => s.at), [0, 500, 1500, 5500, 9500], 'T2 intervals once proceeding');
    const ok = createResponse(req, 200, { toTag: 'srv' });
    layer.receive(ok, PEER);
    layer.receive(ok, PEER);
    assert.deepEqual(got, [100, 200], 'the retransmitted 200 is absorbed');
    assert.equal(tx.state, 'completed');
    clock.advance(4999);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.equal(tx.state, 'terminated', 'Timer K = T4');
    assert.equal(sent.length, 5);
  });

  it('non-INVITE over TCP: no retransmissions, Timer F still applies, a final response ends it at once', () => {
    const { clock, sent, layer } = harness();
    const got: number[] = [];
    const req = request('OPTIONS', { transport: 'TCP' });
    const tx = layer.sendRequest(req, PEER_TCP, { onResponse: (r) => got.push(r.status) });
    clock.advance(31999);
    assert.equal(sent.length, 1);
    layer.receive(createResponse(req, 200), PEER_TCP);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(got, [200]);
    const other = layer.sendRequest(request('OPTIONS', { transport: 'TCP' }), PEER_TCP, { onResponse: (r) => got.push(r.status) });
    clock.advance(32000);
    assert.equal(other.state, 'terminated');
    assert.deepEqual(got, [200, 408]);
  });

  it('INVITE over UDP: Timer A doubles without a cap and Timer B gives the TU a 408', () => {
    const { clock, sent, layer } = harness();
    const got: number[] = [];
    const tx = layer.sendRequest(request('INVITE'), PEER, { onResponse: (r) => got.push(r.status) });
    assert.equal(tx.state, 'calling');
    clock.advance(40000);
    assert.deepEqual(sent.map((s) => s.at), [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert.deepEqual(got, [408]);
    assert.equal(tx.state, 'terminated');
  });

  it('INVITE: 1xx stops Timer A; a 486 is ACKed by the transaction (with the response To tag), again on each repeat', () => {
    const { clock, sent, layer } = harness();
    const got: number[] = [];
    const req = request('INVITE');
    const tx = layer.sendRequest(req, PEER, { onResponse: (r) => got.push(r.status) });
    layer.receive(createResponse(req, 180, { toTag: 'callee' }), PEER);
    assert.equal(tx.state, 'proceeding');
    clock.advance(60000);
    assert.equal(sent.length, 1, 'no retransmission and no Timer B once proceeding');
    const busy = createResponse(req, 486, { toTag: 'callee' });
    layer.receive(busy, PEER);
    assert.equal(tx.state, 'completed');
    const ack = sent[1]?.msg;
    assert.ok(ack?.type === 'request' && ack.method === 'ACK');
    assert.equal(ack.uri, req.uri);
    assert.equal(topVia(ack).branch, topVia(req).branch, 'same branch as the INVITE');
    assert.deepEqual(cseq(ack), { seq: 1, method: 'ACK' });
    assert.equal(tagOf(ack, 'To'), 'callee');
    assert.equal(ack.headers.values('Via').length, 1);
    layer.receive(busy, PEER);
    assert.deepEqual(methodsAt(sent).map(([, m]) => m), ['INVITE', 'ACK', 'ACK']);
    assert.deepEqual(got, [180, 486]);
    clock.advance(32000);
    assert.equal(tx.state, 'terminated', 'Timer D');
  });

  it('INVITE: 2xx moves to Accepted (RFC 6026); each 2xx goes to the TU, which ACKs; Timer M ends it', () => {
    const { clock, sent, layer, strays } = harness();
    const got: number[] = [];
    const req = request('INVITE');
    const tx = layer.sendRequest(req, PEER, { onResponse: (r) => got.push(r.status) });
    const ok = createResponse(req, 200, { toTag: 'callee' });
    layer.receive(ok, PEER);
    assert.equal(tx.state, 'accepted');
    layer.receive(ok, PEER);
    assert.deepEqual(got, [200, 200]);
    assert.equal(sent.length, 1, 'the transaction does not ACK a 2xx');
    clock.advance(32000);
    assert.equal(tx.state, 'terminated');
    layer.receive(ok, PEER);
    assert.equal(strays.length, 1, 'after Timer M a 2xx is stray (the dialog layer handles it)');
  });

  it('CANCEL shares the INVITE branch; responses reach the right transaction by CSeq method', () => {
    const { layer, sent } = harness();
    const invite = request('INVITE');
    const got: string[] = [];
    const inv = layer.sendRequest(invite, PEER, { onResponse: (r) => got.push(`invite:${r.status}`) });
    layer.receive(createResponse(invite, 180, { toTag: 't' }), PEER);
    const cancel = buildCancel(invite);
    assert.equal(topVia(cancel).branch, topVia(invite).branch);
    assert.deepEqual(cseq(cancel), { seq: 1, method: 'CANCEL' });
    assert.equal(cancel.headers.get('To'), invite.headers.get('To'));
    const can = layer.sendRequest(cancel, PEER, { onResponse: (r) => got.push(`cancel:${r.status}`) });
    layer.receive(createResponse(cancel, 200, { toTag: 't' }), PEER);
    layer.receive(createResponse(invite, 487, { toTag: 't' }), PEER);
    assert.deepEqual(got, ['invite:180', 'cancel:200', 'invite:487']);
    assert.equal(can.state, 'completed');
    assert.equal(inv.state, 'completed');
    assert.deepEqual(sent.map((s) => (s.msg.type === 'request' ? s.msg.method : '')), ['INVITE', 'CANCEL', 'ACK']);
    assert.throws(() => layer.sendRequest(cancel, PEER, { onResponse: () => {} }), TypeError, 'duplicate branch+method');
    assert.throws(() => layer.sendRequest(request('ACK'), PEER, { onResponse: () => {} }), TypeError);
    assert.throws(() => layer.sendRequest(request('OPTIONS', { branch: 'old-style' }), PEER, { onResponse: () => {} }), TypeError);
  });

  it('transport errors: a throwing send or a rejected promise ends the transaction with a local 503', async () => {
    const { layer } = harness({
      send: () => {
        throw new Error('EHOSTUNREACH');
      },
    });
    const got: Array<[number, boolean]> = [];
    const ends: string[] = [];
    const tx = layer.sendRequest(request('OPTIONS'), PEER, { onResponse: (r, l) => got.push([r.status, l]), onTerminated: (e) => ends.push(e) });
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(got, [[503, true]]);
    assert.deepEqual(ends, ['transport-error']);
    assert.equal(layer.clientCount, 0);

    const clock = new ManualTimers();
    const async = new TransactionLayer({ timers: clock, send: () => Promise.reject(new Error('ECONNRESET')), onRequest: () => {} });
    const got2: number[] = [];
    const tx2 = async.sendRequest(request('INVITE', { transport: 'TCP' }), PEER_TCP, { onResponse: (r) => got2.push(r.status) });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got2, [503]);
    assert.equal(tx2.state, 'terminated');
    assert.equal(clock.pending, 0);
  });

  it('a throwing TU callback is reported and does not break the state machine', () => {
    const errors: unknown[] = [];
    const { layer, clock } = harness({ onTuError: (e) => errors.push(e) });
    const req = request('OPTIONS');
    const tx = layer.sendRequest(req, PEER, {
      onResponse: () => {
        throw new Error('tu bug');
      },
    });
    layer.receive(createResponse(req, 200), PEER);
    assert.equal(errors.length, 1);
    assert.equal(tx.state, 'completed');
    clock.advance(5000);
    assert.equal(tx.state, 'terminated');
  });
});

describe('server transactions', () => {
  it('INVITE over UDP: automatic 100 after 200 ms, retransmitted INVITEs get the last provisional', () => {
    const { clock, sent, requests, layer } = harness();
    const inv = request('INVITE');
    assert.equal(layer.receive(inv, PEER), 'new');
    const [, tx] = requests[0]!;
    assert.equal(tx.state, 'proceeding');
    clock.advance(199);
    assert.equal(sent.length, 0);
    clock.advance(1);
    assert.deepEqual(methodsAt(sent), [[200, '100']]);
    assert.equal(layer.receive(request('INVITE', { via: inv.headers.get('Via')! }), PEER), 'matched');
    assert.deepEqual(methodsAt(sent), [
      [200, '100'],
      [200, '100'],
    ]);
    tx.respond(createResponse(inv, 180, { toTag: 'uas' }));
    layer.receive(request('INVITE', { via: inv.headers.get('Via')! }), PEER);
    assert.deepEqual(methodsAt(sent).slice(2), [
      [200, '180'],
      [200, '180'],
    ]);
    assert.equal(requests.length, 1, 'the TU saw the INVITE once');
  });

  it('INVITE final non-2xx over UDP: Timer G retransmits (500, 1000, 2000, 4000, 4000) until the ACK; Timer I then ends it', () => {
    const { clock, sent, requests, layer } = harness({ trying100Ms: false });
    const inv = request('INVITE');
    layer.receive(inv, PEER);
    const [, tx] = requests[0]!;
    const ends: string[] = [];
    tx.setHandlers({ onTerminated: (e) => ends.push(e) });
    clock.advance(1000);
    tx.respond(createResponse(inv, 486, { toTag: 'uas' }));
    assert.equal(tx.state, 'completed');
    clock.advance(11499);
    assert.deepEqual(sent.map((s) => s.at - 1000), [0, 500, 1500, 3500, 7500]);
    // A retransmitted INVITE in Completed gets the final response again.
    layer.receive(request('INVITE', { via: inv.headers.get('Via')! }), PEER);
    assert.equal(sent.length, 6);
    const ack = request('ACK', { via: inv.headers.get('Via')!, toTag: 'uas' });
    assert.equal(layer.receive(ack, PEER), 'matched');
    assert.equal(tx.state, 'confirmed');
    clock.advance(20000 - 11499);
    assert.equal(sent.length, 6, 'no retransmission after the ACK');
    assert.equal(tx.state, 'terminated', 'Timer I = T4');
    assert.deepEqual(ends, ['completed']);
    assert.equal(layer.serverCount, 0);
  });

  it('INVITE final non-2xx without an ACK: Timer H tells the TU at 64*T1', () => {
    const { clock, requests, layer, sent } = harness({ trying100Ms: false });
    const inv = request('INVITE');
    layer.receive(inv, PEER);
    const [, tx] = requests[0]!;
    let timedOut = 0;
    tx.setHandlers({ onTimeout: () => timedOut++ });
    tx.respond(createResponse(inv, 603, { toTag: 'uas' }));
    clock.advance(31999);
    assert.equal(timedOut, 0);
    clock.advance(1);
    assert.equal(timedOut, 1);
    assert.equal(tx.state, 'terminated');
    assert.deepEqual(sent.map((s) => s.at), [0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
  });

  it('INVITE over TCP: no response retransmissions, ACK ends the transaction at once', () => {
    const { clock, requests, layer, sent } = harness({ trying100Ms: false });
    const inv = request('INVITE', { transport: 'TCP' });
    layer.receive(inv, PEER_TCP);
    const [, tx] = requests[0]!;
    assert.equal(tx.responseDestination, PEER_TCP, 'responses go back over the connection');
    tx.respond(createResponse(inv, 404, { toTag: 'uas' }));
    clock.advance(10000);
    assert.equal(sent.length, 1);
    layer.receive(request('ACK', { via: inv.headers.get('Via')!, toTag: 'uas' }), PEER_TCP);
    assert.equal(tx.state, 'terminated');
  });

  it('INVITE 2xx: Accepted absorbs INVITE retransmissions, lets the TU resend the 2xx, passes a matching ACK up; Timer L ends it', () => {
    const { clock, requests, layer, sent, acks } = harness({ trying100Ms: false });
    const inv = request('INVITE');
    layer.receive(inv, PEER);
    const [, tx] = requests[0]!;
    const txAcks: SipRequest[] = [];
    tx.setHandlers({ onAck: (a) => txAcks.push(a) });
    const ok = createResponse(inv, 200, { toTag: 'uas' });
    assert.equal(tx.respond(ok), true);
    assert.equal(tx.state, 'accepted');
    layer.receive(request('INVITE', { via: inv.headers.get('Via')! }), PEER);
    assert.equal(sent.length, 1, 'retransmitted INVITE absorbed');
    assert.equal(tx.respond(ok), true, 'the TU retransmits its 2xx through the transaction');
    assert.equal(tx.respond(createResponse(inv, 500)), false, 'no other final response after a 2xx');
    assert.equal(sent.length, 2);
    // The ACK for a 2xx normally has its own branch: it goes to the layer's onAck (the dialog).
    assert.equal(layer.receive(request('ACK', { toTag: 'uas' }), PEER), 'ack');
    assert.equal(acks.length, 1);
    // One that reuses the INVITE branch matches the transaction and is passed to its TU.
    layer.receive(request('ACK', { via: inv.headers.get('Via')!, toTag: 'uas' }), PEER);
    assert.equal(txAcks.length, 1);
    clock.advance(32000);
    assert.equal(tx.state, 'terminated');
  });

  it('non-INVITE: Trying absorbs retransmissions, Completed answers them with the final response, Timer J ends it', () => {
    const { clock, requests, layer, sent } = harness();
    const opt = request('OPTIONS');
    layer.receive(opt, PEER);
    const [, tx] = requests[0]!;
    assert.equal(tx.state, 'trying');
    layer.receive(request('OPTIONS', { via: opt.headers.get('Via')! }), PEER);
    assert.equal(sent.length, 0);
    assert.equal(tx.respond(createResponse(opt, 200)), true);
    assert.equal(tx.state, 'completed');
    layer.receive(request('OPTIONS', { via: opt.headers.get('Via')! }), PEER);
    assert.deepEqual(methodsAt(sent), [
      [0, '200'],
      [0, '200'],
    ]);
    assert.equal(tx.respond(createResponse(opt, 500)), false);
    clock.advance(31999);
    assert.equal(tx.state, 'completed');
    clock.advance(1);
    assert.equal(tx.state, 'terminated');
    assert.equal(layer.receive(request('OPTIONS', { via: opt.headers.get('Via')! }), PEER), 'new', 'after J a repeat is a new request');
  });

  it('CANCEL gets its own transaction and finds the INVITE it cancels', () => {
    const { requests, layer, sent } = harness({ trying100Ms: false });
    const inv = request('INVITE');
    layer.receive(inv, PEER);
    const cancel = buildCancel(inv);
    assert.equal(layer.receive(cancel, PEER), 'new');
    const [canReq, canTx] = requests[1]!;
    assert.equal(canReq.method, 'CANCEL');
    const invTx = layer.findInviteServer(canReq);
    assert.equal(invTx, requests[0]![1]);
    canTx.respond(createResponse(canReq, 200, { toTag: 'uas' }));
    invTx?.respond(createResponse(inv, 487, { toTag: 'uas' }));
    assert.deepEqual(sent.map((s) => (s.msg.type === 'response' ? `${s.msg.status} ${cseq(s.msg).method}` : '')), ['200 CANCEL', '487 INVITE']);
    const stray = buildCancel(request('INVITE'));
    assert.equal(layer.findInviteServer(stray), undefined);
  });

  it('a transport error while responding ends the server transaction and tells the TU', () => {
    let fail = false;
    const { requests, layer } = harness({
      trying100Ms: false,
      send: () => {
        if (fail) throw new Error('EPIPE');
      },
    });
    const inv = request('INVITE');
    layer.receive(inv, PEER);
    const [, tx] = requests[0]!;
    const errors: unknown[] = [];
    const ends: string[] = [];
    tx.setHandlers({ onTransportError: (e) => errors.push(e), onTerminated: (e) => ends.push(e) });
    fail = true;
    tx.respond(createResponse(inv, 486, { toTag: 'x' }));
    assert.equal(errors.length, 1);
    assert.deepEqual(ends, ['transport-error']);
    assert.equal(layer.serverCount, 0);
  });

  it('RFC 2543 requests (no magic cookie) match on their identity; their ACK finds the INVITE', () => {
    const { requests, layer } = harness({ trying100Ms: false });
    const via = 'SIP/2.0/UDP 192.0.2.50:5062;branch=1234';
    const inv = request('INVITE', { via });
    layer.receive(inv, PEER);
    assert.equal(layer.receive(request('INVITE', { via }), PEER), 'matched');
    const [, tx] = requests[0]!;
    tx.respond(createResponse(inv, 480, { toTag: 'uas' }));
    assert.equal(layer.receive(request('ACK', { via, toTag: 'uas' }), PEER), 'matched');
    assert.equal(tx.state, 'confirmed');
    assert.equal(layer.receive(request('INVITE', { via, seq: 2 }), PEER), 'new', 'another CSeq is another transaction');
  });

  it('stamps received/rport and answers where RFC 3261 §18.2.2 and RFC 3581 say', () => {
    const { requests, layer, sent } = harness({ trying100Ms: false });
    const inv = request('OPTIONS');
    layer.receive(inv, { transport: 'UDP', host: '203.0.113.7', port: 33333 });
    const [req, tx] = requests[0]!;
    assert.equal(topVia(req).received, '203.0.113.7');
    assert.equal(topVia(req).rport, 33333);
    tx.respond(createResponse(req, 200));
    assert.deepEqual(sent[0]?.dest, { transport: 'UDP', host: '203.0.113.7', port: 33333 });
    assert.equal(topVia(sent[0]!.msg).rport, 33333, 'the response carries the stamped Via');

    const src = { transport: 'UDP', host: '203.0.113.7', port: 40000 };
    const dest = (via: string): SipAddress => {
      const r = request('OPTIONS', { via });
      return responseDestination(r, src);
    };
    assert.deepEqual(dest('SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bKa'), { transport: 'UDP', host: '192.0.2.1', port: 5070 });
    assert.deepEqual(dest('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;received=203.0.113.7'), { transport: 'UDP', host: '203.0.113.7', port: 5060 });
    assert.deepEqual(dest('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;rport'), { transport: 'UDP', host: '203.0.113.7', port: 40000 });
    assert.deepEqual(dest('SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKa;maddr=239.1.1.1'), { transport: 'UDP', host: '239.1.1.1', port: 5060 });
  });

  it('bad messages are reported invalid, not thrown; close() aborts everything', () => {
    const { layer, clock } = harness();
    const noVia = createRequest('OPTIONS', 'sip:a@b', [['CSeq', '1 OPTIONS']]);
    assert.equal(layer.receive(noVia, PEER), 'invalid');
    const badRes: SipResponse = { ...createResponse(request('OPTIONS'), 200) };
    badRes.headers.set('CSeq', 'garbage');
    assert.equal(layer.receive(badRes, PEER), 'invalid');
    const ends: string[] = [];
    layer.sendRequest(request('INVITE'), PEER, { onResponse: () => {}, onTerminated: (e) => ends.push(e) });
    layer.receive(request('INVITE'), PEER);
    layer.close();
    assert.deepEqual(ends, ['aborted']);
    assert.equal(layer.clientCount + layer.serverCount, 0);
    assert.equal(clock.pending, 0);
  });
});
