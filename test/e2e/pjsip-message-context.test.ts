/**
 * Out-of-dialog SIP MESSAGE through the dialplan (Asterisk's res_pjsip_messaging → ast_msg_queue), with SIPp
 * peers: the trunk's MESSAGE runs in its endpoint's `message_context` at the Request-URI user on a
 * `Message/ast_msg_queue` channel.
 *
 * - `exten => bob,1,MessageSend(pjsip:phone,${MESSAGE(from)})`: a SIPp UAS behind endpoint phone receives the
 *   MESSAGE with the body and the sender's From; MESSAGE_SEND_STATUS is SUCCESS;
 * - `Set(X=${MESSAGE(body)})` + UserEvent: over ARI the event carries the body, from, to (`pjsip:` URI), a
 *   request header through MESSAGE_DATA(), the context and the channel name;
 * - MESSAGE(body) and MESSAGE_DATA() written in the dialplan read back; a bad MESSAGE() argument reads nothing;
 * - `pjsip:phone/sip:...` with a `to` override and an unknown technology (INVALID_PROTOCOL);
 * - an endpoint without message_context uses its context; a user no extension matches (and no application
 *   subscribed) is 404.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { openEvents, type EventClient } from '../helpers/ariadne.ts';
import { MediaApp, type Json } from '../helpers/media-app.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, runSipp, startSipp } from '../helpers/sipp.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';
import { trunkAndPhoneConf } from '../helpers/pjsip-calls.ts';

const APP = 'msgctx-app';

const dialplan = (bobPort: number) => `[messages]
exten => bob,1,MessageSend(pjsip:phone,\${MESSAGE(from)})
 same => n,UserEvent(MessageSent,status: \${MESSAGE_SEND_STATUS})
exten => bob-uri,1,MessageSend(pjsip:phone/sip:bob@127.0.0.1:${bobPort},,sip:robert@example.com)
 same => n,UserEvent(MessageSent,status: \${MESSAGE_SEND_STATUS})
exten => note,1,Set(X=\${MESSAGE(body)})
 same => n,UserEvent(MessageBody,body: \${X},from: \${MESSAGE(from)},to: \${MESSAGE(to)},note: \${MESSAGE_DATA(X-Note)},where: \${CONTEXT}/\${EXTEN},chan: \${CHANNEL(name)})
exten => rewrite,1,Set(MESSAGE(body)=changed)
 same => n,Set(MESSAGE_DATA(X-Extra)=added)
 same => n,Set(MESSAGE(custom_data)=bogus)
 same => n,UserEvent(Rewritten,body: \${MESSAGE(body)},extra: \${MESSAGE_DATA(X-Extra)},bad: \${MESSAGE(nonsense)})
exten => xmpp,1,MessageSend(xmpp:bob@example.com)
 same => n,UserEvent(MessageSent,status: \${MESSAGE_SEND_STATUS})

[from-trunk]
exten => note,1,UserEvent(PhonesNote,body: \${MESSAGE(body)})
`;

let fx: MediaApp;
let sipPort: number;
let bobPort: number;
/** Every event (subscribeAll): the Message channels belong to no application. */
let all: EventClient;

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  sipPort = await freePort('udp');
  bobPort = await freePort('udp');
  // The trunk (identified by 127.0.0.1) reads its messages in `messages`; the endpoint `phone` (contact: the SIPp
  // UAS on bobPort) has no message_context, so its own are read in its context, from-trunk.
  fx = await MediaApp.start(APP, { extensions: dialplan(bobPort), sounds: false, files: { 'pjsip.conf': trunkAndPhoneConf(sipPort, bobPort, 'message_context = messages\n') } });
  all = await openEvents(fx.srv.base, `api_key=asterisk:asterisk&app=${APP}-all&subscribeAll=true`);
});

after(async () => {
  await all?.close();
  await fx?.stop();
});

const userEvent = (name: string, from: number) => (m: Json) => m.type === 'ChannelUserevent' && m.eventname === name && all.messages.indexOf(m) >= from;

