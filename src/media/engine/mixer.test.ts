import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { samplesPerFrame, type SampleRate } from './frame.ts';
import { Mixer, type MixerParticipant } from './mixer.ts';
import { BufferSink } from './sink.ts';
import { ToneSource, type AudioSource } from './source.ts';
import { rms, toneAmplitude } from './test-audio.ts';

interface Party {
  readonly p: MixerParticipant;
  /** What it says (null: nothing). */
  readonly voice: AudioSource | null;
  readonly heard: BufferSink;
  readonly frame: Int16Array;
}

function party(mixer: Mixer, id: string, rate: SampleRate, tone: string | null, options: { role?: 'participant' | 'announcer'; muteIn?: boolean; muteOut?: boolean } = {}): Party {
  return {
    p: mixer.join(id, { rate, ...options }),
    voice: tone ? new ToneSource({ tones: tone, rate }) : null,
    heard: new BufferSink({ rate }),
    frame: new Int16Array(samplesPerFrame(rate)),
  };
}

function run(mixer: Mixer, parties: readonly Party[], ticks: number, extras: () => Int16Array[] = () => []): void {
  for (let t = 0; t < ticks; t++) {
    for (const x of parties) x.p.input = x.voice && x.voice.read(x.frame) ? x.frame : null;
    mixer.mix(extras());
    for (const x of parties) x.heard.write(x.p.output);
  }
}

const hears = (x: Party, freq: number): number => toneAmplitude(x.heard.samples(), x.heard.rate, freq);

describe('Mixer (mixing bridge)', () => {
  it('each participant hears everyone but itself: A 440 Hz, B 1000 Hz, C silence', () => {
    const mixer = new Mixer();
    const a = party(mixer, 'A', 8000, '440');
    const b = party(mixer, 'B', 8000, '1000');
    const c = party(mixer, 'C', 8000, null);
    run(mixer, [a, b, c], 50);
    assert.ok(hears(c, 440) > 7000 && hears(c, 1000) > 7000, 'C hears both');
    assert.ok(hears(a, 1000) > 7000 && hears(a, 440) < 50, 'A hears only B');
    assert.ok(hears(b, 440) > 7000 && hears(b, 1000) < 50, 'B hears only A');
    assert.ok(mixer.mixedActive);
    assert.ok(toneAmplitude(mixer.mixed, 8000, 440) > 6000, 'the whole mix has both');
  });

  it('mixes at the highest rate and gives each participant its own', () => {
    const mixer = new Mixer();
    const a = party(mixer, 'A', 8000, '440');
    const b = party(mixer, 'B', 8000, '1000');
    const c = party(mixer, 'C', 16000, '3000');
    assert.equal(mixer.rate, 16000);
    run(mixer, [a, b, c], 50);
    assert.equal(c.heard.samples().length, 16000);
    assert.ok(hears(c, 440) > 6500 && hears(c, 1000) > 6500, 'the 16 kHz party hears both 8 kHz ones');
    assert.ok(hears(a, 1000) > 6500 && hears(a, 440) < 100);
    // 3 kHz from the wideband party reaches the 8 kHz ones, attenuated by the crude decimation.
    assert.ok(hears(a, 3000) > 1000);
    assert.ok(hears(c, 3000) < 100, 'C does not hear itself');
    mixer.leave('C');
    assert.equal(mixer.rate, 8000);
  });

  it('saturates instead of wrapping around', () => {
    const mixer = new Mixer();
    const loud = (id: string): Party => ({ ...party(mixer, id, 8000, null), voice: new ToneSource({ tones: '500', amplitude: 30000 }) });
    const a = loud('A');
    const b = loud('B');
    const c = party(mixer, 'C', 8000, null);
    run(mixer, [a, b, c], 5);
    const heard = c.heard.samples();
    assert.equal(Math.max(...heard), 32767);
    assert.equal(Math.min(...heard), -32768);
    // Wrapping would put large negative values where the sum is positive.
    const peakAt = heard.indexOf(32767);
    assert.ok(heard[peakAt + 1]! > 0);
  });

  it('mutes per participant and direction', () => {
    const mixer = new Mixer();
    const a = party(mixer, 'A', 8000, '440', { muteIn: true });
    const b = party(mixer, 'B', 8000, '1000');
    const c = party(mixer, 'C', 8000, null, { muteOut: true });
    run(mixer, [a, b, c], 25);
    assert.ok(hears(a, 1000) > 7000, 'muted in, A still hears');
    assert.equal(rms(b.heard.samples()), 0, 'nobody hears A');
    assert.equal(b.p.outputActive, false);
    assert.equal(rms(c.heard.samples()), 0, 'C hears nothing');
    // Unmuting takes effect on the next tick.
    a.p.muteIn = false;
    const b2 = { ...b, heard: new BufferSink() };
    run(mixer, [a, b2, c], 25);
    assert.ok(hears(b2, 440) > 7000);
  });

  it('adds bridge-wide audio (extras) for everyone', () => {
    const mixer = new Mixer();
    const a = party(mixer, 'A', 8000, '440');
    const b = party(mixer, 'B', 16000, null);
    const announce = new ToneSource({ tones: '2000', rate: 16000 });
    const buf = new Int16Array(320);
    run(mixer, [a, b], 50, () => (announce.read(buf) ? [buf] : []));
    assert.ok(hears(a, 2000) > 6000, 'A hears the bridge playback');
    assert.ok(hears(b, 2000) > 6000 && hears(b, 440) > 6000);
  });
});

