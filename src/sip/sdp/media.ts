/**
 * What an SDP body means for media: per `m=` line, where to send RTP (and RTCP), which payload types carry
 * which encodings, the packet time, the direction and whether the stream was rejected.
 *
 * `describeSdp` applies the RFC 8866/3264/3551 rules the offer/answer code relies on:
 * - the connection address is the media-level `c=` when present, else the session-level one; a stream that
 *   is not rejected must have one of the two (otherwise `SdpMediaError`);
 * - port 0 marks a rejected (or disabled) stream;
 * - a static payload type without `a=rtpmap` has its RFC 3551 meaning (0 = PCMU/8000, 8 = PCMA/8000, ...);
 *   a dynamic one without `a=rtpmap` cannot be used and is left out of `payloads`;
 * - the direction is the media-level attribute, else the session-level one, else `sendrecv`; the RFC 2543
 *   way of holding (`c=` address 0.0.0.0) is reported as `nullAddressHold`;
 * - `a=rtcp:<port> [IN IP4 <address>]` (RFC 3605) overrides the default RTCP port (RTP port + 1).
 *
 * The codec table maps Asterisk's codec names (as used by pjsip.conf `allow=`) to their RTP encodings.
 */

import * as net from 'node:net';
import type { SdpAttribute, SdpMedia, SdpOrigin, SdpSession } from './sdp.ts';

export type SdpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

/** One payload type of an `m=` line with what `a=rtpmap`/`a=fmtp` say about it. */
export interface RtpPayload {
  readonly pt: number;
  /** Encoding name as written (compare case-insensitively). */
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels: number;
  readonly fmtp?: string;
}

export interface RtcpAddress {
  readonly port: number;
  /** Present when `a=rtcp` names an address; otherwise RTCP goes to the stream's address. */
  readonly address?: string;
}

export interface MediaStream {
  /** Position of the `m=` line (0-based); answers keep the same positions. */
  readonly index: number;
  readonly type: string;
  readonly port: number;
  /** Port 0. */
  readonly rejected: boolean;
  readonly protocol: string;
  /** `RTP/AVP`, `RTP/AVPF`, `RTP/SAVP`, `RTP/SAVPF` (with or without `UDP/TLS/`). */
  readonly isRtp: boolean;
  /** The formats of the `m=` line as written. */
  readonly formats: readonly string[];
  /** Usable RTP payload types in `m=` order (empty when not RTP). */
  readonly payloads: readonly RtpPayload[];
  readonly address: string | undefined;
  readonly addressFamily: 4 | 6 | undefined;
  readonly ptime: number | undefined;
  readonly maxptime: number | undefined;
  readonly direction: SdpDirection;
  /** `c=` 0.0.0.0 (or ::): the old RFC 2543 way to put a call on hold. */
  readonly nullAddressHold: boolean;
  readonly rtcp: RtcpAddress | undefined;
  readonly rtcpMux: boolean;
}

export interface SdpDescription {
  readonly origin: SdpOrigin;
  readonly sessionName: string;
  readonly streams: readonly MediaStream[];
}

/** SDP that parsed but cannot be used for media (the SIP layer answers 488 Not Acceptable Here). */
export class SdpMediaError extends Error {
  readonly streamIndex: number;
  constructor(message: string, streamIndex: number) {
    super(message);
    this.name = 'SdpMediaError';
    this.streamIndex = streamIndex;
  }
}

/** RFC 3551 static audio payload types (the ones whose meaning holds without `a=rtpmap`). */
export const STATIC_PAYLOADS: ReadonlyMap<number, { readonly encoding: string; readonly clockRate: number; readonly channels: number }> = new Map([
  [0, { encoding: 'PCMU', clockRate: 8000, channels: 1 }],
  [3, { encoding: 'GSM', clockRate: 8000, channels: 1 }],
  [4, { encoding: 'G723', clockRate: 8000, channels: 1 }],
  [5, { encoding: 'DVI4', clockRate: 8000, channels: 1 }],
  [6, { encoding: 'DVI4', clockRate: 16000, channels: 1 }],
  [7, { encoding: 'LPC', clockRate: 8000, channels: 1 }],
  [8, { encoding: 'PCMA', clockRate: 8000, channels: 1 }],
  [9, { encoding: 'G722', clockRate: 8000, channels: 1 }],
  [10, { encoding: 'L16', clockRate: 44100, channels: 2 }],
  [11, { encoding: 'L16', clockRate: 44100, channels: 1 }],
  [12, { encoding: 'QCELP', clockRate: 8000, channels: 1 }],
  [13, { encoding: 'CN', clockRate: 8000, channels: 1 }],
  [15, { encoding: 'G728', clockRate: 8000, channels: 1 }],
  [18, { encoding: 'G729', clockRate: 8000, channels: 1 }],
]);

