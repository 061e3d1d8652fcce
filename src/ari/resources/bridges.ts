/**
 * `/bridges`: create and destroy bridges, put channels that are in a Stasis application into them and take
 * them out, bridge variables, and the video source.
 *
 * As in Asterisk, every bridge is listed and can be read, but only Stasis bridges (those made through ARI) can
 * be changed (409 `Bridge not in Stasis application` otherwise), and only channels that are in an application
 * can join: an unknown channel is a 400 `Channel not found`, a channel outside any application a 422. Adding a
 * channel that is in another bridge moves it. Bridge operations run on each channel's control queue, so they
 * never interleave with other REST calls on the same channel. Which applications hear about a bridge is
 * decided in `src/stasis/stasis.ts`: apps whose channels are in it, apps subscribed to `bridge:<id>`, and
 * `subscribeAll` apps (a REST call carries no application, so a new bridge's BridgeCreated reaches only those).
 *
 * Stricter than Asterisk where it answers 500: an unknown or impossible `type` is a 400 naming the accepted
 * values. `play` queues a playback on the bridge (`media/playback-service.ts`, target `bridge:<id>`, heard by every
 * member), `moh` starts or stops a music on hold class in it (`media/moh.ts`) and `record` records its mix
 * (`media/recording-service.ts`).
 */

import type { Core } from '../../core/core.ts';
import type { Channel } from '../../core/channel.ts';
import { BRIDGE_TYPES, type Bridge, type BridgeType } from '../../core/bridge.ts';
import { stasisControl } from '../../stasis/stasis.ts';
import type { AriContext, AriResult, HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';
import type { Params } from '../params.ts';
import { bridgeJson } from '../events/to-wire.ts';
import { readVariables } from './variables.ts';
import type { PlaybackService } from '../../media/playback-service.ts';
import type { MohService } from '../../media/moh.ts';
import type { RecordingService } from '../../media/recording-service.ts';
import { recordOptions } from './recordings.ts';

export interface BridgeResourceDeps {
  readonly core: Core;
  /** Playbacks on bridges. */
  readonly playbacks: PlaybackService;
  /** Music on hold in bridges. */
  readonly moh: MohService;
  /** Recordings of a bridge's mix. */
  readonly recordings: RecordingService;
}

/** Parses ARI's `type`: a comma list of bridge features, `mixing` when empty. */
export function parseBridgeTypes(text: string | undefined): BridgeType[] {
  const items = (text ?? '').split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) return ['mixing'];
  const types: BridgeType[] = [];
  for (const item of items) {
    if (!(BRIDGE_TYPES as readonly string[]).includes(item)) {
      throw new AriError(400, `Invalid bridge type '${item}': expected a comma list of ${BRIDGE_TYPES.join(', ')}`);
    }
    if (!types.includes(item as BridgeType)) types.push(item as BridgeType);
  }
  if (types.includes('holding') && types.includes('mixing')) throw new AriError(400, 'Bridge types holding and mixing cannot be combined');
  if (!types.some((t) => t === 'mixing' || t === 'holding' || t === 'video_sfu')) {
    throw new AriError(400, 'Bridge type must include mixing, holding or video_sfu');
  }
  return types;
}

