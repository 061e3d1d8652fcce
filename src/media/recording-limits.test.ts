/**
 * A recording that reaches WAV's 4 GiB limit (its sizes are 32-bit) ends cleanly: the host reports it `failed`
 * with a message that says why, and the file's header still describes exactly the audio in it. Cheap to test:
 * the recording continues (`append`) a sparse file that is already a few frames short of the limit, with a
 * header written here whose sizes say so.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalMediaPort, ping } from './engine/port.ts';
import type { MediaNotification } from './engine/protocol.ts';
import { buildWavHeader, parseWavHeader } from './wav/wav.ts';

type Finished = Extract<MediaNotification, { type: 'recording-finished' }>;

const HEADER = 44;
/** The largest WAV file: its RIFF size (file size − 8) is a 32-bit number. */
const MAX_FILE = 0xffffffff + 8;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recording-limits-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A canonical 8 kHz 16-bit mono WAV header for `dataLength` bytes of audio. */
const wavHeader = (dataLength: number): Buffer => buildWavHeader({ encoding: 'pcm16', sampleRate: 8000, dataLength }).header;

describe('a recording at the 4 GiB WAV limit', () => {
  it('ends failed with a message, the header consistent with the file', async () => {
    const file = path.join(dir, 'huge.wav');
    // Room for 3 frames (3 × 320 bytes) and a bit: the fourth frame would pass the limit.
    const dataLength = MAX_FILE - HEADER - 3 * 320 - 101; // whole 16-bit samples
    fs.writeFileSync(file, wavHeader(dataLength));
    fs.truncateSync(file, HEADER + dataLength);
    try {
      // The file is sparse (tmpfs, ext4, xfs...): a few blocks on disk, not 4 GiB.
      assert.ok(fs.statSync(file).blocks * 512 < 64 * 1024 * 1024, 'the test file is sparse');
      const port = new LocalMediaPort({ clock: 'manual' });
      const seen: MediaNotification[] = [];
      port.onNotification((n) => seen.push(n));
      port.send({ type: 'attach', sessionId: 'S', rate: 8000, input: { type: 'tone', tones: '440' } });
      // A duration limit far away (what `maxDurationSeconds=2147483647` asks for) does not get in the way.
      port.send({ type: 'record', recordingId: 'r', target: { type: 'session', id: 'S' }, sink: { type: 'file', path: file, format: 'wav', append: true, maxDurationMs: 2147483647 * 1000 } });
      port.send({ type: 'tick', count: 10 });
      await ping(port);
      await port.close();
      const finished = seen.find((n): n is Finished => n.type === 'recording-finished' && n.recordingId === 'r');
      assert.ok(finished, 'recording-finished');
      assert.equal(finished.reason, 'failed');
      assert.match(finished.message ?? '', /4 GiB limit of WAV/);
      assert.equal(finished.durationMs, 60, 'the three frames that fitted were kept');

      const size = fs.statSync(file).size;
      assert.equal(size, HEADER + dataLength + 3 * 320);
      assert.ok(size <= MAX_FILE);
      const fd = fs.openSync(file, 'r');
      const head = Buffer.alloc(HEADER);
      fs.readSync(fd, head, 0, HEADER, 0);
      fs.closeSync(fd);
      const info = parseWavHeader(head, size);
      assert.equal(head.readUInt32LE(4), size - 8, 'RIFF size matches the file');
      assert.equal(info.declaredDataLength, size - HEADER, 'data size matches the audio');
      assert.equal(info.truncated, false);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
