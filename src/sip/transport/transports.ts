/**
 * The set of SIP transports built from pjsip.conf `type=transport` objects (udp, tcp, tls; IPv4 and IPv6),
 * with the choices that depend on all of them: which transport sends to a destination, and which address we
 * put in Via sent-by and Contact for it — the `external_signaling_address`/`_port` when the destination is
 * outside every `local_net`, the bound address otherwise (a wildcard bind is replaced by loopback for
 * loopback peers and by the machine's first address of the right family for others).
 *
 * `logging = true` is `pjsip set logger on`: every message in and out goes to `onTraffic` in Asterisk's
 * logger format (`formatTraffic`).
 *
 * RFC 3261 §18.1.1's switch of large UDP requests to TCP is the stack's decision (`SipStack.sendRequest`, only
 * with `disable_tcp_switch=no`: Asterisk's default keeps UDP as UDP).
 */

import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { networkContains, type PjsipConfig, type PjsipTransport } from '../../config/pjsip.ts';
import { serializeMessage, type SipMessage } from '../message/message.ts';
import type { SipAddress } from '../transaction/transaction.ts';
import type { TransportContext } from './context.ts';
import { StreamTransport } from './stream.ts';
import { formatTraffic, type LocalAddress, type SipSource, type TrafficEntry, type TransportKind } from './transport.ts';
import { UdpTransport } from './udp.ts';

export interface TransportsOptions {
  readonly onMessage: (message: SipMessage, source: SipSource) => void;
  /** One logger line per message while `logging` is on (default: nowhere). */
  readonly onTraffic?: (text: string, entry: TrafficEntry) => void;
  readonly onWarning?: (text: string) => void;
  readonly onDebug?: (text: string) => void;
  /** Stream connections idle longer than this close (default 300 s). */
  readonly idleMs?: number;
  /** Per stream transport (default 1000). */
  readonly maxConnections?: number;
}

export interface TransportInfo {
  readonly id: string;
  readonly protocol: TransportKind;
  readonly local: LocalAddress;
  readonly config: PjsipTransport;
}

type Opened = { readonly config: PjsipTransport; readonly impl: UdpTransport | StreamTransport; readonly protocol: TransportKind };

export class SipTransports {
  readonly #opened: Opened[] = [];
  readonly #ctx: TransportContext;

  private constructor(ctx: TransportContext) {
    this.#ctx = ctx;
  }

  /** Opens every udp/tcp/tls transport of `config`; fails (closing what was opened) if one cannot bind. */
  static async open(config: PjsipConfig, options: TransportsOptions): Promise<SipTransports> {
    const ctx: TransportContext = {
      logging: false,
      deliver: options.onMessage,
      traffic: (entry) => options.onTraffic?.(formatTraffic(entry), entry),
      warn: (text) => options.onWarning?.(text),
      debug: (text) => options.onDebug?.(text),
    };
    const set = new SipTransports(ctx);
    try {
      for (const t of config.transport.values()) {
        if (t.bind === undefined) continue;
        const { host, port } = t.bind;
        if (t.protocol === 'udp') {
          set.#opened.push({ config: t, protocol: 'udp', impl: await UdpTransport.open(t.id, host, port, ctx) });
        } else if (t.protocol === 'tcp' || t.protocol === 'tls') {
          const tlsOpts = t.protocol === 'tls' ? readTls(t) : undefined;
          const impl = await StreamTransport.open(t.id, host, port, ctx, {
            kind: t.protocol,
            ...(tlsOpts === undefined ? {} : { tls: tlsOpts }),
            ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
            ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
          });
          set.#opened.push({ config: t, protocol: t.protocol, impl });
        } else {
          ctx.warn(`transport ${t.id}: protocol ${t.protocol} is not supported; skipped`);
        }
      }
    } catch (e) {
      await set.close();
      throw e;
    }
    return set;
  }

  get logging(): boolean {
    return this.#ctx.logging;
  }

