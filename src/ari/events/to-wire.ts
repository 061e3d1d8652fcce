/**
 * Turns Stasis messages into ARI's wire JSON: ARI timestamps, snapshots as ARI models (`Channel`, `Bridge`),
 * `asterisk_id` on every message, and field order as Asterisk writes it (clients must not depend on order, but
 * diffs against the reference captures stay readable).
 */

import type { AppMessage } from '../../stasis/messages.ts';
import type { ChannelSnapshot } from '../../core/channel.ts';
import type { BridgeSnapshot } from '../../core/bridge.ts';
import { ariTimestamp } from '../../shared/time.ts';

/** The ARI `Channel` model. */
export function channelJson(c: ChannelSnapshot): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: c.id,
    name: c.name,
    state: c.state,
    protocol_id: c.protocolId,
    caller: { name: c.caller.name, number: c.caller.number },
    connected: { name: c.connected.name, number: c.connected.number },
    accountcode: c.accountcode,
    dialplan: {
      context: c.dialplan.context,
      exten: c.dialplan.exten,
      priority: c.dialplan.priority,
      app_name: c.dialplan.appName,
      app_data: c.dialplan.appData,
    },
    creationtime: ariTimestamp(c.creationtime),
    language: c.language,
  };
  if (c.channelvars) out.channelvars = c.channelvars;
  if (c.callerRdnis) out.caller_rdnis = c.callerRdnis;
  if (c.tenantid) out.tenantid = c.tenantid;
  return out;
}

/** The ARI `Bridge` model. */
export function bridgeJson(b: BridgeSnapshot): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: b.id,
    technology: b.technology,
    bridge_type: b.bridgeType,
    bridge_class: b.bridgeClass,
    creator: b.creator,
    name: b.name,
    channels: [...b.channels],
    creationtime: ariTimestamp(b.creationtime),
    video_mode: b.videoMode,
  };
  if (b.videoSourceId) out.video_source_id = b.videoSourceId;
  if (b.bridgevars) out.bridgevars = { ...b.bridgevars };
  return out;
}

