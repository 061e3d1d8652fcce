/**
 * Transfers by SIP REFER inside a call (RFC 3515, blind and attended) and INVITE with Replaces (RFC 3891), after
 * Asterisk's res_pjsip_refer. The phone that sends the REFER is the transferer; the channel bridged with it is
 * the transferee.
 *
 * The REFER needs a Refer-To (400 without one; 603 for a call not answered yet, from the driver). It is
 * accepted with 202 and the transfer's progress follows in NOTIFYs carrying a sipfrag status line (`SIP/2.0 100
 * Trying` while active, a final status when the subscription ends; with `Refer-Sub: false` no 202 and no
 * NOTIFY: the REFER's own final response carries the outcome, see `#answerRefer`):
 *
 * - **ari-only** handling (`Set(PJSIP_TRANSFER_HANDLING()=ari-only)`, or the same through ARI's channel variable
 *   call): nothing moves by itself. The applications watching the transferer hear ChannelTransfer (the Refer-To
 *   user as `destination`; for an attended transfer the Call-ID of `Replaces` as `protocol_id` with its tags as
 *   parameters), and `POST /channels/{id}/transfer_progress` drives the NOTIFYs: channel_progress → 100
 *   (active), channel_answered → 200, channel_unavailable → 503, channel_declined → 603 (terminated). Each
 *   report is announced again as ChannelTransfer with its `state`.
 * - **core** handling (the default), as Asterisk's bridge transfers:
 *   - blind: the Refer-To user is an extension in the transferer's `TRANSFER_CONTEXT` or its endpoint's context
 *     (`s` when empty) — NOTIFY 404 when it does not exist. BLINDTRANSFER is set on the bridge's members. In a
 *     two-party bridge that is not a Stasis one, the transferee, the other member (a peer inside `Dial()`, a
 *     Local channel), is sent there whatever it was doing (core/async-goto.ts); the transferer leaves the bridge
 *     (inside Dial() that ends its call, so it is hung up). A bridge of three or more, or a Stasis bridge (which
 *     only transfers as a whole), keeps its parties: a Local pair is made, `;2` runs the extension and `;1` takes
 *     the transferer's place (in a Stasis bridge after entering the application with StasisStart naming the
 *     transferer as `replace_channel`); BridgeBlindTransfer names `;1` as `replace_channel`. A transferer in a
 *     Stasis application stays there once out of the bridge (the phone's BYE follows); another is hung up.
 *     BridgeBlindTransfer is published and NOTIFY 200 ends the subscription; 503 when there is nobody to
 *     transfer.
 *   - attended: the Refer-To's Replaces names another call of ours (the consultation call, by Call-ID and tags).
 *     The party of that call is moved into the bridge of the transferee, both of the transferer's calls are hung
 *     up, BridgeAttendedTransfer (destination_type `bridge`) is published and NOTIFY 200 sent. A Replaces naming
 *     no call of ours is NOTIFY 404 (Asterisk would send it to an `external_replaces` extension; not done), a
 *     call without a bridged peer on either side 503.
 *
 * An INVITE whose Replaces header names one of our calls (RFC 3891, `replacesTarget` for the checks: 481 for
 * no such call, an early call we did not place or one that is not a callee leg of Dial(), 486 for `early-only`
 * on an answered one) is answered, and its channel takes the replaced channel's place in its bridge; the
 * replaced channel is hung up (cause 16). A replaced channel that is not bridged hands its dialplan location
 * over: the new channel runs from there. Naming a callee leg of Dial() that still rings is a call pickup: the
 * new call is connected with Dial()'s caller in the leg's place, and the leg is cancelled (cause 26).
 */

