/**
 * `npm run example -- <name>`: runs `examples/<name>/app.ts` against an ARI server until Ctrl-C.
 *
 * The server is `ARI_URL` (default http://127.0.0.1:8088) with `ARI_USERNAME` / `ARI_PASSWORD` (default the
 * seed's `asterisk` user from configs/ari.conf) — Ariadne started with `npm start` in another terminal, or any
 * Asterisk. Without a name, or with one that is not an example, it lists the examples with the first line of
 * each one's header comment.
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const EXAMPLES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'examples');

/** Every `examples/<name>/app.ts`, with the summary line of its header comment. */
export function listExamples(dir = EXAMPLES_DIR): { name: string; summary: string }[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(dir, d.name, 'app.ts')))
    .map((d) => {
      const text = fs.readFileSync(path.join(dir, d.name, 'app.ts'), 'utf8');
      const first = /\/\*\*\s*\n\s*\*\s*(.+)/.exec(text)?.[1] ?? '';
      // "<name>: what it does." — or, for a header in another style, its first clause.
      const summary = first.startsWith(`${d.name}: `) ? first.slice(d.name.length + 2) : first.split(/: |\. /)[0]!;
      return { name: d.name, summary: summary.length > 100 ? `${summary.slice(0, 99)}…` : summary };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function usage(out: NodeJS.WriteStream): void {
  const examples = listExamples();
  const width = Math.max(...examples.map((e) => e.name.length));
  out.write('Usage: npm run example -- <name>    (ARI_URL, ARI_USERNAME, ARI_PASSWORD from the environment)\n\nExamples:\n');
  for (const e of examples) out.write(`  ${e.name.padEnd(width)}  ${e.summary}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === '-h' || name === '--help') {
    usage(process.stdout);
    return 0;
  }
  if (!listExamples().some((e) => e.name === name)) {
    process.stderr.write(`no example named '${name}'\n\n`);
    usage(process.stderr);
    return 1;
  }
  const mod = (await import(path.join(EXAMPLES_DIR, name, 'app.ts'))) as { default: (opts: { signal: AbortSignal }) => Promise<void> };
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const url = process.env.ARI_URL ?? 'http://127.0.0.1:8088';
  process.stdout.write(`running example ${name} against ${url} as ${process.env.ARI_USERNAME ?? 'asterisk'}; Ctrl-C stops it\n`);
  await mod.default({ signal: ctl.signal });
  process.stdout.write(`example ${name} stopped\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: unknown) => {
      process.stderr.write(`example failed: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
