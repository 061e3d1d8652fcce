/**
 * docs/sdk-reference.md is generated from the SDK's TSDoc (scripts/gen-sdk-docs.ts): it must match what the
 * sources give today, document every export of client/index.ts, and list every operation once.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { REFERENCE_FILE, renderSdkReference } from '../../scripts/gen-sdk-docs.ts';
import { operationTable } from '../../client/generated/api.ts';
import { eventTypes } from '../../client/generated/models.ts';
import * as sdk from '../../client/index.ts';

const text = fs.readFileSync(REFERENCE_FILE, 'utf8');

test('docs/sdk-reference.md matches the TSDoc of the SDK', () => {
  assert.equal(text, renderSdkReference(), 'docs/sdk-reference.md is stale: run npm run gen');
});

test('the reference documents each export of client/index.ts, with its examples', () => {
  // The runtime exports; the type-only ones are checked through their headings below.
  for (const name of Object.keys(sdk)) assert.ok(text.includes(`\n### \`${name}\`\n`), `${name} has a section`);
  for (const name of ['ConnectOptions', 'ChannelHandle', 'ObjectHandle', 'EventMap', 'UnknownEvent', 'CallOptions', 'WebSocketLike']) {
    assert.ok(text.includes(`\n### \`${name}\`\n`), `${name} has a section`);
  }
  const connect = text.slice(text.indexOf('\n### `connect`\n'), text.indexOf('\n### `ConnectOptions`\n'));
  assert.match(connect, /```ts\nfunction connect\(options: ConnectOptions\): Promise<Ari>\n```/);
  assert.match(connect, /```ts\nimport \{ connect \} from '\.\/client\/index\.ts';/, 'the @example block, as written');
  assert.match(text, /#### `ari\.on`\n\n```ts\non<T extends EventType>\(type: T, listener: Listener<EventMap\[T\]>\): \(\) => void\non\(type: '\*'/, 'overloads, not the implementation');
  assert.doesNotMatch(text, /#(call|socket|hub)\b/, 'private members stay out');
});

test('the reference lists every operation and event once', () => {
  for (const op of operationTable) {
    const rows = text.split('\n').filter((l) => l.startsWith(`| \`${op.resource}.${op.name}(`));
    assert.equal(rows.length, 1, `${op.resource}.${op.name}`);
    assert.ok(rows[0]!.includes(`\`${op.method} ${op.path}\``), `${op.resource}.${op.name} says how it is sent`);
  }
  for (const type of eventTypes) assert.equal(text.split('\n').filter((l) => l.startsWith(`| \`${type}\` |`)).length, 1, type);
});
