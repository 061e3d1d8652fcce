/**
 * The logger: Asterisk's logging model behind a small typed facade.
 *
 * Every module gets a namespaced child of one root logger (`ariadne:http`, `ariadne:sip:transaction`) and
 * logs with Asterisk's levels: error, warning, notice, verbose(n), debug(n), dtmf and security. A verbose
 * message of level n is produced only while the verbosity (`core set verbose N`) is at least n, a debug
 * message of level n only while the debug level is at least n, so callers may log freely.
 *
 * Messages go to the channels of logger.conf's `[logfiles]`:
 *   - `console` writes to a stream (stderr unless told otherwise); it always shows verbose messages, with the
 *     verbose prefixes Asterisk's console uses (`    -- ` for level 3), and every other level as a full line;
 *   - a file channel appends full lines to `<astlogdir>/<name>` (absolute names kept, `.<hostname>` added with
 *     `appendhostname`); `verbose(N)` in its levels gives it its own verbosity limit;
 *   - `syslog.*` channels are accepted but disabled, with a warning: there is no syslog support yet.
 * A full line looks like `[Nov 27 08:12:03] NOTICE[1234] http: message [key:value]`: the date in logger.conf's
 * `dateformat`, the level, the process id, the namespace without the root's prefix, then the message and any
 * bound or per-call fields.
 *
 * pino supplies the file sinks: `pino.destination({ sync: false })` streams write without blocking the event
 * loop, can be reopened, and are flushed by pino when the process exits. `toPino()` also turns a Logger into a
 * pino logger for libraries that want one (fastify), so their output lands in the same channels.
 *
 * Channels can be listed, added, removed and rotated at run time (ARI `/asterisk/logging`, `logger` CLI
 * commands), and `onLine()` lets remote consoles follow every message produced.
 */

