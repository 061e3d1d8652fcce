import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substitute } from '../substitute.ts';
import { testScope } from './testing.ts';

const VARS = {
  LIST: 'a,b,c',
  PIPES: 'x|y|z|y',
  TABS: 'a\tb\tc',
  EMPTY: '',
  PHONE: '(555) 123-4567',
  TEXT: 'one two one two',
  NAME: 'Zoë',
};

const cases: readonly [string, string][] = [
  ['${LEN(hello)}', '5'],
  ['${LEN()}', '0'],
  ['${LEN(${NAME})}', '4'],
  ['${LEN(a b)}', '3'],
  ['${TOUPPER(Hello World 1)}', 'HELLO WORLD 1'],
  ['${TOLOWER(Hello World 1)}', 'hello world 1'],
  ['${TOUPPER(${NAME})}', 'ZOë'],
  ['${TRIM(  a b  )}', 'a b'],
  ['${LTRIM(  a b  )}', 'a b  '],
  ['${RTRIM(  a b  )}', '  a b'],
  ['${FIELDQTY(LIST,\\,)}', '3'],
  ['${FIELDQTY(PIPES,|)}', '4'],
  ['${FIELDQTY(TABS,\\\\t)}', '3'],
  ['${FIELDQTY(EMPTY,|)}', '0'],
  ['${FIELDQTY(NOPE,|)}', '0'],
  ['${FIELDQTY(PIPES)}', '1'],
  ['${FIELDQTY(PIPES,)}', '1'],
  ['${FIELDNUM(PIPES,|,y)}', '2'],
  ['${FIELDNUM(PIPES,|,Z)}', '3'],
  ['${FIELDNUM(PIPES,|,q)}', '0'],
  ['${FIELDNUM(PIPES,,y)}', '0'],
  ['${REPLACE(PHONE,() -)}', '5551234567'],
  ['${REPLACE(PHONE,() -,.)}', '.555..123.4567'],
  ['${REPLACE(NOPE,a,b)}', ''],
  ['${STRREPLACE(TEXT,one,1)}', '1 two 1 two'],
  ['${STRREPLACE(TEXT,one,1,1)}', '1 two one two'],
  ['${STRREPLACE(TEXT,one)}', ' two  two'],
  ['${STRREPLACE(TEXT,zzz,1)}', 'one two one two'],
  ['${REGEX("^[0-9]+$" 12345)}', '1'],
  ['${REGEX("^[0-9]+$" 123a)}', '0'],
  ['${REGEX("[[:alpha:]]" 123a)}', '1'],
  ['${REGEX("^$" )}', '1'],
  ['${REGEX("^(a|b)$" b)}', '1'],
  ['${QUOTE(say "hi")}', '"say \\"hi\\""'],
  ['${QUOTE()}', '""'],
  ['${KEYPADHASH(Hello-1)}', '435561'],
  ['${PASSTHRU(a,b)}', 'a,b'],
  ['${EVAL(${LIST})}', 'a,b,c'],
];

for (const [text, expected] of cases) {
  test(`${text} -> ${JSON.stringify(expected)}`, () => {
    assert.equal(substitute(text, testScope({ vars: VARS })), expected);
  });
}

test('usage errors warn and give nothing', () => {
  const scope = testScope({ vars: VARS });
  assert.equal(substitute('${FIELDNUM(PIPES,|)}', scope), '0');
  assert.equal(substitute('${REPLACE(PHONE)}', scope), '');
  assert.equal(substitute('${REPLACE(,ab)}', scope), '');
  assert.equal(substitute('${STRREPLACE(TEXT)}', scope), '');
  assert.equal(substitute('${STRREPLACE(TEXT,)}', scope), '');
  assert.equal(substitute('${REGEX(no quotes)}', scope), '');
  assert.equal(substitute('${REGEX("+" x)}', scope), '');
  assert.equal(substitute('${EVAL()}', scope), '');
  assert.equal(scope.warnings.length, 8);
  assert.match(scope.warnings[6] ?? '', /^Malformed input REGEX/);
});
