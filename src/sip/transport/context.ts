/**
 * The little each transport needs from the transport set that owns it: where parsed messages go, whether the
 * SIP logger is on, and where warnings go. Kept in one object so `pjsip set logger on` flips one flag.
 */

import type { SipMessage } from '../message/message.ts';
import type { SipSource, TrafficEntry } from './transport.ts';

export type { LocalAddress } from './transport.ts';

export interface TransportContext {
  logging: boolean;
  readonly deliver: (message: SipMessage, source: SipSource) => void;
  readonly traffic: (entry: TrafficEntry) => void;
  readonly warn: (text: string) => void;
  readonly debug: (text: string) => void;
  readonly log: (level: 'info' | 'notice' | 'error', text: string) => void;
}
