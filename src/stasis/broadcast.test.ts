/**
 * StasisBroadcast: argument reading (timeout range, filter checks, args, notify_claimed) and the offer/claim
 * state machine on a core with a fake channel technology and in-memory application sinks.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Core } from '../core/core.ts';
import type { Channel } from '../core/channel.ts';
import type { ChannelDriver } from '../core/driver.ts';
import { createTestLogger } from '../shared/logger.ts';
import { AppRegistry } from './app-registry.ts';
import type { AppMessage } from './messages.ts';
import { Stasis, stasisControl } from './stasis.ts';
import {
  checkFilterPattern,
  compileFilter,
  DEFAULT_BROADCAST_TIMEOUT_MS,
  parseBroadcastArgs,
  StasisBroadcast,
} from './broadcast.ts';

describe('parseBroadcastArgs', () => {
  it('defaults: 500 ms, no filter, no args, no CallClaimed', () => {
    assert.deepEqual(parseBroadcastArgs(''), { timeoutMs: DEFAULT_BROADCAST_TIMEOUT_MS, filter: undefined, args: [], notifyClaimed: false });
    assert.deepEqual(parseBroadcastArgs(',,,'), { timeoutMs: 500, filter: undefined, args: [], notifyClaimed: false });
  });

  it('reads the timeout as a leading integer in 0..60000; anything else warns and uses the default', () => {
    assert.equal(parseBroadcastArgs('0').timeoutMs, 0);
    assert.equal(parseBroadcastArgs('60000').timeoutMs, 60000);
    assert.equal(parseBroadcastArgs('1500ms').timeoutMs, 1500);
    for (const bad of ['60001', '-1', 'abc']) {
      const warnings: string[] = [];
      assert.equal(parseBroadcastArgs(bad, (m) => warnings.push(m)).timeoutMs, 500, bad);
      assert.equal(warnings.length, 1, bad);
      assert.match(warnings[0] ?? '', /invalid timeout/);
    }
  });

  it('splits args at colons and reads notify_claimed as an Asterisk boolean', () => {
    const o = parseBroadcastArgs('2000,^ivr-,sales:priority-high:,yes');
    assert.equal(o.timeoutMs, 2000);
    assert.deepEqual(o.args, ['sales', 'priority-high', '']);
    assert.equal(o.notifyClaimed, true);
    assert.ok(o.filter?.test('ivr-1'));
    assert.equal(o.filter?.test('my-ivr-1'), false);
    for (const t of ['true', 'ON', '1', 'y', 't']) assert.equal(parseBroadcastArgs(`,,,${t}`).notifyClaimed, true, t);
    for (const f of ['no', 'false', '0', 'off', 'maybe']) assert.equal(parseBroadcastArgs(`,,,${f}`).notifyClaimed, false, f);
  });

  it('an unusable filter warns and offers the call to everybody', () => {
    const warnings: string[] = [];
    assert.equal(parseBroadcastArgs('100,(unclosed', (m) => warnings.push(m)).filter, undefined);
    assert.equal(parseBroadcastArgs('100,((a)+)+((b)+)+', (m) => warnings.push(m)).filter, undefined);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0] ?? '', /does not compile/);
    assert.match(warnings[1] ?? '', /potentially expensive/);
  });
});

describe('checkFilterPattern', () => {
  it('accepts ordinary patterns', () => {
    for (const p of ['^ivr-.*', 'sales|support', '^app[0-9]{1,3}$', '(a|b)+c', '[)(+*]+', '\\(\\)+', '[]a]+']) {
      assert.equal(checkFilterPattern(p), undefined, p);
    }
  });

  it('refuses long, deeply nested, repeated-group and large-bound patterns', () => {
    assert.match(checkFilterPattern('a'.repeat(257)) ?? '', /longer than 256/);
    assert.match(checkFilterPattern('('.repeat(11) + 'a' + ')'.repeat(11)) ?? '', /nested deeper than 10/);
    assert.match(checkFilterPattern('(a)+(b)*(c)?(d){2}') ?? '', /more than 3 repeated groups/);
    assert.equal(checkFilterPattern('(a)+(b)*(c)?'), undefined);
    assert.match(checkFilterPattern('a{1,101}') ?? '', /bound above 100/);
    assert.match(checkFilterPattern('a{5000}') ?? '', /bound above 100/);
    const deep = `(((${Array.from({ length: 22 }, (_, i) => `x${i}`).join('|')})))`;
    assert.match(checkFilterPattern(deep) ?? '', /alternatives/);
    // Many alternatives near the top are fine.
    assert.equal(checkFilterPattern(`(${Array.from({ length: 30 }, (_, i) => `x${i}`).join('|')})`), undefined);
  });

  it('compiles POSIX bracket expressions: classes, a leading ], a literal backslash', () => {
    const c = compileFilter('^[[:alpha:]]+[[:digit:]]$');
    assert.ok('regex' in c && c.regex.test('abc1') && !c.regex.test('ab12'));
    const d = compileFilter('^[]x]+$');
    assert.ok('regex' in d && d.regex.test(']x]') && !d.regex.test('y'));
    const e = compileFilter('^a[\\]b$');
    assert.ok('regex' in e && e.regex.test('a\\b'));
    const f = compileFilter('^[^]a]$');
    assert.ok('regex' in f && f.regex.test('b') && !f.regex.test(']'));
    assert.ok('error' in compileFilter('[abc'));
  });
});

class FakeDriver implements ChannelDriver {
  readonly name = 'Fake';
  readonly description = 'fake';
  request(): Channel {
    throw new Error('not used');
  }
  call(): void {}
  answer(channel: Channel): void {
    channel.setState('Up');
  }
  hangup(): void {}
  sendDigit(): void {}
  indicate(): void {}
}

function setup(appNames: readonly string[]) {
  const core = new Core();
  core.channels.registerDriver(new FakeDriver());
  const logger = createTestLogger();
  const apps = new AppRegistry();
  const inbox = new Map<string, AppMessage[]>();
  for (const name of appNames) {
    const box: AppMessage[] = [];
    inbox.set(name, box);
    apps.register(name, { deliver: (m) => box.push(m) });
  }
  const stasis = new Stasis({ core, apps, logger });
  const broadcast = new StasisBroadcast({ core, apps, stasis, logger, random: () => 0 });
  const channel = core.channels.create({ tech: 'Fake', id: 'c1', name: 'Fake/one-00000001', exten: '100', context: 'in', caller: { name: 'A', number: '555' } });
  const types = (app: string) => (inbox.get(app) ?? []).map((m) => m.type);
  return { core, apps, stasis, broadcast, channel, inbox, types, logger };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('StasisBroadcast', () => {
  it('registers the dialplan application', () => {
    const { core } = setup([]);
    assert.ok(core.apps.get('StasisBroadcast'));
    assert.ok(core.apps.get('stasisbroadcast'));
  });

  it('offers to the matching applications; the first claim wins and enters the winner with the args', async () => {
    const { broadcast, channel, inbox, types } = setup(['ivr-a', 'ivr-b', 'other']);
    const run = broadcast.exec(channel, '5000,^ivr-,x:y,yes', true);
    await tick();
    assert.deepEqual(broadcast.offered(), ['c1']);
    const offer = inbox.get('ivr-a')?.find((m) => m.type === 'CallBroadcast');
    assert.ok(offer && offer.type === 'CallBroadcast');
    assert.equal(offer.caller, '555');
    assert.equal(offer.called, '100');
    assert.equal(offer.channel.id, 'c1');
    assert.ok(types('ivr-b').includes('CallBroadcast'));
    assert.ok(!types('other').includes('CallBroadcast'));

    assert.equal(broadcast.claim('c1', 'ivr-b'), 'claimed');
    assert.equal(broadcast.claim('c1', 'ivr-a'), 'conflict');
    await tick();
    assert.equal(channel.stasisApp, 'ivr-b');
    const start = inbox.get('ivr-b')?.find((m) => m.type === 'StasisStart');
    assert.ok(start && start.type === 'StasisStart');
    assert.deepEqual(start.args, ['x', 'y']);
    // CallClaimed to both matching applications, before the winner's StasisStart; not to the other one.
    const claimed = inbox.get('ivr-a')?.find((m) => m.type === 'CallClaimed');
    assert.ok(claimed && claimed.type === 'CallClaimed' && claimed.winnerApp === 'ivr-b');
    assert.ok(types('ivr-b').indexOf('CallClaimed') < types('ivr-b').indexOf('StasisStart'));
    assert.ok(!types('other').includes('CallClaimed'));
    // Still held by the winner: conflict, not "not found".
    assert.equal(broadcast.claim('c1', 'other'), 'conflict');

    stasisControl(channel)?.continueInDialplan({});
    assert.equal(await run, undefined);
    assert.equal(channel.getVariable('STASISSTATUS'), 'SUCCESS');
    assert.deepEqual(broadcast.offered(), []);
    assert.equal(broadcast.claim('c1', 'ivr-a'), 'not-found');
  });

  it('times out without a claim: STASISSTATUS=TIMEOUT, a warning, and late claims are not found', async () => {
    const { broadcast, channel, logger } = setup(['a']);
    const started = Date.now();
    assert.equal(await broadcast.exec(channel, '50', true), undefined);
    assert.ok(Date.now() - started >= 45);
    assert.equal(channel.getVariable('STASISSTATUS'), 'TIMEOUT');
    assert.ok(logger.messages('warning').some((m) => /not claimed within 50ms timeout/.test(m)));
    assert.equal(broadcast.claim('c1', 'a'), 'not-found');
  });

  it('a hangup while waiting ends the wait at once', async () => {
    const { broadcast, channel } = setup(['a']);
    const started = Date.now();
    const run = broadcast.exec(channel, '10000', true);
    await tick();
    channel.requestHangup({ soft: true });
    await run;
    assert.ok(Date.now() - started < 1000);
    assert.equal(channel.getVariable('STASISSTATUS'), 'TIMEOUT');
  });

  it('refuses claims for applications that are not registered, and for channels not on offer', async () => {
    const { broadcast, channel } = setup(['a']);
    assert.equal(broadcast.claim('c1', 'a'), 'not-found');
    const run = broadcast.exec(channel, '10000', true);
    await tick();
    assert.equal(broadcast.claim('c1', 'ghost'), 'no-application');
    assert.equal(broadcast.claim('nope', 'a'), 'not-found');
    assert.equal(broadcast.claim('c1', 'a'), 'claimed');
    await tick();
    channel.requestHangup({ soft: true });
    await run;
    assert.equal(channel.getVariable('STASISSTATUS'), 'SUCCESS');
  });

  it('the winner going away before the channel enters makes STASISSTATUS=FAILED', async () => {
    const { broadcast, channel, apps } = setup(['a']);
    const run = broadcast.exec(channel, '10000', true);
    await tick();
    assert.equal(broadcast.claim('c1', 'a'), 'claimed');
    // Same tick: the application disappears before the channel is handed over.
    const app = apps.get('a');
    assert.ok(app);
    apps.unregister('a', app.sink);
    assert.equal(await run, undefined);
    assert.equal(channel.getVariable('STASISSTATUS'), 'FAILED');
  });

  it('CallClaimed only when notify_claimed is set; offers go out in a shuffled order', async () => {
    const { broadcast, channel, inbox, core, apps } = setup(['a', 'b', 'c']);
    const run = broadcast.exec(channel, '10000', true);
    await tick();
    assert.equal(broadcast.claim('c1', 'a'), 'claimed');
    await tick();
    for (const name of ['a', 'b', 'c']) assert.ok(!(inbox.get(name) ?? []).some((m) => m.type === 'CallClaimed'));
    channel.requestHangup({ soft: true });
    await run;

    // With random() = 0 every swap takes the first element: a b c -> b c a.
    const order: string[] = [];
    const logger = createTestLogger();
    const stasis2 = new Stasis({ core, apps, logger });
    for (const name of ['a', 'b', 'c']) apps.register(name, { deliver: (m) => m.type === 'CallBroadcast' && order.push(m.application) });
    const b2 = new StasisBroadcast({ core, apps, stasis: stasis2, logger, random: () => 0 });
    const ch2 = core.channels.create({ tech: 'Fake', id: 'c2', name: 'Fake/two-00000002' });
    await b2.exec(ch2, '0', true);
    assert.deepEqual(order, ['b', 'c', 'a']);
  });
});
