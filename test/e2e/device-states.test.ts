/**
 * `/ari/deviceStates` over real sockets: set, read, list and delete `Stasis:` devices, the answers for devices
 * ARI does not control, 400s where Asterisk answers 500, and persistence in the astdb across a restart.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { PassThrough } from 'node:stream';
import { startAriadne, type Ariadne } from '../../src/server.ts';
import { basic, makeConfigTree, startTestServer, type TestServer } from '../helpers/ariadne.ts';

async function json(res: Response): Promise<{ status: number; body: unknown }> {
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('/deviceStates', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  it('PUT a Stasis: device, then GET and list it; DELETE makes it UNKNOWN again', async () => {
    const put = await srv.ari('PUT', '/deviceStates/Stasis:foo?deviceState=BUSY');
    assert.equal(put.status, 204);
    assert.equal(await put.text(), '');
    assert.deepEqual(await json(await srv.ari('GET', '/deviceStates/Stasis:foo')), { status: 200, body: { name: 'Stasis:foo', state: 'BUSY' } });
    assert.deepEqual(await json(await srv.ari('GET', '/deviceStates')), { status: 200, body: [{ name: 'Stasis:foo', state: 'BUSY' }] });

    // A form body works as well as the query string.
    const form = await srv.ari('PUT', '/deviceStates/Stasis:bar', {
      body: 'deviceState=RINGING',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 204);
    assert.deepEqual((await json(await srv.ari('GET', '/deviceStates'))).body, [
      { name: 'Stasis:bar', state: 'RINGING' },
      { name: 'Stasis:foo', state: 'BUSY' },
    ]);

    assert.equal((await srv.ari('DELETE', '/deviceStates/Stasis:foo')).status, 204);
    assert.equal((await srv.ari('DELETE', '/deviceStates/Stasis:bar')).status, 204);
    assert.deepEqual(await json(await srv.ari('GET', '/deviceStates/Stasis:foo')), { status: 200, body: { name: 'Stasis:foo', state: 'UNKNOWN' } });
    assert.deepEqual(await json(await srv.ari('GET', '/deviceStates')), { status: 200, body: [] });
  });

  it('DELETE of a device never set is 204; GET of a device no one provides is INVALID', async () => {
    assert.equal((await srv.ari('DELETE', '/deviceStates/Stasis:never-set')).status, 204);
    assert.deepEqual(await json(await srv.ari('GET', '/deviceStates/Local:foo')), { status: 200, body: { name: 'Local:foo', state: 'INVALID' } });
    assert.deepEqual(await json(await srv.ari('GET', '/deviceStates/nonsense')), { status: 200, body: { name: 'nonsense', state: 'INVALID' } });
  });

  it('a device outside Stasis: is 409 Uncontrolled device specified; Stasis: alone is 404', async () => {
    assert.deepEqual(await json(await srv.ari('PUT', '/deviceStates/Local:foo?deviceState=BUSY')), {
      status: 409,
      body: { message: 'Uncontrolled device specified' },
    });
    assert.deepEqual(await json(await srv.ari('DELETE', '/deviceStates/PJSIP%2Falice')), {
      status: 409,
      body: { message: 'Uncontrolled device specified' },
    });
    assert.deepEqual(await json(await srv.ari('PUT', '/deviceStates/Stasis:?deviceState=BUSY')), {
      status: 404,
      body: { message: 'Device name is missing' },
    });
  });

  it('a missing or unknown deviceState is a 400 naming the parameter (Asterisk: 500 Unknown device)', async () => {
    for (const q of ['', '?deviceState=WHATEVER', '?deviceState=UNKNOWN']) {
      const r = await json(await srv.ari('PUT', `/deviceStates/Stasis:foo${q}`));
      assert.equal(r.status, 400, q);
      assert.match((r.body as { message: string }).message, /deviceState/, q);
    }
    assert.deepEqual((await json(await srv.ari('GET', '/deviceStates/Stasis:foo'))).body, { name: 'Stasis:foo', state: 'UNKNOWN' });
  });

  it('a read-only user may read but not write', async () => {
    assert.equal((await srv.ari('GET', '/deviceStates', { auth: 'readonly:readonly' })).status, 200);
    assert.equal((await srv.ari('PUT', '/deviceStates/Stasis:ro?deviceState=BUSY', { auth: 'readonly:readonly' })).status, 403);
  });

  it('the console shows the state in the astdb', async () => {
    assert.equal((await srv.ari('PUT', '/deviceStates/Stasis:lamp?deviceState=ONHOLD')).status, 204);
    let out = '';
    await srv.ariadne.commands.execute('database show StasisDeviceState', (s) => (out += s));
    assert.match(out, /^\/StasisDeviceState\/lamp +: ONHOLD +\n1 results found\.\n$/);
    assert.equal((await srv.ari('DELETE', '/deviceStates/Stasis:lamp')).status, 204);
  });
});

describe('/deviceStates persistence', () => {
  it('a state set before a restart is still there after it', async (t) => {
    const { dir, asteriskConf } = makeConfigTree();
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const start = async (): Promise<{ ariadne: Ariadne; call: (method: string, p: string) => Promise<Response> }> => {
      const ariadne = await startAriadne({ asteriskConf, consoleStream: new PassThrough(), httpPortOverride: 0, tlsPortOverride: 0 });
      const base = `http://127.0.0.1:${ariadne.http.bound().plain?.port ?? 0}/ari`;
      return { ariadne, call: (method, p) => fetch(base + p, { method, headers: { authorization: basic('asterisk:asterisk') } }) };
    };

    const first = await start();
    try {
      assert.equal((await first.call('PUT', '/deviceStates/Stasis:foo?deviceState=BUSY')).status, 204);
      assert.equal((await first.call('PUT', '/deviceStates/Stasis:gone?deviceState=INUSE')).status, 204);
      assert.equal((await first.call('DELETE', '/deviceStates/Stasis:gone')).status, 204);
    } finally {
      await first.ariadne.stop();
    }

    const second = await start();
    try {
      assert.deepEqual(await json(await second.call('GET', '/deviceStates/Stasis:foo')), { status: 200, body: { name: 'Stasis:foo', state: 'BUSY' } });
      assert.deepEqual(await json(await second.call('GET', '/deviceStates')), { status: 200, body: [{ name: 'Stasis:foo', state: 'BUSY' }] });
    } finally {
      await second.ariadne.stop();
    }
  });
});
