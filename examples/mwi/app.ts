/**
 * mwi: message-waiting counts on a mailbox, changed from the keypad.
 *
 * ARI's mailboxes (`PUT /mailboxes/{name}`) are the counts a voicemail system publishes so that phones light
 * their message lamp. Each call that enters the `mwi` application works on the mailbox named by its first
 * argument (`Stasis(mwi,<mailbox>)`; default `1000@default`), creating it empty if needed, and hears "you have
 * <n> new messages". Keys change the counts; after each change the app reads the mailbox back
 * (`GET /mailboxes/{name}`) and says the new count:
 *   1  one more new message        3  mark all new messages as old
 *   2  one new message less        0  delete the mailbox (counts back to zero)
 *   #  hang up
 *
 * Reaching it: `Local/stasis-mwi@internal` in the seed's dialplan (mailbox 1000@default); for a phone, add
 *   exten => 1004,1,Stasis(mwi,${CALLERID(num)}@default)
 *
 *   npm run example -- mwi
 */

import { AriError, type ChannelHandle, type Mailbox, type PlaybackHandle, type StasisStart } from '../../client/index.ts';
import { onEachCall, quietly, runExample, runIfMain, type ExampleContext, type ExampleOptions } from '../shared/run.ts';

export type MwiOptions = ExampleOptions;

/** The mailbox's counts, creating it empty when the server has none by that name. */
async function readMailbox({ ari }: ExampleContext, mailboxName: string): Promise<Mailbox> {
  try {
    return await ari.mailboxes.get({ mailboxName });
  } catch (err) {
    if (!(err instanceof AriError) || err.status !== 404) throw err;
    await ari.mailboxes.update({ mailboxName, oldMessages: 0, newMessages: 0 });
    return ari.mailboxes.get({ mailboxName });
  }
}

export default function mwi(opts: MwiOptions = {}): Promise<void> {
  return runExample('mwi', opts, (ctx) => {
    const { ari, log } = ctx;

    const handle = async (channel: ChannelHandle, start: StasisStart) => {
      const mailboxName = start.args[0] || '1000@default';
      log(`${channel.id}: mailbox ${mailboxName}`);
      await channel.answer();
      let speaking: PlaybackHandle | undefined;
      const announce = async (box: Mailbox) => {
        log(`${box.name}: ${box.new_messages} new, ${box.old_messages} old`);
        if (speaking) await quietly(speaking.stop()); // a key cuts the previous announcement short
        speaking = ari.playback();
        await channel.play({ media: ['sound:vm-youhave', `number:${box.new_messages}`, 'sound:vm-INBOX', 'sound:vm-messages'], playbackId: speaking.id });
      };
      const change = async (digit: string) => {
        const box = await readMailbox(ctx, mailboxName);
        let [oldMessages, newMessages] = [box.old_messages, box.new_messages];
        if (digit === '1') newMessages++;
        else if (digit === '2') newMessages = Math.max(0, newMessages - 1);
        else if (digit === '3') [oldMessages, newMessages] = [oldMessages + newMessages, 0];
        else if (digit === '0') await ari.mailboxes.delete({ mailboxName });
        else return;
        if (digit !== '0') await ari.mailboxes.update({ mailboxName, oldMessages, newMessages });
        await announce(await readMailbox(ctx, mailboxName));
      };

      // Keys are handled one after another, so that two quick presses both count.
      let queue = Promise.resolve();
      channel.on('ChannelDtmfReceived', ({ digit }) => {
        if (digit === '#') return void quietly(channel.hangup());
        queue = queue.then(() => change(digit)).catch((err: unknown) => log(`${mailboxName}: ${(err as Error).message}`));
      });
      await announce(await readMailbox(ctx, mailboxName));
    };

    return onEachCall(ctx, handle);
  });
}

await runIfMain(import.meta.url, mwi);
