/**
 * The dialplan engine end to end: an extensions.conf written for the test, calls made with ARI originate, and a
 * Stasis application that reads what the dialplan computed (as `Stasis(dp,...)` arguments and channel
 * variables) — variables and functions, expressions, jumps, subroutines, pattern precedence, includes, the
 * `i` extension, hangup causes, Dial() outcomes and bridging, user events, runaway loops and missing contexts,
 * and the console commands about calls.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';

const EXTENSIONS = `
[general]
static = yes

[globals]
GREETING=hello

[util]
exten => park,1,Answer()
 same => n,Wait(30)
 same => n,Hangup()

[vars]
exten => 100,1,Set(A=one)
 same => n,MSet(B=two,C=three)
 same => n,Set(SUM=$[1+2])
 same => n,Set(LEN=\${LEN(\${GREETING})})
 same => n,Stasis(dp,\${A},\${B},\${C},\${EXTEN},\${CALLERID(num)},\${SUM},\${GREETING},\${LEN},\${EXTEN:1})
 same => n,Hangup()

[flow]
exten => 200,1,Set(X=5)
 same => n,GotoIf($[\${X} > 3]?big:small)
 same => n(small),Set(SIZE=small)
 same => n,Goto(done)
 same => n(big),Set(SIZE=big)
 same => n(done),Gosub(sub-add,s,1(20,22))
 same => n,Stasis(dp,\${SIZE},\${GOSUB_RETVAL},[\${ARG1}])
 same => n,Hangup()
exten => 201,1,Goto(flow,200,done)

[sub-add]
exten => s,1,Set(R=$[\${ARG1} + \${ARG2}])
 same => n,Stasis(dp,in-sub,\${ARGC},\${ARG1},\${ARG2})
 same => n,Return(\${R})

[patterns]
exten => _X.,1,Stasis(dp,_X.,\${EXTEN})
exten => 555,1,Stasis(dp,555,\${EXTEN})
exten => _5XX,1,Stasis(dp,_5XX,\${EXTEN})

[inc-main]
include => inc-other
exten => 1,1,Stasis(dp,main)

[inc-other]
exten => 1,1,Stasis(dp,shadowed)
exten => 2,1,Stasis(dp,included)

[invalid]
exten => 1,1,Goto(999,1)
exten => i,1,Stasis(dp,invalid,\${INVALID_EXTEN})

[hang]
exten => 17,1,Answer()
 same => n,Hangup(17)

[targets]
exten => busy,1,Busy(5)
exten => congest,1,Congestion(5)
exten => answer,1,Answer()
 same => n,Stasis(dp,callee)
 same => n,Hangup()
exten => ring,1,Ringing()
 same => n,Wait(30)

[dialer]
exten => busy,1,Dial(Local/busy@targets,5)
 same => n,Stasis(dp,dialstatus,\${DIALSTATUS})
exten => congest,1,Dial(Local/congest@targets,5)
 same => n,Stasis(dp,dialstatus,\${DIALSTATUS})
exten => noanswer,1,Dial(Local/ring@targets,1)
 same => n,Stasis(dp,dialstatus,\${DIALSTATUS})
exten => nowhere,1,Dial(Local/nope@targets,5)
 same => n,Stasis(dp,dialstatus,\${DIALSTATUS})
exten => answer-g,1,Dial(Local/answer@targets,5,g)
 same => n,Stasis(dp,after-dial,\${DIALSTATUS})
exten => answer,1,Dial(Local/answer@targets,5)
 same => n,Set(NEVER=reached)

[ue]
exten => 1,1,Answer()
 same => n,UserEvent(MyEvent,foo: bar,baz: 1)
 same => n,Wait(30)

[loops]
exten => loop,1,Goto(loop,1)

[stasis]
exten => unregistered,1,Stasis(nobody-registered,x)
 same => n,Stasis(dp,status,\${STASISSTATUS})
`;

let srv: TestServer;
let ev: EventClient;

before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': EXTENSIONS } });
  ev = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=dp');
});
after(async () => {
  await ev.close();
  await srv.stop();
});

type Json = Record<string, unknown>;
interface ChannelJson {
  id: string;
  name: string;
  state: string;
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
}

async function call(method: string, pathAndQuery: string): Promise<{ status: number; body: unknown }> {
  const res = await srv.ari(method, pathAndQuery);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

let seq = 0;
/**
 * Calls `exten@context` with a Local channel whose ;1 half waits in util,park, and returns the StasisStart the
 * ;2 half (or whichever channel of the call) produces in `dp`.
 */
