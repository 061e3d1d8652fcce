/**
 * The live channels and the technologies that make them. `request('Local/1000@from-trunk')` finds the driver
 * by technology and asks it for a leg; channels remove themselves when destroyed.
 */

import { AriadneError } from '../shared/errors.ts';
import type { Bus } from './bus.ts';
import { Channel, type ChannelInit } from './channel.ts';
import type { ChannelDriver, ChannelTech, RequestOptions } from './driver.ts';
import type { IdSource } from './ids.ts';

/** The device a channel belongs to: its name up to the last `-`. */
export function deviceNameOf(channelName: string): string {
  const dash = channelName.lastIndexOf('-');
  return dash > 0 ? channelName.slice(0, dash) : channelName;
}

export class ChannelRegistry {
  readonly #byId = new Map<string, Channel>();
  readonly #byName = new Map<string, Channel>();
  readonly #byDevice = new Map<string, Set<Channel>>();
  readonly #techs = new Map<string, ChannelTech>();
  readonly #bus: Bus;
  readonly #now: () => number;
  readonly ids: IdSource;
  #reported: readonly string[] = [];
  #defaultLanguage = 'en';
  #created = 0;

  constructor(options: { bus: Bus; ids: IdSource; now: () => number }) {
    this.#bus = options.bus;
    this.#now = options.now;
    this.ids = options.ids;
  }

  /** The language of channels whose driver gives none (asterisk.conf `defaultlanguage`, as Asterisk's channels). */
  setDefaultLanguage(language: string): void {
    if (language !== '') this.#defaultLanguage = language;
  }

  /** Variables every snapshot reports (ari.conf `channelvars`). */
  setReportedVariables(names: readonly string[]): void {
    this.#reported = [...names];
  }

  #readReported: ((channel: Channel, name: string) => string | undefined) | undefined;

  /** Installs how reported names that are dialplan functions (`CALLERID(num)`) are read. */
  setReportedReader(reader: (channel: Channel, name: string) => string | undefined): void {
    this.#readReported = reader;
  }

  registerDriver(driver: ChannelDriver): void {
    this.#techs.set(driver.name.toLowerCase(), { name: driver.name, driver });
  }

  tech(name: string): ChannelTech | undefined {
    return this.#techs.get(name.toLowerCase());
  }

  technologies(): ChannelTech[] {
    return [...this.#techs.values()];
  }

  /** Creates a channel object; drivers call this. Fails if the id is taken. */
  create(init: Omit<ChannelInit, 'tech'> & { tech: string }): Channel {
    const tech = this.tech(init.tech);
    if (!tech) throw new AriadneError('ERR_INVALID_PARAMETER', `No such channel technology '${init.tech}'`);
    if (this.#byId.has(init.id)) throw new AriadneError('ERR_CONFLICT', 'Channel with given unique ID already exists');
    const channel = new Channel(
      { ...init, tech, language: init.language || this.#defaultLanguage },
      {
        bus: this.#bus,
        now: this.#now,
        reportedVariables: () => this.#reported,
        readReported: (c, name) => this.#readReported?.(c, name),
        onDestroyed: (c) => {
          this.#byId.delete(c.id);
          if (this.#byName.get(c.name) === c) this.#byName.delete(c.name);
          const device = deviceNameOf(c.name).toLowerCase();
          const set = this.#byDevice.get(device);
          if (set?.delete(c) && set.size === 0) this.#byDevice.delete(device);
        },
      },
    );
    this.#byId.set(channel.id, channel);
    this.#byName.set(channel.name, channel);
    const device = deviceNameOf(channel.name).toLowerCase();
    let set = this.#byDevice.get(device);
    if (!set) this.#byDevice.set(device, (set = new Set()));
    set.add(channel);
    this.#created++;
    this.#bus.publish({ type: 'ChannelCreated', timestamp: this.#now(), channel: channel.snapshot() });
    return channel;
  }

  /** True when `id` is free (for originate's channelId / otherChannelId checks). */
  idAvailable(id: string): boolean {
    return !this.#byId.has(id);
  }

  /**
   * Requests an outbound leg for an endpoint `Tech/resource`. Throws ERR_INVALID_PARAMETER for a malformed
   * endpoint and ERR_NOT_FOUND for an unknown technology.
   */
  request(endpoint: string, options: RequestOptions = {}): Channel {
    const slash = endpoint.indexOf('/');
    if (slash <= 0 || slash === endpoint.length - 1) throw new AriadneError('ERR_INVALID_PARAMETER', 'Invalid endpoint specified');
    const techName = endpoint.slice(0, slash);
    const tech = this.tech(techName);
    if (!tech) throw new AriadneError('ERR_NOT_FOUND', `No channel technology '${techName}'`);
    for (const id of [options.id, options.otherId]) {
      if (id !== undefined && this.#byId.has(id)) throw new AriadneError('ERR_CONFLICT', 'Channel with given unique ID already exists');
    }
    return tech.driver.request(endpoint.slice(slash + 1), options);
  }

  get(id: string): Channel | undefined {
    return this.#byId.get(id);
  }

  byName(name: string): Channel | undefined {
    return this.#byName.get(name);
  }

  /** The live channels of a device (`PJSIP/alice`: `PJSIP/alice-00000001`…; any case), in creation order. */
  ofDevice(device: string): Channel[] {
    const set = this.#byDevice.get(device.toLowerCase());
    return set === undefined ? [] : [...set];
  }

  /** Live channels in creation order. */
  list(): Channel[] {
    return [...this.#byId.values()];
  }

  get count(): number {
    return this.#byId.size;
  }

  /** Channels created since start (`calls processed`). */
  get createdCount(): number {
    return this.#created;
  }
}
