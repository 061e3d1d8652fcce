/**
 * The composition root: reads the configuration that `asterisk.conf` points at, builds the parts and wires
 * them together — logger, module table, Stasis application registry, ARI on the HTTP server, and the
 * console's control socket. `main.ts` parses the command line and calls `startAriadne`; tests call it too.
 */

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from './shared/paths.ts';
import { loadAsteriskConf } from './config/asterisk-conf.ts';
import { loadHttpConf } from './config/http-conf.ts';
import { loadAriConf } from './config/ari-conf.ts';
import { loadLoggerConf } from './config/logger-conf.ts';
import { formatDiagnostic } from './config/parser.ts';
import type { AriConfig, AsteriskConfig, Diagnostic, HttpConfig } from './config/types.ts';
import { createLogger, type Logger, type RootLogger } from './shared/logger.ts';
import { resolveEntityId } from './shared/entity-id.ts';
import { ariTimestamp } from './shared/time.ts';
import { AriadneError } from './shared/errors.ts';
import { ModuleRegistry } from './core/modules.ts';
import { AppRegistry } from './stasis/app-registry.ts';
import { toWire } from './ari/events/to-wire.ts';
import { HttpServer } from './http/server.ts';
import { WsUri } from './http/ws-uri.ts';
import { AriInterface } from './ari/ari-interface.ts';
import { asteriskHandlers } from './ari/resources/asterisk.ts';
import { applicationHandlers } from './ari/resources/applications.ts';
import { claimHandlers, eventHandlers } from './ari/resources/events.ts';
import { AriError } from './ari/errors.ts';
import { CommandRegistry } from './cli/registry.ts';
import { astdbFile } from './core/astdb.ts';
import { wireDeviceStatesAndMailboxes } from './state-wiring.ts';
import { Core } from './core/core.ts';
import { registerDialplanCommands } from './dialplan/show.ts';
import { readVariableOrFunction, setVariableOrFunction } from './dialplan/substitute.ts';
import { buildTelephony } from './telephony.ts';
import { buildSip, type SipWiring } from './sip-wiring.ts';
import { registerHintCommands } from './dialplan/hint-states.ts';
import { channelHandlers } from './ari/resources/channels.ts';
import { bridgeHandlers } from './ari/resources/bridges.ts';
import { endpointHandlers } from './ari/resources/endpoints.ts';
import { soundHandlers } from './ari/resources/sounds.ts';
import { playbackHandlers } from './ari/resources/playbacks.ts';
import { recordingHandlers } from './ari/resources/recordings.ts';
import type { MediaPort } from './media/engine/port.ts';
import { registerChannelCommands } from './cli/commands/channels.ts';
import { startControlServer, type ControlServer } from './cli/control-server.ts';
import { registerAriCommands } from './cli/commands/ari.ts';
import { registerHttpCommands } from './cli/commands/http.ts';
import { registerCoreCommands } from './cli/commands/core.ts';
import { registerMohCommands } from './cli/commands/moh.ts';
import { pjsipConsoleDeps, registerPjsipCommands } from './cli/commands/pjsip.ts';
import { dynamicConfigHandlers } from './ari/resources/dynamic-config.ts';
import { registerMediaCommands } from './cli/commands/media.ts';

export { PROJECT_ROOT };
export const DEFAULT_ASTERISK_CONF = path.join(PROJECT_ROOT, 'configs', 'asterisk.conf');
/** The ARI/Asterisk version Ariadne is compatible with, reported where Asterisk reports its own. */
export const COMPATIBLE_ASTERISK_VERSION = '22.10.1';

function readVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
export const ARIADNE_VERSION = readVersion();

export interface StartOptions {
  /** Path of asterisk.conf (`-C`); the project's `configs/asterisk.conf` by default. */
  readonly asteriskConf?: string;
  /** Where console log lines go (stderr by default). */
  readonly consoleStream?: NodeJS.WritableStream;
  /** Verbosity from `-v` flags, added to asterisk.conf's `verbose`. */
  readonly extraVerbose?: number;
  /** Tests: override listen ports (0 = any free port). */
  readonly httpPortOverride?: number;
  readonly tlsPortOverride?: number;
  /** Tests: control socket path override. */
  readonly controlSocket?: string;
  /** Tests: WebSocket send limit and ping interval. */
  readonly wsMaxBufferedBytes?: number;
  readonly wsPingIntervalMs?: number;
}

