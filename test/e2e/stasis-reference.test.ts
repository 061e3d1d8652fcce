/**
 * Event sequences against Asterisk 22's captures: each scenario of `shared/reference/asterisk-22/events/` is
 * replayed against Ariadne with the reference's extensions.conf (the same REST calls, media calls left out), and
 * for every channel the sequence of events and their key fields must equal Asterisk's. Order across different
 * channels is not compared (Asterisk's changes from run to run); timing is not compared (Ariadne's Answer()
 * does not wait 500 ms for media — see `answerReturnsAtOnce` where that changes what a channel shows).
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR, answerReturnsAtOnce, perChannel, referenceEvents, referenceRest, type WireEvent } from '../helpers/sequences.ts';

const EXTENSIONS = fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8');
const APP = 'api_key=asterisk:asterisk&app=hello-world';
const UNIQUE_ID = /^\d{9,}\.\d+$/;

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': EXTENSIONS } });
});
after(async () => {
  await srv.stop();
});

type Pred = (m: WireEvent) => boolean;
const is = (type: string, id?: string): Pred => (m) => m.type === type && (id === undefined || (m.channel as { id?: string } | undefined)?.id === id);

/** Waits until the socket has been quiet for `quietMs` (bounded by `maxMs`). */
async function settle(ev: EventClient, quietMs = 250, maxMs = 4000): Promise<void> {
  const start = Date.now();
  let seen = ev.messages.length;
  let quietSince = Date.now();
  while (Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, 25));
    if (ev.messages.length !== seen) {
      seen = ev.messages.length;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
  }
}

