/**
 * What a channel's audio can be made to do besides playing and recording: mute a direction (ARI's mute), echo
 * (Echo()), and the detectors — in-band DTMF, TALK_DETECT and TONE_DETECT — whose findings become the
 * channel's events (ChannelDtmfReceived, ChannelTalkingStarted/Finished, ChannelToneDetected).
 *
 * Like `ChannelMedia`, it speaks to the media host only through `MediaPort` messages: each operation makes sure
 * the channel has a session (`ensure`), then sends `mute`, `echo` or `analyze`; the host's `dtmf`, `talk` and
 * `tone` notifications come back as events published on the channel. A channel that has gone ignores late
 * notifications.
 *
 * In-band DTMF is off unless asked for: Local channels carry digits as frames, so listening to their audio
 * for digits would only find false ones (and a digit sent both ways would be reported twice). A SIP channel
 * with `dtmf_mode=inband` turns it on with `setInbandDtmf` (issue 5); the dialplan and ARI can turn it on with
 * `Set(DTMF_DETECT(set)=)` (see dialplan/functions/detect.ts).
 */

import type { Core } from '../core/core.ts';
import type { Channel } from '../core/channel.ts';
import type { ChannelMedia } from './channel-media.ts';
import type { MediaPort } from './engine/port.ts';
import type { Direction, MuteDirection } from './engine/protocol.ts';
import type { DetectPort, TalkDetectSettings, ToneDetectSettings } from '../dialplan/functions/detect.ts';

interface ToneState {
  settings: ToneDetectSettings;
  rx: number;
  tx: number;
  fired: boolean;
}

export class ChannelAudio implements DetectPort {
  readonly #core: Core;
  readonly #port: MediaPort;
  readonly #media: ChannelMedia;
  readonly #tones = new Map<string, ToneState>();
  readonly #talk = new Set<string>();
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: { core: Core; port: MediaPort; media: ChannelMedia }) {
    this.#core = options.core;
    this.#port = options.port;
    this.#media = options.media;
    this.#unsubscribe.push(
      this.#port.onNotification((n) => {
        if (n.type === 'dtmf') this.#channel(n.sessionId)?.deliverFrame({ type: 'dtmf', digit: n.digit, durationMs: n.durationMs });
        else if (n.type === 'talk') this.#talkEvent(n.sessionId, n.talking, n.durationMs);
        else if (n.type === 'tone') this.#toneEvent(n.sessionId, n.direction);
      }),
      this.#core.bus.subscribe((m) => {
        if (m.type !== 'ChannelDestroyed') return;
        this.#tones.delete(m.channel.id);
        this.#talk.delete(m.channel.id);
      }),
    );
  }

  /** Mutes or unmutes a direction of a live channel (ARI's mute): the other side gets silence. */
  mute(channelId: string, direction: MuteDirection, muted: boolean): boolean {
    if (!this.#media.ensure(channelId)) return false;
    this.#port.send({ type: 'mute', sessionId: channelId, direction, muted });
    return true;
  }

  /** Echo(): the channel hears what it says. */
  echo(channelId: string, enabled: boolean): boolean {
    if (!this.#media.ensure(channelId)) return false;
    this.#port.send({ type: 'echo', sessionId: channelId, enabled });
    return true;
  }

  /**
   * Listens for DTMF in what the channel receives (its `in` side); digits become ChannelDtmfReceived as if the
   * driver had reported them. For technologies whose digits travel in the audio (SIP `dtmf_mode=inband`).
   */
  setInbandDtmf(channelId: string, enabled: boolean): boolean {
    if (!enabled) {
      if (this.#media.has(channelId)) this.#port.send({ type: 'analyze', sessionId: channelId, analyzer: 'dtmf', enabled: false });
      return true;
    }
    if (!this.#media.ensure(channelId)) return false;
    this.#port.send({ type: 'analyze', sessionId: channelId, analyzer: 'dtmf', enabled: true });
    return true;
  }

  /** TALK_DETECT(set): (re)starts talk detection with these settings; undefined is TALK_DETECT(remove). */
  setTalkDetect(channelId: string, settings: TalkDetectSettings | undefined): boolean {
    if (!settings) {
      if (!this.#talk.delete(channelId)) return false;
      if (this.#media.has(channelId)) this.#port.send({ type: 'analyze', sessionId: channelId, analyzer: 'talk', enabled: false });
      return true;
    }
    if (!this.#media.ensure(channelId)) return false;
    this.#talk.add(channelId);
    this.#port.send({ type: 'analyze', sessionId: channelId, analyzer: 'talk', enabled: true, options: { silenceMs: settings.silenceMs, threshold: settings.threshold } });
    return true;
  }

  talkDetecting(channelId: string): boolean {
    return this.#talk.has(channelId);
  }

  /** TONE_DETECT(freq,...): (re)starts tone detection; undefined removes it (the `x` option). */
  setToneDetect(channelId: string, settings: ToneDetectSettings | undefined): boolean {
    const had = this.#tones.has(channelId);
    if (had && this.#media.has(channelId)) this.#stopTones(channelId);
    if (!settings) {
      this.#tones.delete(channelId);
      return had;
    }
    if (!this.#media.ensure(channelId)) return false;
    this.#tones.set(channelId, { settings, rx: 0, tx: 0, fired: false });
    const options = { frequency: settings.frequency, durationMs: settings.durationMs, db: settings.db };
    for (const direction of settings.directions) this.#port.send({ type: 'analyze', sessionId: channelId, analyzer: 'tone', enabled: true, direction, options });
    return true;
  }

  /** TONE_DETECT(rx) / TONE_DETECT(tx): detections so far; undefined when detection was never set. */
  toneCounts(channelId: string): { readonly rx: number; readonly tx: number } | undefined {
    const t = this.#tones.get(channelId);
    return t ? { rx: t.rx, tx: t.tx } : undefined;
  }

  close(): void {
    for (const off of this.#unsubscribe) off();
  }

  #stopTones(channelId: string): void {
    for (const direction of ['in', 'out'] as const) this.#port.send({ type: 'analyze', sessionId: channelId, analyzer: 'tone', enabled: false, direction });
  }

  #channel(id: string): Channel | undefined {
    const channel = this.#core.channels.get(id);
    return channel && !channel.destroyed ? channel : undefined;
  }

  #talkEvent(id: string, talking: boolean, durationMs: number | undefined): void {
    const channel = this.#channel(id);
    if (!channel || !this.#talk.has(id)) return;
    const timestamp = this.#core.now();
    if (talking) channel.publish({ type: 'ChannelTalkingStarted', timestamp, channel: channel.snapshot() });
    else channel.publish({ type: 'ChannelTalkingFinished', timestamp, channel: channel.snapshot(), durationMs: durationMs ?? 0 });
  }

  #toneEvent(id: string, direction: Direction): void {
    const channel = this.#channel(id);
    const t = this.#tones.get(id);
    if (!channel || !t || (t.fired && t.settings.endAfterHits)) return;
    const count = direction === 'in' ? ++t.rx : ++t.tx;
    if (count < t.settings.hits) return;
    // As Asterisk: the event comes with every detection from the required count on, unless `e` ends it.
    t.fired = true;
    channel.publish({ type: 'ChannelToneDetected', timestamp: this.#core.now(), channel: channel.snapshot() });
    if (t.settings.endAfterHits) this.#stopTones(id);
  }
}
