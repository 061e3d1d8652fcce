import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthFailureLimiter } from './limiter.ts';

describe('AuthFailureLimiter', () => {
  it('blocks after maxFailures within the window, unblocks after a quiet window, success clears', () => {
    let now = 0;
    const l = new AuthFailureLimiter({ maxFailures: 3, windowMs: 1000, now: () => now });
    l.fail('a');
    l.fail('a');
    assert.equal(l.blocked('a'), false);
    l.fail('a');
    assert.equal(l.blocked('a'), true);
    assert.equal(l.blocked('b'), false);
    now += 1001;
    assert.equal(l.blocked('a'), false);
    l.fail('a');
    l.fail('a');
    l.succeed('a');
    l.fail('a');
    assert.equal(l.blocked('a'), false);
  });
  it('failures spread wider than the window never block', () => {
    let now = 0;
    const l = new AuthFailureLimiter({ maxFailures: 2, windowMs: 100, now: () => now });
    for (let i = 0; i < 10; i++) {
      l.fail('a');
      now += 150;
    }
    assert.equal(l.blocked('a'), false);
  });
});
