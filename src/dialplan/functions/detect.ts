/**
 * Detectors on a channel's audio, as dialplan functions (settable from ARI too, `POST
 * /channels/{id}/variable?variable=TALK_DETECT(set)&value=`):
 *
 * - `TALK_DETECT(set)=[silence_ms][,talking_threshold]` starts (or re-tunes) talk detection on what the
 *   channel receives → ChannelTalkingStarted, then ChannelTalkingFinished with the talk's duration;
 *   `TALK_DETECT(remove)=` stops it. Write-only, as in Asterisk.
 * - `TONE_DETECT(freq[,duration_ms[,options]])=` listens for one frequency → ChannelToneDetected; options
 *   `d(db)` threshold (16), `n(hits)` detections needed (1), `e` stop after that, `r` / `t` received or
 *   transmitted audio only (default both), `x` remove. `${TONE_DETECT(rx)}` / `${TONE_DETECT(tx)}` read the
 *   detections so far. Not supported: frequency 0 with the call-progress options (a, b, c, p), the `g`/`h`
 *   gotos and `s` squelch — each is refused or ignored with a warning.
 * - `DTMF_DETECT(set)=` / `DTMF_DETECT(remove)=` (Ariadne's own): in-band DTMF detection on what the channel
 *   receives; digits become ChannelDtmfReceived. Asterisk turns this on per endpoint (`dtmf_mode=inband`);
 *   this lets a Local channel, or any other, opt in.
 *
 * The functions only parse and validate; the work is done by a `DetectPort` (media/channel-audio.ts), which
 * talks to the media host. Messages are Asterisk's.
 */

import { parseAppOptions, splitAppArgs } from '../args.ts';
import type { SubstitutionScope } from '../substitute.ts';
import { warn } from './helpers.ts';
import type { DialplanFunction } from './registry.ts';

export interface TalkDetectSettings {
  /** Silence (ms) that ends talking; Asterisk's default 2500. */
  readonly silenceMs: number;
  /** Mean absolute sample value from which a frame is talk; Asterisk's default 256. */
  readonly threshold: number;
}

export interface ToneDetectSettings {
  readonly frequency: number;
  /** How long the tone must last (ms); default 500. */
  readonly durationMs: number;
  /** How far above the rest of the signal the tone must be (dB); default 16. */
  readonly db: number;
  /** The sides listened to: what the channel receives (`in`, TONE_DETECT's rx), what it sends (`out`, tx). */
  readonly directions: readonly ('in' | 'out')[];
  /** Detections needed before the event (default 1). */
  readonly hits: number;
  /** Stop listening once the event fired (`e`). */
  readonly endAfterHits: boolean;
}

/** What the detector functions need from the media side, by channel id. */
export interface DetectPort {
  setTalkDetect(channelId: string, settings: TalkDetectSettings | undefined): boolean;
  talkDetecting(channelId: string): boolean;
  setToneDetect(channelId: string, settings: ToneDetectSettings | undefined): boolean;
  toneCounts(channelId: string): { readonly rx: number; readonly tx: number } | undefined;
  setInbandDtmf(channelId: string, enabled: boolean): boolean;
}

const DEFAULT_SILENCE_MS = 2500;
const DEFAULT_TALK_THRESHOLD = 256;

