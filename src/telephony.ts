/**
 * The telephony half of the composition root: core with the Local technology, the dialplan engine with its
 * applications and functions, Stasis (and StasisBroadcast), and the device and extension states that channels
 * and hints feed; the media half is built by `media-wiring.ts`. `server.ts` wires the interfaces (HTTP/ARI,
 * console) around what this returns.
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
import { channelRedirectApp } from './dialplan/apps/redirect.ts';
import { sendDtmfApp } from './dialplan/apps/senddtmf.ts';
import { messageSendApp } from './dialplan/apps/message.ts';
import { messageFunctions } from './dialplan/functions/message.ts';
import { MessageRouter } from './core/text-messages.ts';
import { HintStates } from './dialplan/hint-states.ts';
import { existsExtension, extenMatch } from './dialplan/lookup.ts';
import type { Dialplan } from './dialplan/model.ts';
import { Stasis } from './stasis/stasis.ts';
import { StasisBroadcast } from './stasis/broadcast.ts';
import { buildMedia } from './media-wiring.ts';
import { readVariableOrFunction } from './dialplan/substitute.ts';

export interface TelephonyOptions {
  readonly directories: AsteriskConfig['directories'];
  readonly logger: RootLogger;
  readonly report: (diagnostics: readonly Diagnostic[]) => void;
  readonly state: StateWiring;
  readonly apps: AppRegistry;
  readonly ariConfig: AriConfig;
  /** asterisk.conf's `defaultlanguage` (bridges play sounds in it); `en` when absent. */
  readonly defaultLanguage?: string;
}

export function buildTelephony(options: TelephonyOptions) {
  const { logger, report, state, apps, ariConfig } = options;
  const dirs = options.directories;
  const log = logger.child('ariadne');
  // Calls: core, the Local technology, the dialplan engine with its applications, and Stasis.
  const core = new Core({ onBusError: (err, m) => log.error(`event subscriber failed on ${m.type}: ${(err as Error)?.stack ?? String(err)}`) });
  const globals = core.globals;
  core.channels.setReportedVariables(ariConfig.channelvars);
  core.channels.setDefaultLanguage(options.defaultLanguage ?? 'en');
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
  // Text messages through the dialplan (MESSAGE in, MessageSend out): technologies register their senders.
  const messages = new MessageRouter({ core, logger: pbxLog });
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
      // WaitExten waits for more digits while a longer extension may still match.
      const m = extenMatch(engine.dialplan, ch.location.context, digits, ch.caller.number);
      return { exact: m.exists, more: m.matchMore || (!m.exists && m.canMatch) };
    }),
    dialApp(core, pbxLog),
    channelRedirectApp(core, pbxLog),
    sendDtmfApp(core, pbxLog),
    messageSendApp(messages, pbxLog),
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
  functions.registerAll(messageFunctions(core));
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

  // Media: sessions, snoops, bridges' media, music on hold, tone zones, playbacks, recordings and the dialplan
  // applications and functions that use them (media-wiring.ts).
  const mediaWiring = buildMedia({ core, stasis, engine, functions, dirs, report, logger, ...(options.defaultLanguage !== undefined ? { defaultLanguage: options.defaultLanguage } : {}) });

  const reloadDialplan = async (): Promise<string> => {
    engine.setDialplan(loadDialplan());
    return 'Dialplan reloaded.';
  };
  const close = async (): Promise<void> => {
    broadcast.close();
    hintStates.close();
    channelStates.close();
    await mediaWiring.close();
  };
  const { media, channelMedia, channelAudio, snoops, externalMedia, bridgeMedia, moh, mohClasses, reloadMoh, playbacks, recordings, indications, reloadIndications, mediaEnvironment } = mediaWiring;
  return { core, engine, functions, stasis, broadcast, hintStates, media, channelMedia, channelAudio, snoops, externalMedia, bridgeMedia, moh, mohClasses, reloadMoh, playbacks, recordings, indications, reloadIndications, mediaEnvironment, reloadDialplan, messages, close };
}

export type Telephony = ReturnType<typeof buildTelephony>;
