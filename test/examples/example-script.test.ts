/**
 * `npm run example -- <name>` (scripts/example.ts) as a user runs it: without a name it lists every example
 * directory, an unknown name lists them on stderr and exits 1, and a real one connects to the server named by
 * ARI_URL / ARI_USERNAME / ARI_PASSWORD, registers its application, and exits 0 on SIGINT after unregistering.
 * Also `bin/ariadne --app examples/<x>/app.ts` loads an example the same way hello-world is loaded.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/server.ts';
import { startTestServer, makeConfigTree } from '../helpers/ariadne.ts';
import { until } from './harness.ts';

const NODE = process.execPath;
const SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'example.ts');
const EXAMPLES = ['conference', 'hello-world', 'ivr', 'mwi', 'originate-and-bridge', 'playback-controls', 'presence', 'record-and-playback', 'voice-bot'];

test('example script: lists the examples; an unknown name exits 1', async () => {
  const run = promisify(execFile);
  const { stdout } = await run(NODE, [SCRIPT]);
  const listed = [...stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]);
  assert.deepEqual(listed, EXAMPLES);
  for (const name of EXAMPLES) assert.ok(fs.existsSync(path.join(PROJECT_ROOT, 'examples', name, 'app.ts')));
  await assert.rejects(run(NODE, [SCRIPT, 'no-such-example']), (err: { code: number; stderr: string }) => {
    assert.equal(err.code, 1);
    assert.match(err.stderr, /no example named 'no-such-example'/);
    assert.match(err.stderr, /record-and-playback/);
    return true;
  });
});

test('example script: runs an example against ARI_URL until SIGINT', async (t) => {
  const srv = await startTestServer();
  t.after(() => srv.stop());
  const child = spawn(NODE, [SCRIPT, 'ivr'], { env: { ...process.env, ARI_URL: srv.base, ARI_USERNAME: 'asterisk', ARI_PASSWORD: 'asterisk' } });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await until('the ivr application is registered', async () => (await srv.ari('GET', '/applications/ivr')).status === 200, 8000);
  child.kill('SIGINT');
  assert.equal(await exited, 0, out);
  assert.match(out, /example ivr stopped/);
  await until('the ivr application is gone', async () => (await srv.ari('GET', '/applications/ivr')).status === 404);
});

test('bin/ariadne --app loads an example module', async (t) => {
  const port = await freePort();
  const { dir, asteriskConf } = makeConfigTree({ 'http.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${port}\n` });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // The test tree's ari.conf has asterisk:asterisk, not the seed's password: the example reads ARI_PASSWORD.
  const child = spawn(path.join(PROJECT_ROOT, 'bin', 'ariadne'), ['-C', asteriskConf, '--app', 'examples/presence/app.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ARI_PASSWORD: 'asterisk' },
  });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const auth = { authorization: `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}` };
  const registered = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/ari/applications/presence`, { headers: auth }).catch(() => undefined);
    return res?.status === 200;
  };
  await until('the presence application is registered', registered, 10_000);
  child.kill('SIGINT');
  assert.equal(await exited, 0, out);
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
