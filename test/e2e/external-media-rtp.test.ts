/**
 * External media over RTP (`encapsulation=rtp`, `transport=udp`, a UnicastRTP channel): a UDP socket on
 * loopback is the peer. Checked: the answer names the channel `UnicastRTP/<host:port>-0x…` and gives
 * UNICASTRTP_LOCAL_ADDRESS/PORT in `channelvars` (with the request's variables); a tone played to the channel
 * arrives as RTP (PCMU or PCMA, 160 bytes every 20 ms, 440 Hz by Goertzel); the peer's 1000 Hz is heard through a
 * bridge; RFC 4733 DTMF both ways; DELETE frees the port; bad input (Asterisk's messages).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { getCodec } from '../../src/media/codecs/registry.ts';
import { parseRtp, serializeRtp } from '../../src/media/rtp/packet.ts';
import { ExternalFixture, assertTone, concat, sleep, talk, toneSamples, until, type Json } from './external-media-helpers.ts';

const APP = 'xm-rtp';

/** A UDP peer: the RTP packets it received. */
class Peer {
  readonly socket = dgram.createSocket('udp4');
  readonly packets: { payloadType: number; marker: boolean; payload: Buffer; seq: number; ts: number }[] = [];
  from: { address: string; port: number } | undefined;

  async open(): Promise<number> {
    this.socket.on('message', (msg, rinfo) => {
      const p = parseRtp(msg);
      if (typeof p === 'string' || (p.payloadType >= 72 && p.payloadType <= 76)) return; // RTCP
      this.from = { address: rinfo.address, port: rinfo.port };
      this.packets.push({ payloadType: p.payloadType, marker: p.marker, payload: Buffer.from(p.payload), seq: p.sequenceNumber, ts: p.timestamp });
    });
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.socket.close(() => r()));
  }
}

let x: ExternalFixture;
const peers: Peer[] = [];

before(async () => {
  x = await ExternalFixture.start(APP);
});
after(async () => {
  for (const p of peers) await p.close().catch(() => undefined);
  await x.stop();
});

async function peer(): Promise<{ peer: Peer; port: number }> {
  const p = new Peer();
  peers.push(p);
  return { peer: p, port: await p.open() };
}

