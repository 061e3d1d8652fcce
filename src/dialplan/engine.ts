/**
 * The PBX loop: runs a channel through extensions.conf. For each step it finds the priority (through
 * includes, in Asterisk's match order), substitutes `${...}` and `$[...]` in the arguments, publishes
 * ChannelDialplan and runs the application; the application's outcome decides the next step (next priority,
 * a jump, or the end). When the dialplan ends the channel is hung up.
 *
 * Runaway dialplans never hang the server: the loop yields to the event loop regularly, and a channel that
 * executes more than `MAX_STEPS_WITHOUT_WAIT` steps without any application waiting is hung up with a log line
 * naming the place.
 */

import type { Core, PbxPort } from '../core/core.ts';
import type { Channel } from '../core/channel.ts';
import type { AppOutcome, GotoTarget } from '../core/applications.ts';
import { CAUSE } from '../core/causes.ts';
import { markPbx } from '../core/async-goto.ts';
import type { Logger } from '../shared/logger.ts';
import type { Dialplan } from './model.ts';
import { existsExtension, findContext, findLabel, findPriorityLocation } from './lookup.ts';
import { substitute, type SubstitutionScope } from './substitute.ts';
import type { FunctionRegistry } from './functions/registry.ts';
import { channelScope, type ScopeServices } from './scope.ts';

/** Steps a channel may run back to back without any application waiting before it is declared a loop. */
export const MAX_STEPS_WITHOUT_WAIT = 10_000;
/** A step that took at least this long counts as having waited. */
const WAITED_MS = 10;
/** The loop yields to the event loop after this many synchronous steps. */
const YIELD_EVERY = 64;

export interface EngineOptions {
  readonly core: Core;
  readonly logger: Logger;
  readonly functions: FunctionRegistry;
  readonly dialplan: Dialplan;
  readonly services?: Omit<ScopeServices, 'functions' | 'core'>;
}

export class DialplanEngine implements PbxPort {
  readonly #core: Core;
  readonly #logger: Logger;
  readonly #functions: FunctionRegistry;
  readonly #services: ScopeServices;
  #dialplan: Dialplan;

  constructor(options: EngineOptions) {
    this.#core = options.core;
    this.#logger = options.logger;
    this.#functions = options.functions;
    this.#dialplan = options.dialplan;
    this.#services = { ...options.services, functions: options.functions, core: options.core, logger: options.logger };
    options.core.setPbx(this);
  }

  get dialplan(): Dialplan {
    return this.#dialplan;
  }

  get functions(): FunctionRegistry {
    return this.#functions;
  }

  /** Replaces the dialplan (`dialplan reload`); running channels continue with the new one at their next step. */
  setDialplan(dialplan: Dialplan): void {
    this.#dialplan = dialplan;
  }

