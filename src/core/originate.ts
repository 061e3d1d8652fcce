/**
 * Originate: request a leg, dial it, and when it answers run either a dialplan location or an application on
 * it (what `POST /channels` does). The leg is returned at once in state Down; dialing starts on the next turn
 * of the event loop, so the API's response about the new channel is written before any event about it.
 */

import { AriadneError } from '../shared/errors.ts';
import type { CallerId, Channel } from './channel.ts';
import type { Core } from './core.ts';
import { CAUSE } from './causes.ts';
import { placeCall } from './dial.ts';
import { runAfterGoto } from './async-goto.ts';

export type OriginateTarget =
  | { readonly kind: 'exten'; readonly context: string; readonly exten: string; readonly priority: number }
  | { readonly kind: 'app'; readonly app: string; readonly data: string };

export interface OriginateOptions {
  /** `Tech/resource`. */
  readonly endpoint: string;
  readonly target: OriginateTarget;
  readonly timeoutMs: number;
  readonly id?: string;
  readonly otherId?: string;
  readonly caller?: CallerId;
  readonly variables?: Readonly<Record<string, string>>;
  /** Sets one of `variables` (dialplan functions such as `CALLERID(name)` included); a plain variable by default. */
  readonly setVariable?: (channel: Channel, name: string, value: string) => void;
  /** Runs after the legs exist and before dialing starts (Stasis subscribes the application here). */
  readonly onCreated?: (channel: Channel) => void;
  /** False for `POST /channels/create`: the leg is made but not dialed. */
  readonly dial?: boolean;
}

/** Runs an application directly on a channel (no dialplan around it), then hangs the channel up. */
export async function runApplication(core: Core, channel: Channel, app: string, data: string): Promise<void> {
  const impl = core.apps.get(app);
  try {
    if (!impl) throw new AriadneError('ERR_NOT_FOUND', `No application '${app}'`);
    channel.setApp(impl.name, data);
    await impl.execute({ channel, data, inDialplan: false });
  } finally {
    channel.setApp('AppDial2', '(Outgoing Line)');
    // Sent elsewhere while in the application (a transfer, ChannelRedirect): a PBX takes the channel there.
    if (!runAfterGoto(core, channel)) channel.hangup(channel.hangupCause || CAUSE.NORMAL_CLEARING);
  }
}

export function originate(core: Core, options: OriginateOptions): Channel {
  const channel = core.channels.request(options.endpoint, {
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.otherId !== undefined ? { otherId: options.otherId } : {}),
    ...(options.caller ? { caller: options.caller } : {}),
  });
  if (options.dial !== false) channel.setApp('AppDial2', '(Outgoing Line)');
  for (const [k, v] of Object.entries(options.variables ?? {})) (options.setVariable ?? ((c, n, val) => c.setVariable(n, val)))(channel, k, v);
  options.onCreated?.(channel);
  if (options.dial === false) return channel;
  const dialstring = options.endpoint.slice(options.endpoint.indexOf('/') + 1);
  setImmediate(() => void dialAndRun(core, channel, dialstring, { target: options.target, timeoutMs: options.timeoutMs }));
  return channel;
}

/** Dials an existing leg and then runs the target (also used by `POST /channels/{id}/dial`). */
export async function dialAndRun(core: Core, channel: Channel, dialstring: string, options: { target?: OriginateTarget; timeoutMs: number; caller?: Channel }): Promise<void> {
  if (channel.destroyed) return;
  if (channel.hangupRequested) {
    channel.hangup();
    return;
  }
  const result = await placeCall(core, channel, {
    timeoutMs: options.timeoutMs,
    dialstring,
    ...(options.caller ? { caller: options.caller } : {}),
  });
  if (result.status !== 'ANSWER') {
    channel.hangup(result.status === 'NOANSWER' ? CAUSE.NO_ANSWER : undefined);
    return;
  }
  const target = options.target;
  if (!target) return;
  if (target.kind === 'app') {
    await runApplication(core, channel, target.app, target.data);
    return;
  }
  channel.setLocation({ context: target.context, exten: target.exten, priority: target.priority });
  await core.pbx.run(channel);
}
