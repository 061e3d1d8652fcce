import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MediaClock, type TickInfo } from './clock.ts';
import { FakeTime, percentile } from './test-audio.ts';

function fakeClock(time: FakeTime, options: { leadMs?: number; maxBurst?: number } = {}): MediaClock {
  return new MediaClock({ now: () => time.now, timers: time, wait: time.wait, leadMs: options.leadMs ?? 0, ...(options.maxBurst !== undefined ? { maxBurst: options.maxBurst } : {}) });
}

describe('MediaClock', () => {
  it('schedules against absolute times: late timers do not accumulate drift over 10,000 ticks', () => {
    const time = new FakeTime();
    let seed = 1;
    // Every timer fires 0..3 ms late (a busy machine); chaining setTimeout(20) would drift by ~15 s.
    time.lateness = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 3;
    const clock = fakeClock(time);
    const ticks: TickInfo[] = [];
    clock.start((t) => ticks.push(t));
    time.advance(20 + 10_000 * 20 - 1);
    clock.stop();
    assert.equal(ticks.length, 10_000);
    ticks.forEach((t, i) => {
      assert.equal(t.index, i);
      assert.equal(t.due, clock.startTime + i * 20);
      assert.ok(t.lateMs >= 0 && t.lateMs <= 3, `tick ${i} late ${t.lateMs}`);
    });
    // The last tick is as close to its ideal time as the first: no drift.
    assert.ok(ticks.at(-1)!.startedAt - (clock.startTime + 9_999 * 20) <= 3);
    assert.equal(clock.stats.skippedTicks, 0);
  });

  it('waits out the lead precisely, so ticks start on time even when timers fire ~1 ms off', () => {
    const time = new FakeTime();
    let flip = false;
    time.lateness = () => ((flip = !flip) ? 0.9 : -0.9);
    const clock = fakeClock(time, { leadMs: 2 });
    const late: number[] = [];
    clock.start((t) => late.push(t.lateMs));
    time.advance(20 * 500 + 10);
    clock.stop();
    assert.equal(late.length, 500);
    assert.ok(late.every((l) => l === 0), 'every tick starts exactly at its due time');
  });

  it('re-arms a timer that fires far too early instead of ticking early', () => {
    const time = new FakeTime();
    let first = true;
    time.lateness = () => (first ? ((first = false), -10) : 0);
    const clock = fakeClock(time);
    const ticks: TickInfo[] = [];
    clock.start((t) => ticks.push(t));
    time.advance(25);
    assert.equal(ticks.length, 1);
    assert.ok(ticks[0]!.startedAt >= 20 - 1.5);
    clock.stop();
    assert.equal(time.pending, 0);
  });

  it('bursts to catch up after a short stall, without losing ticks', () => {
    const time = new FakeTime();
    const clock = fakeClock(time);
    const ticks: TickInfo[] = [];
    clock.start((t) => {
      ticks.push(t);
      if (t.index === 3) time.now += 65; // a 65 ms stall inside tick 3
    });
    time.advance(20 * 12);
    clock.stop();
    assert.deepEqual(ticks.map((t) => t.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // Ticks 4..6 were overdue when tick 3 ended and ran right after it, back to back.
    assert.deepEqual(ticks.filter((t) => t.catchUp).map((t) => t.index), [4, 5, 6]);
    assert.ok(ticks[4]!.lateMs > 40);
    assert.equal(ticks[7]!.lateMs, 0);
    assert.equal(clock.stats.skippedTicks, 0);
    assert.equal(clock.stats.catchUpTicks, 3);
  });

  it('skips what a long stall missed beyond the burst, and says how many', () => {
    const time = new FakeTime();
    const clock = fakeClock(time, { maxBurst: 5 });
    const ticks: TickInfo[] = [];
    clock.start((t) => {
      ticks.push(t);
      if (t.index === 2) time.now += 500; // half a second lost
    });
    time.advance(20 * 40);
    clock.stop();
    // When tick 2 ended, ticks 3..27 were due (24 whole periods behind): 19 are skipped, 5 may still burst.
    const after = ticks[3]!;
    assert.equal(after.skipped, 19);
    assert.equal(after.index, 22);
    assert.equal(clock.stats.skippedTicks, 19);
    assert.deepEqual(ticks.filter((t) => t.catchUp).map((t) => t.index), [22, 23, 24, 25, 26]);
    // Indexes keep counting real time: the last tick is the one due now.
    assert.equal(ticks.at(-1)!.index, 39);
  });

  it('can be stopped from inside a tick and restarted', () => {
    const time = new FakeTime();
    const clock = fakeClock(time);
    let n = 0;
    clock.start(() => {
      if (++n === 3) clock.stop();
    });
    time.advance(200);
    assert.equal(n, 3);
    assert.equal(clock.running, false);
    assert.equal(time.pending, 0);
    clock.start(() => n++);
    time.advance(time.now + 41);
    assert.equal(n, 5);
    clock.stop();
  });

  // Precise pacing (jitter p99, drift) is measured by bench/media.ts, not asserted here: a shared CI machine
  // makes timing bounds flaky. This checks the behaviour on real timers: an absolute schedule, never early.
  it('runs real 20 ms ticks on an absolute schedule, never early', async () => {
    for (const leadMs of [0, 2]) {
      const clock = new MediaClock({ leadMs });
      const ticks: TickInfo[] = [];
      await new Promise<void>((resolve) => {
        clock.start((t) => {
          ticks.push(t);
          if (ticks.length === 50) {
            clock.stop();
            resolve();
          }
        });
      });
      // The 50th tick is due exactly 49 periods after the first, whatever the timers did.
      assert.ok(Math.abs(ticks.at(-1)!.due - ticks[0]!.due - 49 * 20) < 1e-9);
      // Node's timers have millisecond resolution, so a tick may start up to ~1 ms before its due time.
      for (const t of ticks) assert.ok(t.lateMs > -2, `leadMs ${leadMs}: a tick ran ${(-t.lateMs).toFixed(3)} ms early`);
      // A sanity bound only (a stalled or runaway clock), far above real jitter.
      const p99 = percentile(ticks.map((t) => Math.abs(t.lateMs)), 0.99);
      assert.ok(p99 < 200, `leadMs ${leadMs}: p99 lateness ${p99.toFixed(3)} ms`);
    }
  });
});
