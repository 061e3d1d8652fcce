import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalMediaPort, ping } from './port.ts';
import type { MediaNotification, SourceSpec } from './protocol.ts';

/** Runs a manual host whose session `A` says `input` (a simulated talker); returns the analyzers' notifications. */
async function run(input: SourceSpec, setup: (port: LocalMediaPort) => void, ticks: number) {
  const port = new LocalMediaPort({ clock: 'manual' });
  const got: MediaNotification[] = [];
  port.onNotification((n) => {
    if (n.type === 'dtmf' || n.type === 'talk' || n.type === 'tone' || n.type === 'error') got.push(n);
  });
  port.send({ type: 'attach', sessionId: 'A', rate: 8000, input });
  setup(port);
  port.send({ type: 'tick', count: ticks });
  await ping(port);
  await port.close();
  return got;
}

describe('standard analyzers', () => {
  it('talk: started, then finished with the talk burst length once the silence lasted silenceMs', async () => {
    const got = await run(
      { type: 'tone', tones: '440/600,0/2000' },
      (port) => port.send({ type: 'analyze', sessionId: 'A', analyzer: 'talk', enabled: true, options: { silenceMs: 500, threshold: 256 } }),
      60,
    );
    assert.equal(got.length, 2, JSON.stringify(got));
    assert.deepEqual(got[0], { type: 'talk', sessionId: 'A', talking: true });
    const fin = got[1] as Extract<MediaNotification, { type: 'talk' }>;
    assert.equal(fin.talking, false);
    assert.ok(Math.abs((fin.durationMs ?? 0) - 600) <= 20, `duration ${fin.durationMs}`);
  });

  it('tone: fires once for its frequency after the duration, not for another one', async () => {
    const got = await run(
      { type: 'tone', tones: '1000/700,0/100,1000/200,0/100,2000/700' },
      (port) => {
        port.send({ type: 'analyze', sessionId: 'A', analyzer: 'tone', enabled: true, options: { frequency: 1000, durationMs: 500 } });
        port.send({ type: 'analyze', sessionId: 'A', analyzer: 'bogus', enabled: true });
        port.send({ type: 'analyze', sessionId: 'A', analyzer: 'tone', enabled: true, direction: 'out', options: {} });
      },
      95,
    );
    // The second analyze with no frequency fails and leaves the first in place (it is on the `out` side).
    assert.deepEqual(
      got.map((n) => n.type),
      ['error', 'error', 'tone'],
    );
    assert.deepEqual(got[2], { type: 'tone', sessionId: 'A', direction: 'in', frequency: 1000 });
  });

  it('dtmf: digits said in band, with their durations', async () => {
    const got = await run(
      { type: 'dtmf', digits: '1#9', durationMs: 120, betweenMs: 80 },
      (port) => port.send({ type: 'analyze', sessionId: 'A', analyzer: 'dtmf', enabled: true }),
      40,
    );
    assert.deepEqual(
      got.map((n) => (n.type === 'dtmf' ? n.digit : n.type)),
      ['1', '#', '9'],
    );
    for (const n of got) if (n.type === 'dtmf') assert.ok(Math.abs(n.durationMs - 120) <= 15, `duration ${n.durationMs}`);
  });
});
