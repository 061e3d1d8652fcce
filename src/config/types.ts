/**
 * Typed, frozen views of the Asterisk configuration files Ariadne reads.
 *
 * The generic `.conf` parser (parser.ts) turns text into sections with file:line positions; each loader
 * (asterisk-conf.ts, http-conf.ts, ari-conf.ts, logger-conf.ts) validates one file's options against the
 * shapes below, fills in Asterisk's defaults, reports problems as diagnostics and returns a deep-frozen value.
 */

/** A problem found while reading configuration, always tied to a file and line. */
export interface Diagnostic {
  readonly level: 'warning' | 'error';
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

/** The result of loading one configuration file: the typed value plus what was wrong with it. */
export interface Loaded<T> {
  readonly value: T;
  readonly diagnostics: readonly Diagnostic[];
}

/** asterisk.conf `[directories]` (paths are absolute) and the `[options]` Ariadne uses. */
export interface AsteriskConfig {
  /** Absolute path of the asterisk.conf that was read (or would have been, when it is missing). */
  readonly file: string;
  readonly directories: {
    readonly astetcdir: string;
    readonly astvarlibdir: string;
    readonly astdbdir: string;
    readonly astkeydir: string;
    readonly astdatadir: string;
    readonly astagidir: string;
    readonly astspooldir: string;
    readonly astrundir: string;
    readonly astlogdir: string;
    readonly astcachedir: string;
    readonly astmoddir: string;
    readonly astsbindir: string;
  };
  readonly options: {
    readonly verbose: number;
    readonly debug: number;
    readonly defaultlanguage: string;
    readonly systemname: string;
    /** Ethernet-style id used as `asterisk_id` on every ARI message; empty = derive from a MAC address. */
    readonly entityid: string;
    readonly maxcalls: number;
    readonly maxfiles: number;
  };
}

export interface HttpRedirect {
  readonly from: string;
  readonly to: string;
}

/** http.conf `[general]`. Times are milliseconds, as in the file. */
export interface HttpConfig {
  readonly enabled: boolean;
  readonly bindaddr: string;
  readonly bindport: number;
  /** URI prefix without leading/trailing slash ('' = none), as Asterisk's `prefix`. */
  readonly prefix: string;
  /** Value of the `Server` header; `servername=` (empty) suppresses the header. */
  readonly servername: string;
  readonly sessionlimit: number;
  readonly sessionInactivityMs: number;
  readonly sessionKeepAliveMs: number;
  readonly tls: {
    readonly enabled: boolean;
    readonly bindaddr: string;
    readonly bindport: number;
    readonly certfile: string;
    readonly privatekey: string;
    readonly cipher: string;
    readonly cafile: string;
  };
  readonly redirects: readonly HttpRedirect[];
}

/** One `permit`/`deny` rule in the order written. `acl=` names are kept for later resolution through acl.conf. */
export interface AclRule {
  readonly action: 'permit' | 'deny';
  /** Network in CIDR or address/mask form exactly as written, e.g. `10.0.0.0/255.0.0.0` or `::1/128`. */
  readonly network: string;
}

export interface AriUser {
  readonly name: string;
  readonly readOnly: boolean;
  readonly password: string;
  readonly passwordFormat: 'plain' | 'crypt';
  readonly acl: readonly AclRule[];
  /** Named ACLs from `acl=` (resolved against acl.conf). */
  readonly aclNames: readonly string[];
}

/** ari.conf. */
export interface AriConfig {
  readonly enabled: boolean;
  readonly pretty: boolean;
  readonly authRealm: string;
  /** Empty list = no cross-origin access; `*` allows every origin. */
  readonly allowedOrigins: readonly string[];
  readonly websocketWriteTimeoutMs: number;
  /** Channel variables reported on every channel snapshot. */
  readonly channelvars: readonly string[];
  readonly users: ReadonlyMap<string, AriUser>;
}

export type LogLevelName = 'debug' | 'notice' | 'warning' | 'error' | 'verbose' | 'dtmf' | 'fax' | 'security' | 'trace';

export interface LogChannelConfig {
  /** `console`, `syslog.local0` or a file name relative to astlogdir (absolute paths kept). */
  readonly name: string;
  readonly type: 'console' | 'file' | 'syslog';
  readonly levels: readonly string[];
  /** Verbosity limit for `verbose(n)`, or -1 when `verbose` is listed without a number. */
  readonly verboseLevel: number;
}

/** logger.conf. */
export interface LoggerConfig {
  readonly dateformat: string;
  readonly appendhostname: boolean;
  readonly rotatestrategy: 'none' | 'sequential' | 'rotate' | 'timestamp';
  readonly channels: readonly LogChannelConfig[];
}
