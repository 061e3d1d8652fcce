/**
 * The astdb: Asterisk's small persistent key/value store, kept in SQLite through Node's built-in
 * `node:sqlite`, in the same file and table layout Asterisk uses (`<astdbdir>/astdb.sqlite3`, one table
 * `astdb(key, value)` whose keys read `/family/key`), so a database written by Asterisk opens unchanged.
 *
 * Device states set through ARI (`StasisDeviceState`), external MWI mailboxes (`mwi_external/mailboxes`) and
 * the dialplan's DB() functions keep their data here. Families nest with slashes: a tree query for `a`
 * returns `/a/x` and `/a/b/y` but not `/ab/z`, and, as in Asterisk, family matching ignores ASCII case.
 *
 * Every write commits before the call returns. The file runs in WAL mode with `synchronous=NORMAL`, so a
 * committed write survives the process being killed (`kill -9`); `synchronous: 'FULL'` also guards against
 * losing the newest writes on power loss, at the price of an fsync per write.
 *
 * The console commands (`database show|showkey|get|put|del|deltree`) live at the bottom of this module and
 * print what Asterisk prints.
 */

import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

/** The database file inside `astdbdir`, named as Asterisk names it. */
export const ASTDB_FILE_NAME = 'astdb.sqlite3';

/** `<astdbdir>/astdb.sqlite3`. */
export function astdbFile(astdbdir: string): string {
  return path.join(astdbdir, ASTDB_FILE_NAME);
}

/** One row: `key` is the full key, `/family/key`. */
export interface AstDbEntry {
  readonly key: string;
  readonly value: string;
}

export interface AstDbOpenOptions {
  /** SQLite's `synchronous` setting; NORMAL (the default) survives process crashes, FULL also power loss. */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** How long a write waits for another process holding the file, in milliseconds (default 2000). */
  readonly busyTimeoutMs?: number;
}

/** `/family/key`, or `/family` and `` for tree prefixes. */
function fullKey(family: string, key: string): string {
  return `/${family}/${key}`;
}

/** A LIKE pattern matching `prefix` itself and everything below it (`prefix/...`), wildcards escaped. */
function treePattern(prefix: string): string {
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '/%';
}

/**
 * @example
 * const db = AstDb.open('/var/lib/asterisk/astdb.sqlite3');
 * db.put('cidname', '5551234', 'Alice');
 * db.get('cidname', '5551234'); // 'Alice'
 * db.getTree('cidname');        // [{ key: '/cidname/5551234', value: 'Alice' }]
 * db.close();
 */
export class AstDb {
  /** The file, or `:memory:`. */
  readonly location: string;
  readonly #db: DatabaseSync;
  readonly #put: StatementSync;
  readonly #get: StatementSync;
  readonly #exists: StatementSync;
  readonly #del: StatementSync;
  readonly #getTree: StatementSync;
  readonly #getAll: StatementSync;
  readonly #delTree: StatementSync;
  readonly #delAll: StatementSync;
  readonly #showKey: StatementSync;
  #closed = false;

