/**
 * Playbacks on channels over real sockets: `sound:` plays for the file's real duration (PlaybackStarted, then
 * PlaybackFinished `done`), a `tone:` played to a Local `;2` is heard on `;1` (checked by Goertzel on the ;1
 * session's `in` side, tapped through the media port), a missing sound fails at once, DELETE stops, control
 * pauses and unpauses, lists continue, and the 4xx rules (unknown playback, unknown scheme, missing media,
 * channel outside Stasis, duplicate id).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR } from '../helpers/sequences.ts';
import { goertzelAmplitude } from '../../src/media/dsp/goertzel.ts';
import type { MediaNotification } from '../../src/media/engine/protocol.ts';

const DEBIAN_EN = '/usr/share/asterisk/sounds/en';
const HELLO = path.join(DEBIAN_EN, 'hello-world.wav');
const APP = 'play-test';

type Json = Record<string, unknown>;

let srv: TestServer;
let ev: EventClient;

/** Samples / 8000 of a 16-bit mono WAV, from its data chunk. */
function wavDurationMs(file: string): number {
  const buf = fs.readFileSync(file);
  let at = 12;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    if (id === 'data') return ((size / 2) * 1000) / 8000;
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk');
}

before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8') } });
  const sounds = path.join(srv.dir, 'data', 'sounds');
  fs.mkdirSync(sounds, { recursive: true });
  fs.symlinkSync(DEBIAN_EN, path.join(sounds, 'en'));
  ev = await openEvents(srv.base, `api_key=asterisk:asterisk&app=${APP}`);
});
after(async () => {
  await ev.close();
  await srv.stop();
});

async function call(method: string, pathAndQuery: string): Promise<{ status: number; body: Json; headers: Headers }> {
  const res = await srv.ari(method, pathAndQuery);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
}

let seq = 0;
/** A Local pair with both halves in the application; resolves with both ids once both are in. */
async function pair(): Promise<{ one: string; two: string }> {
  const one = `pb-chan-${++seq}`;
  const two = `${one};2`;
  const r = await call('POST', `/channels/${one}?endpoint=Local/stasis-${APP}@internal&app=${APP}`);
  assert.equal(r.status, 200);
  await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === one);
  await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === two);
  return { one, two };
}

const playbackEvent = (type: string, id: string) => (m: Json) => m.type === type && (m.playback as Json | undefined)?.id === id;

