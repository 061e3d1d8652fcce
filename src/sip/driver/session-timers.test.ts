import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualTimers } from '../transaction/timers.ts';
import { refresherAfterResponse, refreshHeaders, SessionRefresh } from './session-timers.ts';

function run(interval: number, weRefresh: boolean) {
  const clock = new ManualTimers();
  const log: string[] = [];
  const timer = new SessionRefresh({ interval, weRefresh, timers: clock, onRefresh: () => log.push(`refresh@${clock.now}`), onExpire: () => log.push(`expire@${clock.now}`) });
  return { clock, log, timer };
}

describe('SessionRefresh', () => {
  it('as refresher: refreshes at half the interval, again after each 2xx', () => {
    const { clock, log, timer } = run(90, true);
    clock.advance(44_999);
    assert.deepEqual(log, []);
    clock.advance(1);
    assert.deepEqual(log, ['refresh@45000']);
    clock.advance(5_000); // the 2xx comes 5 s later
    timer.refreshed();
    clock.advance(45_000);
    assert.deepEqual(log, ['refresh@45000', 'refresh@95000']);
    timer.stop();
    clock.advance(600_000);
    assert.equal(log.length, 2);
    assert.equal(clock.pending, 0);
  });

  it('peer refreshes: expiry 32 s (or a third) before the end unless a refresh arrives; fires once', () => {
    const { clock, log, timer } = run(1800, false);
    clock.advance(1000_000);
    timer.refreshed(); // the peer's re-INVITE at 1000 s restarts the interval
    clock.advance(1767_999);
    assert.deepEqual(log, []);
    clock.advance(1);
    assert.deepEqual(log, ['expire@2768000']);
    timer.refreshed();
    clock.advance(10_000_000);
    assert.deepEqual(log, ['expire@2768000'], 'an expired timer stays expired');

    const short = run(90, false);
    short.clock.advance(60_000);
    assert.deepEqual(short.log, ['expire@60000'], 'a third of 90 s is under 32 s');
  });

  it('a refresh can hand the refresher role over and change the interval', () => {
    const { clock, log, timer } = run(120, true);
    clock.advance(10_000);
    timer.refreshed(100, false);
    clock.advance(100_000 - 32_000 - 1);
    assert.deepEqual(log, []);
    clock.advance(1);
    assert.deepEqual(log, ['expire@78000']);
  });

  it('headers of our refresh and reading the 2xx', () => {
    assert.deepEqual(refreshHeaders(1800, 90), [['Session-Expires', '1800;refresher=uac'], ['Min-SE', '90']]);
    assert.deepEqual(refresherAfterResponse('900;refresher=uac'), { interval: 900, weRefresh: true });
    assert.deepEqual(refresherAfterResponse('900 ; refresher=UAS'), { interval: 900, weRefresh: false });
    assert.deepEqual(refresherAfterResponse(undefined), { interval: undefined, weRefresh: true });
  });
});
