import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadRtpConf, readRtpConf } from './rtp.ts';
import { parseConfText } from './parser.ts';

const FILE = '/etc/asterisk/rtp.conf';
const read = (text: string) => readRtpConf(parseConfText(text, FILE));
const lines = (d: readonly { line: number; level: string; message: string }[]) => d.map((x) => `${x.line}: ${x.level}: ${x.message}`);

test("the sip-perf anchor's rtp.conf and Asterisk's defaults", () => {
  const { value, diagnostics } = read('[general]\nrtpstart=10000\nrtpend=20000\n');
  assert.deepEqual(lines(diagnostics), []);
  assert.deepEqual(value, {
    rtpstart: 10000, rtpend: 20000, rtpchecksums: true, dtmftimeout: 1200, rtcpinterval: 5000,
    strictrtp: 'yes', probation: 4, icesupport: true, stunaddr: undefined, rtpworkers: undefined,
  });
  assert.ok(Object.isFrozen(value));
});

test('every option parses as Asterisk reads it', () => {
  const { value, diagnostics } = read(`[general]
rtpstart=12000
rtpend=14000 ; comment
dtmftimeout=3000
rtcpinterval=1500
strictrtp=seqno
probation=8
icesupport=no
stunaddr=stun.example.org:3479
`);
  assert.deepEqual(lines(diagnostics), []);
  assert.equal(value.rtpstart, 12000);
  assert.equal(value.rtpend, 14000);
  assert.equal(value.dtmftimeout, 3000);
  assert.equal(value.rtcpinterval, 1500);
  assert.equal(value.strictrtp, 'seqno');
  assert.equal(value.probation, 8);
  assert.equal(value.icesupport, false);
  assert.deepEqual(value.stunaddr, { host: 'stun.example.org', port: 3479 });
  assert.deepEqual(read('[general]\nstunaddr=[2001:db8::5]\nstrictrtp=no\n').value.stunaddr, { host: '2001:db8::5', port: 3478 });
  assert.equal(read('[general]\nstrictrtp=no\n').value.strictrtp, 'no');
});

test('out-of-range and broken values clamp or fall back with file:line diagnostics', () => {
  const { value, diagnostics } = read(`[general]
rtpstart=80
rtpend=70000
dtmftimeout=99999
rtcpinterval=0
strictrtp=maybe
probation=1
rtpchecksums=no
stunaddr=:
turnaddr=turn.example.org
bogus=1
[other]
`);
  assert.equal(value.rtpstart, 1024);
  assert.equal(value.rtpend, 65535);
  assert.equal(value.dtmftimeout, 1200);
  assert.equal(value.rtcpinterval, 500);
  assert.equal(value.strictrtp, 'no');
  assert.equal(value.probation, 4);
  assert.equal(value.stunaddr, undefined);
  assert.deepEqual(diagnostics.map((d) => [d.line, d.level]), [
    [2, 'warning'], [3, 'warning'], [4, 'warning'], [5, 'warning'], [6, 'warning'], [7, 'warning'], [8, 'warning'],
    [9, 'error'], [10, 'warning'], [11, 'warning'], [12, 'warning'],
  ]);
  assert.equal(lines(diagnostics)[0], '2: warning: rtpstart 80 is outside 1024-65535; using 1024');
});

test('a start not below the end falls back to the default range', () => {
  const { value, diagnostics } = read('[general]\nrtpstart=20000\nrtpend=10000\n');
  assert.deepEqual([value.rtpstart, value.rtpend], [5000, 31000]);
  assert.deepEqual(lines(diagnostics), ['3: warning: rtpstart (20000) is not below rtpend (10000); using 5000-31000']);
});

test('loadRtpConf: missing file gives defaults and a warning', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-rtp-'));
  try {
    const missing = loadRtpConf(dir);
    assert.equal(missing.value.rtpstart, 5000);
    assert.equal(missing.diagnostics.length, 1);
    assert.match(missing.diagnostics[0]!.message, /rtp.conf not found/);
    fs.writeFileSync(path.join(dir, 'rtp.conf'), '[general]\nrtpstart=40000\nrtpend=40100\n');
    assert.deepEqual([loadRtpConf(dir).value.rtpstart, loadRtpConf(dir).value.rtpend], [40000, 40100]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("rtpworkers (Ariadne's own): RTP worker threads, 0 for none; a bad value keeps the default", () => {
  assert.equal(read('[general]\nrtpworkers=3\n').value.rtpworkers, 3);
  assert.equal(read('[general]\nrtpworkers=0\n').value.rtpworkers, 0);
  const bad = read('[general]\nrtpworkers=lots\n');
  assert.equal(bad.value.rtpworkers, undefined);
  assert.deepEqual(lines(bad.diagnostics), ["2: warning: value for 'rtpworkers' must be a number from 0 to 64; using one per core"]);
});
