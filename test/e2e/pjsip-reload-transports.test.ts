/**
 * `pjsip reload` and transports, over real sockets, while a SIPp call runs on another transport:
 *
 * - a transport whose bind changed and that says `allow_reload = yes` is closed and bound again at the new
 *   address (OPTIONS answered there, the old port refused);
 * - without `allow_reload` the change is refused with res_pjsip's notice and the transport keeps its old bind;
 * - a new transport section is bound, a removed one is closed (its port can be bound by someone else);
 * - `pjsip show transports` follows; the call on the untouched transport goes on and ends with its BYE
 *   answered (SIPp exits 0).
 */

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { freePort, startSipp } from '../helpers/sipp.ts';
import { CALLS_DIALPLAN } from '../helpers/pjsip.ts';

let srv: TestServer;
const port: Record<string, number> = {};

const transport = (id: string, protocol: string, p: number, extra = ''): string =>
  `[${id}]\ntype = transport\nprotocol = ${protocol}\nbind = 127.0.0.1:${p}\n${extra}\n`;

const ENDPOINT = '[sipp]\ntype = endpoint\ncontext = calls\nallow = ulaw\n';

async function cli(line: string): Promise<string> {
  let out = '';
  await srv.ariadne.commands.execute(line, (t) => (out += t));
  return out;
}

function optionsRequest(transportName: string, localPort: number, n: number): string {
  return [
    'OPTIONS sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/${transportName} 127.0.0.1:${localPort};branch=z9hG4bKreload${n}${Date.now()}`,
    'Max-Forwards: 70',
    `From: <sip:probe@127.0.0.1>;tag=p${n}`,
    'To: <sip:127.0.0.1>',
    `Call-ID: reload-probe-${n}-${Date.now()}`,
    'CSeq: 1 OPTIONS',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

let probes = 0;

/** Whether a SIP OPTIONS over UDP to `p` is answered within 1 s. */
async function udpAnswers(p: number): Promise<boolean> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  try {
    return await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 1000);
      sock.on('message', (b) => {
        clearTimeout(t);
        resolve(b.toString().startsWith('SIP/2.0 200'));
      });
      sock.on('error', () => undefined);
      sock.send(optionsRequest('UDP', sock.address().port, ++probes), p, '127.0.0.1');
    });
  } finally {
    sock.close();
  }
}

/** Whether a SIP OPTIONS over a new TCP connection to `p` is answered within 1 s (false when refused). */
function tcpAnswers(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(p, '127.0.0.1');
    const done = (v: boolean): void => {
      clearTimeout(t);
      sock.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(false), 1000);
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write(optionsRequest('TCP', sock.localPort ?? 0, ++probes)));
    sock.on('data', (b) => done(b.toString().startsWith('SIP/2.0 200')));
  });
}

/** Whether we can bind UDP `p` ourselves (nobody holds it). */
async function udpFree(p: number): Promise<boolean> {
  const sock = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    sock.once('error', () => resolve(false));
    sock.bind(p, '127.0.0.1', () => sock.close(() => resolve(true)));
  });
}

before(async () => {
  for (const k of ['calls', 'gone', 'stuck', 'stuck2', 'fresh']) port[k] = await freePort('udp');
  for (const k of ['moving', 'moving2']) port[k] = await freePort('tcp');
  const conf = transport('calls', 'udp', port.calls as number) + transport('gone', 'udp', port.gone as number)
    + transport('stuck', 'udp', port.stuck as number) + transport('moving', 'tcp', port.moving as number, 'allow_reload = yes') + ENDPOINT;
  srv = await startTestServer({ files: { 'pjsip.conf': conf, 'extensions.conf': CALLS_DIALPLAN } });
});

after(async () => {
  await srv?.stop();
});

describe('pjsip reload rebinds transports', { timeout: 40_000 }, () => {
  it('rebinds with allow_reload, keeps without, binds new and closes removed ones while a call goes on', async () => {
    assert.equal(await udpAnswers(port.gone as number), true);
    assert.equal(await udpAnswers(port.stuck as number), true);
    assert.equal(await tcpAnswers(port.moving as number), true);
    assert.equal(await udpAnswers(port.fresh as number), false);

    const call = await startSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${port.calls}`, service: '1000', timeoutSec: 15, extraArgs: ['-d', '3000'] });
    const end = Date.now() + 5000;
    while (!/PJSIP\/sipp-[0-9a-f]{8}\/Wait +Up/.test(await cli('pjsip show channels'))) {
      assert.ok(Date.now() < end, 'the call is up');
      await new Promise((r) => setTimeout(r, 50));
    }

    const conf = transport('calls', 'udp', port.calls as number) + transport('stuck', 'udp', port.stuck2 as number)
      + transport('moving', 'tcp', port.moving2 as number, 'allow_reload = yes') + transport('fresh', 'udp', port.fresh as number) + ENDPOINT;
    fs.writeFileSync(path.join(srv.dir, 'etc', 'pjsip.conf'), conf);
    const logsBefore = srv.logs().length;
    assert.match(await cli('pjsip reload'), /pjsip\.conf reloaded/);
    assert.match(srv.logs().slice(logsBefore), /NOTICE.*Transport 'stuck' is not fully reloadable, not reloading: protocol, bind, TLS, TCP, ToS, or CoS options\./);

    // allow_reload: moved.
    assert.equal(await tcpAnswers(port.moving2 as number), true);
    assert.equal(await tcpAnswers(port.moving as number), false);
    // No allow_reload: still where it was.
    assert.equal(await udpAnswers(port.stuck as number), true);
    assert.equal(await udpAnswers(port.stuck2 as number), false);
    // Added and removed.
    assert.equal(await udpAnswers(port.fresh as number), true);
    assert.equal(await udpFree(port.gone as number), true);

    const shown = await cli('pjsip show transports');
    assert.match(shown, new RegExp(`^Transport:  moving +tcp +0 +0  127\\.0\\.0\\.1:${port.moving2}$`, 'm'), shown);
    assert.match(shown, new RegExp(`^Transport:  stuck +udp +0 +0  127\\.0\\.0\\.1:${port.stuck}$`, 'm'), shown);
    assert.match(shown, new RegExp(`^Transport:  fresh +udp +0 +0  127\\.0\\.0\\.1:${port.fresh}$`, 'm'), shown);
    assert.doesNotMatch(shown, /Transport:  gone /);
    assert.match(shown, /Objects found: 4/);

    // The call on the untouched transport went on; SIPp's BYE was answered.
    const done = await call.done;
    assert.equal(done.code, 0, done.errors);
  });
});
