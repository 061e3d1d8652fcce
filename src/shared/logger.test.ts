import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createTestLogger, formatLogDate, silentLogger, toPino } from './logger.ts';
import type { CreateLoggerOptions, LogRecord, RootLogger } from './logger.ts';
import type { LogChannelConfig, LoggerConfig } from '../config/types.ts';
import { AriadneError } from './errors.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ariadne-logger-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A console stream that keeps what is written. */
function capture(): { write(chunk: string): boolean; text(): string; lines(): string[] } {
  let buf = '';
  return {
    write(chunk: string): boolean {
      buf += chunk;
      return true;
    },
    text: () => buf,
    lines: () => buf.split('\n').filter((l) => l !== ''),
  };
}

function channel(name: string, levels: readonly string[], verboseLevel = -1): LogChannelConfig {
  const type = name === 'console' ? 'console' : name.startsWith('syslog') ? 'syslog' : 'file';
  return { name, type, levels, verboseLevel };
}

function config(channels: readonly LogChannelConfig[], extra: Partial<LoggerConfig> = {}): LoggerConfig {
  return { dateformat: '%s', appendhostname: false, rotatestrategy: 'rotate', channels, ...extra };
}

const NOW = Date.UTC(2026, 10, 27, 7, 12, 3, 456);

function make(sub: string, channels: readonly LogChannelConfig[], opts: Partial<CreateLoggerOptions> = {}) {
  const logDir = join(dir, sub);
  const out = capture();
  const log = createLogger({ config: config(channels), logDir, console: out, pid: 4242, now: () => NOW, ...opts });
  return { log, out, logDir };
}

function read(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AriadneError ? err.code : `not an AriadneError: ${String(err)}`;
  }
  return undefined;
}

test('file channels receive their levels only, in the Asterisk line format', async () => {
  const { log, logDir, out } = make('levels', [channel('console', ['error']), channel('messages', ['notice', 'warning', 'error'])], {
    verbose: 10,
    debug: 10,
  });
  const http = log.child('http');
  http.notice('listening', { port: 8088 });
  http.warning('slow client');
  http.error('boom');
  http.verbose(1, 'a verbose line');
  http.debug('a debug line');
  http.dtmf('DTMF 5');
  http.security('failed auth');
  await log.flush();
  const seconds = Math.floor(NOW / 1000);
  assert.deepEqual(read(join(logDir, 'messages')), [
    `[${seconds}] NOTICE[4242] http: listening [port:8088]`,
    `[${seconds}] WARNING[4242] http: slow client`,
    `[${seconds}] ERROR[4242] http: boom`,
  ]);
  // The console has error only, plus verbose which a console always carries.
  assert.deepEqual(out.lines(), [`[${seconds}] ERROR[4242] http: boom`, ' a verbose line']);
  await log.close();
});

test('verbose(3) is produced only while the verbosity is at least 3', async () => {
  const { log, out } = make('verbose', [channel('console', ['notice'])]);
  log.verbose(3, 'hidden');
  assert.equal(log.isVerbose(3), false);
  log.setVerbose(2);
  log.verbose(3, 'still hidden');
  log.verbose(2, 'level two');
  log.setVerbose(3);
  assert.equal(log.getVerbose(), 3);
  assert.equal(log.isVerbose(3), true);
  log.verbose(3, 'shown');
  log.verbose(4, 'too deep');
  log.verbose(3, 'two\nlines');
  assert.deepEqual(out.lines(), ['  == level two', '    -- shown', '    -- two', '    -- lines']);
  await log.close();
});

