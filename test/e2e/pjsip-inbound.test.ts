/**
 * Inbound SIP calls through the PJSIP driver with real peers, the seed's way: a trunk (identified by its IP,
 * 127.0.0.1) calls 1000 in `from-trunk`, whose dialplan answers and hands the call to a Stasis application.
 *
 * - baresip calls: the channel `PJSIP/trunk-<8 hex>` enters the application Up with the caller's number; the
 *   phone's 1400 Hz tone reaches the channel (Goertzel on the channel's media session); its RFC 4733 digits
 *   arrive as ChannelDtmfReceived with a duration; `rtp_statistics` counts packets both ways (403 for a Local
 *   channel); `sound:hello-world` played by the application is what the phone hears (speech for about the
 *   file's length in its recording); the application hangs up and the phone sees CALL_CLOSED;
 * - the caller hangs up: StasisEnd and ChannelDestroyed with cause 16;
 * - a phone calling over TCP: signalling (our BYE included) stays on its connection, audio flows;
 * - SIPp: 30 whole calls (INVITE/200/ACK/BYE) at 50 calls/s end with exit code 0 and leave no leg behind; CANCEL before the answer gets 200 and 487,
 *   and the channel ends with cause 127 (as Asterisk derives it from the 487); a late offer (INVITE without SDP)
 *   is offered in the 200 and the answer in the ACK directs our RTP; a SIP INFO digit is ChannelDtmfReceived;
 *   ARI ring/progress/answer on a waiting call are 180, 183 with SDP and 200;
 * - bad calls: a sender no endpoint matches (from 127.0.0.2) gets 401, then 403 when it sends credentials; an
 *   unknown extension 404; before the answer Hangup(17) is 486, Congestion() 503 and Hangup() 603; no codec in
 *   common 488; SDP that does not parse 400 — and the server keeps taking calls.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { MediaApp, level, sleep, type Json } from '../helpers/media-app.ts';
import { findBinary, readRecording, startBaresip, type Baresip } from '../helpers/baresip.ts';
import { freePort, runSipp, startSipp } from '../helpers/sipp.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';
import type { SipResponse } from '../../src/sip/message/message.ts';
import { loudBlocks, trackDestroyed, type DestroyedChannels } from '../helpers/pjsip-calls.ts';

const APP = 'sip-app';

/** Transports cannot bind port 0 (Asterisk reads 0 as the default 5060), so each test takes a free port. */
const trunkPjsip = (port: number, tcpPort: number) => `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[transport-tcp]
type = transport
protocol = tcp
bind = 127.0.0.1:${tcpPort}

[trunk]
type = endpoint
context = from-trunk
disallow = all
allow = ulaw,alaw
dtmf_mode = rfc4733

[trunk]
type = identify
endpoint = trunk
match = 127.0.0.1
`;

const DIALPLAN = `[from-trunk]
exten => 1000,1,NoOp(Sending channel to ARI application)
 same => n,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
exten => 1001,1,Ringing()
 same => n,Wait(20)
 same => n,Hangup()
exten => 1002,1,Hangup(17)
exten => 1003,1,Congestion()
exten => 1004,1,Hangup()
exten => 1005,1,Stasis(${APP})
 same => n,Hangup()

[internal]
exten => _stasis-.,1,Answer()
 same => n,Stasis(\${EXTEN:7})
 same => n,Hangup()
`;

let fx: MediaApp;
let sipPort: number;
let tcpPort: number;
const phones: Baresip[] = [];
let destroyed: DestroyedChannels;

before(async () => {
  assert.ok(findBinary('baresip') && findBinary('sipp'), 'baresip and sipp must be installed');
  fx = await MediaApp.start(APP, { extensions: DIALPLAN, files: { 'pjsip.conf': trunkPjsip(await freePort('udp'), await freePort('tcp')), 'rtp.conf': '[general]\nrtpstart = 20000\nrtpend = 29999\n' } });
  const udp = fx.srv.ariadne.sip.transports().find((t) => t.protocol === 'udp');
  assert.ok(udp && udp.port > 0, 'the UDP transport is bound');
  sipPort = udp.port;
  tcpPort = fx.srv.ariadne.sip.transports().find((t) => t.protocol === 'tcp')?.port ?? 0;
  destroyed = trackDestroyed(fx.srv.ariadne.core);
});

after(async () => {
  await Promise.all(phones.map((p) => p.stop()));
  await fx?.stop();
});

async function phone(name: string, toneHz: number): Promise<Baresip> {
  const p = await startBaresip({ name, account: { user: name, domain: `127.0.0.1:${sipPort}` }, audioSource: { toneHz, seconds: 20 }, lifetimeSeconds: 40 });
  phones.push(p);
  return p;
}

