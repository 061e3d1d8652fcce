/**
 * ARI's external media (`POST /channels/externalMedia`): a channel whose far side is a service outside
 * Ariadne, reached over one of three transports, each its own channel technology as in Asterisk:
 *
 * | encapsulation / transport | technology | channel name | variables |
 * |---|---|---|---|
 * | rtp / udp | `UnicastRTP` | `UnicastRTP/<host:port>-0x<hex>` | UNICASTRTP_LOCAL_ADDRESS, UNICASTRTP_LOCAL_PORT |
 * | audiosocket / tcp | `AudioSocket` | `AudioSocket/<host:port>-<uuid>` | AUDIOSOCKET_UUID, AUDIOSOCKET_SERVICE |
 * | none / websocket | `WebSocket` | `WebSocket/<host>/0x<hex>` | MEDIA_WEBSOCKET_CONNECTION_ID, MEDIA_WEBSOCKET_OPTIMAL_FRAME_SIZE |
 *
 * `check` validates a request in Asterisk's order with Asterisk's messages (and says what Ariadne adds: a
 * WebSocket is a per-call `ws://`/`wss://` URI rather than a configured connection id). `create` connects
 * first (an unreachable peer leaves no channel behind: `ExternalConnectError`), then makes the channel (Down),
 * gives it a media session and starts the transport; once the REST answer is out the channel is answered and
 * runs the Stasis application (StasisStart with `data` as its argument, as Asterisk passes it).
 *
 * The channel hangs up when the transport ends (peer closed, AudioSocket hangup, WebSocket `hangup` command);
 * when the channel hangs up first, the transport is told and closed. These channels cannot be dialed.
 */

import { randomBytes } from 'node:crypto';
import type { Channel } from '../../core/channel.ts';
import type { Core } from '../../core/core.ts';
import type { ChannelDriver } from '../../core/driver.ts';
import { AriadneError } from '../../shared/errors.ts';
import type { RtpSessionOptions } from '../rtp/session.ts';
import type { ChannelMedia } from '../channel-media.ts';
import { codecByName, type Codec } from '../codecs/registry.ts';
import type { MediaPort } from '../engine/port.ts';
import type { RunStasis } from '../snoop-channels.ts';
import { AudioSocketLink, audioKindOf, connectTcp, isUuid } from './audiosocket.ts';
import { ExternalConnectError, type ExternalLink } from './link.ts';
import { UnicastRtpLink } from './rtp.ts';
import { WebSocketLink, connectWebSocket } from './websocket.ts';

export interface ExternalMediaRequest {
  readonly app: string;
  readonly channelId?: string | undefined;
  readonly externalHost?: string | undefined;
  readonly encapsulation?: string | undefined;
  readonly transport?: string | undefined;
  readonly connectionType?: string | undefined;
  readonly format?: string | undefined;
  readonly direction?: string | undefined;
  readonly data?: string | undefined;
  readonly transportData?: string | undefined;
  /** Variables of the request body, set on the channel before it enters the application. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Sets one variable (dialplan functions such as `CALLERID(num)` included); default: a plain variable. */
  readonly setVariable?: (channel: Channel, name: string, value: string) => void;
  /** Called once the channel exists, before any event about it can reach an application. */
  readonly onCreated?: (channel: Channel) => void;
}

/** A checked request: which technology, where, in which format. */
export type ExternalMediaPlan =
  | { readonly kind: 'rtp'; readonly host: string; readonly port: number; readonly codec: Codec }
  | { readonly kind: 'audiosocket'; readonly host: string; readonly port: number; readonly codec: Codec; readonly uuid: string }
  | { readonly kind: 'websocket'; readonly uri: URL; readonly codec: Codec };

const invalid = (message: string): AriadneError => new AriadneError('ERR_INVALID_PARAMETER', message);

/** `host:port`, `[v6]:port`; undefined when the port is missing or out of range. */
export function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}

