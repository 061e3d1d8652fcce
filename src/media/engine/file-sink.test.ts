import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, mock } from 'node:test';
import { formatByName } from '../formats.ts';
import { readWav } from '../wav/wav.ts';
import { LocalMediaPort, WorkerMediaPort, ping } from './port.ts';
import type { MediaNotification, SinkSpec, SourceSpec } from './protocol.ts';
import { toneAmplitude } from './test-audio.ts';
import { FileSink } from './file-sink.ts';

type Finished = Extract<MediaNotification, { type: 'recording-finished' }>;

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-sink-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * A session whose `in` side says `input`, recorded into `sink` for `ticks` ticks (manual clock), then stopped.
 * Resolves with the notifications of the recording.
 */
async function record(
  input: SourceSpec | undefined,
  sink: SinkSpec,
  ticks: number,
  extra: { maxSilenceMs?: number; silenceThreshold?: number; between?: (port: LocalMediaPort) => void } = {},
): Promise<{ started: boolean; finished: Finished }> {
  const port = new LocalMediaPort({ clock: 'manual' });
  const seen: MediaNotification[] = [];
  port.onNotification((n) => seen.push(n));
  port.send({ type: 'attach', sessionId: 'S', rate: 8000, ...(input ? { input } : {}) });
  port.send({
    type: 'record',
    recordingId: 'r',
    target: { type: 'session', id: 'S' },
    sink,
    ...(extra.maxSilenceMs !== undefined ? { maxSilenceMs: extra.maxSilenceMs } : {}),
    ...(extra.silenceThreshold !== undefined ? { silenceThreshold: extra.silenceThreshold } : {}),
  });
  port.send({ type: 'tick', count: ticks });
  extra.between?.(port);
  port.send({ type: 'record-stop', recordingId: 'r' });
  await ping(port);
  await port.close();
  const finished = seen.find((n): n is Finished => n.type === 'recording-finished' && n.recordingId === 'r');
  assert.ok(finished, 'recording-finished');
  // Stopping a recording that already ended by itself is the only error expected.
  assert.deepEqual(seen.filter((n) => n.type === 'error' && n.command !== 'record-stop'), []);
  return { started: seen.some((n) => n.type === 'recording-started' && n.recordingId === 'r'), finished };
}

const tone = (hz: number, ms?: number): SourceSpec => ({ type: 'tone', tones: String(hz), ...(ms !== undefined ? { maxDurationMs: ms } : {}) });

