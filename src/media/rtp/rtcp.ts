/**
 * RTCP (RFC 3550 §6): compound packets of sender reports (SR), receiver reports (RR), source descriptions
 * (SDES) and BYE, built and parsed as plain Buffers; the receiver statistics of Appendix A (sequence tracking
 * A.1, loss A.3, interarrival jitter A.8) and round-trip time from LSR/DLSR (§6.4.1).
 *
 * Parsing never throws: a compound packet whose lengths do not add up, or whose version is not 2, is rejected
 * as a whole (a string reason); unknown packet types inside a valid compound are skipped (kept as `unknown`).
 *
 * Time: NTP timestamps are 64-bit (seconds since 1900, fraction); the "middle 32 bits" (16.16 fixed point
 * seconds) are what LSR and DLSR carry. Wall-clock milliseconds are converted with `ntpFromMs`.
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;

/** Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
const NTP_UNIX_OFFSET = 2_208_988_800;

export interface ReportBlock {
  readonly ssrc: number;
  /** Fraction lost since the previous report, 0–255 (×1/256). */
  readonly fractionLost: number;
  /** Cumulative packets lost (signed 24 bits: duplicates can make it negative). */
  readonly cumulativeLost: number;
  readonly highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  readonly jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received from this source (0: none). */
  readonly lsr: number;
  /** Delay since that SR, in 1/65536 s. */
  readonly dlsr: number;
}

export interface SenderInfo {
  readonly ntpSec: number;
  readonly ntpFrac: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
}

export type RtcpPacket =
  | { readonly type: 'sr'; readonly ssrc: number; readonly sender: SenderInfo; readonly reports: readonly ReportBlock[] }
  | { readonly type: 'rr'; readonly ssrc: number; readonly reports: readonly ReportBlock[] }
  | { readonly type: 'sdes'; readonly chunks: readonly { readonly ssrc: number; readonly cname?: string }[] }
  | { readonly type: 'bye'; readonly ssrcs: readonly number[]; readonly reason?: string }
  | { readonly type: 'unknown'; readonly packetType: number };

/** `short`: not even a header, or a length past the end; `version`: V is not 2; `padding`: bad padding count. */
export type RtcpParseError = 'short' | 'version' | 'padding' | 'not-rtcp';

// ---------------------------------------------------------------------------------------------------------
// NTP time

export function ntpFromMs(ms: number): { sec: number; frac: number } {
  const seconds = Math.floor(ms / 1000);
  const frac = Math.floor(((ms - seconds * 1000) / 1000) * 0x1_0000_0000);
  return { sec: (seconds + NTP_UNIX_OFFSET) >>> 0, frac: frac >>> 0 };
}

/** The middle 32 bits of an NTP timestamp (16.16 seconds): what LSR carries. */
export function ntpMiddle(sec: number, frac: number): number {
  return (((sec & 0xffff) << 16) | (frac >>> 16)) >>> 0;
}

/**
 * Round-trip time in seconds from a report block received at `arrivalMs` (wall clock): arrival − LSR − DLSR, all
 * in 16.16 seconds (RFC 3550 §6.4.1). Undefined when the peer has no SR of ours yet (LSR 0) or the result is
 * negative (clocks or a forged block).
 */
export function roundTripSeconds(block: ReportBlock, arrivalMs: number): number | undefined {
  if (block.lsr === 0) return undefined;
  const a = ntpFromMs(arrivalMs);
  const rtt = (ntpMiddle(a.sec, a.frac) - block.lsr - block.dlsr) | 0;
  return rtt < 0 ? undefined : rtt / 65536;
}

// ---------------------------------------------------------------------------------------------------------
// Building

function writeBlock(out: Buffer, offset: number, b: ReportBlock): number {
  out.writeUInt32BE(b.ssrc >>> 0, offset);
  out[offset + 4] = b.fractionLost & 0xff;
  // 24-bit two's complement, clamped (RFC 3550 A.3: positive loss saturates at 0x7fffff).
  const lost = Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost)) & 0xffffff;
  out[offset + 5] = lost >> 16;
  out.writeUInt16BE(lost & 0xffff, offset + 6);
  out.writeUInt32BE(b.highestSeq >>> 0, offset + 8);
  out.writeUInt32BE(Math.max(0, Math.round(b.jitter)) >>> 0, offset + 12);
  out.writeUInt32BE(b.lsr >>> 0, offset + 16);
  out.writeUInt32BE(b.dlsr >>> 0, offset + 20);
  return offset + 24;
}

