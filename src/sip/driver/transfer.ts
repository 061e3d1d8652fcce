/**
 * Transfers by SIP REFER inside a call (RFC 3515, blind and attended) and INVITE with Replaces (RFC 3891), after
 * Asterisk's res_pjsip_refer. The phone that sends the REFER is the transferer; the channel bridged with it is
 * the transferee.
 *
 * The REFER needs a Refer-To (400 without one; 603 for a call not answered yet, from the driver). It is
 * accepted with 202 and the transfer's progress follows in NOTIFYs carrying a sipfrag status line (`SIP/2.0 100
 * Trying` while active, a final status when the subscription ends):
 *
 * - **ari-only** handling (`Set(PJSIP_TRANSFER_HANDLING()=ari-only)`, or the same through ARI's channel variable
 *   call): nothing moves by itself. The applications watching the transferer hear ChannelTransfer (the Refer-To
 *   user as `destination`; for an attended transfer the Call-ID of `Replaces` as `protocol_id` with its tags as
 *   parameters), and `POST /channels/{id}/transfer_progress` drives the NOTIFYs: channel_progress → 100
 *   (active), channel_answered → 200, channel_unavailable → 503, channel_declined → 603 (terminated). Each
 *   report is announced again as ChannelTransfer with its `state`.
 * - **core** handling (the default), as Asterisk's bridge transfers:
 *   - blind: the Refer-To user is an extension in the transferer's `TRANSFER_CONTEXT` or its endpoint's context
 *     (`s` when empty) — NOTIFY 404 when it does not exist. The transferee, the single other member of the
 *     transferer's bridge (a peer inside `Dial()`, a channel in a Stasis application, a Local channel), is sent
 *     there whatever it was doing (core/async-goto.ts) with BLINDTRANSFER set; the transferer leaves the bridge
 *     (inside Dial() that ends its call, so it is hung up; in a Stasis application it stays there and the phone's
 *     BYE follows). BridgeBlindTransfer is published and NOTIFY 200 ends the subscription; 503 when there is no
 *     single peer to transfer.
 *   - attended: the Refer-To's Replaces names another call of ours (the consultation call, by Call-ID and tags).
 *     The party of that call is moved into the bridge of the transferee, both of the transferer's calls are hung
 *     up, BridgeAttendedTransfer (destination_type `bridge`) is published and NOTIFY 200 sent. A Replaces naming
 *     no call of ours is NOTIFY 404 (Asterisk would send it to an `external_replaces` extension; not done), a
 *     call without a bridged peer on either side 503.
 *
 * An INVITE whose Replaces header names one of our calls (RFC 3891, `replacesTarget` for the checks: 481 for
 * no such call or an early call we did not place, 486 for `early-only` on an answered one) is answered, and its
 * channel takes the replaced channel's place in its bridge; the replaced channel is hung up (cause 16). A
 * replaced channel that is not bridged hands its dialplan location over: the new channel runs from there.
 */

import { asyncGoto, dissolveOnHangup } from '../../core/async-goto.ts';
import type { Bridge } from '../../core/bridge.ts';
import type { Channel } from '../../core/channel.ts';
import type { Core } from '../../core/core.ts';
import { CAUSE } from '../../core/causes.ts';
import type { Logger } from '../../shared/logger.ts';
import { parseNameAddr } from '../message/fields.ts';
import { createResponse } from '../message/helpers.ts';
import type { SipRequest } from '../message/message.ts';
import { isSipUri } from '../message/uri.ts';
import type { ServerTransaction } from '../transaction/server.ts';

const HANDLING = 'pjsip.transfer-handling';
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
    tx.respond(createResponse(req, 202));
    const refuse = req.headers.get('Refer-Sub')?.trim().toLowerCase() === 'false';
    const send: ReferNotify = refuse ? () => undefined : notify;
    send(100, 'Trying', false);
    const peer = this.#peer(channel);

    if (channel.attachments.get(HANDLING) === true) {
      const pending: PendingTransfer = { notify: send, destination: exten, ...replacesOf(replacesRaw) };
      channel.attachments.set(PENDING, pending);
      this.#announce(channel, pending, undefined, peer);
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
    const blind = (result: string, transferee?: Channel) =>
      this.#core.bus.publish({
        type: 'BridgeBlindTransfer',
        timestamp: this.#core.now(),
        channel: channel.snapshot(),
        ...(transferee === undefined ? {} : { transferee: transferee.snapshot() }),
        ...(bridge === undefined ? {} : { bridge: bridge.snapshot() }),
        exten,
        context,
        result,
        isExternal: true,
      });
    if (peer === undefined) {
      this.#log.notice(`${channel.name}: blind transfer to '${exten}@${context}' needs a single bridged peer`);
      if (bridge !== undefined) blind('Invalid');
      send(503, 'Service Unavailable', true);
      return;
    }
    const transferee = peer.channel;
    this.#log.verbose(3, `${channel.name}: blind transfer of ${transferee.name} to '${exten}@${context}'`);
    transferee.setVariable('BLINDTRANSFER', channel.name);
    if (!asyncGoto(this.#core, transferee, { context, exten, priority: 1 })) {
      blind('Fail', transferee);
      send(503, 'Service Unavailable', true);
      return;
    }
    peer.bridge.remove(channel);
    blind('Success', transferee);
    send(200, 'OK', true);
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
    const bridge = replaced.bridgeId === undefined ? undefined : this.#core.bridges.get(replaced.bridgeId);
    this.#log.verbose(3, `${channel.name}: INVITE with Replaces takes the place of ${replaced.name}`);
    if (bridge !== undefined) {
      dissolveOnHangup(this.#core, bridge);
      bridge.add(channel, bridge.memberOptions(replaced.id) ?? {});
      bridge.remove(replaced);
    } else {
      const loc = replaced.location;
      channel.setLocation({ context: loc.context, exten: loc.exten, priority: loc.priority });
      queueMicrotask(() => void this.#core.pbx.run(channel));
    }
    replaced.requestHangup({ cause: CAUSE.NORMAL_CLEARING, soft: false });
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
 * place; 486 when `early-only` names an answered call.
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
  // Replacing a call still ringing out (call pickup) would need the new call to answer for it: not done.
  if (found.early) return 481;
  return found.channel;
}
