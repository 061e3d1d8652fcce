import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { scanDirectory, type MohClass } from '../config/musiconhold.ts';
import { LocalMediaPort } from './engine/port.ts';
import type { MediaNotification } from './engine/protocol.ts';
import { MohService } from './moh.ts';

/**
 * A manual-clock host with one session `s` (what it hears is tapped: the first sample of each frame) and a
 * `default` class of three raw slin files, each three frames long at a constant level: a=1000, b=2000, c=3000.
 */
async function withMoh(
  sort: MohClass['sort'],
  run: (t: { moh: MohService; port: LocalMediaPort; heard: number[]; ticks: (n: number) => Promise<void>; random: number[] }) => Promise<void>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-moh-'));
  for (const [name, level] of [['a', 1000], ['b', 2000], ['c', 3000]] as const) {
    const samples = new Int16Array(480).fill(level);
    fs.writeFileSync(path.join(dir, `${name}.sln`), Buffer.from(samples.buffer));
  }
  const classes: MohClass[] = [{ name: 'default', mode: 'files', directory: dir, sort, files: scanDirectory(dir) }];
  const port = new LocalMediaPort({ clock: 'manual' });
  current = port;
  const random: number[] = [];
  const moh = new MohService({
    port,
    classes: () => classes,
    ensureSession: (id) => id === 's',
    ensureBridge: (id) => id === 'br',
    random: () => random.shift() ?? 0,
  });
  // Wakes whoever waits for the service to queue its next file (see `nextPlay`).
  const send = port.send.bind(port);
  const playWaiters: (() => void)[] = [];
  port.send = (command) => {
    send(command);
    if (command.type === 'play') for (const wake of playWaiters.splice(0)) wake();
  };
  nextPlay = () =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5000); // bounded: the assertions then say what was missing
      playWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  port.send({ type: 'attach', sessionId: 's', rate: 8000 });
  port.send({ type: 'tap', sessionId: 's', direction: 'out', enabled: true });
  const heard: number[] = [];
  port.onNotification((n: MediaNotification) => {
    if (n.type === 'frame') heard.push(n.frame.samples[0]!);
  });
  /**
   * Runs ticks one at a time, letting notifications (and the service's reactions) through. A real tick lasts
   * 20 ms and a file minutes, so the next file is read long before it is needed; here a tick waits for the
   * service to queue a file that is still being read (however slow the machine).
   */
  const ticks = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      if (moh.playing('s') && port.host.stats().playbacks === 0) await nextPlay();
      port.send({ type: 'tick' });
      for (let j = 0; j < 5; j++) await new Promise((r) => setImmediate(r));
    }
  };
  try {
    await run({ moh, port, heard, ticks, random });
  } finally {
    moh.close();
    await port.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves when the service next sends a `play` (bounded), for the test running now. */
let nextPlay: () => Promise<void> = () => Promise.resolve();
/** Waits until a file has been read and queued in the host. */
let current: LocalMediaPort | undefined;
async function settle(): Promise<void> {
  if ((current?.host.stats().playbacks ?? 0) === 0) await nextPlay();
}

test('files play one after another in a loop, then stop', async () => {
  await withMoh(undefined, async ({ moh, heard, ticks }) => {
    assert.equal(moh.start('s'), true);
    assert.equal(moh.playing('s'), true);
    await settle();
    await ticks(12);
    // Three frames of each file, in name order, then a again.
    const levels = heard.filter((v, i) => v !== 0 && (i === 0 || v !== heard[i - 1]));
    assert.deepEqual(levels.slice(0, 4), [1000, 2000, 3000, 1000], `heard ${heard.join(',')}`);
    const first = heard.indexOf(1000);
    assert.deepEqual(heard.slice(first, first + 9), [1000, 1000, 1000, 2000, 2000, 2000, 3000, 3000, 3000]);
    assert.equal(heard.filter((v) => v === 2000).length, 3);
    assert.equal(moh.stop('s'), true);
    assert.equal(moh.playing('s'), false);
    assert.equal(moh.stop('s'), false);
    heard.length = 0;
    await ticks(3);
    assert.deepEqual(heard, [0, 0, 0]);
  });
});

test('randstart begins at a random file and goes on in order; random draws each file', async () => {
  await withMoh('randstart', async ({ moh, heard, ticks, random }) => {
    random.push(0.5); // file index 1: b
    moh.start('s');
    await settle();
    await ticks(8);
    const levels = heard.filter((v, i) => v !== 0 && (i === 0 || v !== heard[i - 1]));
    assert.deepEqual(levels.slice(0, 3), [2000, 3000, 1000], `heard ${heard.join(',')}`);
  });
  await withMoh('random', async ({ moh, heard, ticks, random }) => {
    random.push(0.9, 0.9, 0.1); // draws c, c, a, then a (0) for ever
    moh.start('s');
    await settle();
    await ticks(12);
    const levels = heard.filter((v, i) => v !== 0 && (i === 0 || v !== heard[i - 1]));
    assert.deepEqual(levels, [3000, 1000], `heard ${heard.join(',')}`);
    assert.equal(heard.filter((v) => v === 3000).length, 6, 'c twice');
  });
});

test('an unknown class plays default; an unknown channel or no class at all plays nothing', async () => {
  await withMoh(undefined, async ({ moh, heard, ticks }) => {
    assert.equal(moh.findClass('nope')?.name, 'default');
    assert.equal(moh.start('s', 'nope'), true);
    await settle();
    await ticks(2);
    assert.equal(heard.at(-1), 1000);
    assert.equal(moh.start('unknown-channel'), false);
  });
});

test('silence and music replace each other (one generator per channel); a bridge remembers its music', async () => {
  await withMoh(undefined, async ({ moh, heard, ticks }) => {
    moh.start('s');
    await settle();
    await ticks(1);
    assert.equal(heard.at(-1), 1000);
    assert.equal(moh.startSilence('s'), true);
    assert.equal(moh.playing('s'), false);
    await ticks(2);
    assert.equal(heard.at(-1), 0);
    assert.equal(moh.start('s'), true);
    assert.equal(moh.stopSilence('s'), false, 'music ended the silence');
    await settle();
    await ticks(2);
    assert.equal(heard.at(-1), 1000);

    assert.equal(moh.startBridge('nope'), false);
    assert.equal(moh.stopBridge('br'), false);
  });
});

test('entertainment: the whole class in order, looping, shared between bridges', async () => {
  await withMoh(undefined, async ({ moh }) => {
    const spec = await moh.entertainment();
    assert.equal(spec?.type, 'buffer');
    if (spec?.type !== 'buffer') return;
    assert.equal(spec.loop, true);
    assert.equal(spec.rate, 8000);
    assert.equal(spec.samples.length, 3 * 480);
    assert.deepEqual([spec.samples[0], spec.samples[480], spec.samples[960], spec.samples[1439]], [1000, 2000, 3000, 3000]);
    assert.ok(spec.samples.buffer instanceof SharedArrayBuffer);
    // Joined once: the same samples come back.
    const again = await moh.entertainment();
    assert.equal(again?.type === 'buffer' && again.samples, spec.samples);
  });
});

test('entertainment: randstart starts at a random file; random plays a shuffled order', async () => {
  await withMoh('randstart', async ({ moh, random }) => {
    random.push(0.5); // b first
    const spec = await moh.entertainment();
    assert.ok(spec?.type === 'buffer');
    assert.deepEqual([spec.samples[0], spec.samples[480], spec.samples[960]], [2000, 3000, 1000]);
  });
  await withMoh('random', async ({ moh, random }) => {
    random.push(0.9, 0); // Fisher-Yates: swap c with c, then b with a → b, a, c
    const spec = await moh.entertainment();
    assert.ok(spec?.type === 'buffer');
    assert.deepEqual([spec.samples[0], spec.samples[480], spec.samples[960]], [2000, 1000, 3000]);
  });
});

test('a holding-bridge participant hears the class file after file, and the announcer instead of it', async () => {
  await withMoh(undefined, async ({ moh, port, heard, ticks }) => {
    const source = await moh.entertainment();
    assert.ok(source);
    port.send({ type: 'bridge-create', bridgeId: 'hb', kind: 'holding', entertainment: source });
    port.send({ type: 'bridge-join', bridgeId: 'hb', sessionId: 's', role: 'participant' });
    await ticks(10);
    assert.deepEqual(heard.slice(0, 10), [1000, 1000, 1000, 2000, 2000, 2000, 3000, 3000, 3000, 1000]);
    // An announcer that says something replaces the music.
    port.send({ type: 'attach', sessionId: 'ann', rate: 8000, input: { type: 'silence' } });
    port.send({ type: 'bridge-join', bridgeId: 'hb', sessionId: 'ann', role: 'announcer' });
    heard.length = 0;
    await ticks(2);
    assert.deepEqual(heard, [0, 0]);
  });
});
