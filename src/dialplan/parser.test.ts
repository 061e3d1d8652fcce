import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatDiagnostic, memoryConfHost } from '../config/parser.ts';
import type { Dialplan, DialplanExtension } from './model.ts';
import { loadExtensions, parseExtensionsText } from './parser.ts';
import { REFERENCE_CONFIG_DIR } from '../../test/helpers/reference.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SEED_DIR = path.join(ROOT, 'configs');
const REFERENCE_DIR = REFERENCE_CONFIG_DIR;
const FILE = '/etc/asterisk/extensions.conf';

function parse(text: string): Dialplan {
  return parseExtensionsText(text, FILE);
}

function ext(dp: Dialplan, context: string, name: string, cid?: string): DialplanExtension {
  const found = dp.contexts.get(context)?.extensions.find((e) => e.name === name && e.cidMatch === cid);
  assert.ok(found, `extension ${name} in ${context}`);
  return found;
}

/** [priority, label, app, appData, line] for each priority. */
function steps(e: DialplanExtension): (string | number | undefined)[][] {
  return [...e.priorities.values()].map((p) => [p.priority, p.label, p.app, p.appData, p.line]);
}

/** `line: level: message` for each diagnostic. */
function diags(dp: Dialplan): string[] {
  return dp.diagnostics.map((d) => `${d.line}: ${d.level}: ${d.message}`);
}

describe('the seed dialplans', () => {
  test('configs/extensions.conf parses cleanly with the exact priorities', () => {
    const dp = loadExtensions(SEED_DIR);
    assert.deepEqual(dp.diagnostics.map(formatDiagnostic), []);
    assert.deepEqual([...dp.contexts.keys()], ['from-trunk', 'internal']);
    const fromTrunk = dp.contexts.get('from-trunk');
    assert.equal(fromTrunk?.file, path.join(SEED_DIR, 'extensions.conf'));
    assert.equal(fromTrunk?.line, 4);
    assert.deepEqual(steps(ext(dp, 'from-trunk', '1000')), [
      [1, undefined, 'NoOp', 'Sending channel to ARI application', 5],
      [2, undefined, 'Answer', '', 6],
      [3, undefined, 'Stasis', 'hello-world', 7],
      [4, undefined, 'Hangup', '', 8],
    ]);
    assert.deepEqual(dp.contexts.get('internal')?.extensions.map((e) => e.name), ['ringonly', 'wait', '_stasis-.']);
    const stasis = ext(dp, 'internal', '_stasis-.');
    assert.equal(stasis.isPattern, true);
    assert.deepEqual(steps(stasis), [
      [1, undefined, 'Answer', '', 21],
      [2, undefined, 'Stasis', '${EXTEN:7}', 22],
      [3, undefined, 'Hangup', '', 23],
    ]);
    assert.deepEqual(steps(ext(dp, 'internal', 'wait')).map((s) => s.slice(0, 4)), [
      [1, undefined, 'Answer', ''],
      [2, undefined, 'Wait', '3600'],
      [3, undefined, 'Hangup', ''],
    ]);
  });

  test('the Asterisk reference extensions.conf parses cleanly', () => {
    const dp = loadExtensions(REFERENCE_DIR);
    assert.deepEqual(dp.diagnostics.map(formatDiagnostic), []);
    assert.equal(dp.general.static, true);
    assert.equal(dp.general.writeProtect, false);
    assert.equal(dp.general.autoFallthrough, true);
    assert.deepEqual(dp.contexts.get('from-trunk')?.extensions.map((e) => e.name), ['1000', '1001', '3000', 'busy', 'congest']);
    assert.deepEqual(steps(ext(dp, 'from-trunk', '3000')).map((s) => s.slice(0, 4)), [
      [1, undefined, 'NoOp', 'Continued from ARI'],
      [2, undefined, 'Set', 'CONTINUED=yes'],
      [3, undefined, 'Wait', '2'],
      [4, undefined, 'Hangup', ''],
    ]);
    assert.deepEqual(steps(ext(dp, 'from-trunk', 'busy')), [[1, undefined, 'Busy', '5', 22]]);
    assert.deepEqual(steps(ext(dp, 'from-trunk', '1001')).map((s) => s[2]), ['NoOp', 'Stasis', 'Hangup']);
  });
});

