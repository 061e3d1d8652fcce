/**
 * The entity id that Asterisk reports as `asterisk_id` (`02:fc:00:00:00:01`): asterisk.conf's `entityid`
 * when set, else the MAC address of the first non-internal network interface, else a fixed local one.
 */

import os from 'node:os';

const ENTITY_ID = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

export function isEntityId(text: string): boolean {
  return ENTITY_ID.test(text);
}

export function resolveEntityId(configured: string): string {
  if (configured && isEntityId(configured)) return configured.toLowerCase();
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (!a.internal && a.mac && a.mac !== '00:00:00:00:00:00') return a.mac.toLowerCase();
    }
  }
  return '02:00:00:00:00:01';
}