import { asyncGoto, dissolveOnHangup, ownerless, setReplacing } from '../../core/async-goto.ts';
import type { Bridge } from '../../core/bridge.ts';
import type { Channel, ChannelSnapshot } from '../../core/channel.ts';
import type { Core } from '../../core/core.ts';
import { CAUSE } from '../../core/causes.ts';
import { runApplication } from '../../core/originate.ts';
import type { Logger } from '../../shared/logger.ts';
import { parseNameAddr } from '../message/fields.ts';
import { createResponse } from '../message/helpers.ts';
import type { SipRequest } from '../message/message.ts';
import { isSipUri } from '../message/uri.ts';
import type { ServerTransaction } from '../transaction/server.ts';

const HANDLING = 'pjsip.transfer-handling';
/** How long a picked-up ringing leg may take to reach its Dial()'s bridge. */
const PICKUP_WAIT_MS = 5000;
const PENDING = 'pjsip.transfer-pending';

/** Sends a NOTIFY with a sipfrag status; `final` ends the implicit subscription. */
export type ReferNotify = (status: number, reason: string, final: boolean) => void;

export type TransferState = 'channel_progress' | 'channel_answered' | 'channel_unavailable' | 'channel_declined';

const STATE_NOTIFY: Readonly<Record<TransferState, readonly [number, string, boolean]>> = {
  channel_progress: [100, 'Trying', false],
  channel_answered: [200, 'OK', true],
  channel_unavailable: [503, 'Service Unavailable', true],
  channel_declined: [603, 'Declined', true],
};

/** An ARI-handled transfer waiting for the application's progress reports. */
interface PendingTransfer {
  readonly notify: ReferNotify;
  readonly destination: string;
  readonly protocolId: string | undefined;
  readonly params: ReadonlyArray<{ name: string; value: string }>;
}

/** Publishes BridgeBlindTransfer with a result and what is known of the parties. */
type BlindPublish = (result: string, more?: { readonly transferee?: Channel; readonly replaceChannel?: ChannelSnapshot }) => void;

/** The transferee: the other member of the transferer's bridge. */
interface BridgePeer {
  readonly channel: Channel;
  readonly bridge: Bridge;
}

export interface SipTransfersOptions {
  readonly core: Core;
  readonly logger: Logger;
  /** The endpoint context of a PJSIP channel (the default transfer context). */
  readonly contextOf: (channel: Channel) => string;
  /** The call of ours with this Call-ID and tags (PjsipDriver.dialogChannel), for attended transfers. */
  readonly dialogChannel: (callId: string, tagA: string | undefined, tagB: string | undefined) => { readonly channel: Channel } | undefined;
}

export class SipTransfers {
  readonly #core: Core;
  readonly #log: Logger;
  readonly #contextOf: (channel: Channel) => string;
  readonly #dialogChannel: SipTransfersOptions['dialogChannel'];

  constructor(options: SipTransfersOptions) {
    this.#core = options.core;
    this.#log = options.logger;
    this.#contextOf = options.contextOf;
    this.#dialogChannel = options.dialogChannel;
  }

  /** `PJSIP_TRANSFER_HANDLING()`: `core` (or empty) or `ari-only`; false for another value. */
  setHandling(channel: Channel, value: string): boolean {
    if (value === '' || value === 'core') channel.attachments.delete(HANDLING);
    else if (value === 'ari-only') channel.attachments.set(HANDLING, true);
    else return false;
    return true;
  }

