/**
 * SIP transfers handled by the core (no ari-only handling), with SIPp as the phone (test/sipp/uac-transfer-*.xml,
 * uac-replaces*.xml) and the ARI event stream subscribed to everything:
 *
 * - blind transfer of a callee inside Dial(): a trunk call runs Dial(PJSIP/phone) (a SIPp UAS answers), then
 *   REFERs its callee to 2000, which hands it to a Stasis application: NOTIFY 100 then 200, the transferee
 *   (the callee leg, which had no PBX) arrives in the application, the transferer gets a BYE, and
 *   BridgeBlindTransfer (Success, is_external, transferee, exten/context, bridge) is published; and the other
 *   way round, a callee (a SIPp UAS) REFERs the caller, whose own PBX leaves Dial() for the extension;
 * - attended transfer: one SIPp phone with two calls (each a Dial() of a Local channel), REFER on the first with
 *   Replaces naming the second: NOTIFY 100 then 200, both of the phone's calls get a BYE, the two far ends are
 *   in one bridge (GET /bridges) and hear each other's tone (Goertzel on what each far side receives),
 *   BridgeAttendedTransfer (Success, destination_type bridge); when one far end hangs up the other follows and
 *   the bridge goes;
 * - INVITE with Replaces naming an established call: answered 200, the new channel takes the old one's place in
 *   its bridge and the old call gets a BYE (cause 16); an INVITE whose Replaces names no call: 481.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, startSipp, type SippResult } from '../helpers/sipp.ts';
import { trackDestroyed, trunkAndPhoneConf, type DestroyedChannels } from '../helpers/pjsip-calls.ts';
import { level } from '../helpers/media-app.ts';
import type { MediaNotification } from '../../src/media/engine/protocol.ts';

type Json = Record<string, unknown>;
const APP = 'xfer-target';

const DIALPLAN = `[from-trunk]
exten => 3000,1,Dial(PJSIP/phone)
 same => n,Hangup()
exten => 2000,1,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
exten => 4001,1,Dial(Local/party@from-trunk/n)
 same => n,Hangup()
exten => 4002,1,Dial(Local/party@from-trunk/n)
 same => n,Hangup()
exten => party,1,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
`;

let srv: TestServer;
let ev: EventClient;
let sipPort: number;
let phonePort: number;
let destroyed: DestroyedChannels;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pjsip-transfer-'));

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  sipPort = await freePort('udp');
  phonePort = await freePort('udp');
  srv = await startTestServer({ files: { 'extensions.conf': DIALPLAN, 'pjsip.conf': trunkAndPhoneConf(sipPort, phonePort) } });
  destroyed = trackDestroyed(srv.ariadne.core);
  ev = await openEvents(srv.base, `api_key=asterisk:asterisk&app=${APP}&subscribeAll=true`);
});

after(async () => {
  await ev?.close();
  await srv?.stop();
  fs.rmSync(logDir, { recursive: true, force: true });
});

let run = 0;
/** Runs a SIPp UAC scenario against the server; resolves with its result and its `<log>` lines. */
async function uac(scenario: string, service: string, vars: Record<string, string> = {}): Promise<SippResult & { log: string[] }> {
  const logFile = path.join(logDir, `${scenario}-${++run}.log`);
  const sipp = await startSipp({ scenario, remote: `127.0.0.1:${sipPort}`, service, vars, timeoutSec: 15, extraArgs: ['-trace_logs', '-log_file', logFile] });
  const r = await sipp.done;
  const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => /^(NOTIFY|BYE) /.test(l)) : [];
  return { ...r, log };
}

const ok = (r: SippResult) => assert.equal(r.code, 0, `${r.stdout.slice(-2500)}\n${r.errors}\n${srv.logs().slice(-3000)}`);
const chan = (m: Json, field: string) => m[field] as Json;

