/**
 * RTP sessions over loopback UDP against a real media engine (`LocalMediaPort`, real 20 ms clock): a tone played
 * on the engine session reaches a plain socket as paced PCMU packets with the tone's frequency; PCMA packets
 * (SIPp's g711a.pcap, and a generated tone) sent from a plain socket are decoded into the session's `in` side;
 * RFC 4733 in and out; strict RTP learning; symmetric RTP; RTCP between two sessions; hold; IPv6; ports freed.
 */

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RTPstat } from '../../client/generated/models.ts';
import { parseConfText } from '../../src/config/parser.ts';
import { readRtpConf } from '../../src/config/rtp.ts';
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../../src/media/codecs/g711.ts';
import { concatFrames } from '../../src/media/engine/frame.ts';
import { LocalMediaPort, ping } from '../../src/media/engine/port.ts';
import type { MediaNotification } from '../../src/media/engine/protocol.ts';
import { rms, sine, toneAmplitude } from '../../src/media/engine/test-audio.ts';
import { parseRtp, serializeRtp, type RtpPacket } from '../../src/media/rtp/packet.ts';
import { decodeTelephoneEvent, encodeTelephoneEvent, TelephoneEventReceiver, type DtmfEvent } from '../../src/media/rtp/rfc4733.ts';
import { buildBye } from '../../src/media/rtp/rtcp.ts';
import { RtpSession, rtpConfOptions, type RtpSessionOptions } from '../../src/media/rtp/session.ts';
import { readPcapUdp, SIPP_PCAP_DIR } from '../../src/media/rtp/test-pcap.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until `cond` holds (up to `timeoutMs`): the machine is shared, so positive checks wait for their event
 * instead of a fixed time; checks that something does NOT happen use fixed sleeps, which only get safer when slow.
 */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
/** Each test file gets its own slice of ports so parallel runs do not collide. */
const BASE = 42000 + (process.pid % 50) * 40;
const RANGE = { start: BASE, end: BASE + 35 };
/** Exactly one even port, outside RANGE, for the port test. */
const ONE_PAIR = { start: BASE + 36, end: BASE + 37 };

let port: LocalMediaPort;
let nextId = 0;
const open: RtpSession[] = [];
const sockets: dgram.Socket[] = [];

before(() => {
  port = new LocalMediaPort();
});
after(async () => {
  for (const s of open) await s.close();
  for (const s of sockets) s.close();
  await port.close();
});

/** A media session attached in the engine plus an RTP session on it. */
async function rtpSession(options: Partial<RtpSessionOptions> = {}): Promise<RtpSession> {
  const sessionId = options.sessionId ?? `rtp-${++nextId}`;
  port.send({ type: 'attach', sessionId, rate: 8000 });
  const s = await RtpSession.open({
    port,
    sessionId,
    bindAddress: '127.0.0.1',
    portRange: RANGE,
    codec: { name: 'PCMU', payloadType: 0 },
    ...options,
  });
  open.push(s);
  return s;
}

/** A plain UDP socket that records what it receives, with arrival times. */
async function peer(type: 'udp4' | 'udp6' = 'udp4'): Promise<{ sock: dgram.Socket; port: number; got: { at: number; p: RtpPacket }[]; address: string }> {
  const sock = dgram.createSocket(type);
  sockets.push(sock);
  const address = type === 'udp4' ? '127.0.0.1' : '::1';
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  const got: { at: number; p: RtpPacket }[] = [];
  sock.on('message', (msg) => {
    const p = parseRtp(msg);
    if (typeof p !== 'string') got.push({ at: performance.now(), p });
  });
  return { sock, port: sock.address().port, got, address };
}

/** Collects the frames of a tapped side of an engine session. */
function tapFrames(sessionId: string, direction: 'in' | 'out'): { frames: Int16Array[]; stop: () => Int16Array } {
  const frames: Int16Array[] = [];
  port.send({ type: 'tap', sessionId, direction, enabled: true });
  const off = port.onNotification((n: MediaNotification) => {
    if (n.type === 'frame' && n.sessionId === sessionId && n.direction === direction) frames.push(n.frame.samples);
  });
  return {
    frames,
    stop: () => {
      off();
      port.send({ type: 'tap', sessionId, direction, enabled: false });
      return concat(frames);
    },
  };
}

