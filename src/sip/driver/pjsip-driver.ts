/**
 * The PJSIP channel technology: SIP calls as channels, on top of `SipStack` (signalling) and `RtpSession`
 * (audio between the network and the channel's media session).
 *
 * Inbound INVITE (the order Asterisk's res_pjsip_session follows):
 * 1. the endpoint: the stack's identification, else the `anonymous` endpoint when the identifier order allows
 *    it; a sender we cannot place is challenged like any user (401) and refused (403) when it answers, so a scan
 *    learns nothing;
 * 2. digest authentication for endpoints with `auth=`;
 * 3. the destination: Request-URI user (`s` when empty) in the endpoint's context — 404 when it does not exist,
 *    484 for a partial match with `allow_overlap`, 416 for a non-SIP URI;
 * 4. the SDP offer: 400 when it does not parse, 488 when no codec of the endpoint's `allow=` is offered; an
 *    INVITE without a body (late offer) gets our offer in the 200 and must answer it in the ACK;
 * 5. a channel `PJSIP/<endpoint>-<8 hex>` in state Ring at `exten@context`, caller ID from the endpoint's
 *    `callerid` or the From header, language and accountcode from the endpoint, protocol id = Call-ID; its
 *    media session and an RTP session (so the answer's SDP has the port), then 100 Trying and the dialplan.
 * Answer → 200 with SDP (retransmitted until the ACK), Ringing → 180, Progress → 183 with SDP, Busy → 486,
 * Congestion → 503. Our hangup before the answer → a final response from the cause (`causes.ts`), after it →
 * BYE with `Reason: Q.850;cause=N`. The peer's BYE → Normal Clearing (16); its CANCEL → 487 to the INVITE
 * and cause 127 (Asterisk derives it from the 487 the same way). The SIP status that ended a call (a final
 * error to our INVITE, the 487 of a CANCEL, our 302) becomes the channel's tech cause (ARI `tech_cause`); without
 * one, our own hangup's cause mapped to a status, none for a BYE with Normal Clearing — chan_pjsip's rules.
 *
 * Extensions (checked before the dialplan, as pjproject does): `100rel` (reliable.ts: 420/421, reliable 180/183
 * retransmitted until PRACK; outbound, reliable 1xx are PRACKed) and session timers (session-timers.ts: 421/422,
 * Session-Expires in the 200, our refresh at half the interval, BYE with cause 18 when the peer's is missing).
 * Our 18x/200 copy the INVITE's Record-Route, so calls work through record-routing proxies.
 *
 * In the dialog: a re-INVITE is answered with the same codec rules; `sendonly`/`inactive` (or c=0.0.0.0)
 * from the peer is hold (ChannelHold, our RTP stops sending), back to `sendrecv` is ChannelUnhold. INFO with
 * `application/dtmf-relay` is a digit (dtmf_mode=info); UPDATE without SDP and OPTIONS get 200.
 *
 * Outbound (`request` + `call`): `PJSIP/<endpoint>` rings the first contact of the endpoint's AORs (a static
 * `contact=` or a registered binding), `PJSIP/<endpoint>/<sip URI>` rings the URI with the endpoint's settings.
 * INVITE with our offer; 180/183 → ringing/progress frames (183 with SDP sets up early media), 2xx → the
 * answer is applied, ACK, answer frame; 401/407 → answered with `outbound_auth` (twice at most); other final
 * responses → a hangup frame with the mapped cause (486 busy, 503 congestion); with `timers` on, the INVITE
 * asks for Session-Expires/Min-SE, a 422 is retried with the peer's Min-SE and the 2xx's refresher is followed
 * (session-timers.ts). Hanging up before the answer
 * sends CANCEL (after a provisional response, as RFC 3261 §9.1 requires), after it BYE.
 *
 * DTMF out follows `dtmf_mode`: RFC 4733 events when negotiated (rfc4733, auto), SIP INFO for info/auto_info
 * without telephone-event; for inband (and auto when the peer has no telephone-event) the digit is played as its
 * two tones into the channel's outgoing audio, and heard digits come from the in-band detector.
 */