import { mkdirSync, closeSync, openSync, existsSync, renameSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { dirname, isAbsolute } from 'node:path';
import pino from 'pino';
import type { LogChannelConfig, LoggerConfig } from '../config/types.ts';
import { AriadneError } from './errors.ts';

/** The levels a message can have. `fax` and `trace` are accepted in channel configuration only. */
export type LogLevel = 'error' | 'warning' | 'notice' | 'verbose' | 'debug' | 'dtmf' | 'security' | 'fax' | 'trace';

/** Structured context rendered after the message as `[key:value, key:value]`. */
export type LogFields = Readonly<Record<string, unknown>>;

/** One message as produced, handed to `onLine()` listeners. */
export interface LogRecord {
  /** Milliseconds since the epoch. */
  readonly time: number;
  readonly level: LogLevel;
  /** The verbose or debug level; 0 for the other levels. */
  readonly sublevel: number;
  readonly namespace: string;
  /** The message with its fields rendered, without a trailing newline. */
  readonly message: string;
  readonly fields: LogFields;
  /** The full line as file channels write it, without a trailing newline. */
  readonly line: string;
  /** The text a console shows: the verbose prefix and message for verbose, else the full line. */
  readonly consoleLine: string;
}

/** A namespaced logger. */
export interface Logger {
  /** e.g. `ariadne:http`. */
  readonly namespace: string;
  error(message: string, fields?: LogFields): void;
  warning(message: string, fields?: LogFields): void;
  notice(message: string, fields?: LogFields): void;
  /** Produced only while the verbosity is at least `level`. */
  verbose(level: number, message: string, fields?: LogFields): void;
  /** Debug level 1. */
  debug(message: string, fields?: LogFields): void;
  /** Produced only while the debug level is at least `level`. */
  debug(level: number, message: string, fields?: LogFields): void;
  dtmf(message: string, fields?: LogFields): void;
  security(message: string, fields?: LogFields): void;
  /** Whether `verbose(level, ...)` would produce anything, to skip building expensive messages. */
  isVerbose(level: number): boolean;
  /** Whether `debug(level, ...)` would produce anything. */
  isDebug(level: number): boolean;
  /**
   * A logger for a sub-namespace: `root.child('http')` is `ariadne:http`, its `child('auth')` is
   * `ariadne:http:auth`; a name already starting with the root's name is taken as is. `bindings` are added
   * to every message of the child (and its children).
   */
  child(namespace: string, bindings?: LogFields): Logger;
}

/** A channel as ARI's `LogChannel` model and `logger show channels` describe it. */
export interface LogChannelInfo {
  /** The file path for file channels, the name for syslog, and an empty string for the console (as Asterisk). */
  readonly channel: string;
  readonly type: 'Console' | 'File' | 'Syslog';
  readonly status: 'Enabled' | 'Disabled';
  /** The levels in Asterisk's order, upper case, each followed by a space (`NOTICE WARNING ERROR `). */
  readonly configuration: string;
}

/** The root logger, which also manages channels and levels. */
export interface RootLogger extends Logger {
  listChannels(): LogChannelInfo[];
  /**
   * Adds a channel (`console`, `syslog.<facility>` or a file name) with levels such as `notice,warning,verbose(3)`.
   * Throws `AriadneError` `ERR_CONFLICT` if it exists, `ERR_INVALID_PARAMETER` for empty levels, and a plain
   * `Error` when the file cannot be opened.
   */
  addChannel(name: string, configuration: string): void;
  /**
   * Removes a channel added with `addChannel` (configured ones stay, as in Asterisk). Throws `AriadneError`
   * `ERR_NOT_FOUND` synchronously otherwise; the promise (which never rejects) resolves once its file is closed.
   */
  deleteChannel(name: string): Promise<void>;
  /**
   * Rotates one file channel per `rotatestrategy` and reopens it. Throws `AriadneError` `ERR_NOT_FOUND`
   * synchronously unless `name` is a file channel; the promise (which never rejects; problems are logged)
   * resolves once the old file is closed.
   */
  rotate(name: string): Promise<void>;
  /** Rotates every file channel (`logger rotate`). */
  rotateAll(): Promise<void>;
  /** Replaces every channel (those added at run time too) and the general options with `config`. */
  reload(config: LoggerConfig): Promise<void>;
  setVerbose(level: number): void;
  getVerbose(): number;
  setDebug(level: number): void;
  getDebug(): number;
  /**
   * Calls `listener` with every message produced: the text a console shows (`record.consoleLine`) and the
   * record. Returns a function that stops it. A throwing listener is ignored.
   */
  onLine(listener: LineListener): () => void;
  /** Resolves once everything logged so far has reached the files. */
  flush(): Promise<void>;
  /** Flushes and closes every file; later messages go nowhere but to `onLine` listeners. */
  close(): Promise<void>;
}

export type LineListener = (line: string, record: LogRecord) => void;

/** Where the console channel writes. */
export interface LogWritable {
  write(chunk: string): unknown;
}

export interface CreateLoggerOptions {
  /** logger.conf; without it a console channel with `error,warning,notice,verbose`, as Asterisk. */
  readonly config?: LoggerConfig;
  /** astlogdir, for relative file channel names. Default `/var/log/asterisk`. */
  readonly logDir?: string;
  /** The console channel's stream. Default `process.stderr`. */
  readonly console?: LogWritable;
  readonly verbose?: number;
  readonly debug?: number;
  /** The root namespace. Default `ariadne`. */
  readonly name?: string;
  /** Shown in brackets after the level. Default `process.pid`. */
  readonly pid?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
  /** Used with `appendhostname`. Default `os.hostname()`. */
  readonly hostname?: string;
}

/** A root logger with no channels that keeps every message produced, for tests. */
export interface TestLogger extends RootLogger {
  readonly records: readonly LogRecord[];
  /** The messages (with fields) of the records of one level. */
  messages(level?: LogLevel): string[];
}

/** Asterisk's level order, used for the `configuration` string. */
const LEVEL_ORDER: readonly LogLevel[] = ['debug', 'trace', 'notice', 'warning', 'error', 'verbose', 'dtmf', 'fax', 'security'];
const LEVEL_NAMES: Readonly<Record<LogLevel, string>> = {
  error: 'ERROR',
  warning: 'WARNING',
  notice: 'NOTICE',
  verbose: 'VERBOSE',
  debug: 'DEBUG',
  dtmf: 'DTMF',
  security: 'SECURITY',
  fax: 'FAX',
  trace: 'TRACE',
};
const LEVEL_SET: ReadonlySet<string> = new Set(LEVEL_ORDER);

/** Console prefixes for verbose levels 1..10 (index = level; 0 has none). */
const VERBOSE_PREFIXES: readonly string[] = [
  '',
  ' ',
  '  == ',
  '    -- ',
  '       > ',
  '        > ',
  '         > ',
  '          > ',
  '           > ',
  '            > ',
  '             > ',
];

const DEFAULT_CONFIG: LoggerConfig = {
  dateformat: '%b %e %T',
  appendhostname: false,
  rotatestrategy: 'sequential',
  channels: [{ name: 'console', type: 'console', levels: ['error', 'warning', 'notice', 'verbose'], verboseLevel: -1 }],
};

/**
 * Creates the root logger and opens its channels.
 *
 * @example
 * const log = createLogger({ config, logDir: '/var/log/asterisk', verbose: 3 });
 * const http = log.child('http');
 * http.verbose(3, 'listening', { port: 8088 }); // console: "    -- listening [port:8088]"
 */
export function createLogger(options: CreateLoggerOptions = {}): RootLogger {
  const core = new LogCore(options);
  return new RootLoggerImpl(core);
}

/**
 * A silent root logger for tests: no channels, verbosity and debug 10 unless told otherwise, and every
 * message kept in `records`.
 */
export function createTestLogger(options: { verbose?: number; debug?: number; name?: string } = {}): TestLogger {
  const core = new LogCore({
    config: { ...DEFAULT_CONFIG, channels: [] },
    verbose: options.verbose ?? 10,
    debug: options.debug ?? 10,
    name: options.name ?? 'ariadne',
    now: Date.now,
  });
  const records: LogRecord[] = [];
  core.addListener((_line, record) => records.push(record));
  return new TestLoggerImpl(core, records);
}

/** A logger that drops everything. */
export function silentLogger(name = 'ariadne'): Logger {
  return new LoggerImpl(new LogCore({ config: { ...DEFAULT_CONFIG, channels: [] }, name }), name, {});
}

/**
 * A pino logger whose output goes to `logger` (for fastify's `loggerInstance` and other pino users):
 * fatal/error become error, warn warning, info verbose(3), debug debug(1) and trace debug(5).
 * `level` is pino's own threshold, `warn` by default.
 */
export function toPino(logger: Logger, options: { level?: pino.LevelWithSilent } = {}): pino.Logger {
  const destination = {
    write(chunk: string): void {
      for (const text of chunk.split('\n')) {
        if (text !== '') dispatchPinoLine(logger, text);
      }
    },
  };
  return pino({ level: options.level ?? 'warn', base: null, timestamp: false }, destination);
}

function dispatchPinoLine(logger: Logger, text: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    logger.notice(text);
    return;
  }
  if (typeof parsed !== 'object' || parsed === null) {
    logger.notice(text);
    return;
  }
  const { level, msg, ...rest } = parsed as Record<string, unknown>;
  const message = typeof msg === 'string' ? msg : '';
  const n = typeof level === 'number' ? level : 30;
  if (n >= 50) logger.error(message, rest);
  else if (n >= 40) logger.warning(message, rest);
  else if (n >= 30) logger.verbose(3, message, rest);
  else if (n >= 20) logger.debug(1, message, rest);
  else logger.debug(5, message, rest);
}

