/**
 * The dialplan's media applications: Playback, Background, Read, SayDigits, SayNumber, SayAlpha, PlayTones,
 * StopPlayTones and Milliwatt.
 *
 * They reach media only through the MediaPort messages: a file or a tone becomes `SourceSpec`s by
 * `resolveMedia` (the same resolver ARI playbacks use), is played with `play` on the channel's own session
 * (queue `playback`, so it queues behind an ARI playback instead of mixing with it) and the application waits
 * for the `playback-finished` of its id. A digit that may interrupt, or a hangup, sends `stop` and ends the
 * wait at once.
 *
 * Digits come from the channel's frames (`onFrame` DTMF), read through a `DigitReader` that lives as long as
 * the application, so a digit pressed between two prompts is not lost.
 *
 * As in Asterisk, an application that ends with a digit the PBX has to act on (Background; Say* with
 * SAY_DTMF_INTERRUPT) collects the rest of the extension itself: while more digits could match in the current
 * context it waits up to the digit timeout for each, then jumps to what was dialled (the engine sends an
 * unknown extension to `i`). Asterisk's PBX loop does this collection after the application returns; doing it
 * here gives the same result without a hook in the engine.
 *
 * PlayTones is the exception to "blocking": its tone plays on its own queue (`tones`) while the dialplan goes
 * on, until StopPlayTones, another blocking playback on the channel (Asterisk stops a channel's tone generator
 * when a file starts) or the hangup.
 */

import { randomUUID } from 'node:crypto';
import type { AppOutcome, DialplanApp } from '../../core/applications.ts';
import type { Channel } from '../../core/channel.ts';
import type { Logger } from '../../shared/logger.ts';
import type { MediaPort } from '../../media/engine/port.ts';
import type { SourceSpec } from '../../media/engine/protocol.ts';
import { resolveMedia, type MediaEnvironment } from '../../media/media-uri.ts';
import { splitAppArgs } from '../args.ts';
import type { ExtenMatch } from '../lookup.ts';

export type { ExtenMatch };

export interface MediaAppsOptions {
  readonly port: MediaPort;
  /** `<astdatadir>/sounds`. */
  readonly soundsDir: string;
  /** Tone zones and the other per-server parts of media URIs (none: the built-in `us` zone). */
  readonly environment?: () => MediaEnvironment;
  readonly logger: Logger;
  /** Gives the channel (and its Local other half) a media session before anything is played to it. */
  readonly ensureSession: (channelId: string) => void;
  readonly match: (channel: Channel, context: string, digits: string) => ExtenMatch;
  /** Asterisk's PBX response (10 s) and digit (5 s) timeouts; tests may shorten them. */
  readonly responseTimeoutMs?: number;
  readonly digitTimeoutMs?: number;
}

/** Asterisk's playtones volume for Milliwatt (a 0 dBm0 sine peaks near 23 000 in 16-bit linear). */
const MILLIWATT_AMPLITUDE = 23255;
const TONES_ATTACHMENT = 'dialplan.playtones';
const TRUE_WORDS = new Set(['yes', 'true', 'y', 't', '1', 'on']);

type Played = { readonly end: 'done' | 'failed' | 'hangup' | 'timeout' } | { readonly end: 'digit'; readonly digit: string };

/**
 * The DTMF a channel receives while an application runs, in order. A capture handler (a playback that digits
 * may interrupt) sees each digit first; otherwise digits queue for `next`.
 */
export class DigitReader {
  readonly #channel: Channel;
  readonly #queue: string[] = [];
  readonly #off: () => void;
  #handler: ((digit: string) => boolean) | undefined;
  #waiter: ((digit: string) => void) | undefined;

  constructor(channel: Channel) {
    this.#channel = channel;
    this.#off = channel.onFrame((f) => {
      if (f.type === 'dtmf') this.#push(f.digit);
    });
  }

  #push(digit: string): void {
    if (this.#handler) {
      // A digit the handler does not take is dropped, as a playback waiting for other digits drops it.
      this.#handler(digit);
      return;
    }
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter(digit);
    } else this.#queue.push(digit);
  }

  /** Hands digits (queued ones first) to `handler` until `release`; it returns true for a digit it took. */
  capture(handler: (digit: string) => boolean): void {
    while (this.#queue.length > 0) {
      if (handler(this.#queue.shift() as string)) return;
    }
    this.#handler = handler;
  }

  release(): void {
    this.#handler = undefined;
  }

  /** The next digit, or undefined after `ms` without one or when the channel hangs up. */
  next(ms: number): Promise<string | undefined> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    const signal = this.#channel.hangupSignal;
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const done = (digit: string | undefined): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.#waiter = undefined;
        resolve(digit);
      };
      const onAbort = (): void => done(undefined);
      const timer = setTimeout(() => done(undefined), Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiter = done;
    });
  }

  close(): void {
    this.#off();
    this.#handler = undefined;
    this.#waiter = undefined;
  }
}

