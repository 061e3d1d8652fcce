/**
 * The substitution scope of a core channel: what `${...}`, `$[...]` and dialplan functions see — the channel's
 * variables, Asterisk's built-in variables (EXTEN, CONTEXT, PRIORITY, CHANNEL, UNIQUEID, EPOCH, ...), globals,
 * the astdb and SHARED() variables — and the channel as `FunctionChannel`.
 */

import type { Channel } from '../core/channel.ts';
import type { Core } from '../core/core.ts';
import type { Logger } from '../shared/logger.ts';
import type { FunctionRegistry } from './functions/registry.ts';
import type { AstDbPort, FunctionChannel, SharedVariablesPort, SubstitutionScope } from './substitute.ts';

export interface ScopeServices {
  readonly core: Core;
  readonly functions: FunctionRegistry;
  readonly logger?: Logger;
  readonly db?: AstDbPort;
}

const SHARED = 'dialplan.shared';

/** SHARED() variables live on the channel they belong to. */
function sharedPort(core: Core): SharedVariablesPort {
  const store = (name: string): Map<string, string> | undefined => {
    const ch = core.channels.byName(name);
    if (!ch) return undefined;
    let m = ch.attachments.get(SHARED) as Map<string, string> | undefined;
    if (!m) ch.attachments.set(SHARED, (m = new Map()));
    return m;
  };
  return {
    resolve: (prefix) => {
      if (core.channels.byName(prefix)) return prefix;
      return core.channels.list().find((c) => c.name.startsWith(`${prefix}-`))?.name;
    },
    get: (channelName, name) => store(channelName)?.get(name),
    set: (channelName, name, value) => void store(channelName)?.set(name, value),
  };
}

function builtin(channel: Channel, name: string): string | undefined {
  const loc = channel.location;
  switch (name) {
    case 'EXTEN':
      return loc.exten;
    case 'CONTEXT':
      return loc.context;
    case 'PRIORITY':
      return String(loc.priority);
    case 'CHANNEL':
      return channel.name;
    case 'UNIQUEID':
      return channel.id;
    case 'HANGUPCAUSE':
      return String(channel.hangupCause);
    case 'LANGUAGE':
      return channel.language;
    case 'ACCOUNTCODE':
      return channel.accountcode;
    case 'CALLERIDNUM':
      return channel.caller.number;
    case 'CALLERIDNAME':
      return channel.caller.name;
    case 'EPOCH':
      return String(Math.floor(Date.now() / 1000));
    default:
      return undefined;
  }
}

export function functionChannel(channel: Channel): FunctionChannel {
  return {
    get name() {
      return channel.name;
    },
    get uniqueid() {
      return channel.id;
    },
    get language() {
      return channel.language;
    },
    get state() {
      return channel.state;
    },
    get context() {
      return channel.location.context;
    },
    get exten() {
      return channel.location.exten;
    },
    get priority() {
      return channel.location.priority;
    },
    get caller() {
      return channel.caller;
    },
    get connected() {
      return channel.connected;
    },
    get accountcode() {
      return channel.accountcode;
    },
    get tech() {
      return channel.tech.name;
    },
    get hangupCause() {
      return channel.hangupCause;
    },
    setCaller: (update) => channel.setCaller(update),
    setConnected: (update) => channel.setConnected(update),
    setLanguage: (language) => channel.setLanguage(language),
    channelValue: (item) => (item === 'accountcode' ? channel.accountcode : item === 'uniqueid' ? channel.id : undefined),
    setChannelValue: (item, value) => {
      if (item === 'accountcode') {
        channel.setAccountcode(value);
        return true;
      }
      return false;
    },
  };
}

export function channelScope(channel: Channel, services: ScopeServices): SubstitutionScope {
  const { core } = services;
  const logger = services.logger;
  return {
    getVariable: (name) => channel.getVariable(name) ?? builtin(channel, name) ?? core.globals.get(name),
    setVariable: (name, value) => channel.setVariable(name, value),
    deleteVariable: (name) => channel.deleteVariable(name),
    functions: services.functions,
    channel: functionChannel(channel),
    globals: core.globals,
    ...(services.db ? { db: services.db } : {}),
    shared: sharedPort(core),
    ...(logger ? { warn: (message: string) => logger.warning(`${channel.name}: ${message}`) } : {}),
  };
}

/** A scope without a channel (globals only), for `[globals]` values and the console. */
export function globalScope(services: ScopeServices): SubstitutionScope {
  const { core } = services;
  return {
    getVariable: (name) => core.globals.get(name),
    setVariable: (name, value) => core.globals.set(name, value),
    functions: services.functions,
    globals: core.globals,
    ...(services.db ? { db: services.db } : {}),
  };
}
