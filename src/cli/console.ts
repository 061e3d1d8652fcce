/**
 * The console's client side, used by the `ariadne` binary: `ariadne -rx "<command>"` runs one command
 * (runCommand / runRemoteCommand) and `ariadne -r` opens an interactive `*CLI> ` prompt (runInteractive).
 * Both talk to control-server.ts over its Unix socket using protocol.ts.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Interface } from 'node:readline';
import { clearLine, cursorTo } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { encode, LineReader, parseServerMessage } from './protocol.ts';
import type { ClientMessage, ServerMessage } from './protocol.ts';

export const PROMPT = '*CLI> ';

/** Longest server message the console accepts; the server keeps far below it. */
const MAX_SERVER_LINE_BYTES = 4 * 1024 * 1024;

/** The control socket could not be reached; the message is the one to show the operator. */
export class ConsoleConnectError extends Error {
  readonly socketPath: string;
  constructor(socketPath: string, options?: ErrorOptions) {
    super(`Unable to connect to remote asterisk (does ${socketPath} exist?)`, options);
    this.name = 'ConsoleConnectError';
    this.socketPath = socketPath;
  }
}

type PendingCommand = { output: string; onOutput?: (text: string) => void; resolve: (r: { output: string; ok: boolean }) => void };

/** One connection to the control socket with request/response matching by id. */
class ControlClient {
  readonly #socket: Socket;
  readonly #commands = new Map<number, PendingCommand>();
  readonly #completions = new Map<number, (matches: string[]) => void>();
  #nextId = 1;
  #closed = false;
  onLog: ((text: string) => void) | undefined;
  /** The server's welcome text; '' when the connection closes before it arrives. */
  readonly welcome: Promise<string>;
  #resolveWelcome: (text: string) => void = () => undefined;
  onError: ((message: string) => void) | undefined;
  onClose: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.welcome = new Promise((resolve) => {
      this.#resolveWelcome = resolve;
    });
    const reader = new LineReader(MAX_SERVER_LINE_BYTES);
    socket.on('data', (data: Buffer) => {
      const lines = reader.push(data);
      if (lines === 'overflow') {
        socket.destroy();
        return;
      }
      for (const line of lines) {
        const message = parseServerMessage(line);
        if (message !== undefined) this.#dispatch(message);
      }
    });
    socket.on('error', () => {
      // Reported through 'close'.
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#resolveWelcome('');
      // A command cut short by the server going away (e.g. `core stop now`) ends with what it printed.
      for (const pending of this.#commands.values()) pending.resolve({ output: pending.output, ok: false });
      this.#commands.clear();
      for (const resolve of this.#completions.values()) resolve([]);
      this.#completions.clear();
      this.onClose?.();
    });
  }

  static connect(socketPath: string): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      const onError = (error: Error): void => reject(new ConsoleConnectError(socketPath, { cause: error }));
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new ControlClient(socket));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  #send(message: ClientMessage): boolean {
    if (this.#closed || !this.#socket.writable) return false;
    this.#socket.write(encode(message));
    return true;
  }

  #dispatch(message: ServerMessage): void {
    switch (message.type) {
      case 'welcome':
        this.#resolveWelcome(message.text);
        return;
      case 'log':
        this.onLog?.(message.text);
        return;
      case 'error':
        this.onError?.(message.message);
        return;
      case 'output': {
        const pending = this.#commands.get(message.id);
        if (pending === undefined) return;
        pending.output += message.text;
        pending.onOutput?.(message.text);
        return;
      }
      case 'done': {
        const pending = this.#commands.get(message.id);
        if (pending === undefined) return;
        this.#commands.delete(message.id);
        pending.resolve({ output: pending.output, ok: message.ok });
        return;
      }
      case 'completions': {
        const resolve = this.#completions.get(message.id);
        if (resolve === undefined) return;
        this.#completions.delete(message.id);
        resolve([...message.matches]);
        return;
      }
    }
  }

  command(line: string, onOutput?: (text: string) => void): Promise<{ output: string; ok: boolean }> {
    return new Promise((resolve) => {
      const id = this.#nextId++;
      const pending: PendingCommand = { output: '', resolve };
      if (onOutput !== undefined) pending.onOutput = onOutput;
      this.#commands.set(id, pending);
      if (!this.#send({ type: 'command', id, line })) {
        this.#commands.delete(id);
        resolve({ output: '', ok: false });
      }
    });
  }

  complete(line: string): Promise<string[]> {
    return new Promise((resolve) => {
      const id = this.#nextId++;
      this.#completions.set(id, resolve);
      if (!this.#send({ type: 'complete', id, line })) {
        this.#completions.delete(id);
        resolve([]);
      }
    });
  }

  logs(enabled: boolean): void {
    this.#send({ type: 'logs', enabled });
  }

  close(): void {
    this.#socket.end();
  }
}

/**
 * Runs one console command on the server and resolves with its output.
 * @throws ConsoleConnectError when nothing listens on `socketPath`; Error with the server's message when
 * the server refuses the request.
 *
 * @example
 * const text = await runCommand('/var/run/ariadne/ariadne.ctl', 'ari show status');
 */
export async function runCommand(socketPath: string, line: string): Promise<string> {
  const client = await ControlClient.connect(socketPath);
  try {
    // The server answers a message it cannot take (e.g. a line over 64 KiB) with an error.
    const refused = new Promise<never>((_, reject) => {
      client.onError = (message) => reject(new Error(message));
    });
    const { output } = await Promise.race([client.command(line), refused]);
    return output;
  } finally {
    client.close();
  }
}

