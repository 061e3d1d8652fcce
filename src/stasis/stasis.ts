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
 *
 * Bridges, as Asterisk's applications see them: when a channel in an application enters a bridge, the
 * application is subscribed to that bridge (so it hears about the other members, the video source and the
 * bridge's end). Leaving the bridge while staying in the application (removeChannel, a move to another bridge)
 * drops that subscription again; leaving because the channel leaves the application (hangup, continue) or
 * because the bridge is being destroyed keeps it until the bridge is destroyed, so the application still gets
 * BridgeDestroyed. A channel leaves its bridge before StasisEnd (ChannelLeftBridge, StasisEnd, as in Asterisk);
 * a channel moved to another application stays bridged and the subscription moves with it.
 */

import type { Core } from '../core/core.ts';
import type { Channel } from '../core/channel.ts';
import type { CoreMessage } from '../core/bus.ts';
import { takeReplacing } from '../core/async-goto.ts';
import type { AppOutcome, GotoTarget } from '../core/applications.ts';
import type { Logger } from '../shared/logger.ts';
import { AriadneError } from '../shared/errors.ts';
import type { AppRegistry, StasisApp } from './app-registry.ts';
import type { AppMessage, PlaybackEvent, RecordingEvent } from './messages.ts';

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
  /** Ends the channel's stay in the application; false when the exit was refused (a move to an unknown app). */
  #exit: ((exit: StasisExit) => boolean) | undefined;

  constructor(channel: Channel, app: string, exit: (exit: StasisExit) => boolean) {
    this.channel = channel;
    this.app = app;
    this.#exit = exit;
  }

  /** Sends the channel back to the dialplan (empty target = the next priority). */
  continueInDialplan(target: GotoTarget): void {
    if (this.#exit?.({ kind: 'continue', target })) this.#exit = undefined;
  }

  /** Moves the channel to another application; if that one is not registered the channel stays here. */
  move(app: string, args: readonly string[]): void {
    if (this.#exit?.({ kind: 'move', app, args })) this.#exit = undefined;
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
  /** Bridge subscriptions held because an application's channel is in that bridge, by channel id. */
  readonly #bridgeHolds = new Map<string, { readonly app: string; readonly bridgeId: string }>();
  /** Channels leaving their bridge because they are leaving their application. */
  readonly #leavingStasis = new Set<string>();

  constructor(options: { core: Core; apps: AppRegistry; logger: Logger }) {
    this.#core = options.core;
    this.#apps = options.apps;
    this.#logger = options.logger;
    this.#core.bus.subscribe((m) => this.#route(m));
    this.#core.apps.register({
      name: 'Stasis',
      synopsis: 'Hand the channel to a Stasis (ARI) application',
      execute: ({ channel, data, inDialplan }) => this.exec(channel, data, inDialplan),
    });
  }

  /**
   * `Stasis(app[,args...])` as app_stasis runs it: STASISSTATUS is cleared, the channel stays in the
   * application until it leaves, then STASISSTATUS is SUCCESS (FAILED when the application is not registered,
   * and the dialplan goes on). `continue` sends a dialplan channel to its target (no target: the next
   * priority); a channel without a dialplan of its own (originated straight into the application, or created)
   * runs the dialplan at its target here, inside the application, and STASISSTATUS is set when that ends.
   */
  async exec(channel: Channel, data: string, inDialplan: boolean): Promise<AppOutcome> {
    const [app = '', ...args] = splitStasisArgs(data);
    channel.setVariable('STASISSTATUS', '');
    return this.enter(channel, app.trim(), args, inDialplan);
  }

  /**
   * The part of `Stasis()` after its arguments are read (STASISSTATUS already cleared): runs the channel in
   * `app`, then sets STASISSTATUS and returns what the dialplan does next. `StasisBroadcast()` uses it for the
   * application that claimed the channel.
   */
  async enter(channel: Channel, app: string, args: readonly string[], inDialplan: boolean): Promise<AppOutcome> {
    const exit = await this.run(channel, app, args);
    if (!exit) {
      channel.setVariable('STASISSTATUS', 'FAILED');
      return channel.hangupRequested ? { hangup: true } : undefined;
    }
    let outcome: AppOutcome = undefined;
    if (exit.kind === 'continue') {
      const t = exit.target;
      const hasTarget = t.context !== undefined || t.exten !== undefined || t.priority !== undefined || t.label !== undefined;
      if (inDialplan) {
        if (hasTarget) outcome = { goto: t };
      } else if (!channel.hangupRequested && !channel.destroyed) {
        const loc = channel.location;
        const context = t.context ?? loc.context;
        const exten = t.exten ?? loc.exten;
        const priority = t.label !== undefined ? this.#core.pbx.findLabel(context, exten, t.label) : t.priority;
        channel.setLocation({ context, exten, priority: priority ?? loc.priority });
        await this.#core.pbx.run(channel, { inline: true });
      }
    }
    channel.setVariable('STASISSTATUS', 'SUCCESS');
    return outcome;
  }

  get apps(): AppRegistry {
    return this.#apps;
  }

  /**
   * Runs a channel in application `app` until it leaves (hangup or continue; a move goes on in the next
   * application); returns how it left, or undefined when the application is not registered.
   */
  async run(channel: Channel, appName: string, args: readonly string[]): Promise<StasisExit | undefined> {
    let name = appName;
    let appArgs = args;
    for (;;) {
      const app = this.#apps.get(name);
      if (!app) {
        this.#logger.warning(`${channel.name}: Stasis app '${name}' doesn't exist`);
        return undefined;
      }
      const exit = await this.#runOnce(channel, app, appArgs);
      if (exit.kind !== 'move') return exit;
      name = exit.app;
      appArgs = exit.args;
    }
  }

  async #runOnce(channel: Channel, app: StasisApp, args: readonly string[]): Promise<StasisExit> {
    this.subscribe(app.name, 'channels', channel.id);
    channel.setStasisApp(app.name);
    // Moved here from another application while bridged: the bridge subscription follows the channel.
    if (channel.bridgeId) this.#holdBridge(channel.id, app.name, channel.bridgeId);
    const exit = await new Promise<StasisExit>((resolve) => {
      const control = new StasisControl(channel, app.name, (e) => {
        if (e.kind === 'move' && !this.#apps.get(e.app)) {
          // Moving to an application that is not registered fails; the channel stays (no StasisEnd).
          this.#logger.error(`Could not move to Stasis app '${e.app}' - not registered`);
          this.#apps.publish({ type: 'ApplicationMoveFailed', application: app.name, timestamp: this.#core.now(), channel: channel.snapshot(), destination: e.app, args: e.args });
          return false;
        }
        resolve(e);
        return true;
      });
      channel.attachments.set(CONTROL, control);
      // A channel standing in for another (a blind transfer's Local half) says which one, as Asterisk does.
      const replaceChannel = takeReplacing(channel);
      this.#apps.publish({ type: 'StasisStart', application: app.name, timestamp: this.#core.now(), args: [...args], channel: channel.snapshot(), ...(replaceChannel ? { replaceChannel } : {}) });
      if (channel.hangupSignal.aborted) resolve({ kind: 'hangup' });
      else channel.hangupSignal.addEventListener('abort', () => resolve({ kind: 'hangup' }), { once: true });
    });
    channel.attachments.delete(CONTROL);
    // Let queued REST operations on the channel finish before it leaves.
    await channel.control(() => undefined);
    // Leaving the application means leaving the bridge, before StasisEnd; a move keeps the channel bridged.
    const bridge = exit.kind !== 'move' && channel.bridgeId ? this.#core.bridges.get(channel.bridgeId) : undefined;
    if (bridge) {
      this.#leavingStasis.add(channel.id);
      try {
        bridge.remove(channel);
      } finally {
        this.#leavingStasis.delete(channel.id);
      }
    }
    this.#apps.publish({ type: 'StasisEnd', application: app.name, timestamp: this.#core.now(), channel: channel.snapshot() });
    this.unsubscribe(app.name, 'channels', channel.id);
    channel.setStasisApp(undefined);
    return exit;
  }

  /** Subscribes `app` to the bridge its channel is in (taking over a hold another application had). */
  #holdBridge(channelId: string, app: string, bridgeId: string): void {
    const held = this.#bridgeHolds.get(channelId);
    if (held?.app === app && held.bridgeId === bridgeId) return;
    if (held) this.unsubscribe(held.app, 'bridges', held.bridgeId);
    this.#bridgeHolds.delete(channelId);
    if (!this.#apps.get(app)) return;
    this.subscribe(app, 'bridges', bridgeId);
    this.#bridgeHolds.set(channelId, { app, bridgeId });
  }

  /** A channel left `bridgeId`: its application stops hearing about the bridge unless it keeps it (see top). */
  #releaseBridge(channelId: string, bridgeId: string): void {
    const held = this.#bridgeHolds.get(channelId);
    if (!held || held.bridgeId !== bridgeId) return;
    this.#bridgeHolds.delete(channelId);
    const keep = this.#leavingStasis.has(channelId) || this.#core.bridges.get(bridgeId)?.destroyed === true;
    if (!keep) this.unsubscribe(held.app, 'bridges', bridgeId);
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

  /**
   * Media events (playbacks, recordings) do not travel on the core bus: their service publishes them here,
   * about a target channel or bridge, and they reach the applications subscribed to it as the bus's do.
   */
  publishAbout(
    target: { readonly channelId?: string; readonly bridgeId?: string },
    message: Omit<PlaybackEvent, 'application'> | Omit<RecordingEvent, 'application'>,
    /** Applications that heard the start and must hear the end although the channel has left them (hangup). */
    alsoTo: Iterable<string> = [],
  ): string[] {
    const channels = target.channelId !== undefined ? [target.channelId] : [];
    const bridges = target.bridgeId !== undefined ? [target.bridgeId] : [];
    const names = new Set(this.#targets(channels, bridges).map((a) => a.name));
    for (const name of alsoTo) if (this.#apps.get(name)) names.add(name);
    for (const name of names) this.#apps.publish({ ...message, application: name });
    return [...names];
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
      case 'BridgeVideoSourceChanged':
        channels = [];
        bridges = [m.bridge.id];
        break;
      case 'ChannelEnteredBridge':
        // The application hears about the bridge from the moment its channel enters it.
        if (m.channel.stasisApp) this.#holdBridge(m.channel.id, m.channel.stasisApp, m.bridge.id);
        channels = [m.channel.id];
        bridges = [m.bridge.id];
        break;
      case 'ChannelLeftBridge':
        channels = [m.channel.id];
        bridges = [m.bridge.id];
        break;
      case 'ChannelVarset':
        channels = m.channel ? [m.channel.id] : [];
        break;
      // Transfers reach the applications watching any party or bridge involved.
      case 'BridgeBlindTransfer':
        channels = [m.channel.id, ...(m.transferee ? [m.transferee.id] : [])];
        bridges = m.bridge ? [m.bridge.id] : [];
        break;
      case 'BridgeAttendedTransfer':
        channels = [m.firstLeg.id, m.secondLeg.id, ...(m.transferee ? [m.transferee.id] : []), ...(m.target ? [m.target.id] : [])];
        bridges = [...(m.firstLegBridge ? [m.firstLegBridge.id] : []), ...(m.secondLegBridge ? [m.secondLegBridge.id] : [])];
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
    if (m.type === 'ChannelLeftBridge') this.#releaseBridge(m.channel.id, m.bridge.id);
    // A destroyed channel or bridge leaves every subscription behind.
    if (m.type === 'ChannelDestroyed') {
      this.#apps.forgetChannel(m.channel.id);
      this.#bridgeHolds.delete(m.channel.id);
    }
    if (m.type === 'BridgeDestroyed') for (const app of this.#apps.list()) app.subscriptions.bridges.delete(m.bridge.id);
  }
}
