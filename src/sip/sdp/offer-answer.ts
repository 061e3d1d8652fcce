/**
 * SDP offer/answer (RFC 3264) for one audio stream, the way chan_pjsip negotiates it.
 *
 * The SIP driver uses four pure steps:
 * - `buildAnswer(offer, options)` for an INVITE/re-INVITE/UPDATE with an offer. It answers every `m=` line
 *   in place (RFC 3264 §6): the first audio RTP stream with a codec in common is accepted, every other
 *   stream is refused with port 0 (Asterisk's default of one audio stream, no video). When no stream can
 *   be accepted the result is `{ ok: false, reason: 'no-common-codec' | ... }`, which the driver maps to
 *   488 Not Acceptable Here.
 * - `buildOffer(options)` for outbound INVITEs and our re-INVITEs (hold = `a=sendonly`, as Asterisk sends).
 * - `processAnswer(ourOffer, answer)` for the answer to our offer (200 OK, 183, ACK).
 * - `stampLocalSdp(previous, draft)` keeps `o=` right across a dialog: same session id, version + 1 only when
 *   the body changed (RFC 3264 §8).
 *
 * Codec choice follows the endpoint's `incoming_call_offer_pref`, whose Asterisk default is `local`: the
 * joint codecs are listed in OUR `allow=` order (not the offerer's), so `allow=alaw,ulaw` answers an
 * offer of `0 8` with PCMA first and sends PCMA. `remote` keeps the offerer's order; the `_first` variants
 * keep one codec only (`preferred_codec_only=yes` is `local_first`). Each joint codec keeps the offerer's
 * payload type. telephone-event is answered with the offerer's payload type at the clock rate of the
 * chosen codec (8000 for G.711), with `0-16` as Asterisk writes it; it is left out when the endpoint's
 * dtmf_mode does not use RFC 4733. The body looks like Asterisk's: `s=Asterisk`, session-level `c=`,
 * rtpmap for every payload (static ones too), `a=ptime`, `a=maxptime` (the smallest of the codecs'
 * maxima, 140 for G.711), then the direction.
 *
 * Directions in an answer (RFC 3264 §6.1): sendrecv→sendrecv, sendonly→recvonly, recvonly→sendonly,
 * inactive→inactive; when we hold (`localHold`), our side stops receiving: sendrecv→sendonly,
 * sendonly→inactive.
 */

import * as net from 'node:net';
import { codecOfPayload, describeSdp, isTelephoneEvent, SDP_CODECS, TELEPHONE_EVENT_PT } from './media.ts';
import type { MediaStream, RtpPayload, SdpCodec, SdpDescription, SdpDirection } from './media.ts';
import { parseSdp, serializeSdp } from './sdp.ts';
import type { SdpAttribute, SdpMedia, SdpOrigin, SdpSession } from './sdp.ts';

/** An endpoint's `incoming_call_offer_pref`. */
export type CodecPreference = 'local' | 'local_first' | 'remote' | 'remote_first';

/** A codec both sides use on a stream, with the payload type on the wire. */
export interface JointCodec {
  /** Asterisk's codec name (`ulaw`). */
  readonly name: string;
  readonly pt: number;
  readonly encoding: string;
  readonly clockRate: number;
  readonly channels: number;
  readonly fmtp?: string;
}

/** The outcome of a negotiation for the audio stream: what the RTP session needs. */
export interface NegotiatedAudio {
  /** Position of the audio `m=` line. */
  readonly index: number;
  /** Where to send RTP. */
  readonly remoteAddress: string;
  readonly remoteFamily: 4 | 6;
  readonly remotePort: number;
  /** Where to send RTCP: `a=rtcp` when given, else RTP port + 1 (or the RTP port with rtcp-mux). */
  readonly remoteRtcpAddress: string;
  readonly remoteRtcpPort: number;
  /** Joint codecs in preference order; the first is the one to send. */
  readonly codecs: readonly JointCodec[];
  readonly codec: JointCodec;
  /** RFC 4733 events, when both sides use them. */
  readonly telephoneEvent: { readonly pt: number; readonly clockRate: number } | undefined;
  /** Our direction (what we may do): send only if it includes "send". */
  readonly localDirection: SdpDirection;
  /** The peer's direction as it stated it. */
  readonly remoteDirection: SdpDirection;
  /** The peer's `a=ptime` (ms), when given. */
  readonly remotePtime: number | undefined;
  /** The peer put the call on hold (sendonly, inactive, or c=0.0.0.0). */
  readonly remoteHold: boolean;
}

