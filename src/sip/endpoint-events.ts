/**
 * Where endpoint and contact state changes (`EndpointStates`) go outside the SIP stack:
 *
 * - Stasis applications: ContactStatusChange, EndpointStateChange and PeerStatusChange, to the applications
 *   subscribed to `endpoint:PJSIP/<name>` (or to `endpoint:PJSIP`), and the last two kinds also to
 *   `subscribeAll` applications, as Asterisk routes them (`endpointEventTargets`);
 * - a channel of the endpoint starting or ending changes the endpoint's `channel_ids`: EndpointStateChange to
 *   the endpoint's subscribers, as Asterisk sends one for every new endpoint snapshot;
 * - device states: `PJSIP/<name>` answers UNAVAILABLE/NOT_INUSE from the endpoint state, or what its
 *   channels aggregate to (`pjsipDeviceState`), and is re-announced when the endpoint state changes.
 */

import type { Core } from '../core/core.ts';
import { deviceNameOf } from '../core/channel-device-states.ts';
import { aggregate, deviceStateForChannelState, type DeviceState, type DeviceStateRegistry } from '../core/device-states.ts';
import type { AppMessage } from '../stasis/messages.ts';
import {
  contactStatusEvent,
  endpointEventTargets,
  endpointStateEvents,
  pjsipDeviceState,
  type EndpointEventApp,
  type EndpointEventBody,
  type EndpointState,
  type EndpointStateSink,
  type EndpointWire,
} from './state.ts';

export interface EndpointEventsOptions {
  readonly core: Core;
  /** The Stasis applications (`AppRegistry`). */
  readonly apps?: { list(): Iterable<EndpointEventApp>; publish(message: AppMessage): boolean };
  readonly deviceStates?: DeviceStateRegistry;
  /** The endpoint's ARI model now (state and channel ids), from the driver. */
  readonly snapshot: (resource: string) => EndpointWire;
  /** The endpoint's state (undefined: no such endpoint) and `device_state_busy_at`. */
  readonly endpoint: (resource: string) => { readonly state: EndpointState; readonly busyAt: number } | undefined;
}

export interface EndpointEvents {
  readonly sink: EndpointStateSink;
  /** The device state of `PJSIP/<resource>`. */
  deviceState(resource: string): DeviceState;
  close(): void;
}

export function connectEndpointEvents(options: EndpointEventsOptions): EndpointEvents {
  const { core, apps, deviceStates } = options;
  const publish = (event: EndpointEventBody): void => {
    if (apps === undefined) return;
    for (const application of endpointEventTargets(apps.list(), event)) {
      apps.publish({ ...event, application, timestamp: core.now() });
    }
  };
  /** The endpoint's live channels (its device's, `PJSIP/<resource>-…`). */
  const channelsOf = (resource: string) => core.channels.ofDevice(`PJSIP/${resource}`).filter((ch) => !ch.destroyed);
  const deviceState = (resource: string): DeviceState => {
    const ep = options.endpoint(resource);
    const states: DeviceState[] = [];
    let inUse = 0;
    for (const ch of channelsOf(resource)) {
      states.push(deviceStateForChannelState(ch.state));
      if (ch.state !== 'Down' && ch.state !== 'Rsrvd') inUse++;
    }
    return pjsipDeviceState(ep?.state, { aggregate: states.length === 0 ? undefined : aggregate(states), inUse }, ep?.busyAt ?? 0);
  };
  let removeProvider: (() => void) | undefined;
  try {
    removeProvider = deviceStates?.registerProvider('PJSIP', deviceState);
  } catch {
    // Someone registered PJSIP first (channel-fed states); endpoint changes are still announced below.
  }
  const offBus = core.bus.subscribe((m) => {
    if ((m.type !== 'ChannelCreated' && m.type !== 'ChannelDestroyed') || m.channel.tech.toLowerCase() !== 'pjsip') return;
    const device = deviceNameOf(m.channel.name);
    const resource = device.slice(device.indexOf('/') + 1);
    if (options.endpoint(resource) === undefined) return;
    const endpoint = { ...options.snapshot(resource), channel_ids: channelsOf(resource).map((c) => c.id) };
    publish({ type: 'EndpointStateChange', endpoint });
  });
  return {
    sink: {
      contactStatus: (endpoint, info) => publish(contactStatusEvent(options.snapshot(endpoint), info)),
      endpointState: (endpoint, state) => {
        for (const event of endpointStateEvents(options.snapshot(endpoint), state)) publish(event);
        deviceStates?.notify(`PJSIP/${endpoint}`);
      },
    },
    deviceState,
    close: () => {
      offBus();
      removeProvider?.();
    },
  };
}
