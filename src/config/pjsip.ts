/**
 * pjsip.conf: transports, endpoints, AORs, auths, identifies, outbound registrations and the global/system
 * settings of the SIP channel driver (`src/sip/`), read the way Asterisk's res_pjsip reads them through sorcery.
 *
 * Sorcery's rule is "every section is an object, its `type` option says which kind": the section name is the
 * object's id, and the same name may be used once per type (`[alice]` as an endpoint, an aor and an auth is the
 * usual style). Templates and inheritance come from the generic parser, so a `[phone](!)` template's options
 * arrive here as ordinary entries. Option names, values and defaults are Asterisk 22's
 * (res/res_pjsip/pjsip_configuration.c, config_transport.c, location.c, config_auth.c, config_global.c,
 * config_system.c, res_pjsip_endpoint_identifier_ip.c, res_pjsip_outbound_registration.c).
 *
 * Where Asterisk refuses a whole object over one bad option, Ariadne keeps the object, reports the bad value
 * with file:line and keeps the previous value (the default or the template's). Only checks that make an object
 * meaningless drop it, as Asterisk does: an auth without `username`, an identify that names no endpoint or
 * matches nothing, a registration without `server_uri`/`client_uri`, a transport without `bind`. Options
 * Asterisk knows and Ariadne does not implement are accepted; when they are set to something other than
 * Asterisk's default they are kept in `unsupported` and warn, so nobody is surprised that e.g. `t38_udptl=yes`
 * does nothing. References between objects (an endpoint's aors/auth/transport, an identify's endpoint) are
 * checked after loading and only warn: Asterisk resolves them at call time too.
 *
 * `diffPjsip(old, new)` tells `pjsip reload` which objects were added, changed or removed.
 */

import * as net from 'node:net';
import * as path from 'node:path';
import type { ConfDocument, ConfEntry, ConfSection } from './parser.ts';
import { parseConfFile } from './parser.ts';
import { deepFreeze, FrozenMap } from './freeze.ts';
import {
  concreteSections,
  DiagnosticList,
  missingFile,
  parseBooleanWord,
  readBoolean,
  readChoice,
  readInteger,
  splitList,
} from './options.ts';
import type { Located } from './options.ts';
import { readAclRules } from './ari-conf.ts';
import type { AclRule, Loaded } from './types.ts';

// --- the model ------------------------------------------------------------------------------------------

/** The object types Ariadne reads from pjsip.conf. */
export const PJSIP_OBJECT_TYPES = [
  'transport', 'endpoint', 'aor', 'auth', 'identify', 'registration', 'domain_alias', 'contact', 'global', 'system',
] as const;
export type PjsipObjectType = (typeof PJSIP_OBJECT_TYPES)[number];

/** Types other Asterisk modules read from pjsip.conf; Ariadne accepts the sections and warns that they do nothing. */
const UNSUPPORTED_TYPES: ReadonlySet<string> = new Set([
  'acl', 'phoneprov', 'resource_list', 'inbound-publication', 'outbound-publish', 'asterisk-publication',
]);

/** Where an object was defined (its section header). */
export interface PjsipSource {
  readonly file: string;
  readonly line: number;
}

interface PjsipObjectBase {
  /** The section name. */
  readonly id: string;
  readonly source: PjsipSource;
  /** Options Asterisk knows, Ariadne does not implement, and the file sets to a non-default value. */
  readonly unsupported: Readonly<Record<string, string>>;
}

/** An address with a prefix length, from `local_net`, identify `match`, `permit`/`deny`. */
export interface NetworkMatch {
  /** The address as written, without brackets (IPv4-mapped IPv6 is kept as written). */
  readonly address: string;
  readonly family: 4 | 6;
  /** Prefix length; an address-style netmask is converted (255.255.255.0 → 24). */
  readonly prefix: number;
  /** Only identify `match` may carry a port; 0 = any port. */
  readonly port: number;
  /** A leading `!` inverts the item (in `local_net`: "this network is NOT local"). */
  readonly negated: boolean;
}

export interface SocketAddress {
  readonly host: string;
  readonly family: 4 | 6;
  readonly port: number;
}

export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'flow';
export type TlsMethod = 'default' | 'unspecified' | 'tlsv1' | 'tlsv1_1' | 'tlsv1_2' | 'tlsv1_3' | 'sslv2' | 'sslv3' | 'sslv23';

export interface PjsipTransport extends PjsipObjectBase {
  readonly type: 'transport';
  readonly protocol: TransportProtocol;
  /** `bind`, with the default port (5061 for tls, 5060 otherwise) filled in; `undefined` only for `flow`. */
  readonly bind: SocketAddress | undefined;
  readonly externalMediaAddress: string;
  readonly externalSignalingAddress: string;
  /** 0 = the bound port. */
  readonly externalSignalingPort: number;
  readonly externalSignalingHostname: string;
  readonly localNet: readonly NetworkMatch[];
  readonly domain: string;
  readonly tls: {
    /** Absolute paths (relative names resolve against the configuration directory); '' = not set. */
    readonly certFile: string;
    readonly privKeyFile: string;
    readonly caListFile: string;
    readonly caListPath: string;
    readonly password: string;
    readonly method: TlsMethod;
    readonly cipher: readonly string[];
    readonly verifyServer: boolean;
    readonly verifyClient: boolean;
    readonly requireClientCert: boolean;
    readonly allowWildcardCerts: boolean;
  };
  readonly tcpKeepalive: {
    readonly enable: boolean;
    readonly idleTime: number;
    readonly intervalTime: number;
    readonly probeCount: number;
  };
  readonly websocketWriteTimeoutMs: number;
  readonly allowReload: boolean;
  readonly symmetricTransport: boolean;
}

export type DtmfMode = 'rfc4733' | 'inband' | 'info' | 'auto' | 'auto_info' | 'none';
export type IdentifyMethod = 'username' | 'auth_username' | 'ip' | 'header' | 'request_uri';
export type Rel100Mode = 'no' | 'yes' | 'required' | 'peer_supported';
export type TimersMode = 'no' | 'yes' | 'required' | 'always';
export type IncomingOfferPref = 'local' | 'local_first' | 'remote' | 'remote_first';
export type OutgoingOfferPref = 'local' | 'local_merge' | 'local_first' | 'remote' | 'remote_merge' | 'remote_first';
export type MediaEncryption = 'no' | 'sdes' | 'dtls';

/** One codec of an endpoint's ordered list; `framing` is the `:ms` suffix of `allow=ulaw:20` (0 = codec default). */
export interface CodecPref {
  readonly name: string;
  readonly framing: number;
}

export interface CallerId {
  readonly name: string;
  readonly number: string;
}

export interface PjsipEndpoint extends PjsipObjectBase {
  readonly type: 'endpoint';
  readonly context: string;
  /** The result of the `disallow`/`allow` lines in order; empty means the endpoint cannot carry audio. */
  readonly codecs: readonly CodecPref[];
  readonly dtmfMode: DtmfMode;
  readonly aors: readonly string[];
  readonly auth: readonly string[];
  readonly outboundAuth: readonly string[];
  readonly transport: string;
  readonly outboundProxy: string;
  readonly directMedia: boolean;
  readonly rtpSymmetric: boolean;
  readonly forceRport: boolean;
  readonly rewriteContact: boolean;
  readonly rtpIpv6: boolean;
  readonly iceSupport: boolean;
  readonly usePtime: boolean;
  readonly mediaAddress: string;
  readonly bindRtpToMediaAddress: boolean;
  readonly callerid: CallerId | undefined;
  /** A presentation name such as `allowed_not_screened` or `prohib` (a number is kept as written). */
  readonly calleridPrivacy: string;
  readonly calleridTag: string;
  readonly fromUser: string;
  readonly fromDomain: string;
  readonly contactUser: string;
  readonly language: string;
  readonly sendPai: boolean;
  readonly sendRpid: boolean;
  readonly sendDiversion: boolean;
  readonly trustIdInbound: boolean;
  readonly trustIdOutbound: boolean;
  readonly trustConnectedLine: boolean;
  readonly sendConnectedLine: boolean;
  readonly mohSuggest: string;
  readonly identifyBy: readonly IdentifyMethod[];
  readonly rel100: Rel100Mode;
  readonly timers: TimersMode;
  readonly timersMinSe: number;
  readonly timersSessExpires: number;
  readonly mailboxes: readonly string[];
  readonly deviceStateBusyAt: number;
  readonly allowTransfer: boolean;
  /** `set_var = NAME=value` lines; a later line for the same name replaces the earlier value. */
  readonly setVar: readonly { readonly name: string; readonly value: string }[];
  readonly toneZone: string;
  readonly inbandProgress: boolean;
  readonly messageContext: string;
  readonly subscribeContext: string;
  readonly allowSubscribe: boolean;
  readonly accountcode: string;
  readonly incomingCallOfferPref: IncomingOfferPref;
  readonly outgoingCallOfferPref: OutgoingOfferPref;
  readonly preferredCodecOnly: boolean;
  readonly rtpTimeout: number;
  readonly rtpTimeoutHold: number;
  readonly rtpKeepalive: number;
  readonly sdpOwner: string;
  readonly sdpSession: string;
  readonly mediaEncryption: MediaEncryption;
  readonly allowOverlap: boolean;
  readonly referBlindProgress: boolean;
  readonly userEqPhone: boolean;
  readonly mohPassthrough: boolean;
  readonly suppressQ850ReasonHeaders: boolean;
  readonly allowUnauthenticatedOptions: boolean;
  /** `permit`/`deny` in order (resolved to plain rules) and `acl` names; not enforced yet (warns). */
  readonly acl: readonly AclRule[];
}

