/**
 * `SendDTMF(digits[,timeout_ms[,duration_ms[,channel[,options]]]])`, as Asterisk's app_senddtmf: sends the
 * digits on the calling channel, or on the channel named by `channel`, paced as Asterisk's DTMF stream
 * (core/dtmf-stream.ts) with `timeout_ms` between digits (default 250) and `duration_ms` per digit (default and
 * minimum 100). Times take Asterisk's time-length units (`500`, `500ms`, `1s`). Option `a` answers the target
 * channel first. `f`/`F` (hook flash) is skipped; the channel's driver decides how digits travel.
 */

import type { DialplanApp } from '../../core/applications.ts';
import type { Core } from '../../core/core.ts';
import { sendDtmfStream } from '../../core/dtmf-stream.ts';
import type { Logger } from '../../shared/logger.ts';
import { splitAppArgs } from '../args.ts';

/** ast_app_parse_timelen in milliseconds: a number with an optional unit (ms, s, m, h); undefined when bad. */
export function timelenMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = (m[2] ?? 'ms').toLowerCase();
  const factor = unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : unit === 's' ? 1000 : 1;
  return Math.round(Number(m[1]) * factor);
}

export function sendDtmfApp(core: Core, logger: Logger): DialplanApp {
  return {
    name: 'SendDTMF',
    synopsis: 'Sends arbitrary DTMF digits',
    execute: async ({ channel, data }) => {
      const [digits = '', interval = '', duration = '', target = '', options = ''] = splitAppArgs(data);
      if (data.trim() === '') {
        logger.warning('SendDTMF requires an argument');
        return;
      }
      if (digits === '') {
        logger.warning('The digits argument is required (0-9,*#,a-d,A-D,wfF)');
        return;
      }
      let dest = channel;
      if (target !== '') {
        const found = core.channels.byName(target);
        if (found === undefined || found.destroyed) {
          logger.warning(`No such channel: ${target}`);
          return;
        }
        dest = found;
      }
      if (options.includes('a') && dest.state !== 'Up') dest.driver.answer(dest);
      const between = interval === '' ? 0 : (timelenMs(interval) ?? 0);
      await sendDtmfStream(dest, digits.replace(/[fF]/g, ''), {
        betweenMs: between > 0 ? between : 250,
        durationMs: duration === '' ? 0 : (timelenMs(duration) ?? 0),
      });
      if (channel.hangupSignal.aborted) return { hangup: true };
    },
  };
}
