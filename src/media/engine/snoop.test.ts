import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatFrames } from './frame.ts';
import { LocalMediaPort, ping } from './port.ts';
import type { Direction, MediaNotification, SnoopDirection } from './protocol.ts';
import { rms, toneAmplitude } from './test-audio.ts';

const manual = (): LocalMediaPort => new LocalMediaPort({ clock: 'manual' });
const session = (id: string) => ({ type: 'session', id }) as const;

/** Collects the tapped frames of sessions' sides. */
class Taps {
  readonly #frames = new Map<string, Int16Array[]>();
  constructor(port: LocalMediaPort) {
    port.onNotification((n: MediaNotification) => {
      if (n.type !== 'frame') return;
      const key = `${n.sessionId}/${n.direction}`;
      const list = this.#frames.get(key) ?? [];
      list.push(n.frame.samples);
      this.#frames.set(key, list);
    });
  }
  /** Samples of one side, skipping the first `skip` frames. */
  audio(id: string, direction: Direction, skip = 2): Int16Array {
    return concatFrames((this.#frames.get(`${id}/${direction}`) ?? []).slice(skip).map((samples) => ({ samples })));
  }
  clear(): void {
    this.#frames.clear();
  }
}

/**
 * T says 440 Hz (a simulated talker) and hears 1000 Hz (a playback); S snoops on T. S is played 700 Hz, which
 * it whispers into T.
 */
async function scenario(spy: SnoopDirection, whisper: SnoopDirection, ticks = 25) {
  const port = manual();
  const taps = new Taps(port);
  port.send({ type: 'attach', sessionId: 'T', rate: 8000, input: { type: 'tone', tones: '440' } });
  port.send({ type: 'attach', sessionId: 'S', rate: 8000 });
  port.send({ type: 'play', playbackId: 'to-T', target: session('T'), sources: [{ type: 'tone', tones: '1000' }] });
  port.send({ type: 'play', playbackId: 'to-S', target: session('S'), sources: [{ type: 'tone', tones: '700' }] });
  port.send({ type: 'snoop', snoopId: 'snoop', sessionId: 'S', targetId: 'T', spy, whisper });
  for (const [id, d] of [['S', 'in'], ['T', 'in'], ['T', 'out']] as const) port.send({ type: 'tap', sessionId: id, direction: d, enabled: true });
  port.send({ type: 'tick', count: ticks });
  await ping(port);
  return { port, taps };
}

const level = (samples: Int16Array, f: number): number => toneAmplitude(samples, 8000, f);

describe('Snoop', () => {
  it('spy in: the snoop says what the target says, not what the target hears', async () => {
    const { port, taps } = await scenario('in', 'none');
    const s = taps.audio('S', 'in');
    assert.ok(s.length >= 20 * 160);
    assert.ok(level(s, 440) > 7000, `440 Hz ${level(s, 440)}`);
    assert.ok(level(s, 1000) < 50, `1000 Hz ${level(s, 1000)}`);
    assert.ok(level(s, 700) < 50, 'no whisper, and a snoop never hears itself');
    assert.ok(level(taps.audio('T', 'out'), 700) < 50, 'whisper none: the target hears nothing of the snoop');
    await port.close();
  });

  it('spy out: the snoop says what the target hears; both: the two mixed', async () => {
    let { port, taps } = await scenario('out', 'none');
    let s = taps.audio('S', 'in');
    assert.ok(level(s, 1000) > 7000 && level(s, 440) < 50);
    await port.close();
    ({ port, taps } = await scenario('both', 'none'));
    s = taps.audio('S', 'in');
    assert.ok(level(s, 1000) > 6000 && level(s, 440) > 6000, `${level(s, 1000)} / ${level(s, 440)}`);
    await port.close();
  });

  it('whisper out is heard by the target far side, whisper in is said by the target, one tick late', async () => {
    let { port, taps } = await scenario('none', 'out');
    const out = taps.audio('T', 'out');
    assert.ok(level(out, 700) > 7000 && level(out, 1000) > 7000, 'T hears its playback and the whisper');
    assert.ok(level(taps.audio('T', 'in'), 700) < 50, 'nothing whispered into what T says');
    assert.equal(rms(taps.audio('S', 'in', 0)), 0, 'spy none: the snoop says nothing');
    // The first tick of T's out has no whisper yet (the snoop's out of tick 1 arrives at tick 2).
    const first = taps.audio('T', 'out', 0).subarray(0, 160);
    assert.ok(level(first, 700) < 50 && level(first, 1000) > 7000);
    await port.close();
    ({ port, taps } = await scenario('both', 'in'));
    const said = taps.audio('T', 'in');
    assert.ok(level(said, 700) > 7000 && level(said, 440) > 7000);
    assert.ok(level(taps.audio('T', 'out'), 700) < 50);
    assert.ok(level(taps.audio('S', 'in'), 700) < 50, 'the spy takes T before the whisper');
    await port.close();
  });

  it('ends with unsnoop or when either session goes; bad requests are errors', async () => {
    const { port, taps } = await scenario('in', 'both', 5);
    const errors: string[] = [];
    port.onNotification((n) => {
      if (n.type === 'error') errors.push(`${n.command}:${n.code}`);
    });
    port.send({ type: 'detach', sessionId: 'T' });
    taps.clear();
    port.send({ type: 'tick', count: 5 });
    await ping(port);
    assert.equal(rms(taps.audio('S', 'in', 1)), 0, 'the target is gone: silence');
    taps.clear();
    port.send({ type: 'unsnoop', snoopId: 'snoop' });
    port.send({ type: 'attach', sessionId: 'T2', rate: 16000, input: { type: 'tone', tones: '440' } });
    port.send({ type: 'snoop', snoopId: 'x', sessionId: 'S', targetId: 'S', spy: 'in', whisper: 'none' });
    port.send({ type: 'snoop', snoopId: 'x', sessionId: 'S', targetId: 'T2', spy: 'sideways' as SnoopDirection, whisper: 'none' });
    port.send({ type: 'snoop', snoopId: 'y', sessionId: 'S', targetId: 'T2', spy: 'in', whisper: 'none' });
    port.send({ type: 'snoop', snoopId: 'y', sessionId: 'S', targetId: 'T2', spy: 'in', whisper: 'none' });
    port.send({ type: 'tick', count: 10 });
    await ping(port);
    assert.deepEqual(errors, ['unsnoop:ERR_NOT_FOUND', 'snoop:ERR_INVALID_PARAMETER', 'snoop:ERR_INVALID_PARAMETER', 'snoop:ERR_CONFLICT']);
    assert.ok(level(taps.audio('S', 'in', 3), 440) > 6000, 'a 16 kHz target is resampled for an 8 kHz snoop');
    port.send({ type: 'unsnoop', snoopId: 'y' });
    taps.clear();
    port.send({ type: 'tick', count: 3 });
    await ping(port);
    assert.equal(rms(taps.audio('S', 'in', 1)), 0);
    await port.close();
  });
});

describe('Echo', () => {
  it('the channel hears what it says, unless a playback plays', async () => {
    const port = manual();
    const taps = new Taps(port);
    port.send({ type: 'attach', sessionId: 'E', rate: 8000, input: { type: 'tone', tones: '440' } });
    port.send({ type: 'tap', sessionId: 'E', direction: 'out', enabled: true });
    port.send({ type: 'tick', count: 3 });
    port.send({ type: 'echo', sessionId: 'E', enabled: true });
    port.send({ type: 'tick', count: 10 });
    await ping(port);
    const all = taps.audio('E', 'out', 0);
    assert.equal(rms(all.subarray(0, 3 * 160)), 0, 'no echo before it is on');
    assert.ok(level(all.subarray(3 * 160), 440) > 7000);
    taps.clear();
    port.send({ type: 'play', playbackId: 'p', target: session('E'), sources: [{ type: 'tone', tones: '1000', maxDurationMs: 100 }] });
    port.send({ type: 'tick', count: 5 });
    await ping(port);
    const played = taps.audio('E', 'out', 0);
    assert.ok(level(played, 1000) > 7000 && level(played, 440) < 50);
    taps.clear();
    port.send({ type: 'echo', sessionId: 'E', enabled: false });
    port.send({ type: 'tick', count: 5 });
    await ping(port);
    assert.equal(rms(taps.audio('E', 'out', 0)), 0);
    await port.close();
  });
});
