/**
 * The SIP stack over loopback with real peers: a `SipStack` started from a written pjsip.conf (no Ariadne
 * server), SIPp registering with digest auth and unregistering, OPTIONS over UDP and TCP, a malformed UDP
 * request answered 400 while the stack keeps working, REGISTER over TLS with a self-signed certificate (a
 * node:tls client: Debian's SIPp has no TLS), and qualify of a SIPp UAS marking its contact Reachable.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { loadPjsipConf } from '../../src/config/pjsip.ts';
import { createTestLogger } from '../../src/shared/logger.ts';
import { answerChallenge, DigestClientState } from '../../src/sip/auth/digest.ts';
import { StreamFramer } from '../../src/sip/message/framer.ts';
import { createRequest, serializeMessage, type SipMessage, type SipRequest, type SipResponse } from '../../src/sip/message/message.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';
import { SipStack, type ContactStatusEvent } from '../../src/sip/stack.ts';
import type { ContactChange } from '../../src/sip/registrar/registrar.ts';
import { freePort, runSipp, startSipp, type SippRun } from '../helpers/sipp.ts';

function waitFor<T>(what: string, check: () => T | undefined, ms = 8000): Promise<T> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = check();
      if (v !== undefined) resolve(v);
      else if (Date.now() - started > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 25);
    };
    tick();
  });
}

/** One UDP request/response exchange from a throwaway socket. */
function udpExchange(port: number, bytes: Buffer | string, ms = 2000): Promise<SipMessage | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, ms);
    s.on('message', (buf) => {
      clearTimeout(timer);
      s.close();
      resolve(parseMessage(buf));
    });
    s.bind(0, '127.0.0.1', () => s.send(bytes, port, '127.0.0.1'));
  });
}

function options(via: string): SipRequest {
  return createRequest('OPTIONS', 'sip:127.0.0.1', [
    ['Via', `${via};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`],
    ['From', '<sip:probe@127.0.0.1>;tag=p1'],
    ['To', '<sip:127.0.0.1>'],
    ['Call-ID', `opt-${Math.random()}`],
    ['CSeq', '1 OPTIONS'],
    ['Max-Forwards', '70'],
  ]);
}

