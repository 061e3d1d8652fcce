/**
 * The media applications' rules against a scripted media port and channel: what is played and stopped, how
 * digits end a Read or a Background, the statuses, options and hangups. Sounds are the real Debian files; the
 * e2e test (test/e2e/dialplan-media.test.ts) checks what is heard.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppOutcome, DialplanApp } from '../../core/applications.ts';
import type { Channel } from '../../core/channel.ts';
import type { MediaPort } from '../../media/engine/port.ts';
import type { MediaCommand, MediaNotification, PlaybackEndReason } from '../../media/engine/protocol.ts';
import { mediaApps, type ExtenMatch } from './media.ts';

const SOUNDS = '/usr/share/asterisk/sounds';

type Play = Extract<MediaCommand, { type: 'play' }>;

class ScriptedPort implements MediaPort {
  readonly sent: MediaCommand[] = [];
  readonly #listeners = new Set<(n: MediaNotification) => void>();
  readonly #playing = new Set<string>();
  #waiters: ((p: Play) => void)[] = [];

  send(command: MediaCommand): void {
    this.sent.push(command);
    if (command.type === 'play') {
      this.#playing.add(command.playbackId);
      const w = this.#waiters.shift();
      if (w) w(command);
    } else if (command.type === 'stop') this.finish(command.playbackId, 'stopped');
  }

  onNotification(listener: (n: MediaNotification) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {}

  /** The next `play` (one already sent and not yet taken counts). */
  nextPlay(): Promise<Play> {
    const taken = new Set(this.#taken);
    const pending = this.sent.find((c): c is Play => c.type === 'play' && !taken.has(c.playbackId));
    if (pending) {
      this.#taken.push(pending.playbackId);
      return Promise.resolve(pending);
    }
    return new Promise((resolve) =>
      this.#waiters.push((p) => {
        this.#taken.push(p.playbackId);
        resolve(p);
      }),
    );
  }
  readonly #taken: string[] = [];

  finish(playbackId: string, reason: PlaybackEndReason = 'done'): void {
    if (!this.#playing.delete(playbackId)) return;
    queueMicrotask(() => {
      for (const l of [...this.#listeners]) l({ type: 'playback-finished', playbackId, reason });
    });
  }

  stopped(playbackId: string): boolean {
    return this.sent.some((c) => c.type === 'stop' && c.playbackId === playbackId);
  }
}

interface FakeCall {
  readonly channel: Channel;
  readonly vars: Map<string, string>;
  dtmf(digits: string): void;
  hangup(): void;
}

function fakeCall(options: { state?: string; context?: string } = {}): FakeCall {
  const frames = new Set<(f: { type: string; digit?: string; durationMs?: number }) => void>();
  const abort = new AbortController();
  const vars = new Map<string, string>();
  const channel = {
    id: 'chan-1',
    name: 'Local/x@t-00000001;2',
    state: options.state ?? 'Up',
    language: 'en',
    location: { context: options.context ?? 'menu', exten: 's', priority: 1 },
    caller: { number: '' },
    hangupSignal: abort.signal,
    attachments: new Map<string, unknown>(),
    onFrame(l: (f: { type: string }) => void) {
      frames.add(l);
      return () => frames.delete(l);
    },
    setVariable: (k: string, v: string) => vars.set(k, v),
    getVariable: (k: string) => vars.get(k),
    driver: {
      answer(c: { state: string }) {
        c.state = 'Up';
      },
    },
  };
  return {
    channel: channel as unknown as Channel,
    vars,
    dtmf: (digits) => {
      for (const digit of digits) for (const l of [...frames]) l({ type: 'dtmf', digit, durationMs: 100 });
    },
    hangup: () => abort.abort(),
  };
}

const silentLogger = new Proxy({}, { get: () => () => undefined }) as never;

/** Extensions of the `menu` context: 5, 42, 43. */
function menuMatch(_ch: Channel, context: string, digits: string): ExtenMatch {
  const extens = context === 'menu' ? ['5', '42', '43'] : ['9'];
  return {
    exists: extens.includes(digits),
    canMatch: extens.some((e) => e.startsWith(digits)),
    matchMore: extens.some((e) => e.startsWith(digits) && e.length > digits.length),
  };
}

function setup(): { port: ScriptedPort; app: (name: string) => DialplanApp; ensured: string[] } {
  const port = new ScriptedPort();
  const ensured: string[] = [];
  const apps = mediaApps({
    port,
    soundsDir: SOUNDS,
    logger: silentLogger,
    ensureSession: (id) => ensured.push(id),
    match: menuMatch,
    responseTimeoutMs: 150,
    digitTimeoutMs: 100,
  });
  return { port, ensured, app: (name) => apps.find((a) => a.name === name) as DialplanApp };
}

const run = (app: DialplanApp, call: FakeCall, data: string): Promise<AppOutcome> => Promise.resolve(app.execute({ channel: call.channel, data, inDialplan: true }));
const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('Playback answers, plays each file on the session queue, then says SUCCESS', async () => {
  const { port, app, ensured } = setup();
  const call = fakeCall({ state: 'Ring' });
  const done = run(app('Playback'), call, 'digits/1&digits/2');
  for (let i = 0; i < 2; i++) {
    const p = await port.nextPlay();
    assert.deepEqual(p.target, { type: 'session', id: 'chan-1' });
    assert.equal(p.queue, 'playback');
    assert.equal(p.sources[0]?.type, 'buffer');
    port.finish(p.playbackId);
  }
  assert.equal(await done, undefined);
  assert.equal(call.channel.state, 'Up');
  assert.equal(call.vars.get('PLAYBACKSTATUS'), 'SUCCESS');
  assert.deepEqual(ensured, ['chan-1', 'chan-1']);
});

test('Playback: skip does nothing on a channel that is not up; noanswer plays without answering', async () => {
  const { port, app } = setup();
  const skipped = fakeCall({ state: 'Ring' });
  assert.equal(await run(app('Playback'), skipped, 'digits/1,skip'), undefined);
  assert.equal(skipped.vars.get('PLAYBACKSTATUS'), 'SUCCESS');
  assert.equal(port.sent.length, 0);
  const quiet = fakeCall({ state: 'Ring' });
  const done = run(app('Playback'), quiet, 'digits/1,noanswer');
  port.finish((await port.nextPlay()).playbackId);
  await done;
  assert.equal(quiet.channel.state, 'Ring');
});

test('Playback of a missing file says FAILED; a hangup stops the playback and ends the dialplan', async () => {
  const { port, app } = setup();
  const call = fakeCall();
  assert.equal(await run(app('Playback'), call, 'no-such-sound'), undefined);
  assert.equal(call.vars.get('PLAYBACKSTATUS'), 'FAILED');
  const hung = fakeCall();
  const done = run(app('Playback'), hung, 'digits/1');
  const p = await port.nextPlay();
  hung.dtmf('5'); // Playback is not interrupted by digits
  await tick();
  assert.equal(port.stopped(p.playbackId), false);
  hung.hangup();
  assert.deepEqual(await done, { hangup: true });
  assert.ok(port.stopped(p.playbackId));
  assert.equal(hung.vars.get('PLAYBACKSTATUS'), 'SUCCESS');
});

test('Background: a one-digit extension goes there at once, a prefix collects more digits', async () => {
  const { port, app } = setup();
  const call = fakeCall();
  const done = run(app('Background'), call, 'digits/1');
  const p = await port.nextPlay();
  call.dtmf('5');
  assert.deepEqual(await done, { goto: { context: 'menu', exten: '5', priority: 1 } });
  assert.ok(port.stopped(p.playbackId));
  assert.equal(call.vars.get('BACKGROUNDSTATUS'), 'SUCCESS');

  const more = fakeCall();
  const done2 = run(app('Background'), more, 'digits/1');
  await port.nextPlay();
  more.dtmf('4');
  await tick(20);
  more.dtmf('3');
  assert.deepEqual(await done2, { goto: { context: 'menu', exten: '43', priority: 1 } });

  // A prefix with no more digits: after the digit timeout, what was dialled (the engine sends it to `i`).
  const partial = fakeCall();
  const done3 = run(app('Background'), partial, 'digits/1');
  await port.nextPlay();
  partial.dtmf('4');
  assert.deepEqual(await done3, { goto: { context: 'menu', exten: '4', priority: 1 } });
});

test('Background options: m ignores digits that are no extension, p cannot be interrupted, a given context', async () => {
  const { port, app } = setup();
  const call = fakeCall();
  const done = run(app('Background'), call, 'digits/1,m');
  const p = await port.nextPlay();
  call.dtmf('4');
  await tick();
  assert.equal(port.stopped(p.playbackId), false);
  call.dtmf('5');
  assert.deepEqual(await done, { goto: { context: 'menu', exten: '5', priority: 1 } });

  const p2call = fakeCall();
  const done2 = run(app('Background'), p2call, 'digits/1,p');
  const p2 = await port.nextPlay();
  p2call.dtmf('5');
  await tick();
  assert.equal(port.stopped(p2.playbackId), false);
  port.finish(p2.playbackId);
  assert.equal(await done2, undefined);

  const other = fakeCall();
  const done3 = run(app('Background'), other, 'digits/1,,,other');
  await port.nextPlay();
  other.dtmf('9');
  assert.deepEqual(await done3, { goto: { context: 'other', exten: '9', priority: 1 } });
});

test('Background of a missing file says FAILED and goes on', async () => {
  const { app } = setup();
  const call = fakeCall();
  assert.equal(await run(app('Background'), call, 'no-such-sound'), undefined);
  assert.equal(call.vars.get('BACKGROUNDSTATUS'), 'FAILED');
});

test('Read: digits typed during the prompt count; # ends; maxdigits ends; a timeout keeps what was typed', async () => {
  const { port, app } = setup();
  const a = fakeCall();
  const done = run(app('Read'), a, 'NUM,beep');
  const p = await port.nextPlay();
  a.dtmf('12#');
  assert.equal(await done, undefined);
  assert.ok(port.stopped(p.playbackId));
  assert.deepEqual([a.vars.get('NUM'), a.vars.get('READSTATUS')], ['12', 'OK']);

  const b = fakeCall();
  const done2 = run(app('Read'), b, 'NUM,,3');
  await tick();
  b.dtmf('98765');
  await done2;
  assert.deepEqual([b.vars.get('NUM'), b.vars.get('READSTATUS')], ['987', 'OK']);

  // As ast_readstring: a timeout after some digits is TIMEOUT, with the digits kept.
  const c = fakeCall();
  const done3 = run(app('Read'), c, 'NUM');
  await tick();
  c.dtmf('7');
  await done3;
  assert.deepEqual([c.vars.get('NUM'), c.vars.get('READSTATUS')], ['7', 'TIMEOUT']);
});

test('Read: a lone terminator is OK and empty (e keeps it); t() sets the terminators; attempts repeat the prompt', async () => {
  const { port, app } = setup();
  const a = fakeCall();
  const done = run(app('Read'), a, 'NUM,,,e');
  await tick();
  a.dtmf('#');
  await done;
  assert.deepEqual([a.vars.get('NUM'), a.vars.get('READSTATUS')], ['#', 'OK']);

  const b = fakeCall();
  const done2 = run(app('Read'), b, 'NUM,,,t(*)');
  await tick();
  b.dtmf('1#2*');
  await done2;
  assert.deepEqual([b.vars.get('NUM'), b.vars.get('READSTATUS')], ['1#2', 'OK']);

  const c = fakeCall();
  const done3 = run(app('Read'), c, 'NUM,beep,,,2,0.05');
  port.finish((await port.nextPlay()).playbackId);
  port.finish((await port.nextPlay()).playbackId);
  await done3;
  assert.deepEqual([c.vars.get('NUM'), c.vars.get('READSTATUS')], ['', 'TIMEOUT']);
});

test('Read: skip, a missing last prompt (ERROR), an indication stopped by the first digit, a hangup', async () => {
  const { port, app } = setup();
  const s = fakeCall({ state: 'Ring' });
  await run(app('Read'), s, 'NUM,beep,,s');
  assert.deepEqual([s.vars.get('NUM'), s.vars.get('READSTATUS')], ['', 'SKIPPED']);

  const m = fakeCall();
  await run(app('Read'), m, 'NUM,no-such-sound');
  assert.equal(m.vars.get('READSTATUS'), 'ERROR');

  const i = fakeCall();
  const done = run(app('Read'), i, 'NUM,dial,2,i');
  const p = await port.nextPlay();
  assert.deepEqual(p.sources, [{ type: 'tone', tones: '350+440' }]);
  i.dtmf('4');
  await tick();
  assert.ok(port.stopped(p.playbackId));
  i.dtmf('2');
  await done;
  assert.deepEqual([i.vars.get('NUM'), i.vars.get('READSTATUS')], ['42', 'OK']);

  const h = fakeCall();
  const done2 = run(app('Read'), h, 'NUM,beep');
  const p2 = await port.nextPlay();
  h.dtmf('3');
  await tick();
  h.hangup();
  assert.deepEqual(await done2, { hangup: true });
  assert.ok(port.stopped(p2.playbackId));
  assert.deepEqual([h.vars.get('NUM'), h.vars.get('READSTATUS')], ['3', 'HANGUP']);
});

test('Say*: digits do not interrupt unless SAY_DTMF_INTERRUPT is true; bad SayNumber arguments', async () => {
  const { port, app } = setup();
  const a = fakeCall();
  const done = run(app('SayDigits'), a, '12');
  const p = await port.nextPlay();
  a.dtmf('5');
  await tick();
  assert.equal(port.stopped(p.playbackId), false);
  port.finish(p.playbackId);
  assert.equal(await done, undefined);

  const b = fakeCall();
  b.vars.set('SAY_DTMF_INTERRUPT', 'yes');
  const done2 = run(app('SayNumber'), b, '42');
  await port.nextPlay();
  b.dtmf('5');
  assert.deepEqual(await done2, { goto: { context: 'menu', exten: '5', priority: 1 } });

  const c = fakeCall();
  assert.equal(await run(app('SayNumber'), c, 'forty'), undefined);
  assert.deepEqual(await run(app('SayNumber'), c, '42,x'), { hangup: true });
  assert.deepEqual(await run(app('SayNumber'), c, ''), { hangup: true });
  assert.equal(await run(app('SayDigits'), c, ''), undefined);
});

test('PlayTones goes on at once; StopPlayTones and the next blocking playback stop it', async () => {
  const { port, app } = setup();
  const call = fakeCall();
  assert.equal(await run(app('PlayTones'), call, 'busy'), undefined);
  const t = await port.nextPlay();
  assert.equal(t.queue, 'tones');
  assert.deepEqual(t.sources, [{ type: 'tone', tones: '480+620/500,0/500' }]);
  await run(app('StopPlayTones'), call, '');
  assert.ok(port.stopped(t.playbackId));

  await run(app('PlayTones'), call, '440');
  const t2 = await port.nextPlay();
  const done = run(app('Playback'), call, 'digits/1');
  const p = await port.nextPlay();
  assert.ok(port.stopped(t2.playbackId));
  port.finish(p.playbackId);
  await done;
  assert.deepEqual(await run(app('PlayTones'), call, ''), { hangup: true });
});

test('Milliwatt: 1004 Hz without answering; o answers and plays 1000 Hz; m pulses; ends with the hangup', async () => {
  const { port, app } = setup();
  for (const [opts, tones, answers] of [
    ['', '1004', false],
    ['o', '1000', true],
    ['m', '1004/9000,0/1000', false],
  ] as const) {
    const call = fakeCall({ state: 'Ring' });
    const done = run(app('Milliwatt'), call, opts);
    const p = await port.nextPlay();
    assert.deepEqual(p.sources, [{ type: 'tone', tones, amplitude: 23255 }]);
    assert.equal(call.channel.state === 'Up', answers);
    call.hangup();
    assert.deepEqual(await done, { hangup: true });
    assert.ok(port.stopped(p.playbackId));
  }
});
