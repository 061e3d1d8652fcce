/**
 * The framework baseline for `bench/run.ts`: a bare fastify 5 server with the few routes the benchmark drives,
 * doing no auth, no routing table and no parameter validation — what any Node server on fastify costs.
 *
 *   node bench/baseline-server.ts --port 18089 --body-file <info.json> [--max-seconds 600]
 *
 *   GET  /ari/asterisk/info                 the body bytes Ariadne returned, verbatim, with Ariadne's headers
 *   POST /ari/asterisk/variable             204
 *   POST /ari/events/user/:name             204, and a ChannelUserevent-shaped JSON message (2-space indented
 *                                           like Ariadne with pretty=yes) to every connected WebSocket
 *   GET  /ari/events  (WebSocket upgrade)   a `ws` socket that receives those messages
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
