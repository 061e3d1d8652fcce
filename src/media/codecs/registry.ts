/**
 * The codec registry: the audio encodings Ariadne speaks, named as Asterisk names them (`core show codecs`,
 * SDP and ARI `formats`). Each codec turns the engine's `Int16Array` frames (signed linear at the codec's
 * sample rate) into payload bytes and back. The registry is frozen: adding a codec (opus, g722) means adding
 * an entry here.
 */

import { alawDecode, alawEncode, ulawDecode, ulawEncode } from './g711.ts';
import { slinDecode, slinEncode } from './slin.ts';

export type CodecName = 'ulaw' | 'alaw' | 'slin' | 'slin16';

export interface Codec {
  readonly name: CodecName;
  /** Asterisk's description (`core show codecs`). */
  readonly description: string;
  /** Samples per second of the signal the codec carries. */
  readonly sampleRate: 8000 | 16000;
  /** Encoded bytes per sample (G.711: 1, signed linear: 2). */
  readonly bytesPerSample: 1 | 2;
  /** Static RTP payload type, when the codec has one (RFC 3551). */
  readonly rtpPayloadType: number | undefined;
  /** The RTP encoding name for SDP `a=rtpmap` (`PCMU/8000`), when the codec is sent over RTP. */
  readonly rtpName: string | undefined;
  encode(pcm: Int16Array): Buffer;
  /** Decodes a payload; a malformed one (odd length for slin) throws `ParseError`. */
  decode(buf: Uint8Array): Int16Array;
}

const ulaw: Codec = Object.freeze({
  name: 'ulaw',
  description: 'G.711 u-law',
  sampleRate: 8000,
  bytesPerSample: 1,
  rtpPayloadType: 0,
  rtpName: 'PCMU',
  encode: ulawEncode,
  decode: ulawDecode,
});

const alaw: Codec = Object.freeze({
  name: 'alaw',
  description: 'G.711 a-law',
  sampleRate: 8000,
  bytesPerSample: 1,
  rtpPayloadType: 8,
  rtpName: 'PCMA',
  encode: alawEncode,
  decode: alawDecode,
});

const slin: Codec = Object.freeze({
  name: 'slin',
  description: '16 bit Signed Linear PCM',
  sampleRate: 8000,
  bytesPerSample: 2,
  rtpPayloadType: undefined,
  rtpName: 'L16',
  encode: slinEncode,
  decode: slinDecode,
});

const slin16: Codec = Object.freeze({
  name: 'slin16',
  description: '16 bit Signed Linear PCM (16kHz)',
  sampleRate: 16000,
  bytesPerSample: 2,
  rtpPayloadType: undefined,
  rtpName: 'L16',
  encode: slinEncode,
  decode: slinDecode,
});

/** Every codec by name, in Asterisk's `core show codecs` spirit (audio only). */
export const codecs: ReadonlyMap<CodecName, Codec> = new Map<CodecName, Codec>([
  ['ulaw', ulaw],
  ['alaw', alaw],
  ['slin', slin],
  ['slin16', slin16],
]);

export function isCodecName(name: string): name is CodecName {
  return codecs.has(name as CodecName);
}

/** The codec called `name`, or `undefined`. */
export function codecByName(name: string): Codec | undefined {
  return isCodecName(name) ? codecs.get(name) : undefined;
}

/** The codec called `name`; throws `TypeError` for an unknown name (a programming error, not input). */
export function getCodec(name: CodecName): Codec {
  const codec = codecs.get(name);
  if (codec === undefined) throw new TypeError(`unknown codec ${name}`);
  return codec;
}

/** Samples in a frame of `ms` milliseconds at `sampleRate` (20 ms at 8 kHz: 160). */
export function samplesPerFrame(sampleRate: number, ms = 20): number {
  return (sampleRate * ms) / 1000;
}
