/**
 * Outbound registration (`type = registration`) against SIPp playing a provider's registrar:
 *
 * - `registrar-auth.xml` challenges the first REGISTER with 401, checks From/Contact/Expires and the digest
 *   credentials (verifyauth), grants 2 s, and expects the refresh within 1.9 s; `pjsip show registrations`
 *   then says Registered. Removing the registration from pjsip.conf and `pjsip reload` sends the REGISTER
 *   with Expires 0 that the scenario waits for; SIPp exits 0 only when all of that happened.
 * - `registrar-forbidden.xml` answers 403: the registration shows Rejected and is not retried.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { freePort, startSipp, type SippRun } from '../helpers/sipp.ts';

let srv: TestServer;
let sipPort: number;
let good: SippRun;
let forbidden: SippRun;

const registration = (id: string, port: number, extra = ''): string => `
[${id}]
type = registration
server_uri = sip:127.0.0.1:${port}
client_uri = sip:ariadne@127.0.0.1:${port}
contact_user = inbound
outbound_auth = prov-auth
expiration = 120
max_random_initial_delay = 0
retry_interval = 60
${extra}`;

const pjsipConf = (registrations: string): string => `[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${sipPort}

[prov-auth]
type = auth
username = ariadne
password = s3cret
${registrations}`;

async function cli(line: string): Promise<string> {
  let out = '';
  await srv.ariadne.commands.execute(line, (t) => (out += t));
  return out;
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The line of `pjsip show registrations` for `id`. */
async function registrationLine(id: string): Promise<string | undefined> {
  return (await cli('pjsip show registrations')).split('\n').find((l) => l.startsWith(` ${id}/`));
}

before(async () => {
  sipPort = await freePort('udp');
  // The registrars listen before the server starts: the first REGISTER goes out 1 s after start.
  good = await startSipp({ scenario: 'registrar-auth.xml', timeoutSec: 20 });
  forbidden = await startSipp({ scenario: 'registrar-forbidden.xml', timeoutSec: 20 });
  srv = await startTestServer({ files: { 'pjsip.conf': pjsipConf(registration('prov', good.port) + registration('refused', forbidden.port)) } });
});

after(async () => {
  good?.kill();
  forbidden?.kill();
  await srv?.stop();
});

describe('outbound registration', { timeout: 40_000 }, () => {
  it('lists both registrations, Unregistered before the first attempt', async () => {
    const out = await cli('pjsip show registrations');
    assert.match(out, /<Registration\/ServerURI\.+>\s+<Auth\.+>\s+<Status\.+>/);
    assert.match(out, new RegExp(` prov/sip:127\\.0\\.0\\.1:${good.port}\\s+prov-auth\\s+(Unregistered|Registered)`));
    assert.match(out, /Objects found: 2/);
  });

  it('registers with digest auth, refreshes a 2 s grant in time, and shows Registered', async () => {
    const line = await until('prov Registered after the refresh', async () => {
      const l = await registrationLine('prov');
      // After the refresh the grant is 120 s: the next refresh (exp.) is 110 s away.
      return l !== undefined && /Registered/.test(l) && /\(exp\. 1\d\ds\)/.test(l) ? l : undefined;
    });
    assert.match(line, /prov-auth\s+Registered\s+\(exp\. 1(0\d|10)s\)/);
  });

  it('a 403 leaves the registration Rejected', async () => {
    const line = await until('refused Rejected', async () => {
      const l = await registrationLine('refused');
      return l !== undefined && /Rejected/.test(l) ? l : undefined;
    });
    assert.match(line, /refused\/sip:127\.0\.0\.1:\d+\s+prov-auth\s+Rejected/);
    const done = await forbidden.done;
    assert.equal(done.code, 0, done.errors || done.stdout.slice(-2000));
  });

  it('unregisters (Expires 0) a registration removed by pjsip reload', async () => {
    fs.writeFileSync(path.join(srv.dir, 'etc', 'pjsip.conf'), pjsipConf(registration('refused', forbidden.port)));
    assert.match(await cli('pjsip reload'), /reloaded/);
    const done = await good.done;
    assert.equal(done.code, 0, done.errors || done.stdout.slice(-2000));
    const out = await cli('pjsip show registrations');
    assert.doesNotMatch(out, / prov\//);
    assert.match(out, /Objects found: 1/);
  });
});
