/**
 * Local channels: `Local/exten@context[/n]` makes a pair of legs. `;1` is what the requester dials; `;2` runs
 * the dialplan at `exten@context`. What one half does (answer, ring, busy, hang up, DTMF) reaches the other
 * as a frame, so a call through a Local channel looks like any other call to both sides.
 *
 * Ids: `;1` takes the requested id (or a new unique id); `;2` takes `otherChannelId`, else `<id>;2` when an id
 * was given, else a new unique id — as Asterisk names them.
 * A pair not made with `/n` is optimised away when both halves are bridged (see local-optimizer.ts).
 */

import { AriadneError } from '../shared/errors.ts';
import type { Channel } from './channel.ts';
import type { Core } from './core.ts';
import type { ChannelDriver, Indication, RequestOptions } from './driver.ts';

const PEER = 'local.peer';
const TARGET = 'local.target';
const NO_OPTIMIZE = 'local.noOptimize';

/** True for both halves of a pair made with the `/n` option. */
export function localNoOptimize(channel: Channel): boolean {
  return channel.attachments.get(NO_OPTIMIZE) === true;
}

export function localPeer(channel: Channel): Channel | undefined {
  return channel.attachments.get(PEER) as Channel | undefined;
}

export class LocalDriver implements ChannelDriver {
  readonly name = 'Local';
  readonly description = 'Local Proxy Channel Driver';
  readonly #core: Core;

  constructor(core: Core) {
    this.#core = core;
  }

  request(resource: string, options: RequestOptions): Channel {
    const m = /^([^@/]+)(?:@([^/]+))?(?:\/([a-zA-Z]*))?$/.exec(resource);
    if (!m?.[1]) throw new AriadneError('ERR_INVALID_PARAMETER', 'Invalid endpoint specified');
    const exten = m[1];
    const context = m[2] ?? 'default';
    const channels = this.#core.channels;
    const base = `Local/${exten}@${context}-${channels.ids.nameSuffix()}`;
    const id1 = options.id ?? channels.ids.uniqueId();
    const id2 = options.otherId ?? (options.id !== undefined ? `${options.id};2` : channels.ids.uniqueId());
    if (!channels.idAvailable(id1) || !channels.idAvailable(id2) || id1 === id2) {
      throw new AriadneError('ERR_CONFLICT', 'Channel with given unique ID already exists');
    }
    const common = {
      tech: 'Local',
      context,
      exten,
      priority: 1,
      ...(options.language ? { language: options.language } : {}),
      ...(options.accountcode ? { accountcode: options.accountcode } : {}),
    };
    const one = channels.create({ ...common, id: id1, name: `${base};1`, ...(options.caller ? { caller: options.caller } : {}) });
    const two = channels.create({
      ...common,
      id: id2,
      name: `${base};2`,
      state: 'Ring',
      ...(options.caller ? { caller: options.caller } : {}),
    });
    one.attachments.set(PEER, two);
    two.attachments.set(PEER, one);
    one.attachments.set(TARGET, { context, exten });
    if (m[3]?.includes('n')) {
      one.attachments.set(NO_OPTIMIZE, true);
      two.attachments.set(NO_OPTIMIZE, true);
    }
    return one;
  }

  call(channel: Channel): void {
    const two = localPeer(channel);
    if (!two) return;
    const { context, exten } = two.location;
    const pbx = this.#core.pbx;
    // As Asterisk's Local call: ;1's variables are copied to ;2, ;2's caller is who ;1 is connected to, and ;2
    // is connected to ;1's caller (ChannelConnectedLine when that changes it).
    for (const [name, value] of channel.variables()) two.setVariable(name, value);
    two.setCaller(channel.connected, { publish: false });
    const caller = channel.caller;
    const changed = caller.name !== two.connected.name || caller.number !== two.connected.number;
    two.setConnected(caller, { publish: changed });
    if (!pbx.exists(context, exten, 1, two.caller.number)) {
      // Nothing to run: the call fails. The ;2 half goes at once (cause 0, without telling ;1, as Asterisk's
      // failed ast_call does); whoever placed the call hangs ;1 up.
      channel.attachments.delete(PEER);
      two.attachments.delete(PEER);
      two.hangup();
      throw new AriadneError('ERR_NOT_FOUND', `No such extension/context '${exten}@${context}' while calling Local channel`);
    }
    // The ;2 half starts its dialplan after the caller has published that the call was placed.
    queueMicrotask(() => void pbx.run(two));
  }

  answer(channel: Channel): void {
    channel.setState('Up');
    localPeer(channel)?.deliverFrame({ type: 'answer' });
  }

  hangup(channel: Channel): void {
    const peer = localPeer(channel);
    if (!peer || peer.destroyed) return;
    const cause = channel.hangupCause;
    if (!peer.hangupRequested) {
      peer.requestHangup({ soft: false, eventCause: cause, ...(peer.hangupCause === 0 ? { cause } : {}) });
    }
    peer.deliverFrame({ type: 'hangup', cause });
  }

  sendDigit(channel: Channel, digit: string, durationMs: number): void {
    localPeer(channel)?.deliverFrame({ type: 'dtmf', digit, durationMs });
  }

  indicate(channel: Channel, indication: Indication): void {
    const peer = localPeer(channel);
    if (!peer) return;
    if (indication === 'ringing' || indication === 'progress' || indication === 'busy' || indication === 'congestion' || indication === 'hold' || indication === 'unhold') {
      peer.deliverFrame({ type: indication });
    }
  }
}
