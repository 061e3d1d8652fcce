import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipParseError } from './errors.ts';
import { formatUri, isHostname, isIpv6, isSipUri, isTelUri, parseUri, sipUri, uriEquals, type SipUri } from './uri.ts';

function sip(text: string): SipUri {
  const u = parseUri(text);
  assert.ok(isSipUri(u), text);
  return u;
}

describe('SIP URIs', () => {
  it('parses every part', () => {
    const u = sip('sips:alice:pw@Atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=hi&priority=urgent');
    assert.equal(u.scheme, 'sips');
    assert.equal(u.user, 'alice');
    assert.equal(u.password, 'pw');
    assert.equal(u.host, 'Atlanta.example.com');
    assert.equal(u.port, 5061);
    assert.deepEqual([...u.params], [
      ['transport', 'tls'],
      ['lr', null],
      ['maddr', '239.255.255.1'],
    ]);
    assert.deepEqual(u.headers, [
      ['subject', 'hi'],
      ['priority', 'urgent'],
    ]);
    assert.equal(formatUri(u), 'sips:alice:pw@Atlanta.example.com:5061;transport=tls;lr;maddr=239.255.255.1?subject=hi&priority=urgent');
  });

  it('user parts with telephone-subscriber params, escapes and no user at all', () => {
    assert.equal(sip('sip:+1-212-555-1212:1234@gateway.com;user=phone').password, '1234');
    assert.equal(sip('sip:alice;day=tuesday@atlanta.com').user, 'alice;day=tuesday');
    assert.equal(sip('sip:registrar.example.com').user, undefined);
    assert.equal(sip('SIP:example.com:5080').port, 5080);
    assert.equal(sip('sip:bob@example.com?Replaces=a@b').host, 'example.com', 'an unescaped @ in a URI header value is tolerated');
    assert.equal(sip('sip:odd?user,name;x@example.com').user, 'odd?user,name;x', 'user-unreserved characters');
  });

  it('IPv6 and IPv4 hosts (RFC 5118)', () => {
    assert.equal(sip('sip:[2001:db8::10]').host, '2001:db8::10');
    assert.equal(sip('sip:bob@[::ffff:192.0.2.1]:5070').host, '::ffff:192.0.2.1');
    assert.equal(formatUri(sip('sip:bob@[2001:db8::1]:5070;transport=tcp')), 'sip:bob@[2001:db8::1]:5070;transport=tcp');
    assert.ok(isIpv6('::1') && isIpv6('2001:db8:0:0:0:0:0:1') && isIpv6('::'));
    assert.ok(!isIpv6('2001:db8::1::2') && !isIpv6('2001:db8:0:0:0:0:0:0:1') && !isIpv6('12345::') && !isIpv6('::ffff:1.2.3.256'));
    assert.ok(isHostname('192.0.2.1') && isHostname('a-b.example.com.') && !isHostname('256.1.1.1') && !isHostname('1.2.3'));
    assert.ok(!isHostname('-bad.example.com') && !isHostname('a..b') && !isHostname('ex ample.com'));
  });

  it('tel and other schemes', () => {
    const t = parseUri('tel:+358-555-1234567;postd=pp22');
    assert.ok(isTelUri(t));
    assert.equal(t.number, '+358-555-1234567');
    assert.equal(formatUri(t), 'tel:+358-555-1234567;postd=pp22');
    assert.deepEqual(parseUri('mailto:alice@example.com'), { scheme: 'mailto', other: true, rest: 'alice@example.com' });
  });

  it('rejects malformed URIs with SipParseError', () => {
    for (const bad of [
      'alice@example.com',
      ':nothing',
      '1sip:a@b',
      'sip:',
      'sip:@example.com',
      'sip:a b@example.com',
      'sip:alice@example.com:65536',
      'sip:alice@example.com:port',
      'sip:alice@[::1',
      'sip:alice@[zz::1]',
      'sip:alice@exa<mple.com',
      'sip:alice@example.com;=x',
      'sip:alice@example.com?noequals',
      'sip:al%2gice@example.com',
      'sip:alice@example.com junk',
      'tel:abc-not-a-number',
      'sip:ålice@example.com',
    ]) {
      assert.throws(() => parseUri(bad), SipParseError, bad);
    }
  });

  it('compares by RFC 3261 §19.1.4', () => {
    const eq = (a: string, b: string): boolean => uriEquals(parseUri(a), parseUri(b));
    assert.ok(eq('sip:%61lice@atlanta.com;transport=TCP', 'sip:alice@AtLanTa.CoM;Transport=tcp'));
    assert.ok(eq('sip:carol@chicago.com;security=on', 'sip:carol@chicago.com'), 'a parameter on one side only is ignored');
    assert.ok(!eq('sip:alice@atlanta.com', 'sip:ALICE@atlanta.com'), 'user is case-sensitive');
    assert.ok(!eq('sip:bob@biloxi.com', 'sip:bob@biloxi.com:5060'), 'an explicit default port still differs');
    assert.ok(!eq('sip:bob@biloxi.com;transport=udp', 'sip:bob@biloxi.com'), 'transport must match when present');
    assert.ok(!eq('sip:carol@chicago.com?Subject=next', 'sip:carol@chicago.com'));
    assert.ok(eq('sip:carol@chicago.com?Subject=next%20meeting', 'sip:carol@chicago.com?subject=next meeting'.replace(' ', '%20')));
  });

  it('builds URIs from parts', () => {
    assert.equal(formatUri(sipUri({ user: 'bob', host: '::1', port: 5062, params: [['transport', 'tcp']] })), 'sip:bob@[::1]:5062;transport=tcp');
  });
});
