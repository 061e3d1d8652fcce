/**
 * Reads the UDP payloads of a classic pcap file (Ethernet + IPv4 + UDP, as SIPp's `/usr/share/sip-tester/*.pcap`
 * are), with their capture times, for RTP tests and benchmarks. Not part of the RTP API.
 */

import fs from 'node:fs';

export interface CapturedDatagram {
  /** Capture time in ms since the first packet. */
  readonly atMs: number;
  readonly payload: Buffer;
}

export const SIPP_PCAP_DIR = '/usr/share/sip-tester';

/** UDP payloads of a pcap file; throws on a file that is not little- or big-endian microsecond pcap. */
export function readPcapUdp(file: string): CapturedDatagram[] {
  const d = fs.readFileSync(file);
  const magic = d.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4;
  if (!le && magic !== 0xd4c3b2a1) throw new Error(`${file}: not a pcap file`);
  const u32 = (o: number): number => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${file}: only Ethernet captures are read`);
  const out: CapturedDatagram[] = [];
  let first: number | undefined;
  for (let off = 24; off + 16 <= d.length; ) {
    const atMs = u32(off) * 1000 + u32(off + 4) / 1000;
    const incl = u32(off + 8);
    const frame = d.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (frame.length < 14 + 20 + 8 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ip = frame.subarray(14);
    if (ip[9] !== 17) continue; // UDP only
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    first ??= atMs;
    out.push({ atMs: atMs - first, payload: Buffer.from(udp.subarray(8, udp.readUInt16BE(4))) });
  }
  return out;
}
