import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRtp, random16, random32, RTP_HEADER_LENGTH, seqDelta, serializeRtp, tsDelta, writeRtpHeader, type RtpPacket } from './packet.ts';

function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\s+/g, ''), 'hex');
}

function ok(result: RtpPacket | string): RtpPacket {
  assert.notEqual(typeof result, 'string', `parse failed: ${String(result)}`);
  return result as RtpPacket;
}

describe('RTP packets', () => {
  it('parses a plain PCMU packet byte for byte', () => {
    // V=2, M=1, PT=0, seq 0x1234, ts 0xdeadbeef, SSRC 0x01020304, 4 payload bytes.
    const p = ok(parseRtp(hex('80 80 1234 deadbeef 01020304 ff7f0080')));
    assert.equal(p.marker, true);
    assert.equal(p.payloadType, 0);
    assert.equal(p.sequenceNumber, 0x1234);
    assert.equal(p.timestamp, 0xdeadbeef);
    assert.equal(p.ssrc, 0x01020304);
    assert.deepEqual([...p.payload], [0xff, 0x7f, 0x00, 0x80]);
    assert.equal(p.padding, false);
    assert.equal(p.extension, false);
    assert.deepEqual(p.csrcs, []);
  });

  it('reads CSRCs, skips a header extension and strips padding', () => {
    // CC=2, X=1, P=1; extension profile 0xbede with 1 word; payload aa bb; 3 bytes of padding (00 00 03).
    const buf = hex('b2 08 0001 00000010 0000000a 11111111 22222222 bede0001 01020304 aabb 000003');
    const p = ok(parseRtp(buf));
    assert.equal(p.payloadType, 8);
    assert.equal(p.marker, false);
    assert.deepEqual(p.csrcs, [0x11111111, 0x22222222]);
    assert.equal(p.extension, true);
    assert.equal(p.padding, true);
    assert.deepEqual([...p.payload], [0xaa, 0xbb]);
  });

  it('rejects junk with a reason and never throws', () => {
    assert.equal(parseRtp(Buffer.alloc(0)), 'short');
    assert.equal(parseRtp(hex('80 00 0001 00000001 000000')), 'short'); // 11 bytes
    assert.equal(parseRtp(hex('40 00 0001 00000001 00000001 ff')), 'version'); // V=1
    assert.equal(parseRtp(hex('c0 00 0001 00000001 00000001 ff')), 'version'); // V=3
    assert.equal(parseRtp(hex('83 00 0001 00000001 00000001 11111111')), 'short'); // CC=3, one CSRC present
    assert.equal(parseRtp(hex('90 00 0001 00000001 00000001 bede')), 'short'); // truncated extension header
    assert.equal(parseRtp(hex('90 00 0001 00000001 00000001 bede0004 00000000')), 'short'); // extension longer than packet
    assert.equal(parseRtp(hex('a0 00 0001 00000001 00000001 ffff00')), 'padding'); // padding count 0
    assert.equal(parseRtp(hex('a0 00 0001 00000001 00000001 ff09')), 'padding'); // padding longer than the body
    assert.equal(parseRtp(hex('80 c8 0006 00000001 00000001')), 'payload-type'); // an SR on the RTP port
    // Padding that eats the whole payload is valid (empty payload).
    assert.equal(ok(parseRtp(hex('a0 00 0001 00000001 00000001 0002'))).payload.length, 0);
    // Random garbage: always a packet or a reason.
    let seed = 7;
    for (let i = 0; i < 5000; i++) {
      const len = i % 40;
      const b = Buffer.alloc(len);
      for (let k = 0; k < len; k++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        b[k] = seed & 0xff;
      }
      if (len > 0 && i % 2 === 0) b[0] = (b[0]! & 0x3f) | 0x80; // half of them claim version 2
      const r = parseRtp(b);
      if (typeof r !== 'string') assert.ok(r.payload.length <= len - RTP_HEADER_LENGTH);
    }
  });

  it('serialises what it parses', () => {
    const payload = Buffer.from([1, 2, 3, 4, 5]);
    const buf = serializeRtp({ marker: true, payloadType: 101, sequenceNumber: 65535, timestamp: 0xffffffff, ssrc: 0x80000001, csrcs: [7] }, payload);
    assert.equal(buf.toString('hex'), '81e5ffffffffffff80000001' + '00000007' + '0102030405');
    const p = ok(parseRtp(buf));
    assert.equal(p.payloadType, 101);
    assert.equal(p.sequenceNumber, 65535);
    assert.equal(p.timestamp, 0xffffffff);
    assert.equal(p.ssrc, 0x80000001);
    assert.deepEqual(p.csrcs, [7]);
    assert.deepEqual([...p.payload], [1, 2, 3, 4, 5]);
    // Out-of-range numbers wrap into their fields.
    const out = Buffer.alloc(12);
    assert.equal(writeRtpHeader(out, { marker: false, payloadType: 8, sequenceNumber: 65536 + 5, timestamp: 2 ** 32 + 9, ssrc: -1 }), 12);
    const q = ok(parseRtp(Buffer.concat([out, Buffer.from([0])])));
    assert.equal(q.sequenceNumber, 5);
    assert.equal(q.timestamp, 9);
    assert.equal(q.ssrc, 0xffffffff);
  });

  it('computes sequence and timestamp distances across wraparound', () => {
    assert.equal(seqDelta(0, 65535), 1);
    assert.equal(seqDelta(65535, 0), -1);
    assert.equal(seqDelta(10, 5), 5);
    assert.equal(seqDelta(5, 10), -5);
    assert.equal(seqDelta(32767, 0), 32767);
    assert.equal(tsDelta(80, 0xffffffb0), 160);
    assert.equal(tsDelta(0xffffffb0, 80), -160);
  });

  it('draws random SSRCs and sequence starts in range', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const s = random32();
      assert.ok(Number.isInteger(s) && s >= 0 && s <= 0xffffffff);
      seen.add(s);
      const q = random16();
      assert.ok(q >= 0 && q <= 0xffff);
    }
    assert.ok(seen.size > 95);
  });
});
