/**
 * Placing a call on a requested leg and waiting for its outcome, as Dial() and originate do: publishes Dial
 * events (`dialstatus` '' once the call is placed, then RINGING/PROGRESS/ANSWER/BUSY/CONGESTION/NOANSWER/
 * CANCEL), marks the leg Ringing/Up, and resolves with the final status. On failure the caller decides
 * whether to hang the leg up.
 *
 * A leg the driver cannot call at all (a Local channel whose extension does not exist) resolves CHANUNAVAIL
 * with cause 0 and no Dial event, as Asterisk publishes Dial only after a successful `ast_call`. The leg's
 * application (`AppDial2` for originate, `AppDial` for Dial()) is set by whoever requested it, silently.
 */

import type { Channel } from './channel.ts';
import type { Core } from './core.ts';
import { CAUSE } from './causes.ts';

export type DialStatus = 'ANSWER' | 'BUSY' | 'NOANSWER' | 'CANCEL' | 'CONGESTION' | 'CHANUNAVAIL';

export interface DialOptions {
  readonly timeoutMs: number;
  /** What Dial events show as `dialstring` (the resource after `Tech/`). */
  readonly dialstring: string;
  /** The calling channel for Dial(); absent for originate. */
  readonly caller?: Channel;
  /** Cancels the attempt (the caller hung up, or the API deleted the leg). */
  readonly signal?: AbortSignal;
}

export interface DialResult {
  readonly status: DialStatus;
  /** Cause for the leg when the attempt failed. */
  readonly cause: number;
  /** Why the driver could not place the call at all (CHANUNAVAIL without a Dial event). */
  readonly error?: string;
}

export function placeCall(core: Core, peer: Channel, options: DialOptions): Promise<DialResult> {
  const publishDial = (dialstatus: string) =>
    core.bus.publish({
      type: 'Dial',
      timestamp: core.now(),
      ...(options.caller ? { caller: options.caller.snapshot() } : {}),
      peer: peer.snapshot(),
      dialstring: options.dialstring,
      dialstatus,
      forward: '',
    });

  return new Promise<DialResult>((resolve) => {
    let done = false;
    const finish = (result: DialResult, status?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      off();
      options.signal?.removeEventListener('abort', onCancel);
      peer.hangupSignal.removeEventListener('abort', onPeerGone);
      if (status !== undefined) publishDial(status);
      resolve(result);
    };
    const onCancel = () => finish({ status: 'CANCEL', cause: CAUSE.NORMAL_CLEARING }, 'CANCEL');
    const onPeerGone = () => finish({ status: 'CANCEL', cause: peer.hangupCause || CAUSE.NORMAL_CLEARING });
    const timer = setTimeout(() => finish({ status: 'NOANSWER', cause: CAUSE.NO_ANSWER }), Math.max(1, options.timeoutMs));
    const off = peer.onFrame((frame) => {
      switch (frame.type) {
        case 'answer':
          peer.setState('Up');
          finish({ status: 'ANSWER', cause: 0 }, 'ANSWER');
          break;
        case 'ringing':
          peer.setState('Ringing');
          publishDial('RINGING');
          break;
        case 'progress':
          publishDial('PROGRESS');
          break;
        case 'busy':
          finish({ status: 'BUSY', cause: CAUSE.USER_BUSY }, 'BUSY');
          break;
        case 'congestion':
          finish({ status: 'CONGESTION', cause: CAUSE.CONGESTION }, 'CONGESTION');
          break;
        case 'hangup':
          finish({ status: frame.cause === CAUSE.USER_BUSY ? 'BUSY' : 'CHANUNAVAIL', cause: frame.cause });
          break;
        case 'dtmf':
          break;
      }
    });
    options.signal?.addEventListener('abort', onCancel, { once: true });
    peer.hangupSignal.addEventListener('abort', onPeerGone, { once: true });
    try {
      peer.driver.call(peer, { timeoutMs: options.timeoutMs });
    } catch (err) {
      finish({ status: 'CHANUNAVAIL', cause: CAUSE.UNKNOWN, error: (err as Error)?.message ?? String(err) });
      return;
    }
    if (!done) publishDial('');
  });
}
