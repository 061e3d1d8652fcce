/**
 * `rtp set debug on|off|ip <host[:port]>`: one line per RTP packet sent or received, in res_rtp_asterisk's
 * words (`Got  RTP packet from    127.0.0.1:4000 (type 00, seq 012345, ts 000160, len 000160)` and
 * `Sent RTP packet to      ...`), optionally only for one peer address (and port).
 *
 * The RTP path asks `rtpDebug.on` once per packet and does nothing else while debugging is off; the
 * formatting lives here. RTP sessions may run in worker threads (rtp-pool.ts), each with its own copy of this
 * module: the main thread's settings reach them, and their lines come back, over a `BroadcastChannel`, so
 * neither the pool nor the workers need to know about debugging. Lines are handed to the sinks registered
 * in the main thread (the console log).
 */

import { BroadcastChannel, isMainThread } from 'node:worker_threads';

interface Settings {
  readonly on: boolean;
  /** Only packets to/from this address (and port, when not 0). */
  readonly address?: string;
  readonly port?: number;
}

type Message =
  | { readonly kind: 'settings'; readonly settings: Settings }
  | { readonly kind: 'line'; readonly line: string }
  /** A worker that just started asks for the settings in force. */
  | { readonly kind: 'sync' };

const sinks = new Set<(line: string) => void>();
let channel: BroadcastChannel | undefined;
let filter: { address: string; port: number } | undefined;
/** Main thread: the settings in force, for workers started later (the pool starts them on demand). */
let current: Settings = { on: false };

/** The flag the RTP path checks; everything else happens only when it is true. */
export const rtpDebug = {
  on: false,
  /** A packet we received (after it parsed as RTP). */
  received(address: string, port: number, payloadType: number, seq: number, timestamp: number, payloadBytes: number): void {
    const from = plain(address);
    if (!wanted(from, port)) return;
    emit(`Got  RTP packet from    ${hostPort(from, port)} (type ${pad(payloadType, 2)}, seq ${pad(seq, 6)}, ts ${pad(timestamp, 6)}, len ${pad(payloadBytes, 6)})`);
  },
  /** A packet we sent: its header gives type, sequence number and timestamp. */
  sent(address: string, port: number, packet: Buffer, payloadBytes: number): void {
    const to = plain(address);
    if (!wanted(to, port) || packet.length < 12) return;
    emit(`Sent RTP packet to      ${hostPort(to, port)} (type ${pad((packet[1] as number) & 0x7f, 2)}, seq ${pad(packet.readUInt16BE(2), 6)}, ts ${pad(packet.readUInt32BE(4), 6)}, len ${pad(payloadBytes, 6)})`);
  },
};

/** Main thread: sets debugging for every RTP session, in this thread and in the workers. */
export function setRtpDebug(settings: Settings): void {
  current = settings;
  apply(settings);
  ensureChannel()?.postMessage({ kind: 'settings', settings } satisfies Message);
}

/** Main thread: where debug lines go (the console log). Returns the unregistration. */
export function addRtpDebugSink(sink: (line: string) => void): () => void {
  sinks.add(sink);
  ensureChannel();
  return () => {
    sinks.delete(sink);
  };
}

function apply(settings: Settings): void {
  rtpDebug.on = settings.on;
  filter = settings.on && settings.address !== undefined ? { address: plain(settings.address), port: settings.port ?? 0 } : undefined;
}

function wanted(address: string, port: number): boolean {
  return filter === undefined || (filter.address === address && (filter.port === 0 || filter.port === port));
}

function emit(line: string): void {
  if (isMainThread) for (const sink of sinks) sink(line);
  else ensureChannel()?.postMessage({ kind: 'line', line } satisfies Message);
}

function ensureChannel(): BroadcastChannel | undefined {
  if (channel !== undefined) return channel;
  channel = new BroadcastChannel('ariadne:rtp-debug');
  // Never keeps a thread alive on its own.
  (channel as unknown as { unref?: () => void }).unref?.();
  channel.onmessage = (event: unknown) => {
    const m = (event as { data: Message }).data;
    if (m.kind === 'settings' && !isMainThread) apply(m.settings);
    else if (m.kind === 'line' && isMainThread) for (const sink of sinks) sink(m.line);
    else if (m.kind === 'sync' && isMainThread) channel?.postMessage({ kind: 'settings', settings: current } satisfies Message);
  };
  return channel;
}

// A worker listens from the start and asks for the settings in force, so `rtp set debug on` given before the
// pool started it applies too.
if (!isMainThread) ensureChannel()?.postMessage({ kind: 'sync' } satisfies Message);

/** C's `%-N.Nd`: at least N digits, zero-padded. */
function pad(n: number, digits: number): string {
  return String(n).padStart(digits, '0');
}

function plain(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
