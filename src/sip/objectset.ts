/**
 * A pjsip.conf object back as Asterisk option names and values — what sorcery's "object set" is in
 * Asterisk: the parameter list of `pjsip show endpoint <name>` (and aor, auth, transport ...) and the
 * `ConfigTuple` list of `GET /asterisk/config/dynamic/res_pjsip/{type}/{id}`.
 *
 * Every option Ariadne reads is listed with its current value, defaults included (as Asterisk lists every
 * registered field), in Asterisk's text forms: booleans `true`/`false`, lists comma-joined, codecs as
 * `(ulaw|alaw)`, caller id as `"name" <number>`. Options Asterisk knows and Ariadne does not implement
 * appear only when the object sets them (their values are kept in `unsupported`). Sorted by name, as the
 * console prints them.
 */

import type { NetworkMatch, PjsipObject } from '../config/pjsip.ts';

type Value = string | number | boolean | readonly string[] | undefined;

const text = (v: Value): string =>
  v === undefined ? '' : typeof v === 'boolean' ? (v ? 'true' : 'false') : Array.isArray(v) ? v.join(',') : String(v);

function network(n: NetworkMatch): string {
  const host = n.family === 6 && n.port !== 0 ? `[${n.address}]` : n.address;
  return `${n.negated ? '!' : ''}${host}${n.port !== 0 ? `:${n.port}` : ''}/${n.prefix}`;
}

