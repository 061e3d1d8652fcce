/**
 * RTP packet throughput (issue 5): the per-packet work of an RTP session, without sockets, in packets per second.
 *  - receive: parse a 172-byte PCMU packet (`parseRtp`) and decode its 160 bytes into a reused Int16Array;
 *  - send: write the header and encode 160 samples into a new 172-byte Buffer (what `RtpSession` does per tick);
 *  - also: RFC 4733 payload decode, RTCP receiver-statistics update, jitter buffer push + pull.
 * Baseline, measured in the same run: copy a 172-byte packet into a new Buffer (`Buffer.allocUnsafe` + `set`),
 * i.e. the allocation and one pass over the bytes without any RTP or codec work. DESIGN.md's claim for this layer
 * is 1.8 M packets/s.
 *
 *   node bench/rtp.ts [--quick] [--repeat N] [--write]
 *
 * Each case runs 1 s (0.25 s with --quick) after a warm-up; cases alternate within a round and the median of
 * `--repeat` rounds (default 3) is reported. `--write` appends a dated section to bench/RESULTS.md.
 */

import { ulawDecodeInto, ulawEncode, ulawEncodeInto } from '../src/media/codecs/g711.ts';
import { JitterBuffer } from '../src/media/rtp/jitter-buffer.ts';
import { parseRtp, RTP_HEADER_LENGTH, serializeRtp, writeRtpHeader } from '../src/media/rtp/packet.ts';
import { decodeTelephoneEvent, encodeTelephoneEvent } from '../src/media/rtp/rfc4733.ts';
import { ReceiverStats } from '../src/media/rtp/rtcp.ts';
import { microArgs, runRounds, testFrames, type MicroCase } from './micro.ts';
import { appendResults, gitRev, int, isoNow, machineInfo, RESULTS } from './lib.ts';

const args = microArgs('node bench/rtp.ts [--quick] [--repeat N] [--write]');
const { quick, write, repeat, runMs } = args;

// 50 different packets (a second of 440 Hz + 1 kHz + noise) so every table region is used.
const FRAMES = 50;
const N = 160;
const pcm = testFrames(FRAMES, N);
const packets = pcm.map((f, i) => serializeRtp({ marker: i === 0, payloadType: 0, sequenceNumber: i, timestamp: i * N, ssrc: 0x1234 }, ulawEncode(f)));
const events = Array.from({ length: FRAMES }, (_, i) => encodeTelephoneEvent({ event: i % 16, end: i % 5 === 4, volume: 10, duration: i * 160 }));
const decoded = new Int16Array(N);
const pulled = new Int16Array(N);
const stats = new ReceiverStats(0x1234);
const jb = new JitterBuffer();

interface Case extends MicroCase {
  readonly main: boolean;
}
const cases: Case[] = [
  {
    name: 'baseline: copy a 172-byte packet into a new Buffer',
    main: false,
    run: (i) => {
      const src = packets[i % FRAMES]!;
      const out = Buffer.allocUnsafe(src.length);
      out.set(src);
      return out[i & 127]!;
    },
  },
  {
    name: 'receive: parseRtp + µ-law decode into a reused array',
    main: true,
    run: (i) => {
      const p = parseRtp(packets[i % FRAMES]!);
      if (typeof p === 'string') throw new Error(p);
      ulawDecodeInto(p.payload, decoded, 0);
      return decoded[i & 127]! + p.sequenceNumber;
    },
  },
  {
    name: 'send: header + µ-law encode into a new Buffer',
    main: true,
    run: (i) => {
      const out = Buffer.allocUnsafe(RTP_HEADER_LENGTH + N);
      writeRtpHeader(out, { marker: false, payloadType: 0, sequenceNumber: i & 0xffff, timestamp: i * N, ssrc: 0x1234 });
      ulawEncodeInto(pcm[i % FRAMES]!, out, RTP_HEADER_LENGTH);
      return out[i & 127]!;
    },
  },
  { name: 'RFC 4733 payload decode', main: false, run: (i) => decodeTelephoneEvent(events[i % FRAMES]!)!.duration },
  {
    name: 'RTCP receiver statistics update (A.1 + A.8)',
    main: false,
    run: (i) => (stats.update(i & 0xffff, (i * N) >>> 0, i * 20 + (i & 3)) ? 1 : 0),
  },
  {
    name: 'jitter buffer push + pull (160 samples)',
    main: false,
    run: (i) => {
      jb.push((i * N) | 0, pcm[i % FRAMES]!, i * 20);
      return jb.pull(pulled) ? pulled[i & 127]! : 0;
    },
  },
];

// Sanity: a round trip through the measured code gives the audio back (a bench of broken code is worthless).
{
  const p = parseRtp(packets[3]!);
  if (typeof p === 'string' || p.sequenceNumber !== 3 || p.payload.length !== N) throw new Error('RTP self-check failed');
  ulawDecodeInto(p.payload, decoded, 0);
  if (Math.abs(decoded[10]! - pcm[3]![10]!) > 600) throw new Error('codec self-check failed');
}

const results = runRounds(cases, args);

const baseline = results.get(cases[0]!.name)!;
const TARGET = 1_800_000;
const lines = ['| Operation (PCMU, 20 ms = 160 bytes) | packets/s | ns/packet | vs baseline | DESIGN.md 1.8 M/s |', '|---|---:|---:|---:|---|'];
for (const c of cases) {
  const pps = results.get(c.name)!;
  lines.push(`| ${c.name} | ${int(pps)} | ${(1e9 / pps).toFixed(1)} | ${(pps / baseline).toFixed(2)} | ${c.main ? (pps >= TARGET ? 'met' : 'NOT met') : ''} |`);
}

const report = [
  `## ${isoNow()} — Issue 5: RTP packets (${gitRev()})`,
  '',
  `Machine: ${machineInfo('no external tool')}.`,
  `Settings: \`node bench/rtp.ts${quick ? ' --quick' : ''}\`, median of ${repeat} rounds of ${runMs} ms per case after a warm-up; ` +
    'cases alternate within a round; packets cycle through 50 different PCMU packets. One core, no sockets: the ' +
    'work per packet of `RtpSession` besides `dgram` and the media port.',
  '',
  lines.join('\n'),
  '',
].join('\n');

process.stdout.write(`${report}\n`);
if (write) appendResults(RESULTS, report, () => '# Ariadne benchmarks\n\n');
