import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCondition, compilePosixRegex, evaluateExpression, ExprError, scanInt } from './expr.ts';
import { ParseError } from '../shared/errors.ts';

/** [expression, value]; the values are what Asterisk's `$[...]` gives. */
const cases: readonly [string, string][] = [
  // empty
  ['', ''],
  ['   ', ''],
  // literals keep their text
  ['abc', 'abc'],
  ['007', '007'],
  ['"quoted text"', '"quoted text"'],
  ['1e5', '1e5'],
  ['x$y', 'x$y'],
  // arithmetic and precedence
  ['1 + 2 * 3', '7'],
  ['1+2*3', '7'],
  ['(1 + 2) * 3', '9'],
  ['10 - 4 - 3', '3'],
  ['3 - 5', '-2'],
  ['- 5 + 2', '-3'],
  ['- - 5', '5'],
  ['2 * -3', '-6'],
  ['007 + 0', '7'],
  ['10 / 4', '2.5'],
  ['10 / 3', '3.33333333333333333'],
  ['125 / 60', '2.08333333333333333'],
  ['1 / 7', '0.142857142857142857'],
  ['0.1 + 0.2', '0.3'],
  ['2.5 * 2', '5'],
  ['7 % 3', '1'],
  ['-7 % 3', '-1'],
  ['7.5 % 2', '1.5'],
  ['10000000000000000 * 10', '100000000000000000'],
  ['100000000000000000 * 10', '1e+18'],
  ['1000000000000000000 * 1000', '1e+21'],
  ['123456789012345678901234 + 1', '1.23456789012345679e+23'],
  ['1 / 100000', '1e-05'],
  ['1 / 10000', '0.0001'],
  ['-0', '-0'],
  ['0 * -1', '-0'],
  // comparisons: numeric when both sides are numbers, else string comparison
  ['10 < 9', '0'],
  ['10 > 9', '1'],
  ['10 < 9a', '1'],
  ['a < b', '1'],
  ['b <= b', '1'],
  ['abc >= abd', '0'],
  ['1 = 1.0', '1'],
  ['1 == 1', '1'],
  ['01 = 1', '1'],
  ['1 != 2', '1'],
  ['"abc" = "abc"', '1'],
  ['"abc" = abc', '0'],
  ['"1" = 1', '0'],
  ['1 + 1 = 2', '1'],
  // | and & return an operand
  ['abc | 0', 'abc'],
  ['0 | abc', 'abc'],
  ['"" | x', '""'],
  ['1 || 0', '1'],
  ['007 | 1', '7'],
  ['3 & 4', '3'],
  ['0 & 4', '0'],
  ['abc & 0', '0'],
  ['1 && 2', '1'],
  // unary !
  ['!0', '1'],
  ['!5', '0'],
  ['!abc', '1'],
  ['!12abc', '0'],
  ['!""', '1'],
  ['!0.0', '1'],
  ['!1 = 0', '1'],
  // ternary
  ['1 > 2 ? yes :: no', 'no'],
  ['2 > 1 ? yes :: no', 'yes'],
  ['"" ? a :: b', 'b'],
  ['"x" ? a :: b', 'a'],
  ['0.0 ? a :: b', 'b'],
  ['1 ? 2 ? 3 :: 4 :: 5', '3'],
  ['0 ? a :: 1 ? b :: c', 'b'],
  ['1 ? a :: b | c', 'a'],
  ['0 ? a :: 0 | c', 'c'],
  ['0 | 0 ? a :: b', 'b'],
  // regular expressions
  ['"5551234" : "555(.*)"', '1234'],
  ['abcdef : abc', '3'],
  ['abcdef : bcd', '0'],
  ['abcdef =~ bcd', '3'],
  ['abcdef : x', '0'],
  ['"abcdef" : "x(y)"', ''],
  ['"abc" =~ "b(x)?"', '1'],
  ['"2024-01-02" : "[[:digit:]]+"', '4'],
  ['"a\nb" : "a.b"', '3'],
  ['"abc" : "[a"', ''],
  ['- abc : abc', '-3'],
  ['! abc : x', '1'],
  ['2 * abc : ab', '4'],
  // concatenation
  ['abc ~~ def', 'abcdef'],
  ['"a b" ~~ "c"', 'a bc'],
  ['1 ~~ 2 + 1', '13'],
  // non-numeric operands follow Asterisk's rules
  ['abc + 5', '5'],
  ['abc + def', '0'],
  ['5 - abc', '5'],
  ['abc - 5', '-5'],
  ['abc * 5', '0'],
  ['abc / 5', '0'],
  ['5 / abc', '2147483647'],
  ['-abc', '0'],
  ['.5 + 1', '1'],
  ['"5" + 1', '1'],
  // division by zero
  ['1 / 0', '2147483647'],
  ['5 % 0', '0'],
  // math functions
  ['FLOOR(2.5)', '2'],
  ['FLOOR(-2.5)', '-3'],
  ['CEIL(2.1)', '3'],
  ['CEIL(-0.5)', '-0'],
  ['ROUND(2.5)', '3'],
  ['ROUND(-2.5)', '-3'],
  ['RINT(2.5)', '2'],
  ['RINT(3.5)', '4'],
  ['TRUNC(-2.7)', '-2'],
  ['ABS(0 - 3)', '3'],
  ['POW(2, 10)', '1024'],
  ['POW(2, 70)', '1.1805916207174113e+21'],
  ['POW(2, 0 - 2)', '0.25'],
  ['SQRT(16)', '4'],
  ['SQRT(2)', '1.4142135623730951'],
  ['COS(0)', '1'],
  ['REMAINDER(7, 4)', '-1'],
  ['REMAINDER(5, 2)', '1'],
  ['FLOOR(7 / 2) + 1', '4'],
  ['FLOOR(1, 2)', '0'],
  ['SQRT(0 - 1)', 'nan'],
  ['LOG(0)', '-inf'],
  // characters the scanner does not know are skipped
  ['{5}', '5'],
  ['[1] + 1', '2'],
];

