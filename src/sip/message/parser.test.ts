import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ParseError } from '../../shared/errors.ts';
import { SipParseError, type SipParseReason } from './errors.ts';
import { parseAuth, parseNameAddr, paramValue } from './fields.ts';
import { callId, contactsOf, cseq, fromOf, maxForwards, routesOf, serializeMessage, toOf, topVia, vias, type SipMessage } from './message.ts';
import { parseMessage, SipMessageError } from './parser.ts';
import { isSipUri, isTelUri, parseUri, type SipUri } from './uri.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const load = (name: string): Buffer => fs.readFileSync(path.join(FIXTURES, name));
const parse = (name: string): SipMessage => parseMessage(load(name));

function sip(uri: ReturnType<typeof parseUri>): SipUri {
  assert.ok(isSipUri(uri), 'a SIP URI');
  return uri;
}

/** Serialise, parse again, serialise again: the second round must be byte-identical and keep every header. */
function roundTrip(msg: SipMessage): SipMessage {
  const once = serializeMessage(msg);
  const again = parseMessage(once);
  assert.deepEqual(serializeMessage(again), once);
  assert.deepEqual(
    again.headers.list.map((h) => [h.key, h.value]),
    msg.headers.list.map((h) => [h.key, h.key === 'content-length' ? String(msg.body.length) : h.value]).concat(msg.headers.has('Content-Length') ? [] : [['content-length', String(msg.body.length)]]),
  );
  assert.deepEqual(again.body, msg.body);
  return again;
}

