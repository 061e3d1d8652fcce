/**
 * The standard dialplan functions, gathered: `createStandardFunctionRegistry()` gives the engine a
 * registry with every family in this folder registered.
 */

import { FunctionRegistry, type DialplanFunction } from './registry.ts';
import { callerIdFunctions } from './callerid.ts';
import { channelFunctions } from './channel.ts';
import { cutFunctions } from './cut.ts';
import { dbFunctions } from './db.ts';
import { globalFunctions } from './global.ts';
import { logicFunctions } from './logic.ts';
import { randFunctions } from './rand.ts';
import { stringFunctions } from './strings.ts';
import { timeFunctions } from './time.ts';

/** Every standard function definition. */
export const standardFunctions: readonly DialplanFunction[] = [
  ...callerIdFunctions,
  ...channelFunctions,
  ...cutFunctions,
  ...dbFunctions,
  ...globalFunctions,
  ...logicFunctions,
  ...randFunctions,
  ...stringFunctions,
  ...timeFunctions,
];

/** A registry holding the standard functions; more can be registered on it. */
export function createStandardFunctionRegistry(): FunctionRegistry {
  const registry = new FunctionRegistry();
  registry.registerAll(standardFunctions);
  return registry;
}