for (const [expr, expected] of cases) {
  test(`$[${expr}] = ${expected}`, () => {
    assert.equal(evaluateExpression(expr), expected);
  });
}

test('warnings for non-numeric arguments, division by zero and bad regexes', () => {
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
  };
  evaluateExpression('abc + 1', { warn });
  evaluateExpression('1 / 0', { warn });
  evaluateExpression('1 % 0', { warn });
  evaluateExpression('"x" : "(("', { warn });
  evaluateExpression('FLOOR(1, 2)', { warn });
  assert.equal(warnings[0], 'non-numeric argument');
  assert.equal(warnings[1], 'division by zero');
  assert.equal(warnings[2], 'div by zero');
  assert.match(warnings[3] ?? '', /^regcomp\(\) error : /);
  assert.equal(warnings[4], 'Wrong args to FLOOR() function');
});

test('dialplan functions through callFunction', () => {
  const calls: [string, string][] = [];
  const callFunction = (name: string, args: string): string | undefined => {
    calls.push([name, args]);
    if (name === 'LEN') return String(args.length);
    if (name === 'NAME') return 'Alice';
    if (name === 'NEG') return ' -5';
    return undefined;
  };
  assert.equal(evaluateExpression('LEN(abc) * 2', { callFunction }), '6');
  assert.equal(evaluateExpression('NAME(x) = Alice', { callFunction }), '1');
  assert.equal(evaluateExpression('NEG(1) + 1', { callFunction }), '-4');
  assert.equal(evaluateExpression('LEN(1 + 1, 10 / 4,)', { callFunction }), '6');
  assert.deepEqual(calls.at(-1), ['LEN', '2,2.5,']);
  const warnings: string[] = [];
  assert.equal(evaluateExpression('NOPE(1) + 1', { callFunction, warn: (m) => warnings.push(m) }), '1');
  assert.match(warnings[0] ?? '', /'NOPE' doesn't appear to be an available function/);
  assert.equal(evaluateExpression('lower(1)', { callFunction, warn: (m) => warnings.push(m) }), '0');
  assert.match(warnings[1] ?? '', /'lower' is not possibly a function name/);
  assert.equal(evaluateExpression('LEN(x)'), '0');
});

const syntaxErrors: readonly [string, number][] = [
  ['1 +', 3],
  ['1 + * 2', 4],
  ['(1 + 2', 6],
  ['1 + 2)', 5],
  ['a b', 2],
  ['1 ? 2', 5],
  ['1 ? 2 :: 3 :: 4', 11],
  ['1, 2', 1],
  ['FLOOR()', 6],
  ['FLOOR(,1)', 6],
  ['5551234 : 555(.*)', 16],
  ['::', 0],
  [')', 0],
];

for (const [expr, offset] of syntaxErrors) {
  test(`syntax error in $[${expr}] at ${offset}`, () => {
    assert.throws(
      () => evaluateExpression(expr),
      (err: unknown) => err instanceof ExprError && err instanceof ParseError && err.offset === offset && /^syntax error, unexpected /.test(err.message),
    );
  });
}

test('runaway nesting is a syntax error, not a stack overflow', () => {
  assert.throws(() => evaluateExpression('('.repeat(5000) + '1' + ')'.repeat(5000)), ExprError);
  assert.throws(() => evaluateExpression('-'.repeat(5000) + '1'), ExprError);
  assert.equal(evaluateExpression('('.repeat(100) + '1' + ')'.repeat(100)), '1');
});

test('checkCondition follows pbx_checkcondition', () => {
  assert.equal(checkCondition(''), false);
  assert.equal(checkCondition('0'), false);
  assert.equal(checkCondition('1'), true);
  assert.equal(checkCondition('-1'), true);
  assert.equal(checkCondition(' 0abc'), false);
  assert.equal(checkCondition('12abc'), true);
  assert.equal(checkCondition('abc'), true);
  assert.equal(checkCondition('0.5'), false);
  assert.equal(checkCondition('-'), true);
});

test('scanInt reads like %d', () => {
  assert.deepEqual(scanInt('  -42x', 0), { value: -42, end: 5 });
  assert.deepEqual(scanInt('+7', 0), { value: 7, end: 2 });
  assert.equal(scanInt('x1', 0), undefined);
  assert.equal(scanInt('-', 0), undefined);
  assert.equal(scanInt('99999999999', 0)?.value, 2147483647);
});

test('compilePosixRegex translates POSIX classes and counts groups', () => {
  assert.equal(compilePosixRegex('[[:alpha:]]+').regex.exec('abc1')?.[0], 'abc');
  assert.equal(compilePosixRegex('a(b)(c)').groups, 2);
  assert.equal(compilePosixRegex('a\\(b\\)').groups, 0);
  assert.equal(compilePosixRegex('[()]').groups, 0);
  assert.equal(compilePosixRegex('[]a]+').regex.exec(']a]')?.[0], ']a]');
  assert.equal(compilePosixRegex('[a\\]+').regex.exec('\\\\a')?.[0], '\\\\a');
  assert.equal(compilePosixRegex('\\<ab\\>').regex.test('x ab y'), true);
  assert.throws(() => compilePosixRegex('[[:nope:]]'));
  assert.throws(() => compilePosixRegex('[abc'));
  assert.throws(() => compilePosixRegex('a\\'));
});
