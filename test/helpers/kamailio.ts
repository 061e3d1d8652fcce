/**
 * Kamailio (Debian `kamailio`) as a SIP proxy between a phone and Ariadne, for the loose-routing tests. It
 * runs in the foreground (`-DD -E`: no daemon, log to stderr) with a config of our own on a free loopback port
 * (no database, no registrar): every new request is record-routed and relayed statefully to its Request-URI,
 * in-dialog requests follow their Route headers (`loose_route`), CANCEL and ACK ride their transactions. The
 * system-wide service and its /etc config are never touched. The proxy quits by itself after `lifetimeSeconds`
 * and `stop()` kills it (also when the test process exits first).
 */

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBinary } from './baresip.ts';
import { freePort } from './sipp.ts';

export interface KamailioOptions {
  /** Loopback address to listen on (default 127.0.0.2, so the proxy's requests come from their own IP). */
  readonly host?: string;
  /** Killed after this many seconds whatever happens (default 60). */
  readonly lifetimeSeconds?: number;
}

export interface Kamailio {
  readonly host: string;
  readonly port: number;
  /** `sip:<host>:<port>;lr`, the URI its Record-Route carries. */
  readonly uri: string;
  /** Everything it logged so far. */
  logs(): string;
  /** The requests it routed so far, oldest first: method, Request-URI, sender and its Route header. */
  routed(): RoutedRequest[];
  /** The `n`th (from 1) routed request that matches; fails after `ms` (its log line may trail the call). */
  waitRouted(match: (r: RoutedRequest) => boolean, n?: number, ms?: number): Promise<RoutedRequest>;
  stop(): Promise<void>;
}

export interface RoutedRequest {
  readonly method: string;
  readonly uri: string;
  /** `ip:port` it came from. */
  readonly from: string;
  /** The Route header as received (`<null>` when it had none). */
  readonly route: string;
}

const live = new Set<ChildProcess>();

function config(host: string, port: number): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=1
auto_aliases=no
listen=udp:${host}:${port}
alias="${host}:${port}"

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"

modparam("rr", "enable_full_lr", 1)

request_route {
  if (!mf_process_maxfwd_header("10")) {
    sl_send_reply("483", "Too Many Hops");
    exit;
  }
  xlog("L_INFO", "ROUTE $rm $ru from $si:$sp route=$hdr(Route)\\n");
  if (is_method("CANCEL")) {
    if (t_check_trans()) t_relay();
    exit;
  }
  if (has_totag()) {
    if (loose_route()) {
      t_relay();
      exit;
    }
    if (is_method("ACK")) {
      if (t_check_trans()) t_relay();
      exit;
    }
    sl_send_reply("404", "Not here");
    exit;
  }
  t_check_trans();
  record_route();
  if (!t_relay()) sl_reply_error();
  exit;
}
`;
}

/** Starts a proxy; resolves once it listens. */
export async function startKamailio(options: KamailioOptions = {}): Promise<Kamailio> {
  const binary = findBinary('kamailio') ?? (fs.existsSync('/usr/sbin/kamailio') ? '/usr/sbin/kamailio' : undefined);
  if (binary === undefined) throw new Error('kamailio is not installed: apt-get install kamailio (.ci/run installs it)');
  const host = options.host ?? '127.0.0.2';
  const port = await freePort('udp');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kamailio-'));
  const cfg = path.join(dir, 'kamailio.cfg');
  fs.writeFileSync(cfg, config(host, port));
  // -Y: its own runtime dir (the default /run/kamailio belongs to the system service); -m/-M: small memory.
  const child = spawn(binary, ['-DD', '-E', '-f', cfg, '-Y', dir, '-P', path.join(dir, 'kamailio.pid'), '-m', '32', '-M', '4'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (live.size === 0) process.once('exit', () => live.forEach((c) => c.kill('SIGKILL')));
  live.add(child);
  let log = '';
  const append = (d: Buffer) => {
    log = (log + d.toString()).slice(-200_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => {
    exited = true;
    live.delete(child);
    resolve();
  }));
  const lifetime = setTimeout(() => child.kill('SIGKILL'), (options.lifetimeSeconds ?? 60) * 1000);
  lifetime.unref();
  const stop = async () => {
    clearTimeout(lifetime);
    if (!exited) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exit;
    clearTimeout(t);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  // Listening once the socket shows in /proc/net/udp (bounded wait).
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (let i = 0; i < 100 && !exited; i++) {
    const table = fs.readFileSync('/proc/net/udp', 'utf8');
    if (table.split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(hex))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (exited) {
    await stop();
    throw new Error(`kamailio exited at start:\n${log.slice(-3000)}`);
  }
  const routed = (): RoutedRequest[] => [...log.matchAll(/ROUTE (\S+) (\S+) from (\S+) route=(.*)$/gm)].map((m) => ({
    method: m[1] ?? '', uri: m[2] ?? '', from: m[3] ?? '', route: (m[4] ?? '').trim(),
  }));
  const waitRouted = async (match: (r: RoutedRequest) => boolean, n = 1, ms = 3000): Promise<RoutedRequest> => {
    const end = Date.now() + ms;
    for (;;) {
      const found = routed().filter(match)[n - 1];
      if (found !== undefined) return found;
      if (Date.now() > end) throw new Error(`kamailio routed no such request; it routed ${JSON.stringify(routed())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { host, port, uri: `sip:${host}:${port};lr`, logs: () => log, routed, waitRouted, stop };
}
