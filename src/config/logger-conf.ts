/**
 * logger.conf: where log messages go.
 *
 * `[general]` sets the timestamp format, whether the host name is appended to log file names and how
 * files are rotated; `[logfiles]` lists log channels as `name => levels`. The channel's name decides its
 * type, as in Asterisk's `main/logger.c`: `console` is the console, `syslog.<facility>` is syslog (the
 * facility defaults to local0), anything else is a file (relative to astlogdir). Levels are a comma list
 * (spaces are tolerated too) of debug, trace, notice, warning, error, verbose, dtmf, fax, security and
 * any `custom_levels`; `verbose(3)` limits verbose messages to level 3; `*` stays in the list as `*` and
 * means every level, including ones registered later. An optional `[json]`/`[plain]`/`[default]`
 * formatter may precede the levels; only the default format exists in Ariadne so far.
 *
 * Like Asterisk, the console always receives verbose messages (at the console's own verbosity), and a
 * missing logger.conf logs errors, warnings, notices and verbose messages to the console.
 *
 * Note that Asterisk's rotation default is `sequential` (main/logger.c), not `rotate` as some guides
 * say; Ariadne keeps Asterisk's default.
 */

import * as path from 'node:path';
import type { ConfEntry, ConfSection } from './parser.ts';
import { parseConfFile } from './parser.ts';
import { deepFreeze } from './freeze.ts';
import {
  concreteSections,
  DiagnosticList,
  missingFile,
  readBoolean,
  readChoice,
  readInteger,
  splitList,
  warnUnknownOption,
  warnUnknownSection,
} from './options.ts';
import type { LogChannelConfig, LoggerConfig, LogLevelName, Loaded } from './types.ts';

/** Asterisk's default timestamp format (strftime). */
export const DEFAULT_DATE_FORMAT = '%b %e %T';

export const LOG_LEVEL_NAMES: readonly LogLevelName[] = Object.freeze([
  'debug', 'trace', 'notice', 'warning', 'error', 'verbose', 'dtmf', 'fax', 'security',
]);

const ROTATE_STRATEGIES = ['none', 'sequential', 'rotate', 'timestamp'] as const;

const SYSLOG_FACILITIES: ReadonlySet<string> = new Set([
  'user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7',
  'kern', 'mail', 'daemon', 'auth', 'security', 'authpriv', 'syslog', 'ftp', 'lpr', 'news', 'uucp', 'cron',
]);

const FORMATTERS: ReadonlySet<string> = new Set(['default', 'plain', 'json']);

/** What a missing logger.conf gives, as in Asterisk. */
const DEFAULT_CHANNELS: readonly LogChannelConfig[] = [
  { name: 'console', type: 'console', levels: ['error', 'warning', 'notice', 'verbose'], verboseLevel: -1 },
];

/** Loads `<etcDir>/logger.conf`. A missing file gives a console-only default and a warning. */
export function loadLoggerConf(etcDir: string): Loaded<LoggerConfig> {
  const file = path.resolve(etcDir, 'logger.conf');
  const doc = parseConfFile(file, { configDir: etcDir });
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);

  const general = {
    dateformat: DEFAULT_DATE_FORMAT,
    appendhostname: false,
    rotatestrategy: 'sequential' as LoggerConfig['rotatestrategy'],
    customLevels: [] as string[],
  };
  const sections = concreteSections(doc);
  // [general] first: custom_levels must be known before the channels name them.
  for (const section of sections) {
    if (section.name.toLowerCase() === 'general') {
      readGeneral(section, general, diagnostics);
    }
  }
  const channels: LogChannelConfig[] = [];
  for (const section of sections) {
    const name = section.name.toLowerCase();
    if (name === 'logfiles') {
      for (const entry of section.entries) {
        const channel = readChannel(entry, general.customLevels, diagnostics);
        if (channel !== undefined) {
          channels.push(channel);
        }
      }
    } else if (name !== 'general') {
      warnUnknownSection(diagnostics, section);
    }
  }

  if (!doc.found) {
    missingFile(diagnostics, file, 'logging errors, warnings, notices and verbose messages to the console');
  }
  const value: LoggerConfig = {
    dateformat: general.dateformat,
    appendhostname: general.appendhostname,
    rotatestrategy: general.rotatestrategy,
    channels: doc.found ? channels : DEFAULT_CHANNELS.map((c) => ({ ...c, levels: [...c.levels] })),
  };
  return { value: deepFreeze(value), diagnostics: diagnostics.toArray() };
}

