import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aclAllows, compileAcl } from './acl.ts';
import type { AclRule } from '../../config/types.ts';

const permit = (network: string): AclRule => ({ action: 'permit', network });
const deny = (network: string): AclRule => ({ action: 'deny', network });

function allows(rules: readonly AclRule[], address: string): boolean {
  return aclAllows(compileAcl(rules), address);
}

test('an empty list allows every address', () => {
  const acl = compileAcl([]);
  assert.equal(aclAllows(acl, '192.0.2.1'), true);
  assert.equal(aclAllows(acl, '::1'), true);
  assert.equal(acl.entries.length, 0);
});

test('deny all then permit one network; the last matching rule wins', () => {
  const rules = [deny('0.0.0.0/0.0.0.0'), permit('10.0.0.0/8'), deny('10.9.0.0/16')];
  assert.equal(allows(rules, '10.1.2.3'), true);
  assert.equal(allows(rules, '10.9.2.3'), false);
  assert.equal(allows(rules, '192.168.1.1'), false);
  // Order matters: with the permit last it wins for the whole of 10/8.
  const reordered = [deny('0.0.0.0/0.0.0.0'), deny('10.9.0.0/16'), permit('10.0.0.0/8')];
  assert.equal(allows(reordered, '10.9.2.3'), true);
});

test('an address matched by no rule keeps the optimistic start', () => {
  assert.equal(allows([deny('192.168.0.0/16')], '10.0.0.1'), true);
  assert.equal(allows([permit('192.168.0.0/16')], '10.0.0.1'), true);
});

test('IPv4 networks: single address, prefix length, dotted mask, host bits masked off', () => {
  assert.equal(allows([deny('0.0.0.0/0'), permit('127.0.0.1')], '127.0.0.1'), true);
  assert.equal(allows([deny('0.0.0.0/0'), permit('127.0.0.1')], '127.0.0.2'), false);
  assert.equal(allows([deny('0.0.0.0/0'), permit('192.168.1.77/24')], '192.168.1.200'), true);
  assert.equal(allows([deny('0.0.0.0/0'), permit('192.168.1.0/24')], '192.168.2.1'), false);
  assert.equal(allows([deny('0.0.0.0/0'), permit('172.16.0.0/255.240.0.0')], '172.31.255.255'), true);
  assert.equal(allows([deny('0.0.0.0/0'), permit('172.16.0.0/255.240.0.0')], '172.32.0.0'), false);
  assert.equal(allows([deny('0.0.0.0/32'), permit('0.0.0.0/0')], '8.8.8.8'), true);
  // Dotted masks need not be contiguous; they are applied bit by bit.
  assert.equal(allows([deny('0.0.0.5/0.0.0.255')], '10.20.30.5'), false);
  assert.equal(allows([deny('0.0.0.5/0.0.0.255')], '10.20.30.6'), true);
  assert.equal(compileAcl([permit('10.1.2.3/8')]).entries[0]?.network, '10.0.0.0/255.0.0.0');
  assert.equal(compileAcl([permit('192.168.1.77/25')]).entries[0]?.network, '192.168.1.0/255.255.255.128');
});

test('IPv6 networks: ::1, prefixes, ::/0, colon masks, zones and brackets', () => {
  assert.equal(allows([deny('::/0'), permit('::1')], '::1'), true);
  assert.equal(allows([deny('::/0'), permit('::1')], '::2'), false);
  assert.equal(allows([deny('::/0'), permit('fe80::/10')], 'fe80::1234:5678'), true);
  assert.equal(allows([deny('::/0'), permit('fe80::/10')], 'febf:ffff::1'), true);
  assert.equal(allows([deny('::/0'), permit('fe80::/10')], 'fec0::1'), false);
  assert.equal(allows([deny('::/0'), permit('fe80::/10')], 'fe80::1%eth0'), true);
  assert.equal(allows([deny('::/0'), permit('[2001:db8::1]')], '2001:db8::1'), true);
  assert.equal(allows([deny('2001:db8::/ffff:ffff::')], '2001:db8:1::1'), false);
  assert.equal(allows([deny('2001:db8::/ffff:ffff::')], '2001:db9::1'), true);
  assert.equal(allows([deny('::/0'), permit('2001:db8:0:0:0:0:0:1/128')], '2001:db8::1'), true);
  assert.equal(compileAcl([permit('fe80::1/10')]).entries[0]?.network, 'fe80::/ffc0::');
});

