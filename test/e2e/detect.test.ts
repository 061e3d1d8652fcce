/**
 * Detection and the other per-channel audio features over real sockets, checked by content and by events.
 * The channel under test is the `;2` half (T) of a Local pair in the application: what T says is what is played
 * to `;1`, what T hears is what is played to T.
 *
 * - TALK_DETECT(set) through ARI's channel variable: a 600 ms burst gives ChannelTalkingStarted, then
 *   ChannelTalkingFinished with `duration` close to 600.
 * - TONE_DETECT with `r`: 1000 Hz that T hears (tx) or 440 Hz that it says do not fire; 1000 Hz that it says
 *   does, and `${TONE_DETECT(rx)}` counts it.
 * - In-band DTMF (DTMF_DETECT(set)): DTMF tones that T says become ChannelDtmfReceived with their durations.
 * - `POST /channels/{id}/dtmf`: before, between, duration and after as seen by the far side.
 * - Mute in / out: a tone from the far side or a playback is not heard while muted, and is again after unmute.
 * - Echo(): a tone sent to a channel running Echo() comes back; `#` ends it.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Direction } from '../../src/media/engine/protocol.ts';
import { MediaApp, level, playbackEvent, sleep, type Json } from '../helpers/media-app.ts';

const APP = 'detect-test';
const EXTRA_DIALPLAN = `
[detect-test]
exten => echo,1,Answer()
 same => n,Echo()
 same => n,Set(ECHO_DONE=yes)
 same => n,Wait(1)
 same => n,Hangup()
`;

let fx: MediaApp;
let ev: MediaApp['ev'];

before(async () => {
  fx = await MediaApp.start(APP, EXTRA_DIALPLAN);
  ev = fx.ev;
});
after(() => fx.stop());

const call = (method: string, pathAndQuery: string) => fx.call(method, pathAndQuery);
const pair = () => fx.pair('det-chan');
const listen = (sessionId: string, direction: Direction, ms = 300) => fx.listen(sessionId, direction, ms);
const about = (id: string, type: string) => (msg: Json) => msg.type === type && (msg.channel as Json | undefined)?.id === id;
const count = (id: string, type: string) => ev.messages.filter(about(id, type)).length;

async function setVar(channel: string, variable: string, value = ''): Promise<void> {
  const r = await call('POST', `/channels/${channel}/variable?variable=${encodeURIComponent(variable)}&value=${encodeURIComponent(value)}`);
  assert.equal(r.status, 204, JSON.stringify(r.body));
}

async function play(channel: string, media: string): Promise<string> {
  const r = await call('POST', `/channels/${channel}/play?media=${encodeURIComponent(media)}`);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

describe('detection', () => {
  it('TALK_DETECT(set): talking started, then finished with the burst length', async () => {
    const { one, two, t } = await pair();
    await setVar(t, 'TALK_DETECT(set)', '300');
    await play(one, 'tone:!440/600');
    await ev.next(about(two, 'ChannelTalkingStarted'));
    const fin = await ev.next(about(two, 'ChannelTalkingFinished'), 4000);
    assert.ok(Math.abs((fin.duration as number) - 600) <= 150, `duration ${String(fin.duration)}`);
    assert.equal(count(two, 'ChannelTalkingStarted'), 1);
    await setVar(t, 'TALK_DETECT(remove)');
    await play(one, 'tone:!440/300');
    await sleep(500);
    assert.equal(count(two, 'ChannelTalkingStarted'), 1, 'removed: no more events');
    await call('DELETE', `/channels/${one}`);
  });

  it('TONE_DETECT: only its frequency, only in the direction asked for, only once it lasted, counted', async () => {
    const { one, two, t } = await pair();
    await setVar(t, 'TONE_DETECT(1000,300,r)');
    // Waits are on events, not on the clock: a loaded machine runs the media late and then catches up.
    const finished = (id: string) => ev.next(playbackEvent('PlaybackFinished', id), 5000);
    const heardByT = await play(two, 'tone:!1000/500'); // heard by T (tx): not listened to
    const wrongFreq = await play(one, 'tone:!440/500'); // said by T, wrong frequency
    const tooShort = await play(one, 'tone:!1000/200'); // said by T, shorter than 300 ms (queued after the 440)
    await finished(heardByT);
    await finished(wrongFreq);
    await finished(tooShort);
    assert.equal(count(two, 'ChannelToneDetected'), 0);
    const long = await play(one, 'tone:!1000/500');
    await ev.next(about(two, 'ChannelToneDetected'));
    await finished(long);
    // Events arrive in order: had any earlier tone been detected, there would be two by now.
    assert.equal(count(two, 'ChannelToneDetected'), 1);
    assert.deepEqual((await call('GET', `/channels/${t}/variable?variable=${encodeURIComponent('TONE_DETECT(rx)')}`)).body, { value: '1' });
    assert.deepEqual((await call('GET', `/channels/${t}/variable?variable=${encodeURIComponent('TONE_DETECT(tx)')}`)).body, { value: '0' });
    await call('DELETE', `/channels/${one}`);
  });

  it('in-band DTMF (DTMF_DETECT): digits said as tones become ChannelDtmfReceived with their durations', async () => {
    const { one, two, t } = await pair();
    await setVar(t, 'DTMF_DETECT(set)');
    // 5 (770+1336), # (941+1477), 120 ms each with 100 ms gaps.
    await play(one, 'tone:!770+1336/120,tone:!0/100,tone:!941+1477/120,tone:!0/100');
    const first = await ev.next(about(two, 'ChannelDtmfReceived'));
    await ev.next((m) => about(two, 'ChannelDtmfReceived')(m) && m.digit === '#');
    const got = ev.messages.filter(about(two, 'ChannelDtmfReceived'));
    assert.deepEqual(
      got.map((m) => m.digit),
      ['5', '#'],
    );
    assert.equal(first.digit, '5');
    for (const m of got) assert.ok(Math.abs((m.duration_ms as number) - 120) <= 30, `duration ${String(m.duration_ms)}`);
    await call('DELETE', `/channels/${one}`);
  });

  it('POST /dtmf: the far side gets each digit with its duration, paced by before, between and after', async () => {
    const { one, two, t } = await pair();
    const t0 = Date.now();
    assert.equal((await call('POST', `/channels/${t}/dtmf?dtmf=4w2&before=300&between=200&duration=250&after=400`)).status, 204);
    // A variable set right after is queued behind the whole stream, `after` included.
    const setAfter = setVar(t, 'AFTER_DTMF', 'yes').then(() => Date.now() - t0);
    const d4 = await ev.next((m) => about(one, 'ChannelDtmfReceived')(m) && m.digit === '4');
    const at4 = Date.now() - t0;
    const d2 = await ev.next((m) => about(one, 'ChannelDtmfReceived')(m) && m.digit === '2');
    const at2 = Date.now() - t0;
    assert.equal(d4.duration_ms, 250);
    assert.equal(d2.duration_ms, 250);
    assert.ok(at4 >= 380, `first digit after 'before' and the quiet time (${at4} ms)`);
    // 4 (250 ms), between (200), w (500), then 2
    assert.ok(at2 - at4 >= 900, `second digit after duration + between + w (${at2 - at4} ms)`);
    // 2 (250 ms), between (200), after (400)
    const done = await setAfter;
    assert.ok(done - at2 >= 800, `the stream holds the channel until after 'after' (${done - at2} ms)`);
    assert.equal(count(two, 'ChannelDtmfReceived'), 0, 'the sender does not receive them');
    const short = await call('POST', `/channels/${t}/dtmf?dtmf=7&duration=20`);
    assert.equal(short.status, 204);
    const d7 = await ev.next((m) => about(one, 'ChannelDtmfReceived')(m) && m.digit === '7');
    assert.equal(d7.duration_ms, 100, 'a digit lasts at least 100 ms');
    await call('DELETE', `/channels/${one}`);
  });
});

describe('mute', () => {
  it('in: what the far side says is not heard; out: what is played is not heard; unmute restores', async () => {
    const { one, two, t } = await pair();
    await play(one, 'tone:440'); // T says 440
    await play(two, 'tone:1000'); // T hears 1000
    let said = await listen(two, 'in');
    assert.ok(level(said, 440) > 3000);
    assert.equal((await call('POST', `/channels/${t}/mute?direction=in`)).status, 204);
    said = await listen(two, 'in');
    assert.ok(level(said, 440) < 50, `muted in: 440 Hz ${level(said, 440)}`);
    let heard = await listen(one, 'in');
    assert.ok(level(heard, 1000) > 3000, 'out is not muted: the far side still hears the playback');
    assert.equal((await call('POST', `/channels/${t}/mute?direction=out`)).status, 204);
    heard = await listen(one, 'in');
    assert.ok(level(heard, 1000) < 50, `muted out: 1000 Hz ${level(heard, 1000)}`);
    assert.equal((await call('DELETE', `/channels/${t}/mute`)).status, 204);
    said = await listen(two, 'in');
    heard = await listen(one, 'in');
    assert.ok(level(said, 440) > 3000 && level(heard, 1000) > 3000, 'unmuted both');
    assert.equal((await call('POST', `/channels/${t}/mute?direction=sideways`)).status, 400);
    await call('DELETE', `/channels/${one}`);
  });
});

describe('Echo()', () => {
  it('sends back what the caller says; # ends it and the dialplan goes on', async () => {
    const one = 'echo-caller';
    assert.equal((await call('POST', `/channels/${one}?endpoint=Local/echo@detect-test&app=${APP}`)).status, 200);
    await ev.next(about(one, 'StasisStart'));
    await sleep(100);
    await play(one, 'tone:440'); // ;1 hears 440, so ;2 (in Echo) says it
    const back = await listen(one, 'in');
    assert.ok(level(back, 440) > 3000, `echoed 440 Hz ${level(back, 440)}`);
    assert.equal((await call('POST', `/channels/${one}/dtmf?dtmf=%23`)).status, 204);
    const echoed = await ev.next((m) => about(one, 'ChannelDtmfReceived')(m) && m.digit === '#');
    assert.ok(echoed);
    await sleep(150);
    const after = await listen(one, 'in', 200);
    assert.ok(level(after, 440) < 50, 'Echo() has ended');
    const done = await call('GET', `/channels/${encodeURIComponent(`${one};2`)}/variable?variable=ECHO_DONE`);
    assert.deepEqual(done.body, { value: 'yes' }, 'the dialplan went on after Echo()');
    await call('DELETE', `/channels/${one}`);
  });
});