describe('SIP stack with SIPp', { timeout: 60_000 }, () => {
  let dir: string;
  let stack: SipStack;
  let udpPort: number;
  let tcpPort: number;
  let tlsPort: number;
  let uas: SippRun;
  const changes: Array<[string, string, ContactChange]> = [];
  const statuses: ContactStatusEvent[] = [];
  const traffic: string[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-sip-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    udpPort = await freePort('udp');
    tcpPort = await freePort('tcp');
    tlsPort = await freePort('tcp');
    // The qualify target runs first, so the stack's first OPTIONS finds it.
    uas = await startSipp({ scenario: 'options-uas.xml', timeoutSec: 20 });
    fs.writeFileSync(path.join(dir, 'pjsip.conf'), `
[udp]
type=transport
protocol=udp
bind=127.0.0.1:${udpPort}

[tcp]
type=transport
protocol=tcp
bind=127.0.0.1:${tcpPort}

[tls]
type=transport
protocol=tls
bind=127.0.0.1:${tlsPort}
cert_file=${path.join(dir, 'cert.pem')}
priv_key_file=${path.join(dir, 'key.pem')}

[alice]
type=endpoint
context=default
aors=alice
auth=alice

[alice]
type=auth
auth_type=userpass
username=alice
password=wonderland

[alice]
type=aor
max_contacts=3

[peer]
type=endpoint
aors=peer

[peer]
type=aor
contact=sip:127.0.0.1:${uas.port}
qualify_frequency=2
qualify_timeout=1.5
`);
    const loaded = loadPjsipConf(dir);
    stack = await SipStack.start({
      config: loaded.value,
      logger: createTestLogger(),
      onContactChange: (aor, b, change) => changes.push([aor, b.uri, change]),
      onContactStatus: (e) => statuses.push(e),
      onTraffic: (text) => traffic.push(text),
    });
    stack.logging = true;
  });

  after(async () => {
    uas?.kill();
    await stack?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('SIPp registers to an AOR with digest auth, then unregisters with Expires 0', async () => {
    const reg = await runSipp({ scenario: 'register-auth.xml', remote: `127.0.0.1:${udpPort}`, service: 'alice', auth: { user: 'alice', password: 'wonderland' }, vars: { expires: '120' } });
    assert.equal(reg.code, 0, `sipp failed: ${reg.errors}${reg.stderr}`);
    const [binding] = stack.registrar.bindings('alice');
    assert.ok(binding);
    assert.equal(binding.uri, `sip:alice@127.0.0.1:${reg.port};transport=UDP`);
    assert.equal(binding.userAgent, 'SIPp');
    assert.ok(Math.abs(binding.expiresAt - Date.now() - 120_000) < 5000);
    assert.deepEqual(changes.at(-1), ['alice', binding.uri, 'created']);

    const unreg = await runSipp({ scenario: 'register-auth.xml', remote: `127.0.0.1:${udpPort}`, port: reg.port, service: 'alice', auth: { user: 'alice', password: 'wonderland' }, vars: { expires: '0' } });
    assert.equal(unreg.code, 0, `sipp failed: ${unreg.errors}${unreg.stderr}`);
    assert.equal(stack.registrar.bindings('alice').length, 0);
    assert.deepEqual(changes.at(-1), ['alice', binding.uri, 'removed']);
  });

  it('a wrong password is challenged again and never registers', async () => {
    const bad = await runSipp({ scenario: 'register-auth.xml', remote: `127.0.0.1:${udpPort}`, service: 'alice', auth: { user: 'alice', password: 'nope' }, vars: { expires: '60' }, timeoutSec: 4 });
    assert.notEqual(bad.code, 0);
    assert.equal(stack.registrar.bindings('alice').length, 0);
  });

  it('OPTIONS is answered 200 over UDP and over TCP (SIPp checks Allow, Accept, Supported)', async () => {
    const udp = await runSipp({ scenario: 'options.xml', remote: `127.0.0.1:${udpPort}` });
    assert.equal(udp.code, 0, `sipp failed: ${udp.errors}${udp.stderr}`);
    const tcp = await runSipp({ scenario: 'options.xml', remote: `127.0.0.1:${tcpPort}`, transport: 't1' });
    assert.equal(tcp.code, 0, `sipp failed: ${tcp.errors}${tcp.stderr}`);
    assert.ok(traffic.some((t) => t.startsWith(`<--- Received SIP request (`) && t.includes(`from TCP:127.0.0.1:`) && t.includes('OPTIONS sip:')));
    assert.ok(traffic.some((t) => /^<--- Transmitting SIP response \(\d+ bytes\) to TCP:127\.0\.0\.1:\d+ --->\nSIP\/2\.0 200 OK/.test(t)));
  });

  it('a malformed UDP request gets 400, garbage is dropped, and the stack keeps answering', async () => {
    // Content-Length claims more bytes than the datagram holds: the headers are readable, the message is not.
    const broken = `INVITE sip:bob@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKbroken;rport\r\nFrom: <sip:x@127.0.0.1>;tag=1\r\nTo: <sip:bob@127.0.0.1>\r\nCall-ID: broken-1\r\nCSeq: 1 INVITE\r\nContent-Length: 500\r\n\r\nv=0\r\n`;
    const res = await udpExchange(udpPort, broken);
    assert.ok(res?.type === 'response', 'a 400 came back');
    assert.equal(res.status, 400);
    assert.equal(await udpExchange(udpPort, Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x10, 0x20, 0x30]), 500), undefined);
    const ok = await udpExchange(udpPort, serializeMessage(options('SIP/2.0/UDP 127.0.0.1:9')));
    assert.ok(ok?.type === 'response');
    assert.equal(ok.status, 200);
  });

  it('REGISTER over TLS with a self-signed certificate: 401, then 200 with the binding', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port: tlsPort, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
    const framer = new StreamFramer();
    const responses: SipResponse[] = [];
    socket.on('data', (chunk: Buffer) => {
      for (const ev of framer.push(chunk)) if (ev.type === 'message' && ev.message.type === 'response') responses.push(ev.message);
    });
    const local = `127.0.0.1:${socket.localPort ?? 0}`;
    const register = createRequest('REGISTER', `sips:127.0.0.1:${tlsPort}`, [
      ['Via', `SIP/2.0/TLS ${local};branch=z9hG4bKtls1;rport`],
      ['From', '<sips:alice@127.0.0.1>;tag=t1'],
      ['To', '<sips:alice@127.0.0.1>'],
      ['Call-ID', 'tls-call-1'],
      ['CSeq', '1 REGISTER'],
      ['Contact', `<sips:alice@${local};transport=tls>`],
      ['Expires', '300'],
      ['Max-Forwards', '70'],
    ]);
    socket.write(serializeMessage(register));
    const challenge = await waitFor('401 over TLS', () => responses.shift());
    assert.equal(challenge.status, 401);
    const auth = stack.config.auth.get('alice');
    assert.ok(auth);
    const retry = answerChallenge(register, challenge, { auths: [auth], defaultAlgorithms: ['MD5'], state: new DigestClientState() });
    assert.ok(retry);
    socket.write(serializeMessage(retry));
    const ok = await waitFor('200 over TLS', () => responses.shift());
    assert.equal(ok.status, 200);
    assert.ok(ok.headers.lines('Contact').some((c) => c.startsWith(`<sips:alice@${local};transport=tls>`) && c.endsWith(';expires=300')), ok.headers.lines('Contact').join(' | '));
    const binding = stack.registrar.bindings('alice').find((b) => b.uri.startsWith('sips:'));
    assert.equal(binding?.source?.transport, 'TLS');
    socket.destroy();
  });

  it('qualify sends OPTIONS to a SIPp UAS and marks its contact Reachable with an RTT', async () => {
    const reachable = await waitFor('Reachable', () => statuses.find((s) => s.aor === 'peer' && s.status === 'Reachable'), 10_000);
    assert.equal(reachable.uri, `sip:127.0.0.1:${uas.port}`);
    assert.ok(reachable.rttUs !== undefined && reachable.rttUs > 0 && reachable.rttUs < 1_500_000);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp UAS failed: ${done.errors}`);
  });
});
