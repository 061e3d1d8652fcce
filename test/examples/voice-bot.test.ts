/**
 * examples/voice-bot against a real Ariadne, checked by what the caller hears. A caller (`;1` in the test app)
 * reaches the example through `stasis-voice-bot@internal`; the example bridges it with an externalMedia
 * WebSocket channel to its own echo bot. A 700 Hz burst then silence comes back as 700 Hz once the burst has
 * ended, about as long as the burst, and the bot's mark tells it the reply was heard; talking over a long reply
 * (500 Hz) clears the rest of it and the 500 Hz is echoed in turn; either side hanging up ends the other and
 * destroys the bridge; stopping the example hangs up and closes the bot's port.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import voiceBot, { type VoiceBotOptions } from '../../examples/voice-bot/app.ts';
import { goertzelAmplitude } from '../../src/media/dsp/goertzel.ts';
import type { Json } from '../helpers/media-app.ts';
import { about, dial, runExample, startFixture, until, type Fixture, type RunningExample } from './harness.ts';

const APP = 'voice-bot';

/** For each 20 ms frame of `samples`: whether `freq` Hz is clearly in it. */
function frames(samples: Int16Array, freq: number): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) out.push(goertzelAmplitude(samples.subarray(i, i + 160), freq, 8000) > 1000);
  return out;
}

/** Where (ms from the start of `samples`) `freq` is first and last heard, and for how long in all. */
function span(samples: Int16Array, freq: number): { firstMs: number; lastMs: number; totalMs: number } {
  const on = frames(samples, freq);
  const first = on.indexOf(true);
  return { firstMs: first * 20, lastMs: on.lastIndexOf(true) * 20, totalMs: on.filter(Boolean).length * 20 };
}

const line = (ex: RunningExample, text: string | RegExp) => ex.lines.find((l) => (typeof text === 'string' ? l.includes(text) : text.test(l)));

/** A caller talking to the bot: resolves once the example has bridged it with its bot channel. */
async function callBot(f: Fixture, ex: RunningExample): Promise<{ one: string; two: string; media: string }> {
  const { one, two } = await dial(f, 'stasis-voice-bot');
  await until('the call reaches the bot', () => line(ex, `call ${two}: talking to the bot`) !== undefined);
  const media = /talking to the bot \((.+)\)/.exec(line(ex, `call ${two}: talking to the bot`)!)![1]!;
  await until('the bot hears the start', () => line(ex, `bot: call ${media}: started (slin, 8000 Hz)`) !== undefined);
  return { one, two, media };
}

