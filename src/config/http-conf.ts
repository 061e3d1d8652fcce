/**
 * http.conf: the built-in HTTP server that carries ARI (`/ari/...`) and its WebSocket.
 *
 * `src/http` builds its listeners from the `HttpConfig` this module returns. The defaults are Asterisk's
 * (`main/http.c`): disabled unless `enabled = yes`, port 8088, TLS port 8089, 100 sessions, 30 s
 * inactivity and 15 s keep-alive, and a `Server: Asterisk/22.10.1` header so that clients see the same
 * bytes as from Asterisk; `servername =` with an empty value drops the header, as in Asterisk.
 *
 * Two deliberate differences:
 * - Asterisk binds nothing when `bindaddr` is missing. Ariadne binds 127.0.0.1 and warns, so a missing
 *   line never exposes the server and never leaves it silently deaf.
 * - `prefix` is stored without slashes (`prefix=/asterisk/` and `prefix=asterisk` are the same), and
 *   relative TLS file names resolve against the configuration directory rather than the working directory.
 *
 * `[post_mappings]` (AMI uploads) is accepted silently. Sections with `type = restriction` (per-URI ACLs,
 * new in Asterisk 22) are not enforced yet and warn, since silently ignoring an ACL would be a surprise.
 */

import * as net from 'node:net';
import * as path from 'node:path';
import type { ConfEntry, ConfSection } from './parser.ts';
import { parseConfFile } from './parser.ts';
import { deepFreeze } from './freeze.ts';
import {
  concreteSections,
  DiagnosticList,
  missingFile,
  readBoolean,
  readInteger,
  warnUnknownOption,
  warnUnknownSection,
} from './options.ts';
import type { Located } from './options.ts';
import type { HttpConfig, HttpRedirect, Loaded } from './types.ts';

/** The `Server` header Asterisk 22.10.1 sends; Ariadne sends the same unless `servername` says otherwise. */
export const DEFAULT_SERVER_NAME = 'Asterisk/22.10.1';
export const DEFAULT_HTTP_PORT = 8088;
export const DEFAULT_HTTPS_PORT = 8089;
/** Used when http.conf has no `bindaddr` (Asterisk would not listen at all). */
export const FALLBACK_BIND_ADDRESS = '127.0.0.1';
/** Asterisk's default certificate file name (include/asterisk/tcptls.h). */
const DEFAULT_CERT_FILE = 'asterisk.pem';

/** TLS options Asterisk reads for other TLS servers and ignores here; accepted without a warning. */
const ACCEPTED_TLS_OPTIONS: ReadonlySet<string> = new Set([
  'tlscapath', 'tlscadir', 'tlsverifyclient', 'tlsdontverifyserver', 'tlsclientmethod', 'sslclientmethod',
  'tlsservercipherorder', 'tlsdisablev1', 'tlsdisablev11', 'tlsdisablev12',
]);

/** Loads `<etcDir>/http.conf`. A missing file gives the defaults (HTTP disabled) and a warning. */
export function loadHttpConf(etcDir: string): Loaded<HttpConfig> {
  const file = path.resolve(etcDir, 'http.conf');
  const doc = parseConfFile(file, { configDir: etcDir });
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);
  if (!doc.found) {
    missingFile(diagnostics, file, 'the HTTP server (and so ARI) is disabled');
  }

  let enabled = false;
  let bindaddr: string | undefined;
  let bindport = DEFAULT_HTTP_PORT;
  let prefix = '';
  let servername = DEFAULT_SERVER_NAME;
  let sessionlimit = 100;
  let sessionInactivityMs = 30000;
  let sessionKeepAliveMs = 15000;
  let generalAt: Located | undefined;
  const redirects: HttpRedirect[] = [];
  const tls = {
    enabled: false,
    bindaddr: undefined as string | undefined,
    bindport: DEFAULT_HTTPS_PORT,
    certfile: path.resolve(etcDir, DEFAULT_CERT_FILE),
    privatekey: undefined as string | undefined,
    cipher: '',
    cafile: '',
  };

  for (const section of concreteSections(doc)) {
    const name = section.name.toLowerCase();
    if (name === 'post_mappings') {
      continue;
    }
    if (name !== 'general') {
      checkOtherSection(section, diagnostics);
      continue;
    }
    generalAt ??= section;
    for (const entry of section.entries) {
      const key = entry.key.toLowerCase();
      switch (key) {
        case 'enabled':
          enabled = readBoolean(entry, diagnostics, false);
          break;
        case 'bindaddr':
          bindaddr = readBindAddress(entry, diagnostics) ?? bindaddr;
          break;
        case 'bindport':
          bindport = readInteger(entry, diagnostics, DEFAULT_HTTP_PORT, { min: 0, max: 65535 });
          break;
        case 'prefix':
          prefix = entry.value.replace(/^\/+|\/+$/g, '');
          break;
        case 'servername':
          servername = entry.value;
          break;
        case 'sessionlimit':
          sessionlimit = readInteger(entry, diagnostics, 100, { min: 1, max: 2147483647 });
          break;
        case 'session_inactivity':
          sessionInactivityMs = readInteger(entry, diagnostics, 30000, { min: 1, max: 2147483647 });
          break;
        case 'session_keep_alive':
          sessionKeepAliveMs = readInteger(entry, diagnostics, 15000, { min: 0, max: 2147483647 });
          break;
        case 'redirect': {
          const redirect = readRedirect(entry, diagnostics);
          if (redirect !== undefined) {
            redirects.push(redirect);
          }
          break;
        }
        case 'enablestatic':
        case 'enable_static':
        case 'enable_status':
          readBoolean(entry, diagnostics, false); // validated; Ariadne serves neither page
          break;
        case 'tlsenable':
        case 'sslenable':
          tls.enabled = readBoolean(entry, diagnostics, false);
          break;
        case 'tlsbindaddr':
        case 'sslbindaddr': {
          const address = readTlsBindAddress(entry, diagnostics);
          if (address !== undefined) {
            tls.bindaddr = address.host;
            tls.bindport = address.port ?? DEFAULT_HTTPS_PORT;
          }
          break;
        }
        case 'tlscertfile':
        case 'tlscert':
        case 'sslcert':
          tls.certfile = path.resolve(etcDir, entry.value);
          break;
        case 'tlsprivatekey':
        case 'sslprivatekey':
          tls.privatekey = path.resolve(etcDir, entry.value);
          break;
        case 'tlscipher':
        case 'sslcipher':
          tls.cipher = entry.value;
          break;
        case 'tlscafile':
          tls.cafile = entry.value === '' ? '' : path.resolve(etcDir, entry.value);
          break;
        default:
          if (!ACCEPTED_TLS_OPTIONS.has(key)) {
            warnUnknownOption(diagnostics, entry, section);
          }
      }
    }
  }

  if (bindaddr === undefined && (enabled || tls.enabled)) {
    diagnostics.warn(generalAt ?? { file, line: 0 },
      `http.conf sets no bindaddr (Asterisk would not listen at all); binding ${FALLBACK_BIND_ADDRESS}`);
  }
  const address = bindaddr ?? FALLBACK_BIND_ADDRESS;
  const value: HttpConfig = {
    enabled,
    bindaddr: address,
    bindport,
    prefix,
    servername,
    sessionlimit,
    sessionInactivityMs,
    sessionKeepAliveMs,
    tls: {
      enabled: tls.enabled,
      // Without tlsbindaddr, HTTPS listens on the HTTP address with the TLS port (as in Asterisk).
      bindaddr: tls.bindaddr ?? address,
      bindport: tls.bindport,
      certfile: tls.certfile,
      // Without tlsprivatekey the key is looked for in the certificate file.
      privatekey: tls.privatekey ?? tls.certfile,
      cipher: tls.cipher,
      cafile: tls.cafile,
    },
    redirects,
  };
  return { value: deepFreeze(value), diagnostics: diagnostics.toArray() };
}

