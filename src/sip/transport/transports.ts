/**
 * The set of SIP transports built from pjsip.conf `type=transport` objects (udp, tcp, tls, and ws/wss, which
 * bind nothing: their connections come from the HTTP server's `/ws`, websocket.ts; IPv4 and IPv6),
 * with the choices that depend on all of them: which transport sends to a destination, and which address we
 * put in Via sent-by and Contact for it — the `external_signaling_address`/`_port` when the destination is
 * outside every `local_net`, the bound address otherwise (a wildcard bind is replaced by loopback for
 * loopback peers and by the machine's first address of the right family for others).
 *
 * `logging = true` is `pjsip set logger on`: every message in and out goes to `onTraffic` in Asterisk's
 * logger format (`formatTraffic`).
 *
 * `reconfigure` is `pjsip reload` for transports (res_pjsip's `allow_reload` rules). Outgoing messages lose
 * the registrar's `x-ast-orig-host` parameter on the way out (orig-host.ts).
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
import { formatTraffic, hostPort, type LocalAddress, type SipSource, type TrafficEntry, type TransportKind } from './transport.ts';
import { restoreOrigHost } from './orig-host.ts';
import { UdpTransport } from './udp.ts';
import { WebSocketTransport } from './websocket.ts';

export interface TransportsOptions {
  readonly onMessage: (message: SipMessage, source: SipSource) => void;
  /** One logger line per message while `logging` is on (default: nowhere). */
  readonly onTraffic?: (text: string, entry: TrafficEntry) => void;
  readonly onWarning?: (text: string) => void;
  readonly onDebug?: (text: string) => void;
  /** Transport lifecycle on reload: `info` (bound, removed), `notice` (not reloadable), `error` (bind failed). */
  readonly onLog?: (level: 'info' | 'notice' | 'error', text: string) => void;
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

type Impl = UdpTransport | StreamTransport | WebSocketTransport;
type Opened = { config: PjsipTransport; readonly impl: Impl; readonly protocol: TransportKind };

export class SipTransports {
  readonly #opened: Opened[] = [];
  readonly #ctx: TransportContext;
  readonly #options: TransportsOptions;
  /** Every SIP-over-WebSocket connection, whichever `protocol=ws|wss` transport (if any) names them. */
  readonly websocket: WebSocketTransport;

  private constructor(ctx: TransportContext, options: TransportsOptions) {
    this.#ctx = ctx;
    this.#options = options;
    this.websocket = new WebSocketTransport(ctx, { ws: '', wss: '' });
  }

  /** Opens every udp/tcp/tls transport of `config`; fails (closing what was opened) if one cannot bind. */
  static async open(config: PjsipConfig, options: TransportsOptions): Promise<SipTransports> {
    const ctx: TransportContext = {
      logging: false,
      deliver: options.onMessage,
      traffic: (entry) => options.onTraffic?.(formatTraffic(entry), entry),
      warn: (text) => options.onWarning?.(text),
      debug: (text) => options.onDebug?.(text),
      log: (level, text) => options.onLog?.(level, text),
    };
    const set = new SipTransports(ctx, options);
    try {
      for (const t of config.transport.values()) {
        const o = await set.#openOne(t);
        if (o !== undefined) set.#opened.push(o);
      }
    } catch (e) {
      await set.close();
      throw e;
    }
    set.#nameWebSockets();
    return set;
  }

  /** Binds one configured transport (ws/wss bind nothing: the HTTP server's `/ws` feeds them). */
  async #openOne(t: PjsipTransport): Promise<Opened | undefined> {
    if (t.bind === undefined) return undefined;
    const { host, port } = t.bind;
    if (t.protocol === 'udp') return { config: t, protocol: 'udp', impl: await UdpTransport.open(t.id, host, port, this.#ctx) };
    if (t.protocol === 'ws' || t.protocol === 'wss') return { config: t, protocol: t.protocol, impl: this.websocket };
    if (t.protocol === 'tcp' || t.protocol === 'tls') {
      const tlsOpts = t.protocol === 'tls' ? readTls(t) : undefined;
      const options = this.#options;
      const impl = await StreamTransport.open(t.id, host, port, this.#ctx, {
        kind: t.protocol,
        ...(tlsOpts === undefined ? {} : { tls: tlsOpts }),
        ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
        ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
      });
      return { config: t, protocol: t.protocol, impl };
    }
    this.#ctx.warn(`transport ${t.id}: protocol ${t.protocol} is not supported; skipped`);
    return undefined;
  }

