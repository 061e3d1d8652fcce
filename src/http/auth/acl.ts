/**
 * permit/deny address lists for ari.conf users, with Asterisk's ACL semantics.
 *
 * A user's `permit=` and `deny=` lines are compiled once, when configuration loads, into byte masks; each
 * request's remote address is then checked against them. The rules, as in Asterisk's ACL code:
 *   - the answer starts as "allowed", and every rule whose network contains the address sets the answer to
 *     that rule's action, so the last matching rule wins and an empty list allows everyone;
 *   - IPv4 rules only see IPv4 clients (including IPv4-mapped IPv6 addresses such as `::ffff:127.0.0.1`,
 *     which is how Node reports IPv4 peers on a dual-stack socket), IPv6 rules only see other IPv6 clients:
 *     `deny=::/0` does not deny IPv4 clients;
 *   - a network is `address`, `address/prefix` or `address/mask` (a dotted or colon mask, applied bit by bit);
 *     the address is masked when compiled, so `10.1.2.3/8` means `10.0.0.0/8`; an IPv4-mapped IPv6 network or
 *     mask is treated as IPv4;
 *   - one line may hold several networks separated by commas, and a network written `!net` takes the opposite
 *     action.
 * Named ACLs (`acl=` against acl.conf) are resolved elsewhere into plain rules before they reach this module.
 */

import { isIPv4, isIPv6 } from 'node:net';
import type { AclRule } from '../../config/types.ts';

/** One compiled network: the masked address and mask, 4 bytes for IPv4 and 16 for IPv6. */
export interface AclEntry {
  readonly action: 'permit' | 'deny';
  readonly family: 4 | 6;
  readonly address: Uint8Array;
  readonly mask: Uint8Array;
  /** The network as `address/mask` after masking, e.g. `10.0.0.0/255.0.0.0` or `fe80::/ffc0::`. */
  readonly network: string;
}

/** A compiled ACL; entries are in the order the rules were written. */
export interface Acl {
  readonly entries: readonly AclEntry[];
}

/**
 * Compiles rules in the order written. Throws `TypeError` naming the network when one cannot be read.
 *
 * @example
 * const acl = compileAcl([{ action: 'deny', network: '0.0.0.0/0' }, { action: 'permit', network: '127.0.0.1' }]);
 * aclAllows(acl, '::ffff:127.0.0.1'); // true
 */
export function compileAcl(rules: readonly AclRule[]): Acl {
  const entries: AclEntry[] = [];
  for (const rule of rules) {
    if (rule.action !== 'permit' && rule.action !== 'deny') {
      throw new TypeError(`invalid ACL action ${JSON.stringify(rule.action)} for network ${JSON.stringify(rule.network)}`);
    }
    for (const part of rule.network.split(',')) entries.push(compileNetwork(rule.action, part.trim(), rule.network));
  }
  return Object.freeze({ entries: Object.freeze(entries) });
}

/**
 * Whether `address` (as a socket reports it: `1.2.3.4`, `::1`, `::ffff:1.2.3.4`, `fe80::1%eth0`) may pass.
 * An address that cannot be read is refused.
 */
export function aclAllows(acl: Acl, address: string): boolean {
  if (acl.entries.length === 0) return true;
  const ip = parseAddress(address);
  if (ip === undefined) return false;
  let allowed = true;
  for (const entry of acl.entries) {
    if (entry.family === ip.family && matches(ip.bytes, entry)) allowed = entry.action === 'permit';
  }
  return allowed;
}

function matches(bytes: Uint8Array, entry: AclEntry): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (((bytes[i] ?? 0) & (entry.mask[i] ?? 0)) !== entry.address[i]) return false;
  }
  return true;
}

