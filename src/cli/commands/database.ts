/**
 * `database show|showkey|get|put|del|deltree`: the astdb from the console, in Asterisk's layout.
 */

import type { AstDb, AstDbEntry } from '../../core/astdb.ts';
import type { CommandRegistry } from '../registry.ts';
import { UsageError } from '../registry.ts';

/** One `database show` line: key and value in Asterisk's `%-50s: %-25s` layout. */
function formatEntry(e: AstDbEntry): string {
  return `${e.key.padEnd(50)}: ${e.value.padEnd(25)}\n`;
}

/**
 * Registers the `database` console commands over `db`. Returns a function that removes them.
 * `family/keytree` may be given as one word or two, as in Asterisk.
 */
export function registerDatabaseCommands(registry: CommandRegistry, db: AstDb): () => void {
  const removers = [
    registry.register({
      words: ['database', 'show'],
      usage: 'database show [family [keytree]]\nOR: database show [family[/keytree]]',
      summary: 'Shows database contents',
      description: 'Lists the database, or one family, or one key tree of a family.\nFamily and key tree may be separated by a space or a slash.',
      handler: ({ args, write }) => {
        if (args.length > 2) throw new UsageError();
        const entries = db.getTree(args[0] ?? '', args[1] ?? '');
        write(entries.map(formatEntry).join('') + `${entries.length} results found.\n`);
      },
    }),
    registry.register({
      words: ['database', 'showkey'],
      usage: 'database showkey <keytree>',
      summary: 'Shows database contents',
      description: 'Lists the entries whose last key component is <keytree>, in every family.',
      handler: ({ args, write }) => {
        if (args.length !== 1 || !args[0]) throw new UsageError();
        const entries = db.showKey(args[0]);
        write(entries.map(formatEntry).join('') + `${entries.length} results found.\n`);
      },
    }),
    registry.register({
      words: ['database', 'get'],
      usage: 'database get <family> <key>',
      summary: 'Gets database value',
      description: 'Prints the value stored under a family and key.',
      handler: ({ args, write }) => {
        if (args.length !== 2) throw new UsageError();
        const value = db.get(args[0] ?? '', args[1] ?? '');
        write(value === undefined ? 'Database entry not found.\n' : `Value: ${value}\n`);
      },
    }),
    registry.register({
      words: ['database', 'put'],
      usage: 'database put <family> <key> <value>',
      summary: 'Adds/updates database value',
      description: 'Stores a value under a family and key, replacing any value already there.',
      handler: ({ args, write }) => {
        if (args.length !== 3) throw new UsageError();
        try {
          db.put(args[0] ?? '', args[1] ?? '', args[2] ?? '');
          write('Updated database successfully\n');
        } catch {
          write('Failed to update entry\n');
        }
      },
    }),
    registry.register({
      words: ['database', 'del'],
      usage: 'database del <family> <key>',
      summary: 'Removes database key/value',
      description: 'Removes the value stored under a family and key.',
      handler: ({ args, write }) => {
        if (args.length !== 2) throw new UsageError();
        let removed = false;
        try {
          removed = db.del(args[0] ?? '', args[1] ?? '');
        } catch {
          removed = false;
        }
        write(removed ? 'Database entry removed.\n' : 'Database entry could not be removed.\n');
      },
    }),
    registry.register({
      words: ['database', 'deltree'],
      usage: 'database deltree <family> [keytree]\nOR: database deltree <family>[/keytree]',
      summary: 'Removes database keytree/values',
      description: 'Removes a whole family, or one key tree inside it.\nFamily and key tree may be separated by a space or a slash.',
      handler: ({ args, write }) => {
        if (args.length < 1 || args.length > 2) throw new UsageError();
        let n: number;
        try {
          n = db.delTree(args[0] ?? '', args[1] ?? '');
        } catch {
          write('Database unavailable.\n');
          return;
        }
        write(n === 0 ? 'Database entries do not exist.\n' : `${n} database entries removed.\n`);
      },
    }),
  ];
  return () => {
    for (const remove of removers) remove();
  };
}
