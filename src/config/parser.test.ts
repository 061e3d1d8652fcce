import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  formatDiagnostic,
  get,
  getAll,
  memoryConfHost,
  parseConf,
  parseConfFile,
  parseConfText,
  sectionsNamed,
} from './parser.ts';
import type { ConfDocument } from './parser.ts';
import { REFERENCE_CONFIG_DIR } from '../../test/helpers/reference.ts';

const ETC = '/etc/asterisk';

function parse(files: Record<string, string>, top = 'test.conf'): ConfDocument {
  const host = memoryConfHost(Object.fromEntries(Object.entries(files).map(([name, text]) => [path.posix.join(ETC, name), text])));
  return parseConf(path.posix.join(ETC, top), host);
}

function errors(doc: ConfDocument): string[] {
  return doc.diagnostics.filter((d) => d.level === 'error').map((d) => d.message);
}

test('sections, both operators, trimming and file:line on every entry', () => {
  const doc = parse({
    'test.conf': '[general]\n  enabled   =   yes  \nexten=>1000,1,NoOp(a=b)\n\n[ other ]\nkey =\n',
  });
  assert.deepEqual(doc.diagnostics, []);
  assert.equal(doc.found, true);
  assert.deepEqual(doc.files, ['/etc/asterisk/test.conf']);
  const [general, other] = doc.sections;
  assert.equal(general?.name, 'general');
  assert.equal(general?.line, 1);
  assert.equal(general?.file, '/etc/asterisk/test.conf');
  assert.deepEqual(general?.entries, [
    { key: 'enabled', value: 'yes', op: '=', file: '/etc/asterisk/test.conf', line: 2, inherited: false },
    { key: 'exten', value: '1000,1,NoOp(a=b)', op: '=>', file: '/etc/asterisk/test.conf', line: 3, inherited: false },
  ]);
  // Asterisk does not trim inside the brackets.
  assert.equal(other?.name, ' other ');
  assert.deepEqual(other?.entries.map((e) => [e.key, e.value, e.line]), [['key', '', 6]]);
});

test('comments: ; to end of line, \\; kept as ;, and a ;--- line is an ordinary comment', () => {
  const doc = parse({
    'test.conf': '; leading comment\n[s] ; trailing\na = 1 ; one\nb = x\\;y ; escaped\n;--- not a block\nc = 3\n',
  });
  assert.deepEqual(doc.diagnostics, []);
  assert.deepEqual(doc.sections[0]?.entries.map((e) => [e.key, e.value]), [['a', '1'], ['b', 'x;y'], ['c', '3']]);
});

test('block comments span lines, nest, and join the text around a one-line comment', () => {
  const doc = parse({
    'test.conf': [
      '[s]',
      'a = 1 ;-- hidden --; ; rest',
      'b = x;-- hidden --;y',
      ';-- start',
      'hidden = yes',
      '  ;-- nested',
      '  still = hidden',
      '  --;',
      'still = hidden too',
      '--;c = 3',
      'd = 4',
    ].join('\n'),
  });
  assert.deepEqual(doc.diagnostics, []);
  assert.deepEqual(doc.sections[0]?.entries.map((e) => [e.key, e.value, e.line]), [
    ['a', '1', 2],
    ['b', 'xy', 3],
    ['c', '3', 10],
    ['d', '4', 11],
  ]);
});

test('an unterminated block comment is an error at the line it opened', () => {
  const doc = parse({ 'test.conf': '[s]\na = 1\n;-- never closed\nb = 2\n' });
  assert.deepEqual(doc.sections[0]?.entries.map((e) => e.key), ['a']);
  assert.equal(doc.diagnostics.length, 1);
  assert.equal(doc.diagnostics[0]?.level, 'error');
  assert.equal(doc.diagnostics[0]?.line, 3);
  assert.match(doc.diagnostics[0]?.message ?? '', /unterminated block comment/);
});

