/**
 * The framework baseline for `bench/run.ts` and `bench/calls.ts`: a bare fastify 5 server with the few routes
 * the benchmarks drive, doing no auth, no routing table and no parameter validation — what any Node server on
 * fastify costs.
 *
 *   node bench/baseline-server.ts --port 18089 [--body-file <info.json>] [--max-seconds 600]
 *
 *   GET  /ari/asterisk/info                 the body bytes Ariadne returned, verbatim, with Ariadne's headers
 *   POST /ari/asterisk/variable             204
 *   POST /ari/events/user/:name             204, and a ChannelUserevent-shaped JSON message (2-space indented
 *                                           like Ariadne with pretty=yes) to every connected WebSocket
 *   GET  /ari/events  (WebSocket upgrade)   a `ws` socket that receives those messages
 *
 * For `bench/calls.ts`, a pretend call model with no state but the ids it was given:
 *
 *   POST   /ari/channels?channelId=<id>       200 with a Channel-shaped body, then (next turn of the event loop)
 *                                            `originate.before` filler messages, StasisStart(<id>) and
 *                                            `originate.after` fillers to every socket
 *   DELETE /ari/channels/<id>                204, then `hangup.before` fillers, StasisEnd(<id>), `hangup.after`
 *   POST   /ari/channels/<id>/variable       204 and a ChannelVarset(<id>) message (variable, value from the query)
 *   POST   /bench/shape                      sets the filler counts and size from a JSON body
 *                                            `{ originate: {before, after}, hangup: {before, after}, bytes }`, so
 *                                            the baseline writes as many WebSocket messages of about the same
 *                                            size per call as Ariadne did
 *
 * Every message is built as an object and serialized with 2-space indentation when it is sent, as Ariadne does.
 *
 * It prints `listening <port>` on stdout when ready, exits when its stdin closes (the harness went away) and
 * after --max-seconds whatever happens.
 */

