import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StreamFramer, type FramerEvent } from './framer.ts';
import { callId } from './message.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const invite = fs.readFileSync(path.join(FIXTURES, 'valid-invite-sdp.sip'));
const compact = fs.readFileSync(path.join(FIXTURES, 'valid-compact.sip'));

function kinds(events: FramerEvent[]): string[] {
  return events.map((e) => (e.type === 'message' ? `message:${callId(e.message)}` : e.type === 'invalid' || e.type === 'fatal' ? `${e.type}:${e.error.reason}` : e.type));
}

describe('StreamFramer', () => {
  it('cuts back-to-back messages by Content-Length, whatever the chunking', () => {
    const stream = Buffer.concat([invite, compact, invite]);
    for (const size of [1, 7, 100, 1000, stream.length]) {
      const f = new StreamFramer();
      const events: FramerEvent[] = [];
      for (let i = 0; i < stream.length; i += size) events.push(...f.push(stream.subarray(i, i + size)));
      assert.deepEqual(kinds(events), ['message:3848276298220188511@192.0.2.20', 'message:compact-1@client.example.org', 'message:3848276298220188511@192.0.2.20'], `chunk ${size}`);
      const first = events[0];
      assert.ok(first?.type === 'message' && first.message.body.toString().endsWith('a=sendrecv\r\n'));
      assert.equal(f.buffered, 0);
    }
  });

  it('reports RFC 5626 keep-alives between messages', () => {
    const f = new StreamFramer();
    assert.deepEqual(kinds(f.push(Buffer.from('\r\n\r\n'))), ['ping']);
    assert.deepEqual(kinds(f.push(Buffer.from('\r\n'))), ['pong']);
    assert.deepEqual(kinds(f.push(Buffer.concat([Buffer.from('\r\n\r\n'), compact]))), ['ping', 'message:compact-1@client.example.org']);
  });

  it('a message that frames but does not parse is reported and the stream goes on', () => {
    const bad = Buffer.from('INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n');
    const f = new StreamFramer();
    assert.deepEqual(kinds(f.push(Buffer.concat([bad, compact]))), ['invalid:missing-header', 'message:compact-1@client.example.org']);
  });

  it('framing errors are fatal: no Content-Length, a bad one, or too large', () => {
    const noLength = new StreamFramer();
    assert.deepEqual(kinds(noLength.push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n'))), ['fatal:bad-content-length']);
    assert.deepEqual(noLength.push(compact), [], 'nothing after a fatal error');
    assert.deepEqual(kinds(new StreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nl: x1\r\n\r\n'))), ['fatal:bad-content-length']);
    assert.deepEqual(kinds(new StreamFramer().push(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 99999\r\n\r\n'))), ['fatal:too-large']);
    const endless = new StreamFramer({ maxSize: 1000 });
    let out: FramerEvent[] = [];
    for (let i = 0; i < 20 && out.length === 0; i++) out = endless.push(Buffer.from('X-Long: ' + 'y'.repeat(100) + '\r\n'));
    assert.deepEqual(kinds(out), ['fatal:too-large']);
    assert.equal(endless.buffered, 0);
  });

  it('random chunkings of a corrupted stream never throw and always consume or stop', () => {
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 300; k++) {
      const stream = Buffer.concat([invite, Buffer.from('\r\n\r\n'), compact, invite]);
      for (let j = 0; j < k % 6; j++) stream[rnd(stream.length)] = rnd(256);
      const f = new StreamFramer();
      let messages = 0;
      for (let i = 0; i < stream.length; ) {
        const n = 1 + rnd(400);
        for (const e of f.push(stream.subarray(i, i + n))) if (e.type === 'message') messages++;
        i += n;
      }
      assert.ok(messages <= 3);
      assert.ok(f.buffered <= stream.length);
    }
  });

  it('waits for the rest of a body', () => {
    const f = new StreamFramer();
    assert.deepEqual(f.push(invite.subarray(0, invite.length - 5)), []);
    assert.deepEqual(kinds(f.push(invite.subarray(invite.length - 5))), ['message:3848276298220188511@192.0.2.20']);
  });
});
