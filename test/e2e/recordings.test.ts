/**
 * Recordings over real sockets, checked by what the files hold: a tone played into a Local `;2` and recorded on
 * `;1` gives a WAV with that tone for the time recorded; a bridge recording holds what was played into the
 * bridge; maxDurationSeconds, maxSilenceSeconds and terminateOn end recordings; stored recordings are listed,
 * read, served, copied and deleted; a stored recording plays back with `recording:`; the 4xx rules; and a
 * `kill -9` of a real ariadne process mid-recording leaves a WAV whose header matches its audio.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { makeConfigTree, openEvents, type EventClient } from '../helpers/ariadne.ts';
import { REFERENCE_DIR } from '../helpers/sequences.ts';
import { MediaApp, sleep, type Json } from '../helpers/media-app.ts';
import { goertzelAmplitude, rms } from '../../src/media/dsp/goertzel.ts';
import { buildWavHeader, parseWavHeader, readWav } from '../../src/media/wav/wav.ts';
import { PROJECT_ROOT } from '../../src/server.ts';

const APP = 'rec-test';
/** Where `Record()` writes with an absolute path. */
const ABS_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-record-abs-'));
// The reference dialplan, and Record() then Stasis() so that the test can read what Record() set.
const EXTENSIONS = `${fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8')}
[record-app]
exten => silence,1,Answer()
 same => n,Record(dp-rec/msg.wav,1,5,q)
 same => n,Stasis(${'rec-test'})
exten => dtmf,1,Answer()
 same => n,Record(dp-rec/dtmf-%d.sln,0,0,q)
 same => n,Stasis(${'rec-test'})
exten => beep,1,Answer()
 same => n,Record(${ABS_DIR}/beep-rec.alaw,0,1)
 same => n,Stasis(${'rec-test'})
`;

let fx: MediaApp;
let srv: MediaApp['srv'];
let ev: EventClient;
let recDir: string;

before(async () => {
  fx = await MediaApp.start(APP, { extensions: EXTENSIONS });
  srv = fx.srv;
  ev = fx.ev;
  recDir = path.join(srv.dir, 'spool', 'recording');
});
after(async () => {
  await fx.stop();
  fs.rmSync(ABS_DIR, { recursive: true, force: true });
});

const call = (method: string, pathAndQuery: string) => fx.call(method, pathAndQuery);

let seq = 0;
/** A Local pair with both halves in the application (of this server, or of the one `events` and `ari` reach). */
async function pair(events?: EventClient, ari?: (m: string, p: string) => Promise<{ status: number }>): Promise<{ one: string; two: string }> {
  if (!events || !ari) return fx.pair('rec-chan');
  const one = `rec-chan-x${++seq}`;
  const two = `${one};2`;
  const r = await ari('POST', `/channels/${one}?endpoint=Local/stasis-${APP}@internal&app=${APP}`);
  assert.equal(r.status, 200);
  await events.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === one, 5000);
  await events.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === two, 5000);
  return { one, two };
}

const recordingEvent = (type: string, name: string) => (m: Json) => m.type === type && (m.recording as Json | undefined)?.name === name;

/** The samples of a WAV file (8 or 16 kHz). */
function wav(file: string) {
  return readWav(fs.readFileSync(file));
}

/** Starts listening to what a channel receives (its session's `in` side); `stop()` returns the audio heard. */
const listen = (channelId: string) => fx.tap(channelId, 'in');

/** Amplitude of `hz` in the middle of the samples (away from the edges where the tone starts and stops). */
function toneIn(samples: Int16Array, rate: number, hz: number): number {
  const cut = Math.floor(samples.length / 5);
  return goertzelAmplitude(samples, hz, rate, cut, samples.length - cut);
}