export function bridgeHandlers(deps: BridgeResourceDeps): HandlerMap {
  const { core } = deps;

  /** Any bridge, for reading. */
  const find = (params: Params, message = 'Bridge not found'): Bridge => {
    const bridge = core.bridges.get(params.string('bridgeId') ?? '');
    if (!bridge) throw new AriError(404, message);
    return bridge;
  };
  /** A bridge ARI may change. */
  const findStasis = (params: Params, message?: string): Bridge => {
    const bridge = find(params, message);
    if (bridge.bridgeClass !== 'stasis') throw new AriError(409, 'Bridge not in Stasis application');
    return bridge;
  };
  /** The channels named in `channel`, each in an application (Asterisk's 400 / 422). */
  const stasisChannels = (params: Params): Channel[] => {
    const ids = params.list('channel').map((s) => s.trim()).filter((s) => s.length > 0);
    if (ids.length === 0) throw new AriError(400, 'Missing parameter channel');
    const out: Channel[] = [];
    for (const id of ids) {
      const channel = core.channels.get(id);
      if (!channel) throw new AriError(400, 'Channel not found');
      if (!stasisControl(channel)) throw new AriError(422, 'Channel not in Stasis application');
      if (!out.includes(channel)) out.push(channel);
    }
    return out;
  };

  const create = (params: Params, id: string | undefined) => {
    if (id !== undefined && core.bridges.get(id)) throw new AriError(409, `Bridge with id '${id}' already exists`);
    const types = parseBridgeTypes(params.string('type'));
    const vars = readVariables(params.object('variables')?.variables);
    const name = params.string('name');
    const bridge = core.bridges.create({ types, ...(id !== undefined ? { id } : {}), ...(name !== undefined ? { name } : {}) });
    for (const v of vars) bridge.setVariable(v.name, v.value, v.reportEvents);
    return { status: 200, body: bridgeJson(bridge.snapshot()) };
  };

  /**
   * `play` and `playWithId` on a Stasis bridge: 201 with the Playback (`target_uri` `bridge:<id>`). Sounds are
   * looked up in `lang`, else asterisk.conf's `defaultlanguage` (Asterisk uses its announcer channel's language,
   * which is the default one).
   */
  const play = {
    messages: { missing: { media: 'Missing media URI' } },
    handle: ({ params }: AriContext): AriResult => {
      const bridge = findStasis(params);
      const offsetms = params.int('offsetms');
      const skipms = params.int('skipms');
      if (offsetms !== undefined && offsetms < 0) throw new AriError(400, 'offsetms cannot be negative');
      if (skipms !== undefined && skipms < 0) throw new AriError(400, 'skipms cannot be negative');
      const playbackId = params.string('playbackId');
      const view = deps.playbacks.playOn({ type: 'bridge', id: bridge.id }, params.list('media'), {
        lang: params.string('lang') || deps.playbacks.defaultLanguage,
        ...(playbackId ? { playbackId } : {}),
        ...(offsetms !== undefined ? { offsetms } : {}),
        ...(skipms !== undefined ? { skipms } : {}),
      });
      return { status: 201, body: view, headers: [['Location', `/ari/playbacks/${encodeURIComponent(view.id)}`]] };
    },
  };

  return {
    'bridges.play': play,
    'bridges.playWithId': play,
    // `record`: the bridge's mix (what every member says), 201 with the LiveRecording. Asterisk puts a
    // `Recorder` channel in the bridge for it; the media engine records the mix directly (no extra member).
    // `recorder_format` (that channel's codec) has nothing to choose here and is ignored.
    'bridges.record': {
      handle: ({ params }: AriContext): AriResult => {
        const bridge = findStasis(params);
        const view = deps.recordings.record({ type: 'bridge', id: bridge.id }, recordOptions(params));
        return { status: 201, body: view, headers: [['Location', `/ari/recordings/live/${encodeURIComponent(view.name)}`]] };
      },
    },
    // As Asterisk: 204 whatever the class (an unknown one falls back to `default`).
    'bridges.startMoh': {
      handle: ({ params }: AriContext): AriResult => {
        const bridge = findStasis(params);
        deps.moh.startBridge(bridge.id, params.string('mohClass') || undefined);
        return { status: 204 };
      },
    },
    'bridges.stopMoh': {
      handle: ({ params }: AriContext): AriResult => {
        const bridge = findStasis(params);
        if (!deps.moh.stopBridge(bridge.id)) throw new AriError(409, "Bridge isn't playing music");
        return { status: 204 };
      },
    },
    'bridges.list': { handle: () => ({ status: 200, body: core.bridges.list().map((b) => bridgeJson(b.snapshot())) }) },
    'bridges.create': {
      handle: ({ params }) => {
        const id = params.string('bridgeId');
        return create(params, id === '' ? undefined : id);
      },
    },
    'bridges.createWithId': { handle: ({ params }) => create(params, params.string('bridgeId') ?? '') },
    'bridges.get': { handle: ({ params }) => ({ status: 200, body: bridgeJson(find(params).snapshot()) }) },
    'bridges.destroy': {
      handle: ({ params }) => {
        findStasis(params).destroy();
        return { status: 204 };
      },
    },
    'bridges.addChannel': {
      handle: async ({ params }) => {
        const bridge = findStasis(params);
        const channels = stasisChannels(params);
        const role = params.string('role');
        const options = {
          ...(role ? { role } : {}),
          absorbDtmf: params.bool('absorbDTMF') ?? false,
          mute: params.bool('mute') ?? false,
          inhibitConnectedLineUpdates: params.bool('inhibitConnectedLineUpdates') ?? false,
        };
        // Let what is already queued on each channel finish, then the channels join together (one
        // ChannelEnteredBridge each, then BRIDGEPEER once), as one Asterisk addChannel does.
        await Promise.all(channels.map((c) => c.control(() => undefined)));
        const still = channels.filter((c) => !c.destroyed && stasisControl(c) !== undefined);
        bridge.addAll(still, options);
        return { status: 204 };
      },
    },
    'bridges.removeChannel': {
      handle: async ({ params }) => {
        const bridge = findStasis(params);
        const channels = stasisChannels(params);
        for (const c of channels) if (!bridge.has(c.id)) throw new AriError(422, 'Channel not in this bridge');
        for (const c of channels) await c.control(() => void bridge.remove(c));
        return { status: 204 };
      },
    },
    'bridges.setVideoSource': {
      handle: async ({ params }) => {
        const bridge = findStasis(params);
        const channel = core.channels.get(params.string('channelId') ?? '');
        if (!channel) throw new AriError(404, 'Channel not found');
        if (!stasisControl(channel)) throw new AriError(409, 'Channel not in Stasis application');
        if (!bridge.has(channel.id)) throw new AriError(422, 'Channel not in this bridge');
        await channel.control(() => {
          if (bridge.has(channel.id)) bridge.setVideoSource(channel.id);
        });
        return { status: 204 };
      },
    },
    'bridges.clearVideoSource': {
      handle: ({ params }) => {
        findStasis(params).clearVideoSource();
        return { status: 204 };
      },
    },
    'bridges.getBridgeVar': {
      messages: { missing: { variable: 'Variable name is required' } },
      handle: ({ params }) => {
        const name = params.string('variable') ?? '';
        if (!name) throw new AriError(400, 'Variable name is required');
        const value = findStasis(params).getVariable(name);
        if (value === undefined) throw new AriError(404, 'Provided variable was not found');
        return { status: 200, body: { value } };
      },
    },
    'bridges.setBridgeVar': {
      messages: { missing: { variable: 'Variable name is required' } },
      handle: ({ params }) => {
        const name = (params.string('variable') ?? '').trim();
        if (!name) throw new AriError(400, 'Variable name is required');
        findStasis(params).setVariable(name, params.string('value') ?? '', params.bool('report_events') ?? false);
        return { status: 204 };
      },
    },
    'bridges.getBridgeVars': {
      messages: { missing: { variables: 'At least one variable name is required' } },
      handle: ({ params }) => {
        const names = params.list('variables');
        if (names.length === 0) throw new AriError(400, 'At least one variable name is required');
        const bridge = findStasis(params, 'Provided bridge was not found');
        const out: Record<string, string> = {};
        for (const raw of names) {
          const name = raw.trim();
          if (!name) throw new AriError(400, 'Variable names are required');
          const value = bridge.getVariable(name);
          if (value === undefined) throw new AriError(404, 'Provided variable was not found');
          out[name] = value;
        }
        return { status: 200, body: { variables: out } };
      },
    },
    'bridges.setBridgeVars': {
      messages: { missing: { variables: "The 'variables' field is required" } },
      handle: ({ params }) => {
        const bridge = findStasis(params, 'Provided bridge was not found');
        const body = params.object('variables');
        if (body?.variables === undefined) throw new AriError(400, "The 'variables' field must be a JSON object");
        for (const v of readVariables(body.variables)) bridge.setVariable(v.name, v.value, v.reportEvents);
        return { status: 204 };
      },
    },
  };
}
