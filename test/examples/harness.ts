/**
 * What the example tests share: a real Ariadne with the seed's dialplan (plus test contexts), the example
 * running against it over real sockets, callers whose other half the test controls, and ways to tell what a
 * caller heard by content.
 *
 * A caller is a Local pair originated as `Local/<exten>@<context>` with `app=ex-test`: `;1` lands in the test's
 * own application (`fx.ev` hears its events, and the test sends DTMF and plays audio from it), while the dialplan
 * sends `;2` into the example. What the example plays to `;2` is what `;1` reads: `fx.tap(one, 'in')`.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEBIAN_EN, MediaApp, type Json } from '../helpers/media-app.ts';
import { openEvents, type EventClient } from '../helpers/ariadne.ts';
import { PROJECT_ROOT } from '../../src/server.ts';
import { readWav } from '../../src/media/wav/wav.ts';
import { goertzelAmplitude } from '../../src/media/dsp/goertzel.ts';
import type { ExampleOptions } from '../../examples/shared/run.ts';

export const TEST_APP = 'ex-test';

export interface Fixture {
  readonly fx: MediaApp;
  /** Every event of the system (`subscribeAll`), to watch what the example does. */
  readonly observer: EventClient;
  /** `(method, path)` → status and parsed body. */
  call(method: string, pathAndQuery: string): Promise<{ status: number; body: Json }>;
  stop(): Promise<void>;
}

/** A server with the seed's extensions.conf plus `extraDialplan`, Debian's sounds, the test app and an observer. */
export async function startFixture(extraDialplan = ''): Promise<Fixture> {
  const extensions = fs.readFileSync(path.join(PROJECT_ROOT, 'configs', 'extensions.conf'), 'utf8');
  const fx = await MediaApp.start(TEST_APP, { extensions, extraDialplan });
  const observer = await openEvents(fx.srv.base, 'app=ex-observer&subscribeAll=true&api_key=asterisk:asterisk');
  return {
    fx,
    observer,
    call: (method, pathAndQuery) => fx.call(method, pathAndQuery),
    stop: async () => {
      await observer.close();
      await fx.stop();
    },
  };
}

export interface RunningExample {
  /** The example's log lines so far. */
  readonly lines: string[];
  /** Aborts the example and waits until its promise settles (rejects if it failed). */
  stop(): Promise<void>;
  /** Whether its promise has settled. */
  settled(): boolean;
}

