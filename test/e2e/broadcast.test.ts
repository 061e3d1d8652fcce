/**
 * StasisBroadcast() and `POST /events/claim` over real sockets: the offer reaches the matching applications
 * (CallBroadcast, fields in Asterisk's order), the first claim wins and the channel enters that application
 * with the broadcast's args, other claims are 409 while the winner holds the channel and 404 once the offer
 * is over, CallClaimed goes out only when asked for, and an unclaimed offer times out with
 * STASISSTATUS=TIMEOUT and the dialplan going on.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';

const EXTENSIONS = `
[internal]
exten => wait,1,Answer()
 same => n,Wait(3600)
 same => n,Hangup()

[bcast]
; offered to alpha and beta only, CallClaimed on, args for the winner
exten => offer,1,Set(CALLERID(num)=5551234)
 same => n,StasisBroadcast(5000,^(alpha|beta)$,sales:vip,yes)
 same => n,Set(AFTER=\${STASISSTATUS})
 same => n,Wait(3600)
 same => n,Hangup()
; offered to everybody, no CallClaimed
exten => quiet,1,StasisBroadcast(5000)
 same => n,Set(AFTER=\${STASISSTATUS})
 same => n,Wait(3600)
 same => n,Hangup()
; nobody claims in time
exten => short,1,StasisBroadcast(300,^nobody-here$)
 same => n,Set(AFTER=\${STASISSTATUS})
 same => n,Wait(3600)
 same => n,Hangup()
`;

type Msg = Record<string, unknown>;
const auth = 'api_key=asterisk:asterisk';

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': EXTENSIONS } });
});
after(async () => {
  await srv.stop();
});

async function claim(channelId: string, application: string): Promise<{ status: number; body: unknown }> {
  const res = await srv.ari('POST', `/events/claim?channelId=${encodeURIComponent(channelId)}&application=${encodeURIComponent(application)}`);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function originate(exten: string, id: string): Promise<void> {
  const res = await srv.ari('POST', `/channels?endpoint=Local/${exten}@bcast&extension=wait&context=internal&channelId=${id}&otherChannelId=${id}-2`);
  assert.equal(res.status, 200, await res.text());
}

const ofType = (type: string) => (m: Msg) => m.type === type;
const varset = (name: string, value: string, id: string) => (m: Msg) =>
  m.type === 'ChannelVarset' && m.variable === name && m.value === value && (m.channel as { id: string } | undefined)?.id === id;

/** No message of `type` arrives on `ev` within `ms`. */
async function none(ev: EventClient, type: string, ms = 200): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
  assert.equal(ev.messages.filter((m) => m.type === type).length, 0, `${type} was not expected`);
}

