/**
 * The SDK (`client/`) against a real Ariadne over real sockets: connect and feature detection, a Local pair
 * originated into the app with typed StasisStart listeners and body variables, answer, a playback awaited
 * through its handle, per-channel event filtering, a bridge of two channels, 4xx as `AriError` with the
 * server's message, REST over the events WebSocket, and a server restart on the same port that the client
 * survives by itself (it reconnects and its application is registered again without the app doing anything).
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { AriConnectionError, AriError, connect, type Ari, type ChannelHandle, type StasisStart } from '../../client/index.ts';

const DEBIAN_EN = '/usr/share/asterisk/sounds/en';
const EXTENSIONS = `[internal]
exten => _stasis-.,1,Answer()
 same => n,Stasis(\${EXTEN:7})
 same => n,Hangup()
`;
const APP = 'sdk-app';
const CREDS = { username: 'asterisk', password: 'asterisk' };

async function startServer(port?: number): Promise<TestServer> {
  const srv = await startTestServer({
    files: { 'extensions.conf': EXTENSIONS },
    ...(port !== undefined ? { start: { httpPortOverride: port } } : {}),
  });
  const sounds = path.join(srv.dir, 'data', 'sounds');
  fs.mkdirSync(sounds, { recursive: true });
  fs.symlinkSync(DEBIAN_EN, path.join(sounds, 'en'));
  return srv;
}

/** Originates a Local pair into the app through a handle; resolves when both halves are in Stasis. */
async function pair(ari: Ari, app = APP): Promise<{ one: ChannelHandle; two: ChannelHandle }> {
  const one = ari.channel();
  const two = ari.channel(`${one.id};2`);
  const started = Promise.all([one.once('StasisStart', { timeoutMs: 5000 }), two.once('StasisStart', { timeoutMs: 5000 })]);
  await one.originateWithId({ endpoint: `Local/stasis-${app}@internal`, app });
  await started;
  return { one, two };
}

