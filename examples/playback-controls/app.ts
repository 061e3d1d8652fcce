/**
 * playback-controls: a long recording the caller steers with the keypad.
 *
 * Each call that enters the `playback-controls` application is answered and hears `sound:demo-congrats`
 * (about 30 s). While it plays:
 *   1  pause / unpause        3  rewind 3 s          #  stop, say goodbye and hang up
 *   2  restart from the top   4  forward 3 s
 * When the sound ends by itself the call is hung up too.
 *
 * Reaching it: the seed's dialplan sends `Local/stasis-playback-controls@internal` here
 * (`exten => _stasis-.,1,…,Stasis(${EXTEN:7})` in [internal]); for a phone, add to extensions.conf
 *   exten => 1001,1,Stasis(playback-controls)
 * in the context your phones call from.
 *
 *   npm run example -- playback-controls
 */

import type { ChannelHandle, PlaybackHandle } from '../../client/index.ts';
import { onEachCall, runExample, runIfMain, type ExampleOptions } from '../shared/run.ts';

export interface PlaybackControlsOptions extends ExampleOptions {
  /** What is played. Default `sound:demo-congrats`. */
  media?: string;
  /** How far 3 and 4 jump. Default 3000 ms. */
  skipMs?: number;
}

export default function playbackControls(opts: PlaybackControlsOptions = {}): Promise<void> {
  return runExample('playback-controls', opts, (ctx) => {
    const { ari, log } = ctx;
    const handle = async (channel: ChannelHandle) => {
      await channel.answer();
      const playback: PlaybackHandle = ari.playback();
      const finished = playback.once('PlaybackFinished');
      let paused = false;
      let stoppedByKey = false;
      const off = channel.on('ChannelDtmfReceived', async ({ digit }) => {
        switch (digit) {
          case '1':
            paused = !paused;
            await playback.control({ operation: paused ? 'pause' : 'unpause' });
            break;
          case '2':
            paused = false;
            await playback.control({ operation: 'restart' });
            break;
          case '3':
            await playback.control({ operation: 'reverse' });
            break;
          case '4':
            await playback.control({ operation: 'forward' });
            break;
          case '#':
            stoppedByKey = true;
            await playback.stop();
            break;
          default:
            return;
        }
        log(`${channel.id}: key ${digit}${digit === '1' ? (paused ? ' (paused)' : ' (playing)') : ''}`);
      });
      try {
        await channel.play({ media: opts.media ?? 'sound:demo-congrats', skipms: opts.skipMs ?? 3000, playbackId: playback.id });
        const { playback: done } = await finished;
        log(`${channel.id}: playback ${done.state}`);
        off();
        if (stoppedByKey) {
          const bye = ari.playback();
          const said = bye.once('PlaybackFinished');
          await channel.play({ media: 'sound:vm-goodbye', playbackId: bye.id });
          await said;
        }
      } finally {
        off();
      }
      await channel.hangup();
    };

    return onEachCall(ctx, handle);
  });
}

await runIfMain(import.meta.url, playbackControls);
