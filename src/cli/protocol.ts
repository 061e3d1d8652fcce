/**
 * The control socket's wire format, shared by the server (control-server.ts) and the console (console.ts).
 *
 * Newline-delimited JSON over a Unix stream socket: one message per line, each tagged by `type`.
 *
 * Client to server:
 *   `{type:'command', id, line}`     run a console line; answered by `output`* then `done`
 *   `{type:'complete', id, line}`    tab completion for the last word of `line`; answered by `completions`
 *   `{type:'logs', enabled}`         start or stop receiving `log` messages
 * Server to client:
 *   `{type:'welcome', text}`         sent once on connect (may be empty)
 *   `{type:'output', id, text}`      part of a command's output
 *   `{type:'done', id, ok}`          the command finished; `ok` is false when it failed or was unknown
 *   `{type:'completions', id, matches}`
 *   `{type:'log', text}`             a log line, only to clients that asked for logs
 *   `{type:'error', message}`        the client sent something wrong (an oversize line closes the socket)
 *
 * A client's commands run in the order sent, one at a time; different clients run independently.
 */

export type ClientMessage =
  | { readonly type: 'command'; readonly id: number; readonly line: string }
  | { readonly type: 'complete'; readonly id: number; readonly line: string }
  | { readonly type: 'logs'; readonly enabled: boolean };

export type ServerMessage =
  | { readonly type: 'welcome'; readonly text: string }
  | { readonly type: 'output'; readonly id: number; readonly text: string }
  | { readonly type: 'done'; readonly id: number; readonly ok: boolean }
  | { readonly type: 'completions'; readonly id: number; readonly matches: readonly string[] }
  | { readonly type: 'log'; readonly text: string }
  | { readonly type: 'error'; readonly message: string };

/** Longest line either side accepts, in bytes (without the newline). */
export const MAX_LINE_BYTES = 64 * 1024;

export function encode(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message) + '\n';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates one decoded line from a client; undefined when it is not a known message. */
export function parseClientMessage(line: string): ClientMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const { type } = value;
  if ((type === 'command' || type === 'complete') && typeof value.id === 'number' && typeof value.line === 'string') {
    return { type, id: value.id, line: value.line };
  }
  if (type === 'logs' && typeof value.enabled === 'boolean') {
    return { type, enabled: value.enabled };
  }
  return undefined;
}

/** Validates one decoded line from the server; undefined when it is not a known message. */
export function parseServerMessage(line: string): ServerMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  switch (value.type) {
    case 'welcome':
    case 'log':
      return typeof value.text === 'string' ? { type: value.type, text: value.text } : undefined;
    case 'output':
      return typeof value.id === 'number' && typeof value.text === 'string'
        ? { type: 'output', id: value.id, text: value.text }
        : undefined;
    case 'done':
      return typeof value.id === 'number' && typeof value.ok === 'boolean'
        ? { type: 'done', id: value.id, ok: value.ok }
        : undefined;
    case 'completions':
      return typeof value.id === 'number' &&
        Array.isArray(value.matches) &&
        value.matches.every((m) => typeof m === 'string')
        ? { type: 'completions', id: value.id, matches: value.matches as string[] }
        : undefined;
    case 'error':
      return typeof value.message === 'string' ? { type: 'error', message: value.message } : undefined;
    default:
      return undefined;
  }
}

/**
 * Splits a byte stream into lines, refusing to buffer more than `maxBytes` of one line. `push` returns the
 * complete lines, or `'overflow'` once a line has grown too long (the reader is then useless).
 */
export class LineReader {
  readonly #maxBytes: number;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(maxBytes: number = MAX_LINE_BYTES) {
    this.#maxBytes = maxBytes;
  }

  push(data: Buffer): string[] | 'overflow' {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(0x0a, start);
      if (nl < 0) break;
      const part = data.subarray(start, nl);
      if (this.#size + part.length > this.#maxBytes) return 'overflow';
      this.#chunks.push(part);
      lines.push(Buffer.concat(this.#chunks).toString('utf8'));
      this.#chunks = [];
      this.#size = 0;
      start = nl + 1;
    }
    const rest = data.subarray(start);
    if (rest.length > 0) {
      if (this.#size + rest.length > this.#maxBytes) return 'overflow';
      this.#chunks.push(rest);
      this.#size += rest.length;
    }
    return lines;
  }
}
