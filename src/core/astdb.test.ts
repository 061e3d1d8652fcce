/**
 * The astdb over a real SQLite file: keys and trees, persistence across reopen and across `kill -9`,
 * Asterisk's file layout, and the `database` console commands.
 */

import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import { AstDb, astdbFile } from './astdb.ts';
import { registerDatabaseCommands } from '../cli/commands/database.ts';
import { CommandRegistry } from '../cli/registry.ts';

describe('AstDb', () => {
  let dir: string;
  let file: string;
  let db: AstDb;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-astdb-'));
    file = astdbFile(path.join(dir, 'lib'));
    db = AstDb.open(file);
  });
  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names its file as Asterisk does and creates the directory', () => {
    assert.equal(path.basename(file), 'astdb.sqlite3');
    assert.ok(fs.existsSync(file));
  });

  it('puts, gets, checks and deletes keys', () => {
    assert.equal(db.get('cidname', '5551234'), undefined);
    assert.equal(db.exists('cidname', '5551234'), false);
    db.put('cidname', '5551234', 'Alice');
    assert.equal(db.get('cidname', '5551234'), 'Alice');
    assert.equal(db.exists('cidname', '5551234'), true);
    db.put('cidname', '5551234', 'Bob');
    assert.equal(db.get('cidname', '5551234'), 'Bob');
    db.put('cidname', 'empty', '');
    assert.equal(db.get('cidname', 'empty'), '');
    assert.equal(db.del('cidname', '5551234'), true);
    assert.equal(db.del('cidname', '5551234'), false);
    assert.equal(db.get('cidname', '5551234'), undefined);
  });

  it('keeps keys case-sensitive and stores any text', () => {
    db.put('Fam', 'Key', 'upper');
    db.put('Fam', 'key', 'lower');
    db.put('Fam', 'ünï/cødé', 'väl\nue');
    assert.equal(db.get('Fam', 'Key'), 'upper');
    assert.equal(db.get('Fam', 'key'), 'lower');
    assert.equal(db.get('Fam', 'ünï/cødé'), 'väl\nue');
  });

  it('returns trees ordered by key, nested families included, siblings with a common prefix excluded', () => {
    db.put('a', 'z', '1');
    db.put('a', 'b/c', '2');
    db.put('ab', 'x', '3');
    db.put('a/b', 'd', '4');
    db.put('other', 'k', '5');
    assert.deepEqual(db.getTree('a'), [
      { key: '/a/b/c', value: '2' },
      { key: '/a/b/d', value: '4' },
      { key: '/a/z', value: '1' },
    ]);
    assert.deepEqual(db.getTree('a', 'b').map((e) => e.key), ['/a/b/c', '/a/b/d']);
    assert.deepEqual(db.getTree('a/b').map((e) => e.key), ['/a/b/c', '/a/b/d']);
    assert.deepEqual(db.getTree().map((e) => e.key), ['/a/b/c', '/a/b/d', '/a/z', '/ab/x', '/other/k']);
    assert.deepEqual(db.getTree('missing'), []);
  });

  it('matches families ignoring ASCII case, as Asterisk does, and treats % and _ literally', () => {
    db.put('StasisDeviceState', 'foo', 'BUSY');
    db.put('a_c', 'k', '1');
    db.put('abc', 'k', '2');
    db.put('a%', 'k', '3');
    db.put('axyz', 'k', '4');
    assert.deepEqual(db.getTree('stasisdevicestate'), [{ key: '/StasisDeviceState/foo', value: 'BUSY' }]);
    assert.deepEqual(db.getTree('a_c').map((e) => e.key), ['/a_c/k']);
    assert.deepEqual(db.getTree('a%').map((e) => e.key), ['/a%/k']);
    assert.equal(db.delTree('a_c'), 1);
    assert.equal(db.get('abc', 'k'), '2');
  });

  it('deletes trees and reports how many entries went', () => {
    db.put('a', 'x', '1');
    db.put('a', 'y/1', '2');
    db.put('a', 'y/2', '3');
    db.put('ab', 'x', '4');
    assert.equal(db.delTree('a', 'y'), 2);
    assert.deepEqual(db.getTree('a').map((e) => e.key), ['/a/x']);
    assert.equal(db.delTree('a'), 1);
    assert.equal(db.delTree('a'), 0);
    assert.equal(db.get('ab', 'x'), '4');
    assert.throws(() => db.delTree('', 'y'), TypeError);
    assert.equal(db.delTree(), 1);
    assert.deepEqual(db.getTree(), []);
  });

  it('finds keys by their last component in any family', () => {
    db.put('cidname', '100', 'A');
    db.put('blacklist', '100', 'B');
    db.put('x', '1100', 'C');
    assert.deepEqual(db.showKey('100').map((e) => e.value), ['B', 'A']);
  });

  it('keeps what was written across close and reopen, in WAL mode', () => {
    db.put('StasisDeviceState', 'foo', 'BUSY');
    db.close();
    db = AstDb.open(file);
    assert.equal(db.get('StasisDeviceState', 'foo'), 'BUSY');
    const raw = new DatabaseSync(file);
    try {
      assert.equal((raw.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    } finally {
      raw.close();
    }
  });

  it('keeps committed writes when the process is killed with SIGKILL', () => {
    db.close();
    const url = pathToFileURL(path.join(import.meta.dirname, 'astdb.ts')).href;
    const script =
      `import { AstDb } from ${JSON.stringify(url)};` +
      `const db = AstDb.open(${JSON.stringify(file)});` +
      `for (let i = 0; i < 50; i++) db.put('k9', 'n' + i, String(i));` +
      `process.kill(process.pid, 'SIGKILL');`;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(res.signal, 'SIGKILL', res.stderr);
    db = AstDb.open(file);
    assert.equal(db.getTree('k9').length, 50);
    assert.equal(db.get('k9', 'n49'), '49');
  });

  it('opens a database Asterisk wrote (same table, same keys)', () => {
    db.close();
    const other = path.join(dir, 'asterisk', 'astdb.sqlite3');
    fs.mkdirSync(path.dirname(other));
    const raw = new DatabaseSync(other);
    raw.exec('CREATE TABLE astdb(key TEXT, value TEXT, PRIMARY KEY(key))');
    raw.prepare('INSERT INTO astdb VALUES (?, ?)').run('/mwi_external/mailboxes/1000@default', '{"msgs_new":"3","msgs_old":"2"}');
    raw.close();
    db = AstDb.open(other);
    assert.equal(db.get('mwi_external/mailboxes', '1000@default'), '{"msgs_new":"3","msgs_old":"2"}');
  });

  it('refuses a file that is not a database', () => {
    const bad = path.join(dir, 'bad.sqlite3');
    fs.writeFileSync(bad, 'this is not sqlite, not even close'.repeat(100));
    assert.throws(() => AstDb.open(bad));
  });

  it('works in memory and throws after close', () => {
    const mem = AstDb.openInMemory();
    mem.put('f', 'k', 'v');
    assert.equal(mem.get('f', 'k'), 'v');
    assert.equal(mem.location, ':memory:');
    mem.close();
    mem.close();
    assert.equal(mem.isOpen, false);
    assert.throws(() => mem.get('f', 'k'));
  });
});

