/**
 * Blind transfers out of bridges that must stay together, and call pickup by INVITE with Replaces, with SIPp as
 * the phones and Local pairs in a Stasis application as the other parties:
 *
 * - a SIPp call (test/sipp/uac-refer.xml) in a mixing bridge made through ARI with two Local channels REFERs to
 *   2000: NOTIFY 100 then 200; a Local pair is swapped in, its `;1` enters the application (StasisStart with the
 *   transferer as `replace_channel`) and the bridge (GET /bridges: the two parties and `;1`), its `;2` runs 2000
 *   (UserEvent with BLINDTRANSFER) and plays 1000 Hz, which the two parties hear; BridgeBlindTransfer names
 *   `;1` as `replace_channel` and no transferee; the transferer leaves the bridge but not the application, and
 *   its phone's BYE ends it;
 * - the same with one other party: a Stasis bridge only transfers as a whole, so the party stays in the
 *   application and the bridge (no StasisEnd), and BridgeBlindTransfer names it as the transferee;
 * - pickup: a Local caller runs Dial(PJSIP/phone), the phone (test/sipp/uas-pickup-ringing.xml) rings, and a
 *   second SIPp call (uac-pickup.xml) sends an INVITE whose Replaces names that ringing call: it is answered, it
 *   shares Dial()'s bridge with the caller and hears the caller's 440 Hz, the ringing call gets a CANCEL (Reason
 *   cause 26) and its channel ends with cause 26; when the caller hangs up the picker gets a BYE.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openEvents, type EventClient } from '../helpers/ariadne.ts';
import { findBinary } from '../helpers/baresip.ts';
import { MediaApp, level, sleep, type Json } from '../helpers/media-app.ts';
import { freePort, startSipp, type SippResult } from '../helpers/sipp.ts';
import { referringCall, trackDestroyed, trunkAndPhoneConf, type DestroyedChannels } from '../helpers/pjsip-calls.ts';

const APP = 'xfer-bridge';

const DIALPLAN = `[from-trunk]
exten => 1000,1,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
exten => 2000,1,Answer()
 same => n,UserEvent(Transferred,by: \${BLINDTRANSFER})
 same => n,PlayTones(1000)
 same => n,Wait(20)
 same => n,Hangup()
exten => 3000,1,Dial(PJSIP/phone)
 same => n,Hangup()

[internal]
exten => _stasis-.,1,Answer()
 same => n,Stasis(\${EXTEN:7})
 same => n,Hangup()
`;

let fx: MediaApp;
/** Everything, from an application subscribed to all (UserEvents of channels outside APP, the picker's bridge). */
let all: EventClient;
let sipPort: number;
let phonePort: number;
let destroyed: DestroyedChannels;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pjsip-xfer-bridge-'));

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  sipPort = await freePort('udp');
  phonePort = await freePort('udp');
  fx = await MediaApp.start(APP, { extensions: DIALPLAN, sounds: false, files: { 'pjsip.conf': trunkAndPhoneConf(sipPort, phonePort, 'dtmf_mode = info\n') } });
  destroyed = trackDestroyed(fx.srv.ariadne.core);
  all = await openEvents(fx.srv.base, 'api_key=asterisk:asterisk&app=watcher&subscribeAll=true');
});

after(async () => {
  await all?.close();
  await fx?.stop();
  fs.rmSync(logDir, { recursive: true, force: true });
});

const chanOf = (m: Json, field = 'channel') => m[field] as Json;
const seen = new Set<string>();
let run = 0;
const transferringCall = (referExten: string) => referringCall(fx.ev, { sipPort, logFile: path.join(logDir, `refer-${++run}.log`), referExten, seen });

const ok = (r: SippResult) => assert.equal(r.code, 0, `${r.stdout.slice(-2000)}\n${r.errors}\n${fx.srv.logs().slice(-3000)}`);

async function until(what: string, test: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await test())) {
    assert.ok(Date.now() - t0 < ms, what);
    await sleep(25);
  }
}

async function members(bridgeId: string): Promise<string[]> {
  const res = await fx.call('GET', `/bridges/${bridgeId}`);
  assert.equal(res.status, 200);
  return [...(res.body.channels as string[])].sort();
}

/**
 * A mixing bridge with SIPp's call and `parties` Local pairs; the REFER to 2000 goes; resolves with what the
 * swap did: the Local `;1` that took the transferer's place, the events about it, and SIPp's result.
 */
