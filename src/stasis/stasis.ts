/**
 * Stasis: handing channels to external applications.
 *
 * `Stasis(app[,args...])` (a dialplan application registered in core) puts a channel under an application's
 * control: STASISSTATUS is cleared, the application is subscribed to the channel and receives StasisStart, and
 * the channel then waits — while REST calls act on it through its control — until it is hung up, continued
 * back into the dialplan, or moved to another application. StasisEnd follows, then STASISSTATUS=SUCCESS.
 *
 * The router subscribes to the core bus and forwards every message to the applications interested in it: those
 * subscribed to the channel, bridge or endpoint it concerns (automatically while a channel is in the
 * application, or since it was originated to it, or explicitly), and those that asked for everything
 * (`subscribeAll`). Delivery is synchronous, so an application sees one channel's events in the order they
 * happened.
 */

import type { Core } from '../core/core.ts';
import type { Channel } from '../core/channel.ts';
import type { CoreMessage } from '../core/bus.ts';
import type { GotoTarget } from '../core/applications.ts';
import type { Logger } from '../shared/logger.ts';
import { AriadneError } from '../shared/errors.ts';
import type { AppRegistry, StasisApp } from './app-registry.ts';
import type { AppMessage } from './messages.ts';

const CONTROL = 'stasis.control';

/** How a channel leaves an application. */
export type StasisExit =
  | { readonly kind: 'hangup' }
  | { readonly kind: 'continue'; readonly target: GotoTarget }
  | { readonly kind: 'move'; readonly app: string; readonly args: readonly string[] };

/** The handle REST operations use on a channel that is in an application. */
export class StasisControl {
  readonly channel: Channel;
  readonly app: string;
  #exit: ((exit: StasisExit) => void) | undefined;

  constructor(channel: Channel, app: string, exit: (exit: StasisExit) => void) {
    this.channel = channel;
    this.app = app;
    this.#exit = exit;
  }

  /** Sends the channel back to the dialplan (empty target = the next priority). */
  continueInDialplan(target: GotoTarget): void {
    this.#exit?.({ kind: 'continue', target });
    this.#exit = undefined;
  }

  move(app: string, args: readonly string[]): void {
    this.#exit?.({ kind: 'move', app, args });
    this.#exit = undefined;
  }
}

/** The control of a channel that is in Stasis, if it is. */
export function stasisControl(channel: Channel): StasisControl | undefined {
  return channel.attachments.get(CONTROL) as StasisControl | undefined;
}