export interface PjsipAor extends PjsipObjectBase {
  readonly type: 'aor';
  readonly maxContacts: number;
  /** Static contacts (`contact=`, repeatable, comma lists), sip:/sips: URIs in the order written. */
  readonly contacts: readonly string[];
  readonly qualifyFrequency: number;
  /** Seconds (fractional). */
  readonly qualifyTimeout: number;
  readonly qualify2xxOnly: boolean;
  readonly authenticateQualify: boolean;
  readonly removeExisting: boolean;
  readonly removeUnavailable: boolean;
  readonly defaultExpiration: number;
  readonly minimumExpiration: number;
  readonly maximumExpiration: number;
  readonly mailboxes: readonly string[];
  readonly voicemailExtension: string;
  readonly outboundProxy: string;
  readonly supportPath: boolean;
}

export type AuthType = 'userpass' | 'md5' | 'digest' | 'google_oauth';
export type DigestAlgorithm = 'MD5' | 'SHA-256' | 'SHA-512-256';

export interface PjsipAuth extends PjsipObjectBase {
  readonly type: 'auth';
  readonly authType: AuthType;
  readonly username: string;
  readonly password: string;
  /** `md5_cred`: hex MD5 of `username:realm:password`. */
  readonly md5Cred: string;
  /** `password_digest = ALGORITHM:hash` lines by algorithm. */
  readonly passwordDigests: Readonly<Partial<Record<DigestAlgorithm, string>>>;
  /** '' = the global `default_realm` for challenges, the server's realm for outbound auth. */
  readonly realm: string;
  readonly nonceLifetime: number;
  /** Empty = the global defaults. */
  readonly supportedAlgorithmsUas: readonly DigestAlgorithm[];
  readonly supportedAlgorithmsUac: readonly DigestAlgorithm[];
}

export interface HeaderMatch {
  readonly name: string;
  /** The value to compare, or the pattern between slashes when `regex` is true. */
  readonly value: string;
  readonly regex: boolean;
}

export interface PjsipIdentify extends PjsipObjectBase {
  readonly type: 'identify';
  readonly endpoint: string;
  /** Addresses and networks from `match`. */
  readonly match: readonly NetworkMatch[];
  /** Host names from `match`, to be resolved (A/AAAA, and SRV when `srvLookups`). */
  readonly matchHosts: readonly string[];
  readonly matchHeader: HeaderMatch | undefined;
  readonly matchRequestUri: string;
  readonly srvLookups: boolean;
}

export interface PjsipRegistration extends PjsipObjectBase {
  readonly type: 'registration';
  readonly serverUri: string;
  readonly clientUri: string;
  readonly contactUser: string;
  readonly contactHeaderParams: string;
  readonly transport: string;
  readonly outboundProxy: string;
  readonly outboundAuth: readonly string[];
  readonly expiration: number;
  readonly maxRandomInitialDelay: number;
  readonly retryInterval: number;
  readonly forbiddenRetryInterval: number;
  readonly fatalRetryInterval: number;
  readonly maxRetries: number;
  readonly authRejectionPermanent: boolean;
  readonly supportPath: boolean;
  readonly supportOutbound: boolean;
  readonly line: boolean;
  readonly endpoint: string;
  readonly userAgent: string;
}

export interface PjsipDomainAlias extends PjsipObjectBase {
  readonly type: 'domain_alias';
  readonly domain: string;
}

export interface PjsipContact extends PjsipObjectBase {
  readonly type: 'contact';
  readonly uri: string;
  readonly endpoint: string;
  readonly qualifyFrequency: number;
  readonly qualifyTimeout: number;
  readonly authenticateQualify: boolean;
  readonly outboundProxy: string;
}

export interface PjsipGlobal extends PjsipObjectBase {
  readonly type: 'global';
  readonly maxForwards: number;
  readonly userAgent: string;
  readonly defaultOutboundEndpoint: string;
  readonly debug: string;
  readonly endpointIdentifierOrder: readonly string[];
  readonly keepAliveInterval: number;
  readonly maxInitialQualifyTime: number;
  readonly defaultFromUser: string;
  readonly defaultVoicemailExtension: string;
  readonly regcontext: string;
  readonly contactExpirationCheckInterval: number;
  readonly disableMultiDomain: boolean;
  readonly unidentifiedRequestCount: number;
  readonly unidentifiedRequestPeriod: number;
  readonly unidentifiedRequestPruneInterval: number;
  readonly defaultRealm: string;
  readonly ignoreUriUserOptions: boolean;
  readonly useCalleridContact: boolean;
  readonly allowSending180After183: boolean;
  readonly norefersub: boolean;
  readonly allCodecsOnEmptyReinvite: boolean;
  readonly defaultAuthAlgorithmsUas: readonly DigestAlgorithm[];
  readonly defaultAuthAlgorithmsUac: readonly DigestAlgorithm[];
}

export interface PjsipSystem extends PjsipObjectBase {
  readonly type: 'system';
  /** Milliseconds. */
  readonly timerT1: number;
  readonly timerB: number;
  readonly compactHeaders: boolean;
  readonly disableTcpSwitch: boolean;
  readonly followEarlyMediaFork: boolean;
  readonly acceptMultipleSdpAnswers: boolean;
  readonly disableRport: boolean;
}

/** pjsip.conf, keyed by object type then id. `global` and `system` always exist (defaults when not configured). */
export interface PjsipConfig {
  readonly transport: ReadonlyMap<string, PjsipTransport>;
  readonly endpoint: ReadonlyMap<string, PjsipEndpoint>;
  readonly aor: ReadonlyMap<string, PjsipAor>;
  readonly auth: ReadonlyMap<string, PjsipAuth>;
  readonly identify: ReadonlyMap<string, PjsipIdentify>;
  readonly registration: ReadonlyMap<string, PjsipRegistration>;
  readonly domain_alias: ReadonlyMap<string, PjsipDomainAlias>;
  readonly contact: ReadonlyMap<string, PjsipContact>;
  readonly global: PjsipGlobal;
  readonly system: PjsipSystem;
}

export type PjsipObject =
  | PjsipTransport | PjsipEndpoint | PjsipAor | PjsipAuth | PjsipIdentify | PjsipRegistration
  | PjsipDomainAlias | PjsipContact | PjsipGlobal | PjsipSystem;

// --- constants ------------------------------------------------------------------------------------------

/** The User-Agent/Server header Asterisk 22.10.1 sends by default (`Asterisk PBX` + version). */
export const DEFAULT_USER_AGENT = 'Asterisk PBX 22.10.1';
export const DEFAULT_SIP_PORT = 5060;
export const DEFAULT_SIPS_PORT = 5061;

/**
 * The codec names Asterisk knows, in its registration order (which is the order `allow=all` adds them).
 * Names outside this list are refused with a warning, as Asterisk refuses them.
 */
export const KNOWN_CODECS: readonly string[] = Object.freeze([
  'codec2', 'g723', 'ulaw', 'alaw', 'gsm', 'g726', 'g726aal2', 'adpcm', 'slin', 'slin12', 'slin16', 'slin24',
  'slin32', 'slin44', 'slin48', 'slin96', 'slin192', 'lpc10', 'g729', 'speex', 'speex16', 'speex32', 'ilbc',
  'g722', 'siren7', 'siren14', 'g719', 'opus', 'jpeg', 'png', 'h261', 'h263', 'h263p', 'h264', 'h265', 'mpeg4',
  'vp8', 'vp9', 'red', 't140', 't38', 'silk8', 'silk12', 'silk16', 'silk24',
]);

const CALLER_PRESENTATIONS: readonly string[] = [
  'allowed_not_screened', 'allowed_passed_screen', 'allowed_failed_screen', 'allowed',
  'prohib_not_screened', 'prohib_passed_screen', 'prohib_failed_screen', 'prohib', 'unavailable',
];

const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256', 'SHA-512-256'];

// --- option tables ----------------------------------------------------------------------------------------

type Draft = Record<string, unknown>;

interface ReadContext {
  readonly diagnostics: DiagnosticList;
  readonly etcDir: string;
  readonly section: string;
}

/** Reads one option into the draft object; the current draft value is the fallback for a bad value. */
type OptionReader = (entry: ConfEntry, draft: Draft, ctx: ReadContext) => void;

function bool(field: string): OptionReader {
  return (entry, draft, ctx) => {
    draft[field] = readBoolean(entry, ctx.diagnostics, draft[field] as boolean);
  };
}

function int(field: string, min = 0, max = 2147483647): OptionReader {
  return (entry, draft, ctx) => {
    draft[field] = readInteger(entry, ctx.diagnostics, draft[field] as number, { min, max });
  };
}