async function transferOutOf(name: string, parties: number) {
  const call = await transferringCall('2000');
  const sippId = String(call.channel.id);
  const pairs = [];
  for (let i = 0; i < parties; i++) pairs.push(await fx.pair(`${name}-party`));
  const bridgeId = `${name}-bridge`;
  assert.equal((await fx.call('POST', `/bridges/${bridgeId}?type=mixing`)).status, 200);
  const ids = [sippId, ...pairs.map((p) => p.one)];
  assert.equal((await fx.call('POST', `/bridges/${bridgeId}/addChannel?channel=${ids.join(',')}`)).status, 204);
  await until('all parties in the bridge', async () => (await members(bridgeId)).length === ids.length);
  const evFrom = fx.ev.messages.length;
  // The go-ahead: a digit reaches SIPp as an INFO (dtmf_mode=info), then it REFERs.
  assert.equal((await fx.call('POST', `/channels/${sippId}/dtmf?dtmf=1`)).status, 204);

  const blind = await fx.ev.next((m) => m.type === 'BridgeBlindTransfer' && chanOf(m).id === sippId, 5000);
  const local = chanOf(blind, 'replace_channel');
  assert.ok(local, 'BridgeBlindTransfer names the Local channel as replace_channel');
  assert.match(String(local.name), /^Local\/2000@from-trunk-[0-9a-f]{8};1$/);
  assert.equal(blind.result, 'Success');
  assert.equal(blind.is_external, true);
  assert.equal(blind.exten, '2000');
  assert.equal(blind.context, 'from-trunk');
  assert.equal(chanOf(blind, 'bridge').id, bridgeId);
  assert.deepEqual([...(chanOf(blind, 'bridge').channels as string[])].sort(), [...ids].sort(), 'the bridge as it was before the transfer');

  // `;1` entered the application in the transferer's place, then the bridge; the transferer left the bridge.
  const start = await fx.ev.next((m) => m.type === 'StasisStart' && chanOf(m).id === local.id, 3000);
  assert.deepEqual(start.args, []);
  assert.equal(chanOf(start, 'replace_channel').id, sippId);
  await fx.ev.next((m) => m.type === 'ChannelEnteredBridge' && chanOf(m).id === local.id && chanOf(m, 'bridge').id === bridgeId, 3000);
  await fx.ev.next((m) => m.type === 'ChannelLeftBridge' && chanOf(m).id === sippId && chanOf(m, 'bridge').id === bridgeId, 3000);
  const mine = fx.ev.messages.slice(evFrom);
  const order = (pred: (m: Json) => boolean) => mine.findIndex(pred);
  assert.ok(order((m) => m.type === 'StasisStart' && chanOf(m).id === local.id) < order((m) => m.type === 'ChannelEnteredBridge' && chanOf(m).id === local.id), 'StasisStart before the bridge');
  assert.deepEqual(await members(bridgeId), [...pairs.map((p) => p.one), String(local.id)].sort());

  // `;2` ran 2000 with BLINDTRANSFER naming the transferer.
  const user = await all.next((m) => m.type === 'ChannelUserevent' && m.eventname === 'Transferred' && String(chanOf(m).name) === String(local.name).replace(/;1$/, ';2'), 5000);
  assert.equal((user.userevent as Json).by, String(call.channel.name));

  // The phone's NOTIFYs, then its BYE ends the transferer, which had stayed in the application until then.
  const result = await call.done;
  ok(result);
  assert.deepEqual(result.log, ['NOTIFY 1 100 active', 'NOTIFY 2 200 terminated']);
  const end = await fx.ev.next((m) => m.type === 'StasisEnd' && chanOf(m).id === sippId, 5000);
  assert.ok(fx.ev.messages.indexOf(end) > fx.ev.messages.findIndex((m) => m.type === 'ChannelLeftBridge' && chanOf(m).id === sippId && chanOf(m, 'bridge').id === bridgeId));
  return { bridgeId, pairs, local, blind, sippId };
}

/** What the `;2` halves of the parties hear (their `;1` is in the bridge): the target's 1000 Hz. */
async function partiesHearTarget(pairs: ReadonlyArray<{ two: string }>): Promise<void> {
  for (const p of pairs) {
    const heard = await fx.listen(p.two, 'in', 400);
    assert.ok(level(heard, 1000) > 1000, `${p.two} hears the target's 1000 Hz at ${level(heard, 1000)}`);
  }
}

async function cleanUp(ids: readonly string[], bridgeId: string): Promise<void> {
  for (const id of ids) assert.equal((await fx.call('DELETE', `/channels/${encodeURIComponent(id)}`)).status, 204);
  assert.equal((await fx.call('DELETE', `/bridges/${bridgeId}`)).status, 204);
}

