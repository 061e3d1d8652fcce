/**
 * `ari set debug <app> on` makes the console show every event sent to that application; `off` stops it.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openEvents, startTestServer } from '../helpers/ariadne.ts';

test('ari set debug prints the events an application is sent', async (t) => {
  const srv = await startTestServer();
  t.after(() => srv.stop());
  const ev = await openEvents(srv.base, 'app=dbg&api_key=asterisk:asterisk');
  t.after(() => ev.close());
  const cli = async (line: string) => {
    let out = '';
    await srv.ariadne.commands.execute(line, (s) => (out += s));
    return out;
  };
  const send = async (name: string) => {
    assert.equal((await srv.ari('POST', `/events/user/${name}?application=dbg`)).status, 204);
    await ev.next((m) => m.type === 'ChannelUserevent' && m.eventname === name);
  };

  await send('Quiet');
  assert.doesNotMatch(srv.logs(), /Sending ARI event to dbg/);
  await cli('ari set debug dbg on');
  await send('Loud');
  assert.match(srv.logs(), /<--- Sending ARI event to dbg --->[\s\S]*"eventname": "Loud"/);
  await cli('ari set debug dbg off');
  const before = srv.logs().length;
  await send('QuietAgain');
  assert.doesNotMatch(srv.logs().slice(before), /Sending ARI event/);
});
