import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canMatch,
  canMatchMore,
  compareForMatchOrder,
  compilePattern,
  isPatternName,
  matches,
  matchExtension,
} from './patterns.ts';

/** [name, dialled, matches, canMatch, canMatchMore] */
const TABLE: readonly (readonly [string, string, boolean, boolean, boolean])[] = [
  // literal extensions: exact, case-sensitive, dashes ignored on both sides
  ['1000', '1000', true, true, false],
  ['1000', '100', false, true, true],
  ['1000', '', false, true, true],
  ['1000', '10001', false, false, false],
  ['1000', '2', false, false, false],
  ['555-1212', '5551212', true, true, false],
  ['5551212', '555-1212', true, true, false],
  ['555-1212', '555', false, true, true],
  ['abc', 'ABC', false, false, false],
  ['s', 's', true, true, false],
  ['wait', 'wai', false, true, true],
  // X, Z, N in either case
  ['_XXX', '123', true, true, false],
  ['_XXX', '12', false, true, true],
  ['_XXX', '1234', false, false, false],
  ['_XXX', '12a', false, false, false],
  ['_NXX', '123', false, false, false],
  ['_NXX', '223', true, true, false],
  ['_NXX', '923', true, true, false],
  ['_ZXX', '023', false, false, false],
  ['_ZXX', '123', true, true, false],
  ['_nxx', '234', true, true, false],
  ['_zx', '10', true, true, false],
  ['_x', 'x', false, false, false],
  // character sets
  ['_[1-5]', '3', true, true, false],
  ['_[1-5]', '6', false, false, false],
  ['_[135-7]', '6', true, true, false],
  ['_[135-7]', '4', false, false, false],
  ['_[135-7]', '3', true, true, false],
  ['_[a-z]X', 'b1', true, true, false],
  ['_[a-z]X', 'B1', false, false, false],
  ['_[1,2]X', '15', true, true, false],
  ['_[1,2]X', ',5', true, true, false],
  ['_1[]2', '12', true, true, false],
  ['_1[5-1]2', '152', false, false, false],
  ['_1[2', '12', false, false, false],
  ['_1[2', '1', false, true, true],
  // other literal characters in a pattern are exact
  ['_a', 'a', true, true, false],
  ['_A', 'a', false, false, false],
  ['_*XX', '*12', true, true, false],
  // `.`: one or more
  ['_X.', '1', false, true, true],
  ['_X.', '12', true, true, true],
  ['_X.', '123456789', true, true, true],
  ['_X.5', '123', true, true, true],
  ['_stasis-.', 'stasis-hello', true, true, true],
  ['_stasis-.', 'stasishello', true, true, true],
  ['_stasis-.', 'stasis', false, true, true],
  ['_stasis-.', 'other', false, false, false],
  // `!`: zero or more, matching early
  ['_X!', '1', true, true, false],
  ['_X!', '12345', true, true, false],
  ['_X!', '', false, true, true],
  ['_!', '', true, true, false],
  ['_1!', '1', true, true, false],
  ['_1!', '2', false, false, false],
  // dashes are decoration
  ['_555-XXXX', '5551212', true, true, false],
  ['_555XXXX', '555-1212', true, true, false],
  ['_X', '-5-', true, true, false],
  // a slash ends the pattern (caller-id part)
  ['_XX/1', '12', true, true, false],
];

describe('pattern matching', () => {
  for (const [name, exten, m, cm, more] of TABLE) {
    test(`${name} vs '${exten}': match=${m} canMatch=${cm} canMatchMore=${more}`, () => {
      assert.equal(matches(name, exten), m, 'matches');
      assert.equal(canMatch(name, exten), cm, 'canMatch');
      assert.equal(canMatchMore(name, exten), more, 'canMatchMore');
    });
  }

  test('the table has at least 40 cases', () => {
    assert.ok(TABLE.length >= 40);
  });

  test('three-valued results: `!` reports an early match', () => {
    assert.equal(matchExtension('_1!', '1', 'match'), 2);
    assert.equal(matchExtension('_1!', '1', 'matchmore'), 2);
    assert.equal(matchExtension('_1.', '12', 'matchmore'), 1);
    assert.equal(matchExtension('_1XX', '12', 'match'), 0);
  });

  test('a pattern given as the number matches the pattern that sorts equal to it', () => {
    assert.equal(matches('_X.', '_X.'), true);
    assert.equal(matches('_X.', '_[0-9].'), true);
    assert.equal(matches('_X.', '_N.'), false);
  });
});

