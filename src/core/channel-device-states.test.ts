/**
 * Channel-fed device states: Local devices as Asterisk's Local driver reports them (and announced on every
 * change of a half), other technologies as the aggregate of their channels, and when announcements happen.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Core, type PbxPort } from './core.ts';
import type { Channel } from './channel.ts';
import type { ChannelDriver } from './driver.ts';
import { LocalDriver } from './local.ts';
import { AstDb } from './astdb.ts';
import { DeviceStateRegistry, type DeviceStateChange } from './device-states.ts';
import { ChannelDeviceStates, deviceNameOf } from './channel-device-states.ts';

class FakeDriver implements ChannelDriver {
  readonly name: string;
  readonly description = 'fake';
  constructor(name = 'Fake') {
    this.name = name;
  }
  request(): Channel {
    throw new Error('not used');
  }
  call(): void {}
  answer(channel: Channel): void {
    channel.setState('Up');
  }
  hangup(): void {}
  sendDigit(): void {}
  indicate(): void {}
}

/** A PBX that knows `1000@from-trunk` and, when run, just records that the dialplan started. */
class FakePbx implements PbxPort {
  async run(channel: Channel): Promise<void> {
    channel.enterApp('NoOp', '');
  }
  exists(context: string, exten: string): boolean {
    return context === 'from-trunk' && exten === '1000';
  }
  findLabel(): number | undefined {
    return undefined;
  }
}

function setup() {
  const core = new Core();
  core.setPbx(new FakePbx());
  core.channels.registerDriver(new LocalDriver(core));
  core.channels.registerDriver(new FakeDriver());
  const states = new DeviceStateRegistry({ db: AstDb.openInMemory() });
  const feeds = new ChannelDeviceStates({ core, states });
  const changes: DeviceStateChange[] = [];
  states.onChange((c) => changes.push(c));
  const seen = (name: string) => changes.filter((c) => c.name === name).map((c) => c.state);
  return { core, states, feeds, changes, seen };
}

const microtasks = () => new Promise((r) => setImmediate(r));

describe('deviceNameOf', () => {
  it('cuts the channel name at its last dash', () => {
    assert.equal(deviceNameOf('Local/1000@from-trunk-0000000d;2'), 'Local/1000@from-trunk');
    assert.equal(deviceNameOf('PJSIP/alice-00000001'), 'PJSIP/alice');
    assert.equal(deviceNameOf('Fake/nodash'), 'Fake/nodash');
  });
});

describe('ChannelDeviceStates: Local devices', () => {
  it('idle devices: NOT_INUSE for an existing extension, INVALID otherwise or without @context', () => {
    const { states } = setup();
    assert.equal(states.get('Local/1000@from-trunk'), 'NOT_INUSE');
    assert.equal(states.get('Local/1000@from-trunk/n'), 'NOT_INUSE');
    assert.equal(states.get('Local/2000@from-trunk'), 'INVALID');
    assert.equal(states.get('Local/1000'), 'INVALID');
  });

  it('a called pair is INUSE; each state change and each end of a half announces the device again', async () => {
    const { core, states, seen } = setup();
    const one = core.channels.request('Local/1000@from-trunk');
    // Created but not called: no announcement, and not in use.
    assert.deepEqual(seen('Local/1000@from-trunk'), []);
    assert.equal(states.get('Local/1000@from-trunk'), 'NOT_INUSE');
    one.driver.call(one, { timeoutMs: 0 });
    await microtasks();
    assert.equal(states.get('Local/1000@from-trunk'), 'INUSE');
    const two = core.channels.list().find((c) => c.name.endsWith(';2'));
    assert.ok(two);
    two.driver.answer(two); // ;2 Up, and ;1 hears the answer
    one.setState('Up');
    assert.deepEqual(seen('Local/1000@from-trunk'), ['INUSE', 'INUSE']);
    two.requestHangup({ soft: true });
    two.hangup(16);
    one.hangup(16);
    assert.deepEqual(seen('Local/1000@from-trunk'), ['INUSE', 'INUSE', 'NOT_INUSE', 'NOT_INUSE']);
    assert.equal(states.get('Local/1000@from-trunk'), 'NOT_INUSE');
  });

  it('hold on a Local channel announces nothing', async () => {
    const { core, seen } = setup();
    const one = core.channels.request('Local/1000@from-trunk');
    one.publish({ type: 'ChannelHold', timestamp: 0, channel: one.snapshot() });
    assert.deepEqual(seen('Local/1000@from-trunk'), []);
    one.hangup();
  });
});

describe('ChannelDeviceStates: other technologies', () => {
  it('aggregates the live channels of a device; cached, so an unchanged state is not announced again', () => {
    const { core, states, seen } = setup();
    assert.equal(states.get('Fake/alice'), 'UNKNOWN');
    const a = core.channels.create({ tech: 'Fake', id: 'a', name: 'Fake/alice-00000001' });
    assert.equal(states.get('Fake/alice'), 'NOT_INUSE');
    a.setState('Ringing');
    assert.equal(states.get('Fake/alice'), 'RINGING');
    const b = core.channels.create({ tech: 'Fake', id: 'b', name: 'Fake/alice-00000002' });
    b.setState('Up');
    assert.equal(states.get('Fake/alice'), 'RINGINUSE');
    a.setState('Up');
    b.publish({ type: 'ChannelHold', timestamp: 0, channel: b.snapshot() });
    b.publish({ type: 'ChannelUnhold', timestamp: 0, channel: b.snapshot() });
    a.hangup();
    b.hangup();
    assert.deepEqual(seen('Fake/alice'), ['RINGING', 'RINGINUSE', 'INUSE', 'UNKNOWN']);
    // Another device of the same technology is not affected.
    assert.deepEqual(seen('Fake/bob'), []);
  });

  it('a channel on hold counts as ONHOLD', () => {
    const { core, states, seen } = setup();
    const a = core.channels.create({ tech: 'Fake', id: 'a', name: 'Fake/carol-00000001', state: 'Up' });
    a.publish({ type: 'ChannelHold', timestamp: 0, channel: a.snapshot() });
    assert.equal(states.get('Fake/carol'), 'ONHOLD');
    a.publish({ type: 'ChannelUnhold', timestamp: 0, channel: a.snapshot() });
    assert.deepEqual(seen('Fake/carol'), ['ONHOLD', 'INUSE']);
    a.hangup();
  });

  it('technologies registered later are picked up; one with its own provider keeps it', () => {
    const { core, states, feeds, seen } = setup();
    core.channels.registerDriver(new FakeDriver('Late'));
    assert.equal(states.get('Late/x'), 'INVALID');
    feeds.syncTechnologies();
    assert.equal(states.get('Late/x'), 'UNKNOWN');

    states.registerProvider('Own', () => 'BUSY');
    core.channels.registerDriver(new FakeDriver('Own'));
    const c = core.channels.create({ tech: 'Own', id: 'o', name: 'Own/dev-00000001' });
    c.setState('Up');
    assert.equal(states.get('Own/dev'), 'BUSY');
    assert.deepEqual(seen('Own/dev'), ['BUSY']);
  });

  it('close() removes the providers and stops announcing', () => {
    const { core, states, feeds, seen } = setup();
    feeds.close();
    assert.equal(states.get('Local/1000@from-trunk'), 'INVALID');
    const a = core.channels.create({ tech: 'Fake', id: 'a', name: 'Fake/dave-00000001' });
    a.setState('Up');
    assert.deepEqual(seen('Fake/dave'), []);
  });
});
