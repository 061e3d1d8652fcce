/**
 * SIP MESSAGE in and out and out-of-dialog REFER over ARI, with a UDP socket playing the SIP peer:
 *
 * - MESSAGE from the trunk (identified by 127.0.0.1): 404 while no application is subscribed to its endpoint;
 *   once subscribed to `endpoint:PJSIP/trunk`, 202 and TextMessageReceived with Asterisk's `from`, `to`
 *   (`pjsip:` URI), body, the request's headers and PJSIP_* as variables, and the Endpoint; a body that is not
 *   text/plain is 415; a sender no endpoint matches is challenged (401);
 * - `PUT /endpoints/sendMessage?to=pjsip:phone` and `PUT /endpoints/PJSIP/phone/sendMessage` reach the phone's
 *   contact as MESSAGE (text/plain body, the ARI variables as headers, the From asked for, no Contact);
 *   `pjsip:phone/sip:...` goes to that URI, `pjsip:user@phone` to the contact with that user; unknown endpoints, another technology and a bad `to` are 404;
 * - `POST /endpoints/refer` and `/endpoints/PJSIP/phone/refer` send REFER with the Refer-To asked for (with a
 *   display name, or pointing back at us with `to_self`); the peer's 202 and its NOTIFY in the new dialog are
 *   answered.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { MediaApp, type Json } from '../helpers/media-app.ts';
import { freePort } from '../helpers/sipp.ts';
import { trunkAndPhoneConf } from '../helpers/pjsip-calls.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';
import type { SipRequest, SipResponse } from '../../src/sip/message/message.ts';

const APP = 'msg-app';

const pjsipConf = (port: number, phonePort: number) => trunkAndPhoneConf(port, phonePort, 'callerid = Trunk Line <100>\n');

let fx: MediaApp;
let sipPort: number;
let peer: Peer;

/** A UDP SIP peer on 127.0.0.1: collects requests (answering them through `answer`) and responses. */
interface Peer {
  readonly port: number;
  request(method: string, ms?: number): Promise<SipRequest>;
  send(text: string): void;
  response(ms?: number): Promise<SipResponse>;
  close(): void;
}

async function startPeer(port: number, answer: (req: SipRequest) => string | undefined): Promise<Peer> {
  const socket = dgram.createSocket('udp4');
  const requests: SipRequest[] = [];
  const responses: SipResponse[] = [];
  socket.on('message', (buf) => {
    const msg = parseMessage(buf);
    if (msg.type === 'request') {
      requests.push(msg);
      const reply = answer(msg);
      if (reply !== undefined) socket.send(reply, sipPort, '127.0.0.1');
    } else if (msg.status >= 200) {
      responses.push(msg);
    }
  });
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', resolve));
  const take = async <T>(list: T[], match: (x: T) => boolean, ms: number, what: string): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const i = list.findIndex(match);
      if (i >= 0) return list.splice(i, 1)[0] as T;
      assert.ok(Date.now() < end, `no ${what} arrived`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    port,
    request: (method, ms = 3000) => take(requests, (r) => r.method === method, ms, method),
    response: (ms = 3000) => take(responses, () => true, ms, 'response'),
    send: (text) => socket.send(text, sipPort, '127.0.0.1'),
    close: () => socket.close(),
  };
}

/** A response to `req` as a peer writes it. */
function reply(req: SipRequest, status: number, reason: string, toTag = 'peer-tag'): string {
  const h = (name: string) => req.headers.get(name) ?? '';
  const to = /;\s*tag=/.test(h('To')) ? h('To') : `${h('To')};tag=${toTag}`;
  return [`SIP/2.0 ${status} ${reason}`, ...req.headers.values('Via').map((v) => `Via: ${v}`), `From: ${h('From')}`, `To: ${to}`, `Call-ID: ${h('Call-ID')}`, `CSeq: ${h('CSeq')}`, 'Content-Length: 0', '', ''].join('\r\n');
}

