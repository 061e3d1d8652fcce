/**
 * The telephony half of the composition root: core with the Local technology, the dialplan engine with its
 * applications and functions, Stasis (and StasisBroadcast), and the device and extension states that channels
 * and hints feed. `server.ts` wires the interfaces (HTTP/ARI, console) around what this returns.
 */

import type { AriConfig, AsteriskConfig, Diagnostic } from './config/types.ts';
import type { RootLogger } from './shared/logger.ts';
import type { AppRegistry } from './stasis/app-registry.ts';
import type { StateWiring } from './state-wiring.ts';
import { Core } from './core/core.ts';
import { LocalDriver } from './core/local.ts';
import { LocalOptimizer } from './core/local-optimizer.ts';
import { ChannelDeviceStates } from './core/channel-device-states.ts';
import { loadExtensions } from './dialplan/parser.ts';
import { DialplanEngine } from './dialplan/engine.ts';
import { createStandardFunctionRegistry } from './dialplan/functions/index.ts';
import { deviceStateFunctions } from './dialplan/functions/device-state.ts';
import { basicApps } from './dialplan/apps/basic.ts';
import { flowApps } from './dialplan/apps/flow.ts';
import { dialApp } from './dialplan/apps/dial.ts';
import { mediaApps } from './dialplan/apps/media.ts';
import { HintStates } from './dialplan/hint-states.ts';
import { canMatchExtension, matchMoreExtension, existsExtension } from './dialplan/lookup.ts';
import type { Dialplan } from './dialplan/model.ts';
import { Stasis } from './stasis/stasis.ts';
import { StasisBroadcast } from './stasis/broadcast.ts';
import path from 'node:path';
import { LocalMediaPort } from './media/engine/port.ts';
import type { MediaPort } from './media/engine/port.ts';
import { ChannelMedia } from './media/channel-media.ts';
import { ChannelAudio } from './media/channel-audio.ts';
import { SnoopChannels } from './media/snoop-channels.ts';
import { detectFunctions } from './dialplan/functions/detect.ts';
import { echoApp } from './dialplan/apps/echo.ts';
import { PlaybackService } from './media/playback-service.ts';
import { RecordingService } from './media/recording-service.ts';
import { recordApp } from './dialplan/apps/record.ts';
import { BridgeMediaService } from './media/bridge-media.ts';
import { MohService } from './media/moh.ts';
import { loadMusicOnHold } from './config/musiconhold.ts';
import { mohApps } from './dialplan/apps/moh.ts';
import { readVariableOrFunction } from './dialplan/substitute.ts';
import { loadIndicationsConf } from './config/indications.ts';
import type { MediaEnvironment } from './media/media-uri.ts';

export interface TelephonyOptions {
  readonly directories: AsteriskConfig['directories'];
  readonly logger: RootLogger;
  readonly report: (diagnostics: readonly Diagnostic[]) => void;
  readonly state: StateWiring;
  readonly apps: AppRegistry;
  readonly ariConfig: AriConfig;
}

