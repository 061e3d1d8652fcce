import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DiagnosticList, parseBooleanWord, readBoolean, readChoice, readInteger, splitList } from './options.ts';
import type { ConfEntry } from './parser.ts';

function entry(key: string, value: string): ConfEntry {
  return { key, value, op: '=', file: '/etc/asterisk/x.conf', line: 7, inherited: false };
}

test("Asterisk's boolean words, case-insensitive", () => {
  for (const word of ['yes', 'YES', 'true', 'on', 'On', '1', 'y', 't']) {
    assert.equal(parseBooleanWord(word), true, word);
  }
  for (const word of ['no', 'No', 'false', 'off', 'OFF', '0', 'n', 'f']) {
    assert.equal(parseBooleanWord(word), false, word);
  }
  for (const word of ['maybe', '', '2', 'yess']) {
    assert.equal(parseBooleanWord(word), undefined, word);
  }
});

test('readers return the value, or the default plus an error at the entry', () => {
  const diagnostics = new DiagnosticList();
  assert.equal(readBoolean(entry('enabled', ' Yes '), diagnostics, false), true);
  assert.equal(readInteger(entry('port', '+80'), diagnostics, 1, { min: 0, max: 65535 }), 80);
  assert.equal(readChoice(entry('fmt', 'CRYPT'), diagnostics, ['plain', 'crypt'] as const, 'plain'), 'crypt');
  assert.deepEqual(diagnostics.toArray(), []);

  assert.equal(readBoolean(entry('enabled', 'maybe'), diagnostics, true), true);
  assert.equal(readInteger(entry('port', '80.5'), diagnostics, 1, { min: 0 }), 1);
  assert.equal(readInteger(entry('port', '99999'), diagnostics, 1, { max: 65535 }), 1);
  assert.equal(readInteger(entry('n', '9999999999999999999'), diagnostics, 2), 2);
  assert.equal(readChoice(entry('fmt', 'rot13'), diagnostics, ['plain', 'crypt'] as const, 'plain'), 'plain');
  const list = diagnostics.toArray();
  assert.deepEqual(list.map((d) => [d.level, d.file, d.line]), Array(5).fill(['error', '/etc/asterisk/x.conf', 7]));
  assert.equal(list[0]?.message, "invalid value 'maybe' for 'enabled': expected yes/no (also true/false, on/off, 1/0); using the default yes");
  assert.equal(list[1]?.message, "invalid value '80.5' for 'port': expected an integer of at least 0; using the default 1");
  assert.equal(list[2]?.message, "invalid value '99999' for 'port': expected an integer of at most 65535; using the default 1");
  assert.equal(list[3]?.message, "invalid value '9999999999999999999' for 'n': expected an integer; using the default 2");
  assert.equal(list[4]?.message, "invalid value 'rot13' for 'fmt': expected one of plain, crypt; using the default plain");
  assert.ok(Object.isFrozen(list) && Object.isFrozen(list[0]));
});

test('splitList trims and drops empty items', () => {
  assert.deepEqual(splitList(' a, b ,,c '), ['a', 'b', 'c']);
  assert.deepEqual(splitList(''), []);
  assert.deepEqual(splitList('a b,c', /[,\s]+/), ['a', 'b', 'c']);
});
