/**
 * Session timers (RFC 4028) and reliable provisional responses (RFC 3262) on inbound PJSIP calls, against
 * SIPp and raw UDP peers. Endpoints are told apart by the From user (identify_by=username), one per option:
 *
 * - `st` (timers=yes, timers_sess_expires=1800): an INVITE asking for 600 s with refresher=uac gets a 200 with
 *   `Session-Expires: 600;refresher=uac` and `Require: timer`; the UAC's refresh by UPDATE gets the interval
 *   back (SIPp checks the headers); 30 s is refused with 422 and `Min-SE: 90`;
 * - `streq` (timers=required): an INVITE that does not support timers gets 421 with `Require: timer`;
 * - `st` again, 100rel=yes: an INVITE that requires 100rel rings with a reliable 180 (Require: 100rel, RSeq),
 *   PRACK gets 200, then the call is answered and SIPp hangs up;
 * - without a PRACK the 180 is retransmitted with the same RSeq, T1 then doubling (0, 0.5, 1.5 s...);
 * - outbound to a SIPp UAS that rings reliably: our INVITE lists 100rel and timer, the 180 gets a PRACK with
 *   `RAck: 1 <cseq> INVITE` (retransmissions of it are not PRACKed again), the 200 is acknowledged and our BYE
 *   ends the call;
 * - `relno` (100rel=no) refuses an INVITE that requires 100rel with 420 and `Unsupported: 100rel`; `relreq`
 *   (100rel=required) refuses one that does not support it with 421 and `Require: 100rel`;
 * - `stno` (timers=no) answers without `timer` in Supported and without Session-Expires.
 *
 * Our own refreshes at half the interval and the BYE when the peer's refresh does not come take the 90 s
 * minimum RFC 4028 allows: they are in test/e2e/pjsip-session-refresh.test.ts (about a minute, its cases run
 * together), and timed on a fake clock in src/sip/driver/session-timers.test.ts.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { MediaApp, type Json } from '../helpers/media-app.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, runSipp, startSipp } from '../helpers/sipp.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';
import type { SipResponse } from '../../src/sip/message/message.ts';

const endpoint = (name: string, extra: string) => `[${name}]
type = endpoint
context = from-trunk
disallow = all
allow = ulaw
identify_by = username
${extra}
`;

const pjsip = (port: number) => `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

${endpoint('st', 'timers = yes\ntimers_sess_expires = 1800\n100rel = yes')}
${endpoint('streq', 'timers = required')}
${endpoint('relno', '100rel = no')}
${endpoint('relreq', '100rel = required')}
${endpoint('stno', 'timers = no')}
`;

const DIALPLAN = `[from-trunk]
exten => 1000,1,Answer()
 same => n,Wait(10)
 same => n,Hangup()
exten => 2000,1,Ringing()
 same => n,Wait(1.5)
 same => n,Answer()
 same => n,Wait(10)
 same => n,Hangup()
exten => 2001,1,Ringing()
 same => n,Wait(2.2)
 same => n,Hangup()
`;

let fx: MediaApp;
let sipPort: number;

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  fx = await MediaApp.start('timers-app', { extensions: DIALPLAN, sounds: false, files: { 'pjsip.conf': pjsip(await freePort('udp')) } });
  sipPort = fx.srv.ariadne.sip.transports().find((t) => t.protocol === 'udp')?.port ?? 0;
  assert.ok(sipPort > 0);
});

after(async () => {
  await fx?.stop();
});

let seq = 0;
/** An INVITE from `user` to `exten` with `extra` header lines (`@PORT@` is the sender's port). */
function invite(user: string, exten: string, extra: string[]): string {
  const n = ++seq;
  const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
  return [
    `INVITE sip:${exten}@127.0.0.1:${sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:@PORT@;branch=z9hG4bKtm${n}x${Date.now()};rport`,
    `From: <sip:${user}@127.0.0.1:@PORT@>;tag=tm${n}`,
    `To: <sip:${exten}@127.0.0.1:${sipPort}>`,
    `Call-ID: timers-${n}-${Date.now()}@test`,
    'CSeq: 1 INVITE',
    'Contact: <sip:caller@127.0.0.1:@PORT@>',
    'Max-Forwards: 70',
    ...extra,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
    '',
    sdp,
  ].join('\r\n');
}

/** Sends `text` over UDP and collects every response for `ms` (received times relative to the send). */
function exchange(text: string, ms: number): Promise<Array<{ at: number; res: SipResponse }>> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const got: Array<{ at: number; res: SipResponse }> = [];
    let t0 = 0;
    s.on('message', (buf) => {
      const msg = parseMessage(buf);
      if (msg.type === 'response') got.push({ at: Date.now() - t0, res: msg });
    });
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      t0 = Date.now();
      s.send(text.replaceAll('@PORT@', String(port)), sipPort, '127.0.0.1');
      setTimeout(() => {
        s.close();
        resolve(got);
      }, ms);
    });
  });
}

