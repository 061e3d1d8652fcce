/**
 * A channel: one leg of a call, with Asterisk's model — unique id, name `Tech/resource-<8 hex>`, state,
 * caller and connected line, dialplan location, variables and hangup cause.
 *
 * Every change publishes a message with a fresh immutable snapshot on the core bus. Work on a channel from
 * different sources (REST, dialplan, driver) goes through `control`, one ordered queue per channel, so that it
 * never interleaves. Whoever runs the channel (the PBX loop, an originate, a Stasis application) watches
 * `hangupSignal`, which aborts when a hangup is requested, and finally calls `hangup()`. An asynchronous goto
 * (core/async-goto.ts) aborts the same signal without a hangup request; the runner then takes the goto.
 */

import type { Bus } from './bus.ts';
import { causeToText } from './causes.ts';
import type { ChannelDriver, ChannelFrame, ChannelTech } from './driver.ts';

export type ChannelState =
  | 'Down'
  | 'Rsrvd'
  | 'OffHook'
  | 'Dialing'
  | 'Ring'
  | 'Ringing'
  | 'Up'
  | 'Busy'
  | 'Dialing Offhook'
  | 'Pre-ring'
  | 'Unknown';

export interface CallerId {
  readonly name: string;
  readonly number: string;
}

export interface DialplanLocation {
  readonly context: string;
  readonly exten: string;
  readonly priority: number;
  readonly appName: string;
  readonly appData: string;
}

export interface ChannelSnapshot {
  readonly id: string;
  readonly name: string;
  readonly tech: string;
  readonly state: ChannelState;
  readonly protocolId: string;
  readonly caller: CallerId;
  readonly connected: CallerId;
  readonly accountcode: string;
  readonly dialplan: DialplanLocation;
  /** Epoch milliseconds. */
  readonly creationtime: number;
  readonly language: string;
  readonly tenantid: string;
  readonly callerRdnis: string;
  /** Values of the variables ari.conf's `channelvars` names (only when configured). */
  readonly channelvars?: Readonly<Record<string, string>>;
  /** Bridge the channel is in, if any. */
  readonly bridgeId?: string;
  /** Stasis application the channel is in, if any. */
  readonly stasisApp?: string;
  readonly hangupCause: number;
}

/** What a channel needs from the core around it. */
export interface ChannelEnv {
  readonly bus: Bus;
  now(): number;
  /** Variables to report in snapshots (`channelvars`). */
  reportedVariables(): readonly string[];
  /**
   * Reads a reported name that is not a plain variable, such as a dialplan function (`CALLERID(num)`); the
   * dialplan installs this, core cannot evaluate functions itself.
   */
  readReported?(channel: Channel, name: string): string | undefined;
  /** Called once when the channel is destroyed. */
  onDestroyed(channel: Channel): void;
}

export interface ChannelInit {
  readonly id: string;
  readonly name: string;
  readonly tech: ChannelTech;
  readonly state?: ChannelState;
  readonly caller?: CallerId;
  readonly connected?: CallerId;
  readonly context?: string;
  readonly exten?: string;
  readonly priority?: number;
  readonly language?: string;
  readonly accountcode?: string;
  readonly tenantid?: string;
  readonly protocolId?: string;
}

const EMPTY_CALLER: CallerId = Object.freeze({ name: '', number: '' });
/** The hangup signal's abort reason: a plain value, because `abort()` without one builds a DOMException with a stack trace on every hangup. */
const HANGUP_REASON = 'hangup';
/** The abort reason of an asynchronous goto (the runner continues elsewhere rather than hanging up). */
const GOTO_REASON = 'goto';

export class Channel {
  readonly id: string;
  readonly name: string;
  readonly tech: ChannelTech;
  readonly creationtime: number;
  readonly #env: ChannelEnv;
  #state: ChannelState;
  #caller: CallerId;
  #connected: CallerId;
  #location: DialplanLocation;
  #language: string;
  #accountcode: string;
  #tenantid: string;
  #protocolId: string;
  #callerRdnis = '';
  readonly #vars = new Map<string, string>();
  /** Variables reported on this channel's snapshots besides ari.conf's `channelvars` (`report_events`). */
  readonly #reportedHere = new Set<string>();
  #snapshot: ChannelSnapshot | undefined;
  #hangupCause = 0;
  #techCause = 0;
  #hangupRequested = false;
  #destroyed = false;
  #hangup = new AbortController();
  /** Where an asynchronous goto sends the channel once its runner has noticed (see `interruptForGoto`). */
  #gotoTarget: { readonly context: string; readonly exten: string; readonly priority: number } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #frameListeners = new Set<(frame: ChannelFrame) => void>();
  #bridgeId: string | undefined;
  #stasisApp: string | undefined;
  /** Free slot for the layer that runs the channel (Stasis control, PBX state). */
  readonly attachments = new Map<string, unknown>();