async function post(pathAndQuery: string, expect = 200): Promise<Record<string, unknown>> {
  const res = await srv.ari('POST', pathAndQuery);
  const text = await res.text();
  assert.equal(res.status, expect, `POST ${pathAndQuery}: ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

async function del(pathAndQuery: string, expect = 204): Promise<void> {
  const res = await srv.ari('DELETE', pathAndQuery);
  assert.equal(res.status, expect, `DELETE ${pathAndQuery}: ${await res.text()}`);
}

/** Compares per-channel sequences (and id forms) of Ariadne's events with the reference's. */
function compare(actual: readonly WireEvent[], reference: readonly WireEvent[]): void {
  const a = perChannel(actual);
  const r = perChannel(reference);
  assert.deepEqual(Object.keys(a.byChannel).sort(), Object.keys(r.byChannel).sort(), 'the same channels have events');
  for (const key of Object.keys(r.byChannel)) {
    assert.deepEqual(a.byChannel[key], r.byChannel[key], `events of ${key}`);
  }
  assert.deepEqual(a.ids, r.ids, 'channel ids');
  assert.deepEqual(a.other, r.other, 'events without a channel');
}

/** The reference's originate response, to compare with ours field by field (ids and times aside). */
function refResponse(scenario: string, index = 0): Record<string, unknown> {
  const rest = referenceRest(scenario).filter((e) => e.method === 'POST' && e.path === '/ari/channels');
  return rest[index]?.response as Record<string, unknown>;
}

function comparableChannel(c: Record<string, unknown>): Record<string, unknown> {
  const { id, creationtime, name, ...rest } = c;
  assert.ok(typeof creationtime === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/.test(creationtime), 'creationtime format');
  return { ...rest, id: UNIQUE_ID.test(String(id)) ? '<uniqueid>' : id, name: String(name).replace(/-[0-9a-f]{8};/, '-#;') };
}

describe('event sequences match Asterisk 22 per channel', () => {
  it('a: Local/1000@from-trunk into Stasis by dialplan, answer, hang up', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      const ch = await post('/channels?endpoint=Local/1000@from-trunk&extension=wait&context=internal');
      assert.deepEqual(comparableChannel(ch), comparableChannel(refResponse('a-originate-play-hangup')));
      assert.match(String(ch.name), /^Local\/1000@from-trunk-[0-9a-f]{8};1$/);
      const start = await ev.next(is('StasisStart'));
      const two = start.channel as { id: string; name: string };
      assert.equal(two.name, String(ch.name).replace(/;1$/, ';2'));
      assert.match(two.id, UNIQUE_ID);
      assert.notEqual(two.id, ch.id);
      await post(`/channels/${two.id}/answer`, 204);
      await del(`/channels/${two.id}`);
      await ev.next(is('StasisEnd'));
      await settle(ev);
      compare(ev.messages, referenceEvents('a-originate-play-hangup'));
    } finally {
      await ev.close();
    }
  });

  it('a2: originate straight into the application with appArgs, hang up with a reason', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      const ch = await post('/channels?endpoint=Local/wait@internal&app=hello-world&appArgs=x,y&channelId=ev-a2&otherChannelId=ev-a2-other');
      assert.deepEqual(comparableChannel(ch), comparableChannel(refResponse('a2-originate-app-direct')));
      await ev.next(is('StasisStart', 'ev-a2'));
      // The reference played a file here (1.4 s); by then the ;2 half sat in Wait(3600).
      await ev.next((m) => is('ChannelDialplan', 'ev-a2-other')(m) && m.dialplan_app === 'Wait');
      await del('/channels/ev-a2?reason=normal');
      await ev.next(is('ChannelDestroyed', 'ev-a2'));
      await settle(ev);
      compare(ev.messages, referenceEvents('a2-originate-app-direct'));
    } finally {
      await ev.close();
    }
  });

  it('a3: both Local halves in the same application', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      await post('/channels?endpoint=Local/1000@from-trunk&app=hello-world&channelId=ev-a3&otherChannelId=ev-a3-2');
      await ev.next(is('StasisStart', 'ev-a3'));
      await ev.next(is('StasisStart', 'ev-a3-2'));
      await del('/channels/ev-a3');
      await ev.next(is('ChannelDestroyed', 'ev-a3-2'));
      await settle(ev);
      compare(ev.messages, referenceEvents('a3-both-local-halves-in-app'));
    } finally {
      await ev.close();
    }
  });

  it('c: DTMF sent on one half arrives on the other with digit and duration', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      await post('/channels?endpoint=Local/1000@from-trunk&app=hello-world&channelId=ev-c1&otherChannelId=ev-c2');
      await ev.next(is('StasisStart', 'ev-c1'));
      await ev.next(is('StasisStart', 'ev-c2'));
      await post('/channels/ev-c1/dtmf?dtmf=1*%23&duration=100&between=100', 204);
      await ev.next((m) => is('ChannelDtmfReceived', 'ev-c2')(m) && m.digit === '#');
      await del('/channels/ev-c1');
      await ev.next(is('ChannelDestroyed', 'ev-c2'));
      await settle(ev);
      compare(ev.messages, referenceEvents('c-dtmf'));
    } finally {
      await ev.close();
    }
  });

  it('d1: originate to Busy(): BUSY dial status, causes 0 and 17', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      await post('/channels?endpoint=Local/busy@from-trunk&app=hello-world&channelId=ev-d1');
      await ev.next(is('ChannelDestroyed', 'ev-d1'));
      await ev.next(is('ChannelDestroyed', 'ev-d1;2'));
      assert.equal((await srv.ari('GET', '/channels/ev-d1')).status, 404);
      await settle(ev);
      compare(ev.messages, referenceEvents('d1-originate-busy'));
    } finally {
      await ev.close();
    }
  });

  it('d2: originate to an extension that does not exist: both halves destroyed, cause 0, no Dial', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      await post('/channels?endpoint=Local/doesnotexist@from-trunk&app=hello-world&channelId=ev-d2');
      await ev.next(is('ChannelDestroyed', 'ev-d2'));
      await ev.next(is('ChannelDestroyed', 'ev-d2;2'));
      await settle(ev);
      compare(ev.messages, referenceEvents('d2-originate-no-such-extension'));
    } finally {
      await ev.close();
    }
  });

  it('d3: originate that rings and is never answered: timeout, cause 19', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      const t0 = Date.now();
      await post('/channels?endpoint=Local/ringonly@internal&app=hello-world&channelId=ev-d3&timeout=2');
      await ev.next(is('ChannelDestroyed', 'ev-d3'), 5000);
      const elapsed = Date.now() - t0;
      assert.ok(elapsed >= 1900 && elapsed < 3500, `timed out after ${elapsed} ms`);
      await ev.next(is('ChannelDestroyed', 'ev-d3;2'));
      await settle(ev);
      compare(ev.messages, referenceEvents('d3-originate-no-answer-timeout'));
    } finally {
      await ev.close();
    }
  });

  it('d4: originate to Congestion(): CONGESTION dial status, causes 0 and 34', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      await post('/channels?endpoint=Local/congest@from-trunk&app=hello-world&channelId=ev-d4');
      await ev.next(is('ChannelDestroyed', 'ev-d4'));
      await ev.next(is('ChannelDestroyed', 'ev-d4;2'));
      await settle(ev);
      compare(ev.messages, referenceEvents('d4-originate-congestion'));
    } finally {
      await ev.close();
    }
  });

  it('e: continue to from-trunk,3000,1 runs the dialplan there, then the channel ends after Wait(2)', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      await post('/channels?endpoint=Local/1000@from-trunk&extension=wait&context=internal');
      const start = await ev.next(is('StasisStart'));
      const id = (start.channel as { id: string }).id;
      const t0 = Date.now();
      await post(`/channels/${id}/continue?context=from-trunk&extension=3000&priority=1`, 204);
      await ev.next(is('StasisEnd', id));
      await new Promise((r) => setTimeout(r, 300));
      const got = await srv.ari('GET', `/channels/${id}`);
      assert.equal(got.status, 200);
      const body = (await got.json()) as { dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string } };
      assert.deepEqual(body.dialplan, { context: 'from-trunk', exten: '3000', priority: 3, app_name: 'Wait', app_data: '2' });
      const v = await srv.ari('GET', `/channels/${id}/variable?variable=CONTINUED`);
      assert.equal(v.status, 200);
      assert.deepEqual(await v.json(), { value: 'yes' });
      // Wait(2) then Hangup(): gone about two seconds after continuing.
      let status = 200;
      while (status === 200 && Date.now() - t0 < 4000) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await srv.ari('GET', `/channels/${id}`)).status;
      }
      assert.equal(status, 404);
      assert.ok(Date.now() - t0 >= 1900, 'Wait(2) ran');
      await settle(ev);
      compare(ev.messages, referenceEvents('e-continue-to-dialplan'));
    } finally {
      await ev.close();
    }
  });

  it('e2: continue without a target goes on at the next priority (Hangup)', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      await post('/channels?endpoint=Local/1000@from-trunk&extension=wait&context=internal');
      const start = await ev.next(is('StasisStart'));
      const id = (start.channel as { id: string }).id;
      await post(`/channels/${id}/continue`, 204);
      await ev.next(is('StasisEnd', id));
      let status = 200;
      const t0 = Date.now();
      while (status === 200 && Date.now() - t0 < 2000) {
        await new Promise((r) => setTimeout(r, 25));
        status = (await srv.ari('GET', `/channels/${id}`)).status;
      }
      assert.equal(status, 404);
      await settle(ev);
      compare(ev.messages, referenceEvents('e2-continue-default-target'));
    } finally {
      await ev.close();
    }
  });

  it('g: hangup reasons become the ChannelDestroyed cause of both halves', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      for (const [id, query] of [
        ['ev-g-busy', 'reason=busy'],
        ['ev-g-21', 'reason_code=21'],
        ['ev-g-congestion', 'reason=congestion'],
      ] as const) {
        await post(`/channels?endpoint=Local/wait@internal&app=hello-world&channelId=${id}`);
        await ev.next(is('StasisStart', id));
        await del(`/channels/${id}?${query}`);
        await ev.next(is('ChannelDestroyed', id));
        await ev.next(is('ChannelDestroyed', `${id};2`));
      }
      // The reference played `bogus:abc` here (issue 4) and waited 3 s; the ;2 half reached Wait(3600).
      await post('/channels?endpoint=Local/wait@internal&app=hello-world&channelId=ev-g-pb');
      await ev.next(is('StasisStart', 'ev-g-pb'));
      await ev.next((m) => is('ChannelDialplan', 'ev-g-pb;2')(m) && m.dialplan_app === 'Wait');
      await del('/channels/ev-g-pb');
      await ev.next(is('ChannelDestroyed', 'ev-g-pb'));
      await ev.next(is('ChannelDestroyed', 'ev-g-pb;2'));
      await settle(ev);
      // Asterisk's ;2 halves were still in Answer()'s media wait when the first three were hung up.
      let reference = referenceEvents('g-hangup-reasons');
      for (const id of ['ev-g-busy;2', 'ev-g-21;2', 'ev-g-congestion;2']) reference = answerReturnsAtOnce(reference, id, { app: 'Wait', data: '3600' });
      compare(ev.messages, reference);
    } finally {
      await ev.close();
    }
  });

  it('background capture: originate with JSON variables (CALLERID(name)), then continue the app-originated leg into the dialplan', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      const res = await srv.ari('POST', '/channels', { body: { endpoint: 'Local/wait@internal', app: 'hello-world', channelId: 'ref-chan-json', variables: { FOO: 'bar', 'CALLERID(name)': 'Alice' } } });
      assert.equal(res.status, 200);
      assert.deepEqual(comparableChannel((await res.json()) as Record<string, unknown>), comparableChannel(refBody('channels-originate-json-body')));
      await ev.next(is('StasisStart', 'ref-chan-json'));
      await ev.next((m) => is('ChannelDialplan', 'ref-chan-json;2')(m) && m.dialplan_app === 'Wait');
      const v = await srv.ari('GET', '/channels/ref-chan-json/variable?variable=FOO');
      assert.deepEqual(await v.json(), { value: 'bar' });
      await post('/channels/ref-chan-json/continue?context=from-trunk&extension=3000&priority=1', 204);
      // The leg had no dialplan of its own: it runs from-trunk,3000 inside the application, then is hung up.
      await ev.next(is('ChannelDestroyed', 'ref-chan-json;2'), 4000);
      await settle(ev);
      compare(ev.messages, backgroundEvents(['ref-chan-json', 'ref-chan-json;2']));
    } finally {
      await ev.close();
    }
  });

  it('background capture: create a leg in the application, dial it, hang it up', async () => {
    const ev = await openEvents(srv.base, APP);
    try {
      const created = await post('/channels/create?endpoint=Local/wait@internal&app=hello-world&channelId=ref-created');
      assert.deepEqual(comparableChannel(created), comparableChannel(refBody('channels-create')));
      await ev.next(is('StasisStart', 'ref-created'));
      await post('/channels/ref-created/dial?timeout=10', 204);
      await ev.next((m) => m.type === 'Dial' && m.dialstatus === 'ANSWER');
      await del('/channels/ref-created');
      await ev.next(is('ChannelDestroyed', 'ref-created'));
      await settle(ev);
      // Asterisk's final Dial event of a created leg has an empty dialstring; Ariadne repeats the dial string.
      const reference = backgroundEvents(['ref-created']).map((e) => (e.type === 'Dial' && e.dialstatus === 'ANSWER' ? { ...e, dialstring: 'wait@internal' } : e));
      compare(ev.messages, reference);
    } finally {
      await ev.close();
    }
  });
});

function refBody(name: string): Record<string, unknown> {
  return (JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'rest', `${name}.json`), 'utf8')) as { body: Record<string, unknown> }).body;
}

/** Events about these channels on the socket that stayed open while `rest/` was captured. */
function backgroundEvents(ids: readonly string[]): WireEvent[] {
  return referenceEvents('rest-capture-background-ws', 'hello-world').filter((e) => {
    const c = (e.type === 'Dial' ? e.peer : e.channel) as { id?: string } | undefined;
    return c?.id !== undefined && ids.includes(c.id);
  });
}
