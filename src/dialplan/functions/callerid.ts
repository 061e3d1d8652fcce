/**
 * CALLERID and CONNECTEDLINE: the caller and connected line identities of the channel.
 *
 * The data type is `name`, `num` (or anything starting with `num`, such as `number`) or `all`
 * (`"name" <number>`), matched case-insensitively; CALLERID also accepts a second argument, a caller id
 * string to parse instead of the channel's (`CALLERID(num,"Bob" <200>)`). Writing `all` parses the value
 * as Asterisk's `ast_callerid_split` does, which `splitCallerId` exposes for other users (originate's
 * `callerId`, Dial). Other data types (ani, dnid, rdnis, pres, subaddress, tag, ...) are not modelled yet
 * and are reported as unknown.
 */

import type { PartyId, SubstitutionScope } from '../substitute.ts';
import { splitAppArgs } from '../args.ts';
import type { DialplanFunction } from './registry.ts';
import { skipBlanks, stripBlanks, stripQuoted, trimBlanks, warn } from './helpers.ts';

/**
 * Splits a caller id string into name and number as Asterisk does: `"Name" <number>`, `Name <number>`,
 * a bare phone number (digits, `*#+`, with `()- .` formatting removed) or a bare name.
 *
 * @example
 * splitCallerId('"Alice Smith" <+1 (555) 123-4567>') // { name: 'Alice Smith', number: '+15551234567' }
 * splitCallerId('5551234')                           // { name: '', number: '5551234' }
 * splitCallerId('Alice')                             // { name: 'Alice', number: '' }
 */
export function splitCallerId(text: string): { name: string; number: string } {
  const input = stripBlanks(text);
  const instr = stripQuoted(input);
  const quotesStripped = instr !== input;
  let name: string | undefined;
  let location: string | undefined;
  const ls = instr.lastIndexOf('<');
  if (ls >= 0) {
    const after = instr.slice(ls + 1);
    const le = after.lastIndexOf('>');
    location = le >= 0 ? after.slice(0, le) : after;
    name = stripQuoted(instr.slice(0, ls));
  } else {
    const shrunk = shrinkPhoneNumber(instr);
    if (!quotesStripped && isPhoneNumber(shrunk)) {
      location = shrunk;
    } else {
      name = stripQuoted(instr);
    }
  }
  return {
    name: name === undefined ? '' : unescapeQuoted(name),
    number: location === undefined ? '' : shrinkPhoneNumber(location),
  };
}

/** Removes phone number formatting: `( )` and blanks always, `-` outside brackets, `.` except at the end. */
export function shrinkPhoneNumber(n: string): string {
  let out = '';
  let bracketed = 0;
  for (let x = 0; x < n.length; x++) {
    const c = n[x]!;
    switch (c) {
      case '[':
        bracketed++;
        out += c;
        break;
      case ']':
        bracketed--;
        out += c;
        break;
      case '-':
        if (bracketed > 0) out += c;
        break;
      case '.':
        if (x === n.length - 1) out += c;
        break;
      default:
        if (c !== '(' && c !== ' ' && c !== ')') out += c;
    }
  }
  return out;
}

function isPhoneNumber(n: string): boolean {
  return n !== '' && /^[0-9*#+]+$/.test(n);
}

function unescapeQuoted(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    let c = text[i]!;
    if (c === '\\') {
      i++;
      if (i >= text.length) break;
      c = text[i]!;
    }
    out += c;
  }
  return out;
}

/** Formats an identity as CALLERID(all) does. */
export function formatCallerId(party: PartyId): string {
  return `"${party.name}" <${party.number}>`;
}

type Member = 'name' | 'number' | 'all';

/** The data type of a CALLERID/CONNECTEDLINE argument, or undefined when it is not one we model. */
function memberOf(datatype: string): Member | undefined {
  const subnames = splitAppArgs(datatype, '-');
  if (subnames.length !== 1) return undefined;
  const m = subnames[0]!.toLowerCase();
  if (m === 'all') return 'all';
  if (m === 'name') return 'name';
  if (m.startsWith('num')) return 'number';
  return undefined;
}

function readParty(party: PartyId, member: Member): string {
  return member === 'all' ? formatCallerId(party) : member === 'name' ? party.name : party.number;
}

/** The update `Set(CALLERID(member)=value)` makes. */
function partyUpdate(member: Member, value: string): { name?: string; number?: string } {
  const v = skipBlanks(value);
  if (member === 'all') return splitCallerId(v);
  return member === 'name' ? { name: trimBlanks(v) } : { number: trimBlanks(v) };
}

function callerIdRead(scope: SubstitutionScope, args: string): string {
  const channel = scope.channel;
  if (channel === undefined) return '';
  const [datatype, cid] = splitAppArgs(args);
  if (datatype === undefined) return '';
  const member = memberOf(datatype);
  if (member === undefined) {
    warn(scope, `Unknown callerid data type '${args}'.`);
    return '';
  }
  if (cid !== undefined) return readParty(splitCallerId(cid), member);
  return readParty(channel.caller, member);
}

function callerIdWrite(scope: SubstitutionScope, args: string, value: string): void {
  const channel = scope.channel;
  if (channel === undefined) return;
  const [datatype] = splitAppArgs(args);
  if (datatype === undefined) return;
  const member = memberOf(datatype);
  if (member === undefined) {
    warn(scope, `Unknown callerid data type '${args}'.`);
    return;
  }
  channel.setCaller(partyUpdate(member, value));
}

function connectedLineRead(scope: SubstitutionScope, args: string): string {
  const channel = scope.channel;
  if (channel === undefined) return '';
  const member = memberOf(args);
  if (member === undefined) {
    warn(scope, `Unknown connectedline data type '${args}'.`);
    return '';
  }
  return readParty(channel.connected, member);
}

function connectedLineWrite(scope: SubstitutionScope, args: string, value: string): void {
  const channel = scope.channel;
  if (channel === undefined) return;
  // The second argument (`i`: do not send the update to the other side) has no effect yet.
  const [datatype] = splitAppArgs(args);
  if (datatype === undefined) return;
  const member = memberOf(datatype);
  if (member === undefined) {
    warn(scope, `Unknown connectedline data type '${args}'.`);
    return;
  }
  channel.setConnected(partyUpdate(member, value));
}

export const callerIdFunctions: readonly DialplanFunction[] = [
  {
    name: 'CALLERID',
    synopsis: 'Caller name and number of the channel (read and write)',
    syntax: 'CALLERID(datatype[,CID])',
    read: callerIdRead,
    write: callerIdWrite,
  },
  {
    name: 'CONNECTEDLINE',
    synopsis: 'Connected line name and number of the channel (read and write)',
    syntax: 'CONNECTEDLINE(datatype[,i])',
    read: connectedLineRead,
    write: connectedLineWrite,
  },
];
