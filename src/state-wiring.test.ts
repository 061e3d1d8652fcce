/**
 * The wiring the composition root uses: opens the astdb file, loads what it holds, registers console commands
 * and modules, falls back to memory when the file is unusable, and closes once.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CommandRegistry } from './cli/registry.ts';
import { createTestLogger } from './shared/logger.ts';
import { astdbFile } from './core/astdb.ts';
import { ModuleRegistry } from './core/modules.ts';
import { wireDeviceStatesAndMailboxes } from './state-wiring.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-wiring-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('wireDeviceStatesAndMailboxes', () => {
  it('persists through the file, registers commands and modules, and removes them on close', async (t) => {
    const astdbPath = astdbFile(path.join(tempDir(t), 'lib', 'db'));
    const commands = new CommandRegistry();
    const modules = new ModuleRegistry();
    const first = wireDeviceStatesAndMailboxes({ astdbPath, logger: createTestLogger(), commands, modules });
    assert.ok(fs.existsSync(astdbPath));
    assert.deepEqual(Object.keys(first.handlers).sort(), [
      'deviceStates.delete',
      'deviceStates.get',
      'deviceStates.list',
      'deviceStates.update',
      'mailboxes.delete',
      'mailboxes.get',
      'mailboxes.list',
      'mailboxes.update',
    ]);
    assert.ok(modules.has('res_ari_device_states.so') && modules.has('res_mwi_external.so'));
    first.states.set('Stasis:foo', 'BUSY');
    first.mailboxes.update('1000@default', 1, 2);
    let out = '';
    await commands.execute('database show', (s) => (out += s));
    assert.match(out, /\/StasisDeviceState\/foo +: BUSY/);
    assert.match(out, /\/mwi_external\/mailboxes\/1000@default +: \{"msgs_new":"2","msgs_old":"1"\}/);
    first.close();
    first.close();
    assert.equal(first.db.isOpen, false);
    assert.equal(modules.has('res_ari_device_states.so'), false);
    assert.equal(commands.find(['database', 'show']), undefined);

    const logger = createTestLogger({ verbose: 5 });
    const second = wireDeviceStatesAndMailboxes({ astdbPath, logger });
    t.after(() => second.close());
    assert.equal(second.states.get('Stasis:foo'), 'BUSY');
    assert.deepEqual(second.mailboxes.get('1000@default'), { name: '1000@default', old_messages: 1, new_messages: 2 });
    assert.ok(logger.messages().some((m) => m.includes('Loaded 1 Stasis device state(s) and 1 mailbox(es)')));
  });

  it('starts on an in-memory database, loudly, when the file cannot be opened', (t) => {
    const astdbPath = path.join(tempDir(t), 'astdb.sqlite3');
    fs.writeFileSync(astdbPath, 'garbage, not a database '.repeat(200));
    const logger = createTestLogger();
    const wiring = wireDeviceStatesAndMailboxes({ astdbPath, logger });
    t.after(() => wiring.close());
    assert.equal(wiring.db.location, ':memory:');
    assert.ok(logger.messages('error').some((m) => m.includes('in-memory') && m.includes(astdbPath)));
    wiring.states.set('Stasis:x', 'INUSE');
    assert.equal(wiring.states.get('Stasis:x'), 'INUSE');
  });
});
