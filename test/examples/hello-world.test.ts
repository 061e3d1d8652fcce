/**
 * The seed's flow with the hello-world example attached, end to end: a call to 1000@from-trunk reaches the app,
 * which answers, plays sound:hello-world (Debian's file, 1.4 s) and hangs up when PlaybackFinished arrives.
 * An observer socket (subscribeAll) watches what happens to the channel.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import helloWorld from '../../examples/hello-world/app.ts';
import { openEvents, startTestServer } from '../helpers/ariadne.ts';
import { PROJECT_ROOT } from '../../src/server.ts';

const DEBIAN_EN = '/usr/share/asterisk/sounds/en';

test('hello-world answers, plays sound:hello-world to the end and hangs up', async (t) => {
  assert.ok(fs.existsSync(path.join(DEBIAN_EN, 'hello-world.wav')), 'asterisk-core-sounds-en-wav must be installed (.ci/run does it)');
  const srv = await startTestServer({ files: { 'extensions.conf': fs.readFileSync(path.join(PROJECT_ROOT, 'configs', 'extensions.conf'), 'utf8') } });
  t.after(() => srv.stop());
  const sounds = path.join(srv.dir, 'data', 'sounds');
  fs.mkdirSync(sounds, { recursive: true });
  fs.symlinkSync(DEBIAN_EN, path.join(sounds, 'en'));

  const observer = await openEvents(srv.base, 'app=observer&subscribeAll=true&api_key=asterisk:asterisk');
  t.after(() => observer.close());
  const ctl = new AbortController();
  const lines: string[] = [];
  const app = helloWorld({ url: srv.base, username: 'asterisk', password: 'asterisk', signal: ctl.signal, log: (l) => lines.push(l) });
  t.after(async () => {
    ctl.abort();
    await app;
  });
  // Wait until the app has registered.
  for (let i = 0; i < 100 && (await srv.ari('GET', '/applications/hello-world')).status !== 200; i++) await new Promise((r) => setTimeout(r, 20));

  const res = await srv.ari('POST', '/channels?endpoint=Local/1000@from-trunk&extension=wait&context=internal');
  assert.equal(res.status, 200);
  // StasisStart/End go only to the application itself; the observer sees the playback and the channel's end.
  const played = (await observer.next((m) => m.type === 'PlaybackStarted', 5000)) as { timestamp: string; playback: { media_uri: string; target_uri: string } };
  assert.equal(played.playback.media_uri, 'sound:hello-world');
  const id = played.playback.target_uri.replace(/^channel:/, '');
  const finished = (await observer.next((m) => m.type === 'PlaybackFinished', 5000)) as { timestamp: string; playback: { state: string } };
  assert.equal(finished.playback.state, 'done');
  const ms = Date.parse(finished.timestamp.replace('+0000', 'Z')) - Date.parse(played.timestamp.replace('+0000', 'Z'));
  assert.ok(ms >= 1200 && ms <= 2600, `played for ${ms} ms; the file lasts 1.4 s`);
  const hangup = (await observer.next((m) => m.type === 'ChannelHangupRequest' && (m.channel as { id: string }).id === id, 5000)) as { cause: number; soft?: boolean };
  assert.deepEqual([hangup.cause, hangup.soft], [32, true], 'the app hung up through ARI');
  await observer.next((m) => m.type === 'ChannelDestroyed' && (m.channel as { id: string }).id === id, 5000);
  for (let i = 0; i < 100 && !lines.some((l) => l.startsWith('StasisEnd')); i++) await new Promise((r) => setTimeout(r, 20));
  for (const step of ['StasisStart', 'PlaybackFinished', 'StasisEnd']) assert.ok(lines.some((l) => l.startsWith(step)), `${step} missing in:\n${lines.join('\n')}`);
});
