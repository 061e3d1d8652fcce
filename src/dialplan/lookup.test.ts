import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canMatchExtension,
  compileTimespec,
  existsExtension,
  findContext,
  findExtension,
  findHint,
  findLabel,
  findPriority,
  findPriorityLocation,
  hints,
  matchMoreExtension,
  timespecMatches,
} from './lookup.ts';
import { parseExtensionsText } from './parser.ts';

const dp = parseExtensionsText([
  '[main]',
  'exten => 100,1,NoOp(main 100)',
  'exten => 100,hint,PJSIP/100',
  'exten => _1XX,1,NoOp(pattern)',
  ' same => n(second),NoOp(pattern 2)',
  'exten => 555,2,NoOp(only two)',
  'exten => 300/5551234,1,NoOp(vip)',
  'exten => 300/,1,NoOp(anonymous)',
  'exten => 300,1,NoOp(anyone)',
  'exten => 301/_NXXNXXXXXX,1,NoOp(pattern cid)',
  'exten => 600,hint,PJSIP/600,CustomPresence:600',
  'exten => _6XX,1,NoOp(six)',
  'exten => _X.,hint,PJSIP/${EXTEN}',
  'include => loop-a',
  'include => midnight,00:00-00:00,*,*,*',
  '[loop-a]',
  'include => loop-b',
  'exten => 700,1,NoOp(a)',
  '[loop-b]',
  'include => loop-a',
  'include => main',
  'exten => 800,1,NoOp(b)',
  '[midnight]',
  'exten => 900,1,NoOp(only at midnight)',
  '[self]',
  'include => self',
  'exten => 1,1,NoOp',
  '[early]',
  'exten => _8!,1,NoOp(early)',
  'include => more',
  '[more]',
  'exten => _8XX,1,NoOp(more)',
  '',
].join('\n'));

const NOON = new Date(2026, 0, 7, 12, 0); // a Wednesday, local time
const MIDNIGHT = new Date(2026, 0, 7, 0, 0);

function where(m: { context: { name: string }; extension: { name: string } } | undefined): string | undefined {
  return m === undefined ? undefined : `${m.extension.name}@${m.context.name}`;
}

