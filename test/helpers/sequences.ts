/**
 * Per-channel event sequences, for comparing what Ariadne sends with Asterisk's captures in
 * `shared/reference/asterisk-22/events/`. Asterisk's order across different channels changes from run to run,
 * so the comparison is per channel: for each channel (keyed by its name with the 8-hex sequence replaced by the
 * pair's order of appearance, `Local/1000@from-trunk-#1;2`), the list of its events as one-line signatures
 * with the fields that matter (type, state, dialplan location, cause, dialstatus, variable, args, ...).
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REFERENCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/reference/asterisk-22');

export type WireEvent = Record<string, unknown>;

export interface ScenarioEntry {
  readonly t_ms: number;
  readonly kind: string;
  readonly ws?: string;
  readonly event?: WireEvent;
  readonly method?: string;
  readonly path?: string;
  readonly query?: Record<string, unknown>;
  readonly status?: number;
  readonly response?: unknown;
}

/** Events types that belong to the media engine (issue 4): dropped from both sides before comparing. */
export const MEDIA_EVENTS: ReadonlySet<string> = new Set(['PlaybackStarted', 'PlaybackContinuing', 'PlaybackFinished', 'RecordingStarted', 'RecordingFinished', 'RecordingFailed']);

export function loadScenario(name: string): ScenarioEntry[] {
  const doc = JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'events', `${name}.json`), 'utf8')) as { entries: ScenarioEntry[] };
  return doc.entries;
}

/** The events one socket of a reference scenario received, media events removed. */
export function referenceEvents(name: string, ws = 'ws1'): WireEvent[] {
  return loadScenario(name)
    .filter((e) => e.kind === 'event' && e.ws === ws && e.event !== undefined)
    .map((e) => e.event as WireEvent)
    .filter((e) => !MEDIA_EVENTS.has(String(e.type)));
}

/** The REST calls a reference scenario made, in order. */
export function referenceRest(name: string): ScenarioEntry[] {
  return loadScenario(name).filter((e) => e.kind === 'rest');
}

interface ChannelJson {
  id: string;
  name: string;
  state: string;
  caller?: { name: string; number: string };
  connected?: { name: string; number: string };
  dialplan?: { context: string; exten: string; priority: number; app_name: string; app_data: string };
}

/** The channel an event is about (`peer` for Dial). */
export function eventChannel(e: WireEvent): ChannelJson | undefined {
  if (e.type === 'Dial') return e.peer as ChannelJson | undefined;
  return e.channel as ChannelJson | undefined;
}

const UNIQUE_ID = /^\d{9,}\.\d+$/;
const NAME_SEQ = /-([0-9a-f]{8})(;[12])?$/;

/** Gives each 8-hex name sequence a small number in order of first appearance. */
class NameKeys {
  readonly #seqs = new Map<string, number>();
  key(name: string): string {
    const m = NAME_SEQ.exec(name);
    if (!m) return name;
    let n = this.#seqs.get(m[1] as string);
    if (n === undefined) this.#seqs.set(m[1] as string, (n = this.#seqs.size + 1));
    return name.replace(NAME_SEQ, `-#${n}${m[2] ?? ''}`);
  }
}

function party(p: { name: string; number: string } | undefined): string {
  return p && (p.name || p.number) ? `${p.name}<${p.number}>` : '';
}

/** One line per event with the fields the comparison cares about. */
export function signature(e: WireEvent, keys: NameKeys): string {
  const parts: string[] = [String(e.type)];
  for (const f of ['cause', 'cause_txt', 'soft', 'dialstatus', 'dialstring', 'forward', 'variable', 'value', 'digit', 'duration_ms', 'eventname', 'destination', 'dialplan_app', 'dialplan_app_data']) {
    if (e[f] !== undefined) parts.push(`${f}=${JSON.stringify(e[f])}`);
  }
  if (e.args !== undefined) parts.push(`args=${JSON.stringify(e.args)}`);
  if (e.type === 'Dial' && e.caller) parts.push(`caller=${keys.key((e.caller as ChannelJson).name)}`);
  const c = eventChannel(e);
  if (c) {
    const dp = c.dialplan;
    parts.push(`| ${c.state}`);
    if (dp) parts.push(`${dp.context},${dp.exten},${dp.priority} ${dp.app_name}(${dp.app_data})`);
    const cid = party(c.caller);
    const con = party(c.connected);
    if (cid || con) parts.push(`cid=${cid} con=${con}`);
  }
  return parts.join(' ');
}

export interface ChannelSequences {
  /** Channel key → signatures of its events, in the order received. */
  readonly byChannel: Record<string, string[]>;
  /** Channel key → id as seen (`<uniqueid>` for generated `<epoch>.<seq>` ids). */
  readonly ids: Record<string, string>;
  /** Signatures of events without a channel. */
  readonly other: string[];
}

/** Splits a stream of wire events into per-channel sequences. Media events are dropped. */
export function perChannel(events: readonly WireEvent[]): ChannelSequences {
  const keys = new NameKeys();
  const byChannel: Record<string, string[]> = {};
  const ids: Record<string, string> = {};
  const other: string[] = [];
  for (const e of events) {
    if (MEDIA_EVENTS.has(String(e.type))) continue;
    const c = eventChannel(e);
    const sig = signature(e, keys);
    if (!c) {
      other.push(sig);
      continue;
    }
    const key = keys.key(c.name);
    (byChannel[key] ??= []).push(sig);
    ids[key] = UNIQUE_ID.test(c.id) ? '<uniqueid>' : c.id;
  }
  return { byChannel, ids, other };
}

/**
 * A timing difference Ariadne has on purpose: Asterisk's Answer() waits up to 500 ms for media before the
 * next priority, Ariadne's returns at once. When a channel is hung up within that window, Asterisk's channel is
 * still at Answer while Ariadne's has already started the next priority. This rewrites the reference sequence of
 * `key` as if Answer had returned at once: after its ChannelStateChange to Up, the next priority's
 * ChannelDialplan is inserted and later events show the new location (ChannelDestroyed keeps the emptied app).
 */
export function answerReturnsAtOnce(events: readonly WireEvent[], channelId: string, next: { app: string; data: string }): WireEvent[] {
  let moved = false;
  const out: WireEvent[] = [];
  for (const e of events) {
    const c = eventChannel(e);
    if (!c || c.id !== channelId) {
      out.push(e);
      continue;
    }
    if (moved && c.dialplan) {
      const dp = c.dialplan;
      const app = e.type === 'ChannelDestroyed' ? { app_name: '', app_data: '' } : { app_name: next.app, app_data: next.data };
      const channel = { ...c, dialplan: { ...dp, priority: dp.priority + (dp.app_name === 'Answer' || e.type === 'ChannelDestroyed' ? 1 : 0), ...app } };
      out.push(e.type === 'Dial' ? { ...e, peer: channel } : { ...e, channel });
      continue;
    }
    out.push(e);
    if (!moved && e.type === 'ChannelStateChange' && c.state === 'Up' && c.dialplan?.app_name === 'Answer') {
      moved = true;
      const dp = c.dialplan;
      out.push({
        type: 'ChannelDialplan',
        dialplan_app: next.app,
        dialplan_app_data: next.data,
        channel: { ...c, dialplan: { ...dp, priority: dp.priority + 1, app_name: next.app, app_data: next.data } },
      });
    }
  }
  return out;
}