describe('SIP parser: valid fixtures', () => {
  it('a typical INVITE with SDP', () => {
    const m = parse('valid-invite-sdp.sip');
    assert.equal(m.type, 'request');
    assert.equal(m.type === 'request' && m.method, 'INVITE');
    assert.equal(m.type === 'request' && m.uri, 'sip:1000@192.0.2.10:5060');
    const v = topVia(m);
    assert.equal(v.transport, 'UDP');
    assert.equal(v.host, '192.0.2.20');
    assert.equal(v.port, 5062);
    assert.equal(v.branch, 'z9hG4bK-d8754z-1f2e3d4c');
    assert.equal(v.rport, true);
    assert.equal(maxForwards(m), 70);
    assert.equal(fromOf(m).displayName, 'Trunk Caller');
    assert.equal(fromOf(m).params.get('tag'), 'a73kszlfl');
    assert.equal(sip(fromOf(m).uri).user, '+15551230001');
    assert.equal(toOf(m).params.has('tag'), false);
    assert.equal(callId(m), '3848276298220188511@192.0.2.20');
    assert.deepEqual(cseq(m), { seq: 1, method: 'INVITE' });
    assert.deepEqual(m.headers.values('Allow'), ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'REFER', 'NOTIFY', 'INFO']);
    assert.ok(m.body.toString().startsWith('v=0\r\no=bob'));
    assert.equal(m.body.length, Number(m.headers.get('Content-Length')));
    const c = contactsOf(m);
    assert.ok(c !== '*');
    assert.equal(sip(c[0]!.uri).params.get('transport'), 'udp');
    assert.deepEqual(serializeMessage(m), load('valid-invite-sdp.sip'), 'a canonical message serialises to its own bytes');
  });

  it('compact header names expand to full names', () => {
    const m = parse('valid-compact.sip');
    assert.equal(topVia(m).transport, 'TCP');
    assert.equal(topVia(m).port, 5070);
    assert.equal(callId(m), 'compact-1@client.example.org');
    assert.equal(fromOf(m).displayName, 'Bob');
    assert.equal(sip(toOf(m).uri).user, 'alice');
    assert.deepEqual(m.headers.values('Supported'), ['path', 'gruu']);
    assert.equal(m.headers.get('subject'), 'compact test');
    assert.equal(m.headers.get('Content-Type'), 'application/sdp');
    assert.equal(m.body.toString(), 'v=0\r\n');
    assert.deepEqual(
      m.headers.list.map((h) => h.name),
      ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Supported', 'Subject', 'Content-Type', 'Max-Forwards', 'Content-Length'],
    );
    const c = contactsOf(m);
    assert.ok(c !== '*' && c[0]?.params.get('expires') === '60');
    roundTrip(m);
  });

  it('folded lines, odd whitespace, case, multi-value headers and quoted commas', () => {
    const m = parse('valid-folded-whitespace.sip');
    const all = vias(m);
    assert.deepEqual(
      all.map((v) => [v.transport, v.host, v.port, v.branch]),
      [
        ['UDP', 'pc33.example.com', undefined, 'z9hG4bKfold1'],
        ['UDP', 'proxy2.example.com', 5080, 'z9hG4bKp2'],
        ['TCP', 'proxy1.example.com', undefined, 'z9hG4bKp1'],
      ],
    );
    assert.equal(all[0]?.received, '192.0.2.99');
    assert.equal(all[0]?.sentBy, 'pc33.example.com:5060');
    const to = toOf(m);
    assert.equal(to.displayName, 'Carol, "the" one');
    assert.equal(sip(to.uri).host, 'chicago.example.com');
    const from = fromOf(m);
    assert.equal(from.displayName, 'Alice Smith');
    assert.equal(from.params.get('tag'), '1928301774');
    assert.deepEqual(cseq(m), { seq: 314159, method: 'INVITE' });
    assert.equal(m.headers.get('Subject'), 'a folded subject line');
    // Unknown headers are not split (their syntax is unknown), list headers are, outside quotes and <>.
    assert.deepEqual(m.headers.values('X-Custom'), ['"a, quoted" value, <sip:x@y;a=b,c>']);
    const contacts = contactsOf(m);
    assert.ok(contacts !== '*');
    assert.equal(contacts.length, 2);
    assert.equal(contacts[1]?.displayName, 'Second, Contact');
    assert.equal(contacts[1]?.params.get('q'), '0.5');
    assert.equal(sip(contacts[1]!.uri).params.get('ob'), null);
    assert.deepEqual(
      routesOf(m, 'Route').map((r) => sip(r.uri).host),
      ['proxy1.example.com', 'proxy2.example.com', 'proxy3.example.com'],
    );
    assert.equal(m.headers.lines('Route').length, 2, 'original lines kept as they came');
    roundTrip(m);
  });

  it('IPv6 in the Request-URI, Via, received and Contact', () => {
    const m = parse('valid-ipv6.sip');
    assert.ok(m.type === 'request');
    const ru = sip(parseUri(m.uri));
    assert.equal(ru.host, '2001:db8::10');
    assert.equal(ru.port, 5070);
    const v = topVia(m);
    assert.equal(v.host, '2001:db8::9');
    assert.equal(v.port, 5062);
    assert.equal(v.received, '2001:db8::9:1');
    assert.equal(v.rport, 5063);
    assert.equal(v.sentBy, '2001:db8::9:5062');
    const c = contactsOf(m);
    assert.ok(c !== '*');
    assert.deepEqual(c.map((x) => sip(x.uri).host), ['2001:db8::9', '::ffff:192.0.2.128']);
    assert.equal(c[0]?.params.get('expires'), '3600');
    const again = roundTrip(m);
    assert.ok(serializeMessage(again).toString().includes('Via: SIP/2.0/UDP [2001:db8::9]:5062;'));
  });

  it('escaped URIs, passwords, URI parameters and headers', () => {
    const m = parse('valid-escaped-uri.sip');
    assert.ok(m.type === 'request');
    const ru = sip(parseUri(m.uri));
    assert.equal(ru.user, 'sip%3Auser%40example.com');
    assert.equal(ru.params.get('user'), 'phone');
    assert.equal(ru.params.get('transport'), 'udp');
    assert.deepEqual(ru.headers, [
      ['Subject', 'project%20x'],
      ['Priority', 'urgent'],
    ]);
    const from = sip(fromOf(m).uri);
    assert.equal(from.user, 'user%20name');
    assert.equal(from.password, 'secret');
    // An addr-spec without <>: `;tag` would be a header parameter; here there is none.
    assert.equal(sip(toOf(m).uri).user, '%61lice');
    const c = contactsOf(m);
    assert.ok(c !== '*');
    assert.deepEqual(sip(c[0]!.uri).headers, [
      ['Replaces', 'abc%40d%3Bto-tag%3D1'],
      ['Require', 'replaces'],
    ]);
    roundTrip(m);
  });

  it('Contact: * in a REGISTER', () => {
    const m = parse('valid-contact-star.sip');
    assert.equal(contactsOf(m), '*');
    assert.equal(m.headers.get('Expires'), '0');
  });

  it('digest challenges (folded, several) and credentials', () => {
    const m = parse('valid-401-challenge.sip');
    assert.ok(m.type === 'response');
    assert.equal(m.status, 401);
    assert.equal(m.reason, 'Unauthorized');
    const [md5, sha] = m.headers.lines('WWW-Authenticate').map(parseAuth);
    assert.equal(md5?.scheme, 'Digest');
    assert.deepEqual(Object.fromEntries(md5!.params), { realm: 'example.com', nonce: '5f1a2b3c4d5e', opaque: '', qop: 'auth,auth-int', algorithm: 'MD5', stale: 'FALSE' });
    assert.equal(sha?.params.get('algorithm'), 'SHA-256');
    const v = topVia(m);
    assert.equal(v.received, '198.51.100.7');
    assert.equal(v.rport, 40000);
    roundTrip(m);

    const r = parse('valid-authorization.sip');
    const cred = parseAuth(r.headers.get('Authorization')!);
    assert.equal(cred.params.get('username'), 'alice');
    assert.equal(cred.params.get('uri'), 'sip:example.com');
    assert.equal(cred.params.get('qop'), 'auth');
    assert.equal(cred.params.get('nc'), '00000001');
  });

  it('other URI schemes parse as opaque URIs; tel URIs have a number and params', () => {
    const m = parse('valid-other-scheme.sip');
    assert.ok(m.type === 'request');
    assert.deepEqual(parseUri(m.uri), { scheme: 'urn', other: true, rest: 'service:sos' });
    assert.equal(fromOf(m).uri.scheme, 'mailto');
    const t = parse('valid-tel.sip');
    assert.ok(t.type === 'request');
    const tel = parseUri(t.uri);
    assert.ok(isTelUri(tel));
    assert.equal(tel.number, '+1-201-555-0123');
    assert.equal(tel.params.get('phone-context'), 'example.com');
    assert.equal(topVia(t).transport, 'TLS');
    assert.equal(topVia(t).sentBy, 'gw.example.com:5061');
    roundTrip(t);
  });

  it('leading empty lines and bare LF line ends', () => {
    const m = parse('valid-lf-leading-crlf.sip');
    assert.ok(m.type === 'request' && m.method === 'BYE');
    assert.equal(toOf(m).params.get('tag'), 'lf2');
    const out = serializeMessage(m).toString();
    assert.ok(out.startsWith('BYE sip:alice@192.0.2.5 SIP/2.0\r\nVia: '), 'serialised with CRLF and no leading lines');
  });

  it('datagram bodies: no Content-Length means the rest; extra bytes after the body are dropped', () => {
    const a = parse('valid-no-content-length.sip');
    assert.equal(a.body.toString(), 'hello without a length');
    assert.ok(serializeMessage(a).toString().includes('Content-Length: 22\r\n'));
    const b = parse('valid-extra-after-body.sip');
    assert.equal(b.body.toString(), 'hello');
    // On a stream, a missing Content-Length means no body.
    assert.equal(parseMessage(load('valid-no-content-length.sip'), { stream: true }).body.length, 0);
  });

  it('every token character in method, header names, params and tags; a second message in the datagram is ignored', () => {
    const m = parse('valid-odd-tokens-two-in-one.sip');
    assert.ok(m.type === 'request');
    assert.equal(m.method, "X-odd.Method_7+%~*!`'");
    assert.equal(cseq(m).method, m.method);
    assert.equal(maxForwards(m), 255);
    const ru = sip(parseUri(m.uri));
    assert.equal(ru.user, "we;ird?us/er,&=+$-_.!~*'()");
    assert.equal(ru.password, 'p&ss=$,');
    assert.equal(ru.host, 'odd.example.org');
    assert.equal(toOf(m).displayName, 'tab:\t quote:" slash:\\ ctl:\x01');
    const from = fromOf(m);
    assert.equal(from.displayName, "first~` second'+_ third*%!.-");
    assert.equal(from.params.get('tag'), "t~`'!%*_+-.");
    assert.equal(paramValue(from.params, "x-param.!%*_+`'~"), 'ключ значение');
    assert.equal(callId(m), 'odd.id%QQ-!.*_+\'@host`~)(><:\\/"][?}{');
    assert.equal(m.headers.get("x-extension.!%*+_`'~"), '雷雨 stürmisch');
    assert.equal(m.body.length, 0, 'Content-Length 0: the OPTIONS after it is not a body');
    roundTrip(m);
  });

  it('a status line without a reason phrase', () => {
    const m = parse('valid-no-reason.sip');
    assert.ok(m.type === 'response');
    assert.equal(m.status, 100);
    assert.equal(m.reason, '');
  });

  it('IPv6 references that look like they carry a port are addresses (RFC 5118 §4.4 spirit)', () => {
    assert.equal(sip(parseUri('sip:[2001:db8::10:5070]')).port, undefined);
    assert.equal(sip(parseUri('sip:[2001:db8::10]:5070')).port, 5070);
  });

  it('UTF-8 display names and reason phrases survive a round trip', () => {
    const m = parse('valid-utf8.sip');
    assert.ok(m.type === 'response');
    assert.equal(m.status, 486);
    assert.equal(m.reason, 'Besetzt – später');
    assert.equal(fromOf(m).displayName, 'Jürgen Müller');
    assert.deepEqual(serializeMessage(m), load('valid-utf8.sip'));
  });
});

