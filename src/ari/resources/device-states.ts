/**
 * `/deviceStates`: the device states ARI controls (`Stasis:<name>`), and a read-out of any other device.
 *
 * Answers as Asterisk does — GET of any name is 200 (UNKNOWN for a `Stasis:` device never set, INVALID for a
 * technology nobody provides), DELETE of a device never set is 204, a device outside `Stasis:` is 409
 * `Uncontrolled device specified`, `Stasis:` with nothing after it is 404 `Device name is missing` — except
 * that a missing or unknown `deviceState` is a 400 naming the parameter (the parameter check does it) where
 * Asterisk answers 500 `Unknown device`.
 */

import type { DeviceStateRegistry } from '../../core/device-states.ts';
import { isDeviceState } from '../../core/device-states.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';

export interface DeviceStateResourceDeps {
  readonly states: Pick<DeviceStateRegistry, 'list' | 'get' | 'set' | 'delete'>;
}

export function deviceStateHandlers(deps: DeviceStateResourceDeps): HandlerMap {
  const { states } = deps;
  return {
    'deviceStates.list': { handle: () => ({ status: 200, body: states.list() }) },
    'deviceStates.get': {
      handle: ({ params }) => {
        const name = params.string('deviceName') ?? '';
        return { status: 200, body: { name, state: states.get(name) } };
      },
    },
    'deviceStates.update': {
      handle: ({ params }) => {
        const state = params.string('deviceState') ?? '';
        // The parameter check already allows only the settable states; this guards a spec change.
        if (!isDeviceState(state) || state === 'UNKNOWN') throw new AriError(400, `Invalid value for parameter deviceState: ${state}`);
        states.set(params.string('deviceName') ?? '', state);
        return { status: 204 };
      },
    },
    'deviceStates.delete': {
      handle: ({ params }) => {
        states.delete(params.string('deviceName') ?? '');
        return { status: 204 };
      },
    },
  };
}
