/**
 * Dial(Tech/resource[&Tech2/resource2...][,timeout[,options]]): calls one or more destinations, connects the
 * caller with the first that answers (the others are hung up as "answered elsewhere"), and sets DIALSTATUS.
 * While connected the two legs share a basic bridge; when one side hangs up the other follows, unless option
 * `g` lets the caller continue in the dialplan. When a Local leg is optimised away, or a transfer moves another
 * party into the caller's bridge, the caller goes on with that party. A callee sent elsewhere in the dialplan
 * (core/async-goto.ts) leaves the call with a PBX of its own. Media between the legs is the media engine's job.
 *
 * Options understood: `g` (go on after the callee hangs up), `r` (indicate ringing to the caller). Others are
 * accepted and ignored.
 */

import type { Core } from '../../core/core.ts';
import type { DialplanApp } from '../../core/applications.ts';
import type { Channel } from '../../core/channel.ts';
import { CAUSE } from '../../core/causes.ts';
import { placeCall, type DialResult } from '../../core/dial.ts';
import { localOptimizedAway } from '../../core/local-optimizer.ts';
import { dissolveOnHangup, runAfterGoto } from '../../core/async-goto.ts';
import type { Logger } from '../../shared/logger.ts';
import { splitAppArgs } from '../args.ts';
import { seconds } from './wait.ts';

export function dialApp(core: Core, logger: Logger): DialplanApp {
  return {
    name: 'Dial',
    synopsis: 'Attempt to connect to another device or endpoint and bridge the call',
    execute: async ({ channel, data }) => {
      const [targets = '', timeoutText = '', options = ''] = splitAppArgs(data);
      const destinations = targets.split('&').map((t) => t.trim()).filter(Boolean);
      if (destinations.length === 0) {
        logger.warning(`Dial requires an argument (technology/resource) on ${channel.name}`);
        channel.setVariable('DIALSTATUS', 'CHANUNAVAIL');
        return undefined;
      }
      const timeoutS = seconds(timeoutText, 0);
      const timeoutMs = timeoutS > 0 ? timeoutS * 1000 : 2 ** 31 - 1;
      const continueAfter = options.includes('g');
      if (options.includes('r')) channel.driver.indicate(channel, 'ringing');

      const legs: Channel[] = [];
      for (const dest of destinations) {
        try {
          legs.push(core.channels.request(dest, { caller: channel.caller, language: channel.language, requestor: channel }));
        } catch (err) {
          logger.warning(`Unable to create channel of type '${dest.split('/')[0]}' (cause ${CAUSE.FAILURE}) for ${channel.name}: ${(err as Error).message}`);
        }
      }
      if (legs.length === 0) {
        channel.setVariable('DIALSTATUS', 'CHANUNAVAIL');
        return undefined;
      }
      for (const leg of legs) {
        leg.setApp('AppDial', '(Outgoing Line)');
        leg.setConnected(channel.caller, { publish: false });
      }

      const cancel = new AbortController();
      const onCallerGone = () => cancel.abort();
      channel.hangupSignal.addEventListener('abort', onCallerGone, { once: true });
      let winner: Channel | undefined;
      const results = await Promise.all(
        legs.map(async (leg) => {
          const r: DialResult = await placeCall(core, leg, {
            timeoutMs,
            dialstring: leg.name.replace(/^[^/]+\//, '').replace(/-[0-9a-f]{8};1$/, ''),
            caller: channel,
            signal: cancel.signal,
          });
          if (r.status === 'ANSWER' && !winner) {
            winner = leg;
            cancel.abort();
          } else if (r.status === 'ANSWER' || r.status === 'CANCEL') {
            leg.hangup(winner && leg !== winner ? CAUSE.ANSWERED_ELSEWHERE : CAUSE.NORMAL_CLEARING);
          } else {
            if (r.error !== undefined) logger.notice(`${r.error}; couldn't call ${leg.name.replace(/-[0-9a-f]{8};1$/, '')} for ${channel.name}`);
            leg.hangup(r.cause);
          }
          return r;
        }),
      );
      channel.hangupSignal.removeEventListener('abort', onCallerGone);
      if (!winner) {
        const statuses = results.map((r) => r.status);
        const status = channel.hangupRequested ? 'CANCEL' : statuses.find((s) => s === 'BUSY') ?? statuses.find((s) => s === 'CONGESTION') ?? statuses[0] ?? 'CHANUNAVAIL';
        channel.setVariable('DIALSTATUS', status);
        return channel.hangupRequested ? { hangup: true } : undefined;
      }
      let peer = winner;
      channel.setVariable('DIALSTATUS', 'ANSWER');
      channel.setConnected(peer.caller, { publish: false });
      if (channel.state !== 'Up') channel.driver.answer(channel);

      // Connected: a basic bridge holds the two legs until one of them goes.
      let bridge = core.bridges.create({ types: ['mixing'], bridgeClass: 'basic', creator: '' });
      bridge.add(channel);
      bridge.add(peer);
      let who: 'caller' | 'peer';
      for (;;) {
        const p = peer;
        who = await new Promise<'caller' | 'peer'>((resolve) => {
          if (channel.hangupSignal.aborted) return resolve('caller');
          if (p.hangupSignal.aborted || p.destroyed) return resolve('peer');
          channel.hangupSignal.addEventListener('abort', () => resolve('caller'), { once: true });
          p.hangupSignal.addEventListener('abort', () => resolve('peer'), { once: true });
        });
        // A Local half optimised away: its partner was moved on and carries on without it (local-optimizer.ts).
        if (who === 'caller' && localOptimizedAway(channel)) {
          if (bridge.members().length === 0) bridge.destroy();
          return { hangup: true };
        }
        // The peer was sent elsewhere in the dialplan (a transfer, ChannelRedirect): it leaves this call.
        if (who === 'peer' && peer.gotoPending) break;
        // The peer went and another party now shares the caller's bridge (a Local pair optimised away, a
        // transfer that moved someone in): the call goes on with that party.
        const current = who === 'peer' && !channel.hangupRequested && !channel.gotoPending && channel.bridgeId ? core.bridges.get(channel.bridgeId) : undefined;
        const next = current?.members().find((c) => c !== channel && c !== peer && !c.hangupRequested && !c.destroyed);
        if (!current || !next) break;
        if (!peer.destroyed) peer.hangup();
        if (current !== bridge && bridge.members().length === 0) bridge.destroy();
        bridge = current;
        peer = next;
      }
      // A peer moved to another bridge, or other parties a transfer brought into this one, outlive the caller's
      // Dial(): the caller just leaves, and the bridge ends when its last parties hang up.
      const peerElsewhere = peer.gotoPending || (peer.bridgeId !== undefined && peer.bridgeId !== bridge.id);
      const othersHere = bridge.members().some((c) => c !== channel && c !== peer);
      if (othersHere) {
        bridge.remove(channel);
        dissolveOnHangup(core, bridge);
      } else bridge.destroy();
      const peerStays = peerElsewhere || othersHere;
      if (who === 'caller') {
        if (!peerStays) peer.hangup(channel.hangupCause || CAUSE.NORMAL_CLEARING);
        return { hangup: true };
      }
      if (peer.gotoPending) runAfterGoto(core, peer);
      else if (!peer.destroyed && (peer.hangupRequested || !peerStays)) peer.hangup();
      if (continueAfter) return undefined;
      if (!channel.hangupCause) channel.setHangupCause(peer.hangupCause || CAUSE.NORMAL_CLEARING);
      return { hangup: true };
    },
  };
}