// ---------------------------------------------------------------------------------------------------------
// Implementation

type Destination = ReturnType<typeof pino.destination>;

/**
 * An append-only file written through a pino (sonic-boom) destination, with byte accounting for flush().
 * The file is opened synchronously by the caller, so a bad path is reported at once and pino's exit hook can
 * flush lines logged just before `process.exit()`; writes are asynchronous.
 */
class FileSink {
  readonly path: string;
  #stream: Destination;
  #queued = 0;
  #written = 0;
  #failed = false;
  #closed = false;
  /** The stream closed (by us, or by pino's exit hook). */
  #streamClosed = false;
  #opened: Promise<void>;
  readonly #onError: (err: Error) => void;

  constructor(path: string, fd: number, onError: (err: Error) => void) {
    this.path = path;
    this.#onError = onError;
    const stream = pino.destination({ dest: fd, sync: false });
    this.#stream = stream;
    this.#opened = new Promise((resolve) => {
      stream.once('ready', () => resolve());
      stream.once('error', () => resolve());
    });
    stream.on('write', (n: number) => {
      this.#written += n;
    });
    stream.on('error', (err: Error) => this.#fail(err));
    stream.once('close', () => {
      this.#streamClosed = true;
    });
  }

  /** Resolves once the file is open (or failed to open). */
  ready(): Promise<void> {
    return this.#opened;
  }

  write(text: string): void {
    if (this.#failed || this.#closed) return;
    try {
      this.#stream.write(text);
      this.#queued += Buffer.byteLength(text);
    } catch (err) {
      this.#fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Resolves once every byte written so far is on disk (or the file failed). */
  async idle(): Promise<void> {
    await this.#opened;
    while (!this.#failed && !this.#streamClosed && this.#written < this.#queued) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#stream.off('drain', done);
          this.#stream.off('error', done);
          this.#stream.off('close', done);
          resolve();
        };
        this.#stream.on('drain', done);
        this.#stream.on('error', done);
        this.#stream.on('close', done);
      });
    }
  }

  /** Writes what is pending, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#opened;
    this.#closed = true;
    if (this.#failed || this.#streamClosed) return;
    const stream = this.#stream;
    await new Promise<void>((resolve) => {
      stream.once('close', () => resolve());
      stream.once('error', () => resolve());
      try {
        stream.end();
      } catch {
        resolve();
      }
    });
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    // Release the descriptor; the 'close' that follows also makes pino drop its flush-at-exit hook.
    try {
      this.#stream.destroy();
    } catch {
      // Already destroyed.
    }
    this.#onError(err);
  }
}

interface Channel {
  /** The name as given (`console`, `messages.log`, `syslog.local0`). */
  readonly name: string;
  /** The resolved identity Asterisk lists and matches on: file path, syslog name, '' for the console. */
  readonly key: string;
  readonly type: 'console' | 'file' | 'syslog';
  readonly levels: ReadonlySet<LogLevel>;
  /** The channel's own verbosity limit, or -1 for the global verbosity. */
  readonly verboseLevel: number;
  /** Added at run time (only those can be deleted). */
  readonly dynamic: boolean;
  disabled: boolean;
  sink: FileSink | undefined;
}

