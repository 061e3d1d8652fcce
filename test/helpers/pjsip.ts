/**
 * pjsip.conf and dialplan for tests with SIPp peers: a UDP transport on a given loopback port, the phone
 * `alice` (digest auth, password `wonderland`, one contact) and the endpoint `sipp` that SIPp's calls (From
 * `sipp@`) are identified as by user name, whose context `calls` answers 1000 and waits.
 */

export function phonesPjsipConf(port: number, extra = ''): string {
  return `[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}

[alice]
type = endpoint
context = default
aors = alice
auth = alice
allow = ulaw
callerid = Alice <1001>

[alice]
type = auth
username = alice
password = wonderland

[alice]
type = aor
max_contacts = 1

[sipp]
type = endpoint
context = calls
allow = ulaw
${extra}`;
}

export const CALLS_DIALPLAN = `[calls]
exten => 1000,1,Answer()
 same => n,Wait(20)
 same => n,Hangup()
`;