/** `sscanf("%d")`: leading blanks, a sign and digits; anything after them is ignored. */
function scanInt(text: string): number | undefined {
  const m = /^\s*([-+]?\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

function channelId(scope: SubstitutionScope, name: string): string | undefined {
  if (scope.channel) return scope.channel.uniqueid;
  warn(scope, `No channel was provided to ${name} function.`);
  return undefined;
}

function talkDetect(port: DetectPort): DialplanFunction {
  return {
    name: 'TALK_DETECT',
    synopsis: 'Raises notifications when Asterisk detects silence or talking on a channel.',
    syntax: '<action>',
    write: (scope, args, value) => {
      const id = channelId(scope, 'TALK_DETECT');
      if (id === undefined) return;
      const action = args.trim();
      if (action === '') return warn(scope, 'TALK_DETECT requires an argument');
      if (action.toLowerCase() === 'remove') {
        if (!port.talkDetecting(id)) warn(scope, `Cannot remove TALK_DETECT from ${scope.channel?.name ?? id}: TALK_DETECT not currently enabled`);
        else port.setTalkDetect(id, undefined);
        return;
      }
      if (action.toLowerCase() !== 'set') return warn(scope, `TALK_DETECT: unknown option ${action}`);
      let silenceMs = DEFAULT_SILENCE_MS;
      let threshold = DEFAULT_TALK_THRESHOLD;
      const [silenceText = '', thresholdText = ''] = splitAppArgs(value);
      if (silenceText !== '') {
        const v = scanInt(silenceText);
        if (v === undefined) return warn(scope, `Failed to parse ${silenceText} for dsp_silence_threshold`);
        if (v < 1) return warn(scope, `Invalid value ${v} for dsp_silence_threshold`);
        silenceMs = v;
      }
      if (thresholdText !== '') {
        const v = scanInt(thresholdText);
        if (v === undefined) return warn(scope, `Failed to parse ${thresholdText} for dsp_talking_threshold`);
        if (v < 1) return warn(scope, `Invalid value ${v} for dsp_talking_threshold`);
        threshold = v;
      }
      port.setTalkDetect(id, { silenceMs, threshold });
    },
  };
}

const TONE_OPTIONS = {
  a: {}, b: {}, c: {}, d: { arg: true }, e: {}, g: { arg: true }, h: { arg: true }, n: { arg: true }, p: {}, r: {}, s: {}, t: {}, x: {},
} as const;

function toneDetect(port: DetectPort): DialplanFunction {
  return {
    name: 'TONE_DETECT',
    synopsis: 'Asynchronously detects a tone',
    syntax: '<freq>[,<duration_ms>[,<options>]]',
    read: (scope, args) => {
      const id = channelId(scope, 'TONE_DETECT');
      if (id === undefined) return '';
      const counts = port.toneCounts(id);
      if (!counts) return '';
      if (args.includes('t')) return String(counts.tx);
      if (args.includes('r')) return String(counts.rx);
      warn(scope, `Invalid direction: ${args}`);
      return '';
    },
    write: (scope, args) => {
      const id = channelId(scope, 'TONE_DETECT');
      if (id === undefined) return;
      const [freqs = '', durationText = '', optionText = ''] = splitAppArgs(args);
      let options: Map<string, string | true>;
      try {
        options = parseAppOptions(optionText, TONE_OPTIONS, (m) => warn(scope, m));
      } catch (err) {
        return warn(scope, (err as Error).message);
      }
      if (options.has('x')) {
        if (!port.setToneDetect(id, undefined)) warn(scope, `Cannot remove TONE_DETECT from ${scope.channel?.name ?? id}: TONE_DETECT not currently enabled`);
        return;
      }
      if (freqs.trim() === '') return warn(scope, 'No frequency specified');
      const parts = freqs.split('+');
      if (parts.length > 2) return warn(scope, `Only up to 2 frequencies may be specified: ${freqs}`);
      const f = parts[0]?.trim() ?? '';
      if (!/^[-+]?\d+$/.test(f)) return warn(scope, `Frequency must be an integer: ${f}`);
      const frequency = Number(f);
      if (frequency < 0) return warn(scope, `Sorry, no negative frequencies: ${frequency}`);
      if (parts.length === 2) return warn(scope, 'Sorry, currently only 1 frequency is supported');
      if (frequency === 0 || ['a', 'b', 'c', 'p'].some((o) => options.has(o))) {
        return warn(scope, 'TONE_DETECT: call progress detection (frequency 0, options a, b, c, p) is not supported');
      }
      if (frequency >= 4000) return warn(scope, `TONE_DETECT: ${frequency} Hz is above what 8 kHz audio carries`);
      let durationMs = 500;
      if (durationText.trim() !== '') {
        const v = /^\s*\d+\s*$/.test(durationText) ? Number(durationText) : Number.NaN;
        if (!(v >= 1)) return warn(scope, `Invalid duration: ${durationText}`);
        durationMs = v;
      }
      let db = 16;
      const d = options.get('d');
      if (typeof d === 'string') {
        const v = /^\s*\d+\s*$/.test(d) ? Number(d) : Number.NaN;
        if (!(v >= 1)) return warn(scope, `Invalid decibel level: ${d}`);
        db = v;
      }
      let hits = 1;
      const n = options.get('n');
      if (typeof n === 'string') {
        const v = /^\s*\d+\s*$/.test(n) ? Number(n) : Number.NaN;
        if (!(v >= 1)) return warn(scope, `Invalid number hits required: ${n}`);
        hits = v;
      }
      for (const o of ['g', 'h', 's']) if (options.has(o)) warn(scope, `TONE_DETECT: option '${o}' is not supported; ignored`);
      const rx = options.has('r');
      const tx = options.has('t');
      const directions: ('in' | 'out')[] = rx === tx ? ['in', 'out'] : rx ? ['in'] : ['out'];
      port.setToneDetect(id, { frequency, durationMs, db, directions, hits, endAfterHits: options.has('e') });
    },
  };
}

function dtmfDetect(port: DetectPort): DialplanFunction {
  return {
    name: 'DTMF_DETECT',
    synopsis: 'Detects DTMF digits in the audio a channel receives (Ariadne).',
    syntax: '<action>',
    write: (scope, args) => {
      const id = channelId(scope, 'DTMF_DETECT');
      if (id === undefined) return;
      const action = args.trim().toLowerCase();
      if (action === 'set' || action === 'remove') port.setInbandDtmf(id, action === 'set');
      else warn(scope, action === '' ? 'DTMF_DETECT requires an argument' : `DTMF_DETECT: unknown option ${args.trim()}`);
    },
  };
}

export function detectFunctions(port: DetectPort): DialplanFunction[] {
  return [talkDetect(port), toneDetect(port), dtmfDetect(port)];
}
