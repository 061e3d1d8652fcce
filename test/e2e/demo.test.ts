/**
 * `ariadne --demo` places calls into the seed's dialplan by itself: an application registered as hello-world
 * receives StasisStart for Local/1000@from-trunk within a few seconds.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { makeConfigTree, openEvents } from '../helpers/ariadne.ts';
import { PROJECT_ROOT } from '../../src/server.ts';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test('--demo calls 1000@from-trunk and the hello-world app gets StasisStart', async (t) => {
  const port = await freePort();
  const tree = makeConfigTree({
    'extensions.conf': fs.readFileSync(path.join(PROJECT_ROOT, 'configs', 'extensions.conf'), 'utf8'),
    'http.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${port}\n`,
  });
  const child = spawn(path.join(PROJECT_ROOT, 'bin', 'ariadne'), ['-C', tree.asteriskConf, '--demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  t.after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    fs.rmSync(tree.dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    const ok = await fetch(`${base}/ari/asterisk/ping?api_key=asterisk:asterisk`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`ariadne did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const ev = await openEvents(base, 'app=hello-world&api_key=asterisk:asterisk');
  t.after(() => ev.close());
  const start = (await ev.next((m) => m.type === 'StasisStart', 9000)) as { channel: { name: string; dialplan: { context: string; exten: string } } };
  assert.match(start.channel.name, /^Local\/1000@from-trunk-[0-9a-f]{8};2$/);
  assert.deepEqual([start.channel.dialplan.context, start.channel.dialplan.exten], ['from-trunk', '1000']);
  assert.match(out, /demo call Local\/1000@from-trunk-[0-9a-f]{8};1 placed/);
});
