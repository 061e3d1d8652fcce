/**
 * The official `ari-client` package's documented way of working with media, against Ariadne unchanged:
 * `client.on('StasisStart')` hands over Channel instances, `channel.answer()`, `client.Playback()` +
 * `channel.play({ media }, playback)` with `playback.on('PlaybackFinished')`, `client.Bridge()` +
 * `bridge.create({ type: 'mixing' })` + `bridge.addChannel({ channel })`, `bridge.play(...)`, `bridge.destroy()`.
 * Our scenarios, not the package's examples. Audio is checked by content: the test taps the far halves of the
 * Local channels through the server's media port (`MediaApp`).
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ariClient from 'ari-client';
import { MediaApp, level, type Json } from '../helpers/media-app.ts';

const APP = 'acm';

interface Emitter {
  on(event: string, cb: (...args: unknown[]) => void): void;
  once(event: string, cb: (...args: unknown[]) => void): void;
}
interface Channel extends Emitter {
  id: string;
  name: string;
  answer(): Promise<void>;
  hangup(): Promise<void>;
  play(opts: { media: string }, playback: Playback): Promise<Playback>;
}
interface Playback extends Emitter {
  id: string;
  stop(): Promise<void>;
}
interface Bridge extends Emitter {
  id: string;
  create(opts: { type: string }): Promise<Bridge>;
  addChannel(opts: { channel: string | string[] }): Promise<void>;
  play(opts: { media: string }, playback: Playback): Promise<Playback>;
  destroy(): Promise<void>;
}
interface Client extends Emitter {
  start(apps: string | string[]): Promise<void>;
  stop(): void;
  Playback(): Playback;
  Bridge(): Bridge;
  channels: { originate(opts: Record<string, unknown>): Promise<Channel> };
  applications: { list(): Promise<{ name: string }[]> };
}

let media: MediaApp;
let client: Client;
/** Channels by id as ari-client handed them over in StasisStart. */
const started = new Map<string, Channel>();
const waiters: { id: string; resolve: (c: Channel) => void }[] = [];

before(async () => {
  // The tap needs the server; the application itself is ari-client's, so MediaApp's own socket uses another name.
  media = await MediaApp.start(`${APP}-observer`);
  client = (await (ariClient as unknown as { connect(u: string, user: string, pass: string): Promise<Client> }).connect(
    media.srv.base,
    'asterisk',
    'asterisk',
  )) as Client;
  client.on('StasisStart', (_event, ...rest) => {
    const channel = rest[0] as Channel;
    started.set(channel.id, channel);
    for (const w of waiters.filter((x) => x.id === channel.id)) w.resolve(channel);
  });
  await client.start(APP);
  for (let i = 0; i < 50 && !(await client.applications.list()).some((a) => a.name === APP); i++) await new Promise((r) => setTimeout(r, 20));
});
after(async () => {
  client.stop();
  await media.stop();
});

function stasisStart(id: string, ms = 5000): Promise<Channel> {
  const known = started.get(id);
  if (known) return Promise.resolve(known);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no StasisStart for ${id}`)), ms);
    waiters.push({ id, resolve: (c) => (clearTimeout(timer), resolve(c)) });
  });
}

function once<T extends unknown[]>(emitter: Emitter, event: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

let seq = 0;
/** Originates a Local pair into the application through ari-client; both halves answered, as instances. */
async function pair(): Promise<{ one: Channel; two: Channel }> {
  const id = `acm-${++seq}`;
  const originated = await client.channels.originate({ endpoint: `Local/stasis-${APP}@internal`, app: APP, channelId: id, otherChannelId: `${id};2` });
  assert.equal(originated.id, id);
  const [one, two] = await Promise.all([stasisStart(id), stasisStart(`${id};2`)]);
  assert.equal(typeof one.answer, 'function', 'StasisStart carries a Channel instance');
  await one.answer();
  return { one, two };
}

test('channel.play with client.Playback(): the far side hears the tone; PlaybackStarted and PlaybackFinished on the instance', async () => {
  const { one, two } = await pair();
  const playback = client.Playback();
  const playing = once<[Json, Playback]>(playback, 'PlaybackStarted');
  const ear = media.tap(one.id, 'in');
  const returned = await two.play({ media: 'tone:440' }, playback);
  assert.equal(returned.id, playback.id, 'the playback keeps the id ari-client chose');
  const [startedEvent] = await playing;
  assert.equal((startedEvent.playback as Json).target_uri, `channel:${two.id}`);
  await new Promise((r) => setTimeout(r, 400));
  const finished = once<[Json, Playback]>(playback, 'PlaybackFinished');
  await playback.stop();
  const [done] = await finished;
  assert.equal((done.playback as Json).state, 'stopped');
  const heard = ear.stop();
  assert.ok(heard.length >= 8000 * 0.2, `heard ${heard.length} samples`);
  assert.ok(level(heard, 440) > 1000, `440 Hz level ${level(heard, 440)}`);
  assert.ok(level(heard, 1000) < 200, 'and not some other tone');
  await one.hangup();
});

test('client.Bridge(): two channels added to a mixing bridge hear each other; bridge.play is heard by both', async () => {
  const a = await pair();
  const b = await pair();
  const bridge = client.Bridge();
  await bridge.create({ type: 'mixing' });
  const entered = once<[Json]>(bridge, 'ChannelEnteredBridge');
  await bridge.addChannel({ channel: [a.one.id, b.one.id] });
  await entered;

  // What A's far side says (a tone played to a.two is said by a.one into the bridge) reaches B's far side.
  const talk = client.Playback();
  const earB = media.tap(b.two.id, 'in');
  await a.two.play({ media: 'tone:700' }, talk);
  await new Promise((r) => setTimeout(r, 400));
  await talk.stop();
  const heardB = earB.stop();
  assert.ok(level(heardB, 700) > 500, `B hears A: 700 Hz level ${level(heardB, 700)}`);

  // A bridge playback is heard on both sides.
  const announce = client.Playback();
  const earA = media.tap(a.two.id, 'in');
  const earB2 = media.tap(b.two.id, 'in');
  const done = once<[Json]>(announce, 'PlaybackFinished', 8000);
  await bridge.play({ media: 'digits:1' }, announce);
  const [finished] = await done;
  assert.equal((finished.playback as Json).target_uri, `bridge:${bridge.id}`);
  assert.equal((finished.playback as Json).state, 'done');
  for (const [name, ear] of [['A', earA], ['B', earB2]] as const) {
    const heard = ear.stop();
    let sum = 0;
    for (const s of heard) sum += s * s;
    const rms = Math.sqrt(sum / Math.max(1, heard.length));
    assert.ok(rms > 300, `${name} heard the announcement (rms ${rms.toFixed(0)})`);
  }

  const destroyed = once<[Json]>(bridge, 'BridgeDestroyed');
  await bridge.destroy();
  await destroyed;
  await a.one.hangup();
  await b.one.hangup();
});
