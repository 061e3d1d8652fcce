/**
 * Device states: `Stasis:` devices set, read, listed, deleted and persisted; providers for other
 * technologies; change announcements; Asterisk's aggregation rules.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AstDb } from './astdb.ts';
import {
  aggregate,
  DEVICE_STATES,
  DeviceStateRegistry,
  deviceStateForChannelState,
  parseDeviceState,
  STASIS_DEVICE_FAMILY,
  type DeviceState,
  type DeviceStateChange,
} from './device-states.ts';
import { AriadneError } from '../shared/errors.ts';
import { createTestLogger } from '../shared/logger.ts';

function setup(db = AstDb.openInMemory()) {
  let now = 1000;
  const states = new DeviceStateRegistry({ db, clock: () => now++ });
  const changes: DeviceStateChange[] = [];
  states.onChange((e) => changes.push(e));
  return { db, states, changes };
}

function isCode(code: string, message: string) {
  return (err: unknown) => err instanceof AriadneError && err.code === code && err.message === message;
}

describe('DeviceStateRegistry: Stasis devices', () => {
  it('sets, reads, lists and deletes, announcing each change', () => {
    const { db, states, changes } = setup();
    assert.equal(states.get('Stasis:foo'), 'UNKNOWN');
    assert.deepEqual(states.list(), []);

    states.set('Stasis:foo', 'BUSY');
    assert.equal(states.get('Stasis:foo'), 'BUSY');
    assert.equal(db.get(STASIS_DEVICE_FAMILY, 'foo'), 'BUSY');
    assert.deepEqual(changes, [{ name: 'Stasis:foo', state: 'BUSY', timestamp: 1000 }]);

    states.set('Stasis:bar', 'RINGING');
    assert.deepEqual(states.list(), [
      { name: 'Stasis:bar', state: 'RINGING' },
      { name: 'Stasis:foo', state: 'BUSY' },
    ]);

    assert.equal(states.delete('Stasis:foo'), true);
    assert.equal(states.get('Stasis:foo'), 'UNKNOWN');
    assert.equal(db.exists(STASIS_DEVICE_FAMILY, 'foo'), false);
    assert.deepEqual(states.list(), [{ name: 'Stasis:bar', state: 'RINGING' }]);
    assert.deepEqual(
      changes.map((c) => `${c.name}=${c.state}`),
      ['Stasis:foo=BUSY', 'Stasis:bar=RINGING', 'Stasis:foo=UNKNOWN'],
    );
  });

  it('announces nothing when the state does not change, and nothing for deleting a device never set', () => {
    const { states, changes } = setup();
    states.set('Stasis:foo', 'INUSE');
    states.set('Stasis:foo', 'INUSE');
    assert.equal(states.delete('Stasis:never-set'), false);
    assert.deepEqual(changes.map((c) => c.state), ['INUSE']);
  });

  it('takes the Stasis: prefix in any case and names the device Stasis:<resource>', () => {
    const { states, changes } = setup();
    states.set('stasis:lamp', 'ONHOLD');
    assert.equal(states.get('Stasis:lamp'), 'ONHOLD');
    assert.equal(states.get('STASIS:lamp'), 'ONHOLD');
    assert.equal(states.get('Stasis:Lamp'), 'UNKNOWN');
    assert.equal(changes[0]?.name, 'Stasis:lamp');
  });

  it('keeps names with slashes and colons whole', () => {
    const { states } = setup();
    states.set('Stasis:floor/2:lamp', 'INUSE');
    assert.equal(states.get('Stasis:floor/2:lamp'), 'INUSE');
    assert.deepEqual(states.list(), [{ name: 'Stasis:floor/2:lamp', state: 'INUSE' }]);
  });

  it('refuses devices it does not control, an empty name, and UNKNOWN', () => {
    const { states, changes } = setup();
    assert.throws(() => states.set('Local:foo', 'BUSY'), isCode('ERR_CONFLICT', 'Uncontrolled device specified'));
    assert.throws(() => states.set('PJSIP/alice', 'BUSY'), isCode('ERR_CONFLICT', 'Uncontrolled device specified'));
    assert.throws(() => states.set('foo', 'BUSY'), isCode('ERR_CONFLICT', 'Uncontrolled device specified'));
    assert.throws(() => states.delete('Custom:x'), isCode('ERR_CONFLICT', 'Uncontrolled device specified'));
    assert.throws(() => states.set('Stasis:', 'BUSY'), isCode('ERR_NOT_FOUND', 'Device name is missing'));
    assert.throws(() => states.delete('Stasis:'), isCode('ERR_NOT_FOUND', 'Device name is missing'));
    assert.throws(() => states.set('Stasis:foo', 'UNKNOWN'), TypeError);
    assert.throws(() => states.set('Stasis:foo', 'WHATEVER' as DeviceState), TypeError);
    assert.deepEqual(changes, []);
  });

  it('survives a restart: a new registry over the reopened file sees the same states', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-devstate-'));
    try {
      const file = path.join(dir, 'astdb.sqlite3');
      const first = setup(AstDb.open(file));
      first.states.set('Stasis:foo', 'BUSY');
      first.states.set('Stasis:bar', 'UNAVAILABLE');
      first.db.close();

      const second = setup(AstDb.open(file));
      assert.equal(second.states.load(), 2);
      assert.equal(second.states.get('Stasis:foo'), 'BUSY');
      assert.deepEqual(second.states.list(), [
        { name: 'Stasis:bar', state: 'UNAVAILABLE' },
        { name: 'Stasis:foo', state: 'BUSY' },
      ]);
      // Loaded states are remembered: the same state again is no change, a new one is.
      second.states.set('Stasis:foo', 'BUSY');
      second.states.set('Stasis:bar', 'NOT_INUSE');
      assert.deepEqual(second.changes.map((c) => `${c.name}=${c.state}`), ['Stasis:bar=NOT_INUSE']);
      second.db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the astdb through, so console edits show at once; odd stored values read as UNKNOWN', () => {
    const { db, states } = setup();
    db.put(STASIS_DEVICE_FAMILY, 'console', 'busy');
    db.put(STASIS_DEVICE_FAMILY, 'junk', 'WHATEVER');
    assert.equal(states.get('Stasis:console'), 'BUSY');
    assert.deepEqual(states.list(), [
      { name: 'Stasis:console', state: 'BUSY' },
      { name: 'Stasis:junk', state: 'UNKNOWN' },
    ]);
  });
});

describe('DeviceStateRegistry: other devices', () => {
  it('is INVALID without a provider and for names with neither / nor :', () => {
    const { states } = setup();
    assert.equal(states.get('Local:foo'), 'INVALID');
    assert.equal(states.get('Local/1000@from-trunk'), 'INVALID');
    assert.equal(states.get('justaname'), 'INVALID');
  });

  it('asks channel technologies for Tech/resource and providers for Label:resource, case-insensitively', () => {
    const { states } = setup();
    const asked: string[] = [];
    states.registerProvider('Local', (res) => {
      asked.push(res);
      return res === '1000@from-trunk' ? 'INUSE' : undefined;
    });
    states.registerProvider('Custom', () => 'RINGING', { separator: ':' });
    assert.equal(states.get('Local/1000@from-trunk'), 'INUSE');
    assert.equal(states.get('LOCAL/1000@from-trunk'), 'INUSE');
    assert.equal(states.get('Local/2000@x'), 'UNKNOWN');
    assert.deepEqual(asked, ['1000@from-trunk', '1000@from-trunk', '2000@x']);
    // A technology does not answer for the provider form, nor the other way round.
    assert.equal(states.get('Local:foo'), 'INVALID');
    assert.equal(states.get('Custom:lamp'), 'RINGING');
    assert.equal(states.get('Custom/lamp'), 'INVALID');
  });

  it('refuses a label twice (Stasis is taken) and lets an unregistered label go back to INVALID', () => {
    const { states } = setup();
    const remove = states.registerProvider('PJSIP', () => 'NOT_INUSE');
    assert.throws(() => states.registerProvider('pjsip', () => 'BUSY'), (e: unknown) => e instanceof AriadneError && e.code === 'ERR_CONFLICT');
    assert.throws(() => states.registerProvider('Stasis', () => 'BUSY', { separator: ':' }), AriadneError);
    assert.throws(() => states.registerProvider('a/b', () => 'BUSY'), TypeError);
    assert.equal(states.get('PJSIP/alice'), 'NOT_INUSE');
    remove();
    assert.equal(states.get('PJSIP/alice'), 'INVALID');
  });

  it('announces provider changes: asked or told, deduplicated unless not cachable', () => {
    const { states, changes } = setup();
    let current: DeviceState = 'NOT_INUSE';
    states.registerProvider('PJSIP', () => current);
    states.notify('PJSIP/alice');
    states.notify('PJSIP/alice');
    current = 'INUSE';
    states.notify('PJSIP/alice');
    states.notify('PJSIP/bob', { state: 'BUSY' });
    // A told state is remembered and answers get() until the next change.
    assert.equal(states.get('PJSIP/bob'), 'BUSY');
    states.notify('Local/1000@from-trunk', { state: 'INUSE', cachable: false });
    states.notify('Local/1000@from-trunk', { state: 'INUSE', cachable: false });
    assert.deepEqual(
      changes.map((c) => `${c.name}=${c.state}`),
      ['PJSIP/alice=NOT_INUSE', 'PJSIP/alice=INUSE', 'PJSIP/bob=BUSY', 'Local/1000@from-trunk=INUSE', 'Local/1000@from-trunk=INUSE'],
    );
  });

  it('treats a throwing provider as UNKNOWN and a throwing listener as that listener only', () => {
    const logger = createTestLogger();
    const states = new DeviceStateRegistry({ db: AstDb.openInMemory(), logger });
    states.registerProvider('Bad', () => {
      throw new Error('boom');
    });
    assert.equal(states.get('Bad/x'), 'UNKNOWN');
    const seen: string[] = [];
    states.onChange(() => {
      throw new Error('listener boom');
    });
    const off = states.onChange((e) => seen.push(e.state));
    states.set('Stasis:x', 'BUSY');
    off();
    states.set('Stasis:x', 'INUSE');
    assert.deepEqual(seen, ['BUSY']);
    assert.ok(logger.messages('error').some((m) => m.includes('listener boom')));
    assert.ok(logger.messages('warning').some((m) => m.includes('boom')));
  });
});

describe('device state helpers', () => {
  it('aggregate follows Asterisk: highest rank wins, ringing plus in use is RINGINUSE, nothing is INVALID', () => {
    assert.equal(aggregate([]), 'INVALID');
    assert.equal(aggregate(['UNKNOWN']), 'UNKNOWN');
    assert.equal(aggregate(['INVALID', 'UNKNOWN']), 'UNKNOWN');
    assert.equal(aggregate(['UNAVAILABLE', 'UNKNOWN']), 'UNAVAILABLE');
    assert.equal(aggregate(['NOT_INUSE', 'UNAVAILABLE']), 'NOT_INUSE');
    assert.equal(aggregate(['NOT_INUSE', 'ONHOLD']), 'ONHOLD');
    assert.equal(aggregate(['ONHOLD', 'INUSE']), 'INUSE');
    assert.equal(aggregate(['INUSE', 'BUSY']), 'BUSY');
    assert.equal(aggregate(['RINGING', 'NOT_INUSE']), 'RINGING');
    assert.equal(aggregate(['RINGING', 'INUSE']), 'RINGINUSE');
    assert.equal(aggregate(['BUSY', 'NOT_INUSE', 'RINGING']), 'RINGINUSE');
    assert.equal(aggregate(['ONHOLD', 'RINGING']), 'RINGINUSE');
    assert.equal(aggregate(['RINGINUSE', 'NOT_INUSE']), 'RINGINUSE');
    assert.equal(aggregate(new Set<DeviceState>(['INUSE', 'UNAVAILABLE'])), 'INUSE');
  });

  it('parses state names case-insensitively and maps channel states', () => {
    assert.equal(parseDeviceState('not_inuse'), 'NOT_INUSE');
    assert.equal(parseDeviceState(' Busy '), 'BUSY');
    assert.equal(parseDeviceState('nope'), 'UNKNOWN');
    assert.equal(parseDeviceState(''), 'UNKNOWN');
    assert.equal(DEVICE_STATES.length, 9);
    assert.equal(deviceStateForChannelState('Down'), 'NOT_INUSE');
    assert.equal(deviceStateForChannelState('Up'), 'INUSE');
    assert.equal(deviceStateForChannelState('Ringing'), 'RINGING');
    assert.equal(deviceStateForChannelState('Pre-ring'), 'RINGING');
    assert.equal(deviceStateForChannelState('Busy'), 'BUSY');
    assert.equal(deviceStateForChannelState('Unknown'), 'UNKNOWN');
  });
});