  /**
   * Accepts a REFER and returns how its progress is reported. Normally 202 (echoing `Refer-Sub: true` when
   * asked) and NOTIFYs through `notify`. With `Refer-Sub: false` (RFC 4488; Asterisk takes any value not
   * starting with `true` as a refusal) there is no implicit subscription: as res_pjsip_refer does, the REFER is
   * left unanswered until the transfer's outcome is known and then gets that outcome as its final response
   * (200 on success, 404, 503... otherwise) with `Refer-Sub: false`; no NOTIFY is sent.
   */
  #answerRefer(req: SipRequest, tx: ServerTransaction, notify: ReferNotify): ReferNotify {
    if (!noReferSub(req)) {
      tx.respond(createResponse(req, 202, req.headers.has('Refer-Sub') ? { headers: [['Refer-Sub', 'true']] } : {}));
      return notify;
    }
    let answered = false;
    return (status, reason, final) => {
      if (!final || answered) return;
      answered = true;
      tx.respond(createResponse(req, status, { reason, headers: [['Refer-Sub', 'false']] }));
    };
  }

  /** A REFER in the dialog of `channel` (answered). Answers `tx`; progress goes through `notify`. */
  refer(channel: Channel, req: SipRequest, tx: ServerTransaction, notify: ReferNotify): void {
    const referTo = req.headers.get('Refer-To');
    let target;
    try {
      target = referTo === undefined ? undefined : parseNameAddr(referTo).uri;
    } catch {
      target = undefined;
    }
    if (target === undefined || !isSipUri(target)) {
      tx.respond(createResponse(req, 400));
      return;
    }
    // Replaces rides as a URI header (`?Replaces=callid%3Bto-tag%3D..%3Bfrom-tag%3D..`), or as a parameter.
    const replacesRaw = target.headers.find(([k]) => k.toLowerCase() === 'replaces')?.[1] ?? (target.params.get('replaces') ?? undefined);
    const exten = decodeURIComponent((target.user ?? '').split(';')[0] ?? '') || 's';
    const send = this.#answerRefer(req, tx, notify);
    send(100, 'Trying', false);
    const peer = this.#peer(channel);

    if (channel.attachments.get(HANDLING) === true) {
      const pending: PendingTransfer = { notify: send, destination: exten, ...replacesOf(replacesRaw) };
      channel.attachments.set(PENDING, pending);
      this.#announce(channel, pending, undefined, peer);
      // Handed to the application: that is the outcome a REFER without subscription is answered with (200).
      if (noReferSub(req)) send(200, 'OK', true);
      return;
    }
    if (replacesRaw !== undefined) {
      this.#attended(channel, replacesOf(replacesRaw), peer, send);
      return;
    }
    const context = channel.getVariable('TRANSFER_CONTEXT') || this.#contextOf(channel);
    if (!this.#core.pbx.exists(context, exten, 1)) {
      this.#log.error(`Channel '${channel.name}' attempted blind transfer to '${exten}@${context}' but target does not exist`);
      send(404, 'Not Found', true);
      return;
    }
    const bridge = peer?.bridge ?? (channel.bridgeId === undefined ? undefined : this.#core.bridges.get(channel.bridgeId));
    // The transfer's record is made up front, as Asterisk's is: the transferer and its bridge before anything moves.
    const transfererBefore = channel.snapshot();
    const bridgeBefore = bridge?.snapshot();
    const blind: BlindPublish = (result, more = {}) =>
      this.#core.bus.publish({
        type: 'BridgeBlindTransfer',
        timestamp: this.#core.now(),
        channel: transfererBefore,
        ...(more.transferee === undefined ? {} : { transferee: more.transferee.snapshot() }),
        ...(more.replaceChannel === undefined ? {} : { replaceChannel: more.replaceChannel }),
        ...(bridgeBefore === undefined ? {} : { bridge: bridgeBefore }),
        exten,
        context,
        result,
        isExternal: true,
      });
    const others = bridge?.members().filter((c) => c !== channel) ?? [];
    // As ast_bridge_transfer_blind: a bridge of three or more, or one that only transfers as a whole (Stasis),
    // keeps its parties together and gets a Local channel in the transferer's place.
    if (bridge !== undefined && (others.length > 1 || (others.length === 1 && bridge.optimization.transferBridgeOnly))) {
      this.#swapInLocal(channel, bridge, peer?.channel, { exten, context }, blind, send);
      return;
    }
    if (peer === undefined) {
      this.#log.notice(`${channel.name}: blind transfer to '${exten}@${context}' needs a bridged peer`);
      if (bridge !== undefined) blind('Invalid');
      send(503, 'Service Unavailable', true);
      return;
    }
    const transferee = peer.channel;
    this.#log.verbose(3, `${channel.name}: blind transfer of ${transferee.name} to '${exten}@${context}'`);
    setTransferVariables(channel, peer.bridge.members(), 'BLINDTRANSFER');
    transferee.setVariable('SIPTRANSFER', 'yes');
    if (!asyncGoto(this.#core, transferee, { context, exten, priority: 1 })) {
      blind('Fail', { transferee });
      send(503, 'Service Unavailable', true);
      return;
    }
    peer.bridge.remove(channel);
    blind('Success', { transferee });
    send(200, 'OK', true);
  }

  /**
   * Asterisk's blind_transfer_bridge: a Local pair `exten@context` is made; `;2` runs the extension, `;1` takes
   * the transferer's place in its bridge so the parties there stay together and hear the target. In a Stasis
   * bridge `;1` first enters the transferer's application (StasisStart naming the transferer as
   * `replace_channel`), as res_stasis's bridge does with a channel pushed into it. The transferer leaves the
   * bridge: in an application it stays there (the phone's BYE follows), otherwise it is hung up.
   */
  #swapInLocal(
    transferer: Channel,
    bridge: Bridge,
    transferee: Channel | undefined,
    target: { readonly exten: string; readonly context: string },
    blind: BlindPublish,
    send: ReferNotify,
  ): void {
    const { exten, context } = target;
    const fail = (why: string, local?: Channel) => {
      this.#log.warning(`${transferer.name}: blind transfer of its bridge to '${exten}@${context}' failed: ${why}`);
      if (local !== undefined && !local.destroyed) local.hangup(CAUSE.FAILURE);
      blind('Fail', transferee === undefined ? {} : { transferee });
      send(503, 'Service Unavailable', true);
    };
    setTransferVariables(transferer, bridge.members(), 'BLINDTRANSFER');
    let local: Channel;
    try {
      local = this.#core.channels.request(`Local/${exten}@${context}`, {
        requestor: transferer,
        language: transferer.language,
        ...(transferer.accountcode ? { accountcode: transferer.accountcode } : {}),
      });
    } catch (e) {
      fail((e as Error).message);
      return;
    }
    const replaceChannel = local.snapshot();
    local.setVariable('BLINDTRANSFER', transferer.name);
    local.setVariable('SIPTRANSFER', 'yes');
    // Nobody dials `;1`: it follows what its `;2` does itself, as a Local owner reading those frames would.
    const off = local.onFrame((f) => {
      if (f.type === 'answer') local.setState('Up');
      else if (f.type === 'ringing' && local.state !== 'Up') local.setState('Ringing');
      else if (f.type === 'hangup') off();
    });
    try {
      local.driver.call(local, { timeoutMs: 0 });
    } catch (e) {
      off();
      fail((e as Error).message, local);
      return;
    }
    const app = bridge.bridgeClass === 'stasis' ? transferer.stasisApp : undefined;
    if (app !== undefined) {
      setReplacing(local, transferer.snapshot());
      void runApplication(this.#core, local, 'Stasis', app);
      if (local.stasisApp !== app) {
        fail(`application '${app}' did not take ${local.name}`, local);
        return;
      }
    }
    this.#log.verbose(3, `${transferer.name}: blind transfer of its bridge to '${exten}@${context}' through ${local.name}`);
    bridge.add(local);
    // Outside an application nobody runs `;1`: the bridge hangs it up when the call there is over.
    if (app === undefined) dissolveOnHangup(this.#core, bridge);
    bridge.remove(transferer);
    blind('Success', { ...(transferee === undefined ? {} : { transferee }), replaceChannel });
    send(200, 'OK', true);
    if (transferer.stasisApp === undefined) {
      transferer.requestHangup({ cause: CAUSE.NORMAL_CLEARING, soft: false });
      if (ownerless(transferer)) transferer.hangup();
    }
  }

  /**
   * REFER with Replaces: `channel` (first leg, with the transferee) and the call Replaces names (second leg,
   * with the target) are both the transferer's; the target joins the transferee's bridge and the two legs go.
   */
  #attended(first: Channel, replaces: ReturnType<typeof replacesOf>, firstPeer: BridgePeer | undefined, send: ReferNotify): void {
    const tags = replaces.params;
    const found = replaces.protocolId ? this.#dialogChannel(replaces.protocolId, tags.find((p) => p.name === 'to')?.value, tags.find((p) => p.name === 'from')?.value) : undefined;
    const second = found?.channel;
    if (second === undefined || second === first) {
      this.#log.error(`Received REFER for remote session on channel '${first.name}' but 'external_replaces' is not supported`);
      send(404, 'Not Found', true);
      return;
    }
    const secondPeer = this.#peer(second);
    const publish = (result: string, destinationBridge?: Bridge) =>
      this.#core.bus.publish({
        type: 'BridgeAttendedTransfer',
        timestamp: this.#core.now(),
        firstLeg: first.snapshot(),
        secondLeg: second.snapshot(),
        ...(firstPeer === undefined ? {} : { firstLegBridge: firstPeer.bridge.snapshot(), transferee: firstPeer.channel.snapshot() }),
        ...(secondPeer === undefined ? {} : { secondLegBridge: secondPeer.bridge.snapshot(), target: secondPeer.channel.snapshot() }),
        result,
        isExternal: true,
        destinationType: destinationBridge === undefined ? 'fail' : 'bridge',
        ...(destinationBridge === undefined ? {} : { destinationBridge: destinationBridge.id }),
      });
    if (firstPeer === undefined || secondPeer === undefined || firstPeer.bridge === secondPeer.bridge) {
      this.#log.notice(`${first.name}: attended transfer needs a bridged peer on both calls (${first.name}, ${second.name})`);
      publish('Fail');
      send(503, 'Service Unavailable', true);
      return;
    }
    const { bridge, channel: transferee } = firstPeer;
    const target = secondPeer.channel;
    this.#log.verbose(3, `${first.name}: attended transfer of ${transferee.name} to ${target.name} (replacing ${second.name})`);
    for (const c of [transferee, target]) c.setVariable('ATTENDEDTRANSFER', first.name);
    // The bridge outlives whoever placed its calls: it ends when one of the two parties hangs up.
    dissolveOnHangup(this.#core, bridge);
    bridge.add(target, secondPeer.bridge.memberOptions(target.id) ?? {});
    bridge.remove(first);
    secondPeer.bridge.remove(second);
    publish('Success', bridge);
    send(200, 'OK', true);
    for (const c of [first, second]) c.requestHangup({ cause: CAUSE.NORMAL_CLEARING, soft: false });
  }

  /**
   * INVITE with Replaces (already answered): `channel` stands in for `replaced` — in its bridge, or, when it
   * is not bridged, at its place in the dialplan — and `replaced` is hung up.
   */
  replace(channel: Channel, replaced: Channel): void {
    if (replaced.state !== 'Up') {
      this.#pickUp(channel, replaced);
      return;
    }
    const bridge = replaced.bridgeId === undefined ? undefined : this.#core.bridges.get(replaced.bridgeId);
    this.#log.verbose(3, `${channel.name}: INVITE with Replaces takes the place of ${replaced.name}`);
    if (bridge !== undefined) {
      this.#takePlace(channel, replaced, bridge, CAUSE.NORMAL_CLEARING);
      return;
    }
    const loc = replaced.location;
    channel.setLocation({ context: loc.context, exten: loc.exten, priority: loc.priority });
    queueMicrotask(() => void this.#core.pbx.run(channel));
    replaced.requestHangup({ cause: CAUSE.NORMAL_CLEARING, soft: false });
  }

  /**
   * Call pickup: `channel` (answered) replaces `ringing`, a callee leg of Dial() still ringing (replacesTarget).
   * Asterisk masquerades the new call into the ringing one; here the ringing leg is reported answered, so Dial()
   * connects its caller with it, and once it is in Dial's bridge `channel` takes its place there and the ringing
   * leg is cancelled (cause 26, answered elsewhere). If either goes before that, the other is hung up too.
   */
  #pickUp(channel: Channel, ringing: Channel): void {
    this.#log.verbose(3, `${channel.name}: INVITE with Replaces picks up ${ringing.name}, still ringing`);
    if (ringing.destroyed || ringing.hangupRequested) {
      // It stopped ringing while the new call's media was being set up.
      channel.hangup(CAUSE.NORMAL_CLEARING);
      return;
    }
    let settled = false;
    const settle = (then: () => void) => {
      if (settled) return;
      settled = true;
      off();
      clearTimeout(timer);
      // Not from inside the bus's delivery: the bridge that published is not done yet.
      queueMicrotask(then);
    };
    const abandon = () => {
      if (!ringing.destroyed) ringing.requestHangup({ cause: CAUSE.NORMAL_CLEARING, soft: false });
      if (!channel.destroyed) channel.hangup(CAUSE.NORMAL_CLEARING);
    };
    const off = this.#core.bus.subscribe((m) => {
      if (m.type === 'ChannelEnteredBridge' && m.channel.id === ringing.id) {
        settle(() => {
          const bridge = ringing.bridgeId === undefined ? undefined : this.#core.bridges.get(ringing.bridgeId);
          if (bridge === undefined || channel.hangupRequested || channel.destroyed) abandon();
          else this.#takePlace(channel, ringing, bridge, CAUSE.ANSWERED_ELSEWHERE);
        });
      } else if ((m.type === 'ChannelHangupRequest' || m.type === 'ChannelDestroyed') && (m.channel.id === ringing.id || m.channel.id === channel.id)) {
        settle(abandon);
      }
    });
    // Dial() bridges an answered leg at once; a leg that never gets there is not waited for.
    const timer = setTimeout(() => settle(abandon), PICKUP_WAIT_MS);
    timer.unref();
    ringing.deliverFrame({ type: 'answer' });
  }

  /** `channel` enters `bridge` with `replaced`'s options, `replaced` leaves it and is hung up with `cause`. */
  #takePlace(channel: Channel, replaced: Channel, bridge: Bridge, cause: number): void {
    dissolveOnHangup(this.#core, bridge);
    bridge.add(channel, bridge.memberOptions(replaced.id) ?? {});
    bridge.remove(replaced);
    replaced.requestHangup({ cause, soft: false });
  }

  /** `transfer_progress`: false when the channel has no ARI-handled transfer under way. */
  progress(channel: Channel, state: TransferState): boolean {
    const pending = channel.attachments.get(PENDING) as PendingTransfer | undefined;
    if (pending === undefined) return false;
    const [status, reason, final] = STATE_NOTIFY[state];
    if (final) channel.attachments.delete(PENDING);
    pending.notify(status, reason, final);
    this.#announce(channel, pending, state, this.#peer(channel));
    return true;
  }

  #announce(channel: Channel, t: PendingTransfer, state: TransferState | undefined, peer: BridgePeer | undefined): void {
    const bridgeId = channel.bridgeId;
    const bridge = bridgeId === undefined ? undefined : this.#core.bridges.get(bridgeId);
    this.#core.bus.publish({
      type: 'ChannelTransfer',
      timestamp: this.#core.now(),
      channel: channel.snapshot(),
      ...(state === undefined ? {} : { state }),
      destination: t.destination,
      ...(t.protocolId === undefined ? {} : { protocolId: t.protocolId }),
      params: t.params,
      ...(peer === undefined ? {} : { sourcePeer: peer.channel.snapshot() }),
      ...(bridge === undefined ? {} : { sourceBridge: bridge.snapshot() }),
    });
  }

  /** The one other member of the channel's bridge. */
  #peer(channel: Channel): BridgePeer | undefined {
    const bridgeId = channel.bridgeId;
    const bridge = bridgeId === undefined ? undefined : this.#core.bridges.get(bridgeId);
    const others = bridge?.members().filter((c) => c !== channel) ?? [];
    const other = others.length === 1 ? others[0] : undefined;
    return bridge === undefined || other === undefined ? undefined : { channel: other, bridge };
  }
}

