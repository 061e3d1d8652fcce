/**
 * RFC 4733 telephone events (DTMF over RTP): the 4-byte payload, a sender and a receiver. Both are pure state
 * machines driven by the caller's clock (milliseconds) and RTP timestamps, so tests need no timers and the RTP
 * session decides when packets leave.
 *
 * Payload: event (8 bits) | E (end) | R | volume (6 bits, -dBm0) | duration (16 bits, in timestamp units).
 * All packets of one event share the RTP timestamp of its start; the first one has the marker bit.
 *
 * Sender: a start packet at once, then an update every 50 ms whose duration grows, then three end packets
 * carrying the final duration (end packets are the ones that matter, so they are repeated against loss).
 *
 * Receiver, following what Asterisk's res_rtp_asterisk does (facts, not code): a digit begins at the first
 * packet of a new event (the start packet may have been lost, so any packet of a new timestamp will do), and
 * ends at its first end packet — later copies with the same timestamp are dropped. An end packet whose event
 * never began (everything before it lost) reports both. A digit whose end packets are all lost ends when no
 * packet of it arrived for `timeoutMs`, or when audio arrives beyond its timestamp + duration + the timeout
 * (rtp.conf `dtmftimeout`, 150 ms by default). Durations are reported in ms (samples / 8 at 8 kHz); the 16-bit
 * duration field is unwrapped for events longer than ~8 s.
 */

export const EVENT_DIGITS = '0123456789*#ABCD';
/** Event 16 is a hook flash; Asterisk reports it as the digit `X`. */
const FLASH_EVENT = 16;

export interface TelephoneEvent {
  /** 0–9, `*` 10, `#` 11, A–D 12–15, 16 flash. */
  readonly event: number;
  readonly end: boolean;
  /** Power level in -dBm0 (0–63); 10 is the usual. */
  readonly volume: number;
  /** Timestamp units since the event began (0–65535). */
  readonly duration: number;
}

/** Event number of a DTMF digit (`0-9*#A-D`, `X` flash), or undefined. */
export function eventOfDigit(digit: string): number | undefined {
  const d = digit.toUpperCase();
  if (d === 'X') return FLASH_EVENT;
  const i = d.length === 1 ? EVENT_DIGITS.indexOf(d) : -1;
  return i >= 0 ? i : undefined;
}

/** Digit of an event number, or undefined for events that are not DTMF (tones, line events). */
export function digitOfEvent(event: number): string | undefined {
  if (event === FLASH_EVENT) return 'X';
  return event >= 0 && event < 16 ? EVENT_DIGITS[event] : undefined;
}

export function encodeTelephoneEvent(e: TelephoneEvent, out: Buffer = Buffer.allocUnsafe(4), offset = 0): Buffer {
  out[offset] = e.event & 0xff;
  out[offset + 1] = (e.end ? 0x80 : 0) | (e.volume & 0x3f);
  out.writeUInt16BE(Math.min(0xffff, Math.max(0, Math.round(e.duration))), offset + 2);
  return out;
}

