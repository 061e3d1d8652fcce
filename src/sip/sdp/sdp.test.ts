import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSdp, SdpParseError, serializeSdp } from './sdp.ts';
import { describeSdp, SdpMediaError } from './media.ts';
import {
  AUDIO_VIDEO_OFFER, BARESIP_HOLD_REINVITE, BARESIP_OFFER, IPV6_OFFER, LF_ONLY_OFFER, NULL_ADDRESS_HOLD, SIPP_UAC_OFFER,
} from './test-fixtures.ts';

test("SIPp's default uac offer parses field by field and serialises back byte for byte", () => {
  const sdp = parseSdp(Buffer.from(SIPP_UAC_OFFER));
  assert.deepEqual(sdp.origin, {
    username: 'user1', sessionId: '53655765', sessionVersion: '2353687637', netType: 'IN', addrType: 'IP4', address: '127.0.0.1',
  });
  assert.equal(sdp.sessionName, '-');
  assert.deepEqual(sdp.connection, { netType: 'IN', addrType: 'IP4', address: '127.0.0.1' });
  assert.deepEqual(sdp.timing, [{ start: '0', stop: '0' }]);
  assert.deepEqual(sdp.media, [{
    type: 'audio', port: 6000, protocol: 'RTP/AVP', formats: ['0'], connections: [], bandwidths: [],
    attributes: [{ name: 'rtpmap', value: '0 PCMU/8000' }],
  }]);
  assert.equal(serializeSdp(sdp), SIPP_UAC_OFFER);
  assert.deepEqual(parseSdp(LF_ONLY_OFFER), sdp, 'LF-only line ends read the same');
});

