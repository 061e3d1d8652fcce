import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FunctionRegistry } from './registry.ts';
import { createStandardFunctionRegistry, standardFunctions } from './index.ts';
import { AriadneError } from '../../shared/errors.ts';

test('register, get, list sorted, unregister', () => {
  const r = new FunctionRegistry();
  r.register({ name: 'ZED', synopsis: 'z', read: () => 'z' });
  r.register({ name: 'ALPHA', synopsis: 'a', read: () => 'a' });
  assert.equal(r.size, 2);
  assert.equal(r.get('ALPHA')?.synopsis, 'a');
  assert.equal(r.get('alpha'), undefined, 'names are case-sensitive');
  assert.deepEqual(r.list().map((f) => f.name), ['ALPHA', 'ZED']);
  assert.equal(r.unregister('ZED'), true);
  assert.equal(r.unregister('ZED'), false);
  assert.equal(r.has('ZED'), false);
});

test('duplicate and invalid names are refused', () => {
  const r = new FunctionRegistry();
  r.register({ name: 'X', synopsis: 'x' });
  assert.throws(() => r.register({ name: 'X', synopsis: 'again' }), (e: unknown) => e instanceof AriadneError && e.code === 'ERR_CONFLICT');
  assert.throws(() => r.register({ name: 'A(B)', synopsis: 'bad' }), (e: unknown) => e instanceof AriadneError && e.code === 'ERR_INVALID_PARAMETER');
  assert.throws(() => r.register({ name: '', synopsis: 'bad' }), AriadneError);
});

test('the standard registry has every family, each function readable or writable, with a synopsis', () => {
  const r = createStandardFunctionRegistry();
  for (const name of ['CALLERID', 'CONNECTEDLINE', 'CHANNEL', 'LEN', 'IF', 'ISNULL', 'EXISTS', 'STRFTIME', 'RAND', 'CUT', 'FIELDQTY',
    'TOUPPER', 'TOLOWER', 'DB', 'DB_EXISTS', 'DB_DELETE', 'GLOBAL', 'SHARED', 'REGEX', 'REPLACE', 'EVAL']) {
    assert.ok(r.has(name), name);
  }
  assert.equal(r.size, standardFunctions.length);
  for (const f of r.list()) {
    assert.ok(f.read !== undefined || f.write !== undefined, f.name);
    assert.ok(f.synopsis.length > 0, f.name);
    assert.match(f.name, /^[A-Z_]+$/);
  }
});
