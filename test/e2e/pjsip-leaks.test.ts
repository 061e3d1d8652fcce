/**
 * Nothing grows per SIP call (issue 5, "RSS after 10,000 calls"): a few hundred quick SIPp calls through the three
 * kinds of extension of the call benchmarks (bench/sip-calls.ts) — 1000 Stasis application answers and hangs up,
 * 1001 Answer() + Hangup(), 1002 Answer() + Stasis with an endless tone the caller hangs up on, with RTP both
 * ways — plus out-of-dialog MESSAGEs, then, once the SIP transactions have run out (timer_t1 = 200 ms here, so
 * 64·T1 is 12.8 s), every registry reachable from the server is back to its idle size:
 * - core channels and bridges, bus subscribers;
 * - PJSIP legs (all and by endpoint), SIP dialogs, client and server transactions;
 * - the media host's sessions, bridges, Local links, playbacks and recordings;
 * - the process's timers that keep it alive (unref'd ones, such as the SIP timers, are not listed by Node; the
 *   transactions and legs that own those are counted above).
 * And, after a full GC, none of the calls' `Channel` objects nor their RTP channels is still reachable from
 * anywhere (WeakRefs taken while the calls ran): whatever map, closure or subscription kept one would keep it
 * alive.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { findBinary } from '../helpers/baresip.ts';
import { freePort, runSipp } from '../helpers/sipp.ts';
import { ping } from '../../src/media/engine/port.ts';

const CALLS = 100;
const MESSAGES = 30;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const pjsip = (port: number) => `[system]
type = system
timer_t1 = 200
timer_b = 12800

[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[trunk]
type = endpoint
context = from-trunk
message_context = messages
disallow = all
allow = ulaw,alaw
direct_media = no

[trunk]
type = identify
endpoint = trunk
match = 127.0.0.1
`;

const DIALPLAN = `[from-trunk]
exten => 1000,1,Stasis(leak-rate)
 same => n,Hangup()
exten => 1001,1,Answer()
 same => n,Hangup()
exten => 1002,1,Answer()
 same => n,Stasis(leak-hold)
 same => n,Hangup()

[messages]
exten => _X.,1,NoOp(\${MESSAGE(body)})
`;

let srv: TestServer;
let sipPort: number;
const apps: EventClient[] = [];
/** Every call's channel and RTP channel, held weakly. */
const refs: Array<WeakRef<object>> = [];
let idle: Record<string, number>;
let restFailures = 0;

async function registries(): Promise<Record<string, number>> {
  const a = srv.ariadne;
  const host = await ping(a.media);
  const timers = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  return {
    channels: a.core.channels.count,
    bridges: a.core.bridges.list().length,
    busListeners: a.core.bus.listenerCount,
    legs: a.sip.driver.channels.length,
    trunkLegs: a.sip.driver.channelsOf('trunk').length,
    dialogs: a.sip.stack.dialogs.size,
    clientTransactions: a.sip.stack.transactions.clientCount,
    serverTransactions: a.sip.stack.transactions.serverCount,
    mediaSessions: host.sessions,
    mediaBridges: host.bridges,
    mediaLinks: host.links,
    playbacks: host.playbacks,
    recordings: host.recordings,
    timers,
  };
}

/** Answers and hangs up (`leak-rate`) or plays an endless tone (`leak-hold`) on each StasisStart. */
function serve(ev: EventClient, action: (id: string) => Promise<void>): void {
  ev.ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type?: string; channel?: { id?: string } };
    if (m.type !== 'StasisStart' || m.channel?.id === undefined) return;
    action(m.channel.id).catch(() => restFailures++);
  });
}

async function rest(method: string, path: string): Promise<void> {
  const r = await srv.ari(method, path);
  await r.arrayBuffer();
  // 404: the caller hung up first, which is not the server's failure.
  if (r.status >= 300 && r.status !== 404) throw new Error(`${method} ${path}: ${r.status}`);
}

