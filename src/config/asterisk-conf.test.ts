import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAsteriskConf } from './asterisk-conf.ts';
import { formatDiagnostic } from './parser.ts';
import { REFERENCE_CONFIG_DIR } from '../../test/helpers/reference.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const REFERENCE = REFERENCE_CONFIG_DIR;

function withDir(run: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-asterisk-conf-'));
  try {
    run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the project's configs/asterisk.conf loads cleanly, paths relative to configs/", () => {
  const { value, diagnostics } = loadAsteriskConf(path.join(REPO, 'configs', 'asterisk.conf'));
  assert.deepEqual(diagnostics, []);
  const configs = path.join(REPO, 'configs');
  const run = path.join(REPO, '.run');
  assert.equal(value.file, path.join(configs, 'asterisk.conf'));
  assert.deepEqual(value.directories, {
    astetcdir: configs,
    astvarlibdir: path.join(run, 'lib'),
    astdbdir: path.join(run, 'lib'),
    astkeydir: '/usr/share/asterisk',
    astdatadir: '/usr/share/asterisk',
    astagidir: '/usr/share/asterisk/agi-bin',
    astspooldir: path.join(run, 'spool'),
    astrundir: path.join(run, 'run'),
    astlogdir: path.join(run, 'log'),
    astcachedir: path.join(run, 'cache'),
    astmoddir: path.join(run, 'lib', 'modules'),
    astsbindir: '/usr/sbin',
  });
  assert.equal(value.options.defaultlanguage, 'en');
  assert.equal(value.options.verbose, 0);
});

test('the Asterisk reference asterisk.conf loads with its absolute paths and options', () => {
  const { value, diagnostics } = loadAsteriskConf(path.join(REFERENCE, 'asterisk.conf'));
  assert.deepEqual(diagnostics, []);
  assert.equal(value.directories.astetcdir, '/opt/asterisk/etc/asterisk');
  assert.equal(value.directories.astdbdir, '/opt/asterisk/var/lib/asterisk');
  assert.equal(value.directories.astsbindir, '/opt/asterisk/sbin');
  assert.equal(value.options.maxfiles, 8192);
  assert.equal(value.options.debug, 0);
});

test('a missing asterisk.conf is no problem: defaults around the directory it was looked for in', () => {
  withDir((dir) => {
    const etc = path.join(dir, 'etc');
    const { value, diagnostics } = loadAsteriskConf(path.join(etc, 'asterisk.conf'));
    assert.deepEqual(diagnostics, []);
    assert.equal(value.directories.astetcdir, etc);
    assert.equal(value.directories.astvarlibdir, path.join(dir, '.run', 'lib'));
    assert.equal(value.directories.astlogdir, path.join(dir, '.run', 'log'));
    assert.deepEqual(value.options, {
      verbose: 0, debug: 0, defaultlanguage: 'en', systemname: '', entityid: '', maxcalls: 0, maxfiles: 0,
    });
  });
});

test('relative paths resolve against the file; = and => both work; db and key dirs follow Asterisk', () => {
  withDir((dir) => {
    const file = path.join(dir, 'asterisk.conf');
    fs.writeFileSync(file, [
      '[directories]',
      'astetcdir => .',
      'astvarlibdir = var/lib',
      'astdatadir => /data',
      'astlogdir => /abs/log',
      '[options]',
      'verbose = 3',
      'debug = yes',
      'systemname = pbx1',
      'entityid = 0:11:22:aa:BB:c',
      'maxcalls = 10',
      'defaultlanguage = fr',
      'documentation_language = en_US',
      'nocolor = yes',
    ].join('\n'));
    const { value, diagnostics } = loadAsteriskConf(file);
    assert.deepEqual(diagnostics, []);
    assert.equal(value.directories.astetcdir, dir);
    assert.equal(value.directories.astvarlibdir, path.join(dir, 'var', 'lib'));
    assert.equal(value.directories.astdbdir, path.join(dir, 'var', 'lib'));
    assert.equal(value.directories.astkeydir, '/data');
    assert.equal(value.directories.astagidir, '/data/agi-bin');
    assert.equal(value.directories.astlogdir, '/abs/log');
    assert.deepEqual(value.options, {
      verbose: 3, debug: 1, defaultlanguage: 'fr', systemname: 'pbx1', entityid: '00:11:22:aa:bb:0c', maxcalls: 10, maxfiles: 0,
    });
  });
});

test('invalid values are errors naming file:line, the value and what is accepted; defaults are kept', () => {
  withDir((dir) => {
    const file = path.join(dir, 'asterisk.conf');
    fs.writeFileSync(file, '[options]\nverbose = loud\nmaxcalls = -1\nentityid = nope\ndebug = maybe\n[directories]\nastlogdir =\n');
    const { value, diagnostics } = loadAsteriskConf(file);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['error', 2], ['error', 3], ['error', 4], ['error', 5], ['error', 7]]);
    assert.equal(formatDiagnostic(diagnostics[0]!),
      `${file}:2: error: invalid value 'loud' for 'verbose': expected an integer of at least 0; using the default 0`);
    assert.match(diagnostics[2]!.message, /'nope' for 'entityid': expected six hex octets/);
    assert.equal(value.options.verbose, 0);
    assert.equal(value.options.maxcalls, 0);
    assert.equal(value.options.entityid, '');
    assert.equal(value.directories.astlogdir, path.join(path.dirname(dir), '.run', 'log'));
  });
});

test('unknown options and sections warn with file:line; a [directories](!) template is ignored, as in Asterisk', () => {
  withDir((dir) => {
    const file = path.join(dir, 'asterisk.conf');
    fs.writeFileSync(file, '[directories](!)\nastlogdir => /ignored\n[options]\nfrobnicate = 1\n[mystery]\nx = 1\n[files]\nastctl = a.ctl\n');
    const { value, diagnostics } = loadAsteriskConf(file);
    assert.deepEqual(diagnostics.map((d) => [d.level, d.line]), [['warning', 4], ['warning', 5]]);
    assert.match(diagnostics[0]!.message, /unknown option 'frobnicate' in \[options\] of asterisk\.conf/);
    assert.match(diagnostics[1]!.message, /unknown section \[mystery\]/);
    assert.notEqual(value.directories.astlogdir, '/ignored');
  });
});

test('the loaded value is deep-frozen', () => {
  const { value } = loadAsteriskConf(path.join(REPO, 'configs', 'asterisk.conf'));
  assert.throws(() => {
    (value.directories as { astetcdir: string }).astetcdir = '/tmp';
  }, TypeError);
  assert.throws(() => {
    (value.options as { verbose: number }).verbose = 9;
  }, TypeError);
});
