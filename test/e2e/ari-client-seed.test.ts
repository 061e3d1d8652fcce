/**
 * The seed's flow through the official `ari-client` package, unchanged: connect, register the application,
 * originate `Local/1000@from-trunk` whose ;2 half runs NoOp → Answer → Stasis(hello-world), receive StasisStart
 * with the channel as an ari-client Channel instance, answer and hang it up through that instance, StasisEnd.
 */

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ariClient from 'ari-client';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR } from '../helpers/sequences.ts';

interface ChannelInstance {
  id: string;
  name: string;
  state: string;
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
  answer(): Promise<void>;
  hangup(): Promise<void>;
  get(): Promise<ChannelInstance>;
}

interface Client {
  start(apps: string | string[]): Promise<void>;
  stop(): void;
  on(event: string, cb: (...args: unknown[]) => void): void;
  channels: {
    originate(opts: Record<string, unknown>): Promise<ChannelInstance>;
    get(opts: { channelId: string }): Promise<ChannelInstance>;
  };
  applications: { list(): Promise<{ name: string }[]> };
}

let srv: TestServer;
before(async () => {
  srv = await startTestServer({ files: { 'extensions.conf': fs.readFileSync(path.join(REFERENCE_DIR, 'config', 'extensions.conf'), 'utf8') } });
});
after(async () => {
  await srv.stop();
});

/** Resolves with the first emission of `event` that passes `pred`, or rejects after `ms`. */
function once<T extends unknown[]>(client: Client, event: string, pred: (...args: T) => boolean, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    client.on(event, (...args: unknown[]) => {
      if (pred(...(args as T))) {
        clearTimeout(timer);
        resolve(args as T);
      }
    });
  });
}

test('seed flow with ari-client: originate Local/1000@from-trunk, StasisStart, answer, hangup, StasisEnd', async () => {
  const client = (await (ariClient as unknown as { connect(u: string, user: string, pass: string): Promise<Client> }).connect(
    srv.base,
    'asterisk',
    'asterisk',
  )) as Client;
  try {
    const started = once<[Record<string, unknown>, ChannelInstance]>(client, 'StasisStart', (_e, ch) => /^Local\/1000@from-trunk-[0-9a-f]{8};2$/.test(ch.name));
    await client.start('hello-world');
    for (let i = 0; i < 50 && !(await client.applications.list()).some((a) => a.name === 'hello-world'); i++) await new Promise((r) => setTimeout(r, 20));

    const one = await client.channels.originate({ endpoint: 'Local/1000@from-trunk', extension: 'wait', context: 'internal' });
    assert.match(one.name, /^Local\/1000@from-trunk-[0-9a-f]{8};1$/);
    assert.equal(one.state, 'Down');
    assert.deepEqual(one.dialplan, { context: 'from-trunk', exten: '1000', priority: 1, app_name: 'AppDial2', app_data: '(Outgoing Line)' });

    const [event, channel] = await started;
    assert.deepEqual(event.args, []);
    assert.equal(channel.name, one.name.replace(/;1$/, ';2'));
    assert.deepEqual(channel.dialplan, { context: 'from-trunk', exten: '1000', priority: 3, app_name: 'Stasis', app_data: 'hello-world' });
    assert.equal(typeof channel.answer, 'function', 'ari-client promoted the channel to an instance');

    await channel.answer();
    assert.equal((await channel.get()).state, 'Up');

    const ended = once<[Record<string, unknown>, ChannelInstance]>(client, 'StasisEnd', (_e, ch) => ch.id === channel.id);
    await channel.hangup();
    const [end] = await ended;
    assert.equal((end.channel as { id: string }).id, channel.id);

    // Both halves go.
    for (const id of [channel.id, one.id]) {
      let gone = false;
      for (let i = 0; i < 100 && !gone; i++) {
        gone = (await srv.ari('GET', `/channels/${id}`)).status === 404;
        if (!gone) await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(gone, `${id} is gone`);
    }
    await assert.rejects(client.channels.get({ channelId: channel.id }), /Channel not found/);
  } finally {
    client.stop();
  }
});