/**
 * `ariadne -rx "<command>"`: prints the output to `stdout` and resolves to the exit code, 0 when the
 * command reached the server (whatever it printed) and 1 with Asterisk's message on `stderr` when the
 * socket cannot be reached.
 */
export async function runRemoteCommand(
  socketPath: string,
  line: string,
  io: { stdout: Writable; stderr: Writable },
): Promise<number> {
  try {
    const output = await runCommand(socketPath, line);
    await writeAll(io.stdout, output);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await writeAll(io.stderr, `${message}\n`);
    return 1;
  }
}

function writeAll(stream: Writable, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => {
    stream.write(text, () => resolve());
  });
}

export interface InteractiveOptions {
  readonly input: Readable;
  readonly output: Writable;
  /** Where the connect error goes; `output` when omitted. */
  readonly errorOutput?: Writable;
  /** Whether `output` is a TTY (prompt redrawing, completion); defaults to `output.isTTY`. */
  readonly terminal?: boolean;
  /** File to load history from and save it to on exit. */
  readonly historyFile?: string;
  /** Most history lines kept; 1000 by default. */
  readonly historySize?: number;
}

/**
 * `ariadne -r`: an interactive console. Shows the server's welcome line, prompts `*CLI> `, runs each line on
 * the server, streams the server's log lines in between, completes command words on Tab, and leaves on
 * `exit`/`quit`, end of input, or when the server goes away. Resolves to the exit code (1 when the socket
 * cannot be reached).
 */
export async function runInteractive(socketPath: string, options: InteractiveOptions): Promise<number> {
  const { input, output } = options;
  let client: ControlClient;
  try {
    client = await ControlClient.connect(socketPath);
  } catch (error) {
    await writeAll(options.errorOutput ?? output, `${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  // The welcome comes first on every connection; show it before the first prompt.
  const welcome = await client.welcome;
  if (welcome !== '') output.write(welcome.endsWith('\n') ? welcome : `${welcome}\n`);
  const terminal = options.terminal ?? (output as Writable & { isTTY?: boolean }).isTTY === true;
  const historySize = options.historySize ?? 1000;
  const history = loadHistory(options.historyFile, historySize);

  const rl: Interface = createInterface({
    input,
    output,
    terminal,
    prompt: PROMPT,
    history,
    historySize,
    removeHistoryDuplicates: true,
    completer: (line: string, callback: (err: Error | null, result: [string[], string]) => void) => {
      const word = /(\S*)$/.exec(line)?.[1] ?? '';
      client.complete(line).then(
        // A single candidate is completed with a space after it, ready for the next word.
        (matches) => callback(null, [matches.length === 1 ? [`${matches[0]} `] : matches, word]),
        () => callback(null, [[], word]),
      );
    },
  });

  let busy = false;
  let rlClosed = false;
  const printAbovePrompt = (text: string): void => {
    if (terminal && !busy && !rlClosed) {
      clearLine(output, 0);
      cursorTo(output, 0);
      output.write(text);
      rl.prompt(true);
    } else {
      output.write(text);
    }
  };
  client.onLog = printAbovePrompt;
  client.onError = (message) => printAbovePrompt(`${message}\n`);
  client.logs(true);

  return new Promise<number>((resolve) => {
    let finished = false;
    const prompt = (): void => {
      if (!rlClosed && !finished) rl.prompt();
    };
    const finish = (code: number): void => {
      if (finished) return;
      finished = true;
      saveHistory(options.historyFile, rl);
      if (!rlClosed) rl.close();
      client.close();
      resolve(code);
    };
    client.onClose = () => {
      if (finished) return;
      output.write('\nDisconnected from Asterisk server\n');
      finish(0);
    };
    if (client.closed) client.onClose();
    // Ctrl-C leaves the console, as it leaves `asterisk -r`; the server keeps running.
    rl.on('SIGINT', () => {
      output.write('\n');
      finish(0);
    });

    // Lines are handled one at a time; lines typed while a command runs wait their turn, and the end of
    // the input only ends the console once they have run.
    let chain: Promise<void> = Promise.resolve();
    rl.on('close', () => {
      rlClosed = true;
      chain = chain.then(() => finish(0));
    });
    rl.on('line', (raw: string) => {
      chain = chain.then(async () => {
        if (finished) return;
        const line = raw.trim();
        if (line === '') {
          prompt();
          return;
        }
        if (line === 'exit' || line === 'quit') {
          finish(0);
          return;
        }
        busy = true;
        await client.command(line, (text) => output.write(text));
        busy = false;
        if (!client.closed) prompt();
      });
    });
    prompt();
  });
}

function loadHistory(file: string | undefined, size: number): string[] {
  if (file === undefined) return [];
  try {
    // readline keeps the newest entry first; the file keeps it last.
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').slice(-size).reverse();
  } catch {
    return [];
  }
}

function saveHistory(file: string | undefined, rl: Interface): void {
  if (file === undefined) return;
  const entries = ((rl as Interface & { history?: string[] }).history ?? []).map((l) => l.trim()).filter((l) => l !== '');
  const lines = entries.reverse().filter((l, i, all) => i === 0 || all[i - 1] !== l);
  try {
    writeFileSync(file, lines.map((l) => `${l}\n`).join(''), { mode: 0o600 });
  } catch {
    // History is a convenience; failing to save it must not fail the console.
  }
}