  set logging(on: boolean) {
    this.#ctx.logging = on;
  }

  get list(): TransportInfo[] {
    return this.#opened.map((o) => ({ id: o.config.id, protocol: o.protocol, local: o.impl.local, config: o.config }));
  }

  /** The transport that sends to `dest`: the named one, else the first of the protocol and address family. */
  select(dest: SipAddress, transportId?: string): Opened | undefined {
    const protocol = dest.transport.toLowerCase();
    const family = dest.host.includes(':') ? 6 : 4;
    const candidates = this.#opened.filter((o) => o.protocol === protocol);
    if (transportId !== undefined) {
      const named = candidates.find((o) => o.config.id === transportId);
      if (named !== undefined) return named;
    }
    if (dest.connection !== undefined) {
      const owner = candidates.find((o) => o.impl instanceof StreamTransport && o.impl.hasConnection(dest.connection as string));
      if (owner !== undefined) return owner;
    }
    return candidates.find((o) => o.impl.family === family) ?? candidates[0];
  }

  /** Whether a transport for `protocol` is open. */
  has(protocol: string): boolean {
    return this.#opened.some((o) => o.protocol === protocol.toLowerCase());
  }

  /** Serialises and sends. Rejects when no transport can reach `dest` (a transport error for transactions). */
  send(message: SipMessage, dest: SipAddress): Promise<void> {
    const o = this.select(dest);
    if (o === undefined) return Promise.reject(new Error(`no ${dest.transport} transport for ${dest.host}`));
    const bytes = serializeMessage(message);
    if (o.impl instanceof UdpTransport) return o.impl.send(bytes, dest.host, dest.port);
    return o.impl.send(bytes, dest.host, dest.port, dest.connection);
  }

  /**
   * The address we are reached at for `dest` (Via sent-by, Contact host): the external signalling address
   * outside `local_net`, else the bound address (made concrete when bound to a wildcard).
   */
  sentBy(dest: SipAddress): { transport: string; host: string; port: number } {
    const o = this.select(dest);
    const transport = dest.transport.toUpperCase();
    if (o === undefined) return { transport, host: '127.0.0.1', port: 5060 };
    const c = o.config;
    const local = o.impl.local;
    const isLocal = c.localNet.some((n) => !n.negated && networkContains(n, dest.host)) && !c.localNet.some((n) => n.negated && networkContains(n, dest.host));
    if (c.externalSignalingAddress !== '' && !isLocal && !isLoopback(dest.host)) {
      return { transport, host: c.externalSignalingAddress, port: c.externalSignalingPort || local.port };
    }
    return { transport, host: concreteAddress(local.address, dest.host), port: local.port };
  }

  close(): Promise<void> {
    const all = this.#opened.splice(0).map((o) => o.impl.close());
    return Promise.all(all).then(() => undefined);
  }
}

function readTls(t: PjsipTransport): { key: Buffer; cert: Buffer; ca?: Buffer; verifyServer: boolean; verifyClient: boolean } {
  if (t.tls.certFile === '' || t.tls.privKeyFile === '') throw new Error(`TLS transport ${t.id} needs cert_file and priv_key_file`);
  const base = { key: fs.readFileSync(t.tls.privKeyFile), cert: fs.readFileSync(t.tls.certFile), verifyServer: t.tls.verifyServer, verifyClient: t.tls.verifyClient };
  return t.tls.caListFile === '' ? base : { ...base, ca: fs.readFileSync(t.tls.caListFile) };
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === 'localhost';
}

/** A wildcard bind address replaced by one a peer at `peer` can use. */
function concreteAddress(bound: string, peer: string): string {
  if (bound !== '0.0.0.0' && bound !== '::') return bound;
  const v6 = bound === '::' && net.isIPv6(peer);
  if (isLoopback(peer)) return v6 ? '::1' : '127.0.0.1';
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && (a.family === 'IPv6') === v6) return a.address;
  }
  return v6 ? '::1' : '127.0.0.1';
}