import fs from 'node:fs';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '18089' },
    'body-file': { type: 'string' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
const port = Number(values.port);
const infoBody = values['body-file'] ? fs.readFileSync(values['body-file']) : Buffer.from('{}');

const app = Fastify({ logger: false, exposeHeadRoutes: false });

// Ariadne's fixed headers (Server, Cache-Control, Content-type); fastify adds Content-Length, Date,
// Connection and Keep-Alive as Node does for Ariadne.
const SERVER = 'Asterisk/22.10.1';
app.get('/ari/asterisk/info', (_req, reply) => {
  reply.header('Server', SERVER).header('Cache-Control', 'no-cache, no-store').header('Content-type', 'application/json');
  return reply.send(infoBody);
});
app.post('/ari/asterisk/variable', (_req, reply) => {
  reply.header('Server', SERVER).header('Cache-Control', 'no-cache, no-store');
  return reply.code(204).send();
});

const wss = new WebSocketServer({ noServer: true });
const sockets = new Set<WebSocket>();
wss.on('connection', (ws) => {
  sockets.add(ws);
  ws.on('close', () => sockets.delete(ws));
  ws.on('error', () => sockets.delete(ws));
});

app.post<{ Params: { name: string }; Querystring: { application?: string } }>('/ari/events/user/:name', (req, reply) => {
  const eventname = req.params.name;
  const message = JSON.stringify(
    {
      type: 'ChannelUserevent',
      timestamp: new Date().toISOString(),
      eventname,
      userevent: { eventname },
      asterisk_id: '02:fc:00:00:00:01',
      application: req.query.application ?? '',
    },
    null,
    2,
  );
  for (const ws of sockets) ws.send(message);
  reply.header('Server', SERVER).header('Cache-Control', 'no-cache, no-store');
  return reply.code(204).send();
});

interface Shape {
  originate: { before: number; after: number };
  hangup: { before: number; after: number };
  bytes: number;
}
let shape: Shape = { originate: { before: 0, after: 0 }, hangup: { before: 0, after: 0 }, bytes: 600 };
app.post<{ Body: Partial<Shape> }>('/bench/shape', (req, reply) => {
  shape = { ...shape, ...req.body };
  return reply.code(204).send();
});

const ASTERISK_ID = '02:fc:00:00:00:01';
const stamp = () => new Date().toISOString().replace('Z', '+0000');
function channelJson(id: string): Record<string, unknown> {
  return {
    id,
    name: `Local/wait@internal-00000000;1`,
    state: 'Up',
    protocol_id: '',
    caller: { name: '', number: '' },
    connected: { name: '', number: '' },
    accountcode: '',
    dialplan: { context: 'internal', exten: 'wait', priority: 1, app_name: 'Stasis', app_data: 'perf' },
    creationtime: stamp(),
    language: 'en',
  };
}
function broadcast(message: Record<string, unknown>): void {
  const text = JSON.stringify(message, null, 2);
  for (const ws of sockets) ws.send(text);
}
/** A message of about `shape.bytes` bytes, like the channel events Ariadne sends around a call. */
function filler(id: string, application: string): void {
  const m: Record<string, unknown> = { type: 'ChannelStateChange', timestamp: stamp(), channel: channelJson(id), asterisk_id: ASTERISK_ID, application };
  const pad = shape.bytes - JSON.stringify(m, null, 2).length - 12;
  if (pad > 0) m.pad = 'x'.repeat(pad);
  broadcast(m);
}
function around(id: string, application: string, counts: { before: number; after: number }, main: Record<string, unknown>): void {
  for (let i = 0; i < counts.before; i++) filler(id, application);
  broadcast(main);
  for (let i = 0; i < counts.after; i++) filler(id, application);
}

app.post<{ Querystring: { channelId?: string; app?: string } }>('/ari/channels', (req, reply) => {
  const id = req.query.channelId ?? `${Date.now() / 1000}`;
  const application = req.query.app ?? '';
  reply.header('Server', SERVER).header('Cache-Control', 'no-cache, no-store').header('Content-type', 'application/json');
  void reply.send(JSON.stringify({ ...channelJson(id), state: 'Down' }, null, 2));
  setImmediate(() =>
    around(id, application, shape.originate, { type: 'StasisStart', timestamp: stamp(), args: [], channel: channelJson(id), asterisk_id: ASTERISK_ID, application }),
  );
  return reply;
});
app.delete<{ Params: { id: string } }>('/ari/channels/:id', (req, reply) => {
  const id = req.params.id;
  reply.header('Server', SERVER).header('Cache-Control', 'no-cache, no-store');
  void reply.code(204).send();
  setImmediate(() =>
    around(id, 'perf', shape.hangup, { type: 'StasisEnd', timestamp: stamp(), channel: channelJson(id), asterisk_id: ASTERISK_ID, application: 'perf' }),
  );
  return reply;
});
app.post<{ Params: { id: string }; Querystring: { variable?: string; value?: string } }>('/ari/channels/:id/variable', (req, reply) => {
  broadcast({
    variable: req.query.variable ?? '',
    value: req.query.value ?? '',
    type: 'ChannelVarset',
    timestamp: stamp(),
    channel: channelJson(req.params.id),
    asterisk_id: ASTERISK_ID,
    application: 'perf',
  });
  reply.header('Server', SERVER).header('Cache-Control', 'no-cache, no-store');
  return reply.code(204).send();
});

await app.ready();
const server: http.Server = app.server;
server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
  if (!(req.url ?? '').startsWith('/ari/events')) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});
await app.listen({ host: '127.0.0.1', port, backlog: 511 });
process.stdout.write(`listening ${port}\n`);

const stop = () => {
  for (const ws of sockets) ws.terminate();
  void app.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.stdin.on('close', stop);
process.stdin.on('end', stop);
process.stdin.resume();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
setTimeout(stop, Number(values['max-seconds']) * 1000).unref();
