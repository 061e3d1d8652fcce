/**
 * DB, DB_EXISTS and DB_DELETE: the Asterisk database (astdb) from the dialplan.
 *
 * The argument is `family/key`; the key may itself contain slashes (`DB(cidname/5551234)`,
 * `DB(dnd/${EXTEN}/state)`). Reading DB sets DB_RESULT when the key exists; DB_EXISTS returns 1 or 0 and
 * sets DB_RESULT to the value when it exists; DB_DELETE returns the old value (empty when there was none),
 * deletes the key and sets DB_RESULT. `Set(DB(family/key)=value)` writes; a key that looks malformed
 * (empty, leading or trailing `/`, `//`) is written anyway with a warning, as Asterisk does.
 */

import type { AstDbPort, SubstitutionScope } from '../substitute.ts';
import { splitAppArgs } from '../args.ts';
import type { DialplanFunction } from './registry.ts';
import { warn } from './helpers.ts';

/** The family and key of `family/key`, the database, or undefined after a warning. */
function target(scope: SubstitutionScope, name: string, args: string, usage: string): { db: AstDbPort; family: string; key: string } | undefined {
  const parts = args === '' ? [] : splitAppArgs(args, '/', { limit: 2 });
  if (parts.length < 2) {
    warn(scope, `${name} requires an argument, ${usage}`);
    return undefined;
  }
  if (scope.db === undefined) {
    warn(scope, `${name}: the astdb is not available`);
    return undefined;
  }
  return { db: scope.db, family: parts[0]!, key: parts[1]! };
}

function dbDelete(scope: SubstitutionScope, args: string): string {
  const t = target(scope, 'DB_DELETE', args, 'DB_DELETE(<family>/<key>)');
  if (t === undefined) return '';
  const old = t.db.get(t.family, t.key);
  if (old !== undefined) t.db.del(t.family, t.key);
  scope.setVariable('DB_RESULT', old ?? '');
  return old ?? '';
}

export const dbFunctions: readonly DialplanFunction[] = [
  {
    name: 'DB',
    synopsis: 'A value of the astdb (read and write)',
    syntax: 'DB(family/key)',
    read: (scope, args) => {
      const t = target(scope, 'DB', args, 'DB(<family>/<key>)');
      if (t === undefined) return '';
      const value = t.db.get(t.family, t.key);
      if (value === undefined) return '';
      scope.setVariable('DB_RESULT', value);
      return value;
    },
    write: (scope, args, value) => {
      const t = target(scope, 'DB', args, 'DB(<family>/<key>)=value');
      if (t === undefined) return;
      if (t.key === '' || t.key.startsWith('/') || t.key.endsWith('/') || t.key.includes('//')) {
        warn(scope, `DB: key '${t.key}' seems malformed`);
      }
      t.db.put(t.family, t.key, value);
    },
  },
  {
    name: 'DB_EXISTS',
    synopsis: '1 when a key exists in the astdb, else 0',
    syntax: 'DB_EXISTS(family/key)',
    read: (scope, args) => {
      const t = target(scope, 'DB_EXISTS', args, 'DB(<family>/<key>)');
      if (t === undefined) return '';
      const value = t.db.get(t.family, t.key);
      if (value === undefined) return '0';
      scope.setVariable('DB_RESULT', value);
      return '1';
    },
  },
  {
    name: 'DB_DELETE',
    synopsis: 'A value of the astdb, deleted as it is read',
    syntax: 'DB_DELETE(family/key)',
    read: dbDelete,
    write: (scope, args) => {
      dbDelete(scope, args);
    },
  },
];
