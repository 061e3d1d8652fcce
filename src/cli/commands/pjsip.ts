/**
 * The PJSIP console: `pjsip show endpoints|endpoint <id>|aors|aor <id>|contacts|auths|auth <id>|
 * registrations|transports|transport <id>|identifies|channels`, `pjsip set logger on|off`,
 * `rtp set debug on|off` and `pjsip reload`.
 *
 * The layouts are res_pjsip's CLI formatters: a header block naming the columns (`<Endpoint/CID....>`),
 * a ruler of 90 `=`, then one block per object with its children indented two more columns per level
 * (an endpoint lists its auths, AORs with their contacts, transport, identifies and channels), and
 * `Objects found: N`. Column widths follow Asterisk's tab stops (column 62 for the last flexible field, 90 for
 * the full width). `show <type> <id>` prints one object followed by its parameter list (`ParameterName :
 * ParameterValue`, every option of the object, sorted).
 *
 * The formatters are pure functions over a `PjsipView` (config, contacts with their status, device states,
 * channels, transports, registrations), so they are tested without a SIP stack; `registerPjsipCommands`
 * reads a fresh view for every command.
 */

import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { PjsipAor, PjsipAuth, PjsipConfig, PjsipEndpoint, PjsipIdentify, PjsipObject, PjsipTransport } from '../../config/pjsip.ts';
import type { Channel } from '../../core/channel.ts';
import type { DeviceState } from '../../core/device-states.ts';
import { setRtpDebug } from '../../media/rtp/debug.ts';
import { pjsipObjectFields } from '../../sip/objectset.ts';
import { CONTACT_SHORT_LABELS, type ContactState } from '../../sip/state.ts';
import type { CommandRegistry } from '../registry.ts';
import { UsageError } from '../registry.ts';

export interface PjsipContactView {
  readonly uri: string;
  /** Undefined when nothing is known about it yet (printed `Unknown`). */
  readonly status: ContactState | undefined;
  /** µs; printed only while Reachable. */
  readonly rttUs: number;
}

export interface PjsipChannelView {
  readonly name: string;
  /** The endpoint the channel belongs to. */
  readonly endpoint: string;
  /** Channel state as Asterisk names it (`Up`, `Ring`...). */
  readonly state: string;
  readonly appName: string;
  /** Epoch ms. */
  readonly creationtime: number;
  readonly exten: string;
  readonly connectedName: string;
  readonly connectedNumber: string;
}

export interface PjsipTransportStatus {
  readonly id: string;
  readonly protocol: string;
  /** `host:port` as bound (`[v6]:port` for IPv6). */
  readonly address: string;
}

export interface PjsipRegistrationStatus {
  /** `Registered`, `Unregistered`, `Rejected`... */
  readonly status: string;
  /** Epoch ms when the registration runs out. */
  readonly expiresAt: number;
}

/** What the console shows, read at the moment the command runs. */
export interface PjsipView {
  readonly config: PjsipConfig;
  /** Epoch ms. */
  readonly now: number;
  /** Static and registered contacts of an AOR. */
  contacts(aor: string): readonly PjsipContactView[];
  /** The device state of `PJSIP/<endpoint>`. */
  deviceState(endpoint: string): DeviceState;
  readonly channels: readonly PjsipChannelView[];
  /** The transports that are open (a configured transport that is not open is not listed, as in Asterisk). */
  readonly transports: readonly PjsipTransportStatus[];
  /** Outbound registration state; undefined before the first attempt. */
  registration(id: string): PjsipRegistrationStatus | undefined;
}

// --- layout helpers --------------------------------------------------------------------------------------

const MAX_WIDTH = 90;
const LAST_TABSTOP = 62;
const RULER = `${'='.repeat(MAX_WIDTH)}\n\n`;

/** Where a title ends for a nesting level (`%*s` of Asterisk's CLI_INDENT_TO_SPACES). */
const indentOf = (level: number): number => level * 2 + 1 + 8;
/** `%*s`: right-aligned in `width`. */
const right = (s: string, width: number): string => s.padStart(width);
/** `%-*.*s`: cut to `width`, left-aligned, padded. */
const cell = (s: string, width: number): string => s.slice(0, Math.max(0, width)).padEnd(Math.max(0, width));
const dots = (n: number): string => '.'.repeat(Math.max(0, n));

