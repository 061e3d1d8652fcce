import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AstDb } from '../core/astdb.ts';
import { MailboxRegistry } from '../core/mailboxes.ts';
import { createTestLogger } from '../shared/logger.ts';
import type { Dialog } from './dialog/dialog.ts';
import { createRequest, type SipRequest, type SipResponse } from './message/message.ts';
import { messageSummary, Mwi, sumMailboxes, type MwiStack } from './mwi.ts';
import type { Binding } from './registrar/registrar.ts';
import type { DialogHandlers, RequestHandler } from './stack.ts';
import { pjsipFromText } from './test-config.ts';
import type { ServerTransaction } from './transaction/server.ts';
import { ManualTimers } from './transaction/timers.ts';
import type { SipSource } from './transport/transport.ts';

const CONFIG = pjsipFromText(`
[alice]
type = endpoint
aors = alice
mailboxes = 1000@default, 1001@default

[alice]
type = aor
contact = sip:alice@192.0.2.10:5070

[bob]
type = endpoint
aors = bob, bob-vm

[bob]
type = aor
max_contacts = 1

[bob-vm]
type = aor
mailboxes = 2000@default
voicemail_extension = *97

[carol]
type = endpoint
aors = carol
mailboxes = 3000@default

[carol]
type = aor
mailboxes = 3000@default
`);

interface Sent {
  readonly request: SipRequest;
  readonly dest: unknown;
}

