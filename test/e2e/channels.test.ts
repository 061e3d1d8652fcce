/**
 * `/channels` over real sockets with the reference's extensions.conf: originate (errors, ids, JSON variables,
 * caller id), get/list, hangup reasons, answer/ring/progress/hold/mute/DTMF, variables, continue, move, create
 * and dial, redirect, and the 404/409/412 rules — statuses and messages as Asterisk 22 answers them
 * (`shared/reference/asterisk-22/rest/channels-*.json`), except where noted.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR } from '../helpers/sequences.ts';

const EXTENSIONS =
  fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8') +
  `
[test-extra]
exten => lbl,1,NoOp(start)
 same => n(second),Set(AT=second)
 same => n,Stasis(hello-world)
 same => n,Hangup()
exten => 4000,1,NoOp(label target)
 same => n(mid),Set(REACHED=mid)
 same => n,Wait(5)
 same => n,Hangup()
exten => s,1,Set(AT_S=yes)
 same => n,Wait(5)
`;

interface Json {
  [k: string]: unknown;
}
interface ChannelJson {
  id: string;
  name: string;
  state: string;
  caller: { name: string; number: string };
  connected: { name: string; number: string };
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
}

let srv: TestServer;
let ev: EventClient;
let other: EventClient;

before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': EXTENSIONS } });
  ev = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=hello-world');
  other = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=other-app');
});
after(async () => {
  await ev.close();
  await other.close();
  await srv.stop();
});

async function call(method: string, pathAndQuery: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await srv.ari(method, pathAndQuery, body === undefined ? {} : { body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

function refRest(name: string): { status: number; body: unknown } {
  const ref = JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'rest', `${name}.json`), 'utf8')) as { status: number; body: unknown };
  // The capture writes `null` for an empty body.
  return { status: ref.status, body: ref.body ?? undefined };
}

/** Asserts status and body equal the reference capture's. */
async function like(ref: string, method: string, pathAndQuery: string, body?: unknown): Promise<void> {
  assert.deepEqual(await call(method, pathAndQuery, body), refRest(ref), `${method} ${pathAndQuery} as in rest/${ref}.json`);
}

const on = (type: string, id: string) => (m: Json) => m.type === type && ((m.channel ?? m.peer) as { id?: string } | undefined)?.id === id;

