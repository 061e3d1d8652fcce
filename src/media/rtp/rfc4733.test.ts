import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseRtp, type RtpPacket } from './packet.ts';
import {
  decodeTelephoneEvent,
  digitOfEvent,
  encodeTelephoneEvent,
  eventOfDigit,
  TelephoneEventReceiver,
  TelephoneEventSender,
  type DtmfEvent,
} from './rfc4733.ts';
import { readPcapUdp, SIPP_PCAP_DIR } from './test-pcap.ts';

const ev = (event: number, end: boolean, duration: number): Buffer => encodeTelephoneEvent({ event, end, volume: 10, duration });

describe('RFC 4733 payload', () => {
  it('encodes and decodes byte for byte', () => {
    assert.equal(ev(1, false, 0).toString('hex'), '010a0000');
    assert.equal(ev(11, true, 2240).toString('hex'), '0b8a08c0');
    assert.deepEqual(decodeTelephoneEvent(Buffer.from('0b8a08c0', 'hex')), { event: 11, end: true, volume: 10, duration: 2240 });
    assert.deepEqual(decodeTelephoneEvent(Buffer.from('05bf0140', 'hex')), { event: 5, end: true, volume: 63, duration: 320 });
    assert.equal(decodeTelephoneEvent(Buffer.from('0101', 'hex')), undefined);
  });

  it('maps digits and events', () => {
    assert.equal(eventOfDigit('*'), 10);
    assert.equal(eventOfDigit('#'), 11);
    assert.equal(eventOfDigit('d'), 15);
    assert.equal(eventOfDigit('X'), 16);
    assert.equal(eventOfDigit('E'), undefined);
    assert.equal(eventOfDigit('12'), undefined);
    assert.equal(digitOfEvent(0), '0');
    assert.equal(digitOfEvent(12), 'A');
    assert.equal(digitOfEvent(16), 'X');
    assert.equal(digitOfEvent(32), undefined);
  });
});

describe('RFC 4733 sender', () => {
  it('sends a marked start, updates every 50 ms and three end packets', () => {
    const s = new TelephoneEventSender('5', 200, 1000);
    const start = s.start();
    assert.equal(start.marker, true);
    assert.deepEqual(decodeTelephoneEvent(start.payload), { event: 5, end: false, volume: 10, duration: 160 });
    const sent: { at: number; e: ReturnType<typeof decodeTelephoneEvent> }[] = [];
    // Poll every 10 ms, as a timer would.
    for (let t = 1000; t <= 1300 && !s.done; t += 10) for (const p of s.poll(t)) sent.push({ at: t, e: decodeTelephoneEvent(p.payload) });
    const updates = sent.filter((x) => !x.e!.end);
    const ends = sent.filter((x) => x.e!.end);
    assert.deepEqual(updates.map((x) => x.at), [1050, 1100, 1150]);
    assert.deepEqual(updates.map((x) => x.e!.duration), [400, 800, 1200]);
    assert.equal(ends.length, 3);
    for (const x of ends) assert.deepEqual(x.e, { event: 5, end: true, volume: 10, duration: 1600 });
    assert.ok(ends.every((x) => x.at === 1200));
    assert.equal(s.done, true);
    assert.equal(s.nextDueMs, undefined);
    assert.deepEqual(s.poll(2000), []);
    assert.throws(() => new TelephoneEventSender('Z', 100, 0), TypeError);
  });

  it('ends early with the duration so far', () => {
    const s = new TelephoneEventSender('#', 1000, 0);
    s.start();
    const ends = s.finish(120);
    assert.equal(ends.length, 3);
    assert.equal(decodeTelephoneEvent(ends[0]!.payload)!.duration, 960);
    assert.equal(s.done, true);
  });
});