/** Splits `file1&file2` as Asterisk does (empty names dropped, names trimmed). */
function fileList(text: string | undefined): string[] {
  return (text ?? '')
    .split('&')
    .map((f) => f.trim())
    .filter((f) => f !== '');
}

/** Background's options: one of the words `skip`/`noanswer`, or letters (`snmp`); as letters, lower-cased. */
function backgroundFlags(options: string): string {
  const o = options.trim().toLowerCase();
  if (o === 'skip') return 's';
  if (o === 'noanswer') return 'n';
  return o;
}

export function mediaApps(options: MediaAppsOptions): DialplanApp[] {
  const { port, soundsDir, logger, ensureSession, match } = options;
  const environment = options.environment ?? (() => ({}));
  const responseMs = options.responseTimeoutMs ?? 10_000;
  const digitMs = options.digitTimeoutMs ?? 5_000;

  const resolve = (uri: string, language: string): Promise<SourceSpec[] | undefined> =>
    resolveMedia(uri, { ...environment(), soundsDir, language }).catch(() => undefined);

  const answer = (channel: Channel): void => {
    if (channel.state !== 'Up') channel.driver.answer(channel);
  };

  /** Ends the channel's PlayTones tone, if one plays. */
  const stopTones = (channel: Channel): void => {
    const id = channel.attachments.get(TONES_ATTACHMENT) as string | undefined;
    if (id === undefined) return;
    channel.attachments.delete(TONES_ATTACHMENT);
    port.send({ type: 'stop', playbackId: id });
  };

  /**
   * Plays sources to the channel and waits for the end. With `interrupt`, a digit it accepts stops the
   * playback; a hangup always does; with `limitMs` it is stopped after that long (end `timeout`).
   */
  const play = (
    channel: Channel,
    sources: readonly SourceSpec[],
    interrupt?: { readonly reader: DigitReader; readonly accept: (digit: string) => boolean },
    limitMs?: number,
  ): Promise<Played> => {
    if (channel.hangupSignal.aborted) return Promise.resolve({ end: 'hangup' });
    const playbackId = `dialplan-${randomUUID()}`;
    return new Promise<Played>((resolvePlayed) => {
      let over = false;
      let limit: ReturnType<typeof setTimeout> | undefined;
      const finish = (played: Played): void => {
        if (over) return;
        over = true;
        clearTimeout(limit);
        offPort();
        channel.hangupSignal.removeEventListener('abort', onHangup);
        interrupt?.reader.release();
        resolvePlayed(played);
      };
      const offPort = port.onNotification((n) => {
        if (n.type === 'playback-finished' && n.playbackId === playbackId) finish({ end: n.reason === 'failed' ? 'failed' : 'done' });
        // A play the host refused (its session is gone) never reports a finish.
        else if (n.type === 'error' && n.command === 'play' && n.message.includes(`'${channel.id}'`)) finish({ end: 'failed' });
      });
      const onHangup = (): void => {
        port.send({ type: 'stop', playbackId });
        finish({ end: 'hangup' });
      };
      channel.hangupSignal.addEventListener('abort', onHangup, { once: true });
      if (limitMs !== undefined) {
        limit = setTimeout(() => {
          port.send({ type: 'stop', playbackId });
          finish({ end: 'timeout' });
        }, limitMs);
      }
      stopTones(channel);
      ensureSession(channel.id);
      port.send({ type: 'play', playbackId, target: { type: 'session', id: channel.id }, sources, queue: 'playback' });
      interrupt?.reader.capture((digit) => {
        if (over || !interrupt.accept(digit)) return false;
        port.send({ type: 'stop', playbackId });
        finish({ end: 'digit', digit });
        return true;
      });
    });
  };

  /**
   * What Asterisk's PBX loop does with a digit an application returned: read more digits while a longer
   * extension could match in the current context, then go to what was dialled.
   */
  const collectExten = async (channel: Channel, reader: DigitReader, first: string): Promise<AppOutcome> => {
    const context = channel.location.context;
    let dialed = first;
    for (let i = 0; i < 256 && match(channel, context, dialed).matchMore; i++) {
      const digit = await reader.next(digitMs);
      if (channel.hangupSignal.aborted) return { hangup: true };
      if (digit === undefined) break;
      dialed += digit;
    }
    return { goto: { context, exten: dialed, priority: 1 } };
  };

  /** Say*: plays what a `digits:`/`number:`/`characters:` URI says; digits interrupt only with SAY_DTMF_INTERRUPT. */
  const say = async (channel: Channel, uri: string): Promise<AppOutcome> => {
    const sources = await resolve(uri, channel.language);
    if (!sources) return undefined;
    const interruptible = TRUE_WORDS.has((channel.getVariable('SAY_DTMF_INTERRUPT') ?? '').trim().toLowerCase());
    if (!interruptible) {
      const r = await play(channel, sources);
      return r.end === 'hangup' ? { hangup: true } : undefined;
    }
    const reader = new DigitReader(channel);
    try {
      const r = await play(channel, sources, { reader, accept: () => true });
      if (r.end === 'hangup') return { hangup: true };
      return r.end === 'digit' ? await collectExten(channel, reader, r.digit) : undefined;
    } finally {
      reader.close();
    }
  };

  const playbackApp: DialplanApp = {
    name: 'Playback',
    synopsis: 'Play a file',
    execute: async ({ channel, data }) => {
      const [filenames, opts = ''] = splitAppArgs(data);
      const files = fileList(filenames);
      if (files.length === 0) {
        logger.warning('Playback requires an argument (filename)');
        return { hangup: true };
      }
      const o = opts.toLowerCase();
      let failed = false;
      if (channel.state !== 'Up') {
        if (o.includes('skip')) {
          channel.setVariable('PLAYBACKSTATUS', 'SUCCESS');
          return undefined;
        }
        if (!o.includes('noanswer')) answer(channel);
      }
      // Each file in turn; a missing one is reported and skipped, and the status says FAILED. The status is set
      // on a hangup too (an `h` extension may read it).
      let hungUp = false;
      for (const file of files) {
        const sources = await resolve(`sound:${file}`, channel.language);
        const r = sources ? await play(channel, sources) : { end: channel.hangupSignal.aborted ? ('hangup' as const) : ('failed' as const) };
        if (r.end === 'hangup') {
          hungUp = true;
          break;
        }
        if (r.end === 'failed') {
          failed = true;
          logger.warning(`Playback failed on ${channel.name} for ${data}`);
        }
      }
      channel.setVariable('PLAYBACKSTATUS', failed ? 'FAILED' : 'SUCCESS');
      return hungUp ? { hangup: true } : undefined;
    },
  };

  const backgroundApp: DialplanApp = {
    name: 'Background',
    synopsis: 'Play an audio file while waiting for digits of an extension to go to',
    execute: async ({ channel, data }) => {
      const [filenames, opts = '', lang = '', ctx = ''] = splitAppArgs(data);
      const files = fileList(filenames);
      if (files.length === 0) {
        logger.warning('Background requires an argument (filename)');
        return { hangup: true };
      }
      const language = lang.trim() || channel.language;
      const context = ctx.trim() || channel.location.context;
      const flags = backgroundFlags(opts);
      const matchExten = flags.includes('m');
      const uninterruptible = flags.includes('p');
      if (channel.state !== 'Up') {
        if (flags.includes('s')) {
          channel.setVariable('BACKGROUNDSTATUS', 'SUCCESS');
          return undefined;
        }
        if (!flags.includes('n')) answer(channel);
      }
      const accept = (digit: string): boolean => {
        if (uninterruptible) return false;
        // `m`: only a digit that is itself an extension of the context stops the sounds.
        return matchExten ? match(channel, context, digit).exists : true;
      };
      const reader = new DigitReader(channel);
      try {
        let failed = false;
        let digit: string | undefined;
        let hungUp = false;
        for (const file of files) {
          const sources = await resolve(`sound:${file}`, language);
          if (!sources && !channel.hangupSignal.aborted) {
            logger.warning(`ast_streamfile failed on ${channel.name} for ${data}`);
            failed = true;
            break;
          }
          const r = sources ? await play(channel, sources, { reader, accept }) : ({ end: 'hangup' } as const);
          if (r.end === 'hangup') {
            hungUp = true;
            break;
          }
          if (r.end === 'digit') {
            digit = r.digit;
            break;
          }
        }
        channel.setVariable('BACKGROUNDSTATUS', failed ? 'FAILED' : 'SUCCESS');
        if (hungUp) return { hangup: true };
        if (digit === undefined) return undefined;
        // A one-digit extension of the given context that nothing longer can extend: go there now.
        const m = match(channel, context, digit);
        if (m.canMatch && !m.matchMore) return { goto: { context, exten: digit, priority: 1 } };
        return await collectExten(channel, reader, digit);
      } finally {
        reader.close();
      }
    },
  };

  const readApp: DialplanApp = {
    name: 'Read',
    synopsis: 'Read a variable',
    execute: async ({ channel, data }) => {
      channel.setVariable('READSTATUS', 'ERROR');
      const [variable = '', filenames = '', maxArg = '', opts = '', attemptsArg = '', timeoutArg = ''] = splitAppArgs(data).map((a) => a.trim());
      if (!variable) {
        logger.warning('Read requires an argument (variable)');
        return undefined;
      }
      let maxDigits = Number.parseInt(maxArg, 10);
      if (!(maxDigits >= 1 && maxDigits <= 255)) maxDigits = 255;
      let attempts = Number.parseInt(attemptsArg, 10);
      if (!(attempts > 0)) attempts = 1;
      const seconds = Number.parseFloat(timeoutArg);
      const timeoutMs = seconds > 0 ? seconds * 1000 : 0;
      // `t(chars)`: the terminators (none with a bare `t`); `#` otherwise.
      const t = /t(\(([^)]*)\))?/.exec(opts);
      const terminators = t ? (t[2] ?? '') : '#';
      const bare = opts.replace(/t(\([^)]*\))?/, '');
      const indication = bare.includes('i');
      const keepTerminator = bare.includes('e');

      if (channel.state !== 'Up') {
        if (bare.includes('s')) {
          channel.setVariable(variable, '');
          channel.setVariable('READSTATUS', 'SKIPPED');
          return undefined;
        }
        if (!bare.includes('n')) answer(channel);
      }

      const reader = new DigitReader(channel);
      const files = fileList(filenames);
      let status = 'ERROR';
      let entered = '';
      try {
        while (attempts > 0) {
          entered = '';
          let firstMs = timeoutMs || responseMs;
          let nextMs = timeoutMs || digitMs;
          let pending: string | undefined;
          // `i`: the prompt is an indication, heard until the first digit; every digit waits the same time. A
          // name that is no tone is played as a file, as Asterisk does when the zone has no such indication.
          const tone = indication && files.length > 0 ? await resolve(`tone:${filenames.trim()}`, channel.language) : undefined;
          if (tone) {
            firstMs = nextMs = timeoutMs || responseMs;
            const r = await play(channel, tone, { reader, accept: () => true }, firstMs);
            if (r.end === 'digit') pending = r.digit;
            else if (r.end === 'timeout') firstMs = 0;
          } else if (files.length > 0) {
            const prompts: SourceSpec[] = [];
            let lastMissing = false;
            for (const [i, file] of files.entries()) {
              const s = await resolve(`sound:${file}`, channel.language);
              if (s) prompts.push(...s);
              else if (i === files.length - 1) lastMissing = true;
            }
            if (prompts.length > 0) {
              const r = await play(channel, prompts, { reader, accept: () => true });
              if (r.end === 'digit') pending = r.digit;
            }
            // Asterisk gives up on a prompt list whose last file cannot be opened (READSTATUS stays ERROR).
            if (lastMissing && pending === undefined && !channel.hangupSignal.aborted) {
              channel.setVariable(variable, '');
              attempts = 0;
              break;
            }
          }
          const result = await readDigits(channel, reader, { pending, firstMs, nextMs, maxDigits, terminators });
          entered = result.digits;
          if (result.end === 'hangup') break;
          status = result.end === 'timeout' ? 'TIMEOUT' : 'OK';
          if (result.end === 'terminated-empty' && keepTerminator) entered = terminators;
          channel.setVariable(variable, entered);
          if (entered !== '') {
            logger.verbose(3, `User entered '${entered}'`);
            attempts = 0;
          } else {
            attempts--;
            logger.verbose(3, attempts > 0 ? `User entered nothing, ${attempts} chance${attempts !== 1 ? 's' : ''} left` : 'User entered nothing.');
          }
        }
      } finally {
        reader.close();
      }
      if (channel.hangupSignal.aborted) {
        channel.setVariable(variable, entered);
        channel.setVariable('READSTATUS', 'HANGUP');
        return { hangup: true };
      }
      channel.setVariable('READSTATUS', status);
      return undefined;
    },
  };

  const sayApps: DialplanApp[] = [
    {
      name: 'SayDigits',
      synopsis: 'Say Digits',
      execute: ({ channel, data }) => (data ? say(channel, `digits:${data}`) : undefined),
    },
    {
      name: 'SayAlpha',
      synopsis: 'Say Alpha',
      execute: ({ channel, data }) => (data ? say(channel, `characters:${data}`) : undefined),
    },
    {
      name: 'SayNumber',
      synopsis: 'Say Number',
      execute: ({ channel, data }) => {
        if (!data.trim()) {
          logger.warning('SayNumber requires an argument (number)');
          return { hangup: true };
        }
        const [number = '', gender] = data.split(',');
        if (!/^\s*[+-]?\d+\s*$/.test(number) || Math.abs(Number(number)) > 2 ** 31 - 1) {
          logger.warning(`argument '${number}' to SayNumber could not be parsed as a number.`);
          return undefined;
        }
        if (gender !== undefined && !/^[fmcn]$/i.test(gender)) {
          logger.warning("SayNumber gender option is either 'f', 'm', 'c' or 'n'");
          return { hangup: true };
        }
        return say(channel, `number:${Number(number)}${gender !== undefined ? `;${gender.toLowerCase()}` : ''}`);
      },
    },
  ];

  const toneApps: DialplanApp[] = [
    {
      name: 'PlayTones',
      synopsis: 'Play a tone list',
      execute: async ({ channel, data }) => {
        const arg = data.trim();
        if (!arg) {
          logger.notice('Nothing to play');
          return { hangup: true };
        }
        const sources = await resolve(`tone:${arg}`, channel.language);
        if (!sources || channel.hangupSignal.aborted) {
          logger.notice('Unable to start playtones');
          return { hangup: true };
        }
        stopTones(channel);
        const playbackId = `dialplan-tones-${randomUUID()}`;
        channel.attachments.set(TONES_ATTACHMENT, playbackId);
        const off = port.onNotification((n) => {
          if (n.type !== 'playback-finished' || n.playbackId !== playbackId) return;
          off();
          if (channel.attachments.get(TONES_ATTACHMENT) === playbackId) channel.attachments.delete(TONES_ATTACHMENT);
        });
        ensureSession(channel.id);
        port.send({ type: 'play', playbackId, target: { type: 'session', id: channel.id }, sources, queue: 'tones' });
        return undefined;
      },
    },
    {
      name: 'StopPlayTones',
      synopsis: 'Stop playing a tone list',
      execute: ({ channel }) => stopTones(channel),
    },
    {
      name: 'Milliwatt',
      synopsis: 'Generates a 1004 Hz test tone at 0dbm (mu-law)',
      execute: async ({ channel, data }) => {
        // `o`: the old constant 1000 Hz (and only that mode answers); `m`: 9 s of tone, 1 s of silence.
        const old = data.includes('o');
        if (old) answer(channel);
        const tones = old ? '1000' : data.includes('m') ? '1004/9000,0/1000' : '1004';
        await play(channel, [{ type: 'tone', tones, amplitude: MILLIWATT_AMPLITUDE }]);
        return { hangup: true };
      },
    },
  ];

  return [playbackApp, backgroundApp, readApp, ...sayApps, ...toneApps];
}

type ReadEnd = 'complete' | 'terminated-empty' | 'timeout' | 'hangup';

/**
 * Asterisk's `ast_readstring`: digits until a terminator, `maxDigits` of them, or a timeout (`firstMs` for the
 * first digit, `nextMs` after). A terminator first of all ends with nothing; terminators are not kept.
 */
async function readDigits(
  channel: Channel,
  reader: DigitReader,
  o: { pending: string | undefined; firstMs: number; nextMs: number; maxDigits: number; terminators: string },
): Promise<{ end: ReadEnd; digits: string }> {
  let digits = '';
  let wait = o.firstMs;
  let pending = o.pending;
  for (let i = 0; i < 1024; i++) {
    const d = pending ?? (wait > 0 ? await reader.next(wait) : undefined);
    pending = undefined;
    if (channel.hangupSignal.aborted) return { end: 'hangup', digits };
    if (d === undefined) return { end: 'timeout', digits };
    const isEnd = o.terminators.includes(d);
    if (isEnd && digits === '') return { end: 'terminated-empty', digits };
    if (!isEnd) digits += d;
    if (isEnd || digits.length >= o.maxDigits) return { end: 'complete', digits };
    wait = o.nextMs;
  }
  return { end: 'complete', digits };
}
