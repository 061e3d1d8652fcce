/**
 * `MessageSend(destination[,from[,to]])`, as Asterisk's: sends the channel's message (MESSAGE(body) and the
 * outbound MESSAGE_DATA) through the technology the destination names (`pjsip:bob`, `pjsip:bob/sip:…`), `from`
 * overriding the message's From and `to` replacing its To. MESSAGE_SEND_STATUS tells how it went: SUCCESS
 * (handed to the technology), FAILURE, INVALID_PROTOCOL (no such technology) or INVALID_URI.
 */

import type { DialplanApp } from '../../core/applications.ts';
import { messageOf, type MessageRouter } from '../../core/text-messages.ts';
import type { Logger } from '../../shared/logger.ts';
import { splitAppArgs } from '../args.ts';

export function messageSendApp(router: MessageRouter, logger: Logger): DialplanApp {
  return {
    name: 'MessageSend',
    synopsis: 'Send a text message.',
    execute: async ({ channel, data }) => {
      const [destination = '', from = '', to = ''] = splitAppArgs(data);
      const status = (value: string): void => channel.setVariable('MESSAGE_SEND_STATUS', value);
      if (data.trim() === '' || destination === '') {
        logger.warning(data.trim() === '' ? 'An argument is required to MessageSend()' : "A 'to' URI is required for MessageSend()");
        status('INVALID_URI');
        return;
      }
      const message = messageOf(channel);
      if (message === undefined) {
        logger.warning('No message data found on channel to send.');
        status('FAILURE');
        return;
      }
      if (to !== '') message.to = to;
      status(await router.send(message, destination, from));
    },
  };
}
