import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { HttpConfig } from '../../config/types.ts';
import { runCommand } from '../console.ts';
import { startControlServer } from '../control-server.ts';
import type { ControlServer } from '../control-server.ts';
import { CommandRegistry } from '../registry.ts';
import { formatHostPort, registerHttpCommands } from './http.ts';
import type { BoundAddress, HttpUriView } from './http.ts';

const baseConfig: HttpConfig = {
  enabled: true,
  bindaddr: '127.0.0.1',
  bindport: 8088,
  prefix: '',
  servername: 'Asterisk/22.10.1',
  sessionlimit: 100,
  sessionInactivityMs: 30000,
  sessionKeepAliveMs: 15000,
  tls: { enabled: false, bindaddr: '', bindport: 8089, certfile: '', privatekey: '', cipher: '', cafile: '' },
  redirects: [],
};

const referenceUris: HttpUriView[] = [
  { path: 'media', subtree: true, description: 'Media over Websocket' },
  { path: 'ari', subtree: true, description: 'Asterisk RESTful API' },
  { path: 'ws', description: 'Asterisk HTTP WebSocket' },
];

describe('http show status over the control socket', () => {
  let dir: string;
  let socketPath: string;
  let server: ControlServer;
  let config: HttpConfig = baseConfig;
  let bound: { plain?: BoundAddress; tls?: BoundAddress } = { plain: { address: '127.0.0.1', port: 8088 } };
  let uris: HttpUriView[] = referenceUris;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ariadne-http-cli-'));
    socketPath = join(dir, 'ariadne.ctl');
    const registry = new CommandRegistry();
    registerHttpCommands(registry, { config: () => config, bound: () => bound, uris: () => uris });
    server = await startControlServer({ socketPath, registry });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints the reference capture's block", async () => {
    assert.equal(
      await runCommand(socketPath, 'http show status'),
      'HTTP Server Status:\n' +
        'Prefix: \n' +
        'Server: Asterisk/22.10.1\n' +
        'Server Enabled and Bound to 127.0.0.1:8088\n' +
        '\n' +
        "Enabled URI's:\n" +
        '/media/... => Media over Websocket\n' +
        '/ari/... => Asterisk RESTful API\n' +
        '/ws => Asterisk HTTP WebSocket\n' +
        '\n' +
        'Enabled Redirects:\n' +
        '  None.\n' +
        '\n' +
        'Path Restrictions:\n' +
        '  None.\n',
    );
  });

  it('shows a prefix, TLS, IPv6 and redirects', async () => {
    config = { ...baseConfig, prefix: 'pbx', redirects: [{ from: '/', to: '/static/index.html' }] };
    bound = { plain: { address: '::1', port: 8088 }, tls: { address: '0.0.0.0', port: 8089 } };
    uris = [{ path: 'ari', subtree: true, description: 'Asterisk RESTful API' }];
    assert.equal(
      await runCommand(socketPath, 'http show status'),
      'HTTP Server Status:\n' +
        'Prefix: /pbx\n' +
        'Server: Asterisk/22.10.1\n' +
        'Server Enabled and Bound to [::1]:8088\n' +
        '\n' +
        'HTTPS Server Enabled and Bound to 0.0.0.0:8089\n' +
        '\n' +
        "Enabled URI's:\n" +
        '/pbx/ari/... => Asterisk RESTful API\n' +
        '\n' +
        'Enabled Redirects:\n' +
        '  / => /static/index.html\n' +
        '\n' +
        'Path Restrictions:\n' +
        '  None.\n',
    );
  });

  it('says when the server is disabled and nothing is served', async () => {
    config = { ...baseConfig, enabled: false };
    bound = {};
    uris = [];
    assert.equal(
      await runCommand(socketPath, 'http show status'),
      'HTTP Server Status:\nPrefix: \nServer: Asterisk/22.10.1\nServer Disabled\n\n' +
        "Enabled URI's:\nNone.\n\nEnabled Redirects:\n  None.\n\nPath Restrictions:\n  None.\n",
    );
    assert.equal((await runCommand(socketPath, 'http show status x')).split('\n')[0], 'Usage: http show status');
  });

  it('formats host and port', () => {
    assert.equal(formatHostPort({ address: '127.0.0.1', port: 8088 }), '127.0.0.1:8088');
    assert.equal(formatHostPort({ address: '::', port: 80 }), '[::]:80');
  });
});
