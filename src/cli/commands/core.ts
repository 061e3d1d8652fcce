/**
 * Core console commands: version, uptime, settings, verbosity and debug levels, reload and stop, the module
 * table (`module show|load|unload|reload`) and `logger show channels`, printed in Asterisk's layouts.
 */

import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { AsteriskConfig } from '../../config/types.ts';
import type { ModuleRegistry, ReloadOutcome } from '../../core/modules.ts';
import { CommandFailure, UsageError } from '../registry.ts';
import type { CommandRegistry } from '../registry.ts';

/** What `core show settings` prints. Optional fields are filled in from the running process. */
export interface CoreSettingsView {
  /** The version alone, e.g. `0.1.0`. */
  readonly version: string;
  /** `maxcalls` from asterisk.conf (0 = not set). */
  readonly maxCalls: number;
  /** Channels up now; 0 when omitted. */
  readonly activeCalls?: number;
  /** `maxfiles` from asterisk.conf. */
  readonly maxFiles: number;
  /** The process's open-file limit (null = unlimited); read from /proc/self/limits when omitted. */
  readonly openFileLimit?: number | null;
  /** `verbose` from asterisk.conf (the level the server started with); the current level when omitted. */
  readonly rootVerbose?: number;
  readonly maxLoad?: number;
  /** E.g. `Linux/6.1.0 x86_64 Node.js v24.11.0`; built from `node:os` when omitted. */
  readonly system?: string;
  readonly systemName: string;
  readonly entityId: string;
  readonly pbxUuid?: string;
  readonly defaultLanguage: string;
  /** asterisk.conf `languageprefix`; true (Asterisk's default) when omitted. */
  readonly languagePrefix?: boolean;
  /** asterisk.conf `runuser`/`rungroup`; empty when not set, as Asterisk prints them. */
  readonly runUser?: string;
  readonly runGroup?: string;
  /** The process's working directory when omitted. */
  readonly runningDirectory?: string;
  /** Path of asterisk.conf; `<astetcdir>/asterisk.conf` when omitted. */
  readonly configFile?: string;
  readonly pidFile?: string;
  /** Path of the astdb file; `<astdbdir>/astdb` when omitted. */
  readonly astdbFile?: string;
  readonly directories: AsteriskConfig['directories'];
}

/** One logger channel for `logger show channels` (the shape of the logger's own channel list). */
export interface LogChannelView {
  /** File path, syslog facility, or the console's name. */
  readonly channel: string;
  readonly type: 'Console' | 'File' | 'Syslog';
  /** `default` when omitted. */
  readonly formatter?: string;
  readonly status: 'Enabled' | 'Disabled';
  /** The levels, upper case, each followed by a space: `NOTICE WARNING ERROR `. */
  readonly configuration: string;
}

export interface CoreCommandSource {
  /** The whole `core show version` line, e.g. `Ariadne 0.1.0 running on Linux x64 with Node.js v24.11.0`. */
  version(): string;
  /** Start time, epoch milliseconds. */
  readonly startedAt: number;
  /** Last reload, epoch milliseconds; 0 = never. */
  lastReloadAt(): number;
  settings(): CoreSettingsView;
  getVerbose(): number;
  setVerbose(level: number): void;
  /** The debug level; when omitted, the level last set through `core set debug` (0 at first) is shown. */
  getDebug?(): number;
  setDebug(level: number): void;
  /** Reloads everything; the text (possibly empty) is shown to the operator. */
  reload(): Promise<string>;
  /** Shuts the server down; called after the command's answer has been sent. */
  stop(mode: 'now' | 'gracefully'): Promise<void>;
  readonly modules: ModuleRegistry;
  logChannels(): readonly LogChannelView[];
  /** Messages the logger queues before dropping; 1000 when omitted. */
  loggerQueueLimit?(): number;
  /** Clock for uptimes; Date.now when omitted. */
  now?(): number;
}

/** `%-Ns` with an optional `.P` precision (cuts longer text). */
function col(text: string, width: number, precision?: number): string {
  const cut = precision === undefined ? text : text.slice(0, precision);
  return cut.padEnd(width);
}

const SECOND = 1;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const YEAR = 365 * DAY;

/**
 * Asterisk's uptime phrasing: `1 hour, 2 minutes, 3 seconds`. A unit is used only when strictly more than
 * one of it has passed, so exactly 60 s reads `60 seconds`, as Asterisk prints it.
 */
