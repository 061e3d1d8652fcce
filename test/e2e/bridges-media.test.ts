/**
 * Bridges with audio, over real sockets, checked by content (Goertzel, RMS, exact samples) on what the far side
 * of each Local channel hears — the `;2` half's `in` side, tapped through the media port: members of a mixing
 * bridge hear each other (two and three parties, nobody hears themselves), a bridge playback is heard by every
 * member with PlaybackStarted/Finished about `bridge:<id>`, holding-bridge participants hear music on hold from
 * the real opsound files and hear the announcer but not each other, music on hold and silence on channels and
 * bridges start and stop, Dial()'s bridges carry audio (also after a Local hop is optimised away), and the
 * `moh show` console commands.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEBIAN_MOH, MediaApp, level as amp, sleep, type Json } from '../helpers/media-app.ts';
import { rms } from '../../src/media/engine/test-audio.ts';
import { formatForPath } from '../../src/media/formats.ts';

const APP = 'bm-test';

let fx: MediaApp;
let ev: MediaApp['ev'];
let srv: MediaApp['srv'];

const DIALPLAN = `
[bm]
exten => direct,1,Dial(Local/stasis-${APP}@internal)
exten => hop,1,Dial(Local/direct@bm)
exten => moh,1,Answer()
 same => n,StartMusicOnHold()
 same => n,Wait(1)
 same => n,StopMusicOnHold()
 same => n,Wait(1)
 same => n,MusicOnHold(default,1)
 same => n,Hangup()
`;

before(async () => {
  // No musiconhold.conf: the built-in `default` class (directory moh) plays Debian's opsound files.
  fx = await MediaApp.start(APP, { extraDialplan: DIALPLAN, moh: true });
  ev = fx.ev;
  srv = fx.srv;
});
after(() => fx.stop());

const call = (method: string, pathAndQuery: string) => fx.call(method, pathAndQuery);
const pair = () => fx.pair('bm-chan');

/** Waits for an event that arrives after `mark` (an index into the socket's messages). */
async function nextAfter(mark: number, pred: (m: Json) => boolean, timeoutMs = 3000): Promise<Json> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = ev.messages.slice(mark).find(pred);
    if (found) return found;
    if (Date.now() > until) throw new Error('timed out waiting for an event');
    await sleep(10);
  }
}

/** Polls a condition (bounded). */
async function waitFor<T>(what: string, fn: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

let seq = 0;
let bseq = 0;
async function bridge(type: string, members: readonly string[], role?: string): Promise<string> {
  const id = `bm-bridge-${++bseq}`;
  assert.equal((await call('POST', `/bridges/${id}?type=${type}`)).status, 200);
  if (members.length) await add(id, members, role);
  return id;
}

async function add(bridgeId: string, members: readonly string[], role?: string): Promise<void> {
  const mark = ev.messages.length;
  const r = await call('POST', `/bridges/${bridgeId}/addChannel?channel=${members.join(',')}${role ? `&role=${role}` : ''}`);
  assert.equal(r.status, 204);
  for (const id of members) await nextAfter(mark, (m) => m.type === 'ChannelEnteredBridge' && (m.channel as Json).id === id);
}

/** Plays an endless tone to a channel; returns the playback id. */
async function tone(channelId: string, freq: number): Promise<string> {
  const id = `bm-tone-${++seq}`;
  assert.equal((await call('POST', `/channels/${encodeURIComponent(channelId)}/play/${id}?media=tone:${freq}`)).status, 201);
  await ev.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).id === id);
  return id;
}

/**
 * What the far sides of these channels (`;2` halves: their `in` side) hear for `ms`, after two frames of Local
 * and bridge delay are skipped.
 */
async function hear(sessionIds: readonly string[], ms = 400): Promise<Map<string, Int16Array>> {
  const ears = sessionIds.map((id) => [id, fx.tap(id, 'in')] as const);
  await sleep(ms + 40);
  const out = new Map<string, Int16Array>();
  for (const [id, ear] of ears) {
    const all = ear.stop();
    const used = all.subarray(2 * 160, (2 + Math.floor(ms / 20)) * 160);
    // A loaded machine may skip ticks; half the frames are plenty for the measurements.
    assert.ok(used.length >= Math.floor(ms / 40) * 160, `only ${all.length / 160} frames heard on ${id}`);
    out.set(id, used);
  }
  return out;
}

async function hangup(...ids: string[]): Promise<void> {
  for (const id of ids) await call('DELETE', `/channels/${encodeURIComponent(id)}`);
}

