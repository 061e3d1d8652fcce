/**
 * ari.conf `channelvars`: the named variables appear as `channelvars` on every channel the API shows, in REST
 * answers and in events, and follow changes (also after `module reload res_ari.so`).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ariConf, openEvents, startTestServer } from '../helpers/ariadne.ts';
import { REFERENCE_CONFIG_DIR } from '../helpers/reference.ts';

const extensions = fs.readFileSync(path.join(REFERENCE_CONFIG_DIR, 'extensions.conf'), 'utf8');

test('channelvars are reported on channels and follow variable changes', async (t) => {
  const srv = await startTestServer({ files: { 'ari.conf': ariConf('channelvars = CUSTOMER,CALLERID(num)'), 'extensions.conf': extensions } });
  t.after(() => srv.stop());
  const ev = await openEvents(srv.base, 'app=cv&api_key=asterisk:asterisk');
  t.after(() => ev.close());

  const res = await srv.ari('POST', '/channels?endpoint=Local/wait@internal&app=cv&channelId=cv-1&callerId=Bob <5551234>', {
    body: { variables: { CUSTOMER: 'acme' } },
  });
  assert.equal(res.status, 200);
  const created = (await res.json()) as { channelvars?: Record<string, string> };
  // A dialplan function in channelvars is evaluated, as Asterisk does.
  assert.deepEqual(created.channelvars, { CUSTOMER: 'acme', 'CALLERID(num)': '5551234' });

  const start = (await ev.next((m) => m.type === 'StasisStart')) as { channel: { channelvars?: Record<string, string> } };
  assert.equal(start.channel.channelvars?.CUSTOMER, 'acme');

  assert.equal((await srv.ari('POST', '/channels/cv-1/variable?variable=CUSTOMER&value=globex')).status, 204);
  const varset = (await ev.next((m) => m.type === 'ChannelVarset' && m.variable === 'CUSTOMER' && m.value === 'globex')) as {
    channel: { channelvars?: Record<string, string> };
  };
  assert.equal(varset.channel.channelvars?.CUSTOMER, 'globex');
  const got = (await (await srv.ari('GET', '/channels/cv-1')).json()) as { channelvars?: Record<string, string> };
  assert.equal(got.channelvars?.CUSTOMER, 'globex');
});

test('report_events adds a variable to one channel\'s channelvars (originate body and setChannelVar)', async (t) => {
  const srv = await startTestServer({ files: { 'extensions.conf': extensions } });
  t.after(() => srv.stop());
  const ev = await openEvents(srv.base, 'app=re&api_key=asterisk:asterisk');
  t.after(() => ev.close());

  const res = await srv.ari('POST', '/channels?endpoint=Local/wait@internal&app=re&channelId=re-1', {
    body: { variables: { QUEUE: { value: 'sales', report_events: true }, PLAIN: 'x' } },
  });
  assert.equal(res.status, 200);
  const created = (await res.json()) as { channelvars?: Record<string, string> };
  assert.deepEqual(created.channelvars, { QUEUE: 'sales' });
  await ev.next((m) => m.type === 'StasisStart');

  assert.equal((await srv.ari('POST', '/channels/re-1/variable?variable=AGENT&value=42&report_events=true')).status, 204);
  const set = (await ev.next((m) => m.type === 'ChannelVarset' && m.variable === 'AGENT')) as { channel: { channelvars?: Record<string, string> } };
  assert.deepEqual(set.channel.channelvars, { QUEUE: 'sales', AGENT: '42' });
  // Without report_events a variable stays out of channelvars.
  assert.equal((await srv.ari('POST', '/channels/re-1/variable?variable=OTHER&value=1')).status, 204);
  const got = (await (await srv.ari('GET', '/channels/re-1')).json()) as { channelvars?: Record<string, string> };
  assert.deepEqual(got.channelvars, { QUEUE: 'sales', AGENT: '42' });
  // A bad entry is a 400.
  const bad = await srv.ari('POST', '/channels?endpoint=Local/wait@internal&app=re', { body: { variables: { X: { report_events: true } } } });
  assert.equal(bad.status, 400);
});