async function getChannel(id: string): Promise<ChannelJson> {
  const r = await call('GET', `/channels/${id}`);
  assert.equal(r.status, 200, `GET /channels/${id}`);
  return r.body as ChannelJson;
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const gone = (id: string) => until(async () => (await srv.ari('GET', `/channels/${id}`)).status === 404, `${id} gone`);

/** Originates Local/wait@internal straight into hello-world with both halves subscribed; waits for StasisStart. */
async function inApp(id: string): Promise<void> {
  const r = await call('POST', `/channels?endpoint=Local/wait@internal&app=hello-world&channelId=${id}`);
  assert.equal(r.status, 200);
  await ev.next(on('StasisStart', id));
}

describe('originate', () => {
  it('answers the reference statuses and messages for bad requests', async () => {
    await like('channels-originate-missing-endpoint', 'POST', '/channels?app=hello-world');
    await like('channels-originate-no-app-no-ext', 'POST', '/channels?endpoint=Local/wait@internal');
    await like('channels-originate-bad-endpoint-format', 'POST', '/channels?endpoint=no-slash&app=hello-world');
    // A JSON body without an endpoint gets the same answer as the query form.
    assert.deepEqual(await call('POST', '/channels', { app: 'hello-world' }), { status: 400, body: { message: 'Endpoint must be specified' } });
  });

  it('answers 400 for an unknown technology (Asterisk: 409 or 500 depending on history)', async () => {
    const r = await call('POST', '/channels?endpoint=Nope/123&app=hello-world');
    assert.equal(r.status, 400);
    assert.match((r.body as { message: string }).message, /Nope/);
  });

  it('originates into the application, names the halves and refuses a duplicate id with 409', async () => {
    const r = await call('POST', '/channels?endpoint=Local/wait@internal&app=hello-world&appArgs=arg1,arg2&channelId=ref-chan-1&otherChannelId=ref-chan-1-other');
    assert.equal(r.status, 200);
    const ch = r.body as ChannelJson;
    assert.equal(ch.id, 'ref-chan-1');
    assert.match(ch.name, /^Local\/wait@internal-[0-9a-f]{8};1$/);
    assert.equal(ch.state, 'Down');
    assert.deepEqual(ch.dialplan, { context: 'internal', exten: 'wait', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' });
    const start = await ev.next(on('StasisStart', 'ref-chan-1'));
    assert.deepEqual(start.args, ['arg1', 'arg2']);
    const got = await getChannel('ref-chan-1');
    assert.equal(got.state, 'Up');
    assert.deepEqual(got.dialplan, (refRest('channels-get-app-originated').body as ChannelJson).dialplan);
    const two = await getChannel('ref-chan-1-other');
    assert.equal(two.name, ch.name.replace(/;1$/, ';2'));

    await like('channels-originate-dup-id', 'POST', '/channels?endpoint=Local/wait@internal&app=hello-world&channelId=ref-chan-1');
    // The other half's id is taken too.
    assert.equal((await call('POST', '/channels?endpoint=Local/wait@internal&app=hello-world&channelId=fresh&otherChannelId=ref-chan-1-other')).status, 409);
    assert.equal((await srv.ari('GET', '/channels/fresh')).status, 404, 'a refused originate leaves nothing behind');

    assert.equal((await call('DELETE', '/channels/ref-chan-1')).status, 204);
    await gone('ref-chan-1-other');
  });

  it('takes the id from the path (originateWithId); the ;2 half is <id>;2', async () => {
    const r = await call('POST', '/channels/ref-chan-path?endpoint=Local/wait@internal&app=hello-world');
    assert.equal(r.status, 200);
    assert.equal((r.body as ChannelJson).id, 'ref-chan-path');
    await ev.next(on('StasisStart', 'ref-chan-path'));
    assert.match((await getChannel('ref-chan-path;2')).name, /;2$/);
    await like('channels-hangup-unknown-id', 'DELETE', '/channels/ref-chan-path-other-does-not-exist');
    assert.equal((await call('DELETE', '/channels/ref-chan-path')).status, 204);
    await gone('ref-chan-path;2');
  });

  it('applies JSON body variables: plain ones on both halves, CALLERID(name) as the caller', async () => {
    const r = await call('POST', '/channels', { endpoint: 'Local/wait@internal', app: 'hello-world', channelId: 'ref-chan-json', variables: { FOO: 'bar', 'CALLERID(name)': 'Alice' } });
    assert.equal(r.status, 200);
    const ref = refRest('channels-originate-json-body').body as ChannelJson;
    const ch = r.body as ChannelJson;
    assert.deepEqual([ch.caller, ch.connected], [ref.caller, ref.connected]);
    await ev.next(on('StasisStart', 'ref-chan-json'));
    await like('channels-variable-get-json-originate', 'GET', '/channels/ref-chan-json/variable?variable=FOO');
    const two = await getChannel('ref-chan-json;2');
    // As in rest/channels-list-non-stasis.json: the ;2 half is connected to Alice and has no caller.
    assert.deepEqual([two.caller, two.connected], [{ name: '', number: '' }, { name: 'Alice', number: '' }]);
    assert.deepEqual(await call('GET', '/channels/ref-chan-json;2/variable?variable=FOO'), { status: 200, body: { value: 'bar' } });
    assert.equal((await call('DELETE', '/channels/ref-chan-json')).status, 204);
    await gone('ref-chan-json;2');
  });

  it('callerId sets caller and connected line; the ;2 half runs the dialplan with that caller', async () => {
    const r = await call('POST', '/channels?endpoint=Local/1000@from-trunk&extension=wait&context=internal&priority=1&callerId=Ref%20%3C5551234%3E');
    assert.equal(r.status, 200);
    const ch = r.body as ChannelJson;
    const ref = refRest('channels-originate-local-1000-dialplan').body as ChannelJson;
    assert.deepEqual([ch.caller, ch.connected, ch.dialplan], [ref.caller, ref.connected, ref.dialplan]);
    const start = await ev.next((m) => m.type === 'StasisStart' && (m.channel as ChannelJson).name === ch.name.replace(/;1$/, ';2'));
    const two = start.channel as ChannelJson;
    const refTwo = refRest('channels-get').body as ChannelJson;
    assert.deepEqual([two.caller, two.connected, two.dialplan], [refTwo.caller, refTwo.connected, refTwo.dialplan]);
    assert.deepEqual(await call('GET', `/channels/${two.id}/variable?variable=CALLERID(num)`), refRest('channels-variable-get-function'));
    // The ;1 half sits in internal,wait (not in the application): GET works, control answers 409.
    await until(async () => (await getChannel(ch.id)).dialplan.app_name === 'Wait', ';1 in Wait');
    const one = await getChannel(ch.id);
    const refOne = refRest('channels-get-not-in-stasis').body as ChannelJson;
    assert.deepEqual([one.state, one.caller, one.connected, one.dialplan], [refOne.state, refOne.caller, refOne.connected, refOne.dialplan]);
    await like('channels-answer-not-in-stasis', 'POST', `/channels/${ch.id}/answer`);
    assert.deepEqual(await call('POST', `/channels/${ch.id}/play?media=sound:hello-world`), refRest('channels-play-not-in-stasis'));
    assert.deepEqual(await call('POST', `/channels/${ch.id}/continue`), refRest('channels-continue-not-in-stasis'));
    assert.equal((await call('DELETE', `/channels/${two.id}`)).status, 204);
    await gone(ch.id);
  });

  it('starts at a label; an unknown label is refused', async () => {
    const r = await call('POST', '/channels?endpoint=Local/wait@internal&extension=lbl&context=test-extra&label=second&channelId=lbl-1');
    assert.equal(r.status, 200);
    const start = await ev.next(on('StasisStart', 'lbl-1'));
    assert.deepEqual((start.channel as ChannelJson).dialplan, { context: 'test-extra', exten: 'lbl', priority: 3, app_name: 'Stasis', app_data: 'hello-world' });
    assert.deepEqual(await call('GET', '/channels/lbl-1/variable?variable=AT'), { status: 200, body: { value: 'second' } });
    const bad = await call('POST', '/channels?endpoint=Local/wait@internal&extension=lbl&context=test-extra&label=nope');
    assert.equal(bad.status, 400);
    assert.equal((await call('DELETE', '/channels/lbl-1')).status, 204);
    await gone('lbl-1;2');
  });

  it('originates to an application nobody registered: 200, then STASISSTATUS=FAILED and the call ends', async () => {
    const r = await call('POST', '/channels?endpoint=Local/wait@internal&app=not-registered-app&channelId=ref-unreg');
    assert.deepEqual(r.status, refRest('channels-originate-unregistered-app').status);
    await gone('ref-unreg');
    await gone('ref-unreg;2');
    assert.match(srv.logs(), /Stasis app 'not-registered-app' doesn't exist/);
  });
});

describe('get, list, hangup', () => {
  it('lists channels and answers 404 for unknown ones', async () => {
    await like('channels-get-404', 'GET', '/channels/no-such-channel');
    await like('channels-hangup-404', 'DELETE', '/channels/no-such-channel');
    await inApp('list-1');
    const list = (await call('GET', '/channels')).body as ChannelJson[];
    assert.ok(list.some((c) => c.id === 'list-1') && list.some((c) => c.id === 'list-1;2'), 'both halves listed');
    await like('channels-hangup-bad-reason', 'DELETE', '/channels/list-1?reason=nonsense');
    assert.equal((await call('DELETE', '/channels/list-1?reason_code=abc')).status, 400);
    assert.equal((await call('DELETE', '/channels/list-1?reason=busy')).status, 204);
    const destroyed = await ev.next(on('ChannelDestroyed', 'list-1'));
    assert.deepEqual([destroyed.cause, destroyed.cause_txt], [17, 'User busy']);
    await gone('list-1;2');
  });

  it('hangs up a channel that is not in an application (reason normal)', async () => {
    assert.equal((await call('POST', '/channels?endpoint=Local/wait@internal&extension=wait&context=internal&channelId=ref-dp&otherChannelId=ref-dp-2')).status, 200);
    await until(async () => (await getChannel('ref-dp')).dialplan.app_name === 'Wait', 'ref-dp in Wait');
    await like('channels-variable-set-not-in-stasis', 'POST', '/channels/ref-dp/variable?variable=X&value=1');
    await like('channels-variable-get-not-in-stasis', 'GET', '/channels/ref-dp/variable?variable=CALLERID(num)');
    await like('channels-hangup-not-in-stasis', 'DELETE', '/channels/ref-dp?reason=normal');
    await gone('ref-dp');
    await gone('ref-dp-2');
  });
});

describe('controlling a channel in the application', () => {
  it('1001 enters Stasis unanswered: ring, ringStop and progress keep it Ring; answer makes it Up', async () => {
    const r = await call('POST', '/channels?endpoint=Local/1001@from-trunk&extension=wait&context=internal&timeout=60');
    const one = r.body as ChannelJson;
    const start = await ev.next((m) => m.type === 'StasisStart' && (m.channel as ChannelJson).name === one.name.replace(/;1$/, ';2'));
    const id = (start.channel as ChannelJson).id;
    const before = await getChannel(id);
    const ref = refRest('channels-get-unanswered').body as ChannelJson;
    assert.deepEqual([before.state, before.dialplan], [ref.state, ref.dialplan]);
    await like('channels-ring', 'POST', `/channels/${id}/ring`);
    await like('channels-ring-stop', 'DELETE', `/channels/${id}/ring`);
    await like('channels-progress', 'POST', `/channels/${id}/progress`);
    assert.equal((await getChannel(id)).state, 'Ring');
    assert.equal((await getChannel(one.id)).state, 'Ringing', 'the ;1 half hears the ringing');
    await like('channels-answer', 'POST', `/channels/${id}/answer`);
    const change = await ev.next(on('ChannelStateChange', id));
    assert.equal((change.channel as ChannelJson).state, 'Up');
    const after = await getChannel(id);
    const refAfter = refRest('channels-get-after-answer').body as ChannelJson;
    assert.deepEqual([after.state, after.dialplan], [refAfter.state, refAfter.dialplan]);
    await until(async () => (await getChannel(one.id)).state === 'Up', ';1 answered');
    await like('channels-hangup-reason-code', 'DELETE', `/channels/${id}?reason_code=17`);
    await gone(one.id);
  });

  it('refuses control of an outbound leg that has not been answered (412)', async () => {
    const created = await call('POST', '/channels/create?endpoint=Local/wait@internal&app=hello-world&channelId=c412');
    assert.equal(created.status, 200);
    await ev.next(on('StasisStart', 'c412'));
    for (const [method, p] of [
      ['POST', '/channels/c412/answer'],
      ['POST', '/channels/c412/hold'],
      ['POST', '/channels/c412/dtmf?dtmf=1'],
      ['POST', '/channels/c412/continue'],
    ] as const) {
      assert.deepEqual(await call(method, p), { status: 412, body: { message: 'Channel in invalid state' } }, `${method} ${p}`);
    }
    assert.equal((await call('DELETE', '/channels/c412')).status, 204);
    await gone('c412');
  });

  it('hold and unhold: the other half is put on hold (ChannelHold/ChannelUnhold); mute/unmute answer 204', async () => {
    assert.equal((await call('POST', '/channels?endpoint=Local/1000@from-trunk&app=hello-world&channelId=h1&otherChannelId=h2')).status, 200);
    await ev.next(on('StasisStart', 'h1'));
    await ev.next(on('StasisStart', 'h2'));
    await like('channels-hold', 'POST', '/channels/h2/hold');
    const hold = await ev.next(on('ChannelHold', 'h1'));
    assert.equal((hold.channel as ChannelJson).state, 'Up');
    await like('channels-unhold', 'DELETE', '/channels/h2/hold');
    await ev.next(on('ChannelUnhold', 'h1'));
    assert.ok(!ev.messages.some((m) => on('ChannelHold', 'h2')(m)), 'the channel asked to hold is not the one on hold');
    await like('channels-mute', 'POST', '/channels/h2/mute?direction=both');
    await like('channels-unmute', 'DELETE', '/channels/h2/mute?direction=both');
    await like('channels-mute-bad-direction', 'POST', '/channels/h2/mute?direction=sideways');

    // DTMF on one half arrives on the other with digit and duration.
    await like('channels-dtmf', 'POST', '/channels/h2/dtmf?dtmf=12%23&between=100&duration=100');
    const digits: string[] = [];
    for (const d of ['1', '2', '#']) {
      const m = await ev.next((x) => on('ChannelDtmfReceived', 'h1')(x) && x.digit === d);
      assert.equal(m.duration_ms, 100);
      digits.push(String(m.digit));
    }
    assert.deepEqual(digits, ['1', '2', '#']);
    await like('channels-dtmf-missing-param', 'POST', '/channels/h2/dtmf');
    // Asterisk accepts `duration=abc` (204); Ariadne names the bad integer.
    assert.equal((await call('POST', '/channels/h2/dtmf?dtmf=1&duration=abc')).status, 400);
    assert.equal((await call('DELETE', '/channels/h1')).status, 204);
    await gone('h2');
  });

  it('variables: set and get, unset → 404, functions, missing name → 400, unknown channel → 404', async () => {
    await inApp('v1');
    await like('channels-variable-set', 'POST', '/channels/v1/variable?variable=REFVAR&value=42');
    const varset = await ev.next((m) => on('ChannelVarset', 'v1')(m) && m.variable === 'REFVAR');
    assert.equal(varset.value, '42');
    await like('channels-variable-get', 'GET', '/channels/v1/variable?variable=REFVAR');
    await like('channels-variable-get-unset', 'GET', '/channels/v1/variable?variable=NOT_SET_ANYWHERE');
    await like('channels-variable-get-missing-param', 'GET', '/channels/v1/variable');
    await like('channels-variable-get-404-channel', 'GET', '/channels/no-such-channel/variable?variable=X');
    // Functions are written too.
    assert.equal((await call('POST', '/channels/v1/variable?variable=CALLERID(num)&value=777')).status, 204);
    assert.deepEqual(await call('GET', '/channels/v1/variable?variable=CALLERID(num)'), { status: 200, body: { value: '777' } });
    assert.equal((await getChannel('v1')).caller.number, '777');
    // Several at once.
    assert.equal((await call('POST', '/channels/v1/variables', { variables: { MA: '1', MB: 'two' } })).status, 204);
    assert.deepEqual(await call('GET', '/channels/v1/variables?variables=MA,MB,CALLERID(num)'), { status: 200, body: { variables: { MA: '1', MB: 'two', 'CALLERID(num)': '777' } } });
    assert.deepEqual(await call('GET', '/channels/v1/variables?variables=MA,NOPE'), { status: 404, body: { message: 'Provided variable was not found' } });
    assert.deepEqual(await call('GET', '/channels/nope/variables?variables=MA'), { status: 404, body: { message: 'Provided channel was not found' } });
    assert.equal((await call('DELETE', '/channels/v1')).status, 204);
    await gone('v1;2');
  });
});

describe('continue, move, redirect', () => {
  it('continue with context/extension/priority runs 3000: CONTINUED=yes, then gone after Wait(2)', async () => {
    const r = await call('POST', '/channels?endpoint=Local/1000@from-trunk&extension=wait&context=internal');
    const one = r.body as ChannelJson;
    const start = await ev.next((m) => m.type === 'StasisStart' && (m.channel as ChannelJson).name === one.name.replace(/;1$/, ';2'));
    const id = (start.channel as ChannelJson).id;
    const t0 = Date.now();
    await like('channels-continue', 'POST', `/channels/${id}/continue?context=from-trunk&extension=3000&priority=1`);
    await ev.next(on('StasisEnd', id));
    await until(async () => (await call('GET', `/channels/${id}/variable?variable=CONTINUED`)).status === 200, 'CONTINUED set');
    assert.deepEqual(await call('GET', `/channels/${id}/variable?variable=CONTINUED`), { status: 200, body: { value: 'yes' } });
    await like('channels-continue-not-in-stasis', 'POST', `/channels/${id}/continue`);
    await until(async () => (await srv.ari('GET', `/channels/${id}`)).status === 404, 'gone after Wait(2)', 4000);
    assert.ok(Date.now() - t0 >= 1900, 'Wait(2) ran before the hangup');
  });

  it('continue with a label; a context alone means extension s; an unknown label is 404', async () => {
    await inApp('k1');
    await inApp('k2');
    assert.deepEqual(await call('POST', '/channels/k1/continue?context=test-extra&extension=4000&label=nope'), { status: 404, body: { message: 'Requested label can not be found' } });
    assert.equal((await call('POST', '/channels/k1/continue?context=test-extra&extension=4000&label=mid')).status, 204);
    await ev.next(on('StasisEnd', 'k1'));
    // k1 was originated straight into the application: it runs the dialplan inside it.
    await until(async () => (await call('GET', '/channels/k1/variable?variable=REACHED')).status === 200, 'REACHED set');
    assert.deepEqual((await getChannel('k1')).dialplan, { context: 'test-extra', exten: '4000', priority: 3, app_name: 'Wait', app_data: '5' });
    assert.equal((await call('POST', '/channels/k2/continue?context=test-extra')).status, 204);
    await until(async () => (await call('GET', '/channels/k2/variable?variable=AT_S')).status === 200, 'AT_S set');
    assert.equal((await getChannel('k2')).dialplan.exten, 's');
    for (const id of ['k1', 'k2']) {
      assert.equal((await call('DELETE', `/channels/${id}`)).status, 204);
      await gone(`${id};2`);
    }
  });

  it('move to another registered application: StasisEnd here, StasisStart there with the args', async () => {
    await inApp('m1');
    assert.equal((await call('POST', '/channels/m1/move?app=other-app&appArgs=a,b')).status, 204);
    await ev.next(on('StasisEnd', 'm1'));
    const start = await other.next(on('StasisStart', 'm1'));
    assert.deepEqual(start.args, ['a', 'b']);
    // Now the other application controls it.
    assert.equal((await call('POST', '/channels/m1/variable?variable=MOVED&value=1')).status, 204);
    await other.next((m) => on('ChannelVarset', 'm1')(m) && m.variable === 'MOVED');
    assert.equal((await call('DELETE', '/channels/m1')).status, 204);
    await other.next(on('StasisEnd', 'm1'));
    await gone('m1;2');
  });

  it('move to an application nobody registered: ApplicationMoveFailed, the channel stays', async () => {
    await inApp('m2');
    assert.equal((await call('POST', '/channels/m2/move?app=nobody-app&appArgs=x')).status, 204);
    const failed = await ev.next(on('ApplicationMoveFailed', 'm2'));
    assert.deepEqual([failed.destination, failed.args, failed.application], ['nobody-app', ['x'], 'hello-world']);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(!ev.messages.some(on('StasisEnd', 'm2')), 'no StasisEnd');
    assert.equal((await call('POST', '/channels/m2/variable?variable=STILL&value=here')).status, 204, 'still controlled');
    assert.equal((await call('DELETE', '/channels/m2')).status, 204);
    await gone('m2;2');
  });

  it('redirect: Local cannot (422); bad endpoints 400/422; outside the application 409', async () => {
    await inApp('r1');
    const r = await call('POST', '/channels/r1/redirect?endpoint=Local/1000@from-trunk');
    assert.equal(r.status, 422);
    assert.equal((await call('POST', '/channels/r1/redirect')).status, 400);
    assert.deepEqual(await call('POST', '/channels/r1/redirect?endpoint=noslash'), { status: 422, body: { message: "Endpoint parameter 'noslash' does not contain tech/resource" } });
    assert.deepEqual(await call('POST', '/channels/r1/redirect?endpoint=PJSIP/alice'), { status: 422, body: { message: "Endpoint technology 'PJSIP' does not match channel technology 'Local'" } });
    assert.deepEqual(await call('POST', '/channels/r1;2/redirect?endpoint=Local/x@y'), { status: 409, body: { message: 'Channel not in Stasis application' } });
    assert.equal((await call('DELETE', '/channels/r1')).status, 204);
    await gone('r1;2');
  });
});

describe('create and dial', () => {
  it('creates a leg in the application (Down, no dialplan app) and dials it', async () => {
    const created = await call('POST', '/channels/create?endpoint=Local/wait@internal&app=hello-world&channelId=ref-created');
    assert.equal(created.status, 200);
    const ch = created.body as ChannelJson;
    const ref = refRest('channels-create').body as ChannelJson;
    assert.deepEqual([ch.id, ch.state, ch.dialplan, ch.caller, ch.connected], [ref.id, ref.state, ref.dialplan, ref.caller, ref.connected]);
    const start = await ev.next(on('StasisStart', 'ref-created'));
    assert.equal((start.channel as ChannelJson).dialplan.app_name, 'Stasis');
    await like('channels-dial-created', 'POST', '/channels/ref-created/dial?timeout=10');
    const answered = await ev.next((m) => on('Dial', 'ref-created')(m) && m.dialstatus === 'ANSWER');
    assert.equal((answered.peer as ChannelJson).state, 'Up');
    assert.deepEqual(await call('POST', '/channels/ref-created/dial'), { status: 409, body: { message: "Channel is not in the 'Down' state" } }, 'dialing twice');
    assert.equal((await call('POST', '/channels/no-such/dial')).status, 404);
    // Only legs made by create can be dialed.
    await inApp('not-created');
    assert.equal((await call('POST', '/channels/not-created/dial')).status, 409);
    assert.equal((await call('DELETE', '/channels/ref-created')).status, 204);
    const destroyed = await ev.next(on('ChannelDestroyed', 'ref-created'));
    assert.deepEqual([destroyed.cause, (destroyed.channel as ChannelJson).dialplan.app_name], [16, '']);
    await gone('ref-created;2');
    assert.equal((await call('DELETE', '/channels/not-created')).status, 204);
    await gone('not-created;2');
  });

  it('dial with a caller: the leg is connected to the caller; an unknown caller is 404', async () => {
    await inApp('dialer');
    await call('POST', '/channels/dialer/variable?variable=CALLERID(all)&value=Bob%20%3C200%3E');
    assert.equal((await call('POST', '/channels/create?endpoint=Local/wait@internal&app=hello-world&channelId=callee')).status, 200);
    await ev.next(on('StasisStart', 'callee'));
    assert.equal((await call('POST', '/channels/callee/dial?caller=no-such')).status, 404);
    assert.equal((await call('POST', '/channels/callee/dial?caller=dialer')).status, 204);
    await ev.next((m) => on('Dial', 'callee')(m) && m.dialstatus === 'ANSWER');
    assert.deepEqual((await getChannel('callee')).connected, { name: 'Bob', number: '200' });
    for (const id of ['callee', 'dialer']) {
      assert.equal((await call('DELETE', `/channels/${id}`)).status, 204);
      await gone(`${id};2`);
    }
  });
});

describe('console with the reference dialplan', () => {
  it('dialplan show from-trunk prints the context in Asterisk layout', async () => {
    let out = '';
    await srv.ariadne.commands.execute('dialplan show from-trunk', (t) => (out += t));
    const lines = out.split('\n');
    assert.equal(lines[0], "[ Context 'from-trunk' created by 'pbx_config' ]");
    assert.match(lines[1] ?? '', /^ {2}'1000' => {9}1\. NoOp\(Sending channel to ARI application\) +\[extensions\.conf:\d+\]$/);
    assert.match(lines[2] ?? '', /^ {20}2\. Answer\(\) +\[extensions\.conf:\d+\]$/);
    assert.ok(lines.some((l) => /^ {2}'busy' => +1\. Busy\(5\)/.test(l)), out);
    assert.match(out, /\n-= 5 extensions \(13 priorities\) in 1 context\. =-\n$/);
  });
});
