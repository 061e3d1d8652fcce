import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substitute } from '../substitute.ts';
import { testScope } from './testing.ts';
import { RAND_MAX } from './rand.ts';

test('RAND maps the random source onto the inclusive range', () => {
  assert.equal(substitute('${RAND(1,10)}', testScope({ random: 0 })), '1');
  // floor(0.9999999999 * 2^31) = 2147483647, and 2147483647 % 10 = 7.
  assert.equal(substitute('${RAND(1,10)}', testScope({ random: 0.9999999999 })), '8');
  assert.equal(substitute('${RAND(5,5)}', testScope({ random: 0.7 })), '5');
  assert.equal(substitute('${RAND(10,1)}', testScope({ random: 0 })), '1', 'min and max swapped');
  assert.equal(substitute('${RAND()}', testScope({ random: 0 })), '0');
  assert.equal(substitute('${RAND()}', testScope({ random: 0.9999999999 })), String(Math.floor(0.9999999999 * 2147483648)));
  assert.equal(substitute('${RAND(x,y)}', testScope({ random: 0.5 })), '1073741824');
  assert.equal(substitute('${RAND(-5,-1)}', testScope({ random: 0 })), '-5');
});

test('RAND stays within bounds for many draws', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const v = Number(substitute('${RAND(1,6)}', testScope({ random: Math.random() })));
    assert.ok(v >= 1 && v <= 6 && Number.isInteger(v));
    seen.add(String(v));
  }
  assert.equal(seen.size, 6);
  const big = Number(substitute('${RAND()}', { ...testScope(), random: undefined } as never));
  assert.ok(big >= 0 && big <= RAND_MAX);
});
