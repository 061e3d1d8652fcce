/**
 * The dialplan function registry: what `${NAME(args)}` can call and `Set(NAME(args)=value)` can write.
 *
 * Each function family (CALLERID, CHANNEL, the string functions, DB, ...) lives in its own file in this
 * folder and exports its definitions; `index.ts` registers the standard set. The engine owns one registry
 * and hands it to every substitution scope; `core show functions` lists it. Names are matched exactly
 * (case-sensitive), as Asterisk does.
 *
 * A function receives the scope it runs in (variables, channel, globals, astdb) and its raw argument text,
 * already substituted, and splits it itself (most use `splitAppArgs`). It reports problems through
 * `scope.warn` and returns `''`, which is what a failed read produces in Asterisk's substitution.
 */

import { AriadneError } from '../../shared/errors.ts';
import type { SubstitutionScope } from '../substitute.ts';

export interface DialplanFunction {
  /** Upper case by convention (`CALLERID`); matched exactly. */
  readonly name: string;
  /** One line for `core show functions`. */
  readonly synopsis: string;
  /** The argument syntax shown by `core show functions` (`<datatype>[,<caller-id>]`). */
  readonly syntax?: string;
  /** `${NAME(args)}`. */
  read?(scope: SubstitutionScope, args: string): string;
  /** `Set(NAME(args)=value)`. */
  write?(scope: SubstitutionScope, args: string, value: string): void;
}

export class FunctionRegistry {
  readonly #functions = new Map<string, DialplanFunction>();

  /** Adds a function; throws `AriadneError` `ERR_CONFLICT` when the name is taken. */
  register(fn: DialplanFunction): void {
    if (!/^[A-Za-z0-9_]+$/.test(fn.name)) {
      throw new AriadneError('ERR_INVALID_PARAMETER', `Invalid dialplan function name '${fn.name}'`);
    }
    if (this.#functions.has(fn.name)) {
      throw new AriadneError('ERR_CONFLICT', `Dialplan function '${fn.name}' is already registered`);
    }
    this.#functions.set(fn.name, fn);
  }

  /** Adds several functions (see `register`). */
  registerAll(fns: Iterable<DialplanFunction>): void {
    for (const fn of fns) this.register(fn);
  }

  /** Removes a function; false if it was not registered. */
  unregister(name: string): boolean {
    return this.#functions.delete(name);
  }

  get(name: string): DialplanFunction | undefined {
    return this.#functions.get(name);
  }

  has(name: string): boolean {
    return this.#functions.has(name);
  }

  get size(): number {
    return this.#functions.size;
  }

  /** Every function, sorted by name (as `core show functions` lists them). */
  list(): DialplanFunction[] {
    return [...this.#functions.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
