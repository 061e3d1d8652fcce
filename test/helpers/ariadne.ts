/**
 * Starts a real Ariadne on loopback for a test: a temporary configuration tree (asterisk.conf pointing every
 * directory into a temp dir), any port, and helpers to call it over real sockets. Each test stops its server.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { startAriadne, type Ariadne, type StartOptions } from '../../src/server.ts';

export const ARI_CONF = `[general]
enabled = yes
pretty = yes
allowed_origins = http://allowed.test, http://other.test

[asterisk]
type = user
read_only = no
password = asterisk
password_format = plain

[readonly]
type = user
read_only = yes
password = readonly
password_format = plain
`;

export const HTTP_CONF = `[general]
enabled = yes
bindaddr = 127.0.0.1
bindport = 8088
`;

export interface TestServer {
  readonly ariadne: Ariadne;
  readonly dir: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly logs: () => string;
  /** fetch under `/ari` with the given user (default asterisk:asterisk). */
  ari(method: string, pathAndQuery: string, init?: { body?: unknown; auth?: string | null; headers?: Record<string, string> }): Promise<Response>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra or replaced files in the etc dir: `{ 'ari.conf': '...' }`. */
  readonly files?: Readonly<Record<string, string>>;
  /** Rewrites the generated asterisk.conf (`[options]` such as `defaultlanguage`) before the server starts. */
  readonly asteriskConf?: (text: string) => string;
  readonly start?: Partial<StartOptions>;
}

/**
 * Writes a configuration tree under `dir`: asterisk.conf pointing every directory inside `dir`, the test
 * http.conf/ari.conf/logger.conf, and `files` on top (a file given there replaces the default). Returns the path
 * of asterisk.conf. The benchmarks build their trees with it too.
 */
export function writeConfigTree(dir: string, files: Readonly<Record<string, string>> = {}): string {
  const etc = path.join(dir, 'etc');
  fs.mkdirSync(etc, { recursive: true });
  const d = (n: string) => path.join(dir, n);
  const asteriskConf = `[directories]
astetcdir => ${etc}
astvarlibdir => ${d('lib')}
astdbdir => ${d('lib')}
astdatadir => ${d('data')}
astspooldir => ${d('spool')}
astrundir => ${d('run')}
astlogdir => ${d('log')}
astcachedir => ${d('cache')}

[options]
verbose = 0
defaultlanguage = en
entityid = 02:fc:00:00:00:01
`;
  const all: Record<string, string> = {
    'asterisk.conf': asteriskConf,
    'http.conf': HTTP_CONF,
    'ari.conf': ARI_CONF,
    'logger.conf': '[logfiles]\nconsole => notice,warning,error\n',
    ...files,
  };
  for (const [name, text] of Object.entries(all)) fs.writeFileSync(path.join(etc, name), text);
  return path.join(etc, 'asterisk.conf');
}

/** A configuration tree in a new temporary directory (see `writeConfigTree`). */
export function makeConfigTree(files: Readonly<Record<string, string>> = {}): { dir: string; asteriskConf: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-test-'));
  return { dir, asteriskConf: writeConfigTree(dir, files) };
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { dir, asteriskConf } = makeConfigTree(options.files);
  if (options.asteriskConf) fs.writeFileSync(asteriskConf, options.asteriskConf(fs.readFileSync(asteriskConf, 'utf8')));
  const consoleStream = new PassThrough();
  let logText = '';
  consoleStream.on('data', (c: Buffer) => (logText += c.toString()));
  const ariadne = await startAriadne({
    asteriskConf,
    consoleStream,
    httpPortOverride: 0,
    tlsPortOverride: 0,
    ...options.start,
  });
  const port = ariadne.http.bound().plain?.port ?? 0;
  const base = `http://127.0.0.1:${port}`;
  return {
    ariadne,
    dir,
    port,
    base,
    logs: () => logText,
    ari(method, pathAndQuery, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const auth = init.auth === undefined ? 'asterisk:asterisk' : init.auth;
      if (auth !== null) headers.authorization = 'Basic ' + Buffer.from(auth).toString('base64');
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${base}/ari${pathAndQuery}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    },
    async stop() {
      await ariadne.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Opens an events WebSocket and collects its messages. */
export async function openEvents(
  base: string,
  query: string,
  opts: { protocols?: string | string[]; headers?: Record<string, string> } = {},
): Promise<EventClient> {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ari/events?${query}`, opts.protocols, { headers: opts.headers ?? {} });
  const messages: Record<string, unknown>[] = [];
  const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
  });
  return {
    ws,
    messages,
    next(pred, timeoutMs = 3000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timed out waiting for an event')), timeoutMs);
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(t);
            resolve(m);
          },
        });
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      });
    },
  };
}

export interface EventClient {
  readonly ws: import('ws').WebSocket;
  readonly messages: Record<string, unknown>[];
  next(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Sends raw bytes over TCP and returns everything the server answered until it closed. */
export async function rawHttp(port: number, request: string, timeoutMs = 3000): Promise<string> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let out = '';
    const t = setTimeout(() => {
      sock.destroy();
      resolve(out);
    }, timeoutMs);
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
    sock.on('error', (e) => {
      clearTimeout(t);
      if (out) resolve(out);
      else reject(e);
    });
    sock.write(request);
  });
}

/** The `[general]` of a test http.conf with extra lines appended (bindaddr 127.0.0.1; the port is overridden). */
export function httpConf(extra = ''): string {
  return `${HTTP_CONF}${extra}\n`;
}

/** The test ari.conf with `[general]` options appended (a later key wins, so they replace the defaults) and extra sections. */
export function ariConf(generalExtra = '', sections = ''): string {
  return ARI_CONF.replace('\n[asterisk]', `${generalExtra}\n\n[asterisk]`) + `\n${sections}\n`;
}

export interface RawResponse {
  readonly status: number;
  readonly statusLine: string;
  /** Header lines as sent, in order, names with their spelling. */
  readonly headerLines: readonly (readonly [string, string])[];
  /** First value of a header, case-insensitive name. */
  header(name: string): string | undefined;
  readonly body: string;
  /** Whatever followed this response on the connection (a pipelined second response). */
  readonly rest: string;
}

/** Parses one HTTP/1.1 response (with Content-Length) from raw latin1 text. */
export function parseRawResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(text.slice(0, 200))}`);
  const lines = text.slice(0, end).split('\r\n');
  const statusLine = lines[0] ?? '';
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  const headerLines = lines.slice(1).map((l) => {
    const i = l.indexOf(':');
    return [l.slice(0, i), l.slice(i + 1).trim()] as const;
  });
  const header = (name: string) => headerLines.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const len = Number(header('content-length') ?? '0');
  const bodyStart = end + 4;
  // Content-Length counts bytes; latin1 text has one char per byte.
  const body = text.slice(bodyStart, bodyStart + len);
  return { status, statusLine, headerLines, header, body, rest: text.slice(bodyStart + len) };
}

/** Basic authorization header value for `user:pass`. */
export function basic(userPass: string): string {
  return 'Basic ' + Buffer.from(userPass).toString('base64');
}
