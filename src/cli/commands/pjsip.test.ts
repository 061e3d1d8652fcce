/**
 * The PJSIP console prints res_pjsip's layouts (header blocks, 90-column rulers, nested children at Asterisk's
 * tab stops, `Objects found`), over a hand-made view; the toggles and reload reach their dependencies.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pjsipFromText } from '../../sip/test-config.ts';
import { CommandRegistry } from '../registry.ts';
import { contactHash, formatPjsipList, formatPjsipObject, registerPjsipCommands, type PjsipView } from './pjsip.ts';

const config = pjsipFromText(`
[transport-udp]
type=transport
protocol=udp
bind=0.0.0.0
[alice]
type=endpoint
aors=alice
auth=alice
callerid="Alice" <1001>
allow=ulaw,alaw
[alice]
type=aor
max_contacts=1
[alice]
type=auth
username=alice
password=secret
[trunk]
type=endpoint
transport=transport-udp
outbound_auth=alice
device_state_busy_at=2
[trunk-id]
type=identify
endpoint=trunk
match=192.0.2.0/24,!192.0.2.9
[provider]
type=registration
server_uri=sip:sip.example.com
client_uri=sip:me@sip.example.com
outbound_auth=alice
`);

const URI = 'sip:alice@127.0.0.1:5070';
const HASH = contactHash(URI).slice(0, 10);

const view: PjsipView = {
  config,
  now: 1_000_000,
  contacts: (aor) => (aor === 'alice' ? [{ uri: URI, status: 'Reachable', rttUs: 1532 }] : []),
  deviceState: (e) => (e === 'alice' ? 'INUSE' : 'UNAVAILABLE'),
  channels: [
    { name: 'PJSIP/alice-00000001', endpoint: 'alice', state: 'Up', appName: 'Stasis', creationtime: 1_000_000 - 3_725_000, exten: '1000', connectedName: 'Bob', connectedNumber: '1002' },
  ],
  transports: [{ id: 'transport-udp', protocol: 'udp', address: '0.0.0.0:5060' }],
  registration: (id) => (id === 'provider' ? { status: 'Registered', expiresAt: 1_000_000 + 3_540_000 } : undefined),
};

const RULER = '='.repeat(90);

describe('pjsip show endpoints', () => {
  it('prints the header block, each endpoint with its children, and the count', () => {
    assert.equal(
      formatPjsipList(view, 'endpoint'),
      [
        '',
        ' Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>',
        '    I/OAuth:  <AuthId/UserName...........................................................>',
        '        Aor:  <Aor............................................>  <MaxContact>',
        '      Contact:  <Aor/ContactUri..........................> <Hash....> <Status> <RTT(ms)..>',
        '  Transport:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress..................>',
        '   Identify:  <Identify/Endpoint.........................................................>',
        '        Match:  <criteria.........................>',
        '    Channel:  <ChannelId......................................>  <State.....>  <Time.....>',
        '        Exten: <DialedExten...........>  CLCID: <ConnectedLineCID.......>',
        RULER,
        '',
        ' Endpoint:  alice/1001                                           In use        1 of inf',
        '     InAuth:  alice/alice',
        '        Aor:  alice                                              1',
        `      Contact:  alice/${URI.padEnd(36)} ${HASH} Avail         1.532`,
        '    Channel: PJSIP/alice-00000001/Stasis                         Up            01:02:05   ',
        '        Exten: 1000                      CLCID: "Bob" <1002>',
        '',
        ' Endpoint:  trunk                                                Unavailable   0 of 2',
        '    OutAuth:  alice/alice',
        '  Transport:  transport-udp             udp      0      0  0.0.0.0:5060',
        '   Identify:  trunk-id/trunk',
        '        Match: 192.0.2.0/24',
        '        Match: !192.0.2.9/32',
        '',
        '',
        'Objects found: 2',
        '',
        '',
      ].join('\n'),
    );
  });

  it('says so when there is nothing to list', () => {
    assert.equal(formatPjsipList({ ...view, config: pjsipFromText('') }, 'endpoint'), 'No objects found.\n\n');
  });
});

describe('pjsip show <one object>', () => {
  it('adds the parameter list, sorted, with every option and its default', () => {
    const out = formatPjsipObject(view, 'endpoint', 'alice');
    assert.match(out, /\n ParameterName {17}: ParameterValue\n =+\n/);
    const params = out.slice(out.indexOf(' ParameterName')).split('\n').slice(2, -2);
    const names = params.map((l) => l.split(' : ')[0]!.trim());
    assert.deepEqual(names, [...names].sort());
    assert.ok(params.includes(' allow                         : (ulaw|alaw)'));
    assert.ok(params.includes(' callerid                      : "Alice" <1001>'));
    assert.ok(params.includes(' direct_media                  : true'));
    assert.ok(params.includes(' context                       : default'));
  });

  it('answers an unknown id as Asterisk does', () => {
    assert.equal(formatPjsipObject(view, 'aor', 'nobody'), 'Unable to find object nobody.\n\n');
  });
});

describe('other lists', () => {
  it('aors, contacts, auths, transports, identifies, channels and registrations at level 0', () => {
    const first = (kind: Parameters<typeof formatPjsipList>[1]): string[] => formatPjsipList(view, kind).split('\n').filter((l) => l !== '' && !l.startsWith('='));
    assert.deepEqual(first('aor'), [
      '      Aor:  <Aor..............................................>  <MaxContact>',
      '    Contact:  <Aor/ContactUri............................> <Hash....> <Status> <RTT(ms)..>',
      '      Aor:  alice                                                1',
      `    Contact:  alice/${URI.padEnd(38)} ${HASH} Avail         1.532`,
      'Objects found: 1',
    ]);
    assert.deepEqual(first('contact'), [
      '  Contact:  <Aor/ContactUri..............................> <Hash....> <Status> <RTT(ms)..>',
      `  Contact:  alice/${URI.padEnd(40)} ${HASH} Avail         1.532`,
      'Objects found: 1',
    ]);
    assert.deepEqual(first('auth'), ['  I/OAuth:  <AuthId/UserName.............................................................>', '     Auth:  alice/alice', 'Objects found: 1']);
    assert.deepEqual(first('transport'), [
      'Transport:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress....................>',
      'Transport:  transport-udp             udp      0      0  0.0.0.0:5060',
      'Objects found: 1',
    ]);
    assert.deepEqual(first('channel').slice(2, 4), [
      '  Channel: PJSIP/alice-00000001/Stasis                           Up            01:02:05   ',
      '      Exten: 1000                        CLCID: "Bob" <1002>',
    ]);
    assert.deepEqual(first('registration'), [
      ' <Registration/ServerURI..............................>  <Auth....................>  <Status.......>',
      ` provider/${'sip:sip.example.com'.padEnd(45)}  ${'alice'.padEnd(26)}  ${'Registered'.padEnd(16)}  (exp. 3540s)`,
      'Objects found: 1',
    ]);
  });

  it('prints an unqualified contact without a round trip', () => {
    const v = { ...view, contacts: () => [{ uri: URI, status: 'NonQualified' as const, rttUs: 0 }] };
    assert.match(formatPjsipList(v, 'contact'), / NonQual {9}nan\n/);
  });
});

describe('pjsip commands', () => {
  it('toggles the SIP logger and RTP debug, reloads, and prints usage on bad arguments', async () => {
    const calls: string[] = [];
    const registry = new CommandRegistry();
    registerPjsipCommands(registry, {
      view: () => view,
      setLogger: (on) => calls.push(`logger ${on}`),
      setRtpDebug: (s) => calls.push(`rtp ${s.on}${s.address === undefined ? '' : ` ${s.address} ${s.port}`}`),
      reload: async () => {
        calls.push('reload');
        return 'pjsip.conf unchanged';
      },
    });
    const run = async (line: string): Promise<string> => {
      let out = '';
      await registry.execute(line, (t) => (out += t));
      return out;
    };
    assert.equal(await run('pjsip set logger on'), 'PJSIP Logging enabled\n');
    assert.equal(await run('pjsip set logger off'), 'PJSIP Logging disabled\n');
    assert.equal(await run('rtp set debug on'), 'RTP Packet Debugging Enabled\n');
    assert.equal(await run('rtp set debug off'), 'RTP Packet Debugging Disabled\n');
    assert.equal(await run('rtp set debug ip 127.0.0.1'), 'RTP Packet Debugging Enabled for address: 127.0.0.1\n');
    assert.equal(await run('rtp set debug ip [::1]:4000'), 'RTP Packet Debugging Enabled for address: [::1]:4000\n');
    assert.equal(await run('rtp set debug ip pbx.example'), "Lookup failed for 'pbx.example'\n");
    assert.equal(await run('pjsip reload'), 'pjsip.conf unchanged\n');
    assert.match(await run('pjsip set logger maybe'), /Usage: pjsip set logger \{on\|off\}/);
    assert.match(await run('pjsip show endpoint'), /Usage: pjsip show endpoint <id>/);
    assert.equal(await run('pjsip show endpoints'), formatPjsipList(view, 'endpoint'));
    assert.deepEqual(calls, ['logger true', 'logger false', 'rtp true', 'rtp false', 'rtp true 127.0.0.1 0', 'rtp true ::1 4000', 'reload']);
  });
});
