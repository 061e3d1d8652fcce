import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JitterBuffer } from './jitter-buffer.ts';

/** A frame whose every sample is `value` (so what is played tells which packet it came from). */
function frame(value: number, n = 160): Int16Array {
  return new Int16Array(n).fill(value);
}

function pullAll(jb: JitterBuffer, count: number): (number | null)[] {
  const out = new Int16Array(160);
  const got: (number | null)[] = [];
  for (let i = 0; i < count; i++) got.push(jb.pull(out) ? out[0]! : null);
  return got;
}

describe('JitterBuffer', () => {
  it('plays a steady stream in order once its target depth is buffered', () => {
    const jb = new JitterBuffer();
    const out = new Int16Array(160);
    assert.equal(jb.pull(out), false, 'nothing to play before the first packet');
    const played: number[] = [];
    for (let i = 0; i < 50; i++) {
      jb.push(1000 + i * 160, frame(i + 1), i * 20);
      if (jb.pull(out)) played.push(out[0]!);
    }
    assert.deepEqual(played, Array.from({ length: played.length }, (_, i) => i + 1));
    assert.ok(played.length >= 48, `played ${played.length}`);
    const s = jb.stats();
    assert.equal(s.targetMs, 30); // a 20 ms packet + 10 ms
    assert.equal(s.concealed + s.late + s.duplicates + s.shed, 0);
  });

  it('reorders, drops duplicates and late packets', () => {
    const jb = new JitterBuffer({ minMs: 60 });
    // Packets 0..5 arrive as 0 2 1 1 4 3 5 before the first pull.
    for (const i of [0, 2, 1, 1, 4, 3, 5]) jb.push(i * 160, frame(i + 1), 0);
    assert.deepEqual(pullAll(jb, 6), [1, 2, 3, 4, 5, 6]);
    assert.equal(jb.stats().duplicates, 1);
    // Packet 2 again, long after it was played: late.
    assert.equal(jb.push(2 * 160, frame(3), 200), false);
    assert.equal(jb.stats().late, 1);
  });

  it('conceals a lost packet by a softer repeat, then silence', () => {
    const jb = new JitterBuffer({ minMs: 20 });
    jb.push(0, frame(1000), 0);
    // Packets 1 and 2 are lost; 3 arrives.
    jb.push(3 * 160, frame(4000), 60);
    assert.deepEqual(pullAll(jb, 4), [1000, 500, 0, 4000]);
    assert.equal(jb.stats().concealed, 2);
  });

  it('stretches instead of losing a late packet', () => {
    const jb = new JitterBuffer({ idleFrames: 5 });
    jb.push(0, frame(100), 0);
    jb.push(160, frame(200), 20);
    // Packet 2 is 30 ms late: the buffer runs dry and plays a concealment frame, then packet 2 on its arrival.
    assert.deepEqual(pullAll(jb, 3), [100, 200, 100]);
    jb.push(320, frame(300), 70);
    jb.push(480, frame(400), 80);
    assert.deepEqual(pullAll(jb, 2), [300, 400]);
    assert.equal(jb.stats().stretched, 1);
    assert.equal(jb.stats().late, 0);
  });

  it('places packets of any size by timestamp (30 ms packets into 20 ms frames)', () => {
    const jb = new JitterBuffer({ minMs: 60 });
    const samples = new Int16Array(240 * 4);
    for (let i = 0; i < samples.length; i++) samples[i] = i;
    for (let p = 0; p < 4; p++) jb.push(5000 + p * 240, samples.subarray(p * 240, p * 240 + 240), p * 30);
    const out = new Int16Array(160);
    const all: number[] = [];
    for (let f = 0; f < 6; f++) {
      assert.equal(jb.pull(out), true);
      all.push(...out);
    }
    assert.deepEqual(all, Array.from(samples));
  });

  it('follows the timestamp across its 32-bit wrap', () => {
    const jb = new JitterBuffer();
    const start = 0xffffffff - 320 + 1; // two frames before the wrap
    for (let i = 0; i < 5; i++) jb.push((start + i * 160) | 0, frame(i + 1), i * 20);
    assert.deepEqual(pullAll(jb, 5), [1, 2, 3, 4, 5]);
  });

  it('pauses when the stream stops, and starts over at the next talkspurt', () => {
    const jb = new JitterBuffer({ idleFrames: 3 });
    jb.push(0, frame(1000), 0);
    jb.push(160, frame(2000), 20);
    // Two frames, a half-level repeat of the last, silence, then the pause.
    assert.deepEqual(pullAll(jb, 6), [1000, 2000, 1000, 0, null, null]);
    // The sender resumes much later (its timestamps jumped ahead with its clock).
    jb.push(160 * 400, frame(9), 8000);
    jb.push(160 * 401, frame(10), 8020);
    assert.deepEqual(pullAll(jb, 2), [9, 10]);
  });

  it('resyncs on a jump far ahead (a new stream)', () => {
    const jb = new JitterBuffer();
    jb.push(0, frame(1), 0);
    jb.push(160, frame(1), 20);
    assert.deepEqual(pullAll(jb, 1), [1]);
    jb.push(1_000_000, frame(2), 40);
    jb.push(1_000_160, frame(3), 60);
    assert.deepEqual(pullAll(jb, 2), [2, 3]);
    assert.equal(jb.stats().resyncs, 1);
  });

  it('adapts its target to the jitter (20-120 ms) and sheds latency after a burst', () => {
    const jb = new JitterBuffer();
    const out = new Int16Array(160);
    // Arrival jitter of ±30 ms around the 20 ms cadence.
    let seed = 11;
    for (let i = 0; i < 300; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      jb.push(i * 160, frame(1), i * 20 + (seed % 60));
      jb.pull(out);
    }
    const jittery = jb.stats();
    assert.ok(jittery.jitterMs > 10 && jittery.jitterMs < 40, `jitter ${jittery.jitterMs}`);
    assert.ok(jittery.targetMs >= 50 && jittery.targetMs <= 120, `target ${jittery.targetMs}`);
    assert.equal(jittery.targetMs % 10, 0);
    // A huge jitter is capped at 120 ms.
    const wild = new JitterBuffer();
    for (let i = 0; i < 100; i++) wild.push(i * 160, frame(1), i * 20 + (i % 2) * 400);
    assert.equal(wild.stats().targetMs, 120);
    // A stall: the stream stops for 300 ms (playout pauses), then 15 held-back packets arrive at once and the
    // stream goes on. The buffer restarts 300 ms deep and sheds back to its target within about a second.
    const b = new JitterBuffer();
    let ts = 0;
    let t = 0;
    for (; t < 1000; t += 20, ts += 160) {
      b.push(ts, frame(1), t);
      b.pull(out);
    }
    for (let k = 0; k < 15; k++) b.pull(out); // 300 ms of nothing
    t += 300;
    for (let k = 0; k < 15; k++, ts += 160) b.push(ts, frame(2), t);
    assert.ok(b.stats().depthMs >= 280, `depth after the burst ${b.stats().depthMs}`);
    for (let k = 0; k < 75; k++, ts += 160, t += 20) {
      b.push(ts, frame(3), t);
      b.pull(out);
    }
    const after = b.stats();
    assert.ok(after.shed >= 5, `shed ${after.shed}`);
    assert.ok(after.depthMs <= after.targetMs + 40, `depth ${after.depthMs} target ${after.targetMs}`);
  });

  it('forgets everything on reset', () => {
    const jb = new JitterBuffer();
    jb.push(0, frame(1), 0);
    jb.reset();
    assert.equal(jb.depth, 0);
    assert.equal(jb.pull(new Int16Array(160)), false);
  });

  it('hands its ring to the next buffer once released, clean, and takes no more audio itself', () => {
    const old = new JitterBuffer();
    for (let i = 0; i < 5; i++) old.push(i * 160, frame(7), i * 20);
    old.release();
    old.release(); // twice is harmless
    assert.equal(old.push(5 * 160, frame(7), 100), false, 'a released buffer drops what it is given');
    assert.equal(old.pull(new Int16Array(160)), false);
    // The next buffer (it gets the released ring) plays only its own packets: no sample of the old stream is
    // marked as there, even at the same timestamps.
    const next = new JitterBuffer({ minMs: 60 });
    next.push(1 * 160, frame(9), 0);
    next.push(3 * 160, frame(10), 0); // 2·160 is lost: the old stream's 7s were there in the ring
    const played = pullAll(next, 3);
    assert.equal(played[0], 9);
    assert.notEqual(played[1], 7, 'the lost frame is concealed, not taken from the old stream');
    assert.equal(played[2], 10);
    assert.equal(next.stats().concealed, 1);
  });
});