describe('channel recordings', () => {
  it('records a tone played into ;2 on ;1: the WAV holds 440 Hz for the time recorded', async () => {
    const { one, two } = await pair();
    const r = await call('POST', `/channels/${one}/record?name=tone-rec&format=wav`);
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('location'), '/ari/recordings/live/tone-rec');
    assert.deepEqual(r.body, { name: 'tone-rec', format: 'wav', state: 'queued', target_uri: `channel:${one}` });
    const started = await ev.next(recordingEvent('RecordingStarted', 'tone-rec'));
    const t0 = Date.now();
    assert.deepEqual(started.recording, { name: 'tone-rec', format: 'wav', state: 'recording', target_uri: `channel:${one}` });
    assert.equal(started.application, APP);
    assert.equal((await call('POST', `/channels/${two}/play/rec-tone?media=tone:440`)).status, 201);
    await sleep(1200);
    const live = await call('GET', '/recordings/live/tone-rec');
    assert.equal(live.status, 200);
    assert.equal(live.body.state, 'recording');
    assert.equal((await call('POST', '/recordings/live/tone-rec/stop')).status, 204);
    const elapsed = Date.now() - t0;
    const fin = await ev.next(recordingEvent('RecordingFinished', 'tone-rec'));
    assert.equal((fin.recording as Json).state, 'done');
    assert.equal((fin.recording as Json).duration, Math.round(elapsed / 1000));
    assert.equal((fin.recording as Json).talking_duration, undefined, 'only with maxSilenceSeconds');
    assert.equal((await call('GET', '/recordings/live/tone-rec')).status, 404);
    await call('DELETE', '/playbacks/rec-tone');

    const audio = wav(path.join(recDir, 'tone-rec.wav'));
    assert.equal(audio.sampleRate, 8000);
    const ms = (audio.sampleCount * 1000) / 8000;
    assert.ok(Math.abs(ms - elapsed) < 250, `file has ${ms} ms, recorded for ${elapsed} ms`);
    const a440 = toneIn(audio.samples, 8000, 440);
    assert.ok(a440 > 1000, `440 Hz amplitude ${a440}`);
    assert.ok(a440 > 20 * toneIn(audio.samples, 8000, 1000));
    await call('DELETE', `/channels/${one}`);
  });

  it('maxDurationSeconds=1 cuts the recording at exactly one second (wav16 at 16 kHz)', async () => {
    const { one, two } = await pair();
    assert.equal((await call('POST', `/channels/${two}/play/rec-tone-max?media=tone:600`)).status, 201);
    const r = await call('POST', `/channels/${one}/record?name=max-rec&format=wav16&maxDurationSeconds=1`);
    assert.equal(r.status, 201);
    const t0 = Date.now();
    const fin = await ev.next(recordingEvent('RecordingFinished', 'max-rec'), 4000);
    const took = Date.now() - t0;
    assert.ok(took >= 850 && took < 2500, `ended after ${took} ms`);
    assert.equal((fin.recording as Json).state, 'done');
    assert.equal((fin.recording as Json).duration, 1);
    const audio = wav(path.join(recDir, 'max-rec.wav16'));
    assert.equal(audio.sampleRate, 16000);
    assert.equal(audio.sampleCount, 16000);
    assert.ok(toneIn(audio.samples, 16000, 600) > 1000);
    await call('DELETE', '/playbacks/rec-tone-max');
    await call('DELETE', `/channels/${one}`);
  });

  it('a huge maxDurationSeconds is accepted; stopping ends it done with the audio so far', async () => {
    const { one, two } = await pair();
    assert.equal((await call('POST', `/channels/${two}/play/rec-tone-huge?media=tone:600`)).status, 201);
    const r = await call('POST', `/channels/${one}/record?name=huge-max&format=wav&maxDurationSeconds=2147483647`);
    assert.equal(r.status, 201);
    await ev.next(recordingEvent('RecordingStarted', 'huge-max'));
    await sleep(300);
    assert.equal((await call('POST', '/recordings/live/huge-max/stop')).status, 204);
    const fin = await ev.next(recordingEvent('RecordingFinished', 'huge-max'));
    assert.equal((fin.recording as Json).state, 'done');
    const audio = wav(path.join(recDir, 'huge-max.wav'));
    assert.ok(audio.sampleCount >= 8000 * 0.2 && audio.sampleCount < 8000 * 2, `${audio.sampleCount} samples`);
    assert.ok(toneIn(audio.samples, 8000, 600) > 1000);
    await call('DELETE', '/playbacks/rec-tone-huge');
    await call('DELETE', `/channels/${one}`);
  });

  it('maxSilenceSeconds ends the recording after that much silence, keeping 200 ms of it', async () => {
    const { one, two } = await pair();
    const r = await call('POST', `/channels/${one}/record?name=sil-rec&format=wav&maxSilenceSeconds=1`);
    assert.equal(r.status, 201);
    await ev.next(recordingEvent('RecordingStarted', 'sil-rec'));
    // 1.2 s of tone, then nothing: the recording must end by itself about a second later.
    assert.equal((await call('POST', `/channels/${two}/play/rec-tone-sil?media=tone:!440/1200`)).status, 201);
    const t0 = Date.now();
    const fin = await ev.next(recordingEvent('RecordingFinished', 'sil-rec'), 5000);
    const took = Date.now() - t0;
    assert.ok(took >= 2000 && took < 3500, `ended ${took} ms after the tone started`);
    const rec = fin.recording as Json;
    assert.equal(rec.state, 'done');
    assert.equal(rec.talking_duration, 1);
    assert.equal(rec.silence_duration, (rec.duration as number) - 1);
    const audio = wav(path.join(recDir, 'sil-rec.wav'));
    const ms = (audio.sampleCount * 1000) / 8000;
    // Leading silence (the REST round trip) + 1200 ms of tone + the 200 ms kept.
    assert.ok(ms >= 1380 && ms < 1900, `file has ${ms} ms`);
    const tail = audio.samples.subarray(audio.samples.length - 1200);
    assert.ok(rms(tail) < 50, 'ends with the kept silence');
    assert.ok(goertzelAmplitude(audio.samples, 440, 8000, audio.sampleCount - 1600 - 8000, audio.sampleCount - 1600) > 1000, 'the tone is there');
    await call('DELETE', `/channels/${one}`);
  });

  it('terminateOn=# ends the recording on # from the channel, not on another digit', async () => {
    const { one, two } = await pair();
    assert.equal((await call('POST', `/channels/${one}/record?name=dtmf-rec&format=sln&terminateOn=%23`)).status, 201);
    await ev.next(recordingEvent('RecordingStarted', 'dtmf-rec'));
    assert.equal((await call('POST', `/channels/${two}/dtmf?dtmf=1`)).status, 204);
    await ev.next((m) => m.type === 'ChannelDtmfReceived' && m.digit === '1' && (m.channel as Json).id === one);
    await sleep(100);
    assert.equal((await call('GET', '/recordings/live/dtmf-rec')).body.state, 'recording');
    assert.equal((await call('POST', `/channels/${two}/dtmf?dtmf=%23`)).status, 204);
    const fin = await ev.next(recordingEvent('RecordingFinished', 'dtmf-rec'));
    assert.equal((fin.recording as Json).state, 'done');
    assert.ok(fs.statSync(path.join(recDir, 'dtmf-rec.sln')).size > 0);
    await call('DELETE', `/channels/${one}`);
  });

  it('beep, controls in the wrong state, pause/mute, cancel deletes the file', async () => {
    const { one, two } = await pair();
    const caller = listen(two);
    const r = await call('POST', `/channels/${one}/record?name=ctl-rec&format=wav&beep=true`);
    assert.equal(r.status, 201);
    // Queued while the beep plays: controls are refused.
    assert.deepEqual(await call('POST', '/recordings/live/ctl-rec/pause').then((x) => [x.status, x.body]), [409, { message: 'Recording not in session' }]);
    assert.equal((await call('POST', '/recordings/live/ctl-rec/mute')).status, 409);
    assert.equal((await call('POST', `/channels/${one}/record?name=ctl-rec&format=wav`)).status, 409, 'the name is recording');
    await ev.next(recordingEvent('RecordingStarted', 'ctl-rec'));
    // The other half heard the beep (Debian's beep.wav: 700 Hz) before the recording started.
    const beep = caller.stop();
    assert.ok(goertzelAmplitude(beep, 700, 8000) > 1000, `700 Hz at ${goertzelAmplitude(beep, 700, 8000)}`);
    assert.equal((await call('POST', '/recordings/live/ctl-rec/pause')).status, 204);
    assert.equal((await call('GET', '/recordings/live/ctl-rec')).body.state, 'paused');
    assert.equal((await call('POST', '/recordings/live/ctl-rec/pause')).status, 204, 'pausing a paused one is harmless');
    assert.equal((await call('DELETE', '/recordings/live/ctl-rec/pause')).status, 204);
    assert.equal((await call('GET', '/recordings/live/ctl-rec')).body.state, 'recording');
    assert.equal((await call('POST', '/recordings/live/ctl-rec/mute')).status, 204);
    assert.equal((await call('DELETE', '/recordings/live/ctl-rec/mute')).status, 204);
    assert.ok(fs.existsSync(path.join(recDir, 'ctl-rec.wav')));
    assert.equal((await call('DELETE', '/recordings/live/ctl-rec')).status, 204);
    const fin = await ev.next(recordingEvent('RecordingFinished', 'ctl-rec'));
    assert.equal((fin.recording as Json).state, 'canceled');
    assert.equal(fs.existsSync(path.join(recDir, 'ctl-rec.wav')), false);
    assert.equal((await call('POST', '/recordings/live/ctl-rec/unpause')).status, 404);
    await call('DELETE', `/channels/${one}`);
  });

  it('pause leaves time out of the file; mute records silence', async () => {
    const { one, two } = await pair();
    assert.equal((await call('POST', `/channels/${two}/play/rec-tone-pm?media=tone:440`)).status, 201);
    assert.equal((await call('POST', `/channels/${one}/record?name=pm-rec&format=wav`)).status, 201);
    await ev.next(recordingEvent('RecordingStarted', 'pm-rec'));
    const t0 = Date.now();
    await sleep(400);
    await call('POST', '/recordings/live/pm-rec/mute');
    await sleep(400);
    await call('DELETE', '/recordings/live/pm-rec/mute');
    await call('POST', '/recordings/live/pm-rec/pause');
    const paused = wav(path.join(recDir, 'pm-rec.wav')).sampleCount;
    await sleep(500);
    assert.equal(wav(path.join(recDir, 'pm-rec.wav')).sampleCount, paused, 'nothing written while paused');
    await call('DELETE', '/recordings/live/pm-rec/pause');
    await sleep(300);
    await call('POST', '/recordings/live/pm-rec/stop');
    const wall = Date.now() - t0;
    await ev.next(recordingEvent('RecordingFinished', 'pm-rec'));
    const s = wav(path.join(recDir, 'pm-rec.wav')).samples;
    // Frames of 20 ms: loud, then a muted run of ~400 ms, then loud again.
    const loud = (i: number) => rms(s, i * 160, i * 160 + 160) > 1000;
    const frames = Math.floor(s.length / 160);
    const quiet = Array.from({ length: frames }, (_, i) => !loud(i)).filter(Boolean).length;
    assert.ok(quiet >= 14 && quiet <= 35, `${quiet} muted frames of ${frames}`);
    assert.ok(frames * 20 <= wall - 350, `${frames * 20} ms recorded in ${wall} ms: the 500 ms pause is not in the file`);
    await call('DELETE', '/playbacks/rec-tone-pm');
    await call('DELETE', `/channels/${one}`);
  });

  it('refuses bad names (400), unknown formats (422), an existing name with ifExists=fail (409); overwrite and append', async () => {
    const { one, two } = await pair();
    for (const name of ['../evil', '/etc/evil', 'a/../../evil', 'a//b', '.']) {
      const r = await call('POST', `/channels/${one}/record?name=${encodeURIComponent(name)}&format=wav`);
      assert.deepEqual([r.status, r.body], [400, { message: 'Recording name invalid' }], name);
    }
    assert.equal(fs.existsSync(path.join(srv.dir, 'spool', 'evil.wav')), false);
    const bad = await call('POST', `/channels/${one}/record?name=x&format=nope`);
    assert.deepEqual([bad.status, bad.body], [422, { message: 'specified format is unknown on this system' }]);
    assert.equal((await call('POST', `/channels/${one}/record?name=x&format=wav&ifExists=maybe`)).status, 400);
    assert.equal((await call('POST', `/channels/${one}/record?name=x&format=wav&terminateOn=5`)).status, 400);
    assert.equal((await call('POST', `/channels/nope/record?name=x&format=wav`)).status, 404);

    // A subdirectory, recorded twice with append: the second part is added after the first.
    assert.equal((await call('POST', `/channels/${two}/play/rec-tone-app?media=tone:440`)).status, 201);
    const first = await call('POST', `/channels/${one}/record?name=sub%2Fdir%2Fapp-rec&format=ulaw&maxDurationSeconds=1`);
    assert.equal(first.status, 201);
    await ev.next(recordingEvent('RecordingFinished', 'sub/dir/app-rec'), 4000);
    const again = await call('POST', `/channels/${one}/record?name=sub%2Fdir%2Fapp-rec&format=wav`);
    assert.deepEqual([again.status, again.body], [409, { message: "Recording 'sub/dir/app-rec' already exists and can not be overwritten" }]);
    assert.equal((await call('POST', `/channels/${one}/record?name=sub%2Fdir%2Fapp-rec&format=ulaw&ifExists=append&maxDurationSeconds=1`)).status, 201);
    await ev.next((m) => m.type === 'RecordingFinished' && (m.recording as Json).name === 'sub/dir/app-rec' && m !== ev.messages.find(recordingEvent('RecordingFinished', 'sub/dir/app-rec')), 4000);
    const file = path.join(recDir, 'sub', 'dir', 'app-rec.ulaw');
    assert.equal(fs.statSync(file).size, 16000, 'two seconds of 8 kHz µ-law');
    assert.equal((await call('POST', `/channels/${one}/record?name=sub%2Fdir%2Fapp-rec&format=ulaw&ifExists=overwrite&maxDurationSeconds=1`)).status, 201);
    await sleep(1500);
    assert.equal(fs.statSync(file).size, 8000, 'overwritten: one second');
    const stored = await call('GET', '/recordings/stored/sub%2Fdir%2Fapp-rec');
    assert.deepEqual([stored.status, stored.body], [200, { name: 'sub/dir/app-rec', format: 'ulaw' }]);
    const f = await srv.ari('GET', '/recordings/stored/sub%2Fdir%2Fapp-rec/file');
    assert.equal(f.headers.get('content-type'), 'audio/ulaw');
    assert.equal(Buffer.from(await f.arrayBuffer()).length, 8000);
    await call('DELETE', '/playbacks/rec-tone-app');
    await call('DELETE', `/channels/${one}`);
  });

  it('a file that cannot be written ends in RecordingFailed with its cause', async () => {
    const { one } = await pair();
    // A directory where the file should go: opening it fails (EISDIR), whoever runs the tests.
    fs.mkdirSync(path.join(recDir, 'blocked.wav'), { recursive: true });
    const r = await call('POST', `/channels/${one}/record?name=blocked&format=wav&ifExists=overwrite`);
    assert.equal(r.status, 201);
    const failed = await ev.next(recordingEvent('RecordingFailed', 'blocked'));
    const rec = failed.recording as Json;
    assert.equal(rec.state, 'failed');
    assert.match(rec.cause as string, /^EISDIR/);
    assert.equal(ev.messages.some(recordingEvent('RecordingStarted', 'blocked')), false);
    assert.equal((await call('GET', '/recordings/live/blocked')).status, 404);
    fs.rmSync(path.join(recDir, 'blocked.wav'), { recursive: true });
    await call('DELETE', `/channels/${one}`);
  });

  it('unknown live recordings are 404 for every operation', async () => {
    for (const [method, p] of [
      ['GET', ''],
      ['DELETE', ''],
      ['POST', '/stop'],
      ['POST', '/pause'],
      ['DELETE', '/pause'],
      ['POST', '/mute'],
      ['DELETE', '/mute'],
    ] as const) {
      const r = await call(method, `/recordings/live/no-such-rec${p}`);
      assert.deepEqual([r.status, r.body], [404, { message: 'Recording not found' }], `${method} ${p}`);
    }
  });

  it('a channel in a bridge cannot be recorded alone (409)', async () => {
    const { one } = await pair();
    const b = await call('POST', '/bridges?type=mixing');
    await call('POST', `/bridges/${b.body.id as string}/addChannel?channel=${one}`);
    await ev.next((m) => m.type === 'ChannelEnteredBridge' && (m.channel as Json).id === one);
    const r = await call('POST', `/channels/${one}/record?name=bridged&format=wav`);
    assert.equal(r.status, 409);
    await call('DELETE', `/channels/${one}`);
    await call('DELETE', `/bridges/${b.body.id as string}`);
  });
});

