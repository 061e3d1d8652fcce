import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildBye,
  buildReceiverReport,
  buildSdes,
  buildSenderReport,
  looksLikeRtcp,
  ntpFromMs,
  ntpMiddle,
  parseRtcp,
  ReceiverStats,
  roundTripSeconds,
  RunningStats,
  type ReportBlock,
  type RtcpPacket,
} from './rtcp.ts';

const block: ReportBlock = { ssrc: 0x11223344, fractionLost: 64, cumulativeLost: 5, highestSeq: 0x1_0005, jitter: 37, lsr: 0xaabbccdd, dlsr: 0x8000 };

function ok(r: RtcpPacket[] | string): RtcpPacket[] {
  assert.ok(Array.isArray(r), `parse failed: ${String(r)}`);
  return r;
}

describe('RTCP packets', () => {
  it('builds an SR byte for byte', () => {
    const sr = buildSenderReport(0x01020304, { ntpSec: 0xe0000001, ntpFrac: 0x80000000, rtpTimestamp: 160, packetCount: 50, octetCount: 8000 }, [block]);
    assert.equal(
      sr.toString('hex'),
      '81c8000c' + '01020304' + 'e0000001' + '80000000' + '000000a0' + '00000032' + '00001f40' +
        '11223344' + '40' + '000005' + '00010005' + '00000025' + 'aabbccdd' + '00008000',
    );
  });

  it('parses a compound SR + SDES + BYE and an RR', () => {
    const compound = Buffer.concat([
      buildSenderReport(7, { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 }, [block, { ...block, ssrc: 9, cumulativeLost: -3 }]),
      buildSdes(7, 'alice@example.com'),
      buildBye([7], 'bye now'),
    ]);
    assert.equal(compound.length % 4, 0);
    const packets = ok(parseRtcp(compound));
    assert.equal(packets.length, 3);
    const [sr, sdes, bye] = packets;
    assert.deepEqual(sr, {
      type: 'sr',
      ssrc: 7,
      sender: { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 },
      reports: [block, { ...block, ssrc: 9, cumulativeLost: -3 }],
    });
    assert.deepEqual(sdes, { type: 'sdes', chunks: [{ ssrc: 7, cname: 'alice@example.com' }] });
    assert.deepEqual(bye, { type: 'bye', ssrcs: [7], reason: 'bye now' });
    assert.deepEqual(ok(parseRtcp(buildReceiverReport(8, [block]))), [{ type: 'rr', ssrc: 8, reports: [block] }]);
    assert.deepEqual(ok(parseRtcp(buildReceiverReport(8))), [{ type: 'rr', ssrc: 8, reports: [] }]);
    // Loss saturates at 24 bits.
    const big = ok(parseRtcp(buildReceiverReport(8, [{ ...block, cumulativeLost: 1e9 }])))[0];
    assert.ok(big?.type === 'rr' && big.reports[0]?.cumulativeLost === 0x7fffff);
  });

  it('sizes SDES chunks to 32 bits for every name length', () => {
    for (let n = 0; n < 12; n++) {
      const sdes = buildSdes(1, 'x'.repeat(n));
      assert.equal(sdes.length % 4, 0);
      assert.deepEqual(ok(parseRtcp(sdes)), [{ type: 'sdes', chunks: [{ ssrc: 1, cname: 'x'.repeat(n) }] }]);
    }
  });

  it('keeps unknown packet types (APP, XR) and rejects broken compounds', () => {
    const app = Buffer.from('80cc0002' + '00000001' + '41424344', 'hex');
    assert.deepEqual(ok(parseRtcp(Buffer.concat([buildReceiverReport(1), app]))), [
      { type: 'rr', ssrc: 1, reports: [] },
      { type: 'unknown', packetType: 204 },
    ]);
    const rr = buildReceiverReport(1, [block]);
    assert.equal(parseRtcp(rr.subarray(0, rr.length - 4)), 'short'); // length says more
    assert.equal(parseRtcp(Buffer.from('81c90001' + '00000001', 'hex')), 'short'); // RC=1 with no block
    assert.equal(parseRtcp(Buffer.from('40c90001' + '00000001', 'hex')), 'version');
    assert.equal(parseRtcp(Buffer.from('8000000100000001', 'hex')), 'not-rtcp'); // an RTP-looking packet
    assert.equal(parseRtcp(Buffer.alloc(2)), 'short');
    // Padding on a packet that is not the last of the compound, and a zero padding count.
    assert.equal(parseRtcp(Buffer.concat([Buffer.from('a0c90001' + '00000001', 'hex'), rr])), 'padding');
    assert.equal(parseRtcp(Buffer.from('a0c90002' + '00000001' + '00000000', 'hex')), 'padding');
    // A valid padded last packet.
    assert.deepEqual(ok(parseRtcp(Buffer.from('a0c90002' + '00000001' + '00000004', 'hex'))), [{ type: 'rr', ssrc: 1, reports: [] }]);
    assert.equal(looksLikeRtcp(rr), true);
    assert.equal(looksLikeRtcp(Buffer.from('80000001000000010000', 'hex')), false);
    // Garbage never throws.
    let seed = 3;
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.alloc(4 + (i % 64));
      for (let k = 0; k < b.length; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        b[k] = seed & 0xff;
      }
      b[0] = (b[0]! & 0x3f) | 0x80;
      b[1] = 200 + (i % 5);
      parseRtcp(b);
    }
  });
});

