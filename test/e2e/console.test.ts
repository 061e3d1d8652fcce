/**
 * The seed's own checks, end to end: a real `ariadne` process started with the seed's ari.conf and http.conf
 * (on a free port), and the console commands run through `ariadne -rx` over the control socket.
 */

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeConfigTree } from '../helpers/ariadne.ts';
import { PROJECT_ROOT } from '../../src/server.ts';

const run = promisify(execFile);
const BIN = path.join(PROJECT_ROOT, 'bin', 'ariadne');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

let child: ChildProcess;
let tree: { dir: string; asteriskConf: string };
let port: number;

before(async () => {
  port = await freePort();
  const seedAri = fs.readFileSync(path.join(PROJECT_ROOT, 'configs', 'ari.conf'), 'utf8');
  const seedHttp = fs.readFileSync(path.join(PROJECT_ROOT, 'configs', 'http.conf'), 'utf8').replace(/^bindport\s*=.*$/m, `bindport = ${port}`);
  tree = makeConfigTree({ 'ari.conf': seedAri, 'http.conf': seedHttp });
  child = spawn(BIN, ['-C', tree.asteriskConf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/ari/asterisk/ping?api_key=asterisk:change_me_to_a_strong_password`);
      if (r.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`ariadne did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  fs.rmSync(tree.dir, { recursive: true, force: true });
});

const rx = async (cmd: string) => (await run(BIN, ['-C', tree.asteriskConf, '-rx', cmd])).stdout;

test('ari show status prints what the seed shows', async () => {
  assert.equal(
    await rx('ari show status'),
    'ARI Status:\nEnabled: Yes\nOutput format: pretty\nAuth realm: Asterisk REST Interface\nAllowed Origins: *\nUser count: 1\n',
  );
});

test('http show status prints the server, its binding and the seed\'s URIs', async () => {
  const out = await rx('http show status');
  assert.match(out, /^HTTP Server Status:\n/);
  assert.match(out, new RegExp(`Server Enabled and Bound to 127\\.0\\.0\\.1:${port}\\n`));
  assert.match(out, /Enabled URI's:\n\/ari\/\.\.\. => Asterisk RESTful API\n\/ws => Asterisk HTTP WebSocket\n/);
  assert.match(out, /Server: Asterisk\n/);
});

test('an application on the events socket shows up in ari show apps and ari show app', async () => {
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ari/events?api_key=asterisk:change_me_to_a_strong_password&app=hello-world`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  try {
    const apps = await rx('ari show apps');
    assert.match(apps, /^Application Name\s*\n=+\nhello-world\n/);
    const app = await rx('ari show app hello-world');
    assert.match(app, /^Name: hello-world\n {2}Debug: No\n {2}Subscription Model: Application\/Explicit Resource Subscription\n/);
  } finally {
    ws.close();
  }
});

test('ari show users, module show and core show version answer', async () => {
  assert.match(await rx('ari show users'), /r\/o\?\s+ACL\?\s+Username\n[- ]+\nNo\s+No\s+asterisk\n/);
  assert.match(await rx('module show like ari'), /res_ari\.so\s+Asterisk RESTful Interface/);
  assert.match(await rx('core show version'), /^Ariadne \d+\.\d+\.\d+/);
});

test('an unknown command says so, and -rx without a server fails cleanly', async () => {
  assert.match(await rx('no such thing'), /No such command 'no such thing'/);
  const other = makeConfigTree();
  try {
    await assert.rejects(run(BIN, ['-C', other.asteriskConf, '-rx', 'core show version']), (err: { code?: number; stderr?: string }) => {
      assert.equal(err.code, 1);
      assert.match(err.stderr ?? '', /Unable to connect to remote asterisk/);
      return true;
    });
  } finally {
    fs.rmSync(other.dir, { recursive: true, force: true });
  }
});

test('core stop now stops the server', async () => {
  await rx('core stop now');
  const code = await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
  assert.equal(code, 0);
});
