/**
 * `ari ...` console commands: ARI settings, users and the registered Stasis applications, printed in the
 * layout Asterisk's `res_ari` uses so operators and scripts see the same text.
 */

import type { AclRule, AriConfig, AriUser } from '../../config/types.ts';
import { CommandFailure, UsageError } from '../registry.ts';
import type { CommandRegistry } from '../registry.ts';

/** One subscribed resource of an application and how many times it is subscribed. */
export interface SubscriptionView {
  readonly id: string;
  readonly count: number;
}

export interface AppView {
  readonly name: string;
  readonly debug: boolean;
  readonly subscribeAll: boolean;
  readonly channels: readonly SubscriptionView[];
  readonly bridges: readonly SubscriptionView[];
  readonly endpoints: readonly SubscriptionView[];
  readonly deviceStates: readonly SubscriptionView[];
}

/** What the `ari` commands read and change; wired by the composition root. */
export interface AriCommandSource {
  config(): AriConfig;
  apps(): readonly AppView[];
  /** Turns event debugging on or off for one app, or for all with `'all'`; false when the app is unknown. */
  setDebug(app: string, on: boolean): boolean;
}

const yesNo = (b: boolean): string => (b ? 'Yes' : 'No');

function hasAcl(user: AriUser): boolean {
  return user.acl.length > 0 || user.aclNames.length > 0;
}

function sortedUsers(config: AriConfig): AriUser[] {
  return [...config.users.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function ipv4Mask(bits: number): string {
  const parts: number[] = [];
  for (let i = 0; i < 4; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    parts.push(take === 0 ? 0 : (0xff << (8 - take)) & 0xff);
  }
  return parts.join('.');
}

function ipv6Mask(bits: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) {
    const take = Math.max(0, Math.min(16, bits - i * 16));
    groups.push((take === 0 ? 0 : (0xffff << (16 - take)) & 0xffff).toString(16));
  }
  // Compress the longest run of zero groups, as addresses are usually written.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** `10.0.0.0/8` → `10.0.0.0/255.0.0.0`; a bare address gets the full mask; dotted masks stay as written. */
function describeNetwork(network: string): string {
  const slash = network.indexOf('/');
  const address = slash < 0 ? network : network.slice(0, slash);
  const mask = slash < 0 ? undefined : network.slice(slash + 1);
  const v6 = address.includes(':');
  if (mask === undefined) return `${address}/${v6 ? ipv6Mask(128) : ipv4Mask(32)}`;
  if (/^\d+$/.test(mask)) {
    const bits = Number(mask);
    return `${address}/${v6 ? ipv6Mask(Math.min(bits, 128)) : ipv4Mask(Math.min(bits, 32))}`;
  }
  return `${address}/${mask}`;
}

function formatAcl(user: AriUser): string {
  let out = '';
  const rule = (r: AclRule, index: number): string =>
    `${String(index).padStart(3)}: ${r.action === 'permit' ? 'allow' : ' deny'} - ${describeNetwork(r.network)}\n`;
  if (user.acl.length > 0) {
    out += 'ACL: (unnamed)\n---------------------------------------------\n';
    user.acl.forEach((r, i) => {
      out += rule(r, i);
    });
  }
  for (const name of user.aclNames) {
    out += `ACL: ${name}\n---------------------------------------------\n`;
  }
  return out;
}

function formatApp(app: AppView): string {
  const list = (items: readonly SubscriptionView[]): string =>
    items.map((s) => `      ${s.id} (${s.count})\n`).join('');
  return (
    `Name: ${app.name}\n` +
    `  Debug: ${yesNo(app.debug)}\n` +
    `  Subscription Model: ${
      app.subscribeAll ? 'Global Resource Subscription' : 'Application/Explicit Resource Subscription'
    }\n` +
    `  Subscriptions: ${app.channels.length + app.bridges.length + app.endpoints.length + app.deviceStates.length}\n` +
    `    Channels:\n${list(app.channels)}` +
    `    Bridges:\n${list(app.bridges)}` +
    `    Endpoints:\n${list(app.endpoints)}`
  );
}

/**
 * Registers `ari show status|users|user|apps|app` and `ari set debug`. Returns a function that removes them.
 */
export function registerAriCommands(registry: CommandRegistry, source: AriCommandSource): () => void {
  const appNames = (): string[] => source.apps().map((a) => a.name);
  const offs = [
    registry.register({
      words: ['ari', 'show', 'status'],
      usage: 'ari show status',
      summary: 'Show the ARI settings',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        const c = source.config();
        write(
          'ARI Status:\n' +
            `Enabled: ${yesNo(c.enabled)}\n` +
            `Output format: ${c.pretty ? 'pretty' : 'compact'}\n` +
            `Auth realm: ${c.authRealm}\n` +
            `Allowed Origins: ${c.allowedOrigins.join(',')}\n` +
            `User count: ${c.users.size}\n`,
        );
      },
    }),
    registry.register({
      words: ['ari', 'show', 'users'],
      usage: 'ari show users',
      summary: 'List the ARI users',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        let out = 'r/o?  ACL?  Username\n----  ----  --------\n';
        for (const u of sortedUsers(source.config())) {
          out += `${yesNo(u.readOnly).padEnd(4)}  ${yesNo(hasAcl(u)).padEnd(4)}  ${u.name}\n`;
        }
        write(out);
      },
    }),
    registry.register({
      words: ['ari', 'show', 'user'],
      usage: 'ari show user <username>',
      summary: 'Show one ARI user',
      handler: ({ args, write }) => {
        if (args.length !== 1) throw new UsageError();
        const name = args[0] ?? '';
        const user = source.config().users.get(name);
        if (user === undefined) {
          write(`User '${name}' not found\n`);
          return;
        }
        write(
          `Username: ${user.name}\n` +
            `Read only?: ${yesNo(user.readOnly)}\n` +
            `ACL?: ${yesNo(hasAcl(user))}\n` +
            formatAcl(user),
        );
      },
      complete: (args) => (args.length === 0 ? sortedUsers(source.config()).map((u) => u.name) : []),
    }),
    registry.register({
      words: ['ari', 'show', 'apps'],
      usage: 'ari show apps',
      summary: 'List the registered Stasis applications',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        write(`${'Application Name'.padEnd(25)}\n${'='.repeat(25)}\n${appNames().map((n) => `${n}\n`).join('')}`);
      },
    }),
    registry.register({
      words: ['ari', 'show', 'app'],
      usage: 'ari show app <application>',
      summary: 'Show one Stasis application and its subscriptions',
      handler: ({ args, write }) => {
        if (args.length !== 1) throw new UsageError();
        const app = source.apps().find((a) => a.name === args[0]);
        if (app === undefined) throw new CommandFailure();
        write(formatApp(app));
      },
      complete: (args) => (args.length === 0 ? appNames() : []),
    }),
    registry.register({
      words: ['ari', 'set', 'debug'],
      usage: 'ari set debug <application|all> <on|off>',
      summary: 'Turn event debugging of Stasis applications on or off',
      handler: ({ args, write }) => {
        if (args.length !== 2) throw new UsageError();
        const [target = '', onOff = ''] = args;
        const on = onOff === 'on';
        if (!source.setDebug(target, on)) throw new CommandFailure();
        const what = on ? 'enabled' : 'disabled';
        write(target === 'all' ? `Debugging on all applications ${what}\n` : `Debugging on '${target}' ${what}\n`);
      },
      complete: (args) => (args.length === 0 ? ['all', ...appNames()] : args.length === 1 ? ['off', 'on'] : []),
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