function text(field: string): OptionReader {
  return (entry, draft) => {
    draft[field] = entry.value;
  };
}

function list(field: string): OptionReader {
  return (entry, draft) => {
    draft[field] = splitList(entry.value);
  };
}

function choice(field: string, choices: readonly string[]): OptionReader {
  return (entry, draft, ctx) => {
    draft[field] = readChoice(entry, ctx.diagnostics, choices, draft[field] as string);
  };
}

function file(field: string): OptionReader {
  return (entry, draft, ctx) => {
    draft[field] = entry.value === '' ? '' : path.resolve(ctx.etcDir, entry.value);
  };
}

/** Fractional seconds such as `qualify_timeout = 3.0`. */
function seconds(field: string): OptionReader {
  return (entry, draft, ctx) => {
    const value = /^\s*\d+(\.\d+)?\s*$/.test(entry.value) ? Number(entry.value) : Number.NaN;
    if (Number.isNaN(value)) {
      ctx.diagnostics.error(entry,
        `invalid value '${entry.value}' for '${entry.key}': expected a number of seconds such as 3.0; using ${String(draft[field])}`);
      return;
    }
    draft[field] = value;
  };
}

/** Accepted without effect and without a warning (quality-of-service bits, thread pool sizes...). */
const ignored: OptionReader = () => {};

/**
 * Options Asterisk defines for a type that Ariadne does not implement, with Asterisk's defaults: setting one
 * to its default is silent, anything else is kept in `unsupported` and warns once.
 */
function unsupportedOptions(defaults: Readonly<Record<string, string>>): Record<string, OptionReader> {
  const readers: Record<string, OptionReader> = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    readers[name] = (entry, draft, ctx) => {
      const bag = draft['unsupported'] as Record<string, string>;
      if (sameSetting(entry.value, fallback)) {
        delete bag[name];
        return;
      }
      bag[name] = entry.value;
      ctx.diagnostics.warn(entry,
        `'${entry.key}' in [${ctx.section}] is not supported by Ariadne yet; the value '${entry.value}' has no effect`);
    };
  }
  return readers;
}

function sameSetting(value: string, fallback: string): boolean {
  const a = parseBooleanWord(value);
  const b = parseBooleanWord(fallback);
  if (a !== undefined && b !== undefined) {
    return a === b;
  }
  return value.trim().toLowerCase() === fallback.toLowerCase();
}

// --- per-type readers ---------------------------------------------------------------------------------------

interface TypeSpec {
  defaults(etcDir: string): Draft;
  readonly options: Readonly<Record<string, OptionReader>>;
  /** Object-level checks after all options; returns false to drop the object (the reason is reported). */
  finish?(draft: Draft, at: Located, ctx: ReadContext): boolean;
}

const transportSpec: TypeSpec = {
  defaults: () => ({
    protocol: 'udp',
    bind: undefined,
    externalMediaAddress: '',
    externalSignalingAddress: '',
    externalSignalingPort: 0,
    externalSignalingHostname: '',
    localNet: [],
    domain: '',
    tls: {
      certFile: '', privKeyFile: '', caListFile: '', caListPath: '', password: '', method: 'default', cipher: [],
      verifyServer: false, verifyClient: false, requireClientCert: false, allowWildcardCerts: false,
    },
    tcpKeepalive: { enable: false, idleTime: 30, intervalTime: 1, probeCount: 5 },
    websocketWriteTimeoutMs: 100,
    allowReload: false,
    symmetricTransport: false,
  }),
  options: {
    protocol: choice('protocol', ['udp', 'tcp', 'tls', 'ws', 'wss', 'flow']),
    bind: (entry, draft, ctx) => {
      const address = parseSocketAddress(entry.value);
      if (address === undefined) {
        ctx.diagnostics.error(entry,
          `invalid value '${entry.value}' for 'bind': expected an IP address with an optional port, such as 0.0.0.0, 0.0.0.0:5060 or [::]:5061`);
        return;
      }
      draft['bind'] = address;
    },
    external_media_address: text('externalMediaAddress'),
    external_signaling_address: text('externalSignalingAddress'),
    external_signaling_port: int('externalSignalingPort', 0, 65535),
    external_signaling_hostname: text('externalSignalingHostname'),
    local_net: (entry, draft, ctx) => {
      if (entry.value.trim() === '') {
        draft['localNet'] = [];
        return;
      }
      const nets = readNetworks(entry, ctx, false);
      if (nets !== undefined) {
        draft['localNet'] = [...(draft['localNet'] as NetworkMatch[]), ...nets];
      }
    },
    domain: text('domain'),
    cert_file: tlsField('certFile', file),
    priv_key_file: tlsField('privKeyFile', file),
    ca_list_file: tlsField('caListFile', file),
    ca_list_path: tlsField('caListPath', file),
    password: tlsField('password', text),
    method: (entry, draft, ctx) => {
      const tls = draft['tls'] as Draft;
      tls['method'] = entry.value.trim() === '' ? 'default'
        : readChoice(entry, ctx.diagnostics,
          ['default', 'unspecified', 'tlsv1', 'tlsv1_1', 'tlsv1_2', 'tlsv1_3', 'sslv2', 'sslv3', 'sslv23'], tls['method'] as string);
    },
    cipher: tlsField('cipher', list),
    verify_server: tlsField('verifyServer', bool),
    verify_client: tlsField('verifyClient', bool),
    require_client_cert: tlsField('requireClientCert', bool),
    allow_wildcard_certs: tlsField('allowWildcardCerts', bool),
    tcp_keepalive_enable: nested('tcpKeepalive', 'enable', bool),
    tcp_keepalive_idle_time: nested('tcpKeepalive', 'idleTime', (f) => int(f, 1)),
    tcp_keepalive_interval_time: nested('tcpKeepalive', 'intervalTime', (f) => int(f, 1)),
    tcp_keepalive_probe_count: nested('tcpKeepalive', 'probeCount', (f) => int(f, 1)),
    websocket_write_timeout: int('websocketWriteTimeoutMs', 1),
    allow_reload: bool('allowReload'),
    symmetric_transport: bool('symmetricTransport'),
    tos: ignored,
    cos: ignored,
    async_operations: ignored,
  },
  finish(draft, at, ctx) {
    const protocol = draft['protocol'] as TransportProtocol;
    if (protocol === 'flow') {
      return true;
    }
    const bind = draft['bind'] as SocketAddress | undefined;
    if (bind === undefined) {
      ctx.diagnostics.error(at, `transport '${ctx.section}' has no valid 'bind' address; the transport is not created`);
      return false;
    }
    if (bind.port === 0) {
      draft['bind'] = { ...bind, port: protocol === 'tls' ? DEFAULT_SIPS_PORT : DEFAULT_SIP_PORT };
    }
    if (draft['externalSignalingAddress'] !== '' && draft['externalSignalingHostname'] !== '') {
      ctx.diagnostics.error(at,
        `transport '${ctx.section}' sets both external_signaling_address and external_signaling_hostname; only one may be used; the transport is not created`);
      return false;
    }
    if (protocol === 'tls' && (draft['tls'] as Draft)['certFile'] === '') {
      ctx.diagnostics.error(at, `TLS transport '${ctx.section}' has no 'cert_file'; the transport is not created`);
      return false;
    }
    return true;
  },
};

function tlsField(field: string, make: (f: string) => OptionReader): OptionReader {
  return nested('tls', field, make);
}

/** Applies an ordinary reader to a field of a nested draft object (`tls.certFile`). */
function nested(outer: string, field: string, make: (f: string) => OptionReader): OptionReader {
  const inner = make(field);
  return (entry, draft, ctx) => {
    const copy = { ...(draft[outer] as Draft) };
    inner(entry, copy, ctx);
    draft[outer] = copy;
  };
}

const ENDPOINT_UNSUPPORTED = unsupportedOptions({
  direct_media_method: 'invite', connected_line_method: 'invite', direct_media_glare_mitigation: 'none',
  disable_direct_media_on_nat: 'no', rpid_immediate: 'no', send_history_info: 'no', voicemail_extension: '',
  aggregate_mwi: 'yes', mwi_subscribe_replaces_unsolicited: 'no', use_avpf: 'no', force_avp: 'no',
  media_use_received_transport: 'no', rtp_port_start: '0', rtp_port_end: '0', one_touch_recording: 'no',
  call_group: '', pickup_group: '', named_call_group: '', named_pickup_group: '', t38_udptl: 'no',
  t38_udptl_ec: 'none', t38_udptl_maxdatagram: '0', fax_detect: 'no', fax_detect_timeout: '0', t38_udptl_nat: 'no',
  t38_udptl_ipv6: 'no', t38_bind_udptl_to_media_address: 'no', record_on_feature: 'automixmon',
  record_off_feature: 'automixmon', sub_min_expiry: '0', mwi_from_user: '', rtp_engine: 'asterisk',
  dtls_verify: 'no', dtls_rekey: '0', dtls_auto_generate_cert: 'no', dtls_cert_file: '', dtls_private_key: '',
  dtls_cipher: '', dtls_ca_file: '', dtls_ca_path: '', dtls_setup: '', dtls_fingerprint: '', srtp_tag_32: 'no',
  media_encryption_optimistic: 'no', g726_non_standard: 'no', redirect_method: 'user', follow_redirect_methods: '',
  contact_deny: '', contact_permit: '', contact_acl: '', asymmetric_rtp_codec: 'no', rtcp_mux: 'no',
  overlap_context: '', notify_early_inuse_ringing: 'no', max_audio_streams: '1', max_video_streams: '1',
  bundle: 'no', webrtc: 'no', incoming_mwi_mailbox: '', follow_early_media_fork: 'yes',
  accept_multiple_sdp_answers: 'no', ignore_183_without_sdp: 'no',
  codec_prefs_incoming_offer: 'prefer: pending, operation: intersect, keep: all, transcode: allow',
  codec_prefs_outgoing_offer: 'prefer: pending, operation: union, keep: all, transcode: allow',
  codec_prefs_incoming_answer: 'prefer: pending, operation: intersect, keep: all',
  codec_prefs_outgoing_answer: 'prefer: pending, operation: intersect, keep: all',
  stir_shaken: 'off', stir_shaken_profile: '', geoloc_incoming_call_profile: '', geoloc_outgoing_call_profile: '',
  security_mechanisms: '', security_negotiation: 'no', send_aoc: 'no', tenantid: '', suppress_moh_on_sendonly: 'no',
});