describe('bridge recordings', () => {
  it('record the mix: what is played into the bridge and what a member says', async () => {
    const { one, two } = await pair();
    const b = await call('POST', '/bridges/rec-bridge?type=mixing');
    assert.equal(b.status, 200);
    assert.equal((await call('POST', `/bridges/rec-bridge/addChannel?channel=${one}`)).status, 204);
    await ev.next((m) => m.type === 'ChannelEnteredBridge' && (m.channel as Json).id === one);
    const r = await call('POST', '/bridges/rec-bridge/record?name=bridge-rec&format=wav');
    assert.equal(r.status, 201);
    assert.equal(r.body.target_uri, 'bridge:rec-bridge');
    await ev.next(recordingEvent('RecordingStarted', 'bridge-rec'));
    // Into the bridge: 1000 Hz; said by the member (played to its Local other half): 440 Hz.
    assert.equal((await call('POST', '/bridges/rec-bridge/play/rec-bridge-tone?media=tone:1000')).status, 201);
    assert.equal((await call('POST', `/channels/${two}/play/rec-member-tone?media=tone:440`)).status, 201);
    await sleep(1000);
    assert.equal((await call('POST', '/recordings/live/bridge-rec/stop')).status, 204);
    const fin = await ev.next(recordingEvent('RecordingFinished', 'bridge-rec'));
    assert.equal((fin.recording as Json).state, 'done');
    const audio = wav(path.join(recDir, 'bridge-rec.wav'));
    assert.ok(audio.sampleCount >= 8000 * 0.8, `${audio.sampleCount} samples`);
    const a1000 = toneIn(audio.samples, 8000, 1000);
    const a440 = toneIn(audio.samples, 8000, 440);
    assert.ok(a1000 > 1000, `bridge playback 1000 Hz at ${a1000}`);
    assert.ok(a440 > 1000, `member's 440 Hz at ${a440}`);
    await call('DELETE', '/playbacks/rec-bridge-tone');
    await call('DELETE', '/playbacks/rec-member-tone');
    await call('DELETE', `/channels/${one}`);
    await call('DELETE', '/bridges/rec-bridge');
  });
});

