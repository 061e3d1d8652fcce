import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diffPjsip, loadPjsipConf, networkContains, parseCallerId, parseNetwork, readPjsipConf } from './pjsip.ts';
import type { PjsipConfig } from './pjsip.ts';
import { formatDiagnostic, memoryConfHost, parseConfText } from './parser.ts';
import type { Diagnostic } from './types.ts';

const ETC = '/etc/asterisk';
const FILE = `${ETC}/pjsip.conf`;

function load(textValue: string, others: Record<string, string> = {}): { value: PjsipConfig; diagnostics: readonly Diagnostic[] } {
  const host = memoryConfHost(Object.fromEntries(Object.entries(others).map(([name, body]) => [`${ETC}/${name}`, body])));
  return readPjsipConf(parseConfText(textValue, FILE, host, { configDir: ETC }), ETC);
}

function messages(diagnostics: readonly Diagnostic[]): string[] {
  return diagnostics.map((d) => `${d.line}: ${d.level}: ${d.message}`);
}

/** The seed's trunk (as in shared/reference/asterisk-22/sip-perf.txt), a phone with auth+aor, and templates. */
const PBX_CONF = `;-- a small office PBX --;
[global]
type = global
user_agent = Ariadne PBX
endpoint_identifier_order = ip,username

[transport-udp]
type=transport
protocol=udp
bind=0.0.0.0
external_media_address=203.0.113.5
external_signaling_address=203.0.113.5
local_net=192.168.0.0/16
local_net=10.0.0.0/255.0.0.0,172.16.0.0/12

[transport-tls]
type=transport
protocol=tls
bind=[::]
cert_file=keys/asterisk.crt
priv_key_file=/etc/asterisk/keys/asterisk.key
method=tlsv1_2
verify_client=no
tos=cs3
cos=3

[phone](!)
type=endpoint
context=internal
disallow=all
allow=ulaw,alaw
allow=!alaw
dtmf_mode=rfc4733
direct_media=no
rtp_symmetric=yes
force_rport=yes
rewrite_contact=yes
timers=required
100rel=no

[alice](phone)
auth=alice-auth
aors=alice
callerid="Alice Liddell" <1001>
set_var=GROUP=sales
set_var=LANG=en
set_var=GROUP=support
mailboxes=1001@default

[alice-auth]
type=auth
auth_type=userpass
username=alice
password=s3cret

[alice]
type=aor
max_contacts=1
remove_existing=yes
qualify_frequency=30

[trunk]
type=endpoint
transport=transport-udp
context=from-trunk
disallow=all
allow=ulaw
direct_media=no
outbound_auth=trunk-auth
from_user=44123456
from_domain=sip.provider.example
send_pai=yes
trust_id_inbound=yes
identify_by=ip,header

[trunk-identify]
type=identify
endpoint=trunk
match=127.0.0.1
match=198.51.100.0/24, sip.provider.example, [2001:db8::1]:5060
match_header=X-Trunk: /^prov[0-9]+$/

[trunk-auth]
type=auth
username=44123456
password=trunkpass
realm=sip.provider.example

[trunk-reg]
type=registration
server_uri=sip:sip.provider.example
client_uri=sip:44123456@sip.provider.example
contact_user=1000
outbound_auth=trunk-auth
retry_interval=30
forbidden_retry_interval=600
expiration=300
transport=transport-udp
`;