describe('channel playbacks', () => {
  it('plays sound:hello-world for the length of the file', async () => {
    const { one } = await pair();
    const t0 = Date.now();
    const r = await call('POST', `/channels/${one}/play/pb-hello?media=sound:hello-world`);
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('location'), '/ari/playbacks/pb-hello');
    assert.deepEqual(r.body, { id: 'pb-hello', media_uri: 'sound:hello-world', target_uri: `channel:${one}`, language: 'en', state: 'queued' });
    const started = await ev.next(playbackEvent('PlaybackStarted', 'pb-hello'));
    assert.equal((started.playback as Json).state, 'playing');
    assert.equal(started.application, APP);
    const got = await call('GET', '/playbacks/pb-hello');
    assert.equal(got.status, 200);
    assert.equal(got.body.state, 'playing');
    const finished = await ev.next(playbackEvent('PlaybackFinished', 'pb-hello'), 5000);
    const elapsed = Date.now() - t0;
    assert.equal((finished.playback as Json).state, 'done');
    const expected = wavDurationMs(HELLO);
    assert.ok(elapsed >= expected - 100 && elapsed <= expected + 1000, `played ${elapsed} ms, file is ${expected} ms`);
    assert.equal((await call('GET', '/playbacks/pb-hello')).status, 404);
    await call('DELETE', `/channels/${one}`);
  });

  it('a tone played to ;2 is heard on ;1 (440 Hz by Goertzel)', async () => {
    const { one, two } = await pair();
    const port = srv.ariadne.media;
    // Media sessions are made on demand; make ;1's (and the link to ;2) before listening to it.
    assert.ok(srv.ariadne.channelMedia.ensure(one));
    const heard: Int16Array[] = [];
    const off = port.onNotification((n: MediaNotification) => {
      if (n.type === 'frame' && n.sessionId === one && n.direction === 'in') heard.push(n.frame.samples.slice());
    });
    port.send({ type: 'tap', sessionId: one, direction: 'in', enabled: true });
    const r = await call('POST', `/channels/${two}/play/pb-tone?media=tone:440`);
    assert.equal(r.status, 201);
    await ev.next(playbackEvent('PlaybackStarted', 'pb-tone'));
    await new Promise((res) => setTimeout(res, 400));
    assert.equal((await call('DELETE', '/playbacks/pb-tone')).status, 204);
    const fin = await ev.next(playbackEvent('PlaybackFinished', 'pb-tone'));
    assert.equal((fin.playback as Json).state, 'stopped');
    port.send({ type: 'tap', sessionId: one, direction: 'in', enabled: false });
    off();
    // Skip the first frames (one Local hop of delay), then look at 200 ms of what ;1 heard.
    const audio = heard.slice(3, 13);
    assert.ok(audio.length >= 10, `only ${heard.length} frames heard`);
    const samples = new Int16Array(audio.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of audio) {
      samples.set(f, at);
      at += f.length;
    }
    const a440 = goertzelAmplitude(samples, 440, 8000);
    const a1000 = goertzelAmplitude(samples, 1000, 8000);
    assert.ok(a440 > 1000, `440 Hz amplitude ${a440}`);
    assert.ok(a440 > 20 * a1000, `440 Hz ${a440} vs 1000 Hz ${a1000}`);
    await call('DELETE', `/channels/${one}`);
  });

  it('a missing sound starts and fails at once', async () => {
    const { one } = await pair();
    const t0 = Date.now();
    const r = await call('POST', `/channels/${one}/play/pb-missing?media=sound:no-such-sound-here`);
    assert.equal(r.status, 201);
    await ev.next(playbackEvent('PlaybackStarted', 'pb-missing'));
    const fin = await ev.next(playbackEvent('PlaybackFinished', 'pb-missing'));
    assert.equal((fin.playback as Json).state, 'failed');
    assert.ok(Date.now() - t0 < 500);
    await call('DELETE', `/channels/${one}`);
  });

  it('pause and unpause; control of an unknown playback is 404, a bad operation 400', async () => {
    const { one } = await pair();
    const r = await call('POST', `/channels/${one}/play/pb-ctl?media=sound:hello-world`);
    assert.equal(r.status, 201);
    await ev.next(playbackEvent('PlaybackStarted', 'pb-ctl'));
    assert.equal((await call('POST', '/playbacks/pb-ctl/control?operation=pause')).status, 204);
    assert.equal((await call('GET', '/playbacks/pb-ctl')).body.state, 'paused');
    // Paused for 1.5 s: longer than the whole file, so it must still be there.
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal((await call('GET', '/playbacks/pb-ctl')).body.state, 'paused');
    assert.equal((await call('POST', '/playbacks/pb-ctl/control?operation=unpause')).status, 204);
    assert.equal((await call('GET', '/playbacks/pb-ctl')).body.state, 'playing');
    const fin = await ev.next(playbackEvent('PlaybackFinished', 'pb-ctl'), 5000);
    assert.equal((fin.playback as Json).state, 'done');
    const bad = await call('POST', '/playbacks/nope/control?operation=pause');
    assert.equal(bad.status, 404);
    assert.deepEqual(bad.body, { message: 'Playback not found' });
    // As Asterisk (playbacks-control-*.json): 400; the wording of a bad operation is the validator's (it names
    // the allowed values), Asterisk says `Invalid operation nonsense`.
    assert.equal((await call('POST', '/playbacks/nope/control?operation=nonsense')).status, 400);
    assert.deepEqual(await call('POST', '/playbacks/nope/control').then((x) => [x.status, x.body]), [400, { message: 'Missing operation' }]);
    await call('DELETE', `/channels/${one}`);
  });

  it('a channel hung up mid-playback still gets PlaybackFinished', async () => {
    const { one } = await pair();
    assert.equal((await call('POST', `/channels/${one}/play/pb-hangup?media=sound:hello-world`)).status, 201);
    await ev.next(playbackEvent('PlaybackStarted', 'pb-hangup'));
    const t0 = Date.now();
    assert.equal((await call('DELETE', `/channels/${one}`)).status, 204);
    const fin = await ev.next(playbackEvent('PlaybackFinished', 'pb-hangup'));
    assert.equal((fin.playback as Json).state, 'done');
    assert.ok(Date.now() - t0 < 500);
    assert.equal((await call('GET', '/playbacks/pb-hangup')).status, 404);
  });

  it('a list of media continues from item to item', async () => {
    const { one } = await pair();
    const r = await call('POST', `/channels/${one}/play/pb-list?media=sound:beep,digits:12`);
    assert.equal(r.status, 201);
    assert.equal(r.body.next_media_uri, 'digits:12');
    await ev.next(playbackEvent('PlaybackStarted', 'pb-list'));
    const cont = await ev.next(playbackEvent('PlaybackContinuing', 'pb-list'), 3000);
    assert.equal((cont.playback as Json).media_uri, 'digits:12');
    const fin = await ev.next(playbackEvent('PlaybackFinished', 'pb-list'), 5000);
    assert.equal((fin.playback as Json).state, 'done');
    await call('DELETE', `/channels/${one}`);
  });

  it('errors: unknown playback, unknown scheme, missing media, not in Stasis, duplicate id', async () => {
    assert.deepEqual(await call('GET', '/playbacks/nope').then((r) => [r.status, r.body]), [404, { message: 'Playback not found' }]);
    assert.equal((await call('DELETE', '/playbacks/nope')).status, 404);
    const { one } = await pair();
    assert.equal((await call('POST', `/channels/${one}/play?media=bogus:abc`)).status, 400);
    assert.equal((await call('POST', `/channels/${one}/play`)).status, 400);
    assert.equal((await call('POST', `/channels/nope/play?media=sound:beep`)).status, 404);
    assert.equal((await call('POST', `/channels/${one}/play/pb-dup?media=tone:ring`)).status, 201);
    assert.equal((await call('POST', `/channels/${one}/play/pb-dup?media=sound:beep`)).status, 409);
    assert.equal((await call('DELETE', '/playbacks/pb-dup')).status, 204);
    await ev.next(playbackEvent('PlaybackFinished', 'pb-dup'));
    // A channel outside Stasis: ;1 of a pair whose ;2 just waits.
    const out = await call('POST', `/channels/pb-outside?endpoint=Local/wait@internal&extension=wait&context=internal`);
    assert.equal(out.status, 200);
    const ns = await call('POST', `/channels/pb-outside/play?media=sound:beep`);
    assert.equal(ns.status, 409);
    await call('DELETE', '/channels/pb-outside');
    await call('DELETE', `/channels/${one}`);
  });
});
