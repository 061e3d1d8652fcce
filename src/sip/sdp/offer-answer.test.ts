import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  answerDirection, answerOrigin, buildAnswer, buildOffer, newOrigin, offerDirection, processAnswer, stampLocalSdp,
} from './offer-answer.ts';
import type { AnswerOptions } from './offer-answer.ts';
import { parseSdp, serializeSdp } from './sdp.ts';
import {
  AUDIO_VIDEO_OFFER, BARESIP_HOLD_REINVITE, BARESIP_OFFER, IPV6_OFFER, NULL_ADDRESS_HOLD, SIPP_UAC_OFFER, SIPP_UAS_ANSWER,
} from './test-fixtures.ts';

const crlf = (lines: readonly string[]): string => lines.map((l) => `${l}\r\n`).join('');

function options(offerText: string, extra: Partial<AnswerOptions> = {}): AnswerOptions {
  return {
    codecs: ['ulaw'],
    telephoneEvent: true,
    address: '127.0.0.1',
    port: 10000,
    origin: answerOrigin(parseSdp(offerText).origin, extra.address ?? '127.0.0.1'),
    ...extra,
  };
}

test("SIPp's uac offer gets an Asterisk-shaped answer, byte for byte", () => {
  const result = buildAnswer(SIPP_UAC_OFFER, options(SIPP_UAC_OFFER));
  assert.ok(result.ok);
  assert.equal(serializeSdp(result.answer), crlf([
    'v=0',
    'o=- 53655765 2353687638 IN IP4 127.0.0.1',
    's=Asterisk',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    'm=audio 10000 RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
    'a=maxptime:140',
    'a=sendrecv',
  ]));
  assert.deepEqual(result.audio, {
    index: 0, remoteAddress: '127.0.0.1', remoteFamily: 4, remotePort: 6000, remoteRtcpAddress: '127.0.0.1',
    remoteRtcpPort: 6001, codecs: [{ name: 'ulaw', pt: 0, encoding: 'PCMU', clockRate: 8000, channels: 1 }],
    codec: { name: 'ulaw', pt: 0, encoding: 'PCMU', clockRate: 8000, channels: 1 }, telephoneEvent: undefined,
    localDirection: 'sendrecv', remoteDirection: 'sendrecv', remotePtime: undefined, remoteHold: false,
  });
});

test('no codec in common is a typed failure the driver maps to 488', () => {
  const result = buildAnswer(SIPP_UAC_OFFER, options(SIPP_UAC_OFFER, { codecs: ['alaw', 'g729'] }));
  assert.equal(result.ok, false);
  assert.ok(!result.ok);
  assert.equal(result.reason, 'no-common-codec');
  assert.equal(result.sipStatus, 488);
  assert.equal(result.message, 'no codec in common: offered PCMU/8000, allowed alaw,g729');
  const none = buildAnswer(SIPP_UAC_OFFER, options(SIPP_UAC_OFFER, { codecs: [] }));
  assert.ok(!none.ok && none.reason === 'no-common-codec');
});

test('baresip offer: our allow order wins by default (Asterisk incoming_call_offer_pref=local), offerer PTs kept', () => {
  const result = buildAnswer(BARESIP_OFFER, options(BARESIP_OFFER, { codecs: ['alaw', 'ulaw'], address: '192.168.1.2', port: 16000 }));
  assert.ok(result.ok);
  assert.equal(serializeSdp(result.answer), crlf([
    'v=0',
    'o=- 1916474736 2009532915 IN IP4 192.168.1.2',
    's=Asterisk',
    'c=IN IP4 192.168.1.2',
    't=0 0',
    'm=audio 16000 RTP/AVP 8 0 102',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:102 telephone-event/8000',
    'a=fmtp:102 0-16',
    'a=ptime:20',
    'a=maxptime:140',
    'a=sendrecv',
  ]));
  assert.equal(result.audio.codec.name, 'alaw');
  assert.deepEqual(result.audio.telephoneEvent, { pt: 102, clockRate: 8000 }, 'the 8 kHz event, not the 48 kHz one');
  assert.equal(result.audio.remotePtime, 20);
});

test('codec preference variants: remote order, *_first, dtmf off', () => {
  const remote = buildAnswer(BARESIP_OFFER, options(BARESIP_OFFER, { codecs: ['alaw', 'ulaw'], preference: 'remote' }));
  assert.ok(remote.ok);
  assert.deepEqual(remote.audio.codecs.map((c) => c.name), ['ulaw', 'alaw'], 'baresip lists PCMU before PCMA');
  const localFirst = buildAnswer(BARESIP_OFFER, options(BARESIP_OFFER, { codecs: ['alaw', 'ulaw'], preference: 'local_first' }));
  assert.ok(localFirst.ok);
  assert.deepEqual(localFirst.answer.media[0]?.formats, ['8', '102']);
  const remoteFirst = buildAnswer(BARESIP_OFFER, options(BARESIP_OFFER, { codecs: ['opus', 'alaw', 'ulaw'], preference: 'remote_first' }));
  assert.ok(remoteFirst.ok);
  assert.deepEqual(remoteFirst.audio.codecs.map((c) => [c.name, c.pt, c.channels]), [['opus', 96, 2]]);
  assert.deepEqual(remoteFirst.answer.media[0]?.attributes.slice(0, 4).map((a) => a.value ?? a.name),
    ['96 opus/48000/2', '101 telephone-event/48000', '101 0-16', '20'], 'opus goes with the 48 kHz event');
  const noDtmf = buildAnswer(BARESIP_OFFER, options(BARESIP_OFFER, { telephoneEvent: false }));
  assert.ok(noDtmf.ok);
  assert.deepEqual(noDtmf.answer.media[0]?.formats, ['0']);
  assert.equal(noDtmf.audio.telephoneEvent, undefined);
});

