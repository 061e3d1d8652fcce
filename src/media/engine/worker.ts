/**
 * Worker-thread entry for a media host: `WorkerMediaPort` starts this file. Commands arrive on the parent port
 * exactly as `LocalMediaHost.handle` takes them; notifications go back with their sample buffers transferred.
 * Once the host is closed the port is closed and the thread ends.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { MediaClock } from './clock.ts';
import { LocalMediaHost } from './host.ts';
import type { MediaWorkerData } from './port.ts';
import { transferables } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('media worker: not started as a worker thread');
const data = (workerData ?? {}) as MediaWorkerData;

const host = new LocalMediaHost({
  clock: data.manualClock
    ? 'manual'
    : new MediaClock({
        ...(data.leadMs !== undefined ? { leadMs: data.leadMs } : {}),
        ...(data.maxBurst !== undefined ? { maxBurst: data.maxBurst } : {}),
      }),
  emit: (n) => {
    port.postMessage(n, transferables(n));
    if (n.type === 'closed') port.close();
  },
});

port.on('message', (message: unknown) => host.handle(message));
