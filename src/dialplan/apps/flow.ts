/**
 * Control-flow applications: Goto, GotoIf, GotoIfTime, Gosub/Return and WaitExten.
 */

import type { DialplanApp, GotoTarget } from '../../core/applications.ts';
import type { Channel } from '../../core/channel.ts';
import type { Logger } from '../../shared/logger.ts';
import { splitAppArgs } from '../args.ts';
import { timespecMatches } from '../lookup.ts';
import { seconds } from './wait.ts';

/** Parses `[[context,]exten,]priority|label` as Goto takes it. */
export function parseGoto(text: string): GotoTarget | undefined {
  const parts = splitAppArgs(text).map((p) => p.trim());
  if (parts.length === 0 || parts.every((p) => p === '')) return undefined;
  const last = parts[parts.length - 1] as string;
  const where: { context?: string; exten?: string } = {};
  if (parts.length >= 3) {
    where.context = parts[parts.length - 3] as string;
    where.exten = parts[parts.length - 2] as string;
  } else if (parts.length === 2) where.exten = parts[0] as string;
  // `+N`/`-N` are relative priorities in Asterisk; treat a bare number as absolute.
  if (/^\d+$/.test(last)) return { ...where, priority: Number(last) };
  if (last === '') return { ...where, priority: 1 };
  return { ...where, label: last };
}

/** Asterisk's condition rule: empty and "0" are false; a number is true when not zero; other text is true. */
export function conditionTrue(text: string): boolean {
  const t = text.trim();
  if (t === '') return false;
  if (/^[+-]?\d+(\.\d+)?$/.test(t)) return Number(t) !== 0;
  return true;
}

/** Splits `cond?iftrue:iffalse` (the branches are Goto targets, either may be empty). */
function splitCondition(data: string): { cond: string; yes: string; no: string } {
  const q = data.indexOf('?');
  if (q === -1) return { cond: data, yes: '', no: '' };
  const rest = data.slice(q + 1);
  const colon = rest.indexOf(':');
  return { cond: data.slice(0, q), yes: colon === -1 ? rest : rest.slice(0, colon), no: colon === -1 ? '' : rest.slice(colon + 1) };
}

interface GosubFrame {
  readonly context: string;
  readonly exten: string;
  readonly priority: number;
  readonly saved: Map<string, string | undefined>;
}

const STACK = 'dialplan.gosub';

function stack(channel: Channel): GosubFrame[] {
  let s = channel.attachments.get(STACK) as GosubFrame[] | undefined;
  if (!s) channel.attachments.set(STACK, (s = []));
  return s;
}

export function flowApps(logger: Logger, canMatch: (channel: Channel, exten: string) => { exact: boolean; more: boolean }): DialplanApp[] {
  return [
    {
      name: 'Goto',
      synopsis: 'Jump to a particular priority, extension, or context',
      execute: ({ channel, data }) => {
        const target = parseGoto(data);
        if (!target) {
          logger.warning(`Goto requires an argument ([[context,]extension,]priority) on ${channel.name}`);
          return { hangup: true };
        }
        return { goto: target };
      },
    },
    {
      name: 'GotoIf',
      synopsis: 'Conditional goto',
      execute: ({ data }) => {
        const { cond, yes, no } = splitCondition(data);
        const branch = conditionTrue(cond) ? yes : no;
        const target = parseGoto(branch);
        return target ? { goto: target } : undefined;
      },
    },
    {
      name: 'GotoIfTime',
      synopsis: 'Conditional Goto based on the current time',
      execute: ({ data }) => {
        const { cond, yes, no } = splitCondition(data);
        const spec = cond.split(/[,|]/).map((s) => s.trim()).join(',');
        const target = parseGoto(timespecMatches(spec) ? yes : no);
        return target ? { goto: target } : undefined;
      },
    },
    {
      name: 'Gosub',
      synopsis: 'Jump to a subroutine and return when it ends',
      execute: ({ channel, data }) => {
        const open = data.indexOf('(');
        const where = open === -1 ? data : data.slice(0, open);
        const args = open === -1 ? [] : splitAppArgs(data.slice(open + 1, data.lastIndexOf(')') === -1 ? undefined : data.lastIndexOf(')')));
        const target = parseGoto(where);
        if (!target) return { hangup: true };
        const loc = channel.location;
        const saved = new Map<string, string | undefined>();
        const argNames = args.map((_, i) => `ARG${i + 1}`);
        for (const n of [...argNames, 'ARGC']) saved.set(n, channel.getVariable(n));
        stack(channel).push({ context: loc.context, exten: loc.exten, priority: loc.priority + 1, saved });
        args.forEach((a, i) => channel.setVariable(`ARG${i + 1}`, a));
        channel.setVariable('ARGC', String(args.length));
        return { goto: target };
      },
    },
    {
      name: 'Return',
      synopsis: 'Return from a Gosub',
      execute: ({ channel, data }) => {
        const frame = stack(channel).pop();
        if (!frame) {
          logger.warning(`Return without Gosub on ${channel.name}`);
          return { hangup: true };
        }
        channel.setVariable('GOSUB_RETVAL', data);
        for (const [name, value] of frame.saved) {
          if (value === undefined) channel.deleteVariable(name);
          else channel.setVariable(name, value);
        }
        return { goto: { context: frame.context, exten: frame.exten, priority: frame.priority } };
      },
    },
    {
      name: 'WaitExten',
      synopsis: 'Wait for the caller to dial an extension',
      execute: async ({ channel, data }) => {
        const timeoutMs = seconds(splitAppArgs(data)[0], 10) * 1000 || 10_000;
        const digitTimeoutMs = 5000;
        let dialed = '';
        const result = await new Promise<'timeout' | 'done' | 'hangup'>((resolve) => {
          let timer = setTimeout(() => finish('timeout'), timeoutMs);
          const finish = (r: 'timeout' | 'done' | 'hangup') => {
            clearTimeout(timer);
            off();
            channel.hangupSignal.removeEventListener('abort', onHangup);
            resolve(r);
          };
          const onHangup = () => finish('hangup');
          const off = channel.onFrame((f) => {
            if (f.type !== 'dtmf') return;
            dialed += f.digit;
            const m = canMatch(channel, dialed);
            clearTimeout(timer);
            if (m.exact && !m.more) finish('done');
            else if (!m.exact && !m.more) finish('done');
            else timer = setTimeout(() => finish('done'), digitTimeoutMs);
          });
          channel.hangupSignal.addEventListener('abort', onHangup, { once: true });
        });
        if (result === 'hangup') return { hangup: true };
        if (result === 'timeout' && dialed === '') return { goto: { exten: 't', priority: 1 } };
        return { goto: { exten: dialed, priority: 1 } };
      },
    },
  ];
}
