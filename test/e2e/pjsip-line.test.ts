/**
 * Outbound registration with `line = yes` and `endpoint =` (res_pjsip_outbound_registration's line support),
 * against SIPp playing the provider:
 *
 * - `registrar-line.xml` receives our REGISTER and checks that its Contact URI carries `;line=` and seven
 *   lower-case letters; it logs the token for the test;
 * - `uac-line.xml` then calls Ariadne the way the provider would, with `;line=<token>` in the Request-URI, from
 *   an address no `identify` matches and a From user that names no endpoint: the call is placed on the
 *   registration's endpoint (`prov-ep`), runs in its context `from-provider` and reaches the Stasis application
 *   there; the test hangs it up and SIPp acknowledges the BYE;
 * - the same INVITE with a token that is not ours is an unknown sender: challenged with 401, no channel.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MediaApp, type Json } from '../helpers/media-app.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, startSipp, type SippRun } from '../helpers/sipp.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';

const APP = 'line-app';

const pjsipConf = (sipPort: number, registrarPort: number) => `[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${sipPort}

[prov]
type = registration
server_uri = sip:127.0.0.1:${registrarPort}
client_uri = sip:ariadne@127.0.0.1:${registrarPort}
contact_user = inbound
line = yes
endpoint = prov-ep
expiration = 120
max_random_initial_delay = 0
retry_interval = 60

[prov-ep]
type = endpoint
context = from-provider
disallow = all
allow = ulaw
`;

const DIALPLAN = `[from-provider]
exten => 1000,1,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
`;

let fx: MediaApp;
let sipPort: number;
let registrar: SippRun;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pjsip-line-'));
const registrarLog = path.join(logDir, 'registrar.log');

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  sipPort = await freePort('udp');
  // The registrar listens before the server starts: the first REGISTER goes out 1 s after start.
  registrar = await startSipp({ scenario: 'registrar-line.xml', timeoutSec: 15, extraArgs: ['-trace_logs', '-log_file', registrarLog] });
  fx = await MediaApp.start(APP, { extensions: DIALPLAN, sounds: false, files: { 'pjsip.conf': pjsipConf(sipPort, registrar.port) } });
});

after(async () => {
  registrar?.kill();
  await fx?.stop();
  fs.rmSync(logDir, { recursive: true, force: true });
});

/** The final response to a one-off INVITE to 1000 with `;line=<token>`, sent from a fresh UDP port. */
function inviteWithLine(token: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    let final: number | undefined;
    s.on('message', (buf) => {
      const m = parseMessage(buf);
      if (m.type === 'response' && m.status >= 200) final ??= m.status;
    });
    s.bind(0, '127.0.0.1', () => {
      const port = s.address().port;
      const text = [
        `INVITE sip:1000@127.0.0.1:${sipPort};line=${token} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKline${Date.now()};rport`,
        `From: <sip:provider-pbx@127.0.0.1:${port}>;tag=l1`,
        `To: <sip:1000@127.0.0.1:${sipPort}>`,
        `Call-ID: line-${Date.now()}@test`,
        'CSeq: 1 INVITE',
        `Contact: <sip:provider-pbx@127.0.0.1:${port}>`,
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      s.send(text, sipPort, '127.0.0.1');
      setTimeout(() => {
        s.close();
        resolve(final);
      }, 1000);
    });
  });
}

describe('outbound registration line support', { timeout: 40_000 }, () => {
  let token = '';

  it('registers with ;line=<7 letters> inside the Contact URI', async () => {
    const done = await registrar.done;
    assert.equal(done.code, 0, done.errors || done.stdout.slice(-2000));
    token = /LINE ([a-z]{7})/.exec(fs.readFileSync(registrarLog, 'utf8'))?.[1] ?? '';
    assert.match(token, /^[a-z]{7}$/);
  });

  it('a call carrying the token runs on the registration endpoint, in its context', async () => {
    assert.notEqual(token, '');
    const uac = await startSipp({ scenario: 'uac-line.xml', remote: `127.0.0.1:${sipPort}`, service: '1000', vars: { line: token }, timeoutSec: 15 });
    const start = await fx.ev.next((m) => m.type === 'StasisStart', 8000);
    const channel = start.channel as Json;
    assert.match(String(channel.name), /^PJSIP\/prov-ep-[0-9a-f]{8}$/);
    assert.equal((channel.dialplan as Json).context, 'from-provider');
    assert.equal((channel.caller as Json).number, 'provider-pbx');
    assert.equal((await fx.call('DELETE', `/channels/${String(channel.id)}`)).status, 204);
    const done = await uac.done;
    assert.equal(done.code, 0, done.errors || done.stdout.slice(-2000));
  });

  it('a token that is not ours identifies nobody: 401, no channel', async () => {
    assert.notEqual(token, '');
    const other = token === 'zzzzzzz' ? 'yyyyyyy' : 'zzzzzzz';
    assert.equal(await inviteWithLine(other), 401);
    assert.deepEqual((await fx.call('GET', '/channels')).body, []);
  });
});
