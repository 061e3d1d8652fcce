/**
 * Writes docs/ari-coverage.md from the handlers a real server registers (`--check`: exit 1 when stale).
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestServer } from '../test/helpers/ariadne.ts';
import { operations } from '../src/ari/generated/operations.ts';
import { coverageMarkdown } from '../src/ari/coverage.ts';

export const COVERAGE_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'ari-coverage.md');

export async function renderCoverage(): Promise<string> {
  const srv = await startTestServer();
  try {
    return coverageMarkdown(operations, srv.ariadne.ari.dispatcher.implemented(operations));
  } finally {
    await srv.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = await renderCoverage();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(COVERAGE_FILE) ? fs.readFileSync(COVERAGE_FILE, 'utf8') : '';
    if (current !== text) {
      console.error(`${COVERAGE_FILE} is out of date: run npm run gen`);
      process.exit(1);
    }
  } else {
    fs.writeFileSync(COVERAGE_FILE, text);
    console.log(`wrote ${COVERAGE_FILE}`);
  }
}
