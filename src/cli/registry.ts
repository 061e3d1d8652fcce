/**
 * The console's command table.
 *
 * Every part of the server registers its own operator commands here (`ari show status`, `http show status`,
 * `module show`, ...), the way Asterisk modules register CLI entries. A command is a fixed list of words; a
 * line runs the registered command whose words are the longest word-by-word prefix of the line
 * (case-insensitive), and the remaining words become its arguments. The registry also answers tab
 * completion and the built-in `core show help`. It does no I/O: output goes through a `write` callback, so
 * the control socket (control-server.ts) and tests drive it the same way.
 */

import { AriadneError, errorCodes } from '../shared/errors.ts';

/** Thrown by a handler whose arguments are wrong: the console prints the command's usage. */
export class UsageError extends Error {
  constructor(message = 'invalid usage') {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Thrown by a handler that could not do its job: the console prints the message (if any) and then
 * `Command '<line>' failed.`, as Asterisk does for a failed command.
 */
export class CommandFailure extends Error {
  constructor(message = '') {
    super(message);
    this.name = 'CommandFailure';
  }
}

export interface CommandContext {
  /** The words after the command's own words. */
  readonly args: string[];
  /** The whole line as typed (trimmed). */
  readonly line: string;
  write(text: string): void;
}

export interface CommandSpec {
  /** The command words, e.g. `['ari', 'show', 'app']`. */
  readonly words: readonly string[];
  /** Syntax shown after `Usage: `, e.g. `ari show app <application>`. Extra lines are indented. */
  readonly usage: string;
  /** One line for `core show help`. */
  readonly summary: string;
  /** Longer explanation printed under the usage line; the summary is used when omitted. */
  readonly description?: string;
  /** What `core show help` lists; the words joined by spaces when omitted (e.g. `core show uptime [seconds]`). */
  readonly display?: string;
  handler(ctx: CommandContext): void | Promise<void>;
  /** Candidates for the argument being typed; `args` are the complete arguments before it. */
  complete?(args: readonly string[], word: string): readonly string[];
}

/** A registered command as the registry sees it. */
export interface CommandEntry {
  readonly words: readonly string[];
  readonly display: string;
  readonly usage: string;
  readonly summary: string;
  readonly description: string | undefined;
}

interface Registered extends CommandEntry {
  readonly lower: readonly string[];
  readonly spec: CommandSpec;
}

export type WriteFn = (text: string) => void;

/**
 * Splits a command line into words: whitespace separates, double quotes group (and may start or end inside a
 * word), a backslash takes the next character literally.
 */
export function tokenize(line: string): string[] {
  return tokenizeDetailed(line).words;
}

function tokenizeDetailed(line: string): { words: string[]; trailingSpace: boolean } {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quoted = false;
  let escaped = false;
  for (const ch of line) {
    if (escaped) {
      current += ch;
      inWord = true;
      escaped = false;
    } else if (ch === '\\') {
      escaped = true;
      inWord = true;
    } else if (ch === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r')) {
      if (inWord) {
        words.push(current);
        current = '';
        inWord = false;
      }
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return { words, trailingSpace: !inWord && line.length > 0 };
}

function formatUsage(entry: CommandEntry): string {
  const [first = '', ...rest] = entry.usage.split('\n');
  const lines = [`Usage: ${first}`, ...rest.map((l) => `       ${l}`)];
  const text = entry.description ?? entry.summary;
  for (const l of text.split('\n')) lines.push(l === '' ? '' : `       ${l}`);
  return lines.join('\n') + '\n';
}

function wordsEqual(a: readonly string[], b: readonly string[], count: number): boolean {
  for (let i = 0; i < count; i++) {
    if (a[i] !== b[i]) return false;
  }
  return true;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * @example
 * const registry = new CommandRegistry();
 * registry.register({ words: ['core', 'show', 'version'], usage: 'core show version', summary: 'Show the version',
 *   handler: ({ write }) => write('Ariadne 0.1.0\n') });
 * await registry.execute('core show version', (t) => process.stdout.write(t));
 */
export class CommandRegistry {
  readonly #commands: Registered[] = [];

  constructor() {
    this.register({
      words: ['core', 'show', 'help'],
      usage: 'core show help [topic]',
      summary: 'List commands, or explain one',
      description:
        'With no topic, lists every command with a one-line summary.\n' +
        'With a full command as topic, prints its usage; with the start of\n' +
        'a command, lists the commands that begin that way.',
      handler: (ctx) => this.#help(ctx),
      complete: (args, word) => this.#completeWords(args, word),
    });
  }

  /**
   * Adds a command. Returns a function that removes it again.
   * @throws TypeError for an empty word list; AriadneError ERR_CONFLICT when the same words are taken.
   */
  register(spec: CommandSpec): () => void {
    if (spec.words.length === 0 || spec.words.some((w) => w.length === 0 || /\s/.test(w))) {
      throw new TypeError('command words must be non-empty and contain no whitespace');
    }
    const lower = spec.words.map((w) => w.toLowerCase());
    if (this.#commands.some((c) => c.lower.length === lower.length && wordsEqual(c.lower, lower, lower.length))) {
      throw new AriadneError(errorCodes.ERR_CONFLICT, `command '${spec.words.join(' ')}' is already registered`);
    }
    const entry: Registered = {
      words: [...spec.words],
      lower,
      display: spec.display ?? spec.words.join(' '),
      usage: spec.usage,
      summary: spec.summary,
      description: spec.description,
      spec,
    };
    this.#commands.push(entry);
    this.#commands.sort((a, b) => {
      const x = a.display.toLowerCase();
      const y = b.display.toLowerCase();
      return x < y ? -1 : x > y ? 1 : 0;
    });
    return () => {
      const i = this.#commands.indexOf(entry);
      if (i >= 0) this.#commands.splice(i, 1);
    };
  }

  /** Every command, sorted as `core show help` lists them. */
  commands(): readonly CommandEntry[] {
    return this.#commands.map(({ words, display, usage, summary, description }) => ({
      words,
      display,
      usage,
      summary,
      description,
    }));
  }

