/**
 * `/events`: user events sent to an application, and claims of channels that `StasisBroadcast()` offers
 * (`claimHandlers`). The WebSocket itself is `ws/event-socket.ts`.
 */

import type { AppRegistry } from '../../stasis/app-registry.ts';
import type { ClaimResult } from '../../stasis/broadcast.ts';
import type { ChannelSnapshot } from '../../core/channel.ts';
import type { BridgeSnapshot } from '../../core/bridge.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';

/** Resolves `channel:`, `bridge:`, `endpoint:` and `deviceState:` sources to wire snapshots. */
export interface UserEventSources {
  channel(id: string): ChannelSnapshot | undefined;
  bridge(id: string): BridgeSnapshot | undefined;
  endpoint(tech: string, resource: string): unknown;
}

export function eventHandlers(deps: { apps: AppRegistry; sources: UserEventSources; now?: () => number }): HandlerMap {
  const now = deps.now ?? Date.now;
  return {
    'events.userEvent': {
      handle: ({ params }) => {
        const application = params.string('application') ?? '';
        const eventname = params.string('eventName') ?? '';
        if (!deps.apps.get(application)) throw new AriError(404, 'Application not found');
        const found: { channel?: ChannelSnapshot; bridge?: BridgeSnapshot; endpoint?: unknown } = {};
        for (const uri of params.list('source')) {
          const colon = uri.indexOf(':');
          const scheme = colon === -1 ? '' : uri.slice(0, colon);
          const id = uri.slice(colon + 1);
          let snap: unknown;
          if (scheme === 'channel') {
            const c = deps.sources.channel(id);
            if (c) found.channel = c;
            snap = c;
          } else if (scheme === 'bridge') {
            const b = deps.sources.bridge(id);
            if (b) found.bridge = b;
            snap = b;
          }
          else if (scheme === 'endpoint') {
            const slash = id.indexOf('/');
            snap = slash === -1 ? undefined : deps.sources.endpoint(id.slice(0, slash), id.slice(slash + 1));
            if (snap !== undefined) found.endpoint = snap;
          } else if (scheme === 'deviceState') snap = id ? {} : undefined;
          else throw new AriError(400, 'Invalid event source URI scheme');
          if (snap === undefined) throw new AriError(422, 'Event source not found');
        }
        const body = params.object('variables');
        const vars = body?.variables;
        if (vars !== undefined && (vars === null || typeof vars !== 'object' || Array.isArray(vars))) {
          throw new AriError(400, 'variables must be a JSON object');
        }
        // Asterisk repeats the event name inside `userevent`.
        const userevent = { ...(vars as Record<string, unknown> | undefined), eventname };
        deps.apps.publish({ type: 'ChannelUserevent', application, timestamp: now(), eventname, userevent, ...found });
        return { status: 204 };
      },
    },
  };
}

/**
 * `POST /events/claim`: the first application to claim a broadcast channel gets it (204); 409 when another
 * application was first, 404 when the channel is not on offer or the application is not registered.
 */
export function claimHandlers(deps: { claim(channelId: string, application: string): ClaimResult }): HandlerMap {
  return {
    'events.claimChannel': {
      handle: ({ params }) => {
        const channelId = params.string('channelId') ?? '';
        const application = params.string('application') ?? '';
        if (channelId === '') throw new AriError(400, 'channelId parameter is required');
        if (application === '') throw new AriError(400, 'application parameter is required');
        switch (deps.claim(channelId, application)) {
          case 'claimed':
            return { status: 204 };
          case 'conflict':
            throw new AriError(409, 'Channel has already been claimed by another application');
          case 'no-application':
            throw new AriError(404, 'Application not found');
          case 'not-found':
            throw new AriError(404, 'Channel not found or not in broadcast state');
        }
      },
    },
  };
}
