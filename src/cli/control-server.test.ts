import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { AriadneError } from '../shared/errors.ts';
import { ConsoleConnectError, runCommand, runRemoteCommand } from './console.ts';
import { startControlServer } from './control-server.ts';
import type { ControlServer } from './control-server.ts';
import { parseServerMessage } from './protocol.ts';
import type { ServerMessage } from './protocol.ts';
import { CommandRegistry } from './registry.ts';

/** A raw protocol client for poking at the server. */
class RawClient {
  readonly socket: Socket;
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<void>;
  #buffer = '';
  #waiters: (() => void)[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let nl: number;
      while ((nl = this.#buffer.indexOf('\n')) >= 0) {
        const message = parseServerMessage(this.#buffer.slice(0, nl));
        this.#buffer = this.#buffer.slice(nl + 1);
        assert.ok(message !== undefined, 'server sent a malformed message');
        this.messages.push(message);
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(value: unknown): void {
    this.socket.write(`${typeof value === 'string' ? value : JSON.stringify(value)}\n`);
  }

  async waitFor(predicate: (m: ServerMessage) => boolean): Promise<ServerMessage> {
    for (;;) {
      const found = this.messages.find(predicate);
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}

describe('control server', () => {
  let dir: string;
  let socketPath: string;
  let server: ControlServer;
  let release: () => void = () => undefined;
  const registry = new CommandRegistry();
  const warnings: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-ctl-'));
    socketPath = join(dir, 'run', 'nested', 'ariadne.ctl');
    registry.register({ words: ['echo'], usage: 'echo <words>', summary: 'Echo', handler: ({ args, write }) => write(`${args.join(' ')}\n`) });
    registry.register({
      words: ['big'],
      usage: 'big',
      summary: 'Prints a lot',
      handler: ({ write }) => write(`${'x'.repeat(200_000)}\n`),
    });
    registry.register({
      words: ['slow'],
      usage: 'slow',
      summary: 'Waits until released',
      handler: async ({ write }) => {
        write('started\n');
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        write('finished\n');
      },
    });
    server = await startControlServer({
      socketPath,
      registry,
      welcome: () => 'Connected to Ariadne test',
      logger: { info: () => undefined, warn: (m) => void warnings.push(m) },
    });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0660 and refuses a second server on it', async () => {
    const info = await stat(socketPath);
    assert.ok(info.isSocket());
    assert.equal(info.mode & 0o777, 0o660);
    await assert.rejects(startControlServer({ socketPath, registry }), AriadneError);
  });

  it('runs a command for runCommand and for ariadne -rx', async () => {
    assert.equal(await runCommand(socketPath, 'echo hello "big world"'), 'hello big world\n');
    assert.equal(
      await runCommand(socketPath, 'nonsense'),
      "No such command 'nonsense' (type 'core show help nonsense' for other possible commands)\n",
    );
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    assert.equal(await runRemoteCommand(socketPath, 'echo hi', { stdout, stderr }), 0);
    assert.equal(stdout.read()?.toString(), 'hi\n');
    assert.equal(stderr.read(), null);
  });

  it('delivers large output intact', async () => {
    assert.equal(await runCommand(socketPath, 'big'), `${'x'.repeat(200_000)}\n`);
  });

  it('serves many clients at once', async () => {
    const lines = Array.from({ length: 25 }, (_, i) => `echo client ${i}`);
    const outputs = await Promise.all(lines.map((l) => runCommand(socketPath, l)));
    assert.deepEqual(outputs, lines.map((_, i) => `client ${i}\n`));
  });

  it('runs one client’s commands in order and answers completions', async () => {
    const client = await RawClient.connect(socketPath);
    assert.deepEqual(await client.waitFor((m) => m.type === 'welcome'), { type: 'welcome', text: 'Connected to Ariadne test' });
    client.send({ type: 'command', id: 1, line: 'slow' });
    client.send({ type: 'command', id: 2, line: 'echo second' });
    client.send({ type: 'complete', id: 3, line: 'ec' });
    await client.waitFor((m) => m.type === 'output' && m.id === 1);
    release();
    await client.waitFor((m) => m.type === 'done' && m.id === 2);
    const order = client.messages.filter((m) => m.type === 'output' || m.type === 'done').map((m) => JSON.stringify(m));
    assert.deepEqual(order, [
      JSON.stringify({ type: 'output', id: 1, text: 'started\n' }),
      JSON.stringify({ type: 'output', id: 1, text: 'finished\n' }),
      JSON.stringify({ type: 'done', id: 1, ok: true }),
      JSON.stringify({ type: 'output', id: 2, text: 'second\n' }),
      JSON.stringify({ type: 'done', id: 2, ok: true }),
    ]);
    assert.deepEqual(client.messages.find((m) => m.type === 'completions'), { type: 'completions', id: 3, matches: ['echo'] });
    client.socket.end();
    await client.closed;
  });

  it('survives a client that disconnects in the middle of a command', async () => {
    const client = await RawClient.connect(socketPath);
    client.send({ type: 'command', id: 7, line: 'slow' });
    await client.waitFor((m) => m.type === 'output' && m.id === 7);
    client.socket.destroy();
    await client.closed;
    release();
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(await runCommand(socketPath, 'echo still here'), 'still here\n');
  });

  it('answers malformed messages with an error and keeps the connection', async () => {
    const client = await RawClient.connect(socketPath);
    client.send('this is not json');
    client.send({ type: 'command', id: 'x', line: 1 });
    client.send({ type: 'command', id: 1, line: 'echo ok' });
    await client.waitFor((m) => m.type === 'done');
    assert.deepEqual(
      client.messages.filter((m) => m.type === 'error'),
      [
        { type: 'error', message: 'Malformed message' },
        { type: 'error', message: 'Malformed message' },
      ],
    );
    client.socket.end();
    await client.closed;
  });

  it('closes a connection whose line is longer than 64 KiB', async () => {
    const client = await RawClient.connect(socketPath);
    client.socket.write(JSON.stringify({ type: 'command', id: 1, line: `echo ${'y'.repeat(70 * 1024)}` }));
    await client.closed;
    assert.deepEqual(client.messages.at(-1), { type: 'error', message: 'Line too long (limit 65536 bytes)' });
    assert.ok(warnings.some((w) => w.includes('longer than 65536 bytes')));
    assert.equal(await runCommand(socketPath, 'echo fine'), 'fine\n');
    await assert.rejects(runCommand(socketPath, `echo ${'z'.repeat(70 * 1024)}`), {
      message: 'Line too long (limit 65536 bytes)',
    });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    assert.equal(await runRemoteCommand(socketPath, `echo ${'z'.repeat(70 * 1024)}`, { stdout, stderr }), 1);
    assert.equal(stderr.read()?.toString(), 'Line too long (limit 65536 bytes)\n');
  });

  it('streams log lines only to consoles that asked for them', async () => {
    const listener = await RawClient.connect(socketPath);
    const other = await RawClient.connect(socketPath);
    listener.send({ type: 'logs', enabled: true });
    // A command round trip guarantees the logs request has been handled.
    listener.send({ type: 'command', id: 1, line: 'echo sync' });
    await listener.waitFor((m) => m.type === 'done');
    server.broadcastLog('  == Something happened');
    server.broadcastLog('second line\n');
    await listener.waitFor((m) => m.type === 'log' && m.text === 'second line\n');
    assert.deepEqual(
      listener.messages.filter((m) => m.type === 'log'),
      [
        { type: 'log', text: '  == Something happened\n' },
        { type: 'log', text: 'second line\n' },
      ],
    );
    other.send({ type: 'command', id: 1, line: 'echo sync' });
    await other.waitFor((m) => m.type === 'done');
    assert.equal(other.messages.filter((m) => m.type === 'log').length, 0);
    assert.ok(server.clientCount() >= 2);
    listener.socket.end();
    other.socket.end();
    await Promise.all([listener.closed, other.closed]);
  });
});

describe('control server lifecycle', () => {
  it('replaces a stale socket file, and close ends clients and removes the socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ariadne-ctl-'));
    try {
      const socketPath = join(dir, 'ariadne.ctl');
      await writeFile(socketPath, 'stale');
      const server = await startControlServer({ socketPath, registry: new CommandRegistry() });
      const client = await RawClient.connect(socketPath);
      await client.waitFor((m) => m.type === 'welcome');
      await server.close();
      await client.closed;
      await server.close();
      await assert.rejects(stat(socketPath), { code: 'ENOENT' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing socket the way asterisk -rx does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ariadne-ctl-'));
    try {
      const socketPath = join(dir, 'absent.ctl');
      await assert.rejects(runCommand(socketPath, 'core show version'), (e: unknown) => {
        assert.ok(e instanceof ConsoleConnectError);
        assert.equal(e.message, `Unable to connect to remote asterisk (does ${socketPath} exist?)`);
        return true;
      });
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      assert.equal(await runRemoteCommand(socketPath, 'core show version', { stdout, stderr }), 1);
      assert.equal(stderr.read()?.toString(), `Unable to connect to remote asterisk (does ${socketPath} exist?)\n`);
      assert.equal(stdout.read(), null);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ends a command cut short by the server stopping with the output so far', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ariadne-ctl-'));
    try {
      const socketPath = join(dir, 'ariadne.ctl');
      const registry = new CommandRegistry();
      let server: ControlServer | undefined;
      registry.register({
        words: ['stop'],
        usage: 'stop',
        summary: 'Stops the server mid-command',
        handler: async ({ write }) => {
          write('stopping\n');
          await server?.close();
          await new Promise(() => undefined);
        },
      });
      server = await startControlServer({ socketPath, registry });
      assert.equal(await runCommand(socketPath, 'stop'), 'stopping\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