test('hold re-INVITE: sendonly is answered recvonly, inactive with inactive, and the o= version moves only on change', () => {
  const first = buildAnswer(BARESIP_OFFER, options(BARESIP_OFFER));
  assert.ok(first.ok);
  const sent = stampLocalSdp(undefined, first.answer);
  assert.equal(sent.session.origin.sessionVersion, '2009532915');

  const hold = buildAnswer(BARESIP_HOLD_REINVITE, options(BARESIP_HOLD_REINVITE, { origin: sent.session.origin }));
  assert.ok(hold.ok);
  assert.equal(hold.audio.remoteHold, true);
  assert.equal(hold.audio.localDirection, 'recvonly');
  const held = stampLocalSdp(sent, hold.answer);
  assert.equal(held.session.origin.sessionId, '1916474736');
  assert.equal(held.session.origin.sessionVersion, '2009532916', 'changed: version + 1');
  assert.match(held.text, /\r\na=recvonly\r\n$/);

  const again = stampLocalSdp(held, buildAnswerOk(BARESIP_HOLD_REINVITE, sent.session.origin));
  assert.equal(again, held, 'a refresh with the same media keeps the same body and version');

  const inactive = buildAnswer(BARESIP_OFFER.replace('a=sendrecv', 'a=inactive'), options(BARESIP_OFFER));
  assert.ok(inactive.ok);
  assert.equal(inactive.audio.localDirection, 'inactive');

  const oldStyle = buildAnswer(NULL_ADDRESS_HOLD, options(NULL_ADDRESS_HOLD, { codecs: ['alaw'] }));
  assert.ok(oldStyle.ok);
  assert.equal(oldStyle.audio.remoteHold, true);
  assert.equal(oldStyle.audio.remoteAddress, '0.0.0.0');
});

function buildAnswerOk(offer: string, origin: AnswerOptions['origin']) {
  const result = buildAnswer(offer, options(offer, { origin }));
  assert.ok(result.ok);
  return result.answer;
}

test('answer direction table, including our own hold', () => {
  const table = (['sendrecv', 'sendonly', 'recvonly', 'inactive'] as const).map((d) => [d, answerDirection(d, false), answerDirection(d, true)]);
  assert.deepEqual(table, [
    ['sendrecv', 'sendrecv', 'sendonly'],
    ['sendonly', 'recvonly', 'inactive'],
    ['recvonly', 'sendonly', 'sendonly'],
    ['inactive', 'inactive', 'inactive'],
  ]);
  assert.deepEqual([offerDirection(false, false), offerDirection(true, false), offerDirection(true, true), offerDirection(false, true)],
    ['sendrecv', 'sendonly', 'inactive', 'recvonly']);
});

test('IPv6 offer and answer: IN IP6 on both lines, RTCP address from a=rtcp', () => {
  const result = buildAnswer(IPV6_OFFER, options(IPV6_OFFER, { codecs: ['ulaw', 'alaw'], address: '2001:db8::1', port: 20000 }));
  assert.ok(result.ok);
  const textValue = serializeSdp(result.answer);
  assert.match(textValue, /^v=0\r\no=- 2890844526 2890844528 IN IP6 2001:db8::1\r\ns=Asterisk\r\nc=IN IP6 2001:db8::1\r\n/);
  assert.match(textValue, /\r\nm=audio 20000 RTP\/AVP 0 8 101\r\n/);
  assert.equal(result.audio.remoteFamily, 6);
  assert.equal(result.audio.remoteRtcpAddress, '2001:db8::11');
  assert.equal(result.audio.remoteRtcpPort, 49175);
});

