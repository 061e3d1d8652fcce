import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substitute, setVariableOrFunction } from '../substitute.ts';
import { testScope } from './testing.ts';

test('GLOBAL reads and writes globals, not channel variables', () => {
  const scope = testScope({ vars: { X: 'channel' }, globals: { X: 'global' } });
  assert.equal(substitute('${X}/${GLOBAL(X)}', scope), 'channel/global');
  setVariableOrFunction('GLOBAL(Y)', 'new', scope);
  assert.equal(scope.globalVars.get('Y'), 'new');
  assert.equal(scope.vars.has('Y'), false);
  assert.equal(substitute('${GLOBAL(NOPE)}', scope), '');
  assert.equal(substitute('${GLOBAL_EXISTS(Y)}${GLOBAL_EXISTS(NOPE)}', scope), '10');
  setVariableOrFunction('GLOBAL_DELETE(Y)', '', scope);
  assert.equal(scope.globalVars.has('Y'), false);
});

test('SHARED on the current channel and on another one by name or prefix', () => {
  const scope = testScope({ otherChannels: ['PJSIP/bob-00000002'] });
  setVariableOrFunction('SHARED(color)', 'blue', scope);
  assert.equal(scope.sharedVars.get('PJSIP/alice-00000001')?.get('color'), 'blue');
  assert.equal(substitute('${SHARED(color)}', scope), 'blue');
  setVariableOrFunction('SHARED(color,PJSIP/bob)', 'red', scope);
  assert.equal(scope.sharedVars.get('PJSIP/bob-00000002')?.get('color'), 'red');
  assert.equal(substitute('${SHARED(color,PJSIP/bob-00000002)}', scope), 'red');
  assert.equal(substitute('${SHARED(nope)}', scope), '');
  assert.deepEqual(scope.warnings, []);
});

test('SHARED errors: no argument, unknown channel, no channel', () => {
  const scope = testScope();
  assert.equal(substitute('${SHARED()}', scope), '');
  assert.equal(substitute('${SHARED(x,PJSIP/ghost)}', scope), '');
  setVariableOrFunction('SHARED(x,PJSIP/ghost)', 'v', scope);
  assert.deepEqual(scope.warnings, [
    'SHARED() requires an argument: SHARED(<var>[,<chan>])',
    "Channel 'PJSIP/ghost' not found!  Variable 'x' will be blank.",
    "Channel 'PJSIP/ghost' not found!  Variable 'x' not set to 'v'.",
  ]);
  const none = testScope({ channel: null });
  assert.equal(substitute('${SHARED(x)}', none), '');
  assert.deepEqual(none.warnings, ['No channel was provided to SHARED function.']);
});
