/**
 * GLOBAL, GLOBAL_DELETE, GLOBAL_EXISTS and SHARED: variables beyond the current channel.
 *
 * GLOBAL reads and writes the `[globals]` variables whatever the channel has. SHARED(name[,channel])
 * keeps variables that belong to a channel but can be read and written from other channels; the second
 * argument names the channel exactly or by its `Tech/resource` prefix, and defaults to the current one.
 */

import type { SubstitutionScope } from '../substitute.ts';
import { splitAppArgs } from '../args.ts';
import type { DialplanFunction } from './registry.ts';
import { warn } from './helpers.ts';

/** The channel SHARED's arguments designate, and the variable name; undefined (after a warning) if none. */
function sharedTarget(scope: SubstitutionScope, args: string, doing: string): { channel: string; name: string } | undefined {
  if (args === '') {
    warn(scope, 'SHARED() requires an argument: SHARED(<var>[,<chan>])');
    return undefined;
  }
  const [name = '', channelArg = ''] = splitAppArgs(args);
  if (scope.shared === undefined) {
    warn(scope, 'Shared variables are not available here.');
    return undefined;
  }
  if (channelArg !== '') {
    const resolved = scope.shared.resolve === undefined ? channelArg : scope.shared.resolve(channelArg);
    if (resolved === undefined) {
      warn(scope, `Channel '${channelArg}' not found!  Variable '${name}' ${doing}.`);
      return undefined;
    }
    return { channel: resolved, name };
  }
  if (scope.channel === undefined) {
    warn(scope, 'No channel was provided to SHARED function.');
    return undefined;
  }
  return { channel: scope.channel.name, name };
}

export const globalFunctions: readonly DialplanFunction[] = [
  {
    name: 'GLOBAL',
    synopsis: 'A global variable (read and write)',
    syntax: 'GLOBAL(varname)',
    read: (scope, args) => scope.globals.get(args) ?? '',
    write: (scope, args, value) => scope.globals.set(args, value),
  },
  {
    name: 'GLOBAL_DELETE',
    synopsis: 'Removes a global variable (write only)',
    syntax: 'GLOBAL_DELETE(varname)',
    write: (scope, args) => {
      if (scope.globals.delete !== undefined) scope.globals.delete(args);
      else scope.globals.set(args, '');
    },
  },
  {
    name: 'GLOBAL_EXISTS',
    synopsis: '1 when the global variable is set, else 0',
    syntax: 'GLOBAL_EXISTS(varname)',
    read: (scope, args) => (scope.globals.get(args) === undefined ? '0' : '1'),
  },
  {
    name: 'SHARED',
    synopsis: 'A variable of a channel that other channels can read and write',
    syntax: 'SHARED(varname[,channel])',
    read: (scope, args) => {
      const target = sharedTarget(scope, args, 'will be blank');
      if (target === undefined) return '';
      return scope.shared?.get(target.channel, target.name) ?? '';
    },
    write: (scope, args, value) => {
      const target = sharedTarget(scope, args, `not set to '${value}'`);
      if (target === undefined) return;
      scope.shared?.set(target.channel, target.name, value);
    },
  },
];