const ev = () => fx.ev;
const chanOf = (m: Json) => m.channel as Json;

/** One UDP request from `fromHost`; the first final response (provisional ones are skipped). */
function udpRequest(text: string, fromHost = '127.0.0.1', ms = 3000): Promise<SipResponse | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, ms);
    s.on('message', (buf) => {
      const msg = parseMessage(buf);
      if (msg.type !== 'response' || msg.status < 200) return;
      clearTimeout(timer);
      // ACK a final error response so the server transaction completes quietly.
      s.send(ackFor(text, msg), sipPort, '127.0.0.1', () => s.close());
      resolve(msg);
    });
    s.bind(0, fromHost, () => {
      const { port } = s.address();
      s.send(text.replaceAll('@PORT@', String(port)).replaceAll('@HOST@', fromHost), sipPort, '127.0.0.1');
    });
  });
}

function ackFor(invite: string, res: SipResponse): string {
  const line = (name: string) => new RegExp(`^${name}:.*$`, 'mi').exec(invite)?.[0] ?? '';
  return [`ACK ${/^INVITE (\S+)/.exec(invite)?.[1] ?? ''} SIP/2.0`, line('Via'), line('From'), `To: ${res.headers.get('To') ?? ''}`, line('Call-ID'),
    `CSeq: ${/^CSeq:\s*(\d+)/mi.exec(invite)?.[1] ?? '1'} ACK`, 'Max-Forwards: 70', 'Content-Length: 0', '', ''].join('\r\n');
}

