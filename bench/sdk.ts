/**
 * Issue 6's SDK benchmarks, each next to a baseline measured in the same run:
 *
 *   npx node bench/sdk.ts [--quick]
 *
 *   events  events/s one SDK client consumes with typed dispatch: a worker thread runs a fake ARI server whose
 *           events WebSocket blasts pre-serialised events (a mix of ChannelDtmfReceived, ChannelVarset,
 *           PlaybackStarted/Finished and StasisStart, ~0.5–1.3 kB each) as fast as the socket drains; the client
 *           has a typed listener per type, a '*' listener and a channel handle listening to that channel's DTMF.
 *           Baseline: the same socket read by a bare WebSocket whose onmessage does JSON.parse and a switch.
 *   calls   time an SDK call adds over a raw fetch: `ari.channels.get({ channelId })` (JSON answer) and
 *           `ari.channels.answer({ channelId })` (204) against a plain node:http server in the worker, vs a
 *           `fetch` of the same URL with the same headers; runs alternate in blocks; p50/p90 of each and the
 *           difference of the p50s.
 *
 * Prints markdown (nothing is written to bench/RESULTS.md). Targets: ≥ 100 000 events/s, ≤ 50 µs p50 added.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { WebSocketServer } from 'ws';
import { connect } from '../client/index.ts';

const CHANNEL = {
  id: '1732710000.42',
  name: 'PJSIP/alice-00000002',
  state: 'Up',
  protocol_id: 'b2f1c3d4@127.0.0.1',
  caller: { name: 'Alice', number: '1000' },
  connected: { name: '', number: '' },
  accountcode: '',
  dialplan: { context: 'from-trunk', exten: '1000', priority: 3, app_name: 'Stasis', app_data: 'bench' },
  creationtime: '2026-11-27T12:00:00.000+0000',
  language: 'en',
  channelvars: {},
};
const BASE = { application: 'bench', timestamp: '2026-11-27T12:00:01.000+0000', asterisk_id: '02:fc:00:00:00:01' };
const PLAYBACK = { id: 'pb-1', media_uri: 'sound:hello-world', target_uri: `channel:${CHANNEL.id}`, language: 'en', state: 'playing' };
const EVENTS = [
  { type: 'ChannelDtmfReceived', ...BASE, digit: '5', duration_ms: 100, channel: CHANNEL },
  { type: 'ChannelVarset', ...BASE, variable: 'FOO', value: 'bar', channel: CHANNEL },
  { type: 'PlaybackStarted', ...BASE, playback: PLAYBACK },
  { type: 'ChannelDtmfReceived', ...BASE, digit: '7', duration_ms: 120, channel: { ...CHANNEL, id: 'other' } },
  { type: 'PlaybackFinished', ...BASE, playback: { ...PLAYBACK, state: 'done' } },
  { type: 'StasisStart', ...BASE, args: [], channel: CHANNEL },
].map((e) => JSON.stringify(e));

// ---------------------------------------------------------------------------------------------------------------
// The worker: a fake ARI server (events blaster + REST answers)

interface ServerInfo {
  readonly port: number;
}

function serve(count: number): void {
  const channelBody = JSON.stringify(CHANNEL);
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/ari/asterisk/info')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"system":{"version":"bench","entity_id":"x"}}');
    } else if (req.method === 'GET' && url.startsWith('/ari/channels/')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(channelBody);
    } else if (req.method === 'POST' && url.endsWith('/answer')) {
      res.writeHead(204).end();
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not found"}');
    }
  });
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    let sent = 0;
    // Keep a bounded backlog: send while the socket drains, so the server never outruns the reader's memory.
    const pump = () => {
      while (sent < count && ws.bufferedAmount < 1 << 20) ws.send(EVENTS[sent++ % EVENTS.length] ?? '');
      if (sent < count) setImmediate(pump);
    };
    // The reader says when it is ready: any first message (the SDK's RESTRequest probe, the baseline's 'go').
    ws.once('message', pump);
  });
  server.listen(0, '127.0.0.1', () => parentPort?.postMessage({ port: (server.address() as AddressInfo).port } satisfies ServerInfo));
}

// ---------------------------------------------------------------------------------------------------------------
// The harness

async function startWorker(count: number): Promise<{ worker: Worker; base: string }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { count } });
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, base: `http://127.0.0.1:${info.port}` };
}

/** Events per second read by a bare WebSocket doing JSON.parse and a switch on `type`. */
async function rawEvents(base: string, count: number): Promise<number> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ari/events?app=bench&api_key=u:p`);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let n = 0;
  let dtmf = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    ws.onmessage = (m) => {
      const e = JSON.parse(String(m.data)) as { type: string; channel?: { id: string } };
      switch (e.type) {
        case 'ChannelDtmfReceived':
          if (e.channel?.id === CHANNEL.id) dtmf++;
          break;
        default:
          break;
      }
      if (++n === count) resolve();
    };
    ws.send('go');
  });
  const s = (performance.now() - t0) / 1000;
  ws.close();
  if (dtmf === 0) throw new Error('baseline saw no DTMF');
  return count / s;
}

/** Events per second delivered by the SDK with typed listeners, a '*' listener and a channel handle. */
async function sdkEvents(base: string, count: number): Promise<number> {
  // restOverWebSocket makes the client send its RESTRequest probe as soon as the socket opens: the worker's
  // signal to start blasting (it never answers it, so calls would stay on HTTP).
  const ari = await connect({ url: base, username: 'u', password: 'p', apps: ['bench'], detectOperations: false, pingIntervalMs: 0, restOverWebSocket: true });
  let n = 0;
  let dtmf = 0;
  let varsets = 0;
  let finished = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    ari.on('ChannelVarset', (e) => void (varsets += e.variable.length));
    ari.on('PlaybackFinished', (e) => void (finished += e.playback.state === 'done' ? 1 : 0));
    ari.channel(CHANNEL.id).on('ChannelDtmfReceived', (e) => void (dtmf += e.digit.length));
    ari.on('*', () => {
      if (++n === count) resolve();
    });
  });
  const s = (performance.now() - t0) / 1000;
  ari.close();
  if (dtmf === 0 || varsets === 0 || finished === 0) throw new Error('the SDK listeners did not all run');
  return count / s;
}

interface CallStats {
  p50: number;
  p90: number;
}

function stats(samples: number[]): CallStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p90: at(0.9) };
}

async function calls(base: string, rounds: number, block: number): Promise<{ get: [CallStats, CallStats]; answer: [CallStats, CallStats] }> {
  const ari = await connect({ url: base, username: 'asterisk', password: 'asterisk', detectOperations: false });
  const auth = `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}`;
  const samples = { rawGet: [] as number[], sdkGet: [] as number[], rawAnswer: [] as number[], sdkAnswer: [] as number[] };
  const time = async (into: number[], f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    into.push((performance.now() - t0) * 1000);
  };
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < block; i++) {
      await time(samples.rawGet, async () => {
        const res = await fetch(`${base}/ari/channels/${CHANNEL.id}`, { method: 'GET', headers: { authorization: auth } });
        JSON.parse(await res.text());
      });
    }
    for (let i = 0; i < block; i++) await time(samples.sdkGet, () => ari.channels.get({ channelId: CHANNEL.id }));
    for (let i = 0; i < block; i++) {
      await time(samples.rawAnswer, async () => {
        const res = await fetch(`${base}/ari/channels/${CHANNEL.id}/answer`, { method: 'POST', headers: { authorization: auth } });
        await res.text();
      });
    }
    for (let i = 0; i < block; i++) await time(samples.sdkAnswer, () => ari.channel(CHANNEL.id).answer());
  }
  ari.close();
  // The first block of each warms up the connection pool and the JIT.
  const drop = (a: number[]) => a.slice(block);
  return {
    get: [stats(drop(samples.rawGet)), stats(drop(samples.sdkGet))],
    answer: [stats(drop(samples.rawAnswer)), stats(drop(samples.sdkAnswer))],
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  const quick = values.quick === true;
  const count = quick ? 100_000 : 500_000;
  const runs = quick ? 2 : 3;
  const { worker, base } = await startWorker(count);
  try {
    const raw: number[] = [];
    const sdk: number[] = [];
    for (let i = 0; i < runs; i++) {
      raw.push(await rawEvents(base, count));
      sdk.push(await sdkEvents(base, count));
    }
    const best = (a: number[]) => Math.max(...a);
    const c = await calls(base, quick ? 4 : 10, quick ? 250 : 500);
    const us = (n: number) => n.toFixed(1);
    const lines = [
      `## SDK (bench/sdk.ts${quick ? ' --quick' : ''}), node ${process.version}`,
      '',
      `Events: ${count.toLocaleString('en')} per run, best of ${runs}.`,
      '',
      '| consumer | events/s |',
      '|---|---|',
      `| bare WebSocket + JSON.parse (baseline) | ${Math.round(best(raw)).toLocaleString('en')} |`,
      `| SDK, typed listeners + '*' + channel handle | ${Math.round(best(sdk)).toLocaleString('en')} |`,
      '',
      `Each run (baseline / SDK): ${raw.map((r, i) => `${Math.round(r / 1000)}k / ${Math.round((sdk[i] ?? 0) / 1000)}k`).join(', ')}.`,
      '',
      '| call | raw fetch p50 / p90 (µs) | SDK p50 / p90 (µs) | added p50 (µs) |',
      '|---|---|---|---|',
      `| GET /channels/{id} (JSON) | ${us(c.get[0].p50)} / ${us(c.get[0].p90)} | ${us(c.get[1].p50)} / ${us(c.get[1].p90)} | ${us(c.get[1].p50 - c.get[0].p50)} |`,
      `| POST /channels/{id}/answer (204) | ${us(c.answer[0].p50)} / ${us(c.answer[0].p90)} | ${us(c.answer[1].p50)} / ${us(c.answer[1].p90)} | ${us(c.answer[1].p50 - c.answer[0].p50)} |`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await worker.terminate();
  }
}

if (isMainThread) {
  await main();
} else {
  const { workerData } = await import('node:worker_threads');
  serve((workerData as { count: number }).count);
}
