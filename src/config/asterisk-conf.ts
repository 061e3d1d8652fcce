/**
 * asterisk.conf: where everything lives (`[directories]`) and a few process-wide options (`[options]`).
 *
 * This is the first file Ariadne reads; its `astetcdir` tells the other loaders where http.conf, ari.conf
 * and friends are. Like Asterisk, a missing asterisk.conf is fine: built-in defaults apply. Unlike
 * Asterisk, whose defaults are system paths (/etc/asterisk, /var/lib/asterisk, ...) that an unprivileged
 * checkout cannot write, Ariadne's defaults stay beside the configuration:
 *
 * - `astetcdir` is the directory the asterisk.conf was looked for in;
 * - writable state goes to a per-project run area, `<astetcdir>/../.run/`: `lib` (astvarlibdir, and so
 *   astdbdir), `lib/modules` (astmoddir), `spool`, `run`, `log` and `cache`;
 * - read-only data (sounds, music on hold) comes from Debian's `/usr/share/asterisk` (astdatadir), with
 *   `agi-bin` below it as in Asterisk, and astsbindir is Asterisk's `/usr/sbin`.
 *
 * Asterisk's own follow-on defaults are kept: without `astdbdir` the database lives in astvarlibdir, and
 * without `astkeydir` keys are looked for in astdatadir (Asterisk appends `/keys` to either). Relative
 * paths in the file resolve against the file's directory. Both `=` and `=>` are accepted, as everywhere.
 */

import * as path from 'node:path';
import type { ConfEntry, ConfSection } from './parser.ts';
import { parseConfFile } from './parser.ts';
import { deepFreeze } from './freeze.ts';
import {
  concreteSections,
  DiagnosticList,
  parseBooleanWord,
  readInteger,
  warnUnknownOption,
  warnUnknownSection,
} from './options.ts';
import type { AsteriskConfig, Loaded } from './types.ts';

type Directories = { -readonly [K in keyof AsteriskConfig['directories']]: AsteriskConfig['directories'][K] };
type DirectoryName = keyof Directories;

const DIRECTORY_NAMES: readonly DirectoryName[] = [
  'astetcdir', 'astvarlibdir', 'astdbdir', 'astkeydir', 'astdatadir', 'astagidir',
  'astspooldir', 'astrundir', 'astlogdir', 'astcachedir', 'astmoddir', 'astsbindir',
];

/** Options in `[options]` that Asterisk knows and Ariadne accepts without using. */
const ACCEPTED_OPTIONS: ReadonlySet<string> = new Set([
  'timestamp', 'execincludes', 'trace', 'refdebug', 'nofork', 'alwaysfork', 'quiet', 'console',
  'highpriority', 'initcrypto', 'nocolor', 'dontwarn', 'dumpcore', 'cache_record_files',
  'cache_media_frames', 'record_cache_dir', 'transcode_via_sln', 'transmit_silence',
  'transmit_silence_during_record', 'mindtmfduration', 'rtp_use_dynamic', 'rtp_pt_dynamic', 'maxload',
  'runuser', 'rungroup', 'autosystemname', 'languageprefix', 'lockmode', 'minmemfree', 'lightbackground',
  'forceblackbackground', 'hideconnect', 'lockconfdir', 'stdexten', 'live_dangerously',
  'hide_messaging_ami_events', 'sounds_search_custom_dir', 'channel_storage_backend',
  'disable_remote_console_shell', 'documentation_language',
]);

const FILES_OPTIONS: ReadonlySet<string> = new Set(['astctlpermissions', 'astctlowner', 'astctlgroup', 'astctl']);

/** Debian installs Asterisk's sounds and music on hold here. */
const DEFAULT_DATA_DIR = '/usr/share/asterisk';
const DEFAULT_SBIN_DIR = '/usr/sbin';

/**
 * Loads asterisk.conf from `file` (relative paths are resolved against the working directory).
 *
 * @example
 * const { value, diagnostics } = loadAsteriskConf('configs/asterisk.conf');
 * value.directories.astetcdir; // absolute path of configs/
 */
export function loadAsteriskConf(file: string): Loaded<AsteriskConfig> {
  const abs = path.resolve(file);
  const fileDir = path.dirname(abs);
  const doc = parseConfFile(abs);
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);

  const set = new Map<DirectoryName, string>();
  const options = {
    verbose: 0,
    debug: 0,
    defaultlanguage: 'en',
    systemname: '',
    entityid: '',
    maxcalls: 0,
    maxfiles: 0,
  };

  for (const section of concreteSections(doc)) {
    switch (section.name.toLowerCase()) {
      case 'directories':
        readDirectories(section, fileDir, set, diagnostics);
        break;
      case 'options':
        readOptions(section, options, diagnostics);
        break;
      case 'files':
        for (const entry of section.entries) {
          if (!FILES_OPTIONS.has(entry.key.toLowerCase())) {
            warnUnknownOption(diagnostics, entry, section);
          }
        }
        break;
      case 'compat':
        break; // obsolete compatibility switches; Asterisk ignores them too
      default:
        warnUnknownSection(diagnostics, section);
    }
  }

  const value: AsteriskConfig = {
    file: abs,
    directories: resolveDirectories(fileDir, set),
    options,
  };
  return { value: deepFreeze(value), diagnostics: diagnostics.toArray() };
}