test('repeated keys are kept in order; get() returns the last, getAll() all of them', () => {
  const doc = parse({ 'test.conf': '[u]\npermit = 1.2.3.4\ndeny = 0.0.0.0/0\npermit = 5.6.7.8\n[U]\nPERMIT = 9.9.9.9\n' });
  assert.deepEqual(getAll(doc, 'u', 'permit').map((e) => e.value), ['1.2.3.4', '5.6.7.8', '9.9.9.9']);
  assert.equal(get(doc, 'U', 'Permit'), '9.9.9.9');
  assert.equal(get(doc, 'u', 'missing'), undefined);
  assert.equal(get(doc, 'nosuch', 'permit'), undefined);
  assert.equal(sectionsNamed(doc, 'u').length, 2);
});

test('templates: (!) marks them, (a,b) copies their entries first in order, (!,a) combines', () => {
  const doc = parse({
    'test.conf': [
      '[base](!)',
      'type = user',
      'read_only = no',
      '[extra](!)',
      'read_only = yes',
      '[plain]',
      'x = 1',
      '[alice](base,extra)',
      'password = a',
      '[derived](!,base)',
      'more = 1',
      '[bob](derived)',
      'password = b',
      '[carol](plain)',
    ].join('\n'),
  });
  assert.deepEqual(doc.diagnostics, []);
  const alice = sectionsNamed(doc, 'alice')[0];
  assert.equal(alice?.isTemplate, false);
  assert.deepEqual(alice?.templates, ['base', 'extra']);
  assert.deepEqual(alice?.entries.map((e) => [e.key, e.value, e.inherited, e.line]), [
    ['type', 'user', true, 2],
    ['read_only', 'no', true, 3],
    ['read_only', 'yes', true, 5],
    ['password', 'a', false, 9],
  ]);
  assert.equal(get(doc, 'alice', 'read_only'), 'yes');
  assert.equal(sectionsNamed(doc, 'derived').length, 0, 'templates are hidden by default');
  const derived = sectionsNamed(doc, 'derived', { includeTemplates: true })[0];
  assert.equal(derived?.isTemplate, true);
  assert.deepEqual(derived?.entries.map((e) => e.key), ['type', 'read_only', 'more']);
  assert.deepEqual(sectionsNamed(doc, 'bob')[0]?.entries.map((e) => e.key), ['type', 'read_only', 'more', 'password']);
  // An ordinary section can be a base too (Asterisk allows it).
  assert.deepEqual(sectionsNamed(doc, 'carol')[0]?.entries.map((e) => [e.key, e.inherited]), [['x', true]]);
  assert.equal(get(doc, 'base', 'type'), undefined, 'get() skips templates');
});

test('(+) appends to the earlier section of the same name, even from an included file', () => {
  const doc = parse({
    'test.conf': '[general]\na = 1\n[other]\nz = 0\n#include more.conf\n[general](+)\nc = 3\n',
    'more.conf': '[general](+)\nb = 2\n',
  });
  assert.deepEqual(doc.diagnostics, []);
  assert.equal(doc.sections.length, 2);
  const general = sectionsNamed(doc, 'general')[0];
  assert.deepEqual(general?.entries.map((e) => [e.key, path.posix.basename(e.file), e.line]), [
    ['a', 'test.conf', 2],
    ['b', 'more.conf', 2],
    ['c', 'test.conf', 7],
  ]);
});

test('(+) without an earlier section is an error; the entries are still kept in a new section', () => {
  const doc = parse({ 'test.conf': '[ghost](+)\na = 1\n' });
  assert.equal(errors(doc).length, 1);
  assert.match(errors(doc)[0] ?? '', /no earlier section '\[ghost\]'/);
  assert.equal(get(doc, 'ghost', 'a'), '1');
});

test('inheriting from an undefined template is an error naming it', () => {
  const doc = parse({ 'test.conf': '[x](nosuch)\na = 1\n' });
  assert.equal(doc.diagnostics[0]?.level, 'error');
  assert.equal(doc.diagnostics[0]?.line, 1);
  assert.match(doc.diagnostics[0]?.message ?? '', /inherits from 'nosuch'/);
  assert.equal(get(doc, 'x', 'a'), '1');
});