interface ParsedLevels {
  readonly levels: ReadonlySet<LogLevel>;
  readonly verboseLevel: number;
}

/** Reads `notice, warning,verbose(3)` or `*` (an optional leading `[formatter]` is ignored). */
function parseLevels(items: readonly string[], verboseLevel = -1): ParsedLevels {
  const levels = new Set<LogLevel>();
  let verbose = verboseLevel;
  for (const raw of items) {
    const item = raw.trim().toLowerCase();
    if (item === '') continue;
    if (item === '*') {
      for (const l of LEVEL_ORDER) levels.add(l);
      continue;
    }
    const m = /^verbose\(\s*(\d+)\s*\)$/.exec(item);
    if (m !== null) {
      levels.add('verbose');
      verbose = Number(m[1]);
      continue;
    }
    if (LEVEL_SET.has(item)) levels.add(item as LogLevel);
  }
  return { levels, verboseLevel: verbose };
}

function splitConfiguration(configuration: string): string[] {
  const text = configuration.trim().replace(/^\[[^\]]*\]/, '');
  return text.split(',');
}

function channelTypeOf(name: string): Channel['type'] {
  const lower = name.toLowerCase();
  if (lower === 'console') return 'console';
  if (lower.startsWith('syslog')) return 'syslog';
  return 'file';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTHS_LONG = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAYS_LONG = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** strftime for logger.conf's `dateformat`, in local time; `%q`/`%1q`..`%6q` give fractions of a second. */
export function formatLogDate(ms: number, format: string): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2, c = '0'): string => String(n).padStart(w, c);
  const offset = (): string => {
    const o = -d.getTimezoneOffset();
    const a = Math.abs(o);
    return `${o < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}${pad(a % 60)}`;
  };
  const dayOfYear = (): number => {
    const start = new Date(d.getFullYear(), 0, 1);
    return Math.round((new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() - start.getTime()) / 86_400_000) + 1;
  };
  return format.replace(/%([1-6]?q|.)/g, (whole, spec: string) => {
    if (spec.endsWith('q')) {
      const digits = spec.length === 2 ? Number(spec[0]) : 3;
      const micros = String((ms - Math.floor(ms / 1000) * 1000) * 1000).padStart(6, '0');
      return micros.slice(0, digits);
    }
    switch (spec) {
      case 'a': return DAYS[d.getDay()] ?? '';
      case 'A': return DAYS_LONG[d.getDay()] ?? '';
      case 'b': case 'h': return MONTHS[d.getMonth()] ?? '';
      case 'B': return MONTHS_LONG[d.getMonth()] ?? '';
      case 'd': return pad(d.getDate());
      case 'e': return pad(d.getDate(), 2, ' ');
      case 'H': return pad(d.getHours());
      case 'I': return pad(d.getHours() % 12 === 0 ? 12 : d.getHours() % 12);
      case 'j': return pad(dayOfYear(), 3);
      case 'm': return pad(d.getMonth() + 1);
      case 'M': return pad(d.getMinutes());
      case 'p': return d.getHours() < 12 ? 'AM' : 'PM';
      case 'S': return pad(d.getSeconds());
      case 's': return String(Math.floor(ms / 1000));
      case 'T': return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
      case 'R': return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
      case 'F': return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
      case 'D': return `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`;
      case 'y': return pad(d.getFullYear() % 100);
      case 'Y': return String(d.getFullYear());
      case 'z': return offset();
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      default: return whole;
    }
  });
}

