/**
 * The core as one object: bus, ids, channels, bridges, dialplan applications and global variables, plus the
 * PBX port through which channels run the dialplan. The dialplan layer installs the PBX (`setPbx`), Stasis
 * registers its applications, drivers register their technologies; core imports none of them.
 */

import { Bus, type CoreMessage } from './bus.ts';
import { IdSource } from './ids.ts';
import { ChannelRegistry } from './channels.ts';
import { BridgeRegistry } from './bridge.ts';
import { DialplanApps } from './applications.ts';
import { GlobalVariables } from './globals.ts';
import type { Channel } from './channel.ts';

/** How core asks the dialplan to run a channel. */
export interface PbxPort {
  /**
   * Runs the channel's dialplan from its current location until it ends, then hangs the channel up. With
   * `inline`, the dialplan runs inside an application that owns the channel (Stasis `continue` on a channel
   * originated straight into an application): at the end the channel is left to that owner, not hung up.
   */
  run(channel: Channel, options?: { readonly inline?: boolean }): Promise<void>;
  /** Whether `context,exten,priority` exists (for originate and Local channels). */
  exists(context: string, exten: string, priority: number, callerId?: string): boolean;
  /** Priority number of `label` in `context,exten`, if any. */
  findLabel(context: string, exten: string, label: string): number | undefined;
}

export interface CoreOptions {
  readonly now?: () => number;
  readonly onBusError?: (err: unknown, message: CoreMessage) => void;
}

export class Core {
  readonly now: () => number;
  readonly bus: Bus;
  readonly ids: IdSource;
  readonly channels: ChannelRegistry;
  readonly bridges: BridgeRegistry;
  readonly apps = new DialplanApps();
  readonly globals = new GlobalVariables();
  #pbx: PbxPort | undefined;

  constructor(options: CoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.bus = new Bus(options.onBusError ? { onError: options.onBusError } : {});
    this.ids = new IdSource(this.now);
    this.channels = new ChannelRegistry({ bus: this.bus, ids: this.ids, now: this.now });
    this.bridges = new BridgeRegistry({ bus: this.bus, now: this.now });
  }

  setPbx(pbx: PbxPort): void {
    this.#pbx = pbx;
  }

  get pbx(): PbxPort {
    if (!this.#pbx) throw new Error('no dialplan engine installed');
    return this.#pbx;
  }
}
