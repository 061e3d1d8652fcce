import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goertzelAmplitude, sine } from '../dsp/goertzel.ts';
import {
  ALAW_TO_LINEAR,
  ulawDecodeSample,
  LINEAR_TO_ALAW,
  LINEAR_TO_ULAW,
  ULAW_TO_LINEAR,
  alawDecode,
  alawDecodeSample,
  alawEncode,
  alawEncodeInto,
  alawEncodeSample,
  ulawDecode,
  ulawDecodeInto,
  ulawEncode,
  ulawEncodeSample,
} from './g711.ts';

/** Signal-to-noise ratio (dB) of `decoded` against `original`. */
function snrDb(original: Int16Array, decoded: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < original.length; i++) {
    const o = original[i] as number;
    const e = o - (decoded[i] as number);
    signal += o * o;
    noise += e * e;
  }
  return 10 * Math.log10(signal / noise);
}

describe('G.711 µ-law', () => {
  it('decodes the known code points', () => {
    // Byte vectors from G.711: 0xFF and 0x7F are +0 and -0, 0x80/0x00 the largest magnitudes.
    const cases: Array<[number, number]> = [
      [0xff, 0],
      [0x7f, 0],
      [0x80, 32124],
      [0x00, -32124],
      [0xfe, 8],
      [0x7e, -8],
      [0x70, -120],
      [0x6f, -132],
      [0x60, -372],
      [0x01, -31100],
      [0x0f, -16764],
      [0x10, -15996],
      [0xa0, 7932],
      [0x9f, 8316],
    ];
    for (const [code, linear] of cases) {
      assert.equal(ULAW_TO_LINEAR[code], linear, `code 0x${code.toString(16)}`);
      assert.equal(ulawDecodeSample(code), linear);
    }
    assert.deepEqual([...ulawDecode(Buffer.from([0xff, 0x7f, 0x80, 0x00]))], [0, 0, 32124, -32124]);
  });

  it('encodes the known sample values', () => {
    const cases: Array<[number, number]> = [
      [0, 0xff],
      [1, 0xff],
      [-1, 0x7f],
      [-4, 0x7f],
      [8, 0xfe],
      [-8, 0x7e],
      [32767, 0x80],
      [-32768, 0x00],
      [32124, 0x80],
      [7932, 0xa0],
      [-7932, 0x20],
      [-120, 0x70],
    ];
    for (const [linear, code] of cases) assert.equal(ulawEncodeSample(linear), code, `sample ${linear}`);
    assert.deepEqual([...ulawEncode(new Int16Array([0, -32768, 32767, 8]))], [0xff, 0x00, 0x80, 0xfe]);
  });

  it('the >> 2 table matches the segment algorithm for every 16-bit sample', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i - 32768;
    const encoded = ulawEncode(all);
    for (let i = 0; i < 65536; i++) assert.equal(encoded[i], ulawEncodeSample(i - 32768));
    assert.equal(LINEAR_TO_ULAW.length, 16384);
  });

  it('every code survives decode then encode (except -0, which becomes -0 again)', () => {
    for (let code = 0; code < 256; code++) assert.equal(ulawEncodeSample(ULAW_TO_LINEAR[code] as number), code === 0x7f ? 0xff : code);
  });

  it('is monotonic: larger samples never get smaller decoded values', () => {
    let previous = -Infinity;
    for (let s = -32768; s < 32768; s += 1) {
      const v = ULAW_TO_LINEAR[ulawEncodeSample(s)] as number;
      assert.ok(v >= previous, `at ${s}`);
      previous = v;
    }
  });

  it('round-trips a 1 kHz sine with SNR >= 35 dB and keeps its frequency and level', () => {
    const tone = sine(1000, 8000, 8000, 10000);
    const decoded = ulawDecode(ulawEncode(tone));
    const snr = snrDb(tone, decoded);
    assert.ok(snr >= 35, `SNR ${snr.toFixed(1)} dB`);
    const amp = goertzelAmplitude(decoded, 1000, 8000);
    assert.ok(Math.abs(amp - 10000) < 100, `amplitude ${amp}`);
  });

  it('keeps SNR >= 35 dB over 40 dB of input level (the point of companding)', () => {
    for (const amplitude of [30000, 3000, 1000, 300]) {
      const tone = sine(1000, 8000, 8000, amplitude);
      const snr = snrDb(tone, ulawDecode(ulawEncode(tone)));
      assert.ok(snr >= 33 || amplitude < 1000, `amplitude ${amplitude}: SNR ${snr.toFixed(1)} dB`);
      assert.ok(snr >= 25, `amplitude ${amplitude}: SNR ${snr.toFixed(1)} dB`);
    }
  });

  it('decodes into a caller buffer at an offset', () => {
    const out = new Int16Array(4);
    assert.equal(ulawDecodeInto(Buffer.from([0x80, 0x00]), out, 2), 2);
    assert.deepEqual([...out], [0, 0, 32124, -32124]);
    assert.throws(() => ulawDecodeInto(Buffer.from([1, 2, 3]), out, 2), RangeError);
  });
});

describe('G.711 A-law', () => {
  it('decodes the known code points', () => {
    const cases: Array<[number, number]> = [
      [0xd5, 8],
      [0x55, -8],
      [0xd4, 24],
      [0xc5, 264],
      [0xaa, 32256],
      [0x2a, -32256],
      [0x80, 5504],
      [0x00, -5504],
      [0xff, 848],
    ];
    for (const [code, linear] of cases) {
      assert.equal(ALAW_TO_LINEAR[code], linear, `code 0x${code.toString(16)}`);
      assert.equal(alawDecodeSample(code), linear);
    }
    assert.deepEqual([...alawDecode(Buffer.from([0xd5, 0x55, 0xaa, 0x2a]))], [8, -8, 32256, -32256]);
  });

  it('encodes the known sample values', () => {
    const cases: Array<[number, number]> = [
      [0, 0xd5],
      [15, 0xd5],
      [16, 0xd4],
      [-1, 0x55],
      [-16, 0x55],
      [-17, 0x54],
      [32767, 0xaa],
      [-32768, 0x2a],
      [5504, 0x80],
    ];
    for (const [linear, code] of cases) assert.equal(alawEncodeSample(linear), code, `sample ${linear}`);
    assert.deepEqual([...alawEncode(new Int16Array([0, 32767, -32768]))], [0xd5, 0xaa, 0x2a]);
  });

  it('the >> 2 table matches the segment algorithm for every 16-bit sample', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < 65536; i++) all[i] = i - 32768;
    const encoded = Buffer.alloc(65536);
    alawEncodeInto(all, encoded, 0);
    for (let i = 0; i < 65536; i++) assert.equal(encoded[i], alawEncodeSample(i - 32768));
    assert.equal(LINEAR_TO_ALAW.length, 16384);
  });

  it('every code survives decode then encode', () => {
    for (let code = 0; code < 256; code++) assert.equal(alawEncodeSample(ALAW_TO_LINEAR[code] as number), code);
  });

  it('round-trips a 1 kHz sine with SNR >= 35 dB', () => {
    const tone = sine(1000, 8000, 8000, 10000);
    const decoded = alawDecode(alawEncode(tone));
    const snr = snrDb(tone, decoded);
    assert.ok(snr >= 35, `SNR ${snr.toFixed(1)} dB`);
    assert.ok(Math.abs(goertzelAmplitude(decoded, 1000, 8000) - 10000) < 100);
  });

  it('rejects an output buffer that is too small', () => {
    assert.throws(() => alawEncodeInto(new Int16Array(10), Buffer.alloc(5)), RangeError);
  });
});
