import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, describe, it } from 'node:test';
import { ulawDecode, ulawEncode } from '../codecs/g711.ts';
import { ExchangeSlot, newPage } from '../engine/exchange.ts';
import { concatSamples as concat } from '../engine/frame.ts';
import { LocalMediaPort, WorkerMediaPort, type MediaPort } from '../engine/port.ts';
import { rms, sine, strongest, toneAmplitude } from '../engine/test-audio.ts';
import type { MediaNotification } from '../engine/protocol.ts';
import { parseRtp, serializeRtp } from './packet.ts';
import { encodeTelephoneEvent } from './rfc4733.ts';
import type { DtmfEvent } from './rfc4733.ts';
import { RtpPool } from './rtp-pool.ts';

const RANGE = { start: 42000, end: 42999 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A far end: records the PCMU audio it receives, and can send a tone and digits. */
async function farEnd(): Promise<{ sock: dgram.Socket; port: number; audio: Int16Array[]; close(): void }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const audio: Int16Array[] = [];
  sock.on('message', (msg) => {
    const p = parseRtp(msg);
    if (typeof p !== 'string' && p.payloadType === 0) audio.push(ulawDecode(p.payload));
  });
  return { sock, port: sock.address().port, audio, close: () => sock.close() };
}

async function sendTone(sock: dgram.Socket, to: number, freq: number, ms: number): Promise<void> {
  const pcm = sine(freq, ms, 8000, 8000);
  const t0 = performance.now();
  for (let i = 0; i < pcm.length / 160; i++) {
    const payload = ulawEncode(pcm.subarray(i * 160, i * 160 + 160));
    sock.send(serializeRtp({ marker: i === 0, payloadType: 0, sequenceNumber: 100 + i, timestamp: 8000 + i * 160, ssrc: 0x1234 }, payload), to, '127.0.0.1');
    const wait = t0 + (i + 1) * 20 - performance.now();
    if (wait > 0) await sleep(wait);
  }
}


describe('ExchangeSlot: frames between the host and an RTP worker', () => {
  it('hands each frame over once, alternating buffers so the reader never sees a half-written one', () => {
    const page = newPage();
    const host = new ExchangeSlot(page, 3);
    const worker = new ExchangeSlot(page, 3);
    assert.equal(worker.readOut(), undefined);
    host.writeOut(new Int16Array(160).fill(7), 8000, 160);
    const a = worker.readOut();
    assert.ok(a);
    assert.equal(a.rate, 8000);
    assert.equal(a.timestamp, 160);
    assert.equal(a.samples.length, 160);
    assert.equal(a.samples[0], 7);
    assert.equal(worker.readOut(), undefined, 'a frame is read once');
    host.writeOut(new Int16Array(320).fill(9), 16000, 320);
    const b = worker.readOut();
    assert.equal(b?.samples.length, 320);
    assert.equal(b?.samples[319], 9);
    assert.equal(a.samples[0], 7, 'the previous frame stays intact in the other buffer');
    // A burst of host ticks: both frames are read, oldest first; of three, the oldest is gone.
    host.writeOut(new Int16Array(160).fill(1), 8000, 480);
    host.writeOut(new Int16Array(160).fill(2), 8000, 640);
    assert.deepEqual([worker.readOut()?.timestamp, worker.readOut()?.timestamp, worker.readOut()], [480, 640, undefined]);
    for (const ts of [800, 960, 1120]) host.writeOut(new Int16Array(160).fill(ts), 8000, ts);
    assert.deepEqual([worker.readOut()?.samples[0], worker.readOut()?.samples[0], worker.readOut()], [960, 1120, undefined]);
    worker.inBuffer().fill(5);
    worker.commitIn();
    assert.equal(host.readIn()?.[0], 5);
    assert.equal(host.readIn(), undefined);
    assert.throws(() => new ExchangeSlot(page, 64), RangeError);
  });
});