describe('blind transfer out of a bridge that stays together; call pickup', { timeout: 90_000 }, () => {
  it('bridge of three: a Local channel takes the transferer\'s place, the other two stay and hear the target', async () => {
    const { bridgeId, pairs, local, blind } = await transferOutOf('three', 2);
    assert.equal(blind.transferee, undefined, 'no single transferee in a bridge of three');
    await partiesHearTarget(pairs);
    for (const p of pairs) {
      const v = await fx.call('GET', `/channels/${p.one}/variable?variable=BLINDTRANSFER`);
      assert.match(String(v.body.value), /^PJSIP\/trunk-/);
    }
    assert.ok(!fx.ev.messages.some((m) => m.type === 'StasisEnd' && pairs.some((p) => p.one === chanOf(m).id)), 'the parties stayed in the application');
    await cleanUp([...pairs.map((p) => p.one), String(local.id)], bridgeId);
  });

  it('Stasis bridge of two: the transferee stays in the application and the bridge with the Local channel', async () => {
    const { bridgeId, pairs, local, blind } = await transferOutOf('two', 1);
    const [party] = pairs;
    assert.ok(party);
    assert.equal(chanOf(blind, 'transferee').id, party.one);
    await partiesHearTarget(pairs);
    assert.ok(!fx.ev.messages.some((m) => m.type === 'StasisEnd' && chanOf(m).id === party.one), 'the transferee stayed in the application');
    // The target hangs up: `;1` leaves the application and the bridge, the transferee stays.
    const two = fx.srv.ariadne.core.channels.byName(String(local.name).replace(/;1$/, ';2'));
    assert.ok(two);
    assert.equal((await fx.call('DELETE', `/channels/${encodeURIComponent(two.id)}`)).status, 204);
    await fx.ev.next((m) => m.type === 'StasisEnd' && chanOf(m).id === local.id, 3000);
    assert.deepEqual(await members(bridgeId), [party.one]);
    await cleanUp([party.one], bridgeId);
  });

  it('pickup: an INVITE with Replaces naming a Dial() leg that still rings takes its place; the leg is cancelled', async () => {
    const from = destroyed.list.length;
    const allFrom = all.messages.length;
    const phoneLog = path.join(logDir, 'phone.log');
    const ringFile = path.join(logDir, 'ringing.txt');
    const phone = await startSipp({ scenario: 'uas-pickup-ringing.xml', port: phonePort, timeoutSec: 20, vars: { ring_file: ringFile }, extraArgs: ['-trace_logs', '-log_file', phoneLog] });
    const caller = 'pickup-caller';
    assert.equal((await fx.call('POST', `/channels/${caller}?endpoint=Local/3000@from-trunk&app=${APP}`)).status, 200);
    let ringing: string[] | undefined;
    await until('the phone rings', () => {
      const line = fs.existsSync(ringFile) ? fs.readFileSync(ringFile, 'utf8').split('\n').find((l) => l.startsWith('RINGING ')) : undefined;
      ringing = line?.trim().split(/\s+/).slice(1);
      return ringing?.length === 3;
    }, 8000);
    const [callId = '', ourTag = '', phoneTag = ''] = ringing ?? [];
    const leg = fx.srv.ariadne.core.channels.list().find((c) => c.name.startsWith('PJSIP/phone-'));
    assert.ok(leg, 'the ringing leg');
    assert.equal(leg.state, 'Ringing');

    const picker = await startSipp({
      scenario: 'uac-pickup.xml',
      remote: `127.0.0.1:${sipPort}`,
      service: 'pickup',
      timeoutSec: 15,
      vars: { pick_callid: callId, pick_local_tag: ourTag, pick_remote_tag: phoneTag },
    });
    // The caller was answered for the picker: it enters the application (Local ;1, answered by Dial()).
    await fx.ev.next((m) => m.type === 'StasisStart' && chanOf(m).id === caller, 5000);
    const entered = await all.next((m) => m.type === 'ChannelEnteredBridge' && String(chanOf(m).name).startsWith('PJSIP/trunk-') && all.messages.indexOf(m) >= allFrom, 5000);
    assert.equal(chanOf(entered, 'bridge').bridge_class, 'basic');
    const pickerId = String(chanOf(entered).id);
    const bridgeId = String(chanOf(entered, 'bridge').id);
    const dialer = fx.srv.ariadne.core.channels.get(`${caller};2`);
    assert.ok(dialer);
    await until('the caller and the picker share Dial()\'s bridge', async () => {
      const r = await fx.call('GET', `/bridges/${bridgeId}`);
      return r.status === 200 && [...(r.body.channels as string[])].sort().join() === [dialer.id, pickerId].sort().join();
    });
    // The ringing leg was cancelled as answered elsewhere.
    const gone = await destroyed.find((n) => n === leg.name, from);
    assert.equal(gone.cause, 26);
    ok(await phone.done);
    assert.match(fs.readFileSync(phoneLog, 'utf8'), /^CANCEL +Q\.850;cause=26$/m);
    // The picker hears the caller.
    assert.equal((await fx.call('POST', `/channels/${caller}/play?media=tone:440`)).status, 201);
    await sleep(100);
    const heard = await fx.listen(pickerId, 'out', 400);
    assert.ok(level(heard, 440) > 1000, `the picker hears the caller's 440 Hz at ${level(heard, 440)}`);
    // The caller hangs up: Dial() ends and the picker gets a BYE.
    assert.equal((await fx.call('DELETE', `/channels/${caller}`)).status, 204);
    ok(await picker.done);
    await destroyed.find((n) => n === String(chanOf(entered).name), from);
  });
});
