/**
 * External MWI mailboxes: update, read, list, delete, persistence in res_mwi_external's astdb layout, and
 * change announcements.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AstDb } from './astdb.ts';
import { MAILBOX_FAMILY, MailboxRegistry, type MailboxChange } from './mailboxes.ts';
import { createTestLogger } from '../shared/logger.ts';

function setup(db = AstDb.openInMemory()) {
  const logger = createTestLogger();
  const mailboxes = new MailboxRegistry({ db, logger, clock: () => 42 });
  const changes: MailboxChange[] = [];
  mailboxes.onChange((e) => changes.push(e));
  return { db, mailboxes, changes, logger };
}

describe('MailboxRegistry', () => {
  it('creates, replaces, reads, lists and deletes mailboxes', () => {
    const { mailboxes } = setup();
    assert.equal(mailboxes.get('1000@default'), undefined);
    assert.deepEqual(mailboxes.list(), []);
    assert.deepEqual(mailboxes.update('1000@default', 2, 3), { name: '1000@default', old_messages: 2, new_messages: 3 });
    mailboxes.update('any string at all', 0, 0);
    mailboxes.update('1000@default', 5, 1);
    assert.deepEqual(mailboxes.get('1000@default'), { name: '1000@default', old_messages: 5, new_messages: 1 });
    assert.deepEqual(mailboxes.list(), [
      { name: '1000@default', old_messages: 5, new_messages: 1 },
      { name: 'any string at all', old_messages: 0, new_messages: 0 },
    ]);
    assert.equal(mailboxes.delete('1000@default'), true);
    assert.equal(mailboxes.delete('1000@default'), false);
    assert.equal(mailboxes.get('1000@default'), undefined);
    assert.equal(mailboxes.load(), 1);
  });

  it('stores mailboxes where res_mwi_external keeps them', () => {
    const { db, mailboxes } = setup();
    mailboxes.update('1000@default', 2, 3);
    assert.deepEqual(db.getTree('mwi_external'), [{ key: '/mwi_external/mailboxes/1000@default', value: '{"msgs_new":"3","msgs_old":"2"}' }]);
    // Values Asterisk wrote read back whatever the field order, numbers as strings or not.
    db.put(MAILBOX_FAMILY, '2000@default', '{"msgs_old":"7","msgs_new":1}');
    assert.deepEqual(mailboxes.get('2000@default'), { name: '2000@default', old_messages: 7, new_messages: 1 });
    db.put(MAILBOX_FAMILY, '3000@default', '{}');
    assert.deepEqual(mailboxes.get('3000@default'), { name: '3000@default', old_messages: 0, new_messages: 0 });
  });

  it('skips unreadable stored values with one warning', () => {
    const { db, mailboxes, logger } = setup();
    db.put(MAILBOX_FAMILY, 'broken', 'not json');
    db.put(MAILBOX_FAMILY, 'negative', '{"msgs_new":"-1","msgs_old":"0"}');
    mailboxes.update('ok', 1, 1);
    assert.deepEqual(mailboxes.list().map((m) => m.name), ['ok']);
    mailboxes.list();
    assert.equal(mailboxes.get('broken'), undefined);
    const warnings = logger.messages('warning');
    assert.equal(warnings.filter((w) => w.includes("'broken'")).length, 1);
    assert.equal(warnings.filter((w) => w.includes("'negative'")).length, 1);
  });

  it('refuses empty names and counts that are not whole numbers from 0 to 2147483647', () => {
    const { mailboxes, changes } = setup();
    assert.throws(() => mailboxes.update('', 0, 0), TypeError);
    assert.throws(() => mailboxes.update('a', -1, 0), TypeError);
    assert.throws(() => mailboxes.update('a', 0, 1.5), TypeError);
    assert.throws(() => mailboxes.update('a', 2147483648, 0), TypeError);
    assert.equal(mailboxes.update('a', 2147483647, 0).old_messages, 2147483647);
    assert.equal(mailboxes.get(''), undefined);
    assert.equal(mailboxes.delete(''), false);
    assert.equal(changes.length, 1);
  });

  it('announces every update and each delete', () => {
    const { mailboxes, changes } = setup();
    mailboxes.update('1000@default', 1, 2);
    mailboxes.update('1000@default', 1, 2);
    mailboxes.delete('1000@default');
    mailboxes.delete('1000@default');
    assert.deepEqual(changes, [
      { name: '1000@default', old_messages: 1, new_messages: 2, deleted: false, timestamp: 42 },
      { name: '1000@default', old_messages: 1, new_messages: 2, deleted: false, timestamp: 42 },
      { name: '1000@default', old_messages: 0, new_messages: 0, deleted: true, timestamp: 42 },
    ]);
  });

  it('survives a restart', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-mwi-'));
    try {
      const file = path.join(dir, 'astdb.sqlite3');
      const first = setup(AstDb.open(file));
      first.mailboxes.update('1000@default', 4, 9);
      first.db.close();
      const second = setup(AstDb.open(file));
      assert.equal(second.mailboxes.load(), 1);
      assert.deepEqual(second.mailboxes.get('1000@default'), { name: '1000@default', old_messages: 4, new_messages: 9 });
      second.db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
