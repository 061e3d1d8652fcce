import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { causeToSip, rejectStatus, sipToCause } from './causes.ts';

describe('SIP ↔ Q.850 causes (chan_pjsip / res_pjsip tables)', () => {
  it('maps causes to the final response of an unanswered inbound call', () => {
    assert.equal(causeToSip(17), 486);
    assert.equal(causeToSip(1), 404);
    assert.equal(causeToSip(34), 503);
    assert.equal(causeToSip(19), 480);
    assert.equal(causeToSip(21), 403);
    assert.equal(causeToSip(58), 488);
    assert.equal(causeToSip(16), 0, 'Normal Clearing has no SIP status of its own');
    assert.equal(rejectStatus(16), 603, 'which is sent as 603 Decline');
    assert.equal(rejectStatus(0), 603);
    assert.equal(rejectStatus(17), 486);
  });

  it('maps final responses to causes, classes for unknown codes', () => {
    assert.equal(sipToCause(486), 17);
    assert.equal(sipToCause(600), 17);
    assert.equal(sipToCause(404), 1);
    assert.equal(sipToCause(487), 127);
    assert.equal(sipToCause(503), 34);
    assert.equal(sipToCause(408), 18);
    assert.equal(sipToCause(603), 21);
    assert.equal(sipToCause(499), 127);
    assert.equal(sipToCause(599), 34);
    assert.equal(sipToCause(699), 127);
    assert.equal(sipToCause(200), 16);
  });
});
