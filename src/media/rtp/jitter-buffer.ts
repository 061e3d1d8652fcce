/**
 * A small adaptive jitter buffer for the receive side of an RTP session, pulled once per media tick (20 ms).
 *
 * Decoded samples are placed in a ring by their RTP timestamp, so packets of any size (10, 20, 30 ms) land where
 * they belong, reordering costs nothing and a duplicate is seen because its samples are already there. Playout
 * starts once the buffer holds its target depth; each `pull` then takes the next frame at the playout point:
 *  - a hole (samples missing while later ones are there) is a lost packet: its frame is concealed — the first
 *    missing frame repeats the previous one at half level, the next ones are silence (G.711 has no PLC of its
 *    own, and repeating longer sounds worse than a gap) — and playout moves on;
 *  - running dry (less than a frame buffered) means the next packet is late: a concealment frame is played but
 *    no timestamp is consumed, so the delay grows by a frame and the late packet still plays;
 *  - packets for timestamps already played are late and dropped, as are duplicates;
 *  - once nothing has arrived for `idleFrames` ticks the stream is taken as paused (end of talkspurt, hold): pull
 *    returns false and the next packet starts buffering again, at its own timestamp;
 *  - a jump far ahead (a new stream, the far end's clock jumped) restarts the buffer there.
 *
 * Adaptation: interarrival jitter is measured as in RFC 3550 A.8, and the target depth follows it — a packet
 * (at least a frame) plus three times the jitter plus 10 ms, rounded up to a 10 ms step and kept within
 * `minMs`–`maxMs` (20–120 ms by default; 30 ms for a steady 20 ms stream). A buffer deeper than target + 40 ms
 * for 5 ticks in a row sheds a frame, and again every 5 ticks until it is back, so latency built up by a burst
 * does not last; a shallower one grows on the next restart (each talkspurt starts at the target).
 */

const RING_BITS = 13;
/** 8192 samples: 1 s at 8 kHz, more than the deepest buffer plus a burst. It divides 2³², so `ts & MASK` wraps. */
const RING = 1 << RING_BITS;
const MASK = RING - 1;
/** Pulls in a row with the buffer too deep before a frame is shed. */
const SHED_AFTER = 5;

/**
 * The rings of released buffers (`release()`), handed to the next buffers made in this thread. Each ring pair is
 * 24 KB of memory outside the JS heap; made anew per call they pile up as garbage until a full GC (rare in an
 * RTP worker, whose heap barely grows), and the allocator keeps the high-water mark of that pile as RSS long
 * after the calls (issue 5, "RSS after 10,000 calls": 315–323 MiB without reuse, 280 MiB with it). Reused, a
 * steady call rate allocates no new rings at all.
 */
const spareRings: Array<{ readonly ring: Int16Array; readonly have: Uint8Array }> = [];
/** Spare ring pairs kept at most (1.5 MB): enough for a burst of call ends, bounded when calls drop off. */
const SPARE_RINGS = 64;
const RELEASED_RING = new Int16Array(0);
const RELEASED_HAVE = new Uint8Array(0);

export interface JitterBufferOptions {
  /** Samples per second (timestamps are in samples). */
  readonly rate?: number;
  /** Samples per pull (one 20 ms frame). */
  readonly frameSamples?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  /** Ticks without any packet after which playout pauses. */
  readonly idleFrames?: number;
}

export interface JitterBufferStats {
  readonly pushed: number;
  readonly played: number;
  /** Frames (or parts) that were concealed because their packet was missing when due. */
  readonly concealed: number;
  /** Of those, frames played while the buffer had run dry, which delayed the stream by a frame each. */
  readonly stretched: number;
  readonly late: number;
  readonly duplicates: number;
  /** Frames dropped to bring the depth back to target. */
  readonly shed: number;
  readonly resyncs: number;
  readonly targetMs: number;
  readonly depthMs: number;
  /** Interarrival jitter in ms. */
  readonly jitterMs: number;
}

export class JitterBuffer {
  readonly rate: number;
  readonly frameSamples: number;
  readonly #minSamples: number;
  readonly #maxSamples: number;
  readonly #idleFrames: number;
  #ring: Int16Array;
  #have: Uint8Array;
  readonly #previous: Int16Array;
  #playing = false;
  #buffering = false;
  /** Next timestamp to play (valid while playing or buffering). */
  #playTs = 0;
  /** One past the highest timestamp received. */
  #endTs = 0;
  /**
   * Where the last gap (samples skipped by a packet that came early) ends: before it there may be holes, after
   * it every sample up to `#endTs` is there, so frames past it are copied whole.
   */
  #holeUntil = 0;
  #idle = 0;
  #missingRun = 0;
  #deepRun = 0;
  #packetSamples = 0;
  #target: number;
  #transit: number | undefined;
  #jitter = 0;
  #stats = { pushed: 0, played: 0, concealed: 0, stretched: 0, late: 0, duplicates: 0, shed: 0, resyncs: 0 };

