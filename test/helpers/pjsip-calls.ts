/**
 * Small helpers shared by the PJSIP call tests (test/e2e/pjsip-*.test.ts): how much of a recording is
 * speech-loud, the channels destroyed on a server, read from its core bus (a Stasis application no longer hears
 * about a channel once it has left, so ChannelDestroyed causes are checked here), and the trunk-and-phone
 * pjsip.conf of the MESSAGE/REFER tests.
 */

import assert from 'node:assert/strict';
import type { Core } from '../../src/core/core.ts';

/** 20 ms blocks (160 samples at 8 kHz) of `samples` whose RMS is above `threshold`. */
export function loudBlocks(samples: Int16Array, threshold = 300): number {
  let n = 0;
  for (let at = 0; at + 160 <= samples.length; at += 160) {
    let sum = 0;
    for (let i = at; i < at + 160; i++) sum += (samples[i] ?? 0) ** 2;
    if (Math.sqrt(sum / 160) > threshold) n++;
  }
  return n;
}

export interface DestroyedChannels {
  /** Every ChannelDestroyed so far, oldest first. */
  readonly list: ReadonlyArray<{ readonly name: string; readonly cause: number }>;
  /** The first destroyed channel from index `from` on whose name matches; fails after `ms`. */
  find(match: (name: string) => boolean, from?: number, ms?: number): Promise<{ name: string; cause: number }>;
}

/** Records the channels `core` destroys from now on. */
export function trackDestroyed(core: Core): DestroyedChannels {
  const list: Array<{ name: string; cause: number }> = [];
  core.bus.subscribe((m) => {
    if (m.type === 'ChannelDestroyed') list.push({ name: m.channel.name, cause: m.cause });
  });
  return {
    list,
    async find(match, from = 0, ms = 5000) {
      const t0 = Date.now();
      for (;;) {
        const found = list.slice(from).find((d) => match(d.name));
        if (found) return found;
        assert.ok(Date.now() - t0 < ms, 'the channel was not destroyed');
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

/**
 * pjsip.conf of the MESSAGE/REFER tests: a UDP transport on `sipPort`, the endpoint `trunk` (context from-trunk,
 * identified by 127.0.0.1, plus `trunkExtra` lines) and the endpoint `phone` whose AOR has the static contact
 * `sip:phone@127.0.0.1:<phonePort>`.
 */
export function trunkAndPhoneConf(sipPort: number, phonePort: number, trunkExtra = ''): string {
  return `[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${sipPort}

[trunk]
type = endpoint
context = from-trunk
disallow = all
allow = ulaw
${trunkExtra}
[trunk]
type = identify
endpoint = trunk
match = 127.0.0.1

[phone]
type = endpoint
context = from-trunk
disallow = all
allow = ulaw
aors = phone

[phone]
type = aor
contact = sip:phone@127.0.0.1:${phonePort}
`;
}