test('extra streams are refused in place with port 0; an offer without audio or with bad SDP fails', () => {
  const result = buildAnswer(AUDIO_VIDEO_OFFER, options(AUDIO_VIDEO_OFFER));
  assert.ok(result.ok);
  assert.deepEqual(result.answer.media.map((m) => [m.type, m.port, m.formats.join(' ')]), [['audio', 10000, '0'], ['video', 0, '31 34']]);
  assert.equal(result.audio.localDirection, 'sendonly', 'the session-level recvonly is answered sendonly');
  assert.equal(result.audio.remoteAddress, '198.51.100.8');
  assert.match(serializeSdp(result.answer), /\r\nm=video 0 RTP\/AVP 31 34\r\n$/);

  const videoOnly = AUDIO_VIDEO_OFFER.replace(/m=audio[^]*?(?=m=video)/, '');
  const noAudio = buildAnswer(videoOnly, options(videoOnly));
  assert.ok(!noAudio.ok && noAudio.reason === 'no-audio' && noAudio.sipStatus === 488);

  const twoAudio = SIPP_UAC_OFFER + 'm=audio 6002 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n';
  const second = buildAnswer(twoAudio, options(twoAudio, { codecs: ['ulaw', 'alaw'] }));
  assert.ok(second.ok);
  assert.deepEqual(second.answer.media.map((m) => m.port), [10000, 0], 'one audio stream, as max_audio_streams=1');

  for (const broken of ['not sdp', 'v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n', Buffer.from([0xff, 0x00])]) {
    const r = buildAnswer(broken, options(SIPP_UAC_OFFER));
    assert.ok(!r.ok && r.reason === 'bad-sdp' && r.sipStatus === 488, String(broken));
  }
});

test('our offer (outbound call / re-INVITE) is shaped like Asterisk, hold is a=sendonly', () => {
  const origin = newOrigin('10.0.0.1', () => 0.5);
  assert.deepEqual(origin, { username: '-', sessionId: '2147483648', sessionVersion: '2147483648', netType: 'IN', addrType: 'IP4', address: '10.0.0.1' });
  const offer = buildOffer({ codecs: ['ulaw', 'alaw', 'nonsense'], telephoneEvent: true, address: '10.0.0.1', port: 12000, origin });
  const sent = stampLocalSdp(undefined, offer);
  assert.equal(sent.text, crlf([
    'v=0',
    'o=- 2147483648 2147483648 IN IP4 10.0.0.1',
    's=Asterisk',
    'c=IN IP4 10.0.0.1',
    't=0 0',
    'm=audio 12000 RTP/AVP 0 8 101',
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    'a=maxptime:140',
    'a=sendrecv',
  ]));
  const holdOffer = buildOffer({ codecs: ['ulaw', 'alaw'], telephoneEvent: true, address: '10.0.0.1', port: 12000, origin, direction: offerDirection(true, false) });
  const held = stampLocalSdp(sent, holdOffer);
  assert.equal(held.session.origin.sessionVersion, '2147483649');
  assert.match(held.text, /\r\na=sendonly\r\n$/);
  const unheld = stampLocalSdp(held, offer);
  assert.equal(unheld.session.origin.sessionVersion, '2147483650');
  assert.match(unheld.text, /\r\na=sendrecv\r\n$/);

  const v6 = buildOffer({ codecs: ['alaw'], telephoneEvent: false, address: '::1', port: 5004, origin: newOrigin('::1', () => 0) });
  assert.match(serializeSdp(v6), /^v=0\r\no=- 0 0 IN IP6 ::1\r\ns=Asterisk\r\nc=IN IP6 ::1\r\nt=0 0\r\nm=audio 5004 RTP\/AVP 8\r\n/);
});

test('processAnswer reads the peer answer to our offer', () => {
  const origin = newOrigin('127.0.0.1', () => 0.25);
  const offer = buildOffer({ codecs: ['alaw', 'ulaw'], telephoneEvent: true, address: '127.0.0.1', port: 12000, origin });

  const sipp = processAnswer(offer, SIPP_UAS_ANSWER);
  assert.ok(sipp.ok);
  assert.equal(sipp.audio.codec.name, 'ulaw');
  assert.equal(sipp.audio.remotePort, 6000);
  assert.equal(sipp.audio.telephoneEvent, undefined);

  const withEvents = processAnswer(offer, SIPP_UAS_ANSWER.replace('RTP/AVP 0', 'RTP/AVP 8 96')
    + 'a=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\na=recvonly\r\n');
  assert.ok(withEvents.ok);
  assert.equal(withEvents.audio.codec.name, 'alaw');
  assert.deepEqual(withEvents.audio.telephoneEvent, { pt: 96, clockRate: 8000 });
  assert.equal(withEvents.audio.localDirection, 'sendonly', 'the peer only receives: we only send');

  const gsm = processAnswer(offer, SIPP_UAS_ANSWER.replace('RTP/AVP 0', 'RTP/AVP 3').replace('0 PCMU/8000', '3 GSM/8000'));
  assert.ok(!gsm.ok && gsm.reason === 'no-common-codec');
  const extra = processAnswer(offer, SIPP_UAS_ANSWER + 'm=video 0 RTP/AVP 31\r\n');
  assert.ok(!extra.ok && extra.reason === 'answer-mismatch');
  const refused = processAnswer(offer, SIPP_UAS_ANSWER.replace('m=audio 6000', 'm=audio 0'));
  assert.ok(!refused.ok && refused.reason === 'no-audio');
});
