/**
 * STRFTIME([epoch][,timezone][,format]): a time formatted as C's strftime does in the C locale.
 *
 * The epoch defaults to now (`scope.now`), the time zone to the system's, and the format to `%c`. Time
 * zones are IANA names resolved through `Intl` (`America/New_York`, `UTC`); an unknown zone falls back to
 * GMT, as Asterisk's own time zone code does. The conversions are glibc's (`%a %A %b %B %c %C %d %D %e %F
 * %g %G %h %H %I %j %k %l %m %M %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %%`, with the
 * `- _ 0 ^ #` flags and a field width) plus Asterisk's `%q` (milliseconds) and `%1q`..`%6q` (that many
 * decimals of the second). `%Z` is the abbreviation `Intl` knows, which for some zones is `GMT+1` where the
 * tz database says `CET`.
 */

import type { SubstitutionScope } from '../substitute.ts';
import { splitAppArgs } from '../args.ts';
import type { DialplanFunction } from './registry.ts';

/** Broken-down time, as C's `struct tm` plus the zone's offset and abbreviation. */
export interface BrokenDownTime {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** Microseconds within the second. */
  readonly usec: number;
  /** 0 = Sunday. */
  readonly weekday: number;
  /** 0..365 */
  readonly yearDay: number;
  /** Seconds east of UTC. */
  readonly offset: number;
  readonly zoneName: string;
  /** Whole seconds since the epoch. */
  readonly epoch: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? '';
  let f = formatters.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      ...(timeZone === undefined ? {} : { timeZone }),
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
      timeZoneName: 'short',
    });
    formatters.set(key, f);
  }
  return f;
}

/** Whether `Intl` knows the time zone. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Midnight UTC of a calendar date, for any year (`Date.UTC` would map years 0..99 to 1900..1999). */
function utcMidnight(year: number, month0: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month0, day);
  return d.getTime();
}

/**
 * Breaks `epochMs` down in `timeZone` (the system zone when undefined or empty; GMT when unknown).
 */
export function breakDownTime(epochMs: number, timeZone?: string): BrokenDownTime {
  const seconds = Math.floor(epochMs / 1000);
  return breakDown(seconds, Math.floor((epochMs - seconds * 1000) * 1000), timeZone);
}

function breakDown(seconds: number, usec: number, timeZone: string | undefined): BrokenDownTime {
  const zone = timeZone === undefined || timeZone === '' ? undefined : timeZone;
  if (zone !== undefined && !isKnownTimeZone(zone)) return fromUtc(seconds, usec, 0, 'GMT');
  const parts = formatterFor(zone).formatToParts(new Date(seconds * 1000));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const era = parts.find((p) => p.type === 'era')?.value;
  const year = era === 'BC' ? 1 - get('year') : get('year');
  const local = utcMidnight(year, get('month') - 1, get('day')) / 1000 + get('hour') * 3600 + get('minute') * 60 + get('second');
  return fromUtc(seconds, usec, local - seconds, parts.find((p) => p.type === 'timeZoneName')?.value ?? '');
}

function fromUtc(seconds: number, usec: number, offset: number, zoneName: string): BrokenDownTime {
  const d = new Date((seconds + offset) * 1000);
  const year = d.getUTCFullYear();
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    usec,
    weekday: d.getUTCDay(),
    yearDay: Math.round((utcMidnight(year, d.getUTCMonth(), d.getUTCDate()) - utcMidnight(year, 0, 1)) / 86_400_000),
    offset,
    zoneName,
    epoch: seconds,
  };
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** ISO 8601 week-based year and week number. */
function isoWeek(tm: BrokenDownTime): { year: number; week: number } {
  const isoDay = tm.weekday === 0 ? 7 : tm.weekday;
  let week = Math.floor((tm.yearDay + 1 - isoDay + 10) / 7);
  let year = tm.year;
  const weeksIn = (y: number): number => {
    const w = new Date(utcMidnight(y, 0, 1)).getUTCDay();
    return w === 4 || (isLeap(y) && w === 3) ? 53 : 52;
  };
  if (week < 1) {
    year--;
    week = weeksIn(year);
  } else if (week > weeksIn(year)) {
    year++;
    week = 1;
  }
  return { year, week };
}

/**
 * Formats broken-down time like glibc's strftime in the C locale, with Asterisk's `%q` extension.
 *
 * @example
 * strftime('%Y-%m-%d %H:%M:%S %Z', breakDownTime(0, 'UTC')) // '1970-01-01 00:00:00 UTC'
 */
export function strftime(format: string, tm: BrokenDownTime): string {
  let out = '';
  const n = format.length;
  let i = 0;
  while (i < n) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    const start = i;
    i++;
    let flag = '';
    while (i < n && '-_0^#'.includes(format[i]!)) flag = format[i++]!;
    let widthText = '';
    while (i < n && format[i]! >= '0' && format[i]! <= '9') widthText += format[i++]!;
    // Asterisk's %1q..%6q: the digit is the number of decimals, not a width.
    if (flag === '' && /^[1-6]$/.test(widthText) && format[i] === 'q') {
      out += fraction(tm.usec, Number(widthText));
      i++;
      continue;
    }
    while (i < n && (format[i] === 'E' || format[i] === 'O')) i++;
    const conv = format[i];
    if (conv === undefined) {
      out += format.slice(start);
      break;
    }
    i++;
    const width = widthText === '' ? undefined : Number(widthText);
    const piece = conversion(conv, tm, flag, width);
    out += piece ?? format.slice(start, i);
  }
  return out;
}