test('+= appends to the previous value of the same key, keeping the text after += as written', () => {
  const doc = parse({ 'test.conf': '[s]\nlist = a\nlist +=,b\nlist += c \nnew += d\n' });
  assert.deepEqual(doc.diagnostics, []);
  // As in Asterisk, only the end of the joined value is trimmed: the space after `+=` stays.
  assert.deepEqual(doc.sections[0]?.entries.map((e) => [e.key, e.value]), [['list', 'a,b c'], ['new', 'd']]);
});

test('a leading backslash escapes the first character of a key', () => {
  const doc = parse({ 'test.conf': '[s]\n\\[weird] = 1\n\\#hash => 2\n\\ bad = 3\n' });
  assert.deepEqual(doc.sections[0]?.entries.map((e) => [e.key, e.value, e.op]), [['[weird]', '1', '='], ['#hash', '2', '=>']]);
  assert.equal(errors(doc).length, 1);
  assert.equal(doc.diagnostics[0]?.line, 4);
});

test('broken lines: bad header, entry without =, entry before any section, empty name', () => {
  const doc = parse({
    'test.conf': [
      'orphan = 1', // 1: before any section
      '[good]',
      'novalue', // 3: no '='
      ' = nameless', // 4: no name
      '[broken', // 5: no ']'
      'lost = yes', // 6: dropped silently with the broken header
      '[again]', // 7
      'kept = yes', // 8
      '[paren](!', // 9: no ')'
      '#bogus x', // 10: unknown directive (warning)
    ].join('\n'),
  });
  const byLine = doc.diagnostics.map((d) => [d.line, d.level]);
  assert.deepEqual(byLine, [[1, 'error'], [3, 'error'], [4, 'error'], [5, 'error'], [9, 'error'], [10, 'warning']]);
  assert.match(doc.diagnostics[0]?.message ?? '', /outside any \[section\]/);
  assert.match(doc.diagnostics[1]?.message ?? '', /'novalue' has no '='/);
  assert.match(doc.diagnostics[3]?.message ?? '', /no closing '\]'/);
  assert.deepEqual(doc.sections.map((s) => s.name), ['good', 'again']);
  assert.equal(get(doc, 'again', 'kept'), 'yes');
  assert.equal(get(doc, 'again', 'lost'), undefined);
  assert.equal(formatDiagnostic(doc.diagnostics[0]!), "/etc/asterisk/test.conf:1: error: 'orphan = 1' is outside any [section]; ignored");
});

test('#include: bare, quoted and bracketed names relative to the config dir; the open section continues', () => {
  const doc = parse({
    'test.conf': '[a]\nx = 1\n#include part1.conf\ny = 2\n#include "sub/part2.conf"\n#include <part3.conf>\n',
    'part1.conf': 'inside = a\n[b]\nz = 3\n',
    'sub/part2.conf': '[c]\n#include part1.conf\n', // relative to the config dir, not to sub/
    'part3.conf': '[d]\n',
  });
  assert.deepEqual(doc.diagnostics, []);
  assert.deepEqual(doc.files.map((f) => path.posix.relative(ETC, f)), ['test.conf', 'part1.conf', 'sub/part2.conf', 'part1.conf', 'part3.conf']);
  // The included file starts in [a]; after the include, test.conf is still in [a] (as in Asterisk).
  assert.deepEqual(sectionsNamed(doc, 'a')[0]?.entries.map((e) => [e.key, path.posix.basename(e.file), e.line]), [
    ['x', 'test.conf', 2],
    ['inside', 'part1.conf', 1],
    ['y', 'test.conf', 4],
  ]);
  assert.deepEqual(sectionsNamed(doc, 'c')[0]?.entries.map((e) => e.key), ['inside']);
  assert.deepEqual(doc.sections.map((s) => s.name), ['a', 'b', 'c', 'b', 'd']);
});

