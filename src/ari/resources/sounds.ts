/**
 * `/sounds`: the sound files under `<astdatadir>/sounds`, by id with their languages and formats
 * (see `media/sounds.ts` for how Asterisk indexes them; `.wav` files are format `slin`).
 *
 * Answers as Asterisk 22: a list whose filters (`lang`, `format`, exact and case sensitive) match nothing is
 * a 404 `No sounds found that matched the query` — so is an empty or missing sounds directory, where
 * Asterisk answers 500 `Sounds index not available` — and an unknown id is a 404 `Sound not found`.
 */

import { SoundLibrary } from '../../media/sounds.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';

export type SoundResourceDeps = { readonly library: Pick<SoundLibrary, 'list' | 'get'> } | { readonly soundsDir: string };

export function soundHandlers(deps: SoundResourceDeps): HandlerMap {
  const library = 'library' in deps ? deps.library : new SoundLibrary(deps.soundsDir);
  return {
    'sounds.list': {
      handle: async ({ params }) => {
        const sounds = await library.list({ lang: params.string('lang'), format: params.string('format') });
        if (sounds.length === 0) throw new AriError(404, 'No sounds found that matched the query');
        return { status: 200, body: sounds };
      },
    },
    'sounds.get': {
      handle: async ({ params }) => {
        const sound = await library.get(params.string('soundId') ?? '');
        if (!sound) throw new AriError(404, 'Sound not found');
        return { status: 200, body: sound };
      },
    },
  };
}
