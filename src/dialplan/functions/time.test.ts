import { test } from 'node:test';
import assert from 'node:assert/strict';
import { breakDownTime, isKnownTimeZone, strftime } from './time.ts';
import { substitute } from '../substitute.ts';
import { testScope } from './testing.ts';

// 2023-11-14 22:13:20 UTC, a Tuesday.
const EPOCH = 1700000000;

test('STRFTIME with a fixed time in UTC', () => {
  const scope = testScope();
  assert.equal(substitute(`\${STRFTIME(${EPOCH},UTC,%Y-%m-%d %H:%M:%S %Z)}`, scope), '2023-11-14 22:13:20 UTC');
  assert.equal(substitute(`\${STRFTIME(${EPOCH},UTC)}`, scope), 'Tue Nov 14 22:13:20 2023');
  assert.equal(substitute(`\${STRFTIME(${EPOCH},UTC,%s %z %j %a %A %b %B)}`, scope), '1700000000 +0000 318 Tue Tuesday Nov November');
});

test('STRFTIME in America/New_York, standard and daylight time', () => {
  const scope = testScope();
  assert.equal(substitute(`\${STRFTIME(${EPOCH},America/New_York,%Y-%m-%d %H:%M:%S %Z %z)}`, scope), '2023-11-14 17:13:20 EST -0500');
  // 2024-07-04 16:00:00 UTC
  assert.equal(substitute('${STRFTIME(1720108800,America/New_York,%F %T %Z %z)}', scope), '2024-07-04 12:00:00 EDT -0400');
  // The first second of daylight saving time: 2024-03-10 07:00:00 UTC is 03:00 EDT.
  assert.equal(substitute('${STRFTIME(1710054000,America/New_York,%H:%M %Z)}', scope), '03:00 EDT');
  assert.equal(substitute('${STRFTIME(1710053999,America/New_York,%H:%M:%S %Z)}', scope), '01:59:59 EST');
});

test('STRFTIME defaults: now from the scope, the format %c', () => {
  const scope = testScope({ now: 1_700_000_000_250 });
  assert.equal(substitute('${STRFTIME(,UTC,%s.%q)}', scope), '1700000000.250');
  assert.equal(substitute('${STRFTIME(,UTC)}', scope), 'Tue Nov 14 22:13:20 2023');
  assert.equal(substitute('${STRFTIME(garbage,UTC,%s)}', scope), '1700000000');
});

test('STRFTIME fractions of a second: %q and %1q..%6q', () => {
  const scope = testScope();
  assert.equal(substitute('${STRFTIME(1700000000.123456,UTC,%q|%1q|%3q|%6q|%S)}', scope), '123|1|123|123456|20');
  assert.equal(substitute('${STRFTIME(1700000000.5,UTC,%6q)}', scope), '500000');
});

test('an unknown time zone falls back to GMT', () => {
  const scope = testScope();
  assert.equal(substitute(`\${STRFTIME(${EPOCH},Mars/Olympus,%H:%M %Z)}`, scope), '22:13 GMT');
  assert.equal(isKnownTimeZone('Mars/Olympus'), false);
  assert.equal(isKnownTimeZone('Europe/Paris'), true);
});

test('an empty result warns', () => {
  const scope = testScope();
  assert.equal(substitute(`\${STRFTIME(${EPOCH},UTC,)}`, scope), '');
  assert.deepEqual(scope.warnings, ['C function strftime() output nothing?!!']);
});

test('strftime conversions match glibc in the C locale', () => {
  const tm = breakDownTime(EPOCH * 1000, 'America/New_York');
  const expected: [string, string][] = [
    ['%c', 'Tue Nov 14 17:13:20 2023'],
    ['%C %y %G %g %V %U %W %u %w', '20 23 2023 23 46 46 46 2 2'],
    ['%D|%F|%T|%R|%r|%x|%X', '11/14/23|2023-11-14|17:13:20|17:13|05:13:20 PM|11/14/23|17:13:20'],
    ['%e|%k|%l|%I|%p|%P', '14|17| 5|05|PM|pm'],
    ['%h %n%t%%', 'Nov \n\t%'],
    ['%-d|%_m|%^a|%10A|%#Z|%Ey|%Od|%5d', '14|11|TUE|   Tuesday|est|23|14|00014'],
    ['%Q and a trailing %', '%Q and a trailing %'],
  ];
  for (const [format, out] of expected) assert.equal(strftime(format, tm), out, format);
});

test('strftime: ISO weeks across year boundaries, day of year, negative epochs', () => {
  const fmt = '%Y-%m-%d %j %G-W%V-%u %U %W';
  assert.equal(strftime(fmt, breakDownTime(Date.UTC(2021, 0, 1) + 43200_000, 'UTC')), '2021-01-01 001 2020-W53-5 00 00');
  assert.equal(strftime(fmt, breakDownTime(Date.UTC(2024, 11, 30) + 43200_000, 'UTC')), '2024-12-30 365 2025-W01-1 52 53');
  assert.equal(strftime(fmt, breakDownTime(Date.UTC(2024, 11, 31) + 43200_000, 'UTC')), '2024-12-31 366 2025-W01-2 52 53');
  assert.equal(strftime('%Y-%m-%d %H:%M:%S %a', breakDownTime(-2522880000 * 1000, 'UTC')), '1890-01-20 00:00:00 Mon');
  assert.equal(strftime('%z', breakDownTime(0, 'Asia/Kolkata')), '+0530');
});
