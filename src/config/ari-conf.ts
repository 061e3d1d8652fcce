/**
 * ari.conf: whether ARI is on, how it formats JSON, which origins may call it, and who may log in.
 *
 * `src/http` authenticates requests against `users`, and `src/ari` reads `pretty`, `allowedOrigins`,
 * `channelvars` and the WebSocket write timeout. The shape follows Asterisk's `res/ari/config.c`:
 * `[general]` holds the global options (defaults: enabled, compact JSON, realm `Asterisk REST Interface`,
 * 100 ms write timeout); every other section is an object whose `type` says what it is:
 *
 * - `type = user`: a login named after the section, with `password` (required; a user without one is
 *   dropped with an error, as Asterisk drops it), `password_format` plain|crypt, `read_only`, and
 *   `permit`/`deny`/`acl` rules kept in the order written.
 * - `type = outbound_websocket` (new in Asterisk 22): not supported yet; warns and is skipped.
 *
 * Asterisk refuses a whole user section over one unknown option. Ariadne keeps the user and warns:
 * in particular many guides put `allowed_origins` inside the user section, where it has no effect, so
 * that case gets a warning that explains where the option belongs. A `permit`/`deny` value Asterisk
 * cannot parse also drops the user in Asterisk; Ariadne does the same (an ACL with a rule missing could
 * let in addresses the administrator meant to refuse).
 */

import * as net from 'node:net';
import * as path from 'node:path';
import type { ConfEntry, ConfSection } from './parser.ts';
import { parseConfFile } from './parser.ts';
import { deepFreeze, FrozenMap } from './freeze.ts';
import {
  concreteSections,
  DiagnosticList,
  missingFile,
  readBoolean,
  readChoice,
  readInteger,
  splitList,
  warnUnknownOption,
} from './options.ts';
import type { AclRule, AriConfig, AriUser, Loaded } from './types.ts';

export const DEFAULT_AUTH_REALM = 'Asterisk REST Interface';
/** AST_DEFAULT_WEBSOCKET_WRITE_TIMEOUT, in milliseconds. */
export const DEFAULT_WEBSOCKET_WRITE_TIMEOUT_MS = 100;

const PASSWORD_FORMATS = ['plain', 'crypt'] as const;

/** Loads `<etcDir>/ari.conf`. A missing file gives the defaults (ARI enabled, no users) and a warning. */
export function loadAriConf(etcDir: string): Loaded<AriConfig> {
  const file = path.resolve(etcDir, 'ari.conf');
  const doc = parseConfFile(file, { configDir: etcDir });
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);
  if (!doc.found) {
    missingFile(diagnostics, file, 'ARI is enabled with no users, so no request can authenticate');
  }

  const general = {
    enabled: true,
    pretty: false,
    authRealm: DEFAULT_AUTH_REALM,
    allowedOrigins: [] as string[],
    websocketWriteTimeoutMs: DEFAULT_WEBSOCKET_WRITE_TIMEOUT_MS,
    channelvars: [] as string[],
  };
  const users = new Map<string, AriUser>();

  for (const section of concreteSections(doc)) {
    if (section.name.toLowerCase() === 'general') {
      readGeneral(section, general, diagnostics);
      continue;
    }
    const typeEntry = section.entries.findLast((e) => e.key.toLowerCase() === 'type');
    const type = typeEntry?.value.toLowerCase();
    if (type === 'user') {
      const user = readUser(section, diagnostics);
      if (user !== undefined) {
        if (users.has(user.name)) {
          diagnostics.warn(section, `ARI user '${user.name}' is defined more than once; the last definition is used`);
        }
        users.set(user.name, deepFreeze(user));
      }
    } else if (type === 'outbound_websocket') {
      diagnostics.warn(section,
        `[${section.name}] is an outbound_websocket connection, which Ariadne does not support yet; ignored`);
    } else if (typeEntry === undefined) {
      diagnostics.warn(section,
        `section [${section.name}] in ari.conf has no 'type' (expected type = user or type = outbound_websocket); ignored`);
    } else {
      diagnostics.warn(typeEntry,
        `section [${section.name}] in ari.conf has unknown type '${typeEntry.value}' (expected user or outbound_websocket); ignored`);
    }
  }

  const value: AriConfig = {
    ...general,
    users: new FrozenMap(users),
  };
  return { value: deepFreeze(value), diagnostics: diagnostics.toArray() };
}

