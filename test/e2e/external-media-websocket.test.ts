/**
 * External media over WebSocket (`transport=websocket`, `encapsulation=none`, a per-call `ws://` URI): a test
 * WebSocket server on loopback is the voice bot. Checked by content: a tone played to the channel arrives as
 * binary audio (440 Hz), the bot's 1000 Hz is heard through a bridge, an echo bot sends back what it hears,
 * slin16 works at 16 kHz; the JSON control protocol (start, dtmf both ways, marks after the audio before them
 * was played, clear for barge-in, hangup both ways); bad input and an unreachable bot.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { getCodec } from '../../src/media/codecs/registry.ts';
import { ExternalFixture, assertTone, concat, sleep, talk, toneSamples, until, type Json } from './external-media-helpers.ts';

const APP = 'xm-ws';
const ulaw = getCodec('ulaw');

/** One bot connection: audio and events it received, and how to answer. */
class BotCall {
  readonly ws: WebSocket;
  readonly path: string;
  readonly audio: Buffer[] = [];
  readonly events: Json[] = [];
  closed = false;
  echo = false;

  constructor(ws: WebSocket, path: string) {
    this.ws = ws;
    this.path = path;
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        this.audio.push(buf);
        if (this.echo) ws.send(buf);
      } else this.events.push(JSON.parse(buf.toString('utf8')) as Json);
    });
    ws.on('close', () => (this.closed = true));
  }

  command(c: Json): void {
    this.ws.send(JSON.stringify(c));
  }

  event(name: string, pred: (e: Json) => boolean = () => true): Json | undefined {
    return this.events.find((e) => e.event === name && pred(e));
  }

  /** The audio received from now on, decoded with `codec`. */
  since(from: number, codec = ulaw): Int16Array {
    return concat(this.audio.slice(from).map((b) => Int16Array.from(codec.decode(b))));
  }
}

let x: ExternalFixture;
let wss: WebSocketServer;
let wsPort = 0;
const calls: BotCall[] = [];

before(async () => {
  x = await ExternalFixture.start(APP);
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  wsPort = (wss.address() as AddressInfo).port;
  wss.on('connection', (ws, req) => calls.push(new BotCall(ws, req.url ?? '')));
});
after(async () => {
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  await x.stop();
});

