/**
 * `/ari/mailboxes` over real sockets: create, read, list, update and delete external MWI mailboxes, 404s for
 * unknown ones, 400s for bad counts, and persistence in the astdb across a restart.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { startAriadne } from '../../src/server.ts';
import { basic, makeConfigTree, startTestServer, type TestServer } from '../helpers/ariadne.ts';

async function json(res: Response): Promise<{ status: number; body: unknown }> {
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('/mailboxes', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  it('PUT creates and replaces, GET and list show it, DELETE removes it', async () => {
    assert.deepEqual(await json(await srv.ari('GET', '/mailboxes')), { status: 200, body: [] });
    const put = await srv.ari('PUT', '/mailboxes/1000@default?oldMessages=2&newMessages=3');
    assert.equal(put.status, 204);
    assert.equal(await put.text(), '');
    assert.deepEqual(await json(await srv.ari('GET', '/mailboxes/1000@default')), {
      status: 200,
      body: { name: '1000@default', old_messages: 2, new_messages: 3 },
    });
    // A JSON body works as well as the query string.
    assert.equal((await srv.ari('PUT', '/mailboxes/1000@default', { body: { oldMessages: 5, newMessages: 0 } })).status, 204);
    assert.equal((await srv.ari('PUT', '/mailboxes/2000%40sales?oldMessages=0&newMessages=1')).status, 204);
    assert.deepEqual(await json(await srv.ari('GET', '/mailboxes')), {
      status: 200,
      body: [
        { name: '1000@default', old_messages: 5, new_messages: 0 },
        { name: '2000@sales', old_messages: 0, new_messages: 1 },
      ],
    });
    assert.equal((await srv.ari('DELETE', '/mailboxes/1000@default')).status, 204);
    assert.equal((await srv.ari('DELETE', '/mailboxes/2000@sales')).status, 204);
    assert.deepEqual(await json(await srv.ari('GET', '/mailboxes')), { status: 200, body: [] });
  });

  it('GET and DELETE of an unknown mailbox are 404', async () => {
    assert.deepEqual(await json(await srv.ari('GET', '/mailboxes/nope')), { status: 404, body: { message: 'Mailbox does not exist' } });
    assert.deepEqual(await json(await srv.ari('DELETE', '/mailboxes/nope')), { status: 404, body: { message: 'Mailbox does not exist' } });
  });

  it('missing, non-integer and negative counts are 400s naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['?newMessages=1', /oldMessages/],
      ['?oldMessages=1', /newMessages/],
      ['?oldMessages=x&newMessages=1', /oldMessages/],
      ['?oldMessages=1&newMessages=-4', /newMessages/],
    ];
    for (const [q, re] of cases) {
      const r = await json(await srv.ari('PUT', `/mailboxes/bad${q}`));
      assert.equal(r.status, 400, q);
      assert.match((r.body as { message: string }).message, re, q);
    }
    assert.equal((await srv.ari('GET', '/mailboxes/bad')).status, 404);
  });

  it('the console shows the mailbox where res_mwi_external keeps it', async () => {
    assert.equal((await srv.ari('PUT', '/mailboxes/3000@default?oldMessages=1&newMessages=2')).status, 204);
    let out = '';
    await srv.ariadne.commands.execute('database show mwi_external', (s) => (out += s));
    assert.match(out, /^\/mwi_external\/mailboxes\/3000@default +: \{"msgs_new":"2","msgs_old":"1"\} *\n1 results found\.\n$/);
    assert.equal((await srv.ari('DELETE', '/mailboxes/3000@default')).status, 204);
  });
});

describe('/mailboxes persistence', () => {
  it('a mailbox set before a restart is still there after it', async (t) => {
    const { dir, asteriskConf } = makeConfigTree();
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const start = async () => {
      const ariadne = await startAriadne({ asteriskConf, consoleStream: new PassThrough(), httpPortOverride: 0, tlsPortOverride: 0 });
      const base = `http://127.0.0.1:${ariadne.http.bound().plain?.port ?? 0}/ari`;
      return { ariadne, call: (method: string, p: string) => fetch(base + p, { method, headers: { authorization: basic('asterisk:asterisk') } }) };
    };
    const first = await start();
    try {
      assert.equal((await first.call('PUT', '/mailboxes/1000@default?oldMessages=4&newMessages=9')).status, 204);
    } finally {
      await first.ariadne.stop();
    }
    const second = await start();
    try {
      assert.deepEqual(await json(await second.call('GET', '/mailboxes')), {
        status: 200,
        body: [{ name: '1000@default', old_messages: 4, new_messages: 9 }],
      });
    } finally {
      await second.ariadne.stop();
    }
  });
});