function header(out: Buffer, offset: number, count: number, packetType: number, lengthBytes: number): void {
  out[offset] = 0x80 | (count & 0x1f);
  out[offset + 1] = packetType;
  out.writeUInt16BE(lengthBytes / 4 - 1, offset + 2);
}

export function buildSenderReport(ssrc: number, sender: SenderInfo, reports: readonly ReportBlock[] = []): Buffer {
  const blocks = reports.slice(0, 31);
  const out = Buffer.alloc(28 + 24 * blocks.length);
  header(out, 0, blocks.length, RTCP_SR, out.length);
  out.writeUInt32BE(ssrc >>> 0, 4);
  out.writeUInt32BE(sender.ntpSec >>> 0, 8);
  out.writeUInt32BE(sender.ntpFrac >>> 0, 12);
  out.writeUInt32BE(sender.rtpTimestamp >>> 0, 16);
  out.writeUInt32BE(sender.packetCount >>> 0, 20);
  out.writeUInt32BE(sender.octetCount >>> 0, 24);
  let offset = 28;
  for (const b of blocks) offset = writeBlock(out, offset, b);
  return out;
}

export function buildReceiverReport(ssrc: number, reports: readonly ReportBlock[] = []): Buffer {
  const blocks = reports.slice(0, 31);
  const out = Buffer.alloc(8 + 24 * blocks.length);
  header(out, 0, blocks.length, RTCP_RR, out.length);
  out.writeUInt32BE(ssrc >>> 0, 4);
  let offset = 8;
  for (const b of blocks) offset = writeBlock(out, offset, b);
  return out;
}

/** One SDES chunk with a CNAME item (the only item RFC 3550 requires). */
export function buildSdes(ssrc: number, cname: string): Buffer {
  const name = Buffer.from(cname, 'utf8').subarray(0, 255);
  // ssrc, CNAME type + length + text, then at least one null octet ending the item list, padded to 32 bits.
  const chunk = 4 + 2 + name.length + 1;
  const padded = Math.ceil(chunk / 4) * 4;
  const out = Buffer.alloc(4 + padded);
  header(out, 0, 1, RTCP_SDES, out.length);
  out.writeUInt32BE(ssrc >>> 0, 4);
  out[8] = 1;
  out[9] = name.length;
  name.copy(out, 10);
  return out;
}