/** Creates a WebSocket channel to `/path` and waits for its bot connection and StasisStart. */
async function open(id: string, format = 'ulaw', extra = ''): Promise<{ body: Json; bot: BotCall }> {
  const path = `/bot/${id}`;
  const r = await x.create(`channelId=${id}&transport=websocket&encapsulation=none&format=${format}&external_host=${encodeURIComponent(`ws://127.0.0.1:${wsPort}${path}`)}${extra}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  await x.stasisStart(id);
  const bot = calls.find((c) => c.path === path);
  assert.ok(bot, 'the bot was called');
  await until(() => bot.event('start') !== undefined, 'start event');
  return { body: r.body, bot };
}

describe('externalMedia over WebSocket', () => {
  it('answers with a WebSocket channel, says start, streams a tone to the bot and the bot to a bridge', async () => {
    const id = x.id('ws-a');
    const { body, bot } = await open(id, 'ulaw', '&data=hello');
    assert.match(body.name as string, new RegExp(`^WebSocket/127\\.0\\.0\\.1:${wsPort}/0x[0-9a-f]+$`));
    assert.equal(body.state, 'Down');
    const vars = body.channelvars as Json;
    assert.equal(vars.MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE, '160');
    assert.equal(vars.MEDIA_WEBSOCKET_CONNECTION_ID, `ws://127.0.0.1:${wsPort}/bot/${id}`);
    assert.deepEqual(bot.event('start'), { event: 'start', channel: id, format: 'ulaw', rate: 8000, frame_ms: 20, frame_bytes: 160, data: 'hello' });
    assert.equal((await x.call('GET', `/channels/${id}`)).body.state, 'Up');

    // A tone played to the channel reaches the bot, 160 bytes (20 ms of ulaw) per message.
    assert.equal((await x.call('POST', `/channels/${id}/play/ws-tone-${id}?media=tone:440`)).status, 201);
    await sleep(150);
    const from = bot.audio.length;
    await sleep(400);
    assert.ok(bot.audio.slice(from).every((b) => b.length === 160));
    assertTone(bot.since(from), 440, 1000, 'tone at the bot');
    assert.equal((await x.call('DELETE', `/playbacks/ws-tone-${id}`)).status, 204);

    // The bot's 1000 Hz, sent at real time, is heard by the other side of a bridge.
    const tone = ulaw.encode(toneSamples(1000, 3000));
    const stop = talk((i) => bot.ws.send(tone.subarray(i * 160, (i + 1) * 160)), 3000);
    const { two } = await x.bridgeWithLocal(id);
    await sleep(200);
    assertTone(await x.heard(two), 1000, 440, 'bot heard in the bridge');
    stop();
    await x.call('DELETE', `/channels/${two.replace(';2', ';1')}`);
    await x.call('DELETE', `/channels/${id}`);
  });

  it('an echo bot: what the bridge says comes back from the bot', async () => {
    const id = x.id('ws-echo');
    const { bot } = await open(id);
    bot.echo = true;
    const { two } = await x.bridgeWithLocal(id);
    // Played to ;2, said by ;1 into the bridge, sent to the bot, echoed, heard back on ;2.
    assert.equal((await x.call('POST', `/channels/${encodeURIComponent(two)}/play/ws-echo-${id}?media=tone:440`)).status, 201);
    await sleep(300);
    assertTone(await x.heard(two), 440, 1000, 'echo heard back');
    await x.call('DELETE', `/playbacks/ws-echo-${id}`);
    await x.call('DELETE', `/channels/${id}`);
  });

  it('slin16: 640-byte messages at 16 kHz both ways', async () => {
    const id = x.id('ws-16k');
    const { bot } = await open(id, 'slin16');
    assert.equal(bot.event('start')?.rate, 16000);
    assert.equal(bot.event('start')?.frame_bytes, 640);
    const slin16 = getCodec('slin16');
    assert.equal((await x.call('POST', `/channels/${id}/play/ws-16k-${id}?media=tone:440`)).status, 201);
    await sleep(150);
    const from = bot.audio.length;
    await sleep(400);
    assert.ok(bot.audio.slice(from).every((b) => b.length === 640));
    assertTone(bot.since(from, slin16), 440, 1000, '16 kHz tone at the bot', 16000);
    await x.call('DELETE', `/playbacks/ws-16k-${id}`);
    // Sent all at once (3 s in one message): queued, played at real time.
    bot.ws.send(slin16.encode(toneSamples(1000, 3000, 16000)));
    const { two } = await x.bridgeWithLocal(id);
    await sleep(200);
    assertTone(await x.heard(two), 1000, 440, '16 kHz bot heard in the bridge');
    await x.call('DELETE', `/channels/${id}`);
  });

  it('marks are answered once the audio before them was played; clear drops queued audio', async () => {
    const id = x.id('ws-mark');
    const { bot } = await open(id);
    // One second of audio in one message, then a mark: the mark comes back after about a second.
    const t0 = Date.now();
    bot.ws.send(ulaw.encode(toneSamples(1000, 1000)));
    bot.command({ command: 'mark', name: 'one-second' });
    await until(() => bot.event('mark', (e) => e.name === 'one-second') !== undefined, 'mark one-second', 4000);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 850 && elapsed < 2500, `mark after ${elapsed} ms`);
    assert.equal(bot.event('mark', (e) => e.name === 'one-second')?.cleared, undefined);

    // Ten seconds queued, a mark after them, then barge-in: clear answers the mark at once, marked cleared, and
    // a new mark comes back within a few ticks.
    bot.ws.send(ulaw.encode(toneSamples(1000, 10_000)));
    bot.command({ command: 'mark', name: 'after-ten' });
    await sleep(200);
    const t1 = Date.now();
    bot.command({ command: 'clear' });
    bot.command({ command: 'mark', name: 'after-clear' });
    await until(() => bot.event('mark', (e) => e.name === 'after-clear') !== undefined, 'mark after-clear', 2000);
    assert.ok(Date.now() - t1 < 1000, `after-clear took ${Date.now() - t1} ms`);
    assert.deepEqual(bot.event('mark', (e) => e.name === 'after-ten'), { event: 'mark', name: 'after-ten', cleared: true });
    const order = bot.events.filter((e) => e.event === 'mark').map((e) => e.name);
    assert.deepEqual(order, ['one-second', 'after-ten', 'after-clear']);

    // A bad command gets an error event, the call goes on.
    bot.command({ command: 'dance' });
    bot.ws.send('not json');
    await until(() => bot.events.filter((e) => e.event === 'error').length === 2, 'two error events');
    assert.equal((await x.call('GET', `/channels/${id}`)).status, 200);
    await x.call('DELETE', `/channels/${id}`);
  });

  it('DTMF both ways; DELETE says hangup and closes; the bot hanging up ends the channel', async () => {
    const id = x.id('ws-dtmf');
    const { bot } = await open(id);
    assert.equal((await x.call('POST', `/channels/${id}/dtmf?dtmf=1%23&between=50`)).status, 204);
    await until(() => bot.events.filter((e) => e.event === 'dtmf').length === 2, 'two dtmf events');
    assert.deepEqual(
      bot.events.filter((e) => e.event === 'dtmf').map((e) => e.digit),
      ['1', '#'],
    );
    bot.command({ command: 'dtmf', digit: '7' });
    const dtmf = await x.fx.ev.next((m) => m.type === 'ChannelDtmfReceived' && (m.channel as Json).id === id);
    assert.equal(dtmf.digit, '7');
    assert.equal((await x.call('DELETE', `/channels/${id}`)).status, 204);
    await until(() => bot.closed, 'the bot connection closed');
    assert.equal(bot.event('hangup')?.cause, 16);
    await x.stasisEnd(id);

    const id2 = x.id('ws-bye');
    const second = await open(id2);
    second.bot.command({ command: 'hangup' });
    await x.stasisEnd(id2);
    await until(() => second.bot.closed, 'the bot connection closed');
    assert.equal((await x.call('GET', `/channels/${id2}`)).status, 404);

    const id3 = x.id('ws-close');
    const third = await open(id3);
    third.bot.ws.close();
    await x.stasisEnd(id3);
    assert.equal((await x.call('GET', `/channels/${id3}`)).status, 404);
  });

  it('bad input is 400, an unreachable bot 500, and the server goes on', async () => {
    const url = encodeURIComponent(`ws://127.0.0.1:${wsPort}/bot/bad`);
    let r = await x.call('POST', `/channels/externalMedia?transport=websocket&encapsulation=none&format=ulaw&external_host=${url}`);
    assert.deepEqual([r.status, r.body], [400, { message: 'app cannot be empty' }]);
    r = await x.create(`transport=websocket&format=ulaw&external_host=${url}`);
    assert.deepEqual([r.status, r.body], [400, { message: "encapsulation must be 'none' for websocket transport" }]);
    r = await x.create(`transport=websocket&encapsulation=none&format=ulaw&external_host=127.0.0.1:${wsPort}`);
    assert.deepEqual([r.status, r.body], [400, { message: 'external_host must be a ws:// or wss:// URI for the websocket transport' }]);
    r = await x.create(`transport=websocket&encapsulation=none&external_host=${url}`);
    assert.deepEqual([r.status, r.body], [400, { message: 'format cannot be empty' }]);
    r = await x.create(`transport=websocket&encapsulation=none&format=g729&external_host=${url}`);
    assert.equal(r.status, 400);
    r = await x.create(`transport=websocket&encapsulation=none&format=ulaw&direction=sideways&external_host=${url}`);
    assert.deepEqual([r.status, r.body], [400, { message: 'Invalid direction specified' }]);
    // Nobody listens on the port of a closed server.
    const closed = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((res) => closed.once('listening', () => res()));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((res) => closed.close(() => res()));
    const before = calls.length;
    r = await x.create(`channelId=ws-dead&transport=websocket&encapsulation=none&format=ulaw&external_host=ws://127.0.0.1:${deadPort}/`);
    assert.equal(r.status, 500);
    assert.match(r.body.message as string, /^Failed to connect to WebSocket server ws:\/\/127\.0\.0\.1:\d+\/: ECONNREFUSED$/);
    assert.equal((await x.call('GET', '/channels/ws-dead')).status, 404);
    assert.equal(calls.length, before);
    assert.equal((await x.call('GET', '/asterisk/info')).status, 200);
  });
});
