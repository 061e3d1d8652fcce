import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkerMediaPort, ping } from './port.ts';
import { strongest, toneAmplitude } from './test-audio.ts';
import { Recorder, next, threePartyScenario } from './test-port.ts';

describe('WorkerMediaPort: the same messages, with the host in a worker thread', () => {
  it('mixes three parties, with frame buffers transferred, not copied', async () => {
    const port = await WorkerMediaPort.start({ manualClock: true });
    const { sent } = await threePartyScenario(port);
    // Every frame written went to the worker with its buffer: the sender's copies are detached.
    assert.equal(sent.length, 100);
    assert.ok(sent.every((s) => s.buffer.byteLength === 0 && s.length === 0));
    await port.close();
    assert.equal(port.worker.threadId, -1, 'the worker thread has ended');
  });

  it('sends tapped frames back as Int16Arrays, paced by the worker clock', async () => {
    const port = await WorkerMediaPort.start();
    const rec = new Recorder(port);
    const arrivals: number[] = [];
    port.onNotification((n) => void (n.type === 'frame' && arrivals.push(performance.now())));
    port.send({ type: 'attach', sessionId: 'S', rate: 8000 });
    port.send({ type: 'tap', sessionId: 'S', direction: 'out', enabled: true });
    port.send({ type: 'play', playbackId: 'p', target: { type: 'session', id: 'S' }, sources: [{ type: 'tone', tones: '440', maxDurationMs: 400 }] });
    const finished = await next(port, (n) => n.type === 'playback-finished');
    assert.equal(finished.type === 'playback-finished' && finished.reason, 'done');
    const stats = await ping(port);
    assert.ok((stats.clock?.ticks ?? 0) >= 20);
    const frames = rec.of('frame');
    assert.ok(frames.length >= 20 && frames.length <= 22, `${frames.length} frames`);
    assert.ok(frames.every((f) => f.frame.samples instanceof Int16Array && f.frame.samples.length === 160));
    const all = new Int16Array(20 * 160);
    frames.slice(0, 20).forEach((f, i) => all.set(f.frame.samples, i * 160));
    assert.equal(strongest(all, 8000, [220, 440, 880, 1000]), 440);
    assert.ok(toneAmplitude(all, 8000, 440) > 7000);
    // Frames arrive at the pace of the clock, not all at once: 20 frames span ~380 ms of wall time.
    const span = arrivals[19]! - arrivals[0]!;
    assert.ok(span > 250 && span < 2000, `20 frames over ${span.toFixed(1)} ms`);
    await port.close();
  });

  it('reports bad commands from the worker as errors, like the in-thread host', async () => {
    const port = await WorkerMediaPort.start({ manualClock: true });
    const rec = new Recorder(port);
    port.send({ type: 'detach', sessionId: 'ghost' });
    port.send({ type: 'bogus' } as never);
    await ping(port);
    assert.deepEqual(rec.of('error').map((e) => `${e.command} ${e.code}`), ['detach ERR_NOT_FOUND', 'bogus ERR_INVALID_PARAMETER']);
    await port.close();
    assert.throws(() => port.send({ type: 'ping', requestId: 1 }), /exited/);
  });
});