const FEATURES = [
  /* 1 */ '[general]',
  /* 2 */ 'static=yes',
  /* 3 */ 'autofallthrough=no',
  /* 4 */ 'bogus=1',
  /* 5 */ '',
  /* 6 */ '[globals]',
  /* 7 */ 'TRUNK=PJSIP/trunk',
  /* 8 */ 'PREFIX=9',
  /* 9 */ 'TRUNK=PJSIP/other',
  /* 10 */ '',
  /* 11 */ '[demo]',
  /* 12 */ 'exten => 100,hint,PJSIP/alice&PJSIP/bob,CustomPresence:alice',
  /* 13 */ 'exten => 100,1(start),Answer()',
  /* 14 */ ' same => n(loop),Playback(hello-world)',
  /* 15 */ ' same => n,Goto(loop)',
  /* 16 */ ' same => 10(late),NoOp(ten)',
  /* 17 */ ' same => n,NoOp(eleven)',
  /* 18 */ 'exten => 100,start+20,NoOp(label plus offset)',
  /* 19 */ 'exten => 100,n+2,NoOp(next plus two)',
  /* 20 */ 'exten => 200,1,Dial(${TRUNK}/200,30,tT)',
  /* 21 */ 'exten => _${PREFIX}XX,1,NoOp(prefixed)',
  /* 22 */ 'exten => 555-1212,1,NoOp(first)',
  /* 23 */ 'exten => 5551212,2,NoOp(second)',
  /* 24 */ 'exten => 300/5551234,1,NoOp(vip)',
  /* 25 */ 'exten => 300/(555) 123-9999,1,NoOp(shrunk)',
  /* 26 */ 'exten => 300,1,NoOp(anyone)',
  /* 27 */ 'exten => 400,1,Set(X=(a)(b))',
  /* 28 */ 'exten => 401,1,NoOp,old style',
  /* 29 */ 'exten => 402,1,Hangup',
  /* 30 */ 'exten => 403,1,NoOp(x) trailing',
  /* 31 */ 'exten => _[1,2]XX,1,NoOp(comma in a set)',
  /* 32 */ 'include => other',
  /* 33 */ 'include => timed,09:00-17:00,mon-fri,*,*',
  /* 34 */ 'ignorepat => 9',
  /* 35 */ 'switch => Realtime/foo',
  /* 36 */ 'autohints = yes',
  /* 37 */ 'foo => bar',
  /* 38 */ '[other]',
  /* 39 */ 'exten => _X.,1,NoOp(other)',
  /* 40 */ '[timed]',
  /* 41 */ '[tmpl](!)',
  /* 42 */ 'exten => t,1,NoOp(template)',
  /* 43 */ '[Other]',
  /* 44 */ '[other]',
  /* 45 */ 'exten => 7,1,NoOp(second section)',
  '',
].join('\n');