/** How one of Asterisk's codec names appears in SDP. */
export interface SdpCodec {
  /** Asterisk's name (`allow = ulaw`). */
  readonly name: string;
  readonly encoding: string;
  /** The RTP clock rate (G.722 says 8000 for historical reasons although it samples at 16 kHz). */
  readonly clockRate: number;
  readonly channels: number;
  /** The static payload type, or the dynamic one Asterisk offers. */
  readonly payloadType: number;
  /** Asterisk's largest packet for the codec (`a=maxptime`). */
  readonly maxPtime: number;
  /** fmtp Asterisk adds when it offers the codec. */
  readonly fmtp?: string;
}

export const SDP_CODECS: ReadonlyMap<string, SdpCodec> = new Map([
  ['ulaw', { name: 'ulaw', encoding: 'PCMU', clockRate: 8000, channels: 1, payloadType: 0, maxPtime: 140 }],
  ['alaw', { name: 'alaw', encoding: 'PCMA', clockRate: 8000, channels: 1, payloadType: 8, maxPtime: 140 }],
  ['g722', { name: 'g722', encoding: 'G722', clockRate: 8000, channels: 1, payloadType: 9, maxPtime: 140 }],
  ['gsm', { name: 'gsm', encoding: 'GSM', clockRate: 8000, channels: 1, payloadType: 3, maxPtime: 300 }],
  ['g729', { name: 'g729', encoding: 'G729', clockRate: 8000, channels: 1, payloadType: 18, maxPtime: 220 }],
  ['opus', { name: 'opus', encoding: 'opus', clockRate: 48000, channels: 2, payloadType: 107, maxPtime: 60 }],
]);

/** The payload type Asterisk offers for telephone-event (RFC 4733). */
export const TELEPHONE_EVENT_PT = 101;

/** The Asterisk codec name of a payload, or `undefined` when it is not one we know. */
export function codecOfPayload(payload: RtpPayload): SdpCodec | undefined {
  for (const codec of SDP_CODECS.values()) {
    if (codec.encoding.toLowerCase() === payload.encoding.toLowerCase() && codec.clockRate === payload.clockRate) {
      return codec;
    }
  }
  return undefined;
}

export function isTelephoneEvent(payload: RtpPayload): boolean {
  return payload.encoding.toLowerCase() === 'telephone-event';
}

const DIRECTIONS: readonly SdpDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

/** Reads the media meaning of a parsed SDP body. Throws `SdpMediaError` for a live stream without an address. */
export function describeSdp(sdp: SdpSession): SdpDescription {
  const sessionDirection = directionOf(sdp.attributes);
  const streams = sdp.media.map((m, index) => describeMedia(sdp, m, index, sessionDirection));
  return { origin: sdp.origin, sessionName: sdp.sessionName, streams };
}

