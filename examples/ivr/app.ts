/**
 * ivr: a small voice menu.
 *
 * Each call that enters the `ivr` application is answered and hears the menu: "press 1 (hello world), press 2
 * (transfer), star to repeat". A key cuts the prompt short, as Background() does in the dialplan:
 *   1  plays `sound:hello-world`, then the menu again
 *   2  leaves the application and continues in the dialplan at `transfer` (default 1000@from-trunk, the seed's
 *      extension that hands the call to the hello-world example)
 *   *  repeats the menu
 *   anything else: "invalid option" and the menu again.
 * With no key within `timeoutMs` (5 s) after the menu, it plays again; after `maxTries` (3) silent menus the
 * caller hears goodbye and the call ends.
 *
 * Reaching it: `Local/stasis-ivr@internal` in the seed's dialplan; for a phone, add
 *   exten => 1003,1,Stasis(ivr)
 *
 *   npm run example -- ivr
 */

import type { ChannelHandle } from '../../client/index.ts';
import { onEachCall, quietly, runExample, runIfMain, type ExampleOptions } from '../shared/run.ts';

export interface IvrOptions extends ExampleOptions {
  /** Where 2 sends the caller. Default `{ context: 'from-trunk', extension: '1000' }`. */
  transfer?: { context: string; extension: string; priority?: number };
  /** How long to wait for a key after the menu. Default 5000 ms. */
  timeoutMs?: number;
  /** Menus played without an answer before giving up. Default 3. */
  maxTries?: number;
  /** The menu's prompts. Default: "press 1 for hello world, press 2 transfer, star: main menu". */
  menu?: readonly string[];
}

/** The menu's prompts, in Debian's stock English sounds. */
const MENU = ['sound:vm-press', 'digits:1', 'sound:for', 'sound:hello-world', 'sound:vm-press', 'digits:2', 'sound:pbx-transfer', 'sound:vm-starmain'];

export default function ivr(opts: IvrOptions = {}): Promise<void> {
  const transfer = opts.transfer ?? { context: 'from-trunk', extension: '1000' };
  const timeoutMs = opts.timeoutMs ?? 5000;
  const maxTries = opts.maxTries ?? 3;

  return runExample('ivr', opts, (ctx) => {
    const { ari, log } = ctx;
    /** Plays `media` to the end, or until a key is pressed (then stops it); resolves with that key, if any. */
    const prompt = async (channel: ChannelHandle, media: readonly string[], waitMs = 0): Promise<string | undefined> => {
      const playback = ari.playback();
      const finished = playback.once('PlaybackFinished');
      finished.catch(() => undefined);
      let pressed: (digit: string) => void = () => undefined;
      const key = new Promise<string>((resolve) => (pressed = resolve));
      const off = channel.on('ChannelDtmfReceived', (e) => pressed(e.digit));
      try {
        await channel.play({ media, playbackId: playback.id });
        const first = await Promise.race([key, finished.then(() => undefined)]);
        if (first !== undefined) {
          await quietly(playback.stop());
          return first;
        }
        if (waitMs === 0) return undefined;
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), waitMs)));
        try {
          return await Promise.race([key, timeout]);
        } finally {
          clearTimeout(timer);
        }
      } finally {
        off();
      }
    };

    const handle = async (channel: ChannelHandle) => {
      await channel.answer();
      for (let silent = 0; silent < maxTries; ) {
        const digit = await prompt(channel, opts.menu ?? MENU, timeoutMs);
        log(`${channel.id}: ${digit === undefined ? 'no key' : `key ${digit}`}`);
        if (digit === undefined) {
          silent++;
        } else if (digit === '1') {
          silent = 0;
          await prompt(channel, ['sound:hello-world']);
        } else if (digit === '2') {
          log(`${channel.id}: transferring to ${transfer.extension}@${transfer.context}`);
          await channel.continueInDialplan({ context: transfer.context, extension: transfer.extension, priority: transfer.priority ?? 1 });
          return;
        } else if (digit !== '*') {
          silent = 0;
          await prompt(channel, ['sound:pm-invalid-option']);
        }
      }
      await prompt(channel, ['sound:vm-goodbye']);
      await channel.hangup();
    };

    return onEachCall(ctx, handle);
  });
}

await runIfMain(import.meta.url, ivr);