  constructor(init: ChannelInit, env: ChannelEnv) {
    this.id = init.id;
    this.name = init.name;
    this.tech = init.tech;
    this.#env = env;
    this.creationtime = env.now();
    this.#state = init.state ?? 'Down';
    this.#caller = init.caller ?? EMPTY_CALLER;
    this.#connected = init.connected ?? EMPTY_CALLER;
    this.#location = {
      context: init.context ?? 'default',
      exten: init.exten ?? 's',
      priority: init.priority ?? 1,
      appName: '',
      appData: '',
    };
    this.#language = init.language ?? 'en';
    this.#accountcode = init.accountcode ?? '';
    this.#tenantid = init.tenantid ?? '';
    this.#protocolId = init.protocolId ?? '';
  }

  get driver(): ChannelDriver {
    return this.tech.driver;
  }
  get state(): ChannelState {
    return this.#state;
  }
  get caller(): CallerId {
    return this.#caller;
  }
  get connected(): CallerId {
    return this.#connected;
  }
  get location(): DialplanLocation {
    return this.#location;
  }
  get language(): string {
    return this.#language;
  }
  get accountcode(): string {
    return this.#accountcode;
  }
  get hangupCause(): number {
    return this.#hangupCause;
  }
  /** The technology's own cause for the hangup (a SIP status for PJSIP), 0 when it gave none. */
  get techCause(): number {
    return this.#techCause;
  }
  get hangupRequested(): boolean {
    return this.#hangupRequested;
  }
  get destroyed(): boolean {
    return this.#destroyed;
  }
  /** Aborts when a hangup has been requested; runners stop what they do. */
  get hangupSignal(): AbortSignal {
    return this.#hangup.signal;
  }
  get bridgeId(): string | undefined {
    return this.#bridgeId;
  }
  get stasisApp(): string | undefined {
    return this.#stasisApp;
  }

  /** The current immutable snapshot (cached until the next change). */
  snapshot(): ChannelSnapshot {
    if (this.#snapshot) return this.#snapshot;
    const global = this.#env.reportedVariables();
    const reported = this.#reportedHere.size ? [...new Set([...global, ...this.#reportedHere])] : global;
    let channelvars: Record<string, string> | undefined;
    if (reported.length) {
      channelvars = {};
      for (const v of reported) channelvars[v] = this.#vars.get(v) ?? (v.includes('(') ? this.#env.readReported?.(this, v) : undefined) ?? '';
      Object.freeze(channelvars);
    }
    const snap: ChannelSnapshot = {
      id: this.id,
      name: this.name,
      tech: this.tech.name,
      state: this.#state,
      protocolId: this.#protocolId,
      caller: this.#caller,
      connected: this.#connected,
      accountcode: this.#accountcode,
      dialplan: this.#location,
      creationtime: this.creationtime,
      language: this.#language,
      tenantid: this.#tenantid,
      callerRdnis: this.#callerRdnis,
      hangupCause: this.#hangupCause,
      ...(channelvars ? { channelvars } : {}),
      ...(this.#bridgeId !== undefined ? { bridgeId: this.#bridgeId } : {}),
      ...(this.#stasisApp !== undefined ? { stasisApp: this.#stasisApp } : {}),
    };
    this.#snapshot = Object.freeze(snap);
    return this.#snapshot;
  }

  #changed(): void {
    this.#snapshot = undefined;
  }

  #publish(message: Parameters<Bus['publish']>[0]): void {
    this.#env.bus.publish(message);
  }

  /**
   * Runs `fn` after everything queued before it on this channel: REST operations, dialplan steps and driver
   * events never interleave.
   */
  control<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  setState(state: ChannelState): void {
    if (this.#state === state || this.#destroyed) return;
    this.#state = state;
    this.#changed();
    this.#publish({ type: 'ChannelStateChange', timestamp: this.#env.now(), channel: this.snapshot() });
  }

  /** Moves the dialplan location (context, exten, priority) without an event. */
  setLocation(loc: Partial<DialplanLocation>): void {
    this.#location = { ...this.#location, ...loc };
    this.#changed();
  }

  /** Records that the channel now runs `app(data)` and publishes ChannelDialplan. */
  enterApp(app: string, data: string, loc?: { context: string; exten: string; priority: number }): void {
    this.#location = { ...this.#location, ...(loc ?? {}), appName: app, appData: data };
    this.#changed();
    this.#publish({ type: 'ChannelDialplan', timestamp: this.#env.now(), channel: this.snapshot(), app, appData: data });
  }

  /** Sets the current application without an event (`AppDial2`, `Stasis` for originated channels). */
  setApp(app: string, data: string): void {
    this.#location = { ...this.#location, appName: app, appData: data };
    this.#changed();
  }

  /** Reports `name` on this channel's snapshots (`channelvars`) from now on (`report_events`). */
  reportVariable(name: string): void {
    if (this.#reportedHere.has(name)) return;
    this.#reportedHere.add(name);
    this.#changed();
  }

  getVariable(name: string): string | undefined {
    return this.#vars.get(name);
  }

  variables(): ReadonlyMap<string, string> {
    return this.#vars;
  }

  setVariable(name: string, value: string): void {
    this.#vars.set(name, value);
    if (this.#reportedHere.has(name) || this.#env.reportedVariables().includes(name)) this.#changed();
    this.#publish({ type: 'ChannelVarset', timestamp: this.#env.now(), channel: this.snapshot(), variable: name, value });
  }

  /** Removes a variable (`Set(X=)` keeps it empty in Asterisk; this is for internal bookkeeping). */
  deleteVariable(name: string): void {
    this.#vars.delete(name);
  }

  setCaller(caller: Partial<CallerId>, options: { publish?: boolean } = {}): void {
    this.#caller = Object.freeze({ ...this.#caller, ...caller });
    this.#changed();
    if (options.publish !== false) {
      this.#publish({ type: 'ChannelCallerId', timestamp: this.#env.now(), channel: this.snapshot(), callerPresentation: 0, callerPresentationText: 'Presentation Allowed, Not Screened' });
    }
  }

  setConnected(connected: Partial<CallerId>, options: { publish?: boolean } = {}): void {
    this.#connected = Object.freeze({ ...this.#connected, ...connected });
    this.#changed();
    if (options.publish !== false) this.#publish({ type: 'ChannelConnectedLine', timestamp: this.#env.now(), channel: this.snapshot() });
  }

  setLanguage(language: string): void {
    this.#language = language;
    this.#changed();
  }

  setAccountcode(code: string): void {
    this.#accountcode = code;
    this.#changed();
  }

  setBridge(bridgeId: string | undefined): void {
    this.#bridgeId = bridgeId;
    this.#changed();
  }

  setStasisApp(app: string | undefined): void {
    this.#stasisApp = app;
    this.#changed();
  }

  setHangupCause(cause: number): void {
    this.#hangupCause = cause;
    this.#changed();
  }

  /**
   * Records the driver's own cause for the hangup (PJSIP: the SIP status that ended the call). Core does not
   * interpret it; it rides along on ChannelHangupRequest and ChannelDestroyed as `tech_cause`.
   */
  setTechCause(cause: number): void {
    this.#techCause = cause;
  }

  /** `techCause` for hangup messages: only when the driver gave one. */
  #techCauseField(): { techCause?: number } {
    return this.#techCause ? { techCause: this.#techCause } : {};
  }

  /**
   * Asks whoever runs the channel to hang it up. `eventCause` is what ChannelHangupRequest reports (Asterisk
   * reports the soft-hangup flags for ARI hangups); `cause`, when given, becomes the channel's hangup cause.
   */
  requestHangup(options: { cause?: number; soft: boolean; eventCause?: number }): void {
    if (this.#destroyed) return;
    if (options.cause !== undefined) this.setHangupCause(options.cause);
    this.#hangupRequested = true;
    this.#publish({
      type: 'ChannelHangupRequest',
      timestamp: this.#env.now(),
      channel: this.snapshot(),
      cause: options.eventCause ?? this.#hangupCause,
      soft: options.soft,
      ...this.#techCauseField(),
    });
    if (!this.#hangup.signal.aborted) this.#hangup.abort(HANGUP_REASON);
  }

  /** True while an asynchronous goto waits for the channel's runner to take it. */
  get gotoPending(): boolean {
    return this.#gotoTarget !== undefined;
  }

  /**
   * Asterisk's async goto (AST_SOFTHANGUP_ASYNCGOTO): aborts `hangupSignal` without requesting a hangup, so
   * whatever application runs the channel returns as if it were hung up; its runner then calls `takeGoto()`
   * and continues at `target` instead of hanging up. False when the channel is already going away.
   */
  interruptForGoto(target: { readonly context: string; readonly exten: string; readonly priority: number }): boolean {
    if (this.#destroyed || this.#hangupRequested) return false;
    this.#gotoTarget = target;
    if (!this.#hangup.signal.aborted) this.#hangup.abort(GOTO_REASON);
    return true;
  }

  /**
   * The pending goto target, taken: the signal is armed again for what runs next. Undefined when there is none
   * or when a real hangup came meanwhile (the signal then stays aborted).
   */
  takeGoto(): { readonly context: string; readonly exten: string; readonly priority: number } | undefined {
    const target = this.#gotoTarget;
    this.#gotoTarget = undefined;
    if (target === undefined || this.#destroyed || this.#hangupRequested) return undefined;
    if (this.#hangup.signal.aborted) this.#hangup = new AbortController();
    return target;
  }

  /** Publishes a hangup request event without aborting the runner (the PBX's own soft request at its end). */
  publishHangupRequest(cause: number, soft: boolean): void {
    if (this.#destroyed) return;
    this.#publish({ type: 'ChannelHangupRequest', timestamp: this.#env.now(), channel: this.snapshot(), cause, soft, ...this.#techCauseField() });
  }

  /** Listens to what the far side of this leg does; returns the unsubscribe function. */
  onFrame(listener: (frame: ChannelFrame) => void): () => void {
    this.#frameListeners.add(listener);
    return () => this.#frameListeners.delete(listener);
  }

  /**
   * Called by drivers: the far side answered, rang, hung up, sent a digit, put this leg on hold... Digits and
   * hold are published about this channel (ChannelDtmfReceived, ChannelHold/ChannelUnhold) as Asterisk does
   * for what a channel receives.
   */
  deliverFrame(frame: ChannelFrame): void {
    if (this.#destroyed) return;
    if (frame.type === 'dtmf') {
      this.#publish({ type: 'ChannelDtmfReceived', timestamp: this.#env.now(), channel: this.snapshot(), digit: frame.digit, durationMs: frame.durationMs });
    } else if (frame.type === 'hold') {
      this.#publish({ type: 'ChannelHold', timestamp: this.#env.now(), channel: this.snapshot(), ...(frame.musicclass ? { musicclass: frame.musicclass } : {}) });
    } else if (frame.type === 'unhold') {
      this.#publish({ type: 'ChannelUnhold', timestamp: this.#env.now(), channel: this.snapshot() });
    }
    for (const l of [...this.#frameListeners]) l(frame);
  }

  /** Publishes a message about this channel (DTMF, hold, user events) with its current snapshot. */
  publish(message: Parameters<Bus['publish']>[0]): void {
    if (!this.#destroyed) this.#publish(message);
  }

  /**
   * Hangs the channel up for good: the driver tears the leg down (a Local channel tells its other half), then
   * ChannelDestroyed is published. Runs once.
   */
  hangup(cause?: number): void {
    if (this.#destroyed) return;
    if (cause !== undefined && this.#hangupCause === 0) this.setHangupCause(cause);
    this.#destroyed = true;
    if (!this.#hangup.signal.aborted) this.#hangup.abort(HANGUP_REASON);
    try {
      this.tech.driver.hangup(this);
    } finally {
      const snap = this.snapshot();
      this.#env.bus.publish({
        type: 'ChannelDestroyed',
        timestamp: this.#env.now(),
        channel: snap,
        cause: this.#hangupCause,
        causeText: causeToText(this.#hangupCause),
        ...this.#techCauseField(),
      });
      this.#env.onDestroyed(this);
    }
  }
}