export function toWire(message: AppMessage, asteriskId: string): Record<string, unknown> {
  const timestamp = ariTimestamp(message.timestamp);
  const tail = { asterisk_id: asteriskId, application: message.application };
  switch (message.type) {
    case 'ApplicationReplaced':
    case 'ApplicationRegistered':
    case 'ApplicationUnregistered':
      return { type: message.type, timestamp, application: message.application, asterisk_id: asteriskId };
    case 'DeviceStateChanged':
      return { type: message.type, application: message.application, timestamp, device_state: { name: message.name, state: message.state }, asterisk_id: asteriskId };
    case 'CallBroadcast':
      return { type: message.type, timestamp, channel: channelJson(message.channel), caller: message.caller, called: message.called, ...tail };
    case 'CallClaimed':
      return { type: message.type, timestamp, channel: channelJson(message.channel), winner_app: message.winnerApp, ...tail };
    case 'ApplicationMoveFailed':
      return { type: message.type, timestamp, channel: channelJson(message.channel), destination: message.destination, args: [...message.args], ...tail };
    case 'ChannelUserevent': {
      // Asterisk writes `userevent` before the sources.
      const out: Record<string, unknown> = { type: message.type, timestamp, eventname: message.eventname, userevent: message.userevent };
      if (message.channel !== undefined) out.channel = channelJson(message.channel);
      if (message.bridge !== undefined) out.bridge = bridgeJson(message.bridge);
      if (message.endpoint !== undefined) out.endpoint = message.endpoint;
      return { ...out, ...tail };
    }
    case 'StasisStart': {
      const out: Record<string, unknown> = { type: message.type, timestamp, args: [...message.args], channel: channelJson(message.channel) };
      if (message.replaceChannel) out.replace_channel = channelJson(message.replaceChannel);
      return { ...out, ...tail };
    }
    case 'StasisEnd':
    case 'ChannelCreated':
    case 'ChannelStateChange':
    case 'ChannelConnectedLine':
    case 'ChannelUnhold':
      return { type: message.type, timestamp, channel: channelJson(message.channel), ...tail };
    case 'ChannelHold': {
      const out: Record<string, unknown> = { type: message.type, timestamp, channel: channelJson(message.channel) };
      if (message.musicclass) out.musicclass = message.musicclass;
      return { ...out, ...tail };
    }
    case 'ChannelDialplan':
      return { type: message.type, timestamp, dialplan_app: message.app, dialplan_app_data: message.appData, channel: channelJson(message.channel), ...tail };
    case 'ChannelVarset': {
      const out: Record<string, unknown> = { variable: message.variable, value: message.value, type: message.type, timestamp };
      if (message.channel) out.channel = channelJson(message.channel);
      return { ...out, ...tail };
    }
    case 'ChannelHangupRequest': {
      const out: Record<string, unknown> = { cause: message.cause };
      if (message.soft) out.soft = true;
      if (message.techCause !== undefined) out.tech_cause = message.techCause;
      return { ...out, type: message.type, timestamp, channel: channelJson(message.channel), ...tail };
    }
    case 'ChannelDestroyed':
      return {
        type: message.type,
        timestamp,
        cause: message.cause,
        cause_txt: message.causeText,
        ...(message.techCause !== undefined ? { tech_cause: message.techCause } : {}),
        channel: channelJson(message.channel),
        ...tail,
      };
    case 'ChannelCallerId':
      return {
        type: message.type,
        timestamp,
        caller_presentation: message.callerPresentation,
        caller_presentation_txt: message.callerPresentationText,
        channel: channelJson(message.channel),
        ...tail,
      };
    case 'ChannelDtmfReceived':
      return { type: message.type, timestamp, digit: message.digit, duration_ms: message.durationMs, channel: channelJson(message.channel), ...tail };
    case 'ChannelTalkingStarted':
    case 'ChannelToneDetected':
      return { type: message.type, timestamp, channel: channelJson(message.channel), ...tail };
    case 'ChannelTalkingFinished':
      return { type: message.type, timestamp, duration: message.durationMs, channel: channelJson(message.channel), ...tail };
    case 'Dial': {
      const out: Record<string, unknown> = { type: message.type, timestamp, dialstatus: message.dialstatus, forward: message.forward, dialstring: message.dialstring };
      if (message.caller) out.caller = channelJson(message.caller);
      out.peer = channelJson(message.peer);
      if (message.forwarded) out.forwarded = channelJson(message.forwarded);
      return { ...out, ...tail };
    }
    case 'BridgeBlindTransfer': {
      const out: Record<string, unknown> = {
        type: message.type,
        timestamp,
        channel: channelJson(message.channel),
        exten: message.exten,
        context: message.context,
        result: message.result,
        is_external: message.isExternal,
      };
      if (message.transferee) out.transferee = channelJson(message.transferee);
      if (message.replaceChannel) out.replace_channel = channelJson(message.replaceChannel);
      if (message.bridge) out.bridge = bridgeJson(message.bridge);
      return { ...out, ...tail };
    }
    case 'BridgeAttendedTransfer': {
      const out: Record<string, unknown> = {
        type: message.type,
        timestamp,
        transferer_first_leg: channelJson(message.firstLeg),
        transferer_second_leg: channelJson(message.secondLeg),
        result: message.result,
        is_external: message.isExternal,
      };
      if (message.transferee) out.transferee = channelJson(message.transferee);
      if (message.target) out.transfer_target = channelJson(message.target);
      if (message.firstLegBridge) out.transferer_first_leg_bridge = bridgeJson(message.firstLegBridge);
      if (message.secondLegBridge) out.transferer_second_leg_bridge = bridgeJson(message.secondLegBridge);
      out.destination_type = message.destinationType;
      if (message.destinationBridge !== undefined) out.destination_bridge = message.destinationBridge;
      return { ...out, ...tail };
    }
    case 'BridgeCreated':
    case 'BridgeDestroyed':
      return { type: message.type, timestamp, bridge: bridgeJson(message.bridge), ...tail };
    case 'BridgeVideoSourceChanged': {
      const out: Record<string, unknown> = { type: message.type, timestamp, bridge: bridgeJson(message.bridge) };
      if (message.oldVideoSourceId) out.old_video_source_id = message.oldVideoSourceId;
      return { ...out, ...tail };
    }
    case 'PlaybackStarted':
    case 'PlaybackContinuing':
    case 'PlaybackFinished':
      return { type: message.type, timestamp, playback: { ...message.playback }, ...tail };
    case 'EndpointStateChange':
    case 'PeerStatusChange':
    case 'ContactStatusChange': {
      const { application: _a, timestamp: _t, type, ...body } = message;
      return { type, timestamp, ...body, ...tail };
    }
    case 'ChannelTransfer': {
      const destination: Record<string, unknown> = { destination: message.destination };
      if (message.protocolId !== undefined) destination.protocol_id = message.protocolId;
      if (message.params !== undefined && message.params.length > 0) {
        destination.additional_protocol_params = message.params.map((p) => ({ parameter_name: p.name, parameter_value: p.value }));
      }
      const referredBy: Record<string, unknown> = { source_channel: channelJson(message.channel) };
      if (message.sourcePeer) referredBy.connected_channel = channelJson(message.sourcePeer);
      if (message.sourceBridge) referredBy.bridge = bridgeJson(message.sourceBridge);
      const out: Record<string, unknown> = { type: message.type, timestamp, refer_to: { requested_destination: destination }, referred_by: referredBy };
      if (message.state !== undefined) out.state = message.state;
      return { ...out, ...tail };
    }
    case 'TextMessageReceived': {
      const out: Record<string, unknown> = { type: message.type, timestamp, message: { ...message.message, variables: { ...message.message.variables } } };
      if (message.endpoint !== undefined) out.endpoint = { ...message.endpoint, channel_ids: [...message.endpoint.channel_ids] };
      return { ...out, ...tail };
    }
    case 'RecordingStarted':
    case 'RecordingFinished':
    case 'RecordingFailed':
      return { type: message.type, timestamp, recording: { ...message.recording }, ...tail };
    case 'ChannelEnteredBridge':
    case 'ChannelLeftBridge':
      return { type: message.type, timestamp, bridge: bridgeJson(message.bridge), channel: channelJson(message.channel), ...tail };
  }
}
