/**
 * `rtp set debug` over the console, on a real call: an ARI originate to a UAS this test plays on a UDP socket
 * (it answers with an SDP pointing at its own RTP socket and sends a few RTP packets to the port our offer
 * named). With debugging on, the log shows res_rtp_asterisk's `Got  RTP packet from ...` for those packets and
 * `Sent RTP packet to ...` for ours; `off` stops the lines; `ip <host>` keeps only one peer's packets.
 */

import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { openEvents, startTestServer, type EventClient, type TestServer } from '../helpers/ariadne.ts';
import { freePort } from '../helpers/sipp.ts';

let srv: TestServer;
let events: EventClient;
let sipPort: number;

const PJSIP = (port: number) => `[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[trunk]
type = endpoint
context = default
allow = ulaw
`;

async function cli(line: string): Promise<string> {
  let out = '';
  await srv.ariadne.commands.execute(line, (t) => (out += t));
  return out;
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A UAS on one UDP socket and an RTP peer on another: answers INVITE with its RTP port, BYE with 200. */
async function startUas() {
  const sip = dgram.createSocket('udp4');
  const rtp = dgram.createSocket('udp4');
  await new Promise<void>((r) => sip.bind(0, '127.0.0.1', r));
  await new Promise<void>((r) => rtp.bind(0, '127.0.0.1', r));
  let offerPort = 0;
  sip.on('message', (b, rinfo) => {
    const text = b.toString();
    const method = /^(\w+) /.exec(text)?.[1];
    if (method !== 'INVITE' && method !== 'BYE') return;
    const [head = '', body = ''] = text.split('\r\n\r\n');
    const keep = head.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l)).map((l) => (/^To:/i.test(l) && method === 'INVITE' ? `${l};tag=uas1` : l));
    const sdp = method === 'INVITE'
      ? ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${rtp.address().port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', ''].join('\r\n')
      : '';
    if (method === 'INVITE') offerPort = Number(/m=audio (\d+)/.exec(body)?.[1] ?? 0);
    const extra = method === 'INVITE' ? [`Contact: <sip:uas@127.0.0.1:${sip.address().port}>`, 'Content-Type: application/sdp'] : [];
    sip.send([`SIP/2.0 200 OK`, ...keep, ...extra, `Content-Length: ${Buffer.byteLength(sdp)}`, '', sdp].join('\r\n'), rinfo.port, rinfo.address);
  });
  let seq = 4000;
  return {
    sipPort: sip.address().port,
    rtpPort: rtp.address().port,
    offerPort: () => offerPort,
    /** One 20 ms PCMU packet to the port our offer named. */
    sendRtp(): number {
      const packet = Buffer.alloc(12 + 160, 0xff);
      packet[0] = 0x80;
      packet[1] = 0;
      packet.writeUInt16BE(++seq, 2);
      packet.writeUInt32BE(seq * 160, 4);
      packet.writeUInt32BE(0x1234abcd, 8);
      rtp.send(packet, offerPort, '127.0.0.1');
      return seq;
    },
    close() {
      sip.close();
      rtp.close();
    },
  };
}

before(async () => {
  sipPort = await freePort('udp');
  srv = await startTestServer({ files: { 'pjsip.conf': PJSIP(sipPort) } });
  events = await openEvents(srv.base, 'app=rtpapp&api_key=asterisk:asterisk');
});

after(async () => {
  await events?.close();
  await srv?.stop();
});

describe('rtp set debug', { timeout: 30_000 }, () => {
  it('logs packets both ways while on, stops when off, and filters by ip', async () => {
    const uas = await startUas();
    try {
      // On before the call: the RTP thread the call lands on starts later and must learn it.
      assert.equal(await cli('rtp set debug on'), 'RTP Packet Debugging Enabled\n');
      const res = await srv.ari('POST', `/channels?endpoint=${encodeURIComponent(`PJSIP/trunk/sip:rtp@127.0.0.1:${uas.sipPort}`)}&app=rtpapp&channelId=rtp-debug`);
      assert.equal(res.status, 200);
      await events.next((m) => m.type === 'StasisStart' && (m.channel as { id: string }).id === 'rtp-debug', 8000);
      assert.ok(uas.offerPort() > 0);
      const peer = `127.0.0.1:${uas.rtpPort}`;
      const gotRe = (seq: number) => new RegExp(`Got  RTP packet from    ${peer.replace(/\./g, '\\.')} \\(type 00, seq 00${seq}, ts \\d{6,}, len 000160\\)`);
      const sentRe = new RegExp(`Sent RTP packet to      ${peer.replace(/\./g, '\\.')} \\(type 00, seq \\d{6,}, ts \\d{6,}, len 000160\\)`);

      let mark = srv.logs().length;
      const seq = uas.sendRtp();
      await until('a received-packet line', () => gotRe(seq).test(srv.logs().slice(mark)));
      await until('a sent-packet line', () => sentRe.test(srv.logs().slice(mark)));

      assert.equal(await cli('rtp set debug off'), 'RTP Packet Debugging Disabled\n');
      await new Promise((r) => setTimeout(r, 200)); // lines already on their way from the RTP thread
      mark = srv.logs().length;
      uas.sendRtp();
      await new Promise((r) => setTimeout(r, 300));
      assert.doesNotMatch(srv.logs().slice(mark), /RTP packet/);

      // Another peer's address: our peer's packets are not shown.
      assert.equal(await cli('rtp set debug ip 127.0.0.2'), 'RTP Packet Debugging Enabled for address: 127.0.0.2\n');
      await new Promise((r) => setTimeout(r, 200));
      mark = srv.logs().length;
      uas.sendRtp();
      await new Promise((r) => setTimeout(r, 300));
      assert.doesNotMatch(srv.logs().slice(mark), /RTP packet/);

      // Our peer's address and port: shown again.
      assert.equal(await cli(`rtp set debug ip ${peer}`), `RTP Packet Debugging Enabled for address: ${peer}\n`);
      mark = srv.logs().length;
      const seq2 = uas.sendRtp();
      await until('a received-packet line for the filtered peer', () => gotRe(seq2).test(srv.logs().slice(mark)));
      await until('a sent-packet line for the filtered peer', () => sentRe.test(srv.logs().slice(mark)));
      await cli('rtp set debug off');
      assert.equal((await srv.ari('DELETE', '/channels/rtp-debug')).status, 204);
    } finally {
      await cli('rtp set debug off');
      uas.close();
    }
  });
});