function describeMedia(sdp: SdpSession, m: SdpMedia, index: number, sessionDirection: SdpDirection | undefined): MediaStream {
  const connection = m.connections[0] ?? sdp.connection;
  const rejected = m.port === 0;
  if (connection === undefined && !rejected) {
    throw new SdpMediaError(`stream ${index} (${m.type}) has no connection address (no 'c=' line for it or the session)`, index);
  }
  const family = connection === undefined ? undefined : addressFamily(connection.addrType, connection.address);
  if (connection !== undefined && family === undefined && !rejected) {
    throw new SdpMediaError(`stream ${index} has an unusable connection address '${connection.addrType} ${connection.address}'`, index);
  }
  const isRtp = /(^|\/)RTP\/S?AVPF?$/i.test(m.protocol);
  const attrs = m.attributes;
  return {
    index,
    type: m.type,
    port: m.port,
    rejected,
    protocol: m.protocol,
    isRtp,
    formats: m.formats,
    payloads: isRtp ? payloadsOf(m) : [],
    address: connection?.address,
    addressFamily: family,
    ptime: positiveNumber(attributeValue(attrs, 'ptime')),
    maxptime: positiveNumber(attributeValue(attrs, 'maxptime')),
    direction: directionOf(attrs) ?? sessionDirection ?? 'sendrecv',
    nullAddressHold: connection !== undefined && (connection.address === '0.0.0.0' || connection.address === '::'),
    rtcp: rtcpOf(attrs),
    rtcpMux: attrs.some((a) => a.name.toLowerCase() === 'rtcp-mux'),
  };
}

function addressFamily(addrType: string, address: string): 4 | 6 | undefined {
  const family = net.isIP(address);
  if (addrType.toUpperCase() === 'IP4') {
    // A host name is allowed by the grammar; keep it (resolution is the transport's business).
    return family === 6 ? undefined : 4;
  }
  if (addrType.toUpperCase() === 'IP6') {
    return family === 4 ? undefined : 6;
  }
  return undefined;
}

function attributeValue(attrs: readonly SdpAttribute[], name: string): string | undefined {
  return attrs.find((a) => a.name.toLowerCase() === name)?.value;
}

function positiveNumber(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const n = Number.parseFloat(value.trim());
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function directionOf(attrs: readonly SdpAttribute[]): SdpDirection | undefined {
  let found: SdpDirection | undefined;
  for (const a of attrs) {
    const name = a.name.toLowerCase() as SdpDirection;
    if (DIRECTIONS.includes(name)) {
      found = name;
    }
  }
  return found;
}

function rtcpOf(attrs: readonly SdpAttribute[]): RtcpAddress | undefined {
  const value = attributeValue(attrs, 'rtcp');
  if (value === undefined) {
    return undefined;
  }
  const parts = value.trim().split(/\s+/);
  const port = Number(parts[0]);
  if (!/^\d+$/.test(parts[0] ?? '') || port > 65535) {
    return undefined;
  }
  return parts.length >= 4 && parts[3] !== undefined ? { port, address: parts[3] } : { port };
}

/** The usable payloads of an RTP `m=` line, in its order, with their rtpmap/fmtp. */
function payloadsOf(m: SdpMedia): RtpPayload[] {
  const rtpmaps = new Map<number, { encoding: string; clockRate: number; channels: number }>();
  const fmtps = new Map<number, string>();
  for (const a of m.attributes) {
    const name = a.name.toLowerCase();
    if (name === 'rtpmap' && a.value !== undefined) {
      const match = /^\s*(\d+)\s+([^/\s]+)\/(\d+)(?:\/(\d+))?\s*$/.exec(a.value);
      if (match !== null && !rtpmaps.has(Number(match[1]))) {
        rtpmaps.set(Number(match[1]), {
          encoding: match[2] ?? '',
          clockRate: Number(match[3]),
          channels: match[4] === undefined ? 1 : Number(match[4]),
        });
      }
    } else if (name === 'fmtp' && a.value !== undefined) {
      const match = /^\s*(\d+)\s+(.*)$/.exec(a.value);
      if (match !== null && !fmtps.has(Number(match[1]))) {
        fmtps.set(Number(match[1]), (match[2] ?? '').trim());
      }
    }
  }
  const payloads: RtpPayload[] = [];
  const seen = new Set<number>();
  for (const format of m.formats) {
    if (!/^\d+$/.test(format)) {
      continue;
    }
    const pt = Number(format);
    if (pt > 127 || seen.has(pt)) {
      continue;
    }
    seen.add(pt);
    const map = rtpmaps.get(pt) ?? (pt < 96 ? STATIC_PAYLOADS.get(pt) : undefined);
    if (map === undefined) {
      continue;
    }
    const fmtp = fmtps.get(pt);
    payloads.push({ pt, ...map, ...(fmtp === undefined ? {} : { fmtp }) });
  }
  return payloads;
}
