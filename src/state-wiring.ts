/**
 * Puts the astdb, device states and mailboxes together for the composition root, so `server.ts` only opens
 * them, merges the handlers and closes them on shutdown.
 *
 * The astdb file is opened (created when missing) at `astdbPath`. When it cannot be opened — a corrupt file,
 * a read-only directory — the server still starts, on an in-memory database, and says loudly that device
 * states and mailboxes will not survive a restart.
 */

import path from 'node:path';
import type { HandlerMap } from './ari/dispatcher.ts';
import { deviceStateHandlers } from './ari/resources/device-states.ts';
import { mailboxHandlers } from './ari/resources/mailboxes.ts';
import type { CommandRegistry } from './cli/registry.ts';
import type { Logger } from './shared/logger.ts';
import type { ModuleRegistry } from './core/modules.ts';
import { AstDb, type AstDbOpenOptions } from './core/astdb.ts';
import { registerDatabaseCommands } from './cli/commands/database.ts';
import { DeviceStateRegistry } from './core/device-states.ts';
import { MailboxRegistry } from './core/mailboxes.ts';

export interface StateWiringOptions {
  /** The database file, normally `astdbFile(asterisk.directories.astdbdir)`. */
  readonly astdbPath: string;
  readonly logger: Logger;
  /** When given, the `database …` console commands are registered here. */
  readonly commands?: CommandRegistry;
  /** When given, the modules Asterisk has for these features are listed here. */
  readonly modules?: ModuleRegistry;
  readonly astdb?: AstDbOpenOptions;
}

export interface StateWiring {
  readonly db: AstDb;
  readonly states: DeviceStateRegistry;
  readonly mailboxes: MailboxRegistry;
  /** `deviceStates.*` and `mailboxes.*`. */
  readonly handlers: HandlerMap;
  /** Removes the console commands and module entries, and closes the database. Runs once. */
  close(): void;
}

const MODULES = [
  ['res_stasis_device_state.so', 'Stasis application device state support'],
  ['res_ari_device_states.so', 'RESTful API module - Device state resources'],
  ['res_mwi_external.so', 'Core external MWI resource'],
  ['res_stasis_mailbox.so', 'Stasis application mailbox support'],
  ['res_ari_mailboxes.so', 'RESTful API module - Mailboxes resources'],
] as const;

export function wireDeviceStatesAndMailboxes(options: StateWiringOptions): StateWiring {
  const log = options.logger.child('astdb');
  let db: AstDb;
  try {
    db = AstDb.open(options.astdbPath, options.astdb);
    log.verbose(2, `Opened the astdb at ${options.astdbPath}`);
  } catch (err) {
    log.error(
      `Unable to open the astdb '${options.astdbPath}': ${(err as Error)?.message ?? String(err)}; ` +
        'using an in-memory database, so device states and mailboxes will not survive a restart',
    );
    db = AstDb.openInMemory();
  }

  const states = new DeviceStateRegistry({ db, logger: options.logger.child('devicestate') });
  const mailboxes = new MailboxRegistry({ db, logger: options.logger.child('mwi') });
  const deviceCount = states.load();
  const mailboxCount = mailboxes.load();
  log.verbose(2, `Loaded ${deviceCount} Stasis device state(s) and ${mailboxCount} mailbox(es) from ${path.basename(db.location)}`);

  const removers: (() => void)[] = [];
  if (options.commands) removers.push(registerDatabaseCommands(options.commands, db));
  if (options.modules) {
    for (const [name, description] of MODULES) removers.push(options.modules.register({ name, description, supportLevel: 'core', running: true }));
  }

  const handlers: HandlerMap = { ...deviceStateHandlers({ states }), ...mailboxHandlers({ mailboxes }) };
  let closed = false;
  return {
    db,
    states,
    mailboxes,
    handlers,
    close() {
      if (closed) return;
      closed = true;
      for (const remove of removers) remove();
      db.close();
    },
  };
}
