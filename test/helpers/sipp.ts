/**
 * SIPp (Debian `sip-tester`) for e2e tests: runs a scenario against a loopback peer with `-m` and `-timeout`
 * bounds so it always stops, and returns its exit code (0 = every call succeeded), the last statistics screen
 * and the error log. `freePort` finds an unused loopback port for sipp or for a pjsip.conf transport.
 */

import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SIPP_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'sipp');

export interface SippOptions {
  /** A scenario file in test/sipp/ (name) or a built-in (`{ builtin: 'uas' }`). */
  readonly scenario: string | { builtin: string };
  /** `host:port` of the peer (omit for a UAS). */
  readonly remote?: string;
  /** Local port (default: a free one). */
  readonly port?: number;
  /** `u1` (UDP) or `t1` (TCP). */
  readonly transport?: 'u1' | 't1';
  /** `-m`: calls before exiting (default 1). */
  readonly calls?: number;
  /** Global timeout in seconds (default 10). */
  readonly timeoutSec?: number;
  /** `-s` service (the [service] keyword). */
  readonly service?: string;
  /** `-au`/`-ap`. */
  readonly auth?: { readonly user: string; readonly password: string };
  /** `-set name value` variables. */
  readonly vars?: Readonly<Record<string, string>>;
  readonly extraArgs?: readonly string[];
}

export interface SippResult {
  /** 0: all calls succeeded; 1: at least one failed; others: see sipp(1). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The error file's content (`-trace_err`). */
  readonly errors: string;
  readonly port: number;
}

export interface SippRun {
  readonly port: number;
  readonly done: Promise<SippResult>;
  kill(): void;
}

/** Starts sipp; `done` resolves when it exits (always within `timeoutSec` + a little). */
export async function startSipp(options: SippOptions): Promise<SippRun> {
  const port = options.port ?? (await freePort(options.transport === 't1' ? 'tcp' : 'udp'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sipp-'));
  const errorFile = path.join(dir, 'errors.log');
  const timeout = options.timeoutSec ?? 10;
  const args = [
    ...(typeof options.scenario === 'string' ? ['-sf', path.join(SIPP_DIR, options.scenario)] : ['-sn', options.scenario.builtin]),
    '-i', '127.0.0.1', '-p', String(port), '-t', options.transport ?? 'u1',
    '-m', String(options.calls ?? 1), '-timeout', `${timeout}s`, '-timeout_error',
    '-nostdin', '-trace_err', '-error_file', errorFile,
    ...(options.service === undefined ? [] : ['-s', options.service]),
    ...(options.auth === undefined ? [] : ['-au', options.auth.user, '-ap', options.auth.password]),
    ...Object.entries(options.vars ?? {}).flatMap(([k, v]) => ['-set', k, v]),
    ...(options.extraArgs ?? []),
    ...(options.remote === undefined ? [] : [options.remote]),
  ];
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout = (stdout + d.toString()).slice(-20000);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20000);
  });
  const hardStop = setTimeout(() => child.kill('SIGKILL'), (timeout + 5) * 1000);
  const done = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(hardStop);
      const errors = fs.existsSync(errorFile) ? fs.readFileSync(errorFile, 'utf8') : '';
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr, errors, port });
    });
  });
  // A UAS must be listening before the test makes the stack send to it.
  if (options.remote === undefined) await waitBound(port, options.transport === 't1' ? 'tcp' : 'udp', 5000);
  return { port, done, kill: () => child.kill('SIGTERM') };
}

/** Resolves once a socket is bound to `port` (read from /proc/net, so the probe never takes the port), or after `ms`. */
async function waitBound(port: number, kind: 'udp' | 'tcp', ms: number): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    let table = '';
    try {
      table = fs.readFileSync(`/proc/net/${kind}`, 'utf8');
    } catch {
      return; // no /proc: fall back to the retransmissions of the peer
    }
    if (table.split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(hex.trim()))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs sipp to completion. */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  return (await startSipp(options)).done;
}

/** A loopback port nobody is bound to right now (UDP or TCP). */
export async function freePort(kind: 'udp' | 'tcp' = 'udp'): Promise<number> {
  if (kind === 'tcp') {
    return new Promise((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
