import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage, isUuid, KIND_DTMF, KIND_HANGUP, KIND_ID, KIND_SLIN, MessageReader, uuidBytes } from './audiosocket.ts';

describe('AudioSocket messages', () => {
  it('encodes kind, big-endian length and payload', () => {
    assert.deepEqual([...encodeMessage(KIND_HANGUP)], [0, 0, 0]);
    assert.deepEqual([...encodeMessage(KIND_DTMF, Buffer.from('5'))], [3, 0, 1, 0x35]);
    const audio = encodeMessage(KIND_SLIN, Buffer.alloc(320));
    assert.equal(audio.length, 323);
    assert.deepEqual([...audio.subarray(0, 3)], [0x10, 0x01, 0x40]);
  });

  it('turns a UUID into its 16 bytes and refuses other text', () => {
    const id = '0e2c6a3e-5b5f-4d3c-9a43-2f1c0e7b9d10';
    assert.ok(isUuid(id));
    assert.equal(uuidBytes(id).toString('hex'), '0e2c6a3e5b5f4d3c9a432f1c0e7b9d10');
    assert.equal(encodeMessage(KIND_ID, uuidBytes(id)).length, 19);
    assert.equal(isUuid('not-a-uuid'), false);
    assert.throws(() => uuidBytes('1234'), TypeError);
  });

  it('reads messages split across and packed into TCP chunks', () => {
    const r = new MessageReader();
    const stream = Buffer.concat([encodeMessage(KIND_SLIN, Buffer.alloc(320, 7)), encodeMessage(KIND_DTMF, Buffer.from('#')), encodeMessage(KIND_HANGUP)]);
    const got: { kind: number; length: number }[] = [];
    for (let at = 0; at < stream.length; at += 7) {
      for (const m of r.push(stream.subarray(at, at + 7))) got.push({ kind: m.kind, length: m.payload.length });
    }
    assert.deepEqual(got, [
      { kind: KIND_SLIN, length: 320 },
      { kind: KIND_DTMF, length: 1 },
      { kind: KIND_HANGUP, length: 0 },
    ]);
  });
});