export function buildBye(ssrcs: readonly number[], reason?: string): Buffer {
  const list = ssrcs.slice(0, 31);
  const text = reason === undefined ? undefined : Buffer.from(reason, 'utf8').subarray(0, 255);
  const body = 4 * list.length + (text ? 1 + text.length : 0);
  const out = Buffer.alloc(4 + Math.ceil(body / 4) * 4);
  header(out, 0, list.length, RTCP_BYE, out.length);
  list.forEach((s, i) => out.writeUInt32BE(s >>> 0, 4 + 4 * i));
  if (text) {
    out[4 + 4 * list.length] = text.length;
    text.copy(out, 5 + 4 * list.length);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

function readBlocks(buf: Buffer, offset: number, count: number, end: number): ReportBlock[] | undefined {
  const blocks: ReportBlock[] = [];
  for (let i = 0; i < count; i++, offset += 24) {
    if (offset + 24 > end) return undefined;
    const lost = (buf[offset + 5]! << 16) | buf.readUInt16BE(offset + 6);
    blocks.push({
      ssrc: buf.readUInt32BE(offset),
      fractionLost: buf[offset + 4]!,
      cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
      highestSeq: buf.readUInt32BE(offset + 8),
      jitter: buf.readUInt32BE(offset + 12),
      lsr: buf.readUInt32BE(offset + 16),
      dlsr: buf.readUInt32BE(offset + 20),
    });
  }
  return blocks;
}

function readSdes(buf: Buffer, offset: number, count: number, end: number): { ssrc: number; cname?: string }[] | undefined {
  const chunks: { ssrc: number; cname?: string }[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > end) return undefined;
    const ssrc = buf.readUInt32BE(offset);
    offset += 4;
    let cname: string | undefined;
    // Items until a null type octet; then skip to the next 32-bit boundary.
    for (;;) {
      if (offset >= end) return undefined;
      const type = buf[offset]!;
      if (type === 0) break;
      if (offset + 2 > end) return undefined;
      const length = buf[offset + 1]!;
      if (offset + 2 + length > end) return undefined;
      if (type === 1) cname = buf.toString('utf8', offset + 2, offset + 2 + length);
      offset += 2 + length;
    }
    offset = (offset + 4) & ~3;
    chunks.push(cname === undefined ? { ssrc } : { ssrc, cname });
  }
  return chunks;
}

/** True when a datagram looks like RTCP (version 2, packet type 192–223), for demultiplexing. */
export function looksLikeRtcp(buf: Uint8Array): boolean {
  return buf.length >= 8 && buf[0]! >> 6 === 2 && buf[1]! >= 192 && buf[1]! <= 223;
}

/** Parses a compound packet. */
export function parseRtcp(buf: Buffer): RtcpPacket[] | RtcpParseError {
  if (buf.length < 4) return 'short';
  if (!looksLikeRtcp(buf)) return buf[0]! >> 6 !== 2 ? 'version' : buf.length < 8 ? 'short' : 'not-rtcp';
  const packets: RtcpPacket[] = [];
  let offset = 0;
  while (offset < buf.length) {
    if (offset + 4 > buf.length) return 'short';
    const b0 = buf[offset]!;
    if (b0 >> 6 !== 2) return 'version';
    const count = b0 & 0x1f;
    const packetType = buf[offset + 1]!;
    const length = (buf.readUInt16BE(offset + 2) + 1) * 4;
    let end = offset + length;
    if (end > buf.length) return 'short';
    if (b0 & 0x20) {
      // Only the last packet of a compound may be padded.
      if (end !== buf.length) return 'padding';
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > length - 4) return 'padding';
      end -= pad;
    }
    const body = offset + 4;
    switch (packetType) {
      case RTCP_SR: {
        if (body + 24 > end) return 'short';
        const reports = readBlocks(buf, body + 24, count, end);
        if (!reports) return 'short';
        packets.push({
          type: 'sr',
          ssrc: buf.readUInt32BE(body),
          sender: {
            ntpSec: buf.readUInt32BE(body + 4),
            ntpFrac: buf.readUInt32BE(body + 8),
            rtpTimestamp: buf.readUInt32BE(body + 12),
            packetCount: buf.readUInt32BE(body + 16),
            octetCount: buf.readUInt32BE(body + 20),
          },
          reports,
        });
        break;
      }
      case RTCP_RR: {
        if (body + 4 > end) return 'short';
        const reports = readBlocks(buf, body + 4, count, end);
        if (!reports) return 'short';
        packets.push({ type: 'rr', ssrc: buf.readUInt32BE(body), reports });
        break;
      }
      case RTCP_SDES: {
        const chunks = readSdes(buf, body, count, end);
        if (!chunks) return 'short';
        packets.push({ type: 'sdes', chunks });
        break;
      }
      case RTCP_BYE: {
        if (body + 4 * count > end) return 'short';
        const ssrcs: number[] = [];
        for (let i = 0; i < count; i++) ssrcs.push(buf.readUInt32BE(body + 4 * i));
        const at = body + 4 * count;
        if (at < end && at + 1 + buf[at]! <= end) {
          packets.push({ type: 'bye', ssrcs, reason: buf.toString('utf8', at + 1, at + 1 + buf[at]!) });
        } else packets.push({ type: 'bye', ssrcs });
        break;
      }
      default:
        packets.push({ type: 'unknown', packetType });
    }
    offset += length;
  }
  return packets;
}

// ---------------------------------------------------------------------------------------------------------
// Receiver statistics (RFC 3550 A.1, A.3, A.8)

const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const RTP_SEQ_MOD = 0x10000;