function checkOtherSection(section: ConfSection, diagnostics: DiagnosticList): void {
  const type = section.entries.findLast((e) => e.key.toLowerCase() === 'type')?.value.toLowerCase();
  if (type === 'restriction') {
    diagnostics.warn(section,
      `URI restriction [${section.name}] (type = restriction) is not enforced by Ariadne yet; its permit/deny rules are ignored`);
    return;
  }
  warnUnknownSection(diagnostics, section);
}

/** Splits `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; `undefined` when malformed. */
export function splitHostPort(text: string): { host: string; port: string | undefined } | undefined {
  const value = text.trim();
  if (value.startsWith('[')) {
    const match = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
    return match === null ? undefined : { host: match[1] ?? '', port: match[2] };
  }
  const colons = value.split(':').length - 1;
  if (colons === 1) {
    const [host = '', port] = value.split(':');
    return { host, port };
  }
  return { host: value, port: undefined };
}

function readBindAddress(entry: ConfEntry, diagnostics: DiagnosticList): string | undefined {
  const parts = splitHostPort(entry.value);
  if (parts === undefined || parts.host === '') {
    diagnostics.error(entry,
      `invalid value '${entry.value}' for 'bindaddr': expected an address such as 127.0.0.1, 0.0.0.0, :: or a host name`);
    return undefined;
  }
  if (parts.port !== undefined) {
    diagnostics.warn(entry, `the port in bindaddr '${entry.value}' is ignored; set bindport instead`);
  }
  return parts.host;
}

function readTlsBindAddress(entry: ConfEntry, diagnostics: DiagnosticList): { host: string; port: number | undefined } | undefined {
  const parts = splitHostPort(entry.value);
  const port = parts?.port;
  const portNumber = port === undefined ? undefined : /^\d+$/.test(port) ? Number(port) : Number.NaN;
  if (parts === undefined || net.isIP(parts.host) === 0 || (portNumber !== undefined && !(portNumber <= 65535))) {
    diagnostics.error(entry,
      `invalid value '${entry.value}' for '${entry.key}': expected an IP address with an optional port, such as 0.0.0.0:8089, 0.0.0.0 or [::1]:8089; HTTPS uses bindaddr and port ${DEFAULT_HTTPS_PORT}`);
    return undefined;
  }
  // Port 0 means "not given" in Asterisk, which then uses the default TLS port.
  return { host: parts.host, port: portNumber === 0 ? undefined : portNumber };
}

function readRedirect(entry: ConfEntry, diagnostics: DiagnosticList): HttpRedirect | undefined {
  const match = /^(\S+)\s+(.+)$/.exec(entry.value.trim());
  if (match === null) {
    diagnostics.error(entry, `invalid value '${entry.value}' for 'redirect': expected 'redirect = /from /to'; ignored`);
    return undefined;
  }
  return { from: match[1] ?? '', to: (match[2] ?? '').trim() };
}