/** Splits `Stasis()` data into the application name and its arguments (commas, quotes and escapes as in Asterisk). */
export function splitStasisArgs(data: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = false;
  let depth = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data[i] as string;
    if (c === '\\' && i + 1 < data.length) {
      cur += data[++i];
    } else if (c === '"') {
      quote = !quote;
    } else if (!quote && (c === '(' || c === '[')) {
      depth++;
      cur += c;
    } else if (!quote && (c === ')' || c === ']') && depth > 0) {
      depth--;
      cur += c;
    } else if (c === ',' && !quote && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export class Stasis {
  readonly #core: Core;
  readonly #apps: AppRegistry;
  readonly #logger: Logger;

  constructor(options: { core: Core; apps: AppRegistry; logger: Logger }) {
    this.#core = options.core;
    this.#apps = options.apps;
    this.#logger = options.logger;
    this.#core.bus.subscribe((m) => this.#route(m));
    this.#core.apps.register({
      name: 'Stasis',
      synopsis: 'Hand the channel to a Stasis (ARI) application',
      execute: async ({ channel, data }) => {
        const [app = '', ...args] = splitStasisArgs(data);
        const exit = await this.run(channel, app.trim(), args);
        if (exit?.kind === 'continue') return { goto: exit.target };
        return undefined;
      },
    });
  }

  get apps(): AppRegistry {
    return this.#apps;
  }

  /**
   * Runs a channel in application `app` until it leaves; returns how it left, or undefined when the
   * application is not registered (STASISSTATUS=FAILED).
   */
  async run(channel: Channel, appName: string, args: readonly string[]): Promise<StasisExit | undefined> {
    let name = appName;
    let appArgs = args;
    for (;;) {
      const app = this.#apps.get(name);
      if (!app) {
        this.#logger.warning(`Stasis app '${name}' not registered for ${channel.name}`);
        channel.setVariable('STASISSTATUS', 'FAILED');
        return undefined;
      }
      const exit = await this.#runOnce(channel, app, appArgs);
      if (exit.kind !== 'move') return exit;
      if (!this.#apps.get(exit.app)) {
        // Moving to an unregistered application fails; the channel stays where it was.
        this.#apps.publish({ type: 'ApplicationMoveFailed', application: name, timestamp: this.#core.now(), channel: channel.snapshot(), destination: exit.app, args: exit.args });
        continue;
      }
      name = exit.app;
      appArgs = exit.args;
    }
  }

  async #runOnce(channel: Channel, app: StasisApp, args: readonly string[]): Promise<StasisExit> {
    channel.setVariable('STASISSTATUS', '');
    this.subscribe(app.name, 'channels', channel.id);
    channel.setStasisApp(app.name);
    const exit = await new Promise<StasisExit>((resolve) => {
      const control = new StasisControl(channel, app.name, (e) => resolve(e));
      channel.attachments.set(CONTROL, control);
      this.#apps.publish({ type: 'StasisStart', application: app.name, timestamp: this.#core.now(), args: [...args], channel: channel.snapshot() });
      if (channel.hangupSignal.aborted) resolve({ kind: 'hangup' });
      else channel.hangupSignal.addEventListener('abort', () => resolve({ kind: 'hangup' }), { once: true });
    });
    channel.attachments.delete(CONTROL);
    // Let queued REST operations on the channel finish before it leaves.
    await channel.control(() => undefined);
    this.#apps.publish({ type: 'StasisEnd', application: app.name, timestamp: this.#core.now(), channel: channel.snapshot() });
    this.unsubscribe(app.name, 'channels', channel.id);
    channel.setStasisApp(undefined);
    if (channel.bridgeId) this.#core.bridges.get(channel.bridgeId)?.remove(channel);
    channel.setVariable('STASISSTATUS', 'SUCCESS');
    return exit;
  }

  /** Adds one subscription of `app` to a channel, bridge, endpoint or device. */
  subscribe(app: string, kind: 'channels' | 'bridges' | 'endpoints' | 'deviceStates', id: string): void {
    const a = this.#apps.get(app);
    if (!a) throw new AriadneError('ERR_APPLICATION_NOT_FOUND', 'Application not found');
    const m = a.subscriptions[kind];
    m.set(id, (m.get(id) ?? 0) + 1);
  }

  unsubscribe(app: string, kind: 'channels' | 'bridges' | 'endpoints' | 'deviceStates', id: string): void {
    const a = this.#apps.get(app);
    if (!a) return;
    const m = a.subscriptions[kind];
    const n = (m.get(id) ?? 0) - 1;
    if (n <= 0) m.delete(id);
    else m.set(id, n);
  }

  /** Applications that should see a message about these channels/bridges. */
  #targets(channelIds: readonly string[], bridgeIds: readonly string[]): StasisApp[] {
    const out: StasisApp[] = [];
    for (const app of this.#apps.list()) {
      if (app.subscribeAll) {
        out.push(app);
        continue;
      }
      const s = app.subscriptions;
      if (channelIds.some((id) => s.channels.has(id)) || bridgeIds.some((id) => s.bridges.has(id))) out.push(app);
    }
    return out;
  }

  #route(m: CoreMessage): void {
    let channels: string[];
    let bridges: string[] = [];
    switch (m.type) {
      case 'Dial':
        channels = [m.peer.id, ...(m.caller ? [m.caller.id] : [])];
        break;
      case 'BridgeCreated':
      case 'BridgeDestroyed':
        channels = [];
        bridges = [m.bridge.id];
        break;
      case 'ChannelEnteredBridge':
      case 'ChannelLeftBridge':
        channels = [m.channel.id];
        bridges = [m.bridge.id];
        break;
      case 'ChannelVarset':
        channels = m.channel ? [m.channel.id] : [];
        break;
      default:
        channels = [m.channel ? m.channel.id : ''];
    }
    const targets = this.#targets(channels, bridges);
    for (const app of targets) {
      if (m.type === 'ChannelUserevent') {
        const { type: _t, ...rest } = m;
        this.#apps.publish({ ...rest, type: 'ChannelUserevent', application: app.name });
      } else this.#apps.publish({ ...m, application: app.name } as AppMessage);
    }
    // A destroyed channel or bridge leaves every subscription behind.
    if (m.type === 'ChannelDestroyed') for (const app of this.#apps.list()) app.subscriptions.channels.delete(m.channel.id);
    if (m.type === 'BridgeDestroyed') for (const app of this.#apps.list()) app.subscriptions.bridges.delete(m.bridge.id);
  }
}