describe('FileSink through the media host', () => {
  it('writes a WAV (8 kHz) that holds the tone for the time recorded', async () => {
    const file = path.join(dir, 'a.wav');
    const { started, finished } = await record(tone(440), { type: 'file', path: file, format: 'wav' }, 50);
    assert.ok(started);
    assert.equal(finished.reason, 'stopped');
    assert.equal(finished.durationMs, 1000);
    assert.equal(finished.rate, 8000);
    assert.equal(finished.samples, undefined);
    const wav = readWav(fs.readFileSync(file));
    assert.equal(wav.sampleRate, 8000);
    assert.equal(wav.sampleCount, 8000);
    assert.equal(wav.truncated, false);
    assert.ok(toneAmplitude(wav.samples, 8000, 440) > 3000, `440 Hz at ${toneAmplitude(wav.samples, 8000, 440)}`);
    assert.ok(toneAmplitude(wav.samples, 8000, 1000) < 100);
  });

  it('writes wav16 at 16 kHz from an 8 kHz session, and ulaw, alaw, sln raw files', async () => {
    const w16 = path.join(dir, 'b.wav16');
    const r16 = await record(tone(600), { type: 'file', path: w16, format: 'wav16' }, 25);
    assert.equal(r16.finished.rate, 16000);
    const wav = readWav(fs.readFileSync(w16));
    assert.equal(wav.sampleRate, 16000);
    assert.equal(wav.sampleCount, 8000);
    assert.ok(toneAmplitude(wav.samples, 16000, 600) > 3000);
    for (const [format, name] of [['ulaw', 'pcm'], ['alaw', 'alaw'], ['sln', 'sln']] as const) {
      const file = path.join(dir, `c.${format}`);
      const { finished } = await record(tone(800), { type: 'file', path: file, format }, 25);
      assert.equal(finished.durationMs, 500, format);
      const samples = formatByName(name)!.decode(fs.readFileSync(file));
      assert.equal(samples.length, 4000, format);
      assert.ok(toneAmplitude(samples, 8000, 800) > 3000, `${format}: 800 Hz at ${toneAmplitude(samples, 8000, 800)}`);
    }
  });

  it('appends to an existing file of the same format, and replaces it otherwise', async () => {
    const file = path.join(dir, 'app.wav');
    await record(tone(440), { type: 'file', path: file, format: 'wav' }, 10);
    const second = await record(tone(1000), { type: 'file', path: file, format: 'wav', append: true }, 15);
    assert.equal(second.finished.durationMs, 300);
    const wav = readWav(fs.readFileSync(file));
    assert.equal(wav.sampleCount, 25 * 160);
    assert.ok(toneAmplitude(wav.samples.subarray(0, 1600), 8000, 440) > 3000);
    assert.ok(toneAmplitude(wav.samples.subarray(1600), 8000, 1000) > 3000);
    await record(tone(440), { type: 'file', path: file, format: 'wav' }, 5);
    assert.equal(readWav(fs.readFileSync(file)).sampleCount, 800);
  });

  it('stops at maxDurationMs', async () => {
    const file = path.join(dir, 'max.sln');
    const { finished } = await record(tone(440), { type: 'file', path: file, format: 'sln', maxDurationMs: 300 }, 40);
    assert.equal(finished.reason, 'max-duration');
    assert.equal(finished.durationMs, 300);
    assert.equal(fs.statSync(file).size, 300 * 8 * 2);
  });

  it('ends on maxSilenceMs, keeps 200 ms of the silence and counts talking and silence', async () => {
    const file = path.join(dir, 'sil.wav');
    // 400 ms of tone, then nothing: the recording ends after 1 s of silence by itself.
    const { finished } = await record(tone(440, 400), { type: 'file', path: file, format: 'wav' }, 200, { maxSilenceMs: 1000, silenceThreshold: 128 });
    assert.equal(finished.reason, 'silence');
    assert.equal(finished.durationMs, 600);
    assert.equal(finished.talkingMs, 400);
    assert.equal(finished.silenceMs, 200);
    const wav = readWav(fs.readFileSync(file));
    assert.equal(wav.sampleCount, 600 * 8);
    assert.ok(toneAmplitude(wav.samples.subarray(0, 3200), 8000, 440) > 3000);
  });

  it('keeps silence between talk spurts shorter than maxSilenceMs', async () => {
    const file = path.join(dir, 'gaps.wav');
    const input: SourceSpec = { type: 'tone', tones: '!440/200,!0/300,!440/200', maxDurationMs: 700 };
    const { finished } = await record(input, { type: 'file', path: file, format: 'wav' }, 50, { maxSilenceMs: 2000 });
    assert.equal(finished.reason, 'stopped');
    // Stopped with 300 ms of trailing silence held: it is written, as the recording did not end on silence.
    assert.equal(finished.durationMs, 1000);
    assert.equal(finished.talkingMs, 400);
    assert.equal(finished.silenceMs, 600);
    assert.equal(readWav(fs.readFileSync(file)).sampleCount, 8000);
  });

  it('a file that cannot be opened ends the recording failed at once', async () => {
    const { started, finished } = await record(tone(440), { type: 'file', path: path.join(dir, 'no', 'such', 'dir.wav'), format: 'wav' }, 5);
    assert.equal(started, false);
    assert.equal(finished.reason, 'failed');
    assert.match(finished.message ?? '', /^ENOENT/);
  });

  it('an unknown format fails the recording', async () => {
    const { finished } = await record(tone(440), { type: 'file', path: path.join(dir, 'x.mp3'), format: 'mp3' }, 1);
    assert.equal(finished.reason, 'failed');
    assert.match(finished.message ?? '', /Unknown recording format/);
  });

  it('disk full on a raw file (/dev/full): recording-finished failed with ENOSPC', async () => {
    const { started, finished } = await record(tone(440), { type: 'file', path: '/dev/full', format: 'sln' }, 5);
    assert.ok(started);
    assert.equal(finished.reason, 'failed');
    assert.match(finished.message ?? '', /^ENOSPC/);
    assert.equal(finished.durationMs, 0);
  });

  it('disk full in the middle of a WAV: failed, and the file stays valid with the audio before the error', async () => {
    const file = path.join(dir, 'full.wav');
    let writes = 0;
    // Header at open (1 write), then audio + header per frame: the 21st frame's audio write fails.
    const real = fs.writeSync;
    const m = mock.method(fs, 'writeSync', (...args: Parameters<typeof fs.writeSync>) => {
      if ((args[0] as number) > 2 && ++writes > 1 + 2 * 20) {
        const err = new Error('ENOSPC: no space left on device, write') as NodeJS.ErrnoException;
        err.code = 'ENOSPC';
        throw err;
      }
      return (real as (...a: unknown[]) => number)(...args);
    });
    let finished: Finished;
    try {
      ({ finished } = await record(tone(440), { type: 'file', path: file, format: 'wav' }, 50));
    } finally {
      m.mock.restore();
    }
    assert.equal(finished.reason, 'failed');
    assert.equal(finished.message, 'ENOSPC: no space left on device');
    assert.equal(finished.durationMs, 400);
    const buf = fs.readFileSync(file);
    const wav = readWav(buf);
    assert.equal(wav.truncated, false);
    assert.equal(wav.declaredDataLength, 20 * 160 * 2);
    assert.equal(buf.readUInt32LE(4), buf.length - 8, 'RIFF size matches the file');
    assert.equal(buf.length, wav.dataOffset + wav.dataLength);
    assert.ok(toneAmplitude(wav.samples, 8000, 440) > 3000);
  });

  it('FileSink.open refuses a rate that is not the format\'s', () => {
    assert.throws(() => FileSink.open({ path: path.join(dir, 'r.wav'), format: 'wav', rate: 16000 }), TypeError);
  });
});

