/**
 * presence: a custom device state as a presence flag, set from the keypad and watched through events.
 *
 * ARI apps may own device states named `Stasis:<name>`; phones and the dialplan (`${DEVICE_STATE(Stasis:alice)}`,
 * BLF hints `exten => alice,hint,Stasis:alice`) see them like any device's. This app subscribes itself to
 * `deviceState:Stasis:<name>` and tells every caller watching that name when it changes, whoever changed it:
 * a caller's keys, another application, or `curl -X PUT …/ari/deviceStates/Stasis:alice?deviceState=BUSY`.
 *
 * A call that enters the `presence` application watches the device named by its first argument
 * (`Stasis(presence,<name>)`; default `alice`), hears its current state, and sets it with:
 *   1  available (NOT_INUSE)     2  on the phone (INUSE)     3  unavailable (UNAVAILABLE)
 * Each DeviceStateChanged is announced to the callers watching: "activated", "is on the phone", "is
 * unavailable" (Debian's stock prompts).
 *
 * Reaching it: `Local/stasis-presence@internal` in the seed's dialplan (device Stasis:alice); for a phone, add
 *   exten => 1005,1,Stasis(presence,${CALLERID(num)})
 *
 *   npm run example -- presence
 */

import { AriError, type DeviceStatesUpdateParams } from '../../client/index.ts';
import { Calls, quietly, runExample, runIfMain, type ExampleOptions } from '../shared/run.ts';

export type PresenceOptions = ExampleOptions;
type State = DeviceStatesUpdateParams['deviceState'];

const KEYS: Readonly<Record<string, State>> = { '1': 'NOT_INUSE', '2': 'INUSE', '3': 'UNAVAILABLE' };
/** What a caller hears for a state; states without a prompt of their own get a beep. */
const PROMPTS: Readonly<Partial<Record<string, string>>> = {
  NOT_INUSE: 'sound:activated',
  INUSE: 'sound:vm-isonphone',
  BUSY: 'sound:vm-isonphone',
  UNAVAILABLE: 'sound:vm-isunavail',
};

export default function presence(opts: PresenceOptions = {}): Promise<void> {
  return runExample('presence', opts, ({ ari, app, log }) => {
    const calls = new Calls(ari);
    /** Channel id → the device it watches. */
    const watching = new Map<string, string>();
    const subscribed = new Set<string>();

    const say = (channelId: string, state: string) => quietly(ari.channels.play({ channelId, media: PROMPTS[state] ?? 'sound:beep' }));

    /** The device's state, creating it as available when nobody has set it yet; subscribes the app to it. */
    const watch = async (device: string): Promise<string> => {
      // A name nobody has set reads as UNKNOWN (or 404 on some servers): start it as available.
      const state = await ari.deviceStates.get({ deviceName: device }).then(
        (d) => d.state,
        (err: unknown) => {
          if (err instanceof AriError && err.status === 404) return 'UNKNOWN';
          throw err;
        },
      );
      if (state === 'UNKNOWN') await ari.deviceStates.update({ deviceName: device, deviceState: 'NOT_INUSE' });
      if (!subscribed.has(device)) {
        await ari.applications.subscribe({ applicationName: app, eventSource: `deviceState:${device}` });
        subscribed.add(device);
      }
      return state === 'UNKNOWN' ? 'NOT_INUSE' : state;
    };

    ari.on('DeviceStateChanged', ({ device_state: { name, state } }) => {
      log(`${name} is now ${state}`);
      for (const [channelId, device] of watching) if (device === name) void say(channelId, state);
    });
    ari.on('StasisEnd', (e) => void watching.delete(e.channel.id));

    ari.on('StasisStart', async (e) => {
      const device = `Stasis:${e.args[0] || 'alice'}`;
      const channel = ari.channel(e.channel);
      calls.add(e.channel.id);
      try {
        await channel.answer();
        const state = await watch(device);
        watching.set(channel.id, device);
        log(`${e.channel.name} watches ${device} (${state})`);
        channel.on('ChannelDtmfReceived', async ({ digit }) => {
          const next = KEYS[digit];
          // The announcement comes back through DeviceStateChanged, like any other change.
          if (next !== undefined) await ari.deviceStates.update({ deviceName: device, deviceState: next });
        });
        await say(channel.id, state);
      } catch (err) {
        if (calls.has(e.channel.id)) log(`${e.channel.id}: ${(err as Error).message}`);
      }
    });
    return () => calls.hangupAll();
  });
}

await runIfMain(import.meta.url, presence);