describe('mixing bridges', () => {
  it('two Local channels in a mixing bridge hear each other', async () => {
    const a = await pair();
    const b = await pair();
    const id = await bridge('mixing', [a.one, b.one]);
    await tone(a.two, 440); // A's far side says 440 Hz
    await tone(b.two, 1000);
    const heard = await hear([a.two, b.two]);
    const atB = heard.get(b.two)!;
    const atA = heard.get(a.two)!;
    assert.ok(amp(atB, 440) > 1000, `B hears 440 Hz at ${amp(atB, 440)}`);
    assert.ok(amp(atB, 440) > 20 * amp(atB, 1000), `B hears itself: ${amp(atB, 1000)}`);
    assert.ok(amp(atA, 1000) > 1000, `A hears 1000 Hz at ${amp(atA, 1000)}`);
    assert.ok(amp(atA, 1000) > 20 * amp(atA, 440), `A hears itself: ${amp(atA, 440)}`);
    // Taken out of the bridge, B hears nothing any more.
    assert.equal((await call('POST', `/bridges/${id}/removeChannel?channel=${b.one}`)).status, 204);
    await sleep(60);
    assert.ok(rms((await hear([b.two])).get(b.two)!) < 5);
    await hangup(a.one, b.one);
    await call('DELETE', `/bridges/${id}`);
  });

  it('three parties: each hears the other two, not itself', async () => {
    const ps = [await pair(), await pair(), await pair()];
    const freqs = [440, 850, 1400];
    const id = await bridge('mixing', ps.map((p) => p.one));
    for (let i = 0; i < 3; i++) await tone(ps[i]!.two, freqs[i]!);
    const heard = await hear(ps.map((p) => p.two));
    for (let i = 0; i < 3; i++) {
      const s = heard.get(ps[i]!.two)!;
      const own = amp(s, freqs[i]!);
      for (let j = 0; j < 3; j++) {
        if (j === i) continue;
        const other = amp(s, freqs[j]!);
        assert.ok(other > 1000, `party ${i} hears ${freqs[j]} Hz at ${other}`);
        assert.ok(other > 20 * own, `party ${i} hears itself at ${own} (others ${other})`);
      }
    }
    await hangup(...ps.map((p) => p.one));
    await call('DELETE', `/bridges/${id}`);
  });

  it('a bridge playback is heard by every member, with Playback events about bridge:<id>', async () => {
    const a = await pair();
    const b = await pair();
    const id = await bridge('mixing', [a.one, b.one]);
    const r = await call('POST', `/bridges/${id}/play/bm-bpb-1?media=${encodeURIComponent('tone:!700/700')}`);
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('location'), '/ari/playbacks/bm-bpb-1');
    assert.deepEqual(r.body, { id: 'bm-bpb-1', media_uri: 'tone:!700/700', target_uri: `bridge:${id}`, language: 'en', state: 'queued' });
    const started = await ev.next((m) => m.type === 'PlaybackStarted' && (m.playback as Json).id === 'bm-bpb-1');
    assert.equal((started.playback as Json).target_uri, `bridge:${id}`);
    assert.equal(started.application, APP);
    const heard = await hear([a.two, b.two], 300);
    for (const who of [a.two, b.two]) assert.ok(amp(heard.get(who)!, 700) > 1000, `${who} hears the bridge playback at ${amp(heard.get(who)!, 700)}`);
    const fin = await ev.next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).id === 'bm-bpb-1', 3000);
    assert.equal((fin.playback as Json).state, 'done');
    assert.equal((fin.playback as Json).target_uri, `bridge:${id}`);
    // Errors: unknown bridge, missing media, duplicate id; a bridge playback can be stopped.
    assert.deepEqual(await call('POST', '/bridges/nope/play?media=tone:ring').then((x) => [x.status, x.body]), [404, { message: 'Bridge not found' }]);
    assert.equal((await call('POST', `/bridges/${id}/play`)).status, 400);
    assert.equal((await call('POST', `/bridges/${id}/play?playbackId=bm-bpb-2&media=tone:ring`)).status, 201);
    assert.equal((await call('POST', `/bridges/${id}/play/bm-bpb-2?media=tone:ring`)).status, 409);
    assert.equal((await call('DELETE', '/playbacks/bm-bpb-2')).status, 204);
    const stopped = await ev.next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).id === 'bm-bpb-2');
    assert.equal((stopped.playback as Json).state, 'stopped');
    await hangup(a.one, b.one);
    await call('DELETE', `/bridges/${id}`);
  });

  it('music on hold in a mixing bridge: heard by all, then stopped; stopping twice is 409', async () => {
    const a = await pair();
    const b = await pair();
    const id = await bridge('mixing', [a.one, b.one]);
    assert.equal((await call('POST', `/bridges/${id}/moh`)).status, 204);
    await sleep(150); // the first file is decoded
    const on = await hear([a.two, b.two]);
    for (const who of [a.two, b.two]) assert.ok(rms(on.get(who)!) > 200, `${who} hears music at RMS ${rms(on.get(who)!)}`);
    assert.equal((await call('DELETE', `/bridges/${id}/moh`)).status, 204);
    await sleep(60);
    assert.ok(rms((await hear([a.two])).get(a.two)!) < 5);
    assert.deepEqual(await call('DELETE', `/bridges/${id}/moh`).then((x) => [x.status, x.body]), [409, { message: "Bridge isn't playing music" }]);
    assert.equal((await call('POST', '/bridges/nope/moh')).status, 404);
    await hangup(a.one, b.one);
    await call('DELETE', `/bridges/${id}`);
  });
});

