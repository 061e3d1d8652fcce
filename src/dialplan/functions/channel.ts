/**
 * CHANNEL(item): properties of the current channel.
 *
 * The common items are answered from the `FunctionChannel` the engine provides (name, uniqueid,
 * language, state, context, exten, accountcode, channeltype, linkedid); anything else is asked of the
 * channel's `channelValue`, where the engine and the driver add what they know (musicclass, peer, rtp
 * statistics, pjsip details, ...). Items are case-insensitive. Writing `language` changes the channel's
 * language; other writable items go to `setChannelValue`.
 */

import type { FunctionChannel, SubstitutionScope } from '../substitute.ts';
import type { DialplanFunction } from './registry.ts';
import { warn } from './helpers.ts';

function commonItem(channel: FunctionChannel, item: string): string | undefined {
  switch (item) {
    case 'name':
    case 'channame':
      return channel.name;
    case 'uniqueid':
      return channel.uniqueid;
    case 'language':
      return channel.language;
    case 'state':
      return channel.state;
    case 'context':
      return channel.context;
    case 'exten':
      return channel.exten;
    case 'accountcode':
      return channel.accountcode;
    case 'channeltype':
      return channel.tech;
    case 'linkedid':
      // An unset linkedid falls back on the uniqueid, as Asterisk does.
      return channel.linkedid === undefined || channel.linkedid === '' ? channel.uniqueid : channel.linkedid;
    default:
      return undefined;
  }
}

function channelRead(scope: SubstitutionScope, args: string): string {
  const channel = scope.channel;
  if (channel === undefined) {
    warn(scope, 'No channel was provided to CHANNEL function.');
    return '';
  }
  const item = args.toLowerCase();
  const value = commonItem(channel, item) ?? channel.channelValue?.(item);
  if (value === undefined) {
    warn(scope, `Unknown or unavailable item requested: '${args}'`);
    return '';
  }
  return value;
}

function channelWrite(scope: SubstitutionScope, args: string, value: string): void {
  const channel = scope.channel;
  if (channel === undefined) {
    warn(scope, 'No channel was provided to CHANNEL function.');
    return;
  }
  const item = args.toLowerCase();
  if (item === 'language') {
    channel.setLanguage(value);
    return;
  }
  if (channel.setChannelValue?.(item, value) !== true) {
    warn(scope, `Unknown or unavailable item requested: '${args}'`);
  }
}

export const channelFunctions: readonly DialplanFunction[] = [
  {
    name: 'CHANNEL',
    synopsis: 'Properties of the current channel (language is writable)',
    syntax: 'CHANNEL(item)',
    read: channelRead,
    write: channelWrite,
  },
];