describe('database console commands', () => {
  async function run(registry: CommandRegistry, line: string): Promise<string> {
    let out = '';
    await registry.execute(line, (t) => (out += t));
    return out;
  }

  it('put, get, show, showkey, del and deltree print what Asterisk prints', async () => {
    const db = AstDb.openInMemory();
    const registry = new CommandRegistry();
    const remove = registerDatabaseCommands(registry, db);
    try {
      assert.equal(await run(registry, 'database put cidname 5551234 "Alice Smith"'), 'Updated database successfully\n');
      assert.equal(await run(registry, 'database put cidname 5550000 Bob'), 'Updated database successfully\n');
      assert.equal(await run(registry, 'database put other 5551234 x'), 'Updated database successfully\n');
      assert.equal(await run(registry, 'database get cidname 5551234'), 'Value: Alice Smith\n');
      assert.equal(await run(registry, 'database get cidname nope'), 'Database entry not found.\n');

      const all = await run(registry, 'database show');
      assert.equal(
        all,
        `${'/cidname/5550000'.padEnd(50)}: ${'Bob'.padEnd(25)}\n` +
          `${'/cidname/5551234'.padEnd(50)}: ${'Alice Smith'.padEnd(25)}\n` +
          `${'/other/5551234'.padEnd(50)}: ${'x'.padEnd(25)}\n` +
          '3 results found.\n',
      );
      assert.match(await run(registry, 'database show cidname'), /2 results found\.\n$/);
      assert.match(await run(registry, 'database show cidname 5550000'), /^\/cidname\/5550000 +: Bob +\n1 results found\.\n$/);
      assert.match(await run(registry, 'database show cidname/5550000'), /1 results found\.\n$/);
      assert.equal(await run(registry, 'database show nothing'), '0 results found.\n');
      assert.match(await run(registry, 'database showkey 5551234'), /\/cidname\/5551234[\s\S]*\/other\/5551234[\s\S]*2 results found\.\n$/);

      assert.equal(await run(registry, 'database del cidname 5550000'), 'Database entry removed.\n');
      assert.equal(await run(registry, 'database del cidname 5550000'), 'Database entry could not be removed.\n');
      assert.equal(await run(registry, 'database deltree cidname'), '1 database entries removed.\n');
      assert.equal(await run(registry, 'database deltree cidname'), 'Database entries do not exist.\n');

      assert.match(await run(registry, 'database get onlyfamily'), /^Usage: database get <family> <key>\n/);
      assert.match(await run(registry, 'database put a b'), /^Usage: database put <family> <key> <value>\n/);
      assert.match(await run(registry, 'database show a b c'), /^Usage: database show \[family \[keytree\]\]\n/);
    } finally {
      remove();
      db.close();
    }
    assert.match(await run(registry, 'database show'), /^No such command/);
  });
});
