/**
 * Transfers and redirects of SIP calls, with SIPp as the trunk (test/sipp/uac-refer.xml, uac-redirect.xml):
 *
 * - blind transfer by REFER inside an answered call that a Stasis application bridged with another channel:
 *   202, NOTIFY `SIP/2.0 100 Trying` (active) then `SIP/2.0 200 OK` (terminated); a Stasis bridge only
 *   transfers as a whole, so a Local channel takes the transferer's place and its `;2` runs the Refer-To
 *   extension in the endpoint's context while the peer stays in the application (test/e2e/pjsip-transfer-bridge
 *   has the details); a MESSAGE inside the same dialog is 202 and TextMessageReceived;
 * - a Refer-To extension that does not exist: NOTIFY 404 (terminated), nobody moves;
 * - ari-only transfer handling (`PJSIP_TRANSFER_HANDLING()=ari-only` set over ARI): ChannelTransfer with the
 *   destination, the transferer, its bridge and peer; nothing moves; `transfer_progress?states=channel_answered`
 *   is the final NOTIFY 200 and a ChannelTransfer with that state; a bad state is 400;
 * - `POST /channels/{id}/redirect?endpoint=PJSIP/phone` on a ringing inbound call: 302 with the phone's contact,
 *   and the channel ends with cause 23 (redirected).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MediaApp, type Json } from '../helpers/media-app.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, startSipp, type SippResult } from '../helpers/sipp.ts';
import { referringCall, trackDestroyed, trunkAndPhoneConf, type DestroyedChannels } from '../helpers/pjsip-calls.ts';

const APP = 'xfer-app';

const pjsipConf = (port: number) => trunkAndPhoneConf(port, 5099, 'dtmf_mode = info\n');

const DIALPLAN = `[from-trunk]
exten => 1000,1,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
exten => 1005,1,Stasis(${APP})
 same => n,Hangup()
exten => 2000,1,NoOp(transferred here)
 same => n,Hangup()

[internal]
exten => _stasis-.,1,Answer()
 same => n,Stasis(\${EXTEN:7})
 same => n,Hangup()
`;

let fx: MediaApp;
let sipPort: number;
let destroyed: DestroyedChannels;
const dialplanSteps: Array<{ channel: string; name: string; exten: string; context: string }> = [];
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pjsip-refer-'));

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  sipPort = await freePort('udp');
  fx = await MediaApp.start(APP, { extensions: DIALPLAN, sounds: false, files: { 'pjsip.conf': pjsipConf(sipPort) } });
  destroyed = trackDestroyed(fx.srv.ariadne.core);
  fx.srv.ariadne.core.bus.subscribe((m) => {
    if (m.type === 'ChannelDialplan') dialplanSteps.push({ channel: m.channel.id, name: m.channel.name, exten: m.channel.dialplan.exten, context: m.channel.dialplan.context });
  });
  assert.equal((await fx.call('POST', `/applications/${APP}/subscription?eventSource=endpoint:PJSIP/trunk`)).status, 200);
});

after(async () => {
  await fx?.stop();
  fs.rmSync(logDir, { recursive: true, force: true });
});

const chanOf = (m: Json) => m.channel as Json;
let run = 0;

/** Starts SIPp's transferring call; resolves with its channel id and, later, its result and `<log>` lines. */
async function transferringCall(referExten: string): Promise<{ channelId: string; done: Promise<SippResult & { log: string[] }> }> {
  const call = await referringCall(fx.ev, { sipPort, logFile: path.join(logDir, `refer-${++run}.log`), referExten, seen });
  const channelId = String(call.channel.id);
  // The MESSAGE in its dialog (matched by Call-ID): after it SIPp waits for the go-ahead.
  const callId = String(call.channel.protocol_id);
  const message = await fx.ev.next((m) => m.type === 'TextMessageReceived' && ((m.message as Json).variables as Json)['Call-ID'] === callId, 5000);
  assert.equal(String((message.message as Json).body).trim(), 'in the call');
  assert.equal((message.endpoint as Json).resource, 'trunk');
  return { channelId, done: call.done };
}
const seen = new Set<string>();

/** Lets SIPp send its REFER: a digit, which reaches it as an INFO (dtmf_mode=info). */
async function goAhead(channelId: string): Promise<void> {
  assert.equal((await fx.call('POST', `/channels/${channelId}/dtmf?dtmf=1`)).status, 204);
}

/** A bridge holding the SIPp channel and one half of a Local pair in the application. */
async function bridgeWithPeer(channelId: string, name: string): Promise<{ bridgeId: string; peer: string }> {
  const { one } = await fx.pair(name);
  const bridgeId = `${name}-bridge`;
  assert.equal((await fx.call('POST', `/bridges/${bridgeId}?type=mixing`)).status, 200);
  assert.equal((await fx.call('POST', `/bridges/${bridgeId}/addChannel?channel=${channelId},${one}`)).status, 204);
  await fx.ev.next((m) => m.type === 'ChannelEnteredBridge' && chanOf(m).id === one, 3000);
  return { bridgeId, peer: one };
}

