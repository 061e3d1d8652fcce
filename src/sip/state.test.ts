import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pjsipFromText } from './test-config.ts';
import { endpointEventTargets, endpointStateEvents, contactStatusEvent, EndpointStates, pjsipDeviceState, type ContactInfo, type EndpointState } from './state.ts';

const CONF = `
[alice]
type=endpoint
aors=alice
[alice]
type=aor
max_contacts=2
[bob]
type=endpoint
aors=bob
[bob]
type=aor
qualify_frequency=30
[trunk]
type=endpoint
[office]
type=endpoint
aors=static
[static]
type=aor
contact=sip:office@192.0.2.10
`;

function track(conf = CONF) {
  const log: string[] = [];
  const states = new EndpointStates({
    config: pjsipFromText(conf),
    sink: {
      contactStatus: (ep: string, c: ContactInfo) => log.push(`contact ${ep} ${c.aor} ${c.uri} ${c.status} ${c.rttUs}`),
      endpointState: (ep: string, s: EndpointState) => log.push(`endpoint ${ep} ${s}`),
    },
  });
  return { states, log };
}

describe('EndpointStates', () => {
  it('starts endpoints offline, except one whose unqualified AOR has a static contact', () => {
    const { states, log } = track();
    assert.equal(states.state('alice'), 'offline');
    assert.equal(states.state('trunk'), 'offline');
    assert.equal(states.state('office'), 'online');
    assert.equal(states.state('nobody'), undefined);
    assert.deepEqual(log, ['contact office static sip:office@192.0.2.10 NonQualified 0', 'endpoint office online']);
  });

  it('a registration makes an unqualified AOR available; its removal takes the endpoint offline', () => {
    const { states, log } = track();
    log.length = 0;
    states.contactAdded('alice', 'sip:alice@127.0.0.1:5070');
    assert.equal(states.state('alice'), 'online');
    states.contactAdded('alice', 'sip:alice@127.0.0.1:5070'); // a refresh announces nothing
    states.contactRemoved('alice', 'sip:alice@127.0.0.1:5070');
    assert.equal(states.state('alice'), 'offline');
    assert.deepEqual(log, [
      'contact alice alice sip:alice@127.0.0.1:5070 NonQualified 0',
      'endpoint alice online',
      'contact alice alice sip:alice@127.0.0.1:5070 Removed 0',
      'endpoint alice offline',
    ]);
  });

  it('a qualified AOR is available only while a contact is Reachable', () => {
    const { states, log } = track();
    log.length = 0;
    states.contactAdded('bob', 'sip:bob@127.0.0.1:5080');
    assert.equal(states.state('bob'), 'offline');
    states.qualified('bob', 'sip:bob@127.0.0.1:5080', 'Reachable', 1234);
    assert.equal(states.state('bob'), 'online');
    assert.equal(states.contact('bob', 'sip:bob@127.0.0.1:5080')?.rttUs, 1234);
    states.qualified('bob', 'sip:bob@127.0.0.1:5080', 'Reachable', 999); // same status: nothing new
    states.qualified('bob', 'sip:bob@127.0.0.1:5080', 'Unreachable', undefined);
    assert.equal(states.state('bob'), 'offline');
    states.qualified('bob', 'sip:unknown@127.0.0.1', 'Reachable', 1); // not a contact: ignored
    assert.deepEqual(log, [
      'contact bob bob sip:bob@127.0.0.1:5080 NonQualified 0',
      'contact bob bob sip:bob@127.0.0.1:5080 Reachable 1234',
      'endpoint bob online',
      'contact bob bob sip:bob@127.0.0.1:5080 Unreachable 0',
      'endpoint bob offline',
    ]);
  });

  it('announces a contact to every endpoint that uses its AOR', () => {
    const { states, log } = track(`${CONF}\n[alice2]\ntype=endpoint\naors=alice\n`);
    log.length = 0;
    states.contactAdded('alice', 'sip:a@127.0.0.1');
    assert.deepEqual(log, [
      'contact alice alice sip:a@127.0.0.1 NonQualified 0',
      'contact alice2 alice sip:a@127.0.0.1 NonQualified 0',
      'endpoint alice online',
      'endpoint alice2 online',
    ]);
  });

  it('follows a reload: removed static contacts, new endpoints, dropped AORs', () => {
    const { states, log } = track();
    states.contactAdded('alice', 'sip:a@127.0.0.1');
    log.length = 0;
    states.updateConfig(pjsipFromText(`[alice]\ntype=endpoint\naors=alice\n[alice]\ntype=aor\ncontact=sip:fixed@192.0.2.1\n[office]\ntype=endpoint\naors=static\n[static]\ntype=aor\n`));
    assert.deepEqual(log, [
      'contact alice alice sip:fixed@192.0.2.1 NonQualified 0',
      'contact office static sip:office@192.0.2.10 Removed 0',
      'endpoint office offline',
    ]);
    assert.equal(states.state('bob'), undefined);
    assert.deepEqual(states.contacts('alice').map((c) => [c.uri, c.static]), [['sip:fixed@192.0.2.1', true], ['sip:a@127.0.0.1', false]]);
  });
});

describe('endpoint events', () => {
  const ep = { technology: 'PJSIP', resource: 'alice', state: 'online', channel_ids: [] };

  it('shapes ContactStatusChange, EndpointStateChange and PeerStatusChange as Asterisk does', () => {
    assert.deepEqual(contactStatusEvent(ep, { aor: 'alice', uri: 'sip:a@h', status: 'Reachable', rttUs: 1500, static: false }), {
      type: 'ContactStatusChange',
      endpoint: ep,
      contact_info: { uri: 'sip:a@h', contact_status: 'Reachable', aor: 'alice', roundtrip_usec: '1500' },
    });
    assert.deepEqual(endpointStateEvents(ep, 'offline').map((e) => [e.type, 'peer' in e ? e.peer.peer_status : '']), [
      ['EndpointStateChange', ''],
      ['PeerStatusChange', 'Unreachable'],
    ]);
  });

  it('routes to endpoint and technology subscribers; subscribeAll misses EndpointStateChange', () => {
    const apps = [
      { name: 'one', subscribeAll: false, subscriptions: { endpoints: new Map([['PJSIP/alice', 1]]) } },
      { name: 'tech', subscribeAll: false, subscriptions: { endpoints: new Map([['pjsip', 1]]) } },
      { name: 'other', subscribeAll: false, subscriptions: { endpoints: new Map([['PJSIP/bob', 1]]) } },
      { name: 'all', subscribeAll: true, subscriptions: { endpoints: new Map() } },
    ];
    const [state, peer] = endpointStateEvents(ep, 'online');
    assert.deepEqual(endpointEventTargets(apps, state!), ['one', 'tech']);
    assert.deepEqual(endpointEventTargets(apps, peer!), ['one', 'tech', 'all']);
  });
});

describe('pjsipDeviceState', () => {
  it('follows the endpoint state when idle and the channels otherwise', () => {
    const idle = { aggregate: undefined, inUse: 0 };
    assert.equal(pjsipDeviceState(undefined, idle, 0), 'INVALID');
    assert.equal(pjsipDeviceState('offline', idle, 0), 'UNAVAILABLE');
    assert.equal(pjsipDeviceState('online', idle, 0), 'NOT_INUSE');
    assert.equal(pjsipDeviceState('online', { aggregate: 'INUSE', inUse: 1 }, 0), 'INUSE');
    assert.equal(pjsipDeviceState('online', { aggregate: 'RINGING', inUse: 1 }, 1), 'BUSY');
  });
});
