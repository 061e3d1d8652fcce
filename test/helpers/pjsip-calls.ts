/**
 * Small helpers shared by the PJSIP call tests (test/e2e/pjsip-*.test.ts): how much of a recording is
 * speech-loud, the channels destroyed on a server, read from its core bus (a Stasis application no longer hears
 * about a channel once it has left, so ChannelDestroyed causes are checked here), the trunk-and-phone
 * pjsip.conf of the MESSAGE/REFER tests, and SIPp's self-transferring trunk call of the REFER tests.
 */

import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Core } from '../../src/core/core.ts';
import type { EventClient } from './ariadne.ts';
import { startSipp, type SippResult } from './sipp.ts';

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

/**
 * SIPp's trunk call to `1000` that transfers itself (test/sipp/uac-refer.xml: a MESSAGE in the dialog, then,
 * after the test's go-ahead INFO, a REFER to `referExten`, the NOTIFYs and a BYE), for a dialplan that hands
 * 1000 to the application `ev` listens to. Resolves with the channel of its StasisStart (one not in `seen`,
 * added to it) and `done`: SIPp's result with the `NOTIFY <n> <status> <state>` lines it logged.
 */
export async function referringCall(
  ev: EventClient,
  options: { readonly sipPort: number; readonly logFile: string; readonly referExten: string; readonly seen: Set<string> },
): Promise<{ channel: Record<string, unknown>; done: Promise<SippResult & { log: string[] }> }> {
  const { logFile, seen } = options;
  const sipp = await startSipp({
    scenario: 'uac-refer.xml',
    remote: `127.0.0.1:${options.sipPort}`,
    service: '1000',
    timeoutSec: 20,
    vars: { refer_exten: options.referExten },
    extraArgs: ['-trace_logs', '-log_file', logFile],
  });
  const chan = (m: Record<string, unknown>) => m.channel as Record<string, unknown>;
  const start = await ev.next((m) => m.type === 'StasisStart' && String(chan(m).name).startsWith('PJSIP/trunk-') && !seen.has(String(chan(m).id)), 8000);
  seen.add(String(chan(start).id));
  const done = sipp.done.then((r) => ({ ...r, log: fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').split('\n').flatMap((l) => /NOTIFY \d \d+ [a-z]+/.exec(l)?.[0] ?? []) : [] }));
  return { channel: chan(start), done };
}