test('#include globs expand in sorted order; an unmatched #include glob is an error', () => {
  const doc = parse({
    'test.conf': '#include pjsip_*.conf\n#include none_*.conf\n#tryinclude none_*.conf\n',
    'pjsip_b.conf': '[b]\n',
    'pjsip_a.conf': '[a]\n',
    'pjsip_a.conf.bak': '[bak]\n',
  });
  assert.deepEqual(doc.sections.map((s) => s.name), ['a', 'b']);
  assert.deepEqual(doc.diagnostics.map((d) => [d.line, d.level]), [[2, 'error']]);
});

test('a missing #include is an error; a missing #tryinclude is silent', () => {
  const doc = parse({ 'test.conf': '[s]\n#include missing.conf\n#tryinclude also_missing.conf\na = 1\n' });
  assert.equal(doc.diagnostics.length, 1);
  assert.equal(doc.diagnostics[0]?.level, 'error');
  assert.equal(doc.diagnostics[0]?.line, 2);
  assert.match(doc.diagnostics[0]?.message ?? '', /missing\.conf/);
  assert.equal(get(doc, 's', 'a'), '1');
});

test('include loops are detected and reported with the chain', () => {
  const doc = parse({
    'test.conf': '[s]\n#include a.conf\n',
    'a.conf': 'a = 1\n#include b.conf\n',
    'b.conf': 'b = 1\n#include a.conf\n',
  });
  assert.equal(doc.diagnostics.length, 1);
  const loop = doc.diagnostics[0]!;
  assert.equal(loop.level, 'error');
  assert.equal(path.posix.basename(loop.file), 'b.conf');
  assert.equal(loop.line, 2);
  assert.match(loop.message, /include loop: a\.conf -> b\.conf -> a\.conf/);
  assert.deepEqual(doc.sections[0]?.entries.map((e) => e.key), ['a', 'b']);
});

test('a file including itself is a loop', () => {
  const doc = parse({ 'test.conf': '[s]\n#include test.conf\n' });
  assert.match(doc.diagnostics[0]?.message ?? '', /include loop: test\.conf -> test\.conf/);
});

test('include depth is limited', () => {
  const files: Record<string, string> = { 'test.conf': '[s]\n#include f1.conf\n' };
  for (let i = 1; i <= 12; i++) {
    files[`f${i}.conf`] = `v${i} = 1\n#include f${i + 1}.conf\n`;
  }
  files['f13.conf'] = '';
  const doc = parse(files);
  assert.equal(errors(doc).length, 1);
  assert.match(errors(doc)[0] ?? '', /nested more than 10 deep/);
  assert.equal(doc.sections[0]?.entries.length, 10);
});

test('#exec, #include without a name: warnings, nothing runs', () => {
  const doc = parse({ 'test.conf': '[s]\n#exec /bin/echo hi\n#include\n' });
  assert.deepEqual(doc.diagnostics.map((d) => [d.line, d.level]), [[2, 'warning'], [3, 'warning']]);
});

test('a UTF-8 byte order mark and CRLF line endings are tolerated', () => {
  const doc = parse({ 'test.conf': '\uFEFF[s]\r\na = 1\r\nb => 2 ; c\r\n' });
  assert.deepEqual(doc.diagnostics, []);
  assert.deepEqual(doc.sections[0]?.entries.map((e) => [e.key, e.value]), [['a', '1'], ['b', '2']]);
});

test('a missing top-level file gives an empty document with found = false', () => {
  const doc = parse({}, 'nothing.conf');
  assert.equal(doc.found, false);
  assert.deepEqual(doc.sections, []);
  assert.deepEqual(doc.files, []);
});