function readGeneral(
  section: ConfSection,
  general: { dateformat: string; appendhostname: boolean; rotatestrategy: LoggerConfig['rotatestrategy']; customLevels: string[] },
  diagnostics: DiagnosticList,
): void {
  for (const entry of section.entries) {
    switch (entry.key.toLowerCase()) {
      case 'dateformat':
        general.dateformat = entry.value;
        break;
      case 'appendhostname':
        general.appendhostname = readBoolean(entry, diagnostics, false);
        break;
      case 'rotatestrategy':
        general.rotatestrategy = readChoice(entry, diagnostics, ROTATE_STRATEGIES, 'sequential');
        break;
      case 'custom_levels':
        general.customLevels = splitList(entry.value).map((l) => l.toLowerCase());
        break;
      // Known to Asterisk; validated but not used by Ariadne (yet).
      case 'display_callids':
      case 'use_callids':
      case 'queue_log':
        readBoolean(entry, diagnostics, true);
        break;
      case 'queue_log_to_file':
      case 'queue_log_realtime_use_gmt':
        readBoolean(entry, diagnostics, false);
        break;
      case 'logger_queue_limit':
        readInteger(entry, diagnostics, 1000, { min: 10 });
        break;
      case 'queue_log_name':
      case 'exec_after_rotate':
        break;
      default:
        warnUnknownOption(diagnostics, entry, section);
    }
  }
}

function readChannel(entry: ConfEntry, customLevels: readonly string[], diagnostics: DiagnosticList): LogChannelConfig | undefined {
  const name = entry.key;
  let type: LogChannelConfig['type'] = 'file';
  if (name.toLowerCase() === 'console') {
    type = 'console';
  } else if (name.toLowerCase().startsWith('syslog')) {
    type = 'syslog';
    const dot = name.indexOf('.');
    const facility = dot < 0 || dot === name.length - 1 ? 'local0' : name.slice(dot + 1).toLowerCase();
    if (!SYSLOG_FACILITIES.has(facility)) {
      diagnostics.error(entry,
        `invalid syslog facility '${facility}' in log channel '${name}': expected one of ${[...SYSLOG_FACILITIES].join(', ')}; channel ignored`);
      return undefined;
    }
  }

  let text = entry.value;
  const open = text.indexOf('[');
  if (open >= 0) {
    const close = text.indexOf(']', open + 1);
    if (close < 0) {
      diagnostics.warn(entry, `bad formatter in log channel '${name}': '[' without ']'`);
    } else {
      const formatter = text.slice(open + 1, close).trim().toLowerCase();
      if (!FORMATTERS.has(formatter)) {
        diagnostics.warn(entry, `unknown formatter '[${formatter}]' for log channel '${name}' (expected default, plain or json); using default`);
      } else if (formatter !== 'default') {
        diagnostics.warn(entry, `formatter '[${formatter}]' for log channel '${name}' is not supported by Ariadne yet; using default`);
      }
      text = text.slice(close + 1);
    }
  }

  const levels: string[] = [];
  let verboseLevel = -1;
  // `verbose( 3 )` is one token even though spaces separate levels too.
  const tokens = splitList(text.replace(/\(\s*/g, '(').replace(/\s*\)/g, ')'), /[,\s]+/);
  for (const token of tokens) {
    const word = token.toLowerCase();
    const verbose = /^verbose\((.*)\)$/.exec(word);
    let level: string | undefined;
    if (word === '*') {
      level = '*';
    } else if (verbose !== null) {
      const limit = verbose[1] ?? '';
      if (!/^\d+$/.test(limit)) {
        diagnostics.error(entry, `invalid level '${token}' in log channel '${name}': expected verbose(<number>), e.g. verbose(3); ignored`);
        continue;
      }
      verboseLevel = Number(limit);
      level = 'verbose';
    } else if ((LOG_LEVEL_NAMES as readonly string[]).includes(word) || customLevels.includes(word)) {
      level = word;
    } else {
      diagnostics.warn(entry,
        `unknown log level '${token}' in log channel '${name}' (expected ${LOG_LEVEL_NAMES.join(', ')}, a custom level or *); ignored`);
      continue;
    }
    if (!levels.includes(level)) {
      levels.push(level);
    }
  }

  if (type === 'console') {
    // The console always shows verbose messages, at the console's own verbosity (Asterisk does the same).
    if (!levels.includes('verbose') && !levels.includes('*')) {
      levels.push('verbose');
    }
    verboseLevel = -1;
  }
  return { name, type, levels, verboseLevel };
}
