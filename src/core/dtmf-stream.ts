/**
 * Sending a string of DTMF digits on a channel, paced as Asterisk's DTMF stream (main/app.c) paces them for
 * SendDTMF() and ARI's `POST /channels/{id}/dtmf`: a 100 ms quiet time first, then each digit lasts `durationMs`
 * (at least 100 ms, Asterisk's shortest emulated digit) and is followed by `betweenMs`; `w` (and `,`) waits half
 * a second, `W` a second. How a digit travels (RFC 4733 events, SIP INFO, in-band tones, a Local frame) is the
 * driver's business (`sendDigit`). Stops early when the channel's hangup is requested.
 */

import type { Channel } from './channel.ts';

/** Asterisk's AST_DEFAULT_EMULATE_DTMF_DURATION: no digit is sent shorter. */
export const MIN_DIGIT_MS = 100;
const DIGITS = '0123456789*#ABCD';

export interface DtmfStreamOptions {
  /** Pause after each digit (0 means 100, as in Asterisk). */
  readonly betweenMs: number;
  readonly durationMs: number;
}

/** Sends `digits` (unknown characters are skipped); resolves when done or when the channel is hung up. */
export async function sendDtmfStream(channel: Channel, digits: string, options: DtmfStreamOptions): Promise<void> {
  const between = options.betweenMs || 100;
  const duration = Math.max(options.durationMs, MIN_DIGIT_MS);
  if (!(await pause(channel, 100))) return;
  for (const c of digits) {
    let ms: number;
    if (c === 'w' || c === ',') ms = 500;
    else if (c === 'W') ms = 1000;
    else if (DIGITS.includes(c.toUpperCase())) {
      channel.driver.sendDigit(channel, c.toUpperCase(), duration);
      ms = duration + between;
    } else continue;
    if (!(await pause(channel, ms))) return;
  }
}

/** Waits `ms` unless the channel's hangup comes first; true when the time passed. */
export function pause(channel: Channel, ms: number): Promise<boolean> {
  if (channel.hangupSignal.aborted || channel.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      channel.hangupSignal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    channel.hangupSignal.addEventListener('abort', onAbort, { once: true });
  });
}