  exists(context: string, exten: string, priority: number, callerId?: string): boolean {
    return existsExtension(this.#dialplan, context, exten, priority, callerId ? { callerId } : {});
  }

  findLabel(context: string, exten: string, label: string): number | undefined {
    return findLabel(this.#dialplan, context, exten, label)?.priority.priority;
  }

  /** The substitution scope of a channel (also used by ARI to read `CALLERID(num)` and friends). */
  scope(channel: Channel): SubstitutionScope {
    return channelScope(channel, this.#services);
  }

  async run(channel: Channel, options: { readonly inline?: boolean } = {}): Promise<void> {
    const log = this.#logger;
    let steps = 0;
    let sinceWait = 0;
    markPbx(channel, true);
    try {
      for (;;) {
        // An asynchronous goto (ChannelRedirect, a transfer) interrupted the last step: continue where it says.
        const moved = channel.takeGoto();
        if (moved !== undefined) channel.setLocation(moved);
        if (channel.hangupRequested || channel.destroyed) break;
        const loc = channel.location;
        const callerId = channel.caller.number;
        const hit = findPriorityLocation(this.#dialplan, loc.context, loc.exten, loc.priority, callerId ? { callerId } : {});
        if (!hit) {
          if (this.#toInvalidHandler(channel)) continue;
          if (!findContext(this.#dialplan, loc.context)) {
            log.warning(`Channel '${channel.name}' sent to context '${loc.context}', which does not exist (exten ${loc.exten}, priority ${loc.priority}); hanging up`);
          } else if (this.exists(loc.context, loc.exten, 1, callerId) || loc.priority > 1) {
            log.verbose(2, `Auto fallthrough, channel '${channel.name}' status is '${channel.getVariable('DIALSTATUS') ?? 'UNKNOWN'}'`);
          } else {
            log.warning(`Channel '${channel.name}' sent to invalid extension: context,exten,priority=${loc.context},${loc.exten},${loc.priority}`);
          }
          break;
        }
        const step = hit.priority;
        const scope = this.scope(channel);
        const data = substitute(step.appData, scope);
        channel.enterApp(step.app, data);
        const app = this.#core.apps.get(step.app);
        if (!app) {
          log.warning(`No application '${step.app}' for extension (${loc.context}, ${loc.exten}, ${loc.priority}) [${step.file}:${step.line}]`);
          break;
        }
        log.verbose(3, `Executing [${loc.exten}@${loc.context}:${loc.priority}] ${step.app}("${channel.name}", "${data}") in new stack`);
        const started = Date.now();
        let outcome: AppOutcome;
        try {
          outcome = await app.execute({ channel, data, inDialplan: true });
        } catch (err) {
          log.error(`${step.app} failed on ${channel.name} at ${step.file}:${step.line}: ${(err as Error).message}`);
          break;
        }
        steps++;
        // An application that really waited (a Wait(), a call, an application) ends a run of busy steps.
        sinceWait = Date.now() - started >= WAITED_MS ? 0 : sinceWait + 1;
        if (sinceWait > MAX_STEPS_WITHOUT_WAIT) {
          log.error(
            `Channel '${channel.name}' ran ${MAX_STEPS_WITHOUT_WAIT} dialplan steps without waiting (a Goto loop?) at ${loc.context},${loc.exten},${loc.priority} [${step.file}:${step.line}]; hanging up`,
          );
          break;
        }
        if (steps % YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
        if (channel.gotoPending) continue;
        if (outcome && 'hangup' in outcome) break;
        if (channel.destroyed || channel.hangupRequested) break;
        if (outcome && 'goto' in outcome) {
          if (!this.#jump(channel, outcome.goto)) break;
        } else {
          channel.setLocation({ priority: channel.location.priority + 1 });
        }
      }
    } finally {
      markPbx(channel, false);
      if (!options.inline) this.#finish(channel);
    }
  }

  /** Moves the channel to a goto target; false (and a log line) when a label does not exist. */
  #jump(channel: Channel, target: GotoTarget): boolean {
    const loc = channel.location;
    const context = target.context ?? loc.context;
    const exten = target.exten ?? loc.exten;
    let priority = target.priority;
    if (target.label !== undefined) {
      priority = this.findLabel(context, exten, target.label);
      if (priority === undefined) {
        this.#logger.warning(`Priority '${target.label}' must be a number > 0, or valid label (${context},${exten}) on ${channel.name}`);
        return false;
      }
    }
    channel.setLocation({ context, exten, priority: priority ?? 1 });
    return true;
  }

  /** An unknown extension goes to `i` in the same context when there is one, as Asterisk does. */
  #toInvalidHandler(channel: Channel): boolean {
    const loc = channel.location;
    if (loc.exten === 'i' || loc.priority !== 1) return false;
    if (!this.exists(loc.context, 'i', 1)) return false;
    channel.setVariable('INVALID_EXTEN', loc.exten);
    channel.setLocation({ exten: 'i', priority: 1 });
    return true;
  }

  #finish(channel: Channel): void {
    if (channel.destroyed) return;
    channel.publishHangupRequest(CAUSE.NORMAL_CLEARING, true);
    channel.setApp('', '');
    channel.hangup(channel.hangupCause || CAUSE.NORMAL_CLEARING);
  }
}