async function finalTo(text: string): Promise<SipResponse> {
  const got = await exchange(text, 1000);
  const final = got.find((g) => g.res.status >= 200);
  assert.ok(final, `a final response: ${got.map((g) => g.res.status).join(',')}`);
  return final.res;
}

describe('session timers and 100rel on inbound calls', { timeout: 60_000 }, () => {
  it('SIPp: Session-Expires 600;refresher=uac is confirmed in the 200 and in the 200 to its UPDATE refresh', async () => {
    const r = await runSipp({ scenario: 'uac-session-timer.xml', remote: `127.0.0.1:${sipPort}`, service: '1000', vars: { from: 'st' }, timeoutSec: 15 });
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
  });

  it('an interval under Min-SE gets 422 with our Min-SE; timers=required refuses a UAC without timer', async () => {
    const small = await finalTo(invite('st', '1000', ['Supported: timer', 'Session-Expires: 30']));
    assert.equal(small.status, 422);
    assert.equal(small.headers.get('Min-SE'), '90');
    const noTimer = await finalTo(invite('streq', '1000', []));
    assert.equal(noTimer.status, 421);
    assert.equal(noTimer.headers.get('Require'), 'timer');
  });

  it('SIPp: a required 100rel rings with a reliable 180, PRACK gets 200, then the call is answered', async () => {
    const r = await runSipp({ scenario: 'uac-100rel.xml', remote: `127.0.0.1:${sipPort}`, service: '2000', vars: { from: 'st' }, timeoutSec: 15 });
    assert.equal(r.code, 0, `sipp failed: ${r.errors}\n${r.stdout.slice(-1500)}`);
  });

  it('without PRACK the reliable 180 is retransmitted with the same RSeq, T1 then doubling', async () => {
    const got = await exchange(invite('st', '2001', ['Supported: 100rel', 'Require: 100rel']), 3000);
    const ringing = got.filter((g) => g.res.status === 180);
    assert.ok(ringing.length >= 3, `180s at ${ringing.map((g) => g.at).join(', ')} ms`);
    const rseqs = new Set(ringing.map((g) => g.res.headers.get('RSeq')));
    assert.equal(rseqs.size, 1);
    assert.match(String([...rseqs][0]), /^\d+$/);
    assert.ok(ringing.every((g) => g.res.headers.get('Require') === '100rel'));
    const gaps = ringing.slice(1, 3).map((g, i) => g.at - (ringing[i]?.at ?? 0));
    assert.ok(Math.abs((gaps[0] ?? 0) - 500) < 200 && Math.abs((gaps[1] ?? 0) - 1000) < 250, `gaps ${gaps.join(', ')} ms`);
    // The final response (the dialplan hangs up) ends the retransmissions.
    const final = got.find((g) => g.res.status >= 200);
    assert.ok(final, 'the call ended with a final response');
    assert.equal(got.filter((g) => g.res.status === 180 && g.at > final.at + 100).length, 0);
  });

  it('outbound: a reliable 180 gets its PRACK (RAck), the answered call carries on and our BYE ends it', async () => {
    const uas = await startSipp({ scenario: 'uas-100rel.xml', timeoutSec: 10 });
    const r = await fx.call('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/st/sip:5551000@127.0.0.1:${uas.port}`)}&app=timers-app&channelId=rel-out`);
    assert.equal(r.status, 200);
    await fx.ev.next((m) => m.type === 'StasisStart' && (m.channel as Json).id === 'rel-out', 6000);
    assert.equal((await fx.call('GET', '/channels/rel-out')).body.state, 'Up');
    assert.equal((await fx.call('DELETE', '/channels/rel-out')).status, 204);
    const done = await uas.done;
    assert.equal(done.code, 0, `sipp: ${done.errors}\n${done.stdout.slice(-1500)}`);
  });

  it('100rel=no refuses Require: 100rel (420); 100rel=required refuses a UAC without it (421)', async () => {
    const no = await finalTo(invite('relno', '1000', ['Require: 100rel']));
    assert.equal(no.status, 420);
    assert.equal(no.headers.get('Unsupported'), '100rel');
    const req = await finalTo(invite('relreq', '1000', []));
    assert.equal(req.status, 421);
    assert.equal(req.headers.get('Require'), '100rel');
  });

  it('timers=no: the 200 does not offer session timers, even to a UAC that asks for them', async () => {
    const ok = await finalTo(invite('stno', '1000', ['Supported: timer', 'Session-Expires: 600']));
    assert.equal(ok.status, 200);
    const supported = (ok.headers.get('Supported') ?? '').split(',').map((t) => t.trim());
    assert.ok(supported.includes('100rel') && !supported.includes('timer'), `Supported: ${supported.join(', ')}`);
    assert.equal(ok.headers.get('Session-Expires'), undefined);
  });
});