describe('RFC 4733 receiver', () => {
  it('reports begin once and end once with the duration, whatever the copies', () => {
    const r = new TelephoneEventReceiver();
    const out: DtmfEvent[] = [];
    out.push(...r.receive(ev(1, false, 0), 8000, 0));
    out.push(...r.receive(ev(1, false, 0), 8000, 1)); // duplicate start
    out.push(...r.receive(ev(1, false, 400), 8000, 50));
    out.push(...r.receive(ev(1, true, 800), 8000, 100));
    out.push(...r.receive(ev(1, true, 800), 8000, 101));
    out.push(...r.receive(ev(1, true, 800), 8000, 102));
    out.push(...r.receive(ev(1, false, 400), 8000, 103)); // a late update of an ended event
    assert.deepEqual(out, [{ type: 'begin', digit: '1' }, { type: 'end', digit: '1', durationMs: 100 }]);
    assert.equal(r.active, undefined);
  });

  it('handles a lost start and a lost everything-but-the-end', () => {
    const r = new TelephoneEventReceiver();
    assert.deepEqual(r.receive(ev(2, false, 480), 100, 0), [{ type: 'begin', digit: '2' }]);
    assert.deepEqual(r.receive(ev(2, true, 960), 100, 60), [{ type: 'end', digit: '2', durationMs: 120 }]);
    // Only an end packet of the next digit arrives: both are reported.
    assert.deepEqual(r.receive(ev(12, true, 1600), 5000, 500), [
      { type: 'begin', digit: 'A' },
      { type: 'end', digit: 'A', durationMs: 200 },
    ]);
    // Old packets (a timestamp before the last event) are ignored.
    assert.deepEqual(r.receive(ev(3, false, 160), 4000, 510), []);
  });

  it('ends a digit whose end packets are lost: by time, by audio, or by the next digit', () => {
    const r = new TelephoneEventReceiver({ timeoutMs: 150 });
    r.receive(ev(7, false, 160), 1000, 0);
    r.receive(ev(7, false, 800), 1000, 80);
    assert.deepEqual(r.tick(200), []);
    assert.deepEqual(r.tick(230), [{ type: 'end', digit: '7', durationMs: 100 }]);
    // By audio past timestamp + duration + timeout (1200 samples at 8 kHz).
    r.receive(ev(8, false, 400), 20000, 1000);
    assert.deepEqual(r.audio(20000 + 400 + 1200), []);
    assert.deepEqual(r.audio(20000 + 400 + 1201), [{ type: 'end', digit: '8', durationMs: 50 }]);
    // By the next digit.
    r.receive(ev(9, false, 400), 30000, 2000);
    assert.deepEqual(r.receive(ev(0, false, 0), 31000, 2020), [
      { type: 'end', digit: '9', durationMs: 50 },
      { type: 'begin', digit: '0' },
    ]);
  });

  it('follows timestamps across the 32-bit wrap and durations past 16 bits', () => {
    const r = new TelephoneEventReceiver();
    r.receive(ev(4, false, 60000), 0xffffff00, 0);
    r.receive(ev(4, false, 65000), 0xffffff00, 50);
    r.receive(ev(4, false, 2000), 0xffffff00, 100); // wrapped: 65536 + 2000
    assert.deepEqual(r.receive(ev(4, true, 2000), 0xffffff00, 150), [{ type: 'end', digit: '4', durationMs: 8442 }]);
    // The next event has a wrapped (small) timestamp and is still newer.
    assert.deepEqual(r.receive(ev(5, true, 800), 0x00000100, 200), [
      { type: 'begin', digit: '5' },
      { type: 'end', digit: '5', durationMs: 100 },
    ]);
  });

  it('ignores non-DTMF events and short payloads', () => {
    const r = new TelephoneEventReceiver();
    assert.deepEqual(r.receive(ev(70, false, 0), 1, 0), []);
    assert.deepEqual(r.receive(Buffer.from([1, 2]), 1, 0), []);
  });

  // The RTP packets of SIPp's /usr/share/sip-tester/dtmf_2833_1.pcap, 20 ms apart (the end packet three times).
  const SIPP_DIGIT_1 = [
    '80e51f30000033e00e05384e010a0000',
    '80651f31000033e00e05384e010a0140',
    '80651f32000033e00e05384e010a0280',
    '80651f33000033e00e05384e010a03c0',
    '80651f34000033e00e05384e010a0500',
    '80651f35000033e00e05384e010a0640',
    '80651f36000033e00e05384e010a0780',
    '80651f37000033e00e05384e018a08c0',
    '80651f37000033e00e05384e018a08c0',
    '80651f37000033e00e05384e018a08c0',
  ];
  it("reads the digit of SIPp's dtmf_2833_1.pcap", () => {
    const r = new TelephoneEventReceiver();
    const out: DtmfEvent[] = [];
    SIPP_DIGIT_1.forEach((h, i) => {
      const p = parseRtp(Buffer.from(h, 'hex')) as RtpPacket;
      assert.equal(p.payloadType, 101);
      out.push(...r.receive(p.payload, p.timestamp, Math.min(i, 7) * 20));
    });
    assert.deepEqual(out, [{ type: 'begin', digit: '1' }, { type: 'end', digit: '1', durationMs: 280 }]);
  });

  it('agrees with the pcap file itself when sip-tester is installed', () => {
    const pcap = path.join(SIPP_PCAP_DIR, 'dtmf_2833_1.pcap');
    if (!fs.existsSync(pcap)) return; // the bytes above are the same packets
    assert.deepEqual(readPcapUdp(pcap).map((d) => d.payload.toString('hex')), SIPP_DIGIT_1);
  });
});