describe('Mixer (holding bridge)', () => {
  it('participants hear their entertainment and not each other; announcers are heard by all', () => {
    const mixer = new Mixer({ kind: 'holding', entertainment: () => new ToneSource({ tones: '425' }) });
    const p1 = party(mixer, 'P1', 8000, '700');
    const p2 = party(mixer, 'P2', 16000, '900');
    run(mixer, [p1, p2], 25);
    assert.ok(hears(p1, 425) > 7000 && hears(p1, 900) < 50, 'P1: music, not P2');
    assert.ok(hears(p2, 425) > 6500 && hears(p2, 700) < 50, 'P2: music, not P1 (resampled to 16 kHz)');

    const an = party(mixer, 'AN', 8000, '1000', { role: 'announcer' });
    const q1 = { ...p1, heard: new BufferSink() };
    const q2 = { ...p2, heard: new BufferSink({ rate: 16000 }) };
    run(mixer, [q1, q2, an], 25);
    // P1 is 8 kHz in a 16 kHz mix (P2): the announcer goes up and back down, which the linear resampler
    // attenuates a little at 1 kHz.
    assert.ok(hears(q1, 1000) > 6500 && hears(q1, 425) < 50, 'the announcer replaces the music');
    assert.ok(hears(q2, 1000) > 6500 && hears(q2, 425) < 50);
    assert.equal(rms(an.heard.samples()), 0, 'announcers hear nothing');

    mixer.leave('AN');
    const r1 = { ...p1, heard: new BufferSink() };
    run(mixer, [r1, p2], 25);
    assert.ok(hears(r1, 425) > 7000, 'the music comes back');
  });

  it('without entertainment participants hear silence until something is announced', () => {
    const mixer = new Mixer({ kind: 'holding' });
    const p1 = party(mixer, 'P1', 8000, '700');
    const p2 = party(mixer, 'P2', 8000, '900');
    run(mixer, [p1, p2], 10);
    assert.equal(rms(p1.heard.samples()), 0);
    const bridgePlay = new ToneSource({ tones: '1500' });
    const buf = new Int16Array(160);
    const q1 = { ...p1, heard: new BufferSink() };
    run(mixer, [q1, p2], 25, () => (bridgePlay.read(buf) ? [buf] : []));
    assert.ok(hears(q1, 1500) > 7000 && hears(q1, 900) < 50);
    mixer.setEntertainment(() => new ToneSource({ tones: '425' }));
    const r1 = { ...p1, heard: new BufferSink() };
    run(mixer, [r1, p2], 25);
    assert.ok(hears(r1, 425) > 7000);
  });
});
