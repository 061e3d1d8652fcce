/**
 * Locating SIP servers (RFC 3263) the way res_pjsip's resolver (res_pjsip/pjsip_resolver.c) does it:
 *
 * - a host that is an IP address is used as is: the URI's transport (UDP unless `transport=` or `sips:`
 *   says otherwise) and port (the transport's default when absent);
 * - a host name with a port: its A (and AAAA) records, on that port;
 * - a host name without a port: NAPTR, then SRV, then A/AAAA, the first that gives anything winning. NAPTR
 *   records (lowest order first, then preference; only the first order seen counts) with flag `s` and
 *   service `SIP+D2U`, `SIP+D2T` or `SIPS+D2T` name the SRV record to ask for; without NAPTR the SRV names
 *   `_sips._tcp`, `_sip._tcp` and `_sip._udp` are asked in that order. SRV records are ordered by priority
 *   and, within a priority, by weighted random choice (RFC 2782); each target gives its addresses on the
 *   SRV port. A transport we have no listener for is skipped, as are NAPTR/SRV answers for another
 *   transport than the URI asks for.
 *
 * The result is the ordered list of destinations to try; the stack fails over to the next on a 503 or a
 * timeout, as pjproject does with the list a resolver gives it.
 *
 * The DNS itself is a `DnsLookup`: `systemDns()` uses the process resolver (getaddrinfo for addresses, so
 * /etc/hosts counts, then the DNS servers of resolv.conf); `dnsServers([...])` asks given servers only (tests
 * run a small responder on loopback).
 */

import dns from 'node:dns';
import net from 'node:net';
import { isSipUri, parseUri } from '../message/uri.ts';
import type { SipAddress } from '../transaction/transaction.ts';

export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export interface NaptrRecord {
  readonly flags: string;
  readonly service: string;
  readonly regexp: string;
  readonly replacement: string;
  readonly order: number;
  readonly preference: number;
}

/** The DNS questions SIP needs; every method resolves with [] when the name has no such records. */
export interface DnsLookup {
  naptr(name: string): Promise<NaptrRecord[]>;
  srv(name: string): Promise<SrvRecord[]>;
  /** IPv4 (family 4) or IPv6 (family 6) addresses of a host name. */
  addresses(name: string, family: 4 | 6): Promise<string[]>;
}

/** Answers that mean "no such records" rather than a failure worth reporting. */
const EMPTY_CODES = new Set(['ENOTFOUND', 'ENODATA', 'ENONAME', 'NOTFOUND', 'NODATA', 'ESERVFAIL', 'ETIMEOUT', 'ECONNREFUSED', 'EREFUSED', 'EBADRESP', 'EFORMERR']);

function orEmpty<T>(p: Promise<T[]>): Promise<T[]> {
  return p.catch((e: NodeJS.ErrnoException) => {
    if (e.code !== undefined && EMPTY_CODES.has(e.code)) return [];
    throw e;
  });
}

/** A lookup over a `dns.promises.Resolver` (record queries) and, optionally, getaddrinfo first for addresses. */
function resolverLookup(resolver: dns.promises.Resolver, useGetaddrinfo: boolean): DnsLookup {
  return {
    naptr: (name) => orEmpty(resolver.resolveNaptr(name)),
    srv: (name) => orEmpty(resolver.resolveSrv(name)),
    addresses: async (name, family) => {
      if (useGetaddrinfo) {
        const found = await orEmpty(dns.promises.lookup(name, { family, all: true })).catch(() => []);
        if (found.length > 0) return found.map((a) => a.address);
      }
      return orEmpty(family === 4 ? resolver.resolve4(name) : resolver.resolve6(name));
    },
  };
}

/** The process resolver: getaddrinfo (/etc/hosts included) for addresses, resolv.conf's servers for NAPTR/SRV. */
export function systemDns(timeoutMs = 2000): DnsLookup {
  return resolverLookup(new dns.promises.Resolver({ timeout: timeoutMs, tries: 2 }), true);
}

/** Only the given DNS servers (`'127.0.0.1:5353'`), for every question. */
export function dnsServers(servers: readonly string[], timeoutMs = 2000): DnsLookup {
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([...servers]);
  return resolverLookup(resolver, false);
}

type Transport = 'UDP' | 'TCP' | 'TLS';

const NAPTR_SERVICES: Readonly<Record<string, Transport>> = { 'SIP+D2U': 'UDP', 'SIP+D2T': 'TCP', 'SIPS+D2T': 'TLS' };
const SRV_PREFIXES: ReadonlyArray<readonly [string, Transport]> = [['_sips._tcp', 'TLS'], ['_sip._tcp', 'TCP'], ['_sip._udp', 'UDP']];

