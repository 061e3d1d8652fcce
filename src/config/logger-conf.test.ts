import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadLoggerConf } from './logger-conf.ts';
import { formatDiagnostic } from './parser.ts';
import { REFERENCE_CONFIG_DIR } from '../../test/helpers/reference.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const REFERENCE = REFERENCE_CONFIG_DIR;

function withLoggerConf(text: string | undefined, run: (dir: string, file: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-logger-conf-'));
  try {
    const file = path.join(dir, 'logger.conf');
    if (text !== undefined) {
      fs.writeFileSync(file, text);
    }
    run(dir, file);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the project's configs/logger.conf loads cleanly", () => {
  const { value, diagnostics } = loadLoggerConf(path.join(REPO, 'configs'));
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(value, {
    dateformat: '%b %e %T',
    appendhostname: false,
    rotatestrategy: 'sequential',
    channels: [
      { name: 'console', type: 'console', levels: ['notice', 'warning', 'error', 'verbose'], verboseLevel: -1 },
      { name: 'messages.log', type: 'file', levels: ['notice', 'warning', 'error'], verboseLevel: -1 },
    ],
  });
});

test('the Asterisk reference logger.conf: the console always gets verbose, as in Asterisk', () => {
  const { value, diagnostics } = loadLoggerConf(REFERENCE);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(value.channels.map((c) => [c.name, c.type, c.levels.join(',')]), [
    ['console', 'console', 'notice,warning,error,verbose'],
    ['messages.log', 'file', 'notice,warning,error'],
  ]);
});

test('a missing logger.conf: errors, warnings, notices and verbose to the console, with a warning', () => {
  withLoggerConf(undefined, (dir, file) => {
    const { value, diagnostics } = loadLoggerConf(dir);
    assert.deepEqual(value.channels, [
      { name: 'console', type: 'console', levels: ['error', 'warning', 'notice', 'verbose'], verboseLevel: -1 },
    ]);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.file, d.line]), [['warning', file, 0]]);
  });
});

test('general options and every channel form: syslog, verbose(n), *, spaces, formatters, custom levels', () => {
  withLoggerConf([
    '[general]',
    'dateformat = %F %T.%3q',
    'appendhostname = yes',
    'rotatestrategy = Rotate',
    'use_callids = no',
    'queue_log = no',
    'logger_queue_limit = 250',
    'custom_levels = important, compliance',
    'exec_after_rotate = gzip -9 ${filename}.2',
    '[logfiles]',
    'full.log => notice warning error debug verbose( 3 ) dtmf fax',
    'security.log => security',
    'everything.log => verbose(5),*',
    'syslog.local3 => notice,warning',
    'syslog => error',
    'full-json.log => [json]debug,verbose,notice',
    'important.log = important',
    '/var/log/abs.log => ERROR',
  ].join('\n'), (dir) => {
    const { value, diagnostics } = loadLoggerConf(dir);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['warning', 16]], 'only the unsupported json formatter warns');
    assert.equal(value.dateformat, '%F %T.%3q');
    assert.equal(value.appendhostname, true);
    assert.equal(value.rotatestrategy, 'rotate');
    assert.deepEqual(value.channels, [
      { name: 'full.log', type: 'file', levels: ['notice', 'warning', 'error', 'debug', 'verbose', 'dtmf', 'fax'], verboseLevel: 3 },
      { name: 'security.log', type: 'file', levels: ['security'], verboseLevel: -1 },
      { name: 'everything.log', type: 'file', levels: ['verbose', '*'], verboseLevel: 5 },
      { name: 'syslog.local3', type: 'syslog', levels: ['notice', 'warning'], verboseLevel: -1 },
      { name: 'syslog', type: 'syslog', levels: ['error'], verboseLevel: -1 },
      { name: 'full-json.log', type: 'file', levels: ['debug', 'verbose', 'notice'], verboseLevel: -1 },
      { name: 'important.log', type: 'file', levels: ['important'], verboseLevel: -1 },
      { name: '/var/log/abs.log', type: 'file', levels: ['error'], verboseLevel: -1 },
    ]);
  });
});

test('invalid values: errors name file:line, the value and the accepted values', () => {
  withLoggerConf([
    '[general]',
    'rotatestrategy = shuffle', // 2
    'appendhostname = sure', // 3
    'logger_queue_limit = 5', // 4
    '[logfiles]',
    'syslog.local9 => error', // 6
    'x.log => notice,verbose(lots)', // 7
    'y.log => notice,chatter', // 8
    'console => *', // 9
  ].join('\n'), (dir, file) => {
    const { value, diagnostics } = loadLoggerConf(dir);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [
      ['error', 2], ['error', 3], ['error', 4], ['error', 6], ['error', 7], ['warning', 8],
    ]);
    assert.equal(formatDiagnostic(diagnostics[0]!),
      `${file}:2: error: invalid value 'shuffle' for 'rotatestrategy': expected one of none, sequential, rotate, timestamp; using the default sequential`);
    assert.match(diagnostics[3]!.message, /invalid syslog facility 'local9'/);
    assert.match(diagnostics[5]!.message, /unknown log level 'chatter'/);
    assert.equal(value.rotatestrategy, 'sequential');
    assert.equal(value.appendhostname, false);
    assert.deepEqual(value.channels, [
      { name: 'x.log', type: 'file', levels: ['notice'], verboseLevel: -1 },
      { name: 'y.log', type: 'file', levels: ['notice'], verboseLevel: -1 },
      { name: 'console', type: 'console', levels: ['*'], verboseLevel: -1 },
    ]);
  });
});

test('unknown options and sections warn', () => {
  withLoggerConf('[general]\nloudness = 11\n[extras]\n', (dir, file) => {
    const { diagnostics } = loadLoggerConf(dir);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['warning', 2], ['warning', 3]]);
    assert.equal(formatDiagnostic(diagnostics[0]!), `${file}:2: warning: unknown option 'loudness' in [general] of logger.conf; ignored`);
  });
});

test('the loaded value is deep-frozen', () => {
  const { value } = loadLoggerConf(path.join(REPO, 'configs'));
  assert.throws(() => {
    (value.channels as unknown as unknown[]).pop();
  }, TypeError);
  assert.throws(() => {
    (value.channels[0]!.levels as string[]).push('debug');
  }, TypeError);
});