const endpointSpec: TypeSpec = {
  defaults: () => ({
    context: 'default', codecs: [], dtmfMode: 'rfc4733', aors: [], auth: [], outboundAuth: [], transport: '',
    outboundProxy: '', directMedia: true, rtpSymmetric: false, forceRport: true, rewriteContact: false,
    rtpIpv6: false, iceSupport: false, usePtime: false, mediaAddress: '', bindRtpToMediaAddress: false,
    callerid: undefined, calleridPrivacy: 'allowed_not_screened', calleridTag: '', fromUser: '', fromDomain: '',
    contactUser: '', language: '', sendPai: false, sendRpid: false, sendDiversion: true, trustIdInbound: false,
    trustIdOutbound: false, trustConnectedLine: true, sendConnectedLine: true, mohSuggest: 'default',
    identifyBy: ['username', 'ip'], rel100: 'yes', timers: 'yes', timersMinSe: 90, timersSessExpires: 1800,
    mailboxes: [], deviceStateBusyAt: 0, allowTransfer: true, setVar: [], toneZone: '', inbandProgress: false,
    messageContext: '', subscribeContext: '', allowSubscribe: true, accountcode: '', incomingCallOfferPref: 'local',
    outgoingCallOfferPref: 'remote_merge', preferredCodecOnly: false, rtpTimeout: 0, rtpTimeoutHold: 0,
    rtpKeepalive: 0, sdpOwner: '-', sdpSession: 'Asterisk', mediaEncryption: 'no', allowOverlap: true,
    referBlindProgress: true, userEqPhone: false, mohPassthrough: false, suppressQ850ReasonHeaders: false,
    allowUnauthenticatedOptions: false, acl: [],
  }),
  options: {
    ...ENDPOINT_UNSUPPORTED,
    context: text('context'),
    disallow: (entry, draft, ctx) => applyCodecList(entry, draft, ctx, false),
    allow: (entry, draft, ctx) => applyCodecList(entry, draft, ctx, true),
    dtmf_mode: choice('dtmfMode', ['rfc4733', 'inband', 'info', 'auto', 'auto_info', 'none']),
    aors: list('aors'),
    auth: list('auth'),
    outbound_auth: list('outboundAuth'),
    transport: text('transport'),
    outbound_proxy: text('outboundProxy'),
    direct_media: bool('directMedia'),
    rtp_symmetric: bool('rtpSymmetric'),
    force_rport: bool('forceRport'),
    rewrite_contact: bool('rewriteContact'),
    rtp_ipv6: bool('rtpIpv6'),
    ice_support: (entry, draft, ctx) => {
      bool('iceSupport')(entry, draft, ctx);
      if (draft['iceSupport'] === true) {
        ctx.diagnostics.warn(entry, `ICE is not supported by Ariadne yet; 'ice_support' in [${ctx.section}] has no effect`);
      }
    },
    use_ptime: bool('usePtime'),
    media_address: (entry, draft) => {
      draft['mediaAddress'] = stripBrackets(entry.value.trim());
    },
    bind_rtp_to_media_address: bool('bindRtpToMediaAddress'),
    callerid: (entry, draft) => {
      draft['callerid'] = parseCallerId(entry.value);
    },
    callerid_privacy: (entry, draft, ctx) => {
      const word = entry.value.trim().toLowerCase();
      if (CALLER_PRESENTATIONS.includes(word) || /^\d+$/.test(word)) {
        draft['calleridPrivacy'] = word;
      } else {
        ctx.diagnostics.error(entry,
          `invalid value '${entry.value}' for 'callerid_privacy': expected one of ${CALLER_PRESENTATIONS.join(', ')}; using ${String(draft['calleridPrivacy'])}`);
      }
    },
    callerid_tag: text('calleridTag'),
    from_user: (entry, draft, ctx) => {
      const bad = /[^A-Za-z0-9\-._~%!$&'()*+,;=:]/.exec(entry.value);
      if (bad !== null) {
        ctx.diagnostics.error(entry, `invalid character '${bad[0]}' in 'from_user' of [${ctx.section}]; the option is ignored`);
        return;
      }
      draft['fromUser'] = entry.value;
    },
    from_domain: text('fromDomain'),
    contact_user: text('contactUser'),
    language: text('language'),
    send_pai: bool('sendPai'),
    send_rpid: bool('sendRpid'),
    send_diversion: bool('sendDiversion'),
    trust_id_inbound: bool('trustIdInbound'),
    trust_id_outbound: bool('trustIdOutbound'),
    trust_connected_line: bool('trustConnectedLine'),
    send_connected_line: bool('sendConnectedLine'),
    moh_suggest: text('mohSuggest'),
    identify_by: (entry, draft, ctx) => {
      const methods: IdentifyMethod[] = [];
      for (const item of splitList(entry.value.toLowerCase())) {
        if (!['username', 'auth_username', 'ip', 'header', 'request_uri'].includes(item)) {
          ctx.diagnostics.error(entry,
            `invalid value '${item}' in 'identify_by': expected username, auth_username, ip, header or request_uri; the option is ignored`);
          return;
        }
        if (!methods.includes(item as IdentifyMethod)) {
          methods.push(item as IdentifyMethod);
        }
      }
      draft['identifyBy'] = methods;
    },
    '100rel': (entry, draft, ctx) => {
      const word = entry.value.trim().toLowerCase();
      const flag = parseBooleanWord(word);
      if (flag !== undefined) {
        draft['rel100'] = flag ? 'yes' : 'no';
      } else if (word === 'required' || word === 'peer_supported') {
        draft['rel100'] = word;
      } else {
        ctx.diagnostics.error(entry,
          `invalid value '${entry.value}' for '100rel': expected no, yes, required or peer_supported; using ${String(draft['rel100'])}`);
      }
    },
    timers: (entry, draft, ctx) => {
      const word = entry.value.trim().toLowerCase();
      const flag = parseBooleanWord(word);
      if (flag !== undefined) {
        draft['timers'] = flag ? 'yes' : 'no';
      } else if (word === 'required') {
        draft['timers'] = 'required';
      } else if (word === 'always' || word === 'forced') {
        draft['timers'] = 'always';
      } else {
        ctx.diagnostics.error(entry,
          `invalid value '${entry.value}' for 'timers': expected no, yes, required or always; using ${String(draft['timers'])}`);
      }
    },
    timers_min_se: int('timersMinSe'),
    timers_sess_expires: int('timersSessExpires'),
    mailboxes: list('mailboxes'),
    device_state_busy_at: int('deviceStateBusyAt'),
    allow_transfer: bool('allowTransfer'),
    set_var: (entry, draft, ctx) => {
      if (entry.value.trim() === '') {
        return;
      }
      const eq = entry.value.indexOf('=');
      if (eq <= 0) {
        ctx.diagnostics.error(entry, `invalid value '${entry.value}' for 'set_var': expected NAME=value; ignored`);
        return;
      }
      const name = entry.value.slice(0, eq).trim();
      const value = entry.value.slice(eq + 1);
      const vars = (draft['setVar'] as { name: string; value: string }[]).filter((v) => v.name !== name);
      draft['setVar'] = [...vars, { name, value }];
    },
    tone_zone: text('toneZone'),
    inband_progress: bool('inbandProgress'),
    message_context: text('messageContext'),
    subscribe_context: text('subscribeContext'),
    allow_subscribe: bool('allowSubscribe'),
    accountcode: text('accountcode'),
    incoming_call_offer_pref: choice('incomingCallOfferPref', ['local', 'local_first', 'remote', 'remote_first']),
    outgoing_call_offer_pref: choice('outgoingCallOfferPref',
      ['local', 'local_merge', 'local_first', 'remote', 'remote_merge', 'remote_first']),
    preferred_codec_only: bool('preferredCodecOnly'),
    rtp_timeout: int('rtpTimeout'),
    rtp_timeout_hold: int('rtpTimeoutHold'),
    rtp_keepalive: int('rtpKeepalive'),
    sdp_owner: text('sdpOwner'),
    sdp_session: text('sdpSession'),
    media_encryption: (entry, draft, ctx) => {
      choice('mediaEncryption', ['no', 'sdes', 'dtls'])(entry, draft, ctx);
      if (draft['mediaEncryption'] !== 'no') {
        ctx.diagnostics.warn(entry, `SRTP is not supported by Ariadne yet; 'media_encryption' in [${ctx.section}] has no effect`);
      }
    },
    allow_overlap: bool('allowOverlap'),
    refer_blind_progress: bool('referBlindProgress'),
    user_eq_phone: bool('userEqPhone'),
    moh_passthrough: bool('mohPassthrough'),
    suppress_q850_reason_headers: bool('suppressQ850ReasonHeaders'),
    allow_unauthenticated_options: bool('allowUnauthenticatedOptions'),
    permit: readEndpointAcl,
    deny: readEndpointAcl,
    acl: readEndpointAcl,
    tos_audio: ignored,
    tos_video: ignored,
    cos_audio: ignored,
    cos_video: ignored,
  },
  finish(draft, at, ctx) {
    if ((draft['timersMinSe'] as number) < 90) {
      ctx.diagnostics.error(at, `endpoint '${ctx.section}': timers_min_se must be 90 or more; using 90`);
      draft['timersMinSe'] = 90;
    }
    if ((draft['timersSessExpires'] as number) < (draft['timersMinSe'] as number)) {
      ctx.diagnostics.error(at,
        `endpoint '${ctx.section}': timers_sess_expires must not be below timers_min_se; using ${String(draft['timersMinSe'])}`);
      draft['timersSessExpires'] = draft['timersMinSe'];
    }
    const owner = (draft['sdpOwner'] as string).trim();
    if (owner === '' || /\s/.test(owner)) {
      ctx.diagnostics.warn(at, `endpoint '${ctx.section}': sdp_owner must be one word; using '-'`);
      draft['sdpOwner'] = '-';
    }
    if ((draft['sdpSession'] as string).trim() === '') {
      ctx.diagnostics.warn(at, `endpoint '${ctx.section}': sdp_session must not be empty; using '-'`);
      draft['sdpSession'] = '-';
    }
    if ((draft['codecs'] as CodecPref[]).length === 0) {
      ctx.diagnostics.warn(at, `endpoint '${ctx.section}' allows no codecs (add e.g. 'allow = ulaw'); its calls cannot carry audio`);
    }
    if (draft['preferredCodecOnly'] === true) {
      draft['incomingCallOfferPref'] = 'local_first';
    }
    return true;
  },
};

function readEndpointAcl(entry: ConfEntry, draft: Draft, ctx: ReadContext): void {
  const key = entry.key.toLowerCase();
  if (key === 'acl') {
    ctx.diagnostics.warn(entry, `named ACLs ('acl = ${entry.value}') are not supported by Ariadne yet; ignored`);
    return;
  }
  const rules = readAclRules(entry, ctx.diagnostics);
  if (rules !== undefined) {
    draft['acl'] = [...(draft['acl'] as AclRule[]), ...rules];
    ctx.diagnostics.warn(entry, `'${entry.key}' on endpoint [${ctx.section}] is not enforced by Ariadne yet`);
  }
}

const aorSpec: TypeSpec = {
  defaults: () => ({
    maxContacts: 0, contacts: [], qualifyFrequency: 0, qualifyTimeout: 3, qualify2xxOnly: false,
    authenticateQualify: false, removeExisting: false, removeUnavailable: false, defaultExpiration: 3600,
    minimumExpiration: 60, maximumExpiration: 7200, mailboxes: [], voicemailExtension: '', outboundProxy: '',
    supportPath: false,
  }),
  options: {
    max_contacts: int('maxContacts'),
    contact: (entry, draft, ctx) => {
      const contacts = [...(draft['contacts'] as string[])];
      for (const uri of splitList(entry.value)) {
        if (!/^sips?:/i.test(uri)) {
          ctx.diagnostics.error(entry, `invalid contact '${uri}' in [${ctx.section}]: expected a sip: or sips: URI; ignored`);
          continue;
        }
        if (!contacts.includes(uri)) {
          contacts.push(uri);
        }
      }
      draft['contacts'] = contacts;
    },
    qualify_frequency: int('qualifyFrequency', 0, 86400),
    qualify_timeout: seconds('qualifyTimeout'),
    qualify_2xx_only: bool('qualify2xxOnly'),
    authenticate_qualify: bool('authenticateQualify'),
    remove_existing: bool('removeExisting'),
    remove_unavailable: bool('removeUnavailable'),
    default_expiration: int('defaultExpiration'),
    minimum_expiration: int('minimumExpiration'),
    maximum_expiration: int('maximumExpiration'),
    mailboxes: list('mailboxes'),
    voicemail_extension: text('voicemailExtension'),
    outbound_proxy: text('outboundProxy'),
    support_path: bool('supportPath'),
  },
  finish(draft, at, ctx) {
    if ((draft['minimumExpiration'] as number) > (draft['maximumExpiration'] as number)) {
      ctx.diagnostics.warn(at, `aor '${ctx.section}': minimum_expiration is above maximum_expiration`);
    }
    return true;
  },
};

const authSpec: TypeSpec = {
  defaults: () => ({
    authType: 'userpass', username: '', password: '', md5Cred: '', passwordDigests: {}, realm: '',
    nonceLifetime: 32, supportedAlgorithmsUas: [], supportedAlgorithmsUac: [],
  }),
  options: {
    auth_type: choice('authType', ['userpass', 'md5', 'digest', 'google_oauth']),
    username: text('username'),
    password: text('password'),
    md5_cred: (entry, draft, ctx) => {
      if (!/^[0-9a-f]{32}$/i.test(entry.value.trim())) {
        ctx.diagnostics.error(entry, `invalid value for 'md5_cred' in [${ctx.section}]: expected 32 hex digits; ignored`);
        return;
      }
      draft['md5Cred'] = entry.value.trim().toLowerCase();
    },
    password_digest: (entry, draft, ctx) => {
      const match = /^\s*([A-Za-z0-9-]+)\s*:\s*([0-9a-fA-F]+)\s*$/.exec(entry.value);
      const algorithm = DIGEST_ALGORITHMS.find((a) => a.toLowerCase() === match?.[1]?.toLowerCase());
      if (match === null || algorithm === undefined) {
        ctx.diagnostics.error(entry,
          `invalid value for 'password_digest' in [${ctx.section}]: expected ALGORITHM:hexdigest with ALGORITHM one of ${DIGEST_ALGORITHMS.join(', ')}; ignored`);
        return;
      }
      draft['passwordDigests'] = { ...(draft['passwordDigests'] as Draft), [algorithm]: (match[2] ?? '').toLowerCase() };
    },
    realm: text('realm'),
    nonce_lifetime: int('nonceLifetime'),
    supported_algorithms_uas: algorithms('supportedAlgorithmsUas'),
    supported_algorithms_uac: algorithms('supportedAlgorithmsUac'),
    refresh_token: ignored,
    oauth_clientid: ignored,
    oauth_secret: ignored,
  },
  finish(draft, at, ctx) {
    if (draft['username'] === '') {
      ctx.diagnostics.error(at, `auth '${ctx.section}' has no 'username'; the auth is not created`);
      return false;
    }
    const type = draft['authType'] as AuthType;
    if (type === 'google_oauth') {
      ctx.diagnostics.error(at, `auth '${ctx.section}': auth_type google_oauth is not supported; the auth is not created`);
      return false;
    }
    if (type === 'md5' && draft['md5Cred'] === '') {
      ctx.diagnostics.error(at, `auth '${ctx.section}' has auth_type md5 but no 'md5_cred'; the auth is not created`);
      return false;
    }
    return true;
  },
};

function algorithms(field: string): OptionReader {
  return (entry, draft, ctx) => {
    const found: DigestAlgorithm[] = [];
    for (const item of splitList(entry.value)) {
      const algorithm = DIGEST_ALGORITHMS.find((a) => a.toLowerCase() === item.toLowerCase());
      if (algorithm === undefined) {
        ctx.diagnostics.error(entry,
          `unknown digest algorithm '${item}' in '${entry.key}': expected ${DIGEST_ALGORITHMS.join(', ')}; ignored`);
      } else if (!found.includes(algorithm)) {
        found.push(algorithm);
      }
    }
    draft[field] = found;
  };
}

const identifySpec: TypeSpec = {
  defaults: () => ({
    endpoint: '', match: [], matchHosts: [], matchHeader: undefined, matchRequestUri: '', srvLookups: true,
  }),
  options: {
    endpoint: text('endpoint'),
    match: (entry, draft, ctx) => {
      const nets: NetworkMatch[] = [];
      const hosts: string[] = [];
      for (const item of splitList(entry.value)) {
        const network = parseNetwork(item, true);
        if (network !== undefined) {
          nets.push(network);
        } else if (item.includes('/') || /^[\d.:[\]!]+$/.test(item) || !/^[A-Za-z0-9][A-Za-z0-9.-]*(:\d+)?$/.test(item)) {
          ctx.diagnostics.error(entry,
            `invalid value '${item}' in 'match' of [${ctx.section}]: expected an IP address, a network such as 10.0.0.0/8 or a host name; ignored`);
        } else {
          hosts.push(item);
        }
      }
      draft['match'] = [...(draft['match'] as NetworkMatch[]), ...nets];
      draft['matchHosts'] = [...(draft['matchHosts'] as string[]), ...hosts];
    },
    match_header: (entry, draft, ctx) => {
      const colon = entry.value.indexOf(':');
      if (colon <= 0) {
        ctx.diagnostics.error(entry, `invalid value '${entry.value}' for 'match_header': expected 'Header-Name: value'; ignored`);
        return;
      }
      const value = entry.value.slice(colon + 1).trim();
      const regex = value.length >= 2 && value.startsWith('/') && value.endsWith('/');
      if (regex) {
        try {
          new RegExp(value.slice(1, -1));
        } catch {
          ctx.diagnostics.error(entry, `invalid regular expression '${value}' in 'match_header'; ignored`);
          return;
        }
      }
      draft['matchHeader'] = { name: entry.value.slice(0, colon).trim(), value: regex ? value.slice(1, -1) : value, regex };
    },
    match_request_uri: text('matchRequestUri'),
    srv_lookups: bool('srvLookups'),
  },
  finish(draft, at, ctx) {
    if (draft['endpoint'] === '') {
      ctx.diagnostics.error(at, `identify '${ctx.section}' names no 'endpoint'; the identify is not created`);
      return false;
    }
    if ((draft['match'] as unknown[]).length === 0 && (draft['matchHosts'] as unknown[]).length === 0
      && draft['matchHeader'] === undefined && draft['matchRequestUri'] === '') {
      ctx.diagnostics.error(at, `identify '${ctx.section}' matches nothing (set match, match_header or match_request_uri); the identify is not created`);
      return false;
    }
    return true;
  },
};

const registrationSpec: TypeSpec = {
  defaults: () => ({
    serverUri: '', clientUri: '', contactUser: '', contactHeaderParams: '', transport: '', outboundProxy: '',
    outboundAuth: [], expiration: 3600, maxRandomInitialDelay: 10, retryInterval: 60, forbiddenRetryInterval: 0,
    fatalRetryInterval: 0, maxRetries: 10, authRejectionPermanent: true, supportPath: false, supportOutbound: false,
    line: false, endpoint: '', userAgent: '',
  }),
  options: {
    ...unsupportedOptions({ security_negotiation: 'no', security_mechanisms: '' }),
    server_uri: text('serverUri'),
    client_uri: text('clientUri'),
    contact_user: text('contactUser'),
    contact_header_params: text('contactHeaderParams'),
    transport: text('transport'),
    outbound_proxy: text('outboundProxy'),
    outbound_auth: list('outboundAuth'),
    expiration: int('expiration'),
    max_random_initial_delay: int('maxRandomInitialDelay'),
    retry_interval: int('retryInterval'),
    forbidden_retry_interval: int('forbiddenRetryInterval'),
    fatal_retry_interval: int('fatalRetryInterval'),
    max_retries: int('maxRetries'),
    auth_rejection_permanent: bool('authRejectionPermanent'),
    support_path: bool('supportPath'),
    support_outbound: bool('supportOutbound'),
    line: bool('line'),
    endpoint: text('endpoint'),
    user_agent: text('userAgent'),
  },
  finish(draft, at, ctx) {
    for (const [field, option] of [['serverUri', 'server_uri'], ['clientUri', 'client_uri']] as const) {
      const uri = draft[field] as string;
      if (uri === '') {
        ctx.diagnostics.error(at, `registration '${ctx.section}' has no '${option}'; the registration is not created`);
        return false;
      }
      if (!/^sips?:/i.test(uri)) {
        ctx.diagnostics.error(at, `registration '${ctx.section}': ${option} '${uri}' is not a sip: or sips: URI; the registration is not created`);
        return false;
      }
    }
    if (draft['line'] === true && draft['endpoint'] === '') {
      ctx.diagnostics.error(at, `registration '${ctx.section}' enables 'line' without an 'endpoint'; the registration is not created`);
      return false;
    }
    if (draft['line'] !== true && draft['endpoint'] !== '') {
      ctx.diagnostics.error(at, `registration '${ctx.section}' names an 'endpoint' without 'line = yes'; the registration is not created`);
      return false;
    }
    return true;
  },
};

const domainAliasSpec: TypeSpec = {
  defaults: () => ({ domain: '' }),
  options: { domain: text('domain') },
  finish(draft, at, ctx) {
    if (draft['domain'] === '') {
      ctx.diagnostics.error(at, `domain_alias '${ctx.section}' has no 'domain'; ignored`);
      return false;
    }
    return true;
  },
};

const contactSpec: TypeSpec = {
  defaults: () => ({ uri: '', endpoint: '', qualifyFrequency: 0, qualifyTimeout: 3, authenticateQualify: false, outboundProxy: '' }),
  options: {
    uri: text('uri'),
    endpoint: text('endpoint'),
    qualify_frequency: int('qualifyFrequency', 0, 86400),
    qualify_timeout: seconds('qualifyTimeout'),
    authenticate_qualify: bool('authenticateQualify'),
    outbound_proxy: text('outboundProxy'),
    path: ignored,
    expiration_time: ignored,
    user_agent: ignored,
    reg_server: ignored,
    via_addr: ignored,
    via_port: ignored,
    call_id: ignored,
    prune_on_boot: ignored,
    qualify_2xx_only: ignored,
  },
  finish(draft, at, ctx) {
    ctx.diagnostics.warn(at,
      `[${ctx.section}] is a static 'type = contact' section; Asterisk keeps contacts in its database and ignores these (use 'contact =' on an aor); Ariadne loads it`);
    if (!/^sips?:/i.test(draft['uri'] as string)) {
      ctx.diagnostics.error(at, `contact '${ctx.section}' has no sip: or sips: 'uri'; ignored`);
      return false;
    }
    return true;
  },
};

const globalSpec: TypeSpec = {
  defaults: () => ({
    maxForwards: 70, userAgent: DEFAULT_USER_AGENT, defaultOutboundEndpoint: 'default_outbound_endpoint', debug: 'no',
    endpointIdentifierOrder: ['ip', 'username', 'anonymous'], keepAliveInterval: 90, maxInitialQualifyTime: 0,
    defaultFromUser: 'asterisk', defaultVoicemailExtension: '', regcontext: '', contactExpirationCheckInterval: 30,
    disableMultiDomain: false, unidentifiedRequestCount: 5, unidentifiedRequestPeriod: 5,
    unidentifiedRequestPruneInterval: 30, defaultRealm: 'asterisk', ignoreUriUserOptions: false,
    useCalleridContact: false, allowSending180After183: false, norefersub: true, allCodecsOnEmptyReinvite: false,
    defaultAuthAlgorithmsUas: ['MD5'], defaultAuthAlgorithmsUac: ['MD5'],
  }),
  options: {
    ...unsupportedOptions({ mwi_disable_initial_unsolicited: 'no', send_contact_status_on_update_registration: 'no' }),
    max_forwards: int('maxForwards', 1, 255),
    user_agent: text('userAgent'),
    default_outbound_endpoint: text('defaultOutboundEndpoint'),
    debug: text('debug'),
    endpoint_identifier_order: list('endpointIdentifierOrder'),
    keep_alive_interval: int('keepAliveInterval'),
    max_initial_qualify_time: int('maxInitialQualifyTime'),
    default_from_user: text('defaultFromUser'),
    default_voicemail_extension: text('defaultVoicemailExtension'),
    regcontext: text('regcontext'),
    contact_expiration_check_interval: int('contactExpirationCheckInterval'),
    disable_multi_domain: bool('disableMultiDomain'),
    unidentified_request_count: int('unidentifiedRequestCount'),
    unidentified_request_period: int('unidentifiedRequestPeriod'),
    unidentified_request_prune_interval: int('unidentifiedRequestPruneInterval'),
    default_realm: text('defaultRealm'),
    ignore_uri_user_options: bool('ignoreUriUserOptions'),
    use_callerid_contact: bool('useCalleridContact'),
    allow_sending_180_after_183: bool('allowSending180After183'),
    norefersub: bool('norefersub'),
    all_codecs_on_empty_reinvite: bool('allCodecsOnEmptyReinvite'),
    default_auth_algorithms_uas: algorithms('defaultAuthAlgorithmsUas'),
    default_auth_algorithms_uac: algorithms('defaultAuthAlgorithmsUac'),
    mwi_tps_queue_high: ignored,
    mwi_tps_queue_low: ignored,
    taskprocessor_overload_trigger: ignored,
  },
};

const systemSpec: TypeSpec = {
  defaults: () => ({
    timerT1: 500, timerB: 32000, compactHeaders: false, disableTcpSwitch: true, followEarlyMediaFork: true,
    acceptMultipleSdpAnswers: false, disableRport: false,
  }),
  options: {
    timer_t1: int('timerT1', 100),
    timer_b: int('timerB', 100),
    compact_headers: bool('compactHeaders'),
    disable_tcp_switch: bool('disableTcpSwitch'),
    follow_early_media_fork: bool('followEarlyMediaFork'),
    accept_multiple_sdp_answers: bool('acceptMultipleSdpAnswers'),
    disable_rport: bool('disableRport'),
    taskpool_minimum_size: ignored,
    taskpool_initial_size: ignored,
    threadpool_initial_size: ignored,
    taskpool_auto_increment: ignored,
    threadpool_auto_increment: ignored,
    taskpool_idle_timeout: ignored,
    threadpool_idle_timeout: ignored,
    taskpool_max_size: ignored,
    threadpool_max_size: ignored,
  },
  finish(draft, at, ctx) {
    // RFC 3261 makes timer B 64*T1; a smaller value would give up on INVITEs before their retransmissions end.
    if ((draft['timerB'] as number) < 64 * (draft['timerT1'] as number)) {
      ctx.diagnostics.warn(at, `timer_b (${String(draft['timerB'])}) is below 64 * timer_t1; using ${64 * (draft['timerT1'] as number)}`);
      draft['timerB'] = 64 * (draft['timerT1'] as number);
    }
    return true;
  },
};

const SPECS: Readonly<Record<PjsipObjectType, TypeSpec>> = {
  transport: transportSpec,
  endpoint: endpointSpec,
  aor: aorSpec,
  auth: authSpec,
  identify: identifySpec,
  registration: registrationSpec,
  domain_alias: domainAliasSpec,
  contact: contactSpec,
  global: globalSpec,
  system: systemSpec,
};

// --- loading ----------------------------------------------------------------------------------------------

/** Loads `<etcDir>/pjsip.conf`. A missing file gives no SIP objects and a warning. */
export function loadPjsipConf(etcDir: string): Loaded<PjsipConfig> {
  const file = path.resolve(etcDir, 'pjsip.conf');
  const doc = parseConfFile(file, { configDir: etcDir });
  const loaded = readPjsipConf(doc, etcDir);
  if (doc.found) {
    return loaded;
  }
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(loaded.diagnostics);
  missingFile(diagnostics, file, 'no SIP transports or endpoints are configured');
  return { value: loaded.value, diagnostics: diagnostics.toArray() };
}

/** Builds the model from an already parsed document (`pjsip reload`, tests). */
export function readPjsipConf(doc: ConfDocument, etcDir: string = path.dirname(doc.file)): Loaded<PjsipConfig> {
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);
  const maps = new Map<PjsipObjectType, Map<string, PjsipObject>>(PJSIP_OBJECT_TYPES.map((t) => [t, new Map()]));
  const singles = new Map<'global' | 'system', ConfSection>();

  for (const section of concreteSections(doc)) {
    const typeEntry = section.entries.findLast((e) => e.key.toLowerCase() === 'type');
    const type = typeEntry?.value.trim().toLowerCase();
    if (typeEntry === undefined || type === undefined || type === '') {
      diagnostics.error(section, `section [${section.name}] in pjsip.conf has no 'type' (such as endpoint, aor, auth, transport); ignored`);
      continue;
    }
    if (UNSUPPORTED_TYPES.has(type)) {
      diagnostics.warn(typeEntry, `[${section.name}] has type '${type}', which Ariadne does not support yet; ignored`);
      continue;
    }
    if (!isObjectType(type)) {
      diagnostics.error(typeEntry,
        `section [${section.name}] has unknown type '${typeEntry.value}' (expected ${PJSIP_OBJECT_TYPES.join(', ')}); ignored`);
      continue;
    }
    if (type === 'global' || type === 'system') {
      const earlier = singles.get(type);
      if (earlier !== undefined) {
        diagnostics.error(section,
          `only one 'type = ${type}' section is allowed; [${section.name}] is ignored (the first is at ${path.basename(earlier.file)}:${earlier.line})`);
        continue;
      }
      singles.set(type, section);
    }
    const object = readPjsipObject(type, section.name, section.entries, section, { diagnostics, etcDir });
    if (object === undefined) {
      continue;
    }
    const map = maps.get(type);
    if (map === undefined) {
      continue;
    }
    const id = type === 'global' || type === 'system' ? type : section.name;
    const previous = map.get(id);
    if (previous !== undefined) {
      diagnostics.warn(section,
        `${type} '${id}' is defined more than once (first at ${path.basename(previous.source.file)}:${previous.source.line}); the last definition is used`);
    }
    map.set(id, object);
  }

  const get = <T extends PjsipObject>(type: PjsipObjectType): Map<string, T> => maps.get(type) as Map<string, T>;
  const fallback = { diagnostics: new DiagnosticList(), etcDir };
  const value: PjsipConfig = {
    transport: new FrozenMap(get<PjsipTransport>('transport')),
    endpoint: new FrozenMap(get<PjsipEndpoint>('endpoint')),
    aor: new FrozenMap(get<PjsipAor>('aor')),
    auth: new FrozenMap(get<PjsipAuth>('auth')),
    identify: new FrozenMap(get<PjsipIdentify>('identify')),
    registration: new FrozenMap(get<PjsipRegistration>('registration')),
    domain_alias: new FrozenMap(get<PjsipDomainAlias>('domain_alias')),
    contact: new FrozenMap(get<PjsipContact>('contact')),
    global: get<PjsipGlobal>('global').get('global')
      ?? readPjsipObject('global', 'global', [], { file: doc.file, line: 0 }, fallback) as PjsipGlobal,
    system: get<PjsipSystem>('system').get('system')
      ?? readPjsipObject('system', 'system', [], { file: doc.file, line: 0 }, fallback) as PjsipSystem,
  };
  checkReferences(value, diagnostics);
  return { value: deepFreeze(value), diagnostics: diagnostics.toArray() };
}

