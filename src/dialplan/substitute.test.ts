import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_SUBSTITUTION_DEPTH,
  parseReference,
  readFunction,
  readVariableOrFunction,
  setVariableOrFunction,
  substitute,
  takeSubstring,
  writeFunction,
} from './substitute.ts';
import { testScope } from './functions/testing.ts';

const VARS = {
  A: 'hello',
  B: 'world',
  N: '4',
  NAME: 'A',
  SUFFIX: 'X',
  AX: 'ax-value',
  LIST: 'a,b,c,d',
  DASHED: 'a-b-c-d',
  LITERAL: '${A}',
  EXPR: '$[1+1]',
  U: 'héllo',
  EMPTY: '',
};

/** [text, result] with the variables above, a channel (exten 100, caller "Alice" <5551234>) and GLOBALVAR. */
const cases: readonly [string, string][] = [
  ['plain text', 'plain text'],
  ['', ''],
  ['cost $5', 'cost $5'],
  ['a$', 'a$'],
  ['$$', '$$'],
  ['a}b{c', 'a}b{c'],
  ['${A}', 'hello'],
  ['${A} ${B}!', 'hello world!'],
  ['${A}${B}', 'helloworld'],
  ['${UNSET}', ''],
  ['[${UNSET}]', '[]'],
  ['${EMPTY}x', 'x'],
  ['${GLOBALVAR}', 'global-value'],
  ['${EXTEN}@${CONTEXT}:${PRIORITY}', '100@default:1'],
  // offsets and lengths
  ['${A:1}', 'ello'],
  ['${A:-3}', 'llo'],
  ['${A:1:3}', 'ell'],
  ['${A:-3:2}', 'll'],
  ['${A:1:-1}', 'ell'],
  ['${A:0:-2}', 'hel'],
  ['${A:10}', ''],
  ['${A:-10}', 'hello'],
  ['${A:2:0}', ''],
  ['${A:1:-10}', ''],
  ['${A:0:100}', 'hello'],
  ['${A::3}', 'hello'],
  ['${A: 1}', 'ello'],
  ['${A:x:2}', 'hello'],
  ['${A:1:x}', 'ello'],
  ['${EXTEN:1}', '00'],
  ['${U:0:2}', 'h\ufffd'],
  ['${U:3}', 'llo'],
  // nested names
  ['${${NAME}}', 'hello'],
  ['${A${SUFFIX}}', 'ax-value'],
  ['${${NAME}:1:2}', 'el'],
  ['${LITERAL}', '${A}'],
  ['${EXPR}', '$[1+1]'],
  // functions
  ['${CALLERID(num)}', '5551234'],
  ['${CALLERID(num):0:3}', '555'],
  ['${CALLERID(name)} <${CALLERID(num)}>', 'Alice <5551234>'],
  ['${LEN(${A})}', '5'],
  ['${LEN()}', '0'],
  ['${LEN(${U})}', '6'],
  ['${TOUPPER(${A}:${B})}', 'HELLO:WORLD'],
  ['${CUT(LIST,\\,,2)}', 'b'],
  ['${CUT(DASHED,-,2-3)}', 'b-c'],
  ['${IF($[${N} > 3]?big:small)}', 'big'],
  ['${IF($[${N} > 5]?big:small)}', 'small'],
  ['${EVAL(${LITERAL})}', 'hello'],
  ['${NOPE(1)}', ''],
  // expressions
  ['$[${N} + 1]', '5'],
  ['$[$[${N} * 2] + 1]', '9'],
  ['$[${N}*${N}]', '16'],
  ['x$[1+1]y', 'x2y'],
  ['$[[1] + 1]', '2'],
  ['$["${UNSET}" = ""]', '1'],
  ['$[${UNSET} = ""]', '0'],
  ['$[1 +]', '0'],
  ['$[]', ''],
  ['$[LEN(abc) + 1]', '4'],
  ['$["${A}" : "h(.*)o"]', 'ell'],
  // unterminated
  ['${A', 'hello'],
  ['x$[1+1', 'x2'],
];

for (const [text, expected] of cases) {
  test(`substitute ${JSON.stringify(text)} -> ${JSON.stringify(expected)}`, () => {
    const scope = testScope({ vars: VARS, globals: { GLOBALVAR: 'global-value' } });
    assert.equal(substitute(text, scope), expected);
  });
}

test('warnings: unknown function, missing brace, syntax error', () => {
  const scope = testScope({ vars: VARS });
  substitute('${NOPE(1)}', scope);
  substitute('${A', scope);
  substitute('$[1 +]', scope);
  assert.equal(scope.warnings[0], 'Function NOPE not registered');
  assert.equal(scope.warnings[1], "Error in extension logic (missing '}')");
  assert.equal(scope.warnings[2], "ast_yyerror(): syntax error, unexpected end of expression; Input:\n1 +\n   ^");
  assert.equal(scope.warnings.length, 3);
});

test('without a channel: variables come from the scope, channel functions give nothing', () => {
  const scope = testScope({ channel: null, globals: { G: 'g' } });
  assert.equal(substitute('${G}${EXTEN}${CALLERID(num)}', scope), 'g');
  assert.equal(substitute('${LEN(abc)}', scope), '3');
  // Inside $[...], dialplan functions need a channel (as in Asterisk): the call yields 0.
  assert.equal(substitute('$[LEN(abc) + 1]', scope), '1');
});

