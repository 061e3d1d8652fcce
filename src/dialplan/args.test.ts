import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAppOptions, splitAppArgs, type SplitOptions } from './args.ts';
import { ParseError } from '../shared/errors.ts';

const splitCases: readonly [string, string, SplitOptions, readonly string[]][] = [
  ['empty data has no arguments', '', {}, []],
  ['one argument', 'a', {}, ['a']],
  ['three arguments', 'a,b,c', {}, ['a', 'b', 'c']],
  ['a trailing separator adds an empty argument', 'a,', {}, ['a', '']],
  ['a lone separator gives two empty arguments', ',', {}, ['', '']],
  ['a leading separator', ',a', {}, ['', 'a']],
  ['empty middle argument', 'a,,b', {}, ['a', '', 'b']],
  ['spaces are kept', ' a , b ', {}, [' a ', ' b ']],
  ['parentheses protect commas', 'Dial(PJSIP/1,20),x', {}, ['Dial(PJSIP/1,20)', 'x']],
  ['nested parentheses', 'f(g(a,b),c),d', {}, ['f(g(a,b),c)', 'd']],
  ['brackets protect commas', '[a,b],c', {}, ['[a,b]', 'c']],
  ['quotes protect commas and are removed', '"a,b",c', {}, ['a,b', 'c']],
  ['quotes in the middle of an argument', 'x"y,z"w,v', {}, ['xy,zw', 'v']],
  ['a backslash escapes the separator', 'a\\,b,c', {}, ['a,b', 'c']],
  ['a backslash escapes a backslash', 'a\\\\b', {}, ['a\\b']],
  ['an escaped quote is literal', '"say \\"hi\\"",x', {}, ['say "hi"', 'x']],
  ['an escaped parenthesis is not counted', 'a\\(,b', {}, ['a(', 'b']],
  ['a trailing backslash disappears', 'abc\\', {}, ['abc']],
  ['an unbalanced closing parenthesis is ignored', 'a),b', {}, ['a)', 'b']],
  ['an unclosed parenthesis swallows the rest', 'a(,b', {}, ['a(,b']],
  ['an unclosed quote swallows the rest', '"a,b', {}, ['a,b']],
  ['parentheses count even inside quotes (as Asterisk)', '"a(b",c', {}, ['a(b,c']],
  ['a limit leaves the raw rest in the last argument', 'a,"b",c', { limit: 2 }, ['a', '"b",c']],
  ['a limit of one keeps everything raw', 'a,b\\,c', { limit: 1 }, ['a,b\\,c']],
  ['a limit above the count changes nothing', 'a,b', { limit: 5 }, ['a', 'b']],
  ['a limit with a trailing separator', 'a,', { limit: 2 }, ['a', '']],
  ['raw parsing keeps quotes and backslashes', '"a,b",c\\,d', { raw: true }, ['"a,b"', 'c\\,d']],
  ['non-ASCII text', 'é,ü', {}, ['é', 'ü']],
];

for (const [name, data, options, expected] of splitCases) {
  test(`splitAppArgs: ${name}`, () => {
    assert.deepEqual(splitAppArgs(data, ',', options), expected);
  });
}

test('splitAppArgs: other separators', () => {
  assert.deepEqual(splitAppArgs('x?1:2', '?'), ['x', '1:2']);
  assert.deepEqual(splitAppArgs('fam/a/b', '/', { limit: 2 }), ['fam', 'a/b']);
  assert.deepEqual(splitAppArgs('fam/a/b', '/'), ['fam', 'a', 'b']);
  assert.deepEqual(splitAppArgs('a|b,c', '|'), ['a', 'b,c']);
  // With `"` as the separator, quotes are not special (REGEX("re" string)).
  assert.deepEqual(splitAppArgs('"[0-9]+" 123', '"'), ['', '[0-9]+', ' 123']);
  assert.deepEqual(splitAppArgs('x"y', '"'), ['x', 'y']);
});

test('splitAppArgs: a limit below one gives nothing', () => {
  assert.deepEqual(splitAppArgs('a,b', ',', { limit: 0 }), []);
});

test('parseAppOptions: letters with and without arguments', () => {
  const spec = { t: {}, T: {}, g: {}, L: { arg: true }, U: { arg: true }, M: { arg: true }, A: { arg: true } };
  assert.deepEqual([...parseAppOptions('tT', spec)], [['t', true], ['T', true]]);
  assert.deepEqual([...parseAppOptions('L(60000:30000)g', spec)], [['L', '60000:30000'], ['g', true]]);
  assert.deepEqual([...parseAppOptions('gL', spec)], [['g', true], ['L', '']]);
  assert.equal(parseAppOptions('U(sub^arg1^arg2)', spec).get('U'), 'sub^arg1^arg2');
  assert.equal(parseAppOptions('M(mac(1,2))t', spec).get('M'), 'mac(1,2)');
  assert.equal(parseAppOptions('A("a)b")', spec).get('A'), 'a)b');
  assert.equal(parseAppOptions('A("a\\"b")', spec).get('A'), 'a"b');
  assert.equal(parseAppOptions('A("a\\nb")', spec).get('A'), 'a\\nb');
  assert.equal(parseAppOptions('A(a\\)b)', spec).get('A'), 'a)b');
  assert.equal(parseAppOptions('A(x"y)', spec).get('A'), 'x"y');
  assert.equal(parseAppOptions('L(1)L(2)', spec).get('L'), '2');
  assert.equal(parseAppOptions('g(ignored)t', spec).get('g'), true);
  assert.equal(parseAppOptions('', spec).size, 0);
});

test('parseAppOptions: unknown letters are warned about and skipped, with their arguments', () => {
  const warnings: string[] = [];
  const options = parseAppOptions('zt(x)q(1)T', { t: {}, T: {} }, (m) => warnings.push(m));
  assert.deepEqual([...options], [['t', true], ['T', true]]);
  assert.deepEqual(warnings, ["Unrecognized option: 'z'", "Unrecognized option: 'q'"]);
  // Inherited object properties are not options.
  assert.equal(parseAppOptions('c', {}, () => undefined).size, 0);
  assert.equal(parseAppOptions('v', { toString: {} } as never, () => undefined).has('v'), false);
});

test('parseAppOptions: a missing closing parenthesis throws ParseError at the parenthesis', () => {
  assert.throws(
    () => parseAppOptions('tL(123', { t: {}, L: { arg: true } }),
    (err: unknown) => err instanceof ParseError && err.offset === 2 && /Missing closing parenthesis for argument 'L'/.test(err.message),
  );
  assert.throws(() => parseAppOptions('L((1)', { L: { arg: true } }), ParseError);
});