let seq = 0;
function invite(exten: string, sdp: string | undefined, extra = ''): string {
  const n = ++seq;
  const body = sdp ?? '';
  return [
    `INVITE sip:${exten}@127.0.0.1:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP @HOST@:@PORT@;branch=z9hG4bKraw${n}x${Date.now()};rport`,
    `From: <sip:5550000@@HOST@:@PORT@>;tag=raw${n}`,
    `To: <sip:${exten}@127.0.0.1:${sipPort}>`,
    `Call-ID: raw-${n}-${Date.now()}@test`,
    'CSeq: 1 INVITE',
    'Contact: <sip:5550000@@HOST@:@PORT@>',
    'Max-Forwards: 70',
    ...(extra ? [extra] : []),
    ...(sdp === undefined ? [] : ['Content-Type: application/sdp']),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const sdpOffer = (payloads: string, rtpmaps: string[]) =>
  ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio 40000 RTP/AVP ${payloads}`, ...rtpmaps, ''].join('\r\n');

describe('inbound PJSIP calls', { timeout: 60_000 }, () => {
  it('a baresip trunk call reaches Stasis: audio both ways, DTMF, hello-world heard, the app hangs up', async () => {
    const alice = await phone('alice', 1400);
    await alice.dial(`sip:1000@127.0.0.1:${sipPort}`);
    const start = await ev().next((m) => m.type === 'StasisStart' && String(chanOf(m).name).startsWith('PJSIP/trunk-'), 8000);
    const ch = chanOf(start);
    assert.match(String(ch.name), /^PJSIP\/trunk-[0-9a-f]{8}$/);
    assert.equal(ch.state, 'Up');
    assert.equal((ch.caller as Json).number, 'alice');
    assert.deepEqual({ context: (ch.dialplan as Json).context, exten: (ch.dialplan as Json).exten }, { context: 'from-trunk', exten: '1000' });
    const id = String(ch.id);
    const established = await alice.waitFor('CALL_ESTABLISHED', 5000);
    assert.equal(ch.protocol_id, established.id, 'protocol_id is the Call-ID');

    // The phone's tone reaches the channel.
    await sleep(300);
    const said = await fx.listen(id, 'in', 400);
    assert.ok(level(said, 1400) > 1500, `1400 Hz from the phone: ${level(said, 1400)}`);
    assert.ok(level(said, 1400) > 5 * level(said, 1000));

    // RTP statistics of the call (Asterisk's checks: unknown channel 404, a technology without RTP 403).
    const stats = await fx.call('GET', `/channels/${id}/rtp_statistics`);
    assert.equal(stats.status, 200);
    assert.equal(stats.body.channel_uniqueid, id);
    assert.ok(Number(stats.body.rxcount) > 10 && Number(stats.body.txcount) > 10, `rx ${String(stats.body.rxcount)}, tx ${String(stats.body.txcount)}`);
    assert.deepEqual(await fx.call('GET', '/channels/nope/rtp_statistics').then((r) => [r.status, r.body]), [404, { message: 'Channel not found' }]);
    const { one } = await fx.pair('not-rtp');
    assert.deepEqual(await fx.call('GET', `/channels/${one}/rtp_statistics`).then((r) => [r.status, r.body]), [403, { message: 'Unsupported channel type' }]);
    await fx.call('DELETE', `/channels/${one}`);

    // RFC 4733 digits.
    await alice.sendDtmf('15#', 200);
    const digits: string[] = [];
    for (const d of ['1', '5', '#']) {
      const m = await ev().next((e) => e.type === 'ChannelDtmfReceived' && e.digit === d && chanOf(e).id === id, 5000);
      assert.ok(Number(m.duration_ms) >= 40, `duration ${String(m.duration_ms)}`);
      digits.push(String(m.digit));
    }
    assert.deepEqual(digits, ['1', '5', '#']);

    // hello-world to the caller, then the application hangs up.
    assert.equal((await fx.call('POST', `/channels/${id}/play/sip-hello?media=sound:hello-world`)).status, 201);
    await ev().next((m) => m.type === 'PlaybackFinished' && (m.playback as Json).id === 'sip-hello', 6000);
    assert.equal((await fx.call('DELETE', `/channels/${id}`)).status, 204);
    await alice.waitFor('CALL_CLOSED', 5000);
    await ev().next((m) => m.type === 'StasisEnd' && chanOf(m).id === id, 5000);
    assert.equal((await destroyed.find((n) => n === String(ch.name))).cause, 16);

    const [rec] = await alice.recordings();
    assert.ok(rec?.heard, 'baresip recorded what it heard');
    const heard = readRecording(rec.heard).samples;
    // hello-world.wav is 1.4 s of speech with short pauses: most of its 70 blocks are loud; before and after
    // it the phone heard silence.
    const loud = loudBlocks(heard);
    assert.ok(loud >= 35 && loud <= 110, `${loud} loud 20 ms blocks heard (hello-world is 70 blocks long)`);
    assert.ok(level(heard, 1400) < 500, 'the phone did not hear its own tone back');
  });

  it('the caller hangs up: StasisEnd and ChannelDestroyed with Normal Clearing', async () => {
    const bob = await phone('bob', 1000);
    await bob.dial(`sip:1000@127.0.0.1:${sipPort}`);
    const start = await ev().next((m) => m.type === 'StasisStart' && (chanOf(m).caller as Json).number === 'bob', 8000);
    const id = String(chanOf(start).id);
    await bob.waitFor('CALL_ESTABLISHED', 5000);
    await sleep(200);
    await bob.hangup();
    await ev().next((m) => m.type === 'ChannelHangupRequest' && chanOf(m).id === id && m.cause === 16, 5000);
    await ev().next((m) => m.type === 'StasisEnd' && chanOf(m).id === id, 5000);
    assert.equal((await destroyed.find((n) => n === String(chanOf(start).name))).cause, 16);
    await bob.waitFor('CALL_CLOSED', 3000);
  });

  it('over TCP: the call, its audio and our BYE use the phone\'s connection', async () => {
    const carol = await startBaresip({ name: 'carol', account: { user: 'carol', domain: `127.0.0.1:${tcpPort}`, transport: 'tcp' }, audioSource: { toneHz: 1400, seconds: 20 }, lifetimeSeconds: 40 });
    phones.push(carol);
    await carol.dial(`sip:1000@127.0.0.1:${tcpPort};transport=tcp`);
    const start = await ev().next((m) => m.type === 'StasisStart' && (chanOf(m).caller as Json).number === 'carol', 8000);
    const id = String(chanOf(start).id);
    await carol.waitFor('CALL_ESTABLISHED', 5000);
    await sleep(300);
    const said = await fx.listen(id, 'in', 300);
    assert.ok(level(said, 1400) > 1500, `carol's tone over RTP: ${level(said, 1400)}`);
    assert.equal((await fx.call('DELETE', `/channels/${id}`)).status, 204);
    await carol.waitFor('CALL_CLOSED', 5000);
  });

  it('SIPp: whole trunk calls (INVITE, 200, ACK, BYE) succeed, 30 of them at 50 calls/s', async () => {
    const before = destroyed.list.length;
    const r = await runSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${sipPort}`, service: '1000', timeoutSec: 15, calls: 30, extraArgs: ['-r', '50'] });
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
    const t0 = Date.now();
    while (destroyed.list.slice(before).filter((d) => d.name.startsWith('PJSIP/trunk-')).length < 30 && Date.now() - t0 < 5000) await sleep(25);
    const mine = destroyed.list.slice(before).filter((d) => d.name.startsWith('PJSIP/trunk-'));
    assert.equal(mine.length, 30);
    assert.ok(mine.every((d) => d.cause === 16), 'every call ended with Normal Clearing');
    assert.equal(fx.srv.ariadne.sip.driver.channels.length, 0, 'no SIP leg left behind');
    assert.equal(fx.srv.ariadne.sip.stack.dialogs.size, 0, 'no dialog left behind');
  });

  it('SIPp: CANCEL before the answer gets 200 and 487; the channel ends with cause 127', async () => {
    const before = destroyed.list.length;
    const run = await startSipp({ scenario: 'uac-cancel.xml', remote: `127.0.0.1:${sipPort}`, service: '1001', timeoutSec: 10 });
    const r = await run.done;
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
    assert.equal((await destroyed.find((n) => n.startsWith('PJSIP/trunk-'), before)).cause, 127);
  });

  it('SIPp: a late offer (INVITE without SDP) is offered in the 200 and answered in the ACK', async () => {
    const mediaPort = await freePort('udp');
    const run = await startSipp({ scenario: 'uac-late-offer.xml', remote: `127.0.0.1:${sipPort}`, service: '1000', timeoutSec: 10, extraArgs: ['-mp', String(mediaPort)] });
    // While the call is up, our RTP sends to the port of the answer SIPp put in its ACK.
    const sip = fx.srv.ariadne.sip;
    const t0 = Date.now();
    let sendingTo: { address: string; port: number } | undefined;
    while (sendingTo === undefined && Date.now() - t0 < 3000) {
      for (const ch of sip.driver.channels) {
        const to = await sip.driver.legOf(ch)?.rtp?.sendingTo();
        if (to?.port === mediaPort) sendingTo = to;
      }
      await sleep(25);
    }
    assert.deepEqual(sendingTo, { address: '127.0.0.1', port: mediaPort });
    const r = await run.done;
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
  });

  it('SIPp: a digit sent as SIP INFO (dtmf-relay) is ChannelDtmfReceived with its duration', async () => {
    const run = await startSipp({ scenario: 'uac-info-dtmf.xml', remote: `127.0.0.1:${sipPort}`, service: '1000', timeoutSec: 10 });
    const m = await ev().next((e) => e.type === 'ChannelDtmfReceived' && e.digit === '7' && (chanOf(e).caller as Json).number === '5557777', 5000);
    assert.equal(m.duration_ms, 160);
    const r = await run.done;
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
  });

  it('SIPp: the application rings (180), sends progress (183 with SDP) and answers (200) a waiting call', async () => {
    const run = await startSipp({ scenario: 'uac-ring-progress-answer.xml', remote: `127.0.0.1:${sipPort}`, service: '1005', timeoutSec: 10 });
    const start = await ev().next((m) => m.type === 'StasisStart' && (chanOf(m).caller as Json).number === '5558888', 5000);
    const id = String(chanOf(start).id);
    assert.equal(chanOf(start).state, 'Ring');
    assert.equal((await fx.call('POST', `/channels/${id}/ring`)).status, 204);
    assert.equal((await fx.call('POST', `/channels/${id}/progress`)).status, 204);
    await sleep(100);
    assert.equal((await fx.call('POST', `/channels/${id}/answer`)).status, 204);
    assert.equal((await fx.call('GET', `/channels/${id}`)).body.state, 'Up');
    const r = await run.done;
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
    assert.equal((await destroyed.find((n) => n === String(chanOf(start).name))).cause, 16);
  });

  it('refuses what it cannot take, and keeps taking calls', async () => {
    const pcmu = sdpOffer('0 101', ['a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000']);
    // Nobody matches 127.0.0.2: challenged like a user, refused once it answers.
    const unknown = await udpRequest(invite('1000', pcmu), '127.0.0.2');
    assert.equal(unknown?.status, 401);
    assert.match(unknown.headers.get('WWW-Authenticate') ?? '', /^Digest /);
    const withCreds = await udpRequest(invite('1000', pcmu, 'Authorization: Digest username="x", realm="asterisk", nonce="n", uri="sip:1000@127.0.0.1", response="00000000000000000000000000000000"'), '127.0.0.2');
    assert.equal(withCreds?.status, 403);
    assert.equal((await udpRequest(invite('4040', pcmu)))?.status, 404);
    // The dialplan's refusals before an answer: Hangup(17) → 486 (hangup_cause2sip), Congestion() → 503.
    assert.equal((await udpRequest(invite('1002', pcmu)))?.status, 486);
    assert.equal((await udpRequest(invite('1003', pcmu)))?.status, 503);
    // Normal Clearing has no SIP status: Asterisk declines (603).
    assert.equal((await udpRequest(invite('1004', pcmu)))?.status, 603);
    assert.equal((await udpRequest(invite('1000', sdpOffer('18', ['a=rtpmap:18 G729/8000']))))?.status, 488);
    assert.equal((await udpRequest(invite('1000', 'this is not SDP\r\n\0\xff')))?.status, 400);
    // Still working: a whole SIPp call.
    const r = await runSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${sipPort}`, service: '1000', timeoutSec: 15 });
    assert.equal(r.code, 0, `sipp failed after bad input: ${r.errors}`);
  });
});
