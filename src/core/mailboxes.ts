/**
 * Mailboxes whose message counts something outside Ariadne keeps (external MWI): an ARI client or a
 * voicemail system says "1000@default has 2 old and 3 new messages", and phones subscribed to that mailbox
 * get their message-waiting lamp from it.
 *
 * Stored the way Asterisk's res_mwi_external stores them, so an existing astdb carries over: family
 * `mwi_external/mailboxes`, key = the mailbox name (any non-empty string, usually `mailbox@context`), value =
 * `{"msgs_new":"3","msgs_old":"2"}`. The astdb is read through on every call; a stored value that cannot be
 * read is skipped with a warning.
 *
 * Every update is announced to `onChange` listeners (even when the counts did not change, as Asterisk
 * republishes MWI state on every update); a delete is announced with zero counts and `deleted: true`.
 */

import type { Logger } from '../shared/logger.ts';
import type { AstDb } from './astdb.ts';

/** The astdb family holding external MWI mailboxes. */
export const MAILBOX_FAMILY = 'mwi_external/mailboxes';

/** The largest count ARI accepts (a 32-bit signed integer in Asterisk). */
export const MAX_MESSAGE_COUNT = 2147483647;

/** ARI's `Mailbox` model. */
export interface Mailbox {
  readonly name: string;
  readonly old_messages: number;
  readonly new_messages: number;
}

export interface MailboxChange extends Mailbox {
  /** True when the mailbox was deleted (the counts are then zero). */
  readonly deleted: boolean;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

export interface MailboxRegistryOptions {
  readonly db: AstDb;
  readonly logger?: Logger;
  readonly clock?: () => number;
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0 && n <= MAX_MESSAGE_COUNT;
}

/** Reads one count field; sorcery stores numbers as strings, but a plain number is accepted too. */
function readCount(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return isCount(n) ? n : undefined;
}

/**
 * @example
 * const mailboxes = new MailboxRegistry({ db: AstDb.openInMemory() });
 * mailboxes.update('1000@default', 2, 3);
 * mailboxes.get('1000@default'); // { name: '1000@default', old_messages: 2, new_messages: 3 }
 */
export class MailboxRegistry {
  readonly #db: AstDb;
  readonly #logger: Logger | undefined;
  readonly #clock: () => number;
  readonly #listeners = new Set<(e: MailboxChange) => void>();
  /** Stored values already warned about, so a bad row is reported once, not on every list. */
  readonly #warned = new Set<string>();

  constructor(options: MailboxRegistryOptions) {
    this.#db = options.db;
    this.#logger = options.logger;
    this.#clock = options.clock ?? Date.now;
  }

  /** How many mailboxes the astdb holds (start-up reporting). */
  load(): number {
    return this.list().length;
  }

  /** Every mailbox, ordered by name. */
  list(): Mailbox[] {
    const prefixLength = MAILBOX_FAMILY.length + 2;
    const out: Mailbox[] = [];
    for (const e of this.#db.getTree(MAILBOX_FAMILY)) {
      const name = e.key.slice(prefixLength);
      if (name === '') continue;
      const m = this.#decode(name, e.value);
      if (m) out.push(m);
    }
    return out;
  }

  get(name: string): Mailbox | undefined {
    if (name === '') return undefined;
    const value = this.#db.get(MAILBOX_FAMILY, name);
    return value === undefined ? undefined : this.#decode(name, value);
  }

  /**
   * Creates or replaces a mailbox's counts and announces them.
   * @throws TypeError for an empty name or a count that is not an integer from 0 to 2147483647.
   */
  update(name: string, oldMessages: number, newMessages: number): Mailbox {
    if (name === '') throw new TypeError('mailbox name is empty');
    if (!isCount(oldMessages)) throw new TypeError(`invalid old message count ${oldMessages}`);
    if (!isCount(newMessages)) throw new TypeError(`invalid new message count ${newMessages}`);
    this.#db.put(MAILBOX_FAMILY, name, JSON.stringify({ msgs_new: String(newMessages), msgs_old: String(oldMessages) }));
    this.#warned.delete(name);
    const mailbox: Mailbox = { name, old_messages: oldMessages, new_messages: newMessages };
    this.#emit({ ...mailbox, deleted: false, timestamp: this.#clock() });
    return mailbox;
  }

  /** Removes a mailbox; false when there was none. */
  delete(name: string): boolean {
    if (name === '' || !this.#db.del(MAILBOX_FAMILY, name)) return false;
    this.#warned.delete(name);
    this.#emit({ name, old_messages: 0, new_messages: 0, deleted: true, timestamp: this.#clock() });
    return true;
  }

  /** Listens to updates and deletes. Returns a function that stops listening. */
  onChange(listener: (e: MailboxChange) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #decode(name: string, value: string): Mailbox | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    const fields = parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
    // A missing count reads as the field's default, zero.
    const newMessages = fields === undefined ? undefined : fields.msgs_new === undefined ? 0 : readCount(fields.msgs_new);
    const oldMessages = fields === undefined ? undefined : fields.msgs_old === undefined ? 0 : readCount(fields.msgs_old);
    if (newMessages === undefined || oldMessages === undefined) {
      if (!this.#warned.has(name)) {
        this.#warned.add(name);
        this.#logger?.warning(`astdb: mailbox '${name}' has an unreadable value '${value}'; ignoring it`);
      }
      return undefined;
    }
    return { name, old_messages: oldMessages, new_messages: newMessages };
  }

  #emit(change: MailboxChange): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.#logger?.error(`mailbox listener failed for ${change.name}: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  }
}