test('a baresip offer keeps every attribute in order and round-trips', () => {
  const sdp = parseSdp(BARESIP_OFFER);
  assert.deepEqual(sdp.attributes, [{ name: 'tool', value: 'baresip 3.10.1' }]);
  const audio = sdp.media[0]!;
  assert.deepEqual(audio.formats, ['96', '9', '0', '8', '101', '102']);
  assert.deepEqual(audio.bandwidths, [{ type: 'AS', value: 93 }]);
  assert.equal(audio.attributes.length, 14);
  assert.deepEqual(audio.attributes.at(-3), { name: 'sendrecv' });
  assert.equal(serializeSdp(sdp), BARESIP_OFFER);

  const d = describeSdp(sdp);
  const stream = d.streams[0]!;
  assert.deepEqual(stream.payloads, [
    { pt: 96, encoding: 'opus', clockRate: 48000, channels: 2, fmtp: 'stereo=1;sprop-stereo=1' },
    { pt: 9, encoding: 'G722', clockRate: 8000, channels: 1 },
    { pt: 0, encoding: 'PCMU', clockRate: 8000, channels: 1 },
    { pt: 8, encoding: 'PCMA', clockRate: 8000, channels: 1 },
    { pt: 101, encoding: 'telephone-event', clockRate: 48000, channels: 1, fmtp: '0-15' },
    { pt: 102, encoding: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-15' },
  ]);
  assert.equal(stream.address, '192.168.1.23');
  assert.equal(stream.addressFamily, 4);
  assert.equal(stream.ptime, 20);
  assert.equal(stream.maxptime, undefined);
  assert.equal(stream.direction, 'sendrecv');
  assert.equal(stream.rejected, false);
  assert.equal(stream.isRtp, true);
  assert.equal(stream.rtcp, undefined);
  assert.equal(describeSdp(parseSdp(BARESIP_HOLD_REINVITE)).streams[0]?.direction, 'sendonly');
});

test('IPv6, static payloads without rtpmap, a=rtcp with an address, maxptime', () => {
  const stream = describeSdp(parseSdp(IPV6_OFFER)).streams[0]!;
  assert.equal(stream.address, '2001:db8::10');
  assert.equal(stream.addressFamily, 6);
  assert.deepEqual(stream.payloads.map((p) => `${p.pt} ${p.encoding}/${p.clockRate}`), ['8 PCMA/8000', '0 PCMU/8000', '101 telephone-event/8000']);
  assert.deepEqual(stream.rtcp, { port: 49175, address: '2001:db8::11' });
  assert.equal(stream.maxptime, 40);
  assert.equal(serializeSdp(parseSdp(IPV6_OFFER)), IPV6_OFFER);
});

test('media-level c= wins over the session, session-level direction is inherited, port 0 is a rejected stream', () => {
  const d = describeSdp(parseSdp(AUDIO_VIDEO_OFFER));
  assert.deepEqual(d.streams.map((s) => [s.type, s.address, s.direction]), [
    ['audio', '198.51.100.8', 'recvonly'], ['video', '198.51.100.9', 'recvonly'],
  ]);
  const rejected = parseSdp(SIPP_UAC_OFFER.replace('m=audio 6000', 'm=audio 0').replace('c=IN IP4 127.0.0.1\r\n', ''));
  const s = describeSdp(rejected).streams[0]!;
  assert.equal(s.rejected, true);
  assert.equal(s.address, undefined);
  const hold = describeSdp(parseSdp(NULL_ADDRESS_HOLD)).streams[0]!;
  assert.equal(hold.nullAddressHold, true);
  assert.deepEqual(hold.payloads, [{ pt: 8, encoding: 'PCMA', clockRate: 8000, channels: 1 }]);
});

test('multicast connection suffixes and repeat lines are kept', () => {
  const textValue = 'v=0\r\no=- 1 1 IN IP4 224.2.17.12\r\ns=Seminar\r\ni=about\r\nu=http://example.com/\r\ne=j@example.com\r\n'
    + 'c=IN IP4 224.2.17.12/127/2\r\nt=2873397496 2873404696\r\nr=7d 1h 0 25h\r\nm=audio 49170/2 RTP/AVP 0\r\n'
    + 'c=IN IP6 ff15::101/3\r\n';
  const sdp = parseSdp(textValue);
  assert.deepEqual(sdp.connection, { netType: 'IN', addrType: 'IP4', address: '224.2.17.12', ttl: 127, count: 2 });
  assert.deepEqual(sdp.media[0]?.connections[0], { netType: 'IN', addrType: 'IP6', address: 'ff15::101', count: 3 });
  assert.equal(sdp.media[0]?.portCount, 2);
  assert.deepEqual(sdp.timing, [{ start: '2873397496', stop: '2873404696', repeats: ['7d 1h 0 25h'] }]);
  assert.equal(serializeSdp(sdp), textValue);
});

test('lenient where peers are sloppy: blank lines, unknown line types, missing t=, 64-bit ids', () => {
  const sdp = parseSdp('v=0\r\no=- 18446744073709551615 18446744073709551615 IN IP4 10.0.0.1\r\ns=x\r\n\r\n'
    + 'y=unknown\r\nc=IN IP4 10.0.0.1\r\nm=audio 1000 RTP/AVP 0\r\nx=ignored too\r\n');
  assert.equal(sdp.origin.sessionId, '18446744073709551615');
  assert.deepEqual(sdp.timing, [{ start: '0', stop: '0' }]);
  assert.equal(sdp.media.length, 1);
  assert.equal(sdp.media[0]?.attributes.length, 0);
});

test('broken SDP is rejected with the line that broke it', () => {
  const cases: [string | Uint8Array, RegExp][] = [
    ['', /empty/],
    ['hello\r\n', /line 1: expected '<letter>=<value>'/],
    ['o=- 1 1 IN IP4 1.2.3.4\r\nv=0\r\n', /line 1: the first line must be 'v=0'/],
    ['v=1\r\n', /line 1: unsupported SDP version '1'/],
    ['v=0\r\no=- 1 1 IN IP4\r\ns=-\r\n', /line 2: malformed 'o=' line/],
    ['v=0\r\no=- abc 1 IN IP4 1.2.3.4\r\ns=-\r\n', /line 2: malformed 'o=' line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n', /missing the 's=' line/],
    ['v=0\r\ns=-\r\n', /missing the 'o=' line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4\r\n', /line 4: malformed 'c=' line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4/x\r\n', /line 4: malformed connection address/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0\r\n', /line 4: malformed 't=' line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nb=AS\r\n', /line 4: malformed 'b=' line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 70000 RTP/AVP 0\r\n', /line 4: malformed 'm=' line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio RTP/AVP 0\r\n', /line 4: malformed 'm=' line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP\r\n', /line 4: 'm=' line .* lists no formats/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nm=audio 4000 RTP/AVP 0\r\no=- 1 1 IN IP4 1.2.3.4\r\n', /line 5: 'o=' is a session-level line/],
    ['v=0\r\nv=0\r\n', /line 2: a second 'v=' line/],
    ['v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nA=upper\r\n', /line 4: expected '<letter>=<value>'/],
    [Uint8Array.from([0x76, 0x3d, 0x30, 0x0d, 0x0a, 0x73, 0x3d, 0xff, 0xfe]), /not valid UTF-8/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(() => parseSdp(input), (error: unknown) => error instanceof SdpParseError && pattern.test(error.message),
      `expected ${String(pattern)} for ${JSON.stringify(typeof input === 'string' ? input : [...input])}`);
  }
});

test('parsed SDP without a usable address for a live stream is a media error, not a crash', () => {
  const noAddress = parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n');
  assert.throws(() => describeSdp(noAddress), SdpMediaError);
  const wrongFamily = parseSdp('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 ::1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n');
  assert.throws(() => describeSdp(wrongFamily), /unusable connection address/);
  // A dynamic payload type without rtpmap cannot be used; broken rtpmap lines are ignored, not fatal.
  const d = describeSdp(parseSdp(SIPP_UAC_OFFER.replace('RTP/AVP 0', 'RTP/AVP 0 97 98 abc 300')
    + 'a=rtpmap:98 bogus\r\na=ptime:zero\r\na=rtcp:99999\r\n'));
  assert.deepEqual(d.streams[0]?.payloads.map((p) => p.pt), [0]);
  assert.equal(d.streams[0]?.ptime, undefined);
  assert.equal(d.streams[0]?.rtcp, undefined);
});

test('hostile input never escapes as anything but SdpParseError/SdpMediaError (truncations and byte flips)', async () => {
  const { buildAnswer } = await import('./offer-answer.ts');
  let seed = 12345;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const inputs: Uint8Array[] = [];
  for (const fixture of [SIPP_UAC_OFFER, BARESIP_OFFER, IPV6_OFFER, AUDIO_VIDEO_OFFER]) {
    const bytes = Buffer.from(fixture);
    for (let cut = 0; cut < bytes.length; cut += 3) {
      inputs.push(bytes.subarray(0, cut));
    }
    for (let n = 0; n < 300; n++) {
      const copy = Buffer.from(bytes);
      for (let k = 0; k < 3; k++) {
        copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      }
      inputs.push(copy);
    }
  }
  let parsed = 0;
  for (const input of inputs) {
    try {
      describeSdp(parseSdp(input));
      parsed++;
    } catch (error) {
      assert.ok(error instanceof SdpParseError || error instanceof SdpMediaError, String(error));
    }
    const answer = buildAnswer(input, { codecs: ['ulaw', 'alaw'], telephoneEvent: true, address: '127.0.0.1', port: 4000,
      origin: { username: '-', sessionId: '1', sessionVersion: '1', netType: 'IN', addrType: 'IP4', address: '127.0.0.1' } });
    assert.equal(typeof answer.ok, 'boolean');
  }
  assert.ok(parsed > 100 && parsed < inputs.length, `some mutations still parse (${parsed} of ${inputs.length})`);
});
