/**
 * rtp.conf: the RTP port range and the behaviour of every RTP session (`src/media/rtp/`).
 *
 * Only `[general]` exists. The options and defaults are Asterisk's res_rtp_asterisk: ports 5000–31000,
 * RTCP every 5 s (clamped to 0.5–60 s, so `rtcpinterval = 0` gives 500 ms as in Asterisk), strict RTP on
 * with a probation of 4 packets, a DTMF timeout of 1200 samples (150 ms at 8 kHz), ICE support on.
 * Like Asterisk, a port outside 1024–65535 is clamped, and a start not below the end falls back to both
 * defaults (with a warning rather than silently). `stunaddr` is parsed (host and port, default 3478) so the
 * media layer can use it later; `ice_host_candidates`, `[ice_host_candidates]` and TURN options are accepted
 * and warn when set, since Ariadne has no ICE yet.
 */

import * as path from 'node:path';
import type { ConfEntry } from './parser.ts';
import { parseConfFile } from './parser.ts';
import type { ConfDocument } from './parser.ts';
import { deepFreeze } from './freeze.ts';
import {
  concreteSections,
  DiagnosticList,
  missingFile,
  parseBooleanWord,
  readBoolean,
  warnUnknownOption,
} from './options.ts';
import type { Loaded } from './types.ts';

export type StrictRtpMode = 'yes' | 'no' | 'seqno';

export interface StunAddress {
  readonly host: string;
  readonly port: number;
}

/** rtp.conf `[general]`. */
export interface RtpConfig {
  readonly rtpstart: number;
  readonly rtpend: number;
  /** UDP checksums on RTP sockets (only 'no' matters, and Node cannot turn them off: it warns). */
  readonly rtpchecksums: boolean;
  /** Samples (8 kHz) after an RFC 4733 end packet during which a repeated event is still the same digit. */
  readonly dtmftimeout: number;
  readonly rtcpinterval: number;
  readonly strictrtp: StrictRtpMode;
  /** Packets in sequence needed to learn a new source address under strict RTP. */
  readonly probation: number;
  readonly icesupport: boolean;
  readonly stunaddr: StunAddress | undefined;
  /**
   * Ariadne's own: worker threads for RTP (0: RTP runs in the main thread). Default: one per core. Read at
   * start-up only.
   */
  readonly rtpworkers: number | undefined;
}

export const DEFAULT_RTP_START = 5000;
export const DEFAULT_RTP_END = 31000;
export const DEFAULT_DTMF_TIMEOUT = 150 * 8;
export const DEFAULT_RTCP_INTERVAL_MS = 5000;
export const DEFAULT_PROBATION = 4;
const MIN_PORT = 1024;
const MAX_PORT = 65535;
const STUN_PORT = 3478;

/** Options Asterisk reads that Ariadne does not use; warned about only when present. */
const ACCEPTED_UNUSED: ReadonlySet<string> = new Set([
  'srtpreplayprotection', 'stun_software_attribute', 'stunaddr_reresolve_ttl_0', 'stun_acl', 'stun_deny',
  'stun_permit', 'turnaddr', 'turnusername', 'turnpassword', 'ice_acl', 'ice_deny', 'ice_permit',
  'ice_blacklist', 'stun_blacklist', 'dtls_mtu',
]);

/** Loads `<etcDir>/rtp.conf`. A missing file gives Asterisk's defaults and a warning. */
export function loadRtpConf(etcDir: string): Loaded<RtpConfig> {
  const file = path.resolve(etcDir, 'rtp.conf');
  const doc = parseConfFile(file, { configDir: etcDir });
  const loaded = readRtpConf(doc);
  if (doc.found) {
    return loaded;
  }
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(loaded.diagnostics);
  missingFile(diagnostics, file, `RTP uses ports ${DEFAULT_RTP_START}-${DEFAULT_RTP_END}`);
  return { value: loaded.value, diagnostics: diagnostics.toArray() };
}

