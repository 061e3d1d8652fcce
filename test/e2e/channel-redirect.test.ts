/**
 * The core's asynchronous goto (src/core/async-goto.ts) through ChannelRedirect(), on Local channels run by a
 * real server:
 *
 * - a channel in the middle of Wait() is interrupted (not hung up) and goes on at the target; the rest of its
 *   old extension never runs; CHANNELREDIRECT_STATUS is SUCCESS in the redirecting channel;
 * - a channel in the middle of Playback() stops playing (the media engine is told to stop) and goes on there;
 * - the callee leg of a Dial(), which has no PBX of its own, leaves the Dial bridge and gets a PBX at the
 *   target, while the caller's Dial() ends;
 * - a channel name nobody has: CHANNELREDIRECT_STATUS=NOCHANNEL.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { DEBIAN_EN } from '../helpers/media-app.ts';
import type { CoreMessage } from '../../src/core/bus.ts';

const DIALPLAN = `[redir]
exten => waiter,1,Answer()
 same => n,UserEvent(Waiting)
 same => n,Wait(20)
 same => n,UserEvent(AfterWait)
 same => n,Hangup()
exten => player,1,Answer()
 same => n,UserEvent(Playing)
 same => n,Playback(demo-instruct)
 same => n,UserEvent(AfterPlayback)
 same => n,Hangup()
exten => dialer,1,Dial(Local/waiter@redir/n)
 same => n,UserEvent(DialerAfter)
 same => n,Hangup()
exten => landed,1,UserEvent(Landed)
 same => n,Wait(0.3)
 same => n,Hangup()
exten => redirect,1,ChannelRedirect(\${TARGET},redir,landed,1)
 same => n,UserEvent(Redirected,status: \${CHANNELREDIRECT_STATUS})
 same => n,Hangup()
exten => park,1,Answer()
 same => n,Wait(20)
 same => n,Hangup()
`;

let srv: TestServer;
const seen: CoreMessage[] = [];

before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': DIALPLAN } });
  fs.mkdirSync(path.join(srv.dir, 'data', 'sounds'), { recursive: true });
  fs.symlinkSync(DEBIAN_EN, path.join(srv.dir, 'data', 'sounds', 'en'));
  srv.ariadne.core.bus.subscribe((m) => void seen.push(m));
});

after(async () => {
  await srv?.stop();
});

type UserEvent = Extract<CoreMessage, { type: 'ChannelUserevent' }>;

/** The first user event `name` in `seen` that `match` accepts (waiting for it when there is none yet). */
async function userEvent(name: string, match: (m: UserEvent) => boolean = () => true, ms = 5000): Promise<UserEvent> {
  const t0 = Date.now();
  for (;;) {
    const hit = seen.find((m): m is UserEvent => m.type === 'ChannelUserevent' && m.eventname === name && match(m));
    if (hit) return hit;
    assert.ok(Date.now() - t0 < ms, `no UserEvent ${name}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let n = 0;
/** Originates `Local/<exten>@redir` (its ;2 runs the extension; ;1 waits in `park`), with variables. */
async function originate(exten: string, variables: Record<string, string> = {}): Promise<{ one: string; two: string }> {
  const one = `redir-${++n}`;
  const res = await srv.ari('POST', `/channels?endpoint=Local/${exten}@redir&context=redir&extension=park&channelId=${one}`, { body: { variables } });
  assert.equal(res.status, 200, await res.text());
  return { one, two: `${one};2` };
}

const nameOf = (id: string): string => {
  const c = srv.ariadne.core.channels.get(id);
  assert.ok(c, `no channel ${id}`);
  return c.name;
};

const destroyedBefore = (id: string, m: CoreMessage): boolean => seen.slice(0, seen.indexOf(m)).some((x) => x.type === 'ChannelDestroyed' && x.channel.id === id);

describe('ChannelRedirect and the asynchronous goto', { timeout: 30_000 }, () => {
  it('interrupts Wait() and continues at the target; the redirecting channel sees SUCCESS', async () => {
    const { two } = await originate('waiter');
    await userEvent('Waiting', (m) => m.channel?.id === two);
    const started = Date.now();
    const r = await originate('redirect', { TARGET: nameOf(two) });
    const landed = await userEvent('Landed', (m) => m.channel?.id === two);
    assert.ok(Date.now() - started < 3000, 'Wait(20) was not interrupted');
    assert.ok(!destroyedBefore(two, landed), 'the redirected channel was hung up on the way');
    const status = await userEvent('Redirected', (m) => m.channel?.id === r.two);
    assert.equal(status.userevent.status, 'SUCCESS');
    await new Promise((res) => setTimeout(res, 400));
    assert.ok(!seen.some((m) => m.type === 'ChannelUserevent' && m.eventname === 'AfterWait' && m.channel?.id === two), 'the old extension went on');
  });

  it('interrupts Playback(): the playback is stopped and the channel goes on at the target', async () => {
    const stops: string[] = [];
    const off = srv.ariadne.media.onNotification((x) => {
      if (x.type === 'playback-finished') stops.push(x.reason);
    });
    try {
      const { two } = await originate('player');
      await userEvent('Playing', (m) => m.channel?.id === two);
      await new Promise((r) => setTimeout(r, 300));
      await originate('redirect', { TARGET: nameOf(two) });
      await userEvent('Landed', (m) => m.channel?.id === two);
      const t0 = Date.now();
      while (!stops.includes('stopped')) {
        assert.ok(Date.now() - t0 < 2000, `the playback was not stopped (${stops.join(',')})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(!seen.some((m) => m.type === 'ChannelUserevent' && m.eventname === 'AfterPlayback' && m.channel?.id === two));
    } finally {
      off();
    }
  });

  it('gives a Dial() callee leg (no PBX) a PBX at the target; the caller leaves Dial()', async () => {
    const since = seen.length;
    const { two: dialer } = await originate('dialer');
    // The callee pair Dial() made: its ;2 runs `waiter`, its ;1 is the leg bridged with the dialer.
    const waiting = await userEvent('Waiting', (m) => seen.indexOf(m) >= since && m.channel?.name.startsWith('Local/waiter@redir-') === true && m.channel.name.endsWith(';2'));
    const calleeName = waiting.channel!.name.replace(/;2$/, ';1');
    const callee = srv.ariadne.core.channels.byName(calleeName);
    assert.ok(callee);
    const t1 = Date.now();
    while (callee.bridgeId === undefined) {
      assert.ok(Date.now() - t1 < 3000, 'the callee leg is not bridged with the dialer');
      await new Promise((r) => setTimeout(r, 20));
    }
    const bridgeId = callee.bridgeId;
    await originate('redirect', { TARGET: calleeName });
    const landed = await userEvent('Landed', (m) => m.channel?.id === callee.id);
    assert.ok(!destroyedBefore(callee.id, landed));
    assert.ok(seen.some((m) => m.type === 'ChannelLeftBridge' && m.channel.id === callee.id && m.bridge.id === bridgeId));
    // Without the g option the dialer's Dial() ends its call: it is hung up, never reaching DialerAfter.
    const t0 = Date.now();
    while (!seen.some((m) => m.type === 'ChannelDestroyed' && m.channel.id === dialer)) {
      assert.ok(Date.now() - t0 < 3000, 'the dialer was not hung up');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(!seen.some((m) => m.type === 'ChannelUserevent' && m.eventname === 'DialerAfter' && m.channel?.id === dialer));
  });

  it('NOCHANNEL for a channel nobody has', async () => {
    const r = await originate('redirect', { TARGET: 'PJSIP/nobody-00000000' });
    const status = await userEvent('Redirected', (m) => m.channel?.id === r.two);
    assert.equal(status.userevent.status, 'NOCHANNEL');
  });
});
