/**
 * voice-bot: an echo bot over externalMedia (WebSocket) that replies when you stop talking.
 *
 * For each call the application answers, creates a mixing bridge, and makes an externalMedia channel with
 * `transport=websocket` whose URI points at the bot (`ws://…/call/<caller id>`): Ariadne connects to the bot
 * and streams the call's audio both ways (signed linear, 8 kHz). Caller and bot channel go into the bridge.
 * The bot (./bot.ts, started by this example on 127.0.0.1, any free port) buffers what the caller says and plays
 * it back once the caller stops talking; it uses a `mark` to learn that its reply was heard, and `clear` when
 * the caller talks over the reply (barge-in). Either side hanging up ends the other and destroys the bridge;
 * stopping the example hangs up every call and stops the bot.
 *
 * Reaching it: `Local/stasis-voice-bot@internal` (the seed's [internal] `_stasis-.`); for phones add e.g.
 *   exten => 1006,1,Stasis(voice-bot)
 * to [from-trunk]. Use headphones: a bot that hears its own reply through the speaker would barge in on itself.
 *
 *   npm run example -- voice-bot
 *
 * The WebSocket control messages (start, mark, clear, hangup) are Ariadne's, as documented in
 * docs/external-media.md; Asterisk's chan_websocket speaks its own, so the bot part is Ariadne-specific.
 */

import type { BridgeHandle, ChannelHandle } from '../../client/index.ts';
import { quietly, runExample, runIfMain, type ExampleOptions } from '../shared/run.ts';
import { startEchoBot, type EchoBot, type EchoBotOptions } from './bot.ts';

export interface VoiceBotOptions extends ExampleOptions {
  /** A bot of your own (`ws://` or `wss://` base URI); default: start the echo bot of ./bot.ts. */
  botUrl?: string;
  /** Settings of the echo bot (speech level, end of speech, barge-in). */
  bot?: Omit<EchoBotOptions, 'log'>;
}

interface Call {
  readonly caller: ChannelHandle;
  readonly media: ChannelHandle;
  readonly bridge: BridgeHandle;
  ended: boolean;
}

export default function voiceBot(opts: VoiceBotOptions = {}): Promise<void> {
  return runExample('voice-bot', opts, async ({ ari, app, log }) => {
    let bot: EchoBot | undefined;
    if (opts.botUrl === undefined) {
      bot = await startEchoBot({ ...opts.bot, log: (line) => log(`bot: ${line}`) });
      log(`bot listening on ${bot.url}`);
    }
    const botUrl = (opts.botUrl ?? bot!.url).replace(/\/$/, '');
    const calls = new Map<string, Call>(); // by caller id
    const byMedia = new Map<string, Call>(); // by externalMedia channel id

    // Tears a call down from whichever side ended; safe to run again (each step ignores what is gone already).
    const end = async (call: Call, why: string): Promise<void> => {
      if (!call.ended) log(`call ${call.caller.id}: ${why}`);
      call.ended = true;
      calls.delete(call.caller.id);
      await Promise.all([quietly(call.caller.hangup()), quietly(call.media.hangup()), quietly(call.bridge.destroy())]);
      byMedia.delete(call.media.id);
    };

    ari.on('StasisStart', async (e) => {
      if (byMedia.has(e.channel.id)) return; // the bot's own channel entering the application
      const call: Call = { caller: ari.channel(e.channel), media: ari.channel(), bridge: ari.bridge(), ended: false };
      calls.set(call.caller.id, call);
      byMedia.set(call.media.id, call);
      log(`call ${e.channel.name} (${e.channel.id})`);
      try {
        await call.caller.answer();
        await call.bridge.createWithId({ type: 'mixing', name: `voice-bot-${call.caller.id}` });
        await ari.channels.externalMedia({
          channelId: call.media.id,
          app,
          external_host: `${botUrl}/call/${encodeURIComponent(call.caller.id)}`,
          transport: 'websocket',
          encapsulation: 'none',
          format: 'slin',
          data: call.caller.id,
        });
        await call.bridge.addChannel({ channel: [call.caller.id, call.media.id] });
        // The caller may have hung up while this was being set up: then undo what exists by now.
        if (call.ended) return await end(call, 'ended during setup');
        log(`call ${call.caller.id}: talking to the bot (${call.media.id})`);
      } catch (err) {
        if (!call.ended) log(`call ${call.caller.id}: ${(err as Error).message}`);
        await end(call, 'setup failed');
      }
    });

    ari.on('StasisEnd', (e) => {
      const asCaller = calls.get(e.channel.id);
      if (asCaller) return void end(asCaller, 'caller hung up');
      const asMedia = byMedia.get(e.channel.id);
      if (asMedia && !asMedia.ended) return void end(asMedia, 'the bot hung up');
    });

    return async () => {
      await Promise.all([...calls.values()].map((call) => end(call, 'example stopping')));
      await bot?.close();
      log('bot stopped');
    };
  });
}

await runIfMain(import.meta.url, voiceBot);
