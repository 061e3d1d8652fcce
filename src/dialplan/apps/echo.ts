/**
 * `Echo()`: the caller hears what it says, and the digits it sends come back to it, until it hangs up or sends
 * `#` (then the dialplan goes on), as Asterisk's app_echo. The audio loop runs in the media host (the session's
 * `echo` mode: its `out` side is its `in` side of the same tick); this application only turns it on and off and
 * sends the digits back.
 */

import type { DialplanApp } from '../../core/applications.ts';

/** The media operation Echo needs: turn a channel's echo on or off; false when the channel has no media. */
export interface EchoPort {
  echo(channelId: string, enabled: boolean): boolean;
}

export function echoApp(port: EchoPort): DialplanApp {
  return {
    name: 'Echo',
    synopsis: 'Echo media, DTMF back to the calling party',
    execute: async ({ channel }) => {
      if (channel.hangupSignal.aborted || !port.echo(channel.id, true)) return { hangup: true };
      const result = await new Promise<'hash' | 'hangup'>((resolve) => {
        const finish = (r: 'hash' | 'hangup'): void => {
          off();
          channel.hangupSignal.removeEventListener('abort', onHangup);
          resolve(r);
        };
        const onHangup = (): void => finish('hangup');
        const off = channel.onFrame((f) => {
          if (f.type !== 'dtmf') return;
          channel.driver.sendDigit(channel, f.digit, f.durationMs);
          if (f.digit === '#') finish('hash');
        });
        channel.hangupSignal.addEventListener('abort', onHangup, { once: true });
      });
      if (!channel.destroyed) port.echo(channel.id, false);
      return result === 'hangup' ? { hangup: true } : undefined;
    },
  };
}
