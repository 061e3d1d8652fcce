/**
 * Calls through a SIP proxy (Kamailio, record-routing every dialog) into the seed's `from-trunk` 1000: the
 * trunk is identified by the proxy's address (127.0.0.2), so a call that did not pass the proxy would not
 * even be identified.
 *
 * - baresip (127.0.0.1) calls `sip:1000@ariadne` with Kamailio as its outbound proxy: the channel enters the
 *   Stasis application; our 200 carries the proxy's Record-Route, so the phone's ACK comes back through the
 *   proxy; the application plays a 700 Hz tone that the phone hears (by content in its recording); the
 *   application hangs up and our BYE goes to the proxy with `Route: <sip:127.0.0.2:port;lr...>` and the phone's
 *   Contact as Request-URI (loose routing), and the phone sees the call closed;
 * - the phone hangs up: its BYE comes through the proxy and the channel ends with Normal Clearing (16).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MediaApp, level, sleep, type Json } from '../helpers/media-app.ts';
import { findBinary, readRecording, startBaresip, type Baresip } from '../helpers/baresip.ts';
import { startKamailio, type Kamailio } from '../helpers/kamailio.ts';
import { freePort } from '../helpers/sipp.ts';
import { trackDestroyed, type DestroyedChannels } from '../helpers/pjsip-calls.ts';

const APP = 'proxy-app';

const pjsip = (port: number) => `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[trunk]
type = endpoint
context = from-trunk
disallow = all
allow = ulaw
dtmf_mode = rfc4733

[trunk]
type = identify
endpoint = trunk
match = 127.0.0.2
`;

const DIALPLAN = `[from-trunk]
exten => 1000,1,NoOp(Sending channel to ARI application)
 same => n,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
`;

let fx: MediaApp;
let kam: Kamailio;
let sipPort: number;
const phones: Baresip[] = [];
let destroyed: DestroyedChannels;

before(async () => {
  assert.ok(findBinary('baresip'), 'baresip must be installed');
  kam = await startKamailio({ lifetimeSeconds: 90 });
  fx = await MediaApp.start(APP, { extensions: DIALPLAN, files: { 'pjsip.conf': pjsip(await freePort('udp')), 'rtp.conf': '[general]\nrtpstart = 20000\nrtpend = 29999\n' } });
  sipPort = fx.srv.ariadne.sip.transports().find((t) => t.protocol === 'udp')?.port ?? 0;
  assert.ok(sipPort > 0);
  destroyed = trackDestroyed(fx.srv.ariadne.core);
});

after(async () => {
  await Promise.all(phones.map((p) => p.stop()));
  await fx?.stop();
  await kam?.stop();
});

async function phone(name: string): Promise<Baresip> {
  const p = await startBaresip({
    name,
    account: { user: name, domain: `127.0.0.1:${sipPort}`, outboundProxy: `sip:${kam.host}:${kam.port}` },
    audioSource: { toneHz: 1400, seconds: 20 },
    lifetimeSeconds: 40,
  });
  phones.push(p);
  return p;
}

const chanOf = (m: Json) => m.channel as Json;
const ariadne = () => `127.0.0.1:${sipPort}`;

describe('PJSIP calls through a record-routing proxy', { timeout: 60_000 }, () => {
  it('the call, its ACK and our BYE follow the route set; the phone hears the application', async () => {
    const alice = await phone('alice');
    await alice.dial(`sip:1000@127.0.0.1:${sipPort}`);
    const start = await fx.ev.next((m) => m.type === 'StasisStart' && (chanOf(m).caller as Json).number === 'alice', 8000);
    const ch = chanOf(start);
    assert.match(String(ch.name), /^PJSIP\/trunk-[0-9a-f]{8}$/, 'identified as the trunk by the proxy address');
    const id = String(ch.id);
    await alice.waitFor('CALL_ESTABLISHED', 5000);

    const invite = kam.routed().find((r) => r.method === 'INVITE');
    assert.equal(invite?.from.startsWith('127.0.0.1:'), true);
    assert.equal(invite?.uri, `sip:1000@127.0.0.1:${sipPort}`);
    // The phone learned the route set from our 200's Record-Route: its ACK comes through the proxy.
    const ack = await kam.waitRouted((r) => r.method === 'ACK');
    assert.match(ack.route, new RegExp(`^<sip:127\\.0\\.0\\.2:${kam.port};lr`));
    assert.equal(ack.uri.includes(`@127.0.0.1:${sipPort}`), true, `ACK to our Contact: ${ack.uri}`);

    await sleep(200);
    assert.equal((await fx.call('POST', `/channels/${id}/play/proxy-tone?media=${encodeURIComponent('tone:!700/800')}`)).status, 201);
    await fx.ev.next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).id === 'proxy-tone', 5000);
    await sleep(200);
    assert.equal((await fx.call('DELETE', `/channels/${id}`)).status, 204);
    await alice.waitFor('CALL_CLOSED', 5000);
    assert.equal((await destroyed.find((n) => n === String(ch.name))).cause, 16);

    // Our BYE: from our transport to the proxy, Route from the Record-Route, Request-URI = the phone's Contact.
    const bye = await kam.waitRouted((r) => r.method === 'BYE');
    assert.equal(bye.from, ariadne());
    assert.match(bye.route, new RegExp(`^<sip:127\\.0\\.0\\.2:${kam.port};lr`));
    assert.equal(bye.uri.includes(`127.0.0.1:${alice.sipPort}`), true, `BYE to the phone's Contact: ${bye.uri}`);

    const [rec] = await alice.recordings();
    assert.ok(rec?.heard, 'baresip recorded what it heard');
    const heard = readRecording(rec.heard).samples;
    assert.ok(level(heard, 700) > 1500, `700 Hz heard through the proxy: ${level(heard, 700)}`);
    assert.ok(level(heard, 700) > 5 * level(heard, 1400), 'not the phone\'s own tone');
  });

  it('the phone hangs up: its BYE comes through the proxy, Normal Clearing', async () => {
    const before = (await kam.waitRouted((r) => r.method === 'BYE')) && kam.routed().filter((r) => r.method === 'BYE').length;
    const bob = await phone('bob');
    await bob.dial(`sip:1000@127.0.0.1:${sipPort}`);
    const start = await fx.ev.next((m) => m.type === 'StasisStart' && (chanOf(m).caller as Json).number === 'bob', 8000);
    await bob.waitFor('CALL_ESTABLISHED', 5000);
    await sleep(300);
    await bob.hangup();
    await fx.ev.next((m) => m.type === 'StasisEnd' && chanOf(m).id === chanOf(start).id, 5000);
    assert.equal((await destroyed.find((n) => n === String(chanOf(start).name))).cause, 16);
    const bye = await kam.waitRouted((r) => r.method === 'BYE', before + 1);
    assert.equal(bye.from, `127.0.0.1:${bob.sipPort}`);
    assert.equal(bye.uri.includes(`@127.0.0.1:${sipPort}`), true);
    assert.match(bye.route, new RegExp(`^<sip:127\\.0\\.0\\.2:${kam.port};lr`));
    await bob.waitFor('CALL_CLOSED', 3000);
  });
});
