/**
 * DNS for SIP, against a tiny DNS server this test runs on loopback (SRV, NAPTR, A answers from a table):
 *
 * - identify `match = localhost` resolves at load (process resolver) and identifies a SIPp call from
 *   127.0.0.1 as the `carrier` endpoint; an unresolvable name is reported with Asterisk's warning and
 *   loading goes on;
 * - `PJSIP/trunk/sip:1234@example.test` (no port) follows SRV `_sip._udp.example.test`: the priority 10 target
 *   answers 503, so the INVITE fails over to the priority 20 target, a SIPp UAS, which answers; the call is
 *   then hung up by ARI and SIPp's scenario ends cleanly;
 * - after `pjsip reload`, an aor `contact=sip:far@svc.test` is qualified and a registration to
 *   `sip:svc.test` registers at the SRV target (a small UDP peer of the test);
 * - `sip:...@naptr.test` follows NAPTR → SRV → A to the same SIPp UAS port.
 */

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { freePort, startSipp } from '../helpers/sipp.ts';
import { dnsServers } from '../../src/sip/dns/resolver.ts';

type Rr = { type: 'A'; address: string } | { type: 'SRV'; priority: number; weight: number; port: number; target: string }
  | { type: 'NAPTR'; order: number; preference: number; flags: string; service: string; replacement: string };

const TYPE_CODES: Readonly<Record<Rr['type'], number>> = { A: 1, SRV: 33, NAPTR: 35 };

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter((p) => p !== '');
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])), Buffer.from([0])]);
}

function charString(s: string): Buffer {
  return Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);
}

function rdata(rr: Rr): Buffer {
  switch (rr.type) {
    case 'A':
      return Buffer.from(rr.address.split('.').map(Number));
    case 'SRV': {
      const head = Buffer.alloc(6);
      head.writeUInt16BE(rr.priority, 0);
      head.writeUInt16BE(rr.weight, 2);
      head.writeUInt16BE(rr.port, 4);
      return Buffer.concat([head, encodeName(rr.target)]);
    }
    case 'NAPTR': {
      const head = Buffer.alloc(4);
      head.writeUInt16BE(rr.order, 0);
      head.writeUInt16BE(rr.preference, 2);
      return Buffer.concat([head, charString(rr.flags), charString(rr.service), charString(''), encodeName(rr.replacement)]);
    }
  }
}

/** A DNS server answering one question per query from `zone` (NXDOMAIN for unknown names); records the questions. */
async function startDns(zone: Record<string, Rr[]>): Promise<{ port: number; questions: string[]; close: () => void }> {
  const socket = dgram.createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (q, rinfo) => {
    let offset = 12;
    const labels: string[] = [];
    while (offset < q.length && q[offset] !== 0) {
      const len = q[offset] as number;
      labels.push(q.subarray(offset + 1, offset + 1 + len).toString());
      offset += len + 1;
    }
    const question = q.subarray(12, offset + 5);
    const qtype = q.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    const typeName = Object.entries(TYPE_CODES).find(([, c]) => c === qtype)?.[0] ?? String(qtype);
    questions.push(`${typeName} ${name}`);
    const records = zone[name];
    const answers = (records ?? []).filter((r) => TYPE_CODES[r.type] === qtype).map((r) => {
      const data = rdata(r);
      const fixed = Buffer.alloc(10);
      fixed.writeUInt16BE(qtype, 0);
      fixed.writeUInt16BE(1, 2);
      fixed.writeUInt32BE(60, 4);
      fixed.writeUInt16BE(data.length, 8);
      return Buffer.concat([Buffer.from([0xc0, 0x0c]), fixed, data]);
    });
    const header = Buffer.alloc(12);
    header.writeUInt16BE(q.readUInt16BE(0), 0);
    header.writeUInt16BE(0x8180 | (records === undefined ? 3 : 0), 2); // response, RD+RA, NXDOMAIN when unknown
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, questions, close: () => socket.close() };
}

