/**
 * Extension states from hints: the device → extension state mapping, updates when a hint's devices change,
 * dialplan reloads, and the `core show hints` / `core show hint` layout.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AstDb } from '../core/astdb.ts';
import { DeviceStateRegistry, DEVICE_STATES, type DeviceState } from '../core/device-states.ts';
import { CommandRegistry } from '../cli/registry.ts';
import { parseExtensionsText } from './parser.ts';
import type { Dialplan } from './model.ts';
import {
  EXTENSION_STATE,
  extensionStateForDevice,
  extensionStateName,
  extensionStateText,
  formatShowHint,
  formatShowHints,
  HintStates,
  registerHintCommands,
  type HintChange,
} from './hint-states.ts';

const DIALPLAN = `
[hints]
exten => 100,hint,Stasis:foo&Custom:bar
exten => 100,1,NoOp()
exten => 101,hint,Custom:bar,CustomPresence:bob
exten => _3XX,hint,Custom:\${EXTEN}
exten => _4XX,hint,Custom:four
[other]
include => hints
`;

function setup(text = DIALPLAN) {
  const states = new DeviceStateRegistry({ db: AstDb.openInMemory() });
  const custom = new Map<string, DeviceState>();
  states.registerProvider('Custom', (r) => custom.get(r), { separator: ':' });
  const setCustom = (name: string, state: DeviceState) => {
    custom.set(name, state);
    states.notify(`Custom:${name}`);
  };
  let dialplan: Dialplan = parseExtensionsText(text);
  const hints = new HintStates({ states, dialplan: () => dialplan });
  const changes: HintChange[] = [];
  hints.onChange((c) => changes.push(c));
  return { states, hints, changes, setCustom, reload: (t: string) => (dialplan = parseExtensionsText(t)) };
}

describe('extension states', () => {
  it('map device states as Asterisk does', () => {
    const expected: Record<DeviceState, [string, string]> = {
      UNKNOWN: ['Idle', 'NOT_INUSE'],
      NOT_INUSE: ['Idle', 'NOT_INUSE'],
      INUSE: ['InUse', 'INUSE'],
      BUSY: ['Busy', 'BUSY'],
      INVALID: ['Unavailable', 'UNAVAILABLE'],
      UNAVAILABLE: ['Unavailable', 'UNAVAILABLE'],
      RINGING: ['Ringing', 'RINGING'],
      RINGINUSE: ['InUse&Ringing', 'RINGINUSE'],
      ONHOLD: ['Hold', 'ONHOLD'],
    };
    for (const d of DEVICE_STATES) {
      const e = extensionStateForDevice(d);
      assert.deepEqual([extensionStateText(e), extensionStateName(e)], expected[d], d);
    }
    assert.equal(extensionStateText(EXTENSION_STATE.INUSE | EXTENSION_STATE.ONHOLD), 'InUse&Hold');
    assert.equal(extensionStateName(EXTENSION_STATE.INUSE | EXTENSION_STATE.ONHOLD), 'HOLDINUSE');
    assert.equal(extensionStateText(-1), 'Unknown');
    assert.equal(extensionStateName(-1), 'UNKNOWN');
  });
});

describe('HintStates', () => {
  it('lists every hint with its aggregate state; dynamic pattern hints are Unavailable', () => {
    const { hints } = setup();
    assert.deepEqual(
      hints.list().map((h) => [`${h.exten}@${h.context}`, h.app, extensionStateText(h.state), h.presence]),
      [
        ['100@hints', 'Stasis:foo&Custom:bar', 'Idle', 'not_set'],
        ['101@hints', 'Custom:bar,CustomPresence:bob', 'Idle', 'not_set'],
        ['_3XX@hints', 'Custom:${EXTEN}', 'Unavailable', ''],
        ['_4XX@hints', 'Custom:four', 'Idle', 'not_set'],
      ],
    );
  });

  it('follows the devices of a hint and announces real changes only', () => {
    const { hints, changes, setCustom, states } = setup();
    setCustom('bar', 'RINGING');
    assert.deepEqual(changes, [
      { context: 'hints', exten: '100', state: EXTENSION_STATE.RINGING, previous: 0 },
      { context: 'hints', exten: '101', state: EXTENSION_STATE.RINGING, previous: 0 },
    ]);
    states.set('Stasis:foo', 'INUSE');
    assert.equal(hints.extensionState('hints', '100'), EXTENSION_STATE.INUSE | EXTENSION_STATE.RINGING);
    assert.equal(hints.extensionState('hints', '101'), EXTENSION_STATE.RINGING);
    states.notify('Custom:bar', { cachable: false }); // the same state again
    assert.equal(changes.length, 3);
    states.delete('Stasis:foo');
    setCustom('bar', 'NOT_INUSE');
    assert.equal(hints.extensionState('hints', '100'), 0);
    assert.equal(changes.length, 6);
  });

  it('finds hints through includes and patterns; none is undefined', () => {
    const { hints, setCustom } = setup();
    setCustom('301', 'BUSY');
    assert.equal(hints.extensionState('other', '100'), 0);
    assert.equal(hints.extensionState('hints', '301'), EXTENSION_STATE.BUSY);
    assert.equal(hints.extensionState('hints', '302'), EXTENSION_STATE.NOT_INUSE);
    assert.equal(hints.extensionState('hints', '999'), undefined);
  });

  it('rebuilds after a dialplan reload', () => {
    const { hints, reload } = setup();
    reload('[x]\nexten => 1,hint,Custom:one\n');
    assert.deepEqual(hints.list().map((h) => `${h.exten}@${h.context}`), ['1@x']);
  });
});

describe('core show hints', () => {
  it('has Asterisk\'s layout', () => {
    const { hints } = setup();
    const text = formatShowHints(hints.list());
    const lines = text.split('\n');
    assert.equal(lines[0], '');
    assert.equal(lines[1], '    -= Registered Asterisk Dial Plan Hints =-');
    assert.equal(
      lines[2],
      '100@hints                     : Stasis:foo&Custom:bar                                         State:Idle            Presence:not_set         Watchers  0',
    );
    assert.equal(lines.at(-3), '----------------');
    assert.equal(lines.at(-2), '- 4 hints registered');
    assert.equal(formatShowHints([]), 'There are no registered dialplan hints\n');
  });

  it('cuts long columns', () => {
    const long = 'Custom:' + 'x'.repeat(80);
    const { hints } = setup(`[a-very-long-context-name-indeed]\nexten => 12345678901234567890,hint,${long}\n`);
    const line = formatShowHints(hints.list()).split('\n')[2] ?? '';
    assert.equal(line.slice(0, 32), '12345678901234567890@a-very-lo: ');
    assert.equal(line.slice(32, 94), `${long.slice(0, 60)}  `);
    assert.equal(line.slice(94, 100), 'State:');
  });

  it('core show hint <exten> matches by prefix', async () => {
    const { hints } = setup();
    assert.match(formatShowHint(hints.list(), '10'), /\n2 hints matching extension 10\n$/);
    assert.match(formatShowHint(hints.list(), '_3'), /^_3XX@hints .*\n1 hint matching extension _3\n$/);
    assert.equal(formatShowHint(hints.list(), '9'), 'No hints matching extension 9\n');
    assert.equal(formatShowHint([], '9'), 'There are no registered dialplan hints\n');

    const registry = new CommandRegistry();
    registerHintCommands(registry, hints);
    let out = '';
    await registry.execute('core show hint 101', (t) => (out += t));
    assert.match(out, /^101@hints/);
    out = '';
    await registry.execute('core show hints', (t) => (out += t));
    assert.match(out, /- 4 hints registered/);
  });
});
