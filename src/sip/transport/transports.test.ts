import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { createRequest, serializeMessage, type SipMessage } from '../message/message.ts';
import { createResponse } from '../message/helpers.ts';
import { pjsipFromText } from '../test-config.ts';
import { formatTraffic, type SipSource } from './transport.ts';
import { SipTransports, type TransportsOptions } from './transports.ts';

function request(via: string): Buffer {
  return serializeMessage(createRequest('OPTIONS', 'sip:127.0.0.1', [
    ['Via', `${via};branch=z9hG4bK1`], ['From', '<sip:a@127.0.0.1>;tag=1'], ['To', '<sip:127.0.0.1>'], ['Call-ID', 'x'], ['CSeq', '1 OPTIONS'],
  ]));
}

const opened: SipTransports[] = [];
async function open(text: string, options: Partial<TransportsOptions> = {}) {
  const got: Array<[SipMessage, SipSource]> = [];
  const t = await SipTransports.open(pjsipFromText(text, { ephemeralPorts: true }), { onMessage: (m, s) => got.push([m, s]), ...options });
  opened.push(t);
  return { t, got };
}

function until<T>(check: () => T | undefined, ms = 2000): Promise<T> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = check();
      if (v !== undefined) resolve(v);
      else if (Date.now() > end) reject(new Error('timed out'));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

after(async () => {
  await Promise.all(opened.map((t) => t.close()));
});

describe('SipTransports', () => {
  it('UDP over IPv4 and IPv6: delivers with the source, answers from the bound port, 400 for a readable bad request', async () => {
    const { t, got } = await open('[u4]\ntype=transport\nprotocol=udp\nbind=127.0.0.1\n\n[u6]\ntype=transport\nprotocol=udp\nbind=[::1]\n');
    const [u4, u6] = t.list;
    assert.ok(u4 && u6);
    for (const [family, host, local] of [['udp4', '127.0.0.1', u4.local], ['udp6', '::1', u6.local]] as const) {
      const client = dgram.createSocket(family);
      await new Promise<void>((r) => client.bind(0, host, r));
      const replies: Array<[Buffer, dgram.RemoteInfo]> = [];
      client.on('message', (b, rinfo) => replies.push([b, rinfo]));
      client.send(request(`SIP/2.0/UDP ${host.includes(':') ? `[${host}]` : host}:${client.address().port}`), local.port, host);
      const [msg, source] = await until(() => got.shift());
      assert.equal(msg.type, 'request');
      assert.deepEqual({ ...source, local: undefined }, { transport: 'udp', address: host, port: client.address().port, local: undefined, transportId: family === 'udp4' ? 'u4' : 'u6' });
      assert.ok(msg.type === 'request');
      await t.send(createResponse(msg, 200), { transport: 'UDP', host, port: client.address().port });
      const [, rinfo] = await until(() => replies.shift());
      assert.equal(rinfo.port, local.port, 'symmetric: sent from the bound socket');
      client.send(Buffer.from(`OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP ${host.includes(':') ? `[${host}]` : host}:1;branch=z9hG4bK2\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: y\r\nCSeq: 1 OPTIONS\r\nContent-Length: 99\r\n\r\n`), local.port, host);
      const [bad] = await until(() => replies.shift());
      assert.match(bad.toString(), /^SIP\/2\.0 400 Bad Request\r\n/);
      client.close();
    }
    assert.equal(got.length, 0, 'the bad request was not delivered');
  });

  it('TCP: framing across chunks, connection reuse for the answer, CRLF keep-alive pong, fatal framing error closes', async () => {
    const { t, got } = await open('[t]\ntype=transport\nprotocol=tcp\nbind=127.0.0.1\n');
    const port = t.list[0]?.local.port ?? 0;
    const sock = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    let received = '';
    sock.on('data', (d) => (received += d.toString()));
    const bytes = request(`SIP/2.0/TCP 127.0.0.1:${sock.localPort}`);
    sock.write(bytes.subarray(0, 40));
    sock.write(bytes.subarray(40));
    const [msg, source] = await until(() => got.shift());
    assert.equal(source.transport, 'tcp');
    assert.ok(source.connectionId);
    assert.ok(msg.type === 'request');
    // The answer goes to the Via port (a listener that does not exist) yet arrives on our connection.
    await t.send(createResponse(msg, 200), { transport: 'TCP', host: '127.0.0.1', port: sock.localPort ?? 0, connection: source.connectionId });
    await until(() => (received.includes('SIP/2.0 200 OK') ? true : undefined));
    received = '';
    sock.write('\r\n\r\n');
    await until(() => (received === '\r\n' ? true : undefined));
    const closed = new Promise<void>((r) => sock.once('close', () => r()));
    sock.write('OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/TCP 1.2.3.4\r\n\r\n'); // no Content-Length on a stream
    await closed;
  });

  it('TCP: max connections refuses the one too many; idle connections close', async () => {
    const capped = await open('[t]\ntype=transport\nprotocol=tcp\nbind=127.0.0.1\n', { idleMs: 10_000, maxConnections: 1 });
    const port = capped.t.list[0]?.local.port ?? 0;
    const first = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => first.once('connect', () => r()));
    let firstClosed = false;
    first.once('close', () => (firstClosed = true));
    const second = net.connect(port, '127.0.0.1');
    second.on('error', () => undefined);
    await new Promise<void>((r) => second.once('close', () => r()));
    assert.equal(firstClosed, false, 'the first connection stays');
    first.destroy();

    const idle = await open('[t]\ntype=transport\nprotocol=tcp\nbind=127.0.0.1\n', { idleMs: 150 });
    const sock = net.connect(idle.t.list[0]?.local.port ?? 0, '127.0.0.1');
    const started = Date.now();
    await new Promise<void>((r) => sock.once('close', () => r()));
    assert.ok(Date.now() - started >= 100, 'not before the idle time');
  });

  it('Via sent-by: external address outside local_net, bound address inside it and for loopback', async () => {
    const { t } = await open('[u]\ntype=transport\nprotocol=udp\nbind=0.0.0.0\nexternal_signaling_address=203.0.113.5\nexternal_signaling_port=5999\nlocal_net=10.0.0.0/8\n');
    assert.deepEqual(t.sentBy({ transport: 'UDP', host: '198.51.100.7', port: 5060 }), { transport: 'UDP', host: '203.0.113.5', port: 5999 });
    const inside = t.sentBy({ transport: 'UDP', host: '10.1.2.3', port: 5060 });
    assert.notEqual(inside.host, '203.0.113.5');
    assert.equal(inside.port, t.list[0]?.local.port);
    assert.equal(t.sentBy({ transport: 'UDP', host: '127.0.0.1', port: 5060 }).host, '127.0.0.1');
  });

  it('pjsip logger text matches Asterisk', () => {
    const bytes = Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n');
    assert.equal(formatTraffic({ direction: 'in', transport: 'udp', address: '::1', port: 5060, bytes }), `<--- Received SIP request (${bytes.length} bytes) from UDP:[::1]:5060 --->\n${bytes.toString()}\n`);
    const res = Buffer.from('SIP/2.0 200 OK\r\n\r\n');
    assert.equal(formatTraffic({ direction: 'out', transport: 'tls', address: '10.0.0.1', port: 5061, bytes: res }), `<--- Transmitting SIP response (${res.length} bytes) to TLS:10.0.0.1:5061 --->\n${res.toString()}\n`);
  });
});