/** Asterisk's device state names (`ast_devstate_str`). */
const DEVICE_STATE_TEXT: Readonly<Record<DeviceState, string>> = {
  UNKNOWN: 'Unknown',
  NOT_INUSE: 'Not in use',
  INUSE: 'In use',
  BUSY: 'Busy',
  INVALID: 'Invalid',
  UNAVAILABLE: 'Unavailable',
  RINGING: 'Ringing',
  RINGINUSE: 'Ring+Inuse',
  ONHOLD: 'On Hold',
};

/** The id of a contact as Asterisk shows it after the AOR: a hash of the URI. */
export function contactHash(uri: string): string {
  return createHash('md5').update(uri).digest('hex');
}

function hhmmss(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

// --- headers --------------------------------------------------------------------------------------------

const header = {
  auth: (l: number) => `${right('I/OAuth', indentOf(l))}:  <AuthId/UserName${dots(MAX_WIDTH - indentOf(l) - 20)}>\n`,
  contact: (l: number) => `${right('Contact', indentOf(l))}:  <Aor/ContactUri${dots(LAST_TABSTOP - indentOf(l) - 23)}> <Hash....> <Status> <RTT(ms)..>\n`,
  aor: (l: number) => `${right('Aor', indentOf(l))}:  <Aor${dots(LAST_TABSTOP - indentOf(l) - 7)}>  <MaxContact>\n` + header.contact(l + 1),
  transport: (l: number) =>
    `${right('Transport', indentOf(l))}:  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress${dots(MAX_WIDTH - indentOf(l) - 61)}>\n`,
  identify: (l: number) =>
    `${right('Identify', indentOf(l))}:  <Identify/Endpoint${dots(MAX_WIDTH - indentOf(l) - 22)}>\n` +
    `${right('Match', indentOf(l + 1))}:  <criteria${dots(LAST_TABSTOP - indentOf(l + 1) - 24)}>\n`,
  channel: (l: number) =>
    `${right('Channel', indentOf(l))}:  <ChannelId${dots(LAST_TABSTOP - indentOf(l) - 13)}>  <State.....>  <Time.....>\n` +
    `${right('Exten', indentOf(l + 1))}: <DialedExten${dots(LAST_TABSTOP - indentOf(l + 1) - 38)}>  CLCID: <ConnectedLineCID.......>\n`,
  endpoint: () =>
    ' Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>\n' +
    header.auth(1) + header.aor(1) + header.transport(1) + header.identify(1) + header.channel(1),
  registration: () => ' <Registration/ServerURI..............................>  <Auth....................>  <Status.......>\n',
};

// --- bodies ---------------------------------------------------------------------------------------------

function authBody(auth: PjsipAuth, level: number, direction: string): string {
  return `${right(`${direction}Auth`, indentOf(level))}:  ${auth.id}/${auth.username}\n`;
}

function contactBody(aor: string, c: PjsipContactView, level: number): string {
  const width = LAST_TABSTOP - indentOf(level) - 9 - aor.length + 1;
  const status = CONTACT_SHORT_LABELS[c.status ?? 'Unknown'];
  const rtt = c.status === 'Reachable' ? (c.rttUs / 1000).toFixed(3) : 'nan';
  return `${right('Contact', indentOf(level))}:  ${aor}/${cell(c.uri, width)} ${cell(contactHash(c.uri), 10)} ${cell(status, 7)} ${right(rtt, 11)}\n`;
}

function aorBody(view: PjsipView, aor: PjsipAor, level: number): string {
  let out = `${right('Aor', indentOf(level))}:  ${cell(aor.id, LAST_TABSTOP - indentOf(level) - 12)} ${right(String(aor.maxContacts), 12)}\n`;
  for (const c of view.contacts(aor.id)) out += contactBody(aor.id, c, level + 1);
  return level === 0 ? `${out}\n` : out;
}

function transportBody(t: PjsipTransportStatus, level: number): string {
  return `${right('Transport', indentOf(level))}:  ${t.id.padEnd(21)}  ${right(t.protocol, 6)}  ${right('0', 5)}  ${right('0', 5)}  ${t.address}\n`;
}

function networkText(n: PjsipIdentify['match'][number]): string {
  const host = n.port !== 0 ? (n.family === 6 ? `[${n.address}]:${n.port}` : `${n.address}:${n.port}`) : n.address;
  return `${n.negated ? '!' : ''}${host}/${n.prefix}`;
}

function identifyBody(identify: PjsipIdentify, level: number): string {
  let out = `${right('Identify', indentOf(level))}:  ${identify.id}/${identify.endpoint}\n`;
  const inner = indentOf(level + 1);
  for (const n of identify.match) out += `${right('Match', inner)}: ${networkText(n)}\n`;
  for (const h of identify.matchHosts) out += `${right('Match', inner)}: ${h}\n`;
  if (identify.matchHeader !== undefined) {
    const h = identify.matchHeader;
    out += `${right('Header', inner)}: ${h.name}: ${h.regex ? `/${h.value}/` : h.value}\n`;
  }
  if (identify.matchRequestUri !== '') out += `${right('RequestURI', inner)}: ${identify.matchRequestUri}\n`;
  return level === 0 ? `${out}\n` : out;
}

function channelBody(view: PjsipView, ch: PjsipChannelView, level: number): string {
  const name = `${ch.name}/${ch.appName}`;
  let out = `${right('Channel', indentOf(level))}: ${cell(name, LAST_TABSTOP - indentOf(level))} ${cell(ch.state, 12)}  ${cell(hhmmss((view.now - ch.creationtime) / 1000), 11)}\n`;
  out += `${right('Exten', indentOf(level + 1))}: ${cell(ch.exten, LAST_TABSTOP - indentOf(level + 1) - 25)}  CLCID: "${ch.connectedName}" <${ch.connectedNumber}>\n`;
  return level === 0 ? `${out}\n` : out;
}

function transportOf(view: PjsipView, id: string): PjsipTransportStatus | undefined {
  return view.transports.find((t) => t.id === id);
}

function endpointBody(view: PjsipView, e: PjsipEndpoint): string {
  const number = e.callerid?.number ?? '';
  const name = number === '' ? e.id : `${e.id}/${number}`;
  const channels = view.channels.filter((c) => c.endpoint === e.id);
  const busyAt = e.deviceStateBusyAt === 0 ? 'inf' : String(e.deviceStateBusyAt);
  let out = ` Endpoint:  ${cell(name, LAST_TABSTOP - indentOf(0) - 2)}  ${cell(DEVICE_STATE_TEXT[view.deviceState(e.id)], 12)}  ${channels.length} of ${busyAt}\n`;
  for (const id of e.outboundAuth) {
    const a = view.config.auth.get(id);
    if (a !== undefined) out += authBody(a, 1, 'Out');
  }
  for (const id of e.auth) {
    const a = view.config.auth.get(id);
    if (a !== undefined) out += authBody(a, 1, 'In');
  }
  for (const id of e.aors) {
    const a = view.config.aor.get(id);
    if (a !== undefined) out += aorBody(view, a, 1);
  }
  const transport = e.transport === '' ? undefined : transportOf(view, e.transport);
  if (transport !== undefined) out += transportBody(transport, 1);
  for (const i of view.config.identify.values()) if (i.endpoint === e.id) out += identifyBody(i, 1);
  for (const c of channels) out += channelBody(view, c, 1);
  return `${out}\n`;
}

function registrationBody(view: PjsipView, id: string): string {
  const r = view.config.registration.get(id);
  if (r === undefined) return '';
  const state = view.registration(id);
  const width = Math.max(0, 53 - id.length);
  const exp = state === undefined ? 0 : Math.trunc((state.expiresAt - view.now) / 1000);
  const tail = state === undefined ? '0' : ` (exp. ${Math.abs(exp)}${exp < 0 ? 's ago)' : 's)'}`;
  return ` ${id}/${cell(r.serverUri, width)}  ${(r.outboundAuth[0] ?? 'n/a').padEnd(26)}  ${(state?.status ?? 'Unregistered').padEnd(16)} ${tail}\n`;
}

/** ` ParameterName : ParameterValue` lines of one object (sorcery's object set). */
export function formatObjectSet(object: PjsipObject): string {
  const fields = pjsipObjectFields(object);
  const nameWidth = Math.max(13, ...fields.map(([k]) => k.length));
  const valueWidth = Math.max(14, ...fields.map(([, v]) => v.length));
  let out = ` ${'ParameterName'.padEnd(nameWidth)} : ParameterValue\n ${'='.repeat(nameWidth + valueWidth + 3)}\n`;
  for (const [k, v] of fields) out += ` ${k.padEnd(nameWidth)} : ${v}\n`;
  return out;
}

// --- commands -------------------------------------------------------------------------------------------

/** The object kinds `pjsip show` knows, with their header and body formatters. */
interface Kind<T> {
  header(): string;
  list(view: PjsipView): T[];
  find(view: PjsipView, id: string): T | undefined;
  body(view: PjsipView, item: T): string;
  /** The object whose parameters follow a single-object listing. */
  object?(item: T): PjsipObject;
}

const sortById = <T extends { id: string }>(items: Iterable<T>): T[] => [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

const KINDS = {
  endpoint: {
    header: header.endpoint,
    list: (v) => sortById(v.config.endpoint.values()),
    find: (v, id) => v.config.endpoint.get(id),
    body: endpointBody,
    object: (e) => e,
  } satisfies Kind<PjsipEndpoint>,
  aor: {
    header: () => header.aor(0),
    list: (v) => sortById(v.config.aor.values()),
    find: (v, id) => v.config.aor.get(id),
    body: (v, a) => aorBody(v, a, 0),
    object: (a) => a,
  } satisfies Kind<PjsipAor>,
  contact: {
    header: () => header.contact(0),
    list: (v) =>
      [...v.config.aor.values()]
        .flatMap((a) => v.contacts(a.id).map((c) => ({ aor: a.id, c })))
        .sort((x, y) => (`${x.aor}/${x.c.uri}` < `${y.aor}/${y.c.uri}` ? -1 : 1)),
    find: () => undefined,
    body: (_v, { aor, c }) => contactBody(aor, c, 0),
  } satisfies Kind<{ aor: string; c: PjsipContactView }>,
  auth: {
    header: () => header.auth(0),
    list: (v) => sortById(v.config.auth.values()),
    find: (v, id) => v.config.auth.get(id),
    body: (_v, a) => authBody(a, 0, ''),
    object: (a) => a,
  } satisfies Kind<PjsipAuth>,
  transport: {
    header: () => header.transport(0),
    list: (v) => sortById(v.transports),
    find: (v, id) => transportOf(v, id),
    body: (_v, t) => transportBody(t, 0),
  } satisfies Kind<PjsipTransportStatus>,
  identify: {
    header: () => header.identify(0),
    list: (v) => sortById(v.config.identify.values()),
    find: (v, id) => v.config.identify.get(id),
    body: (_v, i) => identifyBody(i, 0),
    object: (i) => i,
  } satisfies Kind<PjsipIdentify>,
  registration: {
    header: header.registration,
    list: (v) => sortById([...v.config.registration.keys()].map((id) => ({ id }))),
    find: (v, id) => (v.config.registration.has(id) ? { id } : undefined),
    body: (v, r) => registrationBody(v, r.id),
  } satisfies Kind<{ id: string }>,
  channel: {
    header: () => header.channel(0),
    list: (v) => [...v.channels].sort((a, b) => (a.name < b.name ? -1 : 1)),
    find: (v, id) => v.channels.find((c) => c.name === id),
    body: (v, c) => channelBody(v, c, 0),
  } satisfies Kind<PjsipChannelView>,
};

export type PjsipObjectKind = keyof typeof KINDS;

/** `pjsip show <kind>s`: every object with the header block, or `No objects found.`. */
export function formatPjsipList(view: PjsipView, kind: PjsipObjectKind): string {
  const k = KINDS[kind] as Kind<unknown>;
  const items = k.list(view);
  if (items.length === 0) return 'No objects found.\n\n';
  return `\n${k.header()}${RULER}${items.map((i) => k.body(view, i)).join('')}\nObjects found: ${items.length}\n\n`;
}

/** `pjsip show <kind> <id>`: the object with its children and its parameter list. */
export function formatPjsipObject(view: PjsipView, kind: PjsipObjectKind, id: string): string {
  const k = KINDS[kind] as Kind<unknown>;
  const item = k.find(view, id);
  if (item === undefined) return `Unable to find object ${id}.\n\n`;
  const object = k.object?.(item);
  return `\n${k.header()}${RULER}${k.body(view, item)}${object === undefined ? '' : `\n${formatObjectSet(object)}`}\n`;
}

/** What the console reads from the running SIP side (`SipWiring` has this shape). */
export interface PjsipConsoleSource {
  config(): PjsipConfig;
  transports(): readonly { readonly id: string; readonly protocol: string; readonly address: string; readonly port: number }[];
  reload(): Promise<string>;
  readonly stack: { logging: boolean };
  readonly driver: { readonly channels: readonly Channel[] };
  readonly states: { contacts(aor: string): readonly { readonly uri: string; readonly status: ContactState; readonly rttUs: number }[] };
  readonly endpointEvents: { deviceState(endpoint: string): DeviceState };
  readonly registrations: { state(id: string): PjsipRegistrationStatus | undefined };
}

/** `1.2.3.4`, `1.2.3.4:5000`, `::1` or `[::1]:5000` (no host names, as Asterisk's `rtp set debug ip`). */
function parseHostPort(text: string): { address: string; port: number } | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? (isIP(text) !== 0 ? [text, text, undefined] : /^([^:]+):(\d+)$/.exec(text));
  const address = m?.[1];
  const port = Number(m?.[2] ?? 0);
  if (address === undefined || isIP(address) === 0 || !(port >= 0 && port <= 65535)) return undefined;
  return { address, port };
}

/** A channel's endpoint: `PJSIP/alice-00000001` → `alice`. */
function endpointOfChannel(name: string): string {
  const dash = name.lastIndexOf('-');
  return name.slice(name.indexOf('/') + 1, dash > 0 ? dash : undefined);
}

/** The console's dependencies over the running SIP side; `rtpDebug.enabled` is what `rtp set debug` sets. */
export function pjsipConsoleDeps(sip: PjsipConsoleSource, now: () => number, rtpDebug: { enabled: boolean }): PjsipCommandDeps {
  return {
    view: () => ({
      config: sip.config(),
      now: now(),
      contacts: (aor) => sip.states.contacts(aor),
      deviceState: (endpoint) => sip.endpointEvents.deviceState(endpoint),
      channels: sip.driver.channels.map((c) => ({
        name: c.name,
        endpoint: endpointOfChannel(c.name),
        state: c.state,
        appName: c.location.appName,
        creationtime: c.creationtime,
        exten: c.location.exten,
        connectedName: c.connected.name,
        connectedNumber: c.connected.number,
      })),
      transports: sip.transports().map((t) => ({ id: t.id, protocol: t.protocol, address: `${t.address.includes(':') ? `[${t.address}]` : t.address}:${t.port}` })),
      registration: (id) => sip.registrations.state(id),
    }),
    setLogger: (on) => {
      sip.stack.logging = on;
    },
    setRtpDebug: (settings) => {
      rtpDebug.enabled = settings.on;
      setRtpDebug(settings);
    },
    reload: () => sip.reload(),
  };
}

export interface PjsipCommandDeps {
  /** A fresh view of the SIP state; undefined while SIP is not running. */
  view(): PjsipView | undefined;
  /** `pjsip set logger on|off`: SIP traffic to the console log. */
  setLogger(on: boolean): void;
  /** `rtp set debug on|off|ip <host[:port]>` (port 0: any port of that host). */
  setRtpDebug(settings: { readonly on: boolean; readonly address?: string; readonly port?: number }): void;
  /** Re-reads pjsip.conf and applies it; resolves with a summary line. */
  reload(): Promise<string>;
}

const SHOW: ReadonlyArray<readonly [string, PjsipObjectKind, 'list' | 'one', string]> = [
  ['endpoints', 'endpoint', 'list', 'List PJSIP Endpoints'],
  ['endpoint', 'endpoint', 'one', 'Show PJSIP Endpoint(s)'],
  ['aors', 'aor', 'list', 'List PJSIP Aors'],
  ['aor', 'aor', 'one', 'Show PJSIP Aor(s)'],
  ['contacts', 'contact', 'list', 'List PJSIP Contacts'],
  ['auths', 'auth', 'list', 'List PJSIP Auths'],
  ['auth', 'auth', 'one', 'Show PJSIP Auth(s)'],
  ['registrations', 'registration', 'list', 'Show PJSIP Registrations'],
  ['transports', 'transport', 'list', 'List PJSIP Transports'],
  ['transport', 'transport', 'one', 'Show PJSIP Transport(s)'],
  ['identifies', 'identify', 'list', 'List PJSIP Identifies'],
  ['channels', 'channel', 'list', 'Show PJSIP Channels'],
];

export function registerPjsipCommands(registry: CommandRegistry, deps: PjsipCommandDeps): () => void {
  const view = (): PjsipView => {
    const v = deps.view();
    if (v === undefined) throw new Error('PJSIP is not running');
    return v;
  };
  const onOff = (args: readonly string[]): boolean => {
    const word = args[0]?.toLowerCase();
    if (args.length !== 1 || (word !== 'on' && word !== 'off')) throw new UsageError();
    return word === 'on';
  };
  const removers = SHOW.map(([word, kind, mode, summary]) =>
    registry.register({
      words: ['pjsip', 'show', word],
      usage: mode === 'list' ? `pjsip show ${word}` : `pjsip show ${word} <id>`,
      summary,
      handler: ({ args, write }) => {
        if (mode === 'list') {
          if (args.length !== 0) throw new UsageError();
          write(formatPjsipList(view(), kind));
          return;
        }
        const id = args[0];
        if (id === undefined || args.length !== 1) throw new UsageError();
        write(formatPjsipObject(view(), kind, id));
      },
      ...(mode === 'one'
        ? { complete: (args: readonly string[], w: string) => (args.length > 0 ? [] : (KINDS[kind] as Kind<{ id?: string; name?: string }>).list(view()).map((i) => i.id ?? i.name ?? '').filter((id) => id.startsWith(w))) }
        : {}),
    }),
  );
  removers.push(
    registry.register({
      words: ['pjsip', 'set', 'logger'],
      usage: 'pjsip set logger {on|off}',
      summary: 'Enable/Disable PJSIP Logger Output',
      description: 'Enables or disables logging of every SIP message read or sent on the PJSIP transports.',
      handler: ({ args, write }) => {
        const on = onOff(args);
        deps.setLogger(on);
        write(on ? 'PJSIP Logging enabled\n' : 'PJSIP Logging disabled\n');
      },
    }),
    registry.register({
      words: ['rtp', 'set', 'debug'],
      usage: 'rtp set debug {on|off|ip host[:port]}',
      summary: 'Enable/Disable RTP debugging',
      description: "Enables or disables dumping of every RTP packet sent and received; with 'ip', only those to and from that host (and port).",
      handler: ({ args, write }) => {
        if (args.length === 2 && args[0]?.toLowerCase() === 'ip') {
          const target = parseHostPort(args[1] ?? '');
          if (target === undefined) {
            write(`Lookup failed for '${args[1] ?? ''}'\n`);
            return;
          }
          deps.setRtpDebug({ on: true, ...target });
          const host = target.address.includes(':') ? `[${target.address}]` : target.address;
          write(`RTP Packet Debugging Enabled for address: ${target.port === 0 ? target.address : `${host}:${target.port}`}\n`);
          return;
        }
        const on = onOff(args);
        deps.setRtpDebug({ on });
        write(on ? 'RTP Packet Debugging Enabled\n' : 'RTP Packet Debugging Disabled\n');
      },
    }),
    registry.register({
      words: ['pjsip', 'reload'],
      usage: 'pjsip reload',
      summary: 'Reloads the PJSIP configuration',
      description: "Re-reads pjsip.conf (the same as 'module reload res_pjsip.so'); calls in progress are not affected.",
      handler: async ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        write(`${await deps.reload()}\n`);
      },
    }),
  );
  return () => {
    for (const remove of removers) remove();
  };
}