/**
 * What we know of the stream we receive from one SSRC. `update` per accepted packet, `report` per RTCP
 * interval. The sequence tracking is A.1's (minus its probation, which the session's strict RTP does); a jump
 * beyond `MAX_DROPOUT` is taken as a restarted stream after two packets in sequence.
 */
export class ReceiverStats {
  readonly ssrc: number;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transit: number | undefined;
  /** Interarrival jitter in timestamp units (A.8's estimator, kept as a float). */
  jitter = 0;
  /** Middle 32 bits of the last SR from this source, and when it arrived (ms). */
  #lsr = 0;
  #lsrAtMs = 0;
  readonly #rate: number;

  #started = false;

  constructor(ssrc: number, rate = 8000) {
    this.ssrc = ssrc;
    this.#rate = rate;
  }

  #init(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
    this.received = 0;
    this.#expectedPrior = 0;
    this.#receivedPrior = 0;
  }

  /** Extended highest sequence number received. */
  get extendedMax(): number {
    return this.#cycles + this.#maxSeq;
  }

  get expected(): number {
    return this.#started ? this.extendedMax - this.#baseSeq + 1 : 0;
  }

  /** Cumulative lost (expected − received; negative with duplicates). */
  get lost(): number {
    return this.expected - this.received;
  }

  /** Jitter in seconds. */
  get jitterSeconds(): number {
    return this.jitter / this.#rate;
  }

  /**
   * One packet: its sequence number, RTP timestamp and arrival time (ms, any monotonic clock). Returns false for a
   * packet A.1 rejects (a big jump not yet confirmed), which the caller should not play.
   */
  update(seq: number, timestamp: number, arrivalMs: number): boolean {
    const udelta = (seq - this.#maxSeq) & 0xffff;
    if (!this.#started) {
      this.#started = true;
      this.#init(seq);
    } else if (udelta < MAX_DROPOUT) {
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD;
      this.#maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: restart only if the next packet follows this one.
      if (seq === this.#badSeq) {
        this.#init(seq);
      } else {
        this.#badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: a duplicate or reordered packet, counted below.
    this.received++;
    // A.8: transit = arrival (timestamp units) − RTP timestamp; jitter += (|D| − jitter) / 16.
    const arrival = Math.round((arrivalMs * this.#rate) / 1000);
    const transit = (arrival - timestamp) | 0;
    if (this.#transit !== undefined) {
      const d = Math.abs((transit - this.#transit) | 0);
      this.jitter += (d - this.jitter) / 16;
    }
    this.#transit = transit;
    return true;
  }

  /** Notes an SR from this source (for LSR/DLSR in our next report). */
  senderReport(sender: SenderInfo, arrivalMs: number): void {
    this.#lsr = ntpMiddle(sender.ntpSec, sender.ntpFrac);
    this.#lsrAtMs = arrivalMs;
  }

  /** A report block for now (A.3: fraction lost over the interval since the previous call). */
  report(nowMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    this.#expectedPrior = expected;
    const receivedInterval = this.received - this.#receivedPrior;
    this.#receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval << 8) / expectedInterval));
    return {
      ssrc: this.ssrc,
      fractionLost,
      cumulativeLost: this.lost,
      highestSeq: this.extendedMax >>> 0,
      jitter: Math.floor(this.jitter),
      lsr: this.#lsr,
      dlsr: this.#lsr === 0 ? 0 : Math.max(0, Math.round(((nowMs - this.#lsrAtMs) * 65536) / 1000)),
    };
  }
}

/** Running min, max, mean and standard deviation (Welford), as the RTPstat min/max/normdev/stdev fields use. */
export class RunningStats {
  count = 0;
  min = 0;
  max = 0;
  mean = 0;
  #m2 = 0;
  last: number | undefined;

  add(x: number): void {
    this.last = x;
    this.count++;
    if (this.count === 1) {
      this.min = x;
      this.max = x;
    } else {
      if (x < this.min) this.min = x;
      if (x > this.max) this.max = x;
    }
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.#m2 += delta * (x - this.mean);
  }

  get stdev(): number {
    return this.count > 1 ? Math.sqrt(this.#m2 / this.count) : 0;
  }
}
