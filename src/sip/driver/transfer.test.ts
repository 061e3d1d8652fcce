/**
 * The checks an INVITE's Replaces header goes through (RFC 3891 §3), against a table of calls: which call it
 * names, and the statuses when it names none, an early call we did not place, or `early-only` an answered one;
 * a ringing callee leg of Dial() is named for a pickup, another ringing call we placed is 481. Then blind transfers
 * on a core of their own: out of a basic bridge of three (the Local channel swapped in, the transferer hung up)
 * and out of a bridge with nobody else in it (Invalid, 503).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CoreMessage } from '../../core/bus.ts';
import type { Channel } from '../../core/channel.ts';
import { Core } from '../../core/core.ts';
import { LocalDriver } from '../../core/local.ts';
import { silentLogger } from '../../shared/logger.ts';
import { parseMessage } from '../message/parser.ts';
import type { SipRequest } from '../message/message.ts';
import type { ServerTransaction } from '../transaction/server.ts';
import { replacesTarget, SipTransfers } from './transfer.ts';

function invite(replaces?: string): SipRequest {
  const text = [
    'INVITE sip:100@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1',
    'From: <sip:a@127.0.0.1>;tag=f1',
    'To: <sip:100@127.0.0.1>',
    'Call-ID: new-call',
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    ...(replaces === undefined ? [] : [`Replaces: ${replaces}`]),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

const answered = { name: 'PJSIP/answered' } as Channel;
const ringingIn = { name: 'PJSIP/ringing-in' } as Channel;
const dialLeg = { name: 'PJSIP/dial-leg', location: { appName: 'AppDial' } } as unknown as Channel;
const originated = { name: 'PJSIP/originated', location: { appName: 'AppDial2' } } as unknown as Channel;
const calls = new Map([
  ['up', { channel: answered, early: false, outbound: false, tags: ['ours', 'theirs'] }],
  ['early-in', { channel: ringingIn, early: true, outbound: false, tags: ['ours2', 'theirs2'] }],
  ['early-dial', { channel: dialLeg, early: true, outbound: true, tags: ['ours3', 'theirs3'] }],
  ['early-originate', { channel: originated, early: true, outbound: true, tags: ['ours4', 'theirs4'] }],
]);
const lookup = (callId: string, a: string | undefined, b: string | undefined) => {
  const c = calls.get(callId);
  return c !== undefined && (a === undefined || c.tags.includes(a)) && (b === undefined || c.tags.includes(b)) ? c : undefined;
};

test('no Replaces header: an ordinary call', () => {
  assert.equal(replacesTarget(invite(), lookup), undefined);
});

test('a Replaces naming an answered call gives that call, tags either way round', () => {
  assert.equal(replacesTarget(invite('up;to-tag=ours;from-tag=theirs'), lookup), answered);
  assert.equal(replacesTarget(invite('up;from-tag=ours;to-tag=theirs'), lookup), answered);
});

test('481 for no such call or wrong tags, 481 for an early call we did not place, 486 for early-only on an answered one', () => {
  assert.equal(replacesTarget(invite('nope;to-tag=ours;from-tag=theirs'), lookup), 481);
  assert.equal(replacesTarget(invite('up;to-tag=other;from-tag=theirs'), lookup), 481);
  assert.equal(replacesTarget(invite('early-in;to-tag=ours2;from-tag=theirs2'), lookup), 481);
  assert.equal(replacesTarget(invite('up;to-tag=ours;from-tag=theirs;early-only'), lookup), 486);
});

test('pickup: a ringing callee leg of Dial() can be replaced (early-only too); another ringing call we placed cannot', () => {
  assert.equal(replacesTarget(invite('early-dial;to-tag=ours3;from-tag=theirs3'), lookup), dialLeg);
  assert.equal(replacesTarget(invite('early-dial;to-tag=ours3;from-tag=theirs3;early-only'), lookup), dialLeg);
  assert.equal(replacesTarget(invite('early-originate;to-tag=ours4;from-tag=theirs4'), lookup), 481);
});

/** A core with Local channels, a dialplan that only records what it runs, and a stand-in SIP technology. */
function transferCore() {
  const core = new Core();
  const ran: string[] = [];
  core.setPbx({ run: async (c) => void ran.push(`${c.name}@${c.location.exten}`), exists: () => true, findLabel: () => undefined });
  core.channels.registerDriver(new LocalDriver(core));
  const noop = () => undefined;
  core.channels.registerDriver({ name: 'PJSIP', description: 'stand-in', request: () => { throw new Error('no'); }, call: noop, answer: noop, hangup: noop, sendDigit: noop, indicate: noop });
  const transfers = new SipTransfers({ core, logger: silentLogger(), contextOf: () => 'from-trunk', dialogChannel: () => undefined });
  let n = 0;
  const phone = (name: string) => core.channels.create({ id: `id-${++n}`, name: `PJSIP/${name}`, tech: 'PJSIP', state: 'Up', context: 'from-trunk', exten: 's', priority: 1 });
  return { core, ran, transfers, phone };
}

