/**
 * MESSAGE(to|from|body|custom_data) and MESSAGE_DATA(name): the text message a channel carries — the one a
 * Message channel runs the dialplan for (core/text-messages.ts), or one written on any channel for
 * MessageSend(). As in Asterisk, reading a channel without a message fails (and returns nothing), writing
 * starts one; MESSAGE_DATA reads any variable (an incoming request's headers among them) and writes outbound
 * ones, which MessageSend() sends along (as SIP headers). `MESSAGE(custom_data)=mark_all_outbound` (or
 * `clear_all_outbound`) sends (or keeps) every variable.
 */

import type { Core } from '../../core/core.ts';
import { messageFor, messageOf, type TextMessage } from '../../core/text-messages.ts';
import type { SubstitutionScope } from '../substitute.ts';
import { warn } from './helpers.ts';
import type { DialplanFunction } from './registry.ts';

export function messageFunctions(core: Core): DialplanFunction[] {
  const channelOf = (scope: SubstitutionScope, name: string) => {
    const channel = scope.channel === undefined ? undefined : core.channels.get(scope.channel.uniqueid);
    if (channel === undefined) warn(scope, `No channel was provided to ${name} function.`);
    return channel;
  };
  const reading = (scope: SubstitutionScope, name: string): TextMessage | undefined => {
    const channel = channelOf(scope, name);
    if (channel === undefined) return undefined;
    const message = messageOf(channel);
    if (message === undefined) warn(scope, 'No MESSAGE data found on the channel to read.');
    return message;
  };
  const writing = (scope: SubstitutionScope, name: string): TextMessage | undefined => {
    const channel = channelOf(scope, name);
    return channel === undefined ? undefined : messageFor(channel);
  };
  return [
    {
      name: 'MESSAGE',
      synopsis: 'Create a message or read fields from a message.',
      syntax: 'MESSAGE(argument)',
      read: (scope, args) => {
        const message = reading(scope, 'MESSAGE');
        if (message === undefined) return '';
        switch (args.toLowerCase()) {
          case 'to':
            return message.to;
          case 'from':
            return message.from;
          case 'body':
            return message.body;
          default:
            warn(scope, `Invalid argument to MESSAGE(): '${args}'`);
            return '';
        }
      },
      write: (scope, args, value) => {
        const message = writing(scope, 'MESSAGE');
        if (message === undefined) return;
        switch (args.toLowerCase()) {
          case 'to':
            message.to = value;
            return;
          case 'from':
            message.from = value;
            return;
          case 'body':
            message.body = value;
            return;
          case 'custom_data':
            if (value.toLowerCase() === 'mark_all_outbound') message.markAll(true);
            else if (value.toLowerCase() === 'clear_all_outbound') message.markAll(false);
            else warn(scope, `'${value}' is not a valid value for custom_data`);
            return;
          default:
            warn(scope, `'${args}' is not a valid write argument.`);
        }
      },
    },
    {
      name: 'MESSAGE_DATA',
      synopsis: 'Read or write custom data attached to a message.',
      syntax: 'MESSAGE_DATA(argument)',
      read: (scope, args) => reading(scope, 'MESSAGE_DATA')?.getVar(args) ?? '',
      write: (scope, args, value) => writing(scope, 'MESSAGE_DATA')?.setVar(args, value, true),
    },
  ];
}