  /** The command a list of words runs, and the arguments it would get. */
  find(words: readonly string[]): { command: CommandEntry; args: string[] } | undefined {
    const found = this.#match(words);
    if (found === undefined) return undefined;
    return { command: found.command, args: words.slice(found.command.words.length) };
  }

  /** The usage text printed for a command, `Usage: ...` plus its description. */
  usageOf(words: readonly string[]): string | undefined {
    const lower = words.map((w) => w.toLowerCase());
    const entry = this.#commands.find((c) => c.lower.length === lower.length && wordsEqual(c.lower, lower, lower.length));
    return entry === undefined ? undefined : formatUsage(entry);
  }

  /**
   * Runs one line. Never throws: unknown commands, usage errors and failing handlers are reported through
   * `write`. Resolves to true when the command ran successfully.
   */
  async execute(line: string, write: WriteFn): Promise<boolean> {
    const trimmed = line.trim();
    const words = tokenize(trimmed);
    if (words.length === 0) return true;
    const found = this.#match(words);
    if (found === undefined) {
      write(
        `No such command '${trimmed}' (type 'core show help ${this.#bestGuess(words)}' for other possible commands)\n`,
      );
      return false;
    }
    const { command } = found;
    const ctx: CommandContext = { args: words.slice(command.words.length), line: trimmed, write };
    try {
      await command.spec.handler(ctx);
      return true;
    } catch (error) {
      if (error instanceof UsageError) {
        write(formatUsage(command));
      } else if (error instanceof CommandFailure) {
        if (error.message !== '') write(error.message.endsWith('\n') ? error.message : `${error.message}\n`);
        write(`Command '${trimmed}' failed.\n`);
      } else {
        const text = errorText(error);
        write(text.endsWith('\n') ? text : `${text}\n`);
      }
      return false;
    }
  }

  /**
   * Candidates for the word being typed at the end of `line` (the empty word after a trailing space):
   * command words first, then whatever the matched command's `complete` offers. Sorted, without duplicates.
   */
  complete(line: string): string[] {
    const { words, trailingSpace } = tokenizeDetailed(line);
    const before = trailingSpace || words.length === 0 ? words : words.slice(0, -1);
    const word = trailingSpace || words.length === 0 ? '' : (words[words.length - 1] ?? '');
    return this.#completeWords(before, word);
  }

  #completeWords(before: readonly string[], word: string): string[] {
    const lowerBefore = before.map((w) => w.toLowerCase());
    const lowerWord = word.toLowerCase();
    const out = new Set<string>();
    for (const c of this.#commands) {
      if (c.lower.length > lowerBefore.length && wordsEqual(c.lower, lowerBefore, lowerBefore.length)) {
        const candidate = c.words[lowerBefore.length];
        if (candidate !== undefined && candidate.toLowerCase().startsWith(lowerWord)) out.add(candidate);
      }
    }
    const found = this.#match(before);
    if (found !== undefined && found.command.spec.complete !== undefined) {
      const args = before.slice(found.command.words.length);
      try {
        for (const c of found.command.spec.complete(args, word)) {
          if (c.toLowerCase().startsWith(lowerWord)) out.add(c);
        }
      } catch {
        // A completion hook that fails offers nothing; it must never break the console.
      }
    }
    return [...out].sort();
  }

  #match(words: readonly string[]): { command: Registered } | undefined {
    const lower = words.map((w) => w.toLowerCase());
    let best: Registered | undefined;
    for (const c of this.#commands) {
      if (c.lower.length <= lower.length && wordsEqual(c.lower, lower, c.lower.length)) {
        if (best === undefined || c.lower.length > best.lower.length) best = c;
      }
    }
    return best === undefined ? undefined : { command: best };
  }

  /**
   * The help topic suggested after an unknown command, following Asterisk: the typed words up to and
   * including the first one at which no command of that length matches the words before it.
   */
  #bestGuess(words: readonly string[]): string {
    const lower = words.map((w) => w.toLowerCase());
    let count = 0;
    for (let k = 1; k <= lower.length; k++) {
      count = k;
      // Asterisk always has a one-word command ("!"), so a first word never stops the search.
      if (k === 1) continue;
      const ok = this.#commands.some((c) => c.lower.length === k && wordsEqual(c.lower, lower, k - 1));
      if (!ok) break;
    }
    return words.slice(0, count).join(' ');
  }

  #help(ctx: CommandContext): void {
    const { args, write } = ctx;
    if (args.length === 0) {
      for (const c of this.#commands) write(`${c.display.padEnd(30)} -- ${c.summary}\n`);
      return;
    }
    const lower = args.map((w) => w.toLowerCase());
    const exact = this.#commands.find((c) => c.lower.length === lower.length && wordsEqual(c.lower, lower, lower.length));
    if (exact !== undefined) {
      write(formatUsage(exact));
      return;
    }
    const topic = args.join(' ');
    const prefix = topic.toLowerCase();
    let found = 0;
    for (const c of this.#commands) {
      if (c.display.toLowerCase().startsWith(prefix)) {
        write(`${c.display.padEnd(30)} -- ${c.summary}\n`);
        found++;
      }
    }
    if (found === 0) write(`No such command '${topic}'.\n`);
  }
}
