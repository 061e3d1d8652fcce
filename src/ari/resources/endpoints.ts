/**
 * `/endpoints`: the endpoints every channel technology knows (`ChannelDriver.endpoints()`), as ARI `Endpoint`
 * models. A technology without endpoints of its own (Local, as in Asterisk) has none to list, so
 * `/endpoints/Local` is a 404 like an unknown technology. Technology names match without regard to case.
 * Sending messages and REFER belong to the SIP stack and are not handled here.
 */

import type { ChannelTech, EndpointView } from '../../core/driver.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';

export interface EndpointResourceDeps {
  /** The registered channel technologies (`core.channels`). */
  readonly channels: { technologies(): readonly ChannelTech[] };
}

/** The ARI `Endpoint` model. */
export function endpointJson(e: EndpointView): Record<string, unknown> {
  return { technology: e.technology, resource: e.resource, state: e.state, channel_ids: [...e.channelIds] };
}

export function endpointHandlers(deps: EndpointResourceDeps): HandlerMap {
  /** The technology's endpoints, or undefined when it has none to offer (or does not exist). */
  const ofTech = (name: string): EndpointView[] | undefined => {
    const tech = deps.channels.technologies().find((t) => t.name.toLowerCase() === name.toLowerCase());
    return tech?.driver.endpoints?.();
  };
  return {
    'endpoints.list': {
      handle: () => ({ status: 200, body: deps.channels.technologies().flatMap((t) => t.driver.endpoints?.() ?? []).map(endpointJson) }),
    },
    'endpoints.listByTech': {
      handle: ({ params }) => {
        const tech = params.string('tech') ?? '';
        const list = ofTech(tech);
        // Asterisk knows a technology's endpoints only once it has one (PJSIP without pjsip.conf endpoints is 404).
        if (!list || list.length === 0) throw new AriError(404, `No Endpoints found - invalid tech ${tech}`);
        return { status: 200, body: list.map(endpointJson) };
      },
    },
    'endpoints.get': {
      handle: ({ params }) => {
        const resource = params.string('resource') ?? '';
        const found = ofTech(params.string('tech') ?? '')?.find((e) => e.resource === resource);
        if (!found) throw new AriError(404, 'Endpoint not found');
        return { status: 200, body: endpointJson(found) };
      },
    },
  };
}
