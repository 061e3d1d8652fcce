import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substitute } from '../substitute.ts';
import { testScope } from './testing.ts';

test('IF chooses by pbx_checkcondition', () => {
  const scope = testScope({ vars: { N: '5', EMPTY: '' } });
  const cases: [string, string][] = [
    ['${IF(1?yes:no)}', 'yes'],
    ['${IF(0?yes:no)}', 'no'],
    ['${IF($[${N} > 3]?yes:no)}', 'yes'],
    ['${IF(${EMPTY}?yes:no)}', ''],
    ['${IF( 1 ? yes : no )}', 'yes'],
    ['${IF(abc?yes:no)}', 'yes'],
    ['${IF(0abc?yes:no)}', 'no'],
    ['${IF(1?yes)}', 'yes'],
    ['${IF(0?yes)}', ''],
    ['${IF(0?:no)}', 'no'],
    ['${IF(1?a:b:c)}', 'a'],
    ['${IF(0?a:b:c)}', 'b:c'],
    ['${IF(1?"a:b":c)}', 'a:b'],
    ['${IF(1?f(x:y):z)}', 'f(x:y)'],
    ['${IF(1)}', ''],
    ['${IF(1?)}', ''],
    ['${IF(?a:b)}', ''],
  ];
  for (const [text, expected] of cases) assert.equal(substitute(text, scope), expected, text);
});

test('ISNULL and EXISTS', () => {
  const scope = testScope({ vars: { X: 'x' } });
  assert.equal(substitute('${ISNULL(${X})}${ISNULL(${NOPE})}${EXISTS(${X})}${EXISTS(${NOPE})}', scope), '0110');
  assert.equal(substitute('${ISNULL( )}', scope), '0');
});

test('SET, DELETE and VARIABLE_EXISTS', () => {
  const scope = testScope();
  assert.equal(substitute('${SET(X= abc )}', scope), 'abc');
  assert.equal(scope.vars.get('X'), 'abc');
  assert.equal(substitute('${VARIABLE_EXISTS(X)}', scope), '1');
  assert.equal(substitute('${SET(CALLERID(num)=42)}', scope), '42');
  assert.equal(scope.channel?.caller.number, '42');
  assert.equal(substitute('${SET(noequals)}', scope), '');
  assert.deepEqual(scope.warnings, ['Syntax SET(<varname>=[<value>])']);
  substitute('${SET(DELETE(X)=)}', scope);
  assert.equal(scope.vars.has('X'), false);
  assert.equal(substitute('${VARIABLE_EXISTS(X)}', scope), '0');
});
