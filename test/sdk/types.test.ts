/**
 * The SDK's types compile in a consumer project with the strictest usual options (and without skipLibCheck),
 * and the wrong calls in type-tests.ts are rejected (each `@ts-expect-error` there fails when it has no error).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

const repo = path.resolve(import.meta.dirname, '../..');

test('the SDK type-checks in a strict consumer project, and wrong calls are errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-consumer-'));
  try {
    const consumer = path.join(dir, 'app.mts');
    fs.writeFileSync(
      consumer,
      `import { connect, AriError } from ${JSON.stringify(path.join(repo, 'client/index.ts'))};\n` +
        `import { typeTests } from ${JSON.stringify(path.join(repo, 'test/sdk/type-tests.ts'))};\n` +
        `const ari = await connect({ url: 'http://127.0.0.1:8088', username: 'a', password: 'b', apps: ['x'] });\n` +
        `ari.on('StasisEnd', (e) => console.log(e.channel.name));\n` +
        `await typeTests(ari).catch((e: unknown) => { if (e instanceof AriError) console.log(e.status); });\n`,
    );
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2024,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      lib: ['lib.es2024.d.ts'],
      types: ['node'],
      typeRoots: [path.join(repo, 'node_modules/@types')],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      noImplicitOverride: true,
      noPropertyAccessFromIndexSignature: true,
      verbatimModuleSyntax: true,
      erasableSyntaxOnly: true,
      allowImportingTsExtensions: true,
      noEmit: true,
    };
    const program = ts.createProgram([consumer], options);
    const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
      const where = d.file ? `${path.relative(repo, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
      return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    assert.deepEqual(diagnostics, []);
    // The file really was checked: an expected error that is no longer an error is reported (TS2578).
    const broken = path.join(dir, 'broken.mts');
    fs.writeFileSync(
      broken,
      `import type { Ari } from ${JSON.stringify(path.join(repo, 'client/index.ts'))};\n` +
        `export async function f(ari: Ari) {\n  // @ts-expect-error\n  await ari.channels.answer({ channelId: 'x' });\n  await ari.channels.answer({ channelId: 1 });\n}\n`,
    );
    const codes = ts.getPreEmitDiagnostics(ts.createProgram([broken], options)).map((d) => d.code);
    assert.deepEqual(codes.sort(), [2322, 2578]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
