/**
 * `/endpoints`: the endpoints every channel technology knows (`ChannelDriver.endpoints()`), as ARI `Endpoint`
 * models. A technology without endpoints of its own (Local, as in Asterisk) has none to list, so
 * `/endpoints/Local` is a 404 like an unknown technology. Technology names match without regard to case.
 * Text messages and out-of-dialog REFER go through the SIP stack (`EndpointMessaging`, src/sip/driver/messaging.ts):
 * 202 once the request is on its way, 404 "Endpoint not found" when `to` names nothing we can send to (Asterisk
 * answers the same for a `to` without the `pjsip:` prefix).
 */

import type { ChannelTech, EndpointView } from '../../core/driver.ts';
import type { AriContext, HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';
import { readVariables } from './variables.ts';

/** What the SIP side offers these operations (SipMessaging). False: the destination was not found. */
export interface EndpointMessaging {
  send(text: { to: string; from: string; body: string; variables: Record<string, string> }): Promise<boolean>;
  refer(refer: { to: string; from: string; referTo: string; toSelf: boolean; variables: Record<string, string> }): Promise<boolean>;
}

export interface EndpointResourceDeps {
  /** The registered channel technologies (`core.channels`). */
  readonly channels: { technologies(): readonly ChannelTech[] };
  readonly messaging: EndpointMessaging;
}

/** `{"variables": {...}}` of a body as name → value (REFER also takes a top-level `display_name`). */
function variablesOf(body: Record<string, unknown> | undefined, extra: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of readVariables(body?.variables)) out[v.name] = v.value;
  for (const name of extra) {
    const value = body?.[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
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
  const messaging = deps.messaging;
  /** The per-endpoint forms address `<tech in lower case>:<resource>`, once the endpoint is known to exist. */
  const endpointTo = (tech: string, resource: string): string => {
    if (!ofTech(tech)?.some((e) => e.resource === resource)) throw new AriError(404, 'Endpoint not found');
    return `${tech.toLowerCase()}:${resource}`;
  };
  const sendMessage = async (to: string, p: AriContext['params']) => {
    const variables = variablesOf(p.object('variables'));
    const sent = await messaging.send({ to, from: p.string('from') ?? '', body: p.string('body') ?? '', variables });
    if (!sent) throw new AriError(404, 'Endpoint not found');
    return { status: 202 };
  };
  const refer = async (to: string, p: AriContext['params']) => {
    const variables = variablesOf(p.object('variables'), ['display_name']);
    const sent = await messaging.refer({ to, from: p.string('from') ?? '', referTo: p.string('refer_to') ?? '', toSelf: p.bool('to_self') ?? false, variables });
    if (!sent) throw new AriError(404, 'Endpoint not found');
    return { status: 202 };
  };
  return {
    'endpoints.sendMessage': { handle: ({ params }) => sendMessage(params.string('to') ?? '', params) },
    'endpoints.sendMessageToEndpoint': {
      handle: ({ params }) => sendMessage(endpointTo(params.string('tech') ?? '', params.string('resource') ?? ''), params),
    },
    'endpoints.refer': { handle: ({ params }) => refer(params.string('to') ?? '', params) },
    'endpoints.referToEndpoint': {
      handle: ({ params }) => refer(endpointTo(params.string('tech') ?? '', params.string('resource') ?? ''), params),
    },
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
