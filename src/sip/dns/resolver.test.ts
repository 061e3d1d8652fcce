import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { locateSipServers, orderSrv, type DnsLookup, type NaptrRecord, type SrvRecord } from './resolver.ts';

/** A DNS held in maps; every query is recorded. */
function fakeDns(zone: { naptr?: Record<string, NaptrRecord[]>; srv?: Record<string, SrvRecord[]>; a?: Record<string, string[]>; aaaa?: Record<string, string[]> }) {
  const asked: string[] = [];
  const lookup: DnsLookup = {
    naptr: async (n) => (asked.push(`NAPTR ${n}`), zone.naptr?.[n] ?? []),
    srv: async (n) => (asked.push(`SRV ${n}`), zone.srv?.[n] ?? []),
    addresses: async (n, f) => (asked.push(`${f === 4 ? 'A' : 'AAAA'} ${n}`), (f === 4 ? zone.a : zone.aaaa)?.[n] ?? []),
  };
  return { lookup, asked };
}

const udpTcp4 = { available: (t: string, f: 4 | 6) => f === 4 && (t === 'UDP' || t === 'TCP') };
const srv = (name: string, port: number, priority = 10, weight = 0): SrvRecord => ({ name, port, priority, weight });

describe('locateSipServers (RFC 3263)', () => {
  it('uses an IP address as is, with the default port of the transport', async () => {
    const { lookup, asked } = fakeDns({});
    assert.deepEqual(await locateSipServers('sip:1@192.0.2.1', lookup, udpTcp4), [{ transport: 'UDP', host: '192.0.2.1', port: 5060 }]);
    assert.deepEqual(await locateSipServers('sip:1@192.0.2.1:5070;transport=tcp', lookup, udpTcp4), [{ transport: 'TCP', host: '192.0.2.1', port: 5070 }]);
    assert.deepEqual(asked, []);
  });

  it('a host with a port: only its addresses', async () => {
    const { lookup, asked } = fakeDns({ a: { 'pbx.test': ['192.0.2.7'] }, srv: { '_sip._udp.pbx.test': [srv('x.test', 1)] } });
    assert.deepEqual(await locateSipServers('sip:1@pbx.test:5080', lookup, udpTcp4), [{ transport: 'UDP', host: '192.0.2.7', port: 5080 }]);
    assert.deepEqual(asked, ['A pbx.test']);
  });

  it('no port: SRV by priority (sips skipped without a TLS transport), targets resolved on the SRV port', async () => {
    const { lookup } = fakeDns({
      srv: { '_sip._udp.pbx.test': [srv('b.pbx.test', 5062, 20), srv('a.pbx.test', 5061, 10)], '_sips._tcp.pbx.test': [srv('s.pbx.test', 5063)] },
      a: { 'a.pbx.test': ['192.0.2.1'], 'b.pbx.test': ['192.0.2.2', '192.0.2.3'], 'pbx.test': ['192.0.2.99'] },
    });
    assert.deepEqual(await locateSipServers('sip:1@pbx.test', lookup, udpTcp4), [
      { transport: 'UDP', host: '192.0.2.1', port: 5061 },
      { transport: 'UDP', host: '192.0.2.2', port: 5062 },
      { transport: 'UDP', host: '192.0.2.3', port: 5062 },
    ]);
  });

  it('NAPTR wins over SRV and A, keeps its first order, honours flags and known services only', async () => {
    const naptr = (order: number, preference: number, service: string, replacement: string, flags = 's'): NaptrRecord => ({ order, preference, service, replacement, flags, regexp: '' });
    const { lookup } = fakeDns({
      naptr: { 'pbx.test': [naptr(20, 10, 'SIP+D2U', '_sip._udp.late.test'), naptr(10, 20, 'SIP+D2U', '_sip._udp.pbx.test'), naptr(10, 10, 'SIP+D2T', '_sip._tcp.pbx.test'), naptr(10, 5, 'SIP+D2X', '_x.pbx.test'), naptr(10, 6, 'SIP+D2U', 'u.test', 'u')] },
      srv: { '_sip._tcp.pbx.test': [srv('t.pbx.test', 5070)], '_sip._udp.pbx.test': [srv('u.pbx.test', 5071)], '_sip._udp.late.test': [srv('late.test', 1)] },
      a: { 't.pbx.test': ['192.0.2.10'], 'u.pbx.test': ['192.0.2.11'], 'late.test': ['192.0.2.12'] },
    });
    assert.deepEqual(await locateSipServers('sip:1@pbx.test', lookup, udpTcp4), [
      { transport: 'TCP', host: '192.0.2.10', port: 5070 },
      { transport: 'UDP', host: '192.0.2.11', port: 5071 },
    ]);
  });

  it('transport=tcp asks only for TCP records; a name with nothing at all is an error', async () => {
    const { lookup, asked } = fakeDns({ srv: { '_sip._udp.pbx.test': [srv('u.test', 1)] }, a: { 'pbx.test': ['192.0.2.5'] } });
    assert.deepEqual(await locateSipServers('sip:1@pbx.test;transport=tcp', lookup, udpTcp4), [{ transport: 'TCP', host: '192.0.2.5', port: 5060 }]);
    assert.ok(!asked.includes('SRV _sip._udp.pbx.test'));
    await assert.rejects(locateSipServers('sip:1@nowhere.test', lookup, udpTcp4), /cannot resolve nowhere\.test/);
  });

  it('orders SRV records by priority and weight (RFC 2782)', () => {
    const records = [srv('c', 1, 20, 0), srv('a', 1, 10, 90), srv('b', 1, 10, 10)];
    // random 0 picks the lightest first; random 0.999 the heaviest.
    assert.deepEqual(orderSrv(records, () => 0).map((r) => r.name), ['b', 'a', 'c']);
    assert.deepEqual(orderSrv(records, () => 0.999).map((r) => r.name), ['a', 'b', 'c']);
    // Over many draws the weight 90 record comes first about 9 times in 10.
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    let aFirst = 0;
    for (let i = 0; i < 2000; i++) if (orderSrv(records, rand)[0]?.name === 'a') aFirst++;
    assert.ok(aFirst > 1650 && aFirst < 1950, String(aFirst));
  });
});
