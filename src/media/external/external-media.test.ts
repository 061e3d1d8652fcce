import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AriadneError } from '../../shared/errors.ts';
import { checkExternalMedia, splitHostPort, type ExternalMediaRequest } from './external-media.ts';

const UUID = '0e2c6a3e-5b5f-4d3c-9a43-2f1c0e7b9d10';

function refusal(r: ExternalMediaRequest): string {
  try {
    checkExternalMedia(r);
  } catch (err) {
    assert.ok(err instanceof AriadneError);
    return `${err.code} ${err.message}`;
  }
  return 'accepted';
}

describe('checkExternalMedia', () => {
  it('accepts the three transports', () => {
    const rtp = checkExternalMedia({ app: 'a', externalHost: '127.0.0.1:4000', format: 'alaw' });
    assert.equal(rtp.kind, 'rtp');
    assert.equal(rtp.kind === 'rtp' && rtp.port, 4000);
    const as = checkExternalMedia({ app: 'a', externalHost: 'example.org:9092', encapsulation: 'audiosocket', transport: 'tcp', format: 'slin', data: UUID.toUpperCase() });
    assert.equal(as.kind === 'audiosocket' && as.uuid, UUID);
    const ws = checkExternalMedia({ app: 'a', externalHost: 'ws://127.0.0.1:8080/bot?x=1', encapsulation: 'none', transport: 'websocket', format: 'slin16' });
    assert.equal(ws.kind === 'websocket' && ws.uri.href, 'ws://127.0.0.1:8080/bot?x=1');
    const viaData = checkExternalMedia({ app: 'a', externalHost: 'bot', transportData: 'wss://bots.example/x', encapsulation: 'none', transport: 'websocket', format: 'ulaw' });
    assert.equal(viaData.kind === 'websocket' && viaData.uri.host, 'bots.example');
  });

  it("refuses bad input with Asterisk's messages, in Asterisk's order", () => {
    const ok = { app: 'a', externalHost: '127.0.0.1:4000', format: 'ulaw' };
    assert.equal(refusal({ ...ok, app: '' }), 'ERR_INVALID_PARAMETER app cannot be empty');
    assert.equal(refusal({ ...ok, transport: 'websocket' }), "ERR_INVALID_PARAMETER encapsulation must be 'none' for websocket transport");
    assert.equal(refusal({ ...ok, transport: 'tcp' }), "ERR_INVALID_PARAMETER transport must be 'udp' for rtp encapsulation");
    assert.equal(refusal({ ...ok, encapsulation: 'audiosocket' }), "ERR_INVALID_PARAMETER transport must be 'tcp' for audiosocket encapsulation");
    assert.equal(refusal({ ...ok, connectionType: 'server' }), "ERR_INVALID_PARAMETER 'server' connection_type can only be used with the websocket transport");
    assert.equal(refusal({ ...ok, externalHost: '' }), 'ERR_INVALID_PARAMETER external_host is required for all but websocket server connections');
    for (const host of ['127.0.0.1', 'host:', 'host:0', 'host:70000', 'ws://x:1']) {
      assert.equal(refusal({ ...ok, externalHost: host }), 'ERR_INVALID_PARAMETER external_host must be <host>:<port> for all transports other than websocket');
    }
    assert.equal(refusal({ ...ok, format: '' }), 'ERR_INVALID_PARAMETER format cannot be empty');
    assert.equal(refusal({ ...ok, direction: 'sideways' }), 'ERR_INVALID_PARAMETER Invalid direction specified');
    assert.match(refusal({ ...ok, format: 'slin16' }), /format 'slin16' is not supported for rtp encapsulation/);
    const as = { ...ok, encapsulation: 'audiosocket', transport: 'tcp', format: 'slin' };
    assert.equal(refusal(as), 'ERR_INVALID_PARAMETER data can not be empty');
    assert.equal(refusal({ ...as, data: 'nope' }), 'ERR_INVALID_PARAMETER data must be a UUID for audiosocket encapsulation');
    assert.match(refusal({ ...as, data: UUID, format: 'ulaw' }), /not supported for audiosocket/);
    assert.equal(refusal({ ...ok, encapsulation: 'none' }), 'ERR_INVALID_PARAMETER The encapsulation and/or transport is not supported');
    const ws = { app: 'a', encapsulation: 'none', transport: 'websocket', format: 'ulaw' };
    assert.equal(refusal({ ...ws, externalHost: '127.0.0.1:80' }), 'ERR_INVALID_PARAMETER external_host must be a ws:// or wss:// URI for the websocket transport');
    assert.match(refusal({ ...ws, connectionType: 'server' }), /^ERR_NOT_IMPLEMENTED/);
    assert.match(refusal({ ...ws, externalHost: 'ws://h/', format: 'g729' }), /format 'g729' is not supported for websocket/);
  });

  it('splits host:port, IPv6 in brackets', () => {
    assert.deepEqual(splitHostPort('[::1]:5000'), { host: '::1', port: 5000 });
    assert.deepEqual(splitHostPort('media.example:65535'), { host: 'media.example', port: 65535 });
    assert.equal(splitHostPort('::1:5000'), undefined);
  });
});