describe('compilePattern', () => {
  test('literal names key without dashes; patterns have tokens', () => {
    const literal = compilePattern('555-1212');
    assert.equal(literal.isPattern, false);
    assert.equal(literal.key, '5551212');
    assert.deepEqual(literal.tokens, []);
    const pattern = compilePattern('_N[1-3]X.');
    assert.equal(pattern.isPattern, true);
    assert.deepEqual(pattern.tokens.map((t) => t.kind), ['set', 'set', 'set', 'one-or-more']);
    const n = pattern.tokens[0];
    assert.ok(n?.kind === 'set');
    assert.equal(n.count, 8);
    assert.ok(Object.isFrozen(pattern));
    assert.equal(compilePattern('_N[1-3]X.'), pattern, 'cached');
  });

  test('patterns that allow the same characters share a key', () => {
    assert.equal(compilePattern('_X').key, compilePattern('_[0-9]').key);
    assert.equal(compilePattern('_n').key, compilePattern('_N').key);
    assert.equal(compilePattern('_5').key, compilePattern('_[5]').key);
    assert.equal(compilePattern('_555-XXXX').key, compilePattern('_555XXXX').key);
    assert.notEqual(compilePattern('_X').key, compilePattern('_Z').key);
  });

  test('isPatternName', () => {
    assert.equal(isPatternName('_X.'), true);
    assert.equal(isPatternName('1000'), false);
  });
});

describe('match order', () => {
  function sorted(names: string[]): string[] {
    return [...names].sort(compareForMatchOrder);
  }

  test('for 5551212 the most specific extension comes first', () => {
    const expected = ['5551212', '_555XXXX', '_55[1-5]XXXX', '_NXXXXXX', '_X.', '_!'];
    assert.deepEqual(sorted(['_!', '_NXXXXXX', '_X.', '5551212', '_55[1-5]XXXX', '_555XXXX']), expected);
    assert.deepEqual(sorted([...expected].reverse()), expected);
    // and every one of them matches the number
    for (const name of expected) assert.equal(matches(name, '5551212'), true, name);
  });

  test('literals come first, compared as strings', () => {
    assert.deepEqual(sorted(['_1', '2', '10', '1', 's']), ['1', '10', '2', 's', '_1']);
  });

  test('N before Z before X; a longer pattern before a shorter; . before ! before the end', () => {
    assert.deepEqual(sorted(['_X', '_Z', '_N']), ['_N', '_Z', '_X']);
    assert.deepEqual(sorted(['_X', '_X!', '_X.', '_XX']), ['_XX', '_X.', '_X!', '_X']);
  });

  test('sets of equal size: lowest first character, then the lowest character only one allows', () => {
    assert.ok(compareForMatchOrder('_[13]', '_[23]') < 0);
    assert.ok(compareForMatchOrder('_[12]', '_[13]') < 0);
    assert.ok(compareForMatchOrder('_[13]', '_[12]') > 0);
    assert.ok(compareForMatchOrder('_[1-3]', '_[a-c]') < 0);
    assert.ok(compareForMatchOrder('_5', '_a') < 0);
    assert.ok(compareForMatchOrder('_[1-5]', '_N') < 0);
  });

  test('equal names compare 0: same pattern spelled differently, dashes in literals', () => {
    assert.equal(compareForMatchOrder('_X', '_[0-9]'), 0);
    assert.equal(compareForMatchOrder('555-1212', '5551212'), 0);
    assert.equal(compareForMatchOrder('_555-XXXX', '_555XXXX'), 0);
    assert.equal(compareForMatchOrder('_5', '_[5]'), 0);
    assert.equal(compareForMatchOrder('_1[]2', '_12'), 0);
  });

  test('an unterminated set sorts after everything at its position', () => {
    assert.ok(compareForMatchOrder('_1X', '_1[2') < 0);
    assert.ok(compareForMatchOrder('_1!', '_1[2') < 0);
  });

  test('the order is antisymmetric and transitive over a mixed set', () => {
    const names = ['_!', '_X.', '_X', '_XX', '_N', '_Z', '_[1-5]', '_[13]', '_[12]', '1', '10', '_1X', '_1.', 'abc', '_a', '_X!', '_NXX'];
    for (const a of names) {
      for (const b of names) {
        assert.equal(Math.sign(compareForMatchOrder(a, b)) + Math.sign(compareForMatchOrder(b, a)), 0, `${a} ${b}`);
      }
    }
    const once = sorted(names);
    assert.deepEqual(sorted([...once].reverse()), once);
  });
});