function send(sock: dgram.Socket, buf: Buffer, to: number, address = '127.0.0.1'): void {
  sock.send(buf, to, address);
}

/** Sends a tone as RTP packets paced by a timer (20 ms), from a plain socket. */
async function sendTone(sock: dgram.Socket, to: number, options: { freq: number; ms: number; pt: number; alaw?: boolean; seq?: number; ssrc?: number }): Promise<void> {
  const pcm = sine(options.freq, options.ms, 8000, 8000);
  const frames = pcm.length / 160;
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    const chunk = pcm.subarray(i * 160, i * 160 + 160);
    const payload = options.alaw ? alawEncode(chunk) : ulawEncode(chunk);
    send(sock, serializeRtp({ marker: i === 0, payloadType: options.pt, sequenceNumber: ((options.seq ?? 100) + i) & 0xffff, timestamp: 5000 + i * 160, ssrc: options.ssrc ?? 0xabc }, payload), to);
    const wait = t0 + (i + 1) * 20 - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

describe('RTP session: sending', () => {
  it('sends a played tone as PCMU packets paced at 20 ms, with the tone in them', async () => {
    const s = await rtpSession();
    const far = await peer();
    s.setRemote({ address: '127.0.0.1', port: far.port });
    port.send({ type: 'play', playbackId: 'tone-out', target: { type: 'session', id: s.sessionId }, sources: [{ type: 'tone', tones: '1000', maxDurationMs: 5000 }] });
    await waitFor(() => far.got.length >= 45, '45 packets');
    const got = far.got.slice();
    assert.ok(got.length >= 30, `got ${got.length} packets`);
    const first = got[0]!.p;
    assert.equal(first.marker, true, 'the first packet starts a talkspurt');
    assert.equal(first.ssrc, s.ssrc);
    for (let i = 1; i < got.length; i++) {
      const p = got[i]!.p;
      assert.equal(p.payloadType, 0);
      assert.equal(p.payload.length, 160);
      assert.equal(p.ssrc, s.ssrc);
      assert.equal(p.marker, false);
      assert.equal(p.sequenceNumber, (first.sequenceNumber + i) & 0xffff);
      assert.equal((p.timestamp - got[i - 1]!.p.timestamp) | 0, 160);
    }
    // Pacing comes from the engine clock: packets leave at 20 ms intervals (the median, since a loaded machine
    // makes the clock catch up in bursts), and the wall time they span is the audio they carry, within 150 ms.
    const intervals = got.slice(1).map((g, i) => g.at - got[i]!.at).sort((x, y) => x - y);
    const median = intervals[intervals.length >> 1]!;
    assert.ok(median > 15 && median < 25, `median interval ${median.toFixed(2)} ms`);
    const wallMs = got.at(-1)!.at - got[0]!.at;
    const audioMs = (((got.at(-1)!.p.timestamp - first.timestamp) | 0) * 1000) / 8000;
    assert.ok(Math.abs(wallMs - audioMs) < 150, `${wallMs.toFixed(0)} ms of wall time for ${audioMs} ms of audio`);
    // Content: the last 25 packets decoded carry 1 kHz.
    const audio = new Int16Array(25 * 160);
    got.slice(-25).forEach((g, i) => audio.set(ulawDecode(g.p.payload), i * 160));
    assert.ok(toneAmplitude(audio, 8000, 1000) > 2000, `1 kHz amplitude ${toneAmplitude(audio, 8000, 1000)}`);
    assert.ok(toneAmplitude(audio, 8000, 440) < 100);
    port.send({ type: 'stop', playbackId: 'tone-out' });
    const st = s.stats();
    assert.ok(st.txcount >= got.length);
    assert.equal(st.txoctetcount, st.txcount * 160);
    assert.equal(st.channel_uniqueid, s.sessionId);
    assert.equal(st.local_ssrc, s.ssrc);
  });

  it('switches codec at run time, and sends a 16 kHz engine session as 8 kHz G.711', async () => {
    const sessionId = `rtp-${++nextId}`;
    port.send({ type: 'attach', sessionId, rate: 16000 });
    const s = await RtpSession.open({ port, sessionId, bindAddress: '127.0.0.1', portRange: RANGE, codec: { name: 'PCMU', payloadType: 0 } });
    open.push(s);
    const far = await peer();
    s.setRemote({ address: '127.0.0.1', port: far.port });
    port.send({ type: 'play', playbackId: 'tone-16k', target: { type: 'session', id: sessionId }, sources: [{ type: 'tone', tones: '800', maxDurationMs: 5000 }] });
    await waitFor(() => far.got.length >= 20, 'PCMU packets');
    s.setCodec({ name: 'PCMA', payloadType: 8 });
    const switchedAt = far.got.length;
    await waitFor(() => far.got.filter((g) => g.p.payloadType === 8).length >= 20, 'PCMA packets');
    port.send({ type: 'stop', playbackId: 'tone-16k' });
    const ulaw = far.got.slice(5, switchedAt).filter((g) => g.p.payloadType === 0);
    const alaw = far.got.filter((g) => g.p.payloadType === 8).slice(-15);
    for (const g of [...ulaw, ...alaw]) assert.equal(g.p.payload.length, 160);
    const heardU = concat(ulaw.map((g) => ulawDecode(g.p.payload)));
    const heardA = concat(alaw.map((g) => alawDecode(g.p.payload)));
    assert.ok(toneAmplitude(heardU, 8000, 800) > 2000, `µ-law 800 Hz ${toneAmplitude(heardU, 8000, 800)}`);
    assert.ok(toneAmplitude(heardA, 8000, 800) > 2000, `A-law 800 Hz ${toneAmplitude(heardA, 8000, 800)}`);
    assert.throws(() => s.setCodec({ name: 'G729' as never, payloadType: 18 }), TypeError);
  });

  it('stops sending on hold (inactive) and resumes with the marker bit', async () => {
    const s = await rtpSession();
    const far = await peer();
    s.setRemote({ address: '127.0.0.1', port: far.port });
    await waitFor(() => far.got.length > 3, 'packets');
    s.setDirection('inactive');
    await sleep(60); // a packet may be in flight
    const held = far.got.length;
    await sleep(300);
    assert.equal(far.got.length, held, 'nothing sent while inactive');
    s.setDirection('recvonly');
    await sleep(200);
    assert.equal(far.got.length, held, 'nothing sent while recvonly');
    s.setDirection('sendrecv');
    await waitFor(() => far.got.length > held + 3, 'sending again');
    assert.equal(far.got[held]!.p.marker, true, 'a new talkspurt after hold');
    // Timestamps kept running through the hold (the clock did not stop).
    assert.ok(((far.got[held]!.p.timestamp - far.got[held - 1]!.p.timestamp) | 0) >= 160 * 20);
    assert.throws(() => s.setDirection('sideways' as never), TypeError);
  });

  it('sends RFC 4733 digits: a marked start, updates, three ends on one timestamp; audio pauses meanwhile', async () => {
    const s = await rtpSession({ telephoneEvent: 101 });
    const far = await peer();
    s.setRemote({ address: '127.0.0.1', port: far.port });
    await sleep(100);
    await s.sendDtmf('5', 160);
    await s.sendDtmf('#', 100);
    await waitFor(() => far.got.filter((g) => g.p.payloadType === 101 && decodeTelephoneEvent(g.p.payload)!.end).length === 6, 'the end packets');
    const events = far.got.filter((g) => g.p.payloadType === 101);
    const receiver = new TelephoneEventReceiver();
    const out: DtmfEvent[] = [];
    for (const g of events) out.push(...receiver.receive(g.p.payload, g.p.timestamp, g.at));
    assert.deepEqual(out, [
      { type: 'begin', digit: '5' },
      { type: 'end', digit: '5', durationMs: 160 },
      { type: 'begin', digit: '#' },
      { type: 'end', digit: '#', durationMs: 100 },
    ]);
    const five = events.filter((g) => decodeTelephoneEvent(g.p.payload)!.event === 5);
    assert.equal(five[0]!.p.marker, true);
    assert.ok(five.every((g) => g.p.timestamp === five[0]!.p.timestamp));
    assert.equal(five.filter((g) => decodeTelephoneEvent(g.p.payload)!.end).length, 3);
    assert.ok(five.length >= 6, `${five.length} packets for a 160 ms digit`); // start, 3 updates, 3 ends
    // Sequence numbers stay one stream with the audio; no audio between the start and the last end packet.
    const firstAt = far.got.indexOf(five[0]!);
    const lastAt = far.got.indexOf(five.at(-1)!);
    for (let i = firstAt; i <= lastAt; i++) assert.equal(far.got[i]!.p.payloadType, 101);
    for (let i = 1; i < far.got.length; i++) assert.equal(far.got[i]!.p.sequenceNumber, (far.got[i - 1]!.p.sequenceNumber + 1) & 0xffff);
    await assert.rejects(s.sendDtmf('Q', 100), TypeError);
  });
});

describe('RTP session: receiving', () => {
  it('decodes PCMA with the peer\'s payload type into the session\'s in side (a tone)', async () => {
    const s = await rtpSession({ codec: { name: 'PCMA', payloadType: 8 }, strict: false });
    const far = await peer();
    const tap = tapFrames(s.sessionId, 'in');
    await sendTone(far.sock, s.localPort, { freq: 600, ms: 800, pt: 8, alaw: true });
    await waitFor(() => s.stats().rxcount === 40, '40 packets');
    await sleep(200);
    const heard = tap.stop();
    const voiced = heard.filter((v) => v !== 0).length;
    assert.ok(voiced > 5000, `voiced samples ${voiced}`);
    assert.ok(toneAmplitude(heard, 8000, 600) > 2500, `600 Hz amplitude ${toneAmplitude(heard, 8000, 600)}`);
    assert.ok(toneAmplitude(heard, 8000, 1000) < 200);
    const st = s.stats();
    assert.equal(st.rxcount, 40);
    assert.equal(st.rxoctetcount, 40 * 160);
    assert.equal(st.rxploss, 0);
    assert.equal(st.remote_ssrc, 0xabc);
  });

  it('plays SIPp\'s g711a.pcap (30 ms packets) sample for sample into the in side', async () => {
    const file = path.join(SIPP_PCAP_DIR, 'g711a.pcap');
    // Its first 0.9 s are silence; the 1.2 s after it are speech. Without sip-tester the same kind of stream is
    // generated: 30 ms PCMA packets of a changing signal.
    const packets = fs.existsSync(file) ? readPcapUdp(file).slice(30, 70).map((d) => d.payload) : generatedPcma(40);
    const s = await rtpSession({ codec: { name: 'PCMA', payloadType: 8 }, strict: false });
    const far = await peer();
    const tap = tapFrames(s.sessionId, 'in');
    const t0 = performance.now();
    for (let i = 0; i < packets.length; i++) {
      send(far.sock, packets[i]!, s.localPort);
      const wait = t0 + (i + 1) * 30 - performance.now();
      if (wait > 0) await sleep(wait);
    }
    await waitFor(() => s.stats().rxcount === packets.length, 'every packet');
    await sleep(300);
    const heard = tap.stop();
    const sent = concat(packets.map((b) => alawDecode((parseRtp(b) as RtpPacket).payload)));
    // Find where the sent audio starts in what was heard, then compare 20 ms frame by frame.
    const start = sent.findIndex((v, i) => i > 0 && v !== sent[0]) - 1;
    let at = -1;
    for (let i = 0; i + 160 <= heard.length && at < 0; i++) {
      if (heard.subarray(i, i + 160).every((v, k) => v === sent[start + k])) at = i - start;
    }
    assert.ok(at >= 0, 'the sent audio is heard');
    // Frame by frame; a frame the jitter buffer inserted while it waited for a late packet shifts what follows
    // by 20 ms, so each sent frame is looked for at the expected place or up to 15 frames later.
    let same = 0;
    let frames = 0;
    let j = at;
    for (let off = 0; off + 160 <= sent.length; off += 160, frames++) {
      const want = sent.subarray(off, off + 160);
      for (let k = 0; k < 16 && j + k * 160 + 160 <= heard.length; k++) {
        const from = j + k * 160;
        if (heard.subarray(from, from + 160).every((v, i) => v === want[i])) {
          same++;
          j = from;
          break;
        }
      }
      j += 160;
    }
    assert.ok(frames >= 55, `compared ${frames} frames`);
    // A frame the buffer inserted splits the sent frame it falls into; every other frame is exact.
    const jb = s.counters.jitterBuffer;
    assert.ok(same >= frames - jb.concealed - 1, `${same} of ${frames} frames identical; ${JSON.stringify(jb)}`);
    assert.ok(jb.concealed <= frames / 4 && jb.late === 0, JSON.stringify(jb));
    assert.ok(rms(heard) > 100);
  });

  it('reports RFC 4733 digits with their duration (SIPp\'s dtmf_2833_1 packets) amid audio', async () => {
    const digits: DtmfEvent[] = [];
    const s = await rtpSession({ telephoneEvent: 101, strict: false, onDtmf: (e) => digits.push(e) });
    const far = await peer();
    // Audio first, then the digit's 10 packets 20 ms apart (end packet 3 times), as in the pcap.
    const sipp = [0, 0x140, 0x280, 0x3c0, 0x500, 0x640, 0x780].map((d) => ({ end: false, d })).concat([{ end: true, d: 0x8c0 }, { end: true, d: 0x8c0 }, { end: true, d: 0x8c0 }]);
    await sendTone(far.sock, s.localPort, { freq: 400, ms: 100, pt: 0, seq: 1000, ssrc: 0x7 });
    for (let i = 0; i < sipp.length; i++) {
      const e = sipp[i]!;
      const payload = encodeTelephoneEvent({ event: 1, end: e.end, volume: 10, duration: e.d });
      send(far.sock, serializeRtp({ marker: i === 0, payloadType: 101, sequenceNumber: 1005 + Math.min(i, 7), timestamp: 5000 + 5 * 160, ssrc: 0x7 }, payload), s.localPort);
      await sleep(i < 7 ? 20 : 0);
    }
    await waitFor(() => digits.length >= 2, 'the digit');
    assert.deepEqual(digits, [{ type: 'begin', digit: '1' }, { type: 'end', digit: '1', durationMs: 280 }]);
    // A digit whose end packets are all lost ends by the timeout.
    send(far.sock, serializeRtp({ marker: true, payloadType: 101, sequenceNumber: 1020, timestamp: 90000, ssrc: 0x7 }, encodeTelephoneEvent({ event: 9, end: false, volume: 10, duration: 400 })), s.localPort);
    await waitFor(() => digits.length >= 4, 'the timeout');
    assert.deepEqual(digits.slice(2), [{ type: 'begin', digit: '9' }, { type: 'end', digit: '9', durationMs: 50 }]);
  });

  it('drops malformed datagrams and keeps the call going', async () => {
    const s = await rtpSession({ strict: false });
    const far = await peer();
    for (const junk of ['', '00', '40000001000000010000000100', 'a0000001000000010000000100', '80c80001']) send(far.sock, Buffer.from(junk, 'hex'), s.localPort);
    await sendTone(far.sock, s.localPort, { freq: 700, ms: 100, pt: 0 });
    await waitFor(() => s.stats().rxcount === 5, 'the good packets');
    const c = s.counters;
    assert.equal(c.malformed.short + c.malformed.version + c.malformed.padding + c.malformed['payload-type'], 5);
    assert.equal(s.stats().rxcount, 5);
  });
});

describe('RTP session: sources', () => {
  it('strict RTP learns a source after `probation` packets and ignores a second one', async () => {
    const s = await rtpSession({ strict: true, probation: 4, symmetric: true });
    const a = await peer();
    const b = await peer();
    const tap = tapFrames(s.sessionId, 'in');
    // A's first three packets are probation (dropped), the fourth is accepted.
    const pkt = (seq: number, ssrc: number, freq: number): Buffer =>
      serializeRtp({ marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc }, ulawEncode(sine(freq, 20, 8000, 8000)));
    for (let i = 0; i < 3; i++) send(a.sock, pkt(10 + i, 1, 500), s.localPort);
    await waitFor(() => s.counters.strictDropped === 3, 'three packets in probation');
    assert.equal(s.stats().rxcount, 0);
    assert.equal(s.counters.strictDropped, 3);
    // Now A streams on (learned at its 4th packet) while B sends a whole stream in sequence.
    const streamA = sendToneFrom(a.sock, s.localPort, { freq: 500, seq: 13, ssrc: 1, count: 30 });
    const streamB = sendToneFrom(b.sock, s.localPort, { freq: 1500, seq: 500, ssrc: 2, count: 30 });
    await Promise.all([streamA, streamB]);
    await waitFor(() => s.stats().rxcount + s.counters.strictDropped === 63, 'every packet');
    await sleep(150);
    const heard = tap.stop();
    assert.equal(s.stats().remote_ssrc, 1);
    assert.equal(s.stats().rxcount, 30);
    assert.equal(s.counters.strictDropped, 33);
    assert.ok(toneAmplitude(heard, 8000, 500) > 2000, 'A is heard');
    assert.ok(toneAmplitude(heard, 8000, 1500) < 100, 'B is not');
    // Symmetric: we now send to A, not to B.
    assert.deepEqual(s.sendingTo, { address: '127.0.0.1', port: a.port });
    await waitFor(() => a.got.length > 3, 'packets to A');
    assert.equal(b.got.length, 0);
  });

  it('symmetric RTP follows the source away from the SDP address', async () => {
    const s = await rtpSession({ strict: false, symmetric: true });
    const sdp = await peer();
    const real = await peer();
    s.setRemote({ address: '127.0.0.1', port: sdp.port });
    await waitFor(() => sdp.got.length > 0, 'packets to the SDP address');
    await sendTone(real.sock, s.localPort, { freq: 400, ms: 60, pt: 0 });
    await waitFor(() => s.sendingTo?.port === real.port, 'the switch');
    await sleep(60);
    const before = sdp.got.length;
    await sleep(200);
    assert.equal(sdp.got.length, before, 'nothing more to the SDP address');
    await waitFor(() => real.got.length >= 8, 'packets to the real source');
  });

  it('without symmetric RTP keeps sending to the SDP address', async () => {
    const s = await rtpSession({ strict: false, symmetric: false });
    const sdp = await peer();
    const other = await peer();
    s.setRemote({ address: '127.0.0.1', port: sdp.port });
    await sendTone(other.sock, s.localPort, { freq: 400, ms: 60, pt: 0 });
    await waitFor(() => s.stats().rxcount === 3, 'the packets');
    await waitFor(() => sdp.got.length > 5, 'packets to the SDP address');
    assert.equal(other.got.length, 0);
  });

  it('takes a new SSRC as a new stream', async () => {
    const s = await rtpSession({ strict: false });
    const far = await peer();
    await sendTone(far.sock, s.localPort, { freq: 400, ms: 60, pt: 0, ssrc: 1, seq: 65534 });
    await sendTone(far.sock, s.localPort, { freq: 400, ms: 60, pt: 0, ssrc: 2, seq: 9 });
    await waitFor(() => s.stats().remote_ssrc === 2 && s.stats().rxcount === 6, 'the second stream');
    assert.equal(s.stats().remote_ssrc, 2);
    assert.equal(s.counters.sourceChanges, 1);
    assert.equal(s.stats().rxploss, 0);
  });
});

describe('RTP session: RTCP, IPv6, ports', () => {
  it('two sessions exchange SR/RR: no loss, sane jitter, a round-trip time', async () => {
    const a = await rtpSession({ rtcpIntervalMs: 400 });
    const b = await rtpSession({ rtcpIntervalMs: 400 });
    a.setRemote({ address: '127.0.0.1', port: b.localPort });
    b.setRemote({ address: '127.0.0.1', port: a.localPort });
    port.send({ type: 'play', playbackId: 'rtcp-a', target: { type: 'session', id: a.sessionId }, sources: [{ type: 'tone', tones: '440', maxDurationMs: 5000 }] });
    await waitFor(() => a.counters.rtcpReceived >= 2 && b.counters.rtcpReceived >= 2 && a.stats().rxcount > 50, 'two reports each way', 6000);
    const sa = a.stats();
    const sb = b.stats();
    port.send({ type: 'stop', playbackId: 'rtcp-a' });
    assert.ok(a.counters.rtcpReceived >= 2 && b.counters.rtcpReceived >= 2, `${a.counters.rtcpReceived} ${b.counters.rtcpReceived}`);
    assert.equal(sa.remote_ssrc, b.ssrc);
    assert.equal(sb.remote_ssrc, a.ssrc);
    for (const st of [sa, sb]) {
      assert.ok(st.txcount > 50 && st.rxcount > 50, JSON.stringify(st));
      assert.equal(st.rxploss, 0);
      assert.equal(st.txploss, 0);
      assert.ok(st.rxjitter >= 0 && st.rxjitter < 0.03, `rxjitter ${st.rxjitter}`);
      assert.ok(st.txjitter >= 0 && st.txjitter < 0.03, `txjitter ${st.txjitter}`);
      assert.ok(st.rtt > 0 && st.rtt < 0.1, `rtt ${st.rtt}`);
      assert.ok(st.minrtt <= st.rtt && st.rtt <= st.maxrtt);
      assert.ok(st.remote_maxjitter >= st.remote_minjitter);
      assert.equal(st.local_maxrxploss, 0);
    }
    // Every RTPstat field is there, with the type ARI declares.
    const asAri: RTPstat = sa; // and the type checker agrees it is ARI's model
    assert.deepEqual(Object.keys(asAri).sort(), RTPSTAT_FIELDS.slice().sort());
    assert.equal(typeof sa.channel_uniqueid, 'string');
    // Closing sends a last report with BYE.
    await a.close();
    await waitFor(() => b.counters.byeReceived === 1, 'the BYE');
    // b still sends to a's old port: close it too, before a later session is given that port.
    await b.close();
  });

  it('works over IPv6', async () => {
    const sessionId = `rtp-${++nextId}`;
    port.send({ type: 'attach', sessionId, rate: 8000 });
    const s = await RtpSession.open({ port, sessionId, bindAddress: '::1', portRange: RANGE, codec: { name: 'PCMU', payloadType: 0 }, strict: false });
    open.push(s);
    assert.equal(s.localAddress, '::1');
    const far = await peer('udp6');
    s.setRemote({ address: '::1', port: far.port });
    const tap = tapFrames(sessionId, 'in');
    const toneSent = (async () => {
      const pcm = sine(900, 400, 8000, 8000);
      for (let i = 0; i < 20; i++) {
        far.sock.send(serializeRtp({ marker: false, payloadType: 0, sequenceNumber: i, timestamp: i * 160, ssrc: 5 }, ulawEncode(pcm.subarray(i * 160, i * 160 + 160))), s.localPort, '::1');
        await sleep(20);
      }
    })();
    await toneSent;
    await waitFor(() => far.got.length > 5 && s.stats().rxcount === 20, 'packets both ways');
    await sleep(150);
    assert.ok(toneAmplitude(tap.stop(), 8000, 900) > 1500, 'IPv6 audio is heard');
  });

  it('takes RTCP multiplexed on the RTP port (RFC 5761), and maps rtp.conf onto its options', async () => {
    const s = await rtpSession({ strict: false });
    const far = await peer();
    await sendTone(far.sock, s.localPort, { freq: 400, ms: 40, pt: 0, ssrc: 0x99 });
    await waitFor(() => s.stats().rxcount === 2, 'audio');
    send(far.sock, buildBye([0x99]), s.localPort);
    await waitFor(() => s.counters.byeReceived === 1, 'the BYE on the RTP port');
    assert.equal(s.counters.malformed['payload-type'], 0);
    assert.deepEqual(rtpConfOptions(readRtpConf(parseConfText('[general]\nrtpstart=20000\nrtpend=20100\nstrictrtp=seqno\nprobation=6\ndtmftimeout=800\nrtcpinterval=2000\n', '/etc/asterisk/rtp.conf')).value), {
      portRange: { start: 20000, end: 20100 },
      strict: 'seqno',
      probation: 6,
      dtmfTimeoutMs: 100,
      rtcpIntervalMs: 2000,
    });
  });

  it('a dual-stack (::) session talks to an IPv4 peer', async (t) => {
    const sessionId = `rtp-${++nextId}`;
    port.send({ type: 'attach', sessionId, rate: 8000 });
    const s = await RtpSession.open({ port, sessionId, bindAddress: '::', portRange: RANGE, codec: { name: 'PCMU', payloadType: 0 }, strict: true });
    open.push(s);
    const far = await peer();
    s.setRemote({ address: '127.0.0.1', port: far.port });
    // Strict RTP trusts the SDP address at once, although the socket sees it as ::ffff:127.0.0.1.
    await sendTone(far.sock, s.localPort, { freq: 400, ms: 60, pt: 0 });
    await waitFor(() => s.stats().rxcount === 3 && far.got.length > 3, 'packets both ways');
    assert.equal(s.counters.strictDropped, 0);
    t.diagnostic(`sending to ${JSON.stringify(s.sendingTo)}`);
  });

  it('binds an even RTP port with RTCP above it, and frees both on close', async () => {
    const pair = ONE_PAIR;
    const sessionId = `rtp-${++nextId}`;
    port.send({ type: 'attach', sessionId, rate: 8000 });
    const first = await RtpSession.open({ port, sessionId, bindAddress: '127.0.0.1', portRange: pair, codec: { name: 'PCMU', payloadType: 0 } });
    assert.equal(first.localPort % 2, 0);
    assert.equal(first.rtcpPort, first.localPort + 1);
    await assert.rejects(RtpSession.open({ port, sessionId, bindAddress: '127.0.0.1', portRange: RANGE, codec: { name: 'PCMU', payloadType: 0 } }), /already has an RTP session/);
    const other = `rtp-${++nextId}`;
    port.send({ type: 'attach', sessionId: other, rate: 8000 });
    await assert.rejects(RtpSession.open({ port, sessionId: other, bindAddress: '127.0.0.1', portRange: pair, codec: { name: 'PCMU', payloadType: 0 } }), /No free RTP port/);
    await assert.rejects(RtpSession.open({ port, sessionId: other, bindAddress: '127.0.0.1', portRange: pair, codec: { name: 'G722' as never, payloadType: 9 } }), TypeError);
    await first.close();
    const again = await RtpSession.open({ port, sessionId, bindAddress: '127.0.0.1', portRange: pair, codec: { name: 'PCMU', payloadType: 0 } });
    assert.equal(again.localPort, first.localPort);
    await again.close();
    await again.close(); // twice is fine
    const stats = await ping(port);
    assert.ok(stats.sessions >= 1);
  });
});

const RTPSTAT_FIELDS = [
  'txcount', 'rxcount', 'txjitter', 'rxjitter', 'remote_maxjitter', 'remote_minjitter', 'remote_normdevjitter',
  'remote_stdevjitter', 'local_maxjitter', 'local_minjitter', 'local_normdevjitter', 'local_stdevjitter', 'txploss',
  'rxploss', 'remote_maxrxploss', 'remote_minrxploss', 'remote_normdevrxploss', 'remote_stdevrxploss',
  'local_maxrxploss', 'local_minrxploss', 'local_normdevrxploss', 'local_stdevrxploss', 'rtt', 'maxrtt', 'minrtt',
  'normdevrtt', 'stdevrtt', 'local_ssrc', 'remote_ssrc', 'txoctetcount', 'rxoctetcount', 'channel_uniqueid',
];

async function sendToneFrom(sock: dgram.Socket, to: number, o: { freq: number; seq: number; ssrc: number; count: number }): Promise<void> {
  const pcm = sine(o.freq, o.count * 20, 8000, 8000);
  for (let i = 0; i < o.count; i++) {
    const seq = o.seq + i;
    send(sock, serializeRtp({ marker: false, payloadType: 0, sequenceNumber: seq, timestamp: seq * 160, ssrc: o.ssrc }, ulawEncode(pcm.subarray(i * 160, i * 160 + 160))), to);
    await sleep(20);
  }
}

const concat = (parts: readonly Int16Array[]): Int16Array => concatFrames(parts.map((samples) => ({ samples })));

/** 30 ms PCMA packets of a sweeping signal, shaped like g711a.pcap's. */
function generatedPcma(count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const pcm = new Int16Array(240);
    for (let k = 0; k < 240; k++) {
      const t = i * 240 + k;
      pcm[k] = Math.round(6000 * Math.sin((2 * Math.PI * (300 + t / 20) * t) / 8000));
    }
    out.push(serializeRtp({ marker: i === 0, payloadType: 8, sequenceNumber: 100 + i, timestamp: i * 240, ssrc: 0x55 }, alawEncode(pcm)));
  }
  return out;
}
