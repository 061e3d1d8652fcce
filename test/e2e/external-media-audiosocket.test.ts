/**
 * External media over AudioSocket (`encapsulation=audiosocket`, `transport=tcp`): a test TCP server on loopback
 * is the AudioSocket service. Checked: the id message carries the request's UUID first; a tone played to the
 * channel arrives as 320-byte slin messages (440 Hz by Goertzel); the service's 1000 Hz is heard through a
 * bridge; DTMF messages both ways; hangup both ways (DELETE → hangup message and close; the service's hangup
 * message or close → StasisEnd); bad input; an unreachable service is a 500 and leaves no channel.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { getCodec } from '../../src/media/codecs/registry.ts';
import { KIND_DTMF, KIND_HANGUP, KIND_ID, KIND_SLIN, MessageReader, encodeMessage } from '../../src/media/external/audiosocket.ts';
import { ExternalFixture, assertTone, concat, sleep, talk, toneSamples, until, type Json } from './external-media-helpers.ts';

const APP = 'xm-as';
const slin = getCodec('slin');

/** One connection to the test service and what it received. */
class ServiceCall {
  readonly socket: net.Socket;
  readonly messages: { kind: number; payload: Buffer }[] = [];
  closed = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
    const reader = new MessageReader();
    socket.on('data', (chunk: Buffer) => this.messages.push(...reader.push(chunk)));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  get uuid(): string | undefined {
    const m = this.messages.find((x) => x.kind === KIND_ID);
    return m?.payload.toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
  }

  audioCount(): number {
    return this.messages.filter((m) => m.kind === KIND_SLIN).length;
  }

  audioSince(from: number): { samples: Int16Array; sizes: number[] } {
    const audio = this.messages.filter((m) => m.kind === KIND_SLIN).slice(from);
    return { samples: concat(audio.map((m) => Int16Array.from(slin.decode(m.payload)))), sizes: audio.map((m) => m.payload.length) };
  }
}

let x: ExternalFixture;
let server: net.Server;
let port = 0;
const calls: ServiceCall[] = [];