function isObjectType(type: string): type is PjsipObjectType {
  return (PJSIP_OBJECT_TYPES as readonly string[]).includes(type);
}

/**
 * Reads one object from its option entries: a section of pjsip.conf, or the fields of an ARI
 * `PUT /asterisk/config/dynamic/res_pjsip/{type}/{id}` (give them `file`/`line` of the request's choosing).
 * Returns `undefined` when the object cannot exist (the reason is in the diagnostics).
 */
export function readPjsipObject(
  type: PjsipObjectType,
  id: string,
  entries: readonly ConfEntry[],
  at: Located,
  options: { readonly diagnostics: DiagnosticList; readonly etcDir: string },
): PjsipObject | undefined {
  const spec = SPECS[type];
  const ctx: ReadContext = { diagnostics: options.diagnostics, etcDir: options.etcDir, section: id };
  const draft: Draft = { type, id, source: { file: at.file, line: at.line }, unsupported: {}, ...spec.defaults(options.etcDir) };
  for (const entry of entries) {
    const key = entry.key.toLowerCase();
    if (key === 'type') {
      continue;
    }
    const reader = Object.hasOwn(spec.options, key) ? spec.options[key] : undefined;
    if (reader === undefined) {
      options.diagnostics.warn(entry, `unknown option '${entry.key}' for ${type} [${id}] in ${path.basename(entry.file)}; ignored`);
      continue;
    }
    reader(entry, draft, ctx);
  }
  if (spec.finish !== undefined && !spec.finish(draft, at, ctx)) {
    return undefined;
  }
  return deepFreeze(draft) as unknown as PjsipObject;
}

