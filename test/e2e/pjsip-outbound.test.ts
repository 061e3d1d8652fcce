/**
 * Outbound PJSIP calls and phones registered to Ariadne, with real peers:
 *
 * - two baresip phones (alice 1000 Hz, bob 1400 Hz) register with digest auth; `GET /endpoints/PJSIP/alice` is
 *   online, an endpoint without contacts offline;
 * - ARI originate `PJSIP/alice` into an application: the phone answers by itself, the application plays a 440 Hz
 *   tone that the phone hears (Goertzel on its recording), the phone's own tone reaches the channel, ARI DTMF
 *   reaches the phone as RFC 4733 events, the phone's hold and resume (re-INVITEs) are ChannelHold and
 *   ChannelUnhold, and the application's hangup closes the phone's call;
 * - alice calls bob through `Dial(PJSIP/bob)`: both answer and each hears the other's tone;
 * - `PJSIP/provider/sip:...` to a SIPp UAS that challenges: the INVITE is answered with `outbound_auth` and the
 *   call is answered; to a UAS that only rings, past the originate timeout: CANCEL (cause 19); to a busy UAS
 *   (486): the channel ends with cause 17 (User busy).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MediaApp, level, sleep, type Json } from '../helpers/media-app.ts';
import { findBinary, readRecording, startBaresip, type Baresip } from '../helpers/baresip.ts';
import { freePort, startSipp } from '../helpers/sipp.ts';
import { trackDestroyed, type DestroyedChannels } from '../helpers/pjsip-calls.ts';

const APP = 'phones-app';

const pjsipConf = (port: number) => `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[phone](!)
type = endpoint
context = phones
disallow = all
allow = ulaw
dtmf_mode = rfc4733

[alice](phone)
auth = alice
aors = alice
callerid = Alice <200>

[alice]
type = auth
auth_type = userpass
username = alice
password = alice-secret

[alice]
type = aor
max_contacts = 1
remove_existing = yes

[bob](phone)
auth = bob
aors = bob
callerid = Bob <201>

[bob]
type = auth
auth_type = userpass
username = bob
password = bob-secret

[bob]
type = aor
max_contacts = 1
remove_existing = yes

[carol](phone)
aors = carol

[carol]
type = aor
max_contacts = 1

[provider]
type = endpoint
context = phones
disallow = all
allow = ulaw
outbound_auth = provider-auth

[provider-auth]
type = auth
auth_type = userpass
username = provider-user
password = provider-pass
`;

const DIALPLAN = `[phones]
exten => bob,1,Dial(PJSIP/bob,20)
 same => n,Hangup()
`;

let fx: MediaApp;
let sipPort: number;
let alice: Baresip;
let bob: Baresip;
let destroyed: DestroyedChannels;

before(async () => {
  assert.ok(findBinary('baresip') && findBinary('sipp'), 'baresip and sipp must be installed');
  sipPort = await freePort('udp');
  fx = await MediaApp.start(APP, { extensions: DIALPLAN, files: { 'pjsip.conf': pjsipConf(sipPort), 'rtp.conf': '[general]\nrtpstart = 30000\nrtpend = 39999\n' } });
  destroyed = trackDestroyed(fx.srv.ariadne.core);
  const acct = (user: string) => ({ user, password: `${user}-secret`, domain: `127.0.0.1:${sipPort}`, register: true, autoAnswer: true });
  [alice, bob] = await Promise.all([
    startBaresip({ name: 'alice', account: acct('alice'), audioSource: { toneHz: 1000, seconds: 30 }, lifetimeSeconds: 50 }),
    startBaresip({ name: 'bob', account: acct('bob'), audioSource: { toneHz: 1400, seconds: 30 }, lifetimeSeconds: 50 }),
  ]);
  await Promise.all([alice.registered(5000), bob.registered(5000)]);
});

after(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
  await fx?.stop();
});

const chanOf = (m: Json) => m.channel as Json;

describe('outbound PJSIP calls and registered phones', { timeout: 60_000 }, () => {
  it('lists PJSIP endpoints with their state', async () => {
    const a = await fx.call('GET', '/endpoints/PJSIP/alice');
    assert.equal(a.status, 200);
    assert.deepEqual(a.body, { technology: 'PJSIP', resource: 'alice', state: 'online', channel_ids: [] });
    assert.equal((await fx.call('GET', '/endpoints/PJSIP/carol')).body.state, 'offline');
    const all = await fx.call('GET', '/endpoints/PJSIP');
    assert.deepEqual((all.body as unknown as Json[]).map((e) => e.resource).sort(), ['alice', 'bob', 'carol', 'provider']);
  });

  it('ARI originate PJSIP/alice: the phone answers, hears the application, and is hung up', async () => {
    const r = await fx.call('POST', `/channels?endpoint=PJSIP/alice&app=${APP}&channelId=to-alice&callerId=${encodeURIComponent('"Ops" <300>')}`);
    assert.equal(r.status, 200);
    assert.match(String(r.body.name), /^PJSIP\/alice-[0-9a-f]{8}$/);

    await fx.ev.next((m) => m.type === 'StasisStart' && chanOf(m).id === 'to-alice', 8000);
    const established = await alice.waitFor('CALL_ESTABLISHED', 5000);
    assert.equal(established.id, r.body.protocol_id, 'protocol_id is the Call-ID of the INVITE');
    const ep = await fx.call('GET', '/endpoints/PJSIP/alice');
    assert.deepEqual(ep.body.channel_ids, ['to-alice']);
    assert.equal((await fx.call('POST', '/channels/to-alice/play/to-alice-tone?media=tone:440')).status, 201);
    await sleep(300);
    const said = await fx.listen('to-alice', 'in', 400);
    assert.ok(level(said, 1000) > 1500, `alice's 1000 Hz reaches the channel: ${level(said, 1000)}`);
    // DTMF to the phone goes out as RFC 4733 events.
    assert.equal((await fx.call('POST', '/channels/to-alice/dtmf?dtmf=4%23&between=150&duration=120')).status, 204);
    assert.equal((await alice.waitFor('CALL_DTMF_START', 3000)).param, '4');
    assert.equal((await alice.waitFor('CALL_DTMF_START', 3000)).param, '#');
    // The phone puts the call on hold (re-INVITE sendonly) and takes it off.
    await alice.command('hold');
    await fx.ev.next((m) => m.type === 'ChannelHold' && chanOf(m).id === 'to-alice', 3000);
    await alice.command('resume');
    await fx.ev.next((m) => m.type === 'ChannelUnhold' && chanOf(m).id === 'to-alice', 3000);
    await sleep(500);
    assert.equal((await fx.call('DELETE', '/channels/to-alice')).status, 204);
    await alice.waitFor('CALL_CLOSED', 5000);
    const [rec] = await alice.recordings();
    assert.ok(rec?.heard);
    const heard = readRecording(rec.heard).samples;
    assert.ok(level(heard, 440) > 1000, `alice heard 440 Hz: ${level(heard, 440)}`);
    assert.ok(level(heard, 440) > 5 * level(heard, 1000));
  });

  it('alice calls bob through Dial(PJSIP/bob): each hears the other', async () => {
    const aliceBefore = (await alice.recordings()).length;
    const bobBefore = (await bob.recordings()).length;
    const mark = destroyed.list.length;
    await alice.dial(`sip:bob@127.0.0.1:${sipPort}`);
    await Promise.all([alice.waitFor('CALL_ESTABLISHED', 8000), bob.waitFor('CALL_ESTABLISHED', 8000)]);
    await sleep(1500);
    await alice.hangup();
    await Promise.all([alice.waitFor('CALL_CLOSED', 5000), bob.waitFor('CALL_CLOSED', 5000)]);
    const a = (await alice.recordings())[aliceBefore];
    const b = (await bob.recordings())[bobBefore];
    assert.ok(a?.heard && b?.heard, 'both phones recorded the call');
    const aliceHeard = readRecording(a.heard).samples;
    const bobHeard = readRecording(b.heard).samples;
    assert.ok(level(aliceHeard, 1400) > 1000 && level(aliceHeard, 1400) > 5 * level(aliceHeard, 1000), `alice heard bob: ${level(aliceHeard, 1400)} / ${level(aliceHeard, 1000)}`);
    assert.ok(level(bobHeard, 1000) > 1000 && level(bobHeard, 1000) > 5 * level(bobHeard, 1400), `bob heard alice: ${level(bobHeard, 1000)} / ${level(bobHeard, 1400)}`);
    // Both legs went; the caller's BYE is Normal Clearing.
    assert.equal((await destroyed.find((n) => n.startsWith('PJSIP/alice-'), mark)).cause, 16);
    await destroyed.find((n) => n.startsWith('PJSIP/bob-'), mark);
  });

  it('PJSIP/provider/sip:... answers a 401 with outbound_auth and gets answered', async () => {
    const uas = await startSipp({ scenario: 'uas-auth.xml', timeoutSec: 10 });
    const r = await fx.call('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/provider/sip:5551000@127.0.0.1:${uas.port}`)}&app=${APP}&channelId=to-provider`);
    assert.equal(r.status, 200);
    await fx.ev.next((m) => m.type === 'StasisStart' && chanOf(m).id === 'to-provider', 5000);
    const got = await fx.call('GET', '/channels/to-provider');
    assert.equal(got.body.state, 'Up');
    assert.equal((await fx.call('DELETE', '/channels/to-provider')).status, 204);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}\n${done.stdout.slice(-1500)}`);
  });

  it('no answer within the originate timeout: CANCEL after the 180, 487 acknowledged, cause 19', async () => {
    const uas = await startSipp({ scenario: 'uas-ring-cancel.xml', timeoutSec: 10 });
    const r = await fx.call('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/provider/sip:5551002@127.0.0.1:${uas.port}`)}&app=${APP}&channelId=to-ringing&timeout=1`);
    assert.equal(r.status, 200);
    const name = String(r.body.name);
    const end = await destroyed.find((n) => n === name, 0, 4000);
    assert.equal(end.cause, 19);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}\n${done.stdout.slice(-1500)}`);
  });

  it('a busy UAS (486) ends the originated channel with cause 17', async () => {
    const uas = await startSipp({ scenario: 'uas-busy.xml', timeoutSec: 10 });
    const r = await fx.call('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/provider/sip:5551001@127.0.0.1:${uas.port}`)}&app=${APP}&channelId=to-busy`);
    assert.equal(r.status, 200);
    const name = String(r.body.name);
    const end = await destroyed.find((n) => n === name);
    assert.equal(end.cause, 17);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}`);
  });
});
