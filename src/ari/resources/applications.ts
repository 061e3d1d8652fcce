/**
 * `/applications`: the registered Stasis applications, their explicit subscriptions and event filters.
 *
 * Event sources are URIs: `channel:<id>`, `bridge:<id>`, `endpoint:<tech>[/<resource>]`, `deviceState:<name>`.
 * Whether a channel, bridge or endpoint exists is asked of `sources` (core answers once it has them).
 */

import type { AppRegistry, AppSubscriptions, EventFilterEntry, StasisApp } from '../../stasis/app-registry.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';

export interface EventSourceLookup {
  channelExists(id: string): boolean;
  bridgeExists(id: string): boolean;
  /** `tech` alone means every endpoint of that technology. */
  endpointExists(tech: string, resource: string | undefined): boolean;
}

type Kind = keyof AppSubscriptions;

function parseSource(uri: string): { kind: Kind; id: string } {
  const colon = uri.indexOf(':');
  const scheme = colon === -1 ? '' : uri.slice(0, colon);
  const id = uri.slice(colon + 1);
  const kind: Kind | undefined =
    scheme === 'channel' ? 'channels' : scheme === 'bridge' ? 'bridges' : scheme === 'endpoint' ? 'endpoints' : scheme === 'deviceState' ? 'deviceStates' : undefined;
  if (!kind) throw new AriError(400, 'Invalid event source URI scheme');
  if (!id) throw new AriError(400, 'Invalid event source URI');
  return { kind, id };
}

function exists(lookup: EventSourceLookup, kind: Kind, id: string): boolean {
  switch (kind) {
    case 'channels':
      return lookup.channelExists(id);
    case 'bridges':
      return lookup.bridgeExists(id);
    case 'endpoints': {
      const slash = id.indexOf('/');
      return slash === -1 ? lookup.endpointExists(id, undefined) : lookup.endpointExists(id.slice(0, slash), id.slice(slash + 1));
    }
    case 'deviceStates':
      return true;
  }
}

function filterEntries(v: unknown): EventFilterEntry[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new AriError(400, 'Event filter lists must be arrays of {"type": …} objects');
  return v.map((e) => {
    const type = (e as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !type) throw new AriError(400, 'Each event filter entry needs a "type" string');
    return { type };
  });
}

export function applicationHandlers(deps: { apps: AppRegistry; sources: EventSourceLookup }): HandlerMap {
  const { apps } = deps;
  const find = (name: string | undefined): StasisApp => {
    const app = apps.get(name ?? '');
    if (!app) throw new AriError(404, 'Application not found');
    return app;
  };
  return {
    'applications.list': { handle: () => ({ status: 200, body: apps.list().map((a) => apps.view(a)) }) },
    'applications.get': { handle: ({ params }) => ({ status: 200, body: apps.view(find(params.string('applicationName'))) }) },
    'applications.subscribe': {
      handle: ({ params }) => {
        const app = find(params.string('applicationName'));
        const sources = params.list('eventSource').map(parseSource);
        for (const s of sources) if (!exists(deps.sources, s.kind, s.id)) throw new AriError(422, 'Event source does not exist');
        for (const s of sources) {
          const m = app.subscriptions[s.kind];
          m.set(s.id, (m.get(s.id) ?? 0) + 1);
        }
        return { status: 200, body: apps.view(app) };
      },
    },
    'applications.unsubscribe': {
      handle: ({ params }) => {
        const app = find(params.string('applicationName'));
        const sources = params.list('eventSource').map(parseSource);
        for (const s of sources) {
          if (!app.subscriptions[s.kind].has(s.id)) {
            if (s.kind !== 'deviceStates' && !exists(deps.sources, s.kind, s.id)) throw new AriError(422, 'Event source does not exist');
            throw new AriError(422, 'Event source was not subscribed to');
          }
        }
        for (const s of sources) {
          const m = app.subscriptions[s.kind];
          const n = (m.get(s.id) ?? 1) - 1;
          if (n <= 0) m.delete(s.id);
          else m.set(s.id, n);
        }
        return { status: 200, body: apps.view(app) };
      },
    },
    'applications.filter': {
      handle: ({ params }) => {
        const app = find(params.string('applicationName'));
        const body = params.object('filter') ?? {};
        const allowed = filterEntries(body.allowed);
        const disallowed = filterEntries(body.disallowed);
        app.eventsAllowed = allowed;
        app.eventsDisallowed = disallowed;
        return { status: 200, body: apps.view(app) };
      },
    },
  };
}
