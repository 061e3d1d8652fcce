/**
 * An RTP session: the audio of one SIP call leg between a UDP socket pair and a media-engine session.
 *
 * Sockets: RTP on an even port and RTCP on the next one, picked at random from the rtp.conf range (like
 * Asterisk, trying the following even ports when one is taken), IPv4 or IPv6 after the bind address.
 *
 * Engine: the session talks to the media host only through a `MediaPort`, with the channel id as session id (the
 * media session must exist — `attach` — before `open`, and should outlive `close`). It taps the session's `out`
 * side, so every tick of the media clock delivers one 20 ms frame: that frame is encoded and sent (the engine's
 * clock is the RTP pacing), and on the same tick the jitter buffer is pulled and its frame written as what the
 * far side said. Inbound packets therefore never reach the engine directly: jitter buffer → decode → `write`.
 *
 * Sources: with strict RTP (rtp.conf `strictrtp`) packets are taken only from a learned address: the remote
 * address set from SDP at once, any other after `probation` packets in sequence (a second source is ignored
 * while the first one is being learned, and once one is learned every other is dropped until `setRemote` is
 * called again). With `symmetric` (pjsip `rtp_symmetric`) audio is sent to where the accepted packets come from,
 * and RTCP to where RTCP comes from, rather than to the SDP address (NAT).
 *
 * Directions are SDP's, from our side: `sendonly` and `inactive` send no audio (hold) and drop what arrives;
 * `recvonly` and `inactive` send none. DTMF goes out as RFC 4733 events (audio is paused meanwhile, as the RFC
 * expects from a sender that cannot mix); received events are reported by `onDtmf`, begin and end.
 *
 * RTCP: every `rtcpIntervalMs` (rtp.conf `rtcpinterval`) an SR (or an RR while we send nothing) with a report
 * block on the stream we receive, plus SDES CNAME, and BYE on close; received reports give loss, jitter and
 * round-trip time for `stats()`, which is shaped as ARI's RTPstat. RTCP arriving on the RTP port (rtcp-mux) is
 * taken too.
 *
 * Bad input: every datagram is parsed without throwing; what is not RTP, comes from a source strict RTP does not
 * accept, or carries an unknown payload type is counted (`counters`) and dropped.
 */

import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { alawDecodeInto, alawEncodeInto, ulawDecodeInto, ulawEncodeInto } from '../codecs/g711.ts';
import type { RtpConfig } from '../../config/rtp.ts';
import type { MediaPort } from '../engine/port.ts';
import type { MediaNotification } from '../engine/protocol.ts';
import type { SampleRate } from '../engine/frame.ts';
import { LinearResampler } from '../engine/resample.ts';
import { JitterBuffer, type JitterBufferStats } from './jitter-buffer.ts';
import { rtpDebug } from './debug.ts';
import { parseRtp, random16, random32, RTP_HEADER_LENGTH, writeRtpHeader, type RtpParseError } from './packet.ts';
import { TelephoneEventReceiver, TelephoneEventSender, eventOfDigit, type DtmfEvent, type EventPacket } from './rfc4733.ts';
import {
  buildBye,
  buildReceiverReport,
  buildSdes,
  buildSenderReport,
  looksLikeRtcp,
  ntpFromMs,
  parseRtcp,
  ReceiverStats,
  roundTripSeconds,
  RunningStats,
  type ReportBlock,
} from './rtcp.ts';

export type RtpDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
export type RtpCodecName = 'PCMU' | 'PCMA';
/** rtp.conf `strictrtp`: `yes` and `seqno` both learn by sequence (Ariadne has no flood timing), `no` is off. */
export type StrictRtp = boolean | 'yes' | 'no' | 'seqno';

export interface RtpCodecChoice {
  readonly name: RtpCodecName;
  /** The payload type the peer negotiated (0 and 8 are the static ones). */
  readonly payloadType: number;
}

export interface RtpRemote {
  readonly address: string;
  readonly port: number;
  /** Default: `port + 1`. */
  readonly rtcpPort?: number;
  /** Default: `address` (SDP `a=rtcp` may name another). */
  readonly rtcpAddress?: string;
}

