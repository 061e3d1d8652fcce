import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParseError } from '../../shared/errors.ts';
import { goertzelAmplitude, sine } from '../dsp/goertzel.ts';
import { codecByName, codecs, getCodec, isCodecName, samplesPerFrame } from './registry.ts';
import { slinDecode, slinEncode, slinEncodeInto } from './slin.ts';

describe('slin', () => {
  it('is 16-bit signed little-endian', () => {
    assert.deepEqual(slinEncode(new Int16Array([1, -2, 0x1234, -32768])), Buffer.from([0x01, 0x00, 0xfe, 0xff, 0x34, 0x12, 0x00, 0x80]));
    assert.deepEqual([...slinDecode(Buffer.from([0x01, 0x00, 0xfe, 0xff, 0x34, 0x12, 0x00, 0x80]))], [1, -2, 0x1234, -32768]);
  });

  it('decodes from an unaligned view and copies (the result does not alias the input)', () => {
    const backing = Buffer.from([0xaa, 0x10, 0x00, 0x20, 0x00]);
    const view = backing.subarray(1); // odd byte offset
    const pcm = slinDecode(view);
    assert.deepEqual([...pcm], [16, 32]);
    backing[1] = 0;
    assert.equal(pcm[0], 16);
  });

  it('encodes a subarray view of a larger Int16Array', () => {
    const big = new Int16Array([7, 8, 9, 10]);
    assert.deepEqual(slinEncode(big.subarray(1, 3)), Buffer.from([8, 0, 9, 0]));
    const out = Buffer.alloc(6);
    assert.equal(slinEncodeInto(big.subarray(2), out, 2), 4);
    assert.deepEqual(out, Buffer.from([0, 0, 9, 0, 10, 0]));
  });

  it('throws ParseError at the lone byte of an odd-length payload', () => {
    assert.throws(
      () => slinDecode(Buffer.from([1, 2, 3])),
      (e: unknown) => e instanceof ParseError && e.offset === 2,
    );
  });
});

describe('codec registry', () => {
  it('lists ulaw, alaw, slin and slin16 with rates and RTP payload types', () => {
    assert.deepEqual([...codecs.keys()], ['ulaw', 'alaw', 'slin', 'slin16']);
    assert.equal(getCodec('ulaw').rtpPayloadType, 0);
    assert.equal(getCodec('alaw').rtpPayloadType, 8);
    assert.equal(getCodec('slin16').sampleRate, 16000);
    assert.equal(codecByName('opus'), undefined);
    assert.ok(isCodecName('slin') && !isCodecName('gsm'));
    assert.equal(samplesPerFrame(8000), 160);
    assert.equal(samplesPerFrame(16000, 20), 320);
  });

  it('every codec carries a 20 ms 1 kHz frame with its content intact', () => {
    for (const codec of codecs.values()) {
      const n = samplesPerFrame(codec.sampleRate);
      const frame = sine(1000, codec.sampleRate, n, 8000);
      const payload = codec.encode(frame);
      assert.equal(payload.length, n * codec.bytesPerSample, codec.name);
      const back = codec.decode(payload);
      assert.equal(back.length, n);
      const amp = goertzelAmplitude(back, 1000, codec.sampleRate);
      assert.ok(Math.abs(amp - 8000) < 120, `${codec.name}: amplitude ${amp.toFixed(0)}`);
    }
  });
});

describe('decoded sample pool', () => {
  it('small arrays never overlap, are 8-byte aligned, and large ones own their buffer', async () => {
    const { allocSamples } = await import('./pool.ts');
    const arrays = Array.from({ length: 200 }, (_, i) => allocSamples(1 + (i % 170)));
    for (const [i, a] of arrays.entries()) a.fill(i);
    for (const [i, a] of arrays.entries()) {
      assert.ok(a.every((v) => v === i), `array ${i} was overwritten`);
      assert.equal(a.byteOffset % 8, 0);
    }
    const big = allocSamples(4096);
    assert.equal(big.byteOffset, 0);
    assert.equal(big.buffer.byteLength, 8192);
    assert.equal(allocSamples(0).length, 0);
    // Decoders hand out distinct arrays even when called back to back.
    const a = getCodec('ulaw').decode(Buffer.alloc(160, 0x80));
    const b = getCodec('ulaw').decode(Buffer.alloc(160, 0x00));
    assert.ok(a.every((v) => v === 32124) && b.every((v) => v === -32124));
  });
});