describe('findExtension and friends', () => {
  test('literal before pattern; a hint-only extension is passed over', () => {
    assert.equal(where(findExtension(dp, 'main', '100')), '100@main');
    assert.equal(where(findExtension(dp, 'main', '150')), '_1XX@main');
    assert.equal(where(findExtension(dp, 'main', '600')), '_6XX@main');
    assert.equal(findExtension(dp, 'nope', '100'), undefined);
  });

  test('a matching extension without the priority asked for gives way to the next match', () => {
    assert.equal(existsExtension(dp, 'main', '100', 1), true);
    assert.equal(existsExtension(dp, 'main', '100', 2), true);
    assert.equal(where(findPriorityLocation(dp, 'main', '100', 2)), '_1XX@main');
    assert.equal(findPriorityLocation(dp, 'main', '100', 2)?.priority.appData, 'pattern 2');
    assert.equal(existsExtension(dp, 'main', '555', 1), false);
    assert.equal(existsExtension(dp, 'main', '555', 2), true);
    assert.equal(where(findExtension(dp, 'main', '555')), '555@main');
    assert.equal(existsExtension(dp, 'main', '100', 3), false);
  });

  test('findPriority and findLabel', () => {
    const e = findExtension(dp, 'main', '150');
    assert.ok(e);
    assert.equal(findPriority(e.extension, 2)?.app, 'NoOp');
    assert.equal(findPriority(e.extension, 9), undefined);
    const label = findLabel(dp, 'main', '150', 'second');
    assert.equal(label?.priority.priority, 2);
    assert.equal(where(label), '_1XX@main');
    // 100 has no such label, so the pattern behind it provides it
    assert.equal(where(findLabel(dp, 'main', '100', 'second')), '_1XX@main');
    assert.equal(findLabel(dp, 'main', '150', 'missing'), undefined);
  });

  test('caller-id conditions', () => {
    assert.equal(findPriorityLocation(dp, 'main', '300', 1, { callerId: '5551234' })?.priority.appData, 'vip');
    assert.equal(findPriorityLocation(dp, 'main', '300', 1, { callerId: '555-1234' })?.priority.appData, 'vip');
    assert.equal(findPriorityLocation(dp, 'main', '300', 1)?.priority.appData, 'anonymous');
    assert.equal(findPriorityLocation(dp, 'main', '300', 1, { callerId: '' })?.priority.appData, 'anonymous');
    assert.equal(findPriorityLocation(dp, 'main', '300', 1, { callerId: '999' })?.priority.appData, 'anyone');
    assert.equal(where(findExtension(dp, 'main', '301', '2125551234')), '301@main');
    assert.equal(findExtension(dp, 'main', '301', '123'), undefined);
    assert.equal(findExtension(dp, 'main', '301'), undefined);
  });

  test('includes are searched depth-first; loops end', () => {
    assert.equal(where(findExtension(dp, 'main', '700', undefined, NOON)), '700@loop-a');
    assert.equal(where(findExtension(dp, 'main', '800', undefined, NOON)), '800@loop-b');
    assert.equal(where(findExtension(dp, 'loop-a', '100', undefined, NOON)), '100@main');
    assert.equal(findExtension(dp, 'loop-a', '12345678', undefined, NOON)?.extension.name, undefined);
    assert.equal(findExtension(dp, 'self', '2'), undefined);
    assert.equal(where(findExtension(dp, 'self', '1')), '1@self');
  });

  test('includes with a time specification count only while it is valid', () => {
    assert.equal(findExtension(dp, 'main', '900', undefined, NOON), undefined);
    assert.equal(where(findExtension(dp, 'main', '900', undefined, MIDNIGHT)), '900@midnight');
    assert.equal(existsExtension(dp, 'main', '900', 1, { now: MIDNIGHT }), true);
    assert.equal(existsExtension(dp, 'main', '900', 1, { now: NOON }), false);
  });

  test('canMatch and matchMore (WaitExten, overlap dialling)', () => {
    assert.equal(canMatchExtension(dp, 'main', '1'), true);
    assert.equal(canMatchExtension(dp, 'main', '100'), true);
    // _X. has only a hint, and 900 is in an include that is closed at noon
    assert.equal(canMatchExtension(dp, 'main', '9', 1, { now: NOON }), false);
    assert.equal(canMatchExtension(dp, 'main', '9', 1, { now: MIDNIGHT }), true);
    assert.equal(matchMoreExtension(dp, 'main', '10'), true);
    assert.equal(matchMoreExtension(dp, 'main', '100'), false);
    assert.equal(canMatchExtension(dp, 'main', '7', 1, { now: NOON }), true);
    assert.equal(canMatchExtension(dp, 'main', 'x'), false);
  });

  test('a `!` pattern ends a matchMore search in its context, includes included', () => {
    assert.equal(canMatchExtension(dp, 'early', '8'), true);
    assert.equal(matchMoreExtension(dp, 'early', '8'), false);
    assert.equal(matchMoreExtension(dp, 'more', '8'), true);
  });

  test('hints', () => {
    assert.deepEqual(hints(dp), [
      { context: 'main', exten: '100', device: 'PJSIP/100' },
      { context: 'main', exten: '600', device: 'PJSIP/600', presence: 'CustomPresence:600' },
    ]);
    assert.equal(findHint(dp, 'main', '600')?.device, 'PJSIP/600');
    assert.equal(findHint(dp, 'main', '600')?.presence, 'CustomPresence:600');
    assert.equal(findHint(dp, 'main', '4000')?.device, 'PJSIP/${EXTEN}');
    assert.equal(findHint(dp, 'loop-b', '100')?.device, 'PJSIP/100');
    assert.equal(findHint(dp, 'midnight', '100'), undefined);
  });

  test('findContext is exact', () => {
    assert.equal(findContext(dp, 'main')?.name, 'main');
    assert.equal(findContext(dp, 'MAIN'), undefined);
  });
});

