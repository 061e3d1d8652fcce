/**
 * MWI NOTIFY for mailboxes set over ARI, with SIPp as the phone:
 *
 * - unsolicited: the endpoint `mwi-phone` has `mailboxes = 1000@default` and a static contact where a SIPp
 *   UAS (`mwi-notify-uas.xml`) listens; `PUT /mailboxes/1000@default?oldMessages=1&newMessages=2` and then
 *   `DELETE` each send it a NOTIFY (checked by the scenario: Event, Subscription-State, Content-Type); the
 *   bodies, read from SIPp's message log, are Asterisk's `Messages-Waiting: yes` / `Voice-Message: 2/1 (0/0)`
 *   and then `no` / `0/0`;
 * - on registration: the endpoint `mwi-reg` (mailboxes = 1500@default) registers through SIPp with its Contact
 *   at a second SIPp, which gets a NOTIFY with the current counts (3 new, 4 old) right away;
 * - solicited: SIPp (`mwi-subscribe.xml`) subscribes to the AOR `sub-vm` (mailboxes = 2000@default): 200 and
 *   a NOTIFY with the current counts, a new NOTIFY when the test changes them, and a terminated NOTIFY after
 *   the SUBSCRIBE with Expires 0; an unknown AOR gets 404.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { freePort, runSipp, startSipp } from '../helpers/sipp.ts';

let srv: TestServer;
let sipPort: number;
let uasPort: number;

const pjsipConf = (): string => `[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${sipPort}

[mwi-phone]
type = endpoint
aors = mwi-phone
mailboxes = 1000@default

[mwi-phone]
type = aor
contact = sip:mwi@127.0.0.1:${uasPort}

[mwi-reg]
type = endpoint
aors = mwi-reg
auth = mwi-reg
mailboxes = 1500@default

[mwi-reg]
type = auth
username = mwi-reg
password = lamp

[mwi-reg]
type = aor
max_contacts = 1

[sub]
type = endpoint
aors = sub-vm

[sub-vm]
type = aor
mailboxes = 2000@default
`;

async function until<T>(what: string, check: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A SIPp UAS taking `calls` NOTIFYs at `port`; `bodies()` reads theirs from its message log, in order. */
async function notifyReceiver(port: number, calls: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mwi-'));
  const log = path.join(dir, 'messages.log');
  const run = await startSipp({ scenario: 'mwi-notify-uas.xml', port, calls, timeoutSec: 15, extraArgs: ['-trace_msg', '-message_file', log] });
  return {
    run,
    log: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : ''),
    bodies: () => [...(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').matchAll(/Messages-Waiting: (yes|no)\r?\nVoice-Message: (\d+\/\d+ \(0\/0\))/g)].map((m) => `${m[1]} ${m[2]}`),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

before(async () => {
  sipPort = await freePort('udp');
  uasPort = await freePort('udp');
  srv = await startTestServer({ files: { 'pjsip.conf': pjsipConf() } });
});

after(async () => {
  await srv?.stop();
});

describe('MWI', { timeout: 40_000 }, () => {
  it('sends unsolicited NOTIFYs to the endpoint contact when the mailbox changes', async () => {
    const uas = await notifyReceiver(uasPort, 2);
    try {
      assert.equal((await srv.ari('PUT', '/mailboxes/1000@default?oldMessages=1&newMessages=2')).status, 204);
      // One NOTIFY at a time, so the log holds them in order.
      await until('the first NOTIFY answered', () => (/SIP\/2\.0 200 OK/.test(uas.log()) ? true : undefined));
      assert.equal((await srv.ari('DELETE', '/mailboxes/1000@default')).status, 204);
      const done = await uas.run.done;
      assert.equal(done.code, 0, done.errors || done.stdout.slice(-2000));
      assert.deepEqual(uas.bodies(), ['yes 2/1 (0/0)', 'no 0/0 (0/0)']);
      assert.match(uas.log(), /NOTIFY sip:mwi@127\.0\.0\.1:\d+ SIP\/2\.0/);
    } finally {
      uas.remove();
    }
  });

  it('sends the counts to a contact as soon as it registers', async () => {
    assert.equal((await srv.ari('PUT', '/mailboxes/1500@default?oldMessages=4&newMessages=3')).status, 204);
    const phonePort = await freePort('udp');
    const uas = await notifyReceiver(phonePort, 1);
    try {
      const reg = await runSipp({ scenario: 'register-mwi.xml', remote: `127.0.0.1:${sipPort}`, service: 'mwi-reg', auth: { user: 'mwi-reg', password: 'lamp' }, vars: { contactport: String(phonePort) } });
      assert.equal(reg.code, 0, reg.errors || reg.stdout.slice(-2000));
      const done = await uas.run.done;
      assert.equal(done.code, 0, done.errors || done.stdout.slice(-2000));
      assert.deepEqual(uas.bodies(), ['yes 3/4 (0/0)']);
    } finally {
      uas.remove();
    }
  });

  it('answers SUBSCRIBE message-summary with 200 and NOTIFYs until unsubscribed', async () => {
    assert.equal((await srv.ari('PUT', '/mailboxes/2000@default?oldMessages=1&newMessages=2')).status, 204);
    const run = await startSipp({ scenario: 'mwi-subscribe.xml', remote: `127.0.0.1:${sipPort}`, service: 'sub-vm', timeoutSec: 15 });
    const mwi = srv.ariadne.sip.mwi;
    assert.ok(mwi);
    await until('the subscription', () => (mwi.subscriptions === 1 ? true : undefined));
    assert.equal((await srv.ari('PUT', '/mailboxes/2000@default?oldMessages=5&newMessages=0')).status, 204);
    const done = await run.done;
    assert.equal(done.code, 0, done.errors || done.stdout.slice(-2000));
    assert.equal(mwi.subscriptions, 0);
  });

  it('refuses a subscription to an unknown AOR with 404', async () => {
    const res = await runSipp({ scenario: 'mwi-subscribe.xml', remote: `127.0.0.1:${sipPort}`, service: 'nobody', timeoutSec: 5 });
    assert.notEqual(res.code, 0);
    assert.match(res.errors + res.stdout, /404/);
  });
});