test('IPv4 rules do not apply to IPv6 clients and IPv6 rules do not apply to IPv4 clients', () => {
  assert.equal(allows([deny('0.0.0.0/0')], '::1'), true);
  assert.equal(allows([deny('::/0')], '127.0.0.1'), true);
  assert.equal(allows([deny('::/0')], '::ffff:127.0.0.1'), true);
  assert.equal(allows([deny('0.0.0.0/0'), deny('::/0')], '::ffff:127.0.0.1'), false);
});

test('IPv4-mapped IPv6 clients are checked as their IPv4 address', () => {
  const rules = [deny('0.0.0.0/0.0.0.0'), permit('127.0.0.1')];
  assert.equal(allows(rules, '::ffff:127.0.0.1'), true);
  assert.equal(allows(rules, '::FFFF:127.0.0.1'), true);
  assert.equal(allows(rules, '::ffff:7f00:1'), true);
  assert.equal(allows(rules, '::ffff:127.0.0.2'), false);
  assert.equal(allows([deny('10.0.0.0/8')], '::ffff:10.1.1.1'), false);
});

test('IPv4-mapped networks are compiled as IPv4', () => {
  const acl = compileAcl([deny('0.0.0.0/0'), permit('::ffff:192.168.0.0/16')]);
  assert.equal(acl.entries[1]?.family, 4);
  assert.equal(acl.entries[1]?.network, '192.168.0.0/255.255.0.0');
  assert.equal(aclAllows(acl, '192.168.7.7'), true);
  assert.equal(aclAllows(acl, '::ffff:192.168.7.7'), true);
  assert.equal(aclAllows(acl, '192.169.0.1'), false);
});

test('comma lists and ! negation inside one rule', () => {
  const acl = compileAcl([deny('0.0.0.0/0'), permit('10.0.0.0/8, 192.168.0.0/16,!192.168.5.0/24')]);
  assert.equal(acl.entries.length, 4);
  assert.equal(acl.entries[3]?.action, 'deny');
  assert.equal(aclAllows(acl, '10.2.3.4'), true);
  assert.equal(aclAllows(acl, '192.168.4.1'), true);
  assert.equal(aclAllows(acl, '192.168.5.1'), false);
  assert.equal(allows([deny('!127.0.0.1')], '127.0.0.1'), true);
});

test('invalid networks throw TypeError naming the network', () => {
  const bad = [
    '',
    'localhost',
    '10.0.0.256',
    '10.0.0',
    '010.0.0.1',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/8x',
    '10.0.0.0/',
    '10.0.0.0/255.255.0',
    '10.0.0.0/ffff::',
    '::1/129',
    '::1/255.255.255.0',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    'fe80::/10, nonsense',
    '!',
  ];
  for (const network of bad) {
    assert.throws(
      () => compileAcl([permit(network)]),
      (err: unknown) => err instanceof TypeError && err.message.includes(JSON.stringify(network)),
      network,
    );
  }
  assert.throws(() => compileAcl([{ action: 'allow' as 'permit', network: '10.0.0.0/8' }]), TypeError);
});

test('unreadable client addresses are refused when rules exist', () => {
  const acl = compileAcl([permit('0.0.0.0/0')]);
  assert.equal(aclAllows(acl, ''), false);
  assert.equal(aclAllows(acl, 'not-an-ip'), false);
  assert.equal(aclAllows(acl, '1.2.3.4.5'), false);
});

test('compiled ACLs are frozen', () => {
  const acl = compileAcl([permit('10.0.0.0/8')]);
  assert.equal(Object.isFrozen(acl), true);
  assert.equal(Object.isFrozen(acl.entries), true);
  assert.equal(Object.isFrozen(acl.entries[0]), true);
});