  /** WebSocket connections report the first configured ws (wss) transport as theirs. */
  #nameWebSockets(): void {
    const first = (p: string): string => this.#opened.find((o) => o.protocol === p)?.config.id ?? '';
    this.websocket.transportIds = { ws: first('ws'), wss: first('wss') };
  }

  /**
   * `pjsip reload` for transports, as res_pjsip's transport_apply does it: a new transport is bound, a removed
   * one closed; one whose protocol, bind, TLS or TCP options changed is closed and bound again only with
   * `allow_reload=yes`, otherwise it keeps running as it was (a notice says so) while its other options
   * (local_net, external addresses...) take effect. A transport that fails to bind is reported and left out.
   * Resolves with the transports in effect, for the configuration the stack works with.
   */
  async reconfigure(config: PjsipConfig): Promise<Map<string, PjsipTransport>> {
    const wanted = new Map([...config.transport].filter(([, t]) => t.bind !== undefined));
    for (const o of [...this.#opened]) {
      if (wanted.has(o.config.id)) continue;
      this.#opened.splice(this.#opened.indexOf(o), 1);
      await closeImpl(o, this.websocket);
      this.#ctx.log('info', `Transport '${o.config.id}' removed`);
    }
    for (const t of wanted.values()) {
      const old = this.#opened.find((o) => o.config.id === t.id);
      if (old !== undefined && !bindingChanged(old.config, t)) {
        old.config = t;
        continue;
      }
      if (old !== undefined && !t.allowReload) {
        this.#ctx.log('notice', `Transport '${t.id}' is not fully reloadable, not reloading: protocol, bind, TLS, TCP, ToS, or CoS options.`);
        old.config = { ...t, protocol: old.config.protocol, bind: old.config.bind, tls: old.config.tls, tcpKeepalive: old.config.tcpKeepalive };
        continue;
      }
      let at = this.#opened.length;
      if (old !== undefined) {
        at = this.#opened.indexOf(old);
        this.#opened.splice(at, 1);
        await closeImpl(old, this.websocket);
      }
      try {
        const o = await this.#openOne(t);
        if (o === undefined) continue;
        this.#opened.splice(at, 0, o);
        if (o.impl !== this.websocket) this.#ctx.log('info', `Transport '${t.id}' listening on ${t.protocol.toUpperCase()} ${hostPort(boundOf(o).address, boundOf(o).port)}`);
      } catch (e) {
        this.#ctx.log('error', `Transport '${t.id}' could not be started: ${(e as Error).message}`);
      }
    }
    this.#nameWebSockets();
    return new Map(this.#opened.map((o) => [o.config.id, o.config]));
  }

  get logging(): boolean {
    return this.#ctx.logging;
  }

  set logging(on: boolean) {
    this.#ctx.logging = on;
  }

  get list(): TransportInfo[] {
    return this.#opened.map((o) => ({ id: o.config.id, protocol: o.protocol, local: boundOf(o), config: o.config }));
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
    return candidates.find((o) => familyOf(boundOf(o).address) === family) ?? candidates[0];
  }

  /** Whether a transport for `protocol` is open. */
  has(protocol: string): boolean {
    return this.#opened.some((o) => o.protocol === protocol.toLowerCase());
  }

  /** Serialises (without `x-ast-orig-host`, see orig-host.ts) and sends. Rejects when no transport can reach `dest` (a transport error for transactions). */
  send(message: SipMessage, dest: SipAddress): Promise<void> {
    if (isWebSocket(dest)) return this.websocket.send(serializeMessage(restoreOrigHost(message)), dest.host, dest.port, dest.connection);
    const o = this.select(dest);
    if (o === undefined) return Promise.reject(new Error(`no ${dest.transport} transport for ${dest.host}`));
    const bytes = serializeMessage(restoreOrigHost(message));
    if (o.impl instanceof UdpTransport) return o.impl.send(bytes, dest.host, dest.port);
    return o.impl.send(bytes, dest.host, dest.port, dest.connection);
  }

  /**
   * The address we are reached at for `dest` (Via sent-by, Contact host): the external signalling address
   * outside `local_net`, else the bound address (made concrete when bound to a wildcard). Over a WebSocket it
   * is the local address of the HTTP connection, as pjproject's websocket transport says.
   */
  sentBy(dest: SipAddress): { transport: string; host: string; port: number } {
    const o = this.select(dest);
    const transport = dest.transport.toUpperCase();
    const wsLocal = isWebSocket(dest) && dest.connection !== undefined ? this.websocket.localOf(dest.connection) : undefined;
    if (o === undefined) return wsLocal === undefined ? { transport, host: '127.0.0.1', port: 5060 } : { transport, host: wsLocal.address, port: wsLocal.port };
    const c = o.config;
    const local = wsLocal ?? boundOf(o);
    const isLocal = c.localNet.some((n) => !n.negated && networkContains(n, dest.host)) && !c.localNet.some((n) => n.negated && networkContains(n, dest.host));
    if (c.externalSignalingAddress !== '' && !isLocal && !isLoopback(dest.host)) {
      return { transport, host: c.externalSignalingAddress, port: c.externalSignalingPort || local.port };
    }
    return { transport, host: concreteAddress(local.address, dest.host), port: local.port };
  }

  close(): Promise<void> {
    const all = this.#opened.splice(0).map((o) => closeImpl(o, this.websocket));
    return Promise.all([...all, this.websocket.close()]).then(() => undefined);
  }
}

/** Where a transport is bound; a websocket transport shows its configured bind, as Asterisk does. */
function boundOf(o: Opened): LocalAddress {
  if (o.impl instanceof WebSocketTransport) return { address: o.config.bind?.host ?? '0.0.0.0', port: o.config.bind?.port ?? 0 };
  return o.impl.local;
}

function familyOf(address: string): 4 | 6 {
  return address.includes(':') ? 6 : 4;
}

function isWebSocket(dest: SipAddress): boolean {
  const t = dest.transport.toUpperCase();
  return t === 'WS' || t === 'WSS';
}

/** Closes a transport's socket; the shared WebSocket hub stays (its connections outlive a ws transport's config). */
function closeImpl(o: Opened, hub: WebSocketTransport): Promise<void> {
  return o.impl === hub ? Promise.resolve() : o.impl.close();
}

/** Whether a reload changes what a transport binds: protocol, bind, TLS or TCP options. */
function bindingChanged(a: PjsipTransport, b: PjsipTransport): boolean {
  const key = (t: PjsipTransport): string => JSON.stringify([t.protocol, t.bind, t.tls, t.tcpKeepalive]);
  return key(a) !== key(b);
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
