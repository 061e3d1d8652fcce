/**
 * A self-contained substitution scope for tests of substitution and of the dialplan functions: channel
 * variables, globals, an astdb and shared variables in maps, a channel whose setters record what they
 * were given, a fixed clock and random source, and every warning kept.
 */

import type { AstDbPort, FunctionChannel, PartyId, SubstitutionScope } from '../substitute.ts';
import type { FunctionRegistry } from './registry.ts';
import { createStandardFunctionRegistry } from './index.ts';

export interface TestChannel extends FunctionChannel {
  name: string;
  uniqueid: string;
  language: string;
  state: string;
  context: string;
  exten: string;
  priority: number;
  caller: PartyId;
  connected: PartyId;
  accountcode: string;
  linkedid?: string;
  tech: string;
  /** Every setCaller/setConnected update, in order. */
  readonly updates: { readonly what: 'caller' | 'connected'; readonly update: { name?: string; number?: string } }[];
  /** Extra CHANNEL() items (lower-case keys), readable and writable. */
  readonly extra: Map<string, string>;
}

export interface TestScope extends SubstitutionScope {
  readonly vars: Map<string, string>;
  readonly globalVars: Map<string, string>;
  readonly dbData: Map<string, string>;
  readonly sharedVars: Map<string, Map<string, string>>;
  readonly warnings: string[];
  readonly channel?: TestChannel;
  functions: FunctionRegistry;
}

export interface TestScopeOptions {
  readonly vars?: Record<string, string>;
  readonly globals?: Record<string, string>;
  readonly db?: Record<string, string>;
  /** `null` for a scope without a channel. */
  readonly channel?: Partial<Omit<TestChannel, 'updates' | 'extra'>> | null;
  readonly now?: number;
  readonly random?: number;
  readonly functions?: FunctionRegistry;
  /** Channel names other than the scope's own that SHARED() may address. */
  readonly otherChannels?: readonly string[];
}

export function testChannel(init: Partial<Omit<TestChannel, 'updates' | 'extra'>> = {}): TestChannel {
  const updates: TestChannel['updates'] = [];
  const extra = new Map<string, string>([['musicclass', 'default']]);
  const channel: TestChannel = {
    name: 'PJSIP/alice-00000001',
    uniqueid: '1700000000.1',
    language: 'en',
    state: 'Up',
    context: 'default',
    exten: '100',
    priority: 1,
    caller: { name: 'Alice', number: '5551234' },
    connected: { name: 'Bob', number: '200' },
    accountcode: 'acct1',
    tech: 'PJSIP',
    ...init,
    updates,
    extra,
    setCaller(update) {
      updates.push({ what: 'caller', update: { ...update } });
      channel.caller = { name: update.name ?? channel.caller.name, number: update.number ?? channel.caller.number };
    },
    setConnected(update) {
      updates.push({ what: 'connected', update: { ...update } });
      channel.connected = { name: update.name ?? channel.connected.name, number: update.number ?? channel.connected.number };
    },
    setLanguage(language) {
      channel.language = language;
    },
    channelValue(item) {
      return extra.get(item);
    },
    setChannelValue(item, value) {
      if (!extra.has(item)) return false;
      extra.set(item, value);
      return true;
    },
  };
  return channel;
}

export function testScope(options: TestScopeOptions = {}): TestScope {
  const vars = new Map(Object.entries(options.vars ?? {}));
  const globalVars = new Map(Object.entries(options.globals ?? {}));
  const dbData = new Map(Object.entries(options.db ?? {}));
  const sharedVars = new Map<string, Map<string, string>>();
  const warnings: string[] = [];
  const channel = options.channel === null ? undefined : testChannel(options.channel ?? {});
  const known = new Set([...(channel ? [channel.name] : []), ...(options.otherChannels ?? [])]);
  const db: AstDbPort = {
    get: (family, key) => dbData.get(`/${family}/${key}`),
    put: (family, key, value) => {
      dbData.set(`/${family}/${key}`, value);
    },
    del: (family, key) => dbData.delete(`/${family}/${key}`),
  };
  const scope: TestScope = {
    vars,
    globalVars,
    dbData,
    sharedVars,
    warnings,
    functions: options.functions ?? createStandardFunctionRegistry(),
    ...(channel ? { channel } : {}),
    globals: {
      get: (name) => globalVars.get(name),
      set: (name, value) => {
        globalVars.set(name, value);
      },
      delete: (name) => {
        globalVars.delete(name);
      },
    },
    db,
    shared: {
      resolve: (name) => {
        if (known.has(name)) return name;
        return [...known].find((full) => full.startsWith(name + '-'));
      },
      get: (channelName, name) => sharedVars.get(channelName)?.get(name),
      set: (channelName, name, value) => {
        let m = sharedVars.get(channelName);
        if (m === undefined) sharedVars.set(channelName, (m = new Map()));
        m.set(name, value);
      },
    },
    getVariable(name) {
      if (channel) {
        switch (name) {
          case 'EXTEN': return channel.exten;
          case 'CONTEXT': return channel.context;
          case 'PRIORITY': return String(channel.priority);
          case 'CHANNEL': return channel.name;
          case 'UNIQUEID': return channel.uniqueid;
        }
      }
      return vars.get(name) ?? globalVars.get(name);
    },
    setVariable(name, value) {
      if (channel) vars.set(name, value);
      else globalVars.set(name, value);
    },
    deleteVariable(name) {
      vars.delete(name);
    },
    warn: (message) => {
      warnings.push(message);
    },
    now: () => options.now ?? 1_700_000_000_000,
    random: () => options.random ?? 0.5,
  };
  return scope;
}
