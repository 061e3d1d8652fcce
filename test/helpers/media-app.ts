/**
 * A running server with one Stasis application for media tests: the reference dialplan (plus any extra
 * contexts), Debian's English sounds (and, when asked, its music on hold) linked into the test tree, an events
 * WebSocket for the application, Local pairs whose halves are both in it, and listening to a channel's audio by
 * content — one side of its media session tapped through the server's media port.
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

/** Debian's `asterisk-core-sounds-en-wav` and `asterisk-moh-opsound-wav`. */
export const DEBIAN_EN = '/usr/share/asterisk/sounds/en';
export const DEBIAN_MOH = '/usr/share/asterisk/moh';

export interface MediaAppOptions {
  /** Appended to the reference extensions.conf. */
  readonly extraDialplan?: string;
  /** The whole extensions.conf instead of the reference one (then `extraDialplan` is appended to it). */
  readonly extensions?: string;
  /** Other configuration files of the test tree (`indications.conf`...). */
  readonly files?: Readonly<Record<string, string>>;
  /** Rewrites the test tree's asterisk.conf (e.g. its `defaultlanguage`). */
  readonly asteriskConf?: (text: string) => string;
  /** Link Debian's English sounds as `<astdatadir>/sounds/en` (default true). */
  readonly sounds?: boolean;
  /** Link Debian's music on hold as `<astdatadir>/moh` and rescan it with `moh reload` (default false). */
  readonly moh?: boolean;
}

/** A tap on one side of a session: everything it carries from the start until `stop()`. */
export interface Ear {
  stop(): Int16Array;
}

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

  /**
   * Starts a server for `app` (see `MediaAppOptions`; a string is `extraDialplan`) and opens the application's
   * events.
   */
  static async start(app: string, options: string | MediaAppOptions = {}): Promise<MediaApp> {
    const o: MediaAppOptions = typeof options === 'string' ? { extraDialplan: options } : options;
    const base = o.extensions ?? fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8');
    const srv = await startTestServer({
      files: { ...o.files, 'extensions.conf': base + (o.extraDialplan ?? '') },
      ...(o.asteriskConf ? { asteriskConf: o.asteriskConf } : {}),
    });
    const data = path.join(srv.dir, 'data');
    if (o.sounds !== false) {
      fs.mkdirSync(path.join(data, 'sounds'), { recursive: true });
      fs.symlinkSync(DEBIAN_EN, path.join(data, 'sounds', 'en'));
    }
    if (o.moh === true) {
      fs.mkdirSync(data, { recursive: true });
      fs.symlinkSync(DEBIAN_MOH, path.join(data, 'moh'));
      // The built-in `default` class (directory moh) finds the files once rescanned.
      await srv.ariadne.commands.execute('moh reload', () => undefined);
    }
    const ev = await openEvents(srv.base, `api_key=asterisk:asterisk&app=${app}`);
    return new MediaApp(srv, ev, app);
  }

  async stop(): Promise<void> {
    await this.ev.close();
    await this.srv.stop();
  }

  async call(method: string, pathAndQuery: string): Promise<{ status: number; body: Json; headers: Headers }> {
    const res = await this.srv.ari(method, pathAndQuery);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {}, headers: res.headers };
  }

  /** A Local pair with both halves in the application (`t`: `;2`'s id for URLs); resolves once both are in. */
  async pair(prefix: string): Promise<{ one: string; two: string; t: string }> {
    const one = `${prefix}-${++this.#seq}`;
    const two = `${one};2`;
    assert.equal((await this.call('POST', `/channels/${one}?endpoint=Local/stasis-${this.app}@internal&app=${this.app}`)).status, 200);
    await this.ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === one, 5000);
    await this.ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === two, 5000);
    return { one, two, t: encodeURIComponent(two) };
  }

  /**
   * Starts tapping one side of a channel's session (made on demand); `stop()` ends the tap and returns all
   * that the side carried meanwhile.
   */
  tap(sessionId: string, direction: Direction = 'in'): Ear {
    const tap = this.#tap(sessionId, direction);
    return { stop: () => concatFrames(tap.stop()) };
  }

  /**
   * What one side of a channel's session carries over `ms` of real time, without its first 3 frames (audio that
   * was on its way when the tap started). Fails when far fewer frames than expected came (a stalled clock).
   */
  async listen(sessionId: string, direction: Direction, ms = 300): Promise<Int16Array> {
    const tap = this.#tap(sessionId, direction);
    await sleep(ms);
    const frames = tap.stop();
    assert.ok(frames.length >= (ms / 20) * 0.5, `only ${frames.length} frames in ${ms} ms`);
    return concatFrames(frames.slice(3));
  }

  #tap(sessionId: string, direction: Direction): { stop(): { samples: Int16Array }[] } {
    const port = this.srv.ariadne.media;
    assert.ok(this.srv.ariadne.channelMedia.ensure(sessionId), `no media session for ${sessionId}`);
    const frames: { samples: Int16Array }[] = [];
    const off = port.onNotification((n: MediaNotification) => {
      if (n.type === 'frame' && n.sessionId === sessionId && n.direction === direction) frames.push({ samples: n.frame.samples.slice() });
    });
    port.send({ type: 'tap', sessionId, direction, enabled: true });
    let stopped = false;
    return {
      stop: () => {
        if (!stopped) {
          stopped = true;
          port.send({ type: 'tap', sessionId, direction, enabled: false });
          off();
        }
        return frames;
      },
    };
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The amplitude of `freq` Hz in 8 kHz samples (Goertzel). */
export function level(samples: Int16Array, freq: number): number {
  return goertzelAmplitude(samples, freq, 8000);
}

/** Matches a Playback* event about one playback. */
export const playbackEvent =
  (type: string, id: string) =>
  (m: Json): boolean =>
    m.type === type && (m.playback as Json | undefined)?.id === id;
