/**
 * Test helpers that talk to a media host only through a `MediaPort`, so the same scenario runs against the
 * in-thread host and the worker-thread one. Not part of the engine's API.
 */

import assert from 'node:assert/strict';
import type { MediaNotification } from './protocol.ts';
import { ping, type MediaPort } from './port.ts';
import { toneAmplitude, sine } from './test-audio.ts';

/** Records every notification a port delivers. */
export class Recorder {
  readonly all: MediaNotification[] = [];
  readonly #off: () => void;

  constructor(port: MediaPort) {
    this.#off = port.onNotification((n) => this.all.push(n));
  }

  of<T extends MediaNotification['type']>(type: T): Extract<MediaNotification, { type: T }>[] {
    return this.all.filter((n): n is Extract<MediaNotification, { type: T }> => n.type === type);
  }

  stop(): void {
    this.#off();
  }
}

/** Resolves with the first notification that matches. */
export function next<T extends MediaNotification>(port: MediaPort, match: (n: MediaNotification) => n is T): Promise<T>;
export function next(port: MediaPort, match: (n: MediaNotification) => boolean): Promise<MediaNotification>;
export function next(port: MediaPort, match: (n: MediaNotification) => boolean): Promise<MediaNotification> {
  return new Promise((resolve) => {
    const off = port.onNotification((n) => {
      if (!match(n)) return;
      off();
      resolve(n);
    });
  });
}

/** Stops a recording and returns what it collected. */
export async function stopRecording(port: MediaPort, recordingId: string): Promise<Int16Array> {
  const done = next(port, (n) => n.type === 'recording-finished' && n.recordingId === recordingId);
  port.send({ type: 'record-stop', recordingId });
  const n = await done;
  assert.ok(n.type === 'recording-finished' && n.samples instanceof Int16Array);
  return n.samples;
}

/**
 * Issue 4's mixing check through messages only: A says 440 Hz and B 1000 Hz (driver frames written each tick),
 * C says nothing; each one's `out` is recorded. Needs a host with a manual clock. Returns the `write` frames'
 * samples so that callers can check what happened to them.
 */
export async function threePartyScenario(port: MediaPort): Promise<{ sent: Int16Array[] }> {
  const rec = new Recorder(port);
  for (const id of ['A', 'B', 'C']) port.send({ type: 'attach', sessionId: id, rate: 8000 });
  port.send({ type: 'bridge-create', bridgeId: 'mix', kind: 'mixing' });
  for (const id of ['A', 'B', 'C']) {
    port.send({ type: 'bridge-join', bridgeId: 'mix', sessionId: id });
    port.send({ type: 'record', recordingId: `heard-${id}`, target: { type: 'session', id }, direction: 'out', sink: { type: 'buffer' } });
  }
  const a = sine(440, 1000, 8000);
  const b = sine(1000, 1000, 8000);
  const sent: Int16Array[] = [];
  for (let i = 0; i < 50; i++) {
    const fa = a.slice(i * 160, i * 160 + 160);
    const fb = b.slice(i * 160, i * 160 + 160);
    sent.push(fa, fb);
    port.send({ type: 'write', sessionId: 'A', frame: { samples: fa, rate: 8000, timestamp: i * 160, seq: i } });
    port.send({ type: 'write', sessionId: 'B', frame: { samples: fb, rate: 8000, timestamp: i * 160, seq: i } });
    port.send({ type: 'tick' });
  }
  const heardA = await stopRecording(port, 'heard-A');
  const heardB = await stopRecording(port, 'heard-B');
  const heardC = await stopRecording(port, 'heard-C');
  for (const h of [heardA, heardB, heardC]) assert.equal(h.length, 8000);
  assert.ok(toneAmplitude(heardC, 8000, 440) > 7500 && toneAmplitude(heardC, 8000, 1000) > 7500, 'C hears A and B');
  assert.ok(toneAmplitude(heardA, 8000, 1000) > 7500 && toneAmplitude(heardA, 8000, 440) < 50, 'A hears only B');
  assert.ok(toneAmplitude(heardB, 8000, 440) > 7500 && toneAmplitude(heardB, 8000, 1000) < 50, 'B hears only A');
  const stats = await ping(port);
  assert.equal(stats.ticks, 50);
  assert.equal(stats.droppedFrames, 0);
  assert.deepEqual(rec.of('error'), []);
  port.send({ type: 'bridge-destroy', bridgeId: 'mix' });
  for (const id of ['A', 'B', 'C']) port.send({ type: 'detach', sessionId: id });
  const after = await ping(port);
  assert.equal(after.sessions + after.bridges + after.recordings, 0);
  rec.stop();
  return { sent };
}
