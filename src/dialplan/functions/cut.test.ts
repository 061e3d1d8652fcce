import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substitute } from '../substitute.ts';
import { testScope } from './testing.ts';

const VARS = { L: 'a-b-c-d-e', C: '1,2,3', P: 'x|y|z', T: 'a\tb', EMPTY: '' };

const cases: readonly [string, string][] = [
  ['${CUT(L,-,2)}', 'b'],
  ['${CUT(L,-,1-3)}', 'a-b-c'],
  ['${CUT(L,-,3-)}', 'c-d-e'],
  ['${CUT(L,-,-2)}', 'a-b'],
  ['${CUT(L,-,1&3)}', 'a-c'],
  ['${CUT(L,-,1&3-4)}', 'a-c-d'],
  ['${CUT(L,-,2&2)}', 'b'],
  ['${CUT(L,-,4&2)}', 'd'],
  ['${CUT(L,-,2&4-)}', 'b-d-e'],
  ['${CUT(L,-,9)}', ''],
  ['${CUT(L,-,5-9)}', 'e'],
  ['${CUT(L,,2)}', 'b'],
  ['${CUT(C,\\,,2)}', '2'],
  ['${CUT(P,|,3)}', 'z'],
  ['${CUT(T,\\\\t,2)}', 'b'],
  ['${CUT(EMPTY,-,1)}', ''],
  ['${CUT(NOPE,-,1)}', ''],
  ['${CUT(CALLERID(num),2,2)}', '34'],
  ['${SORT(a:3,b:1,c:2)}', 'b,c,a'],
  ['${SORT(a:1.5,b:-1,junk,c:x)}', 'b,c,a'],
  ['${SORT()}', ''],
];

for (const [text, expected] of cases) {
  test(`${text} -> ${JSON.stringify(expected)}`, () => {
    assert.equal(substitute(text, testScope({ vars: VARS })), expected);
  });
}

test('CUT: missing arguments and bad field specs', () => {
  const scope = testScope({ vars: VARS });
  assert.equal(substitute('${CUT(L,-)}', scope), '');
  assert.equal(substitute('${CUT(L,-,x)}', scope), '');
  assert.equal(substitute('${CUT(L,-,1&x)}', scope), '');
  assert.deepEqual(scope.warnings, [
    'Syntax: CUT(<varname>,<char-delim>,<range-spec>) - missing argument!',
    'Usage: CUT(<varname>,<char-delim>,<range-spec>)',
    'Usage: CUT(<varname>,<char-delim>,<range-spec>)',
  ]);
  const back = testScope({ vars: VARS });
  substitute('${CUT(L,-,4&2)}', back);
  assert.deepEqual(back.warnings, ["We're already past the field you wanted?"]);
});