describe('SDK against Ariadne', () => {
  let srv: TestServer;
  let ari: Ari;
  before(async () => {
    srv = await startServer();
    ari = await connect({ url: srv.base, ...CREDS, apps: [APP] });
  });
  after(async () => {
    ari.close();
    await srv.stop();
  });

  it('reads the server version and api-docs at connect and registers the app', async () => {
    assert.equal(ari.version.apiVersion, '10.0.0');
    assert.match(ari.version.asterisk ?? '', /\d+\.\d+/);
    assert.equal(ari.supports('channels', 'originate'), true);
    const app = await ari.applications.get({ applicationName: APP });
    assert.equal(app.name, APP);
  });

  it('originates into the app: typed StasisStart, body variables, answer, a playback awaited on its handle', async () => {
    const starts: StasisStart[] = [];
    const off = ari.on('StasisStart', (e) => {
      starts.push(e);
    });
    const one = ari.channel();
    const started = one.once('StasisStart', { timeoutMs: 5000 });
    const snapshot = await one.originateWithId({ endpoint: `Local/stasis-${APP}@internal`, app: APP, variables: { GREETING: 'hi' } });
    assert.equal(snapshot.id, one.id);
    const start = await started;
    assert.equal(start.channel.id, one.id);
    assert.equal(start.application, APP);
    assert.deepEqual(await one.getChannelVar({ variable: 'GREETING' }), { value: 'hi' });
    await one.answer();
    assert.equal((await one.get()).state, 'Up');

    const playback = ari.playback();
    const began = playback.once('PlaybackStarted', { timeoutMs: 5000 });
    const finished = playback.once('PlaybackFinished', { timeoutMs: 5000 });
    const queued = await one.play({ media: ['digits:1', 'sound:beep'], playbackId: playback.id });
    assert.equal(queued.id, playback.id);
    assert.equal((await began).playback.media_uri, 'digits:1');
    const done = await finished;
    assert.equal(done.playback.state, 'done');
    assert.equal(done.playback.target_uri, `channel:${one.id}`);
    await assert.rejects(playback.get(), (err) => err instanceof AriError && err.status === 404);

    off();
    assert.ok(starts.some((e) => e.channel.id === one.id) && starts.some((e) => e.channel.id === `${one.id};2`));
    const ended = one.once('StasisEnd', { timeoutMs: 5000 });
    await one.hangup();
    await ended;
  });

  it('a channel handle hears only its own channel', async () => {
    const { one, two } = await pair(ari);
    const heardOne: string[] = [];
    const heardTwo: string[] = [];
    one.on('ChannelDtmfReceived', (e) => void heardOne.push(`${e.channel.id}:${e.digit}`));
    two.on('ChannelDtmfReceived', (e) => void heardTwo.push(`${e.channel.id}:${e.digit}`));
    const gotTwo = two.once('ChannelDtmfReceived', { timeoutMs: 5000 });
    const gotOne = one.once('ChannelDtmfReceived', { timeoutMs: 5000 });
    // Digits sent on one half of a Local pair are received by the other half.
    await one.sendDTMF({ dtmf: '4' });
    assert.equal((await gotTwo).digit, '4');
    await two.sendDTMF({ dtmf: '7' });
    assert.equal((await gotOne).digit, '7');
    assert.deepEqual(heardOne, [`${one.id}:7`]);
    assert.deepEqual(heardTwo, [`${two.id}:4`]);
    // Once the channel is gone its registrations are dropped, and a wait on it fails instead of hanging.
    // (The rejection is expected before hanging up: ChannelDestroyed may arrive before the DELETE's answer.)
    const never = assert.rejects(one.once('ChannelDtmfReceived'), (err) => err instanceof AriConnectionError && /ended \(ChannelDestroyed\)/.test(err.message));
    await one.hangup();
    await never;
  });

  it('bridges two channels through a bridge handle', async () => {
    const a = await pair(ari);
    const b = await pair(ari);
    const bridge = ari.bridge();
    const created = await bridge.createWithId({ type: 'mixing', name: 'sdk-bridge' });
    assert.equal(created.id, bridge.id);
    const entered: string[] = [];
    bridge.on('ChannelEnteredBridge', (e) => void entered.push(e.channel?.id ?? ''));
    const both = Promise.all([a.one.once('ChannelEnteredBridge', { timeoutMs: 5000 }), b.one.once('ChannelEnteredBridge', { timeoutMs: 5000 })]);
    await bridge.addChannel({ channel: [a.one.id, b.one.id] });
    await both;
    assert.deepEqual([...entered].sort(), [a.one.id, b.one.id].sort());
    assert.deepEqual([...(await bridge.get()).channels].sort(), [a.one.id, b.one.id].sort());
    const gone = bridge.once('BridgeDestroyed', { timeoutMs: 5000 });
    await bridge.destroy();
    assert.equal((await gone).bridge.id, bridge.id);
    await Promise.all([a.one.hangup(), b.one.hangup()]);
  });

  it('surfaces 4xx answers as AriError with the server message and the operation', async () => {
    const err = await ari.channels.get({ channelId: 'no-such-channel' }).then(
      () => assert.fail('must reject'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof AriError);
    assert.equal(err.status, 404);
    assert.equal(err.message, 'Channel not found');
    assert.equal(err.operation, 'channels.get');
    assert.equal(err.request, 'GET /channels/no-such-channel');
    await assert.rejects(ari.bridges.create({ type: 'no-such-type' as 'mixing' }), (e) => e instanceof AriError && e.status === 400 && e.message.length > 0);
  });

  it('sends calls over the events WebSocket when asked', async () => {
    const wsAri = await connect({ url: srv.base, ...CREDS, apps: ['sdk-ws'], restOverWebSocket: true });
    try {
      for (let i = 0; i < 100 && !wsAri.restOverWebSocket; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(wsAri.restOverWebSocket, true, 'the server answers RESTRequest');
      // With fetch broken, only the WebSocket can carry these calls.
      const realFetch = globalThis.fetch;
      globalThis.fetch = () => Promise.reject(new Error('fetch must not be used'));
      try {
        assert.equal((await wsAri.applications.get({ applicationName: 'sdk-ws' })).name, 'sdk-ws');
        await wsAri.asterisk.setGlobalVar({ variable: 'SDK_WS', value: 'over-ws' });
        assert.deepEqual(await wsAri.asterisk.getGlobalVar({ variable: 'SDK_WS' }), { value: 'over-ws' });
        await assert.rejects(wsAri.channels.get({ channelId: 'nope' }), (e) => e instanceof AriError && e.status === 404 && e.message === 'Channel not found');
      } finally {
        globalThis.fetch = realFetch;
      }
    } finally {
      wsAri.close();
    }
  });
});

describe('SDK across a server restart', () => {
  it('reconnects and re-registers the app by itself, and events flow again', async () => {
    let srv = await startServer();
    const port = srv.port;
    const ari = await connect({ url: srv.base, ...CREDS, apps: ['sdk-restart'], reconnect: { initialDelayMs: 50, maxDelayMs: 400 } });
    try {
      const states: string[] = [];
      ari.onConnection((state) => states.push(state));
      const starts: string[] = [];
      ari.on('StasisStart', (e) => void starts.push(e.channel.id));

      await srv.stop();
      for (let i = 0; i < 100 && !states.includes('reconnecting'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(states.includes('reconnecting'), 'the client noticed the restart');
      srv = await startServer(port);
      for (let i = 0; i < 250 && !states.includes('open'); i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(states.at(-1), 'open', `states: ${states.join(',')}`);

      // The new server knows the application only because the client registered it again.
      const app = await srv.ari('GET', '/applications/sdk-restart');
      assert.equal(app.status, 200);
      const { one } = await pair(ari, 'sdk-restart');
      assert.ok(starts.includes(one.id), 'the listener registered before the restart still hears events');
      await one.hangup();
    } finally {
      ari.close();
      await srv.stop();
    }
  });
});
