import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substitute, setVariableOrFunction } from '../substitute.ts';
import { testScope } from './testing.ts';

test('DB reads, sets DB_RESULT, and writes', () => {
  const scope = testScope({ db: { '/cidname/5551234': 'Alice', '/dnd/100/state': 'on' } });
  assert.equal(substitute('${DB(cidname/5551234)}', scope), 'Alice');
  assert.equal(scope.vars.get('DB_RESULT'), 'Alice');
  assert.equal(substitute('${DB(dnd/100/state)}', scope), 'on', 'the key keeps its slashes');
  assert.equal(substitute('${DB(cidname/999)}', scope), '');
  assert.equal(scope.vars.get('DB_RESULT'), 'on', 'unchanged when the key is missing');
  assert.equal(setVariableOrFunction('DB(cidname/999)', 'Zed', scope), true);
  assert.equal(scope.dbData.get('/cidname/999'), 'Zed');
  assert.deepEqual(scope.warnings, []);
});

test('DB_EXISTS', () => {
  const scope = testScope({ db: { '/f/k': 'v' } });
  assert.equal(substitute('${DB_EXISTS(f/k)}', scope), '1');
  assert.equal(scope.vars.get('DB_RESULT'), 'v');
  assert.equal(substitute('${DB_EXISTS(f/nope)}', scope), '0');
});

test('DB_DELETE returns the old value and deletes; also as a write', () => {
  const scope = testScope({ db: { '/f/k': 'v', '/f/k2': 'w' } });
  assert.equal(substitute('${DB_DELETE(f/k)}', scope), 'v');
  assert.equal(scope.dbData.has('/f/k'), false);
  assert.equal(scope.vars.get('DB_RESULT'), 'v');
  assert.equal(substitute('${DB_DELETE(f/k)}', scope), '');
  assert.equal(scope.vars.get('DB_RESULT'), '');
  setVariableOrFunction('DB_DELETE(f/k2)', 'ignored', scope);
  assert.equal(scope.dbData.has('/f/k2'), false);
});

test('bad arguments, malformed keys and a missing database', () => {
  const scope = testScope();
  assert.equal(substitute('${DB()}', scope), '');
  assert.equal(substitute('${DB(nokey)}', scope), '');
  assert.equal(substitute('${DB_EXISTS(x)}', scope), '');
  assert.equal(substitute('${DB_DELETE()}', scope), '');
  setVariableOrFunction('DB(fam/)', 'v', scope);
  setVariableOrFunction('DB(fam/a//b)', 'v', scope);
  assert.equal(scope.dbData.get('/fam/'), 'v', 'written anyway');
  assert.deepEqual(scope.warnings, [
    'DB requires an argument, DB(<family>/<key>)',
    'DB requires an argument, DB(<family>/<key>)',
    'DB_EXISTS requires an argument, DB(<family>/<key>)',
    'DB_DELETE requires an argument, DB_DELETE(<family>/<key>)',
    "DB: key '' seems malformed",
    "DB: key 'a//b' seems malformed",
  ]);
  const { db: _db, ...rest } = testScope();
  const noDb = { ...rest, warn: (m: string) => rest.warnings.push(m) };
  assert.equal(substitute('${DB(f/k)}', noDb), '');
  assert.deepEqual(rest.warnings, ['DB: the astdb is not available']);
});
