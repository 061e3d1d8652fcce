/**
 * Media configuration reloads, through the console's control socket as an operator would type them: a changed
 * musiconhold.conf and indications.conf take effect after `core reload`, and each after its own
 * `module reload res_musiconhold.so` / `module reload indications` — checked by the console's listings and by
 * what a channel hears (music on hold of the new class, `tone:ring` of the new zone). Also: a bridge playback
 * looks sounds up in asterisk.conf's `defaultlanguage`.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { MediaApp, level, playbackEvent, sleep, type Json } from '../helpers/media-app.ts';
import { runCommand } from '../../src/cli/console.ts';
import { formatByName } from '../../src/media/formats.ts';
import { sine } from '../../src/media/engine/test-audio.ts';

const APP = 'media-reload';

/** A WAV of `freq` Hz, 2 s at 8 kHz. */
function toneFile(file: string, freq: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const w = formatByName('wav')!.createWriter(file);
  w.append(sine(freq, 2000, 8000));
  w.close();
}

const indications = (ring: string) => `[general]\ncountry = us\n[us]\ndescription = US\nring = ${ring}\n`;
const musicOnHold = (cls: string, dir: string) => `[${cls}]\nmode = files\ndirectory = ${dir}\n`;

let fx: MediaApp;
let etc: string;

before(async () => {
  fx = await MediaApp.start(APP, { sounds: false, files: { 'musiconhold.conf': musicOnHold('first', 'moh-a'), 'indications.conf': indications('440+480/2000,0/4000') } });
  etc = path.join(fx.srv.dir, 'etc');
  toneFile(path.join(fx.srv.dir, 'data', 'moh-a', 'a.wav'), 500);
  toneFile(path.join(fx.srv.dir, 'data', 'moh-b', 'b.wav'), 900);
  // The first class's directory was empty when the server started: rescan it.
  await cli('moh reload');
});
after(() => fx.stop());

/** Runs a console command over the control socket (`ariadne -rx`). */
const cli = (line: string) => runCommand(path.join(fx.srv.dir, 'run', 'asterisk.ctl'), line);

/** What ;1 hears while `play` (a request on its pair's ;2) goes on. */
async function heardOn(play: (two: string) => Promise<void>): Promise<Int16Array> {
  const { one, t } = await fx.pair('rl');
  await play(t);
  await sleep(150);
  const heard = await fx.listen(one, 'in', 400);
  await fx.call('DELETE', `/channels/${one}`);
  return heard;
}

const moh = (cls: string) => heardOn(async (t) => assert.equal((await fx.call('POST', `/channels/${t}/moh?mohClass=${cls}`)).status, 204));
const ring = () =>
  heardOn(async (t) => {
    assert.equal((await fx.call('POST', `/channels/${t}/play?media=tone:ring`)).status, 201);
  });

describe('media reloads', () => {
  it('core reload applies a changed musiconhold.conf and indications.conf', async () => {
    assert.match(await cli('moh show classes'), /Class: first/);
    const before = await moh('first');
    assert.ok(level(before, 500) > 1000, `class first plays 500 Hz (${level(before, 500)})`);
    assert.ok(level(await ring(), 480) > 1000, 'the us ring has 480 Hz');

    fs.writeFileSync(path.join(etc, 'musiconhold.conf'), musicOnHold('second', 'moh-b'));
    fs.writeFileSync(path.join(etc, 'indications.conf'), indications('600/2000,0/4000'));
    await cli('core reload');

    const classes = await cli('moh show classes');
    assert.match(classes, /Class: second/);
    assert.doesNotMatch(classes, /Class: first/);
    const after = await moh('second');
    assert.ok(level(after, 900) > 1000, `class second plays 900 Hz (${level(after, 900)})`);
    assert.match(await cli('indication show us'), /ring\s+600\/2000,0\/4000/);
    const rang = await ring();
    assert.ok(level(rang, 600) > 1000 && level(rang, 480) < 200, `the new ring: 600 Hz ${level(rang, 600)}, 480 Hz ${level(rang, 480)}`);
  });

  it('module reload res_musiconhold.so and module reload indications each re-read their file', async () => {
    fs.writeFileSync(path.join(etc, 'musiconhold.conf'), musicOnHold('third', 'moh-a'));
    fs.writeFileSync(path.join(etc, 'indications.conf'), indications('700/2000,0/4000'));
    assert.equal(await cli('module reload res_musiconhold.so'), "Module 'res_musiconhold.so' reloaded successfully.\n");
    assert.match(await cli('moh show classes'), /Class: third/);
    // indications.conf has not been re-read yet.
    assert.match(await cli('indication show us'), /ring\s+600\/2000/);
    assert.equal(await cli('module reload indications'), "Module 'indications.so' reloaded successfully.\n");
    assert.match(await cli('indication show us'), /ring\s+700\/2000/);
    assert.ok(level(await ring(), 700) > 1000, 'the ring after module reload is 700 Hz');
    assert.match(await cli('module show like indications'), /indications\.so\s+Indication Tone Handling/);
  });
});

describe('bridge playbacks and defaultlanguage', () => {
  it('channels start in asterisk.conf defaultlanguage; a bridge plays sounds in it when no lang is given', async () => {
    const other = await MediaApp.start(APP, { sounds: false, asteriskConf: (text) => text.replace('defaultlanguage = en', 'defaultlanguage = xx') });
    try {
      const sounds = path.join(other.srv.dir, 'data', 'sounds');
      toneFile(path.join(sounds, 'xx', 'lang-probe.wav'), 1200);
      toneFile(path.join(sounds, 'en', 'lang-probe.wav'), 400);
      const { one, two } = await other.pair('dl');
      // Channels start in it too, as Asterisk's do.
      assert.equal(((await other.call('GET', `/channels/${one}`)).body as { language?: string }).language, 'xx');
      assert.equal((await other.call('POST', '/bridges/dl-br?type=mixing')).status, 200);
      assert.equal((await other.call('POST', `/bridges/dl-br/addChannel?channel=${one}`)).status, 204);
      await other.ev.next((m) => m.type === 'ChannelEnteredBridge' && (m.channel as Json).id === one, 5000);
      const r = await other.call('POST', '/bridges/dl-br/play/dl-pb?media=sound:lang-probe');
      assert.equal(r.status, 201);
      assert.equal(r.body.language, 'xx');
      await other.ev.next(playbackEvent('PlaybackStarted', 'dl-pb'));
      // What the bridge member's far side (;2) hears: the xx file's tone, not the en one.
      const heard = await other.listen(two, 'in', 400);
      assert.ok(level(heard, 1200) > 1000 && level(heard, 400) < 200, `1200 Hz ${level(heard, 1200)}, 400 Hz ${level(heard, 400)}`);
      await other.call('DELETE', `/channels/${one}`);
    } finally {
      await other.stop();
    }
  });
});
