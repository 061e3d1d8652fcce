import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualTimers } from '../transaction/timers.ts';
import { createResponse } from '../message/helpers.ts';
import { createRequest } from '../message/message.ts';
import { after422, outboundTimerHeaders, refresherAfterResponse, refreshHeaders, requestedTimer, SessionRefresh, uacSessionTimer } from './session-timers.ts';

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

describe('outbound session timers', () => {
  const invite = createRequest('INVITE', 'sip:b@192.0.2.2', [['Via', 'SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1'], ['From', '<sip:a@192.0.2.1>;tag=1'], ['To', '<sip:b@192.0.2.2>'], ['Call-ID', 'c'], ['CSeq', '1 INVITE']]);
  const res = (status: number, headers: Array<[string, string]>) => createResponse(invite, status, { toTag: 't', headers });

  it('asks for timers_sess_expires and timers_min_se (never under 90); Require: timer only when required', () => {
    assert.equal(requestedTimer({ mode: 'no', minSe: 90, sessionExpires: 1800 }), undefined);
    assert.deepEqual(outboundTimerHeaders('no', undefined), []);
    const yes = requestedTimer({ mode: 'yes', minSe: 90, sessionExpires: 1800 });
    assert.deepEqual(outboundTimerHeaders('yes', yes), [['Session-Expires', '1800'], ['Min-SE', '90']]);
    const req = requestedTimer({ mode: 'required', minSe: 30, sessionExpires: 60 });
    assert.deepEqual(req, { sessionExpires: 90, minSe: 90 });
    assert.deepEqual(outboundTimerHeaders('required', req), [['Require', 'timer'], ['Session-Expires', '90'], ['Min-SE', '90']]);
  });

  it('a 422 raises both values to its Min-SE, once; none or a met one gives up', () => {
    const asked = { sessionExpires: 100, minSe: 90 };
    assert.deepEqual(after422(asked, res(422, [['Min-SE', '300']])), { sessionExpires: 300, minSe: 300 });
    assert.equal(after422(asked, res(422, [])), undefined);
    assert.equal(after422(asked, res(422, [['Min-SE', '100']])), undefined);
  });

  it('the 2xx names interval and refresher; without Session-Expires it depends on the mode', () => {
    const asked = { sessionExpires: 1800, minSe: 90 };
    assert.deepEqual(uacSessionTimer('yes', asked, res(200, [['Session-Expires', '90;refresher=uac']])), { interval: 90, weRefresh: true });
    assert.deepEqual(uacSessionTimer('yes', asked, res(200, [['Session-Expires', '600;refresher=uas']])), { interval: 600, weRefresh: false });
    assert.deepEqual(uacSessionTimer('yes', asked, res(200, [['Session-Expires', '600']])), { interval: 600, weRefresh: true }, 'no refresher named: the UAC');
    assert.deepEqual(uacSessionTimer('yes', asked, res(200, [['Session-Expires', '3600;refresher=uas']])), { interval: 1800, weRefresh: false }, 'never above what we asked');
    assert.deepEqual(uacSessionTimer('yes', { sessionExpires: 1800, minSe: 300 }, res(200, [['Session-Expires', '120;refresher=uas']])), { interval: 120, weRefresh: false }, 'under our Min-SE but >= 90: taken');
    assert.equal(uacSessionTimer('yes', asked, res(200, [])), undefined);
    assert.deepEqual(uacSessionTimer('always', asked, res(200, [])), { interval: 1800, weRefresh: true });
    assert.equal(uacSessionTimer('required', asked, res(200, [])), 'missing');
    assert.equal(uacSessionTimer('no', undefined, res(200, [['Session-Expires', '90;refresher=uac']])), undefined);
  });
});
