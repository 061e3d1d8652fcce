import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getCodec } from '../codecs/registry.ts';
import { InboundAudio } from './inbound-audio.ts';

const slin = getCodec('slin');

/** `n` bytes of slin whose samples all equal `v`. */
function slinBytes(samples: number, v: number): Buffer {
  return slin.encode(new Int16Array(samples).fill(v));
}

describe('InboundAudio', () => {
  it('cuts pieces of any size into 20 ms frames, one per tick, in order', () => {
    const q = new InboundAudio({ codec: slin });
    assert.equal(q.frameBytes, 320);
    q.push(slinBytes(100, 1));
    assert.equal(q.queuedMs, 0);
    q.push(slinBytes(60, 1));
    q.push(slinBytes(200, 2));
    assert.equal(q.queuedMs, 40);
    const a = q.next().frame!;
    const b = q.next().frame!;
    assert.equal(a.length, 160);
    assert.ok(a.every((s) => s === 1));
    assert.ok(b.every((s) => s === 2));
    assert.equal(q.next().frame, undefined);
  });

  it('reaches a mark only on the tick after the audio before it was played', () => {
    const q = new InboundAudio({ codec: getCodec('ulaw') });
    q.push(Buffer.alloc(320, 0x80));
    q.mark('m1');
    q.mark('m2');
    let t = q.next();
    assert.ok(t.frame);
    assert.deepEqual(t.marks, []);
    t = q.next();
    assert.ok(t.frame);
    assert.deepEqual(t.marks, []);
    t = q.next();
    assert.equal(t.frame, undefined);
    assert.deepEqual(t.marks, ['m1', 'm2']);
  });

  it('completes a partial frame with silence before a mark', () => {
    const q = new InboundAudio({ codec: slin });
    q.push(slinBytes(10, 1000));
    q.mark('end');
    const f = q.next().frame!;
    assert.equal(f[0], 1000);
    assert.equal(f[9], 1000);
    assert.equal(f[10], 0);
    assert.deepEqual(q.next().marks, ['end']);
  });

  it('clear drops the audio and returns the marks it passed over', () => {
    const q = new InboundAudio({ codec: slin });
    q.push(slinBytes(1600, 5));
    q.mark('a');
    q.push(slinBytes(1600, 5));
    q.mark('b');
    q.next();
    assert.deepEqual(q.clear(), ['a', 'b']);
    assert.equal(q.queuedMs, 0);
    assert.deepEqual(q.next(), { frame: undefined, marks: [] });
  });

  it('is bounded: audio beyond maxMs is refused and counted', () => {
    const q = new InboundAudio({ codec: slin, maxMs: 100 });
    assert.equal(q.push(slinBytes(160 * 5, 1)), true);
    assert.equal(q.push(slinBytes(160 * 2, 1)), false);
    assert.equal(q.queuedMs, 100);
    assert.equal(q.overflowFrames, 2);
  });
});
