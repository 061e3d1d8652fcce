/**
 * Shared by the external media e2e tests: a server with one Stasis application, `externalMedia` requests, a
 * Local pair bridged with an external channel (what the peer says is then heard on the pair's `;2` `in` side),
 * and tone helpers measured by Goertzel.
 */

import assert from 'node:assert/strict';
import { MediaApp, level, type Json } from '../helpers/media-app.ts';
import { sine } from '../../src/media/engine/test-audio.ts';
import { concatSamples } from '../../src/media/engine/frame.ts';
import { goertzelAmplitude } from '../../src/media/dsp/goertzel.ts';

export { level, type Json };

export class ExternalFixture {
  readonly fx: MediaApp;
  #seq = 0;

  private constructor(fx: MediaApp) {
    this.fx = fx;
  }

  static async start(app: string): Promise<ExternalFixture> {
    return new ExternalFixture(await MediaApp.start(app));
  }

  get app(): string {
    return this.fx.app;
  }

  stop(): Promise<void> {
    return this.fx.stop();
  }

  call(method: string, pathAndQuery: string) {
    return this.fx.call(method, pathAndQuery);
  }

  /** A fresh channel id for this test file. */
  id(prefix: string): string {
    return `${prefix}-${++this.#seq}`;
  }

  /** `POST /channels/externalMedia` for the fixture's application. */
  create(query: string) {
    return this.call('POST', `/channels/externalMedia?app=${this.app}&${query}`);
  }

  stasisStart(id: string, timeoutMs = 5000): Promise<Json> {
    return this.fx.ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === id, timeoutMs);
  }

  stasisEnd(id: string, timeoutMs = 5000): Promise<Json> {
    return this.fx.ev.next((m) => m.type === 'StasisEnd' && (m.channel as Json).id === id, timeoutMs);
  }

  /** Bridges `channelId` with the `;1` half of a new Local pair; returns `;2`, where the bridge is heard. */
  async bridgeWithLocal(channelId: string): Promise<{ one: string; two: string; bridgeId: string }> {
    const { one, two } = await this.fx.pair(`${channelId}-pair`);
    const bridge = await this.call('POST', '/bridges?type=mixing');
    assert.equal(bridge.status, 200);
    const bridgeId = bridge.body.id as string;
    assert.equal((await this.call('POST', `/bridges/${bridgeId}/addChannel?channel=${channelId},${one}`)).status, 204);
    return { one, two, bridgeId };
  }

  /** What `;2` of a bridged pair hears of the bridge over `ms`. */
  heard(two: string, ms = 400): Promise<Int16Array> {
    return this.fx.listen(two, 'in', ms);
  }
}

/** Asserts that `freq` dominates `other` in 8 kHz (or `rate`) samples. */
export function assertTone(samples: Int16Array, freq: number, other: number, what: string, rate = 8000): void {
  const a = goertzelAmplitude(samples, freq, rate);
  const b = goertzelAmplitude(samples, other, rate);
  assert.ok(a > 1000, `${what}: ${freq} Hz amplitude ${a.toFixed(0)} (${samples.length} samples)`);
  assert.ok(a > 10 * b, `${what}: ${freq} Hz ${a.toFixed(0)} vs ${other} Hz ${b.toFixed(0)}`);
}

/** `ms` of `freq` at `rate` (1000 Hz has whole periods in every 20 ms frame, so frames join without clicks). */
export function toneSamples(freq: number, ms: number, rate: 8000 | 16000 = 8000): Int16Array {
  return sine(freq, ms, rate, 8000);
}

/** Concatenates sample arrays. */
export const concat = concatSamples;

/** Sends one 20 ms frame every 20 ms for `ms` (a real-time talker); the returned function stops it early. */
export function talk(frames: (index: number) => void, ms: number): () => void {
  let i = 0;
  const timer = setInterval(() => {
    if (i * 20 >= ms) return clearInterval(timer);
    frames(i++);
  }, 20);
  return () => clearInterval(timer);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when `pred()` holds, polling; fails after `timeoutMs`. */
export async function until(pred: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
