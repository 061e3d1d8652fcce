/**
 * `ariadne --demo` places calls into the seed's dialplan by itself: an application registered as hello-world
 * receives StasisStart for Local/1000@from-trunk within a few seconds.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import dgram from 'node:dgram';
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

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

test('--demo calls 1000@from-trunk and the hello-world app gets StasisStart; the ready line says how to call', async (t) => {
  const port = await freePort();
  const sipPort = await freeUdpPort();
  const tree = makeConfigTree({
    'extensions.conf': fs.readFileSync(path.join(PROJECT_ROOT, 'configs', 'extensions.conf'), 'utf8'),
    'http.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${port}\n`,
    'pjsip.conf': `[transport-udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${sipPort}\n`,
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
  // A newcomer learns from the log where to call.
  assert.ok(out.includes(`SIP on udp:127.0.0.1:${sipPort} (call sip:1000@127.0.0.1:${sipPort}, or start with --demo)`), out);
});