/** Warns about names that point nowhere; Asterisk would only notice when a call or registration needs them. */
function checkReferences(config: PjsipConfig, diagnostics: DiagnosticList): void {
  const check = (at: PjsipObjectBase, option: string, names: readonly string[], target: ReadonlyMap<string, unknown>, kind: string): void => {
    for (const name of names) {
      if (!target.has(name)) {
        diagnostics.warn(at.source, `'${option} = ${name}' in [${at.id}] names no ${kind} that was loaded`);
      }
    }
  };
  for (const endpoint of config.endpoint.values()) {
    check(endpoint, 'aors', endpoint.aors, config.aor, 'aor');
    check(endpoint, 'auth', endpoint.auth, config.auth, 'auth');
    check(endpoint, 'outbound_auth', endpoint.outboundAuth, config.auth, 'auth');
    check(endpoint, 'transport', endpoint.transport === '' ? [] : [endpoint.transport], config.transport, 'transport');
  }
  for (const identify of config.identify.values()) {
    check(identify, 'endpoint', [identify.endpoint], config.endpoint, 'endpoint');
  }
  for (const registration of config.registration.values()) {
    check(registration, 'outbound_auth', registration.outboundAuth, config.auth, 'auth');
    check(registration, 'transport', registration.transport === '' ? [] : [registration.transport], config.transport, 'transport');
    check(registration, 'endpoint', registration.endpoint === '' ? [] : [registration.endpoint], config.endpoint, 'endpoint');
  }
}