describe('holding bridges', () => {
  it('participants hear music on hold from the class files; the announcer is heard, participants are not', async () => {
    const a = await pair();
    const b = await pair();
    const id = await bridge('holding', [a.one, b.one]);
    await tone(a.two, 440); // a participant talks: nobody may hear it
    // The class's files are read and joined first: wait (bounded) until B hears the music start.
    for (let i = 0; i < 30 && rms((await hear([b.two], 100)).get(b.two)!) < 200; i++);
    const heard = (await hear([b.two], 600)).get(b.two)!;
    assert.ok(rms(heard) > 200, `participant hears music at RMS ${rms(heard)}`);
    // By content: what B hears is a stretch of the first file of the class (alphabetical), sample for sample.
    const file = path.join(DEBIAN_MOH, 'macroform-cold_day.wav');
    const music = formatForPath(file)!.readFileSync(file);
    const probe = heard.subarray(0, 160);
    let found = -1;
    for (let at = 0; at + 160 <= Math.min(music.length, 8000 * 10) && found < 0; at++) {
      let same = true;
      for (let i = 0; i < 160 && same; i++) same = music[at + i] === probe[i];
      if (same) found = at;
    }
    assert.ok(found >= 0, 'the music heard is not the class file');
    assert.ok(amp(heard, 440) < 300, `B hears participant A at ${amp(heard, 440)}`);

    // An announcer: participants hear it instead of the music (and still not each other); it hears nothing.
    const c = await pair();
    await add(id, [c.one], 'announcer');
    await tone(c.two, 1000);
    const withAnnouncer = await hear([b.two, c.two]);
    const atB = withAnnouncer.get(b.two)!;
    assert.ok(amp(atB, 1000) > 1000, `participant hears the announcer at ${amp(atB, 1000)}`);
    assert.ok(amp(atB, 1000) > 20 * amp(atB, 440), `participant hears the other participant at ${amp(atB, 440)}`);
    // Nothing but the announcer's tone: what is left after taking the tone's power out is (near) nothing.
    const rest = Math.sqrt(Math.max(0, rms(atB) ** 2 - amp(atB, 1000) ** 2 / 2));
    assert.ok(rest < 150, `music still heard under the announcer (residual RMS ${rest})`);
    assert.ok(rms(withAnnouncer.get(c.two)!) < 5, `announcer hears RMS ${rms(withAnnouncer.get(c.two)!)}`);
    await hangup(a.one, b.one, c.one);
    await call('DELETE', `/bridges/${id}`);
  });
});

