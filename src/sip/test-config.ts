/**
 * Test support: a `PjsipConfig` from pjsip.conf text held in memory, for the unit tests of the SIP stack.
 * `ephemeralPorts` rebinds every transport to port 0, so tests running side by side never collide.
 */

import { readPjsipConf, type PjsipConfig, type PjsipTransport } from '../config/pjsip.ts';
import { parseConfText } from '../config/parser.ts';

export function pjsipFromText(text: string, options: { ephemeralPorts?: boolean } = {}): PjsipConfig {
  const config = readPjsipConf(parseConfText(text, '/etc/ariadne/pjsip.conf'), '/etc/ariadne').value;
  if (options.ephemeralPorts !== true) return config;
  const transport = new Map<string, PjsipTransport>();
  for (const [id, t] of config.transport) transport.set(id, { ...t, bind: t.bind === undefined ? undefined : { ...t.bind, port: 0 } });
  return { ...config, transport };
}