/** A verbose/debug/verbosity level as a whole number of at least `min` (NaN counts as `min`). */
function levelOf(n: number, min: number): number {
  const t = Math.trunc(n);
  return Number.isNaN(t) ? min : Math.max(min, t);
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return value.message;
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function renderMessage(message: string, bindings: LogFields, fields: LogFields | undefined): string {
  const text = message.replace(/\n+$/, '');
  const all = fields === undefined ? bindings : { ...bindings, ...fields };
  const keys = Object.keys(all);
  if (keys.length === 0) return text;
  return `${text} [${keys.map((k) => `${k}:${renderValue(all[k])}`).join(', ')}]`;
}

/** The state all loggers of one tree share. */
class LogCore {
  readonly rootName: string;
  #config: LoggerConfig;
  readonly #logDir: string;
  readonly #console: LogWritable;
  readonly #pid: number;
  readonly #now: () => number;
  readonly #hostname: string;
  #verbose: number;
  #debug: number;
  /** In Asterisk's list order: the most recently created first. */
  #channels: Channel[] = [];
  /** Levels some enabled channel wants; verbose limited separately by #maxVerbose. */
  #wanted = new Set<LogLevel>();
  #maxVerbose = 0;
  readonly #listeners = new Set<LineListener>();
  /** Sinks being closed after a rotate, delete or reload; flush() waits for them. */
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  constructor(options: CreateLoggerOptions) {
    this.rootName = options.name ?? 'ariadne';
    this.#config = options.config ?? DEFAULT_CONFIG;
    this.#logDir = (options.logDir ?? '/var/log/asterisk').replace(/\/+$/, '') || '/';
    this.#console = options.console ?? process.stderr;
    this.#pid = options.pid ?? process.pid;
    this.#now = options.now ?? Date.now;
    this.#hostname = options.hostname ?? osHostname();
    this.#verbose = levelOf(options.verbose ?? 0, 0);
    this.#debug = levelOf(options.debug ?? 0, 0);
    this.#build(this.#config);
  }

  // -- producing messages

  log(level: LogLevel, sublevel: number, namespace: string, bindings: LogFields, message: string, fields: LogFields | undefined): void {
    if (level === 'verbose' && sublevel > this.#maxVerbose) return;
    if (level === 'debug' && sublevel > this.#debug) return;
    const wanted = this.#wanted.has(level);
    if (!wanted && this.#listeners.size === 0) return;

    const time = this.#now();
    const text = renderMessage(message, bindings, fields);
    const shown = this.displayName(namespace);
    const line = `[${formatLogDate(time, this.#config.dateformat)}] ${LEVEL_NAMES[level]}[${this.#pid}] ${shown}: ${text}`;
    let consoleLine = line;
    if (level === 'verbose') {
      const prefix = VERBOSE_PREFIXES[Math.min(Math.max(sublevel, 0), 10)] ?? '';
      consoleLine = prefix === '' ? text : text.split('\n').map((l) => prefix + l).join('\n');
    }

    if (wanted) {
      for (const channel of this.#channels) {
        if (channel.disabled || !channel.levels.has(level)) continue;
        if (level === 'verbose') {
          const limit = channel.type === 'console' || channel.verboseLevel < 0 ? this.#verbose : channel.verboseLevel;
          if (limit < sublevel) continue;
        }
        if (channel.type === 'console') this.#writeConsole(consoleLine + '\n');
        else channel.sink?.write(line + '\n');
      }
    }

    if (this.#listeners.size > 0) {
      const record: LogRecord = Object.freeze({
        time,
        level,
        sublevel,
        namespace,
        message: text,
        fields: Object.freeze({ ...bindings, ...fields }),
        line,
        consoleLine,
      });
      for (const listener of [...this.#listeners]) {
        try {
          listener(consoleLine, record);
        } catch {
          // A failing listener must not break logging or the caller; there is nowhere safe to report it.
        }
      }
    }
  }

  displayName(namespace: string): string {
    const prefix = this.rootName + ':';
    return namespace.startsWith(prefix) ? namespace.slice(prefix.length) : namespace;
  }

  isVerbose(level: number): boolean {
    return level <= this.#maxVerbose;
  }

  isDebug(level: number): boolean {
    return level <= this.#debug;
  }

  #writeConsole(text: string): void {
    try {
      this.#console.write(text);
    } catch {
      // A closed console (EPIPE on a detached terminal) must not take the server down.
    }
  }

  // -- levels

  setVerbose(level: number): void {
    this.#verbose = levelOf(level, 0);
    this.#recompute();
  }

  getVerbose(): number {
    return this.#verbose;
  }

  setDebug(level: number): void {
    this.#debug = levelOf(level, 0);
  }

  getDebug(): number {
    return this.#debug;
  }

  addListener(listener: LineListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  // -- channels

  /** The identity Asterisk matches channels on. */
  #keyOf(name: string): string {
    const type = channelTypeOf(name);
    if (type === 'console') return '';
    if (type === 'syslog') return name;
    const path = isAbsolute(name) ? name : `${this.#logDir === '/' ? '' : this.#logDir}/${name}`;
    return this.#config.appendhostname ? `${path}.${this.#hostname}` : path;
  }

  #find(name: string): Channel | undefined {
    const key = this.#keyOf(name);
    return this.#channels.find((c) => c.key === key);
  }

  /** Creates a channel; file channels are opened (checked synchronously, written asynchronously). */
  #makeChannel(name: string, parsed: ParsedLevels, dynamic: boolean): { channel: Channel; problem?: string } {
    const type = channelTypeOf(name);
    const key = this.#keyOf(name);
    const levels = new Set(parsed.levels);
    // The console always carries verbose messages, limited by the global verbosity.
    if (type === 'console') levels.add('verbose');
    const channel: Channel = {
      name,
      key,
      type,
      levels,
      verboseLevel: type === 'console' ? -1 : parsed.verboseLevel,
      dynamic,
      disabled: false,
      sink: undefined,
    };
    if (type === 'syslog') {
      channel.disabled = true;
      return { channel, problem: `Syslog logging is not supported yet; log channel '${name}' is disabled` };
    }
    if (type === 'file') {
      const problem = this.#open(channel);
      if (problem !== undefined) return { channel, problem };
    }
    return { channel };
  }

  /** Opens (or reopens) a file channel's file, synchronously; returns a problem description on failure. */
  #open(channel: Channel): string | undefined {
    let fd: number;
    try {
      mkdirSync(dirname(channel.key), { recursive: true });
      fd = openSync(channel.key, 'a');
      if (fd === 0) {
        // pino reads a destination of 0 as "stdout"; move off descriptor 0 (only free when stdin was closed).
        const again = openSync(channel.key, 'a');
        closeSync(fd);
        fd = again;
      }
    } catch (err) {
      channel.disabled = true;
      channel.sink = undefined;
      return `Unable to open log file '${channel.key}': ${err instanceof Error ? err.message : String(err)}`;
    }
    channel.disabled = false;
    channel.sink = new FileSink(channel.key, fd, (err) => this.#sinkFailed(channel, err));
    return undefined;
  }

  #sinkFailed(channel: Channel, err: Error): void {
    if (channel.disabled) return;
    channel.disabled = true;
    this.#recompute();
    this.log('error', 0, this.rootName, {}, `Unable to write to log file '${channel.key}': ${err.message} (disabled)`, undefined);
  }

  #build(config: LoggerConfig): void {
    const problems: string[] = [];
    const channels: Channel[] = [];
    for (const c of config.channels) {
      if (channels.some((x) => x.key === this.#keyOf(c.name))) {
        problems.push(`Log channel '${c.name}' is configured twice; the first one is used`);
        continue;
      }
      const { channel, problem } = this.#makeChannel(c.name, channelLevels(c), false);
      channels.unshift(channel);
      if (problem !== undefined) problems.push(problem);
    }
    this.#channels = channels;
    this.#recompute();
    for (const p of problems) this.log(p.startsWith('Syslog') ? 'warning' : 'error', 0, this.rootName, {}, p, undefined);
  }

  #recompute(): void {
    const wanted = new Set<LogLevel>();
    let maxVerbose = this.#verbose;
    for (const c of this.#channels) {
      if (c.disabled) continue;
      for (const l of c.levels) wanted.add(l);
      if (c.levels.has('verbose') && c.type !== 'console' && c.verboseLevel > maxVerbose) maxVerbose = c.verboseLevel;
    }
    this.#wanted = wanted;
    this.#maxVerbose = maxVerbose;
  }

  #retire(sink: FileSink | undefined): Promise<void> {
    if (sink === undefined) return Promise.resolve();
    const p = sink.close();
    this.#closing.add(p);
    void p.finally(() => this.#closing.delete(p));
    return p;
  }

  listChannels(): LogChannelInfo[] {
    return this.#channels.map((c) => ({
      channel: c.key,
      type: c.type === 'console' ? 'Console' : c.type === 'syslog' ? 'Syslog' : 'File',
      status: c.disabled ? 'Disabled' : 'Enabled',
      configuration: LEVEL_ORDER.filter((l) => c.levels.has(l)).map((l) => `${LEVEL_NAMES[l]} `).join(''),
    }));
  }

  addChannel(name: string, configuration: string): void {
    if (this.#closed) throw new AriadneError('ERR_INVALID_STATE', 'The logger is closed');
    if (name.trim() === '') throw new AriadneError('ERR_INVALID_PARAMETER', 'A log channel name is required');
    if (configuration.trim() === '') throw new AriadneError('ERR_INVALID_PARAMETER', 'Configuration levels are required');
    if (this.#find(name) !== undefined) throw new AriadneError('ERR_CONFLICT', 'Log channel already exists');
    const { channel, problem } = this.#makeChannel(name, parseLevels(splitConfiguration(configuration)), true);
    if (channel.type === 'file' && problem !== undefined) throw new Error(problem);
    this.#channels.unshift(channel);
    this.#recompute();
    if (problem !== undefined) this.log('warning', 0, this.rootName, {}, problem, undefined);
  }

  deleteChannel(name: string): Promise<void> {
    const channel = this.#find(name);
    if (channel === undefined || !channel.dynamic) throw new AriadneError('ERR_NOT_FOUND', 'Log channel does not exist');
    this.#channels = this.#channels.filter((c) => c !== channel);
    this.#recompute();
    const sink = channel.sink;
    channel.sink = undefined;
    return this.#retire(sink);
  }

  rotate(name: string): Promise<void> {
    const channel = this.#find(name);
    if (channel === undefined || channel.type !== 'file') throw new AriadneError('ERR_NOT_FOUND', 'Log channel does not exist');
    return this.#rotateChannel(channel);
  }

  async rotateAll(): Promise<void> {
    await Promise.all(this.#channels.filter((c) => c.type === 'file').map((c) => this.#rotateChannel(c)));
  }

  /**
   * Renames the file per `rotatestrategy` and opens a fresh one. Lines logged before the call went to the old
   * sink, whose descriptor still points at the renamed file, so they end up there; later lines go to the new
   * file.
   */
  async #rotateChannel(channel: Channel): Promise<void> {
    const old = channel.sink;
    // Until the old sink has opened its file, renaming would make it open the new one instead.
    await old?.ready();
    // Another rotate, a delete, a reload or close got there first.
    if (this.#closed || channel.sink !== old || !this.#channels.includes(channel)) return;
    channel.sink = undefined;
    try {
      rotateFile(channel.key, this.#config.rotatestrategy, this.#now());
    } catch (err) {
      this.log('error', 0, this.rootName, {}, `Unable to rotate log file '${channel.key}': ${err instanceof Error ? err.message : String(err)}`, undefined);
    }
    const problem = this.#open(channel);
    this.#recompute();
    if (problem !== undefined) this.log('error', 0, this.rootName, {}, problem, undefined);
    await this.#retire(old);
  }

  async reload(config: LoggerConfig): Promise<void> {
    if (this.#closed) return;
    const old = this.#channels;
    this.#config = config;
    // The new channels take over at once, so no line is lost; a file kept across the reload is briefly open
    // twice, which is harmless in append mode.
    this.#build(config);
    await Promise.all(old.map((c) => {
      const sink = c.sink;
      c.sink = undefined;
      return this.#retire(sink);
    }));
  }

  async flush(): Promise<void> {
    await Promise.all([...this.#closing]);
    await Promise.all(this.#channels.map((c) => c.sink?.idle()));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const channels = this.#channels;
    this.#channels = [];
    this.#recompute();
    await Promise.all(channels.map((c) => {
      const sink = c.sink;
      c.sink = undefined;
      return this.#retire(sink);
    }));
    await Promise.all([...this.#closing]);
  }
}

function channelLevels(c: LogChannelConfig): ParsedLevels {
  return parseLevels(c.levels, c.verboseLevel);
}

/** Moves `file` aside as Asterisk's rotate strategies do (the current file is then reopened empty). */
function rotateFile(file: string, strategy: LoggerConfig['rotatestrategy'], now: number): void {
  if (!existsSync(file)) return;
  switch (strategy) {
    case 'none':
      return;
    case 'sequential': {
      let x = 0;
      while (existsSync(`${file}.${x}`)) x++;
      renameSync(file, `${file}.${x}`);
      return;
    }
    case 'timestamp':
      renameSync(file, `${file}.${Math.floor(now / 1000)}`);
      return;
    case 'rotate': {
      // Compressed copies (made by an external job) keep their place in the sequence.
      const suffixes = ['', '.gz', '.bz2', '.Z'];
      const existing = (n: number): string | undefined => suffixes.find((s) => existsSync(`${file}.${n}${s}`));
      let x = 0;
      while (existing(x) !== undefined) x++;
      for (let y = x; y > 0; y--) {
        const suffix = existing(y - 1);
        if (suffix !== undefined) renameSync(`${file}.${y - 1}${suffix}`, `${file}.${y}${suffix}`);
      }
      renameSync(file, `${file}.0`);
      return;
    }
  }
}

class LoggerImpl implements Logger {
  readonly namespace: string;
  protected readonly core: LogCore;
  readonly #bindings: LogFields;

  constructor(core: LogCore, namespace: string, bindings: LogFields) {
    this.core = core;
    this.namespace = namespace;
    this.#bindings = bindings;
  }

  error(message: string, fields?: LogFields): void {
    this.core.log('error', 0, this.namespace, this.#bindings, message, fields);
  }

  warning(message: string, fields?: LogFields): void {
    this.core.log('warning', 0, this.namespace, this.#bindings, message, fields);
  }

  notice(message: string, fields?: LogFields): void {
    this.core.log('notice', 0, this.namespace, this.#bindings, message, fields);
  }

  verbose(level: number, message: string, fields?: LogFields): void {
    this.core.log('verbose', levelOf(level, 0), this.namespace, this.#bindings, message, fields);
  }

  debug(message: string, fields?: LogFields): void;
  debug(level: number, message: string, fields?: LogFields): void;
  debug(a: string | number, b?: string | LogFields, c?: LogFields): void {
    if (typeof a === 'number') {
      this.core.log('debug', levelOf(a, 1), this.namespace, this.#bindings, typeof b === 'string' ? b : '', c);
    } else {
      this.core.log('debug', 1, this.namespace, this.#bindings, a, typeof b === 'object' ? b : undefined);
    }
  }

  dtmf(message: string, fields?: LogFields): void {
    this.core.log('dtmf', 0, this.namespace, this.#bindings, message, fields);
  }

  security(message: string, fields?: LogFields): void {
    this.core.log('security', 0, this.namespace, this.#bindings, message, fields);
  }

  isVerbose(level: number): boolean {
    return this.core.isVerbose(level);
  }

  isDebug(level: number): boolean {
    return this.core.isDebug(level);
  }

  child(namespace: string, bindings?: LogFields): Logger {
    const root = this.core.rootName;
    const name = namespace === root || namespace.startsWith(root + ':') ? namespace : `${this.namespace}:${namespace}`;
    const merged = bindings === undefined ? this.#bindings : Object.freeze({ ...this.#bindings, ...bindings });
    return new LoggerImpl(this.core, name, merged);
  }
}

class RootLoggerImpl extends LoggerImpl implements RootLogger {
  constructor(core: LogCore) {
    super(core, core.rootName, Object.freeze({}));
  }

  listChannels(): LogChannelInfo[] {
    return this.core.listChannels();
  }

  addChannel(name: string, configuration: string): void {
    this.core.addChannel(name, configuration);
  }

  deleteChannel(name: string): Promise<void> {
    return this.core.deleteChannel(name);
  }

  rotate(name: string): Promise<void> {
    return this.core.rotate(name);
  }

  rotateAll(): Promise<void> {
    return this.core.rotateAll();
  }

  reload(config: LoggerConfig): Promise<void> {
    return this.core.reload(config);
  }

  setVerbose(level: number): void {
    this.core.setVerbose(level);
  }

  getVerbose(): number {
    return this.core.getVerbose();
  }

  setDebug(level: number): void {
    this.core.setDebug(level);
  }

  getDebug(): number {
    return this.core.getDebug();
  }

  onLine(listener: LineListener): () => void {
    return this.core.addListener(listener);
  }

  flush(): Promise<void> {
    return this.core.flush();
  }

  close(): Promise<void> {
    return this.core.close();
  }
}

class TestLoggerImpl extends RootLoggerImpl implements TestLogger {
  readonly records: readonly LogRecord[];

  constructor(core: LogCore, records: readonly LogRecord[]) {
    super(core);
    this.records = records;
  }

  messages(level?: LogLevel): string[] {
    return this.records.filter((r) => level === undefined || r.level === level).map((r) => r.message);
  }
}
