/**
 * `http show status`: what the HTTP server is bound to and which URIs it serves, in the layout of
 * Asterisk's built-in HTTP server.
 */

import type { HttpConfig } from '../../config/types.ts';
import { UsageError } from '../registry.ts';
import type { CommandRegistry } from '../registry.ts';

export interface BoundAddress {
  readonly address: string;
  readonly port: number;
}

/** A URI the HTTP server serves, relative to the prefix, e.g. `{ path: 'ari', subtree: true, ... }`. */
export interface HttpUriView {
  /** Without the prefix and without a leading slash: `ari`, `ws`. */
  readonly path: string;
  /** True when everything below the path is served too (printed as `/ari/...`). */
  readonly subtree?: boolean;
  readonly description: string;
}

export interface HttpCommandSource {
  config(): HttpConfig;
  /** Where the servers actually listen; `plain` absent = HTTP disabled. */
  bound(): { readonly plain?: BoundAddress; readonly tls?: BoundAddress };
  uris(): readonly HttpUriView[];
}

/** `127.0.0.1:8088`, or `[::1]:8088` for IPv6. */
export function formatHostPort(bound: BoundAddress): string {
  return bound.address.includes(':') ? `[${bound.address}]:${bound.port}` : `${bound.address}:${bound.port}`;
}

/** Registers `http show status`. Returns a function that removes it. */
export function registerHttpCommands(registry: CommandRegistry, source: HttpCommandSource): () => void {
  return registry.register({
    words: ['http', 'show', 'status'],
    usage: 'http show status',
    summary: 'Show the HTTP server status',
    handler: ({ args, write }) => {
      if (args.length !== 0) throw new UsageError();
      const config = source.config();
      const prefix = config.prefix === '' ? '' : `/${config.prefix}`;
      const bound = source.bound();
      let out = `HTTP Server Status:\nPrefix: ${prefix}\nServer: ${config.servername}\n`;
      if (bound.plain === undefined) {
        out += 'Server Disabled\n\n';
      } else {
        out += `Server Enabled and Bound to ${formatHostPort(bound.plain)}\n\n`;
        if (bound.tls !== undefined) {
          out += `HTTPS Server Enabled and Bound to ${formatHostPort(bound.tls)}\n\n`;
        }
      }
      out += "Enabled URI's:\n";
      const uris = source.uris();
      if (uris.length === 0) {
        out += 'None.\n';
      } else {
        for (const u of uris) {
          out += `${prefix}/${u.path}${u.subtree === true ? '/...' : ''} => ${u.description}\n`;
        }
      }
      out += '\nEnabled Redirects:\n';
      if (config.redirects.length === 0) {
        out += '  None.\n';
      } else {
        for (const r of config.redirects) out += `  ${r.from} => ${r.to}\n`;
      }
      out += '\nPath Restrictions:\n  None.\n';
      write(out);
    },
  });
}
