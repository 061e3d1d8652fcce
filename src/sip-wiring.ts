/**
 * The SIP half of the composition root: reads pjsip.conf and rtp.conf, starts the `SipStack` on the configured
 * transports and registers the PJSIP channel technology (`PjsipDriver`) in core. Like Asterisk's res_pjsip it is
 * always loaded: without pjsip.conf (or without transports) nothing listens, and `PJSIP/...` dial strings fail
 * for want of endpoints. A transport that cannot bind is logged and the stack starts without transports (the
 * server still runs, as Asterisk does).
 *
 * `buildSip(...)` resolves with (a stable shape; console commands and ARI endpoint events build on it):
 * - `stack`: the SipStack (transports, registrar, qualify, dialogs);
 * - `driver`: the PjsipDriver (`endpoints()`, `endpointState(id)`, `channels`, `legOf(channel)`);
 * - `config()`: the pjsip.conf in effect; `rtpConfig()`: the rtp.conf in effect;
 * - `transports()`: what is bound (`[{ id, protocol, address, port }]`, the real port when pjsip.conf says 0);
 * - `reload()`: re-reads both files; new endpoints/aors/auths/identifies apply to the next request, calls in
 *   progress keep going; transports follow res_pjsip's rules (`SipTransports.reconfigure`: new ones bound,
 *   removed ones closed, a changed bind rebound only with `allow_reload=yes`). Resolves with a one-line summary;
 * - `websocket`: the `sip` subprotocol for the HTTP server's `/ws` (SIP over WebSocket);
 * - `close()`: hangs up SIP calls and closes the stack.
 *
 * identify `match=` host names are resolved with DNS at start and on every reload (src/sip/dns/).
 */

import type { Diagnostic } from './config/types.ts';
import { diffPjsip, loadPjsipConf, type PjsipConfig } from './config/pjsip.ts';
import { loadRtpConf, type RtpConfig } from './config/rtp.ts';
import { InThreadRtp, RtpPool, type RtpService } from './media/rtp/rtp-pool.ts';
import type { Core } from './core/core.ts';
import type { MediaPort } from './media/engine/port.ts';
import type { RootLogger } from './shared/logger.ts';
import { PjsipDriver } from './sip/driver/pjsip-driver.ts';
import { SipMessaging } from './sip/driver/messaging.ts';
import { SipTransfers } from './sip/driver/transfer.ts';
import { SipStack, type ContactStatusEvent, type SipStackOptions } from './sip/stack.ts';
import type { DeviceStateRegistry } from './core/device-states.ts';
import { connectEndpointEvents, type EndpointEvents, type EndpointEventsOptions } from './sip/endpoint-events.ts';
import { PjsipPushConfig } from './sip/push-config.ts';
import { EndpointStates, type EndpointStateSink } from './sip/state.ts';
import { OutboundRegistrations, stackRegistrationClient } from './sip/outbound-registration.ts';
import { Mwi, type MailboxSource } from './sip/mwi.ts';
import type { WebSocketProtocol } from './http/ws-uri.ts';
import type { MessageRouter } from './core/text-messages.ts';
import { systemDns } from './sip/dns/resolver.ts';
import { addRtpDebugSink } from './media/rtp/debug.ts';
import { resolveIdentifyHosts } from './sip/dns/identify-hosts.ts';

export interface SipWiringOptions {
  readonly etcDir: string;
  readonly core: Core;
  readonly media: MediaPort;
  /** ChannelMedia.ensure: a channel's media session. */
  readonly ensureSession: (channelId: string) => boolean;
  /** ChannelAudio.setInbandDtmf, for dtmf_mode=inband. */
  readonly setInbandDtmf?: (channelId: string, enabled: boolean) => void;
  readonly logger: RootLogger;
  readonly report: (diagnostics: readonly Diagnostic[]) => void;
  /** Passed to the stack: contact status changes (for ContactStatusChange/PeerStatusChange events). */
  readonly onContactStatus?: (event: ContactStatusEvent) => void;
  readonly onContactChange?: SipStackOptions['onContactChange'];
  /** Stasis applications, for endpoint events (ContactStatusChange, PeerStatusChange, EndpointStateChange). */
  readonly apps?: EndpointEventsOptions['apps'];
  /** Device states: `PJSIP/<endpoint>` follows the endpoint state. */
  readonly deviceStates?: DeviceStateRegistry;
  /** Mailboxes (ARI `/mailboxes`): their counts go to phones as MWI NOTIFYs (src/sip/mwi.ts). */
  readonly mailboxes?: MailboxSource;
  /** Text messages through the dialplan: MESSAGE to message_context, MessageSend(pjsip:...). */
  readonly messages?: MessageRouter;
}