describe('externalMedia over RTP', () => {
  it('answers with a UnicastRTP channel and where to send, and carries audio both ways', async () => {
    const { peer: p, port } = await peer();
    const id = x.id('rtp-a');
    const r = await x.call(
      'POST',
      `/channels/externalMedia?app=${APP}&channelId=${id}&external_host=127.0.0.1:${port}&format=ulaw`,
    );
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.name as string, new RegExp(`^UnicastRTP/127\\.0\\.0\\.1:${port}-0x[0-9a-f]+$`));
    const vars = r.body.channelvars as Json;
    assert.equal(vars.UNICASTRTP_LOCAL_ADDRESS, '127.0.0.1');
    const localPort = Number(vars.UNICASTRTP_LOCAL_PORT);
    assert.ok(localPort > 0 && localPort % 2 === 0, `local port ${localPort}`);
    await x.stasisStart(id);

    // A tone played to the channel: PCMU packets of 160 bytes, from the advertised port, 440 Hz.
    assert.equal((await x.call('POST', `/channels/${id}/play/rtp-tone-${id}?media=tone:440`)).status, 201);
    await sleep(150);
    const from = p.packets.length;
    await sleep(400);
    const got = p.packets.slice(from);
    assert.ok(got.length >= 10, `${got.length} packets`);
    assert.ok(got.every((q) => q.payloadType === 0 && q.payload.length === 160));
    assert.deepEqual(p.from, { address: '127.0.0.1', port: localPort });
    const ulaw = getCodec('ulaw');
    assertTone(concat(got.map((q) => Int16Array.from(ulaw.decode(q.payload)))), 440, 1000, 'tone at the peer');
    await x.call('DELETE', `/playbacks/rtp-tone-${id}`);

    // The peer's 1000 Hz, at real time, heard through a bridge.
    const tone = ulaw.encode(toneSamples(1000, 3000));
    const ssrc = 0x1234abcd;
    const stop = talk((i) => {
      const packet = serializeRtp({ marker: i === 0, payloadType: 0, sequenceNumber: 1000 + i, timestamp: 160 * i, ssrc }, tone.subarray(i * 160, (i + 1) * 160));
      p.socket.send(packet, localPort, '127.0.0.1');
    }, 3000);
    const { two } = await x.bridgeWithLocal(id);
    await sleep(200);
    assertTone(await x.heard(two), 1000, 440, 'peer heard in the bridge');
    stop();

    // DTMF out as RFC 4733 events (payload type 101).
    const before = p.packets.length;
    assert.equal((await x.call('POST', `/channels/${id}/dtmf?dtmf=5`)).status, 204);
    await until(() => p.packets.slice(before).some((q) => q.payloadType === 101 && (q.payload[1]! & 0x80) !== 0), 'an end-of-event packet');
    assert.equal(p.packets.slice(before).find((q) => q.payloadType === 101)!.payload[0], 5);

    // DTMF in: a digit 3 event, begin to end.
    const ts = 160 * 200;
    for (let k = 0; k < 6; k++) {
      const end = k >= 3;
      const payload = Buffer.from([3, (end ? 0x80 : 0) | 10, 0, 0]);
      payload.writeUInt16BE(Math.min(k + 1, 4) * 160, 2);
      p.socket.send(serializeRtp({ marker: k === 0, payloadType: 101, sequenceNumber: 2000 + k, timestamp: ts, ssrc }, payload), localPort, '127.0.0.1');
      await sleep(20);
    }
    const dtmf = await x.fx.ev.next((m) => m.type === 'ChannelDtmfReceived' && (m.channel as Json).id === id);
    assert.equal(dtmf.digit, '3');

    // Hanging up frees the port.
    assert.equal((await x.call('DELETE', `/channels/${id}`)).status, 204);
    await x.stasisEnd(id);
    await sleep(50);
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((res, rej) => {
      probe.once('error', rej);
      probe.bind(localPort, '127.0.0.1', () => res());
    });
    probe.close();
  });

  it('alaw, and the request body: variables set on the channel and reported in channelvars', async () => {
    const { peer: p, port } = await peer();
    const id = x.id('rtp-b');
    const res = await x.fx.srv.ari('POST', `/channels/externalMedia?app=${APP}&channelId=${id}`, {
      body: { external_host: `127.0.0.1:${port}`, format: 'alaw', variables: { GREETING: 'hi', 'CALLERID(num)': '555' } },
    });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 200, JSON.stringify(body));
    const vars = body.channelvars as Json;
    assert.equal(vars.GREETING, 'hi');
    assert.ok(vars.UNICASTRTP_LOCAL_PORT);
    assert.equal((body.caller as Json).number, '555');
    await x.stasisStart(id);
    await until(() => p.packets.length >= 3, 'packets at the peer');
    assert.ok(p.packets.every((q) => q.payloadType === 8 && q.payload.length === 160));
    // Silence in A-law, not µ-law.
    assert.equal(p.packets[2]!.payload[0], 0xd5);
    assert.equal((await x.call('DELETE', `/channels/${id}`)).status, 204);
  });

  it("bad input gets Asterisk's 400s; a taken channel id 409", async () => {
    let r = await x.call('POST', '/channels/externalMedia?external_host=127.0.0.1:4000&format=ulaw');
    assert.deepEqual([r.status, r.body], [400, { message: 'app cannot be empty' }]);
    r = await x.create('format=ulaw');
    assert.deepEqual([r.status, r.body], [400, { message: 'external_host is required for all but websocket server connections' }]);
    r = await x.create('external_host=127.0.0.1&format=ulaw');
    assert.deepEqual([r.status, r.body], [400, { message: 'external_host must be <host>:<port> for all transports other than websocket' }]);
    r = await x.create('external_host=127.0.0.1:4000');
    assert.deepEqual([r.status, r.body], [400, { message: 'format cannot be empty' }]);
    r = await x.create('external_host=127.0.0.1:4000&format=ulaw&transport=tcp');
    assert.deepEqual([r.status, r.body], [400, { message: "transport must be 'udp' for rtp encapsulation" }]);
    r = await x.create('external_host=127.0.0.1:4000&format=ulaw&connection_type=server');
    assert.deepEqual([r.status, r.body], [400, { message: "'server' connection_type can only be used with the websocket transport" }]);
    r = await x.create('external_host=127.0.0.1:4000&format=ulaw&encapsulation=none');
    assert.deepEqual([r.status, r.body], [400, { message: 'The encapsulation and/or transport is not supported' }]);
    r = await x.create('external_host=127.0.0.1:4000&format=slin16');
    assert.deepEqual([r.status, r.body], [400, { message: "format 'slin16' is not supported for rtp encapsulation (use ulaw or alaw)" }]);
    r = await x.create('external_host=127.0.0.1:4000&format=ulaw&encapsulation=sctp');
    assert.equal(r.status, 400);
    const id = x.id('rtp-dup');
    const { port } = await peer();
    assert.equal((await x.create(`channelId=${id}&external_host=127.0.0.1:${port}&format=ulaw`)).status, 200);
    r = await x.create(`channelId=${id}&external_host=127.0.0.1:${port}&format=ulaw`);
    assert.deepEqual([r.status, r.body], [409, { message: 'Channel with given unique ID already exists' }]);
    assert.equal((await x.call('DELETE', `/channels/${id}`)).status, 204);
  });
});
