/**
 * DEVICE_STATE(device) and EXTENSION_STATE(exten[@context]): read a device's state (`NOT_INUSE`, `INUSE`,
 * ...) and a hinted extension's state (`NOT_INUSE`, `INUSE`, `RINGINUSE`, `HOLDINUSE`, ...; `UNKNOWN` when
 * the extension has no hint; the context defaults to `default`). They read through the sources the
 * composition root gives them, so the dialplan does not own device states.
 */

import type { DialplanFunction } from './registry.ts';
import { warn } from './helpers.ts';
import { extensionStateName } from '../hint-states.ts';

export interface DeviceStateSources {
  deviceState(device: string): string;
  /** Extension state bits, or undefined without a hint. */
  extensionState(context: string, exten: string): number | undefined;
}

export function deviceStateFunctions(sources: DeviceStateSources): DialplanFunction[] {
  return [
    {
      name: 'DEVICE_STATE',
      synopsis: 'Get or Set a device state.',
      syntax: '<device>',
      read: (scope, args) => {
        if (args === '') {
          warn(scope, 'DEVICE_STATE function requires an argument!');
          return '';
        }
        return sources.deviceState(args);
      },
    },
    {
      name: 'EXTENSION_STATE',
      synopsis: 'Get an extension\'s state.',
      syntax: '<extension>[@<context>]',
      read: (scope, args) => {
        const at = args.indexOf('@');
        const exten = at < 0 ? args : args.slice(0, at);
        const context = (at < 0 ? '' : args.slice(at + 1)) || 'default';
        if (exten === '') {
          warn(scope, 'EXTENSION_STATE requires an extension');
          return '';
        }
        const state = sources.extensionState(context, exten);
        return state === undefined ? 'UNKNOWN' : extensionStateName(state);
      },
    },
  ];
}
