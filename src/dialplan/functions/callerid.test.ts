import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCallerId, shrinkPhoneNumber, splitCallerId } from './callerid.ts';
import { substitute, setVariableOrFunction } from '../substitute.ts';
import { testScope } from './testing.ts';

test('splitCallerId parses the forms Asterisk accepts', () => {
  const cases: [string, string, string][] = [
    ['"Alice Smith" <+1 (555) 123-4567>', 'Alice Smith', '+15551234567'],
    ['Alice <100>', 'Alice', '100'],
    ['<100>', '', '100'],
    ['"Alice" <100', 'Alice', '100'],
    ['5551234', '', '5551234'],
    ['(555) 123-4567', '', '5551234567'],
    ['Alice', 'Alice', ''],
    ['"5551234"', '5551234', ''],
    ['  "Bob \\"B\\"" <200>  ', 'Bob "B"', '200'],
    ['', '', ''],
    ['"" <>', '', ''],
  ];
  for (const [input, name, number] of cases) assert.deepEqual(splitCallerId(input), { name, number }, input);
});

test('shrinkPhoneNumber and formatCallerId', () => {
  assert.equal(shrinkPhoneNumber('+1 (555) 123-4567'), '+15551234567');
  assert.equal(shrinkPhoneNumber('[1-3]-5'), '[1-3]5');
  assert.equal(shrinkPhoneNumber('1.2.'), '12.');
  assert.equal(formatCallerId({ name: 'A', number: '1' }), '"A" <1>');
});

test('CALLERID reads name, num, number and all, case-insensitively', () => {
  const scope = testScope();
  assert.equal(substitute('${CALLERID(name)}', scope), 'Alice');
  assert.equal(substitute('${CALLERID(num)}', scope), '5551234');
  assert.equal(substitute('${CALLERID(number)}', scope), '5551234');
  assert.equal(substitute('${CALLERID(NUM)}', scope), '5551234');
  assert.equal(substitute('${CALLERID(all)}', scope), '"Alice" <5551234>');
  assert.deepEqual(scope.warnings, []);
});

test('CALLERID with a caller id to parse instead of the channel\'s', () => {
  const scope = testScope();
  assert.equal(substitute('${CALLERID(name,"Bob" <200>)}', scope), 'Bob');
  assert.equal(substitute('${CALLERID(num,"Bob" <200>)}', scope), '200');
  assert.equal(substitute('${CALLERID(all,Bob <200>)}', scope), '"Bob" <200>');
});

test('CALLERID writes trim blanks and update the channel once per write', () => {
  const scope = testScope();
  setVariableOrFunction('CALLERID(num)', '  123  ', scope);
  setVariableOrFunction('CALLERID(name)', ' Carol ', scope);
  setVariableOrFunction('CALLERID(all)', '"Dave" <(400) 555-1000>', scope);
  assert.deepEqual(scope.channel?.updates, [
    { what: 'caller', update: { number: '123' } },
    { what: 'caller', update: { name: 'Carol' } },
    { what: 'caller', update: { name: 'Dave', number: '4005551000' } },
  ]);
  assert.deepEqual(scope.channel?.caller, { name: 'Dave', number: '4005551000' });
});

test('CONNECTEDLINE reads and writes the connected party', () => {
  const scope = testScope();
  assert.equal(substitute('${CONNECTEDLINE(name)}/${CONNECTEDLINE(num)}/${CONNECTEDLINE(all)}', scope), 'Bob/200/"Bob" <200>');
  setVariableOrFunction('CONNECTEDLINE(num,i)', '300', scope);
  assert.deepEqual(scope.channel?.updates, [{ what: 'connected', update: { number: '300' } }]);
  assert.equal(scope.channel?.connected.number, '300');
});

test('unknown data types and missing channel give nothing', () => {
  const scope = testScope();
  assert.equal(substitute('${CALLERID(dnid)}', scope), '');
  assert.equal(substitute('${CALLERID(name-charset)}', scope), '');
  assert.equal(substitute('${CALLERID()}', scope), '');
  assert.equal(substitute('${CONNECTEDLINE(tag)}', scope), '');
  setVariableOrFunction('CALLERID(pres)', 'allowed', scope);
  setVariableOrFunction('CONNECTEDLINE(source)', 'x', scope);
  assert.deepEqual(scope.channel?.updates, []);
  assert.deepEqual(scope.warnings, [
    "Unknown callerid data type 'dnid'.",
    "Unknown callerid data type 'name-charset'.",
    "Unknown connectedline data type 'tag'.",
    "Unknown callerid data type 'pres'.",
    "Unknown connectedline data type 'source'.",
  ]);
  const none = testScope({ channel: null });
  assert.equal(substitute('${CALLERID(num)}${CONNECTEDLINE(num)}', none), '');
  assert.equal(setVariableOrFunction('CALLERID(num)', '1', none), true);
});