async function until(what: string, test: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await test())) {
    assert.ok(Date.now() - t0 < ms, what);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * What the `;2` halves of Local channels hear (their `in` side, tapped through the media port) for `ms`, less
 * the first frames (audio already on its way).
 */
async function hear(ids: readonly string[], ms = 400): Promise<Map<string, Int16Array>> {
  const port = srv.ariadne.media;
  const frames = new Map<string, Int16Array[]>(ids.map((id) => [id, []]));
  for (const id of ids) assert.ok(srv.ariadne.channelMedia.ensure(id), `no media session for ${id}`);
  const off = port.onNotification((n: MediaNotification) => {
    if (n.type === 'frame' && n.direction === 'in') frames.get(n.sessionId)?.push(n.frame.samples.slice());
  });
  for (const id of ids) port.send({ type: 'tap', sessionId: id, direction: 'in', enabled: true });
  await new Promise((r) => setTimeout(r, ms));
  for (const id of ids) port.send({ type: 'tap', sessionId: id, direction: 'in', enabled: false });
  off();
  const out = new Map<string, Int16Array>();
  for (const [id, list] of frames) {
    const used = list.slice(3);
    assert.ok(used.length >= ms / 40, `only ${list.length} frames heard on ${id}`);
    const all = new Int16Array(used.reduce((n, f) => n + f.length, 0));
    let at = 0;
    for (const f of used) {
      all.set(f, at);
      at += f.length;
    }
    out.set(id, all);
  }
  return out;
}

/** The bridges whose members are exactly `ids` (in any order). */
async function bridgeWith(ids: readonly string[]): Promise<Json | undefined> {
  const res = await srv.ari('GET', '/bridges');
  const bridges = (await res.json()) as Json[];
  return bridges.find((b) => {
    const members = b.channels as string[];
    return members.length === ids.length && ids.every((id) => members.includes(id));
  });
}

describe('SIP transfers handled by the core', { timeout: 90_000 }, () => {
  it('blind transfer of the callee inside Dial(): it runs the Refer-To extension, the transferer gets a BYE', async () => {
    const phone = await startSipp({ scenario: { builtin: 'uas' }, port: phonePort, timeoutSec: 20 });
    const from = destroyed.list.length;
    const result = await uac('uac-transfer-blind.xml', '3000', { refer_exten: '2000' });
    ok(result);
    assert.deepEqual(result.log.map((l) => l.replace(/ \(.*$/, '').replace(/^BYE .*/, 'BYE')), ['NOTIFY 1 100 active', 'NOTIFY 2 200 terminated', 'BYE']);
    // The callee leg (PJSIP/phone) left Dial() and ran 2000@from-trunk into the application.
    const start = await ev.next((m) => m.type === 'StasisStart' && String(chan(m, 'channel').name).startsWith('PJSIP/phone-'), 5000);
    const transferee = chan(start, 'channel');
    assert.equal((transferee.dialplan as Json).exten, '2000');
    const blind = await ev.next((m) => m.type === 'BridgeBlindTransfer', 3000);
    assert.equal(blind.result, 'Success');
    assert.equal(blind.is_external, true);
    assert.equal(blind.exten, '2000');
    assert.equal(blind.context, 'from-trunk');
    assert.ok(String(chan(blind, 'channel').name).startsWith('PJSIP/trunk-'), 'channel is the transferer');
    assert.equal(chan(blind, 'transferee').id, transferee.id);
    assert.equal((chan(blind, 'bridge').bridge_class as string), 'basic');
    const vars = await srv.ari('GET', `/channels/${String(transferee.id)}/variable?variable=BLINDTRANSFER`);
    assert.match(String(((await vars.json()) as Json).value), /^PJSIP\/trunk-/);
    // The transferer was hung up, the transferee was not.
    await destroyed.find((n) => n.startsWith('PJSIP/trunk-'), from);
    assert.ok(!destroyed.list.slice(from).some((d) => d.name === transferee.name));
    assert.equal((await srv.ari('DELETE', `/channels/${String(transferee.id)}`)).status, 204);
    await destroyed.find((n) => n === transferee.name, from);
    // SIPp's built-in UAS lingers 4 s after its BYE; its part is over.
    phone.kill();
    await phone.done;
  });

  it('blind transfer of the caller of Dial() by its callee: the caller leaves Dial() for the Refer-To extension', async () => {
    const from = destroyed.list.length;
    const logFile = path.join(logDir, `uas-blind-${++run}.log`);
    const phone = await startSipp({ scenario: 'uas-transfer-blind.xml', port: phonePort, timeoutSec: 15, vars: { refer_exten: '2000' }, extraArgs: ['-trace_logs', '-log_file', logFile] });
    const caller = await startSipp({ scenario: 'uac-transfer-transferee.xml', remote: `127.0.0.1:${sipPort}`, service: '3000', timeoutSec: 15 });
    const result = await phone.done;
    ok(result);
    const log = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => /^(NOTIFY|BYE)/.test(l)).map((l) => l.replace(/ \(.*$/, ''));
    assert.deepEqual(log, ['NOTIFY 1 100 active', 'NOTIFY 2 200 terminated', 'BYE']);
    // The caller ran Dial() in its own PBX: it continues at 2000 and enters the application there.
    const start = await ev.next((m) => m.type === 'StasisStart' && String(chan(m, 'channel').name).startsWith('PJSIP/trunk-') && (chan(m, 'channel').dialplan as Json).exten === '2000', 5000);
    const transferee = chan(start, 'channel');
    const blind = await ev.next((m) => m.type === 'BridgeBlindTransfer' && chan(m, 'transferee')?.id === transferee.id, 3000);
    assert.equal(blind.result, 'Success');
    assert.ok(String(chan(blind, 'channel').name).startsWith('PJSIP/phone-'), 'the callee is the transferer');
    await destroyed.find((n) => n.startsWith('PJSIP/phone-'), from);
    assert.ok(!destroyed.list.slice(from).some((d) => d.name === transferee.name), 'the transferee is still up');
    assert.equal((await srv.ari('DELETE', `/channels/${String(transferee.id)}`)).status, 204);
    ok(await caller.done);
  });

  it('attended transfer (REFER with Replaces): the two far ends share a bridge, both calls of the phone end', async () => {
    const from = destroyed.list.length;
    const result = await uac('uac-transfer-attended.xml', '4001', { a_exten: '4001', b_exten: '4002' });
    ok(result);
    assert.deepEqual(result.log.slice(0, 2).map((l) => l.replace(/ \(.*$/, '')), ['NOTIFY 1 100 active', 'NOTIFY 2 200 terminated']);
    assert.equal(result.log.filter((l) => l.startsWith('BYE ')).length, 2, result.log.join('\n'));
    const attended = await ev.next((m) => m.type === 'BridgeAttendedTransfer', 3000);
    assert.equal(attended.result, 'Success');
    assert.equal(attended.is_external, true);
    assert.equal(attended.destination_type, 'bridge');
    const transferee = chan(attended, 'transferee');
    const target = chan(attended, 'transfer_target');
    assert.match(String(transferee.name), /^Local\/party@from-trunk-[0-9a-f]{8};1$/);
    assert.match(String(target.name), /^Local\/party@from-trunk-[0-9a-f]{8};1$/);
    assert.notEqual(transferee.id, target.id);
    assert.ok(String(chan(attended, 'transferer_first_leg').name).startsWith('PJSIP/trunk-'));
    assert.ok(String(chan(attended, 'transferer_second_leg').name).startsWith('PJSIP/trunk-'));
    assert.equal(chan(attended, 'transferer_first_leg_bridge').id, attended.destination_bridge);
    // The far ends talk to each other in the first call's bridge; the phone's two channels are gone.
    const bridge = await bridgeWith([String(transferee.id), String(target.id)]);
    assert.ok(bridge, 'no bridge holds the transferee and the target');
    assert.equal(bridge.id, attended.destination_bridge);
    await until('both transferer channels hung up', () => destroyed.list.slice(from).filter((d) => d.name.startsWith('PJSIP/trunk-')).length === 2);
    // They hear each other: the transferee's far side plays 440 Hz, the target's 1000 Hz (ARI, they are in the
    // application), and each far side hears the other's tone.
    const farOf = (c: Json) => {
      const far = srv.ariadne.core.channels.byName(String(c.name).replace(/;1$/, ';2'));
      assert.ok(far, `no ;2 half for ${String(c.name)}`);
      return far.id;
    };
    const [x2, y2] = [farOf(transferee), farOf(target)];
    assert.equal((await srv.ari('POST', `/channels/${encodeURIComponent(x2)}/play?media=tone:440`)).status, 201);
    assert.equal((await srv.ari('POST', `/channels/${encodeURIComponent(y2)}/play?media=tone:1000`)).status, 201);
    await new Promise((r) => setTimeout(r, 100));
    const heard = await hear([x2, y2]);
    const atX = heard.get(x2)!;
    const atY = heard.get(y2)!;
    assert.ok(level(atY, 440) > 1000, `the target hears the transferee's 440 Hz at ${level(atY, 440)}`);
    assert.ok(level(atY, 440) > 20 * level(atY, 1000), `the target hears itself: ${level(atY, 1000)}`);
    assert.ok(level(atX, 1000) > 1000, `the transferee hears the target's 1000 Hz at ${level(atX, 1000)}`);
    assert.ok(level(atX, 1000) > 20 * level(atX, 440), `the transferee hears itself: ${level(atX, 440)}`);
    // One far end hangs up: the other follows and the bridge goes.
    assert.equal((await srv.ari('DELETE', `/channels/${String(transferee.id)}`)).status, 204);
    await destroyed.find((n) => n === target.name, from);
    await until('the bridge was destroyed', async () => (await srv.ari('GET', `/bridges/${String(bridge.id)}`)).status === 404);
  });

  it('INVITE with Replaces takes an established call\'s place in its bridge; the old call gets a BYE', async () => {
    const from = destroyed.list.length;
    const evFrom = ev.messages.length;
    const result = await uac('uac-replaces.xml', '4001', { a_exten: '4001' });
    ok(result);
    assert.equal(result.log.filter((l) => l.startsWith('BYE ')).length, 1);
    assert.match(result.log.find((l) => l.startsWith('BYE ')) ?? '', /^BYE +a\/\/\//, 'the BYE is for the replaced call');
    const old = destroyed.list.slice(from).find((d) => d.name.startsWith('PJSIP/trunk-'));
    assert.ok(old, 'the replaced channel is gone');
    assert.equal(old.cause, 16);
    // The new call sat with the far end until it hung up; then the far end followed (nobody else runs it).
    await destroyed.find((n) => /^Local\/party@from-trunk-[0-9a-f]{8};1$/.test(n), from);
    // The new channel entered the bridge where the old one was with the far end (a Local ;1 leg).
    const mine = ev.messages.slice(evFrom);
    const oldId = (mine.find((m) => m.type === 'ChannelDestroyed' && chan(m, 'channel').name === old.name)?.channel as Json).id;
    const entered = mine.find((m) => m.type === 'ChannelEnteredBridge' && String(chan(m, 'channel').name).startsWith('PJSIP/trunk-') && chan(m, 'channel').name !== old.name);
    assert.ok(entered, 'the new channel entered a bridge');
    const members = chan(entered, 'bridge').channels as string[];
    assert.ok(members.includes(String(oldId)), 'the bridge is the replaced channel\'s');
    const farEnd = members.find((id) => id !== oldId && id !== chan(entered, 'channel').id);
    assert.ok(mine.some((m) => m.type === 'ChannelLeftBridge' && chan(m, 'bridge').id === chan(entered, 'bridge').id && chan(m, 'channel').id === oldId));
    assert.ok(mine.some((m) => m.type === 'ChannelDestroyed' && chan(m, 'channel').id === farEnd), 'the far end followed the new call');
  });

  it('INVITE with Replaces naming no call of ours: 481', async () => {
    ok(await uac('uac-replaces-unknown.xml', '4001'));
  });
});