describe('stored recordings', () => {
  it('list, get, file, copy, delete, and play back with recording:', async () => {
    const list = await call('GET', '/recordings/stored');
    assert.equal(list.status, 200);
    const names = (list.body as unknown as Json[]).map((x) => `${x.name as string}.${x.format as string}`);
    for (const n of ['tone-rec.wav', 'max-rec.wav16', 'sil-rec.wav', 'sub/dir/app-rec.ulaw', 'bridge-rec.wav']) assert.ok(names.includes(n), `${n} in ${names.join(' ')}`);
    assert.deepEqual((await call('GET', '/recordings/stored/tone-rec')).body, { name: 'tone-rec', format: 'wav' });
    assert.deepEqual(await call('GET', '/recordings/stored/nope').then((r) => [r.status, r.body]), [404, { message: 'Recording not found' }]);
    assert.equal((await call('GET', '/recordings/stored/..%2Fspool')).status, 404);

    const file = await srv.ari('GET', '/recordings/stored/tone-rec/file');
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'audio/wav');
    const bytes = Buffer.from(await file.arrayBuffer());
    assert.deepEqual(bytes, fs.readFileSync(path.join(recDir, 'tone-rec.wav')));
    assert.ok(toneIn(readWav(bytes).samples, 8000, 440) > 1000);

    const copy = await call('POST', '/recordings/stored/tone-rec/copy?destinationRecordingName=copies%2Ftone-copy');
    assert.deepEqual([copy.status, copy.body], [200, { name: 'copies/tone-copy', format: 'wav' }]);
    const again = await call('POST', '/recordings/stored/tone-rec/copy?destinationRecordingName=copies%2Ftone-copy');
    assert.deepEqual([again.status, again.body], [409, { message: 'A recording with the same name already exists on the system' }]);
    assert.equal((await call('POST', '/recordings/stored/tone-rec/copy?destinationRecordingName=..%2Fout')).status, 400);
    assert.equal((await call('POST', '/recordings/stored/nope/copy?destinationRecordingName=x')).status, 404);
    assert.deepEqual(fs.readFileSync(path.join(recDir, 'copies', 'tone-copy.wav')), bytes);

    // Play the copy back into ;2 and listen on ;1: the recorded 440 Hz comes back.
    const { one, two } = await pair();
    const listener = listen(one);
    assert.equal((await call('POST', `/channels/${two}/play/rec-back?media=recording:copies/tone-copy`)).status, 201);
    const done = await ev.next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).id === 'rec-back', 5000);
    assert.equal((done.playback as Json).state, 'done');
    const back = listener.stop();
    assert.ok(toneIn(back, 8000, 440) > 1000, `played back 440 Hz at ${toneIn(back, 8000, 440)}`);

    assert.equal((await call('DELETE', '/recordings/stored/copies%2Ftone-copy')).status, 204);
    assert.equal((await call('GET', '/recordings/stored/copies%2Ftone-copy')).status, 404);
    assert.equal((await call('DELETE', '/recordings/stored/copies%2Ftone-copy')).status, 404);
    await call('DELETE', `/channels/${one}`);
  });

  it('GET …/file streams a large file byte for byte with its Content-Length; REST over WebSocket is 406', async () => {
    // 4 MB of noise-like audio (bigger than any stream chunk), written straight into the recordings dir.
    const pcm = Buffer.alloc(4 * 1024 * 1024);
    for (let i = 0; i < pcm.length; i++) pcm[i] = (i * 7919 + (i >> 11)) & 0xff;
    const bytes = Buffer.concat([buildWavHeader({ encoding: 'pcm16', sampleRate: 8000, dataLength: pcm.length }).header, pcm]);
    fs.writeFileSync(path.join(recDir, 'big.wav'), bytes);

    const res = await srv.ari('GET', '/recordings/stored/big/file');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    assert.equal(res.headers.get('content-length'), String(bytes.length));
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes), 'byte-identical');

    // The connection stays usable after a streamed body (keep-alive).
    assert.equal((await call('GET', '/recordings/stored/big')).status, 200);

    ev.ws.send(JSON.stringify({ type: 'RESTRequest', transaction_id: 'tf', request_id: 'rf', method: 'GET', uri: 'recordings/stored/big/file' }));
    const over = await ev.next((m) => m.type === 'RESTResponse' && m.request_id === 'rf');
    assert.equal(over.status_code, 406);
    assert.deepEqual(JSON.parse(String(over.message_body)), { message: 'Not Acceptable. Use HTTP GET' });
    fs.rmSync(path.join(recDir, 'big.wav'));
  });
});

