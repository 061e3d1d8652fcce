/**
 * Device states fed by channels, and hints, over real sockets: a Local call through the reference dialplan
 * makes `Local/1000@from-trunk` INUSE and then NOT_INUSE (as in Asterisk's `a4-subscribeAll` capture: each
 * announcement twice, once per half), seen by a subscribeAll socket and by an application subscribed to
 * `deviceState:Local/1000@from-trunk`; GET /deviceStates answers for Local devices; `core show hints` on the
 * console follows the devices of a hint.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR, referenceEvents } from '../helpers/sequences.ts';
import { runCommand } from '../../src/cli/console.ts';

const EXTENSIONS =
  fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8') +
  `
[hints]
exten => 100,hint,Stasis:foo&Local/1000@from-trunk
exten => 101,hint,Local/wait@internal,CustomPresence:bob
exten => _3XX,hint,Local/\${EXTEN}@internal
exten => 400,1,NoOp(state \${EXTENSION_STATE(100@hints)} device \${DEVICE_STATE(Local/1000@from-trunk)})
 same => n,Set(EXT=\${EXTENSION_STATE(100@hints)})
 same => n,Set(DEV=\${DEVICE_STATE(Local/1000@from-trunk)})
 same => n,Hangup()
`;

type Msg = Record<string, unknown>;
const DEVICE = 'Local/1000@from-trunk';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': EXTENSIONS } });
});
after(async () => {
  await srv.stop();
});

const deviceEvents = (ev: EventClient, name = DEVICE) =>
  ev.messages.filter((m) => m.type === 'DeviceStateChanged' && (m.device_state as { name: string }).name === name);

async function waitFor(pred: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function deviceState(name: string): Promise<unknown> {
  const res = await srv.ari('GET', `/deviceStates/${encodeURIComponent(name)}`);
  assert.equal(res.status, 200);
  return res.json();
}

function console(line: string): Promise<string> {
  const control = srv.ariadne.control;
  assert.ok(control);
  return runCommand(control.socketPath, line);
}

describe('device states fed by channels', () => {
  it('a Local call: INUSE twice then NOT_INUSE twice, to subscribeAll and to a deviceState: subscription (a4)', async () => {
    const all = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=hello-world&subscribeAll=true');
    const watcher = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=watcher');
    const other = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=bystander');
    try {
      const sub = await srv.ari('POST', `/applications/watcher/subscription?eventSource=deviceState:${DEVICE}`);
      assert.equal(sub.status, 200, await sub.text());
      assert.deepEqual(await deviceState(DEVICE), { name: DEVICE, state: 'NOT_INUSE' });

      const res = await srv.ari('POST', `/channels?endpoint=${DEVICE}&extension=wait&context=internal`);
      assert.equal(res.status, 200);
      const start = await all.next((m) => m.type === 'StasisStart');
      const two = (start.channel as { id: string }).id;
      await waitFor(() => deviceEvents(all).length === 2 && deviceEvents(watcher).length === 2, 'two INUSE announcements');
      assert.deepEqual(await deviceState(DEVICE), { name: DEVICE, state: 'INUSE' });

      assert.equal((await srv.ari('DELETE', `/channels/${two}`)).status, 204);
      await waitFor(() => deviceEvents(all).length === 4 && deviceEvents(watcher).length === 4, 'two NOT_INUSE announcements');
      assert.deepEqual(await deviceState(DEVICE), { name: DEVICE, state: 'NOT_INUSE' });

      const states = (ev: EventClient) => deviceEvents(ev).map((m) => (m.device_state as { state: string }).state);
      const reference = referenceEvents('a4-subscribeAll', 'all')
        .filter((m) => m.type === 'DeviceStateChanged' && (m.device_state as { name: string }).name === DEVICE)
        .map((m) => (m.device_state as { state: string }).state);
      assert.deepEqual(reference, ['INUSE', 'INUSE', 'NOT_INUSE', 'NOT_INUSE']);
      assert.deepEqual(states(all), reference);
      assert.deepEqual(states(watcher), reference);

      // The wire shape is Asterisk's, field order included.
      const first = deviceEvents(watcher)[0] as Msg;
      assert.deepEqual(Object.keys(first), ['type', 'application', 'timestamp', 'device_state', 'asterisk_id']);
      assert.equal(first.application, 'watcher');
      // The INUSE announcement follows the state change that caused it.
      const types = all.messages.map((m) => m.type);
      assert.ok(types.indexOf('ChannelStateChange') < types.indexOf('DeviceStateChanged'), types.join(','));
      // An application that did not subscribe hears nothing about the device.
      assert.equal(deviceEvents(other).length, 0);
    } finally {
      await Promise.all([all.close(), watcher.close(), other.close()]);
    }
  });

  it('GET /deviceStates answers for Local devices: INVALID without the extension or @context', async () => {
    assert.deepEqual(await deviceState('Local/wait@internal'), { name: 'Local/wait@internal', state: 'NOT_INUSE' });
    assert.deepEqual(await deviceState('Local/wait@internal/n'), { name: 'Local/wait@internal/n', state: 'NOT_INUSE' });
    assert.deepEqual(await deviceState('Local/nope@internal'), { name: 'Local/nope@internal', state: 'INVALID' });
    assert.deepEqual(await deviceState('Local/1000'), { name: 'Local/1000', state: 'INVALID' });
    // A technology without channels or a provider of its own knows nothing; an unknown one is invalid.
    assert.deepEqual(await deviceState('Nope/1'), { name: 'Nope/1', state: 'INVALID' });
  });

  it('core show hints follows the devices of each hint', async () => {
    const idle = await console('core show hints');
    const line100 = (text: string) => text.split('\n').find((l) => l.startsWith('100@hints'));
    const row = (exten: string, app: string, state: string, presence: string) =>
      `${exten.padEnd(30)}: ${app.padEnd(60)}  State:${state.padEnd(15)} Presence:${presence.padEnd(15)} Watchers  0`;
    const rows = idle.split('\n');
    assert.deepEqual(rows.slice(0, 2), ['', '    -= Registered Asterisk Dial Plan Hints =-']);
    assert.equal(line100(idle), row('100@hints', 'Stasis:foo&Local/1000@from-trunk', 'Idle', 'not_set'));
    assert.ok(rows.includes(row('101@hints', 'Local/wait@internal,CustomPresence:bob', 'Idle', 'not_set')), idle);
    // A pattern hint with ${...} is only resolved for a dialled number.
    assert.ok(rows.includes(row('_3XX@hints', 'Local/${EXTEN}@internal', 'Unavailable', '')), idle);
    assert.match(idle, /----------------\n- 3 hints registered\n$/);

    // Stasis:foo BUSY makes the hint Busy; deleting it makes it Idle again.
    assert.equal((await srv.ari('PUT', '/deviceStates/Stasis:foo?deviceState=BUSY')).status, 204);
    assert.match(line100(await console('core show hints')) ?? '', /State:Busy /);
    assert.equal((await srv.ari('DELETE', '/deviceStates/Stasis:foo')).status, 204);
    assert.match(line100(await console('core show hints')) ?? '', /State:Idle /);

    const ev = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=hello-world');
    try {
      await srv.ari('POST', `/channels?endpoint=${DEVICE}&extension=wait&context=internal`);
      const start = await ev.next((m) => m.type === 'StasisStart');
      assert.match(line100(await console('core show hints')) ?? '', /State:InUse /);
      assert.equal(await console('core show hint 10'), [line100(await console('core show hints')), (await console('core show hints')).split('\n').find((l) => l.startsWith('101@hints')), '2 hints matching extension 10', ''].join('\n'));
      assert.equal((await srv.ari('DELETE', `/channels/${(start.channel as { id: string }).id}`)).status, 204);
      await ev.next((m) => m.type === 'StasisEnd');
      await waitFor(() => srv.ariadne.core.channels.count === 0, 'the call to end');
      assert.match(line100(await console('core show hints')) ?? '', /State:Idle /);
    } finally {
      await ev.close();
    }
    assert.equal(await console('core show hint 9'), 'No hints matching extension 9\n');
  });

  it('DEVICE_STATE() and EXTENSION_STATE() read the same states in the dialplan', async () => {
    const all = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=fn-observer&subscribeAll=true');
    try {
      assert.equal((await srv.ari('PUT', '/deviceStates/Stasis:foo?deviceState=RINGING')).status, 204);
      const res = await srv.ari('POST', '/channels?endpoint=Local/400@hints&extension=wait&context=internal&otherChannelId=fn-2');
      assert.equal(res.status, 200);
      const ext = await all.next((m) => m.type === 'ChannelVarset' && m.variable === 'EXT');
      const dev = await all.next((m) => m.type === 'ChannelVarset' && m.variable === 'DEV');
      assert.equal(ext.value, 'RINGING');
      assert.equal(dev.value, 'NOT_INUSE');
    } finally {
      await srv.ari('DELETE', '/deviceStates/Stasis:foo');
      await all.close();
    }
  });
});