before(async () => {
  assert.ok(findBinary('sipp'), 'sipp must be installed');
  srv = await startTestServer({ files: { 'pjsip.conf': pjsip(await freePort('udp')), 'extensions.conf': DIALPLAN, 'rtp.conf': '[general]\nrtpstart = 30000\nrtpend = 34999\n' } });
  sipPort = srv.ariadne.sip.transports().find((t) => t.protocol === 'udp')?.port ?? 0;
  assert.ok(sipPort > 0, 'the UDP transport is bound');
  for (const app of ['leak-rate', 'leak-hold']) apps.push(await openEvents(srv.base, `api_key=asterisk:asterisk&app=${app}`));
  serve(apps[0]!, async (id) => {
    await rest('POST', `/channels/${id}/answer`);
    await rest('DELETE', `/channels/${id}`);
  });
  serve(apps[1]!, (id) => rest('POST', `/channels/${id}/play?media=tone:440`));
  // Every call's channel and RTP channel, weakly: the subscription itself keeps nothing.
  srv.ariadne.core.bus.subscribe((m) => {
    if (m.type !== 'ChannelCreated' && m.type !== 'ChannelStateChange') return;
    const channel = srv.ariadne.core.channels.get(m.channel.id);
    if (channel === undefined) return;
    if (m.type === 'ChannelCreated') refs.push(new WeakRef(channel));
    const rtp = srv.ariadne.sip.driver.legOf(channel)?.rtp;
    if (m.type === 'ChannelStateChange' && rtp !== undefined) refs.push(new WeakRef(rtp));
  });
  await sleep(200);
  idle = await registries();
});

after(async () => {
  await Promise.all(apps.map((e) => e.close()));
  await srv?.stop();
});

describe('per-call state after many SIP calls', () => {
  it('every registry is back to its idle size and no call object stays reachable', { timeout: 60_000 }, async () => {
    const remote = `127.0.0.1:${sipPort}`;
    const quick = ['-r', '25', '-l', '20'];
    const results = await Promise.all([
      runSipp({ scenario: '../../bench/sipp/uac-app-hangup.xml', remote, service: '1000', calls: CALLS, timeoutSec: 25, extraArgs: quick }),
      runSipp({ scenario: '../../bench/sipp/uac-app-hangup.xml', remote, service: '1001', calls: CALLS, timeoutSec: 25, extraArgs: quick }),
      runSipp({ scenario: '../../bench/sipp/uac-hold.xml', remote, service: '1002', calls: CALLS, timeoutSec: 25, extraArgs: [...quick, '-d', '1000', '-mp', String(await freePort('udp')), '-rtp_echo'] }),
      runSipp({ scenario: 'message-uac.xml', remote, service: '2000', calls: MESSAGES, timeoutSec: 25, extraArgs: ['-r', '20'] }),
    ]);
    for (const r of results) assert.equal(r.code, 0, `sipp failed: ${r.errors.slice(0, 3000)}${r.stdout.slice(-500)}`);
    assert.equal(restFailures, 0, 'every REST request of the applications succeeded');
    assert.ok(refs.length >= 3 * CALLS, `the calls' channels were seen (${refs.length})`);
    const played = apps[1]!.messages.filter((m) => m.type === 'PlaybackStarted').length;
    assert.ok(played >= CALLS / 2, `the tone played to most held calls (${played})`);

    // The transactions last 64·T1 (12.8 s) after the last message; everything else ends with its call.
    let now = await registries();
    for (let t = Date.now(); JSON.stringify(now) !== JSON.stringify(idle) && Date.now() - t < 25_000; ) {
      await sleep(250);
      now = await registries();
    }
    assert.deepEqual(now, idle);

    // WeakRefs hold their targets until the current job ends: collect from a fresh macrotask, twice.
    await sleep(50);
    gc();
    await sleep(50);
    gc();
    const alive = refs.filter((r) => r.deref() !== undefined).length;
    assert.equal(alive, 0, `${alive} of ${refs.length} channels/RTP channels are still reachable`);
  });
});
