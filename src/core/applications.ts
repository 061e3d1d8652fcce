/**
 * The registry of dialplan applications (Answer, Dial, Stasis, ...). Core owns it so that layers register
 * their applications without knowing each other: the dialplan engine registers the classic ones, Stasis
 * registers `Stasis()` and `StasisBroadcast()`, and originate runs any of them on a new channel.
 */

import type { Channel } from './channel.ts';

/** Where to continue in the dialplan; missing parts keep the current value. */
export interface GotoTarget {
  readonly context?: string;
  readonly exten?: string;
  readonly priority?: number;
  readonly label?: string;
}

/** How an application ends: go on with the next priority (void), jump, or end the dialplan. */
export type AppOutcome = void | { readonly goto: GotoTarget } | { readonly hangup: true };

export interface AppExecution {
  readonly channel: Channel;
  /** Arguments after variable substitution. */
  readonly data: string;
  /** True when the application runs from the dialplan (not directly on an originated channel). */
  readonly inDialplan: boolean;
}

export interface DialplanApp {
  readonly name: string;
  readonly synopsis: string;
  execute(exec: AppExecution): Promise<AppOutcome> | AppOutcome;
}

export class DialplanApps {
  readonly #apps = new Map<string, DialplanApp>();

  register(app: DialplanApp): () => void {
    this.#apps.set(app.name.toLowerCase(), app);
    return () => this.#apps.delete(app.name.toLowerCase());
  }

  /** Application names are case-insensitive, as in Asterisk. */
  get(name: string): DialplanApp | undefined {
    return this.#apps.get(name.toLowerCase());
  }

  list(): DialplanApp[] {
    return [...this.#apps.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }
}