/** Starts an example against the fixture's server and waits until its application is registered. */
export async function runExample<O extends ExampleOptions>(f: Fixture, main: (opts: O) => Promise<void>, app: string, extra: Omit<O, keyof ExampleOptions> & Partial<O>): Promise<RunningExample> {
  const ctl = new AbortController();
  const lines: string[] = [];
  let done = false;
  const opts = { ...extra, url: f.fx.srv.base, username: 'asterisk', password: 'asterisk', signal: ctl.signal, log: (l: string) => void lines.push(l) } as unknown as O;
  const running = main(opts).finally(() => (done = true));
  running.catch(() => undefined); // surfaced by stop()
  for (let i = 0; i < 200 && (await f.call('GET', `/applications/${app}`)).status !== 200; i++) {
    assert.ok(!done, `the example ended before registering: ${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    lines,
    settled: () => done,
    stop: async () => {
      ctl.abort();
      await running;
    },
  };
}

let seq = 0;

/**
 * A caller: `Local/<exten>@<context>` with `;1` in the test app; resolves once `;1` is in it. `created` runs as
 * soon as the channel exists (before the example has answered it), e.g. to start listening.
 */
export async function dial(f: Fixture, exten: string, context = 'internal', created?: (one: string) => void): Promise<{ one: string; two: string }> {
  const one = `caller-${++seq}`;
  const r = await f.call('POST', `/channels/${one}?endpoint=${encodeURIComponent(`Local/${exten}@${context}`)}&app=${TEST_APP}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  created?.(one);
  await f.fx.ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === one, 5000);
  return { one, two: `${one};2` };
}

/** Sends DTMF from a caller's `;1` (the example's `;2` receives it). */
export async function press(f: Fixture, channelId: string, digits: string): Promise<void> {
  const r = await f.call('POST', `/channels/${encodeURIComponent(channelId)}/dtmf?dtmf=${encodeURIComponent(digits)}`);
  assert.equal(r.status, 204, JSON.stringify(r.body));
}

/** Waits (bounded) until `cond` holds. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The 8 kHz samples of one of Debian's English sounds (`hello-world`, `digits/2`). */
export function soundSamples(name: string): Int16Array {
  const wav = readWav(fs.readFileSync(path.join(DEBIAN_EN, `${name}.wav`)));
  assert.equal(wav.sampleRate, 8000);
  return wav.samples;
}

/**
 * Where in `file` the loudest 100 ms of `heard` come from: the offset (ms) of `heard[0]` in the file, and the
 * normalized correlation of the match (1 = the same samples). Used to tell which sound a caller heard and
 * where in it a playback was (after forward, rewind, restart).
 */
export function locate(heard: Int16Array, file: Int16Array): { atMs: number; score: number } {
  const W = 800;
  assert.ok(heard.length >= W, `only ${heard.length} samples heard`);
  let start = 0;
  let loudest = -1;
  for (let i = 0; i + W <= heard.length; i += 160) {
    let e = 0;
    for (let k = i; k < i + W; k++) e += heard[k]! * heard[k]!;
    if (e > loudest) [loudest, start] = [e, i];
  }
  const needle = heard.subarray(start, start + W);
  let nn = 0;
  for (const v of needle) nn += v * v;
  let best = { at: 0, score: -1 };
  for (let o = 0; o + W <= file.length; o += 2) {
    let dot = 0;
    let ff = 0;
    for (let k = 0; k < W; k++) {
      const v = file[o + k]!;
      dot += v * needle[k]!;
      ff += v * v;
    }
    const score = ff > 0 && nn > 0 ? dot / Math.sqrt(ff * nn) : 0;
    if (score > best.score) best = { at: o, score };
  }
  return { atMs: ((best.at - start) * 1000) / 8000, score: best.score };
}

/** Whether `heard` contains the sound `name` (its loudest 100 ms match heard audio with correlation > 0.9). */
export function contains(heard: Int16Array, name: string): boolean {
  return locate(soundSamples(name), heard).score > 0.9;
}

/** Matches an event of `type` about channel `id`. */
export const about =
  (type: string, id: string) =>
  (m: Json): boolean =>
    m.type === type && (m.channel as Json | undefined)?.id === id;

/** `next` limited to events that arrive from now on (the event client's `next` also matches past ones). */
export function fromNow(ev: EventClient): (pred: (m: Json) => boolean, timeoutMs?: number) => Promise<Json> {
  const from = ev.messages.length;
  return (pred, timeoutMs = 3000) => ev.next((m) => ev.messages.indexOf(m) >= from && pred(m), timeoutMs);
}

/** Sends one digit from `one` and waits until the example's `two` has received it. */
export async function key(f: Fixture, one: string, two: string, digit: string): Promise<void> {
  const next = fromNow(f.observer);
  await press(f, one, digit);
  await next((m) => about('ChannelDtmfReceived', two)(m) && m.digit === digit, 3000);
  // The example reacts to the same event over its own socket; give it a moment to act on it.
  await new Promise((r) => setTimeout(r, 150));
}

/** When (ms from the start) and how strongly `freq` Hz peaks in `samples`, over 60 ms windows. */
export function peak(samples: Int16Array, freq: number): { atMs: number; amplitude: number } {
  let best = { atMs: 0, amplitude: 0 };
  for (let i = 0; i + 480 <= samples.length; i += 160) {
    const amplitude = goertzelAmplitude(samples.subarray(i, i + 480), freq, 8000);
    if (amplitude > best.amplitude) best = { atMs: i / 8, amplitude };
  }
  return best;
}
