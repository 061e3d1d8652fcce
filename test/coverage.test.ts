import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { COVERAGE_FILE, renderCoverage } from '../scripts/gen-coverage.ts';
import { operations } from '../src/ari/generated/operations.ts';

test('docs/ari-coverage.md matches the operations the server routes', async () => {
  const expected = await renderCoverage();
  assert.equal(fs.readFileSync(COVERAGE_FILE, 'utf8'), expected, 'docs/ari-coverage.md is stale: run npm run gen');
});

test('the coverage document lists all 109 operations exactly once', () => {
  const text = fs.readFileSync(COVERAGE_FILE, 'utf8');
  assert.equal(operations.length, 109);
  for (const op of operations) {
    const rows = text.split('\n').filter((l) => l.startsWith(`| ${op.nickname} | ${op.method} | \`${op.path}\``));
    assert.equal(rows.length, 1, `${op.resource}.${op.nickname} must appear once`);
  }
});
