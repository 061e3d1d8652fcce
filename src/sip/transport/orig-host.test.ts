import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createResponse } from '../message/helpers.ts';
import { createRequest } from '../message/message.ts';
import { restoreOrigHost } from './orig-host.ts';

const headers: Array<[string, string]> = [
  ['Via', 'SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1'], ['From', '<sip:a@b>;tag=1'], ['To', '<sip:alice@198.51.100.9:40123;x-ast-orig-host=192.168.1.20:5062>'],
  ['Call-ID', 'c'], ['CSeq', '1 INVITE'],
];

describe('restoreOrigHost', () => {
  it('strips x-ast-orig-host from the Request-URI and To of a request, without touching the original', () => {
    const req = createRequest('INVITE', 'sip:alice@198.51.100.9:40123;transport=tcp;x-ast-orig-host=192.168.1.20:5062', headers);
    const out = restoreOrigHost(req);
    assert.ok(out.type === 'request');
    assert.equal(out.uri, 'sip:alice@198.51.100.9:40123;transport=tcp');
    assert.equal(out.headers.get('To'), '<sip:alice@198.51.100.9:40123>');
    assert.match(req.uri, /x-ast-orig-host/, 'the message given is not changed');
  });

  it('gives a response Contact its original host and port back; other messages pass as they are', () => {
    const req = createRequest('REGISTER', 'sip:pbx', headers);
    const res = createResponse(req, 200, { headers: [['Contact', '<sip:alice@198.51.100.9:40123;transport=ws;x-ast-orig-host=[2001:db8::1]:5062>;expires=60, <sip:alice@203.0.113.5>;expires=30']] });
    const out = restoreOrigHost(res);
    assert.equal(out.headers.get('Contact'), '<sip:alice@[2001:db8::1]:5062;transport=ws>;expires=60, <sip:alice@203.0.113.5>;expires=30');
    const plain = createResponse(req, 200);
    assert.equal(restoreOrigHost(plain), plain);
  });
});
