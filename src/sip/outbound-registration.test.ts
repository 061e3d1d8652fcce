import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PjsipConfig, PjsipRegistration } from '../config/pjsip.ts';
import { createTestLogger } from '../shared/logger.ts';
import { createResponse } from './message/helpers.ts';
import { createRequest, type SipRequest, type SipResponse } from './message/message.ts';
import { grantedExpiry, OutboundRegistrations, type RegistrationClient } from './outbound-registration.ts';
import { pjsipFromText } from './test-config.ts';
import { ManualTimers } from './transaction/timers.ts';

const conf = (extra = ''): PjsipConfig => pjsipFromText(`
[prov-auth]
type = auth
username = ariadne
password = s3cret

[prov]
type = registration
server_uri = sip:registrar.example.com
client_uri = sip:ariadne@example.com
contact_user = inbound
outbound_auth = prov-auth
expiration = 120
max_random_initial_delay = 0
retry_interval = 30
max_retries = 2
${extra}
`);

type Reply = (req: SipRequest) => SipResponse;

/** A client answering from a script; every REGISTER sent is kept. */
function scripted(replies: Reply[]): { client: RegistrationClient; sent: SipRequest[] } {
  const sent: SipRequest[] = [];
  const client: RegistrationClient = {
    contact: async (_reg: PjsipRegistration, user: string) => `<sip:${user}@192.0.2.1:5060>`,
    send: async (_reg, req) => {
      sent.push(req);
      const next = replies.shift();
      return next === undefined ? createResponse(req, 408) : next(req);
    },
  };
  return { client, sent };
}

const challenge: Reply = (req) => createResponse(req, 401, { toTag: 'x', headers: [['WWW-Authenticate', 'Digest realm="example.com", nonce="abc123", algorithm=MD5, qop="auth"']] });
const ok = (expires: number): Reply => (req) => createResponse(req, 200, { toTag: 'x', headers: [['Contact', `${req.headers.get('Contact') ?? ''};expires=${expires}`]] });
const status = (code: number, headers: Array<[string, string]> = []): Reply => (req) => createResponse(req, code, { toTag: 'x', headers });

