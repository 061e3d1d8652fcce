/**
 * Audio frames: the unit the media engine moves. A frame is 20 ms of 16-bit signed linear mono audio at 8 or
 * 16 kHz (160 or 320 samples). Codecs (ulaw, alaw, ...) live at the edges of the engine; inside it everything is
 * slin. `timestamp` counts samples since the start of the stream (as RTP does) and `seq` counts frames.
 *
 * Ownership: a frame handed to the engine (a `write` command) or out of it (a `frame` notification) belongs to
 * the receiver from then on. Across a worker boundary its buffer is transferred, so the sender must not touch
 * `samples` after posting it.
 */

export type SampleRate = 8000 | 16000;

export const SAMPLE_RATES: readonly SampleRate[] = [8000, 16000];

/** Length of one frame in milliseconds. */
export const FRAME_MS = 20;

export interface AudioFrame {
  readonly samples: Int16Array;
  readonly rate: SampleRate;
  /** Position of the first sample, in samples since the start of the stream. */
  readonly timestamp: number;
  /** Frame counter of the stream. */
  readonly seq: number;
}

export function isSampleRate(value: unknown): value is SampleRate {
  return value === 8000 || value === 16000;
}

/** Samples in one 20 ms frame: 160 at 8 kHz, 320 at 16 kHz. */
export function samplesPerFrame(rate: SampleRate): number {
  return (rate / 1000) * FRAME_MS;
}

/** Clamps a sum to the int16 range (what "saturating" mixing means). */
export function saturate(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** A frame of silence. */
export function silentFrame(rate: SampleRate, timestamp = 0, seq = 0): AudioFrame {
  return { samples: new Int16Array(samplesPerFrame(rate)), rate, timestamp, seq };
}

/** Splits a buffer of samples into 20 ms frames (the last one zero-padded), numbered from `seq`. */
export function framesOf(samples: Int16Array, rate: SampleRate, seq = 0): AudioFrame[] {
  const n = samplesPerFrame(rate);
  const frames: AudioFrame[] = [];
  for (let off = 0, i = 0; off < samples.length; off += n, i++) {
    const out = new Int16Array(n);
    out.set(samples.subarray(off, Math.min(off + n, samples.length)));
    frames.push({ samples: out, rate, timestamp: off, seq: seq + i });
  }
  return frames;
}

/** Joins frames' samples into one buffer. */
export function concatFrames(frames: readonly { readonly samples: Int16Array }[]): Int16Array {
  return concatSamples(frames.map((f) => f.samples));
}

/** Joins sample arrays into one. */
export function concatSamples(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