/** The object's options as `[name, value]` pairs, sorted by name. */
export function pjsipObjectFields(object: PjsipObject): Array<[string, string]> {
  const fields: Record<string, Value> = {};
  switch (object.type) {
    case 'endpoint': {
      const e = object;
      Object.assign(fields, {
        context: e.context, allow: `(${e.codecs.map((c) => c.name).join('|')})`, disallow: '', dtmf_mode: e.dtmfMode,
        aors: e.aors, auth: e.auth, outbound_auth: e.outboundAuth, transport: e.transport, outbound_proxy: e.outboundProxy,
        direct_media: e.directMedia, rtp_symmetric: e.rtpSymmetric, force_rport: e.forceRport, rewrite_contact: e.rewriteContact,
        rtp_ipv6: e.rtpIpv6, ice_support: e.iceSupport, use_ptime: e.usePtime, media_address: e.mediaAddress,
        bind_rtp_to_media_address: e.bindRtpToMediaAddress,
        callerid: e.callerid === undefined ? '' : `${e.callerid.name === '' ? '' : `"${e.callerid.name}" `}<${e.callerid.number}>`,
        callerid_privacy: e.calleridPrivacy, callerid_tag: e.calleridTag, from_user: e.fromUser, from_domain: e.fromDomain,
        contact_user: e.contactUser, language: e.language, send_pai: e.sendPai, send_rpid: e.sendRpid,
        send_diversion: e.sendDiversion, trust_id_inbound: e.trustIdInbound, trust_id_outbound: e.trustIdOutbound,
        trust_connected_line: e.trustConnectedLine, send_connected_line: e.sendConnectedLine, moh_suggest: e.mohSuggest,
        identify_by: e.identifyBy, '100rel': e.rel100, timers: e.timers, timers_min_se: e.timersMinSe,
        timers_sess_expires: e.timersSessExpires, mailboxes: e.mailboxes, device_state_busy_at: e.deviceStateBusyAt,
        allow_transfer: e.allowTransfer, set_var: e.setVar.map((v) => `${v.name}=${v.value}`).join(';'), tone_zone: e.toneZone,
        inband_progress: e.inbandProgress, message_context: e.messageContext, subscribe_context: e.subscribeContext,
        allow_subscribe: e.allowSubscribe, accountcode: e.accountcode, incoming_call_offer_pref: e.incomingCallOfferPref,
        outgoing_call_offer_pref: e.outgoingCallOfferPref, preferred_codec_only: e.preferredCodecOnly,
        rtp_timeout: e.rtpTimeout, rtp_timeout_hold: e.rtpTimeoutHold, rtp_keepalive: e.rtpKeepalive,
        sdp_owner: e.sdpOwner, sdp_session: e.sdpSession, media_encryption: e.mediaEncryption,
        allow_overlap: e.allowOverlap, refer_blind_progress: e.referBlindProgress, user_eq_phone: e.userEqPhone,
        moh_passthrough: e.mohPassthrough, suppress_q850_reason_headers: e.suppressQ850ReasonHeaders,
        allow_unauthenticated_options: e.allowUnauthenticatedOptions, acl: e.acl.length === 0 ? '' : 'deny/permit',
      });
      break;
    }
    case 'aor': {
      const a = object;
      Object.assign(fields, {
        max_contacts: a.maxContacts, contact: a.contacts, qualify_frequency: a.qualifyFrequency,
        qualify_timeout: a.qualifyTimeout.toFixed(6), qualify_2xx_only: a.qualify2xxOnly,
        authenticate_qualify: a.authenticateQualify, remove_existing: a.removeExisting,
        remove_unavailable: a.removeUnavailable, default_expiration: a.defaultExpiration,
        minimum_expiration: a.minimumExpiration, maximum_expiration: a.maximumExpiration, mailboxes: a.mailboxes,
        voicemail_extension: a.voicemailExtension, outbound_proxy: a.outboundProxy, support_path: a.supportPath,
      });
      break;
    }
    case 'auth': {
      const a = object;
      Object.assign(fields, {
        auth_type: a.authType, username: a.username, password: a.password, md5_cred: a.md5Cred, realm: a.realm,
        nonce_lifetime: a.nonceLifetime, supported_algorithms_uas: a.supportedAlgorithmsUas,
        supported_algorithms_uac: a.supportedAlgorithmsUac,
        password_digest: Object.entries(a.passwordDigests).map(([alg, hash]) => `${alg}:${hash}`),
      });
      break;
    }
    case 'transport': {
      const t = object;
      const bind = t.bind === undefined ? '' : `${t.bind.family === 6 ? `[${t.bind.host}]` : t.bind.host}:${t.bind.port}`;
      Object.assign(fields, {
        protocol: t.protocol, bind, external_media_address: t.externalMediaAddress,
        external_signaling_address: t.externalSignalingAddress, external_signaling_port: t.externalSignalingPort,
        local_net: t.localNet.map(network), domain: t.domain, cert_file: t.tls.certFile, priv_key_file: t.tls.privKeyFile,
        ca_list_file: t.tls.caListFile, ca_list_path: t.tls.caListPath, password: t.tls.password, method: t.tls.method,
        cipher: t.tls.cipher, verify_server: t.tls.verifyServer, verify_client: t.tls.verifyClient,
        require_client_cert: t.tls.requireClientCert, allow_wildcard_certs: t.tls.allowWildcardCerts,
        tcp_keepalive_enable: t.tcpKeepalive.enable, tcp_keepalive_idle_time: t.tcpKeepalive.idleTime,
        tcp_keepalive_interval_time: t.tcpKeepalive.intervalTime, tcp_keepalive_probe_count: t.tcpKeepalive.probeCount,
        websocket_write_timeout: t.websocketWriteTimeoutMs, allow_reload: t.allowReload,
        symmetric_transport: t.symmetricTransport, tos: 0, cos: 0,
      });
      break;
    }
    case 'identify': {
      const i = object;
      Object.assign(fields, {
        endpoint: i.endpoint, match: [...i.match.map(network), ...i.matchHosts],
        match_header: i.matchHeader === undefined ? '' : `${i.matchHeader.name}: ${i.matchHeader.regex ? `/${i.matchHeader.value}/` : i.matchHeader.value}`,
        match_request_uri: i.matchRequestUri, srv_lookups: i.srvLookups,
      });
      break;
    }
    case 'registration': {
      const r = object;
      Object.assign(fields, {
        server_uri: r.serverUri, client_uri: r.clientUri, contact_user: r.contactUser,
        contact_header_params: r.contactHeaderParams, transport: r.transport, outbound_proxy: r.outboundProxy,
        outbound_auth: r.outboundAuth, expiration: r.expiration, max_random_initial_delay: r.maxRandomInitialDelay,
        retry_interval: r.retryInterval, forbidden_retry_interval: r.forbiddenRetryInterval,
        fatal_retry_interval: r.fatalRetryInterval, max_retries: r.maxRetries,
        auth_rejection_permanent: r.authRejectionPermanent, support_path: r.supportPath,
        support_outbound: r.supportOutbound, line: r.line, endpoint: r.endpoint, user_agent: r.userAgent,
      });
      break;
    }
    default: {
      // domain_alias, contact, global, system: their fields are already plain values.
      for (const [k, v] of Object.entries(object)) {
        if (['id', 'type', 'source', 'unsupported'].includes(k)) continue;
        if (v === null || typeof v === 'object' && !Array.isArray(v)) continue;
        fields[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v as Value;
      }
    }
  }
  for (const [k, v] of Object.entries(object.unsupported)) fields[k] = v;
  return Object.entries(fields)
    .map(([k, v]): [string, string] => [k, text(v)])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