describe('StasisBroadcast and /events/claim', () => {
  it('offers the call to the matching applications; the first claim wins, the second is 409', async () => {
    const alpha = await openEvents(srv.base, `${auth}&app=alpha`);
    const beta = await openEvents(srv.base, `${auth}&app=beta`);
    const gamma = await openEvents(srv.base, `${auth}&app=gamma`);
    const all = await openEvents(srv.base, `${auth}&app=observer-x&subscribeAll=true`);
    try {
      await originate('offer', 'bc1');
      const offered = await alpha.next(ofType('CallBroadcast'));
      await beta.next(ofType('CallBroadcast'));
      assert.deepEqual(Object.keys(offered), ['type', 'timestamp', 'channel', 'caller', 'called', 'asterisk_id', 'application']);
      const channel = offered.channel as { id: string; name: string; dialplan: { app_name: string } };
      assert.equal(channel.id, 'bc1-2');
      assert.match(channel.name, /^Local\/offer@bcast-[0-9a-f]{8};2$/);
      assert.equal(channel.dialplan.app_name, 'StasisBroadcast');
      assert.equal(offered.caller, '5551234');
      assert.equal(offered.called, 'offer');
      assert.equal(offered.application, 'alpha');
      assert.equal(offered.asterisk_id, '02:fc:00:00:00:01');
      assert.match(String(offered.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);

      assert.deepEqual(await claim('bc1-2', 'alpha'), { status: 204, body: undefined });
      assert.deepEqual(await claim('bc1-2', 'beta'), { status: 409, body: { message: 'Channel has already been claimed by another application' } });

      const start = await alpha.next(ofType('StasisStart'));
      assert.deepEqual(start.args, ['sales', 'vip']);
      assert.equal((start.channel as { id: string }).id, 'bc1-2');
      // CallClaimed (asked for) reaches the applications that were offered the call, before StasisStart.
      const claimed = await beta.next(ofType('CallClaimed'));
      assert.deepEqual(Object.keys(claimed), ['type', 'timestamp', 'channel', 'winner_app', 'asterisk_id', 'application']);
      assert.equal(claimed.winner_app, 'alpha');
      assert.equal((claimed.channel as { id: string }).id, 'bc1-2');
      const alphaTypes = alpha.messages.map((m) => m.type);
      assert.ok(alphaTypes.indexOf('CallClaimed') < alphaTypes.indexOf('StasisStart'), alphaTypes.join(','));
      assert.equal(beta.messages.filter(ofType('StasisStart')).length, 0);
      await none(gamma, 'CallBroadcast', 0);
      await none(gamma, 'CallClaimed', 0);

      // While the winner holds the channel, later claims are still conflicts.
      assert.equal((await claim('bc1-2', 'gamma')).status, 409);

      // Back to the dialplan: STASISSTATUS=SUCCESS and the next priority runs.
      assert.equal((await srv.ari('POST', '/channels/bc1-2/continue')).status, 204);
      await alpha.next(ofType('StasisEnd'));
      await all.next(varset('STASISSTATUS', 'SUCCESS', 'bc1-2'));
      await all.next(varset('AFTER', 'SUCCESS', 'bc1-2'));
      // The offer is over.
      assert.deepEqual(await claim('bc1-2', 'beta'), { status: 404, body: { message: 'Channel not found or not in broadcast state' } });
      // STASISSTATUS was cleared once, at the start of the broadcast.
      const cleared = all.messages.filter(varset('STASISSTATUS', '', 'bc1-2'));
      assert.equal(cleared.length, 1);
      assert.equal((await srv.ari('DELETE', '/channels/bc1')).status, 204);
    } finally {
      await Promise.all([alpha.close(), beta.close(), gamma.close(), all.close()]);
    }
  });

  it('without notify_claimed nobody gets CallClaimed; every application is offered the call', async () => {
    const one = await openEvents(srv.base, `${auth}&app=one`);
    const two = await openEvents(srv.base, `${auth}&app=two`);
    try {
      await originate('quiet', 'bc2');
      await one.next(ofType('CallBroadcast'));
      await two.next(ofType('CallBroadcast'));
      assert.equal((await claim('bc2-2', 'two')).status, 204);
      const start = await two.next(ofType('StasisStart'));
      assert.deepEqual(start.args, []);
      await none(one, 'CallClaimed');
      await none(two, 'CallClaimed', 0);
      assert.equal((await claim('bc2-2', 'one')).status, 409);
      // Hanging up in the application ends the call (STASISSTATUS=SUCCESS, no further dialplan).
      assert.equal((await srv.ari('DELETE', '/channels/bc2-2')).status, 204);
      await two.next(ofType('StasisEnd'));
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('an unclaimed offer times out: STASISSTATUS=TIMEOUT and the dialplan goes on; a late claim is 404', async () => {
    const all = await openEvents(srv.base, `${auth}&app=observer-y&subscribeAll=true`);
    try {
      const started = Date.now();
      await originate('short', 'bc3');
      await all.next(varset('STASISSTATUS', 'TIMEOUT', 'bc3-2'), 3000);
      const waited = Date.now() - started;
      assert.ok(waited >= 250, `timed out after ${waited} ms`);
      await all.next(varset('AFTER', 'TIMEOUT', 'bc3-2'));
      // The filter matched nobody, so nobody was offered the call (not even the subscribeAll socket).
      assert.equal(all.messages.filter(ofType('CallBroadcast')).length, 0);
      assert.deepEqual(await claim('bc3-2', 'observer-y'), { status: 404, body: { message: 'Channel not found or not in broadcast state' } });
      assert.match(srv.logs(), /not claimed within 300ms timeout/);
      assert.equal((await srv.ari('DELETE', '/channels/bc3')).status, 204);
    } finally {
      await all.close();
    }
  });

  it('claims: unknown channel 404, unregistered application 404, missing parameters 400', async () => {
    assert.deepEqual(await claim('no-such-channel', 'alpha'), { status: 404, body: { message: 'Channel not found or not in broadcast state' } });
    const app = await openEvents(srv.base, `${auth}&app=solo`);
    try {
      await originate('quiet', 'bc4');
      await app.next(ofType('CallBroadcast'));
      assert.deepEqual(await claim('bc4-2', 'not-registered'), { status: 404, body: { message: 'Application not found' } });
      // The refused claim did not take the channel: a real application still can.
      assert.equal((await claim('bc4-2', 'solo')).status, 204);
      await app.next(ofType('StasisStart'));
      assert.equal((await srv.ari('DELETE', '/channels/bc4-2')).status, 204);
    } finally {
      await app.close();
    }
    for (const q of ['', '?channelId=x', '?application=y']) {
      const res = await srv.ari('POST', `/events/claim${q}`);
      assert.equal(res.status, 400, q);
      await res.text();
    }
  });

  it('a claim in a JSON body works like the query string', async () => {
    const app = await openEvents(srv.base, `${auth}&app=json-app`);
    try {
      await originate('quiet', 'bc5');
      await app.next(ofType('CallBroadcast'));
      const res = await srv.ari('POST', '/events/claim', { body: { channelId: 'bc5-2', application: 'json-app' } });
      assert.equal(res.status, 204, await res.text());
      await app.next(ofType('StasisStart'));
      assert.equal((await srv.ari('DELETE', '/channels/bc5-2')).status, 204);
    } finally {
      await app.close();
    }
  });
});
