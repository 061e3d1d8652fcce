/**
 * ChannelRedirect(channel,[[context,]exten,]priority), after Asterisk's app_channelredirect: sends another
 * channel (named by its name or unique id) to a dialplan location whatever it is doing — an application it runs
 * is interrupted, a bridge is left, a channel without a PBX gets one (core/async-goto.ts). Context and exten
 * default to the target channel's own. CHANNELREDIRECT_STATUS is NOCHANNEL or SUCCESS.
 */

import { asyncGoto } from '../../core/async-goto.ts';
import type { DialplanApp } from '../../core/applications.ts';
import type { Core } from '../../core/core.ts';
import type { Logger } from '../../shared/logger.ts';
import { splitAppArgs } from '../args.ts';
import { parseGoto } from './flow.ts';

export function channelRedirectApp(core: Core, logger: Logger): DialplanApp {
  return {
    name: 'ChannelRedirect',
    synopsis: 'Redirects given channel to a dialplan target',
    execute: ({ channel, data }) => {
      const [name = '', ...rest] = splitAppArgs(data).map((p) => p.trim());
      const target = parseGoto(rest.join(','));
      if (name === '' || target === undefined) {
        logger.warning('ChannelRedirect requires an argument (channel,[[context,]exten,]priority)');
        return { hangup: true };
      }
      const other = core.channels.byName(name) ?? core.channels.get(name);
      if (other === undefined || other.destroyed) {
        logger.warning(`No such channel: ${name}`);
        channel.setVariable('CHANNELREDIRECT_STATUS', 'NOCHANNEL');
        return undefined;
      }
      const context = target.context ?? other.location.context;
      const exten = target.exten ?? other.location.exten;
      const priority = target.label !== undefined ? core.pbx.findLabel(context, exten, target.label) : target.priority;
      if (priority === undefined) {
        logger.warning(`Priority '${target.label ?? ''}' must be a number > 0, or valid label (${context},${exten}) on ${other.name}`);
        return { hangup: true };
      }
      // The status is set before the goto: a channel redirecting itself leaves this application at once.
      channel.setVariable('CHANNELREDIRECT_STATUS', 'SUCCESS');
      asyncGoto(core, other, { context, exten, priority });
      return undefined;
    },
  };
}