test('a realistic pjsip.conf loads: transports, a templated phone with auth+aor, a trunk with identify+registration', () => {
  const { value, diagnostics } = load(PBX_CONF);
  assert.deepEqual(messages(diagnostics), []);
  assert.deepEqual([...value.transport.keys()], ['transport-udp', 'transport-tls']);
  assert.deepEqual([...value.endpoint.keys()], ['alice', 'trunk']);

  const udp = value.transport.get('transport-udp')!;
  assert.equal(udp.protocol, 'udp');
  assert.deepEqual(udp.bind, { host: '0.0.0.0', family: 4, port: 5060 });
  assert.equal(udp.externalMediaAddress, '203.0.113.5');
  assert.deepEqual(udp.localNet.map((n) => `${n.address}/${n.prefix}`), ['192.168.0.0/16', '10.0.0.0/8', '172.16.0.0/12']);
  assert.deepEqual(udp.source, { file: FILE, line: 7 });

  const tls = value.transport.get('transport-tls')!;
  assert.deepEqual(tls.bind, { host: '::', family: 6, port: 5061 }, 'TLS defaults to 5061');
  assert.equal(tls.tls.certFile, '/etc/asterisk/keys/asterisk.crt', 'relative to the config directory');
  assert.equal(tls.tls.method, 'tlsv1_2');

  const alice = value.endpoint.get('alice')!;
  assert.equal(alice.context, 'internal', 'inherited from the template');
  assert.deepEqual(alice.codecs, [{ name: 'ulaw', framing: 0 }], 'allow=!alaw removes alaw');
  assert.equal(alice.dtmfMode, 'rfc4733');
  assert.equal(alice.directMedia, false);
  assert.equal(alice.rtpSymmetric, true);
  assert.equal(alice.rewriteContact, true);
  assert.equal(alice.timers, 'required');
  assert.equal(alice.rel100, 'no');
  assert.deepEqual(alice.auth, ['alice-auth']);
  assert.deepEqual(alice.aors, ['alice']);
  assert.deepEqual(alice.callerid, { name: 'Alice Liddell', number: '1001' });
  assert.deepEqual(alice.setVar, [{ name: 'LANG', value: 'en' }, { name: 'GROUP', value: 'support' }]);
  assert.deepEqual(alice.mailboxes, ['1001@default']);
  assert.deepEqual(alice.identifyBy, ['username', 'ip'], 'default');
  assert.equal(alice.forceRport, true);
  assert.equal(alice.timersMinSe, 90);
  assert.equal(alice.timersSessExpires, 1800);
  assert.equal(alice.sdpSession, 'Asterisk');
  assert.equal(alice.incomingCallOfferPref, 'local');
  assert.ok(Object.isFrozen(alice) && Object.isFrozen(alice.codecs));

  assert.deepEqual(value.auth.get('alice-auth')?.password, 's3cret');
  const aor = value.aor.get('alice')!;
  assert.equal(aor.maxContacts, 1);
  assert.equal(aor.removeExisting, true);
  assert.equal(aor.qualifyFrequency, 30);
  assert.equal(aor.defaultExpiration, 3600);
  assert.equal(aor.qualifyTimeout, 3);

  const trunk = value.endpoint.get('trunk')!;
  assert.equal(trunk.transport, 'transport-udp');
  assert.deepEqual(trunk.outboundAuth, ['trunk-auth']);
  assert.equal(trunk.fromUser, '44123456');
  assert.equal(trunk.sendPai, true);
  assert.equal(trunk.trustIdInbound, true);
  assert.deepEqual(trunk.identifyBy, ['ip', 'header']);

  const identify = value.identify.get('trunk-identify')!;
  assert.equal(identify.endpoint, 'trunk');
  assert.deepEqual(identify.match.map((m) => [m.address, m.prefix, m.port]),
    [['127.0.0.1', 32, 0], ['198.51.100.0', 24, 0], ['2001:db8::1', 128, 5060]]);
  assert.deepEqual(identify.matchHosts, ['sip.provider.example']);
  assert.deepEqual(identify.matchHeader, { name: 'X-Trunk', value: '^prov[0-9]+$', regex: true });

  const reg = value.registration.get('trunk-reg')!;
  assert.equal(reg.serverUri, 'sip:sip.provider.example');
  assert.equal(reg.clientUri, 'sip:44123456@sip.provider.example');
  assert.equal(reg.retryInterval, 30);
  assert.equal(reg.forbiddenRetryInterval, 600);
  assert.equal(reg.expiration, 300);
  assert.equal(reg.maxRetries, 10);
  assert.equal(reg.authRejectionPermanent, true);

  assert.equal(value.global.userAgent, 'Ariadne PBX');
  assert.deepEqual(value.global.endpointIdentifierOrder, ['ip', 'username']);
  assert.equal(value.global.maxForwards, 70);
  assert.equal(value.system.timerT1, 500, 'system defaults without a [system] section');
  assert.equal(value.system.timerB, 32000);
});