const invalid: Array<[string, SipParseReason]> = [
  ['invalid-only-crlf.sip', 'empty'],
  ['invalid-no-blank-line.sip', 'truncated'],
  ['invalid-content-length-too-big.sip', 'bad-content-length'],
  ['invalid-negative-content-length.sip', 'bad-number'],
  ['invalid-conflicting-content-length.sip', 'bad-content-length'],
  ['invalid-missing-call-id.sip', 'missing-header'],
  ['invalid-missing-via.sip', 'missing-header'],
  ['invalid-cseq-method-mismatch.sip', 'bad-cseq'],
  ['invalid-cseq-too-big.sip', 'bad-cseq'],
  ['invalid-version.sip', 'bad-version'],
  ['invalid-request-line-spaces.sip', 'bad-start-line'],
  ['invalid-bad-port.sip', 'bad-uri'],
  ['invalid-ipv6-no-brackets.sip', 'bad-uri'],
  ['invalid-space-in-uri.sip', 'bad-start-line'],
  ['invalid-unterminated-quote.sip', 'bad-name-addr'],
  ['invalid-via-no-transport.sip', 'bad-via'],
  ['invalid-max-forwards.sip', 'bad-number'],
  ['invalid-two-call-ids.sip', 'bad-header'],
  ['invalid-header-no-colon.sip', 'bad-header'],
  ['invalid-status-code.sip', 'bad-start-line'],
  ['invalid-method-chars.sip', 'bad-start-line'],
  ['invalid-to-missing-gt.sip', 'bad-name-addr'],
  ['invalid-utf8.sip', 'invalid-utf8'],
  ['invalid-angle-request-uri.sip', 'bad-uri'],
  ['invalid-trailing-space-request-line.sip', 'bad-start-line'],
  ['invalid-ipv6-three-colons.sip', 'bad-uri'],
  ['invalid-display-name-parens.sip', 'bad-name-addr'],
];

