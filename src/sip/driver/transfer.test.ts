/**
 * The checks an INVITE's Replaces header goes through (RFC 3891 §3), against a table of calls: which call it
 * names, and the statuses when it names none, an early call we did not place, or `early-only` an answered one.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel } from '../../core/channel.ts';
import { parseMessage } from '../message/parser.ts';
import type { SipRequest } from '../message/message.ts';
import { replacesTarget } from './transfer.ts';

function invite(replaces?: string): SipRequest {
  const text = [
    'INVITE sip:100@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1',
    'From: <sip:a@127.0.0.1>;tag=f1',
    'To: <sip:100@127.0.0.1>',
    'Call-ID: new-call',
    'CSeq: 1 INVITE',
    'Max-Forwards: 70',
    ...(replaces === undefined ? [] : [`Replaces: ${replaces}`]),
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return parseMessage(Buffer.from(text)) as SipRequest;
}

const answered = { name: 'PJSIP/answered' } as Channel;
const ringingIn = { name: 'PJSIP/ringing-in' } as Channel;
const calls = new Map([
  ['up', { channel: answered, early: false, outbound: false, tags: ['ours', 'theirs'] }],
  ['early-in', { channel: ringingIn, early: true, outbound: false, tags: ['ours2', 'theirs2'] }],
]);
const lookup = (callId: string, a: string | undefined, b: string | undefined) => {
  const c = calls.get(callId);
  return c !== undefined && (a === undefined || c.tags.includes(a)) && (b === undefined || c.tags.includes(b)) ? c : undefined;
};

test('no Replaces header: an ordinary call', () => {
  assert.equal(replacesTarget(invite(), lookup), undefined);
});

test('a Replaces naming an answered call gives that call, tags either way round', () => {
  assert.equal(replacesTarget(invite('up;to-tag=ours;from-tag=theirs'), lookup), answered);
  assert.equal(replacesTarget(invite('up;from-tag=ours;to-tag=theirs'), lookup), answered);
});

test('481 for no such call or wrong tags, 481 for an early call we did not place, 486 for early-only on an answered one', () => {
  assert.equal(replacesTarget(invite('nope;to-tag=ours;from-tag=theirs'), lookup), 481);
  assert.equal(replacesTarget(invite('up;to-tag=other;from-tag=theirs'), lookup), 481);
  assert.equal(replacesTarget(invite('early-in;to-tag=ours2;from-tag=theirs2'), lookup), 481);
  assert.equal(replacesTarget(invite('up;to-tag=ours;from-tag=theirs;early-only'), lookup), 486);
});
