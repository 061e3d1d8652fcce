/**
 * In-band DTMF generation on PJSIP channels, checked by content: a SIPp UAS answers our INVITE with an SDP
 * whose audio goes to a UDP socket of this test, which decodes the PCMU it receives and runs the DTMF
 * detector (src/media/dsp/dtmf.ts) over it.
 *
 * - `dtmf_mode=inband`: ARI `POST /channels/{id}/dtmf` digits are heard in the audio, in order, about as long
 *   as asked;
 * - `dtmf_mode=auto` with a peer whose SDP has no telephone-event: the same, from the SendDTMF() application;
 * - `dtmf_mode=rfc4733` with telephone-event: the digits go as RFC 4733 events and the audio has no tones.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { MediaApp, sleep, type Json } from '../helpers/media-app.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, startSipp, type SippRun } from '../helpers/sipp.ts';
import { ulawDecode } from '../../src/media/codecs/g711.ts';
import { DtmfDetector } from '../../src/media/dsp/dtmf.ts';
import { parseRtp } from '../../src/media/rtp/packet.ts';
import { decodeTelephoneEvent, digitOfEvent } from '../../src/media/rtp/rfc4733.ts';

const APP = 'inband-app';

const pjsipConf = (port: number) => `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[phone](!)
type = endpoint
context = phones
disallow = all
allow = ulaw

[inband](phone)
dtmf_mode = inband

[auto](phone)
dtmf_mode = auto

[rfc](phone)
dtmf_mode = rfc4733
`;

/** The Wait lets the answered call's RTP flow before the first digit (SendDTMF starts 100 ms after it runs). */
const DIALPLAN = `[phones]
exten => senddtmf,1,Wait(0.5)
 same => n,SendDTMF(47*,150,120)
 same => n,Wait(5)
 same => n,Hangup()
`;

let fx: MediaApp;
let sipPort: number;

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  sipPort = await freePort('udp');
  fx = await MediaApp.start(APP, { extensions: DIALPLAN, sounds: false, files: { 'pjsip.conf': pjsipConf(sipPort), 'rtp.conf': '[general]\nrtpstart = 30000\nrtpend = 39999\n' } });
});

after(async () => {
  await fx?.stop();
});

const chanOf = (m: Json) => m.channel as Json;

/** A peer's media socket: the audio it received (decoded, in arrival order) and the RFC 4733 digits. */
interface Ear {
  readonly port: number;
  readonly audio: Int16Array[];
  readonly events: string[];
  close(): void;
}

async function openEar(): Promise<Ear> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const audio: Int16Array[] = [];
  const events: string[] = [];
  let lastEvent = -1;
  socket.on('message', (buf) => {
    const p = parseRtp(buf);
    if (typeof p === 'string') return;
    if (p.payloadType === 0) audio.push(ulawDecode(p.payload));
    else if (p.payloadType === 101) {
      const e = decodeTelephoneEvent(p.payload);
      // One digit per event (its first packet; the end packet is sent three times).
      if (e !== undefined && p.timestamp !== lastEvent) {
        lastEvent = p.timestamp;
        events.push(digitOfEvent(e.event) ?? '?');
      }
    }
  });
  return { port: socket.address().port, audio, events, close: () => socket.close() };
}

/** The digits the in-band detector hears in `chunks`, with their durations. */
function heard(chunks: readonly Int16Array[]): Array<{ digit: string; durationMs: number }> {
  const detector = new DtmfDetector();
  const out: Array<{ digit: string; durationMs: number }> = [];
  for (const c of chunks) for (const e of detector.process(c)) if (e.type === 'end') out.push({ digit: e.digit, durationMs: e.durationMs });
  return out;
}

