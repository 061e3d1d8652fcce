/**
 * Push configuration (`/asterisk/config/dynamic/res_pjsip/{objectType}/{id}`) against a running SIP stack:
 * an endpoint, AOR and auth created through ARI let SIPp register with those credentials; GET answers every
 * field as ConfigTuples; updates apply over earlier fields; bad values are 400 with the reason; objects of
 * pjsip.conf cannot be changed or deleted (403); DELETE removes the pushed ones (and registering fails again);
 * unknown classes, types and ids are Asterisk's 404s.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { freePort, runSipp } from '../helpers/sipp.ts';

type Tuple = { attribute: string; value: string };

let srv: TestServer;
let sipPort: number;
const BASE = '/asterisk/config/dynamic/res_pjsip';

before(async () => {
  sipPort = await freePort('udp');
  srv = await startTestServer({
    files: { 'pjsip.conf': `[udp]\ntype = transport\nprotocol = udp\nbind = 127.0.0.1:${sipPort}\n\n[static]\ntype = endpoint\ncontext = default\n` },
  });
});

after(async () => {
  await srv?.stop();
});

const put = (path: string, fields: Tuple[] | undefined) => srv.ari('PUT', `${BASE}/${path}`, { body: fields === undefined ? {} : { fields } });
const value = (tuples: Tuple[], attribute: string) => tuples.find((t) => t.attribute === attribute)?.value;

describe('res_pjsip push configuration', { timeout: 30_000 }, () => {
  it('creates an endpoint, AOR and auth that a phone can register with, then deletes them', async () => {
    const auth = await put('auth/carol', [{ attribute: 'username', value: 'carol' }, { attribute: 'password', value: 's3cret' }]);
    assert.equal(auth.status, 200);
    assert.equal((await put('aor/carol', [{ attribute: 'max_contacts', value: '1' }])).status, 200);
    const ep = await put('endpoint/carol', [{ attribute: 'context', value: 'default' }, { attribute: 'aors', value: 'carol' }, { attribute: 'auth', value: 'carol' }, { attribute: 'allow', value: 'ulaw' }]);
    assert.equal(ep.status, 200);
    const tuples = (await ep.json()) as Tuple[];
    assert.equal(value(tuples, 'aors'), 'carol');
    assert.equal(value(tuples, 'allow'), '(ulaw)');
    assert.equal(value(tuples, 'direct_media'), 'true', 'defaults are listed too');
    assert.deepEqual(tuples.map((t) => t.attribute), [...tuples.map((t) => t.attribute)].sort());

    const reg = await runSipp({ scenario: 'register-auth.xml', remote: `127.0.0.1:${sipPort}`, service: 'carol', auth: { user: 'carol', password: 's3cret' }, vars: { expires: '60' } });
    assert.equal(reg.code, 0, reg.errors);
    assert.equal(srv.ariadne.sip.stack.registrar.bindings('carol').length, 1);
    const endpoint = (await (await srv.ari('GET', '/endpoints/PJSIP/carol')).json()) as Record<string, unknown>;
    assert.equal(endpoint.state, 'online');

    const got = (await (await srv.ari('GET', `${BASE}/auth/carol`)).json()) as Tuple[];
    assert.equal(value(got, 'username'), 'carol');
    assert.equal(value(got, 'auth_type'), 'userpass');

    assert.equal((await srv.ari('DELETE', `${BASE}/endpoint/carol`)).status, 204);
    assert.equal((await srv.ari('GET', `${BASE}/endpoint/carol`)).status, 404);
    assert.equal((await srv.ari('GET', '/endpoints/PJSIP/carol')).status, 404);
    // Without the endpoint, the same credentials no longer register.
    const refused = await runSipp({ scenario: 'register-auth.xml', remote: `127.0.0.1:${sipPort}`, service: 'carol', auth: { user: 'carol', password: 's3cret' }, vars: { expires: '60' }, timeoutSec: 3 });
    assert.notEqual(refused.code, 0);
  });

  it('applies an update over the earlier fields and refuses a bad value with the reason', async () => {
    assert.equal((await put('aor/dave', [{ attribute: 'max_contacts', value: '2' }])).status, 200);
    const updated = (await (await put('aor/dave', [{ attribute: 'qualify_frequency', value: '30' }])).json()) as Tuple[];
    assert.equal(value(updated, 'max_contacts'), '2');
    assert.equal(value(updated, 'qualify_frequency'), '30');
    const bad = await put('aor/dave', [{ attribute: 'max_contacts', value: 'many' }]);
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /^Update of object 'dave' failed field value validation: .*max_contacts/);
    const unknown = await put('aor/erin', [{ attribute: 'colour', value: 'blue' }]);
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { message: string }).message, /^Creation of object 'erin' failed field value validation: unknown option 'colour'/);
    assert.equal((await srv.ari('GET', `${BASE}/aor/erin`)).status, 404);
    const empty = await put('aor/dave', undefined);
    assert.equal(empty.status, 400);
    assert.deepEqual(await empty.json(), { message: "Fields must be provided to update object 'dave'" });
  });

  it("keeps pjsip.conf's objects read-only and answers Asterisk's 404s", async () => {
    const fromFile = await srv.ari('GET', `${BASE}/endpoint/static`);
    assert.equal(fromFile.status, 200);
    assert.equal(value((await fromFile.json()) as Tuple[], 'context'), 'default');
    const change = await put('endpoint/static', [{ attribute: 'context', value: 'other' }]);
    assert.equal(change.status, 403);
    assert.deepEqual(await change.json(), { message: "Cannot update sorcery objects of type 'endpoint'" });
    const del = await srv.ari('DELETE', `${BASE}/endpoint/static`);
    assert.equal(del.status, 403);
    assert.deepEqual(await del.json(), { message: "Could not delete object with id 'static'" });
    const transport = await put('transport/extra', [{ attribute: 'bind', value: '127.0.0.1' }]);
    assert.equal(transport.status, 403);
    const expect404 = async (path: string, message: string) => {
      const res = await srv.ari('GET', path);
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), { message });
    };
    await expect404('/asterisk/config/dynamic/res_nothing/endpoint/x', "configClass 'res_nothing' not found");
    await expect404(`${BASE}/gizmo/x`, "objectType 'gizmo' not found");
    await expect404(`${BASE}/endpoint/nobody`, "Object with id 'nobody' not found");
    assert.equal((await srv.ari('DELETE', `${BASE}/endpoint/nobody`)).status, 404);
  });
});