async function run(exten: string, context: string, query = '', match?: (m: Json) => boolean): Promise<{ id: string; start: Json }> {
  const id = `dp-${++seq}`;
  const r = await call('POST', `/channels?endpoint=Local/${exten}@${context}&extension=park&context=util&channelId=${id}${query}`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const start = await ev.next((m) => m.type === 'StasisStart' && (match ? match(m) : String((m.channel as ChannelJson).id).startsWith(id)));
  return { id, start };
}
const calleeStart = (m: Json) => (m.args as string[])[0] === 'callee' && !seenCallees.has((m.channel as ChannelJson).id);
const seenCallees = new Set<string>();

async function hangupAll(id: string): Promise<void> {
  await call('DELETE', `/channels/${id}`);
  await until(async () => (await srv.ari('GET', `/channels/${id}`)).status === 404, `${id} gone`);
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 3000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function cli(line: string): Promise<string> {
  let out = '';
  await srv.ariadne.commands.execute(line, (s) => (out += s));
  return out;
}

describe('variables, functions and expressions', () => {
  it('Set, MSet, ${EXTEN}, ${CALLERID(num)}, $[1+2], globals, LEN() and substrings reach the application', async () => {
    const { id, start } = await run('100', 'vars', '&callerId=Tester%20%3C4242%3E');
    assert.deepEqual(start.args, ['one', 'two', 'three', '100', '4242', '3', 'hello', '5', '00']);
    const two = start.channel as ChannelJson;
    assert.deepEqual(two.dialplan, { context: 'vars', exten: '100', priority: 5, app_name: 'Stasis', app_data: 'dp,one,two,three,100,4242,3,hello,5,00' });
    assert.deepEqual(await call('GET', `/channels/${two.id}/variable?variable=B`), { status: 200, body: { value: 'two' } });
    await hangupAll(id);
  });
});

describe('jumps and subroutines', () => {
  it('GotoIf, Goto to a label, Gosub with ARGs and GOSUB_RETVAL; the ARGs are restored after Return', async () => {
    const { start } = await run('200', 'flow');
    assert.deepEqual(start.args, ['in-sub', '2', '20', '22']);
    const sub = start.channel as ChannelJson;
    assert.deepEqual(sub.dialplan, { context: 'sub-add', exten: 's', priority: 2, app_name: 'Stasis', app_data: 'dp,in-sub,2,20,22' });
    // Back from the subroutine to the caller's next priority.
    assert.equal((await call('POST', `/channels/${sub.id}/continue`)).status, 204);
    const back = await ev.next((m) => m.type === 'StasisStart' && (m.channel as ChannelJson).id === sub.id && (m.args as string[])[0] === 'big');
    assert.deepEqual(back.args, ['big', '42', '[]']);
    assert.deepEqual((back.channel as ChannelJson).dialplan.priority, 7);
    await hangupAll(sub.id);
  });

  it('Goto(context,exten,label) across extensions', async () => {
    const { start } = await run('201', 'flow');
    assert.deepEqual(start.args, ['in-sub', '2', '20', '22']);
    const sub = start.channel as ChannelJson;
    assert.deepEqual(await call('GET', `/channels/${sub.id}/variable?variable=SIZE`), { status: 404, body: { message: 'Provided variable was not found' } }, 'the jump skipped the GotoIf');
    await hangupAll(sub.id);
  });
});

describe('extension matching', () => {
  it('a literal beats _5XX, which beats _X.', async () => {
    for (const [exten, expect] of [
      ['555', ['555', '555']],
      ['556', ['_5XX', '556']],
      ['12345', ['_X.', '12345']],
    ] as const) {
      const { id, start } = await run(exten, 'patterns');
      assert.deepEqual(start.args, expect, exten);
      await hangupAll(id);
    }
  });

  it('include => reaches the included context, and the including context wins for the same extension', async () => {
    for (const [exten, expect] of [
      ['2', 'included'],
      ['1', 'main'],
    ] as const) {
      const { id, start } = await run(exten, 'inc-main');
      assert.deepEqual(start.args, [expect]);
      await hangupAll(id);
    }
  });

  it('a jump to an extension that does not exist goes to i with INVALID_EXTEN', async () => {
    const { id, start } = await run('1', 'invalid');
    assert.deepEqual(start.args, ['invalid', '999']);
    assert.equal((start.channel as ChannelJson).dialplan.exten, 'i');
    await hangupAll(id);
  });
});

describe('hangup causes and Dial()', () => {
  it('Hangup(17) is the cause ChannelDestroyed reports', async () => {
    assert.equal((await call('POST', '/channels?endpoint=Local/17@hang&app=dp&channelId=h17')).status, 200);
    const two = await ev.next((m) => m.type === 'ChannelDestroyed' && (m.channel as ChannelJson).id === 'h17;2');
    assert.deepEqual([two.cause, two.cause_txt], [17, 'User busy']);
    const one = await ev.next((m) => m.type === 'ChannelDestroyed' && (m.channel as ChannelJson).id === 'h17');
    assert.equal(one.cause, 17, 'the Local peer follows with the same cause');
  });

  it('Busy(), Congestion(), no answer and an unknown extension give BUSY, CONGESTION, NOANSWER and CHANUNAVAIL', async () => {
    for (const [exten, status] of [
      ['busy', 'BUSY'],
      ['congest', 'CONGESTION'],
      ['noanswer', 'NOANSWER'],
      ['nowhere', 'CHANUNAVAIL'],
    ] as const) {
      const { id, start } = await run(exten, 'dialer');
      assert.deepEqual(start.args, ['dialstatus', status], exten);
      await hangupAll(id);
    }
    assert.match(srv.logs(), /No such extension\/context 'nope@targets' while calling Local channel; couldn't call Local\/nope@targets/);
  });

  it('Dial(Local/...) answered: both legs in a basic bridge; option g goes on with DIALSTATUS=ANSWER', async () => {
    const all = await openEvents(srv.base, 'api_key=asterisk:asterisk&app=watcher&subscribeAll=true');
    try {
      const { start } = await run('answer-g', 'dialer', '', calleeStart);
      const callee = start.channel as ChannelJson;
      seenCallees.add(callee.id);
      assert.match(callee.name, /^Local\/answer@targets-[0-9a-f]{8};2$/);
      const created = await all.next((m) => m.type === 'BridgeCreated');
      const bridge = created.bridge as { id: string; bridge_class: string; bridge_type: string };
      assert.deepEqual([bridge.bridge_class, bridge.bridge_type], ['basic', 'mixing']);
      const entered = await all.next((m) => m.type === 'ChannelEnteredBridge' && (m.bridge as { channels: string[] }).channels.length === 2);
      const members = (entered.bridge as { channels: string[] }).channels;
      // The caller (dialer's ;2) and the callee's ;1 half.
      const callerName = (await call('GET', `/channels/${members[0]}`)).body as ChannelJson;
      assert.match(callerName.name, /^Local\/answer-g@dialer-[0-9a-f]{8};2$/);
      assert.equal(callerName.dialplan.app_name, 'Dial');
      const dial = all.messages.find((m) => m.type === 'Dial' && m.dialstatus === 'ANSWER' && (m.caller as ChannelJson | undefined)?.id === callerName.id);
      assert.ok(dial, 'Dial ANSWER with the caller');
      assert.equal(((dial as Json).peer as ChannelJson).dialplan.app_name, 'AppDial');
      // The callee hangs up: the bridge goes, the caller goes on in the dialplan with DIALSTATUS=ANSWER.
      assert.equal((await call('DELETE', `/channels/${callee.id}`)).status, 204);
      await all.next((m) => m.type === 'BridgeDestroyed' && (m.bridge as { id: string }).id === bridge.id);
      const after = await ev.next((m) => m.type === 'StasisStart' && (m.args as string[])[0] === 'after-dial');
      assert.deepEqual(after.args, ['after-dial', 'ANSWER']);
      await hangupAll((after.channel as ChannelJson).id);
    } finally {
      await all.close();
    }
  });

  it('Dial(Local/...) answered without g: the callee hanging up ends the caller too', async () => {
    const { id, start } = await run('answer', 'dialer', '', calleeStart);
    const callee = start.channel as ChannelJson;
    seenCallees.add(callee.id);
    assert.equal((await call('DELETE', `/channels/${callee.id}`)).status, 204);
    // Every leg of both pairs goes.
    await until(async () => (await srv.ari('GET', `/channels/${id}`)).status === 404, 'the originating ;1 gone');
    await until(async () => (await srv.ari('GET', `/channels/${id};2`)).status === 404, 'the dialing ;2 gone');
    const list = (await call('GET', '/channels')).body as ChannelJson[];
    assert.deepEqual(
      list.filter((c) => c.name.includes('answer@')),
      [],
    );
  });
});

describe('Stasis() in the dialplan', () => {
  it('an application nobody registered: STASISSTATUS=FAILED and the dialplan goes on', async () => {
    const { id, start } = await run('unregistered', 'stasis');
    assert.deepEqual(start.args, ['status', 'FAILED']);
    assert.match(srv.logs(), /Stasis app 'nobody-registered' doesn't exist/);
    // Continuing runs off the end of the extension: the call ends.
    const two = (start.channel as ChannelJson).id;
    assert.equal((await call('POST', `/channels/${two}/continue`)).status, 204);
    await ev.next((m) => m.type === 'StasisEnd' && (m.channel as ChannelJson).id === two);
    await until(async () => (await srv.ari('GET', `/channels/${two}`)).status === 404, 'the dialplan ended');
    await hangupAll(id);
  });
});

describe('user events, runaway dialplans, missing contexts', () => {
  it('UserEvent() reaches the application as ChannelUserevent', async () => {
    assert.equal((await call('POST', '/channels?endpoint=Local/1@ue&app=dp&channelId=ue1')).status, 200);
    const e = await ev.next((m) => m.type === 'ChannelUserevent' && (m.channel as ChannelJson).id === 'ue1;2');
    assert.equal(e.eventname, 'MyEvent');
    assert.deepEqual(e.userevent, { foo: 'bar', baz: '1', eventname: 'MyEvent' });
    await hangupAll('ue1');
  });

  it('an endless Goto loop ends the call with a log line, and the server answers meanwhile', async () => {
    assert.equal((await call('POST', '/channels?endpoint=Local/loop@loops&extension=park&context=util&channelId=loop1')).status, 200);
    // While the loop spins, REST answers promptly.
    for (let i = 0; i < 5; i++) {
      const t0 = Date.now();
      assert.equal((await call('GET', '/asterisk/ping')).status, 200);
      assert.ok(Date.now() - t0 < 500, `ping took ${Date.now() - t0} ms`);
    }
    await until(async () => (await srv.ari('GET', '/channels/loop1;2')).status === 404, 'the looping ;2 hung up', 10000);
    await until(async () => (await srv.ari('GET', '/channels/loop1')).status === 404, 'its ;1 too');
    assert.match(srv.logs(), /Channel 'Local\/loop@loops-[0-9a-f]{8};2' ran \d+ dialplan steps without waiting \(a Goto loop\?\) at loops,loop,1/);
  });

  it('a missing context ends the call with a log line naming it', async () => {
    assert.equal((await call('POST', '/channels?endpoint=Local/park@util&extension=x&context=no-such-context&channelId=nc1')).status, 200);
    await until(async () => (await srv.ari('GET', '/channels/nc1')).status === 404, 'nc1 gone');
    assert.match(srv.logs(), /sent to context 'no-such-context', which does not exist/);
  });
});

describe('console', () => {
  it('core show channels lists a call in Stasis in Asterisk columns; channel request hangup all ends it', async () => {
    const { id, start } = await run('100', 'vars');
    const two = start.channel as ChannelJson;
    assert.equal((await call('POST', `/channels/${two.id}/answer`)).status, 204);
    await until(async () => ((await call('GET', `/channels/${id}`)).body as ChannelJson).dialplan.app_name === 'Wait', ';1 in Wait');
    const out = await cli('core show channels');
    const lines = out.split('\n');
    assert.equal(lines[0], `${'Channel'.padEnd(64)} ${'Location'.padEnd(32)} ${'State'.padEnd(7)} ${'Application(Data)'.padEnd(30)}`);
    const row2 = lines.find((l) => l.startsWith(two.name));
    assert.ok(row2, out);
    assert.equal(row2, `${two.name.padEnd(64)} ${'100@vars:5'.padEnd(32)} ${'Up'.padEnd(7)} ${'Stasis(dp,one,two,three,100,,3,hello,5,00)'.slice(0, 30)}`, 'columns cut at 30 as Asterisk does');
    const row1 = lines.find((l) => l.startsWith(two.name.replace(/;2$/, ';1')));
    assert.equal(row1, `${two.name.replace(/;2$/, ';1').padEnd(64)} ${'park@util:2'.padEnd(32)} ${'Up'.padEnd(7)} ${'Wait(30)'.padEnd(30)}`);
    assert.ok(lines.indexOf(row2 as string) < lines.indexOf(row1 as string), 'newest first, as in cli.txt');
    assert.match(out, /\n2 active channels\n2 active calls\n\d+ calls processed\n$/);

    const concise = await cli('core show channels concise');
    assert.ok(concise.includes(`${two.name}!vars!100!5!Up!Stasis!dp,one,two,three,100,,3,hello,5,00!!!!3!`), concise);

    const hung = await cli('channel request hangup all');
    assert.match(hung, new RegExp(`Requested Hangup on channel '${two.name.replace(/[/.;]/g, '\\$&')}'`));
    await until(async () => (await call('GET', '/channels')).body !== undefined && ((await call('GET', '/channels')).body as unknown[]).length === 0, 'no channels left');
    assert.match(await cli('core show channels'), /\n0 active channels\n0 active calls\n/);
  });

  it('dialplan show <context> prints the context as Asterisk does', async () => {
    const out = await cli('dialplan show flow');
    assert.match(out, /\[ Context 'flow' created by 'pbx_config' \]/);
    assert.match(out, /'200' =>\s+1\. Set\(X=5\)\s+\[extensions\.conf:\d+\]/);
    assert.match(out, /\[big\]\s+5\. Set\(SIZE=big\)/);
    assert.match(out, /-= 2 extensions \(\d+ priorities\) in 1 context\. =-/);
  });
});