/** Decodes a payload (4 bytes; more are allowed for redundancy and ignored); undefined if shorter. */
export function decodeTelephoneEvent(payload: Uint8Array): TelephoneEvent | undefined {
  if (payload.length < 4) return undefined;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: (payload[2]! << 8) | payload[3]!,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Sender

/** One packet the session should send: its payload goes out with `timestamp` and `marker`. */
export interface EventPacket {
  readonly payload: Buffer;
  readonly marker: boolean;
  /** An end packet (E bit set). */
  readonly end: boolean;
}

const UPDATE_MS = 50;
const END_PACKETS = 3;
/** RFC 4733 recommends a minimum of 40 ms for a digit; Asterisk also enforces a floor like this. */
const MIN_DURATION_MS = 40;

/**
 * Sends one digit: `start` gives the first packet; `poll(now)` gives the ones whose time has come; `done` once
 * the three end packets are out. The RTP session stamps them (same timestamp, its own sequence numbers).
 */
export class TelephoneEventSender {
  readonly digit: string;
  readonly event: number;
  readonly durationMs: number;
  readonly #rate: number;
  readonly #volume: number;
  readonly #startMs: number;
  #nextUpdate: number;
  #endsSent = 0;

  constructor(digit: string, durationMs: number, nowMs: number, options: { rate?: number; volume?: number } = {}) {
    const event = eventOfDigit(digit);
    if (event === undefined) throw new TypeError(`'${digit}' is not a DTMF digit`);
    this.digit = digit.toUpperCase();
    this.event = event;
    this.durationMs = Math.max(MIN_DURATION_MS, Math.min(8000, Math.round(durationMs)));
    this.#rate = options.rate ?? 8000;
    this.#volume = options.volume ?? 10;
    this.#startMs = nowMs;
    this.#nextUpdate = nowMs + UPDATE_MS;
  }

  get done(): boolean {
    return this.#endsSent >= END_PACKETS;
  }

  /** When `poll` next has something to send (ms), or undefined when done. */
  get nextDueMs(): number | undefined {
    return this.done ? undefined : Math.min(this.#nextUpdate, this.#startMs + this.durationMs);
  }

  /** The start packet (marker set). Its duration is one packet time, as phones expect a non-zero value. */
  start(): EventPacket {
    return this.#packet(Math.min(this.durationMs, 20), false, true);
  }

  /** Packets due at `nowMs`: updates every 50 ms, then the end packets (all three at once). */
  poll(nowMs: number): EventPacket[] {
    const out: EventPacket[] = [];
    if (this.done) return out;
    const endAt = this.#startMs + this.durationMs;
    if (nowMs >= endAt) {
      while (this.#endsSent < END_PACKETS) {
        out.push(this.#packet(this.durationMs, true, false));
        this.#endsSent++;
      }
      return out;
    }
    if (nowMs >= this.#nextUpdate) {
      out.push(this.#packet(nowMs - this.#startMs, false, false));
      while (this.#nextUpdate <= nowMs) this.#nextUpdate += UPDATE_MS;
    }
    return out;
  }

  /** Ends early (hang-up, hold): the end packets with the duration so far. */
  finish(nowMs: number): EventPacket[] {
    const out: EventPacket[] = [];
    const ms = Math.max(1, Math.min(this.durationMs, nowMs - this.#startMs));
    while (this.#endsSent < END_PACKETS) {
      out.push(this.#packet(ms, true, false));
      this.#endsSent++;
    }
    return out;
  }

  #packet(ms: number, end: boolean, marker: boolean): EventPacket {
    const duration = Math.round((ms * this.#rate) / 1000);
    return { payload: encodeTelephoneEvent({ event: this.event, end, volume: this.#volume, duration }), marker, end };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Receiver

export type DtmfEvent =
  | { readonly type: 'begin'; readonly digit: string }
  | { readonly type: 'end'; readonly digit: string; readonly durationMs: number };

export interface TelephoneEventReceiverOptions {
  readonly rate?: number;
  /** How long a digit may go without packets before it is ended (ms); default 150 (rtp.conf dtmftimeout). */
  readonly timeoutMs?: number;
}

export class TelephoneEventReceiver {
  readonly #rate: number;
  readonly #timeoutMs: number;
  /** The digit in progress. */
  #digit: string | undefined;
  #eventTs = 0;
  /** Duration in timestamp units, unwrapped past 16 bits. */
  #duration = 0;
  #lastPacketMs = 0;
  /** Timestamp of the last event that ended: its late copies are dropped. */
  #lastEndTs: number | undefined;

  constructor(options: TelephoneEventReceiverOptions = {}) {
    this.#rate = options.rate ?? 8000;
    this.#timeoutMs = options.timeoutMs ?? 150;
  }

  /** The digit being pressed, if any. */
  get active(): string | undefined {
    return this.#digit;
  }

  /** One telephone-event packet: its payload and RTP timestamp; returns what began or ended. */
  receive(payload: Uint8Array, timestamp: number, nowMs: number): DtmfEvent[] {
    const e = decodeTelephoneEvent(payload);
    if (!e) return [];
    const digit = digitOfEvent(e.event);
    if (digit === undefined) return [];
    const out: DtmfEvent[] = [];
    // Copies of an event that already ended (the three end packets, or stragglers) change nothing, nor do
    // packets of events older than the last one.
    if (this.#lastEndTs !== undefined && ((timestamp - this.#lastEndTs) | 0) <= 0) return out;
    if (this.#digit !== undefined && (timestamp !== this.#eventTs || digit !== this.#digit)) {
      if (((timestamp - this.#eventTs) | 0) < 0) return out;
      // A newer event while another is open: the old one lost its end packets.
      out.push(this.#end());
    }
    if (this.#digit === undefined) {
      this.#digit = digit;
      this.#eventTs = timestamp;
      this.#duration = 0;
      out.push({ type: 'begin', digit });
    }
    this.#duration = unwrapDuration(this.#duration, e.duration);
    this.#lastPacketMs = nowMs;
    if (e.end) out.push(this.#end());
    return out;
  }

  /**
   * Audio arrived with `timestamp`: a digit whose end packets were lost ends once the audio is past it (its
   * timestamp + duration + the timeout), as Asterisk does.
   */
  audio(timestamp: number): DtmfEvent[] {
    if (this.#digit === undefined) return [];
    const limit = this.#eventTs + this.#duration + (this.#timeoutMs * this.#rate) / 1000;
    return ((timestamp - limit) | 0) > 0 ? [this.#end()] : [];
  }

  /** Called on every media tick: a digit with no packet for `timeoutMs` ends. */
  tick(nowMs: number): DtmfEvent[] {
    if (this.#digit === undefined || nowMs - this.#lastPacketMs < this.#timeoutMs) return [];
    return [this.#end()];
  }

  #end(): DtmfEvent {
    const digit = this.#digit ?? '';
    const durationMs = Math.round((this.#duration * 1000) / this.#rate);
    this.#lastEndTs = this.#eventTs;
    this.#digit = undefined;
    this.#duration = 0;
    return { type: 'end', digit, durationMs };
  }
}

/** Extends a 16-bit duration field onto the running (unwrapped) duration. */
function unwrapDuration(previous: number, field: number): number {
  const high = previous - (previous & 0xffff);
  let next = high + field;
  // The field went back a lot: it wrapped past 65535 (a digit held longer than ~8 s at 8 kHz).
  if (next < previous && (previous & 0xffff) > 0xc000 && field < 0x4000) next += 0x10000;
  return Math.max(previous, next);
}
