/**
 * The SDK runtime without a server: the reconnect schedule of the events socket (jittered exponential
 * backoff, reset after a successful open, nothing after stop) on a manual clock, and event dispatch to
 * per-object handles (filtering, dedup, clean-up with the object's final event).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReconnectingSocket, type WebSocketLike } from '../../client/src/socket.ts';
import { EventHub, type AnyEvent } from '../../client/src/events.ts';

class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { readonly data: unknown }) => void) | null = null;
  onclose: ((ev: { readonly code?: number; readonly reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
    FakeSocket.all.push(this);
  }
  send(): void {}
  close(): void {
    this.readyState = 3;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  fail(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }
}

test('reconnects with jittered exponential backoff, resets after an open, stops for good', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  FakeSocket.all = [];
  const states: string[] = [];
  const rolls = [0, 1, 0.5, 0, 1, 0];
  const socket = new ReconnectingSocket({
    url: 'ws://x/ari/events?app=a',
    WebSocket: FakeSocket,
    initialDelayMs: 100,
    maxDelayMs: 1000,
    pingIntervalMs: 0,
    pingTimeoutMs: 0,
    ping: async () => undefined,
    onMessage: () => undefined,
    onState: (state, { attempt }) => states.push(`${state}#${attempt}`),
    random: () => rolls.shift() ?? 0,
  });
  const started = socket.start();
  FakeSocket.all[0]!.open();
  await started;
  /** Fails the newest socket and returns how long until the next one is created. */
  const failAndMeasure = (): number => {
    const before = FakeSocket.all.length;
    FakeSocket.all.at(-1)!.fail();
    let waited = 0;
    while (FakeSocket.all.length === before && waited < 5000) {
      t.mock.timers.tick(1);
      waited++;
    }
    return waited;
  };
  // Ceilings 100, 200, 400, 800, 1000 (capped); each delay is between half and all of its ceiling.
  assert.equal(failAndMeasure(), 50); // random 0 → half of 100
  assert.equal(failAndMeasure(), 200); // random 1 → all of 200
  assert.equal(failAndMeasure(), 300); // random 0.5 → 3/4 of 400
  assert.equal(failAndMeasure(), 400);
  assert.equal(failAndMeasure(), 1000); // capped at maxDelayMs
  // An open resets the schedule.
  FakeSocket.all.at(-1)!.open();
  assert.equal(failAndMeasure(), 50);
  assert.deepEqual(states, ['open#0', 'reconnecting#1', 'reconnecting#2', 'reconnecting#3', 'reconnecting#4', 'reconnecting#5', 'open#0', 'reconnecting#1']);
  socket.stop();
  const count = FakeSocket.all.length;
  t.mock.timers.tick(10_000);
  assert.equal(FakeSocket.all.length, count, 'no reconnect after stop');
  assert.equal(states.at(-1), 'closed#1');
});

test('the first connection failing rejects start() and schedules nothing', async () => {
  FakeSocket.all = [];
  const socket = new ReconnectingSocket({
    url: 'ws://x',
    WebSocket: FakeSocket,
    initialDelayMs: 1,
    maxDelayMs: 1,
    pingIntervalMs: 0,
    pingTimeoutMs: 0,
    ping: async () => undefined,
    onMessage: () => undefined,
    onState: () => undefined,
  });
  const started = socket.start();
  FakeSocket.all[0]!.fail();
  await assert.rejects(started, /did not open: closed \(1006\)/);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(FakeSocket.all.length, 1);
});

test('per-object dispatch: filtered by id across fields, heard once, forgotten with the final event', async () => {
  const errors: unknown[] = [];
  const hub = new EventHub((err) => errors.push(err));
  const heard: string[] = [];
  const ch = (id: string) => ({ id, name: `Local/${id}` });
  hub.onObject('Channel', 'a', 'Dial', (e) => void heard.push(`a:${e.type}`));
  hub.onObject('Channel', 'b', 'Dial', (e) => void heard.push(`b:${e.type}`));
  hub.onObject('Channel', 'a', 'ChannelDestroyed', (e) => void heard.push(`a:${e.type}`));
  const pending = hub.once((l) => hub.onObject('Channel', 'a', 'ChannelHangupRequest', l), 'hangup');
  assert.equal(hub.objectListenerCount, 4);
  const dispatch = (e: Record<string, unknown>) => hub.dispatch(e as unknown as AnyEvent);
  // `a` is both caller and peer: its listener runs once; `c` has no listener.
  dispatch({ type: 'Dial', caller: ch('a'), peer: ch('a'), forwarded: ch('c'), dialstatus: '' });
  dispatch({ type: 'Dial', peer: ch('b'), dialstatus: 'ANSWER' });
  dispatch({ type: 'ChannelDestroyed', channel: ch('a'), cause: 16, cause_txt: 'Normal' });
  assert.deepEqual(heard, ['a:Dial', 'b:Dial', 'a:ChannelDestroyed']);
  await assert.rejects(pending, /hangup will not come: channel a ended \(ChannelDestroyed\)/);
  assert.equal(hub.objectListenerCount, 1, 'only b is left');
  dispatch({ type: 'Dial', caller: ch('a'), dialstatus: '' });
  assert.equal(heard.length, 3);
  assert.deepEqual(errors, []);
});