export interface LocateOptions {
  /** Whether we can send over a transport ('UDP', 'TCP', 'TLS') and address family. */
  readonly available: (transport: string, family: 4 | 6) => boolean;
  /** For the weighted SRV choice (default Math.random). */
  readonly random?: () => number;
}

/**
 * The destinations for a SIP URI, in the order to try them. Rejects when the URI is not SIP or its host name
 * resolves to nothing usable.
 */
export async function locateSipServers(uri: string, lookup: DnsLookup, options: LocateOptions): Promise<SipAddress[]> {
  const u = parseUri(uri);
  if (!isSipUri(u)) throw new Error(`cannot route to ${uri}`);
  const param = u.params.get('transport');
  const forced: string | undefined = u.scheme === 'sips' ? 'TLS' : typeof param === 'string' ? param.toUpperCase() : undefined;
  const available = (t: string, f: 4 | 6): boolean => options.available(t, f);
  const ipVersion = net.isIP(u.host);
  if (ipVersion !== 0) {
    let transport = forced ?? 'UDP';
    if (!available(transport, ipVersion as 4 | 6)) transport = 'UDP';
    return [{ transport, host: u.host, port: u.port ?? defaultPort(transport) }];
  }
  const host = u.host.replace(/\.$/, '');
  if (u.port === undefined) {
    const viaNaptr = await fromNaptr(host, forced, lookup, options);
    if (viaNaptr.length > 0) return viaNaptr;
    for (const [prefix, transport] of SRV_PREFIXES) {
      if (forced !== undefined && forced !== transport) continue;
      const found = await fromSrv(`${prefix}.${host}`, transport, lookup, options);
      // Once SRV answers, the host's own A/AAAA records are not used (pjsip_resolver.c does the same).
      if (found.length > 0) return found;
    }
  }
  const transport = forced ?? 'UDP';
  const found = await addressesOf(host, transport, u.port ?? defaultPort(transport), lookup, options);
  if (found.length === 0) throw new Error(`cannot resolve ${host}`);
  return found;
}

async function fromNaptr(host: string, forced: string | undefined, lookup: DnsLookup, options: LocateOptions): Promise<SipAddress[]> {
  const records = [...(await lookup.naptr(host))].sort((a, b) => a.order - b.order || a.preference - b.preference);
  let order: number | undefined;
  const out: SipAddress[] = [];
  for (const r of records) {
    if (order !== undefined && r.order !== order) continue;
    const transport = NAPTR_SERVICES[r.service.toUpperCase()];
    if (transport === undefined || r.flags.toLowerCase() !== 's' || r.replacement === '' || r.replacement === '.') continue;
    if (forced !== undefined && forced !== transport) continue;
    if (!options.available(transport, 4) && !options.available(transport, 6)) continue;
    order = r.order;
    out.push(...(await fromSrv(r.replacement, transport, lookup, options)));
  }
  return out;
}

async function fromSrv(name: string, transport: Transport, lookup: DnsLookup, options: LocateOptions): Promise<SipAddress[]> {
  if (!options.available(transport, 4) && !options.available(transport, 6)) return [];
  const out: SipAddress[] = [];
  for (const r of orderSrv(await lookup.srv(name), options.random ?? Math.random)) {
    if (r.name === '' || r.name === '.') continue; // "service not available here" (RFC 2782)
    out.push(...(await addressesOf(r.name, transport, r.port, lookup, options)));
  }
  return out;
}

async function addressesOf(host: string, transport: string, port: number, lookup: DnsLookup, options: LocateOptions): Promise<SipAddress[]> {
  const out: SipAddress[] = [];
  for (const family of [6, 4] as const) {
    if (!options.available(transport, family)) continue;
    for (const address of await lookup.addresses(host, family)) out.push({ transport, host: address, port });
  }
  return out;
}

/**
 * RFC 2782 order: ascending priority; within one priority, repeatedly pick a record with probability
 * proportional to its weight (zero-weight records get a small chance, placed first as the RFC suggests).
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const out: SrvRecord[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const left = [...(byPriority.get(priority) ?? [])].sort((a, b) => a.weight - b.weight);
    while (left.length > 0) {
      const total = left.reduce((sum, r) => sum + r.weight, 0);
      const pick = Math.floor(random() * (total + 1));
      let running = 0;
      let index = left.length - 1;
      for (let i = 0; i < left.length; i++) {
        running += (left[i] as SrvRecord).weight;
        if (running >= pick) {
          index = i;
          break;
        }
      }
      out.push(...left.splice(index, 1));
    }
  }
  return out;
}

export function defaultPort(transport: string): number {
  return transport.toUpperCase() === 'TLS' || transport.toUpperCase() === 'WSS' ? 5061 : 5060;
}