// --- value parsers ---------------------------------------------------------------------------------------

/**
 * Applies one `allow`/`disallow` line to the ordered codec list, as Asterisk does: items separated by `,` or
 * `|`, `all` meaning every known codec, `!` inverting an item, `:ms` giving the framing. Allowing a codec that
 * is already listed keeps its place; unknown names warn and are skipped.
 */
function applyCodecList(entry: ConfEntry, draft: Draft, ctx: ReadContext, allowing: boolean): void {
  let codecs = [...(draft['codecs'] as CodecPref[])];
  for (const raw of splitList(entry.value, /[,|]/)) {
    let item = raw;
    let allow = allowing;
    if (item.startsWith('!')) {
      item = item.slice(1).trim();
      allow = !allowing;
    }
    let framing = 0;
    const colon = item.lastIndexOf(':');
    if (colon >= 0) {
      const ms = item.slice(colon + 1).trim();
      item = item.slice(0, colon).trim();
      if (!/^\d+$/.test(ms)) {
        ctx.diagnostics.warn(entry, `bad packetization '${ms}' for codec '${item}' in '${entry.key}'; the item is skipped`);
        continue;
      }
      framing = Number(ms);
    }
    const name = item.toLowerCase();
    if (name === 'all') {
      codecs = allow ? [...codecs, ...KNOWN_CODECS.filter((c) => !codecs.some((k) => k.name === c)).map((c) => ({ name: c, framing: 0 }))] : [];
      continue;
    }
    if (!KNOWN_CODECS.includes(name)) {
      ctx.diagnostics.warn(entry, `cannot ${allow ? 'allow' : 'disallow'} unknown codec '${item}'; skipped`);
      continue;
    }
    if (allow) {
      if (!codecs.some((c) => c.name === name)) {
        codecs.push({ name, framing });
      }
    } else {
      codecs = codecs.filter((c) => c.name !== name);
    }
  }
  draft['codecs'] = codecs;
}

