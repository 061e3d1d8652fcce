/**
 * record-and-playback: leave a message and hear it back.
 *
 * Each call that enters the `record-and-playback` application is answered, hears a beep and is recorded until
 * it presses # (or hangs up, or `maxSeconds` pass — 30 by default). The recording is then played back to the
 * caller (`recording:<name>`), deleted from the server, and the call is hung up. Recordings are named after the
 * channel, so concurrent callers do not overwrite each other.
 *
 * Reaching it: `Local/stasis-record-and-playback@internal` in the seed's dialplan; for a phone, add
 *   exten => 1002,1,Stasis(record-and-playback)
 *
 *   npm run example -- record-and-playback
 */

import type { ChannelHandle } from '../../client/index.ts';
import { onEachCall, quietly, runExample, runIfMain, type ExampleOptions } from '../shared/run.ts';

export interface RecordAndPlaybackOptions extends ExampleOptions {
  /** Longest message. Default 30 s. */
  maxSeconds?: number;
}

export default function recordAndPlayback(opts: RecordAndPlaybackOptions = {}): Promise<void> {
  return runExample('record-and-playback', opts, (ctx) => {
    const { ari, log } = ctx;
    const handle = async (channel: ChannelHandle) => {
      await channel.answer();
      const name = `message-${channel.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      const recording = ari.liveRecording(name);
      // Listen before starting it. Whichever comes, the other `once` rejects (the recording has ended).
      const failed = recording.once('RecordingFailed').then((e) => Promise.reject(new Error(`recording failed: ${e.recording.cause ?? ''}`)));
      const ended = Promise.race([recording.once('RecordingFinished'), failed]);
      ended.catch(() => undefined); // awaited below, after the record request
      await channel.record({ name, format: 'wav', beep: true, terminateOn: '#', maxDurationSeconds: opts.maxSeconds ?? 30, ifExists: 'overwrite' });
      log(`${channel.id}: recording ${name} (press # to finish)`);
      const { recording: done } = await ended;
      log(`${channel.id}: recorded ${done.duration ?? '?'} s; playing it back`);
      try {
        const playback = ari.playback();
        const played = playback.once('PlaybackFinished');
        await channel.play({ media: `recording:${name}`, playbackId: playback.id });
        await played;
      } finally {
        await quietly(ari.recordings.deleteStored({ recordingName: name }));
        log(`${channel.id}: deleted ${name}`);
      }
      await channel.hangup();
    };

    return onEachCall(ctx, handle);
  });
}

await runIfMain(import.meta.url, recordAndPlayback);