test('the document is deep-frozen', () => {
  const doc = parse({ 'test.conf': '[s]\na = 1\n' });
  assert.throws(() => {
    (doc.sections as unknown as unknown[]).push({});
  }, TypeError);
  assert.throws(() => {
    (doc.sections[0]!.entries[0] as unknown as { value: string }).value = 'x';
  }, TypeError);
});

test('parseConfText parses in-memory text and resolves includes through a host', () => {
  const host = memoryConfHost({ '/cfg/extra.conf': 'b = 2\n' });
  const doc = parseConfText('[s]\na = 1\n#include extra.conf\n', '/cfg/main.conf', host);
  assert.deepEqual(doc.diagnostics, []);
  assert.deepEqual(doc.sections[0]?.entries.map((e) => [e.key, path.posix.basename(e.file)]), [['a', 'main.conf'], ['b', 'extra.conf']]);
});

test('parseConfFile reads from disk, with includes, globs and a configDir', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-parser-'));
  try {
    fs.mkdirSync(path.join(dir, 'etc'));
    fs.writeFileSync(path.join(dir, 'etc', 'main.conf'), '[s]\na = 1\n#include parts_*.conf\n#tryinclude nothing.conf\n');
    fs.writeFileSync(path.join(dir, 'etc', 'parts_2.conf'), 'c = 3\n');
    fs.writeFileSync(path.join(dir, 'etc', 'parts_1.conf'), 'b = 2\n');
    fs.mkdirSync(path.join(dir, 'etc', 'parts_dir.conf')); // a directory matching the glob is skipped
    const doc = parseConfFile(path.join(dir, 'etc', 'main.conf'));
    assert.deepEqual(doc.diagnostics, []);
    assert.deepEqual(doc.sections[0]?.entries.map((e) => e.key), ['a', 'b', 'c']);
    assert.deepEqual(doc.files.map((f) => path.basename(f)), ['main.conf', 'parts_1.conf', 'parts_2.conf']);

    // With configDir elsewhere, includes resolve there.
    fs.writeFileSync(path.join(dir, 'parts_9.conf'), 'z = 9\n');
    const other = parseConfFile(path.join(dir, 'etc', 'main.conf'), { configDir: dir });
    assert.deepEqual(other.sections[0]?.entries.map((e) => e.key), ['a', 'z']);

    assert.equal(parseConfFile(path.join(dir, 'etc', 'absent.conf')).found, false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the Asterisk reference configuration parses without diagnostics', () => {
  const dir = REFERENCE_CONFIG_DIR;
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.conf'))) {
    const doc = parseConfFile(path.join(dir, name));
    assert.deepEqual(doc.diagnostics, [], name);
    assert.ok(doc.sections.length > 0, name);
  }
  const ext = parseConfFile(path.join(dir, 'extensions.conf'));
  assert.deepEqual(sectionsNamed(ext, 'from-trunk')[0]?.entries.slice(0, 2).map((e) => [e.key, e.op, e.value]), [
    ['exten', '=>', '1000,1,NoOp(Sending channel to ARI application)'],
    ['same', '=>', 'n,Answer()'],
  ]);
  assert.equal(getAll(ext, 'internal', 'exten').at(-1)?.value, '_stasis-.,1,Answer()');
});

test("the project's configs/*.conf parse without diagnostics; extensions.conf has the seed's dialplan", () => {
  const dir = path.resolve(import.meta.dirname, '..', '..', 'configs');
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.conf'))) {
    assert.deepEqual(parseConfFile(path.join(dir, name)).diagnostics, [], name);
  }
  const ext = parseConfFile(path.join(dir, 'extensions.conf'));
  assert.deepEqual(ext.sections.map((s) => s.name), ['from-trunk', 'internal']);
  assert.deepEqual(sectionsNamed(ext, 'from-trunk')[0]?.entries.map((e) => `${e.key} ${e.op} ${e.value}`), [
    'exten => 1000,1,NoOp(Sending channel to ARI application)',
    'same => n,Answer()',
    'same => n,Stasis(hello-world)',
    'same => n,Hangup()',
  ]);
});