/**
 * Splits a caller id the way Asterisk's `ast_callerid_split` does: `"Name" <number>`, `Name <number>`,
 * `<number>`, or a bare value that is a number when it looks like one and a name otherwise.
 */
export function parseCallerId(value: string): CallerId | undefined {
  const textValue = value.trim();
  if (textValue === '') {
    return undefined;
  }
  const lt = textValue.lastIndexOf('<');
  const gt = textValue.lastIndexOf('>');
  let name: string;
  let number: string;
  if (lt >= 0 && gt > lt) {
    name = textValue.slice(0, lt).trim();
    number = textValue.slice(lt + 1, gt).trim();
  } else if (/^[+]?[0-9*#\-.() ]+$/.test(textValue)) {
    name = '';
    number = textValue.replace(/[\-.() ]/g, '');
  } else {
    name = textValue;
    number = '';
  }
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) {
    name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return { name, number };
}

/** `host`, `host:port`, `[v6]`, `[v6]:port`, bare IPv6; the host must be an IP address. Port 0 = not given. */
export function parseSocketAddress(value: string): SocketAddress | undefined {
  const textValue = value.trim();
  let host: string;
  let port: string | undefined;
  if (textValue.startsWith('[')) {
    const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(textValue);
    if (match === null) {
      return undefined;
    }
    host = match[1] ?? '';
    port = match[2];
  } else if (textValue.split(':').length === 2) {
    [host = '', port] = textValue.split(':');
  } else {
    host = textValue;
  }
  const family = net.isIP(host);
  if (family === 0 || (port !== undefined && !/^\d+$/.test(port))) {
    return undefined;
  }
  const portNumber = port === undefined ? 0 : Number(port);
  if (portNumber > 65535) {
    return undefined;
  }
  return { host, family: family === 4 ? 4 : 6, port: portNumber };
}

function stripBrackets(value: string): string {
  return value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
}

/** `[!]address[:port][/prefix|/netmask]`; a port only when `allowPort`. */
export function parseNetwork(item: string, allowPort: boolean): NetworkMatch | undefined {
  let rest = item.trim();
  const negated = rest.startsWith('!');
  if (negated) {
    rest = rest.slice(1).trim();
  }
  const slash = rest.indexOf('/');
  const addressPart = slash < 0 ? rest : rest.slice(0, slash);
  const maskPart = slash < 0 ? undefined : rest.slice(slash + 1).trim();
  const address = parseSocketAddress(addressPart);
  if (address === undefined || (!allowPort && address.port !== 0)) {
    return undefined;
  }
  const bits = address.family === 4 ? 32 : 128;
  let prefix = bits;
  if (maskPart !== undefined) {
    if (/^\d+$/.test(maskPart)) {
      prefix = Number(maskPart);
    } else if (net.isIP(maskPart) === address.family) {
      prefix = netmaskPrefix(maskPart);
    } else {
      return undefined;
    }
    if (!(prefix >= 0 && prefix <= bits)) {
      return undefined;
    }
  }
  return { address: address.host, family: address.family, prefix, port: address.port, negated };
}

/**
 * Whether `address` (and `port`, when the match has one) falls in a network from `local_net` or identify
 * `match`. The `negated` flag is not applied here: callers give it the meaning their option has. IPv4-mapped
 * IPv6 addresses (`::ffff:192.0.2.1`, as a dual-stack socket reports IPv4 peers) compare as IPv4.
 *
 * @example
 * networkContains(parseNetwork('10.0.0.0/8', false)!, '10.1.2.3'); // true
 */
export function networkContains(network: NetworkMatch, address: string, port = 0): boolean {
  if (network.port !== 0 && port !== network.port) {
    return false;
  }
  const a = addressBytes(address);
  const b = addressBytes(network.address);
  if (a === undefined || b === undefined || a.length !== b.length) {
    return false;
  }
  // An IPv4 network written as such has a prefix over 32 bits; a mapped IPv6 one was already folded.
  const prefix = b.length === 4 ? Math.min(network.prefix, 32) : network.prefix;
  for (let bit = 0; bit < prefix; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((a[byte] ?? 0) & mask) !== ((b[byte] ?? 0) & mask)) {
      return false;
    }
  }
  return true;
}

/** 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6, `undefined` for anything else. */
function addressBytes(address: string): number[] | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const value = mapped?.[1] ?? address;
  if (net.isIPv4(value)) {
    return value.split('.').map(Number);
  }
  if (net.isIPv6(value)) {
    return ipv6Bytes(value);
  }
  return undefined;
}

/** Counts the leading one bits of an IPv4 or IPv6 netmask; -1 when the ones are not contiguous. */
function netmaskPrefix(mask: string): number {
  const bytes = net.isIPv4(mask) ? mask.split('.').map(Number) : ipv6Bytes(mask);
  let prefix = 0;
  let seenZero = false;
  for (const byte of bytes) {
    for (let bit = 7; bit >= 0; bit--) {
      if ((byte >> bit) & 1) {
        if (seenZero) {
          return -1;
        }
        prefix++;
      } else {
        seenZero = true;
      }
    }
  }
  return prefix;
}

function ipv6Bytes(address: string): number[] {
  const [head = '', tail] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [(n >> 8) & 0xff, n & 0xff];
  });
}

function readNetworks(entry: ConfEntry, ctx: ReadContext, allowPort: boolean): NetworkMatch[] | undefined {
  const nets: NetworkMatch[] = [];
  for (const item of splitList(entry.value)) {
    const network = parseNetwork(item, allowPort);
    if (network === undefined) {
      ctx.diagnostics.error(entry,
        `invalid value '${item}' for '${entry.key}': expected a network such as 192.168.0.0/16, 10.0.0.0/255.0.0.0 or fd00::/8; the line is ignored`);
      return undefined;
    }
    nets.push(network);
  }
  return nets;
}

// --- reload support ---------------------------------------------------------------------------------------

export interface PjsipChange {
  readonly type: PjsipObjectType;
  readonly id: string;
  readonly change: 'added' | 'changed' | 'removed';
}

/**
 * What `pjsip reload` has to do to go from `before` to `after`: objects added, removed, or whose options
 * differ. Moving a section within the file (its `source`) is not a change. `global` and `system` are
 * compared as single objects and reported as changed only.
 */
export function diffPjsip(before: PjsipConfig, after: PjsipConfig): readonly PjsipChange[] {
  const changes: PjsipChange[] = [];
  for (const type of PJSIP_OBJECT_TYPES) {
    if (type === 'global' || type === 'system') {
      if (settingsKey(before[type]) !== settingsKey(after[type])) {
        changes.push({ type, id: type, change: 'changed' });
      }
      continue;
    }
    const old: ReadonlyMap<string, PjsipObject> = before[type];
    const now: ReadonlyMap<string, PjsipObject> = after[type];
    for (const [id, object] of now) {
      const previous = old.get(id);
      if (previous === undefined) {
        changes.push({ type, id, change: 'added' });
      } else if (settingsKey(previous) !== settingsKey(object)) {
        changes.push({ type, id, change: 'changed' });
      }
    }
    for (const id of old.keys()) {
      if (!now.has(id)) {
        changes.push({ type, id, change: 'removed' });
      }
    }
  }
  return Object.freeze(changes.map((c) => Object.freeze(c)));
}

/** A canonical text of an object's settings (everything but where it was written). */
function settingsKey(object: PjsipObject): string {
  return JSON.stringify(object, (key, value: unknown) => {
    if (key === 'source') {
      return undefined;
    }
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return value;
  });
}
