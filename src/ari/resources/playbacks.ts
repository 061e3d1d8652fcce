/**
 * `/playbacks`: get, stop and control the playbacks that `POST /channels/{id}/play` started (see
 * `media/playback-service.ts`). An unknown or finished playback is a 404 `Playback not found`; control of a
 * playback that is not playing (still queued) is a 409.
 */

import type { PlaybackOperation } from '../../media/engine/protocol.ts';
import type { PlaybackService } from '../../media/playback-service.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';

const OPERATIONS = new Set<string>(['pause', 'unpause', 'restart', 'reverse', 'forward']);

export function playbackHandlers(deps: { readonly playbacks: PlaybackService }): HandlerMap {
  const { playbacks } = deps;
  return {
    'playbacks.get': {
      handle: ({ params }) => {
        const pb = playbacks.get(params.string('playbackId') ?? '');
        if (!pb) throw new AriError(404, 'Playback not found');
        return { status: 200, body: pb };
      },
    },
    'playbacks.stop': {
      handle: ({ params }) => {
        if (!playbacks.stop(params.string('playbackId') ?? '')) throw new AriError(404, 'Playback not found');
        return { status: 204 };
      },
    },
    'playbacks.control': {
      messages: { missing: { operation: 'Missing operation' } },
      handle: ({ params }) => {
        const operation = params.string('operation') ?? '';
        if (!OPERATIONS.has(operation)) throw new AriError(400, `Invalid operation ${operation}`);
        playbacks.control(params.string('playbackId') ?? '', operation as PlaybackOperation);
        return { status: 204 };
      },
    },
  };
}