import { isIPv6 } from 'node:net';
import type { PjsipConfig, PjsipEndpoint } from '../../config/pjsip.ts';
import type { RtpConfig } from '../../config/rtp.ts';
import type { Channel, CallerId } from '../../core/channel.ts';
import type { Core } from '../../core/core.ts';
import type { ChannelDriver, EndpointView, Indication, RequestOptions as DriverRequestOptions } from '../../core/driver.ts';
import type { MediaPort } from '../../media/engine/port.ts';
import { InThreadRtp, type RtpChannel, type RtpService } from '../../media/rtp/rtp-pool.ts';
import { rtpConfOptions, type RtpCodecChoice, type RtpDirection } from '../../media/rtp/session.ts';
import { AriadneError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/logger.ts';
import { answerChallenge, DigestClientState } from '../auth/digest.ts';
import { Dialog } from '../dialog/dialog.ts';
import { formatNameAddr, paramValue, parseNameAddr } from '../message/fields.ts';
import { createResponse, generateCallId, generateTag } from '../message/helpers.ts';
import { createRequest, cseq, fromOf, type SipRequest, type SipResponse } from '../message/message.ts';
import { formatUri, isSipUri, parseUri } from '../message/uri.ts';
import { answerOrigin, buildAnswer, buildOffer, newOrigin, processAnswer, stampLocalSdp, type LocalSdp, type NegotiatedAudio } from '../sdp/offer-answer.ts';
import { parseSdp, type SdpSession } from '../sdp/sdp.ts';
import { ALLOWED_METHODS, type SipStack } from '../stack.ts';
import { buildCancel } from '../transaction/client.ts';
import type { ServerTransaction } from '../transaction/server.ts';
import type { SipAddress } from '../transaction/transaction.ts';
import type { SipSource } from '../transport/transport.ts';
import { causeToSip, rejectStatus, sipToCause } from './causes.ts';
import { check100rel, prackFor, ReliableProvisionals } from './reliable.ts';
import { replacesTarget } from './transfer.ts';
import { after422, outboundTimerHeaders, refresherAfterResponse, refreshHeaders, requestedTimer, SessionRefresh, uacSessionTimer, type RequestedTimer } from './session-timers.ts';
import { negotiateSessionTimer, type SessionTimer, type SessionTimerConfig } from '../dialog/session-timer.ts';
import { realTimers } from '../transaction/timers.ts';

const LEG = 'pjsip.leg';
const SUPPORTED = '100rel, timer, replaces, norefersub';
const SUPPORTED_NO_TIMER = '100rel, replaces, norefersub';

/** What we support towards an endpoint: session timers only where its `timers` allows them (pjproject's rule). */
function supportedFor(endpoint: PjsipEndpoint): string {
  return endpoint.timers === 'no' ? SUPPORTED_NO_TIMER : SUPPORTED;
}
const CAUSE_NORMAL = 16;
const CAUSE_INTERWORKING = 127;

export interface PjsipDriverOptions {
  readonly core: Core;
  readonly stack: SipStack;
  /** The media host; RTP sessions follow the channel's media session (id = channel id) through it. */
  readonly media: MediaPort;
  /** Gives a channel its media session (ChannelMedia.ensure). */
  readonly ensureSession: (channelId: string) => boolean;
  readonly rtpConfig: () => RtpConfig;
  /** Where RTP sessions run (rtp-pool.ts); default: in this thread, following `media`. */
  readonly rtp?: RtpService;
  /** dtmf_mode=inband: in-band DTMF detection on the channel (ChannelAudio.setInbandDtmf). */
  readonly setInbandDtmf?: (channelId: string, enabled: boolean) => void;
  readonly logger: Logger;
  /** Endpoint states from registrations and qualify (`EndpointStates`); undefined: an unknown endpoint. */
  readonly endpointState?: (endpointId: string) => 'online' | 'offline' | undefined;
  /** A MESSAGE inside a call's dialog (SipMessaging.receive); without it such a MESSAGE gets 501. */
  readonly inDialogMessage?: (request: SipRequest, tx: ServerTransaction, source: SipSource, endpoint: PjsipEndpoint) => void;
  /**
   * An INVITE with Replaces (RFC 3891) naming one of our calls: `channel` (already answered) takes the place
   * of `replaced` (transfer.ts). Without it such an INVITE is treated as a new call.
   */
  readonly inviteReplaces?: (channel: Channel, replaced: Channel) => void;
  /** A REFER inside a call's dialog (a blind transfer, transfer.ts); without it such a REFER gets 501. */
  readonly inDialogRefer?: (channel: Channel, request: SipRequest, tx: ServerTransaction, notify: (status: number, reason: string, final: boolean) => void) => void;
}

type LegState = 'early' | 'answered' | 'ended';

/** One SIP call leg: the dialog, its RTP session and where the call stands. */
interface SipLeg {
  readonly channel: Channel;
  readonly endpoint: PjsipEndpoint;
  readonly direction: 'in' | 'out';
  state: LegState;
  dialog: Dialog | undefined;
  rtp: RtpChannel | undefined;
  /** Our last SDP body in the dialog (keeps `o=` consistent). */
  localSdp: LocalSdp | undefined;
  /** The address our SDP advertises. */
  mediaAddress: string;
  remoteHold: boolean;
  telephoneEvent: boolean;
  /** In-band DTMF detection is on (inband, or auto without telephone-event). */
  inbandDetect?: boolean | undefined;
  /** Our offer awaiting its answer: an outbound INVITE's, or the 200's to a bodiless inbound INVITE. */
  offer: SdpSession | undefined;
  // inbound
  inviteTx: ServerTransaction | undefined;
  /** The 2xx retransmission timer, until the ACK. */
  retransmit: NodeJS.Timeout | undefined;
  // outbound
  target: { uri: string; destination: SipAddress | undefined } | undefined;
  /** The INVITE in flight (the latest, after an auth retry); CANCEL is built from it. */
  invite: SipRequest | undefined;
  /** A provisional response came: CANCEL may be sent. */
  provisional: boolean;
  /** Hung up before any provisional response: CANCEL when one comes. */
  cancelPending: boolean;
  /** Outbound, still ringing: the callee's tag from a provisional response (the early dialog a pickup names). */
  earlyTag?: string | undefined;
  /** Inbound: the session timer our 200 announces (RFC 4028), and the timer running once answered. */
  timerTerms?: SessionTimer | undefined;
  timerHeaders?: Array<[string, string]> | undefined;
  sessionTimer?: SessionRefresh | undefined;
  /** Inbound: reliable provisional responses (RFC 3262) when the INVITE asked for them. */
  reliable?: ReliableProvisionals | undefined;
  /** Outbound: the last RSeq we PRACKed and the CSeq that PRACK used. */
  rseqAcked?: number | undefined;
  prackSeq?: number | undefined;
  /** The peer's Allow lists UPDATE (session refreshes use it rather than a re-INVITE). */
  peerAllowsUpdate?: boolean | undefined;
  /** Outbound: the session interval and Min-SE our INVITE asks for (RFC 4028; undefined for timers=no). */
  timerAsked?: RequestedTimer | undefined;
}

export class PjsipDriver implements ChannelDriver {
  readonly name = 'PJSIP';
  readonly description = 'PJSIP Channel Driver';
  readonly #core: Core;
  readonly #stack: SipStack;
  readonly #options: PjsipDriverOptions;
  readonly #log: Logger;
  readonly #byInvite = new WeakMap<ServerTransaction, SipLeg>();
  readonly #legs = new Set<SipLeg>();
  /** The same legs by endpoint id: endpoint snapshots and device states are asked for at every channel event. */
  readonly #legsByEndpoint = new Map<string, Set<SipLeg>>();
  readonly #clientAuth = new DigestClientState();
  readonly #off: Array<() => void> = [];
  /** Numbers the in-band digit playbacks (their ids must be unique on the media host). */
  #digitSeq = 0;

  constructor(options: PjsipDriverOptions) {
    this.#options = options;
    this.#rtp = options.rtp ?? new InThreadRtp(options.media);
    this.#core = options.core;
    this.#stack = options.stack;
    this.#log = options.logger;
    this.#off.push(this.#stack.onRequest('INVITE', (req, tx, source, endpointId) => this.#guard(() => this.#incoming(req, tx, source, endpointId))));
    this.#stack.onCancel((cancel, invite) => this.#cancelled(cancel, invite));
  }

  readonly #rtp: RtpService;

  get #config(): PjsipConfig {
    return this.#stack.config;
  }

  /** Live SIP legs (for `pjsip show channels`). */
  get channels(): Channel[] {
    return [...this.#legs].map((l) => l.channel);
  }

  /** The dialog and media facts of a PJSIP channel, for consoles and ARI (rtp_statistics). */
  legOf(channel: Channel): { readonly endpoint: string; readonly callId: string | undefined; readonly rtp: RtpChannel | undefined } | undefined {
    const leg = legOf(channel);
    return leg === undefined ? undefined : { endpoint: leg.endpoint.id, callId: leg.dialog?.callId ?? leg.invite?.headers.get('Call-ID'), rtp: leg.rtp };
  }

  /**
   * The call whose dialog has this Call-ID and these tags (either way round: phones disagree on whose tag is
   * `to-tag`), for Replaces (RFC 3891); `early`/`outbound` say where the call stands. A call we place that is
   * still ringing is found by its early dialog (the tag of the callee's provisional response), for a pickup.
   */
  dialogChannel(callId: string, tagA: string | undefined, tagB: string | undefined): { readonly channel: Channel; readonly early: boolean; readonly outbound: boolean } | undefined {
    for (const leg of this.#legs) {
      if (leg.state === 'ended' || leg.channel.destroyed) continue;
      const d = leg.dialog ?? earlyDialog(leg);
      if (d === undefined || d.callId !== callId) continue;
      const tags = [d.localTag, d.remoteTag];
      if ((tagA === undefined || tags.includes(tagA)) && (tagB === undefined || tags.includes(tagB))) {
        return { channel: leg.channel, early: leg.state === 'early', outbound: leg.direction === 'out' };
      }
    }
    return undefined;
  }

  /** The first contact of an endpoint's AORs (static first, then the newest registration), for MESSAGE and REFER. */
  contactOf(endpoint: PjsipEndpoint): { uri: string; destination: SipAddress | undefined } | undefined {
    return this.#firstContact(endpoint);
  }

  /**
   * ARI `redirect` (chan_pjsip's transfer): the target is an endpoint name (its first contact) or a URI. A
   * ringing inbound call is answered 302 Moved Temporarily with the target as Contact and ends (cause 23,
   * redirected); an answered call is referred there with a REFER in its dialog. False when it cannot be done.
   */
  redirect(channel: Channel, target: string): boolean {
    const leg = legOf(channel);
    if (leg === undefined || leg.state === 'ended' || target === '') return false;
    const endpoint = this.#config.endpoint.get(target);
    const raw = (endpoint === undefined ? undefined : this.#firstContact(endpoint)?.uri) ?? target;
    let uri: string;
    try {
      uri = formatUri(parseUri(raw.replace(/^<(.*)>$/, '$1')));
    } catch {
      this.#log.warning(`Failed to parse destination URI '${raw}' for channel ${channel.name}`);
      return false;
    }
    if (leg.direction === 'in' && leg.state === 'early') {
      const tx = leg.inviteTx;
      if (tx === undefined || tx.state !== 'proceeding') return false;
      tx.respond(createResponse(tx.request, 302, { toTag: leg.dialog?.localTag ?? generateTag(), headers: [['Contact', `<${uri}>`]] }));
      this.#remoteHangup(leg, sipToCause(302), 302);
      return true;
    }
    const dialog = leg.dialog;
    if (leg.state !== 'answered' || dialog === undefined) return false;
    const { request } = dialog.createRequest('REFER', { headers: [['Refer-To', `<${uri}>`], ['Referred-By', `<${formatUri(parseNameAddr(dialog.localContact).uri)}>`]] });
    const direct = this.#dialogDestination(leg);
    void this.#stack.sendRequest(request, direct === undefined ? {} : { destination: direct }).catch(() => undefined);
    return true;
  }

  /** A NOTIFY with the progress of a REFER we accepted (RFC 3515 §2.4.5): a sipfrag status line. */
  #notifyRefer(leg: SipLeg, status: number, reason: string, final: boolean): void {
    const dialog = leg.dialog;
    if (dialog === undefined || dialog.state === 'terminated') return;
    const { request } = dialog.createRequest('NOTIFY', {
      headers: [['Event', 'refer'], ['Subscription-State', final ? 'terminated;reason=noresource' : 'active;expires=180']],
      body: `SIP/2.0 ${status} ${reason}\r\n`,
      contentType: 'message/sipfrag;version=2.0',
    });
    const direct = this.#dialogDestination(leg);
    void this.#stack.sendRequest(request, direct === undefined ? {} : { destination: direct }).catch(() => undefined);
  }

  // --- inbound -------------------------------------------------------------------------------------------

  async #incoming(req: SipRequest, tx: ServerTransaction, source: SipSource, identified: string | undefined): Promise<void> {
    const config = this.#config;
    let endpointId = identified;
    if (endpointId === undefined && config.global.endpointIdentifierOrder.includes('anonymous') && config.endpoint.has('anonymous')) endpointId = 'anonymous';
    if (endpointId === undefined) {
      this.refuseUnknown(req, tx, source);
      return;
    }
    const endpoint = config.endpoint.get(endpointId);
    if (endpoint === undefined) return void tx.respond(createResponse(req, 403, { toTag: generateTag() }));
    if (!this.#stack.authenticate(req, tx, endpointId)) return;
    // Extensions first, as pjproject verifies them before the dialplan is looked at: 100rel (420/421) and
    // session timers (421, 422 with our Min-SE).
    const rel = check100rel(req, endpoint.rel100);
    if (!rel.ok) return void tx.respond(createResponse(req, rel.status, { toTag: generateTag(), headers: rel.headers }));
    const timer = negotiateSessionTimer(req, { mode: endpoint.timers, minSe: endpoint.timersMinSe, sessionExpires: endpoint.timersSessExpires });
    if (!timer.ok) return void tx.respond(createResponse(req, timer.status, { toTag: generateTag(), headers: timer.headers }));

    // Where the call goes.
    let ruri;
    try {
      ruri = parseUri(req.uri);
    } catch {
      return void tx.respond(createResponse(req, 400, { toTag: generateTag() }));
    }
    if (!isSipUri(ruri)) return void tx.respond(createResponse(req, 416, { toTag: generateTag() }));
    const exten = ruri.user === undefined || ruri.user === '' ? 's' : decodeURIComponent(ruri.user.split(';')[0] ?? 's');
    const caller = this.#callerOf(req, endpoint);
    const pbx = this.#core.pbx;
    // RFC 3891: a Replaces naming one of our calls; the new call takes its place rather than the dialplan's.
    const replacing = this.#options.inviteReplaces === undefined ? undefined : replacesTarget(req, (id, a, b) => this.dialogChannel(id, a, b));
    if (replacing !== undefined && typeof replacing === 'number') return void tx.respond(createResponse(req, replacing, { toTag: generateTag() }));
    if (replacing === undefined && !pbx.exists(endpoint.context, exten, 1, caller.number || undefined)) {
      this.#log.notice(`Call (${source.transport.toUpperCase()}:${source.address}:${source.port}) to extension '${exten}' rejected because extension not found in context '${endpoint.context}'.`);
      return void tx.respond(createResponse(req, 404, { toTag: generateTag() }));
    }

    // The offer; a bodiless INVITE (late offer) gets our offer in the 200 and answers it in the ACK.
    let offer: SdpSession | undefined;
    if (req.body.length > 0) {
      try {
        offer = parseSdp(req.body);
      } catch (e) {
        this.#log.warning(`Bad SDP in INVITE from ${source.address}:${source.port}: ${(e as Error).message}`);
        return void tx.respond(createResponse(req, 400, { toTag: generateTag(), reason: 'Bad Request' }));
      }
    }
    const dest = tx.responseDestination;
    const mediaAddress = this.#mediaAddress(endpoint, dest);
    const answerOptions = (o: SdpSession, port: number) => ({
      codecs: endpoint.codecs.map((c) => c.name),
      preference: endpoint.incomingCallOfferPref,
      telephoneEvent: usesRfc4733(endpoint),
      address: mediaAddress,
      port,
      origin: answerOrigin(o.origin, mediaAddress, endpoint.sdpOwner || '-'),
      sessionName: endpoint.sdpSession || 'Asterisk',
    });
    const trial = offer === undefined ? undefined : buildAnswer(offer, answerOptions(offer, 9));
    if (trial !== undefined && !trial.ok) {
      this.#log.notice(`Call from '${endpoint.id}' rejected: ${trial.message}`);
      return void tx.respond(createResponse(req, 488, { toTag: generateTag() }));
    }
    const ownCodec = firstCodec(endpoint);
    if (offer === undefined && ownCodec === undefined) return void tx.respond(createResponse(req, 488, { toTag: generateTag() }));
    tx.respond(createResponse(req, 100));

    const channels = this.#core.channels;
    const channel = channels.create({
      id: channels.ids.uniqueId(),
      name: `PJSIP/${endpoint.id}-${channels.ids.nameSuffix()}`,
      tech: 'PJSIP',
      state: 'Ring',
      context: endpoint.context,
      exten,
      priority: 1,
      caller,
      language: endpoint.language || 'en',
      ...(endpoint.accountcode ? { accountcode: endpoint.accountcode } : {}),
      protocolId: req.headers.get('Call-ID') ?? '',
    });
    for (const { name, value } of endpoint.setVar) channel.setVariable(name, value);
    const localTag = generateTag();
    const dialog = Dialog.uas(req, localTag, this.#stack.contactFor(dest, endpoint.contactUser || 's'));
    const leg = newLeg(channel, endpoint, 'in', mediaAddress);
    leg.dialog = dialog;
    leg.inviteTx = tx;
    leg.timerTerms = timer.timer;
    leg.timerHeaders = timer.headers;
    leg.peerAllowsUpdate = allowsUpdate(req);
    if (rel.reliable) {
      leg.reliable = new ReliableProvisionals({
        send: (r) => tx.respond(r),
        timers: realTimers,
        t1: config.system.timerT1,
        onGiveUp: () => {
          this.#log.warning(`${channel.name}: no PRACK for our reliable provisional response; giving up on the call`);
          tx.respond(createResponse(req, 504, { toTag: localTag }));
          this.#remoteHangup(leg, 18);
        },
      });
    }
    this.#track(leg);
    this.#byInvite.set(tx, leg);
    this.#stack.attachDialog(dialog, {
      onRequest: (r, t, _d, source) => this.#guard(() => this.#inDialog(leg, r, t, source)),
      onAck: (ack) => this.#acked(leg, ack),
    });
    try {
      await this.#openRtp(leg, trial?.audio, ownCodec);
    } catch (e) {
      this.#log.error(`No RTP for ${channel.name}: ${(e as Error).message}`);
      channel.hangup(34);
      return;
    }
    if (leg.state === 'ended' || channel.destroyed) {
      channel.hangup(); // cancelled while the ports were being bound: nobody else runs this channel yet
      return;
    }
    if (offer !== undefined) {
      const answer = buildAnswer(offer, answerOptions(offer, leg.rtp?.localPort ?? 9));
      if (answer.ok) leg.localSdp = stampLocalSdp(undefined, answer.answer);
    } else {
      leg.offer = this.#offer(leg);
      leg.localSdp = stampLocalSdp(undefined, leg.offer);
    }
    if (replacing !== undefined) {
      this.answer(channel);
      this.#options.inviteReplaces?.(channel, replacing);
      return;
    }
    queueMicrotask(() => void pbx.run(channel));
  }

  /** A sender no endpoint matches: challenged as if it existed, refused once it answers the challenge. */
  refuseUnknown(req: SipRequest, tx: ServerTransaction, source: SipSource): void {
    const config = this.#config;
    if (req.headers.has('Authorization') || req.headers.has('Proxy-Authorization') || this.#stack.authLimiter.blocked(source.address)) {
      this.#stack.authLimiter.fail(source.address);
      this.#log.security(`${req.method} from unknown endpoint at ${source.address}:${source.port} rejected`);
      tx.respond(createResponse(req, 403, { toTag: generateTag() }));
      return;
    }
    const challenges = this.#stack.digest.challenges({ realm: config.global.defaultRealm, algorithms: config.global.defaultAuthAlgorithmsUas });
    tx.respond(createResponse(req, 401, { toTag: generateTag(), headers: challenges.map((c) => ['WWW-Authenticate', c] as [string, string]) }));
  }

  /** The endpoint's `callerid` when it has a number, else the From header's display name and user. */
  #callerOf(req: SipRequest, endpoint: PjsipEndpoint): CallerId {
    if (endpoint.callerid !== undefined && endpoint.callerid.number !== '') return { name: endpoint.callerid.name, number: endpoint.callerid.number };
    try {
      const from = fromOf(req);
      const user = isSipUri(from.uri) ? (from.uri.user ?? '') : '';
      return { name: from.displayName ?? endpoint.callerid?.name ?? '', number: decodeURIComponent(user) };
    } catch {
      return { name: '', number: '' };
    }
  }

  #cancelled(cancel: SipRequest, invite: ServerTransaction): void {
    const leg = this.#byInvite.get(invite);
    invite.respond(createResponse(invite.request, 487, { toTag: leg?.dialog?.localTag ?? generateTag() }));
    if (leg === undefined || leg.state === 'ended') return;
    this.#log.verbose(3, `${leg.channel.name}: the caller cancelled the call (${cancel.headers.get('Reason') ?? 'no reason given'})`);
    this.#remoteHangup(leg, CAUSE_INTERWORKING, 487);
  }

  #acked(leg: SipLeg, ack: SipRequest): void {
    const first = leg.retransmit !== undefined;
    if (leg.retransmit !== undefined) clearTimeout(leg.retransmit);
    leg.retransmit = undefined;
    leg.dialog?.confirm();
    // Late offer: the ACK to our 200 carries the answer to the offer we made in it.
    if (first && leg.direction === 'in' && leg.offer !== undefined && leg.state === 'answered') {
      const answer = ack.body.length > 0 ? processAnswer(leg.offer, ack.body) : undefined;
      leg.offer = undefined;
      if (answer?.ok) this.#applyAudio(leg, answer.audio);
      else {
        this.#log.warning(`${leg.channel.name}: the ACK carries no usable answer to our offer; hanging up`);
        leg.channel.requestHangup({ soft: false, cause: 58 });
      }
    }
  }

  // --- in the dialog ---------------------------------------------------------------------------------------

  #inDialog(leg: SipLeg, req: SipRequest, tx: ServerTransaction, source: SipSource): void {
    switch (req.method) {
      case 'MESSAGE':
        if (this.#options.inDialogMessage === undefined) tx.respond(createResponse(req, 501));
        else this.#options.inDialogMessage(req, tx, source, leg.endpoint);
        return;
      case 'REFER':
        if (this.#options.inDialogRefer === undefined || leg.state !== 'answered') tx.respond(createResponse(req, this.#options.inDialogRefer === undefined ? 501 : 603));
        else this.#options.inDialogRefer(leg.channel, req, tx, (status, reason, final) => this.#notifyRefer(leg, status, reason, final));
        return;
      case 'NOTIFY':
        // The progress of a REFER we sent (redirect of an answered call): nothing to act on.
        tx.respond(createResponse(req, 200));
        return;
      case 'BYE':
        tx.respond(createResponse(req, 200));
        this.#remoteHangup(leg, CAUSE_NORMAL);
        return;
      case 'INVITE':
        this.#reinvite(leg, req, tx);
        return;
      case 'UPDATE':
        if (req.body.length > 0) this.#reinvite(leg, req, tx);
        else tx.respond(createResponse(req, 200, { headers: [['Supported', supportedFor(leg.endpoint)], ...this.#sessionRefreshed(leg, req)] }));
        return;
      case 'INFO':
        this.#info(leg, req, tx);
        return;
      case 'PRACK':
        tx.respond(leg.reliable !== undefined && leg.inviteTx !== undefined ? leg.reliable.prack(req, leg.inviteTx.request) : createResponse(req, 481));
        return;
      case 'OPTIONS':
        tx.respond(createResponse(req, 200, { headers: [['Allow', ALLOWED_METHODS.join(', ')]] }));
        return;
      default:
        tx.respond(createResponse(req, 501));
    }
  }

  /** A re-INVITE or UPDATE with an offer: hold, unhold, a new address or codec. */
  #reinvite(leg: SipLeg, req: SipRequest, tx: ServerTransaction): void {
    let offer: SdpSession;
    try {
      offer = parseSdp(req.body);
    } catch {
      tx.respond(createResponse(req, 400));
      return;
    }
    const endpoint = leg.endpoint;
    const result = buildAnswer(offer, {
      codecs: endpoint.codecs.map((c) => c.name),
      preference: endpoint.incomingCallOfferPref,
      telephoneEvent: usesRfc4733(endpoint),
      address: leg.mediaAddress,
      port: leg.rtp?.localPort ?? 9,
      origin: leg.localSdp?.session.origin ?? answerOrigin(offer.origin, leg.mediaAddress),
      sessionName: endpoint.sdpSession || 'Asterisk',
    });
    if (!result.ok) {
      tx.respond(createResponse(req, 488));
      return;
    }
    leg.localSdp = stampLocalSdp(leg.localSdp, result.answer);
    this.#applyAudio(leg, result.audio);
    tx.respond(createResponse(req, 200, {
      headers: [['Contact', leg.dialog?.localContact ?? ''], ['Allow', ALLOWED_METHODS.join(', ')], ['Supported', supportedFor(leg.endpoint)], ...this.#sessionRefreshed(leg, req), ['Content-Type', 'application/sdp']],
      body: leg.localSdp.text,
    }));
  }

  /**
   * The peer's re-INVITE or UPDATE refreshes a running session timer (RFC 4028 §9): the terms are negotiated
   * again and restart; returns the Session-Expires (and Require) headers for our 2xx.
   */
  #sessionRefreshed(leg: SipLeg, req: SipRequest): Array<[string, string]> {
    const running = leg.sessionTimer;
    if (running === undefined) return [];
    const e = leg.endpoint;
    const terms = negotiateSessionTimer(req, { mode: e.timers === 'always' ? 'always' : 'yes', minSe: e.timersMinSe, sessionExpires: e.timersSessExpires });
    if (!terms.ok || terms.timer === undefined) {
      running.refreshed();
      return [];
    }
    running.refreshed(terms.timer.interval, terms.timer.refresher === 'uas');
    return terms.headers;
  }

  /** Our session refresh (we are the refresher): UPDATE when the peer allows it, else a re-INVITE with our SDP. */
  #refreshSession(leg: SipLeg): void {
    const dialog = leg.dialog;
    const timer = leg.sessionTimer;
    if (dialog === undefined || timer === undefined || leg.state !== 'answered') return;
    const method = leg.peerAllowsUpdate === true ? 'UPDATE' : 'INVITE';
    const headers: Array<[string, string]> = [...refreshHeaders(timer.interval, leg.timerAsked?.minSe ?? leg.endpoint.timersMinSe), ['Supported', SUPPORTED]];
    const { request } = dialog.createRequest(method, { headers, ...(method === 'INVITE' && leg.localSdp !== undefined ? { body: leg.localSdp.text } : {}) });
    const direct = this.#dialogDestination(leg);
    void this.#stack.sendRequest(request, {
      ...(direct === undefined ? {} : { destination: direct }),
      onResponse: (res) => this.#guard(() => {
        if (res.status < 200 || leg.state !== 'answered') return;
        if (method === 'INVITE' && res.status < 300) void this.#stack.sendAck(dialog.createAck(cseq(request).seq).request, direct).catch(() => undefined);
        if (res.status < 300) {
          const next = refresherAfterResponse(res.headers.get('Session-Expires'));
          timer.refreshed(next.interval ?? timer.interval, next.weRefresh);
        } else if (res.status === 408 || res.status === 481) {
          // §10: the session is gone on the other side.
          this.#log.verbose(3, `${leg.channel.name}: session refresh failed with ${res.status}; hanging up`);
          this.#bye(leg, sipToCause(res.status));
          this.#remoteHangup(leg, sipToCause(res.status));
        } else {
          timer.refreshed(); // 491 glare or a refusal: the session itself still stands, try again later
        }
      }),
    }).catch(() => undefined);
  }

  /** SIP INFO DTMF (`application/dtmf-relay`, `application/dtmf`). */
  #info(leg: SipLeg, req: SipRequest, tx: ServerTransaction): void {
    const type = (req.headers.get('Content-Type') ?? '').toLowerCase();
    const body = req.body.toString('utf8');
    let digit: string | undefined;
    let durationMs = 100;
    if (type.startsWith('application/dtmf-relay')) {
      digit = /^\s*signal\s*=\s*(\S)/im.exec(body)?.[1];
      const d = /^\s*duration\s*=\s*(\d+)/im.exec(body)?.[1];
      if (d !== undefined) durationMs = Number(d);
    } else if (type.startsWith('application/dtmf')) {
      digit = body.trim().charAt(0) || undefined;
    }
    tx.respond(createResponse(req, 200));
    if (digit !== undefined && /^[0-9A-D*#]$/i.test(digit) && leg.state !== 'ended') {
      leg.channel.deliverFrame({ type: 'dtmf', digit: digit.toUpperCase(), durationMs });
    }
  }

  /**
   * The peer ended the call (BYE, CANCEL, a final error to our INVITE). `sipStatus`: the SIP status that ended
   * it, reported as the channel's tech cause (as chan_pjsip does for non-2xx ends; a BYE gives none).
   */
  #remoteHangup(leg: SipLeg, cause: number, sipStatus?: number): void {
    if (leg.state === 'ended') return;
    leg.state = 'ended';
    this.#release(leg);
    const channel = leg.channel;
    if (sipStatus !== undefined && sipStatus >= 300) channel.setTechCause(sipStatus);
    channel.requestHangup({ soft: false, eventCause: cause, ...(channel.hangupCause === 0 ? { cause } : {}) });
    channel.deliverFrame({ type: 'hangup', cause });
  }

  // --- ChannelDriver -------------------------------------------------------------------------------------

  request(resource: string, options: DriverRequestOptions): Channel {
    const slash = resource.indexOf('/');
    const endpointId = slash < 0 ? resource : resource.slice(0, slash);
    const explicit = slash < 0 ? '' : resource.slice(slash + 1);
    const endpoint = this.#config.endpoint.get(endpointId);
    if (endpointId === '' || endpoint === undefined) {
      throw new AriadneError('ERR_INVALID_PARAMETER', `Unable to create PJSIP channel - endpoint '${endpointId}' was not found`);
    }
    const channels = this.#core.channels;
    const id = options.id ?? channels.ids.uniqueId();
    if (!channels.idAvailable(id)) throw new AriadneError('ERR_CONFLICT', 'Channel with given unique ID already exists');
    const channel = channels.create({
      id,
      name: `PJSIP/${endpoint.id}-${channels.ids.nameSuffix()}`,
      tech: 'PJSIP',
      context: endpoint.context,
      exten: 's',
      priority: 1,
      // As in Asterisk, the outgoing dialog (and so its Call-ID, the protocol id) exists before the channel.
      protocolId: generateCallId(),
      ...(options.caller ? { caller: options.caller } : {}),
      language: options.language || endpoint.language || 'en',
      ...(options.accountcode || endpoint.accountcode ? { accountcode: options.accountcode || endpoint.accountcode } : {}),
    });
    const leg = newLeg(channel, endpoint, 'out', '');
    if (explicit !== '') leg.target = { uri: explicit.startsWith('sip:') || explicit.startsWith('sips:') ? explicit : `sip:${explicit}`, destination: undefined };
    this.#track(leg);
    return channel;
  }

  call(channel: Channel): void {
    const leg = legOf(channel);
    if (leg === undefined || leg.direction !== 'out') throw new AriadneError('ERR_INVALID_PARAMETER', 'Not an outbound PJSIP channel');
    if (leg.target === undefined) {
      const contact = this.#firstContact(leg.endpoint);
      if (contact === undefined) {
        throw new AriadneError('ERR_NOT_FOUND', `Unable to create PJSIP channel with endpoint '${leg.endpoint.id}' as it does not have any contacts`);
      }
      leg.target = contact;
    }
    void this.#invite(leg).catch((e: unknown) => {
      this.#log.warning(`${channel.name}: the INVITE could not be sent: ${(e as Error)?.message ?? String(e)}`);
      this.#remoteHangup(leg, 34 /* congestion: no route */);
    });
  }

  answer(channel: Channel): void {
    const leg = legOf(channel);
    channel.setState('Up');
    if (leg === undefined || leg.direction !== 'in' || leg.state !== 'early') return;
    leg.state = 'answered';
    const tx = leg.inviteTx;
    if (tx === undefined) return;
    leg.reliable?.stop();
    const res = this.#inviteResponse(leg, 200, true);
    tx.respond(res);
    this.#retransmit(leg, tx, res, this.#config.system.timerT1);
    const terms = leg.timerTerms;
    if (terms !== undefined) this.#startSessionTimer(leg, terms.interval, terms.refresher === 'uas');
  }

  #startSessionTimer(leg: SipLeg, interval: number, weRefresh: boolean): void {
    leg.sessionTimer?.stop();
    leg.sessionTimer = new SessionRefresh({
      interval,
      weRefresh,
      timers: realTimers,
      onRefresh: () => this.#guard(() => this.#refreshSession(leg)),
      onExpire: () => this.#guard(() => {
        // §10: no refresh came in time; end the session (Asterisk reports it as no user response, 18).
        this.#log.verbose(3, `${leg.channel.name}: the session timer expired; hanging up`);
        this.#bye(leg, 18);
        this.#remoteHangup(leg, 18);
      }),
    });
  }

  hangup(channel: Channel): void {
    const leg = legOf(channel);
    if (leg === undefined) return;
    this.#untrack(leg);
    // Without a SIP status of its own, the tech cause is the status the hangup cause maps to (none for Normal
    // Clearing), as chan_pjsip sets it when the core hangs a channel up; ChannelDestroyed reports it.
    if (channel.techCause === 0) {
      const status = causeToSip(channel.hangupCause);
      if (status !== 0) channel.setTechCause(status);
    }
    if (leg.state === 'ended') {
      this.#release(leg);
      return;
    }
    const previous = leg.state;
    leg.state = 'ended';
    const cause = channel.hangupCause;
    try {
      if (leg.direction === 'in') {
        const tx = leg.inviteTx;
        if (previous === 'early') {
          if (tx !== undefined && tx.state === 'proceeding') {
            tx.respond(createResponse(tx.request, rejectStatus(cause), { toTag: leg.dialog?.localTag ?? generateTag(), headers: this.#reasonHeaders(leg, cause) }));
          }
        } else {
          this.#bye(leg, cause);
        }
      } else if (previous === 'answered') {
        this.#bye(leg, cause);
      } else if (leg.invite !== undefined) {
        if (leg.provisional) this.#sendCancel(leg, cause);
        else leg.cancelPending = true; // CANCEL waits for a provisional response; a late 2xx gets ACK + BYE
      }
    } finally {
      this.#release(leg);
    }
  }

  sendDigit(channel: Channel, digit: string, durationMs: number): void {
    const leg = legOf(channel);
    if (leg === undefined || leg.state === 'ended') return;
    const mode = leg.endpoint.dtmfMode;
    if (leg.rtp !== undefined && inbandDtmf(leg)) {
      // The digit's two frequencies in what the channel sends, like Asterisk's playtones for a technology that
      // wants in-band DTMF; a queue of its own, so that digits sent back to back never overlap.
      this.#options.media.send({
        type: 'play',
        playbackId: `${channel.id}-dtmf-${++this.#digitSeq}`,
        target: { type: 'session', id: channel.id },
        sources: [{ type: 'dtmf', digits: digit, durationMs, betweenMs: 0 }],
        queue: 'dtmf',
      });
      return;
    }
    if (leg.rtp !== undefined && leg.telephoneEvent && (mode === 'rfc4733' || mode === 'auto' || mode === 'auto_info')) {
      leg.rtp.sendDtmf(digit, durationMs).catch(() => undefined);
      return;
    }
    if ((mode === 'info' || mode === 'auto_info') && leg.dialog !== undefined) {
      const { request } = leg.dialog.createRequest('INFO', { body: `Signal=${digit}\r\nDuration=${durationMs}\r\n`, contentType: 'application/dtmf-relay' });
      void this.#stack.sendRequest(request).catch(() => undefined);
    }
  }

  indicate(channel: Channel, indication: Indication): void {
    const leg = legOf(channel);
    if (leg === undefined || leg.direction !== 'in' || leg.state !== 'early') return;
    const tx = leg.inviteTx;
    if (tx === undefined || tx.state !== 'proceeding') return;
    switch (indication) {
      case 'ringing':
        // inband_progress: the caller hears our ringback as early media rather than its own.
        this.#provisional(leg, tx, leg.endpoint.inbandProgress ? this.#inviteResponse(leg, 183, true) : this.#inviteResponse(leg, 180, false));
        return;
      case 'progress':
        this.#provisional(leg, tx, this.#inviteResponse(leg, 183, true));
        return;
      case 'busy':
      case 'congestion': {
        const status = indication === 'busy' ? 486 : 503;
        leg.state = 'ended';
        tx.respond(createResponse(tx.request, status, { toTag: leg.dialog?.localTag ?? generateTag() }));
        this.#release(leg);
        return;
      }
      default:
        return;
    }
  }

  /** A 180/183: reliably (RFC 3262) when the INVITE asked for it, else once. */
  #provisional(leg: SipLeg, tx: ServerTransaction, res: SipResponse): void {
    if (leg.reliable !== undefined) leg.reliable.send(res);
    else tx.respond(res);
  }

  /** One endpoint's view (`endpoints()` for a single one, without looking at every call). */
  endpoint(resource: string): EndpointView | undefined {
    if (!this.#config.endpoint.has(resource)) return undefined;
    return { technology: 'PJSIP', resource, state: this.endpointState(resource), channelIds: this.channelsOf(resource).map((c) => c.id) };
  }

  endpoints(): EndpointView[] {
    const config = this.#config;
    const byEndpoint = new Map<string, string[]>();
    for (const leg of this.#legs) {
      const list = byEndpoint.get(leg.endpoint.id) ?? [];
      list.push(leg.channel.id);
      byEndpoint.set(leg.endpoint.id, list);
    }
    return [...config.endpoint.values()].map((e) => ({
      technology: 'PJSIP',
      resource: e.id,
      state: this.endpointState(e.id),
      channelIds: byEndpoint.get(e.id) ?? [],
    }));
  }

  /**
   * `online` when a contact of the endpoint's AORs is registered or (static) not known to be unreachable,
   * `offline` when it has AORs but no usable contact, `unknown` without AORs (a trunk matched by IP).
   */
  endpointState(endpointId: string): EndpointView['state'] {
    if (this.#options.endpointState !== undefined) return this.#options.endpointState(endpointId) ?? 'unknown';
    const e = this.#config.endpoint.get(endpointId);
    if (e === undefined || e.aors.length === 0) return 'unknown';
    for (const aorId of e.aors) {
      if (this.#stack.registrar.bindings(aorId).some((b) => this.#stack.contactStatus(aorId, b.uri).status !== 'Unreachable')) return 'online';
      const aor = this.#config.aor.get(aorId);
      if (aor?.contacts.some((uri) => this.#stack.contactStatus(aorId, uri).status !== 'Unreachable')) return 'online';
    }
    return 'offline';
  }

  close(): void {
    for (const off of this.#off.splice(0)) off();
    for (const leg of [...this.#legs]) leg.channel.hangup(CAUSE_NORMAL);
  }

  // --- outbound ---------------------------------------------------------------------------------------

  /** The first contact of the endpoint's AORs: static ones first, then registrations (newest first). */
  #firstContact(endpoint: PjsipEndpoint): { uri: string; destination: SipAddress | undefined } | undefined {
    for (const aorId of endpoint.aors) {
      const aor = this.#config.aor.get(aorId);
      const uri = aor?.contacts[0];
      if (uri !== undefined) return { uri, destination: undefined };
      const bindings = this.#stack.registrar.bindings(aorId);
      const b = bindings[bindings.length - 1];
      if (b !== undefined) {
        const src = b.source;
        const destination = src !== undefined && src.transport !== 'UDP' && src.connectionId !== undefined
          ? { transport: src.transport, host: src.address, port: src.port, connection: src.connectionId }
          : undefined;
        return { uri: b.uri, destination };
      }
    }
    return undefined;
  }

  async #invite(leg: SipLeg): Promise<void> {
    const target = leg.target;
    if (target === undefined) return;
    const endpoint = leg.endpoint;
    const destination = target.destination ?? (await this.#stack.resolve(target.uri));
    if (leg.state === 'ended') return;
    leg.mediaAddress = this.#mediaAddress(endpoint, destination);
    const codec = firstCodec(endpoint);
    if (codec === undefined) throw new Error(`endpoint '${endpoint.id}' allows neither ulaw nor alaw`);
    await this.#openRtp(leg, undefined, codec);
    if (isEnded(leg)) return; // hung up while the ports were being bound
    const offer = this.#offer(leg);
    leg.localSdp = stampLocalSdp(undefined, offer);
    leg.offer = offer;
    const sentBy = this.#stack.transports.sentBy(destination);
    const host = sentBy.host.includes(':') ? `[${sentBy.host}]` : sentBy.host;
    const domain = endpoint.fromDomain || host;
    const caller = leg.channel.caller;
    const fromUser = endpoint.fromUser || (caller.number !== '' ? caller.number : this.#config.global.defaultFromUser);
    const from = formatNameAddr({
      ...(caller.name !== '' && !endpoint.fromUser ? { displayName: caller.name } : {}),
      uri: parseUri(`sip:${encodeURIComponent(fromUser).replace(/%2B/g, '+')}@${domain}`),
      params: new Map([['tag', generateTag()]]),
    });
    const request = createRequest('INVITE', target.uri, [
      ['From', from],
      ['To', `<${target.uri}>`],
      ['Contact', this.#stack.contactFor(destination, endpoint.contactUser || fromUser)],
      ['Call-ID', leg.channel.snapshot().protocolId || generateCallId()],
      ['CSeq', `${Math.floor(Math.random() * 30000) + 1} INVITE`],
      ['Allow', ALLOWED_METHODS.join(', ')],
      // As pjproject: `timer` is only offered by endpoints that use session timers.
      ['Supported', supportedFor(endpoint)],
      ...outboundTimerHeaders(endpoint.timers, leg.timerAsked = requestedTimer(timerConfig(endpoint))),
      ['Content-Type', 'application/sdp'],
    ], leg.localSdp.text);
    await this.#sendInvite(leg, request, destination, 0);
  }

  async #sendInvite(leg: SipLeg, request: SipRequest, destination: SipAddress, authRound: number): Promise<void> {
    leg.invite = request;
    leg.provisional = false;
    leg.earlyTag = undefined;
    leg.target = { uri: request.uri, destination };
    await this.#stack.sendRequest(request, {
      destination,
      onResponse: (res, local) => this.#guard(() => this.#inviteResponseReceived(leg, request, destination, res, local, authRound)),
    });
  }

  #inviteResponseReceived(leg: SipLeg, request: SipRequest, destination: SipAddress, res: SipResponse, local: boolean, authRound: number): void {
    if (leg.invite !== request) return; // an earlier attempt (before an auth retry)
    const status = res.status;
    if (status < 200) {
      if (status === 100) return;
      leg.provisional = true;
      leg.earlyTag ??= tagOf(res.headers.get('To'));
      if (leg.cancelPending) {
        leg.cancelPending = false;
        this.#sendCancel(leg, leg.channel.hangupCause);
        return;
      }
      if (leg.state !== 'early') return;
      if (this.#prack(leg, request, res, destination)) return;
      if (res.body.length > 0 && leg.offer !== undefined) {
        const early = processAnswer(leg.offer, res.body);
        if (early.ok) this.#applyAudio(leg, early.audio);
      }
      leg.channel.deliverFrame({ type: status === 180 || status === 181 || status === 182 ? 'ringing' : 'progress' });
      return;
    }
    if (status < 300) {
      this.#answered(leg, request, destination, res);
      return;
    }
    if (leg.state === 'ended') return;
    if (status === 422 && !local && leg.timerAsked !== undefined) {
      // RFC 4028 §7.4: our interval was under the peer's Min-SE; ask again with its value (new CSeq and branch).
      const asked = after422(leg.timerAsked, res);
      if (asked !== undefined) {
        leg.timerAsked = asked;
        const retry: SipRequest = { ...request, headers: request.headers.clone() };
        const seq = cseq(request);
        retry.headers.set('CSeq', `${seq.seq + 1} ${seq.method}`);
        retry.headers.set('Session-Expires', String(asked.sessionExpires));
        retry.headers.set('Min-SE', String(asked.minSe));
        retry.headers.removeFirst('Via');
        void this.#sendInvite(leg, retry, destination, authRound).catch(() => this.#remoteHangup(leg, sipToCause(status), status));
        return;
      }
    }
    if ((status === 401 || status === 407) && !local && authRound < 2) {
      const auths = leg.endpoint.outboundAuth.map((a) => this.#config.auth.get(a)).filter((a) => a !== undefined);
      const retry = auths.length === 0 ? undefined : answerChallenge(request, res, { auths, defaultAlgorithms: this.#config.global.defaultAuthAlgorithmsUac, state: this.#clientAuth });
      if (retry !== undefined) {
        retry.headers.removeFirst('Via');
        void this.#sendInvite(leg, retry, destination, authRound + 1).catch(() => this.#remoteHangup(leg, sipToCause(status), status));
        return;
      }
    }
    const cause = sipToCause(status);
    this.#log.verbose(3, `${leg.channel.name}: the call failed with ${status} ${res.reason}`);
    if (cause === 34) {
      leg.state = 'ended';
      this.#release(leg);
      leg.channel.setTechCause(status);
      if (leg.channel.hangupCause === 0) leg.channel.setHangupCause(cause);
      leg.channel.deliverFrame({ type: 'congestion' });
      return;
    }
    this.#remoteHangup(leg, cause, status);
  }

  /** A 2xx to our INVITE: ACK it (every retransmission too), apply the answer, report the answer. */
  #answered(leg: SipLeg, request: SipRequest, destination: SipAddress, res: SipResponse): void {
    let dialog = leg.dialog;
    if (dialog === undefined) {
      dialog = Dialog.uac(request, res);
      leg.dialog = dialog;
      this.#stack.attachDialog(dialog, {
        onRequest: (r, t, _d, source) => this.#guard(() => this.#inDialog(leg, r, t, source)),
      });
    }
    // A PRACK went out in the early dialog: later requests must number above it.
    if (leg.prackSeq !== undefined && dialog.localSeq < leg.prackSeq) dialog.localSeq = leg.prackSeq;
    const { request: ack } = dialog.createAck(cseq(request).seq);
    const direct = destination.connection !== undefined ? destination : undefined;
    void this.#stack.sendAck(ack, direct).catch(() => undefined);
    if (leg.state !== 'early') {
      // Answered after we gave up (CANCEL crossed the 2xx): end it properly.
      if (leg.state === 'ended' && dialog.state !== 'terminated') {
        this.#bye(leg, leg.channel.hangupCause || CAUSE_NORMAL);
        this.#stack.detachDialog(dialog);
      }
      return;
    }
    leg.state = 'answered';
    leg.peerAllowsUpdate = allowsUpdate(res);
    // RFC 4028 §7.2: the 2xx fixes the interval and names the refresher (`uac` is us).
    const terms = uacSessionTimer(leg.endpoint.timers, leg.timerAsked, res);
    if (terms === 'missing') {
      this.#log.warning(`${leg.channel.name}: the peer answered without session timers, which the endpoint requires; hanging up`);
      this.#bye(leg, CAUSE_INTERWORKING);
      this.#remoteHangup(leg, CAUSE_INTERWORKING);
      return;
    }
    if (terms !== undefined) this.#startSessionTimer(leg, terms.interval, terms.weRefresh);
    if (leg.offer !== undefined && res.body.length > 0) {
      const answer = processAnswer(leg.offer, res.body);
      if (answer.ok) this.#applyAudio(leg, answer.audio);
      else this.#log.warning(`${leg.channel.name}: unusable SDP answer: ${answer.message}`);
    }
    leg.channel.deliverFrame({ type: 'answer' });
  }

  /** RFC 3262 §4: PRACK a reliable provisional response once; true for a retransmission of one (ignore it). */
  #prack(leg: SipLeg, request: SipRequest, res: SipResponse, destination: SipAddress): boolean {
    const p = prackFor(request, res, leg.rseqAcked, leg.prackSeq);
    if (p === undefined) return false;
    if (p === 'repeat') return true;
    leg.rseqAcked = p.rseq;
    leg.prackSeq = p.seq;
    void this.#stack.sendRequest(p.request, destination.connection !== undefined ? { destination } : {}).catch(() => undefined);
    return false;
  }

  #sendCancel(leg: SipLeg, cause: number): void {
    const invite = leg.invite;
    const destination = leg.target?.destination;
    if (invite === undefined || destination === undefined) return;
    const cancel = buildCancel(invite);
    for (const [k, v] of this.#reasonHeaders(leg, cause)) cancel.headers.append(k, v);
    void this.#stack.sendRequest(cancel, { destination }).catch(() => undefined);
  }

  // --- common ---------------------------------------------------------------------------------------------

  #bye(leg: SipLeg, cause: number): void {
    const dialog = leg.dialog;
    if (dialog === undefined || dialog.state === 'terminated') return;
    const { request } = dialog.createRequest('BYE', { headers: this.#reasonHeaders(leg, cause) });
    const direct = this.#dialogDestination(leg);
    void this.#stack.sendRequest(request, direct === undefined ? {} : { destination: direct }).catch(() => undefined);
  }

  /** The connection in-dialog requests must use (TCP/TLS); undefined: route by the route set / remote target. */
  #dialogDestination(leg: SipLeg): SipAddress | undefined {
    return leg.target?.destination?.connection !== undefined ? leg.target.destination : leg.inviteTx?.responseDestination.connection !== undefined ? leg.inviteTx.responseDestination : undefined;
  }

  #reasonHeaders(leg: SipLeg, cause: number): Array<[string, string]> {
    return cause > 0 && !leg.endpoint.suppressQ850ReasonHeaders ? [['Reason', `Q.850;cause=${cause}`]] : [];
  }

  /** A response to the inbound INVITE; `withSdp` adds our answer (183, 200). */
  #inviteResponse(leg: SipLeg, status: number, withSdp: boolean): SipResponse {
    const tx = leg.inviteTx as ServerTransaction;
    // §12.1.1: responses that make the dialog carry the request's Record-Route, so the caller's route set
    // (and with it ACK, BYE, re-INVITE) goes through the proxies that asked to stay in the path.
    const headers: Array<[string, string]> = tx.request.headers.values('Record-Route').map((rr) => ['Record-Route', rr] as [string, string]);
    headers.push(['Contact', leg.dialog?.localContact ?? ''], ['Allow', ALLOWED_METHODS.join(', ')]);
    if (status === 200) headers.push(['Supported', supportedFor(leg.endpoint)], ...(leg.timerHeaders ?? []));
    const sdp = withSdp ? leg.localSdp : undefined;
    if (sdp !== undefined) headers.push(['Content-Type', 'application/sdp']);
    headers.push(['Server', this.#config.global.userAgent]);
    return createResponse(tx.request, status, { toTag: leg.dialog?.localTag ?? generateTag(), headers, ...(sdp === undefined ? {} : { body: sdp.text }) });
  }

  /** RFC 3261 §13.3.1.4: the UAS core resends its 2xx (T1, doubling up to T2) until the ACK, for 64·T1. */
  #retransmit(leg: SipLeg, tx: ServerTransaction, res: SipResponse, interval: number, elapsed = 0): void {
    const t1 = this.#config.system.timerT1;
    if (elapsed >= 64 * t1) return;
    leg.retransmit = setTimeout(() => {
      if (leg.retransmit === undefined || leg.state === 'ended') return;
      tx.respond(res);
      this.#retransmit(leg, tx, res, Math.min(interval * 2, 4000), elapsed + interval);
    }, interval);
    leg.retransmit.unref();
  }

  /** The address in our SDP: the endpoint's `media_address`, else the address the signalling uses. */
  #mediaAddress(endpoint: PjsipEndpoint, dest: SipAddress): string {
    if (endpoint.mediaAddress !== '') return endpoint.mediaAddress;
    const transport = this.#stack.transports.select(dest)?.config;
    if (transport !== undefined && transport.externalMediaAddress !== '' && !dest.host.startsWith('127.')) return transport.externalMediaAddress;
    return this.#stack.transports.sentBy(dest).host;
  }

  async #openRtp(leg: SipLeg, audio: NegotiatedAudio | undefined, codec?: RtpCodecChoice): Promise<void> {
    const channel = leg.channel;
    if (!this.#options.ensureSession(channel.id)) throw new Error('the channel is gone');
    const endpoint = leg.endpoint;
    const bindAddress = endpoint.bindRtpToMediaAddress && endpoint.mediaAddress !== '' ? endpoint.mediaAddress : isIPv6(leg.mediaAddress) ? '::' : '0.0.0.0';
    const chosen = audio !== undefined ? rtpCodec(audio) : codec;
    if (chosen === undefined) throw new Error('no codec');
    const rtp = await this.#rtp.open({
      sessionId: channel.id,
      bindAddress,
      ...rtpConfOptions(this.#options.rtpConfig()),
      symmetric: endpoint.rtpSymmetric,
      codec: chosen,
      ...(audio?.telephoneEvent === undefined ? {} : { telephoneEvent: audio.telephoneEvent.pt }),
      onDtmf: (e) => {
        if (e.type === 'end' && leg.state !== 'ended') channel.deliverFrame({ type: 'dtmf', digit: e.digit, durationMs: Math.round(e.durationMs) });
      },
      ...(audio === undefined ? {} : { direction: audio.localDirection as RtpDirection, remote: remoteOf(audio) }),
    });
    if (leg.state === 'ended' || channel.destroyed) {
      await rtp.close();
      return;
    }
    leg.rtp = rtp;
    leg.telephoneEvent = audio?.telephoneEvent !== undefined;
    if (endpoint.dtmfMode === 'inband' || audio !== undefined) this.#detectInband(leg);
  }

  /** Listens for in-band digits once the negotiation says they come in the audio (never turned off again). */
  #detectInband(leg: SipLeg): void {
    if (leg.inbandDetect === true || !inbandDtmf(leg) || leg.state === 'ended') return;
    leg.inbandDetect = true;
    this.#options.setInbandDtmf?.(leg.channel.id, true);
  }

  /** Our offer for the leg's endpoint (outbound INVITE, or the 200 to a bodiless INVITE). */
  #offer(leg: SipLeg): SdpSession {
    const endpoint = leg.endpoint;
    return buildOffer({
      codecs: endpoint.codecs.map((c) => c.name),
      telephoneEvent: usesRfc4733(endpoint),
      address: leg.mediaAddress,
      port: leg.rtp?.localPort ?? 9,
      origin: newOrigin(leg.mediaAddress, Math.random, endpoint.sdpOwner || '-'),
      sessionName: endpoint.sdpSession || 'Asterisk',
    });
  }

  /** Applies a negotiation to the RTP session; reports the peer's hold and unhold. */
  #applyAudio(leg: SipLeg, audio: NegotiatedAudio): void {
    const rtp = leg.rtp;
    if (rtp !== undefined) {
      rtp.setRemote(remoteOf(audio));
      rtp.setCodec(rtpCodec(audio));
      rtp.setTelephoneEvent(audio.telephoneEvent?.pt);
      rtp.setDirection(audio.localDirection);
    }
    leg.telephoneEvent = audio.telephoneEvent !== undefined;
    if (rtp !== undefined) this.#detectInband(leg);
    if (audio.remoteHold !== leg.remoteHold) {
      leg.remoteHold = audio.remoteHold;
      if (leg.state !== 'ended') leg.channel.deliverFrame(audio.remoteHold ? { type: 'hold' } : { type: 'unhold' });
    }
  }

  /** Frees the leg's dialog, RTP session and timers (the media session goes with the channel). */
  #release(leg: SipLeg): void {
    leg.reliable?.stop();
    leg.sessionTimer?.stop();
    if (leg.retransmit !== undefined) clearTimeout(leg.retransmit);
    leg.retransmit = undefined;
    if (leg.dialog !== undefined && leg.state === 'ended' && leg.channel.destroyed) this.#stack.detachDialog(leg.dialog);
    if (leg.rtp !== undefined && leg.channel.destroyed) {
      const rtp = leg.rtp;
      leg.rtp = undefined;
      void rtp.close().catch(() => undefined);
    } else if (leg.rtp !== undefined) {
      leg.rtp.setDirection('inactive');
    }
  }

  #track(leg: SipLeg): void {
    leg.channel.attachments.set(LEG, leg);
    this.#legs.add(leg);
    let set = this.#legsByEndpoint.get(leg.endpoint.id);
    if (!set) this.#legsByEndpoint.set(leg.endpoint.id, (set = new Set()));
    set.add(leg);
  }

  #untrack(leg: SipLeg): void {
    this.#legs.delete(leg);
    const set = this.#legsByEndpoint.get(leg.endpoint.id);
    if (set?.delete(leg) && set.size === 0) this.#legsByEndpoint.delete(leg.endpoint.id);
  }

  /** The live channels of an endpoint's calls. */
  channelsOf(endpointId: string): Channel[] {
    const set = this.#legsByEndpoint.get(endpointId);
    return set === undefined ? [] : [...set].map((l) => l.channel);
  }

  /** Runs a handler; a failure is logged rather than thrown into the stack's receive loop. */
  #guard(fn: () => void | Promise<void>): void {
    try {
      const r = fn();
      if (r instanceof Promise) r.catch((e: unknown) => this.#log.error(`PJSIP: ${(e as Error)?.stack ?? String(e)}`));
    } catch (e) {
      this.#log.error(`PJSIP: ${(e as Error)?.stack ?? String(e)}`);
    }
  }
}

