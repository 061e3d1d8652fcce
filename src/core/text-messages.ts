/**
 * Text messages outside calls, as Asterisk's main/message.c handles them: a technology (PJSIP's MESSAGE) turns
 * what it receives into a `TextMessage` and asks `hasDestination`; the dialplan wants it when the message's
 * context has its extension (`s` when empty). `queue` then runs that extension on a channel of its own,
 * `Message/ast_msg_queue`: Up, without media, never dialled, carrying the message as an attachment that the
 * MESSAGE() and MESSAGE_DATA() functions read and write and MessageSend() sends on. Messages run one at a
 * time, in arrival order (Asterisk runs them on a single task queue).
 *
 * Sending goes through the technologies registered here by their URI prefix (`pjsip` → `pjsip:bob`); core
 * knows no protocol. A message's variables are either received (headers of the incoming request; readable,
 * not sent) or outbound (written with MESSAGE_DATA(), or all of them after `MESSAGE(custom_data)=
 * mark_all_outbound`), as in Asterisk.
 */

import { AriadneError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Channel } from './channel.ts';
import type { Core } from './core.ts';
import type { ChannelDriver } from './driver.ts';

interface MessageVar {
  readonly name: string;
  value: string;
  outbound: boolean;
}

export class TextMessage {
  to = '';
  from = '';
  body = '';
  /** Where the dialplan runs it (the endpoint's message_context, or its context). */
  context = '';
  exten = '';
  /** The technology and endpoint it came from (`PJSIP`, `alice`). */
  tech = '';
  endpoint = '';
  /** Variables by lower-case name (Asterisk compares their names without case). */
  readonly #vars = new Map<string, MessageVar>();

  setVar(name: string, value: string, outbound: boolean): void {
    const key = name.toLowerCase();
    const v = this.#vars.get(key);
    if (v === undefined) this.#vars.set(key, { name, value, outbound });
    else {
      v.value = value;
      v.outbound = outbound;
    }
  }

  getVar(name: string): string | undefined {
    return this.#vars.get(name.toLowerCase())?.value;
  }

  /** Marks every variable as outbound (true) or received (false): `MESSAGE(custom_data)`. */
  markAll(outbound: boolean): void {
    for (const v of this.#vars.values()) v.outbound = outbound;
  }

  /** The variables to send along (as headers, for SIP), in the order they were set. */
  outboundVars(): Array<[string, string]> {
    return [...this.#vars.values()].filter((v) => v.outbound).map((v) => [v.name, v.value]);
  }
}

/** How a technology sends a message; false when it could not (MESSAGE_SEND_STATUS=FAILURE). */
export interface MessageTech {
  /** The destination prefix, lower case: `pjsip`. */
  readonly name: string;
  send(message: TextMessage, destination: string, from: string): Promise<boolean>;
}

export type MessageSendStatus = 'SUCCESS' | 'FAILURE' | 'INVALID_PROTOCOL' | 'INVALID_URI';

const ATTACHMENT = 'text-message';
const CHANNEL_NAME = 'Message/ast_msg_queue';

/** The message a channel carries (a Message channel's, or one MESSAGE() wrote on a call), if any. */
export function messageOf(channel: Channel): TextMessage | undefined {
  const m = channel.attachments.get(ATTACHMENT);
  return m instanceof TextMessage ? m : undefined;
}

/** The channel's message, made empty on first use (writing MESSAGE() on any channel starts one). */
export function messageFor(channel: Channel): TextMessage {
  let m = messageOf(channel);
  if (m === undefined) {
    m = new TextMessage();
    channel.attachments.set(ATTACHMENT, m);
  }
  return m;
}

export class MessageRouter {
  readonly #core: Core;
  readonly #log: Logger;
  readonly #techs = new Map<string, MessageTech>();
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;

  constructor(options: { core: Core; logger: Logger }) {
    this.#core = options.core;
    this.#log = options.logger;
    options.core.channels.registerDriver(messageDriver());
  }

  registerTech(tech: MessageTech): () => void {
    this.#techs.set(tech.name.toLowerCase(), tech);
    return () => {
      if (this.#techs.get(tech.name.toLowerCase()) === tech) this.#techs.delete(tech.name.toLowerCase());
    };
  }

  /** True when the dialplan has somewhere to run the message. */
  hasDestination(message: TextMessage): boolean {
    if (message.context === '') return false;
    try {
      return this.#core.pbx.exists(message.context, message.exten || 's', 1);
    } catch {
      return false; // no dialplan engine
    }
  }

  /** Messages waiting for, or in, the dialplan. */
  get pending(): number {
    return this.#pending;
  }

  /** Runs the message's extension on a Message channel, after the messages queued before it. */
  queue(message: TextMessage): void {
    this.#pending++;
    this.#queue = this.#queue
      .then(() => this.#route(message))
      .catch((e: unknown) => this.#log.error(`Message from ${message.from || '<unknown>'} to ${message.to || '<unknown>'}: ${(e as Error)?.message ?? String(e)}`))
      .finally(() => this.#pending--);
  }

  async #route(message: TextMessage): Promise<void> {
    const channel = this.#core.channels.create({
      id: this.#core.channels.ids.uniqueId(),
      name: CHANNEL_NAME,
      tech: 'Message',
      state: 'Up',
      context: message.context,
      exten: message.exten || 's',
      priority: 1,
    });
    channel.attachments.set(ATTACHMENT, message);
    await this.#core.pbx.run(channel);
  }

  /**
   * MessageSend: hands the message to the technology named by the destination's prefix (`pjsip:bob`), with
   * `from` overriding the message's own From when given.
   */
  async send(message: TextMessage, destination: string, from: string): Promise<MessageSendStatus> {
    if (destination === '') return 'INVALID_URI';
    const colon = destination.indexOf(':');
    const techName = (colon < 0 ? destination : destination.slice(0, colon)).toLowerCase();
    const tech = this.#techs.get(techName);
    if (tech === undefined) {
      this.#log.warning(`No message technology '${colon < 0 ? destination : destination.slice(0, colon)}' found.`);
      return 'INVALID_PROTOCOL';
    }
    try {
      return (await tech.send(message, destination, from)) ? 'SUCCESS' : 'FAILURE';
    } catch (e) {
      this.#log.warning(`Message to ${destination} failed: ${(e as Error)?.message ?? String(e)}`);
      return 'FAILURE';
    }
  }
}

/** The `Message` technology: channels that only run the dialplan for a message; nothing to dial or hear. */
function messageDriver(): ChannelDriver {
  return {
    name: 'Message',
    description: 'Text messages routed through the dialplan',
    request(): Channel {
      throw new AriadneError('ERR_INVALID_PARAMETER', 'Message channels cannot be requested');
    },
    call(): void {
      throw new AriadneError('ERR_INVALID_STATE', 'Message channels cannot be called');
    },
    answer(): void {},
    hangup(): void {},
    sendDigit(): void {},
    indicate(): void {},
  };
}
