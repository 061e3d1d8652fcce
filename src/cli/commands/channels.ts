/**
 * Console commands about calls: `core show channels [concise|verbose|count]`, `core show channel <name>`,
 * `channel request hangup <name|all>`, `core show applications` and `core show functions`, in the layouts
 * Asterisk prints.
 */

import type { Core } from '../../core/core.ts';
import type { Channel } from '../../core/channel.ts';
import { UsageError, CommandFailure, type CommandRegistry } from '../registry.ts';

export interface ChannelCommandSource {
  readonly core: Core;
  /** Dialplan functions, for `core show functions`. */
  functions(): readonly { name: string; synopsis: string }[];
}

const pad = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s.padEnd(n));

function appText(c: Channel): string {
  const l = c.location;
  return l.appName ? `${l.appName}(${l.appData})` : '(None)';
}

function durationText(ms: number): string {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function registerChannelCommands(registry: CommandRegistry, source: ChannelCommandSource): () => void {
  const { core } = source;
  const offs = [
    registry.register({
      words: ['core', 'show', 'channels'],
      usage: 'core show channels [concise|verbose|count]',
      summary: 'Display information on channels',
      handler: ({ args, write }) => {
        const mode = args[0]?.toLowerCase() ?? '';
        if (mode && !['concise', 'verbose', 'count'].includes(mode)) throw new UsageError();
        // Newest first, as Asterisk lists them.
        const list = core.channels.list().reverse();
        const now = core.now();
        if (mode === 'concise') {
          for (const c of list) {
            const l = c.location;
            const secs = Math.floor((now - c.creationtime) / 1000);
            write(
              [c.name, l.context, l.exten, l.priority, c.state, l.appName, l.appData, c.caller.number, c.accountcode, '', 3, secs, c.bridgeId ?? '', c.id].join('!') + '\n',
            );
          }
          return;
        }
        if (mode === 'verbose') {
          write(
            `${pad('Channel', 32)} ${pad('Context', 20)} ${pad('Extension', 20)} ${pad('Prio', 4)} ${pad('State', 7)} ${pad('Application', 12)} ${pad('Data', 25)} ${pad('CallerID', 15)} ${pad('Duration', 8)} ${pad('Accountcode', 11)} ${pad('PeerAccount', 11)} ${pad('BridgeID', 36)}\n`,
          );
          for (const c of list) {
            const l = c.location;
            write(
              `${pad(c.name, 32)} ${pad(l.context, 20)} ${pad(l.exten, 20)} ${pad(String(l.priority), 4)} ${pad(c.state, 7)} ${pad(l.appName, 12)} ${pad(l.appData, 25)} ${pad(c.caller.number, 15)} ${pad(durationText(now - c.creationtime), 8)} ${pad(c.accountcode, 11)} ${pad('', 11)} ${pad(c.bridgeId ?? '', 36)}\n`,
            );
          }
        } else if (mode !== 'count') {
          write(`${pad('Channel', 64)} ${pad('Location', 32)} ${pad('State', 7)} ${pad('Application(Data)', 30)}\n`);
          for (const c of list) {
            const l = c.location;
            write(`${pad(c.name, 64)} ${pad(`${l.exten}@${l.context}:${l.priority}`, 32)} ${pad(c.state, 7)} ${pad(appText(c), 30)}\n`);
          }
        }
        const n = list.length;
        // Asterisk counts every leg of a Local pair as a call (cli.txt: 2 channels, 2 calls).
        write(`${n} active channel${n === 1 ? '' : 's'}\n`);
        write(`${n} active call${n === 1 ? '' : 's'}\n`);
        write(`${core.channels.createdCount} call${core.channels.createdCount === 1 ? '' : 's'} processed\n`);
      },
    }),
    registry.register({
      words: ['core', 'show', 'channel'],
      usage: 'core show channel <channel>',
      summary: 'Display information on a specific channel',
      handler: ({ args, write }) => {
        const name = args[0];
        if (!name) throw new UsageError();
        const c = core.channels.byName(name) ?? core.channels.get(name);
        if (!c) throw new CommandFailure(`${name} is not a known channel`);
        const l = c.location;
        const lines = [
          ` -- General --`,
          `           Name: ${c.name}`,
          `           Type: ${c.tech.name}`,
          `       UniqueID: ${c.id}`,
          `       LinkedID: ${c.id}`,
          `      Caller ID: ${c.caller.number || '(N/A)'}`,
          ` Caller ID Name: ${c.caller.name || '(N/A)'}`,
          `Connected Line ID: ${c.connected.number || '(N/A)'}`,
          `Connected Line ID Name: ${c.connected.name || '(N/A)'}`,
          `       Language: ${c.language}`,
          `          State: ${c.state} (${stateNumber(c.state)})`,
          `    Hangup Cause: ${c.hangupCause}`,
          `    Elapsed Time: ${durationText(core.now() - c.creationtime).replace(/^(\d+):(\d+):(\d+)$/, '$1h$2m$3s')}`,
          `      Bridge ID: ${c.bridgeId ?? '(Not bridged)'}`,
          ` --   PBX   --`,
          `        Context: ${l.context}`,
          `      Extension: ${l.exten}`,
          `       Priority: ${l.priority}`,
          `    Application: ${l.appName || '(N/A)'}`,
          `           Data: ${l.appData || '(Empty)'}`,
          ` Call Identifer: (none)`,
          `      Variables:`,
          ...[...c.variables()].map(([k, v]) => `${k}=${v}`),
        ];
        write(lines.join('\n') + '\n');
      },
    }),
    registry.register({
      words: ['channel', 'request', 'hangup'],
      usage: 'channel request hangup <channel>|<all>',
      summary: 'Request a hangup on a given channel',
      handler: ({ args, write }) => {
        const name = args[0];
        if (!name) throw new UsageError();
        const targets = name.toLowerCase() === 'all' ? core.channels.list() : [core.channels.byName(name) ?? core.channels.get(name)].filter((c): c is Channel => !!c);
        if (targets.length === 0 && name.toLowerCase() !== 'all') throw new CommandFailure(`${name} is not a known channel`);
        for (const c of targets) {
          write(`Requested Hangup on channel '${c.name}'\n`);
          c.requestHangup({ soft: true, eventCause: 32 });
        }
      },
    }),
    registry.register({
      words: ['core', 'show', 'applications'],
      usage: 'core show applications [like <text>]',
      summary: 'Shows registered dialplan applications',
      handler: ({ args, write }) => {
        const like = args[0] === 'like' ? (args[1] ?? '').toLowerCase() : '';
        const apps = core.apps.list().filter((a) => !like || a.name.toLowerCase().includes(like));
        write('    -= Registered Asterisk Applications =-\n');
        for (const a of apps) write(`${a.name.padStart(20)}: ${a.synopsis}\n`);
        write(`    -= ${apps.length} Applications ${like ? 'Matching' : 'Registered'} =-\n`);
      },
    }),
    registry.register({
      words: ['core', 'show', 'functions'],
      usage: 'core show functions [like <text>]',
      summary: 'Shows registered dialplan functions',
      handler: ({ args, write }) => {
        const like = args[0] === 'like' ? (args[1] ?? '').toLowerCase() : '';
        const fns = source.functions().filter((f) => !like || f.name.toLowerCase().includes(like));
        write(`${like ? 'Matching' : 'Installed'} Custom Functions:\n--------------------------------------------------------------------------------\n`);
        for (const f of fns) write(`${f.name.padEnd(20)} ${f.synopsis}\n`);
        write(`${fns.length} ${like ? 'matching' : 'custom'} functions installed.\n`);
      },
    }),
  ];
  return () => offs.forEach((off) => off());
}

function stateNumber(state: string): number {
  return ['Down', 'Rsrvd', 'OffHook', 'Dialing', 'Ring', 'Ringing', 'Up', 'Busy', 'Dialing Offhook', 'Pre-ring'].indexOf(state);
}
