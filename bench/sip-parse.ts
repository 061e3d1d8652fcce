/**
 * SIP message codec throughput (issue 5): parse + serialise of a typical INVITE with SDP (the trunk call of the
 * seed, ≈ 900 bytes, 12 headers), in messages per second, next to a baseline measured in the same run —
 * `Buffer.toString` and a split into CRLF lines and name/value pairs, the least any SIP parser must do.
 * Target: ≥ 200 k messages/s parse + serialise.
 *
 *   node bench/sip-parse.ts [--quick] [--repeat N]
 *
 * Each case runs for 1 s (0.25 s with --quick) after a warm-up, cases alternate, the median of `--repeat`
 * rounds (default 3) is reported as a Markdown table on stdout. Rates are per second of CPU time used by
 * this process (see `measure`), so a busy machine does not make the codec look slower than it is.
 */

import os from 'node:os';
import { cseq, fromOf, serializeMessage, topVia, type SipMessage } from '../src/sip/message/message.ts';
import { parseMessage } from '../src/sip/message/parser.ts';
import { machineInfo } from './lib.ts';
import { microArgs, runRounds, type MicroCase } from './micro.ts';

const args = microArgs('node bench/sip-parse.ts [--quick] [--repeat N]');
const { repeat, runMs } = args;

const sdp = [
  'v=0',
  'o=- 3912349876 3912349876 IN IP4 192.0.2.20',
  's=call',
  'c=IN IP4 192.0.2.20',
  't=0 0',
  'm=audio 16384 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

// 16 variants (different branch, tag, Call-ID) so nothing is cached by accident.
const messages: Buffer[] = Array.from({ length: 16 }, (_, i) =>
  Buffer.from(
    [
      'INVITE sip:1000@192.0.2.10:5060 SIP/2.0',
      `Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bK-${1000 + i}-1-0;rport`,
      'Max-Forwards: 70',
      `From: "sipp" <sip:sipp@192.0.2.20:5060>;tag=${5000 + i}SIPpTag001`,
      'To: <sip:1000@192.0.2.10:5060>',
      `Call-ID: ${i}-12345@192.0.2.20`,
      'CSeq: 1 INVITE',
      'Contact: <sip:sipp@192.0.2.20:5060>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, MESSAGE',
      'Supported: replaces, timer',
      'User-Agent: bench-uac',
      'Content-Type: application/sdp',
      `Content-Length: ${sdp.length}`,
      '',
      sdp,
    ].join('\r\n'),
  ),
);

interface Case extends MicroCase {
  readonly target: boolean;
}

const parsed: SipMessage[] = messages.map((b) => parseMessage(b));

const cases: Case[] = [
  {
    name: 'baseline: toString + split CRLF + split name/value',
    target: false,
    run: (i) => {
      const buf = messages[i & 15] as Buffer;
      const text = buf.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const lines = text.slice(0, end).split('\r\n');
      let n = 0;
      for (let k = 1; k < lines.length; k++) {
        const line = lines[k] as string;
        const c = line.indexOf(':');
        n += line.slice(0, c).length + line.slice(c + 1).trim().length;
      }
      return n + text.length - end;
    },
  },
  { name: 'parse (parseMessage, validated)', target: false, run: (i) => parseMessage(messages[i & 15] as Buffer).headers.size },
  { name: 'serialise (serializeMessage)', target: false, run: (i) => serializeMessage(parsed[i & 15] as SipMessage).length },
  { name: 'parse + serialise', target: true, run: (i) => serializeMessage(parseMessage(messages[i & 15] as Buffer)).length },
  {
    name: 'parse without header validation + serialise',
    target: false,
    run: (i) => serializeMessage(parseMessage(messages[i & 15] as Buffer, { validate: false })).length,
  },
  {
    name: 'parse + top Via, CSeq, From + serialise',
    target: false,
    run: (i) => {
      const m = parseMessage(messages[i & 15] as Buffer);
      const n = (topVia(m).branch?.length ?? 0) + cseq(m).seq + (fromOf(m).params.get('tag')?.length ?? 0);
      return serializeMessage(m).length + n;
    },
  },
];

// Sanity: the codec round-trips the benchmark message byte for byte.
if (!serializeMessage(parseMessage(messages[0] as Buffer)).equals(messages[0] as Buffer)) throw new Error('round-trip self-check failed');

// Rates per second of this process's CPU time, not wall time: this machine is shared, and with other jobs
// running wall time counts the slices the scheduler gave to them.
const results = runRounds(cases, args, { clock: 'cpu', batch: 200, warmupMs: args.quick ? 50 : 300 });

const baseline = results.get((cases[0] as Case).name) ?? Number.NaN;
const TARGET = 200_000;
const fmtInt = (v: number): string => Math.round(v).toLocaleString('en-US');
const lines = [
  `SIP parse/serialise — ${messages[0]?.length} byte INVITE with SDP; median of ${repeat} × ${runMs} ms per case`,
  `Machine: ${machineInfo('bench/sip-parse.ts')}; load average ${os.loadavg()[0]?.toFixed(1)}.`,
  '',
  '| Operation | messages per CPU-second | µs CPU/message | vs baseline | target ≥ 200 k/s |',
  '|---|---:|---:|---:|---|',
];
for (const c of cases) {
  const rate = results.get(c.name) ?? Number.NaN;
  lines.push(`| ${c.name} | ${fmtInt(rate)} | ${(1e6 / rate).toFixed(2)} | ${(rate / baseline).toFixed(2)} | ${c.target ? (rate >= TARGET ? 'met' : 'NOT met') : ''} |`);
}
process.stdout.write(lines.join('\n') + '\n');
