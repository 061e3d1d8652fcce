/**
 * The official `ari-client` npm package builds itself from our api-docs at connect time; it must connect,
 * call operations and open its event socket against Ariadne unchanged.
 */

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import ariClient from 'ari-client';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => {
  await srv.stop();
});

interface Client {
  start(apps: string | string[], subscribeAll?: boolean): Promise<void>;
  stop(): void;
  on(event: string, cb: (...args: unknown[]) => void): void;
  asterisk: { getInfo(opts?: object): Promise<Record<string, unknown>>; setGlobalVar(o: object): Promise<void>; getGlobalVar(o: object): Promise<{ value: string }> };
  applications: { list(): Promise<{ name: string }[]>; get(o: object): Promise<{ name: string }> };
  events: { userEvent(o: object): Promise<void> };
}

test('ari-client connects, builds its API from our api-docs, registers an app and receives events', async () => {
  const client = (await (ariClient as unknown as { connect(u: string, user: string, pass: string): Promise<Client> }).connect(
    srv.base,
    'asterisk',
    'asterisk',
  )) as Client;
  try {
    const info = await client.asterisk.getInfo();
    assert.equal((info.system as { entity_id: string }).entity_id, '02:fc:00:00:00:01');

    await client.asterisk.setGlobalVar({ variable: 'FROM_ARI_CLIENT', value: 'yes' });
    assert.deepEqual(await client.asterisk.getGlobalVar({ variable: 'FROM_ARI_CLIENT' }), { value: 'yes' });

    const got = new Promise<Record<string, unknown>>((resolve) => client.on('ChannelUserevent', (event) => resolve(event as Record<string, unknown>)));
    await client.start('hello-world');
    // start() resolves once the socket is open; the app is then registered on the server.
    let apps: { name: string }[] = [];
    for (let i = 0; i < 50 && !apps.some((a) => a.name === 'hello-world'); i++) {
      apps = await client.applications.list();
      if (!apps.some((a) => a.name === 'hello-world')) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(apps.some((a) => a.name === 'hello-world'), 'hello-world is registered');
    assert.equal((await client.applications.get({ applicationName: 'hello-world' })).name, 'hello-world');

    await client.events.userEvent({ eventName: 'Hello', application: 'hello-world', variables: { variables: { who: 'ari-client' } } });
    const event = await got;
    assert.equal(event.eventname, 'Hello');
    assert.deepEqual(event.userevent, { who: 'ari-client', eventname: 'Hello' });
  } finally {
    client.stop();
  }
});

test('ari-client surfaces our 404 as an error with the server message', async () => {
  const client = (await (ariClient as unknown as { connect(u: string, user: string, pass: string): Promise<Client> }).connect(
    srv.base,
    'asterisk',
    'asterisk',
  )) as Client;
  await assert.rejects(client.applications.get({ applicationName: 'nope' }), /Application not found/);
});
