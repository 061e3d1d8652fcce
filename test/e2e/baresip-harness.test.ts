/**
 * Self-test of the baresip harness (test/helpers/baresip.ts) against SIPp, without Ariadne: baresip calls a
 * SIPp UAS that echoes RTP and hears its own 1000 Hz tone back (Goertzel on the `heard` recording), and its
 * RFC 4733 digits come back as CALL_DTMF_START events; SIPp UACs call baresip, answered automatically
 * (twice in a row: each call keeps its own recordings) and by `answer()`; and baresip registers with a SIPp
 * registrar. baresip and SIPp must be installed (.ci/run installs them): a missing binary fails the test.
 */

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, freePort, readRecording, startBaresip, type Baresip } from '../helpers/baresip.ts';
import { goertzelAmplitude } from '../../src/media/dsp/goertzel.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'baresip');
const TONE = 1000;

const phones: Baresip[] = [];
const sipps: ChildProcess[] = [];
after(async () => {
  for (const s of sipps) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  await Promise.all(phones.map((p) => p.stop()));
});

async function phone(...args: Parameters<typeof startBaresip>): Promise<Baresip> {
  const p = await startBaresip(...args);
  phones.push(p);
  return p;
}

interface Sipp {
  readonly port: number;
  readonly mediaPort: number;
  /** Exit code (null when killed) and output, once SIPp has ended (it is killed after its bound). */
  readonly done: Promise<{ code: number | null; output: string }>;
}

const hex = (port: number) => `:${port.toString(16).toUpperCase().padStart(4, '0')} `;