function fakeStack(bindings: Record<string, Binding[]> = {}) {
  const sent: Sent[] = [];
  const handlers = new Map<string, RequestHandler>();
  const dialogs = new Map<Dialog, DialogHandlers>();
  const stack: MwiStack = {
    config: CONFIG,
    registrar: { bindings: (aor) => bindings[aor] ?? [] },
    resolve: async (uri) => ({ transport: 'UDP', host: uri.replace(/^.*@|:\d+$/g, '').replace(/:.*/, ''), port: 5070 }),
    bindingDestination: async (b) => ({ transport: 'UDP', host: b.uri.replace(/^.*@/, '').replace(/:.*/, ''), port: 5080 }),
    contactFor: (_dest, user = 'asterisk') => `<sip:${user}@127.0.0.1:5060>`,
    sendRequest: async (request, options) => {
      sent.push({ request, dest: options.destination });
      return undefined;
    },
    onRequest: (method, handler) => {
      handlers.set(method, handler);
      return () => handlers.delete(method);
    },
    authenticate: () => true,
    attachDialog: (d, h) => void dialogs.set(d, h),
    detachDialog: (d) => void dialogs.delete(d),
    digest: { challenges: () => ['Digest realm="asterisk", nonce="n"'] },
    transports: { sentBy: () => ({ host: '127.0.0.1', port: 5060 }) },
  };
  return { stack, sent, handlers, dialogs };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function mailboxes(): MailboxRegistry {
  return new MailboxRegistry({ db: AstDb.openInMemory() });
}

function subscribeRequest(user: string, expires: string | undefined, event = 'message-summary'): SipRequest {
  return createRequest('SUBSCRIBE', `sip:${user}@127.0.0.1:5060`, [
    ['Via', 'SIP/2.0/UDP 192.0.2.20:5090;branch=z9hG4bK-sub1'],
    ['From', '<sip:bob@127.0.0.1>;tag=sub1'],
    ['To', `<sip:${user}@127.0.0.1>`],
    ['Call-ID', 'sub-call-1'],
    ['CSeq', '1 SUBSCRIBE'],
    ['Contact', '<sip:bob@192.0.2.20:5090>'],
    ['Event', event],
    ...(expires === undefined ? [] : [['Expires', expires] as [string, string]]),
  ]);
}

function fakeTx(): { tx: ServerTransaction; responses: SipResponse[] } {
  const responses: SipResponse[] = [];
  return { tx: { respond: (r: SipResponse) => responses.push(r), source: { transport: 'UDP', host: '192.0.2.20', port: 5090 } } as unknown as ServerTransaction, responses };
}

const SOURCE: SipSource = { transport: 'udp', address: '192.0.2.20', port: 5090, local: { address: '127.0.0.1', port: 5060 }, transportId: 'udp' };

describe('messageSummary', () => {
  it('writes the body Asterisk sends', () => {
    assert.equal(messageSummary({ newMessages: 2, oldMessages: 1 }), 'Messages-Waiting: yes\r\nVoice-Message: 2/1 (0/0)\r\n');
    assert.equal(messageSummary({ newMessages: 0, oldMessages: 4 }, 'sip:*97@example.com'),
      'Messages-Waiting: no\r\nMessage-Account: sip:*97@example.com\r\nVoice-Message: 0/4 (0/0)\r\n');
  });

  it('adds up the mailboxes, unknown ones as empty', () => {
    const m = mailboxes();
    m.update('a', 1, 2);
    m.update('b', 3, 4);
    assert.deepEqual(sumMailboxes((n) => m.get(n), ['a', 'b', 'c']), { newMessages: 6, oldMessages: 4 });
  });
});

describe('Mwi unsolicited', () => {
  it('NOTIFYs every contact of the endpoint when one of its mailboxes changes, with the summed counts', async () => {
    const binding = { uri: 'sip:alice@192.0.2.11:5062', aor: 'alice' } as Binding;
    const { stack, sent } = fakeStack({ alice: [binding] });
    const m = mailboxes();
    const mwi = new Mwi({ stack, mailboxes: m, logger: createTestLogger() });
    m.update('1000@default', 1, 2);
    await settle();
    assert.equal(sent.length, 2, 'the static contact and the registered one');
    const uris = sent.map((s) => s.request.uri).sort();
    assert.deepEqual(uris, ['sip:alice@192.0.2.10:5070', 'sip:alice@192.0.2.11:5062']);
    for (const { request } of sent) {
      assert.equal(request.method, 'NOTIFY');
      assert.equal(request.headers.get('Event'), 'message-summary');
      assert.equal(request.headers.get('Subscription-State'), 'active');
      assert.equal(request.headers.get('Content-Type'), 'application/simple-message-summary');
      assert.equal(request.headers.get('To'), `<${request.uri}>`);
      assert.match(request.headers.get('From') ?? '', /^<sip:asterisk@127\.0\.0\.1:5060>;tag=/);
      assert.equal(request.body.toString(), 'Messages-Waiting: yes\r\nVoice-Message: 2/1 (0/0)\r\n');
    }
    m.update('1001@default', 5, 0);
    await settle();
    assert.equal(sent.length, 4);
    assert.equal(sent[3]?.request.body.toString(), 'Messages-Waiting: yes\r\nVoice-Message: 2/6 (0/0)\r\n');
    m.delete('1000@default');
    m.delete('1001@default');
    await settle();
    assert.equal(sent.at(-1)?.request.body.toString(), 'Messages-Waiting: no\r\nVoice-Message: 0/0 (0/0)\r\n');
    m.update('9999@other', 1, 1);
    await settle();
    assert.equal(sent.length, 8, 'a mailbox nobody lists sends nothing');
    mwi.close();
    m.update('1000@default', 1, 1);
    await settle();
    assert.equal(sent.length, 8, 'nothing after close');
  });

  it('sends the current counts to a contact when it registers', async () => {
    const { stack, sent } = fakeStack();
    const m = mailboxes();
    m.update('3000@default', 0, 7);
    const mwi = new Mwi({ stack, mailboxes: m, logger: createTestLogger() });
    mwi.contactAdded('carol', { uri: 'sip:carol@192.0.2.12:5064', aor: 'carol' } as Binding);
    mwi.contactAdded('bob', { uri: 'sip:bob@192.0.2.13', aor: 'bob' } as Binding);
    await settle();
    assert.equal(sent.length, 1, 'bob has no mailboxes on his endpoint');
    assert.equal(sent[0]?.request.uri, 'sip:carol@192.0.2.12:5064');
    assert.deepEqual(sent[0]?.dest, { transport: 'UDP', host: '192.0.2.12', port: 5080 });
    assert.equal(sent[0]?.request.body.toString(), 'Messages-Waiting: yes\r\nVoice-Message: 7/0 (0/0)\r\n');
    mwi.close();
  });
});

describe('Mwi SUBSCRIBE', () => {
  it('answers 200, NOTIFYs at once and on changes, refreshes, and ends with a terminated NOTIFY on Expires: 0', async () => {
    const timers = new ManualTimers();
    const { stack, sent, handlers, dialogs } = fakeStack();
    const m = mailboxes();
    m.update('2000@default', 3, 1);
    const mwi = new Mwi({ stack, mailboxes: m, logger: createTestLogger(), timers });
    const sub = handlers.get('SUBSCRIBE');
    assert.ok(sub);
    const { tx, responses } = fakeTx();
    sub(subscribeRequest('*97', '600'), tx, SOURCE, 'bob');
    await settle();
    assert.equal(responses[0]?.status, 200);
    assert.equal(responses[0]?.headers.get('Expires'), '600');
    assert.match(responses[0]?.headers.get('To') ?? '', /;tag=/);
    assert.equal(mwi.subscriptions, 1);
    assert.equal(sent.length, 1);
    const first = sent[0]!.request;
    assert.equal(first.uri, 'sip:bob@192.0.2.20:5090');
    assert.equal(first.headers.get('Call-ID'), 'sub-call-1');
    assert.match(first.headers.get('Subscription-State') ?? '', /^active;expires=(600|599)$/);
    assert.equal(first.body.toString(), 'Messages-Waiting: yes\r\nMessage-Account: sip:*97@127.0.0.1:5060\r\nVoice-Message: 1/3 (0/0)\r\n');

    m.update('2000@default', 3, 0);
    await settle();
    assert.equal(sent.length, 2);
    assert.equal(sent[1]?.request.body.toString(), 'Messages-Waiting: no\r\nMessage-Account: sip:*97@127.0.0.1:5060\r\nVoice-Message: 0/3 (0/0)\r\n');

    const [dialog, dh] = [...dialogs][0]!;
    const toTag = /tag=([^;]+)/.exec(responses[0]?.headers.get('To') ?? '')?.[1];
    const inDialog = (expires: string, seq: number): SipRequest => {
      const r = subscribeRequest('*97', expires);
      r.headers.set('To', `<sip:*97@127.0.0.1>;tag=${toTag}`);
      r.headers.set('CSeq', `${seq} SUBSCRIBE`);
      return r;
    };
    const refresh = fakeTx();
    dh.onRequest?.(inDialog('300', 2), refresh.tx, dialog, SOURCE);
    assert.equal(refresh.responses[0]?.status, 200);
    await settle();
    assert.equal(sent.length, 3);
    const end = fakeTx();
    dh.onRequest?.(inDialog('0', 3), end.tx, dialog, SOURCE);
    await settle();
    assert.equal(end.responses[0]?.status, 200);
    assert.equal(sent[3]?.request.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.equal(mwi.subscriptions, 0);
    assert.equal(dialogs.size, 0);
    assert.equal(timers.pending, 0);
    mwi.close();
  });

  it('expires a subscription that is not refreshed', async () => {
    const timers = new ManualTimers();
    const { stack, sent, handlers } = fakeStack();
    const mwi = new Mwi({ stack, mailboxes: mailboxes(), logger: createTestLogger(), timers });
    const { tx } = fakeTx();
    handlers.get('SUBSCRIBE')!(subscribeRequest('bob-vm', '60'), tx, SOURCE, 'bob');
    timers.advance(60_000);
    await settle();
    assert.equal(sent.at(-1)?.request.headers.get('Subscription-State'), 'terminated;reason=timeout');
    assert.equal(mwi.subscriptions, 0);
    mwi.close();
  });

  it('refuses what Asterisk refuses', () => {
    const { stack, handlers } = fakeStack();
    const mwi = new Mwi({ stack, mailboxes: mailboxes(), logger: createTestLogger() });
    const sub = handlers.get('SUBSCRIBE')!;
    const status = (req: SipRequest, endpoint: string | undefined): number | undefined => {
      const { tx, responses } = fakeTx();
      sub(req, tx, SOURCE, endpoint);
      return responses[0]?.status;
    };
    assert.equal(status(subscribeRequest('bob-vm', '60', 'presence'), 'bob'), 489);
    assert.equal(status(subscribeRequest('bob-vm', '0'), 'bob'), 400);
    assert.equal(status(subscribeRequest('bob', '60'), 'bob'), 404, 'an AOR without mailboxes');
    assert.equal(status(subscribeRequest('nobody', '60'), 'bob'), 404);
    assert.equal(status(subscribeRequest('carol', '60'), 'carol'), 500, 'already unsolicited for that mailbox');
    assert.equal(status(subscribeRequest('bob-vm', '60'), undefined), 401);
    assert.equal(mwi.subscriptions, 0);
    mwi.close();
  });
});
