import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { quietGc } from './quiet-gc.ts';

describe('quietGc', () => {
  it('collects once after a quiet spell, waits again after new activity, never while calls are up', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let calls = 1;
      let collected = 0;
      const q = quietGc({ gc: () => collected++, busy: () => calls > 0, quietMs: 1000 });
      q.activity(); // a call is up when the wait ends: no collection
      mock.timers.tick(5000);
      assert.equal(collected, 0);
      calls = 0;
      q.activity(); // the last call ended
      mock.timers.tick(999);
      assert.equal(collected, 0);
      q.activity(); // more activity restarts the wait
      mock.timers.tick(999);
      assert.equal(collected, 0);
      mock.timers.tick(1);
      assert.equal(collected, 1);
      mock.timers.tick(10_000);
      assert.equal(collected, 1, 'once per quiet spell');
      // A call starts during the wait: no collection.
      q.activity();
      calls = 1;
      q.activity();
      mock.timers.tick(2000);
      assert.equal(collected, 1);
      calls = 0;
      q.activity();
      q.stop();
      mock.timers.tick(2000);
      assert.equal(collected, 1, 'stop() cancels the wait');
    } finally {
      mock.timers.reset();
    }
  });

  it('schedules nothing without a collector', () => {
    const q = quietGc({ gc: undefined, busy: () => false, quietMs: 1 });
    q.activity();
    q.stop();
  });
});