  /** Use `AstDb.open()` or `AstDb.openInMemory()`. */
  constructor(location: string, options: AstDbOpenOptions = {}) {
    this.location = location;
    if (location !== ':memory:') fs.mkdirSync(path.dirname(location), { recursive: true });
    this.#db = new DatabaseSync(location, { timeout: options.busyTimeoutMs ?? 2000 });
    try {
      if (location !== ':memory:') this.#db.exec('PRAGMA journal_mode=WAL');
      this.#db.exec(`PRAGMA synchronous=${options.synchronous ?? 'NORMAL'}`);
      // Asterisk's own schema, so either program can open the other's file.
      this.#db.exec('CREATE TABLE IF NOT EXISTS astdb(key TEXT, value TEXT, PRIMARY KEY(key))');
      this.#put = this.#db.prepare('INSERT OR REPLACE INTO astdb (key, value) VALUES (?, ?)');
      this.#get = this.#db.prepare('SELECT value FROM astdb WHERE key = ?');
      this.#exists = this.#db.prepare('SELECT 1 AS found FROM astdb WHERE key = ?');
      this.#del = this.#db.prepare('DELETE FROM astdb WHERE key = ?');
      this.#getTree = this.#db.prepare("SELECT key, value FROM astdb WHERE key || '/' LIKE ? ESCAPE '\\' ORDER BY key");
      this.#getAll = this.#db.prepare('SELECT key, value FROM astdb ORDER BY key');
      this.#delTree = this.#db.prepare("DELETE FROM astdb WHERE key || '/' LIKE ? ESCAPE '\\'");
      this.#delAll = this.#db.prepare('DELETE FROM astdb');
      this.#showKey = this.#db.prepare("SELECT key, value FROM astdb WHERE key LIKE ? ESCAPE '\\' ORDER BY key");
    } catch (err) {
      this.#db.close();
      throw err;
    }
  }

  /** Opens (creating when missing) the database file; the directory is created too. */
  static open(file: string, options: AstDbOpenOptions = {}): AstDb {
    return new AstDb(file, options);
  }

  /** A database that lives as long as the object: for tests, or when the file cannot be opened. */
  static openInMemory(): AstDb {
    return new AstDb(':memory:');
  }

  get isOpen(): boolean {
    return !this.#closed;
  }

  /** The value stored under `/family/key`, or undefined. */
  get(family: string, key: string): string | undefined {
    const row = this.#get.get(fullKey(family, key)) as { value: unknown } | undefined;
    return row === undefined || row.value === null ? undefined : String(row.value);
  }

  /** Adds or replaces `/family/key`. */
  put(family: string, key: string, value: string): void {
    this.#put.run(fullKey(family, key), value);
  }

  exists(family: string, key: string): boolean {
    return this.#exists.get(fullKey(family, key)) !== undefined;
  }

  /** Removes `/family/key`; false when there was no such key. */
  del(family: string, key: string): boolean {
    return Number(this.#del.run(fullKey(family, key)).changes) > 0;
  }

  /**
   * Removes a family, or one key tree inside it (`keytree` may itself contain slashes); with no family,
   * everything. Returns how many entries went.
   * @throws TypeError for a key tree without a family.
   */
  delTree(family?: string, keytree?: string): number {
    const prefix = this.#prefix(family, keytree);
    const res = prefix === '' ? this.#delAll.run() : this.#delTree.run(treePattern(prefix));
    return Number(res.changes);
  }

  /** Entries of a family (or of one key tree inside it, or of the whole database), ordered by key. */
  getTree(family?: string, keytree?: string): AstDbEntry[] {
    const prefix = this.#prefix(family, keytree);
    const rows = (prefix === '' ? this.#getAll.all() : this.#getTree.all(treePattern(prefix))) as { key: unknown; value: unknown }[];
    return rows.filter((r) => r.key !== null && r.value !== null).map((r) => ({ key: String(r.key), value: String(r.value) }));
  }

  /** Entries whose last key component is `key`, in any family (`database showkey`). */
  showKey(key: string): AstDbEntry[] {
    const pattern = '%/' + key.replace(/[\\%_]/g, (c) => `\\${c}`);
    const rows = this.#showKey.all(pattern) as { key: unknown; value: unknown }[];
    return rows.filter((r) => r.key !== null && r.value !== null).map((r) => ({ key: String(r.key), value: String(r.value) }));
  }

  /** Closes the file; later calls throw. Closing twice is harmless. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  #prefix(family: string | undefined, keytree: string | undefined): string {
    if (!family) {
      if (keytree) throw new TypeError(`key tree '${keytree}' given without a family`);
      return '';
    }
    return keytree ? fullKey(family, keytree) : `/${family}`;
  }
}