before(async () => {
  x = await ExternalFixture.start(APP);
  server = net.createServer((s) => calls.push(new ServiceCall(s)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  for (const c of calls) c.socket.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await x.stop();
});

const uuid = (n: number): string => `7b0f1c2e-4d5a-4e6b-8c7d-${n.toString(16).padStart(12, '0')}`;

async function open(id: string, n: number): Promise<{ body: Json; call: ServiceCall; start: Json }> {
  const before = calls.length;
  const r = await x.create(`channelId=${id}&encapsulation=audiosocket&transport=tcp&format=slin&external_host=127.0.0.1:${port}&data=${uuid(n)}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const start = await x.stasisStart(id);
  await until(() => calls.length > before, 'the service connection');
  return { body: r.body, call: calls[calls.length - 1]!, start };
}

describe('externalMedia over AudioSocket', () => {
  it('sends the UUID first, streams slin both ways and hangs up with a hangup message', async () => {
    const id = x.id('as-a');
    const { body, call, start } = await open(id, 1);
    assert.equal(body.name, `AudioSocket/127.0.0.1:${port}-${uuid(1)}`);
    assert.deepEqual(body.channelvars, { AUDIOSOCKET_UUID: uuid(1), AUDIOSOCKET_SERVICE: `127.0.0.1:${port}` });
    // Asterisk hands `data` to the application as its argument.
    assert.deepEqual(start.args, [uuid(1)]);
    await until(() => call.messages.length > 0, 'a first message');
    assert.equal(call.messages[0]!.kind, KIND_ID);
    assert.equal(call.uuid, uuid(1));

    assert.equal((await x.call('POST', `/channels/${id}/play/as-tone-${id}?media=tone:440`)).status, 201);
    await sleep(150);
    const from = call.audioCount();
    await sleep(400);
    const got = call.audioSince(from);
    assert.ok(got.sizes.length >= 10 && got.sizes.every((n) => n === 320), `sizes ${got.sizes.join(',')}`);
    assertTone(got.samples, 440, 1000, 'tone at the service');
    await x.call('DELETE', `/playbacks/as-tone-${id}`);

    // The service's 1000 Hz, 20 ms per message at real time, heard through a bridge.
    const tone = slin.encode(toneSamples(1000, 3000));
    const stop = talk((i) => call.socket.write(encodeMessage(KIND_SLIN, tone.subarray(i * 320, (i + 1) * 320))), 3000);
    const { two } = await x.bridgeWithLocal(id);
    await sleep(200);
    assertTone(await x.heard(two), 1000, 440, 'service heard in the bridge');
    stop();

    // DTMF both ways.
    assert.equal((await x.call('POST', `/channels/${id}/dtmf?dtmf=42&between=50`)).status, 204);
    await until(() => call.messages.filter((m) => m.kind === KIND_DTMF).length === 2, 'two DTMF messages');
    assert.deepEqual(
      call.messages.filter((m) => m.kind === KIND_DTMF).map((m) => m.payload.toString('latin1')),
      ['4', '2'],
    );
    call.socket.write(encodeMessage(KIND_DTMF, Buffer.from('9')));
    const dtmf = await x.fx.ev.next((m) => m.type === 'ChannelDtmfReceived' && (m.channel as Json).id === id);
    assert.equal(dtmf.digit, '9');

    // DELETE: a hangup message, then the connection closes.
    assert.equal((await x.call('DELETE', `/channels/${id}`)).status, 204);
    await until(() => call.closed, 'the connection closed');
    assert.equal(call.messages[call.messages.length - 1]!.kind, KIND_HANGUP);
    await x.stasisEnd(id);
  });

  it("the service's hangup message, or its closing the connection, ends the channel", async () => {
    const id = x.id('as-bye');
    const a = await open(id, 2);
    a.call.socket.write(encodeMessage(KIND_HANGUP));
    await x.stasisEnd(id);
    const destroyed = await x.fx.ev.next((m) => m.type === 'ChannelDestroyed' && (m.channel as Json).id === id);
    assert.equal(destroyed.cause, 16);
    await until(() => a.call.closed, 'our side closed');

    const id2 = x.id('as-close');
    const b = await open(id2, 3);
    b.call.socket.end();
    await x.stasisEnd(id2);
    assert.equal((await x.call('GET', `/channels/${id2}`)).status, 404);
  });

  it('bad input is 400, an unreachable service 500, and the server goes on', async () => {
    const ok = `encapsulation=audiosocket&transport=tcp&format=slin&external_host=127.0.0.1:${port}`;
    let r = await x.create(ok);
    assert.deepEqual([r.status, r.body], [400, { message: 'data can not be empty' }]);
    r = await x.create(`${ok}&data=not-a-uuid`);
    assert.deepEqual([r.status, r.body], [400, { message: 'data must be a UUID for audiosocket encapsulation' }]);
    r = await x.create(`encapsulation=audiosocket&transport=udp&format=slin&external_host=127.0.0.1:${port}&data=${uuid(9)}`);
    assert.deepEqual([r.status, r.body], [400, { message: "transport must be 'tcp' for audiosocket encapsulation" }]);
    r = await x.create(`encapsulation=audiosocket&transport=tcp&format=slin&external_host=localhost&data=${uuid(9)}`);
    assert.deepEqual([r.status, r.body], [400, { message: 'external_host must be <host>:<port> for all transports other than websocket' }]);
    r = await x.create(`encapsulation=audiosocket&transport=tcp&format=ulaw&external_host=127.0.0.1:${port}&data=${uuid(9)}`);
    assert.equal(r.status, 400);
    assert.match(r.body.message as string, /format 'ulaw' is not supported for audiosocket/);
    const before = calls.length;
    // A port nobody listens on: that of a server just closed.
    const dead = net.createServer();
    await new Promise<void>((res) => dead.listen(0, '127.0.0.1', () => res()));
    const deadPort = (dead.address() as AddressInfo).port;
    await new Promise<void>((res) => dead.close(() => res()));
    r = await x.create(`channelId=as-dead&encapsulation=audiosocket&transport=tcp&format=slin&external_host=127.0.0.1:${deadPort}&data=${uuid(9)}`);
    assert.deepEqual([r.status, r.body], [500, { message: `Failed to connect to AudioSocket server 127.0.0.1:${deadPort}: ECONNREFUSED` }]);
    assert.equal((await x.call('GET', '/channels/as-dead')).status, 404);
    assert.equal(x.fx.ev.messages.some((m) => (m.channel as Json | undefined)?.id === 'as-dead'), false);
    assert.equal(calls.length, before);
    assert.equal((await x.call('GET', '/asterisk/info')).status, 200);
  });
});
