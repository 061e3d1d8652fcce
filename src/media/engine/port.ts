/**
 * The two carriers of the MediaSession port. Core talks to a `MediaPort`: `send` a command, listen to
 * notifications. `LocalMediaPort` runs the host in this thread; `WorkerMediaPort` runs it in a worker thread and
 * posts the very same messages, transferring their sample buffers. Both deliver notifications asynchronously
 * and in order, so code written against one behaves the same against the other.
 */

import { Worker } from 'node:worker_threads';
import { LocalMediaHost, type LocalMediaHostOptions } from './host.ts';
import { transferables, type HostStats, type MediaCommand, type MediaNotification } from './protocol.ts';

export interface MediaPort {
  /** Sends a command. Its Int16Arrays are handed over: do not use them afterwards. */
  send(command: MediaCommand): void;
  /** Listens to every notification; returns the function that stops listening. */
  onNotification(listener: (notification: MediaNotification) => void): () => void;
  /** Ends all media (each end is reported) and releases the host; resolves after `closed`. */
  close(): Promise<void>;
}

/** Delivers notifications to listeners after the current task, in order; a throwing listener is rethrown later. */
class Dispatcher {
  readonly #listeners = new Set<(n: MediaNotification) => void>();
  #queue: MediaNotification[] = [];
  #scheduled = false;

  on(listener: (n: MediaNotification) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  push(n: MediaNotification): void {
    this.#queue.push(n);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  /** Delivers now (the worker's messages already arrive as separate tasks). */
  deliver(n: MediaNotification): void {
    for (const l of [...this.#listeners]) {
      try {
        l(n);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  #flush(): void {
    this.#scheduled = false;
    const queue = this.#queue;
    this.#queue = [];
    for (const n of queue) this.deliver(n);
  }
}

function waitFor(dispatcher: Dispatcher, type: MediaNotification['type']): Promise<void> {
  return new Promise((resolve) => {
    const off = dispatcher.on((n) => {
      if (n.type !== type) return;
      off();
      resolve();
    });
  });
}

/** The host in this thread. `host` is there for in-thread users and tests. */
export class LocalMediaPort implements MediaPort {
  readonly host: LocalMediaHost;
  readonly #dispatcher = new Dispatcher();

  constructor(options: Omit<LocalMediaHostOptions, 'emit'> = {}) {
    this.host = new LocalMediaHost({ ...options, emit: (n) => this.#dispatcher.push(n) });
  }

  send(command: MediaCommand): void {
    this.host.handle(command);
  }

  onNotification(listener: (n: MediaNotification) => void): () => void {
    return this.#dispatcher.on(listener);
  }

  async close(): Promise<void> {
    if (this.host.closed) return;
    const closed = waitFor(this.#dispatcher, 'closed');
    this.host.close();
    await closed;
  }
}

/** What the worker is started with (`workerData`). */
export interface MediaWorkerData {
  /** Ticks only on `tick` commands. */
  readonly manualClock?: boolean;
  /** The clock's lead (see `MediaClock`); default 2 ms in a worker. */
  readonly leadMs?: number;
  readonly maxBurst?: number;
}

const WORKER_URL = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/** The host in a worker thread. */
export class WorkerMediaPort implements MediaPort {
  readonly worker: Worker;
  readonly #dispatcher = new Dispatcher();
  #exited = false;
  readonly #exit: Promise<void>;

  private constructor(worker: Worker) {
    this.worker = worker;
    let closed = false;
    worker.on('message', (n: MediaNotification) => {
      if (n.type === 'closed') closed = true;
      this.#dispatcher.deliver(n);
    });
    worker.on('error', (err) => {
      this.#dispatcher.deliver({ type: 'error', command: 'worker', code: 'ERR_INVALID_STATE', message: err.message });
    });
    this.#exit = new Promise((resolve) =>
      worker.once('exit', () => {
        this.#exited = true;
        // A worker that died without closing its host still ends the port's life for listeners.
        if (!closed) this.#dispatcher.deliver({ type: 'closed' });
        resolve();
      }),
    );
  }

  /** Starts a worker running a `LocalMediaHost`; commands sent before it runs wait for it. */
  static create(data: MediaWorkerData = {}): WorkerMediaPort {
    return new WorkerMediaPort(new Worker(WORKER_URL, { workerData: data }));
  }

  /** Starts a worker running a `LocalMediaHost` and resolves once it runs. */
  static async start(data: MediaWorkerData = {}): Promise<WorkerMediaPort> {
    const port = WorkerMediaPort.create(data);
    const worker = port.worker;
    await new Promise<void>((resolve, reject) => {
      worker.once('online', () => resolve());
      worker.once('error', reject);
    });
    return port;
  }

  send(command: MediaCommand): void {
    if (this.#exited) throw new Error('The media worker has exited');
    this.worker.postMessage(command, transferables(command));
  }

  onNotification(listener: (n: MediaNotification) => void): () => void {
    return this.#dispatcher.on(listener);
  }

  /** Closes the host, then waits for the worker to exit (it ends by itself once the host is closed). */
  async close(): Promise<void> {
    if (this.#exited) return;
    this.worker.postMessage({ type: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await this.#exit;
    clearTimeout(timer);
  }
}

let nextRequest = 1;

/** Waits until every command sent before has been applied; resolves with the host's counters. */
export function ping(port: MediaPort): Promise<HostStats> {
  const requestId = nextRequest++;
  return new Promise((resolve) => {
    const off = port.onNotification((n) => {
      if (n.type !== 'pong' || n.requestId !== requestId) return;
      off();
      resolve(n.stats);
    });
    port.send({ type: 'ping', requestId });
  });
}