/** A UDP peer that answers every INVITE with 100 and 503 and swallows the ACK; counts the INVITEs. */
async function startBusyPeer(): Promise<{ port: number; invites: () => number; close: () => void }> {
  const socket = dgram.createSocket('udp4');
  let invites = 0;
  socket.on('message', (b, rinfo) => {
    const text = b.toString();
    if (!text.startsWith('INVITE ')) return;
    invites++;
    const keep = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l));
    const answer = (status: string) => [`SIP/2.0 ${status}`, ...keep.map((l) => (/^To:/i.test(l) && status.startsWith('503') ? `${l};tag=busy` : l)), 'Content-Length: 0', '', ''].join('\r\n');
    socket.send(answer('100 Trying'), rinfo.port, rinfo.address);
    socket.send(answer('503 Service Unavailable'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, invites: () => invites, close: () => socket.close() };
}

/** A UDP peer that answers every request 200 (a REGISTER with its Contact and expires=60); records the methods. */
async function startPeer(): Promise<{ port: number; methods: string[]; close: () => void }> {
  const socket = dgram.createSocket('udp4');
  const methods: string[] = [];
  socket.on('message', (b, rinfo) => {
    const text = b.toString();
    const method = /^([A-Z]+) sip:/.exec(text)?.[1];
    if (method === undefined || method === 'ACK') return;
    methods.push(method);
    const lines = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l)).map((l) => (/^To:/i.test(l) ? `${l};tag=peer` : l));
    const contact = method === 'REGISTER' ? text.split('\r\n').filter((l) => /^Contact:/i.test(l)).map((l) => `${l.replace(/;expires=\d+/, '')};expires=60`) : [];
    socket.send(['SIP/2.0 200 OK', ...lines, ...contact, 'Content-Length: 0', '', ''].join('\r\n'), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return { port: socket.address().port, methods, close: () => socket.close() };
}

let srv: TestServer;
let events: EventClient;
let sipPort: number;

const PJSIP = (port: number) => `[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[trunk]
type = endpoint
context = from-trunk
allow = ulaw

[carrier]
type = endpoint
context = from-trunk
allow = ulaw

[carrier]
type = identify
endpoint = carrier
match = localhost

[ghost]
type = identify
endpoint = trunk
match = no-such-host.invalid
`;

const DIALPLAN = `[from-trunk]
exten => 1000,1,Stasis(dnsapp)
`;

before(async () => {
  sipPort = await freePort('udp');
  srv = await startTestServer({ files: { 'pjsip.conf': PJSIP(sipPort), 'extensions.conf': DIALPLAN } });
  events = await openEvents(srv.base, 'app=dnsapp&api_key=asterisk:asterisk');
});

after(async () => {
  await events?.close();
  await srv?.stop();
});

describe('SIP and DNS', { timeout: 40_000 }, () => {
  it('identify match=localhost identifies calls from 127.0.0.1; an unresolvable name is a warning', async () => {
    assert.match(srv.logs(), /WARNING.*Identify 'ghost' provided address 'no-such-host\.invalid' did not resolve to any address/);
    let shown = '';
    await srv.ariadne.commands.execute('pjsip show identifies', (t) => (shown += t));
    assert.match(shown, /Identify:  carrier\/carrier\n +Match: 127\.0\.0\.1\/32\n/, shown);
    const call = await startSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${sipPort}`, service: '1000', timeoutSec: 10, extraArgs: ['-d', '300'] });
    const start = await events.next((m) => m.type === 'StasisStart', 8000);
    const channel = start.channel as { id: string; name: string };
    assert.match(channel.name, /^PJSIP\/carrier-/);
    assert.equal((await srv.ari('POST', `/channels/${channel.id}/answer`)).status, 204);
    const done = await call.done;
    assert.equal(done.code, 0, done.errors);
  });

  it('SRV: the INVITE fails over from a 503 target to the next priority, a SIPp UAS that answers', async () => {
    const busy = await startBusyPeer();
    const uas = await startSipp({ scenario: { builtin: 'uas' }, timeoutSec: 15 });
    const dns = await startDns({
      'example.test': [],
      '_sip._udp.example.test': [
        { type: 'SRV', priority: 20, weight: 0, port: uas.port, target: 'up.example.test' },
        { type: 'SRV', priority: 10, weight: 0, port: busy.port, target: 'down.example.test' },
      ],
      'up.example.test': [{ type: 'A', address: '127.0.0.1' }],
      'down.example.test': [{ type: 'A', address: '127.0.0.1' }],
    });
    srv.ariadne.sip.stack.dns = dnsServers([`127.0.0.1:${dns.port}`]);
    try {
      const res = await srv.ari('POST', `/channels?endpoint=${encodeURIComponent('PJSIP/trunk/sip:1234@example.test')}&app=dnsapp&channelId=via-srv`);
      assert.equal(res.status, 200);
      await events.next((m) => m.type === 'StasisStart' && (m.channel as { id: string }).id === 'via-srv', 8000);
      assert.equal(busy.invites(), 1, 'the priority 10 target was tried first');
      assert.ok(dns.questions.includes('SRV _sip._udp.example.test'), dns.questions.join(', '));
      assert.ok(dns.questions.includes('NAPTR example.test'), 'NAPTR is asked first');
      assert.equal((await srv.ari('DELETE', '/channels/via-srv')).status, 204);
      const done = await uas.done;
      assert.equal(done.code, 0, done.errors);
    } finally {
      uas.kill();
      busy.close();
      dns.close();
    }
  });

  it('aor contacts (qualify) and outbound registrations follow SRV too', async () => {
    const peer = await startPeer();
    const dns = await startDns({
      'svc.test': [],
      '_sip._udp.svc.test': [{ type: 'SRV', priority: 10, weight: 0, port: peer.port, target: 'box.svc.test' }],
      'box.svc.test': [{ type: 'A', address: '127.0.0.1' }],
    });
    srv.ariadne.sip.stack.dns = dnsServers([`127.0.0.1:${dns.port}`]);
    try {
      const extra = `
[far]
type = aor
contact = sip:far@svc.test
qualify_frequency = 60

[provider]
type = registration
server_uri = sip:svc.test
client_uri = sip:ariadne@svc.test
contact_user = inbound
expiration = 120
max_random_initial_delay = 0
`;
      fs.writeFileSync(path.join(srv.dir, 'etc', 'pjsip.conf'), PJSIP(sipPort) + extra);
      let out = '';
      await srv.ariadne.commands.execute('pjsip reload', (t) => (out += t));
      assert.match(out, /pjsip\.conf reloaded/);
      const end = Date.now() + 8000;
      while (!(peer.methods.includes('OPTIONS') && peer.methods.includes('REGISTER'))) {
        assert.ok(Date.now() < end, `the peer got ${peer.methods.join(', ') || 'nothing'}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      let regs = '';
      for (let i = 0; i < 40 && !/Registered/.test(regs); i++) {
        regs = '';
        await srv.ariadne.commands.execute('pjsip show registrations', (t) => (regs += t));
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.match(regs, /provider\/sip:svc\.test .*Registered/, regs);
    } finally {
      peer.close();
      dns.close();
    }
  });

  it('NAPTR → SRV → A reaches the SIPp UAS', async () => {
    const uas = await startSipp({ scenario: { builtin: 'uas' }, timeoutSec: 15 });
    const dns = await startDns({
      'naptr.test': [{ type: 'NAPTR', order: 10, preference: 10, flags: 's', service: 'SIP+D2U', replacement: '_sip._udp.pool.naptr.test' }],
      '_sip._udp.pool.naptr.test': [{ type: 'SRV', priority: 10, weight: 5, port: uas.port, target: 'box.naptr.test' }],
      'box.naptr.test': [{ type: 'A', address: '127.0.0.1' }],
    });
    srv.ariadne.sip.stack.dns = dnsServers([`127.0.0.1:${dns.port}`]);
    try {
      const res = await srv.ari('POST', `/channels?endpoint=${encodeURIComponent('PJSIP/trunk/sip:1234@naptr.test')}&app=dnsapp&channelId=via-naptr`);
      assert.equal(res.status, 200);
      await events.next((m) => m.type === 'StasisStart' && (m.channel as { id: string }).id === 'via-naptr', 8000);
      assert.ok(!dns.questions.includes('SRV _sip._udp.naptr.test'), 'the NAPTR replacement is used instead of the default SRV name');
      assert.equal((await srv.ari('DELETE', '/channels/via-naptr')).status, 204);
      const done = await uas.done;
      assert.equal(done.code, 0, done.errors);
    } finally {
      uas.kill();
      dns.close();
    }
  });
});
