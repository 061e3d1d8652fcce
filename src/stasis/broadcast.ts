/**
 * `StasisBroadcast([timeout[,app_filter[,args[,notify_claimed]]]])`: a channel is offered to every registered
 * Stasis application (or those whose name matches `app_filter`) with a `CallBroadcast` event; the first
 * application to `POST /events/claim` it gets it, and the channel enters that application exactly as
 * `Stasis(<winner>,<args>)` would put it there.
 *
 * Arguments, as Asterisk 22 reads them:
 * - `timeout`: milliseconds to wait for a claim, 0–60000, default 500. A value that does not start with an
 *   integer or is out of range is logged and replaced by the default.
 * - `app_filter`: a regular expression an application name must match (anywhere in the name) to be offered
 *   the call. Commas cannot appear in it (they separate arguments). A pattern that is too long or looks
 *   expensive (deep nesting, many quantified groups, large `{m,n}` bounds, many alternatives in deep groups),
 *   or does not compile, is logged and ignored: the call is then offered to everybody.
 * - `args`: colon-separated arguments for the winner's StasisStart.
 * - `notify_claimed`: when true (`yes`, `true`, `on`, `1`, ...), every application that was offered the call
 *   gets `CallClaimed` (with the winner's name) when someone claims it. Off by default.
 *
 * STASISSTATUS is cleared first, then ends as SUCCESS (claimed, and the stay in the application went
 * normally), FAILED (claimed, but the channel could not enter the application), or TIMEOUT (no claim in time,
 * or the caller hung up while waiting); on TIMEOUT the dialplan goes on at the next priority.
 *
 * Claims (`claim()`): the first claim wins; while the winner has the channel, and until StasisBroadcast
 * returns, further claims are conflicts (409); a channel that is not being offered (never, or no longer:
 * the wait ended without a claim) is not found (404). Offers go out in random order, so that no application is
 * always the first to hear. A new `StasisBroadcast()` on the same channel replaces an earlier offer.
 *
 * Where this differs from Asterisk on purpose: a claim on behalf of an application that is not registered is
 * refused (404 `Application not found`) instead of being accepted and then failing the call with
 * STASISSTATUS=FAILED; and the wait reacts to a claim or a hangup at once instead of polling.
 */

import type { Core } from '../core/core.ts';
import type { Channel } from '../core/channel.ts';
import type { AppOutcome } from '../core/applications.ts';
import type { Logger } from '../shared/logger.ts';
import type { AppRegistry } from './app-registry.ts';
import { splitStasisArgs, type Stasis } from './stasis.ts';
import { compilePosixRegex } from '../shared/posix-regex.ts';

export const DEFAULT_BROADCAST_TIMEOUT_MS = 500;
export const MAX_BROADCAST_TIMEOUT_MS = 60_000;
/** At most this many `args` reach the winner. */
export const MAX_BROADCAST_ARGS = 128;

/** Limits a filter pattern must stay within to be used. */
export const FILTER_LIMITS = Object.freeze({
  maxLength: 256,
  maxGroupDepth: 10,
  maxQuantifiedGroups: 3,
  maxBound: 100,
  /** Alternatives allowed in one group that is nested deeper than `alternationDepth`. */
  maxAlternatives: 20,
  alternationDepth: 2,
});

export interface BroadcastOptions {
  readonly timeoutMs: number;
  /** Undefined: every application is offered the call. */
  readonly filter: RegExp | undefined;
  readonly args: readonly string[];
  readonly notifyClaimed: boolean;
}

/** Asterisk's notion of a true option value. */
function isTrue(value: string): boolean {
  return /^(yes|true|y|t|1|on)$/i.test(value.trim());
}

/**
 * Whether a filter pattern is within `FILTER_LIMITS`; returns the reason when it is not. The check is a
 * heuristic against patterns that could take long to match, not a full parser: bracket expressions are
 * skipped, an escaped character never counts.
 */