function legOf(channel: Channel): SipLeg | undefined {
  return channel.attachments.get(LEG) as SipLeg | undefined;
}

function newLeg(channel: Channel, endpoint: PjsipEndpoint, direction: 'in' | 'out', mediaAddress: string): SipLeg {
  return {
    channel, endpoint, direction, state: 'early', dialog: undefined, rtp: undefined, localSdp: undefined, mediaAddress,
    remoteHold: false, telephoneEvent: false, offer: undefined, inviteTx: undefined, retransmit: undefined, target: undefined,
    invite: undefined, provisional: false, cancelPending: false,
  };
}

/** The `tag` parameter of a From or To header value; undefined when absent or unreadable. */
function tagOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return paramValue(parseNameAddr(value).params, 'tag');
  } catch {
    return undefined;
  }
}

/**
 * The early dialog of a call we place that is still ringing (no Dialog object until the 2xx): its Call-ID, our
 * From tag and the callee's tag from a provisional response, or undefined before a tagged provisional came.
 */
function earlyDialog(leg: SipLeg): { readonly callId: string; readonly localTag: string; readonly remoteTag: string } | undefined {
  if (leg.direction !== 'out' || leg.state !== 'early' || leg.earlyTag === undefined || leg.invite === undefined) return undefined;
  const callId = leg.invite.headers.get('Call-ID');
  const localTag = tagOf(leg.invite.headers.get('From'));
  return callId === undefined || localTag === undefined ? undefined : { callId, localTag, remoteTag: leg.earlyTag };
}

