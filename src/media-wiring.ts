/**
 * Puts the media half of the composition root together, so `telephony.ts` only builds calls and hands them
 * here: the media host's port, channel sessions (ChannelMedia) and their audio features (mute, Echo(), the
 * detectors), snoop and external media channels, bridges' media, music on hold (musiconhold.conf), tone zones
 * (indications.conf), ARI playbacks and recordings, and the dialplan applications and functions that play,
 * record or listen.
 *
 * Everything here speaks to the host only through `MediaPort` messages. `reloadMoh` and `reloadIndications`
 * re-read their configuration file; what is already playing goes on with what it has.
 */

import path from 'node:path';
import type { AsteriskConfig, Diagnostic } from './config/types.ts';
import type { RootLogger, Logger } from './shared/logger.ts';
import type { Core } from './core/core.ts';
import type { Stasis } from './stasis/stasis.ts';
import type { DialplanEngine } from './dialplan/engine.ts';
import type { FunctionRegistry } from './dialplan/functions/registry.ts';
import { extenMatch } from './dialplan/lookup.ts';
import { LocalMediaPort } from './media/engine/port.ts';
import type { MediaPort } from './media/engine/port.ts';
import { ChannelMedia } from './media/channel-media.ts';
import { ChannelAudio } from './media/channel-audio.ts';
import { SnoopChannels } from './media/snoop-channels.ts';
import { detectFunctions } from './dialplan/functions/detect.ts';
import { echoApp } from './dialplan/apps/echo.ts';
import { mediaApps } from './dialplan/apps/media.ts';
import { PlaybackService } from './media/playback-service.ts';
import { RecordingService } from './media/recording-service.ts';
import { recordApp } from './dialplan/apps/record.ts';
import { BridgeMediaService } from './media/bridge-media.ts';
import { MohService } from './media/moh.ts';
import { loadMusicOnHold } from './config/musiconhold.ts';
import { mohApps } from './dialplan/apps/moh.ts';
import { loadIndicationsConf } from './config/indications.ts';
import type { MediaEnvironment } from './media/media-uri.ts';
import { ExternalMedia } from './media/external/external-media.ts';
import { loadRtpConf } from './config/rtp.ts';
import { rtpConfOptions } from './media/rtp/session.ts';

export interface MediaWiringOptions {
  readonly core: Core;
  readonly stasis: Stasis;
  readonly engine: DialplanEngine;
  readonly functions: FunctionRegistry;
  readonly dirs: AsteriskConfig['directories'];
  readonly report: (diagnostics: readonly Diagnostic[]) => void;
  readonly logger: RootLogger;
  /** asterisk.conf's `defaultlanguage`: what bridges (which have no language of their own) play sounds in. */
  readonly defaultLanguage?: string;
}

