import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequest, contactsOf, type SipRequest } from '../message/message.ts';
import { ManualTimers } from '../transaction/timers.ts';
import { pjsipFromText } from '../test-config.ts';
import { identifyEndpoint } from './identify.ts';
import { Registrar, type ContactChange } from './registrar.ts';

const CONF = pjsipFromText(`
[alice]
type=endpoint
aors=alice
auth=alice

[alice]
type=aor
max_contacts=2
minimum_expiration=60
maximum_expiration=600
default_expiration=120

[bob]
type=endpoint
aors=bob

[bob]
type=aor
max_contacts=1
remove_existing=yes

[carol]
type=endpoint
aors=carol

[carol]
type=aor

[trunk]
type=endpoint

[trunk]
type=identify
endpoint=trunk
match=192.0.2.0/24

[hdr]
type=endpoint

[hdr]
type=identify
endpoint=hdr
match_header=X-Trunk: hdr1
`);

let seq = 0;
function register(user: string, contacts: string[], extra: [string, string][] = [], callId = 'cid-1'): SipRequest {
  return createRequest('REGISTER', 'sip:127.0.0.1', [
    ['Via', 'SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK' + ++seq],
    ['From', `<sip:${user}@127.0.0.1>;tag=f`],
    ['To', `<sip:${user}@127.0.0.1>`],
    ['Call-ID', callId],
    ['CSeq', `${seq} REGISTER`],
    ...contacts.map((c) => ['Contact', c] as [string, string]),
    ...extra,
  ]);
}
const SRC = { transport: 'UDP', address: '10.0.0.1', port: 5070 };

function harness() {
  const clock = new ManualTimers();
  const events: Array<[string, string, ContactChange]> = [];
  const r = new Registrar({ config: () => CONF, now: () => clock.now, timers: clock, onContactChange: (aor, b, c) => events.push([aor, b.uri, c]) });
  return { clock, events, r };
}

describe('Registrar', () => {
  it('binds with default/clamped expiry, lists bindings with expires, expires them on the clock', () => {
    const { clock, events, r } = harness();
    const res = r.register(register('alice', ['<sip:alice@10.0.0.1:5070>', '<sip:alice@10.0.0.1:5080>;expires=9999']), SRC, 'alice');
    assert.equal(res.status, 200);
    const listed = contactsOf(res);
    assert.ok(listed !== '*');
    assert.deepEqual(listed.map((c) => c.params.get('expires')), ['120', '600']);
    assert.deepEqual(events.map((e) => e[2]), ['created', 'created']);
    clock.advance(121_000);
    assert.deepEqual(r.bindings('alice').map((b) => b.uri), ['sip:alice@10.0.0.1:5080']);
    assert.deepEqual(events[2], ['alice', 'sip:alice@10.0.0.1:5070', 'removed']);
    clock.advance(500_000);
    assert.equal(r.bindings('alice').length, 0);
  });

  it('423 with Min-Expires, refresh updates, Expires 0 removes, Contact * clears, stale CSeq fails', () => {
    const { events, r } = harness();
    const brief = r.register(register('alice', ['<sip:alice@10.0.0.1>'], [['Expires', '10']]), SRC, 'alice');
    assert.equal(brief.status, 423);
    assert.equal(brief.headers.get('Min-Expires'), '60');
    assert.equal(r.register(register('alice', ['<sip:alice@10.0.0.1>']), SRC, 'alice').status, 200);
    const again = register('alice', ['<sip:alice@10.0.0.1>'], [['Expires', '300']]);
    assert.equal(r.register(again, SRC, 'alice').status, 200);
    assert.equal(events.at(-1)?.[2], 'updated');
    assert.equal(r.register(again, SRC, 'alice').status, 500, 'same Call-ID, same CSeq');
    assert.equal(r.register(register('alice', ['<sip:alice@10.0.0.1>'], [['Expires', '0']]), SRC, 'alice').status, 200);
    assert.equal(r.bindings('alice').length, 0);
    r.register(register('alice', ['<sip:a@1.1.1.1>', '<sip:a@1.1.1.2>']), SRC, 'alice');
    assert.equal(r.register(register('alice', ['*']), SRC, 'alice').status, 400, '* needs Expires: 0');
    const cleared = r.register(register('alice', ['*'], [['Expires', '0']]), SRC, 'alice');
    assert.equal(cleared.status, 200);
    assert.equal(cleared.headers.get('Contact'), undefined);
    assert.equal(r.bindings('alice').length, 0);
  });

  it('max_contacts: 403 beyond it, remove_existing replaces the oldest, max_contacts=0 forbids, unknown AOR 404', () => {
    const { r } = harness();
    assert.equal(r.register(register('alice', ['<sip:a@1.1.1.1>', '<sip:a@1.1.1.2>']), SRC, 'alice').status, 200);
    assert.equal(r.register(register('alice', ['<sip:a@1.1.1.3>'], [], 'other'), SRC, 'alice').status, 403);
    assert.equal(r.register(register('bob', ['<sip:b@1.1.1.1>']), SRC, 'bob').status, 200);
    assert.equal(r.register(register('bob', ['<sip:b@1.1.1.2>'], [], 'cid-2'), SRC, 'bob').status, 200);
    assert.deepEqual(r.bindings('bob').map((b) => b.uri), ['sip:b@1.1.1.2']);
    assert.equal(r.register(register('carol', ['<sip:c@1.1.1.1>']), SRC, 'carol').status, 403);
    assert.equal(r.register(register('dave', ['<sip:d@1.1.1.1>']), SRC, 'alice').status, 404);
  });

  it('stores +sip.instance and Path', () => {
    const { r } = harness();
    r.register(register('alice', ['<sip:a@1.1.1.1>;+sip.instance="<urn:uuid:1>";reg-id=1'], [['Path', '<sip:edge.example.com;lr>']]), SRC, 'alice');
    const [b] = r.bindings('alice');
    assert.equal(b?.instance, '<urn:uuid:1>');
    assert.equal(b?.regId, '1');
    assert.deepEqual(b?.path, ['<sip:edge.example.com;lr>']);
  });
});

describe('identifyEndpoint', () => {
  it('by source IP (identify match), by header, by From user, else anonymous', () => {
    assert.equal(identifyEndpoint(register('zzz', []), { address: '192.0.2.7', port: 5060 }, CONF), 'trunk');
    assert.equal(identifyEndpoint(register('alice', []), { address: '10.0.0.1', port: 5060 }, CONF), 'alice');
    assert.equal(identifyEndpoint(register('zzz', [], [['X-Trunk', 'hdr1']]), { address: '10.0.0.1', port: 5060 }, CONF), 'hdr');
    assert.equal(identifyEndpoint(register('zzz', []), { address: '10.0.0.1', port: 5060 }, CONF), undefined);
  });
});

describe('Registrar rewrite_contact', () => {
  it('stores the source address and port instead of the private contact, keeping the original in x-ast-orig-host', () => {
    const { r } = harness();
    r.register(register('alice', ['<sip:alice@192.168.1.20:5062>']), { transport: 'TCP', address: '198.51.100.9', port: 40123 }, 'alice', { rewriteContact: true });
    assert.deepEqual(r.bindings('alice').map((b) => b.uri), ['sip:alice@198.51.100.9:40123;x-ast-orig-host=192.168.1.20:5062;transport=tcp']);
  });
});