for (const placement of ['in-thread host', 'worker host'] as const) {
  describe(`RtpPool with the ${placement}: RTP sessions in worker threads`, () => {
    let port: MediaPort;
    const cleanup: Array<() => Promise<void> | void> = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    it('sends the engine\'s audio, delivers the far end\'s audio and digits, and frees everything on close', async () => {
      port = placement === 'worker host' ? await WorkerMediaPort.start() : new LocalMediaPort();
      cleanup.push(() => port.close());
      const pool = new RtpPool({ port, workers: 2 });
      cleanup.push(() => pool.close());
      const far = await farEnd();
      cleanup.push(() => far.close());

      // Two calls: they land on different workers.
      const digits: DtmfEvent[] = [];
      const channels = [];
      for (const id of ['A', 'B']) {
        port.send({ type: 'attach', sessionId: id, rate: 8000 });
        channels.push(
          await pool.open({
            sessionId: id,
            bindAddress: '127.0.0.1',
            portRange: RANGE,
            codec: { name: 'PCMU', payloadType: 0 },
            telephoneEvent: 101,
            remote: { address: '127.0.0.1', port: far.port },
            ...(id === 'A' ? { onDtmf: (e: DtmfEvent) => digits.push(e) } : {}),
          }),
        );
      }
      assert.equal(pool.workers, 2);
      const [a] = channels;
      assert.ok(a && a.localPort >= RANGE.start && a.localPort <= RANGE.end && a.localPort % 2 === 0);

      // Out: a tone played on A reaches the far end as PCMU.
      port.send({ type: 'play', playbackId: 'p', target: { type: 'session', id: 'A' }, sources: [{ type: 'tone', tones: '1000', maxDurationMs: 3000 }] });
      await until(() => far.audio.length >= 30, '30 packets of audio');
      const heard = concat(far.audio.slice(-20).filter((f) => rms(f) > 1000));
      assert.ok(heard.length >= 10 * 160, 'the far end hears the tone');
      assert.equal(strongest(heard, 8000, [440, 700, 1000, 1400]), 1000);
      assert.ok(toneAmplitude(heard, 8000, 1000) > 3000);

      // In: what the far end sends to A reaches A's `in` side.
      const inFrames: Int16Array[] = [];
      port.send({ type: 'tap', sessionId: 'A', direction: 'in', enabled: true });
      const off = port.onNotification((n: MediaNotification) => {
        if (n.type === 'frame' && n.sessionId === 'A' && n.direction === 'in') inFrames.push(n.frame.samples);
      });
      await sendTone(far.sock, a.localPort, 700, 600);
      await sleep(100);
      off();
      // Only the frames that carry audio (before the first packet and after the last one A hears silence; on a
      // loaded machine how many of those there are varies).
      const voiced = inFrames.filter((f) => rms(f) > 1000);
      assert.ok(voiced.length >= 15, `${voiced.length} frames with audio of 30 sent`);
      const said = concat(voiced);
      assert.equal(strongest(said, 8000, [440, 700, 1000, 1400]), 700);
      assert.ok(toneAmplitude(said, 8000, 700) > 3000, 'the far end\'s tone is in A');

      // Digits: an RFC 4733 event reaches the callback in this thread.
      for (let i = 0; i < 6; i++) {
        const end = i >= 3;
        const payload = encodeTelephoneEvent({ event: 5, end, volume: 10, duration: 400 + i * 160 });
        far.sock.send(serializeRtp({ marker: i === 0, payloadType: 101, sequenceNumber: 200 + i, timestamp: 40000, ssrc: 0x1234 }, payload), a.localPort, '127.0.0.1');
        await sleep(20);
      }
      await until(() => digits.some((d) => d.type === 'end' && d.digit === '5'), 'digit 5');

      // Statistics come from the worker.
      const stats = await a.stats();
      assert.ok(stats.txcount >= 30 && stats.rxcount >= 25, `tx ${stats.txcount} rx ${stats.rxcount}`);
      assert.equal(stats.channel_uniqueid, 'A');
      assert.deepEqual(await a.sendingTo(), { address: '127.0.0.1', port: far.port });

      // Close: the port is free again, and later requests fail cleanly.
      const freed = a.localPort;
      for (const c of channels) await c.close();
      const probe = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        probe.once('error', reject);
        probe.bind(freed, '127.0.0.1', () => resolve());
      });
      probe.close();
      await assert.rejects(a.stats(), /No such RTP session/);
      await pool.close();
      assert.equal(pool.workers, 0);
    });
  });
}
