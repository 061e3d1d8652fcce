import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestLogger } from '../shared/logger.ts';
import { Dialog } from './dialog/dialog.ts';
import { createResponse } from './message/helpers.ts';
import { createRequest, serializeMessage, type SipMessage, type SipRequest, type SipResponse } from './message/message.ts';
import { parseMessage } from './message/parser.ts';
import { SipStack, type ContactStatusEvent } from './stack.ts';
import { pjsipFromText } from './test-config.ts';

const SERVER = pjsipFromText(`
[udp]
type=transport
protocol=udp
bind=127.0.0.1

[alice]
type=endpoint
aors=alice
auth=alice

[alice]
type=auth
username=alice
password=pw

[alice]
type=aor
max_contacts=1

[gone]
type=aor
contact=sip:127.0.0.1:9
qualify_frequency=60
qualify_timeout=0.3
`, { ephemeralPorts: true });

/** A UDP peer that sends raw requests and collects every message it receives. */
class Peer {
  readonly socket = dgram.createSocket('udp4');
  readonly inbox: SipMessage[] = [];
  port = 0;
  async start(): Promise<void> {
    this.socket.on('message', (b) => this.inbox.push(parseMessage(b)));
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    this.port = this.socket.address().port;
  }
  send(msg: SipMessage, port: number): void {
    this.socket.send(serializeMessage(msg), port, '127.0.0.1');
  }
  async next(pred: (m: SipMessage) => boolean = () => true, ms = 2000): Promise<SipMessage> {
    const end = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(pred);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as SipMessage;
      if (Date.now() > end) throw new Error('nothing arrived');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  async response(status?: number): Promise<SipResponse> {
    const m = await this.next((x) => x.type === 'response' && x.status >= 200 && (status === undefined || x.status === status));
    assert.ok(m.type === 'response');
    return m;
  }
}

let n = 0;
function req(peer: Peer, method: string, from: string, extra: [string, string][] = [], to = '<sip:bob@127.0.0.1>'): SipRequest {
  n++;
  return createRequest(method, 'sip:bob@127.0.0.1', [
    ['Via', `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKs${n};rport`],
    ['From', `<sip:${from}@127.0.0.1>;tag=f${n}`],
    ['To', to],
    ['Call-ID', `call-${n}`],
    ['CSeq', `1 ${method}`],
    ['Max-Forwards', '70'],
    ...extra,
  ]);
}

describe('SipStack', () => {
  let stack: SipStack;
  let port: number;
  const peer = new Peer();
  const statuses: ContactStatusEvent[] = [];

  before(async () => {
    stack = await SipStack.start({ config: SERVER, logger: createTestLogger(), onContactStatus: (e) => statuses.push(e) });
    port = stack.transports.list[0]?.local.port ?? 0;
    await peer.start();
  });
  after(async () => {
    peer.socket.close();
    await stack.close();
  });

  it('answers OPTIONS with capabilities; challenges OPTIONS from an endpoint with auth', async () => {
    peer.send(req(peer, 'OPTIONS', 'nobody'), port);
    const ok = await peer.response();
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('Allow') ?? '', /INVITE.*REGISTER|REGISTER.*INVITE/);
    assert.match(ok.headers.get('Supported') ?? '', /replaces/);
    peer.send(req(peer, 'OPTIONS', 'alice'), port);
    assert.equal((await peer.response()).status, 401);
  });

  it('hands new requests to handlers with the endpoint; 405 for known methods nobody handles, 501 for unknown ones', async () => {
    const seen: Array<[string, string | undefined, string]> = [];
    const off = stack.onRequest('MESSAGE', (r, tx, source, ep) => {
      seen.push([r.method, ep, source.transport]);
      tx.respond(createResponse(r, 202));
    });
    peer.send(req(peer, 'MESSAGE', 'alice'), port);
    assert.equal((await peer.response()).status, 202);
    assert.deepEqual(seen, [['MESSAGE', 'alice', 'udp']]);
    off();
    peer.send(req(peer, 'MESSAGE', 'alice'), port);
    const r405 = await peer.response();
    assert.equal(r405.status, 405);
    assert.ok(r405.headers.get('Allow'));
    peer.send(req(peer, 'FOO', 'alice'), port);
    assert.equal((await peer.response()).status, 501);
  });

  it('481 for an unknown dialog; a dialog gets its requests, CSeq order enforced, default BYE ends it', async () => {
    peer.send(req(peer, 'INFO', 'x', [], '<sip:bob@127.0.0.1>;tag=nope'), port);
    assert.equal((await peer.response()).status, 481);

    const invite = req(peer, 'INVITE', 'carol', [['Contact', `<sip:carol@127.0.0.1:${peer.port}>`]]);
    const dialog = Dialog.uas(invite, 'srvtag', '<sip:bob@127.0.0.1>', 'confirmed');
    const got: string[] = [];
    stack.attachDialog(dialog, {
      onRequest: (r, tx) => {
        got.push(r.method);
        if (r.method === 'BYE') {
          stack.detachDialog(dialog);
          tx.respond(createResponse(r, 200));
        } else tx.respond(createResponse(r, 200));
      },
    });
    const inDialog = (method: string, seq: number): SipRequest => {
      n++;
      return createRequest(method, `sip:bob@127.0.0.1:${port}`, [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKd${n};rport`],
        ['From', invite.headers.get('From') ?? ''],
        ['To', '<sip:bob@127.0.0.1>;tag=srvtag'],
        ['Call-ID', invite.headers.get('Call-ID') ?? ''],
        ['CSeq', `${seq} ${method}`],
      ]);
    };
    peer.send(inDialog('INFO', 2), port);
    assert.equal((await peer.response()).status, 200);
    peer.send(inDialog('INFO', 2), port);
    assert.equal((await peer.response()).status, 500, 'CSeq not higher');
    peer.send(inDialog('BYE', 3), port);
    assert.equal((await peer.response()).status, 200);
    assert.deepEqual(got, ['INFO', 'BYE']);
    peer.send(inDialog('BYE', 4), port);
    assert.equal((await peer.response()).status, 481, 'dialog is gone');
  });

  it('the ACK for a 2xx reaches the dialog (it matches no transaction)', async () => {
    const invite = req(peer, 'INVITE', 'dave', [['Contact', `<sip:dave@127.0.0.1:${peer.port}>`]]);
    const dialog = Dialog.uas(invite, 'acktag', '<sip:bob@127.0.0.1>', 'confirmed');
    const acks: string[] = [];
    stack.attachDialog(dialog, { onAck: (ack, d) => acks.push(`${ack.method} ${d.localTag}`) });
    const ack = createRequest('ACK', `sip:bob@127.0.0.1:${port}`, [
      ['Via', `SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKack${n};rport`], ['From', invite.headers.get('From') ?? ''],
      ['To', '<sip:bob@127.0.0.1>;tag=acktag'], ['Call-ID', invite.headers.get('Call-ID') ?? ''], ['CSeq', '1 ACK'],
    ]);
    peer.send(ack, port);
    const deadline = Date.now() + 2000;
    while (acks.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(acks, ['ACK acktag']);
    stack.detachDialog(dialog);
  });

  it('CANCEL: 200 for the CANCEL, 487 for the INVITE; 481 when there is nothing to cancel', async () => {
    stack.onRequest('INVITE', () => undefined); // leave it ringing
    const invite = req(peer, 'INVITE', 'carol');
    peer.send(invite, port);
    await peer.next((m) => m.type === 'response' && m.status === 100, 3000);
    const cancel = createRequest('CANCEL', invite.uri, [
      ['Via', invite.headers.get('Via') ?? ''], ['From', invite.headers.get('From') ?? ''], ['To', invite.headers.get('To') ?? ''],
      ['Call-ID', invite.headers.get('Call-ID') ?? ''], ['CSeq', '1 CANCEL'], ['Max-Forwards', '70'],
    ]);
    peer.send(cancel, port);
    const a = await peer.response();
    const b = await peer.response();
    assert.deepEqual([a.status, b.status].sort(), [200, 487]);
    peer.send(req(peer, 'CANCEL', 'carol'), port);
    assert.equal((await peer.response()).status, 481);
  });

  it('REGISTER from an unknown sender is challenged, and refused once it sends credentials', async () => {
    peer.send(req(peer, 'REGISTER', 'mallory', [['Contact', '<sip:m@127.0.0.1>']], '<sip:mallory@127.0.0.1>'), port);
    assert.equal((await peer.response()).status, 401);
    peer.send(req(peer, 'REGISTER', 'mallory', [['Contact', '<sip:m@127.0.0.1>'], ['Authorization', 'Digest username="mallory", realm="asterisk", nonce="x", uri="sip:x", response="00"']], '<sip:mallory@127.0.0.1>'), port);
    assert.equal((await peer.response()).status, 403);
  });

  it('qualify marks a contact nobody answers Unreachable', async () => {
    const deadline = Date.now() + 3000;
    while (!statuses.some((s) => s.aor === 'gone') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(statuses.find((s) => s.aor === 'gone'), { aor: 'gone', uri: 'sip:127.0.0.1:9', status: 'Unreachable', rttUs: undefined });
    assert.equal(stack.contactStatus('gone', 'sip:127.0.0.1:9').status, 'Unreachable');
  });

  it('brute force: a source that keeps failing digest auth gets 403 without its credentials being checked', async () => {
    const limited = await SipStack.start({ config: SERVER, logger: createTestLogger(), qualify: false, authLimit: { maxFailures: 2, windowMs: 60_000 } });
    try {
      const p = limited.transports.list[0]?.local.port ?? 0;
      const bad: [string, string] = ['Authorization', 'Digest username="alice", realm="asterisk", nonce="0/000000000000/00000000000000000000000000000000", uri="sip:bob@127.0.0.1", response="00000000000000000000000000000000"'];
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        peer.send(req(peer, 'REGISTER', 'alice', [['Contact', '<sip:a@127.0.0.1>'], bad], '<sip:alice@127.0.0.1>'), p);
        statuses.push((await peer.response()).status);
      }
      assert.deepEqual(statuses, [401, 401, 403]);
    } finally {
      await limited.close();
    }
  });

  it('a request over 1300 bytes switches from UDP to TCP when disable_tcp_switch=no', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const tcpPort = (server.address() as net.AddressInfo).port;
    let received = '';
    server.on('connection', (c) => c.on('data', (d) => (received += d.toString())));
    const switching = await SipStack.start({
      config: pjsipFromText('[system]\ntype=system\ndisable_tcp_switch=no\n\n[u]\ntype=transport\nprotocol=udp\nbind=127.0.0.1\n\n[t]\ntype=transport\nprotocol=tcp\nbind=127.0.0.1\n', { ephemeralPorts: true }),
      logger: createTestLogger(),
    });
    try {
      const big = createRequest('MESSAGE', `sip:bob@127.0.0.1:${tcpPort}`, [
        ['From', '<sip:a@127.0.0.1>;tag=m1'], ['To', '<sip:bob@127.0.0.1>'], ['Call-ID', 'big-1'], ['CSeq', '1 MESSAGE'], ['Content-Type', 'text/plain'],
      ], 'x'.repeat(1400));
      const tx = await switching.sendRequest(big, { destination: { transport: 'UDP', host: '127.0.0.1', port: tcpPort } });
      const deadline = Date.now() + 2000;
      while (!received.includes('x'.repeat(1400)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.match(received, /^MESSAGE sip:bob@127\.0\.0\.1:\d+ SIP\/2\.0\r\nVia: SIP\/2\.0\/TCP /);
      assert.equal(tx.destination.transport, 'TCP');
    } finally {
      await switching.close();
      server.close();
    }
  });

  it('request() answers a 401 with outbound_auth: one stack registers to another', async () => {
    const client = await SipStack.start({
      config: pjsipFromText('[udp]\ntype=transport\nprotocol=udp\nbind=127.0.0.1\n\n[trunk]\ntype=endpoint\noutbound_auth=creds\n\n[creds]\ntype=auth\nusername=alice\npassword=pw\n', { ephemeralPorts: true }),
      logger: createTestLogger(),
    });
    try {
      const dest = { transport: 'UDP', host: '127.0.0.1', port };
      const register = createRequest('REGISTER', `sip:127.0.0.1:${port}`, [
        ['From', '<sip:alice@127.0.0.1>;tag=r1'], ['To', '<sip:alice@127.0.0.1>'], ['Call-ID', 'reg-out-1'], ['CSeq', '1 REGISTER'],
        ['Contact', client.contactFor(dest, 'alice')], ['Expires', '120'],
      ]);
      const res = await client.request(register, { destination: dest, endpointId: 'trunk' });
      assert.equal(res.status, 200);
      assert.equal(stack.registrar.bindings('alice').length, 1);
      assert.match(stack.registrar.bindings('alice')[0]?.uri ?? '', /^sip:alice@127\.0\.0\.1:\d+$/);
    } finally {
      await client.close();
    }
  });
});
