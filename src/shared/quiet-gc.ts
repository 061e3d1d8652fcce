/**
 * One full garbage collection once a thread has had no calls for a while.
 *
 * Why: V8 collects its old generation when allocation pushes it there, and its memory reducer (the GC meant to
 * shrink an idle heap) never ran after a burst of calls: `--trace-memory-reducer` kept reporting "high alloc"
 * every 8 s on an idle server, in the main thread and in the RTP workers alike. Measured after 10,000 SIP calls
 * (issue 5): 40 s after the last call the main heap was 136 MB, 96 MB used of which 21 MB was live, and the RSS
 * stayed at the burst's high-water mark for good. No per-call state was retained (test/e2e/pjsip-leaks.test.ts):
 * it was garbage nobody collected. A collection once calls stop returns it, at a moment with no audio to disturb.
 *
 * `gc` is V8's own collector, which Node exposes as `globalThis.gc` under `--expose-gc` (bin/ariadne sets it);
 * without it nothing is scheduled.
 */

export interface QuietGcOptions {
  /** The collector; undefined (no --expose-gc): nothing is scheduled. */
  readonly gc: (() => void) | undefined;
  /** Whether calls are up now. */
  readonly busy: () => boolean;
  /** How long with no calls before the collection, in ms. */
  readonly quietMs: number;
}

export interface QuietGc {
  /** A call started or ended: (re)starts the wait; the collection happens at its end if no call is up then. */
  activity(): void;
  stop(): void;
}

/** See the file header. One collection per quiet spell: a new wait starts only with new activity. */
export function quietGc(options: QuietGcOptions): QuietGc {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cancel = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const gc = options.gc;
  return {
    activity() {
      cancel();
      if (gc === undefined) return;
      // Whether calls are up is read when the wait ends: the activity may be a call's end reported before that
      // call has left the registry `busy` reads.
      timer = setTimeout(() => {
        timer = undefined;
        if (!options.busy()) gc();
      }, options.quietMs);
      timer.unref();
    },
    stop: cancel,
  };
}

/**
 * `globalThis.gc` when Node runs with --expose-gc, as the memory-reducing kind: a plain `gc()` frees the garbage
 * but V8 keeps the pages it held (heapTotal and RSS stay where they were); `last-resort` is V8's collection that
 * also shrinks the heap and gives its pages back (measured: 160 → 45 MiB RSS for a heap of 124 MB of garbage).
 */
export function exposedGc(): (() => void) | undefined {
  const gc = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return undefined;
  return () => (gc as (options: { type: string; flavor: string }) => void)({ type: 'major', flavor: 'last-resort' });
}
