/**
 * The loop the in-process micro-benchmarks share (codecs, RTP, SIP parsing): their command line, a test signal,
 * measuring a case for a while, and alternating cases over rounds so that a burst of load on this shared machine
 * hits every case alike. Each bench keeps its own cases, self-checks and report.
 */

export interface MicroArgs {
  readonly quick: boolean;
  /** `--write`: append the report to bench/RESULTS.md. */
  readonly write: boolean;
  /** `--repeat N` rounds (default 3); the median of the rounds is reported. */
  readonly repeat: number;
  /** Per case and round: 1 s, or 0.25 s with `--quick`. */
  readonly runMs: number;
  readonly warmupMs: number;
}

/** Reads `[--quick] [--repeat N] [--write]`; `--help` prints `usage` and exits. */
export function microArgs(usage: string, argv: readonly string[] = process.argv.slice(2)): MicroArgs {
  if (argv.includes('--help')) {
    process.stdout.write(`usage: ${usage}\n`);
    process.exit(0);
  }
  const quick = argv.includes('--quick');
  const at = argv.indexOf('--repeat');
  return {
    quick,
    write: argv.includes('--write'),
    repeat: at >= 0 ? Math.max(1, Number(argv[at + 1] ?? 3)) : 3,
    runMs: quick ? 250 : 1000,
    warmupMs: quick ? 50 : 200,
  };
}

/**
 * `count` different 20 ms frames of `n` samples (a 440 Hz + 1 kHz mix with noise, deterministic), so that codec
 * tables are exercised everywhere rather than on one value.
 */
export function testFrames(count = 50, n = 160): Int16Array[] {
  const frames: Int16Array[] = [];
  let seed = 1;
  for (let f = 0; f < count; f++) {
    const frame = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const t = f * n + i;
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      frame[i] = Math.round(9000 * Math.sin((2 * Math.PI * 440 * t) / 8000) + 6000 * Math.sin((2 * Math.PI * 1000 * t) / 8000) + ((seed % 2001) - 1000));
    }
    frames.push(frame);
  }
  return frames;
}

export interface MicroCase {
  readonly name: string;
  /** One operation; returns something derived from its output so the work cannot be optimised away. */
  readonly run: (i: number) => number;
}

export interface MeasureOptions {
  /** Operations between clock reads (keeps the reads out of the measurement). Default 1000. */
  readonly batch?: number;
  /**
   * `wall` (default): operations per second of elapsed time. `cpu`: per second of this process's CPU time, for
   * cases slow enough that other jobs on a shared machine would otherwise distort them.
   */
  readonly clock?: 'wall' | 'cpu';
}

let sink = 0;

/** Runs `c` for about `ms` milliseconds; returns operations per second. */
export function measure(c: MicroCase, ms: number, options: MeasureOptions = {}): number {
  const batch = options.batch ?? 1000;
  let count = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  let acc = 0;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) acc += c.run(count + i);
    count += batch;
    now = process.hrtime.bigint();
  }
  sink += acc;
  if (options.clock === 'cpu') {
    const cpu = process.cpuUsage(cpu0);
    return count / ((cpu.user + cpu.system) / 1e6);
  }
  return count / (Number(now - start) / 1e9);
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Warms every case up, then runs `repeat` rounds with the cases alternating; returns each case's median rate. */
export function runRounds(cases: readonly MicroCase[], args: MicroArgs, options: MeasureOptions & { warmupMs?: number } = {}): Map<string, number> {
  process.stderr.write(`warming up (${cases.length} cases)…\n`);
  for (const c of cases) measure(c, options.warmupMs ?? args.warmupMs, options);
  const results = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < args.repeat; round++) {
    process.stderr.write(`round ${round + 1}/${args.repeat}\n`);
    for (const c of cases) results.get(c.name)?.push(measure(c, args.runMs, options));
  }
  if (sink === 0.5) process.stdout.write('\n'); // keeps `sink` observable
  return new Map([...results].map(([name, rates]) => [name, median(rates)]));
}
