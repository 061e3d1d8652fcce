import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { timelenMs } from './senddtmf.ts';

describe('SendDTMF time lengths', () => {
  it('reads milliseconds by default and the s, m, h units', () => {
    assert.equal(timelenMs('250'), 250);
    assert.equal(timelenMs('250ms'), 250);
    assert.equal(timelenMs('1.5s'), 1500);
    assert.equal(timelenMs(' 2m '), 120_000);
    assert.equal(timelenMs('1h'), 3_600_000);
  });
  it('rejects what is not a time', () => {
    assert.equal(timelenMs(''), undefined);
    assert.equal(timelenMs('-5'), undefined);
    assert.equal(timelenMs('5x'), undefined);
  });
});
