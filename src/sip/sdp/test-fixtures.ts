/**
 * SDP bodies captured from (or written exactly like) the peers Ariadne's SIP tests use, for the SDP parser
 * and offer/answer tests. Line ends are as those peers send them (CRLF) unless a fixture says otherwise.
 */

const crlf = (lines: readonly string[]): string => lines.map((l) => `${l}\r\n`).join('');

/** SIPp's built-in `uac` scenario (`sipp -sd uac`) with local_ip 127.0.0.1 and the default media port 6000. */
export const SIPP_UAC_OFFER = crlf([
  'v=0',
  'o=user1 53655765 2353687637 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 6000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
]);

/** SIPp's built-in `uas` scenario answers with the very same body its `uac` offers. */
export const SIPP_UAS_ANSWER = SIPP_UAC_OFFER;

/** A baresip 3.x offer with its default audio codecs (opus, G.722, G.711) and telephone-event at 48 and 8 kHz. */
export const BARESIP_OFFER = crlf([
  'v=0',
  'o=- 1916474736 2009532914 IN IP4 192.168.1.23',
  's=-',
  'c=IN IP4 192.168.1.23',
  't=0 0',
  'a=tool:baresip 3.10.1',
  'm=audio 10174 RTP/AVP 96 9 0 8 101 102',
  'b=AS:93',
  'a=rtpmap:96 opus/48000/2',
  'a=fmtp:96 stereo=1;sprop-stereo=1',
  'a=rtpmap:9 G722/8000/1',
  'a=rtpmap:0 PCMU/8000/1',
  'a=rtpmap:8 PCMA/8000/1',
  'a=rtpmap:101 telephone-event/48000',
  'a=fmtp:101 0-15',
  'a=rtpmap:102 telephone-event/8000',
  'a=fmtp:102 0-15',
  'a=rtcp-rsize',
  'a=ptime:20',
  'a=sendrecv',
  'a=label:1',
  'a=ssrc:3353524436 cname:6b2fd7c4-25d1-4f6f-8b6a-2c2d5b4d3f11',
]);

/** The same baresip putting the call on hold (re-INVITE, version + 1, a=sendonly). */
export const BARESIP_HOLD_REINVITE = BARESIP_OFFER
  .replace('2009532914', '2009532915')
  .replace('a=sendrecv', 'a=sendonly');

/** A phone holding the RFC 2543 way: c=0.0.0.0 and no direction attribute. */
export const NULL_ADDRESS_HOLD = crlf([
  'v=0',
  'o=- 7 8 IN IP4 192.0.2.40',
  's=call',
  'c=IN IP4 0.0.0.0',
  't=0 0',
  'm=audio 40000 RTP/AVP 8',
]);

/** IPv6 (RFC 5118 style) with static payloads lacking rtpmap, and an explicit RTCP address (RFC 3605). */
export const IPV6_OFFER = crlf([
  'v=0',
  'o=alice 2890844526 2890844527 IN IP6 2001:db8::10',
  's=-',
  'c=IN IP6 2001:db8::10',
  't=0 0',
  'm=audio 49170 RTP/AVP 8 0 101',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=rtcp:49175 IN IP6 2001:db8::11',
  'a=maxptime:40',
]);

/** Audio plus video, media-level `c=` only (no session `c=`), session-level `a=recvonly` inherited by audio. */
export const AUDIO_VIDEO_OFFER = crlf([
  'v=0',
  'o=bob 2808844564 2808844564 IN IP4 198.51.100.7',
  's=-',
  't=0 0',
  'a=recvonly',
  'm=audio 49174 RTP/AVP 0',
  'c=IN IP4 198.51.100.8',
  'a=rtpmap:0 PCMU/8000',
  'm=video 49170 RTP/AVP 31 34',
  'c=IN IP4 198.51.100.9',
  'a=rtpmap:31 H261/90000',
  'a=rtpmap:34 H263/90000',
]);

/** LF line ends, as some softphones and many hand-written tests send. */
export const LF_ONLY_OFFER = SIPP_UAC_OFFER.replaceAll('\r\n', '\n');
