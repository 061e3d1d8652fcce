/**
 * The dialplan's media applications over real sockets. Each case originates `Local/<exten>@media` into a Stasis
 * application: `;1` is in Stasis, `;2` runs the application under test, and what `;2` plays is checked BY
 * CONTENT on `;1`'s `in` side (tapped through the media port): the span of sound against the real files, tone
 * frequencies by Goertzel. Where the dialplan goes afterwards shows in the arguments of a following
 * `Stasis(dp-media,<tag>,...)` on `;2` (statuses, variables, the extension reached).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEBIAN_EN, MediaApp, type Json } from '../helpers/media-app.ts';
import { goertzelAmplitude } from '../../src/media/dsp/goertzel.ts';
import { concatSamples } from '../../src/media/media-uri.ts';
import { readWav } from '../../src/media/wav/wav.ts';

const APP = 'dp-media';

const EXTENSIONS = `
[media]
exten => pb,1,Answer()
 same => n,Wait(0.3)
 same => n,Playback(digits/1)
 same => n,Stasis(${APP},after,status=\${PLAYBACKSTATUS})

exten => pbmiss,1,Answer()
 same => n,Wait(0.3)
 same => n,Playback(no-such-sound&digits/2)
 same => n,Stasis(${APP},after,status=\${PLAYBACKSTATUS})

exten => bg,1,Answer()
 same => n,Goto(menu,s,1)

exten => rd,1,Answer()
 same => n,Read(NUM,beep,4,,1,2)
 same => n,Stasis(${APP},after,num=\${NUM},status=\${READSTATUS})

exten => rdto,1,Answer()
 same => n,Read(NUM,,4,,1,0.4)
 same => n,Stasis(${APP},after,num=\${NUM},status=\${READSTATUS})

exten => sn,1,Answer()
 same => n,Wait(0.3)
 same => n,SayNumber(42)
 same => n,Stasis(${APP},after)

exten => sd,1,Answer()
 same => n,Wait(0.3)
 same => n,SayDigits(12)
 same => n,Stasis(${APP},after)

exten => sa,1,Answer()
 same => n,Wait(0.3)
 same => n,SayAlpha(ab)
 same => n,Stasis(${APP},after)

exten => pt,1,Answer()
 same => n,PlayTones(busy)
 same => n,Stasis(${APP},tones-on)
 same => n,StopPlayTones()
 same => n,Stasis(${APP},tones-off)

exten => mw,1,Answer()
 same => n,Milliwatt()

exten => mwo,1,Answer()
 same => n,Milliwatt(o)

[menu]
exten => s,1,Background(demo-congrats)
 same => n,Stasis(${APP},after,fell-through)
exten => 5,1,Stasis(${APP},after,exten=\${EXTEN},status=\${BACKGROUNDSTATUS})
exten => 42,1,Stasis(${APP},after,exten=\${EXTEN},status=\${BACKGROUNDSTATUS})
exten => 43,1,Stasis(${APP},after,exten=\${EXTEN})
`;

let fx: MediaApp;
let ev: MediaApp['ev'];

/** Samples from the first to the last that is not zero (what a listener hears as "the sound"). */
function soundSpan(samples: Int16Array): number {
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples.length; i++) {
    if (samples[i] !== 0) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? 0 : last - first + 1;
}

/** The span of sound of some files played back to back, in ms. */
function filesSpanMs(...ids: string[]): number {
  return (soundSpan(concatSamples(ids.map((id) => readWav(fs.readFileSync(path.join(DEBIAN_EN, `${id}.wav`))).samples))) * 1000) / 8000;
}

before(async () => {
  fx = await MediaApp.start(APP, { extensions: EXTENSIONS });
  ev = fx.ev;
});
after(() => fx.stop());

const call = (method: string, pathAndQuery: string) => fx.call(method, pathAndQuery);
/** What `;1` hears (its `in` side), from now until `stop`. */
const listen = (one: string) => fx.tap(one, 'in');