describe('time specifications', () => {
  const at = (day: number, hour: number, minute = 0): Date => new Date(2026, 0, day, hour, minute);
  // January 2026: the 7th is a Wednesday, the 10th a Saturday, the 11th a Sunday.

  test('office hours on weekdays, end minute included', () => {
    const spec = '09:00-17:00,mon-fri,*,*';
    assert.equal(timespecMatches(spec, at(7, 10)), true);
    assert.equal(timespecMatches(spec, at(7, 9, 0)), true);
    assert.equal(timespecMatches(spec, at(7, 8, 59)), false);
    assert.equal(timespecMatches(spec, at(7, 17, 0)), true);
    assert.equal(timespecMatches(spec, at(7, 17, 1)), false);
    assert.equal(timespecMatches(spec, at(10, 10)), false);
  });

  test('ranges wrap: times past midnight, weekdays past Saturday, months past December', () => {
    assert.equal(timespecMatches('22:00-02:00', at(7, 23, 30)), true);
    assert.equal(timespecMatches('22:00-02:00', at(7, 1, 0)), true);
    assert.equal(timespecMatches('22:00-02:00', at(7, 12, 0)), false);
    assert.equal(timespecMatches('*,fri-mon,*,*', at(11, 12)), true);
    assert.equal(timespecMatches('*,fri-mon,*,*', at(7, 12)), false);
    assert.equal(timespecMatches('*,*,*,dec-feb', at(7, 12)), true);
    assert.equal(timespecMatches('*,*,*,mar-nov', at(7, 12)), false);
  });

  test('lists with &, numbers for weekdays (1 = Sunday), month days and months, | as separator', () => {
    assert.equal(timespecMatches('*,*,1&7&15,*', at(7, 12)), true);
    assert.equal(timespecMatches('*,*,1&15,*', at(7, 12)), false);
    assert.equal(timespecMatches('*,1,*,*', at(11, 12)), true);
    assert.equal(timespecMatches('*,4,*,*', at(7, 12)), true);
    assert.equal(timespecMatches('*|*|*|1', at(7, 12)), true);
    assert.equal(timespecMatches('*,*,*,2', at(7, 12)), false);
    assert.equal(timespecMatches('12:00&13:00,*,*,*', at(7, 13, 0)), true);
    assert.equal(timespecMatches('12:00&13:00,*,*,*', at(7, 12, 30)), false);
    assert.equal(timespecMatches('*,MON-Fri,*,JAN', at(7, 12)), true);
  });

  test('empty and * always match', () => {
    assert.equal(timespecMatches('', at(7, 3)), true);
    assert.equal(timespecMatches('*', at(7, 3)), true);
    assert.equal(timespecMatches('*,*,*,*', at(7, 3)), true);
  });

  test('a fifth field is a time zone', () => {
    const utc10 = new Date(Date.UTC(2026, 0, 7, 10, 0));
    assert.equal(timespecMatches('09:00-11:00,*,*,*,UTC', utc10), true);
    assert.equal(timespecMatches('09:00-11:00,*,*,*,Asia/Tokyo', utc10), false); // 19:00 there
    assert.equal(timespecMatches('18:30-19:30,wed,7,jan,Asia/Tokyo', utc10), true);
    const bad = compileTimespec('*,*,*,*,Not/AZone');
    assert.equal(bad.timezone, undefined);
    assert.deepEqual(bad.warnings, ["unknown time zone 'Not/AZone'; using local time"]);
  });

  test('bad elements are skipped with a warning, the rest still counts', () => {
    const ts = compileTimespec('25:00-26:00&10:00-11:00,funday&mon,0&32&5,13&jan');
    assert.deepEqual(ts.warnings, [
      "'25:00' is not a valid start time (expected HH:MM)",
      "invalid day of week 'funday'; element skipped",
      "invalid day of month '0'; element skipped",
      "invalid day of month '32'; element skipped",
      "invalid month '13'; element skipped",
    ]);
    assert.equal(timespecMatches(ts, new Date(2026, 0, 5, 10, 30)), true); // Monday 5 January
    assert.equal(timespecMatches(ts, new Date(2026, 0, 5, 12, 0)), false);
    assert.deepEqual(compileTimespec('9-,*,*,*').warnings, ["invalid time range starting with '9-'"]);
  });
});
