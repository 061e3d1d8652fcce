/**
 * Playbacks on channels over real sockets: `sound:` plays for the file's real duration (PlaybackStarted, then
 * PlaybackFinished `done`), a `tone:` played to a Local `;2` is heard on `;1` (checked by Goertzel on the ;1
 * session's `in` side, tapped through the media port), a missing sound fails at once, DELETE stops, control
 * pauses and unpauses, lists continue, a corrupt WAV fails while a truncated one plays what it has, and the
 * 4xx rules (unknown playback, unknown scheme, missing media, channel outside Stasis, duplicate id, control of a
 * queued playback).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEBIAN_EN, MediaApp, level, playbackEvent, sleep, type Json } from '../helpers/media-app.ts';
import { buildWavHeader } from '../../src/media/wav/wav.ts';
import { sine } from '../../src/media/engine/test-audio.ts';

const HELLO = path.join(DEBIAN_EN, 'hello-world.wav');
const APP = 'play-test';

let fx: MediaApp;
let ev: MediaApp['ev'];

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
  fx = await MediaApp.start(APP);
  ev = fx.ev;
});
after(() => fx.stop());

const call = (method: string, pathAndQuery: string) => fx.call(method, pathAndQuery);
const pair = () => fx.pair('pb-chan');

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
    const r = await call('POST', `/channels/${two}/play/pb-tone?media=tone:440`);
    assert.equal(r.status, 201);
    await ev.next(playbackEvent('PlaybackStarted', 'pb-tone'));
    // 200 ms of what ;1 hears while the tone plays (the tap skips the frames already under way).
    const samples = await fx.listen(one, 'in', 260);
    assert.equal((await call('DELETE', '/playbacks/pb-tone')).status, 204);
    const fin = await ev.next(playbackEvent('PlaybackFinished', 'pb-tone'));
    assert.equal((fin.playback as Json).state, 'stopped');
    const a440 = level(samples, 440);
    const a1000 = level(samples, 1000);
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
    await sleep(1500);
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

  it('control of a playback still queued behind another is 409', async () => {
    const { one } = await pair();
    assert.equal((await call('POST', `/channels/${one}/play/pb-first?media=tone:ring`)).status, 201);
    const queued = await call('POST', `/channels/${one}/play/pb-queued?media=sound:beep`);
    assert.equal(queued.status, 201);
    await ev.next(playbackEvent('PlaybackStarted', 'pb-first'));
    assert.equal((await call('GET', '/playbacks/pb-queued')).body.state, 'queued');
    for (const operation of ['pause', 'unpause', 'restart', 'reverse', 'forward']) {
      const r = await call('POST', `/playbacks/pb-queued/control?operation=${operation}`);
      assert.deepEqual([r.status, r.body], [409, { message: 'Playback not in a valid state for this operation' }], operation);
    }
    assert.equal((await call('DELETE', '/playbacks/pb-first')).status, 204);
    const fin = await ev.next(playbackEvent('PlaybackFinished', 'pb-queued'), 5000);
    assert.equal((fin.playback as Json).state, 'done');
    await call('DELETE', `/channels/${one}`);
  });

  it('a corrupt WAV in the sounds dir fails the playback, and the server goes on serving', async () => {
    // Language `zz` (sounds/en is Debian's, read-only): a file of garbage, and one whose data chunk was cut.
    const zz = path.join(fx.srv.dir, 'data', 'sounds', 'zz');
    fs.mkdirSync(zz, { recursive: true });
    fs.writeFileSync(path.join(zz, 'corrupt.wav'), Buffer.concat([Buffer.from('RIFX\x00\x00garbage!'), Buffer.alloc(500, 0x5a)]));
    const tone = sine(1000, 400, 8000);
    const pcm = Buffer.from(tone.buffer, tone.byteOffset, tone.byteLength);
    // The header says 1 s of audio; 400 ms are there.
    fs.writeFileSync(path.join(zz, 'truncated.wav'), Buffer.concat([buildWavHeader({ encoding: 'pcm16', sampleRate: 8000, dataLength: 16000 }).header, pcm]));

    const { one, two } = await pair();
    const t0 = Date.now();
    assert.equal((await call('POST', `/channels/${one}/play/pb-corrupt?media=sound:corrupt&lang=zz`)).status, 201);
    const fin = await ev.next(playbackEvent('PlaybackFinished', 'pb-corrupt'));
    assert.equal((fin.playback as Json).state, 'failed');
    assert.ok(Date.now() - t0 < 1000, 'fails promptly');
    assert.equal((await call('GET', '/asterisk/ping')).status, 200);

    // The truncated one plays what it has: the tone, for 400 ms, and then it is done.
    const ear = fx.tap(one, 'in');
    assert.equal((await call('POST', `/channels/${encodeURIComponent(two)}/play/pb-cut?media=sound:truncated&lang=zz`)).status, 201);
    const started = await ev.next(playbackEvent('PlaybackStarted', 'pb-cut'));
    assert.ok(started);
    const t1 = Date.now();
    const done = await ev.next(playbackEvent('PlaybackFinished', 'pb-cut'), 3000);
    const playedMs = Date.now() - t1;
    await sleep(100);
    const heard = ear.stop();
    assert.equal((done.playback as Json).state, 'done');
    assert.ok(playedMs >= 250 && playedMs < 800, `played ${playedMs} ms of a 400 ms file`);
    let toneSamples = 0;
    for (let at = 0; at + 160 <= heard.length; at += 160) if (level(heard.subarray(at, at + 160), 1000) > 2000) toneSamples += 160;
    const toneMs = toneSamples / 8;
    assert.ok(toneMs >= 300 && toneMs <= 500, `heard ${toneMs} ms of 1 kHz`);

    // The channel still plays a good file afterwards.
    assert.equal((await call('POST', `/channels/${one}/play/pb-after?media=sound:beep`)).status, 201);
    assert.equal(((await ev.next(playbackEvent('PlaybackFinished', 'pb-after'), 3000)).playback as Json).state, 'done');
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
