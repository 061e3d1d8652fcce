import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AriConfig, AriUser } from '../../config/types.ts';
import { runCommand } from '../console.ts';
import { startControlServer } from '../control-server.ts';
import type { ControlServer } from '../control-server.ts';
import { CommandRegistry } from '../registry.ts';
import { registerAriCommands } from './ari.ts';
import type { AppView } from './ari.ts';

function user(name: string, readOnly: boolean, extra: Partial<AriUser> = {}): AriUser {
  return { name, readOnly, password: name, passwordFormat: 'plain', acl: [], aclNames: [], ...extra };
}

function ariConfig(users: AriUser[]): AriConfig {
  return {
    enabled: true,
    pretty: true,
    authRealm: 'Asterisk REST Interface',
    allowedOrigins: ['*'],
    websocketWriteTimeoutMs: 100,
    channelvars: [],
    users: new Map(users.map((u) => [u.name, u])),
  };
}

describe('ari commands over the control socket', () => {
  let dir: string;
  let socketPath: string;
  let server: ControlServer;
  let config = ariConfig([user('asterisk', false)]);
  const debugCalls: string[] = [];
  const apps: AppView[] = [
    {
      name: 'hello-world',
      debug: false,
      subscribeAll: false,
      channels: [{ id: '1795764534.55', count: 1 }],
      bridges: [],
      endpoints: [],
      deviceStates: [],
    },
    {
      name: 'watcher',
      debug: true,
      subscribeAll: true,
      channels: [
        { id: '1795764534.55', count: 2 },
        { id: '1795764534.56', count: 1 },
      ],
      bridges: [{ id: '9f0c5d6e-1111-4222-8333-444455556666', count: 1 }],
      endpoints: [{ id: 'PJSIP/alice', count: 1 }],
      deviceStates: [],
    },
  ];
  const run = (line: string): Promise<string> => runCommand(socketPath, line);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-ari-cli-'));
    socketPath = join(dir, 'ariadne.ctl');
    const registry = new CommandRegistry();
    registerAriCommands(registry, {
      config: () => config,
      apps: () => apps,
      setDebug: (app, on) => {
        debugCalls.push(`${app}:${on}`);
        return app === 'all' || apps.some((a) => a.name === app);
      },
    });
    server = await startControlServer({ socketPath, registry });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('ari show status prints exactly what the seed shows', async () => {
    assert.equal(
      await run('ari show status'),
      'ARI Status:\n' +
        'Enabled: Yes\n' +
        'Output format: pretty\n' +
        'Auth realm: Asterisk REST Interface\n' +
        'Allowed Origins: *\n' +
        'User count: 1\n',
    );
    config = { ...ariConfig([user('asterisk', false)]), enabled: false, pretty: false, allowedOrigins: ['http://a', 'http://b'] };
    assert.equal(
      await run('ari show status'),
      'ARI Status:\nEnabled: No\nOutput format: compact\nAuth realm: Asterisk REST Interface\n' +
        'Allowed Origins: http://a,http://b\nUser count: 1\n',
    );
    assert.equal(await run('ari show status now'), 'Usage: ari show status\n       Show the ARI settings\n');
  });

  it('ari show users and ari show user match the reference capture', async () => {
    config = ariConfig([user('readonly', true), user('asterisk', false)]);
    assert.equal(
      await run('ari show users'),
      'r/o?  ACL?  Username\n----  ----  --------\nNo    No    asterisk\nYes   No    readonly\n',
    );
    assert.equal(await run('ari show user asterisk'), 'Username: asterisk\nRead only?: No\nACL?: No\n');
    assert.equal(await run('ari show user nobody'), "User 'nobody' not found\n");
    assert.equal((await run('ari show user')).split('\n')[0], 'Usage: ari show user <username>');
  });

  it('ari show user lists ACL rules', async () => {
    config = ariConfig([
      user('guarded', false, {
        acl: [
          { action: 'deny', network: '0.0.0.0/0' },
          { action: 'permit', network: '10.0.0.0/8' },
          { action: 'permit', network: '192.168.1.5' },
          { action: 'permit', network: '::1/128' },
          { action: 'permit', network: '172.16.0.0/255.240.0.0' },
        ],
        aclNames: ['office'],
      }),
    ]);
    assert.equal(
      await run('ari show user guarded'),
      'Username: guarded\nRead only?: No\nACL?: Yes\n' +
        'ACL: (unnamed)\n---------------------------------------------\n' +
        '  0:  deny - 0.0.0.0/0.0.0.0\n' +
        '  1: allow - 10.0.0.0/255.0.0.0\n' +
        '  2: allow - 192.168.1.5/255.255.255.255\n' +
        '  3: allow - ::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n' +
        '  4: allow - 172.16.0.0/255.240.0.0\n' +
        'ACL: office\n---------------------------------------------\n',
    );
    assert.equal(await run('ari show users'), 'r/o?  ACL?  Username\n----  ----  --------\nNo    Yes   guarded\n');
  });

  it('ari show apps and ari show app match the reference capture', async () => {
    assert.equal(await run('ari show apps'), 'Application Name         \n=========================\nhello-world\nwatcher\n');
    assert.equal(
      await run('ari show app hello-world'),
      'Name: hello-world\n' +
        '  Debug: No\n' +
        '  Subscription Model: Application/Explicit Resource Subscription\n' +
        '  Subscriptions: 1\n' +
        '    Channels:\n' +
        '      1795764534.55 (1)\n' +
        '    Bridges:\n' +
        '    Endpoints:\n',
    );
    assert.equal(
      await run('ari show app watcher'),
      'Name: watcher\n' +
        '  Debug: Yes\n' +
        '  Subscription Model: Global Resource Subscription\n' +
        '  Subscriptions: 4\n' +
        '    Channels:\n' +
        '      1795764534.55 (2)\n' +
        '      1795764534.56 (1)\n' +
        '    Bridges:\n' +
        '      9f0c5d6e-1111-4222-8333-444455556666 (1)\n' +
        '    Endpoints:\n' +
        '      PJSIP/alice (1)\n',
    );
    assert.equal(await run('ari show app nope'), "Command 'ari show app nope' failed.\n");
  });

  it('ari set debug switches one app or all', async () => {
    assert.equal(await run('ari set debug hello-world on'), "Debugging on 'hello-world' enabled\n");
    assert.equal(await run('ari set debug all off'), 'Debugging on all applications disabled\n');
    assert.equal(await run('ari set debug ghost on'), "Command 'ari set debug ghost on' failed.\n");
    assert.equal((await run('ari set debug hello-world')).split('\n')[0], 'Usage: ari set debug <application|all> <on|off>');
    assert.deepEqual(debugCalls, ['hello-world:true', 'all:false', 'ghost:true']);
  });
});