describe('Record() in the dialplan', () => {
  /** Originates Local/<exten>@record-app: ;1 in the application, ;2 runs Record() and then enters it too. */
  async function recordCall(exten: string): Promise<{ one: string; two: string }> {
    const one = `rec-dp-${exten}-${++seq}`;
    assert.equal((await call('POST', `/channels/${one}?endpoint=Local/${exten}@record-app&app=${APP}`)).status, 200);
    await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === one, 5000);
    return { one, two: `${one};2` };
  }
  const variable = async (id: string, name: string) => (await call('GET', `/channels/${encodeURIComponent(id)}/variable?variable=${name}`)).body.value;

  it('records under the sounds dir until silence: RECORD_STATUS=SILENCE, the tone in the file', async () => {
    const { one, two } = await recordCall('silence');
    assert.equal((await call('POST', `/channels/${one}/play/dp-tone?media=tone:!440/1000`)).status, 201);
    await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === two, 5000);
    assert.equal(await variable(two, 'RECORD_STATUS'), 'SILENCE');
    assert.equal(await variable(two, 'RECORDED_FILE'), 'dp-rec/msg');
    const audio = wav(path.join(srv.dir, 'data', 'sounds', 'dp-rec', 'msg.wav'));
    const ms = (audio.sampleCount * 1000) / 8000;
    assert.ok(ms >= 900 && ms < 1500, `file has ${ms} ms`);
    assert.ok(toneIn(audio.samples, 8000, 440) > 1000);
    await call('DELETE', `/channels/${one}`);
  });

  it('# ends it (RECORD_STATUS=DTMF) and %d picks a new file name', async () => {
    fs.mkdirSync(path.join(srv.dir, 'data', 'sounds', 'dp-rec'), { recursive: true });
    fs.writeFileSync(path.join(srv.dir, 'data', 'sounds', 'dp-rec', 'dtmf-0.sln'), '');
    const { one, two } = await recordCall('dtmf');
    await sleep(300);
    assert.equal((await call('POST', `/channels/${one}/dtmf?dtmf=%23`)).status, 204);
    await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === two, 5000);
    assert.equal(await variable(two, 'RECORD_STATUS'), 'DTMF');
    assert.equal(await variable(two, 'RECORDED_FILE'), 'dp-rec/dtmf-1');
    assert.ok(fs.statSync(path.join(srv.dir, 'data', 'sounds', 'dp-rec', 'dtmf-1.sln')).size >= 2 * 8 * 200);
    await call('DELETE', `/channels/${one}`);
  });

  it('beeps first, takes an absolute path and stops at maxduration (TIMEOUT)', async () => {
    const { one, two } = await recordCall('beep');
    const caller = listen(one);
    await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === two, 5000);
    const heard = caller.stop();
    assert.equal(await variable(two, 'RECORD_STATUS'), 'TIMEOUT');
    assert.ok(goertzelAmplitude(heard, 700, 8000) > 500, `the caller heard the beep (700 Hz at ${goertzelAmplitude(heard, 700, 8000)})`);
    assert.equal(fs.statSync(path.join(ABS_DIR, 'beep-rec.alaw')).size, 8000, 'one second of A-law');
    await call('DELETE', `/channels/${one}`);
  });
});