test('a file channel with verbose(N) has its own limit; plain verbose follows the global verbosity', async () => {
  const { log, logDir } = make('verbose-file', [channel('own', ['verbose'], 5), channel('global', ['verbose'])], { verbose: 1 });
  assert.equal(log.isVerbose(5), true, 'a channel wanting level 5 makes level 5 worth producing');
  log.verbose(1, 'one');
  log.verbose(4, 'four');
  log.verbose(6, 'six');
  await log.flush();
  const s = Math.floor(NOW / 1000);
  assert.deepEqual(read(join(logDir, 'own')), [`[${s}] VERBOSE[4242] ariadne: one`, `[${s}] VERBOSE[4242] ariadne: four`]);
  assert.deepEqual(read(join(logDir, 'global')), [`[${s}] VERBOSE[4242] ariadne: one`]);
  await log.close();
});

test('debug(n) needs the debug level and a channel with debug', async () => {
  const { log, out } = make('debug', [channel('console', ['debug'])]);
  log.debug('at level 0 nothing');
  log.setDebug(2);
  assert.equal(log.getDebug(), 2);
  log.debug('level one by default');
  log.debug(2, 'level two', { id: 7 });
  log.debug(3, 'level three');
  assert.equal(log.isDebug(2), true);
  assert.equal(log.isDebug(3), false);
  const s = Math.floor(NOW / 1000);
  assert.deepEqual(out.lines(), [`[${s}] DEBUG[4242] ariadne: level one by default`, `[${s}] DEBUG[4242] ariadne: level two [id:7]`]);
  await log.close();
});

test('child namespaces and bindings', async () => {
  const { log, out } = make('child', [channel('console', ['notice'])]);
  const auth = log.child('http').child('auth', { user: 'asterisk' });
  assert.equal(auth.namespace, 'ariadne:http:auth');
  auth.notice('denied', { from: '10.0.0.1', tries: 3, detail: { a: 1 }, err: new Error('bad password') });
  const ari = log.child('http').child('ariadne:ari');
  assert.equal(ari.namespace, 'ariadne:ari');
  ari.notice('absolute');
  const s = Math.floor(NOW / 1000);
  assert.deepEqual(out.lines(), [
    `[${s}] NOTICE[4242] http:auth: denied [user:asterisk, from:10.0.0.1, tries:3, detail:{"a":1}, err:bad password]`,
    `[${s}] NOTICE[4242] ari: absolute`,
  ]);
  await log.close();
});

test('listChannels describes channels as Asterisk does, newest first', async () => {
  const { log, logDir } = make('list', [
    channel('console', ['notice', 'warning', 'error']),
    channel('messages.log', ['notice', 'warning', 'error', 'verbose'], 3),
    channel('full', ['*']),
  ]);
  assert.deepEqual(log.listChannels(), [
    {
      channel: join(logDir, 'full'),
      type: 'File',
      status: 'Enabled',
      configuration: 'DEBUG TRACE NOTICE WARNING ERROR VERBOSE DTMF FAX SECURITY ',
    },
    { channel: join(logDir, 'messages.log'), type: 'File', status: 'Enabled', configuration: 'NOTICE WARNING ERROR VERBOSE ' },
    { channel: '', type: 'Console', status: 'Enabled', configuration: 'NOTICE WARNING ERROR VERBOSE ' },
  ]);
  await log.close();
});

test('addChannel and deleteChannel at run time', async () => {
  const { log, logDir } = make('add', [channel('console', ['error']), channel('messages', ['notice'])]);
  log.addChannel('extra.log', ' notice, verbose(3) ');
  const listed = log.listChannels()[0];
  assert.deepEqual(listed, { channel: join(logDir, 'extra.log'), type: 'File', status: 'Enabled', configuration: 'NOTICE VERBOSE ' });
  log.notice('to both');
  log.verbose(3, 'only extra');
  await log.flush();
  assert.equal(read(join(logDir, 'extra.log')).length, 2);
  assert.equal(read(join(logDir, 'messages')).length, 1);

  assert.equal(codeOf(() => log.addChannel('extra.log', 'error')), 'ERR_CONFLICT');
  assert.equal(codeOf(() => log.addChannel(join(logDir, 'messages'), 'error')), 'ERR_CONFLICT', 'matched by resolved path');
  assert.equal(codeOf(() => log.addChannel('console', 'error')), 'ERR_CONFLICT');
  assert.equal(codeOf(() => log.addChannel('other', '  ')), 'ERR_INVALID_PARAMETER');

  assert.equal(codeOf(() => log.deleteChannel('messages')), 'ERR_NOT_FOUND', 'configured channels cannot be deleted');
  assert.equal(codeOf(() => log.deleteChannel('nope')), 'ERR_NOT_FOUND');
  await log.deleteChannel('extra.log');
  assert.equal(log.listChannels().length, 2);
  log.notice('after delete');
  await log.flush();
  assert.equal(read(join(logDir, 'extra.log')).length, 2);
  assert.equal(read(join(logDir, 'messages')).length, 2);
  await log.close();
});

