/**
 * Worker-thread entry for RTP: `RtpPool` (rtp-pool.ts) starts this file. The thread owns the UDP sockets of its
 * RTP sessions and does all their per-packet work — receive, strict-RTP checks, decode, jitter buffer, encode,
 * send, RTCP, RFC 4733 — so that this work spreads over the machine's cores instead of sharing the main thread
 * with SIP, ARI and the media host.
 *
 * Audio crosses to the host through shared memory only (engine/exchange.ts): once per host tick the thread wakes
 * on its tick counter, and for every session sends the `out` frame of its slot and leaves one jitter-buffer frame
 * as `in`. Control (open, remote, codec, direction, DTMF, statistics, close) arrives as messages; received DTMF
 * goes back as messages. Every request is answered, failures included, so the pool never waits forever.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { ExchangeSlot, followTicks } from '../engine/exchange.ts';
import { isSampleRate } from '../engine/frame.ts';
import { RtpSession, type RtpCodecChoice, type RtpDirection, type RtpRemote, type RtpSessionOptions } from './session.ts';
import { exposedGc, quietGc } from '../../shared/quiet-gc.ts';

/** Options that cross the thread boundary: everything but the port and the callback. */
export type RtpWireOptions = Omit<RtpSessionOptions, 'port' | 'onDtmf'>;

export type RtpWorkerRequest =
  | { readonly op: 'page'; readonly index: number; readonly page: SharedArrayBuffer }
  | { readonly op: 'open'; readonly req: number; readonly id: number; readonly options: RtpWireOptions; readonly page: number; readonly slot: number }
  | { readonly op: 'remote'; readonly id: number; readonly remote: RtpRemote }
  | { readonly op: 'codec'; readonly id: number; readonly codec: RtpCodecChoice }
  | { readonly op: 'telephone-event'; readonly id: number; readonly payloadType: number | undefined }
  | { readonly op: 'direction'; readonly id: number; readonly direction: RtpDirection }
  | { readonly op: 'dtmf'; readonly req: number; readonly id: number; readonly digit: string; readonly durationMs: number }
  | { readonly op: 'stats'; readonly req: number; readonly id: number }
  | { readonly op: 'close'; readonly req: number; readonly id: number }
  | { readonly op: 'exit' };

export type RtpWorkerReply =
  | { readonly op: 'reply'; readonly req: number; readonly error?: string; readonly value?: unknown }
  | { readonly op: 'dtmf-event'; readonly id: number; readonly event: import('./rfc4733.ts').DtmfEvent }
  | { readonly op: 'error'; readonly id: number; readonly message: string };

export interface RtpWorkerData {
  readonly control: SharedArrayBuffer;
}

if (!parentPort) throw new Error('rtp worker: not started as a worker thread');
const port: import('node:worker_threads').MessagePort = parentPort;
const data = workerData as RtpWorkerData;

interface Entry {
  readonly session: RtpSession;
  readonly slot: ExchangeSlot;
}

const pages: SharedArrayBuffer[] = [];
const sessions = new Map<number, Entry>();
/**
 * This thread's heap barely grows between calls, so V8 seldom collects it: a full GC 5 s after its last session
 * closed returns what the calls left (shared/quiet-gc.ts; only with --expose-gc, which bin/ariadne sets).
 */
const quiet = quietGc({ gc: exposedGc(), busy: () => sessions.size > 0, quietMs: 5000 });

const reply = (req: number, value?: unknown, error?: string): void => {
  port.postMessage({ op: 'reply', req, ...(value !== undefined ? { value } : {}), ...(error !== undefined ? { error } : {}) } satisfies RtpWorkerReply);
};

const ticks = followTicks(new Int32Array(data.control), () => {
  for (const [id, e] of sessions) {
    try {
      // Every frame the host made since the last wake goes out (two after a burst of catch-up ticks); one frame
      // comes back, as the host takes one per tick.
      let into: Int16Array | undefined = e.slot.inBuffer();
      for (let out = e.slot.readOut(); out; out = e.slot.readOut()) {
        if (!isSampleRate(out.rate)) continue;
        if (e.session.tick(out.samples, out.rate, out.timestamp, into)) e.slot.commitIn();
        into = undefined;
      }
    } catch (err) {
      port.postMessage({ op: 'error', id, message: (err as Error).message } satisfies RtpWorkerReply);
    }
  }
});

async function handle(m: RtpWorkerRequest): Promise<void> {
  switch (m.op) {
    case 'page':
      pages[m.index] = m.page;
      return;
    case 'open': {
      try {
        const page = pages[m.page];
        if (!page) throw new Error(`No exchange page ${m.page}`);
        const slot = new ExchangeSlot(page, m.slot);
        const session = await RtpSession.open({
          ...m.options,
          onDtmf: (event) => port.postMessage({ op: 'dtmf-event', id: m.id, event } satisfies RtpWorkerReply),
        });
        sessions.set(m.id, { session, slot });
        quiet.activity();
        reply(m.req, { localAddress: session.localAddress, localPort: session.localPort, rtcpPort: session.rtcpPort, ssrc: session.ssrc });
      } catch (err) {
        reply(m.req, undefined, (err as Error).message);
      }
      return;
    }
    case 'remote':
      sessions.get(m.id)?.session.setRemote(m.remote);
      return;
    case 'codec':
      sessions.get(m.id)?.session.setCodec(m.codec);
      return;
    case 'telephone-event':
      sessions.get(m.id)?.session.setTelephoneEvent(m.payloadType);
      return;
    case 'direction':
      sessions.get(m.id)?.session.setDirection(m.direction);
      return;
    case 'dtmf': {
      const e = sessions.get(m.id);
      if (!e) return reply(m.req);
      try {
        await e.session.sendDtmf(m.digit, m.durationMs);
        reply(m.req);
      } catch (err) {
        reply(m.req, undefined, (err as Error).message);
      }
      return;
    }
    case 'stats': {
      const e = sessions.get(m.id);
      if (!e) return reply(m.req, undefined, 'No such RTP session');
      reply(m.req, { stats: e.session.stats(), counters: e.session.counters, sendingTo: e.session.sendingTo });
      return;
    }
    case 'close': {
      const e = sessions.get(m.id);
      sessions.delete(m.id);
      if (e) await e.session.close().catch(() => undefined);
      quiet.activity();
      reply(m.req);
      return;
    }
    case 'exit': {
      ticks.stop();
      quiet.stop();
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((e) => e.session.close().catch(() => undefined)));
      port.close();
      return;
    }
  }
}

port.on('message', (m: RtpWorkerRequest) => {
  handle(m).catch((err: unknown) => {
    const id = 'id' in m ? m.id : -1;
    port.postMessage({ op: 'error', id, message: (err as Error)?.message ?? String(err) } satisfies RtpWorkerReply);
  });
});