test("the sip-perf anchor's minimal trunk config loads exactly as Asterisk would", () => {
  const { value, diagnostics } = load(`[transport-udp]
type=transport
protocol=udp
bind=127.0.0.1:5060
[trunk]
type=endpoint
transport=transport-udp
context=from-trunk
disallow=all
allow=ulaw
direct_media=no
[trunk-identify]
type=identify
endpoint=trunk
match=127.0.0.1
`);
  assert.deepEqual(messages(diagnostics), []);
  assert.equal(value.endpoint.get('trunk')?.dtmfMode, 'rfc4733');
  assert.equal(value.global.userAgent, 'Asterisk PBX 22.10.1');
  assert.equal(value.global.defaultRealm, 'asterisk');
  assert.deepEqual(value.transport.get('transport-udp')?.bind, { host: '127.0.0.1', family: 4, port: 5060 });
});

test('codec lists follow allow/disallow order: all, !, framing, unknown names, | separators', () => {
  const { value, diagnostics } = load(`[a]
type=endpoint
allow=alaw|ulaw:30
allow=ulaw,g722
disallow=alaw
allow=alaw,nosuchcodec
[b]
type=endpoint
allow=all
disallow=!ulaw
disallow=all
allow=opus,ulaw
[c]
type=endpoint
allow=all
allow=!g729
`);
  assert.deepEqual(value.endpoint.get('a')?.codecs, [
    { name: 'ulaw', framing: 30 }, { name: 'g722', framing: 0 }, { name: 'alaw', framing: 0 },
  ]);
  assert.deepEqual(value.endpoint.get('b')?.codecs.map((c) => c.name), ['opus', 'ulaw']);
  const c = value.endpoint.get('c')!.codecs.map((x) => x.name);
  assert.ok(c.includes('ulaw') && c.includes('opus') && !c.includes('g729'));
  assert.ok(c.indexOf('ulaw') < c.indexOf('alaw'), 'allow=all uses Asterisk registration order');
  assert.deepEqual(messages(diagnostics), ["6: warning: cannot allow unknown codec 'nosuchcodec'; skipped"]);
});

test('bad values report file:line and keep the default; the object survives', () => {
  const { value, diagnostics } = load(`[p]
type=endpoint
allow=ulaw
dtmf_mode=rfc2833
direct_media=perhaps
timers_min_se=30
100rel=sometimes
identify_by=username,mac
callerid_privacy=secret
from_user=bad user
rtp_timeout=-5
no_such_option=1
`);
  const p = value.endpoint.get('p')!;
  assert.equal(p.dtmfMode, 'rfc4733');
  assert.equal(p.directMedia, true);
  assert.equal(p.timersMinSe, 90);
  assert.equal(p.rel100, 'yes');
  assert.deepEqual(p.identifyBy, ['username', 'ip']);
  assert.equal(p.calleridPrivacy, 'allowed_not_screened');
  assert.equal(p.fromUser, '');
  assert.equal(p.rtpTimeout, 0);
  const lines = diagnostics.map((d) => [d.line, d.level]);
  assert.deepEqual(lines, [
    [4, 'error'], [5, 'error'], [7, 'error'], [8, 'error'], [9, 'error'], [10, 'error'], [11, 'error'],
    [12, 'warning'], [1, 'error'],
  ]);
  assert.equal(formatDiagnostic(diagnostics[0]!),
    `${FILE}:4: error: invalid value 'rfc2833' for 'dtmf_mode': expected one of rfc4733, inband, info, auto, auto_info, none; using the default rfc4733`);
  assert.match(diagnostics[7]!.message, /unknown option 'no_such_option' for endpoint \[p\]/);
  assert.match(diagnostics[8]!.message, /timers_min_se must be 90 or more/);
});