/** The REFER asks for no implicit subscription (`Refer-Sub` present and not `true`). */
function noReferSub(req: SipRequest): boolean {
  const value = req.headers.get('Refer-Sub');
  return value !== undefined && !value.trim().toLowerCase().startsWith('true');
}

/**
 * BLINDTRANSFER or ATTENDEDTRANSFER on everyone in the transferer's bridge, as Asterisk's bridge transfers set
 * them: the others get the transferer's name, the transferer its own BRIDGEPEER; the other variable goes.
 */
function setTransferVariables(transferer: Channel, members: readonly Channel[], name: 'BLINDTRANSFER' | 'ATTENDEDTRANSFER'): void {
  const peers = transferer.getVariable('BRIDGEPEER') ?? '';
  const other = name === 'BLINDTRANSFER' ? 'ATTENDEDTRANSFER' : 'BLINDTRANSFER';
  for (const c of members) {
    c.setVariable(name, c === transferer ? peers : transferer.name);
    c.deleteVariable(other);
  }
}

/** The Call-ID and tags of a Refer-To's Replaces (`callid;to-tag=..;from-tag=..`, URI-escaped). */
function replacesOf(raw: string | undefined): { protocolId: string | undefined; params: Array<{ name: string; value: string }> } {
  if (raw === undefined) return { protocolId: undefined, params: [] };
  const [callId, ...rest] = decodeURIComponent(raw).split(';');
  const params: Array<{ name: string; value: string }> = [];
  const tag = (name: string) => rest.map((p) => p.trim().split('=')).find(([k]) => k?.toLowerCase() === name)?.[1];
  const from = tag('from-tag');
  const to = tag('to-tag');
  if (from !== undefined) params.push({ name: 'from', value: from });
  if (to !== undefined) params.push({ name: 'to', value: to });
  return { protocolId: callId?.trim(), params };
}