describe('extensions.conf features', () => {
  const dp = parse(FEATURES);

  test('[general] and [globals]', () => {
    assert.equal(dp.general.static, true);
    assert.equal(dp.general.autoFallthrough, false);
    assert.deepEqual(dp.globals, [['TRUNK', 'PJSIP/trunk'], ['PREFIX', '9'], ['TRUNK', 'PJSIP/other']]);
  });

  test('contexts: templates skipped, names case-sensitive, repeated sections merge', () => {
    assert.deepEqual([...dp.contexts.keys()], ['demo', 'other', 'timed', 'Other']);
    assert.deepEqual(dp.contexts.get('other')?.extensions.map((e) => e.name), ['7', '_X.']);
    assert.equal(dp.contexts.get('timed')?.extensions.length, 0);
  });

  test('numbered, n, n(label), same, label+offset and n+offset priorities', () => {
    assert.deepEqual(steps(ext(dp, 'demo', '100')), [
      [1, 'start', 'Answer', '', 13],
      [2, 'loop', 'Playback', 'hello-world', 14],
      [3, undefined, 'Goto', 'loop', 15],
      [10, 'late', 'NoOp', 'ten', 16],
      [11, undefined, 'NoOp', 'eleven', 17],
      [21, undefined, 'NoOp', 'label plus offset', 18],
      [24, undefined, 'NoOp', 'next plus two', 19],
    ]);
    assert.deepEqual([...ext(dp, 'demo', '100').labels], [['start', 1], ['loop', 2], ['late', 10]]);
  });

  test('hints with presence', () => {
    const e = ext(dp, 'demo', '100');
    assert.equal(e.hint, 'PJSIP/alice&PJSIP/bob');
    assert.equal(e.hintPresence, 'CustomPresence:alice');
    assert.deepEqual(e.hintSource, { file: FILE, line: 12 });
  });

  test('application forms', () => {
    assert.deepEqual(steps(ext(dp, 'demo', '200'))[0]?.slice(2, 4), ['Dial', '${TRUNK}/200,30,tT']);
    assert.deepEqual(steps(ext(dp, 'demo', '400'))[0]?.slice(2, 4), ['Set', 'X=(a)(b)']);
    assert.deepEqual(steps(ext(dp, 'demo', '401'))[0]?.slice(2, 4), ['NoOp', 'old style']);
    assert.deepEqual(steps(ext(dp, 'demo', '402'))[0]?.slice(2, 4), ['Hangup', '']);
    assert.deepEqual(steps(ext(dp, 'demo', '403'))[0]?.slice(2, 4), ['NoOp', 'x']);
  });

  test('extension names: ${GLOBAL} expanded, dashes alias, sets with commas, caller-id variants', () => {
    assert.ok(ext(dp, 'demo', '_9XX'));
    assert.deepEqual(steps(ext(dp, 'demo', '555-1212')).map((s) => s[3]), ['first', 'second']);
    assert.ok(ext(dp, 'demo', '_[1,2]XX'));
    const names = dp.contexts.get('demo')?.extensions.map((e) => (e.cidMatch === undefined ? e.name : `${e.name}/${e.cidMatch}`));
    assert.deepEqual(names, [
      '100', '200', '300/5551234', '300/5551239999', '300', '400', '401', '402', '403', '555-1212', '_9XX', '_[1,2]XX',
    ]);
  });

  test('includes, ignore patterns and autohints', () => {
    const demo = dp.contexts.get('demo');
    assert.deepEqual(demo?.includes, [
      { context: 'other', file: FILE, line: 32 },
      { context: 'timed', timeSpec: '09:00-17:00,mon-fri,*,*', file: FILE, line: 33 },
    ]);
    assert.deepEqual(demo?.ignorePatterns, ['9']);
    assert.equal(demo?.autohints, true);
  });

  test('warnings for what is accepted but not right', () => {
    assert.deepEqual(diags(dp), [
      '4: warning: unknown option \'bogus\' in [general] of extensions.conf; ignored',
      '28: warning: \'NoOp,old style\' uses the old \'App,args\' form; write \'NoOp(old style)\'',
      '30: warning: text after the closing parenthesis of \'NoOp\' is ignored: \'trailing\'',
      '35: warning: alternative switches are not supported; \'switch => Realtime/foo\' ignored',
      '37: warning: unknown directive \'foo\' in context \'demo\'; ignored',
    ]);
  });

  test('the result is frozen all the way down', () => {
    assert.ok(Object.isFrozen(dp));
    assert.ok(Object.isFrozen(dp.globals));
    assert.ok(Object.isFrozen(dp.contexts.get('demo')));
    assert.ok(Object.isFrozen(dp.contexts.get('demo')?.extensions));
    const e = ext(dp, 'demo', '100');
    assert.ok(Object.isFrozen(e));
    assert.ok(Object.isFrozen(e.priorities.get(1)));
    assert.equal('set' in dp.contexts, false);
    assert.equal('set' in e.priorities, false);
  });
});

