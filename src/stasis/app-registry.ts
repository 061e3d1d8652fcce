/**
 * The Stasis application registry: which applications exist, where their messages go, what they are
 * subscribed to and which event types they filter.
 *
 * An application exists while a sink (an events WebSocket) holds it. A second sink registering the same name
 * replaces the first, which is told with `ApplicationReplaced` and gets nothing more; when the current sink
 * goes, the application is unregistered (as Asterisk does, even if a replaced socket is still open).
 *
 * An application that loses its socket while channels are in it is only deactivated, as in Asterisk: it is no
 * longer listed and receives nothing, but its subscriptions are kept, so a socket that registers the name again
 * hears about those channels at once. A deactivated application is forgotten when its last channel is gone.
 */

import type { AppMessage, AppSink } from './messages.ts';

/** One entry of an event filter: `{ "type": "ChannelDtmfReceived" }`. */
export interface EventFilterEntry {
  readonly type: string;
}

export interface AppSubscriptions {
  readonly channels: Map<string, number>;
  readonly bridges: Map<string, number>;
  readonly endpoints: Map<string, number>;
  readonly deviceStates: Map<string, number>;
}

export interface StasisApp {
  readonly name: string;
  sink: AppSink;
  subscribeAll: boolean;
  debug: boolean;
  readonly subscriptions: AppSubscriptions;
  eventsAllowed: EventFilterEntry[];
  eventsDisallowed: EventFilterEntry[];
}

/** The ARI `Application` model. */
export interface ApplicationView {
  readonly name: string;
  readonly channel_ids: string[];
  readonly bridge_ids: string[];
  readonly endpoint_ids: string[];
  readonly device_names: string[];
  readonly events_allowed: EventFilterEntry[];
  readonly events_disallowed: EventFilterEntry[];
}

export class AppRegistry {
  readonly #apps = new Map<string, StasisApp>();
  readonly #inactive = new Map<string, StasisApp>();
  readonly #now: () => number;

  readonly #onDebug: ((message: AppMessage) => void) | undefined;

  /** `onDebug` sees every message delivered to an application whose debug flag is on (`ari set debug`). */
  constructor(options: { now?: () => number; onDebug?: (message: AppMessage) => void } = {}) {
    this.#now = options.now ?? Date.now;
    this.#onDebug = options.onDebug;
  }

  /** Registers `name` for `sink`; a previous sink is told it was replaced. */
  register(name: string, sink: AppSink, options: { subscribeAll?: boolean } = {}): StasisApp {
    const dormant = this.#inactive.get(name);
    if (dormant) {
      this.#inactive.delete(name);
      dormant.sink = sink;
      dormant.subscribeAll = options.subscribeAll ?? false;
      this.#apps.set(name, dormant);
      return dormant;
    }
    const existing = this.#apps.get(name);
    if (existing) {
      if (existing.sink !== sink) {
        existing.sink.deliver({ type: 'ApplicationReplaced', application: name, timestamp: this.#now() });
        existing.sink = sink;
      }
      existing.subscribeAll = options.subscribeAll ?? false;
      return existing;
    }
    const app: StasisApp = {
      name,
      sink,
      subscribeAll: options.subscribeAll ?? false,
      debug: false,
      subscriptions: { channels: new Map(), bridges: new Map(), endpoints: new Map(), deviceStates: new Map() },
      eventsAllowed: [],
      eventsDisallowed: [],
    };
    this.#apps.set(name, app);
    return app;
  }

  /** Removes `name` if `sink` still holds it (keeping it dormant while channels are in it). */
  unregister(name: string, sink: AppSink): void {
    const app = this.#apps.get(name);
    if (!app || app.sink !== sink) return;
    this.#apps.delete(name);
    if (app.subscriptions.channels.size > 0) this.#inactive.set(name, app);
  }

  /** A channel is gone: every application, active or dormant, drops its subscription to it. */
  forgetChannel(channelId: string): void {
    for (const app of this.#apps.values()) app.subscriptions.channels.delete(channelId);
    for (const [name, app] of this.#inactive) {
      app.subscriptions.channels.delete(channelId);
      if (app.subscriptions.channels.size === 0) this.#inactive.delete(name);
    }
  }

  get(name: string): StasisApp | undefined {
    return this.#apps.get(name);
  }

  /** Registered applications in registration order. */
  list(): StasisApp[] {
    return [...this.#apps.values()];
  }

  /** Delivers a message to its application, honouring the application's event filter. */
  publish(message: AppMessage): boolean {
    const app = this.#apps.get(message.application);
    if (!app) return false;
    if (!passesFilter(app, message.type)) return false;
    if (app.debug) this.#onDebug?.(message);
    app.sink.deliver(message);
    return true;
  }

  view(app: StasisApp): ApplicationView {
    return {
      name: app.name,
      channel_ids: [...app.subscriptions.channels.keys()],
      bridge_ids: [...app.subscriptions.bridges.keys()],
      endpoint_ids: [...app.subscriptions.endpoints.keys()],
      device_names: [...app.subscriptions.deviceStates.keys()],
      events_allowed: app.eventsAllowed.map((e) => ({ ...e })),
      events_disallowed: app.eventsDisallowed.map((e) => ({ ...e })),
    };
  }
}

/**
 * Asterisk's filter rules: with an allow list, only listed types pass; a disallow list then removes types.
 * Messages that manage the application itself always pass.
 */
export function passesFilter(app: Pick<StasisApp, 'eventsAllowed' | 'eventsDisallowed'>, type: string): boolean {
  if (type === 'ApplicationReplaced' || type === 'ApplicationRegistered' || type === 'ApplicationUnregistered') return true;
  if (app.eventsAllowed.length > 0 && !app.eventsAllowed.some((e) => e.type === type)) return false;
  if (app.eventsDisallowed.some((e) => e.type === type)) return false;
  return true;
}