test('runaway recursion stops at the depth limit with an error', () => {
  const scope = testScope({ vars: { LOOP: '${EVAL(${LOOP})}' } });
  assert.equal(substitute('${EVAL(${LOOP})}', scope), '');
  assert.ok(scope.warnings.some((w) => w.startsWith(`Exceeded maximum variable substitution recursion depth (${MAX_SUBSTITUTION_DEPTH})`)));
  // The counter is back to zero afterwards.
  assert.equal(substitute('${A}', testScope({ vars: { A: 'ok' } })), 'ok');
});

test('nesting up to the limit works, beyond it is refused', () => {
  // V0=hello, V1=V0, V2=V1, ...: ${${${V2}}} is hello.
  const vars: Record<string, string> = { V0: 'hello' };
  for (let i = 1; i <= 30; i++) vars[`V${i}`] = `V${i - 1}`;
  const nest = (n: number): string => '${'.repeat(n) + `V${n - 1}` + '}'.repeat(n);
  const ok = testScope({ vars });
  assert.equal(substitute(nest(MAX_SUBSTITUTION_DEPTH), ok), 'hello');
  assert.deepEqual(ok.warnings, []);
  const deep = testScope({ vars });
  assert.equal(substitute(nest(MAX_SUBSTITUTION_DEPTH + 1), deep), '');
  assert.equal(deep.warnings.length, 1);
  const huge = testScope({ vars });
  assert.equal(substitute('${'.repeat(2000) + 'V0' + '}'.repeat(2000), huge), '');
});

test('a throwing function is reported and yields nothing', () => {
  const scope = testScope();
  scope.functions.register({ name: 'BOOM', synopsis: 'throws', read: () => { throw new Error('kaput'); }, write: () => { throw new Error('kaput'); } });
  assert.equal(substitute('[${BOOM()}]', scope), '[]');
  assert.equal(scope.warnings[0], 'Function BOOM failed: kaput');
  assert.equal(setVariableOrFunction('BOOM(x)', '1', scope), false);
});

test('setVariableOrFunction: variables and function writes', () => {
  const scope = testScope();
  assert.equal(setVariableOrFunction('X', 'v', scope), true);
  assert.equal(scope.vars.get('X'), 'v');
  assert.equal(setVariableOrFunction('CALLERID(num)', '123', scope), true);
  assert.equal(scope.channel?.caller.number, '123');
  assert.equal(setVariableOrFunction('GLOBAL(g)', '1', scope), true);
  assert.equal(scope.globalVars.get('g'), '1');
  assert.equal(setVariableOrFunction('DB(fam/key)', 'v', scope), true);
  assert.equal(scope.dbData.get('/fam/key'), 'v');
  assert.equal(setVariableOrFunction('NOPE(x)', '1', scope), false);
  assert.equal(setVariableOrFunction('LEN(x)', '1', scope), false);
  assert.deepEqual(scope.warnings, ['Function NOPE not registered', 'Function LEN cannot be written to']);
});

test('readFunction, writeFunction and readVariableOrFunction', () => {
  const scope = testScope({ vars: { A: 'hello' } });
  assert.equal(readFunction('CALLERID(name)', scope), 'Alice');
  assert.equal(readFunction('NOPE(x)', scope), undefined);
  assert.equal(readFunction('DELETE(x)', scope), undefined);
  assert.equal(readFunction('LEN', scope), '0');
  assert.equal(readFunction('LEN(abc', scope), '3');
  assert.ok(scope.warnings.includes("Function 'LEN' doesn't contain parentheses.  Assuming null argument."));
  assert.ok(scope.warnings.includes("Can't find trailing parenthesis for function 'LEN(abc'?"));
  assert.equal(writeFunction('CALLERID(name)', 'Bob', scope), true);
  assert.equal(scope.channel?.caller.name, 'Bob');
  assert.equal(readVariableOrFunction('CALLERID(num):0:3', scope), '555');
  assert.equal(readVariableOrFunction('A:1', scope), 'ello');
  assert.equal(readVariableOrFunction('UNSET', scope), undefined);
});

test('parseReference splits the name at the first colon outside parentheses', () => {
  assert.deepEqual(parseReference('A'), { name: 'A', offset: 0, length: 2147483647, isFunction: false });
  assert.deepEqual(parseReference('A:2:3'), { name: 'A', offset: 2, length: 3, isFunction: false });
  assert.deepEqual(parseReference('F(a:b):-2'), { name: 'F(a:b)', offset: -2, length: 2147483647, isFunction: true });
  assert.deepEqual(parseReference('A:'), { name: 'A', offset: 0, length: 2147483647, isFunction: false });
  assert.deepEqual(parseReference('A)x:1'), { name: 'A)x:1', offset: 0, length: 2147483647, isFunction: false });
});

test('takeSubstring follows Asterisk', () => {
  assert.equal(takeSubstring('abcdef', 0, 2147483647), 'abcdef');
  assert.equal(takeSubstring('abcdef', 2, 2), 'cd');
  assert.equal(takeSubstring('abcdef', -2, 2147483647), 'ef');
  assert.equal(takeSubstring('abcdef', -2, 1), 'e');
  assert.equal(takeSubstring('abcdef', 1, -1), 'bcde');
  assert.equal(takeSubstring('abcdef', 6, 1), '');
  assert.equal(takeSubstring('abcdef', 3, -3), '');
  assert.equal(takeSubstring('', 0, 1), '');
  assert.equal(takeSubstring('añb', 1, 2), 'ñ');
});
