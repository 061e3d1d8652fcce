/**
 * `tech_cause` on ChannelHangupRequest and ChannelDestroyed, over the events WebSocket, with SIPp peers:
 *
 * - ARI originate to a UAS that answers 486 Busy Here: both events carry cause 17 and tech_cause 486;
 * - our own hangup of an unanswered call (originate timeout, cause 19): ChannelDestroyed has tech_cause 480, the
 *   status the cause maps to (hangup_cause2sip), as chan_pjsip sets it when the core hangs up;
 * - a caller's CANCEL before the answer: the hangup request carries tech_cause 487 (cause 127);
 * - a caller's BYE after the answer (Normal Clearing has no SIP status) and a Local channel hung up over ARI:
 *   no tech_cause field at all.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openEvents, type EventClient } from '../helpers/ariadne.ts';
import { MediaApp, type Json } from '../helpers/media-app.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, runSipp, startSipp } from '../helpers/sipp.ts';
import { trunkAndPhoneConf } from '../helpers/pjsip-calls.ts';

const APP = 'techcause-app';

/** The reference dialplan plus, in the trunk's context, an extension that rings for a while and one into the app. */
const EXTRA_DIALPLAN = `
[from-trunk]
exten => ring,1,Ringing()
 same => n,Wait(20)
 same => n,Hangup()
exten => app,1,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
`;

let fx: MediaApp;
let sipPort: number;
/** Every event of the server (subscribeAll), so channels that never enter the application are seen too. */
let all: EventClient;

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  sipPort = await freePort('udp');
  fx = await MediaApp.start(APP, { extraDialplan: EXTRA_DIALPLAN, sounds: false, files: { 'pjsip.conf': trunkAndPhoneConf(sipPort, await freePort('udp')) } });
  all = await openEvents(fx.srv.base, `api_key=asterisk:asterisk&app=${APP}-all&subscribeAll=true`);
});

after(async () => {
  await all?.close();
  await fx?.stop();
});

const chanOf = (m: Json) => m.channel as Json;
const about = (type: string, name: string) => (m: Json) => m.type === type && chanOf(m).name === name;

describe('tech_cause on hangup events', { timeout: 40_000 }, () => {
  it('an originate answered 486 Busy Here: cause 17 and tech_cause 486 on both events', async () => {
    const uas = await startSipp({ scenario: 'uas-busy.xml', timeoutSec: 10 });
    const r = await fx.call('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/trunk/sip:5551001@127.0.0.1:${uas.port}`)}&app=${APP}&channelId=to-busy`);
    assert.equal(r.status, 200);
    const name = String(r.body.name);
    const request = await fx.ev.next(about('ChannelHangupRequest', name), 5000);
    assert.equal(request.cause, 17);
    assert.equal(request.tech_cause, 486);
    const destroyed = await fx.ev.next(about('ChannelDestroyed', name), 5000);
    assert.equal(destroyed.cause, 17);
    assert.equal(destroyed.cause_txt, 'User busy');
    assert.equal(destroyed.tech_cause, 486);
    // Asterisk's key order: the SIP status comes between cause_txt and the channel.
    assert.deepEqual(Object.keys(destroyed).slice(0, 6), ['type', 'timestamp', 'cause', 'cause_txt', 'tech_cause', 'channel']);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}`);
  });

  it('our own hangup (originate timeout, cause 19): ChannelDestroyed carries the status the cause maps to, 480', async () => {
    const uas = await startSipp({ scenario: 'uas-ring-cancel.xml', timeoutSec: 10 });
    const r = await fx.call('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/trunk/sip:5551002@127.0.0.1:${uas.port}`)}&app=${APP}&channelId=to-ringing&timeout=1`);
    assert.equal(r.status, 200);
    const destroyed = await all.next(about('ChannelDestroyed', String(r.body.name)), 5000);
    assert.equal(destroyed.cause, 19);
    assert.equal(destroyed.tech_cause, 480);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}`);
  });

  it('a CANCEL before the answer: tech_cause 487', async () => {
    const from = all.messages.length;
    const run = await startSipp({ scenario: 'uac-cancel.xml', remote: `127.0.0.1:${sipPort}`, service: 'ring', timeoutSec: 10 });
    const r = await run.done;
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
    const request = await all.next((m) => all.messages.indexOf(m) >= from && m.type === 'ChannelHangupRequest' && String(chanOf(m).name).startsWith('PJSIP/trunk-'), 5000);
    assert.equal(request.cause, 127);
    assert.equal(request.tech_cause, 487);
    const destroyed = await all.next(about('ChannelDestroyed', String(chanOf(request).name)), 5000);
    assert.equal(destroyed.tech_cause, 487);
  });

  it('a BYE from the caller and a Local channel hung up over ARI: no tech_cause field', async () => {
    const from = all.messages.length;
    const r = await runSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${sipPort}`, service: 'app', timeoutSec: 10 });
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
    const request = await all.next((m) => all.messages.indexOf(m) >= from && m.type === 'ChannelHangupRequest' && String(chanOf(m).name).startsWith('PJSIP/trunk-'), 5000);
    assert.equal(request.cause, 16);
    assert.ok(!('tech_cause' in request), JSON.stringify(request));
    const destroyed = await all.next(about('ChannelDestroyed', String(chanOf(request).name)), 5000);
    assert.equal(destroyed.cause, 16);
    assert.ok(!('tech_cause' in destroyed), JSON.stringify(destroyed));

    const pair = await fx.pair('local');
    assert.equal((await fx.call('DELETE', `/channels/${pair.one}?reason=busy`)).status, 204);
    const localRequest = await fx.ev.next((m) => m.type === 'ChannelHangupRequest' && chanOf(m).id === pair.one, 5000);
    assert.ok(!('tech_cause' in localRequest), JSON.stringify(localRequest));
    const localDestroyed = await fx.ev.next((m) => m.type === 'ChannelDestroyed' && chanOf(m).id === pair.one, 5000);
    assert.equal(localDestroyed.cause, 17);
    assert.ok(!('tech_cause' in localDestroyed), JSON.stringify(localDestroyed));
  });
});
