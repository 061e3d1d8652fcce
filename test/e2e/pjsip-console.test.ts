/**
 * The PJSIP console on a running server with real SIP peers:
 *
 * - after SIPp registers alice, `pjsip show endpoints|contacts|aors|auths|transports|identifies` list what
 *   is configured and registered in res_pjsip's layouts (the contact with its hash and NonQual status, the
 *   transport with its bound port); `pjsip show endpoint alice` adds the parameter list; unknown ids and empty
 *   lists answer as Asterisk does;
 * - `pjsip set logger on` prints the SIP traffic in Asterisk's `<--- Received SIP request ...` form, `off`
 *   stops it;
 * - `pjsip reload` during an answered SIPp call picks up a new endpoint from the edited pjsip.conf and the call
 *   goes on and ends with its BYE answered (SIPp exits 0); `pjsip show channels` lists the call meanwhile.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { freePort, runSipp, startSipp } from '../helpers/sipp.ts';
import { contactHash } from '../../src/cli/commands/pjsip.ts';
import { CALLS_DIALPLAN, phonesPjsipConf } from '../helpers/pjsip.ts';

const CARRIER = `
[carrier]
type = identify
endpoint = sipp
match = 192.0.2.0/24
`;
const pjsipConf = (port: number, extra = '') => phonesPjsipConf(port, CARRIER + extra);

let srv: TestServer;
let sipPort: number;

async function cli(line: string): Promise<string> {
  let out = '';
  await srv.ariadne.commands.execute(line, (t) => (out += t));
  return out;
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  sipPort = await freePort('udp');
  srv = await startTestServer({ files: { 'pjsip.conf': pjsipConf(sipPort), 'extensions.conf': CALLS_DIALPLAN } });
});

after(async () => {
  await srv?.stop();
});

describe('pjsip console', { timeout: 40_000 }, () => {
  it('shows endpoints, contacts, aors, auths, transports and identifies after a registration', async () => {
    const reg = await runSipp({ scenario: 'register-auth.xml', remote: `127.0.0.1:${sipPort}`, service: 'alice', auth: { user: 'alice', password: 'wonderland' }, vars: { expires: '120' } });
    assert.equal(reg.code, 0, reg.errors);
    const uri = `sip:alice@127.0.0.1:${reg.port};transport=UDP`;
    const contactLine = `  Contact:  alice/${uri.padEnd(40)} ${contactHash(uri).slice(0, 10)} NonQual         nan`;

    const endpoints = (await cli('pjsip show endpoints')).split('\n');
    assert.ok(endpoints.includes(' Endpoint:  alice/1001                                           Not in use    0 of inf'), endpoints.join('\n'));
    assert.ok(endpoints.includes(' Endpoint:  sipp                                                 Unavailable   0 of inf'));
    assert.ok(endpoints.includes('     InAuth:  alice/alice'));
    assert.ok(endpoints.includes('   Identify:  carrier/sipp'));
    assert.ok(endpoints.includes('        Match: 192.0.2.0/24'));
    assert.ok(endpoints.includes('Objects found: 2'));

    assert.ok((await cli('pjsip show contacts')).split('\n').includes(contactLine));
    assert.ok((await cli('pjsip show aors')).includes('      Aor:  alice                                                1\n'));
    assert.ok((await cli('pjsip show auths')).includes('     Auth:  alice/alice\n'));
    assert.ok((await cli('pjsip show transports')).includes(`Transport:  ${'udp'.padEnd(21)}     udp      0      0  127.0.0.1:${sipPort}\n`));
    assert.ok((await cli('pjsip show identifies')).includes(' Identify:  carrier/sipp\n      Match: 192.0.2.0/24\n'));
    assert.equal(await cli('pjsip show registrations'), 'No objects found.\n\n');

    const one = await cli('pjsip show endpoint alice');
    assert.match(one, / ParameterName +: ParameterValue\n =+\n/);
    assert.match(one, /\n aors +: alice\n/);
    assert.match(one, /\n callerid +: "Alice" <1001>\n/);
    assert.equal(await cli('pjsip show endpoint nobody'), 'Unable to find object nobody.\n\n');
  });

  it('pjsip set logger on prints SIP traffic in Asterisk form; off stops it', async () => {
    assert.equal(await cli('pjsip set logger on'), 'PJSIP Logging enabled\n');
    const before = srv.logs().length;
    const opt = await runSipp({ scenario: 'options.xml', remote: `127.0.0.1:${sipPort}` });
    assert.equal(opt.code, 0, opt.errors);
    const text = await until('the logged OPTIONS', () => {
      const t = srv.logs().slice(before);
      return t.includes('<--- Transmitting SIP response') ? t : undefined;
    });
    assert.match(text, new RegExp(`<--- Received SIP request \\(\\d+ bytes\\) from UDP:127\\.0\\.0\\.1:${opt.port} --->\\nOPTIONS sip:`));
    assert.match(text, new RegExp(`<--- Transmitting SIP response \\(\\d+ bytes\\) to UDP:127\\.0\\.0\\.1:${opt.port} --->\\nSIP/2\\.0 200 OK`));
    assert.equal(await cli('pjsip set logger off'), 'PJSIP Logging disabled\n');
    const quiet = srv.logs().length;
    assert.equal((await runSipp({ scenario: 'options.xml', remote: `127.0.0.1:${sipPort}` })).code, 0);
    assert.doesNotMatch(srv.logs().slice(quiet), /SIP request/);
    assert.equal(await cli('rtp set debug on'), 'RTP Packet Debugging Enabled\n');
    assert.equal(await cli('rtp set debug off'), 'RTP Packet Debugging Disabled\n');
  });

  it('pjsip reload applies a new endpoint while a call goes on', async () => {
    const call = await startSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${sipPort}`, service: '1000', timeoutSec: 15, extraArgs: ['-d', '2500'] });
    const channels = await until('the call in pjsip show channels', async () => {
      const out = await cli('pjsip show channels');
      return /PJSIP\/sipp-[0-9a-f]{8}\/Wait +Up/.test(out) ? out : undefined;
    });
    assert.match(channels, /\n      Exten: 1000 +CLCID: "" <>\n/);
    fs.writeFileSync(path.join(srv.dir, 'etc', 'pjsip.conf'), pjsipConf(sipPort, '\n[newbie]\ntype = endpoint\n'));
    assert.match(await cli('pjsip reload'), /pjsip\.conf reloaded: 1 object\(s\) changed/);
    assert.match(await cli('pjsip show endpoints'), /\n Endpoint:  newbie +Unavailable +0 of inf\n/);
    assert.equal(srv.ariadne.core.channels.list().filter((c) => c.name.startsWith('PJSIP/sipp-')).length, 1);
    const done = await call.done;
    assert.equal(done.code, 0, done.errors);
  });
});