/** A call to a SIPp UAS whose answer sends our audio to `ear`; resolves once the call is answered. */
async function callPeer(endpoint: string, ear: Ear, telephoneEvent: boolean, target: string): Promise<{ uas: SippRun; name: string; id: string }> {
  const uas = await startSipp({
    scenario: 'uas-answer-media.xml',
    timeoutSec: 15,
    vars: { rtpport: String(ear.port), fmts: telephoneEvent ? '0 101' : '0', attr: telephoneEvent ? 'a=rtpmap:101 telephone-event/8000' : 'a=ptime:20' },
  });
  const r = await fx.call('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/${endpoint}/sip:phone@127.0.0.1:${uas.port}`)}&${target}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { uas, name: String(r.body.name), id: String(r.body.id) };
}

async function hangUp(call: { uas: SippRun; id: string }): Promise<void> {
  await fx.call('DELETE', `/channels/${call.id}`);
  const done = await call.uas.done;
  assert.equal(done.code, 0, `sipp: ${done.errors}\n${done.stdout.slice(-1500)}`);
}

/** Waits until the detector has heard `count` digits in what `ear` received (or `ms` passed). */
async function waitDigits(ear: Ear, count: number, ms: number): Promise<Array<{ digit: string; durationMs: number }>> {
  const t0 = Date.now();
  for (;;) {
    const got = heard(ear.audio);
    if (got.length >= count || Date.now() - t0 > ms) return got;
    await sleep(100);
  }
}

describe('in-band DTMF generation on PJSIP channels', { timeout: 60_000 }, () => {
  it('dtmf_mode=inband: ARI DTMF is heard as tones in the RTP audio, in order and about as long as asked', async () => {
    const ear = await openEar();
    try {
      const call = await callPeer('inband', ear, true, `app=${APP}&channelId=inband-1`);
      await fx.ev.next((m) => m.type === 'StasisStart' && chanOf(m).id === call.id, 8000);
      const r = await fx.call('POST', `/channels/${call.id}/dtmf?dtmf=159%23&duration=200&between=150`);
      assert.equal(r.status, 204);
      const got = await waitDigits(ear, 4, 5000);
      assert.deepEqual(got.map((d) => d.digit), ['1', '5', '9', '#']);
      for (const d of got) assert.ok(Math.abs(d.durationMs - 200) <= 60, `digit ${d.digit} lasted ${d.durationMs} ms`);
      assert.deepEqual(ear.events, [], 'no RFC 4733 events for an inband endpoint');
      await hangUp(call);
    } finally {
      ear.close();
    }
  });

  it('dtmf_mode=auto, peer without telephone-event: SendDTMF() digits are tones', async () => {
    const ear = await openEar();
    try {
      const call = await callPeer('auto', ear, false, 'context=phones&extension=senddtmf&priority=1');
      const got = await waitDigits(ear, 3, 5000);
      assert.deepEqual(got.map((d) => d.digit), ['4', '7', '*']);
      for (const d of got) assert.ok(Math.abs(d.durationMs - 120) <= 60, `digit ${d.digit} lasted ${d.durationMs} ms`);
      assert.deepEqual(ear.events, []);
      await hangUp(call);
    } finally {
      ear.close();
    }
  });

  it('dtmf_mode=rfc4733: the digits go as RFC 4733 events and the audio carries no tones', async () => {
    const ear = await openEar();
    try {
      const call = await callPeer('rfc', ear, true, `app=${APP}&channelId=rfc-1`);
      await fx.ev.next((m) => m.type === 'StasisStart' && chanOf(m).id === call.id, 8000);
      assert.equal((await fx.call('POST', `/channels/${call.id}/dtmf?dtmf=26&duration=150`)).status, 204);
      const t0 = Date.now();
      while (ear.events.length < 2 && Date.now() - t0 < 5000) await sleep(50);
      assert.deepEqual(ear.events, ['2', '6']);
      await sleep(300);
      assert.ok(ear.audio.length >= 10, `audio packets came around the digits were sent: ${ear.audio.length}`);
      assert.deepEqual(heard(ear.audio), [], 'no tones in the audio');
      await hangUp(call);
    } finally {
      ear.close();
    }
  });
});