/** Lets the promise chains of the fake client run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

async function advance(timers: ManualTimers, ms: number): Promise<void> {
  timers.advance(ms);
  await settle();
}

function make(replies: Reply[], config = conf()) {
  const timers = new ManualTimers();
  const { client, sent } = scripted(replies);
  const regs = new OutboundRegistrations({ config, client, logger: createTestLogger(), timers, now: () => timers.now });
  return { timers, sent, regs };
}

describe('OutboundRegistrations', () => {
  it('registers after 1 s, answers the challenge, and refreshes 10 s before expiry with credentials', async () => {
    const { timers, sent, regs } = make([challenge, ok(120), ok(120)]);
    assert.equal(regs.state('prov')?.status, 'Unregistered');
    await advance(timers, 999);
    assert.equal(sent.length, 0);
    await advance(timers, 1);
    assert.equal(sent.length, 2);
    const [first, second] = sent as [SipRequest, SipRequest];
    assert.equal(first.uri, 'sip:registrar.example.com');
    assert.match(first.headers.get('From') ?? '', /^<sip:ariadne@example\.com>;tag=/);
    assert.equal(first.headers.get('To'), '<sip:ariadne@example.com>');
    assert.equal(first.headers.get('Contact'), '<sip:inbound@192.0.2.1:5060>');
    assert.equal(first.headers.get('Expires'), '120');
    assert.equal(first.headers.get('CSeq'), '1 REGISTER');
    assert.equal(first.headers.has('Authorization'), false);
    assert.equal(second.headers.get('CSeq'), '2 REGISTER');
    assert.equal(second.headers.get('Call-ID'), first.headers.get('Call-ID'));
    assert.match(second.headers.get('Authorization') ?? '', /username="ariadne".*realm="example.com"/);
    assert.equal(regs.state('prov')?.status, 'Registered');
    assert.equal(regs.state('prov')?.registeredUntil, 1000 + 120_000);
    assert.equal(regs.state('prov')?.expiresAt, 1000 + 110_000, 'exp. is the next refresh, as Asterisk shows it');
    // Refresh at 120 - 10 s after the 2xx, carrying credentials for the last challenge (nc incremented).
    await advance(timers, 109_999);
    assert.equal(sent.length, 2);
    await advance(timers, 1);
    assert.equal(sent.length, 3);
    assert.equal(sent[2]?.headers.get('CSeq'), '4 REGISTER');
    assert.match(sent[2]?.headers.get('Authorization') ?? '', /nc=00000002/);
    assert.equal(regs.state('prov')?.status, 'Registered');
  });

  it('refreshes a short grant at half its lifetime instead of looping', async () => {
    const { timers, sent } = make([ok(2), ok(2)]);
    await advance(timers, 1000);
    assert.equal(sent.length, 1);
    await advance(timers, 999);
    assert.equal(sent.length, 1);
    await advance(timers, 1);
    assert.equal(sent.length, 2);
  });

  it('retries temporary failures every retry_interval, then gives up after max_retries', async () => {
    const { timers, sent, regs } = make([status(503), status(503), status(503)]);
    await advance(timers, 1000);
    assert.equal(regs.state('prov')?.status, 'Rejected');
    assert.equal(regs.state('prov')?.retries, 1);
    await advance(timers, 30_000);
    assert.equal(sent.length, 2);
    await advance(timers, 30_000);
    assert.equal(sent.length, 3);
    assert.equal(regs.state('prov')?.lastCode, 503);
    await advance(timers, 300_000);
    assert.equal(sent.length, 3, 'no attempt after max_retries');
    assert.equal(regs.state('prov')?.status, 'Rejected');
  });

  it('a 403 is permanent unless forbidden_retry_interval is set', async () => {
    const a = make([status(403)]);
    await advance(a.timers, 1000);
    assert.equal(a.regs.state('prov')?.status, 'Rejected');
    await advance(a.timers, 600_000);
    assert.equal(a.sent.length, 1);

    const b = make([status(403), ok(120)], conf('forbidden_retry_interval = 45'));
    await advance(b.timers, 1000);
    assert.equal(b.regs.state('prov')?.status, 'Rejected');
    await advance(b.timers, 45_000);
    assert.equal(b.sent.length, 2);
    assert.equal(b.regs.state('prov')?.status, 'Registered');
  });

  it('honours Retry-After and treats a rejected challenge as permanent by default', async () => {
    const a = make([status(503, [['Retry-After', '7']]), ok(120)]);
    await advance(a.timers, 1000);
    await advance(a.timers, 7000);
    assert.equal(a.sent.length, 2);
    assert.equal(a.regs.state('prov')?.status, 'Registered');

    const b = make([challenge, challenge]);
    await advance(b.timers, 1000);
    assert.equal(b.sent.length, 2);
    assert.equal(b.regs.state('prov')?.status, 'Rejected');
    assert.equal(b.regs.state('prov')?.lastCode, 401);
    await advance(b.timers, 600_000);
    assert.equal(b.sent.length, 2);
  });

  it('on reload restarts a changed registration and unregisters a removed one with Expires: 0', async () => {
    const { timers, sent, regs } = make([ok(120), ok(0), ok(300), ok(0)]);
    await advance(timers, 1000);
    assert.equal(regs.state('prov')?.status, 'Registered');
    regs.update(conf()); // same settings: nothing happens
    await advance(timers, 5000);
    assert.equal(sent.length, 1);
    regs.update(conf('user_agent = X\nexpiration = 300'));
    await settle();
    assert.equal(sent[1]?.headers.get('Expires'), '0', 'the old registration is unregistered');
    await advance(timers, 1000);
    assert.equal(sent[2]?.headers.get('Expires'), '300');
    assert.equal(sent[2]?.headers.get('User-Agent'), 'X');
    assert.notEqual(sent[2]?.headers.get('Call-ID'), sent[0]?.headers.get('Call-ID'));
    assert.equal(regs.state('prov')?.status, 'Registered');
    regs.update(pjsipFromText(''));
    await settle();
    assert.equal(sent[3]?.headers.get('Expires'), '0');
    assert.equal(regs.state('prov'), undefined);
    assert.equal(timers.pending, 0);
  });
});

describe('line = yes', () => {
  const lineConf = (line = 'line = yes\nendpoint = provider') => conf(`${line}
contact_header_params = x-ref=7

[provider]
type = endpoint
context = from-provider
`);
  const inbound = (uri: string, to = '<sip:1000@192.0.2.1>') =>
    createRequest('INVITE', uri, [['Via', 'SIP/2.0/UDP 198.51.100.1;branch=z9hG4bK1'], ['From', '<sip:p@198.51.100.1>;tag=1'], ['To', to], ['Call-ID', 'c'], ['CSeq', '1 INVITE']]);

  it('puts a 7-letter line token inside the Contact URI and names the endpoint for requests carrying it', async () => {
    const { timers, sent, regs } = make([ok(120)], lineConf());
    await advance(timers, 1000);
    const contact = sent[0]?.headers.get('Contact') ?? '';
    const token = /^<sip:inbound@192\.0\.2\.1:5060;line=([a-z]{7})>;x-ref=7$/.exec(contact)?.[1];
    assert.ok(token !== undefined, contact);
    assert.equal(regs.state('prov')?.status, 'Registered', 'the 2xx Contact with the line parameter is ours');
    assert.equal(regs.endpointForLine(inbound(`sip:inbound@192.0.2.1:5060;line=${token}`)), 'provider');
    assert.equal(regs.endpointForLine(inbound('sip:inbound@192.0.2.1:5060', `<sip:inbound@192.0.2.1;line=${token}>`)), 'provider', 'To URI');
    assert.equal(regs.endpointForLine(inbound('sip:inbound@192.0.2.1:5060;line=zzzzzzz')), undefined);
    assert.equal(regs.endpointForLine(inbound('sip:inbound@192.0.2.1:5060')), undefined);
    await advance(timers, 110_000);
    assert.equal(sent[1]?.headers.get('Contact'), contact, 'a refresh keeps the token');
    await regs.close();
  });

  it('adds no line parameter without line = yes', async () => {
    const { timers, sent, regs } = make([ok(120)], lineConf(''));
    await advance(timers, 1000);
    assert.equal(sent[0]?.headers.get('Contact'), '<sip:inbound@192.0.2.1:5060>;x-ref=7');
    assert.equal(regs.endpointForLine(inbound('sip:inbound@192.0.2.1:5060;line=aaaaaaa')), undefined);
    await regs.close();
  });
});

describe('grantedExpiry', () => {
  it('prefers our Contact expires, then Expires, then the request', () => {
    const req = createRequest('REGISTER', 'sip:x', [['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['From', '<sip:a@b>;tag=1'], ['To', '<sip:a@b>'], ['Call-ID', 'c'], ['CSeq', '1 REGISTER']]);
    const res = (headers: Array<[string, string]>) => createResponse(req, 200, { headers });
    assert.equal(grantedExpiry(res([['Contact', '<sip:other@10.0.0.1:5060>;expires=50'], ['Contact', '<sip:s@192.0.2.1:5060>;expires=90']]), 3600, '<sip:s@192.0.2.1:5060>'), 90);
    assert.equal(grantedExpiry(res([['Contact', '<sip:s@192.0.2.1:5060>;expires=70']]), 3600), 70);
    assert.equal(grantedExpiry(res([['Expires', '30']]), 3600), 30);
    assert.equal(grantedExpiry(res([]), 3600), 3600);
  });
});