interface Ip {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

function compileNetwork(action: 'permit' | 'deny', text: string, written: string): AclEntry {
  const fail = (why: string): never => {
    throw new TypeError(`invalid ACL network ${JSON.stringify(written)}: ${why}`);
  };
  let spec = text;
  let sense = action;
  if (spec.startsWith('!')) {
    sense = action === 'permit' ? 'deny' : 'permit';
    spec = spec.slice(1).trim();
  }
  if (spec === '') fail('empty network');
  const slash = spec.indexOf('/');
  const addressText = slash < 0 ? spec : spec.slice(0, slash);
  const maskText = slash < 0 ? undefined : spec.slice(slash + 1);

  const ip = parseAddress(addressText);
  if (ip === undefined) return fail(`${JSON.stringify(addressText)} is not an IP address`);
  const width = ip.bytes.length;

  let mask: Uint8Array;
  if (maskText === undefined) {
    mask = prefixMask(width, width * 8);
  } else if (maskText.includes('.') || maskText.includes(':')) {
    const m = parseAddress(maskText);
    if (m === undefined) return fail(`${JSON.stringify(maskText)} is not a netmask`);
    if (m.family !== ip.family) return fail('address and mask are not of the same family');
    mask = m.bytes;
  } else {
    if (!/^[0-9]{1,3}$/.test(maskText)) return fail(`${JSON.stringify(maskText)} is not a prefix length`);
    const bits = Number(maskText);
    if (bits > width * 8) return fail(`prefix length ${bits} is too long for IPv${ip.family}`);
    mask = prefixMask(width, bits);
  }

  const address = new Uint8Array(width);
  for (let i = 0; i < width; i++) address[i] = (ip.bytes[i] ?? 0) & (mask[i] ?? 0);
  return Object.freeze({
    action: sense,
    family: ip.family,
    address,
    mask,
    network: `${formatAddress(ip.family, address)}/${formatAddress(ip.family, mask)}`,
  });
}

function prefixMask(width: number, bits: number): Uint8Array {
  const mask = new Uint8Array(width);
  for (let i = 0; i < width; i++) {
    const left = bits - i * 8;
    mask[i] = left >= 8 ? 0xff : left <= 0 ? 0 : (0xff << (8 - left)) & 0xff;
  }
  return mask;
}

/** Reads an IPv4 or IPv6 address (brackets and a `%zone` allowed); IPv4-mapped IPv6 comes back as IPv4. */
function parseAddress(input: string): Ip | undefined {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0 && text.includes(':')) text = text.slice(0, zone);
  if (isIPv4(text)) return { family: 4, bytes: Uint8Array.from(text.split('.'), Number) };
  if (!isIPv6(text)) return undefined;
  const bytes = parseIPv6(text);
  if (bytes === undefined) return undefined;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? { family: 4, bytes: bytes.slice(12) } : { family: 6, bytes };
}

/** Expands an IPv6 address that `net.isIPv6` accepted into 16 bytes. */
function parseIPv6(text: string): Uint8Array | undefined {
  let body = text;
  // A trailing dotted quad (`::ffff:1.2.3.4`) stands for the last two groups.
  const lastColon = body.lastIndexOf(':');
  const quad = body.slice(lastColon + 1);
  if (quad.includes('.')) {
    if (!isIPv4(quad)) return undefined;
    const q = quad.split('.').map(Number);
    const hi = (((q[0] ?? 0) << 8) | (q[1] ?? 0)).toString(16);
    const lo = (((q[2] ?? 0) << 8) | (q[3] ?? 0)).toString(16);
    body = `${body.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const split = (part: string | undefined): string[] => (part === undefined || part === '' ? [] : part.split(':'));
  const head = split(halves[0]);
  const rest = split(halves[1]);
  const given = head.length + rest.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  const groups = [...head, ...new Array<string>(8 - given).fill('0'), ...rest];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i] ?? '';
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = Number.parseInt(g, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  return bytes;
}

function formatAddress(family: 4 | 6, bytes: Uint8Array): string {
  if (family === 4) return Array.from(bytes).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  // Compress the longest run of two or more zero groups (RFC 5952).
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
