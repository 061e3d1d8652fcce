/**
 * Moving a channel elsewhere in the dialplan whatever it is doing — Asterisk's ast_async_goto, the seam under
 * ChannelRedirect(), blind and attended transfers and INVITE with Replaces.
 *
 * The channel's hangup signal is aborted without a hangup being requested (`Channel.interruptForGoto`), so the
 * application it runs (Dial, Playback, Wait, Stasis...) returns as it would on a hangup. Whoever runs the
 * channel then takes the goto instead of hanging the channel up:
 * - the PBX loop (dialplan/engine.ts) continues at the target;
 * - an originated channel running one application (originate.ts) starts a PBX at the target;
 * - a callee leg inside Dial() (which has no PBX of its own) is handed a new PBX by Dial (`runAfterGoto`).
 * A bridged channel leaves its bridge first; a channel in a Stasis application leaves it through Stasis's own
 * exit (ChannelLeftBridge, then StasisEnd), so its bridge is left to Stasis.
 *
 * `dissolveOnHangup` gives a bridge the life Asterisk's basic bridges have once their Dial() owners are gone (a
 * transfer joined two parties that nobody runs): when a member hangs up, the members that have no PBX of their
 * own are hung up and the bridge ends. `setReplacing` marks a channel that stands in for another (the Local half
 * a blind transfer swaps into a Stasis bridge), which StasisStart reports as `replace_channel`.
 */

import type { Bridge } from './bridge.ts';
import type { Channel, ChannelSnapshot } from './channel.ts';
import type { Core } from './core.ts';
import { CAUSE } from './causes.ts';

const PBX = 'core.pbx';
const REPLACING = 'core.replacing';
/** Bridges already watched by `dissolveOnHangup`. */
const dissolving = new WeakSet<Bridge>();

export interface GotoLocation {
  readonly context: string;
  readonly exten: string;
  readonly priority: number;
}

/** Marks a channel as running (or no longer running) a PBX of its own; the dialplan engine keeps this. */
export function markPbx(channel: Channel, running: boolean): void {
  if (running) channel.attachments.set(PBX, ((channel.attachments.get(PBX) as number | undefined) ?? 0) + 1);
  else {
    const n = ((channel.attachments.get(PBX) as number | undefined) ?? 1) - 1;
    if (n <= 0) channel.attachments.delete(PBX);
    else channel.attachments.set(PBX, n);
  }
}

/** Whether a PBX runs the channel (it continues in the dialplan by itself after a goto or a lost peer). */
export function hasPbx(channel: Channel): boolean {
  return channel.attachments.has(PBX);
}

/**
 * Sends `channel` to `target` whatever it is doing (see the file header). False when the channel is gone or
 * going (hangup requested).
 */
export function asyncGoto(core: Core, channel: Channel, target: GotoLocation): boolean {
  if (!channel.interruptForGoto(target)) return false;
  const bridge = channel.bridgeId === undefined ? undefined : core.bridges.get(channel.bridgeId);
  if (bridge !== undefined && channel.stasisApp === undefined) bridge.remove(channel);
  return true;
}

/**
 * Takes a pending goto on a channel that has no PBX (a callee leg, an originated channel) and starts one at
 * the target. False when there is no goto to take (the caller then hangs the channel up as before).
 */
export function runAfterGoto(core: Core, channel: Channel): boolean {
  const target = channel.takeGoto();
  if (target === undefined) return false;
  channel.setLocation(target);
  void core.pbx.run(channel);
  return true;
}

/**
 * Keeps `bridge` together until a member hangs up, then hangs up the members without a PBX and destroys the
 * bridge once nobody is left in it (members with a PBX carry on in their dialplan by themselves).
 */
export function dissolveOnHangup(core: Core, bridge: Bridge): void {
  if (dissolving.has(bridge) || bridge.destroyed) return;
  dissolving.add(bridge);
  const off = core.bus.subscribe((m) => {
    if (m.type === 'BridgeDestroyed' && m.bridge.id === bridge.id) {
      off();
      return;
    }
    if (m.type !== 'ChannelHangupRequest' && m.type !== 'ChannelLeftBridge') return;
    if (m.type === 'ChannelHangupRequest' && m.channel.bridgeId !== bridge.id) return;
    if (m.type === 'ChannelLeftBridge' && m.bridge.id !== bridge.id) return;
    queueMicrotask(() => settle(core, bridge, m.channel.id));
  });
}

/**
 * A member went (hung up or moved on). A member hanging up that nobody runs is hung up here; when fewer than
 * two parties are left talking, the members nobody runs follow, and the bridge ends once it is empty (a member
 * with a PBX or in a Stasis application goes on by itself).
 */
function settle(core: Core, bridge: Bridge, goneId: string): void {
  if (bridge.destroyed) return;
  const gone = core.channels.get(goneId);
  if (gone !== undefined && bridge.has(goneId) && !gone.hangupRequested && !gone.destroyed) return;
  const cause = gone?.hangupCause || CAUSE.NORMAL_CLEARING;
  if (gone !== undefined && gone.hangupRequested && !gone.destroyed && ownerless(gone)) gone.hangup(cause);
  const staying = bridge.members().filter((c) => c.id !== goneId && !c.hangupRequested && !c.destroyed);
  if (staying.length < 2) for (const c of staying) if (ownerless(c)) c.hangup(cause);
  // An application's bridge (class stasis) is the application's to destroy.
  if (!bridge.destroyed && bridge.members().length === 0 && bridge.bridgeClass !== 'stasis') bridge.destroy();
}

/** Nobody else will hang this channel up: no PBX runs it and it is in no Stasis application. */
export function ownerless(channel: Channel): boolean {
  return !hasPbx(channel) && channel.stasisApp === undefined;
}

/**
 * Records that `channel` stands in for another (a blind transfer's Local half taking the transferer's place in
 * a Stasis bridge): the StasisStart it gets next names that channel as `replace_channel`, once.
 */
export function setReplacing(channel: Channel, replaced: ChannelSnapshot): void {
  channel.attachments.set(REPLACING, replaced);
}

/** The channel `channel` stands in for, taken (see `setReplacing`). */
export function takeReplacing(channel: Channel): ChannelSnapshot | undefined {
  const snap = channel.attachments.get(REPLACING) as ChannelSnapshot | undefined;
  channel.attachments.delete(REPLACING);
  return snap;
}