export function checkFilterPattern(pattern: string): string | undefined {
  const L = FILTER_LIMITS;
  if (pattern.length > L.maxLength) return `longer than ${L.maxLength} characters`;
  let depth = 0;
  let quantifiedGroups = 0;
  const alternatives: number[] = [0];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '[') {
      // Skip the bracket expression; a `]` right after `[` or `[^` belongs to it.
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    const afterGroup = i > 0 && pattern[i - 1] === ')';
    if (c === '(') {
      depth++;
      if (depth > L.maxGroupDepth) return `groups nested deeper than ${L.maxGroupDepth}`;
      alternatives[depth] = 0;
    } else if (c === ')') {
      if (depth > 0) depth--;
    } else if (c === '*' || c === '+' || c === '?') {
      if (afterGroup) quantifiedGroups++;
    } else if (c === '{') {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(pattern.slice(i));
      if (m) {
        const low = Number(m[1]);
        const high = m[3] ? Number(m[3]) : undefined;
        if (low > L.maxBound || (high !== undefined && high > L.maxBound)) return `a repetition bound above ${L.maxBound}`;
        if (afterGroup) quantifiedGroups++;
        i += m[0].length;
        continue;
      }
      if (/^\{\d{4,}/.test(pattern.slice(i))) return `a repetition bound above ${L.maxBound}`;
    } else if (c === '|' && depth > 0) {
      alternatives[depth] = (alternatives[depth] ?? 0) + 1;
      if (depth > L.alternationDepth && (alternatives[depth] ?? 0) > L.maxAlternatives) {
        return `more than ${L.maxAlternatives} alternatives in a group nested ${depth} deep`;
      }
    }
    i++;
  }
  if (quantifiedGroups > L.maxQuantifiedGroups) return `more than ${L.maxQuantifiedGroups} repeated groups`;
  return undefined;
}



/**
 * Compiles an application filter (a POSIX extended regular expression). Returns the reason instead when the
 * pattern is refused (`checkFilterPattern`) or does not compile.
 */
export function compileFilter(pattern: string): { regex: RegExp } | { error: string } {
  const refused = checkFilterPattern(pattern);
  if (refused) return { error: `rejected as potentially expensive (${refused})` };
  try {
    return { regex: compilePosixRegex(pattern).regex };
  } catch (err) {
    return { error: `does not compile (${(err as Error).message})` };
  }
}

/**
 * Reads `StasisBroadcast()`'s arguments. `warn` hears about a bad timeout or filter (both fall back to the
 * default behaviour).
 *
 * @example
 * const o = parseBroadcastArgs('2000,^ivr-,sales:priority-high,yes');
 * // o.timeoutMs === 2000, o.filter matches 'ivr-1', o.args = ['sales', 'priority-high'], o.notifyClaimed
 */
export function parseBroadcastArgs(data: string, warn: (message: string) => void = () => undefined): BroadcastOptions {
  const [timeout = '', filter = '', args = '', notify = ''] = data === '' ? [] : splitStasisArgs(data);
  let timeoutMs = DEFAULT_BROADCAST_TIMEOUT_MS;
  if (timeout.trim() !== '') {
    const m = /^\s*([+-]?\d+)/.exec(timeout);
    const n = m ? Number(m[1]) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > MAX_BROADCAST_TIMEOUT_MS) {
      warn(`invalid timeout '${timeout}' (0-${MAX_BROADCAST_TIMEOUT_MS} ms), using ${DEFAULT_BROADCAST_TIMEOUT_MS} ms`);
    } else timeoutMs = n;
  }
  let regex: RegExp | undefined;
  if (filter !== '') {
    const compiled = compileFilter(filter);
    if ('regex' in compiled) regex = compiled.regex;
    else warn(`application filter '${filter}' ${compiled.error}; offering the call to every application`);
  }
  return {
    timeoutMs,
    filter: regex,
    args: args === '' ? [] : args.split(':').slice(0, MAX_BROADCAST_ARGS),
    notifyClaimed: notify !== '' && isTrue(notify),
  };
}

/** What a claim came to. */
export type ClaimResult = 'claimed' | 'not-found' | 'conflict' | 'no-application';

interface Offer {
  readonly channel: Channel;
  readonly filter: RegExp | undefined;
  readonly notifyClaimed: boolean;
  winner: string | undefined;
  /** The wait is over: no new winner can be chosen. */
  finished: boolean;
  wake: (() => void) | undefined;
}

export interface StasisBroadcastOptions {
  readonly core: Core;
  readonly apps: AppRegistry;
  readonly stasis: Stasis;
  readonly logger: Logger;
  /** Random numbers in [0, 1) for the delivery order (tests). */
  readonly random?: () => number;
}

