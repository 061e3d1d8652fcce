/**
 * `/mailboxes` handlers over the real operation table and parameter check.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AstDb } from '../../core/astdb.ts';
import { MailboxRegistry } from '../../core/mailboxes.ts';
import { operations } from '../generated/operations.ts';
import { ParamError, parseParams } from '../params.ts';
import { toAriError } from '../errors.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { mailboxHandlers } from './mailboxes.ts';

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

describe('mailboxes handlers', () => {
  const setup = () => mailboxHandlers({ mailboxes: new MailboxRegistry({ db: AstDb.openInMemory() }) });

  it('update, get, list, delete', async () => {
    const h = setup();
    const name = { mailboxName: '1000@default' };
    assert.deepEqual(await call(h, 'mailboxes.update', name, 'oldMessages=2&newMessages=3'), { status: 204 });
    assert.deepEqual(await call(h, 'mailboxes.get', name), { status: 200, body: { name: '1000@default', old_messages: 2, new_messages: 3 } });
    assert.deepEqual(await call(h, 'mailboxes.list', {}), { status: 200, body: [{ name: '1000@default', old_messages: 2, new_messages: 3 }] });
    assert.deepEqual(await call(h, 'mailboxes.delete', name), { status: 204 });
    assert.deepEqual(await call(h, 'mailboxes.list', {}), { status: 200, body: [] });
  });

  it('unknown mailboxes are 404', async () => {
    const h = setup();
    assert.deepEqual(await call(h, 'mailboxes.get', { mailboxName: 'nope' }), { status: 404, body: { message: 'Mailbox does not exist' } });
    assert.deepEqual(await call(h, 'mailboxes.delete', { mailboxName: 'nope' }), { status: 404, body: { message: 'Mailbox does not exist' } });
  });

  it('missing, non-integer, negative and too large counts are 400s naming the parameter', async () => {
    const h = setup();
    const cases: [string, RegExp][] = [
      ['newMessages=1', /oldMessages/],
      ['oldMessages=1', /newMessages/],
      ['oldMessages=abc&newMessages=1', /oldMessages/],
      ['oldMessages=-1&newMessages=1', /oldMessages.*at least 0/],
      ['oldMessages=0&newMessages=2147483648', /newMessages.*at most 2147483647/],
    ];
    for (const [query, re] of cases) {
      const r = await call(h, 'mailboxes.update', { mailboxName: 'm' }, query);
      assert.equal(r.status, 400, query);
      assert.match((r.body as { message: string }).message, re, query);
    }
    assert.deepEqual(await call(h, 'mailboxes.list', {}), { status: 200, body: [] });
  });
});