export type NegotiationFailure =
  /** Audio was offered, but no codec in common. */
  | 'no-common-codec'
  /** No audio RTP stream (video only, or every audio stream rejected/unusable). */
  | 'no-audio'
  /** The body is not SDP, or a live stream has no usable address. */
  | 'bad-sdp'
  /** An answer that does not match our offer (different number of streams, payload types we did not offer). */
  | 'answer-mismatch';

export type NegotiationResult<T> =
  | ({ readonly ok: true } & T)
  | { readonly ok: false; readonly reason: NegotiationFailure; readonly message: string; readonly sipStatus: 488 };

/** What we put in an SDP body about ourselves. */
export interface LocalMedia {
  /** Our RTP address (IPv4 or IPv6; the family picks `IN IP4`/`IN IP6`). */
  readonly address: string;
  readonly port: number;
  readonly origin: SdpOrigin;
  /** `s=`: the endpoint's `sdp_session` (Asterisk's default `Asterisk`). */
  readonly sessionName?: string;
  /** Our packetisation (`a=ptime`); default 20. */
  readonly ptime?: number;
}

export interface AnswerOptions extends LocalMedia {
  /** Our codecs in preference order (the endpoint's `allow=` list, Asterisk names). */
  readonly codecs: readonly string[];
  /** Default `local`, Asterisk's default. */
  readonly preference?: CodecPreference;
  /** Answer telephone-event (dtmf_mode rfc4733/auto/auto_info). */
  readonly telephoneEvent: boolean;
  /** We hold the call (MOH from our side, or an ARI hold with moh_passthrough). */
  readonly localHold?: boolean;
}

export interface OfferOptions extends LocalMedia {
  readonly codecs: readonly string[];
  readonly telephoneEvent: boolean;
  /** Default sendrecv; use `offerDirection()` for hold. */
  readonly direction?: SdpDirection;
}

// --- answering an offer ----------------------------------------------------------------------------------

/**
 * Answers an offer.
 *
 * @example
 * const result = buildAnswer(inviteBody, { codecs: ['ulaw', 'alaw'], telephoneEvent: true, address: '192.0.2.1',
 *   port: 10000, origin: answerOrigin(offerOrigin, '192.0.2.1') });
 * if (!result.ok) respond(488); else { respond(200, serializeSdp(result.answer)); rtp.start(result.audio); }
 */
export function buildAnswer(
  offer: SdpSession | string | Uint8Array,
  options: AnswerOptions,
): NegotiationResult<{ readonly answer: SdpSession; readonly audio: NegotiatedAudio }> {
  const described = describeOffer(offer);
  if (!described.ok) {
    return described;
  }
  const { sdp, description } = described;
  let accepted: { stream: MediaStream; codecs: JointCodec[]; event: JointCodec | undefined } | undefined;
  let sawAudio = false;
  for (const stream of description.streams) {
    if (accepted !== undefined || stream.type !== 'audio' || stream.rejected || !stream.isRtp || stream.address === undefined) {
      continue;
    }
    sawAudio = true;
    const codecs = jointCodecs(stream.payloads, options.codecs, options.preference ?? 'local');
    const first = codecs[0];
    if (first !== undefined) {
      const event = options.telephoneEvent ? telephoneEventFor(stream.payloads, first.clockRate) : undefined;
      accepted = { stream, codecs, event };
    }
  }
  if (accepted === undefined) {
    return sawAudio
      ? failure('no-common-codec', `no codec in common: offered ${offeredNames(description)}, allowed ${options.codecs.join(',') || '(none)'}`)
      : failure('no-audio', 'the offer has no usable audio RTP stream');
  }

  const { stream, codecs, event } = accepted;
  const localHold = options.localHold ?? false;
  const direction = answerDirection(stream.direction, localHold);
  const media = sdp.media.map((m, index): SdpMedia => (index === stream.index
    ? audioMedia(options.port, stream.protocol, codecs, event, options.ptime ?? 20, direction)
    : rejectedMedia(m)));
  return { ok: true, answer: localSession(options, media), audio: negotiated(stream, codecs, event, direction) };
}