function readDirectories(
  section: ConfSection,
  fileDir: string,
  set: Map<DirectoryName, string>,
  diagnostics: DiagnosticList,
): void {
  for (const entry of section.entries) {
    const name = DIRECTORY_NAMES.find((n) => n === entry.key.toLowerCase());
    if (name === undefined) {
      warnUnknownOption(diagnostics, entry, section);
      continue;
    }
    if (entry.value === '') {
      diagnostics.error(entry, `invalid value '' for '${entry.key}': expected a directory path; using the default`);
      continue;
    }
    set.set(name, path.resolve(fileDir, entry.value));
  }
}

function resolveDirectories(fileDir: string, set: ReadonlyMap<DirectoryName, string>): Directories {
  const runArea = path.resolve(fileDir, '..', '.run');
  const astvarlibdir = set.get('astvarlibdir') ?? path.join(runArea, 'lib');
  const astdatadir = set.get('astdatadir') ?? DEFAULT_DATA_DIR;
  return {
    astetcdir: set.get('astetcdir') ?? fileDir,
    astvarlibdir,
    astdbdir: set.get('astdbdir') ?? astvarlibdir,
    astkeydir: set.get('astkeydir') ?? astdatadir,
    astdatadir,
    astagidir: set.get('astagidir') ?? path.join(astdatadir, 'agi-bin'),
    astspooldir: set.get('astspooldir') ?? path.join(runArea, 'spool'),
    astrundir: set.get('astrundir') ?? path.join(runArea, 'run'),
    astlogdir: set.get('astlogdir') ?? path.join(runArea, 'log'),
    astcachedir: set.get('astcachedir') ?? path.join(runArea, 'cache'),
    astmoddir: set.get('astmoddir') ?? path.join(runArea, 'lib', 'modules'),
    astsbindir: set.get('astsbindir') ?? DEFAULT_SBIN_DIR,
  };
}

const ENTITY_ID = /^[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}$/i;

function readOptions(
  section: ConfSection,
  options: { -readonly [K in keyof AsteriskConfig['options']]: AsteriskConfig['options'][K] },
  diagnostics: DiagnosticList,
): void {
  for (const entry of section.entries) {
    const key = entry.key.toLowerCase();
    switch (key) {
      case 'verbose':
        options.verbose = readInteger(entry, diagnostics, 0, { min: 0 });
        break;
      case 'debug':
        options.debug = readDebugLevel(entry, diagnostics);
        break;
      case 'maxcalls':
        options.maxcalls = readInteger(entry, diagnostics, 0, { min: 0 });
        break;
      case 'maxfiles':
        options.maxfiles = readInteger(entry, diagnostics, 0, { min: 0 });
        break;
      case 'systemname':
        options.systemname = entry.value;
        break;
      case 'defaultlanguage':
        if (entry.value === '') {
          diagnostics.error(entry, `invalid value '' for 'defaultlanguage': expected a language code such as en; using the default en`);
        } else {
          options.defaultlanguage = entry.value;
        }
        break;
      case 'entityid':
        options.entityid = readEntityId(entry, diagnostics, options.entityid);
        break;
      default:
        if (!ACCEPTED_OPTIONS.has(key)) {
          warnUnknownOption(diagnostics, entry, section);
        }
    }
  }
}

/** `debug` is a level, or a boolean word meaning 1 or 0 (as Asterisk reads it). */
function readDebugLevel(entry: ConfEntry, diagnostics: DiagnosticList): number {
  const word = parseBooleanWord(entry.value);
  if (word !== undefined && !/^\d+$/.test(entry.value.trim())) {
    return word ? 1 : 0;
  }
  return readInteger(entry, diagnostics, 0, { min: 0 });
}

/** The entity id is six hex octets separated by colons (a MAC address); kept as two lowercase digits each. */
function readEntityId(entry: ConfEntry, diagnostics: DiagnosticList, fallback: string): string {
  const text = entry.value.trim();
  if (!ENTITY_ID.test(text)) {
    diagnostics.error(entry,
      `invalid value '${entry.value}' for 'entityid': expected six hex octets like 00:11:22:33:44:55; ${fallback === '' ? 'deriving it from a MAC address' : `keeping ${fallback}`}`);
    return fallback;
  }
  return text.split(':').map((octet) => octet.toLowerCase().padStart(2, '0')).join(':');
}