function readGeneral(
  section: ConfSection,
  general: {
    enabled: boolean;
    pretty: boolean;
    authRealm: string;
    allowedOrigins: string[];
    websocketWriteTimeoutMs: number;
    channelvars: string[];
  },
  diagnostics: DiagnosticList,
): void {
  for (const entry of section.entries) {
    switch (entry.key.toLowerCase()) {
      case 'type':
        if (entry.value.toLowerCase() !== 'general') {
          diagnostics.warn(entry, `[general] in ari.conf has type '${entry.value}'; only 'general' fits here; ignored`);
        }
        break;
      case 'enabled':
        general.enabled = readBoolean(entry, diagnostics, true);
        break;
      case 'pretty':
        general.pretty = readBoolean(entry, diagnostics, false);
        break;
      case 'auth_realm':
        general.authRealm = entry.value;
        break;
      case 'allowed_origins':
        general.allowedOrigins = splitList(entry.value);
        break;
      case 'websocket_write_timeout':
        general.websocketWriteTimeoutMs = readInteger(entry, diagnostics, DEFAULT_WEBSOCKET_WRITE_TIMEOUT_MS, { min: 1, max: 2147483647 });
        break;
      case 'channelvars':
        general.channelvars = splitList(entry.value);
        break;
      default:
        warnUnknownOption(diagnostics, entry, section);
    }
  }
}

function readUser(section: ConfSection, diagnostics: DiagnosticList): AriUser | undefined {
  let readOnly = false;
  let password = '';
  let passwordFormat: AriUser['passwordFormat'] = 'plain';
  const acl: AclRule[] = [];
  const aclNames: string[] = [];
  let aclBroken = false;

  for (const entry of section.entries) {
    switch (entry.key.toLowerCase()) {
      case 'type':
        break;
      case 'read_only':
        readOnly = readBoolean(entry, diagnostics, false);
        break;
      case 'password':
        password = entry.value;
        break;
      case 'password_format':
        passwordFormat = readChoice(entry, diagnostics, PASSWORD_FORMATS, 'plain');
        break;
      case 'permit':
      case 'deny': {
        const rules = readAclRules(entry, diagnostics);
        if (rules === undefined) {
          aclBroken = true;
        } else {
          acl.push(...rules);
        }
        break;
      }
      case 'acl':
        aclNames.push(...splitList(entry.value));
        break;
      case 'allowed_origins':
        diagnostics.warn(entry,
          `'allowed_origins' has no effect in user section [${section.name}]; it only applies in [general]`);
        break;
      default:
        warnUnknownOption(diagnostics, entry, section);
    }
  }

  if (password === '') {
    diagnostics.error(section, `ARI user '${section.name}' has no password; the user is not added`);
    return undefined;
  }
  if (aclBroken) {
    diagnostics.error(section, `ARI user '${section.name}' has an invalid permit/deny rule; the user is not added`);
    return undefined;
  }
  return { name: section.name, readOnly, password, passwordFormat, acl, aclNames };
}

/**
 * Reads one `permit`/`deny` value: a comma list of `address[/mask]` items, the mask a prefix length or an
 * address-style netmask of the same family. A leading `!` inverts the item (`deny = !10.0.0.0/8` is a
 * permit), which is resolved here so consumers only see plain permit/deny rules. `undefined` when any
 * item is invalid (the error names it).
 */
export function readAclRules(entry: ConfEntry, diagnostics: DiagnosticList): AclRule[] | undefined {
  const sense = entry.key.toLowerCase() === 'permit' ? 'permit' : 'deny';
  const rules: AclRule[] = [];
  for (const item of splitList(entry.value)) {
    const inverted = item.startsWith('!');
    const network = normalizeNetwork(inverted ? item.slice(1).trim() : item);
    if (network === undefined) {
      diagnostics.error(entry,
        `invalid value '${item}' for '${entry.key}': expected an address with an optional mask, such as 127.0.0.1, 10.0.0.0/8, 10.0.0.0/255.0.0.0 or ::1/128`);
      return undefined;
    }
    const action = inverted ? (sense === 'permit' ? 'deny' : 'permit') : sense;
    rules.push({ action, network });
  }
  if (rules.length === 0) {
    diagnostics.error(entry, `empty value for '${entry.key}': expected an address with an optional mask`);
    return undefined;
  }
  return rules;
}

/** Validates `address[/mask]`; returns it with IPv6 brackets removed, or `undefined` when invalid. */
function normalizeNetwork(text: string): string | undefined {
  const slash = text.indexOf('/');
  let address = slash < 0 ? text : text.slice(0, slash);
  const mask = slash < 0 ? undefined : text.slice(slash + 1);
  if (address.startsWith('[') && address.endsWith(']')) {
    address = address.slice(1, -1);
  }
  const family = ipFamily(address);
  if (family === 0) {
    return undefined;
  }
  if (mask === undefined) {
    return address;
  }
  if (/^\d+$/.test(mask)) {
    return Number(mask) <= (family === 4 ? 32 : 128) ? `${address}/${mask}` : undefined;
  }
  return ipFamily(mask) === family ? `${address}/${mask}` : undefined;
}

/** 4, 6 or 0 (not an address); an IPv4-mapped IPv6 address counts as IPv4, as Asterisk converts it. */
function ipFamily(address: string): 0 | 4 | 6 {
  const family = net.isIP(address);
  if (family === 6 && /^::ffff:/i.test(address)) {
    return 4;
  }
  return family === 4 ? 4 : family === 6 ? 6 : 0;
}
