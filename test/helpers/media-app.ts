/**
 * A running server with one Stasis application for media tests: the reference dialplan (plus any extra
 * contexts), an events WebSocket for the application, Local pairs whose halves are both in it, and listening to
 * a channel's audio by content — one side of its media session tapped through the server's media port.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openEvents, startTestServer, type EventClient, type TestServer } from './ariadne.ts';
import { REFERENCE_DIR } from './sequences.ts';
import { goertzelAmplitude } from '../../src/media/dsp/goertzel.ts';
import { concatFrames } from '../../src/media/engine/frame.ts';
import type { Direction, MediaNotification } from '../../src/media/engine/protocol.ts';

export type Json = Record<string, unknown>;

export class MediaApp {
  readonly srv: TestServer;
  readonly ev: EventClient;
  readonly app: string;
  #seq = 0;

  private constructor(srv: TestServer, ev: EventClient, app: string) {
    this.srv = srv;
    this.ev = ev;
    this.app = app;
  }

  /** Starts a server with the reference extensions.conf followed by `extraDialplan`, and opens `app`'s events. */
  static async start(app: string, extraDialplan = ''): Promise<MediaApp> {
    const extensions = fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8') + extraDialplan;
    const srv = await startTestServer({ files: { 'extensions.conf': extensions } });
    const ev = await openEvents(srv.base, `api_key=asterisk:asterisk&app=${app}`);
    return new MediaApp(srv, ev, app);
  }

  async stop(): Promise<void> {
    await this.ev.close();
    await this.srv.stop();
  }

  async call(method: string, pathAndQuery: string): Promise<{ status: number; body: Json }> {
    const res = await this.srv.ari(method, pathAndQuery);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  }

  /** A Local pair with both halves in the application (`t`: `;2`'s id for URLs); resolves once both are in. */
  async pair(prefix: string): Promise<{ one: string; two: string; t: string }> {
    const one = `${prefix}-${++this.#seq}`;
    const two = `${one};2`;
    assert.equal((await this.call('POST', `/channels/${one}?endpoint=Local/stasis-${this.app}@internal&app=${this.app}`)).status, 200);
    await this.ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === one);
    await this.ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === two);
    return { one, two, t: encodeURIComponent(two) };
  }

  /**
   * What one side of a channel's session carries over `ms` of real time, without its first 3 frames (audio that
   * was on its way when the tap started). Fails when far fewer frames than expected came (a stalled clock).
   */
  async listen(sessionId: string, direction: Direction, ms = 300): Promise<Int16Array> {
    const port = this.srv.ariadne.media;
    const frames: { samples: Int16Array }[] = [];
    const off = port.onNotification((n: MediaNotification) => {
      if (n.type === 'frame' && n.sessionId === sessionId && n.direction === direction) frames.push({ samples: n.frame.samples });
    });
    port.send({ type: 'tap', sessionId, direction, enabled: true });
    await sleep(ms);
    port.send({ type: 'tap', sessionId, direction, enabled: false });
    off();
    assert.ok(frames.length >= (ms / 20) * 0.5, `only ${frames.length} frames in ${ms} ms`);
    return concatFrames(frames.slice(3));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The amplitude of `freq` Hz in 8 kHz samples (Goertzel). */
export function level(samples: Int16Array, freq: number): number {
  return goertzelAmplitude(samples, freq, 8000);
}