export function buildMedia(options: MediaWiringOptions) {
  const { core, stasis, engine, functions, dirs, report } = options;
  const pbxLog: Logger = options.logger.child('pbx');
  const soundsDir = path.join(dirs.astdatadir, 'sounds');
  const recordingDir = path.join(dirs.astspooldir, 'recording');
  const defaultLanguage = options.defaultLanguage ?? 'en';

  // One in-thread host (LocalMediaPort). `WorkerMediaPort.create()` would run it in a worker instead; nothing else
  // changes, as both carry the same messages. Measured with 1000 SIP calls (bench/RESULTS.md, 2026-11-27) the
  // worker did not help on 2 cores: RTP's per-packet work, which does scale, already runs in workers (rtp-pool.ts).
  const media: MediaPort = new LocalMediaPort();
  const channelMedia = new ChannelMedia({ core, port: media });
  const ensureSession = (channelId: string): boolean => channelMedia.ensure(channelId);
  // Mute, Echo() and the detectors (TALK_DETECT, TONE_DETECT, in-band DTMF); snoop channels (ARI snoop).
  const channelAudio = new ChannelAudio({ core, port: media, media: channelMedia });
  functions.registerAll(detectFunctions(channelAudio));
  core.apps.register(echoApp(channelAudio));
  const snoops = new SnoopChannels({ core, port: media, media: channelMedia, runStasis: (channel, data) => stasis.exec(channel, data, false) });
  core.channels.registerDriver(snoops);
  // External media channels (ARI externalMedia): UnicastRTP, AudioSocket and WebSocket. rtp.conf is read per
  // UnicastRTP channel, so its port range follows the file without a reload.
  const externalMedia = new ExternalMedia({
    core,
    port: media,
    media: channelMedia,
    runStasis: (channel, data) => stasis.exec(channel, data, false),
    rtpConf: () => rtpConfOptions(loadRtpConf(dirs.astetcdir).value),
  });
  externalMedia.register();

  // Music on hold (musiconhold.conf) and bridges' media: holding-bridge participants hear the default class.
  let mohClasses = loadMusicOnHold(dirs.astetcdir, dirs.astdatadir);
  report(mohClasses.diagnostics);
  const bridgeMedia: BridgeMediaService = new BridgeMediaService({ core, port: media, channelMedia, entertainment: () => moh.entertainment() });
  const ensureBridge = (bridgeId: string): boolean => bridgeMedia.ensure(bridgeId);
  const moh: MohService = new MohService({ port: media, classes: () => mohClasses.value.classes, ensureSession, ensureBridge, bus: core.bus });
  const reloadMoh = (): void => {
    mohClasses = loadMusicOnHold(dirs.astetcdir, dirs.astdatadir);
    report(mohClasses.diagnostics);
  };
  for (const app of mohApps(moh, pbxLog)) core.apps.register(app);

  // What media URIs need beyond the sounds: stored recordings (`recording:`), tone zones (`tone:`, loaded from
  // indications.conf) and the cache `tts:` renders into.
  let indications = loadIndicationsConf(dirs.astetcdir);
  report(indications.diagnostics);
  const mediaEnvironment = (): MediaEnvironment => ({ recordingsDir: recordingDir, cacheDir: dirs.astcachedir, indications: indications.value });
  const reloadIndications = (): void => {
    indications = loadIndicationsConf(dirs.astetcdir);
    report(indications.diagnostics);
  };

  // Playback and recording events go to the applications subscribed to their channel or bridge.
  const about = (target: { readonly type: 'channel' | 'bridge'; readonly id: string }) =>
    target.type === 'channel' ? { channelId: target.id } : { bridgeId: target.id };
  const playbacks = new PlaybackService({
    port: media,
    soundsDir,
    defaultLanguage,
    publish: (target, type, playback, alsoTo) => stasis.publishAbout(about(target), { type, timestamp: core.now(), playback }, alsoTo),
    ensureSession,
    ensureBridge,
    environment: mediaEnvironment,
  });
  // Recordings (ARI live and stored ones, and Record()): files under <astspooldir>/recording, written by the host.
  const recordings = new RecordingService({
    port: media,
    core,
    recordingDir,
    soundsDir,
    defaultLanguage,
    publish: (target, type, recording, alsoTo) => stasis.publishAbout(about(target), { type, timestamp: core.now(), recording }, alsoTo),
    ensureSession,
    ensureBridge,
  });
  core.apps.register(recordApp({ recordings, soundsDir, logger: pbxLog }));
  // Playback, Background, Read, Say*, PlayTones and Milliwatt: media by MediaPort messages, like ARI playbacks.
  for (const app of mediaApps({
    port: media,
    soundsDir,
    environment: mediaEnvironment,
    logger: pbxLog,
    ensureSession,
    match: (ch, context, digits) => extenMatch(engine.dialplan, context, digits, ch.caller.number),
  })) {
    core.apps.register(app);
  }

  const close = async (): Promise<void> => {
    channelMedia.close();
    channelAudio.close();
    snoops.close();
    bridgeMedia.close();
    recordings.close();
    moh.close();
    playbacks.close();
    await media.close();
  };
  return {
    media,
    channelMedia,
    channelAudio,
    snoops,
    externalMedia,
    bridgeMedia,
    moh,
    mohClasses: () => mohClasses.value,
    reloadMoh,
    playbacks,
    recordings,
    indications: () => indications.value,
    reloadIndications,
    mediaEnvironment,
    close,
  };
}

export type MediaWiring = ReturnType<typeof buildMedia>;
