import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModuleRegistry } from '../../core/modules.ts';
import { runCommand } from '../console.ts';
import { startControlServer } from '../control-server.ts';
import type { ControlServer } from '../control-server.ts';
import { CommandRegistry } from '../registry.ts';
import { formatUptime, registerCoreCommands } from './core.ts';
import type { CoreCommandSource, CoreSettingsView, LogChannelView } from './core.ts';

/** The modules `module show like stasis` / `like ari` listed in the reference capture. */
const referenceModules: [string, string, number, 'core' | 'extended'][] = [
  ['app_stasis.so', 'Stasis dialplan application', 1, 'core'],
  ['app_stasis_broadcast.so', 'Stasis application broadcast', 0, 'extended'],
  ['res_stasis.so', 'Stasis application support', 20, 'core'],
  ['res_stasis_answer.so', 'Stasis application answer support', 1, 'core'],
  ['res_stasis_broadcast.so', 'Stasis application broadcast', 1, 'extended'],
  ['res_stasis_device_state.so', 'Stasis application device state support', 1, 'core'],
  ['res_stasis_playback.so', 'Stasis application playback support', 3, 'core'],
  ['res_stasis_recording.so', 'Stasis application recording support', 4, 'core'],
  ['res_stasis_snoop.so', 'Stasis application snoop support', 1, 'core'],
  ['res_ari.so', 'Asterisk RESTful Interface', 12, 'core'],
  ['res_ari_applications.so', 'RESTful API module - Stasis application resources', 0, 'core'],
  ['res_ari_asterisk.so', 'RESTful API module - Asterisk resources', 0, 'core'],
  ['res_ari_bridges.so', 'RESTful API module - Bridge resources', 0, 'core'],
  ['res_ari_channels.so', 'RESTful API module - Channel resources', 0, 'core'],
  ['res_ari_device_states.so', 'RESTful API module - Device state resources', 0, 'core'],
  ['res_ari_endpoints.so', 'RESTful API module - Endpoint resources', 0, 'core'],
  ['res_ari_events.so', 'RESTful API module - WebSocket resource', 0, 'core'],
  ['res_ari_model.so', 'ARI Model validators', 11, 'core'],
  ['res_ari_playbacks.so', 'RESTful API module - Playback control resources', 0, 'core'],
  ['res_ari_recordings.so', 'RESTful API module - Recording resources', 0, 'core'],
  ['res_ari_sounds.so', 'RESTful API module - Sound resources', 0, 'core'],
];

const MODULE_HEADER =
  'Module                         Description                              Use Count  Status      Support Level\n';

