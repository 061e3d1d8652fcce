/**
 * The frame exchange between the media host and the RTP worker threads: shared memory, no messages per frame.
 *
 * Every RTP session that runs in a worker (rtp-pool.ts) owns one slot of a page (a `SharedArrayBuffer`). On each
 * tick the host writes the session's `out` frame (what the far side hears) into the slot and reads the newest
 * `in` frame (what the far side said) that the worker left there; then it bumps the worker's tick counter, a
 * separate small shared buffer the worker waits on with `Atomics.waitAsync`. The worker, woken once per tick,
 * encodes and sends each `out` frame and leaves one frame from its jitter buffer in `in`, which the host takes on
 * its next tick. So a worker costs the host no postMessage at all, and the worker's sends follow the engine's
 * clock as they did in-thread.
 *
 * Each direction has two buffers chosen by the parity of its sequence number: the writer fills the one the
 * reader is not reading, then publishes the new sequence number (`Atomics.store`, which orders the sample writes
 * before it). A reader that fell a whole tick behind may see a frame being overwritten; by then that audio is
 * late anyway.
 */

/** Samples of the largest frame: 20 ms at 16 kHz. */
export const MAX_FRAME_SAMPLES = 320;
/** `in` frames are the RTP side's: 20 ms at 8 kHz. */
export const IN_FRAME_SAMPLES = 160;
export const IN_RATE = 8000;
/** Slots per page: a worker takes a new page when its pages are full. */
export const SLOTS_PER_PAGE = 64;

// Int32 fields at the start of each slot: the two sequence numbers, then rate, length and timestamp of each of
// the two `out` buffers.
const OUT_SEQ = 0;
const IN_SEQ = 1;
const OUT_META = 2;
const RATE = 0;
const LENGTH = 1;
const TIMESTAMP = 2;
const CONTROL_INTS = 8;

const SLOT_BYTES = CONTROL_INTS * 4 + 2 * MAX_FRAME_SAMPLES * 2 + 2 * IN_FRAME_SAMPLES * 2;
const OUT_OFFSET = CONTROL_INTS * 4;
const IN_OFFSET = OUT_OFFSET + 2 * MAX_FRAME_SAMPLES * 2;

/** The tick counter's index in a worker's control buffer. */
const TICK = 0;

export function newPage(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOT_BYTES * SLOTS_PER_PAGE);
}

/** The tick counter's buffer also carries an id, which survives being posted to another thread. */
const ID = 1;
let nextControl = 1;

export function newControl(): SharedArrayBuffer {
  const buf = new SharedArrayBuffer(4 * 4);
  new Int32Array(buf)[ID] = (process.pid * 1000 + nextControl++) | 0;
  return buf;
}

export function controlId(control: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(control, 0, 2), ID);
}

/** One session's slot, seen from either thread. */
export class ExchangeSlot {
  readonly #control: Int32Array;
  readonly #out: readonly [Int16Array, Int16Array];
  readonly #in: readonly [Int16Array, Int16Array];
  /** The reader's last seen sequence numbers. */
  #outRead: number;
  #inRead: number;

  constructor(page: SharedArrayBuffer, slot: number) {
    if (!Number.isInteger(slot) || slot < 0 || slot >= page.byteLength / SLOT_BYTES) throw new RangeError(`Bad exchange slot ${slot}`);
    const base = slot * SLOT_BYTES;
    this.#control = new Int32Array(page, base, CONTROL_INTS);
    this.#out = [new Int16Array(page, base + OUT_OFFSET, MAX_FRAME_SAMPLES), new Int16Array(page, base + OUT_OFFSET + MAX_FRAME_SAMPLES * 2, MAX_FRAME_SAMPLES)];
    this.#in = [new Int16Array(page, base + IN_OFFSET, IN_FRAME_SAMPLES), new Int16Array(page, base + IN_OFFSET + IN_FRAME_SAMPLES * 2, IN_FRAME_SAMPLES)];
    this.#outRead = Atomics.load(this.#control, OUT_SEQ);
    this.#inRead = Atomics.load(this.#control, IN_SEQ);
  }