export function buildTelephony(options: TelephonyOptions) {
  const { logger, report, state, apps, ariConfig } = options;
  const dirs = options.directories;
  const log = logger.child('ariadne');
  // Calls: core, the Local technology, the dialplan engine with its applications, and Stasis.
  const core = new Core({ onBusError: (err, m) => log.error(`event subscriber failed on ${m.type}: ${(err as Error)?.stack ?? String(err)}`) });
  const globals = core.globals;
  core.channels.setReportedVariables(ariConfig.channelvars);
  core.channels.registerDriver(new LocalDriver(core));
  new LocalOptimizer(core.channels, core.bridges);
  const functions = createStandardFunctionRegistry();
  const loadDialplan = (): Dialplan => {
    const dp = loadExtensions(dirs.astetcdir);
    report(dp.diagnostics);
    for (const [k, v] of dp.globals) globals.set(k, v);
    return dp;
  };
  const pbxLog = logger.child('pbx');
  const engine = new DialplanEngine({
    core,
    logger: pbxLog,
    functions,
    dialplan: loadDialplan(),
    services: { db: { get: (f, k) => state.db.get(f, k), put: (f, k, v) => state.db.put(f, k, v), del: (f, k) => state.db.del(f, k) } },
  });
  for (const app of [
    ...basicApps(core, pbxLog, (ch) => engine.scope(ch)),
    ...flowApps(pbxLog, (ch, digits) => {
      const { context } = ch.location;
      return {
        exact: existsExtension(engine.dialplan, context, digits, 1),
        more: matchMoreExtension(engine.dialplan, context, digits, 1) || (!existsExtension(engine.dialplan, context, digits, 1) && canMatchExtension(engine.dialplan, context, digits, 1)),
      };
    }),
    dialApp(core, pbxLog),
  ]) {
    core.apps.register(app);
  }
  // ari.conf `channelvars` may name dialplan functions; snapshots read them through the engine.
  core.channels.setReportedReader((channel, name) => readVariableOrFunction(name, engine.scope(channel)));
  const stasis = new Stasis({ core, apps, logger: logger.child('stasis') });
  const broadcast = new StasisBroadcast({ core, apps, stasis, logger: logger.child('stasis') });
  // Device states fed by channels (after Stasis on the bus, so a channel's own event reaches applications
  // before the DeviceStateChanged it causes), and extension states fed by device states.
  const channelStates = new ChannelDeviceStates({
    core,
    states: state.states,
    logger: logger.child('devicestate'),
    extensionExists: (context, exten) => existsExtension(engine.dialplan, context, exten, 1),
  });
  const hintStates = new HintStates({ states: state.states, dialplan: () => engine.dialplan });
  functions.registerAll(
    deviceStateFunctions({ deviceState: (d) => state.states.get(d), extensionState: (context, exten) => hintStates.extensionState(context, exten) }),
  );
  state.states.onChange((e) => {
    for (const app of apps.list()) {
      if (app.subscribeAll || app.subscriptions.deviceStates.has(e.name)) {
        apps.publish({ type: 'DeviceStateChanged', application: app.name, timestamp: e.timestamp, name: e.name, state: e.state });
      }
    }
  });


  // Media: one in-thread host (LocalMediaPort). To run it in a worker instead, build the port with
  // `await WorkerMediaPort.start()` (this function would become async); nothing else changes, as both carry the
  // same messages.
  const media: MediaPort = new LocalMediaPort();
  const channelMedia = new ChannelMedia({ core, port: media });
  // Mute, Echo() and the detectors (TALK_DETECT, TONE_DETECT, in-band DTMF); snoop channels (ARI snoop).
  const channelAudio = new ChannelAudio({ core, port: media, media: channelMedia });
  functions.registerAll(detectFunctions(channelAudio));
  core.apps.register(echoApp(channelAudio));
  const snoops = new SnoopChannels({ core, port: media, media: channelMedia, runStasis: (channel, data) => stasis.exec(channel, data, false) });
  core.channels.registerDriver(snoops);
  // Music on hold (musiconhold.conf) and bridges' media: holding-bridge participants hear the default class.
  let mohClasses = loadMusicOnHold(dirs.astetcdir, dirs.astdatadir);
  report(mohClasses.diagnostics);
  const bridgeMedia: BridgeMediaService = new BridgeMediaService({ core, port: media, channelMedia, entertainment: () => moh.entertainment() });
  const moh: MohService = new MohService({
    port: media,
    classes: () => mohClasses.value.classes,
    ensureSession: (channelId) => channelMedia.ensure(channelId),
    ensureBridge: (bridgeId) => bridgeMedia.ensure(bridgeId),
    bus: core.bus,
  });
  const reloadMoh = (): void => {
    mohClasses = loadMusicOnHold(dirs.astetcdir, dirs.astdatadir);
    report(mohClasses.diagnostics);
  };
  for (const app of mohApps(moh, pbxLog)) core.apps.register(app);
  // What media URIs need beyond the sounds: stored recordings (`recording:`), tone zones (`tone:`, loaded from
  // indications.conf) and the cache `tts:` renders into.
  let indications = loadIndicationsConf(dirs.astetcdir);
  report(indications.diagnostics);
  const mediaEnvironment = (): MediaEnvironment => ({
    recordingsDir: path.join(dirs.astspooldir, 'recording'),
    cacheDir: dirs.astcachedir,
    indications: indications.value,
  });
  const reloadIndications = (): void => {
    indications = loadIndicationsConf(dirs.astetcdir);
    report(indications.diagnostics);
  };
  const playbacks = new PlaybackService({
    port: media,
    soundsDir: path.join(dirs.astdatadir, 'sounds'),
    publish: (target, type, playback, alsoTo) =>
      stasis.publishAbout(target.type === 'channel' ? { channelId: target.id } : { bridgeId: target.id }, { type, timestamp: core.now(), playback }, alsoTo),
    ensureSession: (channelId) => channelMedia.ensure(channelId),
    ensureBridge: (bridgeId) => bridgeMedia.ensure(bridgeId),
    environment: mediaEnvironment,
  });
  // Recordings (ARI live and stored ones, and Record()): files under <astspooldir>/recording, written by the host.
  const recordings = new RecordingService({
    port: media,
    core,
    recordingDir: path.join(dirs.astspooldir, 'recording'),
    soundsDir: path.join(dirs.astdatadir, 'sounds'),
    publish: (target, type, recording, alsoTo) =>
      stasis.publishAbout(target.type === 'channel' ? { channelId: target.id } : { bridgeId: target.id }, { type, timestamp: core.now(), recording }, alsoTo),
    ensureSession: (channelId) => channelMedia.ensure(channelId),
    ensureBridge: (bridgeId) => bridgeMedia.ensure(bridgeId),
  });
  core.apps.register(recordApp({ recordings, soundsDir: path.join(dirs.astdatadir, 'sounds'), logger: pbxLog }));
  // Playback, Background, Read, Say*, PlayTones and Milliwatt: media by MediaPort messages, like ARI playbacks.
  for (const app of mediaApps({
    port: media,
    soundsDir: path.join(dirs.astdatadir, 'sounds'),
    environment: mediaEnvironment,
    logger: pbxLog,
    ensureSession: (channelId) => channelMedia.ensure(channelId),
    match: (ch, context, digits) => {
      const callerId = ch.caller.number ? { callerId: ch.caller.number } : {};
      return {
        exists: existsExtension(engine.dialplan, context, digits, 1, callerId),
        canMatch: canMatchExtension(engine.dialplan, context, digits, 1, callerId),
        matchMore: matchMoreExtension(engine.dialplan, context, digits, 1, callerId),
      };
    },
  })) {
    core.apps.register(app);
  }

  const reloadDialplan = async (): Promise<string> => {
    engine.setDialplan(loadDialplan());
    return 'Dialplan reloaded.';
  };
  const close = async (): Promise<void> => {
    broadcast.close();
    hintStates.close();
    channelStates.close();
    channelMedia.close();
    channelAudio.close();
    snoops.close();
    bridgeMedia.close();
    recordings.close();
    moh.close();
    playbacks.close();
    await media.close();
  };
  return { core, engine, functions, stasis, broadcast, hintStates, media, channelMedia, channelAudio, snoops, bridgeMedia, moh, mohClasses: () => mohClasses.value, reloadMoh, playbacks, recordings, indications: () => indications.value, reloadIndications, mediaEnvironment, reloadDialplan, close };
}

export type Telephony = ReturnType<typeof buildTelephony>;