async function play(f: Fixture, channelId: string, id: string, media: string): Promise<void> {
  const r = await f.call('POST', `/channels/${encodeURIComponent(channelId)}/play/${id}?media=${encodeURIComponent(media)}`);
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

test('voice-bot: echoes a burst once it ends, learns from the mark it was heard, clears on barge-in; hangup ends the bot leg', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample(f, voiceBot, APP, {});
  t.after(() => ex.stop());
  const { one, two, media } = await callBot(f, ex);
  const bot = (s: string) => `bot: call ${media}: ${s}`;

  // 600 ms of 700 Hz, then silence: nothing comes back while the caller talks, the burst comes back after it.
  let ear = f.fx.tap(one, 'in');
  const t0 = Date.now();
  await play(f, one, 'burst-1', 'tone:!700/600');
  await until('the reply was heard', () => line(ex, bot('reply 1 heard')) !== undefined, 6000);
  let heard = ear.stop();
  const reply1 = Number(/reply 1: (\d+) ms/.exec(line(ex, bot('reply 1: ')) ?? '')?.[1]);
  assert.ok(reply1 >= 450 && reply1 <= 800, `the bot replied with ${reply1} ms`);
  const echo = span(heard, 700);
  // The tap started before the burst: the reply can't start before the burst (600 ms) and most of the end-of-speech
  // silence (400 ms) have passed.
  assert.ok(echo.firstMs >= 800, `700 Hz first heard at ${echo.firstMs} ms: during the burst`);
  assert.ok(echo.totalMs >= 400 && echo.totalMs <= 900, `700 Hz heard for ${echo.totalMs} ms`);
  assert.ok(Date.now() - t0 >= 1000);

  // Barge-in: a 1.5 s burst comes back; 300 ms into the reply the caller says 500 Hz over it.
  ear = f.fx.tap(one, 'in');
  await play(f, one, 'burst-2', 'tone:!700/1500');
  await until('the second reply starts', () => line(ex, bot('reply 2: ')) !== undefined, 6000);
  await new Promise((r) => setTimeout(r, 300));
  await play(f, one, 'barge', 'tone:!500/500');
  await until('the barge-in', () => line(ex, bot('barge-in: reply 2 cleared')) !== undefined, 3000);
  await until('the cleared mark', () => line(ex, bot('reply-2 dropped unheard')) !== undefined, 3000);
  await until('the barge-in is echoed', () => line(ex, bot('reply 3 heard')) !== undefined, 6000);
  heard = ear.stop();
  assert.equal(line(ex, bot('reply 2 heard')), undefined, 'the cleared reply was never reported heard');
  const cut = span(heard, 700);
  const barge = span(heard, 500);
  assert.ok(cut.totalMs >= 200 && cut.totalMs <= 1100, `700 Hz heard for ${cut.totalMs} ms of a 1500 ms reply`);
  assert.ok(barge.totalMs >= 300, `500 Hz echoed for ${barge.totalMs} ms`);
  assert.ok(barge.firstMs > cut.lastMs, `500 Hz (from ${barge.firstMs} ms) after the cut reply (until ${cut.lastMs} ms)`);

  // The caller hangs up: the bot's channel and the bridge go too.
  const bridgeGone = f.observer.next((m) => m.type === 'BridgeDestroyed' && (m.bridge as Json).name === `voice-bot-${two}`, 3000);
  await f.call('DELETE', `/channels/${encodeURIComponent(one)}`);
  await f.observer.next(about('ChannelDestroyed', media), 3000);
  await bridgeGone;
  await until('the bot sees the hangup', () => line(ex, bot('connection closed')) !== undefined);
  assert.ok(line(ex, `call ${two}: caller hung up`));
});

test('voice-bot: a bot that hangs up ends the call', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  // A bot of the caller's own (botUrl) that says hang up once the call has started.
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  t.after(() => new Promise<void>((r) => wss.close(() => r())));
  wss.on('connection', (ws) =>
    ws.on('message', (data, isBinary) => {
      if (!isBinary && (JSON.parse(String(data)) as Json).event === 'start') setTimeout(() => ws.send(JSON.stringify({ command: 'hangup' })), 200);
    }),
  );
  const ex = await runExample<VoiceBotOptions>(f, voiceBot, APP, { botUrl: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}` });
  t.after(() => ex.stop());
  const { two } = await dial(f, 'stasis-voice-bot');
  await f.observer.next(about('ChannelDestroyed', two), 5000);
  await until('the example notices', () => line(ex, `call ${two}: the bot hung up`) !== undefined);
  assert.equal(line(ex, 'bot listening'), undefined, 'no echo bot is started when botUrl is given');
});

test('voice-bot: stopping the example hangs up, destroys the bridge and stops the bot', async (t) => {
  const f = await startFixture();
  t.after(() => f.stop());
  const ex = await runExample(f, voiceBot, APP, {});
  t.after(() => ex.stop());
  const { two, media } = await callBot(f, ex);
  const url = /bot listening on (\S+)/.exec(line(ex, 'bot listening on') ?? '')?.[1];
  assert.ok(url);
  const bridgeGone = f.observer.next((m) => m.type === 'BridgeDestroyed' && (m.bridge as Json).name === `voice-bot-${two}`, 3000);
  await ex.stop();
  await f.observer.next(about('ChannelDestroyed', two), 3000);
  await f.observer.next(about('ChannelDestroyed', media), 3000);
  await bridgeGone;
  assert.ok(line(ex, 'bot stopped'));
  // The bot's port is closed.
  const refused = await new Promise<string>((resolve) => {
    const ws = new WebSocket(`${url}/call/late`);
    ws.on('open', () => (ws.close(), resolve('open')));
    ws.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  assert.equal(refused, 'ECONNREFUSED');
});