  /** Clears the slot for a new session (the pool does this before handing it out). */
  reset(): void {
    this.#control.fill(0);
    this.#outRead = 0;
    this.#inRead = 0;
  }

  // ---- host side

  /** Publishes this tick's `out` frame. */
  writeOut(samples: Int16Array, rate: number, timestamp: number): void {
    const seq = (this.#control[OUT_SEQ]! + 1) | 0;
    const n = Math.min(samples.length, MAX_FRAME_SAMPLES);
    this.#out[seq & 1]!.set(n === samples.length ? samples : samples.subarray(0, n));
    const meta = OUT_META + (seq & 1) * 3;
    this.#control[meta + RATE] = rate;
    this.#control[meta + LENGTH] = n;
    this.#control[meta + TIMESTAMP] = timestamp | 0;
    Atomics.store(this.#control, OUT_SEQ, seq);
  }

  /** The newest `in` frame the worker left since the last call (8 kHz, 160 samples), or undefined. */
  readIn(): Int16Array | undefined {
    const seq = Atomics.load(this.#control, IN_SEQ);
    if (seq === this.#inRead) return undefined;
    this.#inRead = seq;
    return this.#in[seq & 1];
  }

  // ---- worker side

  /**
   * The next `out` frame not read yet, oldest first, or undefined. After a burst of host ticks (the clock
   * catching up) there may be two; older ones are gone. The view is valid until the host's next tick.
   */
  readOut(): { samples: Int16Array; rate: number; timestamp: number } | undefined {
    const seq = Atomics.load(this.#control, OUT_SEQ);
    if (seq === this.#outRead) return undefined;
    const next = ((seq - this.#outRead) | 0) > 2 ? (seq - 1) | 0 : (this.#outRead + 1) | 0;
    this.#outRead = next;
    const meta = OUT_META + (next & 1) * 3;
    const n = this.#control[meta + LENGTH]!;
    const buf = this.#out[next & 1]!;
    return { samples: n === buf.length ? buf : buf.subarray(0, n), rate: this.#control[meta + RATE]!, timestamp: this.#control[meta + TIMESTAMP]! };
  }

  /** The buffer to fill with the next `in` frame; publish it with `commitIn`. */
  inBuffer(): Int16Array {
    return this.#in[(this.#control[IN_SEQ]! + 1) & 1]!;
  }

  commitIn(): void {
    Atomics.store(this.#control, IN_SEQ, (this.#control[IN_SEQ]! + 1) | 0);
  }
}

/** The host's side of a worker's tick counter. */
export function signalTick(control: Int32Array): void {
  Atomics.add(control, TICK, 1);
  Atomics.notify(control, TICK);
}

/** The worker's side: calls `onTick` once after each batch of host ticks, until `stop()`. */
export function followTicks(control: Int32Array, onTick: () => void): { stop(): void } {
  let stopped = false;
  let seen = Atomics.load(control, TICK);
  const wait = (): void => {
    if (stopped) return;
    const r = Atomics.waitAsync(control, TICK, seen);
    if (r.async) {
      void r.value.then(() => {
        if (stopped) return;
        seen = Atomics.load(control, TICK);
        onTick();
        wait();
      });
    } else {
      // The counter moved already: run now, but through a task so a busy host cannot starve the loop.
      seen = Atomics.load(control, TICK);
      setImmediate(() => {
        if (stopped) return;
        onTick();
        wait();
      });
    }
  };
  wait();
  return {
    stop: () => {
      stopped = true;
      // Wake a pending waitAsync so nothing keeps the thread alive.
      Atomics.add(control, TICK, 1);
      Atomics.notify(control, TICK);
    },
  };
}