test('rotate renames the file to .0, shifting older copies, and reopens it', async () => {
  const { log, logDir } = make('rotate', [channel('console', ['error']), channel('messages', ['notice'])]);
  const file = join(logDir, 'messages');
  log.notice('first');
  await log.rotate('messages');
  log.notice('second');
  await log.flush();
  assert.deepEqual(read(`${file}.0`).map((l) => l.split(': ')[1]), ['first']);
  assert.deepEqual(read(file).map((l) => l.split(': ')[1]), ['second']);

  // Lines logged right before the rotation, still in flight, stay with the old file.
  log.notice('third');
  await log.rotate('messages');
  await log.flush();
  assert.deepEqual(read(`${file}.1`).map((l) => l.split(': ')[1]), ['first']);
  assert.deepEqual(read(`${file}.0`).map((l) => l.split(': ')[1]), ['second', 'third']);
  assert.equal(readFileSync(file, 'utf8'), '');

  assert.equal(codeOf(() => log.rotate('nope')), 'ERR_NOT_FOUND');
  assert.equal(codeOf(() => log.rotate('console')), 'ERR_NOT_FOUND');
  await log.close();
});

test('rotate keeps compressed copies in the sequence; sequential and timestamp strategies', async () => {
  {
    const { log, logDir } = make('rotate-gz', [channel('messages', ['notice'])]);
    const file = join(logDir, 'messages');
    writeFileSync(`${file}.0.gz`, 'compressed');
    log.notice('current');
    await log.rotate('messages');
    await log.flush();
    assert.equal(readFileSync(`${file}.1.gz`, 'utf8'), 'compressed');
    assert.equal(read(`${file}.0`).length, 1);
    await log.close();
  }
  {
    const logDir = join(dir, 'rotate-seq');
    const log = createLogger({
      config: config([channel('messages', ['notice'])], { rotatestrategy: 'sequential' }),
      logDir,
      console: capture(),
      now: () => NOW,
    });
    const file = join(logDir, 'messages');
    log.notice('a');
    await log.rotate('messages');
    log.notice('b');
    await log.rotate('messages');
    await log.flush();
    assert.equal(read(`${file}.0`)[0]?.endsWith(': a'), true);
    assert.equal(read(`${file}.1`)[0]?.endsWith(': b'), true);
    await log.close();
  }
  {
    const logDir = join(dir, 'rotate-ts');
    const log = createLogger({
      config: config([channel('messages', ['notice'])], { rotatestrategy: 'timestamp' }),
      logDir,
      console: capture(),
      now: () => NOW,
    });
    log.notice('a');
    await log.rotate('messages');
    await log.flush();
    assert.equal(existsSync(join(logDir, `messages.${Math.floor(NOW / 1000)}`)), true);
    await log.close();
  }
});

test('syslog channels are listed as disabled with a warning', async () => {
  const { log, out } = make('syslog', [channel('console', ['warning']), channel('syslog.local0', ['notice'])]);
  const syslog = log.listChannels().find((c) => c.type === 'Syslog');
  assert.deepEqual(syslog, { channel: 'syslog.local0', type: 'Syslog', status: 'Disabled', configuration: 'NOTICE ' });
  assert.match(out.text(), /WARNING\[4242\] ariadne: Syslog logging is not supported yet; log channel 'syslog.local0' is disabled/);
  await log.close();
});

