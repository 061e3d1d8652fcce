/**
 * `Record(filename.format[,silence[,maxduration[,options]]])`: records what the caller says into a file, as
 * Asterisk's app_record does. The format is what follows the last `.` of the file name (or a `:`); a relative
 * name is taken under `<astdatadir>/sounds` and missing directories are made; `%d` in the name becomes the
 * first number that makes the file new. `silence` seconds of silence or `maxduration` seconds end it; so does
 * `#` (`t`: `*`, `y`: any digit, `x`: none; `o`: `0` ends it with status OPERATOR). Unless `q`, a beep is
 * played first; unless `n` or `s`, an unanswered channel is answered (`s`: skip the recording instead).
 *
 * Sets RECORDED_FILE (the name without extension) and RECORD_STATUS: DTMF, OPERATOR, SILENCE, TIMEOUT, SKIP,
 * HANGUP (the file is deleted unless `k`; the application then ends the dialplan) or ERROR. Silence is
 * detected with Asterisk's default threshold (256) and trimmed to 200 ms at the end of a recording that
 * ended on it (Asterisk keeps about a second; `u` to keep it all is accepted but the trim still happens).
 */

import fs from 'node:fs';
import path from 'node:path';
import type { DialplanApp } from '../../core/applications.ts';
import type { Logger } from '../../shared/logger.ts';
import { formatForExtension } from '../../media/formats.ts';
import type { RecordingService } from '../../media/recording-service.ts';
import { parseAppOptions, splitAppArgs, type AppOptionsSpec } from '../args.ts';

const OPTIONS: AppOptionsSpec = { a: {}, k: {}, n: {}, o: {}, q: {}, s: {}, t: {}, u: {}, x: {}, y: {} };
const ANY_DIGIT = '0123456789*#ABCD';

export interface RecordAppDeps {
  readonly recordings: RecordingService;
  /** `<astdatadir>/sounds`, where relative names go. */
  readonly soundsDir: string;
  readonly logger: Logger;
}

/** Whole seconds as app_record reads them (`%d`, negative or junk ignored with a warning). */
function wholeSeconds(text: string | undefined, what: string, logger: Logger): number {
  const t = (text ?? '').trim();
  if (t === '') return 0;
  const m = /^[+]?(\d+)/.exec(t);
  if (!m) {
    logger.warning(`'${t}' is not a valid ${what}`);
    return 0;
  }
  return Number(m[1]);
}

export function recordApp(deps: RecordAppDeps): DialplanApp {
  const { recordings, soundsDir, logger } = deps;
  return {
    name: 'Record',
    synopsis: 'Record to a file',
    execute: async ({ channel, data }) => {
      const status = (value: string) => channel.setVariable('RECORD_STATUS', value);
      const args = splitAppArgs(data);
      let spec = (args[0] ?? '').trim();
      if (!spec) {
        logger.warning('Record requires an argument (filename)');
        status('ERROR');
        return { hangup: true };
      }
      const dot = spec.lastIndexOf('.');
      const cut = dot > spec.lastIndexOf('/') ? dot : spec.indexOf(':');
      if (cut < 0) {
        logger.warning('No extension specified to filename!');
        status('ERROR');
        return { hangup: true };
      }
      const ext = spec.slice(cut + 1);
      spec = spec.slice(0, cut);
      const silenceSeconds = wholeSeconds(args[1], 'silence duration', logger);
      const maxSeconds = wholeSeconds(args[2], 'maximum duration', logger);
      const options = args.length >= 4 ? parseAppOptions(args[3] ?? '', OPTIONS, (m) => logger.warning(m)) : new Map<string, string | true>();
      const has = (letter: string): boolean => options.has(letter);

      const fileOf = (name: string): string => `${path.isAbsolute(name) ? name : path.join(soundsDir, name)}.${ext}`;
      let name = spec;
      if (spec.includes('%d')) {
        for (let count = 0; count < 100_000; count++) {
          name = spec.replaceAll('%d', String(count));
          if (!fs.existsSync(fileOf(name))) break;
        }
      }
      channel.setVariable('RECORDED_FILE', name);

      if (channel.state !== 'Up') {
        if (has('s')) {
          status('SKIP');
          return;
        }
        if (!has('n')) channel.driver.answer(channel);
      }
      if (!formatForExtension(ext)) {
        logger.warning(`Could not create file ${name}: unknown format '${ext}'`);
        status('ERROR');
        return;
      }
      const file = fileOf(name);
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
      } catch {
        logger.warning(`Could not create directory for file ${name}`);
        status('ERROR');
        return;
      }

      let digits = has('x') ? '' : has('y') ? ANY_DIGIT : has('t') ? '*' : '#';
      if (has('o') && !digits.includes('0')) digits += '0';
      const rec = recordings.recordFile(
        { type: 'channel', id: channel.id },
        {
          path: file,
          format: ext,
          append: has('a'),
          ...(maxSeconds > 0 ? { maxDurationMs: maxSeconds * 1000 } : {}),
          ...(silenceSeconds > 0 ? { maxSilenceMs: silenceSeconds * 1000, silenceThreshold: 256 } : {}),
          beep: !has('q'),
          terminateOn: digits,
        },
      );
      // The session only goes when the channel is destroyed, after this application: stop on the hangup.
      let hungUp = channel.hangupSignal.aborted;
      const onHangup = (): void => {
        hungUp = true;
        rec.stop();
      };
      if (hungUp) rec.stop();
      else channel.hangupSignal.addEventListener('abort', onHangup, { once: true });
      const result = await rec.done;
      channel.hangupSignal.removeEventListener('abort', onHangup);

      if (hungUp || result.reason === 'detached') {
        if (!has('k')) fs.rmSync(file, { force: true });
        status('HANGUP');
        return { hangup: true };
      }
      if (result.reason === 'dtmf') status(result.digit === '0' && has('o') ? 'OPERATOR' : 'DTMF');
      else if (result.reason === 'silence') status('SILENCE');
      else if (result.reason === 'max-duration') status('TIMEOUT');
      else if (result.reason === 'failed') {
        logger.warning(`Problem writing ${file}: ${result.message ?? 'unknown error'}`);
        status('ERROR');
      } else status('ERROR');
      return;
    },
  };
}