describe('RTCP time and round trip', () => {
  it('converts wall time to NTP and takes the middle 32 bits', () => {
    const t = ntpFromMs(Date.UTC(2026, 0, 1) + 500);
    assert.equal(t.sec, Date.UTC(2026, 0, 1) / 1000 + 2_208_988_800); // NTP era 0 lasts until 2036
    assert.equal(t.frac, 0x80000000);
    assert.equal(ntpMiddle(0x12345678, 0x9abcdef0), 0x56789abc);
  });

  it('computes RTT from LSR and DLSR', () => {
    const sentAt = 1_000_000;
    const ntp = ntpFromMs(sentAt);
    const lsr = ntpMiddle(ntp.sec, ntp.frac);
    // The peer held our SR for 250 ms, and the report arrives 300 ms after we sent the SR: RTT 50 ms.
    const rtt = roundTripSeconds({ ...block, lsr, dlsr: 0.25 * 65536 }, sentAt + 300);
    assert.ok(rtt !== undefined && Math.abs(rtt - 0.05) < 0.001, String(rtt));
    assert.equal(roundTripSeconds({ ...block, lsr: 0 }, sentAt), undefined);
    assert.equal(roundTripSeconds({ ...block, lsr, dlsr: 2 * 65536 }, sentAt + 300), undefined);
  });
});

describe('Receiver statistics (RFC 3550 A.1, A.3, A.8)', () => {
  it('counts expected, lost and fraction lost per interval', () => {
    const s = new ReceiverStats(42);
    for (let i = 0; i < 100; i++) if (i % 10 !== 3) s.update(1000 + i, i * 160, i * 20);
    assert.equal(s.expected, 100);
    assert.equal(s.received, 90);
    assert.equal(s.lost, 10);
    const r1 = s.report(2000);
    assert.equal(r1.fractionLost, Math.floor((10 * 256) / 100));
    assert.equal(r1.cumulativeLost, 10);
    assert.equal(r1.highestSeq, 1099);
    assert.equal(r1.jitter, 0);
    // An interval without loss reports fraction 0 but keeps the cumulative count.
    for (let i = 100; i < 150; i++) s.update(1000 + i, i * 160, i * 20);
    const r2 = s.report(3000);
    assert.equal(r2.fractionLost, 0);
    assert.equal(r2.cumulativeLost, 10);
  });

  it('extends the sequence number across its wrap', () => {
    const s = new ReceiverStats(1);
    for (let i = 0; i < 20; i++) s.update((65530 + i) & 0xffff, i * 160, i * 20);
    assert.equal(s.extendedMax, 65536 + 13);
    assert.equal(s.lost, 0);
    assert.equal(s.report(0).highestSeq, 65549);
    // Duplicates make loss negative, as the RFC allows.
    s.update(13, 19 * 160, 400);
    assert.equal(s.lost, -1);
    // A late (reordered) packet does not move the highest sequence.
    s.update(10, 16 * 160, 410);
    assert.equal(s.extendedMax, 65549);
  });

  it('restarts after a big jump only once the new sequence is confirmed', () => {
    const s = new ReceiverStats(1);
    for (let i = 0; i < 10; i++) s.update(100 + i, i * 160, i * 20);
    assert.equal(s.update(40000, 0, 300), false);
    assert.equal(s.update(40001, 160, 320), true);
    assert.equal(s.expected, 1);
    assert.equal(s.lost, 0);
  });

  it('estimates interarrival jitter (timestamp wrap included)', () => {
    const s = new ReceiverStats(1);
    // Packets every 20 ms of media, arriving alternately 0 and 10 ms late: |D| = 80 samples each time.
    for (let i = 0; i < 400; i++) s.update(i, (0xfffff000 + i * 160) >>> 0, i * 20 + (i % 2) * 10);
    assert.ok(Math.abs(s.jitter - 80) < 1, String(s.jitter));
    assert.ok(Math.abs(s.jitterSeconds - 0.01) < 0.0002);
    assert.equal(s.report(0).jitter, Math.floor(s.jitter));
  });

  it('reports LSR and DLSR after an SR', () => {
    const s = new ReceiverStats(1);
    s.update(1, 0, 0);
    assert.equal(s.report(0).lsr, 0);
    s.senderReport({ ntpSec: 0x00010002, ntpFrac: 0x00030000, rtpTimestamp: 0, packetCount: 1, octetCount: 160 }, 1000);
    const r = s.report(1500);
    assert.equal(r.lsr, 0x00020003);
    assert.equal(r.dlsr, 32768);
  });

  it('keeps running min/max/mean/stdev', () => {
    const r = new RunningStats();
    for (const x of [2, 4, 4, 4, 5, 5, 7, 9]) r.add(x);
    assert.deepEqual([r.min, r.max, r.mean, r.stdev, r.last], [2, 9, 5, 2, 9]);
  });
});
