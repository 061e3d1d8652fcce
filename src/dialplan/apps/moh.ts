/**
 * Music on hold from the dialplan (app_musiconhold's applications), over the MOH service (`media/moh.ts`):
 *
 *  - `MusicOnHold([class[,duration]])`: plays the class (else `default`) until the channel hangs up, or for
 *    `duration` seconds and then goes on. Like Asterisk it does not answer the channel.
 *  - `StartMusicOnHold([class])`: starts the music and goes on at once; it plays under the next applications
 *    until `StopMusicOnHold` or the hangup.
 *  - `StopMusicOnHold()`: stops it (nothing happens when none plays).
 *
 * A class that cannot play (no such class and no `default`, or no file) logs a warning and goes on, as Asterisk
 * does when `ast_moh_start` fails.
 */

import type { DialplanApp } from '../../core/applications.ts';
import type { Logger } from '../../shared/logger.ts';
import { splitAppArgs } from '../args.ts';
import { seconds, waitOrHangup } from './wait.ts';

/** What the applications need of the MOH service. */
export interface MohControl {
  start(channelId: string, className?: string): boolean;
  stop(channelId: string): boolean;
}

export function mohApps(moh: MohControl, logger: Logger): DialplanApp[] {
  const start = (channelId: string, channelName: string, className: string): boolean => {
    const ok = moh.start(channelId, className || undefined);
    if (!ok) logger.warning(`Unable to start music on hold class '${className || 'default'}' on ${channelName}`);
    return ok;
  };
  return [
    {
      name: 'MusicOnHold',
      synopsis: 'Play Music On Hold indefinitely',
      execute: async ({ channel, data }) => {
        const [className = '', durationText = ''] = splitAppArgs(data);
        const duration = seconds(durationText, 0);
        if (!start(channel.id, channel.name, className.trim())) return;
        try {
          await waitOrHangup(channel, duration > 0 ? duration * 1000 : 2 ** 31 - 1);
        } finally {
          moh.stop(channel.id);
        }
      },
    },
    {
      name: 'StartMusicOnHold',
      synopsis: 'Play Music On Hold',
      execute: ({ channel, data }) => {
        start(channel.id, channel.name, (splitAppArgs(data)[0] ?? '').trim());
      },
    },
    {
      name: 'StopMusicOnHold',
      synopsis: 'Stop playing Music On Hold',
      execute: ({ channel }) => {
        moh.stop(channel.id);
      },
    },
  ];
}