describe('music on hold and silence on channels', () => {
  it('channel MOH: music while on, nothing after stop; an unknown class plays the default one', async () => {
    const a = await pair();
    assert.equal((await call('POST', `/channels/${a.one}/moh?mohClass=default`)).status, 204);
    await sleep(150);
    const on = (await hear([a.two])).get(a.two)!;
    assert.ok(rms(on) > 200, `music at RMS ${rms(on)}`);
    assert.equal((await call('DELETE', `/channels/${a.one}/moh`)).status, 204);
    await sleep(60);
    assert.ok(rms((await hear([a.two])).get(a.two)!) < 5, 'music after stop');
    assert.equal((await call('POST', `/channels/${a.one}/moh?mohClass=no-such-class`)).status, 204);
    await sleep(150);
    assert.ok(rms((await hear([a.two])).get(a.two)!) > 200, 'no music for an unknown class');
    assert.equal((await call('DELETE', `/channels/${a.one}/moh`)).status, 204);
    assert.equal((await call('POST', '/channels/nope/moh')).status, 404);
    await hangup(a.one);
  });

  it('silence: a bridged channel hears nothing while it runs, the bridge again after', async () => {
    const a = await pair();
    const b = await pair();
    const id = await bridge('mixing', [a.one, b.one]);
    await tone(b.two, 440);
    assert.ok(amp((await hear([a.two])).get(a.two)!, 440) > 1000, 'bridge audio before silence');
    assert.equal((await call('POST', `/channels/${a.one}/silence`)).status, 204);
    await sleep(60);
    assert.ok(rms((await hear([a.two])).get(a.two)!) < 5, 'audio during silence');
    assert.equal((await call('DELETE', `/channels/${a.one}/silence`)).status, 204);
    await sleep(60);
    assert.ok(amp((await hear([a.two])).get(a.two)!, 440) > 1000, 'bridge audio after silence');
    assert.equal((await call('DELETE', `/channels/${a.one}/silence`)).status, 204);
    await hangup(a.one, b.one);
    await call('DELETE', `/bridges/${id}`);
  });

  it('StartMusicOnHold / StopMusicOnHold / MusicOnHold(class,duration) from the dialplan', async () => {
    // ;1 waits outside any application; ;2 runs the `moh` extension (music 0-1 s, none 1-2 s, music 2-3 s).
    // What ;2 is played comes out of ;1: its `in` side is what we tap.
    const t0 = Date.now();
    const r = await call('POST', '/channels/bm-dp-1?endpoint=Local/moh@bm&extension=wait&context=internal');
    assert.equal(r.status, 200);
    const at = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()));
    await at(300);
    const first = (await hear(['bm-dp-1'], 300)).get('bm-dp-1')!;
    assert.ok(rms(first) > 200, `StartMusicOnHold: RMS ${rms(first)}`);
    await at(1300);
    const second = (await hear(['bm-dp-1'], 300)).get('bm-dp-1')!;
    assert.ok(rms(second) < 5, `after StopMusicOnHold: RMS ${rms(second)}`);
    await at(2300);
    const third = (await hear(['bm-dp-1'], 300)).get('bm-dp-1')!;
    assert.ok(rms(third) > 200, `MusicOnHold: RMS ${rms(third)}`);
    await hangup('bm-dp-1');
  });
});

describe('Dial() bridges', () => {
  const named = (prefix: string) => (id: string) => srv.ariadne.core.channels.get(id)?.name.startsWith(prefix) === true;

  it('Local channels bridged by Dial() hear each other', async () => {
    const mark = ev.messages.length;
    assert.equal((await call('POST', `/channels/bm-dial-1?endpoint=Local/direct@bm&app=${APP}`)).status, 200);
    // The dialled leg's other half runs Stasis() in our application.
    const start = await nextAfter(mark, (m) => m.type === 'StasisStart' && (m.channel as Json).id !== 'bm-dial-1');
    const callee = (start.channel as Json).id as string;
    await waitFor('the Dial bridge', () => srv.ariadne.core.bridges.list().find((b) => b.has('bm-dial-1;2')));
    await tone('bm-dial-1', 440); // said by bm-dial-1;2 into Dial's bridge
    const heard = (await hear([callee])).get(callee)!;
    assert.ok(amp(heard, 440) > 1000, `callee hears 440 Hz at ${amp(heard, 440)}`);
    await hangup('bm-dial-1', callee);
  });

  it('after a Local hop is optimised away, the engine follows the swap', async () => {
    const mark = ev.messages.length;
    assert.equal((await call('POST', `/channels/bm-dial-2?endpoint=Local/hop@bm&app=${APP}`)).status, 200);
    const start = await nextAfter(mark, (m) => m.type === 'StasisStart' && (m.channel as Json).id !== 'bm-dial-2');
    const callee = (start.channel as Json).id as string;
    // Optimised: bm-dial-2;2 now shares a bridge with the dialled `Local/stasis-...;1`, the hop pair is gone.
    await waitFor('the optimisation', () =>
      srv.ariadne.core.bridges.list().find((b) => b.has('bm-dial-2;2') && b.members().some((c) => named(`Local/stasis-${APP}@internal`)(c.id))),
    );
    await tone('bm-dial-2', 1000);
    const heard = (await hear([callee])).get(callee)!;
    assert.ok(amp(heard, 1000) > 1000, `callee hears 1000 Hz at ${amp(heard, 1000)}`);
    await hangup('bm-dial-2', callee);
  });
});

describe('console', () => {
  it('moh show classes and moh show files', async () => {
    let out = '';
    await srv.ariadne.commands.execute('moh show classes', (t) => (out += t));
    assert.equal(out, 'Class: default\n\tMode: files\n\tDirectory: moh\n');
    out = '';
    await srv.ariadne.commands.execute('moh show files', (t) => (out += t));
    const files = fs.readdirSync(DEBIAN_MOH).map((f) => f.replace(/\.wav$/, '')).sort();
    const dir = path.join(srv.dir, 'data', 'moh');
    assert.equal(out, `Class: default\n${files.map((f) => `\tFile: ${path.join(dir, f)}\n`).join('')}`);
  });
});
