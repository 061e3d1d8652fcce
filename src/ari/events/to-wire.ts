/**
 * Turns Stasis messages into ARI's wire JSON: ARI timestamps, `asterisk_id` on every message, and field
 * order as Asterisk writes it (clients must not depend on order, but diffs against captures are easier).
 */

import type { AppMessage } from '../../stasis/messages.ts';
import { ariTimestamp } from '../../shared/time.ts';

export function toWire(message: AppMessage, asteriskId: string): Record<string, unknown> {
  const timestamp = ariTimestamp(message.timestamp);
  switch (message.type) {
    case 'ApplicationReplaced':
    case 'ApplicationRegistered':
    case 'ApplicationUnregistered':
      return { type: message.type, timestamp, application: message.application, asterisk_id: asteriskId };
    case 'ChannelUserevent': {
      // Asterisk writes `userevent` before the sources (events/f-record-and-varset.json).
      const out: Record<string, unknown> = { type: message.type, timestamp, eventname: message.eventname, userevent: message.userevent };
      if (message.channel !== undefined) out.channel = message.channel;
      if (message.bridge !== undefined) out.bridge = message.bridge;
      if (message.endpoint !== undefined) out.endpoint = message.endpoint;
      out.asterisk_id = asteriskId;
      out.application = message.application;
      return out;
    }
  }
}