/** RFC 3264 §6.1, with our own hold folded in. */
export function answerDirection(offered: SdpDirection, localHold: boolean): SdpDirection {
  switch (offered) {
    case 'sendrecv':
      return localHold ? 'sendonly' : 'sendrecv';
    case 'sendonly':
      return localHold ? 'inactive' : 'recvonly';
    case 'recvonly':
      return 'sendonly';
    case 'inactive':
      return 'inactive';
  }
}

/**
 * The direction of an offer we send (Asterisk's rule): holding sends `sendonly`, or `inactive` when the
 * peer is holding us too; a peer's hold alone makes us offer `recvonly`.
 */
export function offerDirection(localHold: boolean, remoteHold: boolean): SdpDirection {
  if (localHold) {
    return remoteHold ? 'inactive' : 'sendonly';
  }
  return remoteHold ? 'recvonly' : 'sendrecv';
}

function jointCodecs(payloads: readonly RtpPayload[], allowed: readonly string[], preference: CodecPreference): JointCodec[] {
  const remote: JointCodec[] = [];
  for (const payload of payloads) {
    const codec = codecOfPayload(payload);
    if (codec !== undefined && allowed.includes(codec.name) && !remote.some((r) => r.name === codec.name)) {
      remote.push(jointFrom(codec, payload));
    }
  }
  const ordered = preference === 'local' || preference === 'local_first'
    ? allowed.flatMap((name) => remote.filter((r) => r.name === name))
    : remote;
  return preference.endsWith('_first') ? ordered.slice(0, 1) : ordered;
}

function jointFrom(codec: SdpCodec, payload: RtpPayload): JointCodec {
  return {
    name: codec.name,
    pt: payload.pt,
    encoding: payload.encoding,
    clockRate: payload.clockRate,
    channels: payload.channels,
    ...(payload.fmtp === undefined ? {} : { fmtp: payload.fmtp }),
  };
}

function telephoneEventFor(payloads: readonly RtpPayload[], clockRate: number): JointCodec | undefined {
  const payload = payloads.find((p) => isTelephoneEvent(p) && p.clockRate === clockRate);
  return payload === undefined
    ? undefined
    : { name: 'telephone-event', pt: payload.pt, encoding: payload.encoding, clockRate, channels: 1, fmtp: '0-16' };
}

// --- offering -------------------------------------------------------------------------------------------