function websocketUri(text: string | undefined): URL | undefined {
  if (!text || !/^wss?:\/\//i.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * Validates a request as Asterisk does, in its order and with its messages where it has them. Throws
 * `AriadneError` (`ERR_INVALID_PARAMETER` → 400, `ERR_NOT_IMPLEMENTED` → 501).
 */
export function checkExternalMedia(r: ExternalMediaRequest): ExternalMediaPlan {
  if (!r.app) throw invalid('app cannot be empty');
  const transport = r.transport || 'udp';
  const encapsulation = r.encapsulation || 'rtp';
  if (transport === 'websocket' && encapsulation !== 'none') throw invalid("encapsulation must be 'none' for websocket transport");
  if (encapsulation === 'rtp' && transport !== 'udp') throw invalid("transport must be 'udp' for rtp encapsulation");
  if (encapsulation === 'audiosocket' && transport !== 'tcp') throw invalid("transport must be 'tcp' for audiosocket encapsulation");
  const connectionType = r.connectionType || 'client';
  if (transport !== 'websocket' && connectionType === 'server') {
    throw invalid("'server' connection_type can only be used with the websocket transport");
  }
  if (connectionType === 'server') throw new AriadneError('ERR_NOT_IMPLEMENTED', "connection_type 'server' is not supported: give the WebSocket server's URI in external_host");
  if (!r.externalHost) throw invalid('external_host is required for all but websocket server connections');
  let uri: URL | undefined;
  let hostPort: { host: string; port: number } | undefined;
  if (transport === 'websocket') {
    uri = websocketUri(r.externalHost) ?? websocketUri(r.transportData);
    if (!uri) throw invalid('external_host must be a ws:// or wss:// URI for the websocket transport');
  } else {
    hostPort = splitHostPort(r.externalHost);
    if (!hostPort) throw invalid('external_host must be <host>:<port> for all transports other than websocket');
  }
  if (!r.format) throw invalid('format cannot be empty');
  if (r.direction && r.direction !== 'both' && r.direction !== 'in' && r.direction !== 'out') throw invalid('Invalid direction specified');
  const codec = codecByName(r.format);
  if (encapsulation === 'rtp' && transport === 'udp') {
    if (codec?.name !== 'ulaw' && codec?.name !== 'alaw') throw invalid(`format '${r.format}' is not supported for rtp encapsulation (use ulaw or alaw)`);
    return { kind: 'rtp', ...hostPort!, codec };
  }
  if (encapsulation === 'audiosocket' && transport === 'tcp') {
    if (!r.data) throw invalid('data can not be empty');
    if (!isUuid(r.data)) throw invalid('data must be a UUID for audiosocket encapsulation');
    if (!codec || audioKindOf(codec) === undefined) throw invalid(`format '${r.format}' is not supported for audiosocket encapsulation (use slin or slin16)`);
    return { kind: 'audiosocket', ...hostPort!, codec, uuid: r.data.toLowerCase() };
  }
  if (encapsulation === 'none' && transport === 'websocket') {
    if (!codec) throw invalid(`format '${r.format}' is not supported for websocket transport (use ulaw, alaw, slin or slin16)`);
    return { kind: 'websocket', uri: uri!, codec };
  }
  throw invalid('The encapsulation and/or transport is not supported');
}

/** One technology's driver: these channels are made by `ExternalMedia.create` only. */
class ExternalTech implements ChannelDriver {
  readonly name: string;
  readonly description: string;
  readonly #links: Map<string, ExternalLink>;

  constructor(name: string, description: string, links: Map<string, ExternalLink>) {
    this.name = name;
    this.description = description;
    this.#links = links;
  }

  request(): Channel {
    throw new AriadneError('ERR_INVALID_PARAMETER', `${this.name} channels are made by POST /channels/externalMedia only`);
  }

  call(): void {
    throw new AriadneError('ERR_INVALID_STATE', `${this.name} channels cannot be called`);
  }

  answer(channel: Channel): void {
    channel.setState('Up');
  }

  hangup(channel: Channel): void {
    const link = this.#links.get(channel.id);
    this.#links.delete(channel.id);
    link?.close(channel.hangupCause || 16);
  }

  sendDigit(channel: Channel, digit: string, durationMs: number): void {
    this.#links.get(channel.id)?.sendDigit(digit, durationMs);
  }

  indicate(): void {}
}

export interface ExternalMediaOptions {
  readonly core: Core;
  readonly port: MediaPort;
  readonly media: ChannelMedia;
  readonly runStasis: RunStasis;
  /** rtp.conf as RTP sessions use it, read for each new UnicastRTP channel. */
  readonly rtpConf: () => Pick<RtpSessionOptions, 'portRange' | 'strict' | 'probation' | 'dtmfTimeoutMs' | 'rtcpIntervalMs'>;
  /** How long connecting to a TCP or WebSocket peer may take (default 5 s). */
  readonly connectTimeoutMs?: number;
}

export class ExternalMedia {
  readonly drivers: readonly ChannelDriver[];
  readonly #core: Core;
  readonly #port: MediaPort;
  readonly #media: ChannelMedia;
  readonly #runStasis: RunStasis;
  readonly #rtpConf: ExternalMediaOptions['rtpConf'];
  readonly #timeoutMs: number;
  readonly #links = new Map<string, ExternalLink>();
  readonly #techs: { readonly rtp: ExternalTech; readonly audiosocket: ExternalTech; readonly websocket: ExternalTech };

  constructor(options: ExternalMediaOptions) {
    this.#core = options.core;
    this.#port = options.port;
    this.#media = options.media;
    this.#runStasis = options.runStasis;
    this.#rtpConf = options.rtpConf;
    this.#timeoutMs = options.connectTimeoutMs ?? 5000;
    this.#techs = {
      rtp: new ExternalTech('UnicastRTP', 'Unicast RTP Media Channel Driver', this.#links),
      audiosocket: new ExternalTech('AudioSocket', 'AudioSocket Channel Driver', this.#links),
      websocket: new ExternalTech('WebSocket', 'Websocket Media Channel Driver', this.#links),
    };
    this.drivers = [this.#techs.rtp, this.#techs.audiosocket, this.#techs.websocket];
  }

  /** Registers the three technologies in core. */
  register(): void {
    for (const d of this.drivers) this.#core.channels.registerDriver(d);
  }

  /**
   * Checks the request, reaches the peer and makes the channel. Throws `AriadneError` for bad input (400, 409
   * for a channel id that is taken) and `ExternalConnectError` when the peer cannot be reached.
   */
  async create(request: ExternalMediaRequest): Promise<{ channel: Channel; variables: Record<string, string> }> {
    const plan = checkExternalMedia(request);
    const channels = this.#core.channels;
    const id = request.channelId || channels.ids.uniqueId();
    if (!channels.idAvailable(id)) throw new AriadneError('ERR_CONFLICT', 'Channel with given unique ID already exists');
    const { link, name } = await this.#connect(plan, request.data);
    // The id may have been taken while connecting.
    if (!channels.idAvailable(id)) {
      link.close(16);
      throw new AriadneError('ERR_CONFLICT', 'Channel with given unique ID already exists');
    }
    const tech = this.#techs[plan.kind];
    const channel = channels.create({ tech: tech.name, id, name, state: 'Down', context: 'default', exten: 's', priority: 1 });
    request.onCreated?.(channel);
    const setVariable = request.setVariable ?? ((ch: Channel, n: string, v: string) => ch.setVariable(n, v));
    for (const [n, v] of Object.entries(request.variables ?? {})) setVariable(channel, n, v);
    this.#media.ensure(channel.id);
    this.#links.set(channel.id, link);
    let techVars: Readonly<Record<string, string>>;
    try {
      techVars = await link.start(channel.id, {
        gone: () => {
          // The Stasis runner ends and hangs the channel up (or, before it started, it never starts).
          if (!channel.destroyed && !channel.hangupRequested) channel.requestHangup({ cause: 16, soft: false });
        },
        dtmf: (digit, durationMs) => channel.deliverFrame({ type: 'dtmf', digit, durationMs }),
      });
    } catch (err) {
      channel.hangup(38);
      throw err;
    }
    for (const [n, v] of Object.entries(techVars)) channel.setVariable(n, v);
    const variables = Object.fromEntries(channel.variables());
    // The application gets it after the REST answer, answered (as Asterisk's originate does).
    const data = request.data ? `${request.app},${request.data}` : request.app;
    setImmediate(() => {
      if (channel.destroyed) return;
      if (channel.hangupRequested) return channel.hangup(channel.hangupCause || 16);
      tech.answer(channel);
      channel.enterApp('Stasis', data);
      void this.#runStasis(channel, data).finally(() => {
        channel.setApp('', '');
        channel.hangup(channel.hangupCause || 16);
      });
    });
    return { channel, variables };
  }

  async #connect(plan: ExternalMediaPlan, data: string | undefined): Promise<{ link: ExternalLink; name: string }> {
    const hex = `0x${randomBytes(6).toString('hex')}`;
    switch (plan.kind) {
      case 'rtp': {
        const hostPort = plan.host.includes(':') ? `[${plan.host}]:${plan.port}` : `${plan.host}:${plan.port}`;
        const link = new UnicastRtpLink({ port: this.#port, codec: plan.codec, host: plan.host, remotePort: plan.port, conf: this.#rtpConf() });
        return { link, name: `UnicastRTP/${hostPort}-${hex}` };
      }
      case 'audiosocket': {
        const service = plan.host.includes(':') ? `[${plan.host}]:${plan.port}` : `${plan.host}:${plan.port}`;
        const socket = await connectTcp(plan.host, plan.port, this.#timeoutMs);
        const link = new AudioSocketLink({ socket, port: this.#port, codec: plan.codec, uuid: plan.uuid, service });
        return { link, name: `AudioSocket/${service}-${plan.uuid}` };
      }
      case 'websocket': {
        const uri = plan.uri.href;
        const ws = await connectWebSocket(uri, this.#timeoutMs);
        return { link: new WebSocketLink({ ws, port: this.#port, codec: plan.codec, uri, ...(data ? { data } : {}) }), name: `WebSocket/${plan.uri.host}/${hex}` };
      }
    }
  }
}

export { ExternalConnectError };
