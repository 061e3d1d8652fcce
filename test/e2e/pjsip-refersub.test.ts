/**
 * REFER without the implicit subscription (RFC 4488, `Refer-Sub: false`), with SIPp as the transferring trunk
 * (test/sipp/uac-refersub.xml) in a Stasis application that bridged its call with the half of a Local pair:
 *
 * - a blind transfer to an existing extension: the REFER is answered 200 with `Refer-Sub: false` (as
 *   res_pjsip_refer answers once the transfer is done), no 202 and no NOTIFY follow, and the transfer of the
 *   bridged peer to the Refer-To extension is reported (BridgeBlindTransfer, Success);
 * - to an extension that does not exist: 404 with `Refer-Sub: false`, nobody moves, still no NOTIFY;
 * - our OPTIONS answer advertises `norefersub` in Supported, as Asterisk does with its default `norefersub=yes`.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MediaApp, type Json } from '../helpers/media-app.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, startSipp } from '../helpers/sipp.ts';
import { trunkAndPhoneConf } from '../helpers/pjsip-calls.ts';
import { parseMessage } from '../../src/sip/message/parser.ts';

const APP = 'refersub-app';

const DIALPLAN = `[from-trunk]
exten => 1000,1,Answer()
 same => n,Stasis(${APP})
 same => n,Hangup()
exten => 2000,1,NoOp(transferred here)
 same => n,Hangup()

[internal]
exten => _stasis-.,1,Answer()
 same => n,Stasis(\${EXTEN:7})
 same => n,Hangup()
`;

let fx: MediaApp;
let sipPort: number;
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pjsip-refersub-'));
const chanOf = (m: Json) => m.channel as Json;

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  sipPort = await freePort('udp');
  fx = await MediaApp.start(APP, { extensions: DIALPLAN, sounds: false, files: { 'pjsip.conf': trunkAndPhoneConf(sipPort, 5099, 'dtmf_mode = info\n') } });
});

after(async () => {
  await fx?.stop();
  fs.rmSync(logDir, { recursive: true, force: true });
});

let run = 0;
const seen = new Set<string>();

/** SIPp's call bridged with a Local half, then its REFER (Refer-Sub: false) to `exten`; resolves with the REFER log line. */
async function referWithoutSubscription(exten: string): Promise<{ peer: string; line: string }> {
  const logFile = path.join(logDir, `refersub-${++run}.log`);
  const sipp = await startSipp({
    scenario: 'uac-refersub.xml', remote: `127.0.0.1:${sipPort}`, service: '1000', timeoutSec: 15,
    vars: { refer_exten: exten }, extraArgs: ['-trace_logs', '-log_file', logFile],
  });
  const start = await fx.ev.next((m) => m.type === 'StasisStart' && String(chanOf(m).name).startsWith('PJSIP/trunk-') && !seen.has(String(chanOf(m).id)), 8000);
  const channelId = String(chanOf(start).id);
  seen.add(channelId);
  const { one: peer } = await fx.pair(`rs${run}`);
  const bridgeId = `refersub-${run}`;
  assert.equal((await fx.call('POST', `/bridges/${bridgeId}?type=mixing`)).status, 200);
  assert.equal((await fx.call('POST', `/bridges/${bridgeId}/addChannel?channel=${channelId},${peer}`)).status, 204);
  await fx.ev.next((m) => m.type === 'ChannelEnteredBridge' && chanOf(m).id === peer, 3000);
  // The go-ahead: a digit reaches SIPp as an INFO (dtmf_mode=info), then it sends the REFER.
  assert.equal((await fx.call('POST', `/channels/${channelId}/dtmf?dtmf=1`)).status, 204);
  const result = await sipp.done;
  assert.equal(result.code, 0, `${result.stdout.slice(-1500)}\n${result.errors}`);
  const line = fs.readFileSync(logFile, 'utf8').split('\n').flatMap((l) => /REFER \d+ \S+/.exec(l)?.[0] ?? [])[0] ?? '';
  return { peer, line };
}

describe('REFER with Refer-Sub: false', { timeout: 60_000 }, () => {
  it('a blind transfer is answered 200 with Refer-Sub: false, no NOTIFY, and is reported as done', async () => {
    const { peer, line } = await referWithoutSubscription('2000');
    assert.equal(line, 'REFER 200 false');
    const blind = await fx.ev.next((m) => m.type === 'BridgeBlindTransfer', 3000);
    assert.equal(blind.result, 'Success');
    assert.equal(blind.exten, '2000');
    assert.equal((blind.transferee as Json).id, peer);
  });

  it('an extension that does not exist: 404 with Refer-Sub: false, nobody moves', async () => {
    const { peer, line } = await referWithoutSubscription('9999');
    assert.equal(line, 'REFER 404 false');
    assert.equal((await fx.call('GET', `/channels/${peer}`)).status, 200, 'the peer is still there');
    assert.equal((await fx.call('DELETE', `/channels/${peer}`)).status, 204);
  });

  it('OPTIONS lists norefersub in Supported', async () => {
    const supported = await new Promise<string | undefined>((resolve) => {
      const s = dgram.createSocket('udp4');
      const timer = setTimeout(() => {
        s.close();
        resolve(undefined);
      }, 2000);
      s.on('message', (buf) => {
        const m = parseMessage(buf);
        if (m.type !== 'response') return;
        clearTimeout(timer);
        s.close();
        resolve(m.headers.get('Supported'));
      });
      s.bind(0, '127.0.0.1', () => {
        const port = s.address().port;
        s.send([
          `OPTIONS sip:127.0.0.1:${sipPort} SIP/2.0`,
          `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKrs${Date.now()};rport`,
          `From: <sip:probe@127.0.0.1:${port}>;tag=rs1`,
          `To: <sip:127.0.0.1:${sipPort}>`,
          `Call-ID: refersub-${Date.now()}@test`,
          'CSeq: 1 OPTIONS',
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\r\n'), sipPort, '127.0.0.1');
      });
    });
    assert.ok(supported?.split(',').map((v) => v.trim()).includes('norefersub'), `Supported: ${supported}`);
  });
});
