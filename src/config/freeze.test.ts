import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze, FrozenMap } from './freeze.ts';

test('deepFreeze freezes nested objects and arrays and returns its argument', () => {
  const value = { a: { b: [1, { c: 2 }] } };
  assert.equal(deepFreeze(value), value);
  assert.ok(Object.isFrozen(value.a));
  assert.ok(Object.isFrozen(value.a.b));
  assert.ok(Object.isFrozen(value.a.b[1]));
  assert.throws(() => {
    (value.a.b as number[]).push(3);
  }, TypeError);
  assert.equal(deepFreeze(null), null);
  assert.equal(deepFreeze(5), 5);
});

test('FrozenMap reads like a Map and cannot be written', () => {
  const map = new FrozenMap([['a', 1], ['b', 2]]);
  assert.equal(map.size, 2);
  assert.equal(map.get('a'), 1);
  assert.equal(map.has('b'), true);
  assert.deepEqual([...map], [['a', 1], ['b', 2]]);
  assert.deepEqual([...map.keys()], ['a', 'b']);
  assert.deepEqual([...map.values()], [1, 2]);
  const seen: string[] = [];
  map.forEach((v, k, m) => {
    assert.equal(m, map);
    seen.push(`${k}=${v}`);
  });
  assert.deepEqual(seen, ['a=1', 'b=2']);
  assert.equal(Object.prototype.toString.call(map), '[object FrozenMap]');
  assert.throws(() => {
    (map as unknown as Map<string, number>).set('c', 3);
  }, TypeError);
  assert.throws(() => {
    (map as unknown as { extra: number }).extra = 1;
  }, TypeError);
  assert.equal(map.size, 2);
});