/** Read through a call so TypeScript does not keep a narrowing from before an `await`. */
function isEnded(leg: SipLeg): boolean {
  return leg.state === 'ended';
}

/** The RTP codec to start with before any negotiation: the endpoint's first G.711. */
function firstCodec(endpoint: PjsipEndpoint): RtpCodecChoice | undefined {
  const first = endpoint.codecs.find((c) => c.name === 'ulaw' || c.name === 'alaw');
  if (first === undefined) return undefined;
  return first.name === 'ulaw' ? { name: 'PCMU', payloadType: 0 } : { name: 'PCMA', payloadType: 8 };
}

/** The endpoint's pjsip.conf session timer options. */
function timerConfig(endpoint: PjsipEndpoint): SessionTimerConfig {
  return { mode: endpoint.timers, minSe: endpoint.timersMinSe, sessionExpires: endpoint.timersSessExpires };
}

function allowsUpdate(message: SipRequest | SipResponse): boolean {
  return message.headers.values('Allow').some((v) => v.split(',').some((m) => m.trim().toUpperCase() === 'UPDATE'));
}

/**
 * Digits travel as tones in the audio: `dtmf_mode=inband`, or `auto` when the negotiation has no telephone-event
 * (chan_pjsip then leaves in-band DTMF to the core).
 */
function inbandDtmf(leg: SipLeg): boolean {
  const mode = leg.endpoint.dtmfMode;
  return mode === 'inband' || (mode === 'auto' && !leg.telephoneEvent);
}

function usesRfc4733(endpoint: PjsipEndpoint): boolean {
  return endpoint.dtmfMode === 'rfc4733' || endpoint.dtmfMode === 'auto' || endpoint.dtmfMode === 'auto_info';
}

function rtpCodec(audio: NegotiatedAudio): RtpCodecChoice {
  return { name: audio.codec.name === 'alaw' ? 'PCMA' : 'PCMU', payloadType: audio.codec.pt };
}

function remoteOf(audio: NegotiatedAudio): { address: string; port: number; rtcpAddress: string; rtcpPort: number } {
  return { address: audio.remoteAddress, port: audio.remotePort, rtcpAddress: audio.remoteRtcpAddress, rtcpPort: audio.remoteRtcpPort };
}
