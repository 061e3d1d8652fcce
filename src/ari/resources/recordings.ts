/**
 * `/recordings`: stored recordings (list, get, delete, copy, and the file itself) and live ones (get, stop,
 * cancel, pause, mute), over `media/recording-service.ts`. Starting a recording is `POST /channels/{id}/record`
 * or `POST /bridges/{id}/record` (see `recordOptions` below, shared by both).
 *
 * As Asterisk: an unknown recording is a 404 `Recording not found`; controlling one that is not recording
 * (still queued) is a 409 `Recording not in session`; pausing a paused one or unpausing a running one is a
 * harmless 204. `GET .../file` answers the file's bytes with `Content-Type: audio/<extension>` (`audio/wav`,
 * `audio/ulaw`...), as Asterisk does, streamed from disk; a file that cannot be read is a 403. Over REST on the
 * events WebSocket the file cannot be carried: 406, as Asterisk answers there.
 */

import fs from 'node:fs';
import type { RecordingOperation } from '../../media/engine/protocol.ts';
import type { LiveRecordingOptions, RecordingService } from '../../media/recording-service.ts';
import type { HandlerMap, OperationHandler } from '../dispatcher.ts';
import { AriError } from '../errors.ts';
import { FileBody } from '../../http/types.ts';
import type { Params } from '../params.ts';

/** The options of `POST /channels/{id}/record` and `/bridges/{id}/record`, from their parameters. */
export function recordOptions(p: Params): LiveRecordingOptions {
  const maxDurationSeconds = p.int('maxDurationSeconds') ?? 0;
  const maxSilenceSeconds = p.int('maxSilenceSeconds') ?? 0;
  if (maxDurationSeconds < 0) throw new AriError(400, 'max_duration_seconds cannot be negative');
  if (maxSilenceSeconds < 0) throw new AriError(400, 'max_silence_seconds cannot be negative');
  return {
    name: p.string('name') ?? '',
    format: p.string('format') ?? '',
    maxDurationSeconds,
    maxSilenceSeconds,
    ifExists: (p.string('ifExists') ?? 'fail') as LiveRecordingOptions['ifExists'] & string,
    beep: p.bool('beep') ?? false,
    terminateOn: (p.string('terminateOn') ?? 'none') as LiveRecordingOptions['terminateOn'] & string,
  };
}

export function recordingHandlers(deps: { readonly recordings: RecordingService }): HandlerMap {
  const { recordings } = deps;
  const nameOf = (params: Params): string => params.string('recordingName') ?? '';
  const control = (operation: RecordingOperation): OperationHandler => ({
    handle: ({ params }) => {
      recordings.control(nameOf(params), operation);
      return { status: 204 };
    },
  });
  return {
    'recordings.listStored': { handle: () => ({ status: 200, body: recordings.listStored() }) },
    'recordings.getStored': {
      handle: ({ params }) => {
        const stored = recordings.getStored(nameOf(params));
        if (!stored) throw new AriError(404, 'Recording not found');
        return { status: 200, body: stored };
      },
    },
    'recordings.deleteStored': {
      handle: ({ params }) => {
        recordings.deleteStored(nameOf(params));
        return { status: 204 };
      },
    },
    'recordings.copyStored': {
      handle: ({ params }) => ({ status: 200, body: recordings.copyStored(nameOf(params), params.string('destinationRecordingName') ?? '') }),
    },
    'recordings.getStoredFile': {
      handle: async ({ params }) => {
        const { file, contentType } = recordings.storedFile(nameOf(params));
        // Streamed by the HTTP server from disk (a recording can be gigabytes); only its size is read here.
        let size: number;
        try {
          await fs.promises.access(file, fs.constants.R_OK);
          size = (await fs.promises.stat(file)).size;
        } catch {
          throw new AriError(403, 'Recording could not be opened');
        }
        return { status: 200, body: new FileBody(file, size), headers: [['Content-Type', contentType]] };
      },
    },
    'recordings.getLive': {
      handle: ({ params }) => {
        const live = recordings.getLive(nameOf(params));
        if (!live) throw new AriError(404, 'Recording not found');
        return { status: 200, body: live };
      },
    },
    'recordings.cancel': {
      handle: ({ params }) => {
        recordings.cancel(nameOf(params));
        return { status: 204 };
      },
    },
    'recordings.stop': {
      handle: ({ params }) => {
        recordings.stop(nameOf(params));
        return { status: 204 };
      },
    },
    'recordings.pause': control('pause'),
    'recordings.unpause': control('unpause'),
    'recordings.mute': control('mute'),
    'recordings.unmute': control('unmute'),
  };
}
