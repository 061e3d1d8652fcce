/**
 * `type=identify` `match=` host names, resolved when pjsip.conf is loaded or reloaded, as
 * res_pjsip_endpoint_identifier_ip does: a name without a port is first looked up as SRV (`_sip._udp`,
 * `_sip._tcp`, `_sips._tcp`, with `srv_lookups=yes`) and every SRV target's addresses are matched; when SRV
 * gives nothing (or the name carries a port) its own A/AAAA addresses are. The addresses join the identify's
 * `match` networks (one /32 or /128 each, with the port when one was written) and the host names are dropped,
 * so `pjsip show identifies` lists the addresses, as Asterisk's does. A name that resolves to nothing is
 * reported with a warning and matches nothing; loading goes on.
 */

import type { NetworkMatch, PjsipConfig, PjsipIdentify } from '../../config/pjsip.ts';
import type { DnsLookup } from './resolver.ts';

const SRV_PREFIXES = ['_sip._udp', '_sip._tcp', '_sips._tcp'];

/** `config` with every identify's host names replaced by the addresses they resolve to now. */
export async function resolveIdentifyHosts(config: PjsipConfig, lookup: DnsLookup, warn: (text: string) => void): Promise<PjsipConfig> {
  if (![...config.identify.values()].some((i) => i.matchHosts.length > 0)) return config;
  const identify = new Map<string, PjsipIdentify>();
  for (const [id, obj] of config.identify) {
    if (obj.matchHosts.length === 0) {
      identify.set(id, obj);
      continue;
    }
    const match = [...obj.match];
    for (const item of obj.matchHosts) {
      const colon = item.lastIndexOf(':');
      const host = colon < 0 ? item : item.slice(0, colon);
      const port = colon < 0 ? 0 : Number(item.slice(colon + 1));
      const addresses = await hostAddresses(host, colon < 0 && obj.srvLookups, lookup).catch(() => []);
      if (addresses.length === 0) warn(`Identify '${id}' provided address '${item}' did not resolve to any address`);
      for (const address of addresses) {
        const family = address.includes(':') ? 6 : 4;
        const network: NetworkMatch = { address, family, prefix: family === 4 ? 32 : 128, port, negated: false };
        if (!match.some((m) => m.address === network.address && m.prefix === network.prefix && m.port === network.port)) match.push(network);
      }
    }
    identify.set(id, { ...obj, match, matchHosts: [] });
  }
  return { ...config, identify };
}

async function hostAddresses(host: string, srv: boolean, lookup: DnsLookup): Promise<string[]> {
  const out: string[] = [];
  if (srv) {
    for (const prefix of SRV_PREFIXES) {
      for (const r of await lookup.srv(`${prefix}.${host}`)) out.push(...(await addressesOf(r.name, lookup)));
    }
  }
  return out.length > 0 ? out : addressesOf(host, lookup);
}

async function addressesOf(host: string, lookup: DnsLookup): Promise<string[]> {
  return [...(await lookup.addresses(host, 4)), ...(await lookup.addresses(host, 6))];
}