test('absolute file names are kept; appendhostname adds the host name', async () => {
  const abs = join(dir, 'absolute', 'abs.log');
  const logDir = join(dir, 'host');
  const log = createLogger({
    config: config([channel(abs, ['notice']), channel('rel', ['notice'])], { appendhostname: true }),
    logDir,
    console: capture(),
    hostname: 'pbx1',
  });
  assert.deepEqual(
    log.listChannels().map((c) => c.channel),
    [join(logDir, 'rel.pbx1'), `${abs}.pbx1`],
  );
  log.notice('x');
  await log.flush();
  assert.equal(read(`${abs}.pbx1`).length, 1);
  assert.equal(read(join(logDir, 'rel.pbx1')).length, 1);
  await log.rotate('rel');
  assert.equal(existsSync(join(logDir, 'rel.pbx1.0')), true);
  await log.close();
});

test('an unopenable file: configured channel disabled with an error, addChannel throws', async () => {
  const blocker = join(dir, 'blocker');
  writeFileSync(blocker, 'a file where a directory should be');
  const { log, out } = make('unopenable', [channel('console', ['error']), channel(join(blocker, 'messages'), ['notice'])]);
  assert.equal(log.listChannels().find((c) => c.type === 'File')?.status, 'Disabled');
  assert.match(out.text(), /ERROR\[4242\] ariadne: Unable to open log file/);
  assert.throws(() => log.addChannel(join(blocker, 'other'), 'notice'), /Unable to open log file/);
  assert.equal(log.listChannels().length, 2);
  log.notice('goes nowhere');
  await log.flush();
  await log.close();
});

test('onLine gets the console text and the record of every message produced', async () => {
  const { log } = make('online', [channel('console', ['error'])], { verbose: 3 });
  const seen: [string, LogRecord][] = [];
  const stop = log.onLine((line, record) => seen.push([line, record]));
  log.onLine(() => {
    throw new Error('a broken listener is ignored');
  });
  log.child('cli').verbose(3, 'hello', { a: 1 });
  log.notice('not on any channel but still produced');
  log.verbose(4, 'above the verbosity: not produced');
  stop();
  log.error('after stop');
  assert.equal(seen.length, 2);
  const [line, record] = seen[0] ?? ['', undefined];
  assert.equal(line, '    -- hello [a:1]');
  assert.equal(record?.level, 'verbose');
  assert.equal(record?.sublevel, 3);
  assert.equal(record?.namespace, 'ariadne:cli');
  assert.equal(record?.message, 'hello [a:1]');
  assert.deepEqual(record?.fields, { a: 1 });
  assert.equal(record?.line, `[${Math.floor(NOW / 1000)}] VERBOSE[4242] cli: hello [a:1]`);
  assert.equal(seen[1]?.[0], `[${Math.floor(NOW / 1000)}] NOTICE[4242] ariadne: not on any channel but still produced`);
  await log.close();
});

test('reload replaces every channel, including those added at run time', async () => {
  const { log, logDir } = make('reload', [channel('one', ['notice'])]);
  log.addChannel('added', 'notice');
  log.notice('before');
  await log.reload(config([channel('two', ['warning'])]));
  assert.deepEqual(
    log.listChannels().map((c) => c.channel),
    [join(logDir, 'two')],
  );
  log.notice('after');
  log.warning('warned');
  await log.flush();
  assert.equal(read(join(logDir, 'one')).length, 1);
  assert.equal(read(join(logDir, 'added')).length, 1);
  assert.deepEqual(read(join(logDir, 'two')).map((l) => l.split(': ')[1]), ['warned']);
  await log.close();
});

test('without a configuration the console shows error, warning, notice and verbose', async () => {
  const out = capture();
  const log = createLogger({ console: out, verbose: 1, pid: 1, now: () => NOW });
  assert.deepEqual(log.listChannels(), [{ channel: '', type: 'Console', status: 'Enabled', configuration: 'NOTICE WARNING ERROR VERBOSE ' }]);
  log.notice('n');
  log.verbose(1, 'v');
  log.dtmf('d');
  assert.equal(out.lines().length, 2);
  await log.close();
});

