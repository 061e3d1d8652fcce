/**
 * What every example shares besides its scenario: reading the connection settings (options, else `ARI_URL`,
 * `ARI_USERNAME`, `ARI_PASSWORD`, else the seed's configuration), connecting with retries while the server is
 * still starting, and living until the AbortSignal fires (Ctrl-C under `npm run example`, server shutdown
 * under `ariadne --app`). Each example's default export is `(opts: ExampleOptions) => Promise<void>`, the shape
 * `bin/ariadne --app` loads; the promise settles once the example has cleaned up and closed its connection.
 */

import { AriError, connect, type Ari, type ChannelHandle, type EventMap } from '../../client/index.ts';

/** The options every example takes; examples add their own knobs on top. */
export interface ExampleOptions {
  /** HTTP base of the ARI server; default `ARI_URL`, else `http://127.0.0.1:8088`. */
  url?: string;
  username?: string;
  password?: string;
  /** Stops the example: it hangs up what it made, closes its connection and resolves. */
  signal?: AbortSignal;
  /** Where the example's log lines go; default the console, prefixed with the example's name. */
  log?: (line: string) => void;
  /** The Stasis application name to register; default the example's name. */
  app?: string;
}

/** What a running example gets from `runExample`. */
export interface ExampleContext {
  readonly ari: Ari;
  /** The registered Stasis application. */
  readonly app: string;
  readonly log: (line: string) => void;
  /** Fires when the example must stop. */
  readonly signal: AbortSignal;
}

/** The seed's ARI password (configs/ari.conf); any real deployment sets `ARI_PASSWORD`. */
export const SEED_PASSWORD = 'change_me_to_a_strong_password';

/**
 * Connects as `opts` say (retrying every 0.5…5 s while the server does not answer; wrong credentials fail at
 * once), hands the connection to `body`, waits for the abort signal, then runs what `body` returned as its
 * cleanup and closes the connection. Without a signal, it runs until the process ends.
 */
export async function runExample(
  name: string,
  opts: ExampleOptions,
  body: (ctx: ExampleContext) => void | (() => Promise<void> | void) | Promise<void | (() => Promise<void> | void)>,
): Promise<void> {
  const url = opts.url ?? process.env.ARI_URL ?? 'http://127.0.0.1:8088';
  const username = opts.username ?? process.env.ARI_USERNAME ?? 'asterisk';
  const password = opts.password ?? process.env.ARI_PASSWORD ?? SEED_PASSWORD;
  const app = opts.app ?? name;
  const log = opts.log ?? ((line: string) => console.log(`[${name}] ${line}`));
  const signal = opts.signal ?? new AbortController().signal;

  let ari: Ari | undefined;
  for (let delay = 500; ari === undefined && !signal.aborted; delay = Math.min(delay * 2, 5000)) {
    try {
      ari = await connect({ url, username, password, apps: [app], onListenerError: (err, event) => log(`error in ${event.type} handler: ${(err as Error).message}`) });
    } catch (err) {
      if (err instanceof AriError && (err.status === 401 || err.status === 403)) throw err;
      log(`cannot connect to ${url} (${(err as Error).message}); retrying`);
      await sleep(delay, signal);
    }
  }
  if (ari === undefined) return;
  try {
    if (signal.aborted) return;
    const cleanup = await body({ ari, app, log, signal });
    await untilAborted(signal);
    if (cleanup) await cleanup();
  } finally {
    ari.close();
  }
}

/** Resolves when `signal` fires (at once if it has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Waits `ms`, or less when `signal` fires first (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Ignores the error of a call whose target may be gone already (a caller who hung up first). */
export function quietly(p: Promise<unknown>): Promise<void> {
  return p.then(
    () => undefined,
    () => undefined,
  );
}

/**
 * Runs an example when its file is the process's entry point (`npx node examples/<x>/app.ts`), stopping it on
 * Ctrl-C or SIGTERM.
 */
export async function runIfMain(moduleUrl: string, main: (opts: ExampleOptions) => Promise<void>): Promise<void> {
  if (moduleUrl !== `file://${process.argv[1]}`) return;
  const ctl = new AbortController();
  process.once('SIGINT', () => ctl.abort());
  process.once('SIGTERM', () => ctl.abort());
  await main({ signal: ctl.signal });
}

/**
 * The channels an example is handling, so that stopping it hangs them up instead of leaving callers in an
 * application that no longer listens. A channel leaves the set by itself when its StasisEnd arrives.
 */
export class Calls {
  readonly #ari: Ari;
  readonly #ids = new Set<string>();

  constructor(ari: Ari) {
    this.#ari = ari;
    ari.on('StasisEnd', (e) => void this.#ids.delete(e.channel.id));
  }

  add(channelId: string): void {
    this.#ids.add(channelId);
  }

  has(channelId: string): boolean {
    return this.#ids.has(channelId);
  }

  get size(): number {
    return this.#ids.size;
  }

  async hangupAll(): Promise<void> {
    await Promise.all([...this.#ids].map((channelId) => quietly(this.#ari.channels.hangup({ channelId }))));
    this.#ids.clear();
  }
}

/**
 * Runs `handle` for each call that enters the application, keeping track of the calls so that stopping the
 * example hangs them up; returns that cleanup. An error is logged unless the call is already over (a caller
 * who hangs up mid-way makes the handler's next request fail: nothing worth reporting).
 */
export function onEachCall(
  { ari, log }: ExampleContext,
  handle: (channel: ChannelHandle, start: EventMap['StasisStart']) => Promise<void>,
): () => Promise<void> {
  const calls = new Calls(ari);
  ari.on('StasisStart', (e) => {
    calls.add(e.channel.id);
    log(`call ${e.channel.name} (${e.channel.id})`);
    handle(ari.channel(e.channel), e).catch((err: unknown) => {
      if (calls.has(e.channel.id)) log(`${e.channel.id}: ${(err as Error).message}`);
    });
  });
  return () => calls.hangupAll();
}
