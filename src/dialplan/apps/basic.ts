/**
 * The basic dialplan applications: answering, hanging up, indications, waiting, logging, variables and user
 * events.
 */

import type { Core } from '../../core/core.ts';
import type { DialplanApp } from '../../core/applications.ts';
import { CAUSE, causeText } from '../../core/causes.ts';
import type { Logger } from '../../shared/logger.ts';
import { splitAppArgs } from '../args.ts';
import { setVariableOrFunction, type SubstitutionScope } from '../substitute.ts';
import type { Channel } from '../../core/channel.ts';
import { seconds, waitOrHangup } from './wait.ts';

export function basicApps(core: Core, logger: Logger, scopeOf: (channel: Channel) => SubstitutionScope): DialplanApp[] {
  const endWith = (state: 'Busy' | 'Congestion', cause: number): DialplanApp => ({
    name: state,
    synopsis: `Indicate ${state.toLowerCase()} and wait for the caller to hang up`,
    execute: async ({ channel, data }) => {
      channel.setHangupCause(cause);
      channel.driver.indicate(channel, state === 'Busy' ? 'busy' : 'congestion');
      if (channel.state !== 'Up') channel.setState('Busy');
      const t = seconds(splitAppArgs(data)[0], 0);
      await waitOrHangup(channel, t > 0 ? t * 1000 : 2 ** 31 - 1);
      return { hangup: true };
    },
  });
  return [
    {
      name: 'Answer',
      synopsis: 'Answer a channel if ringing',
      execute: async ({ channel, data }) => {
        if (channel.state !== 'Up') channel.driver.answer(channel);
        const delay = seconds(splitAppArgs(data)[0], 0);
        if (delay > 0) await waitOrHangup(channel, delay);
      },
    },
    {
      name: 'Hangup',
      synopsis: 'Hang up the calling channel',
      execute: ({ channel, data }) => {
        const arg = data.trim();
        let cause: number = CAUSE.NORMAL_CLEARING;
        if (/^\d+$/.test(arg)) cause = Number(arg);
        else if (arg) {
          const found = Object.entries(causeText).find(([, t]) => t.toLowerCase().replace(/[^a-z]/g, '') === arg.toLowerCase().replace(/[^a-z]/g, ''));
          if (found) cause = Number(found[0]);
        }
        if (!channel.hangupCause) channel.setHangupCause(cause);
        return { hangup: true };
      },
    },
    { name: 'NoOp', synopsis: 'Do nothing', execute: () => undefined },
    {
      name: 'Verbose',
      synopsis: 'Send arbitrary text to verbose output',
      execute: ({ data }) => {
        const parts = splitAppArgs(data);
        const level = parts.length > 1 && /^\d+$/.test(parts[0] ?? '') ? Number(parts.shift()) : 0;
        logger.verbose(Math.max(1, level), parts.join(','));
      },
    },
    {
      name: 'Log',
      synopsis: 'Send arbitrary text to a selected log level',
      execute: ({ data }) => {
        const [level = 'NOTICE', ...rest] = splitAppArgs(data);
        const msg = rest.join(',');
        switch (level.trim().toUpperCase()) {
          case 'ERROR':
            logger.error(msg);
            break;
          case 'WARNING':
            logger.warning(msg);
            break;
          case 'DEBUG':
            logger.debug(1, msg);
            break;
          case 'VERBOSE':
            logger.verbose(1, msg);
            break;
          default:
            logger.notice(msg);
        }
      },
    },
    {
      name: 'Set',
      synopsis: 'Set a channel variable or function value',
      execute: ({ channel, data }) => {
        const eq = data.indexOf('=');
        if (eq <= 0) {
          logger.warning(`Set requires an argument (variable=value) on ${channel.name}`);
          return;
        }
        setVariableOrFunction(data.slice(0, eq).trim(), data.slice(eq + 1), scopeOf(channel));
      },
    },
    {
      name: 'MSet',
      synopsis: 'Set several channel variables',
      execute: ({ channel, data }) => {
        for (const pair of splitAppArgs(data)) {
          const eq = pair.indexOf('=');
          if (eq > 0) setVariableOrFunction(pair.slice(0, eq).trim(), pair.slice(eq + 1), scopeOf(channel));
        }
      },
    },
    {
      name: 'Wait',
      synopsis: 'Wait for a number of seconds',
      execute: async ({ channel, data }) => {
        await waitOrHangup(channel, seconds(data, 0) * 1000);
      },
    },
    {
      name: 'Progress',
      synopsis: 'Indicate progress',
      execute: ({ channel }) => channel.driver.indicate(channel, 'progress'),
    },
    {
      name: 'Ringing',
      synopsis: 'Indicate ringing tone',
      execute: ({ channel }) => channel.driver.indicate(channel, 'ringing'),
    },
    endWith('Busy', CAUSE.USER_BUSY),
    endWith('Congestion', CAUSE.CONGESTION),
    {
      name: 'UserEvent',
      synopsis: 'Send a user event to applications subscribed to the channel',
      execute: ({ channel, data }) => {
        const [name = '', ...pairs] = splitAppArgs(data);
        const userevent: Record<string, string> = {};
        for (const p of pairs) {
          const colon = p.indexOf(':');
          if (colon > 0) userevent[p.slice(0, colon).trim()] = p.slice(colon + 1).trim();
        }
        userevent.eventname = name.trim();
        channel.publish({ type: 'ChannelUserevent', timestamp: core.now(), channel: channel.snapshot(), eventname: name.trim(), userevent });
      },
    },
  ];
}
