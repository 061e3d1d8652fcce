/**
 * Session timers (RFC 4028) on calls Ariadne places, end to end against SIPp UASes; the slow file of the suite
 * (about a minute, RFC 4028 allows no interval under 90 s), its tests run at the same time:
 *
 * - we refresh (test/sipp/uas-session-refresh.xml): our INVITE offers Supported: timer, Session-Expires: 1800
 *   and Min-SE: 90 (the endpoint's timers_sess_expires and timers_min_se); the 200 answers
 *   `Session-Expires: 90;refresher=uac`, so we are the refresher and, the peer not allowing UPDATE, send a
 *   re-INVITE with SDP and `Session-Expires: 90;refresher=uac` at 45 s (SIPp accepts it only between 40 and
 *   50 s after the answer); SIPp then hangs up (cause 16);
 * - the peer refreshes and never does (uas-session-expire.xml, `refresher=uas`): we end the call with BYE 60 s
 *   after the answer, the interval less a third (SIPp accepts it only between 55 and 63 s), cause 18;
 * - a 422 (uas-session-422.xml, Min-SE: 3600): the INVITE goes again with Session-Expires and Min-SE 3600 and
 *   the call is answered.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MediaApp, type Json } from '../helpers/media-app.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, startSipp } from '../helpers/sipp.ts';
import { trackDestroyed, type DestroyedChannels } from '../helpers/pjsip-calls.ts';

const APP = 'refresh-app';

const pjsip = (port: number) => `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[st]
type = endpoint
context = default
disallow = all
allow = ulaw
timers = yes
timers_min_se = 90
timers_sess_expires = 1800
`;

let fx: MediaApp;
let destroyed: DestroyedChannels;

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  fx = await MediaApp.start(APP, { sounds: false, files: { 'pjsip.conf': pjsip(await freePort('udp')) } });
  destroyed = trackDestroyed(fx.srv.ariadne.core);
});

after(async () => {
  await fx?.stop();
});

/** Starts SIPp's `scenario` as the callee, originates a call to it into the application and waits for the answer. */
async function callUas(scenario: string, channelId: string, timeoutSec: number) {
  const uas = await startSipp({ scenario, timeoutSec });
  const r = await fx.call('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/st/sip:5551000@127.0.0.1:${uas.port}`)}&app=${APP}&channelId=${channelId}`);
  assert.equal(r.status, 200);
  const start = await fx.ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === channelId, 6000);
  assert.equal((await fx.call('GET', `/channels/${channelId}`)).body.state, 'Up');
  return { uas, answeredAt: Date.now(), name: String((start.channel as Json).name) };
}

describe('session timers on outbound calls', { timeout: 90_000, concurrency: true }, () => {
  it('as refresher we re-INVITE at half the 90 s interval', async () => {
    const { uas, answeredAt, name } = await callUas('uas-session-refresh.xml', 'st-refresh', 75);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}\n${done.stdout.slice(-1500)}`);
    const gone = await destroyed.find((n) => n === name, 0, 5000);
    assert.ok(Date.now() - answeredAt > 40_000, 'the call lasted past the refresh');
    assert.equal(gone.cause, 16, 'SIPp hung up after our refresh');
  });

  it('when the peer should refresh and does not, we BYE before the session expires', async () => {
    const { uas, answeredAt, name } = await callUas('uas-session-expire.xml', 'st-expire', 75);
    const ended = await destroyed.find((n) => n === name, 0, 70_000);
    const after = (Date.now() - answeredAt) / 1000;
    assert.ok(after > 55 && after < 65, `the call ended ${after.toFixed(1)} s after the answer`);
    assert.equal(ended.cause, 18, 'no user response: the refresh never came');
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}\n${done.stdout.slice(-1500)}`);
  });

  it('a 422 is answered by asking again with the Min-SE it names', async () => {
    const { uas } = await callUas('uas-session-422.xml', 'st-422', 15);
    assert.equal((await fx.call('DELETE', '/channels/st-422')).status, 204);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}\n${done.stdout.slice(-1500)}`);
  });
});