describe('a recording survives kill -9', () => {
  it('leaves a WAV whose header matches its audio', async (t) => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const tree = makeConfigTree({ 'extensions.conf': EXTENSIONS, 'http.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${port}\n` });
    const child = spawn(path.join(PROJECT_ROOT, 'bin', 'ariadne'), ['-C', tree.asteriskConf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let out = '';
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      fs.rmSync(tree.dir, { recursive: true, force: true });
    });
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 15000;
    while (!(await fetch(`${base}/ari/asterisk/ping?api_key=asterisk:asterisk`).then((r) => r.ok, () => false))) {
      if (Date.now() > deadline) throw new Error(`ariadne did not start: ${out}`);
      await sleep(100);
    }
    const ari = async (method: string, p: string) => {
      const res = await fetch(`${base}/ari${p}${p.includes('?') ? '&' : '?'}api_key=asterisk:asterisk`, { method });
      await res.arrayBuffer();
      return { status: res.status };
    };
    const events = await openEvents(base, `api_key=asterisk:asterisk&app=${APP}`);
    t.after(() => events.close());
    const { one, two } = await pair(events, ari);
    assert.equal((await ari('POST', `/channels/${two}/play/k9-tone?media=tone:440`)).status, 201);
    assert.equal((await ari('POST', `/channels/${one}/record?name=k9-rec&format=wav`)).status, 201);
    await events.next(recordingEvent('RecordingStarted', 'k9-rec'));
    await sleep(800);
    child.kill('SIGKILL');
    await exited;
    assert.equal(child.signalCode, 'SIGKILL');

    const buf = fs.readFileSync(path.join(tree.dir, 'spool', 'recording', 'k9-rec.wav'));
    const info = parseWavHeader(buf);
    // The header counts exactly the audio that is there (a frame written after it at most is ignored).
    assert.ok(info.declaredDataLength === info.dataLength, `header says ${info.declaredDataLength} bytes, ${info.dataLength} usable`);
    assert.equal(info.truncated, false);
    assert.ok(buf.length - (info.dataOffset + info.dataLength) <= 320, 'at most one frame beyond the data chunk');
    assert.equal(buf.readUInt32LE(4), info.dataOffset - 8 + info.dataLength, 'RIFF size agrees with the data size');
    const ms = (info.sampleCount * 1000) / info.sampleRate;
    assert.ok(ms >= 500, `${ms} ms recorded before the kill`);
    const audio = readWav(buf);
    assert.ok(toneIn(audio.samples, 8000, 440) > 1000, 'the tone is in the file');
  });
});
