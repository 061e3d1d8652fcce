/**
 * RAND([min][,max]): a random integer between min and max inclusive (defaults 0 and RAND_MAX, 2147483647;
 * swapped when given the wrong way round). `scope.random` supplies the randomness, so tests can fix it.
 */

import type { SubstitutionScope } from '../substitute.ts';
import { splitAppArgs } from '../args.ts';
import { scanInt } from '../expr.ts';
import type { DialplanFunction } from './registry.ts';

export const RAND_MAX = 2147483647;

function randRead(scope: SubstitutionScope, args: string): string {
  const [minArg = '', maxArg = ''] = splitAppArgs(args);
  let min = scanInt(minArg, 0)?.value ?? 0;
  let max = scanInt(maxArg, 0)?.value ?? RAND_MAX;
  if (max < min) [min, max] = [max, min];
  // ast_random(): 31 random bits.
  const r = Math.floor((scope.random?.() ?? Math.random()) * 2147483648);
  return String(min + (r % (max - min + 1)));
}

export const randFunctions: readonly DialplanFunction[] = [
  {
    name: 'RAND',
    synopsis: 'A random integer in a range, both ends included',
    syntax: 'RAND([min][,max])',
    read: randRead,
  },
];