test('close stops writing and leaves the files complete', async () => {
  const { log, logDir } = make('close', [channel('messages', ['notice'])]);
  for (let i = 0; i < 200; i++) log.notice(`line ${i}`);
  await log.close();
  assert.equal(read(join(logDir, 'messages')).length, 200);
  log.notice('after close');
  assert.deepEqual(log.listChannels(), []);
  assert.equal(codeOf(() => log.addChannel('x', 'notice')), 'ERR_INVALID_STATE');
});

test('createTestLogger keeps records; silentLogger drops everything', () => {
  const log = createTestLogger();
  log.child('sip').verbose(5, 'deep', { call: 'abc' });
  log.debug(9, 'debugging');
  log.warning('careful');
  assert.equal(log.records.length, 3);
  assert.deepEqual(log.messages('verbose'), ['deep [call:abc]']);
  assert.deepEqual(log.messages('warning'), ['careful']);
  assert.deepEqual(log.listChannels(), []);

  const quiet = createTestLogger({ verbose: 0, debug: 0 });
  quiet.verbose(1, 'no');
  quiet.debug('no');
  quiet.error('yes');
  assert.deepEqual(quiet.messages(), ['yes']);

  const silent = silentLogger();
  silent.error('nothing happens');
  assert.equal(silent.child('x').namespace, 'ariadne:x');
});

test('toPino routes pino output into the logger', () => {
  const log = createTestLogger();
  const p = toPino(log.child('http'));
  p.info('not at the default warn threshold');
  p.warn({ reqId: 'req-1' }, 'slow');
  p.error('failed');
  const verbose = toPino(log, { level: 'trace' });
  verbose.info('info');
  verbose.debug('debug');
  verbose.trace('trace');
  assert.deepEqual(
    log.records.map((r: LogRecord) => [r.level, r.sublevel, r.namespace, r.message]),
    [
      ['warning', 0, 'ariadne:http', 'slow [reqId:req-1]'],
      ['error', 0, 'ariadne:http', 'failed'],
      ['verbose', 3, 'ariadne', 'info'],
      ['debug', 1, 'ariadne', 'debug'],
      ['debug', 5, 'ariadne', 'trace'],
    ],
  );
});

test('formatLogDate implements the strftime subset of logger.conf dateformat', () => {
  const ms = new Date(2026, 10, 7, 8, 2, 3, 45).getTime(); // local time
  assert.equal(formatLogDate(ms, '%b %e %T'), 'Nov  7 08:02:03');
  assert.equal(formatLogDate(ms, '%F %T.%3q'), '2026-11-07 08:02:03.045');
  assert.equal(formatLogDate(ms, '%d/%m/%y %H:%M %p %a %A %B %j %%'), '07/11/26 08:02 AM Sat Saturday November 311 %');
  assert.equal(formatLogDate(ms, '%q|%6q|%1q'), '045|045000|0');
  assert.equal(formatLogDate(ms, '%s'), String(Math.floor(ms / 1000)));
  assert.match(formatLogDate(ms, '%z'), /^[+-]\d{4}$/);
  assert.equal(formatLogDate(ms, '%Q stays'), '%Q stays');
});

test('a logger used before its file is open loses nothing', async () => {
  const { log, logDir } = make('early', [channel('messages', ['notice'])]);
  log.notice('immediately');
  await log.rotate('messages');
  await log.flush();
  assert.equal(read(join(logDir, 'messages.0')).length, 1);
  assert.equal(readFileSync(join(logDir, 'messages'), 'utf8'), '');
  await log.close();
});

// Keeps the RootLogger type in use for readers: every root logger is also a Logger.
const _typeCheck: (l: RootLogger) => void = (l) => l.child('x');
void _typeCheck;