describe('broken extensions.conf', () => {
  test('bad, duplicate and missing pieces are reported with file:line and skipped', () => {
    const dp = parse([
      /* 1 */ '[broken]',
      /* 2 */ ' same => n,NoOp(orphan)',
      /* 3 */ 'exten => 100,0,NoOp(zero)',
      /* 4 */ 'exten => 100,abc,NoOp(bad)',
      /* 5 */ 'exten => 100,1,NoOp(one)',
      /* 6 */ 'exten => 100,1,NoOp(dup)',
      /* 7 */ 'exten => 100,2(lbl),NoOp(two)',
      /* 8 */ 'exten => 100,3(lbl),NoOp(three)',
      /* 9 */ 'exten => 100,4,NoOp(unbalanced',
      /* 10 */ 'exten => 100,5(oops,NoOp(x)',
      /* 11 */ 'exten => 100,6,',
      /* 12 */ 'exten => ,1,NoOp',
      /* 13 */ 'exten => 200,n,NoOp(jump)',
      /* 14 */ 'exten => 300,hint,',
      /* 15 */ 'exten => 300,hint,PJSIP/a',
      /* 16 */ 'exten => 300,hint,PJSIP/b',
      /* 17 */ 'exten => 300,n,NoOp(after hint)',
      /* 18 */ 'include => nowhere',
      /* 19 */ 'include => ,09:00',
      /* 20 */ 'include => other',
      /* 21 */ 'include => other',
      /* 22 */ 'include => other,25:00-26:00,funday,*,*',
      /* 23 */ 'exten => _.,1,NoOp(everything)',
      /* 24 */ 'exten => 100,1.5,NoOp(fraction)',
      /* 25 */ '[other]',
      /* 26 */ 'exten => 1,n,NoOp(first line uses n)',
      /* 27 */ '[broken]',
      /* 28 */ ' same => 1,NoOp(a new section starts over)',
      '',
    ].join('\n'));
    for (const d of dp.diagnostics) assert.equal(d.file, FILE);
    assert.deepEqual(diags(dp), [
      `2: error: 'same => n,NoOp(orphan)' in context 'broken' has no extension before it to continue; ignored`,
      `3: error: invalid priority '0' for extension '100' in context 'broken': priorities start at 1; line ignored`,
      `4: error: invalid priority or unknown label 'abc' for extension '100' in context 'broken'; line ignored`,
      `6: error: extension '100' priority 1 in context 'broken' is already defined (extensions.conf:5); this line is ignored`,
      `8: error: label 'lbl' of extension '100' in context 'broken' is already used at priority 2; the label is dropped`,
      `9: error: no closing parenthesis in 'NoOp(unbalanced'; the arguments run to the end of the line`,
      `10: error: label in '5(oops' has no closing ')'; line ignored`,
      `11: error: 'exten => 100,6,' names no application; line ignored`,
      `12: error: 'exten => ,1,NoOp' in context 'broken' has no extension name; ignored`,
      `13: warning: 'n' on extension '200' continues from the previous line (extension '100', priority 6); it becomes priority 7`,
      `14: error: hint for extension '300' in context 'broken' names no device; ignored`,
      `16: error: extension '300' in context 'broken' already has a hint (extensions.conf:15); this one is ignored`,
      `17: error: priority of extension '300' in context 'broken' works out to 0, which is not a valid priority; line ignored`,
      `19: error: 'include' in context 'broken' names no context; ignored`,
      `21: warning: context 'other' is already included in context 'broken'; ignored`,
      `22: warning: include of 'other': '25:00' is not a valid start time (expected HH:MM)`,
      `22: warning: include of 'other': invalid day of week 'funday'; element skipped`,
      `23: warning: extension '_.' matches everything, including the special extensions h, i and t; '_X.' is almost always meant`,
      `24: warning: priority '1.5' read as 1`,
      `24: error: extension '100' priority 1 in context 'broken' is already defined (extensions.conf:5); this line is ignored`,
      `26: error: priority 'n' needs an earlier line in context 'other' to count from; line ignored`,
      `28: error: 'same => 1,NoOp(a new section starts over)' in context 'broken' has no extension before it to continue; ignored`,
      `18: warning: context 'broken' includes 'nowhere', which does not exist`,
    ]);
    // What survived.
    assert.deepEqual(steps(ext(dp, 'broken', '100')), [
      [1, undefined, 'NoOp', 'one', 5],
      [2, 'lbl', 'NoOp', 'two', 7],
      [3, undefined, 'NoOp', 'three', 8],
      [4, undefined, 'NoOp', 'unbalanced', 9],
    ]);
    assert.deepEqual(steps(ext(dp, 'broken', '200')), [[7, undefined, 'NoOp', 'jump', 13]]);
    assert.equal(ext(dp, 'broken', '300').hint, 'PJSIP/a');
    assert.equal(ext(dp, 'broken', '300').priorities.size, 0);
    assert.deepEqual(dp.contexts.get('broken')?.includes.map((i) => i.context), ['nowhere', 'other', 'other']);
    assert.equal(dp.contexts.get('other')?.extensions.length, 0);
  });

  test('errors from the .conf layer come through, and a broken line never stops the rest', () => {
    const dp = parse('exten => 1,1,NoOp\n[ok]\nexten => 1,1,NoOp(fine)\n[bad\nexten => 2,1,NoOp\n');
    assert.deepEqual(diags(dp).map((d) => d.split(':')[0]), ['1', '4']);
    assert.deepEqual(steps(ext(dp, 'ok', '1')), [[1, undefined, 'NoOp', 'fine', 3]]);
  });
});