describe('SIP parser: invalid fixtures', () => {
  for (const [file, reason] of invalid) {
    it(`${file} → ${reason}`, () => {
      assert.throws(
        () => parseMessage(load(file)),
        (e: unknown) => e instanceof SipParseError && e instanceof ParseError && e.reason === reason,
      );
    });
  }

  it('binary garbage is rejected with a SipParseError', () => {
    assert.throws(() => parseMessage(load('invalid-binary-garbage.sip')), SipParseError);
  });

  it('every fixture in the folder is covered by a test', () => {
    const covered = new Set([...invalid.map(([f]) => f), 'invalid-binary-garbage.sip']);
    for (const f of fs.readdirSync(FIXTURES)) if (f.startsWith('invalid-')) assert.ok(covered.has(f), f);
  });

  it('a message whose headers were readable carries them, so a 400 can be answered', () => {
    try {
      parseMessage(load('invalid-cseq-method-mismatch.sip'));
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof SipMessageError);
      assert.equal(e.partial?.headers.get('Call-ID'), 'bad-1');
    }
  });

  it('size and header-count limits', () => {
    const base = load('valid-invite-sdp.sip').toString();
    const big = Buffer.from(base.replace('User-Agent: fixture-uac/1.0', `User-Agent: ${'x'.repeat(70000)}`));
    assert.throws(() => parseMessage(big), (e: unknown) => e instanceof SipParseError && e.reason === 'too-large');
    const many = Buffer.from(base.replace('User-Agent: fixture-uac/1.0', Array.from({ length: 300 }, (_, i) => `X-H${i}: ${i}`).join('\r\n')));
    assert.throws(() => parseMessage(many), (e: unknown) => e instanceof SipParseError && e.reason === 'too-many-headers');
    assert.equal(parseMessage(many, { maxHeaders: 400 }).headers.size, 311);
  });

  it('every prefix and many corruptions of a valid message either parse or throw SipParseError', () => {
    const good = load('valid-folded-whitespace.sip');
    let parsed = 0;
    const check = (b: Buffer): void => {
      try {
        parseMessage(b);
        parsed++;
      } catch (e) {
        if (!(e instanceof SipParseError)) throw e;
      }
    };
    for (let n = 0; n <= good.length; n++) check(good.subarray(0, n));
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const lines = good.toString('latin1').split('\r\n');
    // 10,000 hostile variants: random bytes overwritten, a header line dropped or duplicated, a line cut short.
    for (let k = 0; k < 10000; k++) {
      let b: Buffer;
      if (k % 3 === 0) {
        b = Buffer.from(good);
        for (let j = 0; j < 1 + (k % 5); j++) b[rnd(b.length)] = rnd(256);
      } else {
        const copy = [...lines];
        const at = 1 + rnd(copy.length - 2);
        if (k % 3 === 1) copy.splice(at, 1);
        else copy.splice(at, 0, (copy[at] as string).slice(0, rnd((copy[at] as string).length + 1)));
        b = Buffer.from(copy.join('\r\n'), 'latin1');
      }
      check(b);
    }
    assert.ok(parsed > 0, 'some corruptions still parse (e.g. inside a header value)');
  });
});

describe('name-addr edge cases', () => {
  it('addr-spec parameters belong to the header, bracketed ones to the URI', () => {
    const bare = parseNameAddr('sip:alice@example.com;tag=x;lr');
    assert.equal(bare.params.get('tag'), 'x');
    assert.equal(sip(bare.uri).params.size, 0);
    const br = parseNameAddr('<sip:alice@example.com;lr>;tag=x');
    assert.equal(sip(br.uri).params.get('lr'), null);
    assert.equal(paramValue(parseNameAddr('<sip:a@b>;reason="a \\"b\\""').params, 'reason'), 'a "b"');
    assert.throws(() => parseNameAddr('"a" sip:a@b'), SipParseError);
    assert.throws(() => parseNameAddr('<sip:a@b> junk'), SipParseError);
  });
});
