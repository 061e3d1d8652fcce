/**
 * Ariadne's module table: the parts of the server an operator can see, load, unload and reload.
 *
 * Asterisk is built from loadable modules (`res_ari.so`, `res_stasis.so`, ...) and both the console
 * (`module show`, `module load`, ...) and ARI (`/asterisk/modules`) talk about them. Ariadne is one process,
 * but its subsystems keep the same names so that tools written for Asterisk find what they expect. Each
 * subsystem registers itself here with optional `load`/`unload`/`reload` hooks; this registry only tracks
 * state and runs the hooks one operation at a time. It knows nothing of the console or of HTTP.
 *
 * Error messages are the phrases ARI answers with, so `src/ari` can pass them through unchanged.
 */

import { AriadneError, errorCodes } from '../shared/errors.ts';

export type SupportLevel = 'core' | 'extended' | 'deprecated';
export type ModuleStatus = 'Running' | 'Not Running';

/** What a subsystem tells the registry about itself. */
export interface ModuleDefinition {
  /** File-style name as Asterisk spells it, e.g. `res_ari.so`. The `.so` suffix is added when missing. */
  readonly name: string;
  readonly description: string;
  readonly supportLevel: SupportLevel;
  /** Registers the module as already running (its owner started it) instead of waiting for `load()`. */
  readonly running?: boolean;
  load?(): Promise<void> | void;
  unload?(): Promise<void> | void;
  reload?(): Promise<void> | void;
  /** How many users hold the module (channels, apps, other modules); 0 when omitted. */
  useCount?(): number;
}

/** One row of the table, in ARI's `Module` model shape. */
export interface ModuleInfo {
  readonly name: string;
  readonly description: string;
  readonly use_count: number;
  readonly status: ModuleStatus;
  readonly support_level: SupportLevel;
}

export type ReloadResult = 'success' | 'not-found' | 'not-running' | 'not-implemented' | 'error';

export interface ReloadOutcome {
  readonly name: string;
  readonly result: ReloadResult;
  /** The failure's message when `result` is `error`. */
  readonly error?: string;
}

interface Entry {
  readonly definition: ModuleDefinition;
  readonly name: string;
  running: boolean;
}

/** Adds `.so` when a name has no extension, so `res_ari` and `res_ari.so` name the same module. */
export function normalizeModuleName(name: string): string {
  const trimmed = name.trim();
  return trimmed.endsWith('.so') ? trimmed : `${trimmed}.so`;
}