test('sections without a type, with an unknown or unsupported type, and duplicates are reported', () => {
  const { value, diagnostics } = load(`[lonely]
context=x
[odd]
type=endpont
[pp]
type=phoneprov
[g1]
type=global
max_forwards=20
[g2]
type=global
max_forwards=30
[dup]
type=aor
max_contacts=1
[dup]
type=aor
max_contacts=2
`);
  assert.deepEqual(messages(diagnostics), [
    "1: error: section [lonely] in pjsip.conf has no 'type' (such as endpoint, aor, auth, transport); ignored",
    "4: error: section [odd] has unknown type 'endpont' (expected transport, endpoint, aor, auth, identify, registration, domain_alias, contact, global, system); ignored",
    "6: warning: [pp] has type 'phoneprov', which Ariadne does not support yet; ignored",
    "10: error: only one 'type = global' section is allowed; [g2] is ignored (the first is at pjsip.conf:7)",
    '16: warning: aor \'dup\' is defined more than once (first at pjsip.conf:13); the last definition is used',
  ]);
  assert.equal(value.global.maxForwards, 20);
  assert.equal(value.aor.get('dup')?.maxContacts, 2);
});

test('objects that cannot work are dropped, as Asterisk drops them', () => {
  const { value, diagnostics } = load(`[t1]
type=transport
protocol=udp
[t2]
type=transport
protocol=tls
bind=0.0.0.0
[t3]
type=transport
bind=10.0.0.300
[a1]
type=auth
password=x
[a2]
type=auth
auth_type=md5
username=u
[i1]
type=identify
match=10.0.0.1
[i2]
type=identify
endpoint=nobody
[r1]
type=registration
client_uri=sip:me@example.com
[r2]
type=registration
server_uri=sip:example.com
client_uri=me@example.com
`);
  for (const type of ['transport', 'auth', 'identify', 'registration'] as const) {
    assert.equal(value[type].size, 0, type);
  }
  assert.deepEqual(messages(diagnostics), [
    "1: error: transport 't1' has no valid 'bind' address; the transport is not created",
    "4: error: TLS transport 't2' has no 'cert_file'; the transport is not created",
    "10: error: invalid value '10.0.0.300' for 'bind': expected an IP address with an optional port, such as 0.0.0.0, 0.0.0.0:5060 or [::]:5061",
    "8: error: transport 't3' has no valid 'bind' address; the transport is not created",
    "11: error: auth 'a1' has no 'username'; the auth is not created",
    "14: error: auth 'a2' has auth_type md5 but no 'md5_cred'; the auth is not created",
    "18: error: identify 'i1' names no 'endpoint'; the identify is not created",
    "21: error: identify 'i2' matches nothing (set match, match_header or match_request_uri); the identify is not created",
    "24: error: registration 'r1' has no 'server_uri'; the registration is not created",
    "27: error: registration 'r2': client_uri 'me@example.com' is not a sip: or sips: URI; the registration is not created",
  ]);
});

test('dangling references warn; unsupported options warn only when set away from the default', () => {
  const { value, diagnostics } = load(`[e]
type=endpoint
allow=ulaw
aors=e,missing
auth=ghost
t38_udptl=no
rtp_engine=asterisk
t38_udptl=yes
webrtc=yes
ice_support=yes
[e]
type=aor
`);
  const e = value.endpoint.get('e')!;
  assert.deepEqual(e.unsupported, { t38_udptl: 'yes', webrtc: 'yes' });
  assert.equal(e.iceSupport, true);
  assert.deepEqual(messages(diagnostics), [
    "8: warning: 't38_udptl' in [e] is not supported by Ariadne yet; the value 'yes' has no effect",
    "9: warning: 'webrtc' in [e] is not supported by Ariadne yet; the value 'yes' has no effect",
    "10: warning: ICE is not supported by Ariadne yet; 'ice_support' in [e] has no effect",
    "1: warning: 'aors = missing' in [e] names no aor that was loaded",
    "1: warning: 'auth = ghost' in [e] names no auth that was loaded",
  ]);
});