describe('REFER transfers and 302 redirects', { timeout: 60_000 }, () => {
  it('a blind transfer sends a Local channel in the transferer\'s place to the Refer-To extension; NOTIFY 100 then 200', async () => {
    const call = await transferringCall('2000');
    const { peer } = await bridgeWithPeer(call.channelId, 'blind');
    await goAhead(call.channelId);
    const result = await call.done;
    assert.equal(result.code, 0, `${result.stdout.slice(-1500)}\n${result.errors}`);
    assert.deepEqual(result.log, ['NOTIFY 1 100 active', 'NOTIFY 2 200 terminated']);
    // The Local channel's `;2` ran 2000@from-trunk; the peer stayed in the application.
    const blind = await fx.ev.next((m) => m.type === 'BridgeBlindTransfer' && (m.transferee as Json | undefined)?.id === peer, 3000);
    const two = String((blind.replace_channel as Json).name).replace(/;1$/, ';2');
    assert.match(two, /^Local\/2000@from-trunk-[0-9a-f]{8};2$/);
    const t0 = Date.now();
    while (!dialplanSteps.some((s) => s.name === two && s.exten === '2000' && s.context === 'from-trunk')) {
      assert.ok(Date.now() - t0 < 3000, 'the Local channel did not reach 2000@from-trunk');
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(!fx.ev.messages.some((m) => m.type === 'StasisEnd' && chanOf(m).id === peer), 'the peer stayed in the application');
    assert.equal((await fx.call('DELETE', `/channels/${peer}`)).status, 204);
  });

  it('a Refer-To extension that does not exist: NOTIFY 404, nobody moves', async () => {
    const call = await transferringCall('9999');
    const { peer } = await bridgeWithPeer(call.channelId, 'nowhere');
    await goAhead(call.channelId);
    const result = await call.done;
    assert.equal(result.code, 0, `${result.stdout.slice(-1500)}\n${result.errors}`);
    assert.deepEqual(result.log, ['NOTIFY 1 100 active', 'NOTIFY 2 404 terminated']);
    assert.equal((await fx.call('GET', `/channels/${peer}`)).status, 200, 'the peer is still there');
    assert.ok(!fx.ev.messages.some((m) => m.type === 'StasisEnd' && chanOf(m).id === peer));
    assert.equal((await fx.call('DELETE', `/channels/${peer}`)).status, 204);
  });

  it('ari-only handling: ChannelTransfer, and transfer_progress drives the final NOTIFY', async () => {
    const call = await transferringCall('2000');
    const set = await fx.call('POST', `/channels/${call.channelId}/variable?variable=${encodeURIComponent('PJSIP_TRANSFER_HANDLING()')}&value=ari-only`);
    assert.equal(set.status, 204);
    const { bridgeId, peer } = await bridgeWithPeer(call.channelId, 'ari');
    await goAhead(call.channelId);
    const transfer = await fx.ev.next((m) => m.type === 'ChannelTransfer' && ((m.referred_by as Json).source_channel as Json).id === call.channelId, 5000);
    assert.equal(transfer.state, undefined);
    assert.deepEqual((transfer.refer_to as Json).requested_destination, { destination: '2000' });
    const by = transfer.referred_by as Json;
    assert.equal((by.connected_channel as Json).id, peer);
    assert.equal((by.bridge as Json).id, bridgeId);

    const bad = await fx.call('POST', `/channels/${call.channelId}/transfer_progress?states=bogus`);
    assert.deepEqual([bad.status, bad.body], [400, { message: 'Invalid states value' }]);
    assert.equal((await fx.call('POST', `/channels/${call.channelId}/transfer_progress?states=channel_answered`)).status, 204);
    const answered = await fx.ev.next((m) => m.type === 'ChannelTransfer' && m.state === 'channel_answered', 3000);
    assert.deepEqual((answered.refer_to as Json).requested_destination, { destination: '2000' });
    const result = await call.done;
    assert.equal(result.code, 0, `${result.stdout.slice(-1500)}\n${result.errors}`);
    assert.deepEqual(result.log, ['NOTIFY 1 100 active', 'NOTIFY 2 200 terminated']);
    // Nothing moved by itself: the peer is still in the application.
    assert.ok(!fx.ev.messages.some((m) => m.type === 'StasisEnd' && chanOf(m).id === peer));
    assert.equal((await fx.call('DELETE', `/channels/${peer}`)).status, 204);
  });

  it('redirect on a ringing inbound call answers 302 with the endpoint contact', async () => {
    const logFile = path.join(logDir, 'redirect.log');
    const from = destroyed.list.length;
    const sipp = await startSipp({ scenario: 'uac-redirect.xml', remote: `127.0.0.1:${sipPort}`, service: '1005', timeoutSec: 10, extraArgs: ['-trace_logs', '-log_file', logFile] });
    const start = await fx.ev.next((m) => m.type === 'StasisStart' && String(chanOf(m).name).startsWith('PJSIP/trunk-') && !seen.has(String(chanOf(m).id)), 8000);
    const id = String(chanOf(start).id);
    seen.add(id);
    const notTech = await fx.call('POST', `/channels/${id}/redirect?endpoint=Local/phone`);
    assert.equal(notTech.status, 422);
    assert.equal((await fx.call('POST', `/channels/${id}/redirect?endpoint=PJSIP/phone`)).status, 204);
    const result = await sipp.done;
    assert.equal(result.code, 0, `${result.stdout.slice(-1500)}\n${result.errors}`);
    const log = fs.readFileSync(logFile, 'utf8');
    assert.match(log, /CONTACT sip:phone@127\.0\.0\.1:5099/);
    const gone = await destroyed.find((n) => n === String(chanOf(start).name), from);
    assert.equal(gone.cause, 23);
  });
});