let seq = 0;
/** Originates `Local/<exten>@media` with `;1` in the application; resolves once `;1` is in Stasis. */
async function originate(exten: string): Promise<{ one: string; two: string }> {
  const one = `dpm-${exten}-${++seq}`;
  const r = await call('POST', `/channels/${one}?endpoint=Local/${exten}@media&app=${APP}`);
  assert.equal(r.status, 200);
  await ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === one);
  return { one, two: `${one};2` };
}

/** The arguments `;2` brought to its next `Stasis(dp-media,<tag>,...)`. */
async function reached(two: string, tag: string, timeoutMs = 4000): Promise<string[]> {
  const m = await ev.next((e) => e.type === 'StasisStart' && (e.channel as Json).id === two && (e.args as string[])[0] === tag, timeoutMs);
  return (m.args as string[]).slice(1);
}

const msOf = (samples: number): number => (samples * 1000) / 8000;

describe('dialplan media applications', () => {
  it('Playback plays the file for its length, then the dialplan continues with PLAYBACKSTATUS=SUCCESS', async () => {
    const { one, two } = await originate('pb');
    const ear = listen(one);
    assert.deepEqual(await reached(two, 'after'), ['status=SUCCESS']);
    const heard = ear.stop();
    const expected = filesSpanMs('digits/1');
    assert.ok(expected > 200, `digits/1 is ${expected} ms`);
    assert.ok(Math.abs(msOf(soundSpan(heard)) - expected) <= 60, `heard ${msOf(soundSpan(heard))} ms of sound, the file has ${expected} ms`);
    await call('DELETE', `/channels/${one}`);
  });

  it('Playback of a missing file goes on with the next one and says FAILED', async () => {
    const { one, two } = await originate('pbmiss');
    const ear = listen(one);
    assert.deepEqual(await reached(two, 'after'), ['status=FAILED']);
    const span = msOf(soundSpan(ear.stop()));
    const expected = filesSpanMs('digits/2');
    assert.ok(Math.abs(span - expected) <= 60, `heard ${span} ms of sound, digits/2 has ${expected} ms`);
    await call('DELETE', `/channels/${one}`);
  });

  it('Background is interrupted by a digit and goes to that one-digit extension', async () => {
    const { one, two } = await originate('bg');
    const ear = listen(one);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await call('POST', `/channels/${one}/dtmf?dtmf=5`)).status, 204);
    // demo-congrats lasts ~30 s: reaching `5` within 2 s means the digit stopped it.
    assert.deepEqual(await reached(two, 'after', 2000), ['exten=5', 'status=SUCCESS']);
    await new Promise((r) => setTimeout(r, 400));
    const heard = ear.stop();
    // The sound was heard before the digit, and nothing after it (;2 is in Stasis, playing nothing): the last
    // 200 ms, which began after ;2 reached `5`, are silent.
    assert.ok(msOf(soundSpan(heard)) > 200, `heard ${msOf(soundSpan(heard))} ms`);
    const tail = heard.subarray(Math.max(0, heard.length - 1600));
    assert.equal(soundSpan(tail), 0, 'sound after the digit');
    await call('DELETE', `/channels/${one}`);
  });

  it('Background collects a longer extension after the first digit (4 then 2 → 42)', async () => {
    const { one, two } = await originate('bg');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await call('POST', `/channels/${one}/dtmf?dtmf=42&between=300`)).status, 204);
    assert.deepEqual(await reached(two, 'after', 3000), ['exten=42', 'status=SUCCESS']);
    await call('DELETE', `/channels/${one}`);
  });

  it('Read stores the digits up to # with READSTATUS=OK', async () => {
    const { one, two } = await originate('rd');
    assert.equal((await call('POST', `/channels/${one}/dtmf?dtmf=123%23`)).status, 204);
    assert.deepEqual(await reached(two, 'after'), ['num=123', 'status=OK']);
    await call('DELETE', `/channels/${one}`);
  });

  it('Read without digits times out with READSTATUS=TIMEOUT and an empty variable', async () => {
    const t0 = Date.now();
    const { one, two } = await originate('rdto');
    assert.deepEqual(await reached(two, 'after'), ['num=', 'status=TIMEOUT']);
    const elapsed = Date.now() - t0;
    assert.ok(elapsed >= 350, `timed out after ${elapsed} ms`);
    await call('DELETE', `/channels/${one}`);
  });

  it('SayDigits(12) says digits/1 then digits/2', async () => {
    const { one, two } = await originate('sd');
    const ear = listen(one);
    await reached(two, 'after');
    const span = msOf(soundSpan(ear.stop()));
    const expected = filesSpanMs('digits/1', 'digits/2');
    assert.ok(Math.abs(span - expected) <= 60, `heard ${span} ms, expected ${expected} ms`);
    await call('DELETE', `/channels/${one}`);
  });

  it('SayNumber(42) says digits/40 then digits/2', async () => {
    const { one, two } = await originate('sn');
    const ear = listen(one);
    await reached(two, 'after');
    const span = msOf(soundSpan(ear.stop()));
    const expected = filesSpanMs('digits/40', 'digits/2');
    assert.ok(Math.abs(span - expected) <= 60, `heard ${span} ms, expected ${expected} ms`);
    await call('DELETE', `/channels/${one}`);
  });

  it('SayAlpha(ab) says letters/a then letters/b', async () => {
    const { one, two } = await originate('sa');
    const ear = listen(one);
    await reached(two, 'after');
    const span = msOf(soundSpan(ear.stop()));
    const expected = filesSpanMs('letters/a', 'letters/b');
    assert.ok(Math.abs(span - expected) <= 60, `heard ${span} ms, expected ${expected} ms`);
    await call('DELETE', `/channels/${one}`);
  });

  it('PlayTones(busy) is heard while the dialplan goes on; StopPlayTones ends it', async () => {
    const { one, two } = await originate('pt');
    await reached(two, 'tones-on');
    // The dialplan is already at the next priority (Stasis) and the busy tone still plays.
    const ear = listen(one);
    await new Promise((r) => setTimeout(r, 1200));
    const on = ear.stop();
    const a480 = goertzelAmplitude(on, 480, 8000);
    const a620 = goertzelAmplitude(on, 620, 8000);
    const a1000 = goertzelAmplitude(on, 1000, 8000);
    assert.ok(a480 > 500 && a620 > 500, `480 Hz ${a480}, 620 Hz ${a620}`);
    assert.ok(a480 > 10 * a1000, `480 Hz ${a480} vs 1000 Hz ${a1000}`);
    assert.equal((await call('POST', `/channels/${two}/continue`)).status, 204);
    await reached(two, 'tones-off');
    await new Promise((r) => setTimeout(r, 100));
    const quiet = listen(one);
    await new Promise((r) => setTimeout(r, 600));
    const off = quiet.stop();
    assert.ok(off.length >= 3200, `only ${off.length} samples heard`);
    assert.equal(soundSpan(off), 0, 'the busy tone still plays after StopPlayTones');
    await call('DELETE', `/channels/${one}`);
  });

  for (const [exten, freq, other] of [
    ['mw', 1004, 1000],
    ['mwo', 1000, 1004],
  ] as const) {
    it(`Milliwatt${exten === 'mwo' ? '(o)' : '()'} plays ${freq} Hz near 0 dBm0 until the hangup`, async () => {
      const { one, two } = await originate(exten);
      const ear = listen(one);
      await new Promise((r) => setTimeout(r, 900));
      const heard = ear.stop();
      assert.ok(heard.length >= 4800, `only ${heard.length} samples heard`);
      // Half a second: 1004 and 1000 Hz are two whole cycles apart, so each is at the other's Goertzel null.
      const window = heard.subarray(heard.length - 4000);
      const a = goertzelAmplitude(window, freq, 8000);
      const b = goertzelAmplitude(window, other, 8000);
      assert.ok(a > 15000, `${freq} Hz amplitude ${a}`);
      assert.ok(a > 5 * b, `${freq} Hz ${a} vs ${other} Hz ${b}`);
      const destroyed = ev.next((m) => m.type === 'ChannelDestroyed' && (m.channel as Json).id === one);
      assert.equal((await call('DELETE', `/channels/${one}`)).status, 204);
      await destroyed;
      // ;2 hangs up too (Milliwatt ends with the call).
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(fx.srv.ariadne.core.channels.get(two), undefined);
    });
  }
});