export interface SipTransportView {
  readonly id: string;
  readonly protocol: string;
  readonly address: string;
  readonly port: number;
}

export interface SipWiring {
  readonly stack: SipStack;
  readonly driver: PjsipDriver;
  config(): PjsipConfig;
  rtpConfig(): RtpConfig;
  transports(): SipTransportView[];
  reload(): Promise<string>;
  close(): Promise<void>;
  /** Endpoint and contact states from registrations and qualify (src/sip/state.ts). */
  readonly states: EndpointStates;
  /** pjsip.conf plus objects pushed through ARI (`/asterisk/config/dynamic/res_pjsip/...`). */
  readonly push: PjsipPushConfig;
  /** Endpoint events to Stasis applications and the `PJSIP/<endpoint>` device states. */
  readonly endpointEvents: EndpointEvents;
  /** Outbound registrations (`type = registration`) and their states. */
  readonly registrations: OutboundRegistrations;
  /** MWI NOTIFYs for `mailboxes=`; undefined without a mailbox source. */
  readonly mwi: Mwi | undefined;
  /** SIP MESSAGE in and out, out-of-dialog REFER (`/endpoints/sendMessage`, `/endpoints/refer`). */
  readonly messaging: SipMessaging;
  /** REFER inside a call (blind and attended transfers, ari-only handling, `transfer_progress`) and INVITE with Replaces. */
  readonly transfers: SipTransfers;
  /** The `sip` subprotocol of the HTTP server's `/ws` (SIP over WebSocket, protocol=ws|wss transports). */
  readonly websocket: WebSocketProtocol;
}