function refer(exten: string): SipRequest {
  const text = [
    'REFER sip:s@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-2',
    'From: <sip:a@127.0.0.1>;tag=f1',
    'To: <sip:s@127.0.0.1>;tag=t1',
    'Call-ID: call-1',
    'CSeq: 2 REFER',
    `Refer-To: <sip:${exten}@127.0.0.1>`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

test('blind transfer out of a basic bridge of three: a Local channel takes the transferer\'s place, which is hung up', async () => {
  const { core, ran, transfers, phone } = transferCore();
  const [xfer, a, b] = [phone('xfer'), phone('a'), phone('b')];
  const bridge = core.bridges.create({ types: ['mixing'], bridgeClass: 'basic', creator: '' });
  bridge.addAll([xfer, a, b]);
  const events: CoreMessage[] = [];
  core.bus.subscribe((m) => void events.push(m));
  const notes: string[] = [];
  const responses: number[] = [];
  const tx = { respond: (r: { status: number }) => void responses.push(r.status) } as unknown as ServerTransaction;
  transfers.refer(xfer, refer('2000'), tx, (status, _reason, final) => void notes.push(`${status}${final ? ' final' : ''}`));
  assert.deepEqual(responses, [202]);
  assert.deepEqual(notes, ['100', '200 final']);
  const local = bridge.members().find((c) => c.tech.name === 'Local');
  assert.ok(local, 'a Local channel is in the bridge');
  assert.match(local.name, /^Local\/2000@from-trunk-[0-9a-f]{8};1$/);
  assert.deepEqual(bridge.members().map((c) => c.name).sort(), [local.name, 'PJSIP/a', 'PJSIP/b'].sort());
  assert.equal(local.getVariable('BLINDTRANSFER'), 'PJSIP/xfer');
  assert.equal(a.getVariable('BLINDTRANSFER'), 'PJSIP/xfer');
  assert.equal(xfer.destroyed, true, 'nobody runs the transferer: it is hung up');
  const blind = events.find((m) => m.type === 'BridgeBlindTransfer');
  assert.ok(blind?.type === 'BridgeBlindTransfer');
  assert.equal(blind.result, 'Success');
  assert.equal(blind.transferee, undefined);
  assert.equal(blind.replaceChannel?.id, local.id);
  assert.deepEqual([...(blind.bridge?.channels ?? [])].sort(), [xfer.id, a.id, b.id].sort());
  // `;2` runs the extension; when it hangs up, `;1` (run by nobody) is hung up and the others stay.
  await new Promise((r) => setImmediate(r));
  const two = core.channels.byName(local.name.replace(/;1$/, ';2'));
  assert.ok(two);
  assert.deepEqual(ran, [`${two.name}@2000`]);
  assert.equal(two.getVariable('BLINDTRANSFER'), 'PJSIP/xfer', 'the variables of ;1 reach ;2');
  two.hangup(16);
  await new Promise((r) => setImmediate(r));
  assert.equal(local.destroyed, true);
  assert.deepEqual(bridge.members().map((c) => c.name).sort(), ['PJSIP/a', 'PJSIP/b']);
});

test('blind transfer out of a bridge with nobody else: Invalid, NOTIFY 503', () => {
  const { core, transfers, phone } = transferCore();
  const xfer = phone('alone');
  core.bridges.create({ types: ['mixing'], bridgeClass: 'basic', creator: '' }).add(xfer);
  const events: CoreMessage[] = [];
  core.bus.subscribe((m) => void events.push(m));
  const notes: number[] = [];
  transfers.refer(xfer, refer('2000'), { respond: () => undefined } as unknown as ServerTransaction, (status) => void notes.push(status));
  assert.deepEqual(notes, [100, 503]);
  const blind = events.find((m) => m.type === 'BridgeBlindTransfer');
  assert.equal(blind?.type === 'BridgeBlindTransfer' ? blind.result : undefined, 'Invalid');
});
