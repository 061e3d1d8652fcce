/**
 * `/ari/asterisk` over real sockets: info (with `only`), ping, global variables (query, form and JSON bodies),
 * modules and logging channels.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/;

describe('/asterisk', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.stop());

  async function json(method: string, p: string, init?: Parameters<TestServer['ari']>[2]): Promise<{ status: number; body: unknown }> {
    const res = await srv.ari(method, p, init);
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  it('GET /asterisk/info returns every part in Asterisk shape', async () => {
    const { status, body } = await json('GET', '/asterisk/info');
    assert.equal(status, 200);
    const info = body as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(info), ['build', 'system', 'config', 'status']);
    assert.deepEqual(Object.keys(info.build ?? {}).sort(), ['date', 'kernel', 'machine', 'options', 'os', 'user']);
    assert.equal(info.system?.version, '22.10.1');
    assert.equal(info.system?.entity_id, '02:fc:00:00:00:01');
    assert.equal(info.config?.default_language, 'en');
    assert.deepEqual(info.config?.setid, { user: '', group: '' });
    assert.match(String(info.status?.startup_time), TIMESTAMP);
    assert.match(String(info.status?.last_reload_time), TIMESTAMP);
  });

  it('GET /asterisk/info honours only= (one, a comma list, repeated keys, unknown)', async () => {
    assert.deepEqual(Object.keys((await json('GET', '/asterisk/info?only=build')).body as object), ['build']);
    assert.deepEqual(Object.keys((await json('GET', '/asterisk/info?only=build,system')).body as object), ['build', 'system']);
    assert.deepEqual(Object.keys((await json('GET', '/asterisk/info?only=status&only=config')).body as object), ['config', 'status']);
    // Asterisk answers 200 {} for an unknown part; Ariadne validates the enum and names the parameter.
    const bad = await json('GET', '/asterisk/info?only=nope');
    assert.ok(bad.status === 400 || (bad.status === 200 && JSON.stringify(bad.body) === '{}'), JSON.stringify(bad));
    if (bad.status === 400) assert.match((bad.body as { message: string }).message, /only/);
  });

  it('GET /asterisk/ping answers pong with an ARI timestamp and the entity id', async () => {
    const before = Date.now();
    const { status, body } = await json('GET', '/asterisk/ping');
    assert.equal(status, 200);
    const ping = body as { ping: string; timestamp: string; asterisk_id: string };
    assert.deepEqual(Object.keys(ping), ['ping', 'timestamp', 'asterisk_id']);
    assert.equal(ping.ping, 'pong');
    assert.match(ping.timestamp, TIMESTAMP);
    const t = Date.parse(ping.timestamp.replace('+0000', 'Z'));
    assert.ok(Math.abs(t - before) < 5000, `timestamp ${ping.timestamp} is now`);
    assert.equal(ping.asterisk_id, '02:fc:00:00:00:01');
  });

  it('sets, reads and clears global variables', async () => {
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_UNSET'), { status: 200, body: { value: '' } });
    assert.equal((await json('POST', '/asterisk/variable?variable=E2E_A&value=hello')).status, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_A'), { status: 200, body: { value: 'hello' } });
    // Names are case-sensitive.
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=e2e_a'), { status: 200, body: { value: '' } });
    // Setting without a value empties it.
    assert.equal((await json('POST', '/asterisk/variable?variable=E2E_A')).status, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_A'), { status: 200, body: { value: '' } });
    // Values with spaces, unicode and reserved characters survive the query string.
    const v = 'a b&c=d/é';
    assert.equal((await json('POST', `/asterisk/variable?variable=E2E_B&value=${encodeURIComponent(v)}`)).status, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_B'), { status: 200, body: { value: v } });
  });

  it('answers 400 Variable name is required without a name', async () => {
    assert.deepEqual(await json('GET', '/asterisk/variable'), { status: 400, body: { message: 'Variable name is required' } });
    assert.deepEqual(await json('POST', '/asterisk/variable'), { status: 400, body: { message: 'Variable name is required' } });
    assert.deepEqual(await json('POST', '/asterisk/variable?variable='), { status: 400, body: { message: 'Variable name is required' } });
  });

  it('takes parameters from a JSON body, and JSON wins over the query', async () => {
    assert.equal((await json('POST', '/asterisk/variable', { body: { variable: 'E2E_JSON', value: '1' } })).status, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_JSON'), { status: 200, body: { value: '1' } });
    assert.equal((await json('POST', '/asterisk/variable?variable=E2E_JSON&value=fromquery', { body: { value: 'fromjson' } })).status, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_JSON'), { status: 200, body: { value: 'fromjson' } });
    // Only the JSON variable is touched.
    assert.equal((await json('POST', '/asterisk/variable?variable=E2E_Q&value=q', { body: { variable: 'E2E_J', value: 'j' } })).status, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_J'), { status: 200, body: { value: 'j' } });
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_Q'), { status: 200, body: { value: '' } });
  });

  it('takes parameters from a form body', async () => {
    const res = await srv.ari('POST', '/asterisk/variable', {
      body: 'variable=E2E_FORM&value=x%20y',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_FORM'), { status: 200, body: { value: 'x y' } });
    const charset = await srv.ari('POST', '/asterisk/variable', {
      body: 'variable=E2E_FORM2&value=z',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
    });
    assert.equal(charset.status, 204);
    assert.deepEqual(await json('GET', '/asterisk/variable?variable=E2E_FORM2'), { status: 200, body: { value: 'z' } });
  });

  it('lists and gets modules', async () => {
    const { status, body } = await json('GET', '/asterisk/modules');
    assert.equal(status, 200);
    const list = body as { name: string; description: string; use_count: number; status: string; support_level: string }[];
    assert.ok(list.length > 3);
    for (const m of list) {
      assert.deepEqual(Object.keys(m), ['name', 'description', 'use_count', 'status', 'support_level']);
      assert.equal(typeof m.use_count, 'number');
    }
    const names = list.map((m) => m.name);
    assert.ok(names.includes('res_ari.so'));
    assert.deepEqual(names, [...names].sort(), 'sorted by name');
    const one = await json('GET', '/asterisk/modules/res_ari.so');
    assert.equal(one.status, 200);
    assert.deepEqual(
      { ...(one.body as object), use_count: 0 },
      { name: 'res_ari.so', description: 'Asterisk RESTful Interface', use_count: 0, status: 'Running', support_level: 'core' },
    );
    const missing = await json('GET', '/asterisk/modules/res_nope.so');
    assert.equal(missing.status, 404);
    assert.equal(typeof (missing.body as { message: unknown }).message, 'string');
  });

  it('unloads and loads a module; loading a running one is a 409', async () => {
    const name = 'res_ari_model.so';
    const conflict = await json('POST', `/asterisk/modules/${name}`);
    assert.equal(conflict.status, 409);
    assert.deepEqual(conflict.body, { message: 'Module is already loaded' });
    assert.equal((await json('DELETE', `/asterisk/modules/${name}`)).status, 204);
    assert.equal(((await json('GET', `/asterisk/modules/${name}`)).body as { status: string }).status, 'Not Running');
    const again = await json('DELETE', `/asterisk/modules/${name}`);
    assert.equal(again.status, 404);
    assert.equal((await json('POST', `/asterisk/modules/${name}`)).status, 204);
    assert.equal(((await json('GET', `/asterisk/modules/${name}`)).body as { status: string }).status, 'Running');
    assert.equal((await json('POST', '/asterisk/modules/res_nope.so')).status, 409);
    assert.equal((await json('DELETE', '/asterisk/modules/res_nope.so')).status, 404);
  });

  it('reloads a module with PUT', async () => {
    assert.equal((await json('PUT', '/asterisk/modules/res_ari.so')).status, 204);
    // ARI still answers after its own reload.
    assert.equal((await json('GET', '/asterisk/ping')).status, 200);
    const unknown = await json('PUT', '/asterisk/modules/res_nope.so');
    assert.equal(unknown.status, 404);
    const noReload = await json('PUT', '/asterisk/modules/res_ari_model.so');
    assert.equal(noReload.status, 409);
  });

  it('lists, adds, rotates and deletes log channels', async () => {
    const list0 = await json('GET', '/asterisk/logging');
    assert.equal(list0.status, 200);
    const channels0 = list0.body as { channel: string; type: string; status: string; configuration: string }[];
    assert.ok(channels0.length >= 1);
    for (const c of channels0) assert.deepEqual(Object.keys(c), ['channel', 'type', 'status', 'configuration']);

    assert.equal((await json('POST', '/asterisk/logging/e2e-test?configuration=notice,warning')).status, 204);
    const dup = await json('POST', '/asterisk/logging/e2e-test?configuration=notice');
    assert.equal(dup.status, 409);
    assert.equal(typeof (dup.body as { message: unknown }).message, 'string');
    const missing = await json('POST', '/asterisk/logging/e2e-other');
    assert.equal(missing.status, 400);

    const list1 = (await json('GET', '/asterisk/logging')).body as { channel: string; type: string; configuration: string }[];
    const added = list1.find((c) => c.channel.endsWith('e2e-test'));
    assert.ok(added, JSON.stringify(list1));
    assert.match(added.configuration, /NOTICE/);
    assert.match(added.configuration, /WARNING/);

    assert.equal((await json('PUT', '/asterisk/logging/e2e-test/rotate')).status, 204);
    const rotUnknown = await json('PUT', '/asterisk/logging/no-such-channel/rotate');
    assert.equal(rotUnknown.status, 404);

    assert.equal((await json('DELETE', '/asterisk/logging/e2e-test')).status, 204);
    const gone = await json('DELETE', '/asterisk/logging/e2e-test');
    assert.equal(gone.status, 404);
    assert.equal((await json('DELETE', '/asterisk/logging/never-existed')).status, 404);
    const list2 = (await json('GET', '/asterisk/logging')).body as { channel: string }[];
    assert.ok(!list2.some((c) => c.channel.endsWith('e2e-test')));
    // The log directory received the file channel.
    const logDir = path.join(srv.dir, 'log');
    assert.ok(fs.readdirSync(logDir).some((f) => f.startsWith('e2e-test')), fs.readdirSync(logDir).join(','));
  });

  it("answers Asterisk's 404s for dynamic configuration it does not have (test/e2e/dynamic-config.test.ts has the rest)", async () => {
    assert.deepEqual(await json('GET', '/asterisk/config/dynamic/res_pjsip/endpoint/x'), { status: 404, body: { message: "Object with id 'x' not found" } });
    assert.deepEqual(await json('GET', '/asterisk/config/dynamic/res_nope/endpoint/x'), { status: 404, body: { message: "configClass 'res_nope' not found" } });
  });
});
