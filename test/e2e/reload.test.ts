/**
 * `core reload` and `module reload res_ari.so` re-read ari.conf and http.conf while connections stay up.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ARI_CONF, openEvents, startTestServer } from '../helpers/ariadne.ts';

async function console(srv: { ariadne: { commands: { execute(line: string, write: (s: string) => void): Promise<boolean> } } }, line: string) {
  let out = '';
  await srv.ariadne.commands.execute(line, (s) => (out += s));
  return out;
}

test('core reload applies a new ari.conf user without dropping the events socket', async (t) => {
  const srv = await startTestServer();
  t.after(() => srv.stop());
  const events = await openEvents(srv.base, 'app=keep&api_key=asterisk:asterisk');
  t.after(() => events.close());

  assert.equal((await srv.ari('GET', '/asterisk/ping', { auth: 'newbie:secret' })).status, 401);
  fs.writeFileSync(
    path.join(srv.dir, 'etc', 'ari.conf'),
    `${ARI_CONF}\n[newbie]\ntype = user\npassword = secret\nread_only = yes\n`.replace('pretty = yes', 'pretty = no'),
  );
  await console(srv, 'core reload');

  const res = await srv.ari('GET', '/asterisk/ping', { auth: 'newbie:secret' });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.ok(!text.includes('\n'), 'pretty = no now applies');
  assert.equal((await srv.ari('POST', '/asterisk/variable?variable=X', { auth: 'newbie:secret' })).status, 403);

  // The socket opened before the reload still receives events.
  assert.equal((await srv.ari('POST', '/events/user/AfterReload?application=keep')).status, 204);
  const ev = await events.next((m) => m.type === 'ChannelUserevent');
  assert.equal(ev.eventname, 'AfterReload');
  assert.match(await console(srv, 'ari show users'), /newbie/);
});

test('module reload http.so applies new limits and keeps serving', async (t) => {
  const srv = await startTestServer();
  t.after(() => srv.stop());
  const httpConf = path.join(srv.dir, 'etc', 'http.conf');
  fs.writeFileSync(httpConf, fs.readFileSync(httpConf, 'utf8') + 'servername = Reloaded/1.0\n');
  await console(srv, 'module reload http.so');
  const res = await srv.ari('GET', '/asterisk/ping');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('server'), 'Reloaded/1.0');
});
