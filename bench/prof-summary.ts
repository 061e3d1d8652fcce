/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`, e.g. `node bench/run.ts --cpu-prof`): the functions
 * with the most self time, and the inclusive time of each project function (src/…).
 *
 *   node bench/prof-summary.ts <file.cpuprofile> [--top 40] [--filter src/] [--busiest <s>]
 *
 * `--busiest 10` keeps only the 10 s window with the least idle time: a benchmark's steady state, without its
 * start-up and wind-down.
 */

import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '40' }, filter: { type: 'string', default: '/src/' }, busiest: { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: node bench/prof-summary.ts <file.cpuprofile> [--top N] [--filter /src/]\n');
  process.exit(2);
}
const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const top = Number(values.top);

const byId = new Map<number, ProfileNode>();
const parent = new Map<number, number>();
for (const n of prof.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}

// The sample range to summarise: everything, or the busiest window.
let [from, to] = [0, prof.samples.length];
if (values.busiest !== undefined) [from, to] = busiestWindow(Number(values.busiest) * 1e6);

function busiestWindow(widthUs: number): [number, number] {
  const idleId = prof.nodes.find((n) => n.callFrame.functionName === '(idle)')?.id;
  let best: [number, number] = [0, prof.samples.length];
  let bestBusy = -1;
  let start = 0;
  let span = 0;
  let busy = 0;
  for (let end = 0; end < prof.samples.length; end++) {
    const d = prof.timeDeltas[end] ?? 0;
    span += d;
    if (prof.samples[end] !== idleId) busy += d;
    while (span > widthUs && start < end) {
      const ds = prof.timeDeltas[start] ?? 0;
      span -= ds;
      if (prof.samples[start] !== idleId) busy -= ds;
      start++;
    }
    if (span >= widthUs * 0.95 && busy > bestBusy) {
      bestBusy = busy;
      best = [start, end + 1];
    }
  }
  return best;
}

const selfUs = new Map<number, number>();
for (let i = from; i < to; i++) {
  const id = prof.samples[i] ?? 0;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const short = (url: string) => url.replace(/^file:\/\/.*?\/(src|node_modules|bench)\//, '$1/').replace(/^node:/, 'node:');
const label = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${short(f.url) || '(native)'}${f.url ? `:${f.lineNumber + 1}` : ''}`;

// Self time per function (merged over call sites).
const self = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  if (!n) continue;
  const k = label(n.callFrame);
  self.set(k, (self.get(k) ?? 0) + us);
}
// Inclusive time per function: each sample counts once for every distinct function on its stack.
const incl = new Map<string, number>();
const inclFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  const seenFile = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n) break;
    const k = label(n.callFrame);
    if (!seen.has(k)) {
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
    const f = short(n.callFrame.url);
    if (f && !seenFile.has(f)) {
      seenFile.add(f);
      inclFile.set(f, (inclFile.get(f) ?? 0) + us);
    }
  }
}

const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const out: string[] = [];
out.push(`profile: ${(total / 1e6).toFixed(2)} s sampled (${prof.samples.length} samples)`);
out.push('', `top ${top} by self time:`);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${pct(us)}  ${k}`);
out.push('', `top ${top} by inclusive time, functions whose URL contains "${values.filter}":`);
for (const [k, us] of [...incl].filter(([k]) => k.includes(values.filter.replace(/^\//, ''))).sort((a, b) => b[1] - a[1]).slice(0, top)) {
  out.push(`  ${pct(us)}  ${k}`);
}
out.push('', 'inclusive time by file (top 30):');
for (const [k, us] of [...inclFile].sort((a, b) => b[1] - a[1]).slice(0, 30)) out.push(`  ${pct(us)}  ${k}`);
process.stdout.write(`${out.join('\n')}\n`);
