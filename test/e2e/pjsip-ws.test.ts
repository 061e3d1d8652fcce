/**
 * SIP over WebSocket (RFC 7118) on the HTTP server's `/ws`, subprotocol `sip`, with a client written on the
 * `ws` package:
 *
 * - REGISTER is challenged (401) and accepted with digest credentials; the response comes back on the same
 *   WebSocket with our Via (`SIP/2.0/WS`) untouched, and the contact is stored with the connection's address
 *   and `transport=ws` as Asterisk's websocket transport rewrites it;
 * - an INVITE to 1000 reaches a Stasis application, which answers: 200 with SDP, ACK, then the client's BYE
 *   gets 200 and the channel ends;
 * - an ARI originate to `PJSIP/webrtc` reaches the registered phone over its WebSocket (we never dial out),
 *   and deleting the channel sends the BYE over it too;
 * - `pjsip show transports` lists the ws transport with its configured bind, as Asterisk does; an upgrade
 *   offering another subprotocol is refused with 400.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { httpConf, openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';
import type { SipMessage } from '../../src/sip/message/message.ts';

const PJSIP = `[transport-ws]
type = transport
protocol = ws
bind = 0.0.0.0

[webrtc]
type = endpoint
context = ws-in
allow = ulaw
aors = webrtc
auth = webrtc

[webrtc]
type = auth
auth_type = userpass
username = webrtc
password = s3cr3t

[webrtc]
type = aor
max_contacts = 1
`;

const DIALPLAN = `[ws-in]
exten => 1000,1,Stasis(wsapp)
`;

let srv: TestServer;
let events: EventClient;
let certDir: string;

async function cli(line: string): Promise<string> {
  let out = '';
  await srv.ariadne.commands.execute(line, (t) => (out += t));
  return out;
}

/** A SIP phone speaking over one WebSocket: sends text, queues every message received. */
class WsPhone {
  readonly ws: WebSocket;
  readonly received: SipMessage[] = [];
  readonly raw: string[] = [];
  readonly #waiters: Array<() => void> = [];
  callId = randomBytes(6).toString('hex');
  readonly tag = randomBytes(4).toString('hex');
  cseq = 0;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      this.raw.push(data.toString());
      this.received.push(parseMessage(data));
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static async open(port: number, protocol: string | undefined = 'sip', scheme: 'ws' | 'wss' = 'ws'): Promise<WsPhone> {
    const ws = new WebSocket(`${scheme}://127.0.0.1:${port}/ws`, protocol === undefined ? [] : [protocol], { rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsPhone(ws);
  }

  send(text: string): void {
    this.ws.send(text);
  }

  /** The next message matching `pred` (consumed), within `ms`. */
  async next(pred: (m: SipMessage) => boolean, ms = 5000): Promise<SipMessage> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.received.findIndex(pred);
      if (i >= 0) return this.received.splice(i, 1)[0] as SipMessage;
      const left = end - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a SIP message');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const isResponse = (status: number, method: string) => (m: SipMessage) =>
  m.type === 'response' && m.status === status && (m.headers.get('CSeq') ?? '').endsWith(method);

function request(phone: WsPhone, method: string, uri: string, extra: string[], body = '', toTag = ''): string {
  const branch = `z9hG4bK${randomBytes(6).toString('hex')}`;
  return [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=${branch}`,
    'Max-Forwards: 70',
    `From: <sip:webrtc@127.0.0.1>;tag=${phone.tag}`,
    `To: <${method === 'REGISTER' ? 'sip:webrtc@127.0.0.1' : uri}>${toTag === '' ? '' : `;tag=${toTag}`}`,
    `Call-ID: ${phone.callId}`,
    `CSeq: ${++phone.cseq} ${method}`,
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const CONTACT = 'Contact: <sip:r5k8q1@df7jal23ls0d.invalid;transport=ws>';
const SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');

before(async () => {
  // The HTTP server's TLS listener serves wss (a self-signed certificate made for the test).
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-wss-'));
  const cert = path.join(certDir, 'cert.pem');
  const key = path.join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const http = httpConf(`tlsenable = yes\ntlsbindaddr = 127.0.0.1:8089\ntlscertfile = ${cert}\ntlsprivatekey = ${key}`);
  srv = await startTestServer({ files: { 'pjsip.conf': PJSIP, 'extensions.conf': DIALPLAN, 'http.conf': http } });
  events = await openEvents(srv.base, 'app=wsapp&api_key=asterisk:asterisk');
});

after(async () => {
  await events?.close();
  await srv?.stop();
  if (certDir !== undefined) fs.rmSync(certDir, { recursive: true, force: true });
});

describe('SIP over WebSocket', { timeout: 30_000 }, () => {
  let phone: WsPhone;

  it('REGISTER with digest auth; the contact is stored with the connection address and transport=ws', async () => {
    phone = await WsPhone.open(srv.port);
    phone.send(request(phone, 'REGISTER', 'sip:127.0.0.1', [CONTACT, 'Expires: 600']));
    const challenge = await phone.next(isResponse(401, 'REGISTER'));
    const www = challenge.headers.get('WWW-Authenticate') ?? '';
    const realm = /realm="([^"]+)"/.exec(www)?.[1] ?? '';
    const nonce = /nonce="([^"]+)"/.exec(www)?.[1] ?? '';
    assert.ok(realm !== '' && nonce !== '', www);
    assert.match(phone.raw.at(-1) ?? '', /^Via: SIP\/2\.0\/WS df7jal23ls0d\.invalid;/m, 'our Via comes back');
    const response = md5(`${md5(`webrtc:${realm}:s3cr3t`)}:${nonce}:${md5('REGISTER:sip:127.0.0.1')}`);
    const auth = `Authorization: Digest username="webrtc", realm="${realm}", nonce="${nonce}", uri="sip:127.0.0.1", response="${response}", algorithm=MD5`;
    phone.send(request(phone, 'REGISTER', 'sip:127.0.0.1', [CONTACT, 'Expires: 600', auth]));
    const ok = await phone.next(isResponse(200, 'REGISTER'));
    // The phone sees its own contact back (res_pjsip_nat restores the host it wrote).
    assert.match(ok.headers.get('Contact') ?? '', /^<sip:r5k8q1@df7jal23ls0d\.invalid:5060;transport=ws>;expires=600$/);
    const contacts = await cli('pjsip show contacts');
    assert.match(contacts, /Contact:\s+webrtc\/sip:r5k8q1@127\.0\.0\.1:\d+;transport=ws /, contacts);
  });

  it('INVITE reaches the Stasis app, which answers; ACK, then BYE from the phone gets 200', async () => {
    phone.callId = randomBytes(6).toString('hex');
    phone.cseq = 0;
    const invite = request(phone, 'INVITE', 'sip:1000@127.0.0.1', [CONTACT, 'Content-Type: application/sdp'], SDP);
    phone.send(invite);
    // Unauthenticated first: the endpoint has auth, so the INVITE is challenged like the REGISTER was.
    const challenge = await phone.next(isResponse(401, 'INVITE'));
    phone.cseq--; // the ACK of a non-2xx repeats the INVITE's CSeq number
    phone.send(request(phone, 'ACK', 'sip:1000@127.0.0.1', [], '', /tag=([^;\s]+)/.exec(challenge.headers.get('To') ?? '')?.[1] ?? ''));
    const www = challenge.headers.get('WWW-Authenticate') ?? '';
    const realm = /realm="([^"]+)"/.exec(www)?.[1] ?? '';
    const nonce = /nonce="([^"]+)"/.exec(www)?.[1] ?? '';
    const response = md5(`${md5(`webrtc:${realm}:s3cr3t`)}:${nonce}:${md5('INVITE:sip:1000@127.0.0.1')}`);
    const auth = `Authorization: Digest username="webrtc", realm="${realm}", nonce="${nonce}", uri="sip:1000@127.0.0.1", response="${response}", algorithm=MD5`;
    phone.send(request(phone, 'INVITE', 'sip:1000@127.0.0.1', [CONTACT, 'Content-Type: application/sdp', auth], SDP));
    const start = await events.next((m) => m.type === 'StasisStart' && String((m.channel as { name: string }).name).startsWith('PJSIP/webrtc-'), 8000);
    const id = (start.channel as { id: string }).id;
    assert.equal((await srv.ari('POST', `/channels/${id}/answer`)).status, 204);
    const ok = await phone.next(isResponse(200, 'INVITE'));
    assert.match(ok.body.toString(), /m=audio \d+ RTP\/AVP 0/);
    const toTag = /tag=([^;\s]+)/.exec(ok.headers.get('To') ?? '')?.[1] ?? '';
    phone.send(request(phone, 'ACK', 'sip:1000@127.0.0.1', [], '', toTag));
    phone.send(request(phone, 'BYE', 'sip:1000@127.0.0.1', [], '', toTag));
    await phone.next(isResponse(200, 'BYE'));
    await events.next((m) => m.type === 'StasisEnd' && (m.channel as { id: string }).id === id, 5000);
  });

  it('an originate to PJSIP/webrtc reaches the phone over its WebSocket; the hangup BYE goes the same way', async () => {
    const res = await srv.ari('POST', '/channels?endpoint=PJSIP/webrtc&app=wsapp');
    assert.equal(res.status, 200);
    const id = ((await res.json()) as { id: string }).id;
    const invite = await phone.next((m) => m.type === 'request' && m.method === 'INVITE', 5000);
    assert.ok(invite.type === 'request');
    assert.match(invite.uri, /^sip:r5k8q1@127\.0\.0\.1:\d+;transport=ws$/);
    assert.match(invite.headers.get('Via') ?? '', /^SIP\/2\.0\/WS 127\.0\.0\.1:\d+;/);
    const answer = (status: number, req: SipMessage, body = '', tag = 'ph1'): string => {
      const lines = [`SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Trying'}`];
      for (const name of ['Via', 'From', 'Call-ID', 'CSeq']) for (const v of req.headers.lines(name)) lines.push(`${name}: ${v}`);
      lines.push(`To: ${req.headers.get('To') ?? ''}${status === 200 && !/tag=/.test(req.headers.get('To') ?? '') ? `;tag=${tag}` : ''}`);
      if (status === 200) lines.push(CONTACT);
      if (body !== '') lines.push('Content-Type: application/sdp');
      lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
      return lines.join('\r\n');
    };
    phone.send(answer(200, invite, SDP));
    await phone.next((m) => m.type === 'request' && m.method === 'ACK', 5000);
    await events.next((m) => m.type === 'ChannelStateChange' && (m.channel as { id: string; state: string }).id === id && (m.channel as { state: string }).state === 'Up', 5000);
    assert.equal((await srv.ari('DELETE', `/channels/${id}`)).status, 204);
    const bye = await phone.next((m) => m.type === 'request' && m.method === 'BYE', 5000);
    phone.send(answer(200, bye));
    await events.next((m) => m.type === 'StasisEnd' && (m.channel as { id: string }).id === id, 5000);
    phone.close();
  });

  it('over the TLS listener the connection is WSS; a client offering no subprotocol gets sip', async () => {
    const tlsPort = srv.ariadne.http.bound().tls?.port ?? 0;
    const secure = await WsPhone.open(tlsPort, undefined, 'wss');
    secure.send(request(secure, 'OPTIONS', 'sip:127.0.0.1', []).replace('SIP/2.0/WS ', 'SIP/2.0/WSS '));
    // webrtc has auth, so its OPTIONS is challenged; the answer comes back on the secure WebSocket.
    const ok = await secure.next(isResponse(401, 'OPTIONS'));
    assert.match(ok.headers.get('Via') ?? '', /^SIP\/2\.0\/WSS df7jal23ls0d\.invalid;/);
    await srv.ariadne.commands.execute('pjsip set logger on', () => undefined);
    const mark = srv.logs().length;
    secure.send(request(secure, 'OPTIONS', 'sip:127.0.0.1', []).replace('SIP/2.0/WS ', 'SIP/2.0/WSS '));
    await secure.next(isResponse(401, 'OPTIONS'));
    await srv.ariadne.commands.execute('pjsip set logger off', () => undefined);
    const traffic = srv.logs().slice(mark);
    assert.match(traffic, /<--- Received SIP request \(\d+ bytes\) from WSS:127\.0\.0\.1:\d+ --->/);
    assert.match(traffic, /<--- Transmitting SIP response \(\d+ bytes\) to WSS:127\.0\.0\.1:\d+ --->/);
    secure.close();
  });

  it('pjsip show transports lists the ws transport; another subprotocol is refused', async () => {
    const out = await cli('pjsip show transports');
    assert.match(out, /^Transport:  transport-ws\s+ws\s+0\s+0\s+0\.0\.0\.0:5060$/m, out);
    await assert.rejects(WsPhone.open(srv.port, 'xmpp'), /400/);
  });
});