export class StasisBroadcast {
  readonly #core: Core;
  readonly #apps: AppRegistry;
  readonly #stasis: Stasis;
  readonly #log: Logger;
  readonly #random: () => number;
  /** Channels on offer (and those a winner holds until StasisBroadcast returns), by channel id. */
  readonly #offers = new Map<string, Offer>();
  readonly #unregister: () => void;

  constructor(options: StasisBroadcastOptions) {
    this.#core = options.core;
    this.#apps = options.apps;
    this.#stasis = options.stasis;
    this.#log = options.logger;
    this.#random = options.random ?? Math.random;
    this.#unregister = this.#core.apps.register({
      name: 'StasisBroadcast',
      synopsis: 'Offer the channel to Stasis applications; the first to claim it gets it',
      execute: ({ channel, data, inDialplan }) => this.exec(channel, data, inDialplan),
    });
  }

  /** Removes the dialplan application. */
  close(): void {
    this.#unregister();
  }

  /** Ids of the channels currently on offer or held by a winner. */
  offered(): string[] {
    return [...this.#offers.keys()];
  }

  async exec(channel: Channel, data: string, inDialplan: boolean): Promise<AppOutcome> {
    channel.setVariable('STASISSTATUS', '');
    const options = parseBroadcastArgs(data, (m) => this.#log.warning(`${channel.name}: StasisBroadcast: ${m}`));
    const offer: Offer = { channel, filter: options.filter, notifyClaimed: options.notifyClaimed, winner: undefined, finished: false, wake: undefined };
    this.#offers.set(channel.id, offer);
    try {
      this.#offer(offer);
      await this.#wait(offer, options.timeoutMs);
      offer.finished = true;
      const winner = offer.winner;
      if (winner !== undefined) {
        this.#log.verbose(3, `${channel.name}: claimed by ${winner}, entering Stasis`);
        // The offer stays until the stay in the application ends, so late claims are conflicts, not 404s.
        return await this.#stasis.enter(channel, winner, options.args, inDialplan);
      }
    } finally {
      if (this.#offers.get(channel.id) === offer) this.#offers.delete(channel.id);
    }
    this.#log.warning(`Channel ${channel.name}: not claimed within ${options.timeoutMs}ms timeout`);
    if (!channel.destroyed) channel.setVariable('STASISSTATUS', 'TIMEOUT');
    return undefined;
  }

  /**
   * An application claims a channel on offer. The first claim wins and the channel enters that application;
   * `conflict` when someone won already, `not-found` when the channel is not on offer, `no-application` when
   * `app` is not registered.
   */
  claim(channelId: string, app: string): ClaimResult {
    const offer = this.#offers.get(channelId);
    if (!offer) return 'not-found';
    if (offer.winner !== undefined) return 'conflict';
    if (offer.finished) return 'not-found';
    if (!this.#apps.get(app)) return 'no-application';
    offer.winner = app;
    this.#log.verbose(3, `Channel ${channelId} claimed by application ${app}`);
    if (offer.notifyClaimed) {
      const timestamp = this.#core.now();
      const channel = offer.channel.snapshot();
      for (const a of this.#apps.list()) {
        if (offer.filter && !offer.filter.test(a.name)) continue;
        this.#apps.publish({ type: 'CallClaimed', application: a.name, timestamp, channel, winnerApp: app });
      }
    }
    offer.wake?.();
    return 'claimed';
  }

  /** Sends CallBroadcast to the matching applications, in random order. */
  #offer(offer: Offer): void {
    const targets = this.#apps.list().filter((a) => !offer.filter || offer.filter.test(a.name));
    for (let i = targets.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [targets[i], targets[j]] = [targets[j] as (typeof targets)[number], targets[i] as (typeof targets)[number]];
    }
    this.#log.debug(2, `Broadcasting ${offer.channel.name} to ${targets.length} application(s)`);
    const ch = offer.channel;
    for (const app of targets) {
      this.#apps.publish({
        type: 'CallBroadcast',
        application: app.name,
        timestamp: this.#core.now(),
        channel: ch.snapshot(),
        caller: ch.caller.number,
        called: ch.location.exten,
      });
    }
  }

  /** Resolves when the offer is claimed, the timeout passes or the channel is hung up. */
  #wait(offer: Offer, timeoutMs: number): Promise<void> {
    const signal = offer.channel.hangupSignal;
    if (offer.winner !== undefined || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        offer.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      offer.wake = done;
    });
  }
}
