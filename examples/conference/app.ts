/**
 * conference: rooms where any number of callers talk together.
 *
 * A call enters the `conference` application with the room as its first argument (`Stasis(conference,<room>)`;
 * no argument: room `main`). The first caller of a room creates its mixing bridge; each caller who joins is
 * answered, added, and everyone in the room hears a short rising join tone; when someone leaves, those who stay
 * hear a falling leave tone; the last one out destroys the bridge.
 *
 * Reaching it: the seed's dialplan has no extension that passes a room, so add one, e.g. in [internal] or
 * the context your phones use:
 *   exten => _room-.,1,Stasis(conference,${EXTEN:5})     ; room-42 → room 42 (not _conf-: N is a pattern letter)
 * Without it, `Local/stasis-conference@internal` (the seed's) reaches room `main`.
 *
 *   npm run example -- conference
 */

import type { BridgeHandle } from '../../client/index.ts';
import { Calls, quietly, runExample, runIfMain, type ExampleOptions } from '../shared/run.ts';

export interface ConferenceOptions extends ExampleOptions {
  /** Played into the room when someone joins. Default two rising beeps, 660 then 880 Hz. */
  joinTone?: readonly string[];
  /** Played into the room when someone leaves. Default two falling beeps, 880 then 440 Hz. */
  leaveTone?: readonly string[];
}

interface Room {
  readonly name: string;
  readonly bridge: BridgeHandle;
  readonly members: Set<string>;
}

export default function conference(opts: ConferenceOptions = {}): Promise<void> {
  // One URI per beep: `media` is a comma-separated list, so a tone list with commas would be cut apart.
  const joinTone = opts.joinTone ?? ['tone:!660/150', 'tone:!880/150'];
  const leaveTone = opts.leaveTone ?? ['tone:!880/150', 'tone:!440/150'];

  return runExample('conference', opts, ({ ari, log }) => {
    const calls = new Calls(ari);
    const rooms = new Map<string, Promise<Room>>();
    const roomOf = new Map<string, Room>();

    // One promise per room, so two callers arriving together share one bridge.
    const open = (name: string): Promise<Room> => {
      let room = rooms.get(name);
      if (room === undefined) {
        const bridge = ari.bridge();
        room = bridge.createWithId({ type: 'mixing', name: `conference-${name}` }).then(() => {
          log(`room ${name}: bridge ${bridge.id} created`);
          return { name, bridge, members: new Set<string>() };
        });
        room.catch(() => rooms.delete(name));
        rooms.set(name, room);
      }
      return room;
    };

    const leave = async (channelId: string, channelName: string) => {
      const room = roomOf.get(channelId);
      if (room === undefined) return;
      roomOf.delete(channelId);
      room.members.delete(channelId);
      log(`room ${room.name}: ${channelName} left (${room.members.size} in the room)`);
      if (room.members.size > 0) {
        await quietly(room.bridge.play({ media: leaveTone }));
      } else {
        rooms.delete(room.name);
        await quietly(room.bridge.destroy());
        log(`room ${room.name}: empty, bridge destroyed`);
      }
    };

    ari.on('StasisStart', async (e) => {
      const name = e.args[0] || 'main';
      const channel = ari.channel(e.channel);
      calls.add(e.channel.id);
      try {
        await channel.answer();
        const room = await open(name);
        room.members.add(channel.id);
        roomOf.set(channel.id, room);
        await room.bridge.addChannel({ channel: channel.id });
        log(`room ${name}: ${e.channel.name} joined (${room.members.size} in the room)`);
        await room.bridge.play({ media: joinTone });
      } catch (err) {
        // Most likely the caller hung up while joining: undo the membership (destroying an empty room).
        if (calls.has(e.channel.id)) log(`${e.channel.id}: ${(err as Error).message}`);
        await leave(e.channel.id, e.channel.name);
      }
    });

    ari.on('StasisEnd', (e) => leave(e.channel.id, e.channel.name));

    return async () => {
      await calls.hangupAll();
      const open = [...rooms.values()];
      rooms.clear();
      for (const room of open) await quietly(room.then((r) => r.bridge.destroy()));
    };
  });
}

await runIfMain(import.meta.url, conference);