let seq = 0;
function message(from: string, body: string, type = 'text/plain'): string {
  const n = ++seq;
  return [
    `MESSAGE sip:ariadne@127.0.0.1:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-msg-${n};rport`,
    `From: "Bob Sender" <sip:${from}@127.0.0.1:${peer.port}>;tag=msg-${n}`,
    `To: <sip:ariadne@127.0.0.1:${sipPort}>`,
    `Call-ID: msg-${n}@test`,
    `CSeq: ${n} MESSAGE`,
    'Max-Forwards: 70',
    'X-Note: from the test',
    `Content-Type: ${type}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

before(async () => {
  sipPort = await freePort('udp');
  const phonePort = await freePort('udp');
  fx = await MediaApp.start(APP, { extensions: '[from-trunk]\nexten => 1000,1,Hangup()\n', sounds: false, files: { 'pjsip.conf': pjsipConf(sipPort, phonePort) } });
  peer = await startPeer(phonePort, (req) => {
    if (req.method === 'MESSAGE') return reply(req, 200, 'OK');
    if (req.method === 'REFER') return reply(req, 202, 'Accepted');
    return undefined;
  });
});

after(async () => {
  peer?.close();
  await fx?.stop();
});

describe('SIP MESSAGE and out-of-dialog REFER', { timeout: 30_000 }, () => {
  it('a MESSAGE nobody subscribed to is 404; once subscribed it is 202 and TextMessageReceived', async () => {
    peer.send(message('bob', 'nobody listens'));
    assert.equal((await peer.response()).status, 404);

    const sub = await fx.call('POST', `/applications/${APP}/subscription?eventSource=endpoint:PJSIP/trunk`);
    assert.equal(sub.status, 200);
    peer.send(message('bob', 'hello Ariadne'));
    assert.equal((await peer.response()).status, 202);
    const ev = await fx.ev.next((m) => m.type === 'TextMessageReceived');
    const msg = ev.message as Json;
    assert.equal(msg.from, '"Bob Sender" <sip:bob@127.0.0.1>');
    assert.equal(msg.to, `pjsip:ariadne@127.0.0.1:${sipPort}`);
    assert.equal(msg.body, 'hello Ariadne');
    const vars = msg.variables as Record<string, string>;
    assert.equal(vars['X-Note'], 'from the test');
    assert.equal(vars['Content-Type'], 'text/plain');
    assert.equal(vars.PJSIP_RECVADDR, `127.0.0.1:${peer.port}`);
    assert.equal(vars.PJSIP_TRANSPORT, 'udp');
    assert.equal(vars.PJSIP_ENDPOINT, 'Trunk Line');
    assert.deepEqual(ev.endpoint, (await fx.call('GET', '/endpoints/PJSIP/trunk')).body, 'the Endpoint as GET /endpoints shows it');
    assert.equal(ev.application, APP);
  });

  it('refuses a MESSAGE that is not text/plain (415)', async () => {
    peer.send(message('bob', '{"a":1}', 'application/json'));
    assert.equal((await peer.response()).status, 415);
  });

  it('challenges a MESSAGE from a sender no endpoint matches', async () => {
    const stranger = dgram.createSocket('udp4');
    try {
      const got = new Promise<SipResponse>((resolve) => stranger.on('message', (b) => resolve(parseMessage(b) as SipResponse)));
      await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.2', resolve));
      stranger.send(message('eve', 'let me in').replace(/127\.0\.0\.1:\d+;branch/, `127.0.0.2:${stranger.address().port};branch`), sipPort, '127.0.0.1');
      assert.equal((await got).status, 401);
    } finally {
      stranger.close();
    }
  });

  it('PUT /endpoints/sendMessage sends a MESSAGE to the endpoint contact', async () => {
    const res = await fx.srv.ari('PUT', `/endpoints/sendMessage?to=pjsip:phone&from=${encodeURIComponent('"Ops" <sip:ops@example.com>')}&body=${encodeURIComponent('hi phone')}`, {
      body: { variables: { 'X-Ticket': '42' } },
    });
    assert.equal(res.status, 202);
    const req = await peer.request('MESSAGE');
    assert.equal(req.uri, `sip:phone@127.0.0.1:${peer.port}`);
    assert.equal(req.body.toString(), 'hi phone');
    assert.equal(req.headers.get('Content-Type'), 'text/plain');
    assert.equal(req.headers.get('X-Ticket'), '42');
    assert.match(req.headers.get('From') ?? '', /^"Ops" <sip:ops@example\.com>;tag=/);
    assert.equal(req.headers.has('Contact'), false, 'RFC 3428: no Contact in MESSAGE');
  });

  it('PUT /endpoints/PJSIP/phone/sendMessage, and pjsip:phone/<uri> to another URI', async () => {
    assert.equal((await fx.srv.ari('PUT', '/endpoints/PJSIP/phone/sendMessage?from=ops&body=second')).status, 202);
    const req = await peer.request('MESSAGE');
    assert.equal(req.body.toString(), 'second');
    assert.match(req.headers.get('From') ?? '', /<sip:ops@127\.0\.0\.1>;tag=/);

    const other = `sip:desk@127.0.0.1:${peer.port}`;
    assert.equal((await fx.srv.ari('PUT', `/endpoints/sendMessage?to=${encodeURIComponent(`pjsip:phone/${other}`)}&from=ops&body=third`)).status, 202);
    const third = await peer.request('MESSAGE');
    assert.equal(third.uri, other);
    assert.equal(third.body.toString(), 'third');

    // `user@endpoint`: the endpoint's contact with another user part.
    assert.equal((await fx.srv.ari('PUT', '/endpoints/sendMessage?to=pjsip:frontdesk@phone&from=ops&body=fourth')).status, 202);
    assert.equal((await peer.request('MESSAGE')).uri, `sip:frontdesk@127.0.0.1:${peer.port}`);
  });

  it('answers 404 when the destination is not an endpoint we can reach', async () => {
    for (const [method, p] of [
      ['PUT', '/endpoints/PJSIP/nobody/sendMessage?from=ops&body=x'],
      ['PUT', '/endpoints/sendMessage?to=pjsip:nobody&from=ops&body=x'],
      ['PUT', '/endpoints/sendMessage?to=xmpp:phone&from=ops&body=x'],
      ['PUT', '/endpoints/sendMessage?to=phone&from=ops&body=x'],
      ['PUT', '/endpoints/sendMessage?to=pjsip:trunk&from=ops&body=x'], // no contact
      ['POST', '/endpoints/refer?to=pjsip:nobody&from=ops&refer_to=sip:1000@example.com'],
      ['POST', '/endpoints/PJSIP/nobody/refer?from=ops&refer_to=sip:1000@example.com'],
    ] as const) {
      const res = await fx.call(method, p);
      assert.equal(res.status, 404, p);
      assert.deepEqual(res.body, { message: 'Endpoint not found' }, p);
    }
    assert.equal((await fx.call('PUT', '/endpoints/sendMessage?from=ops&body=x')).status, 400, 'to is required');
  });

  it('POST /endpoints/refer sends REFER with the Refer-To asked for; the NOTIFY after 202 is answered', async () => {
    const res = await fx.srv.ari('POST', `/endpoints/refer?to=pjsip:phone&from=sip:ops@example.com&refer_to=${encodeURIComponent('sip:1000@example.com')}`, {
      body: { variables: { display_name: 'Front Desk', 'X-Why': 'demo' } },
    });
    assert.equal(res.status, 202);
    const req = await peer.request('REFER');
    assert.equal(req.uri, `sip:phone@127.0.0.1:${peer.port}`);
    assert.equal(req.headers.get('Refer-To'), '"Front Desk" <sip:1000@example.com>');
    assert.equal(req.headers.get('X-Why'), 'demo');
    assert.ok(req.headers.has('Contact'));
    assert.match(req.headers.get('From') ?? '', /<sip:ops@example\.com>;tag=/);

    // The implicit subscription's NOTIFY, in the dialog the 202 made (To/From swapped, our tag as To tag).
    const fromTag = /;tag=([^;]+)/.exec(req.headers.get('From') ?? '')?.[1];
    const contact = /<([^>]+)>/.exec(req.headers.get('Contact') ?? '')?.[1];
    peer.send([
      `NOTIFY ${contact} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bK-notify-1;rport`,
      `From: <sip:phone@127.0.0.1:${peer.port}>;tag=peer-tag`,
      `To: <sip:ops@example.com>;tag=${fromTag}`,
      `Call-ID: ${req.headers.get('Call-ID')}`,
      'CSeq: 1 NOTIFY',
      'Event: refer',
      'Subscription-State: terminated;reason=noresource',
      'Content-Type: message/sipfrag;version=2.0',
      'Content-Length: 16',
      '',
      'SIP/2.0 200 OK\r\n',
    ].join('\r\n'));
    assert.equal((await peer.response()).status, 200);
  });

  it('POST /endpoints/PJSIP/phone/refer: refer_to an endpoint, with to_self pointing back at us', async () => {
    assert.equal((await fx.call('POST', '/endpoints/PJSIP/phone/refer?from=ops&refer_to=trunk&to_self=true')).status, 202);
    const req = await peer.request('REFER');
    assert.equal(req.headers.get('Refer-To'), `<sip:trunk@127.0.0.1:${sipPort}>`);

    assert.equal((await fx.call('POST', '/endpoints/PJSIP/phone/refer?from=ops&refer_to=phone')).status, 202);
    assert.equal((await peer.request('REFER')).headers.get('Refer-To'), `<sip:phone@127.0.0.1:${peer.port}>`);
  });
});
