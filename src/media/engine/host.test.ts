import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalMediaHost } from './host.ts';
import { LocalMediaPort, ping } from './port.ts';
import type { MediaNotification } from './protocol.ts';
import type { FrameAnalyzer } from './session.ts';
import { DTMF_FREQUENCIES } from './source.ts';
import { rms, sine, strongest, toneAmplitude } from './test-audio.ts';
import { Recorder, next, stopRecording, threePartyScenario } from './test-port.ts';

const manual = (): LocalMediaPort => new LocalMediaPort({ clock: 'manual' });
const session = (id: string) => ({ type: 'session', id }) as const;
const bridge = (id: string) => ({ type: 'bridge', id }) as const;

describe('LocalMediaHost through LocalMediaPort', () => {
  it('passes audio between the two halves of a Local channel, both ways', async () => {
    const port = manual();
    port.send({ type: 'attach', sessionId: 'L;1', rate: 8000 });
    port.send({ type: 'attach', sessionId: 'L;2', rate: 8000 });
    port.send({ type: 'link', linkId: 'L', a: 'L;1', b: 'L;2' });
    port.send({ type: 'record', recordingId: 'said-2', target: session('L;2'), sink: { type: 'buffer' } });
    port.send({ type: 'record', recordingId: 'said-1', target: session('L;1'), sink: { type: 'buffer' } });
    // Played to ;1 (what ;1 hears) is what ;2 says; played to ;2 is what ;1 says.
    port.send({ type: 'play', playbackId: 'p1', target: session('L;1'), sources: [{ type: 'tone', tones: '440' }] });
    port.send({ type: 'play', playbackId: 'p2', target: session('L;2'), sources: [{ type: 'tone', tones: '1000' }] });
    port.send({ type: 'tick', count: 51 });
    port.send({ type: 'record', recordingId: 'after-unlink', target: session('L;2'), sink: { type: 'buffer' } });
    port.send({ type: 'unlink', linkId: 'L' });
    port.send({ type: 'tick', count: 5 });
    assert.equal(rms(await stopRecording(port, 'after-unlink')), 0, 'unlinked: ;2 says nothing');
    const said2 = (await stopRecording(port, 'said-2')).subarray(0, 51 * 160);
    const said1 = (await stopRecording(port, 'said-1')).subarray(0, 51 * 160);
    assert.equal(rms(said2.subarray(0, 160)), 0, 'one tick (20 ms) through the link');
    const body2 = said2.subarray(160);
    const body1 = said1.subarray(160);
    assert.equal(strongest(body2, 8000, [300, 440, 697, 1000, 1633]), 440);
    assert.ok(toneAmplitude(body2, 8000, 440) > 7000 && toneAmplitude(body2, 8000, 1000) < 50);
    assert.equal(strongest(body1, 8000, [300, 440, 697, 1000, 1633]), 1000);
    assert.ok(toneAmplitude(body1, 8000, 1000) > 7000 && toneAmplitude(body1, 8000, 440) < 50);
    await port.close();
  });

  it('lets a bridge hear what is played to the far half of a Local channel', async () => {
    const port = manual();
    for (const id of ['L;1', 'L;2', 'C']) port.send({ type: 'attach', sessionId: id, rate: id === 'C' ? 16000 : 8000 });
    port.send({ type: 'link', linkId: 'L', a: 'L;1', b: 'L;2' });
    port.send({ type: 'bridge-create', bridgeId: 'b', kind: 'mixing' });
    port.send({ type: 'bridge-join', bridgeId: 'b', sessionId: 'L;2' });
    port.send({ type: 'bridge-join', bridgeId: 'b', sessionId: 'C' });
    port.send({ type: 'record', recordingId: 'C-hears', target: session('C'), direction: 'out', sink: { type: 'buffer' } });
    port.send({ type: 'record', recordingId: 'L1-hears', target: session('L;1'), direction: 'out', sink: { type: 'buffer' } });
    port.send({ type: 'play', playbackId: 'p', target: session('L;1'), sources: [{ type: 'tone', tones: '440', maxDurationMs: 1000 }] });
    port.send({ type: 'attach', sessionId: 'talker', rate: 8000, input: { type: 'tone', tones: '1000' } });
    port.send({ type: 'detach', sessionId: 'talker' });
    port.send({ type: 'tick', count: 52 });
    const c = await stopRecording(port, 'C-hears');
    assert.equal(c.length, 52 * 320, 'C is wideband');
    assert.ok(toneAmplitude(c, 16000, 440) > 6500, 'C hears the 440 Hz played to ;1');
    await port.close();
  });

  it('mixes three parties: each hears the others, not itself (Goertzel)', async () => {
    const port = manual();
    await threePartyScenario(port);
    await port.close();
  });

  it('reports a playback list item by item, and queues playbacks on one target', async () => {
    const port = manual();
    const rec = new Recorder(port);
    port.send({ type: 'attach', sessionId: 'S', rate: 8000 });
    port.send({ type: 'record', recordingId: 'r', target: session('S'), direction: 'out', sink: { type: 'buffer' } });
    port.send({
      type: 'play',
      playbackId: 'first',
      target: session('S'),
      sources: [
        { type: 'tone', tones: '!440/100' },
        { type: 'buffer', samples: sine(1000, 60, 8000), rate: 8000 },
      ],
    });
    port.send({ type: 'play', playbackId: 'second', target: session('S'), sources: [{ type: 'silence', durationMs: 40 }] });
    port.send({ type: 'play', playbackId: 'third', target: session('S'), sources: [{ type: 'tone', tones: '500' }] });
    port.send({ type: 'stop', playbackId: 'third' });
    port.send({ type: 'tick', count: 20 });
    const heard = await stopRecording(port, 'r');
    const events = rec.all.filter((n) => n.type.startsWith('playback') || n.type === 'source-finished').map((n) => {
      if (n.type === 'playback-started') return `started ${n.playbackId}#${n.index} ${n.durationMs ?? '∞'}`;
      if (n.type === 'source-finished') return `source ${n.playbackId}#${n.index} ${n.reason} ${n.positionMs}`;
      if (n.type === 'playback-finished') return `finished ${n.playbackId} ${n.reason}`;
      return n.type;
    });
    assert.deepEqual(events, [
      'finished third stopped',
      'started first#0 100',
      'source first#0 done 100',
      'started first#1 60',
      'source first#1 done 60',
      'finished first done',
      'started second#0 40',
      'source second#0 done 40',
      'finished second done',
    ]);
    // 100 ms of 440 Hz, then 60 ms of 1000 Hz right after it (the list plays without a gap), then silence.
    assert.ok(toneAmplitude(heard.subarray(0, 800), 8000, 440) > 7000);
    assert.ok(toneAmplitude(heard.subarray(800, 1280), 8000, 1000) > 7000);
    assert.equal(rms(heard.subarray(1280)), 0);
    await port.close();
  });

  it('controls a playback: pause gives silence, unpause resumes, restart starts over', async () => {
    const port = manual();
    const rec = new Recorder(port);
    port.send({ type: 'attach', sessionId: 'S', rate: 8000 });
    const data = new Int16Array(8000).fill(1000);
    data.fill(2000, 4000);
    port.send({ type: 'tap', sessionId: 'S', direction: 'out', enabled: true });
    port.send({ type: 'play', playbackId: 'p', target: session('S'), sources: [{ type: 'buffer', samples: data, rate: 8000 }] });
    port.send({ type: 'playback-control', playbackId: 'p', operation: 'pause' }); // not started yet: refused
    port.send({ type: 'tick' });
    port.send({ type: 'playback-control', playbackId: 'p', operation: 'pause' });
    port.send({ type: 'tick', count: 2 });
    port.send({ type: 'playback-control', playbackId: 'p', operation: 'unpause' });
    port.send({ type: 'tick' });
    port.send({ type: 'playback-control', playbackId: 'p', operation: 'forward', skipMs: 500 });
    port.send({ type: 'tick' });
    port.send({ type: 'playback-control', playbackId: 'p', operation: 'restart' });
    port.send({ type: 'tick' });
    port.send({ type: 'playback-control', playbackId: 'nope', operation: 'pause' });
    await ping(port);
    const firsts = rec.of('frame').map((f) => f.frame.samples[0]);
    assert.deepEqual(firsts, [1000, 0, 0, 1000, 2000, 1000]);
    assert.deepEqual(
      rec.of('error').map((e) => e.code),
      ['ERR_INVALID_STATE', 'ERR_NOT_FOUND'],
    );
    await port.close();
  });

  it('fails a playback with an unusable source promptly', async () => {
    const port = manual();
    port.send({ type: 'attach', sessionId: 'S', rate: 8000 });
    port.send({ type: 'play', playbackId: 'p', target: session('S'), sources: [{ type: 'tone', tones: 'not a tone' }] });
    const done = next(port, (n) => n.type === 'playback-finished');
    port.send({ type: 'tick' });
    const n = await done;
    assert.ok(n.type === 'playback-finished' && n.reason === 'failed' && /tone/.test(n.message ?? ''));
    await port.close();
  });

  it('mutes a session per direction', async () => {
    const port = manual();
    for (const id of ['A', 'C']) port.send({ type: 'attach', sessionId: id, rate: 8000, ...(id === 'A' ? { input: { type: 'tone', tones: '440' } as const } : {}) });
    port.send({ type: 'bridge-create', bridgeId: 'b', kind: 'mixing' });
    port.send({ type: 'bridge-join', bridgeId: 'b', sessionId: 'A' });
    port.send({ type: 'bridge-join', bridgeId: 'b', sessionId: 'C' });
    const hear = async (ticks: number): Promise<Int16Array> => {
      port.send({ type: 'record', recordingId: 'x', target: session('C'), direction: 'out', sink: { type: 'buffer' } });
      port.send({ type: 'tick', count: ticks });
      return stopRecording(port, 'x');
    };
    assert.ok(toneAmplitude(await hear(25), 8000, 440) > 7000);
    port.send({ type: 'mute', sessionId: 'A', direction: 'in', muted: true });
    assert.equal(rms(await hear(10)), 0, 'A muted in: C hears nothing');
    port.send({ type: 'mute', sessionId: 'A', direction: 'both', muted: false });
    port.send({ type: 'mute', sessionId: 'C', direction: 'out', muted: true });
    assert.equal(rms(await hear(10)), 0, 'C muted out');
    port.send({ type: 'mute', sessionId: 'C', direction: 'out', muted: false });
    port.send({ type: 'bridge-join', bridgeId: 'b', sessionId: 'A', muteIn: true });
    assert.equal(rms(await hear(10)), 0, 'A muted in the bridge');
    port.send({ type: 'bridge-join', bridgeId: 'b', sessionId: 'A', muteIn: false });
    assert.ok(toneAmplitude(await hear(25), 8000, 440) > 7000);
    await port.close();
  });

  it('plays into a bridge for everyone; a holding bridge entertains until an announcer speaks', async () => {
    const port = manual();
    for (const id of ['P1', 'P2', 'AN']) port.send({ type: 'attach', sessionId: id, rate: 8000, input: { type: 'tone', tones: id === 'AN' ? '1000' : '700' } });
    port.send({ type: 'bridge-create', bridgeId: 'h', kind: 'holding', entertainment: { type: 'tone', tones: '425' } });
    port.send({ type: 'bridge-join', bridgeId: 'h', sessionId: 'P1' });
    port.send({ type: 'bridge-join', bridgeId: 'h', sessionId: 'P2' });
    const hear = async (id: string, ticks: number): Promise<Int16Array> => {
      port.send({ type: 'record', recordingId: id, target: session(id), direction: 'out', sink: { type: 'buffer' } });
      port.send({ type: 'tick', count: ticks });
      return stopRecording(port, id);
    };
    let p1 = await hear('P1', 25);
    assert.ok(toneAmplitude(p1, 8000, 425) > 7000 && toneAmplitude(p1, 8000, 700) < 50, 'music, not the other participant');
    port.send({ type: 'bridge-join', bridgeId: 'h', sessionId: 'AN', role: 'announcer' });
    p1 = await hear('P1', 25);
    assert.ok(toneAmplitude(p1, 8000, 1000) > 7000 && toneAmplitude(p1, 8000, 425) < 50, 'the announcer instead of music');
    port.send({ type: 'bridge-leave', bridgeId: 'h', sessionId: 'AN' });
    port.send({ type: 'bridge-entertainment', bridgeId: 'h', source: null });
    port.send({ type: 'play', playbackId: 'bp', target: bridge('h'), sources: [{ type: 'tone', tones: '1500', maxDurationMs: 200 }] });
    p1 = await hear('P1', 25);
    assert.ok(toneAmplitude(p1.subarray(0, 1600), 8000, 1500) > 7000, 'a bridge playback is heard');
    assert.equal(rms(p1.subarray(1600)), 0, 'then silence: no entertainment any more');
    await port.close();
  });

  it('ends what a session or bridge owns when it goes, each end reported once', async () => {
    const port = manual();
    const rec = new Recorder(port);
    port.send({ type: 'attach', sessionId: 'L;1', rate: 8000 });
    port.send({ type: 'attach', sessionId: 'L;2', rate: 8000 });
    port.send({ type: 'link', linkId: 'L', a: 'L;1', b: 'L;2' });
    port.send({ type: 'bridge-create', bridgeId: 'b', kind: 'mixing' });
    port.send({ type: 'bridge-join', bridgeId: 'b', sessionId: 'L;1' });
    port.send({ type: 'play', playbackId: 'p', target: session('L;1'), sources: [{ type: 'tone', tones: '440' }] });
    port.send({ type: 'play', playbackId: 'q', target: session('L;1'), sources: [{ type: 'tone', tones: '440' }] });
    port.send({ type: 'play', playbackId: 'bp', target: bridge('b'), sources: [{ type: 'tone', tones: '440' }] });
    port.send({ type: 'record', recordingId: 'r', target: session('L;1'), sink: { type: 'buffer' } });
    port.send({ type: 'record', recordingId: 'br', target: bridge('b'), sink: { type: 'buffer', maxDurationMs: 10_000 } });
    port.send({ type: 'tick', count: 2 });
    port.send({ type: 'detach', sessionId: 'L;1' });
    port.send({ type: 'bridge-destroy', bridgeId: 'b' });
    port.send({ type: 'detach', sessionId: 'L;1' });
    const stats = await ping(port);
    assert.deepEqual(
      { sessions: stats.sessions, links: stats.links, bridges: stats.bridges, playbacks: stats.playbacks, recordings: stats.recordings },
      { sessions: 1, links: 0, bridges: 0, playbacks: 0, recordings: 0 },
    );
    const ends = rec.all.filter((n) => n.type === 'playback-finished' || n.type === 'recording-finished' || n.type === 'source-finished');
    assert.deepEqual(
      ends.map((n) => ('playbackId' in n ? `${n.type} ${n.playbackId} ${n.reason}` : `${n.type} ${n.recordingId} ${n.reason}`)),
      [
        'source-finished p detached',
        'playback-finished p detached',
        'playback-finished q detached',
        'recording-finished r detached',
        'source-finished bp detached',
        'playback-finished bp detached',
        'recording-finished br detached',
      ],
    );
    const br = rec.of('recording-finished').find((n) => n.recordingId === 'br');
    assert.equal(br?.durationMs, 40);
    assert.deepEqual(rec.of('error').map((e) => `${e.command} ${e.code}`), ['detach ERR_NOT_FOUND']);
    await port.close();
  });

  it('cuts a recording at its maximum duration, and pauses and mutes it', async () => {
    const port = manual();
    const rec = new Recorder(port);
    port.send({ type: 'attach', sessionId: 'S', rate: 16000, input: { type: 'tone', tones: '440', rate: 8000 } });
    port.send({ type: 'record', recordingId: 'r', target: session('S'), sink: { type: 'buffer', rate: 8000, maxDurationMs: 200 } });
    port.send({ type: 'tick', count: 2 });
    port.send({ type: 'record-control', recordingId: 'r', operation: 'pause' });
    port.send({ type: 'tick', count: 3 });
    port.send({ type: 'record-control', recordingId: 'r', operation: 'unpause' });
    port.send({ type: 'record-control', recordingId: 'r', operation: 'mute' });
    port.send({ type: 'tick', count: 2 });
    port.send({ type: 'record-control', recordingId: 'r', operation: 'unmute' });
    port.send({ type: 'tick', count: 20 });
    await ping(port);
    const [done] = rec.of('recording-finished');
    assert.equal(done?.reason, 'max-duration');
    assert.equal(done?.rate, 8000);
    assert.equal(done?.durationMs, 200);
    const s = done!.samples!;
    assert.equal(s.length, 1600);
    assert.ok(rms(s.subarray(0, 320)) > 3000, 'two ticks of tone');
    assert.equal(rms(s.subarray(320, 640)), 0, 'muted ticks are silence; paused ones are left out');
    assert.ok(rms(s.subarray(640)) > 3000);
    await port.close();
  });

  it('taps frames with running timestamps and sequence numbers', async () => {
    const port = manual();
    const rec = new Recorder(port);
    port.send({ type: 'attach', sessionId: 'S', rate: 16000 });
    port.send({ type: 'tap', sessionId: 'S', direction: 'out', enabled: true });
    port.send({ type: 'play', playbackId: 'p', target: session('S'), sources: [{ type: 'tone', tones: '440', rate: 8000 }] });
    port.send({ type: 'tick', count: 10 });
    port.send({ type: 'tap', sessionId: 'S', direction: 'out', enabled: false });
    port.send({ type: 'tick', count: 5 });
    await ping(port);
    const frames = rec.of('frame');
    assert.equal(frames.length, 10);
    frames.forEach((f, i) => {
      assert.equal(f.frame.rate, 16000);
      assert.equal(f.frame.seq, i);
      assert.equal(f.frame.timestamp, i * 320);
      assert.equal(f.frame.samples.length, 320);
    });
    const all = new Int16Array(3200);
    frames.forEach((f, i) => all.set(f.frame.samples, i * 320));
    assert.equal(strongest(all, 16000, [220, 440, 880]), 440);
    await port.close();
  });

  it('queues driver frames (at most 5) and resamples them to the session rate', async () => {
    const port = manual();
    port.send({ type: 'attach', sessionId: 'S', rate: 16000 });
    port.send({ type: 'record', recordingId: 'r', target: session('S'), sink: { type: 'buffer' } });
    const tone = sine(1000, 140, 8000);
    for (let i = 0; i < 7; i++) port.send({ type: 'write', sessionId: 'S', frame: { samples: tone.slice(i * 160, i * 160 + 160), rate: 8000, timestamp: i * 160, seq: i } });
    port.send({ type: 'tick', count: 6 });
    const stats = await ping(port);
    assert.equal(stats.droppedFrames, 2);
    const got = await stopRecording(port, 'r');
    assert.equal(got.length, 6 * 320);
    assert.ok(toneAmplitude(got.subarray(0, 5 * 320), 16000, 1000) > 7000, 'five frames of tone at 16 kHz');
    assert.equal(rms(got.subarray(5 * 320)), 0, 'then nothing');
    await port.close();
  });

  it('runs analyzers on what a session says and reports DTMF', async () => {
    // A small Goertzel detector, standing in for the DSP module's.
    const dtmf = (): FrameAnalyzer => {
      let last = '';
      let ms = 0;
      return {
        analyze(samples, rate) {
          let digit = '';
          for (const [d, [lo, hi]] of Object.entries(DTMF_FREQUENCIES)) {
            if (toneAmplitude(samples, rate, lo) > 2000 && toneAmplitude(samples, rate, hi) > 2000) digit = d;
          }
          if (digit === last) {
            ms += 20;
            return undefined;
          }
          const ended = last ? [{ type: 'dtmf' as const, digit: last, durationMs: ms }] : [];
          last = digit;
          ms = 20;
          return ended;
        },
      };
    };
    const port = new LocalMediaPort({ clock: 'manual', analyzers: { dtmf } });
    const rec = new Recorder(port);
    port.send({ type: 'attach', sessionId: 'L;1', rate: 8000 });
    port.send({ type: 'attach', sessionId: 'L;2', rate: 8000 });
    port.send({ type: 'link', linkId: 'L', a: 'L;1', b: 'L;2' });
    port.send({ type: 'analyze', sessionId: 'L;2', analyzer: 'dtmf', enabled: true });
    port.send({ type: 'analyze', sessionId: 'L;2', analyzer: 'talk', enabled: true });
    port.send({ type: 'play', playbackId: 'd', target: session('L;1'), sources: [{ type: 'dtmf', digits: '42#', durationMs: 100, betweenMs: 60 }] });
    port.send({ type: 'tick', count: 30 });
    await ping(port);
    assert.deepEqual(rec.of('dtmf').map((d) => `${d.sessionId} ${d.digit} ${d.durationMs}`), ['L;2 4 100', 'L;2 2 100', 'L;2 # 100']);
    assert.deepEqual(rec.of('error').map((e) => e.code), ['ERR_NOT_FOUND']);
    await port.close();
  });

  it('turns malformed commands into error notifications and keeps working', async () => {
    const port = manual();
    const rec = new Recorder(port);
    const bad: unknown[] = [
      null,
      42,
      { type: 'bogus' },
      { type: 'attach', sessionId: 'S', rate: 44100 },
      { type: 'attach', sessionId: '', rate: 8000 },
      { type: 'write', sessionId: 'nobody', frame: { samples: new Int16Array(160), rate: 8000, timestamp: 0, seq: 0 } },
      { type: 'play', playbackId: 'p', target: { type: 'moon', id: 'x' }, sources: [{ type: 'silence' }] },
    ];
    for (const b of bad) port.host.handle(b);
    port.send({ type: 'attach', sessionId: 'S', rate: 8000 });
    port.send({ type: 'attach', sessionId: 'S', rate: 8000 });
    port.send({ type: 'write', sessionId: 'S', frame: { samples: new Int16Array(100), rate: 8000, timestamp: 0, seq: 0 } });
    port.send({ type: 'play', playbackId: 'p', target: session('S'), sources: [] });
    port.send({ type: 'link', linkId: 'l', a: 'S', b: 'S' });
    port.send({ type: 'tick' });
    const stats = await ping(port);
    assert.equal(stats.sessions, 1);
    assert.equal(stats.ticks, 1);
    assert.deepEqual(
      rec.of('error').map((e) => `${e.command} ${e.code}`),
      [
        '? ERR_INVALID_PARAMETER',
        '? ERR_INVALID_PARAMETER',
        'bogus ERR_INVALID_PARAMETER',
        'attach ERR_INVALID_PARAMETER',
        'attach ERR_INVALID_PARAMETER',
        'write ERR_NOT_FOUND',
        'play ERR_INVALID_PARAMETER',
        'attach ERR_CONFLICT',
        'write ERR_INVALID_PARAMETER',
        'play ERR_INVALID_PARAMETER',
        'link ERR_INVALID_PARAMETER',
      ],
    );
    await port.close();
    port.send({ type: 'attach', sessionId: 'T', rate: 8000 });
    await new Promise((r) => setImmediate(r));
    assert.equal(rec.of('error').at(-1)?.code, 'ERR_INVALID_STATE');
  });

  it('applies commands a listener sends during a tick after that tick', () => {
    const seen: MediaNotification[] = [];
    const host: LocalMediaHost = new LocalMediaHost({
      clock: 'manual',
      emit: (n) => {
        seen.push(n);
        // React synchronously: queue the next playback as soon as the first ends.
        if (n.type === 'playback-finished' && n.playbackId === 'a') {
          host.handle({ type: 'play', playbackId: 'b', target: session('S'), sources: [{ type: 'silence', durationMs: 20 }] });
        }
      },
    });
    host.handle({ type: 'attach', sessionId: 'S', rate: 8000 });
    host.handle({ type: 'play', playbackId: 'a', target: session('S'), sources: [{ type: 'silence', durationMs: 20 }] });
    host.tick();
    host.tick();
    host.tick();
    assert.deepEqual(
      seen.filter((n) => n.type === 'playback-finished').map((n) => (n.type === 'playback-finished' ? n.playbackId : '')),
      ['a', 'b'],
    );
    host.close();
  });

  it('runs on its own clock while it has sessions', async () => {
    const port = new LocalMediaPort();
    const rec = new Recorder(port);
    port.send({ type: 'attach', sessionId: 'S', rate: 8000 });
    port.send({ type: 'tap', sessionId: 'S', direction: 'out', enabled: true });
    port.send({ type: 'play', playbackId: 'p', target: session('S'), sources: [{ type: 'tone', tones: '440' }] });
    await new Promise((r) => setTimeout(r, 500));
    port.send({ type: 'detach', sessionId: 'S' });
    const stats = await ping(port);
    const frames = rec.of('frame').length;
    // 25 ticks in 500 ms; a stalled CI machine may skip some (a stall of over 100 ms) but never adds any.
    const skipped = stats.clock?.skippedTicks ?? 0;
    assert.ok(frames + skipped >= 20 && frames <= 30, `${frames} frames (+${skipped} skipped) in 500 ms`);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(rec.of('frame').length, frames, 'the clock stops with the last session');
    await port.close();
  });
});
