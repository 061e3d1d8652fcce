/**
 * UnicastRTP (`encapsulation=rtp`, `transport=udp`): an `RtpSession` (media/rtp/session.ts) bound on the local
 * address that routes to the peer (as Asterisk's `ast_ouraddrfor`), a port pair from the rtp.conf range, sending
 * to `external_host` in ulaw or alaw. The local address and port are reported as the channel variables
 * UNICASTRTP_LOCAL_ADDRESS and UNICASTRTP_LOCAL_PORT, so the caller knows where to send.
 *
 * DTMF goes out and comes in as RFC 4733 events on payload type 101. RTP has no end of call: the channel only
 * hangs up when the application (or a bridge peer) hangs it up.
 */

import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Codec } from '../codecs/registry.ts';
import type { MediaPort } from '../engine/port.ts';
import { RtpSession, type RtpSessionOptions } from '../rtp/session.ts';
import { ExternalConnectError, type ExternalLink, type LinkEvents } from './link.ts';

const TELEPHONE_EVENT = 101;

/** The peer's IP address (a host name is resolved). */
export async function resolveHost(host: string): Promise<string> {
  if (isIP(host)) return host;
  try {
    return (await lookup(host)).address;
  } catch {
    throw new ExternalConnectError(`Unable to resolve host '${host}'`);
  }
}

/** The local address the system would send from to reach `address:port`. */
function routedAddress(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
    const done = (local: string): void => {
      socket.close();
      resolve(local);
    };
    socket.on('error', () => done(isIP(address) === 6 ? '::' : '0.0.0.0'));
    socket.connect(port, address, () => done(socket.address().address));
  });
}

export class UnicastRtpLink implements ExternalLink {
  readonly #port: MediaPort;
  readonly #codec: Codec;
  readonly #host: string;
  readonly #remotePort: number;
  readonly #conf: Pick<RtpSessionOptions, 'portRange' | 'strict' | 'probation' | 'dtmfTimeoutMs' | 'rtcpIntervalMs'>;
  #session: RtpSession | undefined;
  #closed = false;

  constructor(options: {
    port: MediaPort;
    codec: Codec;
    host: string;
    remotePort: number;
    conf: Pick<RtpSessionOptions, 'portRange' | 'strict' | 'probation' | 'dtmfTimeoutMs' | 'rtcpIntervalMs'>;
  }) {
    if (options.codec.rtpPayloadType === undefined || (options.codec.name !== 'ulaw' && options.codec.name !== 'alaw')) {
      throw new TypeError(`UnicastRTP cannot carry ${options.codec.name}`);
    }
    this.#port = options.port;
    this.#codec = options.codec;
    this.#host = options.host;
    this.#remotePort = options.remotePort;
    this.#conf = options.conf;
  }

  async start(channelId: string, events: LinkEvents): Promise<Readonly<Record<string, string>>> {
    const address = await resolveHost(this.#host);
    const bindAddress = await routedAddress(address, this.#remotePort);
    const session = await RtpSession.open({
      ...this.#conf,
      port: this.#port,
      sessionId: channelId,
      bindAddress,
      codec: { name: this.#codec.name === 'ulaw' ? 'PCMU' : 'PCMA', payloadType: this.#codec.rtpPayloadType! },
      telephoneEvent: TELEPHONE_EVENT,
      onDtmf: (e) => {
        if (e.type === 'end') events.dtmf(e.digit, Math.round(e.durationMs));
      },
      remote: { address, port: this.#remotePort },
    });
    if (this.#closed) {
      await session.close();
      throw new ExternalConnectError('The channel went while its RTP session was opening');
    }
    this.#session = session;
    return { UNICASTRTP_LOCAL_ADDRESS: session.localAddress, UNICASTRTP_LOCAL_PORT: String(session.localPort) };
  }

  sendDigit(digit: string, durationMs: number): void {
    this.#session?.sendDtmf(digit, durationMs).catch(() => undefined);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    void this.#session?.close();
  }
}
