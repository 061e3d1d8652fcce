import { test } from 'node:test';
import assert from 'node:assert/strict';
import { substitute, setVariableOrFunction } from '../substitute.ts';
import { testScope } from './testing.ts';

test('CHANNEL reads the common items, case-insensitively', () => {
  const scope = testScope({ channel: { name: 'Local/1000@from-trunk-0000002a;1', tech: 'Local', state: 'Ring', exten: '1000', context: 'from-trunk' } });
  const read = (item: string): string => substitute(`\${CHANNEL(${item})}`, scope);
  assert.equal(read('name'), 'Local/1000@from-trunk-0000002a;1');
  assert.equal(read('channame'), 'Local/1000@from-trunk-0000002a;1');
  assert.equal(read('uniqueid'), '1700000000.1');
  assert.equal(read('language'), 'en');
  assert.equal(read('LANGUAGE'), 'en');
  assert.equal(read('state'), 'Ring');
  assert.equal(read('context'), 'from-trunk');
  assert.equal(read('exten'), '1000');
  assert.equal(read('accountcode'), 'acct1');
  assert.equal(read('channeltype'), 'Local');
  assert.equal(read('linkedid'), '1700000000.1', 'falls back on the uniqueid');
  assert.equal(read('musicclass'), 'default', 'from channelValue');
  assert.deepEqual(scope.warnings, []);
});

test('CHANNEL(linkedid) when set', () => {
  const scope = testScope({ channel: { linkedid: '1699999999.7' } });
  assert.equal(substitute('${CHANNEL(linkedid)}', scope), '1699999999.7');
});

test('CHANNEL writes language and driver items; unknown items warn', () => {
  const scope = testScope();
  setVariableOrFunction('CHANNEL(language)', 'fr', scope);
  assert.equal(scope.channel?.language, 'fr');
  assert.equal(substitute('${CHANNEL(language)}', scope), 'fr');
  setVariableOrFunction('CHANNEL(musicclass)', 'jazz', scope);
  assert.equal(substitute('${CHANNEL(musicclass)}', scope), 'jazz');
  setVariableOrFunction('CHANNEL(bogus)', 'x', scope);
  assert.equal(substitute('${CHANNEL(bogus)}', scope), '');
  assert.deepEqual(scope.warnings, ["Unknown or unavailable item requested: 'bogus'", "Unknown or unavailable item requested: 'bogus'"]);
});

test('CHANNEL without a channel', () => {
  const scope = testScope({ channel: null });
  assert.equal(substitute('${CHANNEL(name)}', scope), '');
  setVariableOrFunction('CHANNEL(language)', 'de', scope);
  assert.deepEqual(scope.warnings, ['No channel was provided to CHANNEL function.', 'No channel was provided to CHANNEL function.']);
});
