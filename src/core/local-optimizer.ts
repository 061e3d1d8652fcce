/**
 * Local channel optimisation, as Asterisk's bridge.c does it (ast_bridge_unreal_optimize_out →
 * try_swap_optimize_out): when both halves of a Local pair not made with `/n` sit in bridges and the bridges'
 * flags allow a swap, the party bridged with one half is moved into the other half's bridge in place of that
 * half, and the pair is hung up with cause 16 (normal clearing). Stasis (ARI) bridges inhibit swaps both ways
 * (res_stasis.c bridge_create_common), so only non-Stasis bridges — Dial()'s basic bridges — are optimised.
 *
 * Direction (bridges_allow_swap_optimization, all merge priorities equal): with `;1` as the writing side, when
 * `;1`'s bridge has exactly two members its other member moves into `;2`'s bridge; otherwise, when `;2`'s
 * bridge has two, `;2`'s partner moves into `;1`'s. Merge optimisation (bridges of more than two) is not done.
 *
 * Events seen: ChannelLeftBridge (mover, old bridge), ChannelEnteredBridge (mover, new bridge),
 * ChannelLeftBridge (swapped-out half), then the pair's hangup (ChannelHangupRequest, ChannelDestroyed cause 16).
 */

import type { Bridge, BridgeRegistry } from './bridge.ts';
import type { Channel } from './channel.ts';
import type { ChannelRegistry } from './channels.ts';
import { localNoOptimize, localPeer } from './local.ts';

const OPTIMIZED = 'local.optimized';

/** True for a Local half that was optimised away (its bridge partner was moved on, not left behind). */
export function localOptimizedAway(channel: Channel): boolean {
  return channel.attachments.get(OPTIMIZED) === true;
}

type Swap = 'toPeer' | 'toChan' | undefined;

function allowSwap(chan: Bridge, peer: Bridge): Swap {
  const c = chan.optimization;
  const p = peer.optimization;
  const cn = chan.members().length;
  const pn = peer.members().length;
  const cAny = c.swapInhibitFrom || c.swapInhibitTo || c.transferBridgeOnly;
  const pAny = p.swapInhibitFrom || p.swapInhibitTo || p.transferBridgeOnly;
  if (!cAny && !pAny) {
    if (cn === 2) return 'toPeer';
    if (pn === 2) return 'toChan';
  } else if (cn === 2 && !c.swapInhibitFrom && !c.transferBridgeOnly && !p.swapInhibitTo) {
    return 'toPeer';
  } else if (pn === 2 && !p.swapInhibitFrom && !p.transferBridgeOnly && !c.swapInhibitTo) {
    return 'toChan';
  }
  return undefined;
}

export class LocalOptimizer {
  readonly #channels: ChannelRegistry;
  readonly #bridges: BridgeRegistry;

  constructor(channels: ChannelRegistry, bridges: BridgeRegistry) {
    this.#channels = channels;
    this.#bridges = bridges;
    bridges.bus.subscribe((m) => {
      if (m.type !== 'ChannelEnteredBridge' || m.channel.tech !== 'Local') return;
      const id = m.channel.id;
      // Asterisk tries when a frame passes through a settled pair; here, once the current operation is over.
      setImmediate(() => this.tryOptimize(id));
    });
  }

  /** Tries to optimise the pair `channelId` belongs to; true when it was optimised away. */
  tryOptimize(channelId: string): boolean {
    const half = this.#channels.get(channelId);
    const other = half && localPeer(half);
    if (!half || !other || half.destroyed || other.destroyed || half.hangupRequested || other.hangupRequested) return false;
    if (localNoOptimize(half) || localOptimizedAway(half)) return false;
    // ;1 (the owner) plays Asterisk's `chan`, ;2 its `peer`.
    const [chan, peer] = half.name.endsWith(';1') ? [half, other] : [other, half];
    const chanBridge = chan.bridgeId ? this.#bridges.get(chan.bridgeId) : undefined;
    const peerBridge = peer.bridgeId ? this.#bridges.get(peer.bridgeId) : undefined;
    if (!chanBridge || !peerBridge || chanBridge === peerBridge || chanBridge.destroyed || peerBridge.destroyed) return false;
    const swap = allowSwap(chanBridge, peerBridge);
    if (!swap) return false;
    const [dst, dstHalf, src, srcHalf] = swap === 'toPeer' ? [peerBridge, peer, chanBridge, chan] : [chanBridge, chan, peerBridge, peer];
    const mover = src.members().find((c) => c !== srcHalf);
    if (!mover || mover.destroyed || mover.hangupRequested) return false;
    chan.attachments.set(OPTIMIZED, true);
    peer.attachments.set(OPTIMIZED, true);
    // bridge_do_move with swap: the mover leaves its bridge, enters the other, and the half there is swapped out.
    dst.add(mover, src.memberOptions(mover.id) ?? {});
    dst.remove(dstHalf);
    src.remove(srcHalf);
    for (const c of [srcHalf, dstHalf]) c.requestHangup({ cause: 16, soft: false });
    return true;
  }
}
