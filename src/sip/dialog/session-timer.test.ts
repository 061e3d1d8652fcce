import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRequest, type SipRequest } from '../message/message.ts';
import { negotiateSessionTimer, type SessionTimerConfig } from './session-timer.ts';

const YES: SessionTimerConfig = { mode: 'yes', minSe: 90, sessionExpires: 1800 };

function invite(extra: [string, string][]): SipRequest {
  return createRequest('INVITE', 'sip:bob@x', [['Via', 'SIP/2.0/UDP h;branch=z9hG4bK1'], ['From', '<sip:a@x>;tag=1'], ['To', '<sip:b@x>'], ['Call-ID', 'c'], ['CSeq', '1 INVITE'], ...extra]);
}

describe('negotiateSessionTimer', () => {
  it('422 with Min-SE below our minimum', () => {
    assert.deepEqual(negotiateSessionTimer(invite([['Supported', 'timer'], ['Session-Expires', '60']]), YES), { ok: false, status: 422, headers: [['Min-SE', '90']] });
  });
  it('takes the smaller interval and the refresher the UAC names; Require: timer when supported', () => {
    const r = negotiateSessionTimer(invite([['Supported', 'timer, replaces'], ['Session-Expires', '600;refresher=uas']]), YES);
    assert.deepEqual(r, { ok: true, timer: { interval: 600, refresher: 'uas' }, headers: [['Session-Expires', '600;refresher=uas'], ['Require', 'timer']] });
    const big = negotiateSessionTimer(invite([['Supported', 'timer'], ['Session-Expires', '7200']]), YES);
    assert.ok(big.ok);
    assert.deepEqual(big.timer, { interval: 1800, refresher: 'uac' });
  });
  it('no timer when the UAC does not support it (mode yes), uas refreshes with always, 421 with required', () => {
    assert.deepEqual(negotiateSessionTimer(invite([]), YES), { ok: true, timer: undefined, headers: [] });
    const always = negotiateSessionTimer(invite([]), { ...YES, mode: 'always' });
    assert.ok(always.ok);
    assert.deepEqual(always.timer, { interval: 1800, refresher: 'uas' });
    assert.equal(always.headers.some(([k]) => k === 'Require'), false);
    const req = negotiateSessionTimer(invite([]), { ...YES, mode: 'required' });
    assert.deepEqual(req, { ok: false, status: 421, headers: [['Require', 'timer']] });
    assert.deepEqual(negotiateSessionTimer(invite([['Session-Expires', '100']]), { ...YES, mode: 'no' }), { ok: true, timer: undefined, headers: [] });
  });
});
