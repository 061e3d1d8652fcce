/**
 * Endpoint states over ARI with real SIP peers:
 *
 * - SIPp registers alice (digest auth): an application subscribed to `endpoint:PJSIP/alice` gets
 *   ContactStatusChange (NonQualified), EndpointStateChange (online) and PeerStatusChange (Reachable);
 *   `GET /endpoints/PJSIP/alice` says online and the device `PJSIP/alice` is NOT_INUSE. Unregistering gives
 *   ContactStatusChange (Removed), EndpointStateChange (offline), PeerStatusChange (Unreachable) and
 *   UNAVAILABLE (both announced as DeviceStateChanged). A `subscribeAll` application hears the peer and contact events but not EndpointStateChange,
 *   and an application subscribed to another endpoint hears nothing.
 * - qualify: an AOR pushed through ARI with a SIPp UAS as its static contact and `qualify_frequency=1`
 *   becomes Reachable with a round trip (the endpoint online); when the UAS is gone the next OPTIONS goes
 *   unanswered, the contact is Unreachable and the endpoint offline again.
 * - a call from the endpoint `sipp` changes its `channel_ids`: EndpointStateChange with the channel, then
 *   without it once the call is over.
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { freePort, runSipp, startSipp } from '../helpers/sipp.ts';
import { CALLS_DIALPLAN, phonesPjsipConf } from '../helpers/pjsip.ts';

type Json = Record<string, unknown>;

const pjsipConf = (port: number) => phonesPjsipConf(port, '\n[bob]\ntype = endpoint\naors = bob\n\n[bob]\ntype = aor\n');

let srv: TestServer;
let sipPort: number;
let one: EventClient;
let all: EventClient;
let other: EventClient;

const typed = (type: string, resource: string, extra: (m: Json) => boolean = () => true) => (m: Json) =>
  m.type === type && (m.endpoint as Json | undefined)?.resource === resource && extra(m);
const contactStatus = (m: Json): string => String((m.contact_info as Json).contact_status);
const peerStatus = (m: Json): string => String((m.peer as Json).peer_status);

async function endpointState(resource: string): Promise<string> {
  const res = await srv.ari('GET', `/endpoints/PJSIP/${resource}`);
  assert.equal(res.status, 200);
  return String(((await res.json()) as Json).state);
}

async function deviceState(name: string): Promise<string> {
  const res = await srv.ari('GET', `/deviceStates/${encodeURIComponent(name)}`);
  return String(((await res.json()) as Json).state);
}

before(async () => {
  sipPort = await freePort('udp');
  srv = await startTestServer({ files: { 'pjsip.conf': pjsipConf(sipPort), 'extensions.conf': CALLS_DIALPLAN } });
  one = await openEvents(srv.base, 'app=state-app&api_key=asterisk:asterisk');
  all = await openEvents(srv.base, 'app=all-app&subscribeAll=true&api_key=asterisk:asterisk');
  other = await openEvents(srv.base, 'app=other-app&api_key=asterisk:asterisk');
  assert.equal((await srv.ari('POST', '/applications/state-app/subscription?eventSource=endpoint:PJSIP/alice')).status, 200);
  assert.equal((await srv.ari('POST', '/applications/other-app/subscription?eventSource=endpoint:PJSIP/bob')).status, 200);
});

after(async () => {
  await Promise.all([one?.close(), all?.close(), other?.close()]);
  await srv?.stop();
});

describe('endpoint states follow registrations', { timeout: 30_000 }, () => {
  it('starts offline and UNAVAILABLE', async () => {
    assert.equal(await endpointState('alice'), 'offline');
    assert.equal(await deviceState('PJSIP/alice'), 'UNAVAILABLE');
    const list = (await (await srv.ari('GET', '/endpoints/PJSIP')).json()) as Json[];
    assert.deepEqual(list.map((e) => [e.resource, e.state]).sort(), [['alice', 'offline'], ['bob', 'offline'], ['sipp', 'offline']]);
  });

  it('a registration brings ContactStatusChange, EndpointStateChange and PeerStatusChange; unregistering undoes it', async () => {
    const reg = await runSipp({ scenario: 'register-auth.xml', remote: `127.0.0.1:${sipPort}`, service: 'alice', auth: { user: 'alice', password: 'wonderland' }, vars: { expires: '120' } });
    assert.equal(reg.code, 0, reg.errors);
    const contact = await one.next(typed('ContactStatusChange', 'alice'));
    assert.deepEqual(contact.contact_info, { uri: `sip:alice@127.0.0.1:${reg.port};transport=UDP`, contact_status: 'NonQualified', aor: 'alice', roundtrip_usec: '0' });
    const online = await one.next(typed('EndpointStateChange', 'alice'));
    assert.deepEqual(online.endpoint, { technology: 'PJSIP', resource: 'alice', state: 'online', channel_ids: [] });
    assert.equal(peerStatus(await one.next(typed('PeerStatusChange', 'alice'))), 'Reachable');
    assert.equal(online.application, 'state-app');
    // Asterisk's order: the contact, then the endpoint's new snapshot, then the peer status.
    const order = one.messages.filter((m) => (m.endpoint as Json | undefined)?.resource === 'alice').map((m) => m.type);
    assert.deepEqual(order, ['ContactStatusChange', 'EndpointStateChange', 'PeerStatusChange']);
    assert.equal(await endpointState('alice'), 'online');
    assert.equal(await deviceState('PJSIP/alice'), 'NOT_INUSE');
    // The device state change is announced too (subscribeAll hears every device).
    const device = (state: string) => (m: Json) => m.type === 'DeviceStateChanged' && (m.device_state as Json).name === 'PJSIP/alice' && (m.device_state as Json).state === state;
    await all.next(device('NOT_INUSE'));

    const unreg = await runSipp({ scenario: 'register-auth.xml', remote: `127.0.0.1:${sipPort}`, port: reg.port, service: 'alice', auth: { user: 'alice', password: 'wonderland' }, vars: { expires: '0' } });
    assert.equal(unreg.code, 0, unreg.errors);
    assert.equal(contactStatus(await one.next(typed('ContactStatusChange', 'alice', (m) => contactStatus(m) === 'Removed'))), 'Removed');
    const offline = await one.next(typed('EndpointStateChange', 'alice', (m) => (m.endpoint as Json).state === 'offline'));
    assert.equal((offline.endpoint as Json).state, 'offline');
    assert.equal(peerStatus(await one.next(typed('PeerStatusChange', 'alice', (m) => peerStatus(m) === 'Unreachable'))), 'Unreachable');
    assert.equal(await endpointState('alice'), 'offline');
    assert.equal(await deviceState('PJSIP/alice'), 'UNAVAILABLE');
    await all.next(device('UNAVAILABLE'));

    // subscribeAll hears peer and contact changes, not the snapshots; another endpoint's subscriber nothing.
    const allTypes = all.messages.filter((m) => m.endpoint !== undefined).map((m) => m.type);
    assert.deepEqual(allTypes, ['ContactStatusChange', 'PeerStatusChange', 'ContactStatusChange', 'PeerStatusChange']);
    assert.equal(other.messages.filter((m) => m.endpoint !== undefined).length, 0);
  });

  it('qualify: a pushed AOR with a live UAS contact goes Reachable with an RTT, then Unreachable when the UAS is gone', async () => {
    const uas = await startSipp({ scenario: 'options-uas.xml', timeoutSec: 15 });
    const put = await srv.ari('PUT', '/asterisk/config/dynamic/res_pjsip/endpoint/office', { body: { fields: [{ attribute: 'aors', value: 'office' }] } });
    assert.equal(put.status, 200);
    assert.equal((await srv.ari('POST', '/applications/state-app/subscription?eventSource=endpoint:PJSIP/office')).status, 200);
    const aor = await srv.ari('PUT', '/asterisk/config/dynamic/res_pjsip/aor/office', {
      body: { fields: [{ attribute: 'contact', value: `sip:office@127.0.0.1:${uas.port}` }, { attribute: 'qualify_frequency', value: '1' }, { attribute: 'qualify_timeout', value: '0.5' }] },
    });
    assert.equal(aor.status, 200, await aor.clone().text());
    const reachable = await one.next(typed('ContactStatusChange', 'office', (m) => contactStatus(m) === 'Reachable'), 5000);
    const rtt = Number((reachable.contact_info as Json).roundtrip_usec);
    assert.ok(rtt > 0 && rtt < 1_000_000, `round trip ${rtt} µs`);
    assert.equal(peerStatus(await one.next(typed('PeerStatusChange', 'office', (m) => peerStatus(m) === 'Reachable'))), 'Reachable');
    assert.equal(await endpointState('office'), 'online');
    // The UAS answers one OPTIONS and exits: the next qualify goes unanswered.
    await uas.done;
    await one.next(typed('ContactStatusChange', 'office', (m) => contactStatus(m) === 'Unreachable'), 6000);
    await one.next(typed('PeerStatusChange', 'office', (m) => peerStatus(m) === 'Unreachable'), 3000);
    assert.equal(await endpointState('office'), 'offline');
    assert.equal(await deviceState('PJSIP/office'), 'UNAVAILABLE');
  });

  it("a call's channel joins and leaves the endpoint's channel_ids (EndpointStateChange)", async () => {
    assert.equal((await srv.ari('POST', '/applications/state-app/subscription?eventSource=endpoint:PJSIP/sipp')).status, 200);
    const call = await runSipp({ scenario: { builtin: 'uac' }, remote: `127.0.0.1:${sipPort}`, service: '1000', timeoutSec: 10, extraArgs: ['-d', '300'] });
    assert.equal(call.code, 0, call.errors);
    const joined = await one.next(typed('EndpointStateChange', 'sipp', (m) => ((m.endpoint as Json).channel_ids as string[]).length === 1));
    const id = ((joined.endpoint as Json).channel_ids as string[])[0];
    assert.match(String(id), /^\d+\.\d+$/);
    await one.next(typed('EndpointStateChange', 'sipp', (m) => ((m.endpoint as Json).channel_ids as string[]).length === 0 && one.messages.indexOf(m) > one.messages.indexOf(joined)));
    assert.equal(all.messages.filter((m) => m.type === 'EndpointStateChange').length, 0);
  });
});
