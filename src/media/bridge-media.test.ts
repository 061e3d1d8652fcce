import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Core } from '../core/core.ts';
import { LocalDriver } from '../core/local.ts';
import { BridgeMediaService } from './bridge-media.ts';
import { ChannelMedia } from './channel-media.ts';
import type { MediaPort } from './engine/port.ts';
import type { MediaCommand, SourceSpec } from './engine/protocol.ts';

/** Core with Local channels, and a port that only records the commands it is sent. */
function setup(entertainment?: SourceSpec) {
  const core = new Core();
  core.channels.registerDriver(new LocalDriver(core));
  const sent: MediaCommand[] = [];
  const port: MediaPort = { send: (c) => void sent.push(c), onNotification: () => () => undefined, close: async () => undefined };
  const channelMedia = new ChannelMedia({ core, port });
  const bridges = new BridgeMediaService({ core, port, channelMedia, ...(entertainment ? { entertainment: async () => entertainment } : {}) });
  const bridgeCommands = () => sent.filter((c) => c.type.startsWith('bridge-'));
  return { core, sent, bridges, bridgeCommands };
}

test('a bridge nobody joins costs the media host nothing', () => {
  const { core, sent } = setup();
  const b = core.bridges.create({ types: ['mixing'] });
  b.destroy();
  assert.deepEqual(sent, []);
});

test('joining makes sessions and the engine bridge; leaving and destroying follow', () => {
  const { core, sent, bridges, bridgeCommands } = setup();
  const b = core.bridges.create({ id: 'b1', types: ['mixing', 'dtmf_events'] });
  const one = core.channels.request('Local/1000@from-trunk', { id: 'a' });
  const other = core.channels.request('Local/2000@from-trunk', { id: 'c' });
  b.add(one);
  b.add(other, { mute: true });
  // The channel's Local pair got sessions (both halves) before the bridge join.
  assert.deepEqual(
    sent.filter((c) => c.type === 'attach').map((c) => (c as { sessionId: string }).sessionId),
    ['a', 'a;2', 'c', 'c;2'],
  );
  assert.deepEqual(bridgeCommands(), [
    { type: 'bridge-create', bridgeId: 'b1', kind: 'mixing' },
    { type: 'bridge-join', bridgeId: 'b1', sessionId: 'a', muteIn: false },
    { type: 'bridge-join', bridgeId: 'b1', sessionId: 'c', muteIn: true },
  ]);
  assert.equal(bridges.bridgeOf('a'), 'b1');
  b.remove(one);
  assert.deepEqual(bridgeCommands().at(-1), { type: 'bridge-leave', bridgeId: 'b1', sessionId: 'a' });
  assert.equal(bridges.bridgeOf('a'), undefined);
  // Moving to another bridge: leave the old one, join the new one.
  const b2 = core.bridges.create({ id: 'b2', types: ['mixing'] });
  b2.add(other);
  assert.deepEqual(bridgeCommands().slice(-3), [
    { type: 'bridge-leave', bridgeId: 'b1', sessionId: 'c' },
    { type: 'bridge-create', bridgeId: 'b2', kind: 'mixing' },
    { type: 'bridge-join', bridgeId: 'b2', sessionId: 'c', muteIn: false },
  ]);
  b.destroy();
  assert.deepEqual(bridgeCommands().at(-1), { type: 'bridge-destroy', bridgeId: 'b1' });
  // A hung-up member leaves its bridge before its session is detached.
  const mark = sent.length;
  other.hangup();
  assert.deepEqual(
    sent.slice(mark).filter((c) => c.type === 'bridge-leave' || (c.type === 'detach' && c.sessionId === 'c')),
    [{ type: 'bridge-leave', bridgeId: 'b2', sessionId: 'c' }, { type: 'detach', sessionId: 'c' }],
  );
  assert.equal(bridges.bridgeOf('c'), undefined);
});

test('holding bridges: roles from the member options, entertainment once it is ready', async () => {
  const music: SourceSpec = { type: 'tone', tones: '440' };
  const { core, bridgeCommands } = setup(music);
  const b = core.bridges.create({ id: 'h', types: ['holding'] });
  b.add(core.channels.request('Local/1@x', { id: 'p' }));
  b.add(core.channels.request('Local/2@x', { id: 'n' }), { role: 'announcer' });
  b.add(core.channels.request('Local/3@x', { id: 'q' }), { role: 'something' });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(bridgeCommands(), [
    { type: 'bridge-create', bridgeId: 'h', kind: 'holding' },
    { type: 'bridge-join', bridgeId: 'h', sessionId: 'p', role: 'participant', muteIn: false },
    { type: 'bridge-join', bridgeId: 'h', sessionId: 'n', role: 'announcer', muteIn: false },
    { type: 'bridge-join', bridgeId: 'h', sessionId: 'q', role: 'participant', muteIn: false },
    { type: 'bridge-entertainment', bridgeId: 'h', source: music },
  ]);
});

test('ensure makes the engine bridge of a live bridge only', () => {
  const { core, bridges, bridgeCommands } = setup();
  assert.equal(bridges.ensure('nope'), false);
  const b = core.bridges.create({ id: 'e', types: ['video_sfu'] });
  assert.equal(bridges.ensure('e'), true);
  assert.equal(bridges.ensure('e'), true);
  assert.deepEqual(bridgeCommands(), [{ type: 'bridge-create', bridgeId: 'e', kind: 'mixing' }]);
  b.destroy();
  assert.equal(bridges.has('e'), false);
});
