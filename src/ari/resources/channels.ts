/**
 * `/channels`: originate and create legs, and control channels that are in a Stasis application.
 *
 * Most operations need the channel to be in an application (409 `Channel not in Stasis application`
 * otherwise); GET, DELETE and reading a variable work on any channel, as in Asterisk. Operations run on the
 * channel's control queue, so they never interleave with the dialplan or the driver. `play` hands the media to
 * the playback service (`media/playback-service.ts`), music on hold and silence to the MOH service
 * (`media/moh.ts`), `record` to the recording service (`media/recording-service.ts`). Snoop channels come from
 * `media/snoop-channels.ts`, external media channels from `media/external/`, mute goes to
 * `media/channel-audio.ts`.
 */

import type { Core } from '../../core/core.ts';
import type { Channel, CallerId } from '../../core/channel.ts';
import { hangupReasons } from '../../core/causes.ts';
import { localPeer } from '../../core/local.ts';
import { originate, type OriginateTarget } from '../../core/originate.ts';
import { placeCall } from '../../core/dial.ts';
import { pause, sendDtmfStream } from '../../core/dtmf-stream.ts';
import { AriadneError } from '../../shared/errors.ts';
import type { Stasis } from '../../stasis/stasis.ts';
import { stasisControl, type StasisControl } from '../../stasis/stasis.ts';
import type { AriContext, AriResult, HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';
import type { Params } from '../params.ts';
import { channelJson } from '../events/to-wire.ts';
import type { PlaybackService } from '../../media/playback-service.ts';
import type { SnoopChannels } from '../../media/snoop-channels.ts';
import { ExternalConnectError, type ExternalMedia } from '../../media/external/external-media.ts';
import type { MuteDirection, SnoopDirection } from '../../media/engine/protocol.ts';
import type { MohService } from '../../media/moh.ts';
import type { RecordingService } from '../../media/recording-service.ts';
import { recordOptions } from './recordings.ts';
import { readVariables } from './variables.ts';

/** Reading and writing channel variables, including dialplan functions (`CALLERID(num)`). */
export interface ChannelVariables {
  get(channel: Channel, name: string): string | undefined;
  set(channel: Channel, name: string, value: string): void;
}

export interface ChannelResourceDeps {
  readonly core: Core;
  readonly stasis: Stasis;
  readonly variables: ChannelVariables;
  /** Playbacks on channels. */
  readonly playbacks: PlaybackService;
  /** Muting on the media host (media/channel-audio.ts); without it mute and unmute change no audio. */
  readonly audio?: { mute(channelId: string, direction: MuteDirection, muted: boolean): boolean };
  /** Snoop channels. */
  readonly snoops: SnoopChannels;
  /** External media channels (UnicastRTP, AudioSocket, WebSocket). */
  readonly externalMedia: ExternalMedia;
  /**
   * A channel's RTP statistics (ARI RTPstat): `unsupported` for a technology without RTP (Local...), undefined when
   * the channel has no RTP session (yet).
   */
  readonly rtpStatistics: (channel: Channel) => Promise<object | undefined> | object | 'unsupported' | undefined;
  /** Music on hold and silence. */
  readonly moh: MohService;
  /** Recordings. */
  readonly recordings: RecordingService;
  /**
   * `redirect` for technologies that can (PJSIP: 302 while ringing, REFER once answered): 'unsupported' for the
   * others, false when it could not be done.
   */
  readonly redirect?: (channel: Channel, resource: string) => boolean | 'unsupported';
  /**
   * `transfer_progress`: reports an ARI-handled transfer's state to the transferer (PJSIP: a sipfrag NOTIFY).
   */
  readonly transferProgress: (channel: Channel, state: TransferProgressState) => void;
}

/** The states `POST /channels/{id}/transfer_progress` takes. */
export type TransferProgressState = 'channel_progress' | 'channel_answered' | 'channel_unavailable' | 'channel_declined';
const TRANSFER_STATES: ReadonlySet<string> = new Set(['channel_progress', 'channel_answered', 'channel_unavailable', 'channel_declined']);

/** Marks a leg made by `POST /channels/create`, which `dial` may dial. */
const CREATED = 'ari.created';

/** Parses `"Name" <number>`, `Name <number>` or a bare number. */
export function parseCallerId(text: string): CallerId {
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(text);
  if (m) return { name: (m[1] ?? m[2] ?? '').trim(), number: (m[3] ?? '').trim() };
  const t = text.trim();
  return /^[0-9*#+]+$/.test(t) ? { name: '', number: t } : { name: t, number: '' };
}

/** `{"variables": {...}}` of a body as values, and the names to report on the channel (`report_events`). */
function bodyVariables(body: Record<string, unknown> | undefined): { values: Record<string, string>; reported: string[] } {
  const values: Record<string, string> = {};
  const reported: string[] = [];
  for (const v of readVariables(body?.variables)) {
    values[v.name] = v.value;
    if (v.reportEvents) reported.push(v.name);
  }
  return { values, reported };
}

export function channelHandlers(deps: ChannelResourceDeps): HandlerMap {
  const { core, stasis } = deps;

  const find = (params: Params): Channel => {
    const channel = core.channels.get(params.string('channelId') ?? '');
    if (!channel) throw new AriError(404, 'Channel not found');
    return channel;
  };
  const controlled = (params: Params): StasisControl => {
    const channel = find(params);
    const control = stasisControl(channel);
    if (!control) throw new AriError(409, 'Channel not in Stasis application');
    return control;
  };
  /**
   * Asterisk refuses most operations on an outbound leg that has not been answered yet (Down, Rsrvd,
   * Ringing) with 412; inbound legs (Ring) and answered ones are fine.
   */
  const checkState = (channel: Channel): void => {
    if (channel.state === 'Down' || channel.state === 'Rsrvd' || channel.state === 'Ringing') throw new AriError(412, 'Channel in invalid state');
  };
  /** Runs `fn` on the channel's control queue and answers 204. */
  const queued = (fn: (channel: Channel, ctx: AriContext) => void | Promise<void>) => ({
    handle: async (ctx: AriContext) => {
      const { channel } = controlled(ctx.params);
      checkState(channel);
      await channel.control(() => fn(channel, ctx));
      return { status: 204 };
    },
  });
  const setVariable = (channel: Channel, name: string, value: string): void => deps.variables.set(channel, name, value);

  const doOriginate = (ctx: AriContext, channelId: string | undefined) => {
    const p = ctx.params;
    const endpoint = p.string('endpoint') ?? '';
    if (!endpoint) throw new AriError(400, 'Endpoint must be specified');
    const app = p.string('app');
    const extension = p.string('extension');
    let target: OriginateTarget;
    if (app) {
      const args = p.string('appArgs');
      target = { kind: 'app', app: 'Stasis', data: args ? `${app},${args}` : app };
    } else if (extension) {
      const context = p.string('context') || 'default';
      let priority = p.int('priority') ?? 1;
      const label = p.string('label');
      if (label) {
        const found = core.pbx.findLabel(context, extension, label);
        if (found === undefined) throw new AriError(400, `Label '${label}' not found in ${extension}@${context}`);
        priority = found;
      }
      target = { kind: 'exten', context, exten: extension, priority };
    } else throw new AriError(400, 'Application or extension must be specified');
    const callerText = p.string('callerId');
    const caller = callerText ? parseCallerId(callerText) : undefined;
    const timeout = p.int('timeout') ?? 30;
    const otherId = p.string('otherChannelId');
    const vars = bodyVariables(p.object('variables'));
    let channel: Channel;
    try {
      channel = originate(core, {
        endpoint,
        target,
        timeoutMs: timeout < 0 ? 2 ** 31 - 1 : timeout * 1000,
        ...(channelId ? { id: channelId } : {}),
        ...(otherId ? { otherId } : {}),
        ...(caller ? { caller } : {}),
        variables: vars.values,
        setVariable,
        onCreated: (ch) => {
          for (const name of vars.reported) ch.reportVariable(name);
          if (caller) ch.setConnected(caller, { publish: false });
          if (app && stasis.apps.get(app)) {
            stasis.subscribe(app, 'channels', ch.id);
            const peer = localPeer(ch);
            if (peer) stasis.subscribe(app, 'channels', peer.id);
          }
        },
      });
    } catch (err) {
      if (err instanceof AriadneError && err.code === 'ERR_NOT_FOUND') throw new AriError(400, err.message);
      throw err;
    }
    return { status: 200, body: channelJson(channel.snapshot()) };
  };

  /**
   * `play` and `playWithId`: 201 with the Playback (state `queued`) and its Location. Better than Asterisk:
   * missing media and unknown schemes are 400 (Asterisk: 500, and 201 with a playback that never ends).
   */
  const play = {
    messages: { missing: { media: 'Missing media URI' } },
    handle: (ctx: AriContext): AriResult => {
      const { channel } = controlled(ctx.params);
      const playbacks = deps.playbacks;
      const p = ctx.params;
      const offsetms = p.int('offsetms');
      const skipms = p.int('skipms');
      if (offsetms !== undefined && offsetms < 0) throw new AriError(400, 'offsetms cannot be negative');
      if (skipms !== undefined && skipms < 0) throw new AriError(400, 'skipms cannot be negative');
      const playbackId = p.string('playbackId');
      const view = playbacks.play(channel.id, p.list('media'), {
        lang: p.string('lang') || channel.language,
        ...(playbackId ? { playbackId } : {}),
        ...(offsetms !== undefined ? { offsetms } : {}),
        ...(skipms !== undefined ? { skipms } : {}),
      });
      return { status: 201, body: view, headers: [['Location', `/ari/playbacks/${encodeURIComponent(view.id)}`]] };
    },
  };

  /**
   * `snoop` and `snoopWithId`: 200 with the new Snoop channel, which then enters `app` (StasisStart). Checks in
   * Asterisk's order: directions, at least one of them, the application, the channel (which need not be in an
   * application). Better than Asterisk: a snoop id that is taken is 409 (Asterisk: 500).
   */
  const snoop = {
    messages: {
      invalid: { spy: 'Invalid direction specified for spy', whisper: 'Invalid direction specified for whisper' },
      missing: { app: 'Application name is required' },
    },
    handle: (ctx: AriContext): AriResult => {
      const snoops = deps.snoops;
      const p = ctx.params;
      const direction = (name: 'spy' | 'whisper'): SnoopDirection => {
        const v = p.string(name) || 'none';
        if (v !== 'none' && v !== 'both' && v !== 'in' && v !== 'out') throw new AriError(400, `Invalid direction specified for ${name}`);
        return v;
      };
      const spy = direction('spy');
      const whisper = direction('whisper');
      if (spy === 'none' && whisper === 'none') throw new AriError(400, 'Direction must be specified for at least spy or whisper');
      const app = p.string('app') ?? '';
      if (!app) throw new AriError(400, 'Application name is required');
      const target = core.channels.get(p.string('channelId') ?? '');
      if (!target || target.destroyed) throw new AriError(404, 'Provided channel was not found');
      const appArgs = p.string('appArgs');
      const snoopId = p.string('snoopId');
      try {
        const channel = snoops.snoop(target, { spy, whisper, app, ...(appArgs ? { appArgs } : {}), ...(snoopId ? { snoopId } : {}) });
        return { status: 200, body: channelJson(channel.snapshot()) };
      } catch (err) {
        if (err instanceof AriadneError && err.code === 'ERR_CONFLICT') throw new AriError(409, err.message);
        throw err;
      }
    },
  };
  /**
   * `externalMedia`: 200 with the new channel (Down; it is answered as it enters `app`) and, as Asterisk adds,
   * `channelvars` with all its variables (UNICASTRTP_LOCAL_ADDRESS/PORT tell where to send RTP). Checks and
   * messages are Asterisk's (media/external/external-media.ts); better than Asterisk: an unusable format or
   * AudioSocket id is 400 (Asterisk: 500), a peer that cannot be reached is 500 saying why.
   */
  const externalMedia = {
    messages: {
      missing: { app: 'app cannot be empty', format: 'format cannot be empty' },
      invalid: { direction: 'Invalid direction specified' },
    },
    handle: async (ctx: AriContext): Promise<AriResult> => {
      const external = deps.externalMedia;
      const p = ctx.params;
      const app = p.string('app') ?? '';
      const vars = bodyVariables(p.object('variables'));
      try {
        const { channel, variables } = await external.create({
          app,
          channelId: p.string('channelId'),
          externalHost: p.string('external_host'),
          encapsulation: p.string('encapsulation'),
          transport: p.string('transport'),
          connectionType: p.string('connection_type'),
          format: p.string('format'),
          direction: p.string('direction'),
          data: p.string('data'),
          transportData: p.string('transport_data'),
          variables: vars.values,
          setVariable,
          onCreated: (ch) => {
            for (const name of vars.reported) ch.reportVariable(name);
            if (stasis.apps.get(app)) stasis.subscribe(app, 'channels', ch.id);
          },
        });
        return { status: 200, body: { ...channelJson(channel.snapshot()), channelvars: variables } };
      } catch (err) {
        if (err instanceof ExternalConnectError) throw new AriError(500, err.message);
        throw err;
      }
    },
  };
  /** `mute` / `unmute`: the channel's media session mutes the direction (default both). */
  const mute = (muted: boolean) => ({
    messages: { invalid: { direction: 'Invalid direction specified' } },
    ...queued((channel, ctx) => {
      const d = ctx.params.string('direction') || 'both';
      if (d !== 'both' && d !== 'in' && d !== 'out') throw new AriError(400, 'Invalid direction specified');
      deps.audio?.mute(channel.id, d, muted);
    }),
  });

  return {
    'channels.snoopChannel': snoop,
    'channels.snoopChannelWithId': snoop,
    'channels.externalMedia': externalMedia,
    'channels.play': play,
    'channels.playWithId': play,
    // `record`: 201 with the LiveRecording (state `queued`) and its Location; it records what the channel says.
    // A bridged channel is refused (409) as the spec says; Asterisk answers 201 and then fails the recording.
    'channels.record': {
      handle: (ctx: AriContext): AriResult => {
        const { channel } = controlled(ctx.params);
        const options = recordOptions(ctx.params);
        if (channel.bridgeId !== undefined) throw new AriError(409, 'Cannot record channel while in bridge');
        const view = deps.recordings.record({ type: 'channel', id: channel.id }, options);
        return { status: 201, body: view, headers: [['Location', `/ari/recordings/live/${encodeURIComponent(view.name)}`]] };
      },
    },
    // Music on hold and silence: 204 as in Asterisk, whatever the class (an unknown one falls back to `default`,
    // and a class that cannot play plays nothing) and whether anything was playing.
    'channels.startMoh': queued((channel, ctx) => void deps.moh.start(channel.id, ctx.params.string('mohClass') || undefined)),
    'channels.stopMoh': queued((channel) => void deps.moh.stop(channel.id)),
    'channels.startSilence': queued((channel) => void deps.moh.startSilence(channel.id)),
    'channels.stopSilence': queued((channel) => void deps.moh.stopSilence(channel.id)),
    'channels.list': { handle: () => ({ status: 200, body: core.channels.list().map((c) => channelJson(c.snapshot())) }) },
    'channels.originate': { messages: { missing: { endpoint: 'Endpoint must be specified' } }, handle: (ctx) => doOriginate(ctx, ctx.params.string('channelId')) },
    'channels.originateWithId': { messages: { missing: { endpoint: 'Endpoint must be specified' } }, handle: (ctx) => doOriginate(ctx, ctx.params.string('channelId')) },
    'channels.create': {
      messages: { missing: { endpoint: 'Endpoint must be specified', app: 'Application must be specified' } },
      handle: ({ params }) => {
        const endpoint = params.string('endpoint') ?? '';
        const app = params.string('app') ?? '';
        const args = params.string('appArgs');
        const otherId = params.string('otherChannelId');
        const channelId = params.string('channelId');
        const vars = bodyVariables(params.object('variables'));
        let channel: Channel;
        try {
          channel = originate(core, {
            endpoint,
            target: { kind: 'app', app: 'Stasis', data: app },
            timeoutMs: 30_000,
            dial: false,
            ...(channelId ? { id: channelId } : {}),
            ...(otherId ? { otherId } : {}),
            variables: vars.values,
            setVariable,
            onCreated: (ch) => {
              for (const name of vars.reported) ch.reportVariable(name);
              // The application sees the created leg (not its Local ;2 half) from the start.
              if (stasis.apps.get(app)) stasis.subscribe(app, 'channels', ch.id);
            },
          });
        } catch (err) {
          if (err instanceof AriadneError && err.code === 'ERR_NOT_FOUND') throw new AriError(400, err.message);
          throw err;
        }
        channel.attachments.set(CREATED, true);
        // The new leg waits in the application until it is dialed (`POST /channels/{id}/dial`); when it
        // leaves, it is hung up.
        const data = args ? `${app},${args}` : app;
        setImmediate(() => {
          if (channel.destroyed) return;
          channel.enterApp('Stasis', data);
          void stasis.exec(channel, data, false).finally(() => {
            channel.setApp('', '');
            channel.hangup(channel.hangupCause || 16);
          });
        });
        return { status: 200, body: channelJson(channel.snapshot()) };
      },
    },
    'channels.get': { handle: ({ params }) => ({ status: 200, body: channelJson(find(params).snapshot()) }) },
    // Asterisk's checks in order: the channel, a technology with RTP (403 otherwise), its RTP instance.
    'channels.rtpstatistics': {
      handle: async ({ params }) => {
        const channel = find(params);
        // RTP may run in a worker thread: its statistics arrive asynchronously (and fail if the leg just ended).
        const stats = await Promise.resolve(deps.rtpStatistics(channel)).catch(() => undefined);
        if (stats === 'unsupported') throw new AriError(403, 'Unsupported channel type');
        if (stats === undefined) throw new AriError(404, 'RTP info not found');
        return { status: 200, body: stats };
      },
    },
    'channels.hangup': {
      messages: { invalid: { reason: 'Invalid reason for hangup reason provided' } },
      handle: ({ params }) => {
        const channel = find(params);
        let cause = 16;
        const code = params.string('reason_code');
        const reason = params.string('reason');
        if (code !== undefined && code !== '') {
          if (!/^\d+$/.test(code)) throw new AriError(400, 'Invalid reason for hangup reason provided');
          cause = Number(code);
        } else if (reason !== undefined) {
          const c = hangupReasons[reason];
          if (c === undefined) throw new AriError(400, 'Invalid reason for hangup reason provided');
          cause = c;
        }
        channel.requestHangup({ cause, soft: true, eventCause: 32 });
        return { status: 204 };
      },
    },
    'channels.continueInDialplan': {
      handle: async ({ params }) => {
        const control = controlled(params);
        checkState(control.channel);
        // Asterisk's rules: no context keeps the channel's (and its extension unless given); a context
        // without an extension means `s`; no priority means 1, or the next priority when nothing was given.
        const loc = control.channel.location;
        const contextParam = params.string('context') ?? '';
        const extenParam = params.string('extension') ?? '';
        const context = contextParam || loc.context;
        const exten = extenParam || (contextParam ? 's' : loc.exten);
        const label = params.string('label');
        const givenPriority = params.int('priority');
        let priority: number;
        if (label) {
          const found = /^\d+$/.test(label) ? Number(label) : core.pbx.findLabel(context, exten, label);
          if (found === undefined) throw new AriError(404, 'Requested label can not be found');
          if (found === 0) throw new AriError(400, 'Requested priority is illegal');
          priority = found;
        } else if (givenPriority) priority = givenPriority;
        else if (!contextParam && !extenParam) priority = loc.priority + 1;
        else priority = 1;
        await control.channel.control(() => control.continueInDialplan({ context, exten, priority }));
        return { status: 204 };
      },
    },
    'channels.move': {
      handle: async ({ params }) => {
        const control = controlled(params);
        const args = params.string('appArgs');
        await control.channel.control(() => control.move(params.string('app') ?? '', args ? args.split(',') : []));
        return { status: 204 };
      },
    },
    'channels.redirect': {
      handle: ({ params }) => {
        const { channel } = controlled(params);
        checkState(channel);
        const endpoint = params.string('endpoint') ?? '';
        if (!endpoint) throw new AriError(400, "Required parameter 'endpoint' not provided.");
        const slash = endpoint.indexOf('/');
        if (slash <= 0) throw new AriError(422, `Endpoint parameter '${endpoint}' does not contain tech/resource`);
        if (slash === endpoint.length - 1) throw new AriError(422, `No resource provided in endpoint parameter '${endpoint}'`);
        const tech = endpoint.slice(0, slash);
        if (tech.toLowerCase() !== channel.tech.name.toLowerCase()) {
          throw new AriError(422, `Endpoint technology '${tech}' does not match channel technology '${channel.tech.name}'`);
        }
        // Redirecting needs a technology with transfers (PJSIP); Local has none.
        const done = deps.redirect?.(channel, endpoint.slice(slash + 1)) ?? 'unsupported';
        if (done === 'unsupported') throw new AriError(422, `Channel technology '${channel.tech.name}' does not support redirecting`);
        if (!done) throw new AriError(500, 'Failed to redirect channel');
        return { status: 204 };
      },
    },
    'channels.transfer_progress': {
      handle: ({ params }) => {
        const { channel } = controlled(params);
        const states = params.string('states') ?? '';
        if (states === '') throw new AriError(400, 'states must not be empty');
        const state = states.toLowerCase();
        if (!TRANSFER_STATES.has(state)) throw new AriError(400, 'Invalid states value');
        deps.transferProgress(channel, state as TransferProgressState);
        return { status: 204 };
      },
    },
    'channels.answer': queued((channel) => {
      if (channel.state !== 'Up') channel.driver.answer(channel);
    }),
    // Indicating ringing does not change the channel's own state (an inbound leg stays Ring, as in Asterisk).
    'channels.ring': queued((channel) => channel.driver.indicate(channel, 'ringing')),
    'channels.ringStop': queued((channel) => channel.driver.indicate(channel, 'ringstop')),
    'channels.progress': queued((channel) => channel.driver.indicate(channel, 'progress')),
    'channels.sendDTMF': {
      messages: { missing: { dtmf: 'DTMF is required' } },
      handle: ({ params }) => {
        const { channel } = controlled(params);
        checkState(channel);
        const dtmf = params.string('dtmf') ?? '';
        if (!dtmf) throw new AriError(400, 'DTMF is required');
        if (!/^[0-9A-Da-d*#wW,]+$/.test(dtmf)) throw new AriError(400, 'Invalid DTMF digits');
        // `before`, then Asterisk's DTMF stream (core/dtmf-stream.ts), then `after`.
        const before = params.int('before') ?? 0;
        const after = params.int('after') ?? 0;
        void channel.control(async () => {
          if (before > 0 && !(await pause(channel, before))) return;
          await sendDtmfStream(channel, dtmf, { betweenMs: params.int('between') ?? 0, durationMs: params.int('duration') ?? 100 });
          if (after > 0) await pause(channel, after);
        });
        return { status: 204 };
      },
    },
    'channels.mute': mute(true),
    'channels.unmute': mute(false),
    // Hold is indicated to the channel's far side; ChannelHold/ChannelUnhold are about the channel that is put
    // on hold (for Local, the other half), as a phone putting its call on hold shows on its own channel.
    'channels.hold': queued((channel) => channel.driver.indicate(channel, 'hold')),
    'channels.unhold': queued((channel) => channel.driver.indicate(channel, 'unhold')),
    'channels.getChannelVar': {
      messages: { missing: { variable: 'Variable name is required' } },
      handle: ({ params }) => {
        const name = params.string('variable') ?? '';
        if (!name) throw new AriError(400, 'Variable name is required');
        const channel = core.channels.get(params.string('channelId') ?? '');
        if (!channel) throw new AriError(404, 'Provided channel was not found');
        const value = deps.variables.get(channel, name);
        if (value === undefined) {
          // Asterisk answers 500 when a function cannot be read; it is the client's mistake.
          if (name.endsWith(')')) throw new AriError(400, 'Unable to read provided function');
          throw new AriError(404, 'Provided variable was not found');
        }
        return { status: 200, body: { value } };
      },
    },
    'channels.setChannelVar': {
      messages: { missing: { variable: 'Variable name is required' } },
      handle: async ({ params }) => {
        const { channel } = controlled(params);
        const name = params.string('variable') ?? '';
        if (!name) throw new AriError(400, 'Variable name is required');
        await channel.control(() => {
          if (params.bool('report_events')) channel.reportVariable(name);
          deps.variables.set(channel, name, params.string('value') ?? '');
        });
        return { status: 204 };
      },
    },
    'channels.getChannelVars': {
      handle: ({ params }) => {
        const channel = core.channels.get(params.string('channelId') ?? '');
        if (!channel) throw new AriError(404, 'Provided channel was not found');
        const out: Record<string, string> = {};
        for (const name of params.list('variables')) {
          const v = deps.variables.get(channel, name);
          if (v === undefined) {
            if (name.endsWith(')')) throw new AriError(400, 'Unable to read provided function');
            throw new AriError(404, 'Provided variable was not found');
          }
          out[name] = v;
        }
        return { status: 200, body: { variables: out } };
      },
    },
    'channels.setChannelVars': {
      handle: async ({ params }) => {
        const { channel } = controlled(params);
        const vars = bodyVariables(params.object('variables'));
        await channel.control(() => {
          for (const name of vars.reported) channel.reportVariable(name);
          for (const [k, v] of Object.entries(vars.values)) deps.variables.set(channel, k, v);
        });
        return { status: 204 };
      },
    },
    'channels.dial': {
      handle: ({ params }) => {
        const { channel } = controlled(params);
        const callerId = params.string('caller');
        const caller = callerId ? core.channels.get(callerId) : undefined;
        // Asterisk ignores an unknown caller; a typo deserves a 404.
        if (callerId && !caller) throw new AriError(404, 'Caller channel not found');
        if ((channel.state !== 'Down' && channel.state !== 'Rsrvd') || channel.attachments.has('ari.dialed')) {
          throw new AriError(409, "Channel is not in the 'Down' state");
        }
        if (!channel.attachments.has(CREATED)) throw new AriError(409, 'Dialing a channel not created by ARI');
        if (caller) channel.setConnected(caller.caller, { publish: false });
        const timeout = params.int('timeout') ?? 0;
        channel.attachments.set('ari.dialed', true);
        const dialstring = channel.name.replace(/^[^/]+\//, '').replace(/-[0-9a-f]{8};1$/, '');
        setImmediate(() => {
          void placeCall(core, channel, { timeoutMs: timeout > 0 ? timeout * 1000 : 2 ** 31 - 1, dialstring, ...(caller ? { caller } : {}) }).then((r) => {
            if (r.status !== 'ANSWER') channel.requestHangup({ soft: true, eventCause: 16, ...(r.status === 'NOANSWER' ? { cause: 19 } : {}) });
          });
        });
        return { status: 204 };
      },
    },
  };
}