describe('loadExtensions', () => {
  test('a missing file gives an empty dialplan and a warning', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-dialplan-'));
    try {
      const dp = loadExtensions(dir);
      assert.equal(dp.contexts.size, 0);
      assert.deepEqual(dp.diagnostics.map((d) => [d.level, d.file, d.line]), [['warning', path.join(dir, 'extensions.conf'), 0]]);
      assert.match(dp.diagnostics[0]?.message ?? '', /extensions\.conf not found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('#include files contribute contexts with their own file:line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-dialplan-'));
    try {
      fs.writeFileSync(path.join(dir, 'extensions.conf'), '[main]\nexten => 1,1,NoOp(main)\n#include extra.conf\n');
      fs.writeFileSync(path.join(dir, 'extra.conf'), 'exten => 2,1,NoOp(extra)\n[more]\nexten => 3,1,NoOp\n');
      const dp = loadExtensions(dir);
      assert.deepEqual(dp.diagnostics, []);
      assert.deepEqual(dp.contexts.get('main')?.extensions.map((e) => e.name), ['1', '2']);
      const two = ext(dp, 'main', '2').priorities.get(1);
      assert.equal(two?.file, path.join(dir, 'extra.conf'));
      assert.equal(two?.line, 1);
      assert.ok(dp.contexts.has('more'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('parseExtensionsText reads includes through a host', () => {
    const host = memoryConfHost({ '/etc/asterisk/inc.conf': 'exten => 5,1,NoOp(included)\n' });
    const dp = parseExtensionsText('[c]\n#include inc.conf\n', FILE, host);
    assert.deepEqual(steps(ext(dp, 'c', '5')).map((s) => s[3]), ['included']);
  });
});