export function formatUptime(totalSeconds: number): string {
  let rest = Math.max(0, Math.floor(totalSeconds));
  const parts: string[] = [];
  const units: [number, string][] = [
    [YEAR, 'year'],
    [WEEK, 'week'],
    [DAY, 'day'],
    [HOUR, 'hour'],
    [MINUTE, 'minute'],
  ];
  for (const [size, name] of units) {
    if (rest > size) {
      const x = Math.floor(rest / size);
      rest -= x * size;
      parts.push(`${x} ${name}${x === 1 ? '' : 's'}`);
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest} second${rest === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

function setting(label: string, value: string | number): string {
  return `  ${`${label}:`.padEnd(29)}${value}\n`;
}

/** The soft `Max open files` limit from /proc/self/limits; null for unlimited, undefined when unknown. */
function readOpenFileLimit(): number | null | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    if (soft === undefined) return undefined;
    if (soft === 'unlimited') return null;
    const n = Number.parseInt(soft, 10);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

function formatSettings(s: CoreSettingsView, verbose: number, debug: number, startedAt: number, reloadedAt: number): string {
  const d = s.directories;
  const limit = s.openFileLimit === undefined ? readOpenFileLimit() : s.openFileLimit;
  let files: string;
  if (limit === null) files = 'Unlimited';
  else if (limit === undefined) files = String(s.maxFiles);
  else if (limit < s.maxFiles) files = `${limit} (is) ${s.maxFiles} (requested)`;
  else files = String(limit);
  const system = s.system ?? `${os.type()}/${os.release()} ${os.machine()} Node.js ${process.version}`;
  let out = '\nPBX Core settings\n-----------------\n';
  out += setting('Version', s.version);
  out += setting('ABI related Build Options', '(none)');
  out += setting('All Build Options', '(none)');
  out += setting('Maximum calls', s.maxCalls > 0 ? `${s.maxCalls} (Current ${s.activeCalls ?? 0})` : 'Not set');
  out += setting('Maximum open file handles', files);
  out += setting('Root console verbosity', s.rootVerbose ?? verbose);
  out += setting('Current console verbosity', verbose);
  out += setting('Debug level', debug);
  out += setting('Maximum load average', (s.maxLoad ?? 0).toFixed(6));
  out += setting('Startup time', clock(startedAt));
  if (reloadedAt > 0) out += setting('Last reload time', clock(reloadedAt));
  out += setting('System', system);
  out += setting('System name', s.systemName);
  out += setting('Entity ID', s.entityId);
  if (s.pbxUuid !== undefined) out += setting('PBX UUID', s.pbxUuid);
  out += setting('Default language', s.defaultLanguage);
  out += setting('Language prefix', s.languagePrefix ?? true ? 'Enabled' : 'Disabled');
  out += setting('User name and group', `${s.runUser ?? ''}/${s.runGroup ?? ''}`);
  out += setting('Running directory', s.runningDirectory ?? process.cwd());
  out += '\n* Directories\n  -------------\n';
  out += setting('Configuration file', s.configFile ?? `${d.astetcdir}/asterisk.conf`);
  out += setting('Configuration directory', d.astetcdir);
  out += setting('Module directory', d.astmoddir);
  out += setting('Spool directory', d.astspooldir);
  out += setting('Log directory', d.astlogdir);
  out += setting('Run/Sockets directory', d.astrundir);
  if (s.pidFile !== undefined) out += setting('PID file', s.pidFile);
  out += setting('VarLib directory', d.astvarlibdir);
  out += setting('Data directory', d.astdatadir);
  out += setting('ASTDB', s.astdbFile ?? `${d.astdbdir}/astdb`);
  out += setting('IAX2 Keys directory', d.astkeydir);
  out += setting('AGI Scripts directory', d.astagidir);
  out += setting('Cache directory', d.astcachedir);
  out += '\n\n';
  return out;
}

/** `Console verbose was OFF and is now 3.` / `... is still 3.` */
function levelChange(what: string, was: number, now: number): string {
  const show = (n: number): string => (n === 0 ? 'OFF' : String(n));
  return was === now ? `${what} is still ${show(was)}.\n` : `${what} was ${show(was)} and is now ${show(now)}.\n`;
}

/** Reads a level the way `%d` does: leading digits, optional sign; undefined when there are none. */
function parseLevel(word: string | undefined): number | undefined {
  const m = word === undefined ? null : /^\s*([+-]?\d+)/.exec(word);
  return m?.[1] === undefined ? undefined : Number.parseInt(m[1], 10);
}

/** Parses `off` | `[atleast] <level> [extra]`; `extra` is `silent` for verbose and a module for debug. */
function parseLevelArgs(args: readonly string[]): { level: number; atleast: boolean; extra?: string } {
  if (args.length === 1 && args[0]?.toLowerCase() === 'off') return { level: 0, atleast: false };
  const atleast = args[0]?.toLowerCase() === 'atleast';
  const rest = args.slice(atleast ? 1 : 0);
  if (rest.length < 1 || rest.length > 2) throw new UsageError();
  const level = parseLevel(rest[0]);
  if (level === undefined) throw new UsageError();
  return rest[1] === undefined ? { level, atleast } : { level, atleast, extra: rest[1] };
}

function describeReload(outcome: ReloadOutcome): string {
  switch (outcome.result) {
    case 'success':
      return `Module '${outcome.name}' reloaded successfully.\n`;
    case 'not-found':
      return `No such module '${outcome.name}'\n`;
    case 'not-implemented':
      return `The module '${outcome.name}' does not support reloads\n`;
    case 'not-running':
      return `The module '${outcome.name}' is not running; load it with "module load ${outcome.name}" first.\n`;
    case 'error':
      return `The module '${outcome.name}' reported a reload failure${outcome.error ? `: ${outcome.error}` : ''}\n`;
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/**
 * Registers `core show version|uptime|settings`, `core set verbose|debug`, `core reload`,
 * `core stop now|gracefully`, `module show|load|unload|reload` and `logger show channels`.
 * Returns a function that removes them.
 */
export function registerCoreCommands(registry: CommandRegistry, source: CoreCommandSource): () => void {
  const now = (): number => source.now?.() ?? Date.now();
  let lastDebug = 0;
  const getDebug = (): number => source.getDebug?.() ?? lastDebug;
  const setDebug = (level: number): void => {
    lastDebug = level;
    source.setDebug(level);
  };
  const moduleNames = (running?: boolean): string[] =>
    source.modules
      .list()
      .filter((m) => running === undefined || (m.status === 'Running') === running)
      .map((m) => m.name);

  const offs = [
    registry.register({
      words: ['core', 'show', 'version'],
      usage: 'core show version',
      summary: 'Show the version',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        write(`${source.version()}\n`);
      },
    }),
    registry.register({
      words: ['core', 'show', 'uptime'],
      display: 'core show uptime [seconds]',
      usage: 'core show uptime [seconds]',
      summary: 'Show how long the server has been running',
      description: 'Shows the time since start and since the last reload.\nWith "seconds", as a plain number of seconds.',
      handler: ({ args, write }) => {
        let seconds: boolean;
        if (args.length === 0) seconds = false;
        else if (args.length === 1 && args[0]?.toLowerCase() === 'seconds') seconds = true;
        else throw new UsageError();
        const t = now();
        const line = (label: string, since: number): string => {
          const elapsed = Math.floor((t - since) / 1000);
          return `${label}${seconds ? String(Math.max(0, elapsed)) : formatUptime(elapsed)}\n`;
        };
        let out = line('System uptime: ', source.startedAt);
        const reloaded = source.lastReloadAt();
        if (reloaded > 0) out += line('Last reload: ', reloaded);
        write(out);
      },
      complete: (args) => (args.length === 0 ? ['seconds'] : []),
    }),
    registry.register({
      words: ['core', 'show', 'settings'],
      usage: 'core show settings',
      summary: 'Show the core settings',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        write(formatSettings(source.settings(), source.getVerbose(), getDebug(), source.startedAt, source.lastReloadAt()));
      },
    }),
    registry.register({
      words: ['core', 'set', 'verbose'],
      usage: 'core set verbose [atleast] <level> [silent]\ncore set verbose off',
      summary: 'Set the console verbosity',
      description:
        'Sets how many verbose messages consoles show; 0 or off shows none.\n' +
        'With atleast, the level is only ever raised. With silent, nothing is printed.',
      handler: ({ args, write }) => {
        const { level, atleast, extra } = parseLevelArgs(args);
        if (extra !== undefined && extra.toLowerCase() !== 'silent') throw new UsageError();
        const was = source.getVerbose();
        if (!atleast || level > was) source.setVerbose(level);
        if (extra === undefined) write(levelChange('Console verbose', was, source.getVerbose()));
      },
      complete: (args) => (args.length === 0 ? ['atleast', 'off'] : []),
    }),
    registry.register({
      words: ['core', 'set', 'debug'],
      usage: 'core set debug [atleast] <level>\ncore set debug off',
      summary: 'Set the debug level',
      description: 'Sets how many debug messages are logged; 0 or off logs none.\nWith atleast, the level is only ever raised.',
      handler: ({ args, write }) => {
        const { level, atleast, extra } = parseLevelArgs(args);
        if (extra !== undefined) throw new CommandFailure('Debug levels per module are not supported.');
        const was = getDebug();
        if (!atleast || level > was) setDebug(level);
        write(levelChange('Core debug', was, getDebug()));
      },
      complete: (args) => (args.length === 0 ? ['atleast', 'off'] : []),
    }),
    registry.register({
      words: ['core', 'reload'],
      usage: 'core reload',
      summary: 'Reload the configuration of every module',
      handler: async ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        const text = await source.reload();
        if (text !== '') write(text.endsWith('\n') ? text : `${text}\n`);
      },
    }),
    ...(['now', 'gracefully'] as const).map((mode) =>
      registry.register({
        words: ['core', 'stop', mode],
        usage: `core stop ${mode}`,
        summary: mode === 'now' ? 'Shut down now, hanging up every call' : 'Stop taking new calls and shut down when the last ends',
        handler: ({ args }) => {
          if (args.length !== 0) throw new UsageError();
          // Let the answer reach the console before the control socket goes away.
          setImmediate(() => {
            source.stop(mode).catch(() => undefined);
          });
        },
      }),
    ),
    registry.register({
      words: ['module', 'show'],
      display: 'module show [like]',
      usage: 'module show [like keyword]',
      summary: 'List the modules',
      description: 'Lists the modules with their use counts and status; with like, only names containing keyword.',
      handler: ({ args, write }) => {
        let like = '';
        if (args.length === 2 && args[0]?.toLowerCase() === 'like') like = (args[1] ?? '').toLowerCase();
        else if (args.length !== 0) throw new UsageError();
        let out = `${col('Module', 30)} ${col('Description', 40, 40)} ${col('Use Count', 10)} ${col('Status', 11)} ${'Support Level'.padStart(13)}\n`;
        let count = 0;
        for (const m of source.modules.list()) {
          if (!m.name.toLowerCase().includes(like)) continue;
          out += `${col(m.name, 30)} ${col(m.description, 40, 40)} ${col(String(m.use_count), 10)} ${col(m.status, 11)} ${m.support_level.padStart(13)}\n`;
          count++;
        }
        out += `${count} modules loaded\n`;
        write(out);
      },
      complete: (args) => (args.length === 0 ? ['like'] : []),
    }),
    registry.register({
      words: ['module', 'load'],
      usage: 'module load <module name>',
      summary: 'Load a module',
      handler: async ({ args, write }) => {
        if (args.length !== 1) throw new UsageError();
        const name = args[0] ?? '';
        try {
          await source.modules.load(name);
        } catch (error) {
          throw new CommandFailure(`Unable to load module ${name}: ${errorMessage(error)}`);
        }
        write(`Loaded ${name}\n`);
      },
      complete: (args) => (args.length === 0 ? moduleNames(false) : []),
    }),
    registry.register({
      words: ['module', 'unload'],
      usage: 'module unload [-f] <module_1> [<module_2> ...]',
      summary: 'Unload modules',
      description: 'Unloads the modules named; -f unloads them even while they are in use.',
      handler: async ({ args, write }) => {
        let names = args;
        let force = false;
        if (names[0]?.startsWith('-') === true) {
          if (names[0] !== '-f' && names[0] !== '-h') throw new UsageError();
          force = true;
          names = names.slice(1);
        }
        if (names.length === 0) throw new UsageError();
        for (const name of names) {
          try {
            await source.modules.unload(name, { force });
          } catch (error) {
            throw new CommandFailure(`Unable to unload resource ${name}: ${errorMessage(error)}`);
          }
          write(`Unloaded ${name}\n`);
        }
      },
      complete: () => moduleNames(true),
    }),
    registry.register({
      words: ['module', 'reload'],
      usage: 'module reload [module ...]',
      summary: 'Reload the configuration of modules',
      description: 'Reloads the modules named, or every module that can reload when none is named.',
      handler: async ({ args, write }) => {
        if (args.length === 0) {
          await source.modules.reload();
          return;
        }
        for (const name of args) {
          for (const outcome of await source.modules.reload(name)) write(describeReload(outcome));
        }
      },
      complete: () => moduleNames(true),
    }),
    registry.register({
      words: ['logger', 'show', 'channels'],
      usage: 'logger show channels',
      summary: 'List the log channels',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        const row = (a: string, b: string, c: string, d: string): string =>
          `${col(a, 35, 35)} ${col(b, 8, 8)} ${col(c, 10, 10)} ${col(d, 9, 9)} `;
        let out = `Logger queue limit: ${source.loggerQueueLimit?.() ?? 1000}\n\n`;
        out += `${row('Channel', 'Type', 'Formatter', 'Status')}Configuration\n`;
        out += `${row('-------', '----', '---------', '------')}-------------\n`;
        for (const c of source.logChannels()) {
          out += `${row(c.channel, c.type, c.formatter ?? 'default', c.status)} - ${c.configuration}\n`;
        }
        out += '\n';
        write(out);
      },
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