/** Builds an offer with our codecs in order (unknown names are skipped) and telephone-event 101. */
export function buildOffer(options: OfferOptions): SdpSession {
  const codecs: JointCodec[] = [];
  for (const name of options.codecs) {
    const codec = SDP_CODECS.get(name);
    if (codec !== undefined && !codecs.some((c) => c.name === name)) {
      codecs.push({
        name, pt: codec.payloadType, encoding: codec.encoding, clockRate: codec.clockRate, channels: codec.channels,
        ...(codec.fmtp === undefined ? {} : { fmtp: codec.fmtp }),
      });
    }
  }
  // Asterisk offers one telephone-event per clock rate of its codecs; with G.711 that is the 8 kHz one.
  const rates = [...new Set(codecs.map((c) => c.clockRate))];
  const event = options.telephoneEvent && rates.includes(8000)
    ? { name: 'telephone-event', pt: TELEPHONE_EVENT_PT, encoding: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' }
    : undefined;
  return localSession(options, [audioMedia(options.port, 'RTP/AVP', codecs, event, options.ptime ?? 20, options.direction ?? 'sendrecv')]);
}

/** Reads the answer to an offer we made. */
export function processAnswer(
  ourOffer: SdpSession,
  answerBody: SdpSession | string | Uint8Array,
): NegotiationResult<{ readonly audio: NegotiatedAudio }> {
  const described = describeOffer(answerBody);
  if (!described.ok) {
    return described;
  }
  const { description } = described;
  if (description.streams.length !== ourOffer.media.length) {
    return failure('answer-mismatch',
      `the answer has ${description.streams.length} media streams, the offer had ${ourOffer.media.length}`);
  }
  const offered = describeSdp(ourOffer);
  for (const stream of description.streams) {
    const mine = offered.streams[stream.index];
    if (mine === undefined || mine.type !== 'audio' || mine.rejected || stream.rejected || stream.type !== 'audio') {
      continue;
    }
    // The answerer lists the codecs it accepted, in its order of preference; keep only what we offered.
    const codecs: JointCodec[] = [];
    for (const payload of stream.payloads) {
      const ours = mine.payloads.find((p) => p.encoding.toLowerCase() === payload.encoding.toLowerCase() && p.clockRate === payload.clockRate);
      const codec = codecOfPayload(payload);
      if (ours !== undefined && codec !== undefined && !codecs.some((c) => c.name === codec.name)) {
        codecs.push(jointFrom(codec, payload));
      }
    }
    if (codecs[0] === undefined) {
      return failure('no-common-codec', `the answer accepts none of the offered codecs (${offeredNames(description)})`);
    }
    const eventPayload = stream.payloads.find((p) => isTelephoneEvent(p) && p.clockRate === codecs[0]?.clockRate);
    const ourEvent = mine.payloads.some((p) => isTelephoneEvent(p));
    const event = eventPayload !== undefined && ourEvent
      ? { name: 'telephone-event', pt: eventPayload.pt, encoding: eventPayload.encoding, clockRate: eventPayload.clockRate, channels: 1 }
      : undefined;
    // Our direction follows from what the answerer may do (RFC 3264 §6.1 read from our side).
    const localDirection = reverse(stream.direction);
    return { ok: true, audio: negotiated(stream, codecs, event, localDirection) };
  }
  return failure('no-audio', 'the answer accepts no audio stream');
}

function reverse(direction: SdpDirection): SdpDirection {
  return direction === 'sendonly' ? 'recvonly' : direction === 'recvonly' ? 'sendonly' : direction;
}

// --- o= line handling -----------------------------------------------------------------------------------

/** An SDP body we sent, kept per dialog so the next one can reuse its `o=` identity. */
export interface LocalSdp {
  readonly session: SdpSession;
  readonly text: string;
}

/** A fresh origin for the first offer of a dialog: Asterisk uses one random 32-bit number as id and version. */
export function newOrigin(address: string, random: () => number = Math.random, username = '-'): SdpOrigin {
  const id = String(Math.floor(random() * 0x100000000) >>> 0);
  return { username, sessionId: id, sessionVersion: id, netType: 'IN', addrType: familyOf(address) === 6 ? 'IP6' : 'IP4', address };
}

/** The origin of the first answer in a dialog: Asterisk reuses the offer's session id with its version + 1. */
export function answerOrigin(offer: SdpOrigin, address: string, username = '-'): SdpOrigin {
  return {
    username,
    sessionId: offer.sessionId,
    sessionVersion: (BigInt(offer.sessionVersion) + 1n).toString(),
    netType: 'IN',
    addrType: familyOf(address) === 6 ? 'IP6' : 'IP4',
    address,
  };
}

/**
 * Fixes the `o=` line of the next body we send in a dialog: the first body is used as built; later ones keep
 * the session id and version of the previous body when nothing else changed, and get version + 1 when
 * something did (RFC 3264 §8: "the version MUST be incremented only if the SDP has changed").
 */
export function stampLocalSdp(previous: LocalSdp | undefined, draft: SdpSession): LocalSdp {
  if (previous === undefined) {
    return { session: draft, text: serializeSdp(draft) };
  }
  const same = {
    ...draft,
    origin: { ...draft.origin, sessionId: previous.session.origin.sessionId, sessionVersion: previous.session.origin.sessionVersion },
  };
  const sameText = serializeSdp(same);
  if (sameText === previous.text) {
    return previous;
  }
  const bumped = {
    ...same,
    origin: { ...same.origin, sessionVersion: (BigInt(previous.session.origin.sessionVersion) + 1n).toString() },
  };
  return { session: bumped, text: serializeSdp(bumped) };
}

// --- shared pieces --------------------------------------------------------------------------------------

function describeOffer(body: SdpSession | string | Uint8Array):
  | { ok: true; sdp: SdpSession; description: SdpDescription }
  | { ok: false; reason: NegotiationFailure; message: string; sipStatus: 488 } {
  try {
    const sdp = typeof body === 'string' || body instanceof Uint8Array ? parseSdp(body) : body;
    return { ok: true, sdp, description: describeSdp(sdp) };
  } catch (error) {
    return failure('bad-sdp', error instanceof Error ? error.message : String(error));
  }
}

function failure(reason: NegotiationFailure, message: string): { ok: false; reason: NegotiationFailure; message: string; sipStatus: 488 } {
  // Unreadable SDP is still "not acceptable here" for an INVITE (RFC 3261 §21.4.26), as Asterisk answers it.
  return { ok: false, reason, message, sipStatus: 488 };
}

function offeredNames(description: SdpDescription): string {
  const names = description.streams.flatMap((s) => s.payloads.map((p) => `${p.encoding}/${p.clockRate}`));
  return names.length === 0 ? '(none)' : names.join(',');
}

function familyOf(address: string): 4 | 6 {
  return net.isIPv6(address) ? 6 : 4;
}

/** Our session lines as Asterisk writes them: `s=` from sdp_session, one session-level `c=`, `t=0 0`. */
function localSession(local: LocalMedia, media: readonly SdpMedia[]): SdpSession {
  return {
    version: 0,
    origin: local.origin,
    sessionName: local.sessionName ?? 'Asterisk',
    connection: { netType: 'IN', addrType: familyOf(local.address) === 6 ? 'IP6' : 'IP4', address: local.address },
    bandwidths: [],
    timing: [{ start: '0', stop: '0' }],
    attributes: [],
    media,
  };
}

function audioMedia(
  port: number,
  protocol: string,
  codecs: readonly JointCodec[],
  event: JointCodec | undefined,
  ptime: number,
  direction: SdpDirection,
): SdpMedia {
  const attributes: SdpAttribute[] = [];
  let maxPtime = 0;
  for (const codec of codecs) {
    const channels = codec.channels > 1 ? `/${codec.channels}` : '';
    attributes.push({ name: 'rtpmap', value: `${codec.pt} ${codec.encoding}/${codec.clockRate}${channels}` });
    const known = SDP_CODECS.get(codec.name);
    const fmtp = known?.fmtp;
    if (fmtp !== undefined) {
      attributes.push({ name: 'fmtp', value: `${codec.pt} ${fmtp}` });
    }
    if (known !== undefined && (maxPtime === 0 || known.maxPtime < maxPtime)) {
      maxPtime = known.maxPtime;
    }
  }
  if (event !== undefined) {
    attributes.push({ name: 'rtpmap', value: `${event.pt} telephone-event/${event.clockRate}` });
    attributes.push({ name: 'fmtp', value: `${event.pt} 0-16` });
  }
  attributes.push({ name: 'ptime', value: String(ptime) });
  if (maxPtime > 0) {
    attributes.push({ name: 'maxptime', value: String(maxPtime) });
  }
  attributes.push({ name: direction });
  const formats = [...codecs.map((c) => String(c.pt)), ...(event === undefined ? [] : [String(event.pt)])];
  return { type: 'audio', port, protocol, formats, connections: [], bandwidths: [], attributes };
}

/** RFC 3264 §6: a refused stream keeps its type, protocol and formats, with port 0. */
function rejectedMedia(m: SdpMedia): SdpMedia {
  return { type: m.type, port: 0, protocol: m.protocol, formats: m.formats.length === 0 ? ['0'] : m.formats, connections: [], bandwidths: [], attributes: [] };
}

function negotiated(stream: MediaStream, codecs: readonly JointCodec[], event: JointCodec | undefined, localDirection: SdpDirection): NegotiatedAudio {
  const address = stream.address ?? '';
  const codec = codecs[0];
  if (codec === undefined) {
    throw new TypeError('negotiated() needs at least one codec');
  }
  const rtcpPort = stream.rtcp?.port ?? (stream.rtcpMux ? stream.port : stream.port + 1);
  return {
    index: stream.index,
    remoteAddress: address,
    remoteFamily: stream.addressFamily ?? 4,
    remotePort: stream.port,
    remoteRtcpAddress: stream.rtcp?.address ?? address,
    remoteRtcpPort: rtcpPort,
    codecs,
    codec,
    telephoneEvent: event === undefined ? undefined : { pt: event.pt, clockRate: event.clockRate },
    localDirection,
    remoteDirection: stream.direction,
    remotePtime: stream.ptime,
    remoteHold: stream.direction === 'sendonly' || stream.direction === 'inactive' || stream.nullAddressHold,
  };
}