describe('FileSink in a worker thread', () => {
  it('the same record command writes the same file from the worker', async () => {
    const file = path.join(dir, 'worker.wav');
    const port = await WorkerMediaPort.start({ manualClock: true });
    const seen: MediaNotification[] = [];
    port.onNotification((n) => seen.push(n));
    port.send({ type: 'attach', sessionId: 'S', rate: 8000, input: tone(440) });
    port.send({ type: 'record', recordingId: 'w', target: { type: 'session', id: 'S' }, sink: { type: 'file', path: file, format: 'wav', maxDurationMs: 400 } });
    port.send({ type: 'tick', count: 30 });
    await ping(port);
    await port.close();
    const finished = seen.find((n): n is Finished => n.type === 'recording-finished');
    assert.equal(finished?.reason, 'max-duration');
    const wav = readWav(fs.readFileSync(file));
    assert.equal(wav.sampleCount, 3200);
    assert.ok(toneAmplitude(wav.samples, 8000, 440) > 3000);
  });
});

describe('BufferSink recordings still work', () => {
  it('collects samples and reports talking time', async () => {
    const { finished } = await record(tone(440), { type: 'buffer' }, 10);
    assert.equal(finished.samples?.length, 1600);
    assert.equal(finished.talkingMs, 200);
    assert.equal(finished.silenceMs, 0);
  });
});