describe('core commands over the control socket', () => {
  let dir: string;
  let socketPath: string;
  let server: ControlServer;
  let clock = 0;
  let lastReload = 0;
  let verbose = 0;
  let debug = 0;
  const stops: string[] = [];
  const reloads: string[] = [];
  const modules = new ModuleRegistry();
  const startedAt = Date.UTC(2026, 10, 27, 7, 13, 8);
  const settings: CoreSettingsView = {
    version: '0.1.0',
    maxCalls: 0,
    activeCalls: 2,
    maxFiles: 8192,
    openFileLimit: 1024,
    rootVerbose: 0,
    system: 'Linux/6.18.44 Node.js v24.11.0 x64',
    systemName: '',
    entityId: '02:42:ac:11:00:02',
    defaultLanguage: 'en',
    languagePrefix: true,
    runUser: 'root',
    runGroup: 'root',
    runningDirectory: '/opt/ariadne',
    configFile: '/opt/asterisk/etc/asterisk/asterisk.conf',
    directories: {
      astetcdir: '/opt/asterisk/etc/asterisk',
      astvarlibdir: '/opt/asterisk/var/lib/asterisk',
      astdbdir: '/opt/asterisk/var/lib/asterisk',
      astkeydir: '/opt/asterisk/var/lib/asterisk',
      astdatadir: '/opt/asterisk/var/lib/asterisk',
      astagidir: '/opt/asterisk/var/lib/asterisk/agi-bin',
      astspooldir: '/opt/asterisk/var/spool/asterisk',
      astrundir: '/opt/asterisk/var/run/asterisk',
      astlogdir: '/opt/asterisk/var/log/asterisk',
      astcachedir: '/opt/asterisk/var/cache/asterisk',
      astmoddir: '/opt/asterisk/lib/asterisk/modules',
      astsbindir: '/opt/asterisk/sbin',
    },
  };
  const logChannels: LogChannelView[] = [
    { channel: 'console', type: 'Console', status: 'Enabled', configuration: 'NOTICE WARNING ERROR ' },
    {
      channel: '/opt/asterisk/var/log/asterisk/messages.log',
      type: 'File',
      status: 'Enabled',
      configuration: 'NOTICE WARNING ERROR ',
    },
    { channel: 'syslog.local0', type: 'Syslog', formatter: 'json', status: 'Disabled', configuration: '' },
  ];
  const run = (line: string): Promise<string> => runCommand(socketPath, line);
  const registry = new CommandRegistry();

  before(async () => {
    process.env.TZ = 'UTC';
    dir = await mkdtemp(join(tmpdir(), 'ariadne-core-cli-'));
    socketPath = join(dir, 'ariadne.ctl');
    for (const [name, description, uses, supportLevel] of referenceModules) {
      modules.register({ name, description, supportLevel, running: true, useCount: () => uses });
    }
    const source: CoreCommandSource = {
      version: () => 'Ariadne 0.1.0 running on Linux x64 with Node.js v24.11.0',
      startedAt,
      lastReloadAt: () => lastReload,
      settings: () => settings,
      getVerbose: () => verbose,
      setVerbose: (n) => {
        verbose = n;
      },
      getDebug: () => debug,
      setDebug: (n) => {
        debug = n;
      },
      reload: async () => {
        reloads.push('all');
        return 'Reloaded ari.conf, http.conf';
      },
      stop: async (mode) => {
        stops.push(mode);
      },
      modules,
      logChannels: () => logChannels,
      now: () => clock,
    };
    registerCoreCommands(registry, source);
    server = await startControlServer({ socketPath, registry });
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('core show version prints the source line', async () => {
    assert.equal(await run('core show version'), 'Ariadne 0.1.0 running on Linux x64 with Node.js v24.11.0\n');
  });

  it('core show uptime uses Asterisk phrasing, and seconds', async () => {
    clock = startedAt + (3 * 3600 + 1 * 60 + 5) * 1000 + 400;
    assert.equal(await run('core show uptime'), 'System uptime: 3 hours, 1 minute, 5 seconds\n');
    lastReload = startedAt + 3600 * 1000;
    assert.equal(
      await run('core show uptime'),
      'System uptime: 3 hours, 1 minute, 5 seconds\nLast reload: 2 hours, 1 minute, 5 seconds\n',
    );
    assert.equal(await run('core show uptime seconds'), 'System uptime: 10865\nLast reload: 7265\n');
    assert.equal((await run('core show uptime minutes')).split('\n')[0], 'Usage: core show uptime [seconds]');
    lastReload = 0;
  });

  it('formats uptimes like Asterisk, including its strict comparisons', () => {
    assert.equal(formatUptime(0), '0 seconds');
    assert.equal(formatUptime(1), '1 second');
    assert.equal(formatUptime(60), '60 seconds');
    assert.equal(formatUptime(61), '1 minute, 1 second');
    assert.equal(formatUptime(3600), '60 minutes');
    assert.equal(formatUptime(2 * 86400 + 7200), '2 days, 2 hours');
    assert.equal(formatUptime(415 * 86400 + 5), '1 year, 7 weeks, 1 day, 5 seconds');
  });

  it('core show settings prints the PBX Core settings block', async () => {
    verbose = 3;
    lastReload = startedAt + 60_000;
    assert.equal(
      await run('core show settings'),
      '\nPBX Core settings\n' +
        '-----------------\n' +
        '  Version:                     0.1.0\n' +
        '  ABI related Build Options:   (none)\n' +
        '  All Build Options:           (none)\n' +
        '  Maximum calls:               Not set\n' +
        '  Maximum open file handles:   1024 (is) 8192 (requested)\n' +
        '  Root console verbosity:      0\n' +
        '  Current console verbosity:   3\n' +
        '  Debug level:                 0\n' +
        '  Maximum load average:        0.000000\n' +
        '  Startup time:                07:13:08\n' +
        '  Last reload time:            07:14:08\n' +
        '  System:                      Linux/6.18.44 Node.js v24.11.0 x64\n' +
        '  System name:                 \n' +
        '  Entity ID:                   02:42:ac:11:00:02\n' +
        '  Default language:            en\n' +
        '  Language prefix:             Enabled\n' +
        '  User name and group:         root/root\n' +
        '  Running directory:           /opt/ariadne\n' +
        '\n* Directories\n' +
        '  -------------\n' +
        '  Configuration file:          /opt/asterisk/etc/asterisk/asterisk.conf\n' +
        '  Configuration directory:     /opt/asterisk/etc/asterisk\n' +
        '  Module directory:            /opt/asterisk/lib/asterisk/modules\n' +
        '  Spool directory:             /opt/asterisk/var/spool/asterisk\n' +
        '  Log directory:               /opt/asterisk/var/log/asterisk\n' +
        '  Run/Sockets directory:       /opt/asterisk/var/run/asterisk\n' +
        '  VarLib directory:            /opt/asterisk/var/lib/asterisk\n' +
        '  Data directory:              /opt/asterisk/var/lib/asterisk\n' +
        '  ASTDB:                       /opt/asterisk/var/lib/asterisk/astdb\n' +
        '  IAX2 Keys directory:         /opt/asterisk/var/lib/asterisk\n' +
        '  AGI Scripts directory:       /opt/asterisk/var/lib/asterisk/agi-bin\n' +
        '  Cache directory:             /opt/asterisk/var/cache/asterisk\n' +
        '\n\n',
    );
    verbose = 0;
    lastReload = 0;
  });

  it('core set verbose and core set debug report the change', async () => {
    assert.equal(await run('core set verbose 3'), 'Console verbose was OFF and is now 3.\n');
    assert.equal(await run('core set verbose 3'), 'Console verbose is still 3.\n');
    assert.equal(await run('core set verbose atleast 2'), 'Console verbose is still 3.\n');
    assert.equal(await run('core set verbose atleast 5'), 'Console verbose was 3 and is now 5.\n');
    assert.equal(await run('core set verbose 1 silent'), '');
    assert.equal(verbose, 1);
    assert.equal(await run('core set verbose off'), 'Console verbose was 1 and is now OFF.\n');
    assert.equal((await run('core set verbose')).split('\n')[0], 'Usage: core set verbose [atleast] <level> [silent]');
    assert.equal((await run('core set verbose loud')).split('\n')[0], 'Usage: core set verbose [atleast] <level> [silent]');
    assert.equal(await run('core set debug 2'), 'Core debug was OFF and is now 2.\n');
    assert.equal(await run('core set debug off'), 'Core debug was 2 and is now OFF.\n');
    assert.equal(
      await run('core set debug 2 res_ari.so'),
      "Debug levels per module are not supported.\nCommand 'core set debug 2 res_ari.so' failed.\n",
    );
  });

  it('core reload prints what the reload reports', async () => {
    assert.equal(await run('core reload'), 'Reloaded ari.conf, http.conf\n');
    assert.deepEqual(reloads, ['all']);
  });

  it('core stop answers first and then stops the server', async () => {
    assert.equal(await run('core stop now'), '');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(stops, ['now']);
    assert.equal(await run('core stop gracefully'), '');
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(stops, ['now', 'gracefully']);
  });

  it('module show like matches the reference capture', async () => {
    assert.equal(
      await run('module show like stasis'),
      MODULE_HEADER +
        'app_stasis.so                  Stasis dialplan application              1          Running              core\n' +
        'app_stasis_broadcast.so        Stasis application broadcast             0          Running          extended\n' +
        'res_stasis.so                  Stasis application support               20         Running              core\n' +
        'res_stasis_answer.so           Stasis application answer support        1          Running              core\n' +
        'res_stasis_broadcast.so        Stasis application broadcast             1          Running          extended\n' +
        'res_stasis_device_state.so     Stasis application device state support  1          Running              core\n' +
        'res_stasis_playback.so         Stasis application playback support      3          Running              core\n' +
        'res_stasis_recording.so        Stasis application recording support     4          Running              core\n' +
        'res_stasis_snoop.so            Stasis application snoop support         1          Running              core\n' +
        '9 modules loaded\n',
    );
    assert.equal(
      await run('module show like ari'),
      MODULE_HEADER +
        'res_ari.so                     Asterisk RESTful Interface               12         Running              core\n' +
        'res_ari_applications.so        RESTful API module - Stasis application  0          Running              core\n' +
        'res_ari_asterisk.so            RESTful API module - Asterisk resources  0          Running              core\n' +
        'res_ari_bridges.so             RESTful API module - Bridge resources    0          Running              core\n' +
        'res_ari_channels.so            RESTful API module - Channel resources   0          Running              core\n' +
        'res_ari_device_states.so       RESTful API module - Device state resour 0          Running              core\n' +
        'res_ari_endpoints.so           RESTful API module - Endpoint resources  0          Running              core\n' +
        'res_ari_events.so              RESTful API module - WebSocket resource  0          Running              core\n' +
        'res_ari_model.so               ARI Model validators                     11         Running              core\n' +
        'res_ari_playbacks.so           RESTful API module - Playback control re 0          Running              core\n' +
        'res_ari_recordings.so          RESTful API module - Recording resources 0          Running              core\n' +
        'res_ari_sounds.so              RESTful API module - Sound resources     0          Running              core\n' +
        '12 modules loaded\n',
    );
    const all = await run('module show');
    assert.ok(all.endsWith(`${referenceModules.length} modules loaded\n`));
    assert.equal(await run('module show like nothing'), `${MODULE_HEADER}0 modules loaded\n`);
    assert.equal((await run('module show stasis')).split('\n')[0], 'Usage: module show [like keyword]');
  });

  it('module load, unload and reload go through the module registry', async () => {
    let reloaded = 0;
    const off = modules.register({
      name: 'res_demo.so',
      description: 'Demo',
      supportLevel: 'extended',
      reload: () => {
        reloaded++;
      },
    });
    try {
      assert.equal(await run('module reload res_demo.so'), "The module 'res_demo.so' is not running; load it with \"module load res_demo.so\" first.\n");
      assert.equal(await run('module load res_demo'), 'Loaded res_demo\n');
      assert.equal(
        await run('module load res_demo'),
        "Unable to load module res_demo: Module is already loaded\nCommand 'module load res_demo' failed.\n",
      );
      assert.equal(await run('module reload res_demo'), "Module 'res_demo.so' reloaded successfully.\n");
      assert.equal(await run('module reload'), '');
      assert.equal(reloaded, 2);
      assert.equal(
        await run('module reload nope app_stasis'),
        "No such module 'nope.so'\nThe module 'app_stasis.so' does not support reloads\n",
      );
      assert.equal(
        await run('module unload res_stasis.so'),
        "Unable to unload resource res_stasis.so: Module could not be unloaded ('res_stasis.so' has use count 20)\n" +
          "Command 'module unload res_stasis.so' failed.\n",
      );
      assert.equal(await run('module unload res_demo.so'), 'Unloaded res_demo.so\n');
      assert.equal(modules.isRunning('res_demo'), false);
      assert.equal(
        await run('module unload res_demo.so'),
        "Unable to unload resource res_demo.so: Module not found in running modules\nCommand 'module unload res_demo.so' failed.\n",
      );
      assert.equal(
        await run('module load res_missing.so'),
        "Unable to load module res_missing.so: Module could not be found\nCommand 'module load res_missing.so' failed.\n",
      );
      assert.equal((await run('module unload -x res_demo')).split('\n')[0], 'Usage: module unload [-f] <module_1> [<module_2> ...]');
      assert.equal((await run('module load')).split('\n')[0], 'Usage: module load <module name>');
    } finally {
      off();
    }
  });

  it("logger show channels prints Asterisk's table", async () => {
    assert.equal(
      await run('logger show channels'),
      'Logger queue limit: 1000\n\n' +
        'Channel                             Type     Formatter  Status    Configuration\n' +
        '-------                             ----     ---------  ------    -------------\n' +
        'console                             Console  default    Enabled    - NOTICE WARNING ERROR \n' +
        '/opt/asterisk/var/log/asterisk/mess File     default    Enabled    - NOTICE WARNING ERROR \n' +
        'syslog.local0                       Syslog   json       Disabled   - \n' +
        '\n',
    );
  });

  it('completes module names for module commands', () => {
    assert.deepEqual(registry.complete('module reload res_stasis_p'), ['res_stasis_playback.so']);
    assert.deepEqual(registry.complete('module load '), []);
    assert.deepEqual(registry.complete('module show '), ['like']);
    assert.deepEqual(registry.complete('core set verbose '), ['atleast', 'off']);
  });

  it('core show help lists the module commands', async () => {
    assert.equal(await run('core show help module'), [
      'module load                    -- Load a module',
      'module reload                  -- Reload the configuration of modules',
      'module show [like]             -- List the modules',
      'module unload                  -- Unload modules',
      '',
    ].join('\n'));
  });
});

describe('core commands with a minimal source', () => {
  it('fills in settings from the process and tracks the debug level itself', async () => {
    const registry = new CommandRegistry();
    const debugLevels: number[] = [];
    const dirs = {
      astetcdir: '/etc/asterisk',
      astvarlibdir: '/var/lib/asterisk',
      astdbdir: '/var/lib/asterisk',
      astkeydir: '/var/lib/asterisk',
      astdatadir: '/var/lib/asterisk',
      astagidir: '/var/lib/asterisk/agi-bin',
      astspooldir: '/var/spool/asterisk',
      astrundir: '/var/run/asterisk',
      astlogdir: '/var/log/asterisk',
      astcachedir: '/var/cache/asterisk',
      astmoddir: '/usr/lib/asterisk/modules',
      astsbindir: '/usr/sbin',
    };
    registerCoreCommands(registry, {
      version: () => 'Ariadne',
      startedAt: Date.now(),
      lastReloadAt: () => 0,
      settings: () => ({ version: '0.1.0', maxCalls: 10, maxFiles: 1, systemName: 'pbx1', entityId: 'ee', defaultLanguage: 'en', directories: dirs }),
      getVerbose: () => 2,
      setVerbose: () => undefined,
      setDebug: (n) => void debugLevels.push(n),
      reload: async () => '',
      stop: async () => undefined,
      modules: new ModuleRegistry(),
      logChannels: () => [],
    });
    const run = async (line: string): Promise<string> => {
      let text = '';
      await registry.execute(line, (t) => {
        text += t;
      });
      return text;
    };
    assert.equal(await run('core set debug 3'), 'Core debug was OFF and is now 3.\n');
    assert.equal(await run('core set debug atleast 1'), 'Core debug is still 3.\n');
    assert.deepEqual(debugLevels, [3]);
    const lines = (await run('core show settings')).split('\n');
    const value = (label: string): string | undefined =>
      lines.find((l) => l.startsWith(`  ${label}:`))?.slice(31);
    assert.equal(value('Maximum calls'), '10 (Current 0)');
    assert.match(value('Maximum open file handles') ?? '', /^(\d+|Unlimited)$/);
    assert.equal(value('Root console verbosity'), '2');
    assert.equal(value('Debug level'), '3');
    assert.match(value('System') ?? '', /Node\.js v\d+/);
    assert.equal(value('Language prefix'), 'Enabled');
    assert.equal(value('User name and group'), '/');
    assert.equal(value('Running directory'), process.cwd());
    assert.equal(value('Configuration file'), '/etc/asterisk/asterisk.conf');
    assert.equal(value('Last reload time'), undefined);
    assert.equal(await run('core reload'), '');
    assert.equal(await run('logger show channels'), 'Logger queue limit: 1000\n\n' +
      'Channel                             Type     Formatter  Status    Configuration\n' +
      '-------                             ----     ---------  ------    -------------\n\n');
  });
});
