/**
 * Blind transfer by SIP REFER inside a call (RFC 3515), after Asterisk's res_pjsip_refer. The phone that sends
 * the REFER is the transferer; the channel bridged with it is the transferee.
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
 * - **core** handling (the default): the Refer-To user is an extension in the transferer's `TRANSFER_CONTEXT`
 *   or its endpoint's context (`s` when empty) — NOTIFY 404 when it does not exist. The transferee, when it is
 *   the single other member of the transferer's bridge and is controlled by a Stasis application, leaves the
 *   application and continues at that extension (NOTIFY 200). Anything else (an attended transfer, a peer
 *   inside `Dial()`) is refused with NOTIFY 503: the dialplan engine cannot yet move a channel that runs an
 *   application elsewhere.
 */

import type { Bridge } from '../../core/bridge.ts';
import type { Channel } from '../../core/channel.ts';
import type { Core } from '../../core/core.ts';
import type { Logger } from '../../shared/logger.ts';
import { stasisControl } from '../../stasis/stasis.ts';
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
}

export class SipTransfers {
  readonly #core: Core;
  readonly #log: Logger;
  readonly #contextOf: (channel: Channel) => string;

  constructor(options: SipTransfersOptions) {
    this.#core = options.core;
    this.#log = options.logger;
    this.#contextOf = options.contextOf;
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
      this.#log.notice(`${channel.name}: attended transfer by REFER with Replaces is not supported without ari-only transfer handling`);
      send(503, 'Service Unavailable', true);
      return;
    }
    const context = channel.getVariable('TRANSFER_CONTEXT') || this.#contextOf(channel);
    if (!this.#core.pbx.exists(context, exten, 1)) {
      this.#log.error(`Channel '${channel.name}' attempted blind transfer to '${exten}@${context}' but target does not exist`);
      send(404, 'Not Found', true);
      return;
    }
    const control = peer === undefined ? undefined : stasisControl(peer.channel);
    if (peer === undefined || control === undefined) {
      this.#log.notice(`${channel.name}: blind transfer to '${exten}@${context}' needs a bridged peer in a Stasis application`);
      send(503, 'Service Unavailable', true);
      return;
    }
    this.#log.verbose(3, `${channel.name}: blind transfer of ${peer.channel.name} to '${exten}@${context}'`);
    peer.bridge.remove(peer.channel);
    control.continueInDialplan({ context, exten, priority: 1 });
    send(200, 'OK', true);
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