export async function buildSip(options: SipWiringOptions): Promise<SipWiring> {
  const log = options.logger.child('pjsip');
  const loadPjsip = (): PjsipConfig => {
    const loaded = loadPjsipConf(options.etcDir);
    options.report(loaded.diagnostics);
    return loaded.value;
  };
  const loadRtp = (): RtpConfig => {
    const loaded = loadRtpConf(options.etcDir);
    options.report(loaded.diagnostics);
    return loaded.value;
  };
  let rtp = loadRtp();
  // RTP's per-packet work runs in worker threads (one per core by default), the SIP and ARI work here.
  const rtpService: RtpService =
    rtp.rtpworkers === 0 ? new InThreadRtp(options.media) : new RtpPool({ port: options.media, ...(rtp.rtpworkers === undefined ? {} : { workers: rtp.rtpworkers }), onError: (m) => log.error(m) });
  // identify `match=` host names are resolved now and on each reload (as res_pjsip_endpoint_identifier_ip).
  const dnsLookup = systemDns();
  const config = await resolveIdentifyHosts(loadPjsip(), dnsLookup, (text) => log.warning(text));
  // Endpoint states follow the registrar and qualify; their announcements go out once the driver exists.
  let events: EndpointEvents | undefined;
  const sink: EndpointStateSink = {
    contactStatus: (endpoint, info) => events?.sink.contactStatus?.(endpoint, info),
    endpointState: (endpoint, state) => events?.sink.endpointState?.(endpoint, state),
  };
  const states = new EndpointStates({ config, sink });
  let mwi: Mwi | undefined;
  const stackOptions: SipStackOptions = {
    config,
    logger: log,
    dns: dnsLookup,
    onContactStatus: (event) => {
      states.qualified(event.aor, event.uri, event.status, event.rttUs);
      options.onContactStatus?.(event);
    },
    onContactChange: (aor, binding, change) => {
      if (change === 'created') {
        states.contactAdded(aor, binding.uri);
        mwi?.contactAdded(aor, binding);
      }
      else if (change === 'removed') states.contactRemoved(aor, binding.uri);
      options.onContactChange?.(aor, binding, change);
    },
  };
  let stack: SipStack;
  try {
    stack = await SipStack.start(stackOptions);
  } catch (err) {
    log.error(`SIP transports could not be opened (${(err as Error).message}); SIP is not listening`);
    stack = await SipStack.start({ ...stackOptions, config: { ...config, transport: new Map() } });
    stack.updateConfig(config);
  }
  const driver = new PjsipDriver({
    core: options.core,
    stack,
    media: options.media,
    ensureSession: options.ensureSession,
    rtpConfig: () => rtp,
    rtp: rtpService,
    ...(options.setInbandDtmf === undefined ? {} : { setInbandDtmf: options.setInbandDtmf }),
    logger: log,
    endpointState: (id) => states.state(id),
    inDialogMessage: (req, tx, source, endpoint) => messaging.receive(req, tx, source, endpoint, true),
    inDialogRefer: (channel, req, tx, notify) => transfers.refer(channel, req, tx, notify),
    inviteReplaces: (channel, replaced) => transfers.replace(channel, replaced),
  });
  const transfers = new SipTransfers({
    core: options.core,
    logger: log,
    contextOf: (channel) => {
      const id = driver.legOf(channel)?.endpoint;
      return (id === undefined ? undefined : stack.config.endpoint.get(id)?.context) ?? 'default';
    },
    dialogChannel: (callId, tagA, tagB) => driver.dialogChannel(callId, tagA, tagB),
  });
  options.core.channels.registerDriver(driver);
  const registrations = new OutboundRegistrations({ config: stack.config, client: stackRegistrationClient(stack), logger: log });
  // `line = yes` registrations: a call to our registered Contact names its endpoint by the line token.
  stack.addIdentifier((req) => registrations.endpointForLine(req));
  if (options.mailboxes !== undefined) mwi = new Mwi({ stack, mailboxes: options.mailboxes, logger: log });
  const endpointModel = (resource: string) => {
    const e = driver.endpoint(resource);
    return { technology: 'PJSIP', resource, state: e?.state ?? 'offline', channel_ids: [...(e?.channelIds ?? [])] };
  };
  const messaging: SipMessaging = new SipMessaging({
    stack,
    logger: log,
    now: () => options.core.now(),
    ...(options.apps === undefined ? {} : { apps: options.apps }),
    endpointModel,
    contactOf: (endpoint) => driver.contactOf(endpoint),
    refuseUnknown: (req, tx, source) => driver.refuseUnknown(req, tx, source),
    ...(options.messages === undefined ? {} : { router: options.messages }),
  });
  // Objects pushed through ARI join pjsip.conf's; transports stay as bound.
  const push = new PjsipPushConfig({
    file: stack.config,
    etcDir: options.etcDir,
    apply: (merged) => {
      stack.updateConfig(merged);
      states.updateConfig(merged);
      registrations.update(merged);
    },
  });
  events = connectEndpointEvents({
    core: options.core,
    ...(options.apps === undefined ? {} : { apps: options.apps }),
    ...(options.deviceStates === undefined ? {} : { deviceStates: options.deviceStates }),
    snapshot: endpointModel,
    endpoint: (resource) => {
      const state = states.state(resource);
      return state === undefined ? undefined : { state, busyAt: stack.config.endpoint.get(resource)?.deviceStateBusyAt ?? 0 };
    },
  });
  for (const t of stack.transports.list) {
    log.verbose(2, `SIP transport '${t.id}' listening on ${t.protocol.toUpperCase()} ${t.local.address}:${t.local.port}`);
  }

  // `rtp set debug`: packet lines from every RTP session (worker threads included) to the console log.
  const removeRtpDebugSink = addRtpDebugSink((line) => log.verbose(0, line));

  let closed = false;
  return {
    stack,
    driver,
    config: () => stack.config,
    rtpConfig: () => rtp,
    transports: () => stack.transports.list.map((t) => ({ id: t.id, protocol: t.protocol, address: t.local.address, port: t.local.port })),
    reload: async () => {
      const before = stack.config;
      const after = await resolveIdentifyHosts(loadPjsip(), stack.dns, (text) => log.warning(text));
      rtp = loadRtp();
      // New transports are bound, removed ones closed, changed ones rebound only with allow_reload=yes; the
      // stack sees the transports as they now run.
      const transport = await stack.transports.reconfigure(after);
      const merged = push.setFile({ ...after, transport });
      const changes = diffPjsip(before, merged);
      stack.updateConfig(merged);
      states.updateConfig(merged);
      registrations.update(merged);
      return changes.length === 0 ? 'pjsip.conf unchanged' : `pjsip.conf reloaded: ${changes.length} object(s) changed`;
    },
    states,
    push,
    endpointEvents: events,
    registrations,
    mwi,
    messaging,
    transfers,
    websocket: {
      name: 'sip',
      accept: (ws, req, info) => {
        const s = req.socket;
        stack.transports.websocket.accept(ws, {
          remote: { address: unmapped(s.remoteAddress ?? ''), port: s.remotePort ?? 0 },
          local: { address: unmapped(s.localAddress ?? ''), port: s.localPort ?? 0 },
          secure: info.secure,
        });
      },
    },
    close: async () => {
      if (closed) return;
      closed = true;
      removeRtpDebugSink();
      mwi?.close();
      await registrations.close();
      messaging.close();
      events?.close();
      driver.close();
      await stack.close();
      await rtpService.close();
    },
  };
}

/** `::ffff:127.0.0.1` (an IPv4 peer on a dual-stack listener) as `127.0.0.1`. */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
