/**
 * client/generated matches the api-docs (run `node scripts/gen-sdk.ts` when this fails), and the SDK's
 * operation table covers every operation the server routes.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSdk } from '../../scripts/gen-sdk.ts';
import { operationTable, eventRefs } from '../../client/generated/api.ts';
import { eventTypes } from '../../client/generated/models.ts';
import { operations } from '../../src/ari/generated/operations.ts';

test('client/generated is up to date with src/ari/spec', () => {
  assert.deepEqual(checkSdk(), [], 'client/generated is stale: run node scripts/gen-sdk.ts');
});

test('every operation but the events socket is a method, sent the way the spec says', () => {
  const methods = operations.filter((o) => o.upgrade === undefined);
  assert.equal(operationTable.length, methods.length);
  for (const op of methods) {
    const entry = operationTable.find((e) => e.resource === op.resource && e.name === op.nickname);
    assert.ok(entry, `${op.resource}.${op.nickname}`);
    assert.equal(entry.method, op.method);
    assert.equal(entry.path, op.path);
    assert.deepEqual(entry.query, op.params.filter((p) => p.paramType === 'query').map((p) => p.name));
    assert.deepEqual(entry.pathParams, op.params.filter((p) => p.paramType === 'path').map((p) => p.name));
    assert.equal(entry.body?.name, op.params.find((p) => p.paramType === 'body')?.name);
  }
  const originate = operationTable.find((e) => e.resource === 'channels' && e.name === 'originate');
  assert.deepEqual(originate?.body, { name: 'variables', wrap: true });
  const filter = operationTable.find((e) => e.resource === 'applications' && e.name === 'filter');
  assert.deepEqual(filter?.body, { name: 'filter', wrap: false });
});

test('the event union and the handle filters cover every event type', () => {
  assert.deepEqual(eventRefs['Dial'], { Channel: ['caller', 'peer', 'forwarded'] });
  assert.deepEqual(eventRefs['PlaybackFinished'], { Playback: ['playback'] });
  assert.deepEqual(eventRefs['RecordingFinished'], { LiveRecording: ['recording'] });
  for (const type of Object.keys(eventRefs)) assert.ok((eventTypes as readonly string[]).includes(type), type);
});
