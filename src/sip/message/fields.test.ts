import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipParseError } from './errors.ts';
import { formatChallenge, formatCredentials, formatNameAddr, parseAuth, parseContacts, parseCSeq, parseNameAddr, parseNumber, parseVia, Via } from './fields.ts';
import { SipHeaders, splitList } from './headers.ts';
import { sipUri } from './uri.ts';

describe('Via', () => {
  it('parses protocol, transport, sent-by and the well-known params', () => {
    const v = parseVia('SIP/2.0/udp 192.0.2.1:5070;branch=z9hG4bK776;received=198.51.100.2;rport=6000;maddr=224.2.0.1;ttl=16;x-custom');
    assert.equal(v.protocol, 'SIP/2.0');
    assert.equal(v.transport, 'UDP');
    assert.equal(v.host, '192.0.2.1');
    assert.equal(v.port, 5070);
    assert.equal(v.branch, 'z9hG4bK776');
    assert.equal(v.received, '198.51.100.2');
    assert.equal(v.rport, 6000);
    assert.equal(v.maddr, '224.2.0.1');
    assert.equal(v.ttl, 16);
    assert.equal(v.params.get('x-custom'), null);
    assert.equal(v.toString(), 'SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK776;received=198.51.100.2;rport=6000;maddr=224.2.0.1;ttl=16;x-custom');
  });

  it('rport without a value, IPv6 sent-by, spaces around separators', () => {
    const v = parseVia('SIP / 2.0 / TCP [2001:db8::5] : 5080 ; rport ; branch = z9hG4bKx');
    assert.equal(v.rport, true);
    assert.equal(v.host, '2001:db8::5');
    assert.equal(v.port, 5080);
    assert.equal(v.branch, 'z9hG4bKx');
    assert.equal(parseVia('SIP/2.0/UDP host.example.com;branch=z9hG4bKa').rport, undefined);
    assert.equal(new Via({ transport: 'ws', host: '::1', port: 8088, params: [['branch', 'z9hG4bKq']] }).toString(), 'SIP/2.0/WS [::1]:8088;branch=z9hG4bKq');
  });

  it('rejects broken Vias', () => {
    for (const bad of ['SIP/2.0 host', 'SIP/2.0/UDP', 'SIP/2.0/UDP host:99999', 'SIP/2.0/UDP [::1', 'SIP/2.0/UDP host;ttl=999', 'SIP/2.0/UDP host;rport=abc', 'SIP/2.0/UDP host;branch', 'SIP/2.0/UDP ho st']) {
      assert.throws(() => parseVia(bad), SipParseError, bad);
    }
  });
});

describe('name-addr, CSeq, numbers', () => {
  it('round-trips name-addrs with quoting', () => {
    const na = parseNameAddr('"Bob \\"B\\"" <sip:bob@biloxi.example.com>;tag=a6c85cf');
    assert.equal(na.displayName, 'Bob "B"');
    assert.equal(formatNameAddr(na), '"Bob \\"B\\"" <sip:bob@biloxi.example.com>;tag=a6c85cf');
    assert.equal(formatNameAddr({ uri: sipUri({ user: 'a', host: 'b' }), params: new Map([['tag', 't']]) }), '<sip:a@b>;tag=t');
    assert.equal(parseNameAddr('<sip:a@b>').displayName, undefined);
    assert.equal(parseContacts(['*']), '*');
    assert.throws(() => parseContacts(['*', '<sip:a@b>']), SipParseError);
  });

  it('CSeq and numeric headers', () => {
    assert.deepEqual(parseCSeq('4711 INVITE'), { seq: 4711, method: 'INVITE' });
    assert.deepEqual(parseCSeq('  0\tNEWMETHOD '), { seq: 0, method: 'NEWMETHOD' });
    for (const bad of ['INVITE', '1', '-1 INVITE', '1 INV ITE', '99999999999 INVITE', '2147483648 BYE']) assert.throws(() => parseCSeq(bad), SipParseError, bad);
    assert.equal(parseNumber(' 70 ', 255), 70);
    assert.throws(() => parseNumber('256', 255), SipParseError);
    assert.throws(() => parseNumber('1e3'), SipParseError);
  });
});

describe('digest auth params', () => {
  it('parses and writes challenges and credentials with the right quoting', () => {
    const ch = parseAuth('Digest realm="asterisk",nonce="1699-abc/def",  qop="auth" ,algorithm=SHA-256,stale=true, opaque="x,y"');
    assert.equal(ch.params.get('opaque'), 'x,y');
    assert.equal(formatChallenge(ch), 'Digest realm="asterisk", nonce="1699-abc/def", qop="auth", algorithm=SHA-256, stale=true, opaque="x,y"');
    const cr = parseAuth(
      'Digest username="bob", realm="asterisk", nonce="n", uri="sip:1000@192.0.2.1", response="abc", qop=auth, nc=0000000a, cnonce="c"',
    );
    assert.equal(
      formatCredentials(cr),
      'Digest username="bob", realm="asterisk", nonce="n", uri="sip:1000@192.0.2.1", response="abc", qop=auth, nc=0000000a, cnonce="c"',
    );
    assert.deepEqual(parseAuth(formatCredentials(cr)), cr);
    for (const bad of ['', 'Digest realm', 'Digest realm="a" nonce="b"', 'Digest realm="unterminated', 'Digest realm="a", realm="b"', 'Digest =x']) {
      assert.throws(() => parseAuth(bad), SipParseError, bad);
    }
  });
});

describe('header list', () => {
  it('splits lists outside quotes and angle brackets', () => {
    assert.deepEqual(splitList('<sip:a@b;x=1,2>, "c, d" <sip:c@d> ,sip:e@f,,'), ['<sip:a@b;x=1,2>', '"c, d" <sip:c@d>', 'sip:e@f']);
    assert.deepEqual(splitList('"esc \\" , quote" <sip:x@y>, b'), ['"esc \\" , quote" <sip:x@y>', 'b']);
  });

  it('keeps order; set, prepend, removeFirst and delete work on full and compact names', () => {
    const h = SipHeaders.from([
      ['v', 'SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2'],
      ['Route', '<sip:p1;lr>'],
      ['X-A', '1'],
      ['l', '0'],
    ]);
    h.prepend('Via', 'SIP/2.0/UDP me;branch=z9hG4bK0');
    assert.deepEqual(h.values('VIA').map((v) => parseVia(v).host), ['me', 'a', 'b']);
    assert.equal(h.removeFirst('Via'), 'SIP/2.0/UDP me;branch=z9hG4bK0');
    assert.equal(h.removeFirst('via'), 'SIP/2.0/UDP a;branch=z9hG4bK1');
    assert.deepEqual(h.lines('Via'), ['SIP/2.0/UDP b;branch=z9hG4bK2']);
    h.append('x-a', '2');
    h.set('X-A', '3');
    assert.deepEqual(h.lines('x-a'), ['3']);
    assert.equal(h.get('Content-Length'), '0');
    assert.equal(h.delete('Route'), 1);
    assert.deepEqual(h.list.map((x) => x.name), ['Via', 'X-A', 'Content-Length']);
    assert.equal(h.first('Route'), undefined);
  });
});