export interface Ariadne {
  readonly logger: RootLogger;
  readonly http: HttpServer;
  readonly ari: AriInterface;
  readonly apps: AppRegistry;
  readonly modules: ModuleRegistry;
  readonly core: Core;
  /** The media host's port (channels' sessions, playbacks); tests tap sessions through it. */
  readonly media: MediaPort;
  /** Gives a channel a media session on demand (tests tap sessions through `media`). */
  readonly channelMedia: { ensure(channelId: string): boolean };
  /** SIP: the stack, the PJSIP driver, pjsip.conf in effect and the bound transports (sip-wiring.ts). */
  readonly sip: SipWiring;
  readonly commands: CommandRegistry;
  readonly control: ControlServer | undefined;
  readonly asterisk: AsteriskConfig;
  /** Resolves when the server has stopped (console `core stop`, a signal, or `stop()`). */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
  reload(): Promise<string>;
}

function withOverrides(http: HttpConfig, opts: StartOptions): HttpConfig {
  if (opts.httpPortOverride === undefined && opts.tlsPortOverride === undefined) return http;
  return {
    ...http,
    bindport: opts.httpPortOverride ?? http.bindport,
    tls: { ...http.tls, bindport: opts.tlsPortOverride ?? http.tls.bindport },
  };
}