/** Runs SIPp on loopback with a bounded lifetime; resolves once its SIP port is bound. */
async function sipp(args: readonly string[], timeoutS = 10): Promise<Sipp> {
  assert.ok(findBinary('sipp'), 'sipp is not installed (apt-get install sip-tester)');
  const port = await freePort(true);
  const mediaPort = await freePort(true);
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'sipp-harness-'));
  const child = spawn(
    'sipp',
    ['-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error', ...args],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  sipps.push(child);
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  child.stderr.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20000)));
  const kill = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 3) * 1000);
  const done = new Promise<{ code: number | null; output: string }>((resolve) => {
    child.once('exit', (code) => {
      clearTimeout(kill);
      fs.rmSync(cwd, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
  // SIPp says nothing when it is ready: wait until its UDP socket shows up in /proc/net/udp (bounded).
  for (let i = 0; i < 100 && child.exitCode === null; i++) {
    if (fs.readFileSync('/proc/net/udp', 'latin1').includes(hex(port))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return { port, mediaPort, done };
}

async function sippSucceeded(s: Sipp): Promise<void> {
  const { code, output } = await s.done;
  assert.equal(code, 0, `SIPp failed (exit ${code}):\n${output.slice(-3000)}`);
}

/**
 * How a recording holds `freq`, judged per 20 ms block (160 samples, as baresip writes frames): 1000 Hz fills
 * whole cycles in a block, so a lost or late packet (a phase jump between frames) does not lower the blocks
 * around it. The first and last 100 ms are left out.
 */
function toneIn(file: string | undefined, freq: number): { median: number; share: number; seconds: number } {
  assert.ok(file, 'no recording');
  const { samples, sampleRate } = readRecording(file);
  const block = sampleRate / 50;
  const amps: number[] = [];
  for (let at = sampleRate / 10; at + block <= samples.length - sampleRate / 10; at += block) {
    amps.push(goertzelAmplitude(samples, freq, sampleRate, at, at + block));
  }
  amps.sort((x, y) => x - y);
  return {
    median: amps[Math.floor(amps.length / 2)] ?? 0,
    /** Share of blocks where the tone is at least half the 8000 peak that was sent. */
    share: amps.length === 0 ? 0 : amps.filter((x) => x > 4000).length / amps.length,
    seconds: samples.length / sampleRate,
  };
}

describe('baresip harness', () => {
  it('calls a SIPp UAS that echoes RTP: hears its own tone back and gets its DTMF echoed', async () => {
    const uas = await sipp(['-sf', path.join(FIXTURES, 'uas-echo.xml'), '-m', '1', '-rtp_echo']);
    const alice = await phone({ name: 'alice', account: { user: 'alice', domain: `127.0.0.1:${uas.port}` }, audioSource: { toneHz: TONE } });
    await alice.dial(`sip:service@127.0.0.1:${uas.port}`);
    const established = await alice.waitFor('CALL_ESTABLISHED');
    assert.equal(established.direction, 'outgoing');
    await alice.sendDtmf('1#');
    assert.equal((await alice.waitFor('CALL_DTMF_START')).param, '1');
    assert.equal((await alice.waitFor('CALL_DTMF_START')).param, '#');
    await new Promise((r) => setTimeout(r, 600));
    await alice.hangup();
    const closed = await alice.waitFor('CALL_CLOSED');
    assert.equal(closed.id, established.id);
    await sippSucceeded(uas);

    const recs = await alice.recordings();
    assert.equal(recs.length, 1);
    const heard = toneIn(recs[0]!.heard, TONE);
    const sent = toneIn(recs[0]!.sent, TONE);
    // 8000 peak sent, through PCMU twice: the echo keeps almost all of it, and nothing else is in it.
    assert.ok(sent.median > 7000 && sent.share > 0.95, `sent tone ${JSON.stringify(sent)}`);
    assert.ok(heard.median > 7000 && heard.share > 0.9, `heard tone ${JSON.stringify(heard)}`);
    assert.ok(toneIn(recs[0]!.heard, 1400).median < 500, 'heard has no 1400 Hz');
    assert.ok(heard.seconds > 0.8, `heard ${heard.seconds} s`);
  });

  it('is called by SIPp UACs and answers automatically; each call keeps its own recordings', async () => {
    const bob = await phone({ name: 'bob', account: { user: 'bob', domain: '127.0.0.1:5060', autoAnswer: true }, audioSource: { toneHz: TONE } });
    // Two calls 1.2 s apart (often in the same wall-clock second as the previous one's end), 700 ms each,
    // SIPp echoing bob's RTP back to him.
    const uac = await sipp(['-sn', 'uac', '-s', 'bob', '-m', '2', '-l', '1', '-r', '1', '-rp', '1200', '-d', '700', '-rtp_echo', `127.0.0.1:${bob.sipPort}`]);
    const first = await bob.waitFor('CALL_ESTABLISHED');
    assert.equal(first.direction, 'incoming');
    await bob.waitFor('CALL_CLOSED');
    const second = await bob.waitFor('CALL_ESTABLISHED');
    assert.notEqual(second.id, first.id);
    await bob.waitFor('CALL_CLOSED');
    await sippSucceeded(uac);
    assert.equal(bob.events.filter((e) => e.type === 'CALL_INCOMING').length, 0, 'auto answer rings nobody');

    const recs = await bob.recordings();
    assert.equal(recs.length, 2);
    assert.notEqual(recs[0]!.heard, recs[1]!.heard);
    for (const rec of recs) {
      const heard = toneIn(rec.heard, TONE);
      assert.ok(heard.median > 7000 && heard.share > 0.9, `heard tone ${JSON.stringify(heard)} in ${rec.heard}`);
      assert.ok(heard.seconds > 0.4, `heard ${heard.seconds} s in ${rec.heard}`);
    }
  });

  it('rings on an incoming call until answer()', async () => {
    const carol = await phone({ name: 'carol', account: { user: 'carol', domain: '127.0.0.1:5060' } });
    const uac = await sipp(['-sn', 'uac', '-s', 'carol', '-m', '1', '-d', '300', `127.0.0.1:${carol.sipPort}`]);
    const incoming = await carol.waitFor('CALL_INCOMING');
    assert.equal(incoming.direction, 'incoming');
    assert.match(incoming.peeruri ?? '', /^sip:sipp@127\.0\.0\.1/);
    assert.equal(carol.events.some((e) => e.type === 'CALL_ESTABLISHED'), false);
    await carol.answer();
    await carol.waitFor('CALL_ESTABLISHED');
    await carol.waitFor('CALL_CLOSED');
    await sippSucceeded(uac);
  });

  it('registers with a SIPp registrar', async () => {
    const registrar = await sipp(['-sf', path.join(FIXTURES, 'registrar.xml'), '-m', '1']);
    const dave = await phone({ name: 'dave', account: { user: 'dave', password: 'secret', domain: `127.0.0.1:${registrar.port}`, register: true } });
    await dave.registered();
    await sippSucceeded(registrar);
  });
});
