/**
 * What every SIP transport shares: the source a message arrived from, where one goes, the callbacks a
 * transport calls, and the `pjsip set logger on` text (Asterisk's res_pjsip_logger shape:
 * `<--- Received SIP request (512 bytes) from UDP:127.0.0.1:5062 --->` then the message).
 */

import { SipParseError } from '../message/errors.ts';
import { createResponse } from '../message/helpers.ts';
import { serializeMessage, type SipMessage } from '../message/message.ts';
import { SipMessageError } from '../message/parser.ts';
import type { SipAddress } from '../transaction/transaction.ts';

export type TransportKind = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

export interface LocalAddress {
  readonly address: string;
  readonly port: number;
}

/** Where a message came from. */
export interface SipSource {
  readonly transport: TransportKind;
  readonly address: string;
  readonly port: number;
  /** TCP/TLS/WS/WSS: the connection it came on, so answers and in-dialog requests reuse it (RFC 3261 §18.2.2). */
  readonly connectionId?: string;
  /** The local socket address it arrived at. */
  readonly local: LocalAddress;
  /** The pjsip.conf transport object that received it. */
  readonly transportId: string;
}

/** Where a message goes: the transaction layer's address (transport upper case: UDP, TCP, TLS). */
export type SipDestination = SipAddress;

/** A source as the transaction layer's address (responses to a stream request go back on its connection). */
export function sourceAddress(source: SipSource): SipAddress {
  const base = { transport: source.transport.toUpperCase(), host: source.address, port: source.port };
  return source.connectionId === undefined ? base : { ...base, connection: source.connectionId };
}

export interface TransportHandlers {
  /** A parsed message. */
  readonly onMessage: (message: SipMessage, source: SipSource) => void;
  /** Raw traffic for the SIP logger, both directions. */
  readonly onTraffic?: (entry: TrafficEntry) => void;
  /** Something the operator should hear about (bind failure, framing error, dropped datagram). */
  readonly onWarning?: (text: string) => void;
}

export interface TrafficEntry {
  readonly direction: 'in' | 'out';
  readonly transport: TransportKind;
  readonly address: string;
  readonly port: number;
  readonly bytes: Buffer;
}

/** The `pjsip set logger on` text for one message. */
export function formatTraffic(entry: TrafficEntry): string {
  const text = entry.bytes.toString('utf8');
  const isRequest = !text.startsWith('SIP/');
  const host = entry.address.includes(':') ? `[${entry.address}]` : entry.address;
  const where = `${entry.transport.toUpperCase()}:${host}:${entry.port}`;
  const kind = isRequest ? 'request' : 'response';
  return entry.direction === 'in'
    ? `<--- Received SIP ${kind} (${entry.bytes.length} bytes) from ${where} --->\n${text}\n`
    : `<--- Transmitting SIP ${kind} (${entry.bytes.length} bytes) to ${where} --->\n${text}\n`;
}

/** Brackets IPv6 for `host:port` keys and URIs. */
export function hostPort(address: string, port: number): string {
  return `${address.includes(':') ? `[${address}]` : address}:${port}`;
}

/**
 * The 400 owed to a request that could not be parsed, when its start line and headers (Via included) were
 * readable; undefined when there is nothing sensible to answer (a response, an ACK, no Via, broken Via).
 */
export function badRequestFor(error: SipParseError): Buffer | undefined {
  const partial = error instanceof SipMessageError ? error.partial : undefined;
  if (partial?.type !== 'request' || partial.method === 'ACK' || !partial.headers.has('Via')) return undefined;
  try {
    return serializeMessage(createResponse(partial, 400, { reason: 'Bad Request' }));
  } catch (e) {
    if (e instanceof SipParseError) return undefined;
    throw e;
  }
}