export interface RtpSessionOptions {
  /**
   * The media host to follow in this thread (a tap on the session's `out`, `write` for what arrives). Without it
   * the owner drives the session with `tick()` (the RTP workers do, from shared memory).
   */
  readonly port?: MediaPort;
  /** The media session (channel id). */
  readonly sessionId: string;
  /** Local address to bind (`0.0.0.0`, `::`, `127.0.0.1`...). */
  readonly bindAddress: string;
  /** rtp.conf rtpstart/rtpend. */
  readonly portRange: { readonly start: number; readonly end: number };
  readonly symmetric?: boolean;
  readonly strict?: StrictRtp;
  /** Packets in sequence needed to learn a source (rtp.conf `probation`, default 4). */
  readonly probation?: number;
  readonly codec: RtpCodecChoice;
  /** Payload type of telephone-event (RFC 4733), when negotiated. */
  readonly telephoneEvent?: number;
  readonly onDtmf?: (event: DtmfEvent) => void;
  /** A digit whose end packets are lost ends after this long without packets (rtp.conf dtmftimeout / 8). */
  readonly dtmfTimeoutMs?: number;
  /** rtp.conf `rtcpinterval`, default 5000. */
  readonly rtcpIntervalMs?: number;
  readonly direction?: RtpDirection;
  readonly remote?: RtpRemote;
  /** SDES CNAME; default a random one. */
  readonly cname?: string;
}

/**
 * ARI's RTPstat (channels.json). Jitter and round-trip times are in seconds, loss in packets, as in Asterisk;
 * `local_*` statistics are sampled once per RTCP interval (loss: packets lost in that interval), `remote_*` ones
 * on each report from the peer (loss: its cumulative count). `rxjitter` is what we measure on the stream we
 * receive and `txjitter` what the peer reports about ours, as the field descriptions say (Asterisk 22 fills the
 * two the other way round). Values that nothing measured yet are 0.
 */
export interface RtpStatistics {
  readonly txcount: number;
  readonly rxcount: number;
  readonly txjitter: number;
  readonly rxjitter: number;
  readonly remote_maxjitter: number;
  readonly remote_minjitter: number;
  readonly remote_normdevjitter: number;
  readonly remote_stdevjitter: number;
  readonly local_maxjitter: number;
  readonly local_minjitter: number;
  readonly local_normdevjitter: number;
  readonly local_stdevjitter: number;
  readonly txploss: number;
  readonly rxploss: number;
  readonly remote_maxrxploss: number;
  readonly remote_minrxploss: number;
  readonly remote_normdevrxploss: number;
  readonly remote_stdevrxploss: number;
  readonly local_maxrxploss: number;
  readonly local_minrxploss: number;
  readonly local_normdevrxploss: number;
  readonly local_stdevrxploss: number;
  readonly rtt: number;
  readonly maxrtt: number;
  readonly minrtt: number;
  readonly normdevrtt: number;
  readonly stdevrtt: number;
  readonly local_ssrc: number;
  readonly remote_ssrc: number;
  readonly txoctetcount: number;
  readonly rxoctetcount: number;
  readonly channel_uniqueid: string;
}

/** Why received datagrams were not played; for `rtp set debug` and tests. */
export interface RtpCounters {
  /** Not RTP at all, by reason. */
  readonly malformed: Readonly<Record<RtpParseError, number>>;
  /** From a source strict RTP did not accept (yet). */
  readonly strictDropped: number;
  /** A payload type that is neither the codec nor telephone-event. */
  readonly unknownPayload: number;
  /** Received while the direction does not receive. */
  readonly notReceiving: number;
  readonly rtcpReceived: number;
  readonly rtcpSent: number;
  readonly rtcpMalformed: number;
  /** RTCP BYE packets from the source we receive. */
  readonly byeReceived: number;
  /** Source changes: a new SSRC or a new learned address. */
  readonly sourceChanges: number;
  readonly jitterBuffer: JitterBufferStats;
}

/** The options of every RTP session that come from rtp.conf. */
export function rtpConfOptions(conf: RtpConfig): Pick<RtpSessionOptions, 'portRange' | 'strict' | 'probation' | 'dtmfTimeoutMs' | 'rtcpIntervalMs'> {
  return {
    portRange: { start: conf.rtpstart, end: conf.rtpend },
    strict: conf.strictrtp,
    probation: conf.probation,
    // dtmftimeout is in samples at 8 kHz.
    dtmfTimeoutMs: conf.dtmftimeout / 8,
    rtcpIntervalMs: conf.rtcpinterval,
  };
}

const FRAME_SAMPLES = 160;
const RATE = 8000;

interface PendingDigit {
  readonly digit: string;
  readonly durationMs: number;
  readonly resolve: () => void;
}

