/**
 * `/deviceStates` handlers over the real operation table and parameter check: statuses, messages and bodies
 * as Asterisk answers, with 400s (naming the parameter) where Asterisk answers 500.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AstDb } from '../../core/astdb.ts';
import { DeviceStateRegistry } from '../../core/device-states.ts';
import { operations } from '../generated/operations.ts';
import { ParamError, parseParams } from '../params.ts';
import { toAriError } from '../errors.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { deviceStateHandlers } from './device-states.ts';

const USER = { name: 'asterisk', readOnly: false, password: '', passwordFormat: 'plain', acl: [], aclNames: [] } as const;
const REQUEST = { method: 'GET', path: '/', host: 'localhost', secure: false, remoteAddress: '127.0.0.1' };

async function call(handlers: HandlerMap, key: string, path: Record<string, string>, query = ''): Promise<{ status: number; body?: unknown }> {
  const op = operations.find((o) => `${o.resource}.${o.nickname}` === key);
  const handler = handlers[key];
  assert.ok(op && handler, key);
  try {
    const params = parseParams(op, { path, query: new URLSearchParams(query) }, handler.messages);
    const r = await handler.handle({ params, user: USER, request: REQUEST, op });
    return r.body === undefined ? { status: r.status } : { status: r.status, body: r.body };
  } catch (err) {
    if (err instanceof ParamError) return { status: 400, body: { message: err.message } };
    const e = toAriError(err);
    assert.equal(e.internal, false, String((err as Error).stack));
    return { status: e.status, body: { message: e.message } };
  }
}

describe('deviceStates handlers', () => {
  const setup = () => deviceStateHandlers({ states: new DeviceStateRegistry({ db: AstDb.openInMemory() }) });

  it('update, get, list, delete', async () => {
    const h = setup();
    assert.deepEqual(await call(h, 'deviceStates.update', { deviceName: 'Stasis:foo' }, 'deviceState=BUSY'), { status: 204 });
    assert.deepEqual(await call(h, 'deviceStates.get', { deviceName: 'Stasis:foo' }), { status: 200, body: { name: 'Stasis:foo', state: 'BUSY' } });
    assert.deepEqual(await call(h, 'deviceStates.list', {}), { status: 200, body: [{ name: 'Stasis:foo', state: 'BUSY' }] });
    assert.deepEqual(await call(h, 'deviceStates.delete', { deviceName: 'Stasis:foo' }), { status: 204 });
    assert.deepEqual(await call(h, 'deviceStates.get', { deviceName: 'Stasis:foo' }), { status: 200, body: { name: 'Stasis:foo', state: 'UNKNOWN' } });
    assert.deepEqual(await call(h, 'deviceStates.list', {}), { status: 200, body: [] });
  });

  it('answers as the reference for devices it does not control and devices never set', async () => {
    const h = setup();
    assert.deepEqual(await call(h, 'deviceStates.get', { deviceName: 'Local:foo' }), { status: 200, body: { name: 'Local:foo', state: 'INVALID' } });
    assert.deepEqual(await call(h, 'deviceStates.update', { deviceName: 'Local:foo' }, 'deviceState=BUSY'), {
      status: 409,
      body: { message: 'Uncontrolled device specified' },
    });
    assert.deepEqual(await call(h, 'deviceStates.delete', { deviceName: 'Local:foo' }), { status: 409, body: { message: 'Uncontrolled device specified' } });
    assert.deepEqual(await call(h, 'deviceStates.delete', { deviceName: 'Stasis:never-set' }), { status: 204 });
    assert.deepEqual(await call(h, 'deviceStates.update', { deviceName: 'Stasis:' }, 'deviceState=BUSY'), { status: 404, body: { message: 'Device name is missing' } });
    assert.deepEqual(await call(h, 'deviceStates.delete', { deviceName: 'Stasis:' }), { status: 404, body: { message: 'Device name is missing' } });
  });

  it('a missing, unknown or UNKNOWN deviceState is a 400 naming the parameter', async () => {
    const h = setup();
    for (const query of ['', 'deviceState=WHATEVER', 'deviceState=UNKNOWN']) {
      const r = await call(h, 'deviceStates.update', { deviceName: 'Stasis:foo' }, query);
      assert.equal(r.status, 400, query);
      assert.match((r.body as { message: string }).message, /deviceState/);
    }
  });
});
