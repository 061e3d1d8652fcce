/**
 * `/ari/endpoints` over real sockets. With only Local registered the answers are Asterisk 22's (no endpoints;
 * `/endpoints/Local` is a 404 like an unknown technology). A technology that has endpoints is plugged in
 * through the channel driver port (a fake driver registered on the running server) to check
 * listing, filtering by technology (any case) and reading one, with the ARI `Endpoint` model's fields.
 */

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR } from '../helpers/sequences.ts';
import { AriadneError } from '../../src/shared/errors.ts';
import type { ChannelDriver, EndpointView } from '../../src/core/driver.ts';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.stop();
});

async function call(method: string, pathAndQuery: string): Promise<{ status: number; body: unknown }> {
  const res = await srv.ari(method, pathAndQuery);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/** What Asterisk 22 answered to the same request (`rest/<name>.json`). */
function reference(name: string): { status: number; body: unknown } {
  const r = JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'rest', `${name}.json`), 'utf8')) as { status: number; body: unknown };
  return { status: r.status, body: r.body };
}

/** A technology with a fixed set of endpoints and nothing else. */
function fakeDriver(name: string, endpoints: EndpointView[]): ChannelDriver {
  const refuse = () => {
    throw new AriadneError('ERR_INVALID_PARAMETER', `${name} places no calls`);
  };
  return {
    name,
    description: 'Endpoints only, for tests',
    request: refuse,
    call: refuse,
    answer: refuse,
    hangup: () => undefined,
    sendDigit: refuse,
    indicate: refuse,
    endpoints: () => endpoints,
  };
}

describe('/endpoints', () => {
  it('with only Local: no endpoints, and Local is not a technology with endpoints (as Asterisk 22)', async () => {
    assert.deepEqual(await call('GET', '/endpoints'), reference('endpoints-list'));
    assert.deepEqual(await call('GET', '/endpoints/Local'), reference('endpoints-tech-local'));
    assert.deepEqual(await call('GET', '/endpoints/PJSIP'), reference('endpoints-tech-404'));
    assert.deepEqual(await call('GET', '/endpoints/Local/nope'), reference('endpoints-get-404'));
  });

  it("lists, filters and reads a technology's endpoints", async () => {
    srv.ariadne.core.channels.registerDriver(
      fakeDriver('Fake', [
        { technology: 'Fake', resource: 'alice', state: 'online', channelIds: ['1795765220.1403'] },
        { technology: 'Fake', resource: 'bob', state: 'offline', channelIds: [] },
      ]),
    );
    srv.ariadne.core.channels.registerDriver(fakeDriver('Empty', []));
    const alice = { technology: 'Fake', resource: 'alice', state: 'online', channel_ids: ['1795765220.1403'] };
    const bob = { technology: 'Fake', resource: 'bob', state: 'offline', channel_ids: [] };

    const list = await call('GET', '/endpoints');
    assert.deepEqual(list, { status: 200, body: [alice, bob] });
    assert.deepEqual(Object.keys((list.body as object[])[0] as object), ['technology', 'resource', 'state', 'channel_ids'], 'field order');
    assert.deepEqual(await call('GET', '/endpoints/Fake'), { status: 200, body: [alice, bob] });
    assert.deepEqual(await call('GET', '/endpoints/fake'), { status: 200, body: [alice, bob] }, 'technology in any case');
    // A technology with no endpoint yet is unknown to ARI, as in Asterisk (whose per-technology endpoint appears
    // with the first endpoint: its reference answers /endpoints/PJSIP with 404 while pjsip.conf has none).
    assert.deepEqual(await call('GET', '/endpoints/Empty'), { status: 404, body: { message: 'No Endpoints found - invalid tech Empty' } });
    assert.deepEqual(await call('GET', '/endpoints/Nope'), { status: 404, body: { message: 'No Endpoints found - invalid tech Nope' } });

    assert.deepEqual(await call('GET', '/endpoints/Fake/alice'), { status: 200, body: alice });
    assert.deepEqual(await call('GET', '/endpoints/FAKE/bob'), { status: 200, body: bob });
    assert.deepEqual(await call('GET', '/endpoints/Fake/carol'), { status: 404, body: { message: 'Endpoint not found' } });
    assert.deepEqual(await call('GET', '/endpoints/Empty/alice'), { status: 404, body: { message: 'Endpoint not found' } });
    assert.deepEqual(await call('GET', '/endpoints/Nope/alice'), { status: 404, body: { message: 'Endpoint not found' } });
  });

  it('sends messages and REFER through the SIP stack: 404 for an endpoint it does not have (test/e2e/pjsip-message.test.ts sends them)', async () => {
    const notFound = { status: 404, body: { message: 'Endpoint not found' } };
    assert.deepEqual(await call('PUT', '/endpoints/sendMessage?to=pjsip:alice&from=bob'), notFound);
    assert.deepEqual(await call('PUT', '/endpoints/Fake/alice/sendMessage?from=bob'), notFound);
    assert.deepEqual(await call('POST', '/endpoints/refer?to=a&from=b&refer_to=c'), notFound);
    assert.deepEqual(await call('POST', '/endpoints/Fake/alice/refer?from=b&refer_to=c'), notFound);
    assert.equal((await call('PUT', '/endpoints/sendMessage?from=bob')).status, 400, 'missing to');
  });
});