function fraction(usec: number, decimals: number): string {
  const v = Math.floor(usec / 10 ** (6 - decimals));
  return String(v).padStart(decimals, '0');
}

/** One conversion; undefined for an unknown one (copied as written). */
function conversion(conv: string, tm: BrokenDownTime, flag: string, width: number | undefined): string | undefined {
  const num = (value: number, digits: number, pad: '0' | ' ' = '0'): string => {
    const negative = value < 0;
    let s = String(Math.abs(value));
    const padChar = flag === '-' ? '' : flag === '_' ? ' ' : flag === '0' ? '0' : pad;
    const w = width ?? digits;
    if (padChar !== '') s = s.padStart(negative ? w - 1 : w, padChar);
    return negative ? '-' + s : s;
  };
  const text = (value: string, upper = false): string => {
    let s = flag === '^' || upper ? value.toUpperCase() : value;
    if (flag === '#') s = s === s.toUpperCase() ? s.toLowerCase() : s.toUpperCase();
    if (width !== undefined && s.length < width) s = s.padStart(width, flag === '0' ? '0' : ' ');
    return s;
  };
  const compound = (f: string): string => text(strftime(f, tm));
  const hour12 = tm.hour % 12 === 0 ? 12 : tm.hour % 12;
  switch (conv) {
    case 'a': return text(DAYS[tm.weekday]!.slice(0, 3));
    case 'A': return text(DAYS[tm.weekday]!);
    case 'b':
    case 'h': return text(MONTHS[tm.month - 1]!.slice(0, 3));
    case 'B': return text(MONTHS[tm.month - 1]!);
    case 'c': return compound('%a %b %e %H:%M:%S %Y');
    case 'C': return num(Math.floor(tm.year / 100), 2);
    case 'd': return num(tm.day, 2);
    case 'D': return compound('%m/%d/%y');
    case 'e': return num(tm.day, 2, ' ');
    case 'F': return compound('%Y-%m-%d');
    case 'g': return num(((isoWeek(tm).year % 100) + 100) % 100, 2);
    case 'G': return num(isoWeek(tm).year, 1);
    case 'H': return num(tm.hour, 2);
    case 'I': return num(hour12, 2);
    case 'j': return num(tm.yearDay + 1, 3);
    case 'k': return num(tm.hour, 2, ' ');
    case 'l': return num(hour12, 2, ' ');
    case 'm': return num(tm.month, 2);
    case 'M': return num(tm.minute, 2);
    case 'n': return '\n';
    case 'p': return text(tm.hour < 12 ? 'AM' : 'PM');
    case 'P': return text(tm.hour < 12 ? 'am' : 'pm');
    case 'q': return fraction(tm.usec, 3);
    case 'r': return compound('%I:%M:%S %p');
    case 'R': return compound('%H:%M');
    case 's': return num(tm.epoch, 1);
    case 'S': return num(tm.second, 2);
    case 't': return '\t';
    case 'T': return compound('%H:%M:%S');
    case 'u': return num(tm.weekday === 0 ? 7 : tm.weekday, 1);
    case 'U': return num(Math.floor((tm.yearDay + 7 - tm.weekday) / 7), 2);
    case 'V': return num(isoWeek(tm).week, 2);
    case 'w': return num(tm.weekday, 1);
    case 'W': return num(Math.floor((tm.yearDay + 7 - ((tm.weekday + 6) % 7)) / 7), 2);
    case 'x': return compound('%m/%d/%y');
    case 'X': return compound('%H:%M:%S');
    case 'y': return num(((tm.year % 100) + 100) % 100, 2);
    case 'Y': return num(tm.year, 1);
    case 'z': {
      const abs = Math.abs(tm.offset);
      const hhmm = Math.floor(abs / 3600) * 100 + Math.floor((abs % 3600) / 60);
      return (tm.offset < 0 ? '-' : '+') + String(hhmm).padStart(4, '0');
    }
    case 'Z': return text(tm.zoneName);
    case '%': return '%';
    default: return undefined;
  }
}

/**
 * `%Lf` as `sscanf` reads it, then split as Asterisk does: whole seconds (truncated toward zero) and the
 * microseconds of the fraction. Undefined when `text` does not start with a number.
 */
function scanSeconds(text: string): { seconds: number; usec: number } | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?/.exec(text);
  if (m === null || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  if (m[4] !== undefined) {
    const v = Number(m[0]);
    if (!Number.isFinite(v)) return undefined;
    const whole = Math.trunc(v);
    return { seconds: whole, usec: Math.trunc(Math.abs(v - whole) * 1e6) };
  }
  const seconds = sign * Number(m[2] === '' ? '0' : m[2]);
  const usec = Number(((m[3] ?? '') + '000000').slice(0, 6));
  return { seconds: seconds === 0 ? 0 : seconds, usec };
}

function strftimeRead(scope: SubstitutionScope, args: string): string {
  const [epochArg, zoneArg, formatArg] = splitAppArgs(args);
  const given = epochArg === undefined || epochArg === '' ? undefined : scanSeconds(epochArg);
  const tm = given === undefined ? breakDownTime(scope.now?.() ?? Date.now(), zoneArg) : breakDown(given.seconds, given.usec, zoneArg);
  const out = strftime(formatArg ?? '%c', tm);
  if (out === '') scope.warn?.('C function strftime() output nothing?!!');
  return out;
}

export const timeFunctions: readonly DialplanFunction[] = [
  {
    name: 'STRFTIME',
    synopsis: 'A time (now by default) formatted with strftime conversions',
    syntax: 'STRFTIME([epoch][,timezone][,format])',
    read: strftimeRead,
  },
];