export async function startAriadne(opts: StartOptions = {}): Promise<Ariadne> {
  const startedAt = Date.now();
  let lastReloadAt = startedAt;
  const asteriskFile = path.resolve(opts.asteriskConf ?? DEFAULT_ASTERISK_CONF);
  const astLoaded = loadAsteriskConf(asteriskFile);
  const asterisk = astLoaded.value;
  const dirs = asterisk.directories;
  for (const d of [dirs.astrundir, dirs.astlogdir, dirs.astspooldir, dirs.astvarlibdir]) fs.mkdirSync(d, { recursive: true });

  const loggerConf = loadLoggerConf(dirs.astetcdir);
  const logger = createLogger({
    config: loggerConf.value,
    logDir: dirs.astlogdir,
    verbose: asterisk.options.verbose + (opts.extraVerbose ?? 0),
    debug: asterisk.options.debug,
    ...(opts.consoleStream ? { console: opts.consoleStream } : {}),
  });
  const log = logger.child('ariadne');
  const report = (diags: readonly Diagnostic[]) => {
    for (const d of diags) (d.level === 'error' ? log.error : log.warning).call(log, formatDiagnostic(d));
  };
  report(astLoaded.diagnostics);
  report(loggerConf.diagnostics);

  const httpLoaded = loadHttpConf(dirs.astetcdir);
  const ariLoaded = loadAriConf(dirs.astetcdir);
  report(httpLoaded.diagnostics);
  report(ariLoaded.diagnostics);
  let ariConfig: AriConfig = ariLoaded.value;

  const entityId = resolveEntityId(asterisk.options.entityid);
  const asteriskId = () => entityId;
  const modules = new ModuleRegistry();
  // `ari set debug <app> on` prints what the application is sent, as Asterisk does.
  const ariDebugLog = logger.child('ari');
  const apps = new AppRegistry({
    onDebug: (m) => ariDebugLog.verbose(0, `<--- Sending ARI event to ${m.application} --->\n${JSON.stringify(toWire(m, entityId), null, 2)}`),
  });
  const commands = new CommandRegistry();
  const state = wireDeviceStatesAndMailboxes({ astdbPath: astdbFile(dirs.astdbdir), logger, commands, modules });

  const { core, engine, functions, stasis, broadcast, hintStates, media, channelMedia, channelAudio, snoops, externalMedia, playbacks, recordings, moh, mohClasses, reloadMoh, indications, reloadIndications, reloadDialplan, messages, close: closeTelephony } = buildTelephony({
    directories: dirs,
    logger,
    report,
    state,
    apps,
    ariConfig,
    defaultLanguage: asterisk.options.defaultlanguage,
  });
  const globals = core.globals;
  // SIP (res_pjsip/chan_pjsip): always built, as Asterisk always loads it; without transports nothing listens.
  const sip = await buildSip({
    etcDir: dirs.astetcdir,
    core,
    media,
    ensureSession: (id) => channelMedia.ensure(id),
    setInbandDtmf: (id, on) => void channelAudio.setInbandDtmf(id, on),
    logger,
    report,
    apps,
    deviceStates: state.states,
    mailboxes: state.mailboxes,
    messages,
  });
  // PJSIP_TRANSFER_HANDLING(): `ari-only` hands a phone's REFER to the Stasis application (ChannelTransfer).
  functions.register({
    name: 'PJSIP_TRANSFER_HANDLING',
    synopsis: 'Set how transfers are handled for a PJSIP channel',
    syntax: 'PJSIP_TRANSFER_HANDLING()',
    write: (scope, _args, value) => {
      const channel = scope.channel === undefined ? undefined : core.channels.get(scope.channel.uniqueid);
      if (channel === undefined || channel.tech.name !== 'PJSIP') return void scope.warn?.('Cannot call PJSIP_TRANSFER_HANDLING on a non-PJSIP channel');
      if (!sip.transfers.setHandling(channel, value)) scope.warn?.(`Cannot set unknown transfer handling '${value}' on channel '${channel.name}', transfer handling will remain unchanged.`);
    },
  });

  const http = new HttpServer({ config: withOverrides(httpLoaded.value, opts), logger: logger.child('http') });

  // What `/asterisk/info` reports only changes on reload, so it is built once (os.userInfo() reads
  // /etc/passwd; doing that per request cost a fifth of the CPU of GET /asterisk/info).
  const staticInfo = {
    build: {
      os: os.type(),
      kernel: os.release(),
      machine: os.machine(),
      options: `ARIADNE ${ARIADNE_VERSION}`,
      date: new Date(startedAt).toISOString().replace('T', ' ').slice(0, 19) + ' UTC',
      user: os.userInfo().username,
    },
    system: { version: COMPATIBLE_ASTERISK_VERSION, entity_id: entityId },
    config: {
      name: asterisk.options.systemname,
      default_language: asterisk.options.defaultlanguage,
      ...(asterisk.options.maxcalls > 0 ? { max_channels: asterisk.options.maxcalls } : {}),
      ...(asterisk.options.maxfiles > 0 ? { max_open_files: asterisk.options.maxfiles } : {}),
      setid: { user: '', group: '' },
    },
  };
  let statusInfo = { startup_time: ariTimestamp(startedAt), last_reload_time: ariTimestamp(lastReloadAt) };
  const info = () => ({ ...staticInfo, status: statusInfo });

  const eventSources = {
    channelExists: (id: string) => core.channels.get(id) !== undefined,
    bridgeExists: (id: string) => core.bridges.get(id) !== undefined,
    endpointExists: (tech: string, resource: string | undefined) => {
      const t = core.channels.tech(tech);
      if (!t) return false;
      return resource === undefined || (t.driver.endpoints?.() ?? []).some((e) => e.resource === resource);
    },
  };
  const handlers = {
    ...asteriskHandlers({
      asteriskId,
      info,
      globals,
      modules: {
        list: () => modules.list(),
        get: (name) => modules.get(name),
        load: async (name) => {
          if (!modules.has(name)) throw new AriError(409, 'Module could not be loaded');
          await modules.load(name);
        },
        unload: async (name) => {
          await modules.unload(name);
        },
        reload: async (name) => {
          await modules.reloadOne(name);
        },
      },
      logging: {
        list: () => logger.listChannels(),
        add: (name, configuration) => logger.addChannel(name, configuration),
        remove: (name) => logger.deleteChannel(name),
        rotate: (name) => logger.rotate(name),
      },
    }),
    ...applicationHandlers({ apps, sources: eventSources }),
    ...state.handlers,
    ...eventHandlers({
      apps,
      sources: {
        channel: (id) => core.channels.get(id)?.snapshot(),
        bridge: (id) => core.bridges.get(id)?.snapshot(),
        endpoint: () => undefined,
      },
    }),
    ...claimHandlers({ claim: (channelId, application) => broadcast.claim(channelId, application) }),
    ...channelHandlers({
      core,
      stasis,
      playbacks,
      moh,
      recordings,
      audio: channelAudio,
      snoops,
      externalMedia,
      rtpStatistics: (channel) => (channel.tech.name === 'PJSIP' ? sip.driver.legOf(channel)?.rtp?.stats() : 'unsupported'),
      redirect: (channel, resource) => (channel.tech.name === 'PJSIP' ? sip.driver.redirect(channel, resource) : 'unsupported'),
      transferProgress: (channel, state) => void sip.transfers.progress(channel, state),
      variables: {
        get: (ch, name) => readVariableOrFunction(name, engine.scope(ch)),
        set: (ch, name, value) => void setVariableOrFunction(name, value, engine.scope(ch)),
      },
    }),
    ...bridgeHandlers({ core, playbacks, moh, recordings }),
    ...endpointHandlers({ channels: core.channels, messaging: sip.messaging }),
    ...dynamicConfigHandlers({ pjsip: () => sip.push }),
    ...soundHandlers({ soundsDir: path.join(dirs.astdatadir, 'sounds') }),
    ...playbackHandlers({ playbacks }),
    ...recordingHandlers({ recordings }),
  };

  const ari = new AriInterface({
    config: ariConfig,
    handlers,
    apps,
    logger: logger.child('ari'),
    asteriskId,
    httpPrefix: httpLoaded.value.prefix,
    ...(opts.wsMaxBufferedBytes !== undefined ? { maxBufferedBytes: opts.wsMaxBufferedBytes } : {}),
    ...(opts.wsPingIntervalMs !== undefined ? { pingIntervalMs: opts.wsPingIntervalMs } : {}),
  });
  http.mount(ari);
  http.mount(new WsUri(http, [sip.websocket]));

  const reloadAri = () => {
    const loaded = loadAriConf(dirs.astetcdir);
    report(loaded.diagnostics);
    ariConfig = loaded.value;
    ari.reconfigure(ariConfig);
    core.channels.setReportedVariables(ariConfig.channelvars);
  };
  const reloadHttp = () => {
    const loaded = loadHttpConf(dirs.astetcdir);
    report(loaded.diagnostics);
    const { rebindNeeded } = http.reconfigure(withOverrides(loaded.value, opts));
    if (rebindNeeded) log.warning('http.conf: bind address, port or TLS changes take effect after a restart');
  };
  const reloadLogger = () => {
    const loaded = loadLoggerConf(dirs.astetcdir);
    report(loaded.diagnostics);
    logger.reload(loaded.value);
  };

  modules.register({ name: 'res_ari.so', description: 'Asterisk RESTful Interface', supportLevel: 'core', running: true, reload: reloadAri, useCount: () => ari.events.sessionCount });
  for (const [name, description] of [
    ['res_ari_applications.so', 'RESTful API module - Stasis application resources'],
    ['res_ari_asterisk.so', 'RESTful API module - Asterisk resources'],
    ['res_ari_events.so', 'RESTful API module - WebSocket resource'],
    ['res_ari_model.so', 'ARI Model validators'],
  ] as const) {
    modules.register({ name, description, supportLevel: 'core', running: true });
  }
  modules.register({ name: 'res_stasis.so', description: 'Stasis application support', supportLevel: 'core', running: true, useCount: () => apps.list().length });
  modules.register({ name: 'http.so', description: 'Built-in HTTP server', supportLevel: 'core', running: true, reload: reloadHttp, useCount: () => http.connectionCount });
  modules.register({ name: 'logger.so', description: 'Logger', supportLevel: 'core', running: true, reload: reloadLogger });
  modules.register({ name: 'pbx_config.so', description: 'Text Extension Configuration', supportLevel: 'core', running: true, reload: () => void reloadDialplan() });
  modules.register({ name: 'app_stasis.so', description: 'Stasis dialplan application', supportLevel: 'core', running: true });
  modules.register({ name: 'res_stasis_snoop.so', description: 'Stasis application snoop support', supportLevel: 'core', running: true, useCount: () => 1 });
  modules.register({ name: 'app_stasis_broadcast.so', description: 'Stasis application broadcast', supportLevel: 'extended', running: true });
  modules.register({ name: 'res_stasis_broadcast.so', description: 'Stasis application broadcast', supportLevel: 'extended', running: true, useCount: () => 1 });
  modules.register({ name: 'res_ari_channels.so', description: 'RESTful API module - Channel resources', supportLevel: 'core', running: true });
  modules.register({ name: 'res_ari_bridges.so', description: 'RESTful API module - Bridge resources', supportLevel: 'core', running: true });
  modules.register({ name: 'res_ari_endpoints.so', description: 'RESTful API module - Endpoint resources', supportLevel: 'core', running: true });
  modules.register({ name: 'res_ari_sounds.so', description: 'RESTful API module - Sound resources', supportLevel: 'core', running: true });
  modules.register({ name: 'res_ari_playbacks.so', description: 'RESTful API module - Playback control resources', supportLevel: 'core', running: true });
  modules.register({ name: 'res_stasis_playback.so', description: 'res_stasis playback support', supportLevel: 'core', running: true });
  modules.register({ name: 'res_ari_recordings.so', description: 'RESTful API module - Recording resources', supportLevel: 'core', running: true });
  modules.register({ name: 'res_stasis_recording.so', description: 'Stasis application recording support', supportLevel: 'core', running: true });
  modules.register({ name: 'app_record.so', description: 'Trivial Record Application', supportLevel: 'core', running: true });
  modules.register({ name: 'app_dial.so', description: 'Dialing Application', supportLevel: 'core', running: true });
  modules.register({ name: 'res_musiconhold.so', description: 'Music On Hold Resource', supportLevel: 'core', running: true, reload: reloadMoh });
  // Asterisk's built-in `indications` module (indications.conf); `module reload indications` finds it here.
  modules.register({ name: 'indications.so', description: 'Indication Tone Handling', supportLevel: 'core', running: true, reload: reloadIndications });
  modules.register({ name: 'res_http_websocket.so', description: 'HTTP WebSocket Support', supportLevel: 'core', running: true });
  modules.register({ name: 'res_pjsip.so', description: 'Basic SIP resource', supportLevel: 'core', running: true, reload: async () => void (await sip.reload()), useCount: () => sip.driver.channels.length });
  modules.register({ name: 'chan_pjsip.so', description: 'PJSIP Channel Driver', supportLevel: 'core', running: true, useCount: () => sip.driver.channels.length });
  modules.register({ name: 'res_rtp_asterisk.so', description: 'Asterisk RTP Stack', supportLevel: 'core', running: true });

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let stopping: Promise<void> | undefined;
  let control: ControlServer | undefined;

  const reload = async (): Promise<string> => {
    const outcomes = await modules.reload();
    lastReloadAt = Date.now();
    statusInfo = { startup_time: ariTimestamp(startedAt), last_reload_time: ariTimestamp(lastReloadAt) };
    const failed = outcomes.filter((o) => o.result === 'error');
    return failed.length ? failed.map((o) => `${o.name}: ${o.error ?? 'failed'}`).join('\n') : '';
  };

  const stop = (): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      log.notice('Ariadne is shutting down');
      ari.close();
      await http.close();
      for (const ch of core.channels.list()) ch.hangup();
      await sip.close();
      await closeTelephony();
      state.close();
      await control?.close();
      await logger.close();
      resolveStopped();
    })();
    return stopping;
  };

  registerChannelCommands(commands, { core, functions: () => functions.list() });
  registerDialplanCommands(commands, { dialplan: () => engine.dialplan, reload: reloadDialplan });
  registerHintCommands(commands, hintStates);
  registerMohCommands(commands, { classes: () => mohClasses().classes, reload: reloadMoh });
  // `rtp set debug on|off` sets this flag (RTP packet logging reads it).
  const rtpDebug = { enabled: false };
  registerPjsipCommands(commands, pjsipConsoleDeps(sip, () => core.now(), rtpDebug));
  registerMediaCommands(commands, { indications });
  registerAriCommands(commands, {
    config: () => ariConfig,
    apps: () =>
      apps.list().map((a) => ({
        name: a.name,
        debug: a.debug,
        subscribeAll: a.subscribeAll,
        channels: [...a.subscriptions.channels].map(([id, count]) => ({ id, count })),
        bridges: [...a.subscriptions.bridges].map(([id, count]) => ({ id, count })),
        endpoints: [...a.subscriptions.endpoints].map(([id, count]) => ({ id, count })),
        deviceStates: [...a.subscriptions.deviceStates].map(([id, count]) => ({ id, count })),
      })),
    setDebug: (name, on) => {
      const targets = name === 'all' ? apps.list() : [apps.get(name)].filter((a) => a !== undefined);
      for (const a of targets) a.debug = on;
      return targets.length > 0 || name === 'all';
    },
  });
  registerHttpCommands(commands, {
    config: () => http.config,
    bound: () => http.bound(),
    uris: () => http.uris(),
  });
  registerCoreCommands(commands, {
    version: () => `Ariadne ${ARIADNE_VERSION} (ARI compatible with Asterisk ${COMPATIBLE_ASTERISK_VERSION}) on ${os.machine()} running ${os.type()}`,
    startedAt,
    lastReloadAt: () => lastReloadAt,
    settings: () => ({
      version: ARIADNE_VERSION,
      maxCalls: asterisk.options.maxcalls,
      maxFiles: asterisk.options.maxfiles,
      rootVerbose: asterisk.options.verbose,
      configFile: asteriskFile,
      entityId,
      systemName: asterisk.options.systemname,
      defaultLanguage: asterisk.options.defaultlanguage,
      directories: dirs,
    }),
    setVerbose: (n) => logger.setVerbose(n),
    getVerbose: () => logger.getVerbose(),
    setDebug: (n) => logger.setDebug(n),
    getDebug: () => logger.getDebug(),
    reload,
    stop: async () => {
      // Answer the console first, then stop.
      setImmediate(() => void stop());
    },
    modules,
    logChannels: () => logger.listChannels(),
  });

  try {
    await http.start();
  } catch (err) {
    await sip.close();
    state.close();
    await logger.close();
    const e = err as NodeJS.ErrnoException;
    throw new AriadneError('ERR_CONFIG', `HTTP server could not listen: ${e.message}`, { cause: err });
  }

  const socketPath = opts.controlSocket ?? path.join(dirs.astrundir, 'asterisk.ctl');
  control = await startControlServer({
    socketPath,
    registry: commands,
    welcome: () => `Connected to Ariadne ${ARIADNE_VERSION} currently running on ${os.hostname()} (pid = ${process.pid})`,
  });
  logger.onLine((line) => control?.broadcastLog(line));

  const bound = http.bound();
  log.notice(
    `Ariadne ${ARIADNE_VERSION} ready: ARI on ${bound.plain ? `http://${hostPort(bound.plain)}/ari` : '(HTTP disabled)'}` +
      (bound.tls ? ` and https://${hostPort(bound.tls)}/ari` : '') +
      sipReady(sip.transports()) +
      `; console: ariadne -r`,
  );

  return { logger, http, ari, apps, modules, core, media, channelMedia, sip, commands, control, asterisk, stopped, stop, reload };
}

/** Where SIP listens and what to call, for the ready line (a newcomer's first question). */
function sipReady(all: readonly { protocol: string; address: string; port: number }[]): string {
  // ws/wss ride on the HTTP server (`/ws`): not a place to point a SIP URI at.
  const transports = all.filter((t) => t.protocol !== 'ws' && t.protocol !== 'wss');
  const first = transports[0];
  if (!first) return '';
  const where = transports.map((t) => `${t.protocol}:${hostPort(t)}`).join(', ');
  const host = first.address === '0.0.0.0' || first.address === '::' ? '127.0.0.1' : first.address;
  return `; SIP on ${where} (call sip:1000@${hostPort({ address: host, port: first.port })}, or start with --demo)`;
}

function hostPort(b: { address: string; port: number }): string {
  return b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}

export type { Logger };
