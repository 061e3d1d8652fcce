/**
 * RTP packets (RFC 3550 §5.1) as plain functions over Buffers: parse a received datagram, write a header into a
 * buffer the caller owns, and the 16/32-bit sequence arithmetic every receiver needs.
 *
 * Parsing never throws: a datagram off the network is untrusted, so anything that is not a well-formed RTP
 * packet comes back as a short error word (`RtpParseError`) the caller counts and drops. The payload of a parsed
 * packet is a view into the datagram (no copy); header extensions and CSRCs are validated and skipped, since
 * nothing in Ariadne uses them yet, but their presence is reported.
 *
 * Writing is split so the hot path allocates once: `writeRtpHeader` fills 12 (+4 per CSRC) bytes of a buffer
 * and the codec encodes straight after it (`g711.ts` `*EncodeInto`). `serializeRtp` is the convenient form.
 */

import { randomBytes } from 'node:crypto';

/** Fixed header length, without CSRCs or extension. */
export const RTP_HEADER_LENGTH = 12;

export interface RtpHeaderFields {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs?: readonly number[];
}

export interface RtpPacket extends RtpHeaderFields {
  readonly padding: boolean;
  /** True when the packet carried a header extension (skipped). */
  readonly extension: boolean;
  readonly csrcs: readonly number[];
  /** The media bytes: a view into the datagram, padding and extension excluded. */
  readonly payload: Buffer;
}

/**
 * Why a datagram is not an RTP packet: `short` (less than a header, or CSRCs/extension running past the end),
 * `version` (V is not 2), `padding` (a padding count of 0 or longer than what follows the header),
 * `payload-type` (72–76: an RTCP packet sent to the RTP port, RFC 5761 §4).
 */
export type RtpParseError = 'short' | 'version' | 'padding' | 'payload-type';

const NO_CSRCS: readonly number[] = Object.freeze([]);

/** Parses one datagram; a string is the reason it is not RTP. */
export function parseRtp(buf: Buffer): RtpPacket | RtpParseError {
  const length = buf.length;
  if (length < RTP_HEADER_LENGTH) return 'short';
  const b0 = buf[0]!;
  if (b0 >> 6 !== 2) return 'version';
  const b1 = buf[1]!;
  const payloadType = b1 & 0x7f;
  if (payloadType >= 72 && payloadType <= 76) return 'payload-type';
  const cc = b0 & 0x0f;
  let offset = RTP_HEADER_LENGTH + cc * 4;
  if (offset > length) return 'short';
  let csrcs = NO_CSRCS;
  if (cc > 0) {
    const list: number[] = [];
    for (let i = 0; i < cc; i++) list.push(buf.readUInt32BE(RTP_HEADER_LENGTH + i * 4));
    csrcs = list;
  }
  const extension = (b0 & 0x10) !== 0;
  if (extension) {
    // A 4-byte extension header (profile, length in 32-bit words) and that many words follow the CSRCs.
    if (offset + 4 > length) return 'short';
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
    if (offset > length) return 'short';
  }
  let end = length;
  const padding = (b0 & 0x20) !== 0;
  if (padding) {
    // The last byte counts the padding bytes, itself included: 0 is invalid, and padding may not eat the header.
    const count = buf[length - 1]!;
    if (count === 0 || count > length - offset) return 'padding';
    end -= count;
  }
  return {
    padding,
    extension,
    marker: (b1 & 0x80) !== 0,
    payloadType,
    sequenceNumber: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    csrcs,
    payload: buf.subarray(offset, end),
  };
}

/** Writes the header at `offset` (V=2, no padding, no extension); returns the header length. */
export function writeRtpHeader(out: Buffer, fields: RtpHeaderFields, offset = 0): number {
  const csrcs = fields.csrcs ?? NO_CSRCS;
  if (csrcs.length > 15) throw new RangeError('RTP carries at most 15 CSRCs');
  out[offset] = 0x80 | csrcs.length;
  out[offset + 1] = (fields.marker ? 0x80 : 0) | (fields.payloadType & 0x7f);
  out.writeUInt16BE(fields.sequenceNumber & 0xffff, offset + 2);
  out.writeUInt32BE(fields.timestamp >>> 0, offset + 4);
  out.writeUInt32BE(fields.ssrc >>> 0, offset + 8);
  for (let i = 0; i < csrcs.length; i++) out.writeUInt32BE(csrcs[i]! >>> 0, offset + RTP_HEADER_LENGTH + i * 4);
  return RTP_HEADER_LENGTH + csrcs.length * 4;
}

/** A whole packet in a new Buffer. */
export function serializeRtp(fields: RtpHeaderFields, payload: Uint8Array): Buffer {
  const headerLength = RTP_HEADER_LENGTH + (fields.csrcs?.length ?? 0) * 4;
  const out = Buffer.allocUnsafe(headerLength + payload.length);
  writeRtpHeader(out, fields, 0);
  out.set(payload, headerLength);
  return out;
}

/** `a - b` for 16-bit sequence numbers, as a signed distance in -32768..32767 (wraps). */
export function seqDelta(a: number, b: number): number {
  return (((a - b) & 0xffff) << 16) >> 16;
}

/** `a - b` for 32-bit RTP timestamps, as a signed distance (wraps). */
export function tsDelta(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * A random 32-bit value (SSRCs, initial timestamps) and a random 16-bit one (initial sequence numbers), from the
 * system's CSPRNG: RFC 3550 asks for unpredictable starting points so that packets are hard to forge.
 */
export function random32(): number {
  return randomBytes(4).readUInt32BE(0);
}

export function random16(): number {
  return randomBytes(2).readUInt16BE(0);
}
