/**
 * The control socket: a Unix stream socket through which `ariadne -r` and `ariadne -rx "<command>"` reach the
 * running server, as Asterisk's `asterisk.ctl` does for `asterisk -r`.
 *
 * Each connection speaks the newline-delimited JSON of protocol.ts. Commands from one connection run one at
 * a time through the CommandRegistry; connections are independent. A client that goes away while its
 * command runs is harmless: the output has nowhere to go and is dropped. Interactive consoles may ask for
 * log lines, which `broadcastLog` pushes to them; a console that does not read is skipped rather than
 * allowed to fill memory.
 */

import { chmod, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { dirname } from 'node:path';
import { AriadneError, errorCodes } from '../shared/errors.ts';
import { encode, LineReader, MAX_LINE_BYTES, parseClientMessage } from './protocol.ts';
import type { ClientMessage, ServerMessage } from './protocol.ts';
import type { CommandRegistry } from './registry.ts';

/** The part of a logger the control server uses (pino's methods fit). */
export interface ControlLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ControlServerOptions {
  readonly socketPath: string;
  readonly registry: CommandRegistry;
  readonly logger?: ControlLogger;
  /** Text sent to each client on connect, e.g. `Connected to Ariadne 0.1.0 currently running on host (pid = 42)`. */
  readonly welcome?: () => string;
  /** Longest accepted input line in bytes; 64 KiB by default. */
  readonly maxLineBytes?: number;
  /** Socket file mode; 0o660 by default. */
  readonly mode?: number;
}

export interface ControlServer {
  readonly socketPath: string;
  /** Sends a log line to every console that asked for logs (a trailing newline is added when missing). */
  broadcastLog(text: string): void;
  /** Connections currently open. */
  clientCount(): number;
  /** Stops accepting, ends every connection and removes the socket file. Safe to call twice. */
  close(): Promise<void>;
}

/** Output is cut into messages of at most this many characters, so every line stays well under the limit. */
const OUTPUT_CHUNK_CHARS = 8 * 1024;
/** A console with more than this much unsent data gets no further log lines until it catches up. */
const LOG_BACKLOG_BYTES = 1024 * 1024;

class Connection {
  readonly socket: Socket;
  wantsLogs = false;
  droppedLogs = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(socket: Socket) {
    this.socket = socket;
  }

  get open(): boolean {
    return !this.socket.destroyed && this.socket.writable;
  }

  send(message: ServerMessage): void {
    if (this.open) this.socket.write(encode(message));
  }

  /** Runs commands of this connection one after another. */
  enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(task, task);
  }
}

/** Removes a socket file left by a server that is gone; refuses when a server still answers on it. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (alive) {
    throw new AriadneError(errorCodes.ERR_CONFLICT, `Another server is already listening on ${socketPath}`);
  }
  await unlink(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/**
 * Starts listening on `socketPath` (creating its directory, replacing a stale socket file).
 * @throws AriadneError ERR_CONFLICT when another server is listening there.
 *
 * @example
 * const control = await startControlServer({ socketPath: '/var/run/ariadne/ariadne.ctl', registry });
 * control.broadcastLog('  == Ariadne Ready.');
 * await control.close();
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { socketPath, registry, logger } = options;
  const maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
  const connections = new Set<Connection>();

  await mkdir(dirname(socketPath), { recursive: true });
  await clearStaleSocket(socketPath);

  const handleMessage = (conn: Connection, message: ClientMessage): void => {
    switch (message.type) {
      case 'logs':
        conn.wantsLogs = message.enabled;
        return;
      case 'complete':
        conn.send({ type: 'completions', id: message.id, matches: registry.complete(message.line) });
        return;
      case 'command': {
        const { id, line } = message;
        conn.enqueue(async () => {
          const write = (text: string): void => {
            for (let i = 0; i < text.length; i += OUTPUT_CHUNK_CHARS) {
              conn.send({ type: 'output', id, text: text.slice(i, i + OUTPUT_CHUNK_CHARS) });
            }
          };
          const ok = await registry.execute(line, write);
          conn.send({ type: 'done', id, ok });
        });
        return;
      }
    }
  };

  const onConnection = (socket: Socket): void => {
    const conn = new Connection(socket);
    connections.add(conn);
    const reader = new LineReader(maxLineBytes);
    socket.on('error', () => {
      // A client that vanishes (EPIPE, ECONNRESET) only ends its own connection.
    });
    socket.on('close', () => connections.delete(conn));
    socket.on('data', (data: Buffer) => {
      const lines = reader.push(data);
      if (lines === 'overflow') {
        logger?.warn(`control socket: input line longer than ${maxLineBytes} bytes, closing the connection`);
        conn.send({ type: 'error', message: `Line too long (limit ${maxLineBytes} bytes)` });
        socket.end();
        socket.pause();
        socket.removeAllListeners('data');
        return;
      }
      for (const line of lines) {
        if (line.trim() === '') continue;
        const message = parseClientMessage(line);
        if (message === undefined) {
          conn.send({ type: 'error', message: 'Malformed message' });
          continue;
        }
        handleMessage(conn, message);
      }
    });
    let welcome = '';
    try {
      welcome = options.welcome?.() ?? '';
    } catch {
      welcome = '';
    }
    conn.send({ type: 'welcome', text: welcome });
  };

  const server: Server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger?.warn(`control socket: ${error.message}`));
  await chmod(socketPath, options.mode ?? 0o660);
  logger?.info(`control socket listening on ${socketPath}`);

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    broadcastLog(text: string): void {
      const line = text.endsWith('\n') ? text : `${text}\n`;
      for (const conn of connections) {
        if (!conn.wantsLogs || !conn.open) continue;
        if (conn.socket.writableLength > LOG_BACKLOG_BYTES) {
          conn.droppedLogs++;
          continue;
        }
        conn.send({ type: 'log', text: line });
      }
    },
    clientCount(): number {
      return connections.size;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const conn of connections) {
          conn.socket.end();
          // A client that does not read must not hold the shutdown up.
          setTimeout(() => conn.socket.destroy(), 1000).unref();
        }
        await closed;
        await unlink(socketPath).catch(() => undefined);
      })();
      return closing;
    },
  };
}