test('auth types, digests and aor contacts', () => {
  const { value, diagnostics } = load(`[md5]
type=auth
auth_type=md5
username=bob
realm=asterisk
md5_cred=0123456789ABCDEF0123456789abcdef
[dig]
type=auth
auth_type=digest
username=carol
password_digest=SHA-256:AABB
supported_algorithms_uas=SHA-256,MD5
nonce_lifetime=60
[static]
type=aor
contact=sip:100@192.0.2.10:5060
contact=sip:101@192.0.2.11, sips:102@example.com , 103@nowhere
qualify_timeout=1.5
authenticate_qualify=yes
`);
  assert.equal(value.auth.get('md5')?.md5Cred, '0123456789abcdef0123456789abcdef');
  const dig = value.auth.get('dig')!;
  assert.equal(dig.authType, 'digest');
  assert.deepEqual(dig.passwordDigests, { 'SHA-256': 'aabb' });
  assert.deepEqual(dig.supportedAlgorithmsUas, ['SHA-256', 'MD5']);
  assert.equal(dig.nonceLifetime, 60);
  const aor = value.aor.get('static')!;
  assert.deepEqual(aor.contacts, ['sip:100@192.0.2.10:5060', 'sip:101@192.0.2.11', 'sips:102@example.com']);
  assert.equal(aor.qualifyTimeout, 1.5);
  assert.equal(aor.authenticateQualify, true);
  assert.deepEqual(messages(diagnostics),
    ["17: error: invalid contact '103@nowhere' in [static]: expected a sip: or sips: URI; ignored"]);
});

test('#include and (+) sections feed the same model', () => {
  const { value, diagnostics } = load(`#include pjsip_endpoints.conf
[bob](+)
language=fr
`, { 'pjsip_endpoints.conf': '[bob]\ntype=endpoint\nallow=alaw\n' });
  assert.deepEqual(messages(diagnostics), []);
  const bob = value.endpoint.get('bob')!;
  assert.equal(bob.language, 'fr');
  assert.equal(bob.source.file, `${ETC}/pjsip_endpoints.conf`);
});

test('diffPjsip reports added, changed and removed objects, ignoring where they were written', () => {
  const before = load(PBX_CONF).value;
  const moved = load(`\n\n${PBX_CONF}`).value;
  assert.deepEqual(diffPjsip(before, moved), []);
  const edited = PBX_CONF
    .replace('password=s3cret', 'password=n3w')
    .replace('[trunk-reg]\ntype=registration', '[trunk-reg]\ntype=nothing')
    .replace('user_agent = Ariadne PBX', 'user_agent = Ariadne PBX 2')
    + '\n[bob](phone)\n';
  const after = load(edited).value;
  assert.deepEqual(diffPjsip(before, after), [
    { type: 'endpoint', id: 'bob', change: 'added' },
    { type: 'auth', id: 'alice-auth', change: 'changed' },
    { type: 'registration', id: 'trunk-reg', change: 'removed' },
    { type: 'global', id: 'global', change: 'changed' },
  ]);
});

test('caller id and network parsing', () => {
  assert.deepEqual(parseCallerId('"Bob \\"B\\"" <+44 20>'), { name: 'Bob "B"', number: '+44 20' });
  assert.deepEqual(parseCallerId('Reception <100>'), { name: 'Reception', number: '100' });
  assert.deepEqual(parseCallerId('<200>'), { name: '', number: '200' });
  assert.deepEqual(parseCallerId('5551234'), { name: '', number: '5551234' });
  assert.deepEqual(parseCallerId('Front Desk'), { name: 'Front Desk', number: '' });
  assert.equal(parseCallerId('  '), undefined);
  assert.deepEqual(parseNetwork('!10.1.0.0/255.255.0.0', false),
    { address: '10.1.0.0', family: 4, prefix: 16, port: 0, negated: true });
  assert.deepEqual(parseNetwork('fd00::/ffff:ff00::', false), { address: 'fd00::', family: 6, prefix: 24, port: 0, negated: false });
  assert.equal(parseNetwork('10.0.0.0/33', false), undefined);
  assert.equal(parseNetwork('10.0.0.1:5060', false), undefined);
  assert.equal(parseNetwork('10.0.0.0/255.0.255.0', false), undefined, 'non-contiguous mask');
});