/** Sends a MESSAGE from 127.0.0.2 (sip:<fromUser>@...) to `user` over a plain socket; resolves with the final status. */
async function rawMessage(user: string, fromUser: string, body: string): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.2', resolve));
  const port = socket.address().port;
  try {
    return await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no final response')), 3000);
      socket.on('message', (buf) => {
        const msg = parseMessage(buf);
        if (msg.type === 'response' && msg.status >= 200) {
          clearTimeout(t);
          resolve(msg.status);
        }
      });
      const tag = `${user}-${port}`;
      socket.send([
        `MESSAGE sip:${user}@127.0.0.1:${sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.2:${port};branch=z9hG4bK-${tag};rport`,
        `From: <sip:${fromUser}@127.0.0.2:${port}>;tag=${tag}`,
        `To: <sip:${user}@127.0.0.1:${sipPort}>`,
        `Call-ID: ${tag}@test`,
        'CSeq: 1 MESSAGE',
        'Max-Forwards: 70',
        'Content-Type: text/plain',
        `Content-Length: ${Buffer.byteLength(body)}`,
        '',
        body,
      ].join('\r\n'), sipPort, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** Sends a MESSAGE to `user` with SIPp (from "Alice" <sip:alice@...>); it must be answered 202. */
async function sippMessage(user: string, body: string): Promise<void> {
  const r = await runSipp({ scenario: 'message-uac.xml', remote: `127.0.0.1:${sipPort}`, service: user, vars: { body }, timeoutSec: 10 });
  assert.equal(r.code, 0, `sipp: ${r.errors}\n${r.stdout.slice(-1500)}`);
}

describe('MESSAGE to message_context', { timeout: 40_000 }, () => {
  it('MessageSend(pjsip:phone,${MESSAGE(from)}) delivers the body and the sender to the phone', async () => {
    const bob = await startSipp({ scenario: 'message-uas.xml', port: bobPort, timeoutSec: 10 });
    const from = all.messages.length;
    await sippMessage('bob', 'hello bob, from alice');
    const sent = await all.next(userEvent('MessageSent', from), 5000);
    assert.deepEqual(sent.userevent, { eventname: 'MessageSent', status: 'SUCCESS' });
    assert.equal((sent.channel as Json).name, 'Message/ast_msg_queue');
    const done = await bob.done;
    assert.equal(done.code, 0, `bob (sipp): ${done.errors}\n${done.stdout.slice(-1500)}`);
  });

  it('MESSAGE(body), MESSAGE(from), MESSAGE(to) and MESSAGE_DATA() in the dialplan, seen over ARI', async () => {
    const from = all.messages.length;
    await sippMessage('note', 'a note for the dialplan');
    const ev = await all.next(userEvent('MessageBody', from), 5000);
    const u = ev.userevent as Json;
    assert.equal(u.body, 'a note for the dialplan');
    // MESSAGE(from) is `"Alice" <sip:alice@127.0.0.1>`; UserEvent's argument parsing drops the quotes, as Asterisk's.
    assert.equal(u.from, 'Alice <sip:alice@127.0.0.1>');
    assert.equal(u.to, `pjsip:note@127.0.0.1:${sipPort}`);
    assert.equal(u.note, 'sent by sipp');
    assert.equal(u.where, 'messages/note');
    assert.equal(u.chan, 'Message/ast_msg_queue');
    assert.ok(!all.messages.slice(from).some((m) => m.type === 'ChannelUserevent' && m.eventname === 'PhonesNote'), 'message_context wins over context');
    // The Message channel ends once its dialplan has run.
    const id = (ev.channel as Json).id;
    await all.next((m) => m.type === 'ChannelDestroyed' && (m.channel as Json).id === id, 5000);
  });

  it('MESSAGE() and MESSAGE_DATA() can be written; bad arguments read nothing', async () => {
    const from = all.messages.length;
    await sippMessage('rewrite', 'original');
    assert.deepEqual((await all.next(userEvent('Rewritten', from), 5000)).userevent, { eventname: 'Rewritten', body: 'changed', extra: 'added', bad: '' });
  });

  it('pjsip:phone/sip:... with a To override reaches that URI; an unknown technology is INVALID_PROTOCOL', async () => {
    const bob = await startSipp({ scenario: 'message-uas.xml', port: bobPort, timeoutSec: 10 });
    let from = all.messages.length;
    await sippMessage('bob-uri', 'hello bob by URI');
    assert.equal(((await all.next(userEvent('MessageSent', from), 5000)).userevent as Json).status, 'SUCCESS');
    const done = await bob.done;
    assert.equal(done.code, 0, `bob (sipp): ${done.errors}\n${done.stdout.slice(-1500)}`);

    from = all.messages.length;
    await sippMessage('xmpp', 'nowhere');
    assert.equal(((await all.next(userEvent('MessageSent', from), 5000)).userevent as Json).status, 'INVALID_PROTOCOL');
  });

  it('without message_context the context is used; no extension and no application: 404', async () => {
    // From 127.0.0.2 the trunk's identify does not match: endpoint phone by its From user, whose context is
    // from-trunk (it has no message_context).
    const from = all.messages.length;
    assert.equal(await rawMessage('note', 'phone', 'in from-trunk'), 202);
    assert.deepEqual((await all.next(userEvent('PhonesNote', from), 5000)).userevent, { eventname: 'PhonesNote', body: 'in from-trunk' });
    // The subscribeAll application wants every message; without it nothing does.
    await all.close();
    assert.equal(await rawMessage('nobody', 'phone', 'anyone?'), 404);
  });
});
