/**
 * originate-and-bridge: places two calls itself, joins them and plays a tone to both.
 *
 * Once connected it originates two channels into its own Stasis application (`originate-and-bridge`), answers
 * them, puts them in a mixing bridge, plays a 2-second 660 Hz tone into the bridge (both parties hear it),
 * then hangs both up and destroys the bridge. No dialplan reaches it: it makes its own calls. The default
 * endpoints are `Local/wait@internal` (the seed's extension that answers and waits), so it runs against the
 * seed as is; point `endpoints` at phones (`PJSIP/alice`, `PJSIP/bob`) to hear it for real.
 *
 *   npm run example -- originate-and-bridge
 *
 * Stopping it (Ctrl-C) in the middle hangs up both calls and destroys the bridge.
 */

import type { BridgeHandle, ChannelHandle } from '../../client/index.ts';
import { quietly, runExample, runIfMain, sleep, type ExampleOptions } from '../shared/run.ts';

export interface OriginateAndBridgeOptions extends ExampleOptions {
  /** The two endpoints to call. Default: `Local/wait@internal` twice. */
  endpoints?: readonly [string, string];
  /** What the bridge plays. Default `tone:660`. */
  tone?: string;
  /** How long the tone plays before the calls end. Default 2000 ms. */
  toneMs?: number;
}

export default function originateAndBridge(opts: OriginateAndBridgeOptions = {}): Promise<void> {
  const endpoints = opts.endpoints ?? ['Local/wait@internal', 'Local/wait@internal'];
  return runExample('originate-and-bridge', opts, async ({ ari, app, log, signal }) => {
    const channels: ChannelHandle[] = [];
    let bridge: BridgeHandle | undefined;
    const tearDown = async () => {
      await Promise.all(channels.map((c) => quietly(c.hangup())));
      if (bridge) await quietly(bridge.destroy());
      channels.length = 0;
      bridge = undefined;
    };

    const scenario = async () => {
      // Handles first, so the StasisStart listeners are in place before the calls can arrive.
      for (const endpoint of endpoints) {
        const channel = ari.channel();
        channels.push(channel);
        const arrived = channel.once('StasisStart', { timeoutMs: 30_000, signal });
        await channel.originateWithId({ endpoint, app, timeout: 30 });
        await arrived;
        signal.throwIfAborted();
        await channel.answer();
        log(`${endpoint} answered as ${channel.id}`);
      }
      signal.throwIfAborted();
      bridge = ari.bridge();
      await bridge.createWithId({ type: 'mixing', name: 'originate-and-bridge' });
      await bridge.addChannel({ channel: channels.map((c) => c.id) });
      log(`bridged in ${bridge.id}; playing ${opts.tone ?? 'tone:660'}`);
      const playback = ari.playback();
      await bridge.play({ media: opts.tone ?? 'tone:660', playbackId: playback.id });
      await sleep(opts.toneMs ?? 2000, signal);
      await quietly(playback.stop());
      await tearDown();
      log('hung up both calls and destroyed the bridge');
    };
    // Runs beside the wait for Ctrl-C; the cleanup below ends whatever it left.
    void scenario().catch((err: unknown) => {
      if (!signal.aborted) log(`error: ${(err as Error).message}`);
      return tearDown();
    });
    return tearDown;
  });
}

await runIfMain(import.meta.url, originateAndBridge);