/**
 * What an INVITE's Replaces header (RFC 3891 §3) asks for: undefined without one, the channel to replace, or
 * the status to refuse with — 481 when no call of ours has that dialog, or it is an early call we did not
 * place or that no Dial() waits for; 486 when `early-only` names an answered call.
 */
export function replacesTarget(
  req: SipRequest,
  lookup: (callId: string, tagA: string | undefined, tagB: string | undefined) => { readonly channel: Channel; readonly early: boolean; readonly outbound: boolean } | undefined,
): Channel | number | undefined {
  const raw = req.headers.get('Replaces');
  if (raw === undefined) return undefined;
  const [callId = '', ...rest] = raw.split(';').map((p) => p.trim());
  const params = new Map(rest.map((p) => { const i = p.indexOf('='); return i < 0 ? [p.toLowerCase(), ''] : [p.slice(0, i).trim().toLowerCase(), p.slice(i + 1).trim()]; }));
  if (callId === '') return 400;
  const found = lookup(callId, params.get('to-tag'), params.get('from-tag'));
  if (found === undefined) return 481;
  if (found.early && !found.outbound) return 481;
  if (params.has('early-only') && !found.early) return 486;
  // A call we placed that still rings can be picked up (pjproject lets a UAC's early dialog be replaced) when it
  // is a callee leg of Dial(), whose caller the new call then joins; other ringing calls have no one to join.
  if (found.early && found.channel.location.appName !== 'AppDial') return 481;
  return found.channel;
}