export class RtpSession {
  readonly sessionId: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly rtcpPort: number;
  readonly ssrc: number;
  readonly #port: MediaPort | undefined;
  readonly #rtp: dgram.Socket;
  readonly #rtcp: dgram.Socket;
  readonly #symmetric: boolean;
  readonly #strict: boolean;
  readonly #probation: number;
  readonly #onDtmf: ((e: DtmfEvent) => void) | undefined;
  readonly #cname: string;
  readonly #ipv6: boolean;
  #codec: RtpCodecChoice;
  #telephoneEvent: number | undefined;
  #direction: RtpDirection;
  #closed = false;
  readonly #offNotification: () => void;
  readonly #rtcpTimer: ReturnType<typeof setInterval>;

  // Where we send: SDP's address, or (symmetric) where the stream comes from.
  #remote: RtpRemote | undefined;
  #sendTo: { address: string; port: number } | undefined;
  #rtcpTo: { address: string; port: number } | undefined;
  #rtcpLearned = false;

  // Strict RTP learning.
  // Sources are address and port; a port of -1 is none. (Fields, not an "address|port" string: this runs for
  // every packet.)
  #lockedAddress = '';
  #lockedPort = -1;
  #candidateAddress = '';
  #candidatePort = -1;
  #candidateLeft = 0;
  #candidateSeq = 0;

  // Receive side.
  #remoteSsrc: number | undefined;
  #recv: ReceiverStats | undefined;
  readonly #jb = new JitterBuffer({ rate: RATE, frameSamples: FRAME_SAMPLES });
  readonly #decoded = new Int16Array(1024);
  readonly #pulled = new Int16Array(FRAME_SAMPLES);
  readonly #dtmfIn: TelephoneEventReceiver;
  #inSeq = 0;
  #inTs = 0;
  #rxcount = 0;
  #rxoctets = 0;

  // Send side.
  #seq = random16();
  readonly #tsBase = random32();
  /** RTP timestamp of the last tick, and when (ms) it was. */
  #lastTs = 0;
  #lastTickMs = 0;
  #talkspurt = true;
  #txcount = 0;
  #txoctets = 0;
  #sentSinceReport = false;
  #downsample: LinearResampler | undefined;
  readonly #down = new Int16Array(FRAME_SAMPLES);
  #dtmfOut: { sender: TelephoneEventSender; ts: number; timer: ReturnType<typeof setTimeout> | undefined; resolve: () => void } | undefined;
  readonly #dtmfQueue: PendingDigit[] = [];

