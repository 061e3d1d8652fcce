/**
 * Waiting helpers for dialplan applications: sleep until a time passes or the channel is hung up.
 */

import type { Channel } from '../../core/channel.ts';

/** Resolves after `ms` or as soon as the channel's hangup is requested; true when the time passed. */
export function waitOrHangup(channel: Channel, ms: number): Promise<boolean> {
  if (channel.hangupSignal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      channel.hangupSignal.removeEventListener('abort', onAbort);
      resolve(true);
    }, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    channel.hangupSignal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Parses seconds as dialplan applications take them (`1.5`, `''` = default). */
export function seconds(text: string | undefined, fallback: number): number {
  const n = Number.parseFloat((text ?? '').trim());
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}
