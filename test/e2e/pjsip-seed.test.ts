/**
 * The seed's SIP flow end to end, with the project's own `configs/pjsip.conf` and `configs/extensions.conf` (only
 * the SIP port changed) and the real hello-world application (`examples/hello-world/app.ts`, through the SDK):
 *
 * - a trunk caller (a baresip with no account of its own, from 127.0.0.1) calls 1000: `from-trunk` answers and
 *   hands the call to hello-world, which plays `sound:hello-world` and hangs up; the caller hears the speech
 *   (RMS over its recording, for about the file's length) and sees its call closed;
 * - the phone alice registers with its password, calls 1000 too (the INVITE is challenged and authenticated;
 *   the phones' context is `from-trunk` as well) and hears the same.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { DEBIAN_EN } from '../helpers/media-app.ts';
import { findBinary, readRecording, startBaresip, type Baresip } from '../helpers/baresip.ts';
import { freePort } from '../helpers/sipp.ts';
import { loudBlocks } from '../helpers/pjsip-calls.ts';
import { PROJECT_ROOT } from '../../src/server.ts';
import helloWorld from '../../examples/hello-world/app.ts';

let srv: TestServer;
let sipPort: number;
const stopApp = new AbortController();
let app: Promise<void>;
const phones: Baresip[] = [];
/** Names of the channels created, from the core bus. */
const created: string[] = [];

before(async () => {
  assert.ok(findBinary('baresip'), 'baresip must be installed');
  sipPort = await freePort('udp');
  const seed = (name: string) => fs.readFileSync(path.join(PROJECT_ROOT, 'configs', name), 'utf8');
  const pjsip = seed('pjsip.conf').replace(/^bind\s*=\s*127\.0\.0\.1:5060$/m, `bind = 127.0.0.1:${sipPort}`);
  assert.notEqual(pjsip, seed('pjsip.conf'), 'the seed pjsip.conf binds 127.0.0.1:5060');
  srv = await startTestServer({ files: { 'pjsip.conf': pjsip, 'rtp.conf': seed('rtp.conf'), 'extensions.conf': seed('extensions.conf') } });
  srv.ariadne.core.bus.subscribe((m) => {
    if (m.type === 'ChannelCreated') created.push(m.channel.name);
  });
  fs.mkdirSync(path.join(srv.dir, 'data', 'sounds'), { recursive: true });
  fs.symlinkSync(DEBIAN_EN, path.join(srv.dir, 'data', 'sounds', 'en'));
  let ready!: () => void;
  const registered = new Promise<void>((r) => (ready = r));
  app = helloWorld({ url: srv.base, username: 'asterisk', password: 'asterisk', signal: stopApp.signal, log: (l) => l.startsWith('registered') && ready() });
  await registered;
});

after(async () => {
  await Promise.all(phones.map((p) => p.stop()));
  stopApp.abort();
  await app;
  await srv?.stop();
});

async function callHelloWorld(p: Baresip): Promise<void> {
  await p.dial(`sip:1000@127.0.0.1:${sipPort}`);
  await p.waitFor('CALL_ESTABLISHED', 8000);
  // hello-world hangs up once the 1.4 s sound is over.
  await p.waitFor('CALL_CLOSED', 8000);
  const [rec] = await p.recordings();
  assert.ok(rec?.heard, 'the call was recorded');
  const loud = loudBlocks(readRecording(rec.heard).samples);
  assert.ok(loud >= 35 && loud <= 110, `${loud} loud 20 ms blocks heard (hello-world.wav is 70 blocks long)`);
}

describe('the seed: SIP into from-trunk 1000 → Stasis(hello-world)', { timeout: 60_000 }, () => {
  it('a trunk caller hears hello-world and is hung up', async () => {
    // The tone is quiet (amplitude 200, RMS ~140): what comes back must be the application's speech, not an echo.
    const caller = await startBaresip({ name: 'trunkcaller', account: { user: '5551234', domain: `127.0.0.1:${sipPort}` }, audioSource: { toneHz: 600, amplitude: 200 }, lifetimeSeconds: 30 });
    phones.push(caller);
    await callHelloWorld(caller);
    assert.match(created.at(-1) ?? '', /^PJSIP\/trunk-[0-9a-f]{8}$/);
  });

  it('the registered phone alice calls 1000 (authenticated INVITE) and hears hello-world', async () => {
    const alice = await startBaresip({
      name: 'alice',
      account: { user: 'alice', password: 'change_me_alice', domain: `127.0.0.1:${sipPort}`, register: true },
      audioSource: { toneHz: 600, amplitude: 200 },
      lifetimeSeconds: 30,
    });
    phones.push(alice);
    await alice.registered(5000);
    await callHelloWorld(alice);
    assert.match(created.at(-1) ?? '', /^PJSIP\/alice-[0-9a-f]{8}$/);
  });
});
