/**
 * Compile-time tests of the SDK's types: every `@ts-expect-error` line must be an error and every other line
 * must compile, under the repository's strict options (`npm run build`) and in a fresh consumer project
 * (test/sdk/types.test.ts). Nothing here runs.
 */

import { connect, type AnyEvent, type Ari, type Channel, type Playback, type StasisStart } from '../../client/index.ts';

export async function typeTests(ari: Ari): Promise<void> {
  // Required, optional and enum parameters; path parameters in the same object; typed results.
  const channel: Channel = await ari.channels.originate({ endpoint: 'PJSIP/alice', app: 'demo', timeout: 30, variables: { A: 'b' } });
  // @ts-expect-error missing the required endpoint
  await ari.channels.originate({ app: 'demo' });
  // @ts-expect-error timeout is a number
  await ari.channels.originate({ endpoint: 'PJSIP/alice', timeout: '30' });
  // @ts-expect-error not a parameter of originate
  await ari.channels.originate({ endpoint: 'PJSIP/alice', colour: 'blue' });
  await ari.bridges.create({ type: 'mixing,dtmf_events' });
  await ari.playbacks.control({ playbackId: 'p', operation: 'pause' });
  // @ts-expect-error operation is an enum
  await ari.playbacks.control({ playbackId: 'p', operation: 'rewind-a-lot' });
  // @ts-expect-error missing the path parameter
  await ari.channels.answer({});
  // @ts-expect-error no such operation
  await ari.channels.teleport({ channelId: 'x' });
  const list: readonly Channel[] = await ari.channels.list();
  void list;

  // Events narrowed by type.
  ari.on('StasisStart', (e) => {
    const s: StasisStart = e;
    const args: readonly string[] = e.args;
    void s;
    void args;
  });
  ari.on('ChannelDtmfReceived', (e) => {
    const digit: string = e.digit;
    void digit;
    // @ts-expect-error a DTMF event has no playback
    void e.playback;
  });
  // @ts-expect-error not an event type
  ari.on('ChannelTeleported', () => undefined);
  ari.on('*', (e: AnyEvent) => void e.type);
  ari.on('unknown', (e) => void e['anything']);

  // Handles: methods bound to the object's id, events narrowed to those about the object.
  const ch = ari.channel(channel);
  await ch.answer();
  const playback: Playback = await ch.play({ media: 'sound:hello-world' });
  // @ts-expect-error media is required
  await ch.play({});
  // @ts-expect-error the id is bound: no channelId
  await ch.hangup({ channelId: 'other' });
  ch.on('ChannelDtmfReceived', (e) => void e.digit);
  // @ts-expect-error not an event about channels
  ch.on('PlaybackFinished', () => undefined);
  const pb = ari.playback(playback);
  const finished = await pb.once('PlaybackFinished');
  const state: 'queued' | 'playing' | 'paused' | 'continuing' | 'done' | 'failed' | 'stopped' = finished.playback.state;
  void state;
  // @ts-expect-error not an event about playbacks
  await pb.once('StasisStart');
  const bridge = ari.bridge();
  await bridge.addChannel({ channel: [ch.id, 'other'] });
  // @ts-expect-error originate is not an operation on a channel id
  await ch.originate({ endpoint: 'x' });

  // @ts-expect-error apps is a list
  await connect({ url: 'http://127.0.0.1:8088', username: 'a', password: 'b', apps: 'demo' });
}