  // Statistics fed by RTCP.
  #txploss = 0;
  #txjitter = 0;
  #rxjitter = 0;
  readonly #remoteJitter = new RunningStats();
  readonly #localJitter = new RunningStats();
  readonly #remoteLoss = new RunningStats();
  readonly #localLoss = new RunningStats();
  #lostAtLastReport = 0;
  readonly #rtt = new RunningStats();
  readonly #counters = {
    malformed: { short: 0, version: 0, padding: 0, 'payload-type': 0 } as Record<RtpParseError, number>,
    strictDropped: 0,
    unknownPayload: 0,
    notReceiving: 0,
    rtcpReceived: 0,
    rtcpSent: 0,
    rtcpMalformed: 0,
    byeReceived: 0,
    sourceChanges: 0,
  };

  private constructor(options: RtpSessionOptions, rtp: dgram.Socket, rtcp: dgram.Socket) {
    this.sessionId = options.sessionId;
    this.#port = options.port;
    this.#rtp = rtp;
    this.#rtcp = rtcp;
    const address = rtp.address();
    this.localAddress = address.address;
    this.localPort = address.port;
    this.rtcpPort = rtcp.address().port;
    this.#ipv6 = address.family === 'IPv6';
    this.ssrc = random32();
    this.#symmetric = options.symmetric ?? false;
    const strict = options.strict ?? true;
    this.#strict = strict === true || strict === 'yes' || strict === 'seqno';
    this.#probation = Math.max(1, options.probation ?? 4);
    this.#onDtmf = options.onDtmf;
    this.#cname = options.cname ?? `${randomBytes(8).toString('hex')}@ariadne`;
    this.#codec = checkCodec(options.codec);
    this.#telephoneEvent = options.telephoneEvent;
    this.#direction = options.direction ?? 'sendrecv';
    this.#dtmfIn = new TelephoneEventReceiver({ rate: RATE, timeoutMs: options.dtmfTimeoutMs ?? 150 });
    if (options.remote) this.setRemote(options.remote);

    rtp.on('message', (msg, rinfo) => this.#onRtp(msg, rinfo));
    rtcp.on('message', (msg, rinfo) => this.#onRtcp(msg, rinfo));
    // A send to an unreachable port comes back as an ICMP error on some systems; it must not end the call.
    rtp.on('error', () => undefined);
    rtcp.on('error', () => undefined);
    const port = this.#port;
    if (port) {
      this.#offNotification = routeOutFrames(port, this.sessionId, (n) => this.#onFrame(port, n));
      port.send({ type: 'tap', sessionId: this.sessionId, direction: 'out', enabled: true });
    } else this.#offNotification = () => undefined;
    this.#rtcpTimer = setInterval(() => this.#sendRtcp(), options.rtcpIntervalMs ?? 5000);
    this.#rtcpTimer.unref();
  }

  /** Binds a socket pair in the range and starts following the engine session. */
  static async open(options: RtpSessionOptions): Promise<RtpSession> {
    // Checks that can fail come before any port is taken.
    checkCodec(options.codec);
    if (options.port && routers.get(options.port)?.sessions.has(options.sessionId)) throw new Error(`Session '${options.sessionId}' already has an RTP session`);
    const { rtp, rtcp } = await bindPair(options.bindAddress, options.portRange.start, options.portRange.end);
    try {
      return new RtpSession(options, rtp, rtcp);
    } catch (err) {
      await Promise.all([closeSocket(rtp), closeSocket(rtcp)]);
      throw err;
    }
  }

  get direction(): RtpDirection {
    return this.#direction;
  }

  get codec(): RtpCodecChoice {
    return this.#codec;
  }

  /** Where audio goes now (symmetric RTP may have moved it from the SDP address). */
  get sendingTo(): { readonly address: string; readonly port: number } | undefined {
    return this.#sendTo;
  }

  get counters(): RtpCounters {
    return { ...this.#counters, malformed: { ...this.#counters.malformed }, jitterBuffer: this.#jb.stats() };
  }

  /**
   * The peer's address from SDP; under strict RTP it is accepted at once, and a new address starts learning
   * over (so does symmetric RTP's choice of where to send).
   */
  setRemote(remote: RtpRemote): void {
    const changed = this.#remote?.address !== remote.address || this.#remote.port !== remote.port;
    this.#remote = remote;
    // The same SDP again (a re-INVITE that changes something else) keeps where symmetric RTP learned to send.
    if (changed || !this.#sendTo) this.#sendTo = { address: remote.address, port: remote.port };
    if (!this.#rtcpLearned || changed) this.#rtcpTo = { address: remote.rtcpAddress ?? remote.address, port: remote.rtcpPort ?? remote.port + 1 };
    if (changed) {
      this.#rtcpLearned = false;
      this.#lockedPort = -1;
      this.#candidatePort = -1;
      this.#talkspurt = true;
    }
  }

  setCodec(codec: RtpCodecChoice): void {
    if (codec.name !== this.#codec.name) this.#jb.reset();
    this.#codec = checkCodec(codec);
  }

  setTelephoneEvent(payloadType: number | undefined): void {
    this.#telephoneEvent = payloadType;
  }

  setDirection(direction: RtpDirection): void {
    if (direction !== 'sendrecv' && direction !== 'sendonly' && direction !== 'recvonly' && direction !== 'inactive') {
      throw new TypeError(`Bad RTP direction '${String(direction)}'`);
    }
    if (!sends(this.#direction) && sends(direction)) this.#talkspurt = true;
    if (!receives(direction)) this.#jb.reset();
    this.#direction = direction;
  }

  /**
   * Sends a digit as RFC 4733 events; resolves once its end packets are out (digits queue). Rejects for a
   * character that is not a digit, or when telephone-event was not negotiated.
   */
  sendDtmf(digit: string, durationMs = 100): Promise<void> {
    if (eventOfDigit(digit) === undefined) return Promise.reject(new TypeError(`'${digit}' is not a DTMF digit`));
    if (this.#telephoneEvent === undefined) return Promise.reject(new TypeError('telephone-event was not negotiated'));
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#dtmfQueue.push({ digit, durationMs, resolve });
      if (!this.#dtmfOut) this.#nextDigit();
    });
  }

  stats(): RtpStatistics {
    const jitter = this.#recv?.jitterSeconds ?? this.#rxjitter;
    return {
      txcount: this.#txcount,
      rxcount: this.#rxcount,
      txjitter: this.#txjitter,
      rxjitter: jitter,
      remote_maxjitter: this.#remoteJitter.max,
      remote_minjitter: this.#remoteJitter.min,
      remote_normdevjitter: this.#remoteJitter.mean,
      remote_stdevjitter: this.#remoteJitter.stdev,
      local_maxjitter: this.#localJitter.max,
      local_minjitter: this.#localJitter.min,
      local_normdevjitter: this.#localJitter.mean,
      local_stdevjitter: this.#localJitter.stdev,
      txploss: this.#txploss,
      rxploss: Math.max(0, this.#recv?.lost ?? 0),
      remote_maxrxploss: this.#remoteLoss.max,
      remote_minrxploss: this.#remoteLoss.min,
      remote_normdevrxploss: this.#remoteLoss.mean,
      remote_stdevrxploss: this.#remoteLoss.stdev,
      local_maxrxploss: this.#localLoss.max,
      local_minrxploss: this.#localLoss.min,
      local_normdevrxploss: this.#localLoss.mean,
      local_stdevrxploss: this.#localLoss.stdev,
      rtt: this.#rtt.last ?? 0,
      maxrtt: this.#rtt.max,
      minrtt: this.#rtt.min,
      normdevrtt: this.#rtt.mean,
      stdevrtt: this.#rtt.stdev,
      local_ssrc: this.ssrc,
      remote_ssrc: this.#remoteSsrc ?? 0,
      txoctetcount: this.#txoctets,
      rxoctetcount: this.#rxoctets,
      channel_uniqueid: this.sessionId,
    };
  }

  /** Sends RTCP now (also done every interval). */
  sendRtcpNow(): void {
    this.#sendRtcp();
  }

  /**
   * Stops following the engine (the media session stays: close before `detach`, or the tap's removal is an
   * `error` notification), sends a last RTCP report with BYE, frees the ports. Queued digits resolve at once.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#rtcpTimer);
    if (this.#dtmfOut?.timer) clearTimeout(this.#dtmfOut.timer);
    this.#dtmfOut?.resolve();
    this.#dtmfOut = undefined;
    for (const d of this.#dtmfQueue.splice(0)) d.resolve();
    this.#offNotification();
    this.#port?.send({ type: 'tap', sessionId: this.sessionId, direction: 'out', enabled: false });
    // The jitter buffer's ring goes to the next session rather than to the garbage (see JitterBuffer.release).
    this.#jb.release();
    const to = this.#rtcpTo;
    if (to) {
      // A last report and BYE, so the peer knows the stream ended rather than lost.
      const bye = Buffer.concat([this.#rtcpReport(), buildBye([this.ssrc])]);
      await new Promise<void>((resolve) => this.#rtcp.send(bye, to.port, this.#socketAddress(to.address), () => resolve()));
      this.#counters.rtcpSent++;
    }
    await Promise.all([closeSocket(this.#rtp), closeSocket(this.#rtcp)]);
  }

  // -------------------------------------------------------------------------------------------------------
  // The media tick

  /** In-thread: a tapped `out` frame from the port; what the jitter buffer gives goes back as a `write`. */
  #onFrame(port: MediaPort, n: FrameNotification): void {
    const frame = n.frame;
    if (!this.tick(frame.samples, frame.rate, frame.timestamp, this.#pulled)) return;
    port.send({
      type: 'write',
      sessionId: this.sessionId,
      frame: { samples: this.#pulled.slice(), rate: RATE, timestamp: this.#inTs, seq: this.#inSeq },
    });
    this.#inTs += FRAME_SAMPLES;
    this.#inSeq++;
  }

  /**
   * One tick of the media clock: sends `out` (one frame of what the far side hears, at `rate`, engine
   * `timestamp`) and, when `into` is given, fills it (160 samples at 8 kHz) with the next frame of what the far
   * side said. Returns whether `into` was filled.
   */
  tick(out: Int16Array, rate: SampleRate, timestamp: number, into?: Int16Array): boolean {
    if (this.#closed) return false;
    const now = performance.now();
    this.#emitDtmf(this.#dtmfIn.tick(now));
    // What the far side said, one frame per tick.
    const pulled = into !== undefined && receives(this.#direction) && this.#jb.pull(into);
    // What the far side hears.
    let samples = out;
    const scale = rate / RATE;
    if (rate !== RATE) {
      if (this.#downsample?.from !== rate) this.#downsample = new LinearResampler(rate, RATE);
      samples = this.#downsample.process(samples, this.#down);
    }
    this.#lastTs = (this.#tsBase + Math.round(timestamp / scale)) >>> 0;
    this.#lastTickMs = now;
    if (!sends(this.#direction) || !this.#sendTo) {
      this.#talkspurt = true;
      return pulled;
    }
    if (this.#dtmfOut) return pulled;
    const packet = Buffer.allocUnsafe(RTP_HEADER_LENGTH + samples.length);
    this.#writeHeader(packet, this.#codec.payloadType, this.#lastTs, this.#talkspurt);
    if (this.#codec.name === 'PCMU') ulawEncodeInto(samples, packet, RTP_HEADER_LENGTH);
    else alawEncodeInto(samples, packet, RTP_HEADER_LENGTH);
    this.#talkspurt = false;
    this.#send(packet, samples.length);
    return pulled;
  }

  #writeHeader(out: Buffer, payloadType: number, timestamp: number, marker: boolean): void {
    writeRtpHeader(out, { marker, payloadType, sequenceNumber: this.#seq, timestamp, ssrc: this.ssrc });
    this.#seq = (this.#seq + 1) & 0xffff;
  }

  #send(packet: Buffer, payloadBytes: number): void {
    const to = this.#sendTo;
    if (!to) return;
    this.#rtp.send(packet, to.port, this.#socketAddress(to.address));
    if (rtpDebug.on) rtpDebug.sent(to.address, to.port, packet, payloadBytes);
    this.#txcount++;
    this.#txoctets += payloadBytes;
    this.#sentSinceReport = true;
  }

  /** An IPv6 socket reaches an IPv4 peer through its mapped address. */
  #socketAddress(address: string): string {
    return this.#ipv6 && isIPv4(address) ? `::ffff:${address}` : address;
  }

  // -------------------------------------------------------------------------------------------------------
  // Receiving

  #onRtp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    // RTCP on the RTP port: a peer that multiplexes (RFC 5761) or sends its reports there.
    if (looksLikeRtcp(msg)) return this.#onRtcp(msg, rinfo);
    const p = parseRtp(msg);
    if (typeof p === 'string') {
      this.#counters.malformed[p]++;
      return;
    }
    if (rtpDebug.on) rtpDebug.received(rinfo.address, rinfo.port, p.payloadType, p.sequenceNumber, p.timestamp, p.payload.length);
    const from = plainAddress(rinfo.address);
    if (this.#strict && !this.#accept(from, rinfo.port, p.sequenceNumber)) {
      this.#counters.strictDropped++;
      return;
    }
    if (!receives(this.#direction)) {
      this.#counters.notReceiving++;
      return;
    }
    if (this.#symmetric && (this.#sendTo?.address !== from || this.#sendTo.port !== rinfo.port)) {
      this.#sendTo = { address: from, port: rinfo.port };
      if (!this.#rtcpLearned) this.#rtcpTo = { address: from, port: rinfo.port + 1 };
    }
    if (p.ssrc !== this.#remoteSsrc) {
      // A new stream (first packet, or the far end restarted it): fresh statistics and buffer.
      if (this.#remoteSsrc !== undefined) this.#counters.sourceChanges++;
      this.#remoteSsrc = p.ssrc;
      this.#recv = new ReceiverStats(p.ssrc, RATE);
      this.#lostAtLastReport = 0;
      this.#jb.reset();
    }
    const now = performance.now();
    if (!this.#recv!.update(p.sequenceNumber, p.timestamp, now)) return;
    this.#rxcount++;
    this.#rxoctets += p.payload.length;
    if (p.payloadType === this.#telephoneEvent) {
      this.#emitDtmf(this.#dtmfIn.receive(p.payload, p.timestamp, now));
      return;
    }
    if (p.payloadType !== this.#codec.payloadType) {
      this.#counters.unknownPayload++;
      return;
    }
    this.#emitDtmf(this.#dtmfIn.audio(p.timestamp));
    const n = Math.min(p.payload.length, this.#decoded.length);
    const payload = p.payload.subarray(0, n);
    if (this.#codec.name === 'PCMU') ulawDecodeInto(payload, this.#decoded, 0);
    else alawDecodeInto(payload, this.#decoded, 0);
    this.#jb.push(p.timestamp, this.#decoded.subarray(0, n), now);
  }

  /** Strict RTP: is this source the learned one, or has it now earned that? */
  #accept(address: string, port: number, seq: number): boolean {
    if (this.#lockedPort !== -1) return this.#lockedPort === port && this.#lockedAddress === address;
    // The address SDP gave is trusted at once.
    if (this.#remote && plainAddress(this.#remote.address) === address && this.#remote.port === port) {
      this.#lock(address, port);
      return true;
    }
    if (this.#candidatePort !== port || this.#candidateAddress !== address || seq !== ((this.#candidateSeq + 1) & 0xffff)) {
      // A new candidate, or a break in its sequence: start counting again from this packet.
      this.#candidateAddress = address;
      this.#candidatePort = port;
      this.#candidateLeft = this.#probation - 1;
    } else this.#candidateLeft--;
    this.#candidateSeq = seq;
    if (this.#candidateLeft > 0) return false;
    this.#lock(address, port);
    this.#candidatePort = -1;
    this.#counters.sourceChanges++;
    return true;
  }

  #lock(address: string, port: number): void {
    this.#lockedAddress = address;
    this.#lockedPort = port;
  }

  #emitDtmf(events: readonly DtmfEvent[]): void {
    if (events.length === 0 || !this.#onDtmf) return;
    for (const e of events) this.#onDtmf(e);
  }

  // -------------------------------------------------------------------------------------------------------
  // DTMF out

  #nextDigit(): void {
    const next = this.#dtmfQueue.shift();
    if (!next || this.#closed) return;
    const now = performance.now();
    const sender = new TelephoneEventSender(next.digit, next.durationMs, now, { rate: RATE });
    // The event's timestamp is where audio is now; audio resumes after it with the marker set.
    const ts = (this.#lastTs + Math.round(((now - this.#lastTickMs) * RATE) / 1000)) >>> 0;
    this.#dtmfOut = { sender, ts, timer: undefined, resolve: next.resolve };
    this.#sendEvents([sender.start()]);
    this.#scheduleDtmf();
  }

  #scheduleDtmf(): void {
    const out = this.#dtmfOut;
    if (!out) return;
    const due = out.sender.nextDueMs;
    if (due === undefined) {
      this.#dtmfOut = undefined;
      this.#talkspurt = true;
      out.resolve();
      this.#nextDigit();
      return;
    }
    out.timer = setTimeout(() => {
      out.timer = undefined;
      if (this.#closed || this.#dtmfOut !== out) return;
      this.#sendEvents(out.sender.poll(performance.now()));
      this.#scheduleDtmf();
    }, Math.max(0, due - performance.now()));
  }

  #sendEvents(packets: readonly EventPacket[]): void {
    const out = this.#dtmfOut;
    const pt = this.#telephoneEvent;
    if (!out || pt === undefined || !sends(this.#direction)) return;
    for (const e of packets) {
      const packet = Buffer.allocUnsafe(RTP_HEADER_LENGTH + e.payload.length);
      this.#writeHeader(packet, pt, out.ts, e.marker);
      e.payload.copy(packet, RTP_HEADER_LENGTH);
      this.#send(packet, e.payload.length);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // RTCP

  #sendRtcp(): void {
    if (this.#closed || !this.#rtcpTo) return;
    const compound = this.#rtcpReport();
    this.#rtcp.send(compound, this.#rtcpTo.port, this.#socketAddress(this.#rtcpTo.address));
    this.#counters.rtcpSent++;
  }

  /** SR (or RR while we send nothing) with a block on the stream we receive, then SDES CNAME. */
  #rtcpReport(): Buffer {
    const now = performance.now();
    const wall = performance.timeOrigin + now;
    const blocks: ReportBlock[] = [];
    if (this.#recv && this.#recv.received > 0) {
      const block = this.#recv.report(now);
      blocks.push(block);
      this.#rxjitter = this.#recv.jitterSeconds;
      this.#localJitter.add(this.#rxjitter);
      // Like Asterisk: local loss statistics are over packets lost per report interval, remote ones over the
      // cumulative count the peer reports.
      this.#localLoss.add(Math.max(0, block.cumulativeLost - this.#lostAtLastReport));
      this.#lostAtLastReport = block.cumulativeLost;
    }
    let report: Buffer;
    if (this.#sentSinceReport) {
      const ntp = ntpFromMs(wall);
      const rtpTimestamp = (this.#lastTs + Math.round(((now - this.#lastTickMs) * RATE) / 1000)) >>> 0;
      report = buildSenderReport(this.ssrc, { ntpSec: ntp.sec, ntpFrac: ntp.frac, rtpTimestamp, packetCount: this.#txcount, octetCount: this.#txoctets }, blocks);
    } else report = buildReceiverReport(this.ssrc, blocks);
    this.#sentSinceReport = false;
    return Buffer.concat([report, buildSdes(this.ssrc, this.#cname)]);
  }

  #onRtcp(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closed) return;
    const packets = parseRtcp(msg);
    if (typeof packets === 'string') {
      this.#counters.rtcpMalformed++;
      return;
    }
    // Only RTCP from the host that sends us RTP counts (strict RTP's address, when learned).
    const from = plainAddress(rinfo.address);
    if (this.#lockedPort !== -1 && this.#lockedAddress !== from) return;
    this.#counters.rtcpReceived++;
    if (this.#symmetric) {
      this.#rtcpTo = { address: from, port: rinfo.port };
      this.#rtcpLearned = true;
    }
    const now = performance.now();
    const wall = performance.timeOrigin + now;
    for (const p of packets) {
      if (p.type === 'bye' && this.#remoteSsrc !== undefined && p.ssrcs.includes(this.#remoteSsrc)) this.#counters.byeReceived++;
      if (p.type === 'sr' && p.ssrc === this.#remoteSsrc) this.#recv?.senderReport(p.sender, now);
      if (p.type !== 'sr' && p.type !== 'rr') continue;
      for (const block of p.reports) {
        if (block.ssrc !== this.ssrc) continue;
        this.#txploss = Math.max(0, block.cumulativeLost);
        this.#remoteLoss.add(Math.max(0, block.cumulativeLost));
        this.#txjitter = block.jitter / RATE;
        this.#remoteJitter.add(this.#txjitter);
        const rtt = roundTripSeconds(block, wall);
        if (rtt !== undefined) this.#rtt.add(rtt);
      }
    }
  }
}

type FrameNotification = Extract<MediaNotification, { type: 'frame' }>;

/**
 * One listener per media port hands each session's `out` frames to its RTP session: with a listener per
 * session, every tick would cost sessions × frames calls (a million at 1000 calls).
 */
const routers = new WeakMap<MediaPort, { readonly sessions: Map<string, (n: FrameNotification) => void>; readonly off: () => void }>();

function routeOutFrames(port: MediaPort, sessionId: string, handler: (n: FrameNotification) => void): () => void {
  let router = routers.get(port);
  if (!router) {
    const sessions = new Map<string, (n: FrameNotification) => void>();
    const off = port.onNotification((n) => {
      if (n.type === 'frame' && n.direction === 'out') sessions.get(n.sessionId)?.(n);
    });
    router = { sessions, off };
    routers.set(port, router);
  }
  if (router.sessions.has(sessionId)) throw new Error(`Session '${sessionId}' already has an RTP session`);
  router.sessions.set(sessionId, handler);
  const r = router;
  return () => {
    if (r.sessions.get(sessionId) !== handler) return;
    r.sessions.delete(sessionId);
    if (r.sessions.size === 0) {
      r.off();
      routers.delete(port);
    }
  };
}

/** An IPv4 peer seen by a dual-stack (`::`) socket arrives as `::ffff:a.b.c.d`; compare and keep it as IPv4. */
function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function sends(d: RtpDirection): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

function receives(d: RtpDirection): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

function checkCodec(codec: RtpCodecChoice): RtpCodecChoice {
  if (codec.name !== 'PCMU' && codec.name !== 'PCMA') throw new TypeError(`Unsupported RTP codec '${String(codec.name)}'`);
  if (!Number.isInteger(codec.payloadType) || codec.payloadType < 0 || codec.payloadType > 127) {
    throw new TypeError(`Bad payload type ${String(codec.payloadType)}`);
  }
  return { name: codec.name, payloadType: codec.payloadType };
}

/**
 * dgram resolves every destination, even an IP literal, and answers on the next tick; RTP sends to literals 50
 * times a second per call, so they are answered at once (names still go to DNS).
 */
function literalLookup(host: string, family: unknown, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const f = isIP(host);
  if (f !== 0) callback(null, host, f);
  else dns.lookup(host, family as number, callback);
}

function bindSocket(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      socket.off('error', onError);
      resolve();
    };
    socket.once('error', onError);
    socket.once('listening', onListening);
    socket.bind({ port, address, exclusive: true });
  });
}

function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // never bound, or already closed
    }
  });
}

/**
 * An even RTP port and the RTCP port above it, both free, from `start`–`end`: a random even start, then the
 * next even ports in turn (wrapping), as Asterisk picks them.
 */
async function bindPair(address: string, start: number, end: number): Promise<{ rtp: dgram.Socket; rtcp: dgram.Socket }> {
  const type = isIPv6(address) ? 'udp6' : 'udp4';
  const first = start + (start & 1);
  const count = Math.floor((end - first) / 2) + 1;
  if (count <= 0) throw new RangeError(`No even port in ${start}-${end}`);
  const offset = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const port = first + 2 * ((offset + i) % count);
    if (port + 1 > 65535) continue;
    const rtp = dgram.createSocket({ type, reuseAddr: false, lookup: literalLookup });
    const rtcp = dgram.createSocket({ type, reuseAddr: false, lookup: literalLookup });
    try {
      await bindSocket(rtp, port, address);
      await bindSocket(rtcp, port + 1, address);
      return { rtp, rtcp };
    } catch (err) {
      await Promise.all([closeSocket(rtp), closeSocket(rtcp)]);
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES') throw err;
    }
  }
  throw new Error(`No free RTP port pair in ${start}-${end} on ${address}`);
}