/** Compares module names the way Asterisk lists them: alphabetical, case-insensitive. */
function byName(a: { name: string }, b: { name: string }): number {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The registry. Operations (`load`, `unload`, `reload`) run one after another, never interleaved, so a
 * reload can never observe a half-unloaded module.
 *
 * @example
 * const modules = new ModuleRegistry();
 * modules.register({ name: 'res_ari.so', description: 'Asterisk RESTful Interface', supportLevel: 'core',
 *   running: true, reload: () => ari.reloadConfig() });
 * await modules.reload('res_ari'); // [{ name: 'res_ari.so', result: 'success' }]
 */
export class ModuleRegistry {
  readonly #entries = new Map<string, Entry>();
  #queue: Promise<unknown> = Promise.resolve();

  /** Adds a module (Not Running unless `running` is set). Returns a function that removes it again. */
  register(definition: ModuleDefinition): () => void {
    const name = normalizeModuleName(definition.name);
    if (name === '.so') {
      throw new TypeError('module name must not be empty');
    }
    if (this.#entries.has(name)) {
      throw new AriadneError(errorCodes.ERR_CONFLICT, `Module '${name}' is already registered`);
    }
    const entry: Entry = { definition, name, running: definition.running === true };
    this.#entries.set(name, entry);
    return () => {
      if (this.#entries.get(name) === entry) {
        this.#entries.delete(name);
      }
    };
  }

  /** Every module, sorted by name. */
  list(): ModuleInfo[] {
    return [...this.#entries.values()].map((e) => this.#info(e)).sort(byName);
  }

  /** One module, or undefined when no module has that name. */
  get(name: string): ModuleInfo | undefined {
    const entry = this.#entries.get(normalizeModuleName(name));
    return entry === undefined ? undefined : this.#info(entry);
  }

  has(name: string): boolean {
    return this.#entries.has(normalizeModuleName(name));
  }

  isRunning(name: string): boolean {
    return this.#entries.get(normalizeModuleName(name))?.running === true;
  }

  /**
   * Starts a module.
   * @throws AriadneError ERR_NOT_FOUND for an unknown name, ERR_CONFLICT when it is already running or its
   * `load` hook fails (the hook's error is the `cause`).
   */
  load(name: string): Promise<ModuleInfo> {
    return this.#serialize(async () => {
      const entry = this.#require(name);
      if (entry.running) {
        throw new AriadneError(errorCodes.ERR_CONFLICT, 'Module is already loaded');
      }
      try {
        await entry.definition.load?.();
      } catch (cause) {
        throw new AriadneError(errorCodes.ERR_CONFLICT, 'Module could not be loaded properly', { cause });
      }
      entry.running = true;
      return this.#info(entry);
    });
  }

  /**
   * Loads every registered module that is not running yet, in name order. Failures do not stop the others.
   * @returns the modules that failed, with their errors.
   */
  loadAll(): Promise<{ name: string; error: unknown }[]> {
    return this.#serialize(async () => {
      const failed: { name: string; error: unknown }[] = [];
      for (const entry of [...this.#entries.values()].sort(byName)) {
        if (entry.running) continue;
        try {
          await entry.definition.load?.();
          entry.running = true;
        } catch (error) {
          failed.push({ name: entry.name, error });
        }
      }
      return failed;
    });
  }

  /**
   * Stops a module. A module in use (use count above zero) is only stopped with `force`.
   * @throws AriadneError ERR_NOT_FOUND when the name is unknown or the module is not running (what ARI
   * answers with 404), ERR_CONFLICT when it is in use or its `unload` hook fails.
   */
  unload(name: string, options: { force?: boolean } = {}): Promise<ModuleInfo> {
    return this.#serialize(async () => {
      const entry = this.#entries.get(normalizeModuleName(name));
      if (entry === undefined || !entry.running) {
        throw new AriadneError(errorCodes.ERR_NOT_FOUND, 'Module not found in running modules');
      }
      const inUse = entry.definition.useCount?.() ?? 0;
      if (inUse > 0 && options.force !== true) {
        throw new AriadneError(errorCodes.ERR_CONFLICT, 'Module could not be unloaded', {
          cause: new Error(`'${entry.name}' has use count ${inUse}`),
        });
      }
      try {
        await entry.definition.unload?.();
      } catch (cause) {
        throw new AriadneError(errorCodes.ERR_CONFLICT, 'Module could not be unloaded', { cause });
      }
      entry.running = false;
      return this.#info(entry);
    });
  }

  /**
   * Reloads one module, or every running module that can reload when `name` is omitted (in name order).
   * Never throws: each module's outcome is returned.
   */
  reload(name?: string): Promise<ReloadOutcome[]> {
    return this.#serialize(async () => {
      if (name === undefined) {
        const outcomes: ReloadOutcome[] = [];
        for (const entry of [...this.#entries.values()].sort(byName)) {
          if (entry.running && entry.definition.reload !== undefined) {
            outcomes.push(await reloadEntry(entry));
          }
        }
        return outcomes;
      }
      const entry = this.#entries.get(normalizeModuleName(name));
      if (entry === undefined) {
        return [{ name: normalizeModuleName(name), result: 'not-found' }];
      }
      return [await reloadEntry(entry)];
    });
  }

  /**
   * Reloads one module and turns a failed outcome into ARI's error: ERR_NOT_FOUND "Module could not be
   * found", ERR_CONFLICT "Module has not been initialized" / "Module does not support reloading" /
   * "An unknown error occurred while reloading the module".
   */
  async reloadOne(name: string): Promise<void> {
    const [outcome] = await this.reload(name);
    if (outcome === undefined || outcome.result === 'success') return;
    throw reloadOutcomeError(outcome);
  }

  #info(entry: Entry): ModuleInfo {
    return {
      name: entry.name,
      description: entry.definition.description,
      use_count: entry.definition.useCount?.() ?? 0,
      status: entry.running ? 'Running' : 'Not Running',
      support_level: entry.definition.supportLevel,
    };
  }

  #require(name: string): Entry {
    const entry = this.#entries.get(normalizeModuleName(name));
    if (entry === undefined) {
      throw new AriadneError(errorCodes.ERR_NOT_FOUND, 'Module could not be found');
    }
    return entry;
  }

  #serialize<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

async function reloadEntry(entry: Entry): Promise<ReloadOutcome> {
  if (!entry.running) return { name: entry.name, result: 'not-running' };
  const reload = entry.definition.reload;
  if (reload === undefined) return { name: entry.name, result: 'not-implemented' };
  try {
    await reload.call(entry.definition);
    return { name: entry.name, result: 'success' };
  } catch (error) {
    return { name: entry.name, result: 'error', error: error instanceof Error ? error.message : String(error) };
  }
}

/** The AriadneError matching a failed reload outcome (ARI's phrases). */
export function reloadOutcomeError(outcome: ReloadOutcome): AriadneError {
  switch (outcome.result) {
    case 'not-found':
      return new AriadneError(errorCodes.ERR_NOT_FOUND, 'Module could not be found');
    case 'not-running':
      return new AriadneError(errorCodes.ERR_CONFLICT, 'Module has not been initialized');
    case 'not-implemented':
      return new AriadneError(errorCodes.ERR_CONFLICT, 'Module does not support reloading');
    case 'error':
    case 'success':
      return new AriadneError(errorCodes.ERR_CONFLICT, 'An unknown error occurred while reloading the module', {
        cause: new Error(outcome.error ?? 'unknown'),
      });
  }
}
