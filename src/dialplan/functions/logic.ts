/**
 * The logical functions: IF, ISNULL, EXISTS, SET, DELETE and VARIABLE_EXISTS.
 *
 * `IF(condition?iftrue:iffalse)` splits at the first `?` and then at the first `:` with the usual argument
 * rules (parentheses, brackets and quotes protect separators; quotes and backslashes are removed), strips
 * blanks from the parts, and decides with `checkCondition` (empty is false, a leading integer is its own
 * truth, other text is true). The condition is usually a `$[...]` expression already evaluated.
 */

import { checkCondition } from '../expr.ts';
import type { SubstitutionScope } from '../substitute.ts';
import { setVariableOrFunction } from '../substitute.ts';
import { splitAppArgs } from '../args.ts';
import type { DialplanFunction } from './registry.ts';
import { stripBlanks, warn } from './helpers.ts';

function ifRead(_scope: SubstitutionScope, args: string): string {
  const [expr, remainder] = splitAppArgs(args, '?', { limit: 2 });
  const [ifTrue, ifFalse] = remainder === undefined ? [] : splitAppArgs(remainder, ':', { limit: 2 });
  if (expr === undefined || expr === '' || (ifTrue === undefined && ifFalse === undefined)) return '';
  return checkCondition(stripBlanks(expr)) ? stripBlanks(ifTrue ?? '') : stripBlanks(ifFalse ?? '');
}

function setRead(scope: SubstitutionScope, args: string): string {
  const eq = args.indexOf('=');
  const name = eq < 0 ? args : args.slice(0, eq);
  if (name === '' || eq < 0) {
    warn(scope, 'Syntax SET(<varname>=[<value>])');
    return '';
  }
  const value = stripBlanks(args.slice(eq + 1));
  setVariableOrFunction(stripBlanks(name), value, scope);
  return value;
}

export const logicFunctions: readonly DialplanFunction[] = [
  {
    name: 'IF',
    synopsis: 'One of two values, chosen by a condition',
    syntax: 'IF(expression?[true][:false])',
    read: ifRead,
  },
  {
    name: 'ISNULL',
    synopsis: '1 when the argument is empty, else 0',
    syntax: 'ISNULL(data)',
    read: (_scope, args) => (args === '' ? '1' : '0'),
  },
  {
    name: 'EXISTS',
    synopsis: '1 when the argument is not empty, else 0',
    syntax: 'EXISTS(data)',
    read: (_scope, args) => (args === '' ? '0' : '1'),
  },
  {
    name: 'SET',
    synopsis: 'Sets a variable and returns the value set',
    syntax: 'SET(varname=[value])',
    read: setRead,
  },
  {
    name: 'DELETE',
    synopsis: 'Removes a channel variable (write only)',
    syntax: 'DELETE(varname)',
    write: (scope, args) => {
      if (scope.deleteVariable !== undefined) scope.deleteVariable(args);
      else scope.setVariable(args, '');
    },
  },
  {
    name: 'VARIABLE_EXISTS',
    synopsis: '1 when the variable is set, else 0',
    syntax: 'VARIABLE_EXISTS(varname)',
    read: (scope, args) => (scope.getVariable(args) === undefined ? '0' : '1'),
  },
];