/** Builds the value from a parsed rtp.conf. */
export function readRtpConf(doc: ConfDocument): Loaded<RtpConfig> {
  const diagnostics = new DiagnosticList();
  diagnostics.addAll(doc.diagnostics);
  const value = {
    rtpstart: DEFAULT_RTP_START,
    rtpend: DEFAULT_RTP_END,
    rtpchecksums: true,
    dtmftimeout: DEFAULT_DTMF_TIMEOUT,
    rtcpinterval: DEFAULT_RTCP_INTERVAL_MS,
    strictrtp: 'yes' as StrictRtpMode,
    probation: DEFAULT_PROBATION,
    icesupport: true,
    stunaddr: undefined as StunAddress | undefined,
    rtpworkers: undefined as number | undefined,
  };
  let rangeAt: ConfEntry | undefined;

  for (const section of concreteSections(doc)) {
    const name = section.name.toLowerCase();
    if (name === 'ice_host_candidates') {
      if (section.entries.length > 0) {
        diagnostics.warn(section, '[ice_host_candidates] has no effect: Ariadne does not support ICE yet');
      }
      continue;
    }
    if (name !== 'general') {
      diagnostics.warn(section, `unknown section [${section.name}] in rtp.conf; ignored`);
      continue;
    }
    for (const entry of section.entries) {
      const key = entry.key.toLowerCase();
      switch (key) {
        case 'rtpstart':
          value.rtpstart = readPort(entry, diagnostics, value.rtpstart);
          rangeAt = entry;
          break;
        case 'rtpend':
          value.rtpend = readPort(entry, diagnostics, value.rtpend);
          rangeAt = entry;
          break;
        case 'rtpchecksums':
          value.rtpchecksums = readBoolean(entry, diagnostics, true);
          if (!value.rtpchecksums) {
            diagnostics.warn(entry, 'disabling RTP checksums is not possible in Ariadne; ignored');
          }
          break;
        case 'dtmftimeout': {
          const n = leadingInteger(entry.value);
          if (n === undefined || n < 0 || n > 64000) {
            diagnostics.warn(entry,
              `DTMF timeout '${entry.value}' is outside 0-64000; using the default ${DEFAULT_DTMF_TIMEOUT}`);
            value.dtmftimeout = DEFAULT_DTMF_TIMEOUT;
          } else {
            value.dtmftimeout = n;
          }
          break;
        }
        case 'rtcpinterval': {
          const n = leadingInteger(entry.value);
          if (n === undefined) {
            diagnostics.error(entry, `invalid value '${entry.value}' for 'rtcpinterval': expected milliseconds (500-60000)`);
            break;
          }
          const clamped = Math.min(60000, Math.max(500, n));
          if (clamped !== n) {
            diagnostics.warn(entry, `rtcpinterval ${n} is outside 500-60000 ms; using ${clamped}`);
          }
          value.rtcpinterval = clamped;
          break;
        }
        case 'strictrtp': {
          // As in Asterisk: any true word is yes, `seqno` is seqno, everything else turns it off.
          const word = entry.value.trim().toLowerCase();
          value.strictrtp = parseBooleanWord(word) === true ? 'yes' : word === 'seqno' ? 'seqno' : 'no';
          if (word !== 'seqno' && parseBooleanWord(word) === undefined) {
            diagnostics.warn(entry, `unknown strictrtp value '${entry.value}' (expected yes, no or seqno); strict RTP is off, as in Asterisk`);
          }
          break;
        }
        case 'probation': {
          const n = leadingInteger(entry.value);
          if (n === undefined || n <= 1) {
            diagnostics.warn(entry, `value for 'probation' must be a number above 1; using the default ${DEFAULT_PROBATION}`);
            value.probation = DEFAULT_PROBATION;
          } else {
            value.probation = n;
          }
          break;
        }
        case 'icesupport':
          value.icesupport = readBoolean(entry, diagnostics, true);
          break;
        case 'rtpworkers': {
          const n = leadingInteger(entry.value);
          if (n === undefined || n < 0 || n > 64) diagnostics.warn(entry, `value for 'rtpworkers' must be a number from 0 to 64; using one per core`);
          else value.rtpworkers = n;
          break;
        }
        case 'stunaddr':
          value.stunaddr = readStun(entry, diagnostics) ?? value.stunaddr;
          break;
        default:
          if (ACCEPTED_UNUSED.has(key)) {
            diagnostics.warn(entry, `'${entry.key}' in rtp.conf is not supported by Ariadne yet; ignored`);
          } else {
            warnUnknownOption(diagnostics, entry, section);
          }
      }
    }
  }

  if (value.rtpstart >= value.rtpend) {
    diagnostics.warn(rangeAt ?? { file: doc.file, line: 0 },
      `rtpstart (${value.rtpstart}) is not below rtpend (${value.rtpend}); using ${DEFAULT_RTP_START}-${DEFAULT_RTP_END}`);
    value.rtpstart = DEFAULT_RTP_START;
    value.rtpend = DEFAULT_RTP_END;
  }
  return { value: deepFreeze(value), diagnostics: diagnostics.toArray() };
}

/** Asterisk reads numbers with atoi/sscanf: leading digits count, trailing junk is ignored. */
function leadingInteger(textValue: string): number | undefined {
  const match = /^\s*([+-]?\d+)/.exec(textValue);
  return match === null ? undefined : Number(match[1]);
}

function readPort(entry: ConfEntry, diagnostics: DiagnosticList, fallback: number): number {
  const n = leadingInteger(entry.value);
  if (n === undefined) {
    diagnostics.error(entry, `invalid value '${entry.value}' for '${entry.key}': expected a port number; using ${fallback}`);
    return fallback;
  }
  const clamped = Math.min(MAX_PORT, Math.max(MIN_PORT, n));
  if (clamped !== n) {
    diagnostics.warn(entry, `${entry.key} ${n} is outside ${MIN_PORT}-${MAX_PORT}; using ${clamped}`);
  }
  return clamped;
}

function readStun(entry: ConfEntry, diagnostics: DiagnosticList): StunAddress | undefined {
  const textValue = entry.value.trim();
  const match = /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d+))?$/.exec(textValue);
  const port = match?.[3] === undefined ? STUN_PORT : Number(match[3]);
  if (match === null || port < 1 || port > 65535) {
    diagnostics.error(entry, `invalid value '${entry.value}' for 'stunaddr': expected host[:port]; ignored`);
    return undefined;
  }
  return { host: match[1] ?? match[2] ?? '', port };
}