  constructor(options: JitterBufferOptions = {}) {
    this.rate = options.rate ?? 8000;
    this.frameSamples = options.frameSamples ?? (this.rate / 1000) * 20;
    this.#minSamples = ((options.minMs ?? 20) * this.rate) / 1000;
    this.#maxSamples = ((options.maxMs ?? 120) * this.rate) / 1000;
    this.#idleFrames = options.idleFrames ?? 10;
    this.#target = Math.max(this.#minSamples, 2 * this.frameSamples);
    this.#target = Math.min(this.#target, this.#maxSamples);
    this.#previous = new Int16Array(this.frameSamples);
    // A released pair's `have` was cleared when it was released.
    const spare = spareRings.pop();
    this.#ring = spare?.ring ?? new Int16Array(RING);
    this.#have = spare?.have ?? new Uint8Array(RING);
  }

  /**
   * Gives the ring back for the next buffer (the session is closed). Afterwards a push is dropped and a pull
   * gives nothing, so a late call cannot touch a ring another session now uses.
   */
  release(): void {
    if (this.#ring === RELEASED_RING) return;
    this.#have.fill(0);
    if (spareRings.length < SPARE_RINGS) spareRings.push({ ring: this.#ring, have: this.#have });
    this.#ring = RELEASED_RING;
    this.#have = RELEASED_HAVE;
    this.#playing = false;
    this.#buffering = false;
  }

  /** Target depth in samples. */
  get target(): number {
    return this.#target;
  }

  /** Samples buffered ahead of the playout point. */
  get depth(): number {
    return this.#playing || this.#buffering ? Math.max(0, (this.#endTs - this.#playTs) | 0) : 0;
  }

  stats(): JitterBufferStats {
    const ms = (samples: number): number => (samples * 1000) / this.rate;
    return { ...this.#stats, targetMs: ms(this.#target), depthMs: ms(this.depth), jitterMs: ms(this.#jitter) };
  }

  /** Adds decoded samples that start at `timestamp`, received at `arrivalMs`. Returns false if dropped. */
  push(timestamp: number, samples: Int16Array, arrivalMs: number): boolean {
    const n = Math.min(samples.length, RING >> 1);
    if (n === 0 || this.#ring === RELEASED_RING) return false;
    this.#measure(timestamp, n, arrivalMs);
    if (!this.#playing && !this.#buffering) this.#start(timestamp);
    const ahead = (timestamp - this.#playTs) | 0;
    if (ahead + n <= 0) {
      this.#stats.late++;
      return false;
    }
    // Further ahead than the ring can hold before playout reaches it: a new stream; start over there.
    if (ahead + n > RING - this.frameSamples) {
      this.#stats.resyncs++;
      this.#reset();
      this.#start(timestamp);
    }
    const ring = this.#ring;
    const have = this.#have;
    const beyond = (timestamp - this.#endTs) | 0;
    if (beyond >= 0) {
      // In order (the usual case): nothing is buffered from here on, so every sample is fresh.
      if (beyond > 0) this.#holeUntil = timestamp;
      const at = timestamp & MASK;
      const first = Math.min(n, RING - at);
      ring.set(first === samples.length ? samples : samples.subarray(0, first), at);
      have.fill(1, at, at + first);
      if (first < n) {
        ring.set(samples.subarray(first, n), 0);
        have.fill(1, 0, n - first);
      }
      this.#endTs = (timestamp + n) | 0;
      this.#idle = 0;
      this.#stats.pushed++;
      return true;
    }
    let fresh = 0;
    for (let i = 0; i < n; i++) {
      const ts = (timestamp + i) | 0;
      if (((ts - this.#playTs) | 0) < 0) continue; // the part already played
      const at = ts & MASK;
      if (have[at]) continue;
      have[at] = 1;
      ring[at] = samples[i]!;
      fresh++;
    }
    if (fresh === 0) {
      this.#stats.duplicates++;
      return false;
    }
    const end = (timestamp + n) | 0;
    if (((end - this.#endTs) | 0) > 0) this.#endTs = end;
    this.#idle = 0;
    this.#stats.pushed++;
    return true;
  }

  /**
   * The next frame into `out` (length `frameSamples`). False when there is nothing to play: still buffering, or
   * the stream paused; `out` is then untouched.
   */
  pull(out: Int16Array): boolean {
    if (this.#ring === RELEASED_RING) return false;
    if (this.#buffering) {
      if (this.depth < this.#target && this.#idle < this.#idleFrames) {
        this.#idle++;
        return false;
      }
      // Enough buffered (or a short burst that will not grow): play.
      this.#buffering = false;
      this.#playing = true;
    }
    if (!this.#playing) return false;
    const n = this.frameSamples;
    if (this.depth < n) {
      // Run dry: the next packet is late (or the stream stopped). Conceal without consuming timestamps, so the
      // late packet still plays when it comes: the delay grows by a frame instead of losing one.
      if (++this.#idle >= this.#idleFrames) {
        this.#reset();
        return false;
      }
      this.#conceal(out);
      this.#stats.stretched++;
      return true;
    }
    // Too deep for a while: skip a frame (latency left by a burst, or a sender whose clock runs fast). A short
    // excess is normal right after buffering or a burst and drains by itself, so only a lasting one sheds.
    if (this.depth > this.#target + this.frameSamples * 2) {
      if (++this.#deepRun >= SHED_AFTER) {
        this.#deepRun = 0;
        this.#clear(this.#playTs, this.frameSamples);
        this.#playTs = (this.#playTs + this.frameSamples) | 0;
        this.#stats.shed++;
      }
    } else this.#deepRun = 0;
    const ring = this.#ring;
    const have = this.#have;
    if (((this.#playTs - this.#holeUntil) | 0) >= 0) {
      // No gap before or in this frame and a frame's worth buffered: all of it is there.
      const at = this.#playTs & MASK;
      const first = Math.min(n, RING - at);
      out.set(ring.subarray(at, at + first));
      have.fill(0, at, at + first);
      if (first < n) {
        out.set(ring.subarray(0, n - first), first);
        have.fill(0, 0, n - first);
      }
      this.#playTs = (this.#playTs + n) | 0;
      this.#missingRun = 0;
      this.#previous.set(out.subarray(0, n));
      this.#stats.played++;
      return true;
    }
    let missing = 0;
    for (let i = 0; i < n; i++) {
      const at = (this.#playTs + i) & MASK;
      if (have[at]) {
        out[i] = ring[at]!;
        have[at] = 0;
      } else {
        // A hole with audio after it: this packet is lost (or later than what follows); conceal its part.
        missing++;
        out[i] = this.#missingRun === 0 ? this.#previous[i]! >> 1 : 0;
      }
    }
    this.#playTs = (this.#playTs + n) | 0;
    if (missing > 0) {
      this.#stats.concealed++;
      this.#missingRun++;
    } else this.#missingRun = 0;
    this.#previous.set(out.subarray(0, n));
    this.#stats.played++;
    return true;
  }

  /** A frame instead of one that is not there: the previous one at half level first, then silence. */
  #conceal(out: Int16Array): void {
    const n = this.frameSamples;
    for (let i = 0; i < n; i++) out[i] = this.#missingRun === 0 ? this.#previous[i]! >> 1 : 0;
    this.#missingRun++;
    this.#previous.set(out.subarray(0, n));
    this.#stats.concealed++;
    this.#stats.played++;
  }

  /** Forgets everything (a new source, a codec change). */
  reset(): void {
    this.#reset();
    this.#transit = undefined;
  }

  #start(timestamp: number): void {
    this.#buffering = true;
    this.#playing = false;
    this.#playTs = timestamp;
    this.#endTs = timestamp;
    this.#holeUntil = timestamp;
    this.#idle = 0;
    this.#missingRun = 0;
    this.#previous.fill(0);
  }

  #reset(): void {
    this.#have.fill(0);
    this.#playing = false;
    this.#buffering = false;
    this.#idle = 0;
  }

  #clear(from: number, n: number): void {
    for (let i = 0; i < n; i++) this.#have[(from + i) & MASK] = 0;
  }

  /** RFC 3550 A.8 on arrival times, then the target that follows it. */
  #measure(timestamp: number, samples: number, arrivalMs: number): void {
    this.#packetSamples = samples;
    const transit = (Math.round((arrivalMs * this.rate) / 1000) - timestamp) | 0;
    if (this.#transit !== undefined) {
      const d = Math.abs((transit - this.#transit) | 0);
      // A jump of more than a second is a new stream, not jitter.
      if (d < this.rate) this.#jitter += (d - this.#jitter) / 16;
    }
    this.#transit = transit;
    // Between two arrivals the buffer drains by up to a packet (more than a frame with 30 ms packets), and the
    // phase of arrivals against our ticks wanders by about the jitter: keep a packet, three jitters and 10 ms.
    const step = this.rate / 100; // 10 ms
    const wanted = Math.ceil((Math.max(this.frameSamples, this.#packetSamples) + 3 * this.#jitter + step) / step) * step;
    this.#target = Math.min(this.#maxSamples, Math.max(this.#minSamples, wanted));
  }
}