test('networkContains matches addresses, prefixes, ports and IPv4-mapped peers', () => {
  const net = (item: string) => parseNetwork(item, true)!;
  assert.equal(networkContains(net('10.0.0.0/8'), '10.200.3.4'), true);
  assert.equal(networkContains(net('10.0.0.0/8'), '11.0.0.1'), false);
  assert.equal(networkContains(net('192.168.1.0/255.255.255.128'), '192.168.1.127'), true);
  assert.equal(networkContains(net('192.168.1.0/255.255.255.128'), '192.168.1.128'), false);
  assert.equal(networkContains(net('127.0.0.1'), '::ffff:127.0.0.1'), true, 'dual-stack sockets report mapped IPv4');
  assert.equal(networkContains(net('127.0.0.1'), '127.0.0.2'), false);
  assert.equal(networkContains(net('2001:db8::/32'), '2001:db8:ffff::1'), true);
  assert.equal(networkContains(net('2001:db8::/32'), '2001:db9::1'), false);
  assert.equal(networkContains(net('2001:db8::/32'), '10.0.0.1'), false, 'families never mix');
  assert.equal(networkContains(net('[2001:db8::1]:5060'), '2001:db8::1', 5060), true);
  assert.equal(networkContains(net('[2001:db8::1]:5060'), '2001:db8::1', 5062), false);
  assert.equal(networkContains(net('0.0.0.0/0'), '203.0.113.9'), true);
  assert.equal(networkContains(net('10.0.0.0/8'), 'not-an-ip'), false);
});

test('loadPjsipConf reads from disk and reports a missing file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-pjsip-'));
  try {
    const missing = loadPjsipConf(dir);
    assert.equal(missing.value.endpoint.size, 0);
    assert.deepEqual(messages(missing.diagnostics), ['0: warning: pjsip.conf not found; no SIP transports or endpoints are configured']);
    fs.writeFileSync(path.join(dir, 'pjsip.conf'), PBX_CONF);
    const loaded = loadPjsipConf(dir);
    assert.deepEqual(messages(loaded.diagnostics), []);
    assert.equal(loaded.value.transport.get('transport-tls')?.tls.certFile, path.join(dir, 'keys/asterisk.crt'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('odd values for every kind of option never throw', () => {
  const values = ['', ' ', '!', '!!all', '-1', '99999999999999999999', 'yes', 'no', '[::', '/', '1.2.3.4/99', ',,,', ':', '=', '"', '<>'];
  const options: Record<string, string[]> = {
    transport: ['protocol', 'bind', 'local_net', 'method', 'cert_file', 'external_signaling_port', 'tcp_keepalive_idle_time'],
    endpoint: ['allow', 'disallow', 'callerid', 'set_var', 'identify_by', '100rel', 'timers', 'permit', 'media_address', 'from_user', 't38_udptl'],
    aor: ['contact', 'qualify_timeout', 'max_contacts'],
    auth: ['md5_cred', 'password_digest', 'supported_algorithms_uas', 'username'],
    identify: ['match', 'match_header', 'endpoint'],
    registration: ['server_uri', 'client_uri', 'expiration', 'line'],
    global: ['max_forwards', 'endpoint_identifier_order'],
    system: ['timer_t1', 'timer_b'],
  };
  let textValue = '';
  let n = 0;
  for (const [type, names] of Object.entries(options)) {
    for (const name of names) {
      for (const value of values) {
        textValue += `[s${n++}]\ntype=${type}\n${name}=${value}\n`;
      }
    }
  }
  const { value, diagnostics } = load(textValue);
  assert.ok(Object.isFrozen(value.endpoint.get('s0') ?? value.global));
  assert.ok(diagnostics.length > 100);
  assert.ok(diagnostics.every((d) => d.line > 0 && d.file === FILE));
});
