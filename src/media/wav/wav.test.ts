import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { ParseError } from '../../shared/errors.ts';
import { ulawEncode } from '../codecs/g711.ts';
import { slinEncode } from '../codecs/slin.ts';
import { dominantFrequency, goertzelAmplitude, rms, sine } from '../dsp/goertzel.ts';
import { buildWavHeader, parseWavHeader, readWav } from './wav.ts';

/** A WAV file from explicit chunks: [id, payload] pairs, padded as RIFF says unless `noPad`. */
function riff(chunks: Array<[string, Buffer]>, options: { noPad?: boolean; riffSize?: number } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from('WAVE', 'latin1')];
  for (const [id, payload] of chunks) {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(payload.length, 4);
    parts.push(h, payload);
    if (payload.length % 2 === 1 && options.noPad !== true) parts.push(Buffer.alloc(1));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(8);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(options.riffSize ?? body.length, 4);
  return Buffer.concat([head, body]);
}

function fmtChunk(tag: number, rate: number, bits: number, channels = 1, extra: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(16);
  const align = (channels * bits) / 8;
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * align, 8);
  b.writeUInt16LE(align, 12);
  b.writeUInt16LE(bits, 14);
  return Buffer.concat([b, extra]);
}

const TONE = sine(1000, 8000, 800, 8000); // 100 ms at 1 kHz

function assertTone(samples: Int16Array, rate: number, freq: number, amplitude: number, tolerance = 0.05): void {
  assert.equal(dominantFrequency(samples, rate, 100, rate / 2 - 100, 10), freq);
  const amp = goertzelAmplitude(samples, freq, rate);
  assert.ok(Math.abs(amp - amplitude) <= amplitude * tolerance, `amplitude ${amp.toFixed(0)} vs ${amplitude}`);
}

function assertParseError(buf: Buffer, offset: number | undefined, pattern: RegExp): void {
  assert.throws(
    () => readWav(buf),
    (e: unknown) => {
      assert.ok(e instanceof ParseError, `expected ParseError, got ${String(e)}`);
      assert.match(e.message, pattern);
      if (offset !== undefined) assert.equal(e.offset, offset);
      return true;
    },
  );
}

describe('readWav', () => {
  it('reads the canonical 44-byte PCM header (byte fixture)', () => {
    const file = Buffer.concat([
      Buffer.from('524946462c00000057415645666d74201000000001000100401f0000803e0000020010006461746108000000', 'hex'),
      Buffer.from([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]),
    ]);
    const wav = readWav(file);
    assert.equal(wav.encoding, 'pcm16');
    assert.equal(wav.sampleRate, 8000);
    assert.equal(wav.dataOffset, 44);
    assert.equal(wav.dataLength, 8);
    assert.equal(wav.truncated, false);
    assert.deepEqual([...wav.samples], [1, -1, -32768, 32767]);
    assert.deepEqual(
      wav.chunks.map((c) => [c.id, c.offset, c.size]),
      [
        ['fmt ', 12, 16],
        ['data', 36, 8],
      ],
    );
  });

  it('matches the header buildWavHeader makes, for PCM and G.711', () => {
    const pcm = Buffer.concat([buildWavHeader({ encoding: 'pcm16', sampleRate: 16000, dataLength: 1600 }).header, slinEncode(sine(1000, 16000, 800, 8000))]);
    assert.equal(pcm.length, 44 + 1600);
    const a = readWav(pcm);
    assert.equal(a.sampleRate, 16000);
    assertTone(a.samples, 16000, 1000, 8000);

    const { header, layout } = buildWavHeader({ encoding: 'ulaw', sampleRate: 8000, dataLength: 800 });
    assert.equal(layout.headerLength, 58);
    const u = readWav(Buffer.concat([header, ulawEncode(TONE)]));
    assert.equal(u.encoding, 'ulaw');
    assert.equal(u.formatTag, 7);
    assert.deepEqual(
      u.chunks.map((c) => c.id),
      ['fmt ', 'fact', 'data'],
    );
    assertTone(u.samples, 8000, 1000, 8000);
  });

  it('reads µ-law (7) and A-law (6) written by other tools with a 16-byte fmt', () => {
    const ulaw = riff([
      ['fmt ', fmtChunk(7, 8000, 8)],
      ['data', ulawEncode(TONE)],
    ]);
    assertTone(readWav(ulaw).samples, 8000, 1000, 8000);
    const alawBytes = Buffer.from([0xd5, 0x55, 0xaa, 0x2a]);
    const alaw = readWav(riff([
      ['fmt ', fmtChunk(6, 8000, 8)],
      ['data', alawBytes],
    ]));
    assert.equal(alaw.encoding, 'alaw');
    assert.deepEqual([...alaw.samples], [8, -8, 32256, -32256]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE wrapping PCM', () => {
    const ext = Buffer.alloc(24);
    ext.writeUInt16LE(22, 0); // cbSize
    ext.writeUInt16LE(16, 2); // valid bits
    ext.writeUInt32LE(4, 4); // channel mask
    ext.writeUInt16LE(1, 8); // sub-format GUID begins with the PCM tag
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(ext, 10);
    const wav = readWav(riff([
      ['fmt ', fmtChunk(0xfffe, 8000, 16, 1, ext)],
      ['data', slinEncode(TONE)],
    ]));
    assert.equal(wav.formatTag, 0xfffe);
    assert.equal(wav.encoding, 'pcm16');
    assertTone(wav.samples, 8000, 1000, 8000);
  });

  it('skips extra chunks, before and between fmt and data', () => {
    const wav = readWav(riff([
      ['LIST', Buffer.from('INFOISFT\x06\x00\x00\x00sox 1\x00', 'latin1')],
      ['fmt ', fmtChunk(1, 8000, 16)],
      ['fact', Buffer.from([0x20, 3, 0, 0])],
      ['cue ', Buffer.alloc(28)],
      ['data', slinEncode(TONE)],
    ]));
    assert.equal(wav.samples.length, 800);
    assertTone(wav.samples, 8000, 1000, 8000);
  });

  it('tolerates odd-sized chunks with and without their pad byte', () => {
    const odd = Buffer.from('abc', 'latin1');
    for (const noPad of [false, true]) {
      const wav = readWav(riff(
        [
          ['junk', odd],
          ['fmt ', fmtChunk(1, 8000, 16)],
          ['data', slinEncode(TONE)],
        ],
        { noPad },
      ));
      assert.equal(wav.samples.length, 800, `noPad=${noPad}`);
    }
  });

  it('ignores a wrong RIFF size and trailing bytes after the data chunk', () => {
    const file = Buffer.concat([riff([['fmt ', fmtChunk(1, 8000, 16)], ['data', slinEncode(TONE)]], { riffSize: 4 }), Buffer.from('garbage!')]);
    const wav = readWav(file);
    assert.equal(wav.samples.length, 800);
  });

  it('a truncated data chunk yields the whole samples present and says so', () => {
    const full = riff([['fmt ', fmtChunk(1, 8000, 16)], ['data', slinEncode(TONE)]]);
    const cut = full.subarray(0, 44 + 401); // 200 samples and half of one
    const wav = readWav(cut);
    assert.equal(wav.truncated, true);
    assert.equal(wav.declaredDataLength, 1600);
    assert.equal(wav.dataLength, 400);
    assert.equal(wav.samples.length, 200);
  });

  it('a data size of 0xFFFFFFFF means up to the end of the file', () => {
    const file = riff([['fmt ', fmtChunk(1, 8000, 16)], ['data', slinEncode(TONE)]]);
    file.writeUInt32LE(0xffffffff, 40);
    const wav = readWav(file);
    assert.equal(wav.samples.length, 800);
    assert.equal(wav.truncated, false);
  });

  it('parses a header from a prefix of a larger file', () => {
    const file = riff([['fmt ', fmtChunk(1, 16000, 16)], ['data', Buffer.alloc(32000)]]);
    const info = parseWavHeader(file.subarray(0, 64), file.length);
    assert.equal(info.dataOffset, 44);
    assert.equal(info.dataLength, 32000);
    assert.equal(info.sampleCount, 16000);
    assert.equal(info.truncated, false);
  });

  it('rejects corrupt input with ParseError and the offset of the problem', () => {
    const good = riff([['fmt ', fmtChunk(1, 8000, 16)], ['data', slinEncode(TONE)]]);
    assertParseError(Buffer.alloc(0), 0, /too short/);
    assertParseError(good.subarray(0, 7), 7, /too short/);
    const notRiff = Buffer.from(good);
    notRiff.write('RIFX', 0, 'latin1');
    assertParseError(notRiff, 0, /RIFF/);
    const notWave = Buffer.from(good);
    notWave.write('AVI ', 8, 'latin1');
    assertParseError(notWave, 8, /WAVE/);
    assertParseError(good.subarray(0, 12), 12, /no data chunk/);
    assertParseError(good.subarray(0, 16), 12, /chunk header truncated/);
    assertParseError(good.subarray(0, 30), 30, /fmt chunk truncated/);
    assertParseError(riff([['data', Buffer.alloc(4)]]), 12, /data chunk before fmt/);
    assertParseError(riff([['fmt ', fmtChunk(1, 8000, 16)]]), 36, /no data chunk/);
    assertParseError(riff([['fmt ', fmtChunk(1, 8000, 16).subarray(0, 14)], ['data', Buffer.alloc(2)]]), 16, /fmt chunk too small/);
    assertParseError(riff([['fmt ', fmtChunk(0x55, 8000, 16)], ['data', Buffer.alloc(2)]]), 20, /unsupported format tag 85/);
    assertParseError(riff([['fmt ', fmtChunk(1, 8000, 16, 2)], ['data', Buffer.alloc(4)]]), 22, /2 channels/);
    assertParseError(riff([['fmt ', fmtChunk(1, 8000, 8)], ['data', Buffer.alloc(4)]]), 34, /8 bits per sample/);
    assertParseError(riff([['fmt ', fmtChunk(1, 0, 16)], ['data', Buffer.alloc(4)]]), 24, /sample rate 0/);
    const longList = riff([['LIST', Buffer.alloc(4)], ['fmt ', fmtChunk(1, 8000, 16)], ['data', Buffer.alloc(4)]]);
    longList.writeUInt32LE(1_000_000, 16);
    assertParseError(longList, 16, /runs past the end/);
  });

  it('never throws anything but ParseError on truncated or mangled files (fuzz)', () => {
    const files = [
      riff([['LIST', Buffer.from('xyz')], ['fmt ', fmtChunk(1, 8000, 16)], ['data', slinEncode(TONE.subarray(0, 50))]]),
      Buffer.concat([buildWavHeader({ encoding: 'alaw', sampleRate: 8000, dataLength: 60 }).header, Buffer.alloc(60, 0xd5)]),
    ];
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    let parsed = 0;
    let rejected = 0;
    for (const file of files) {
      for (let cut = 0; cut <= file.length; cut++) {
        try {
          readWav(file.subarray(0, cut));
          parsed++;
        } catch (e) {
          assert.ok(e instanceof ParseError, `cut ${cut}: ${String(e)}`);
          assert.ok(e.offset >= 0 && e.offset <= cut, `offset ${e.offset} within ${cut}`);
          rejected++;
        }
      }
      for (let round = 0; round < 2000; round++) {
        const m = Buffer.from(file);
        for (let k = 0; k < 3; k++) m[Math.floor(random() * Math.min(m.length, 80))] = Math.floor(random() * 256);
        try {
          const w = readWav(m);
          assert.ok(w.samples.length * w.blockAlign <= m.length);
          parsed++;
        } catch (e) {
          assert.ok(e instanceof ParseError, `round ${round}: ${String(e)}`);
          rejected++;
        }
      }
    }
    assert.ok(parsed > 0 && rejected > 0);
  });

  const helloWorld = '/usr/share/asterisk/sounds/en/hello-world.wav';
  it('reads a real Asterisk prompt (hello-world.wav) as speech-length 8 kHz audio', { skip: !fs.existsSync(helloWorld) }, () => {
    const wav = readWav(fs.readFileSync(helloWorld));
    assert.equal(wav.sampleRate, 8000);
    assert.equal(wav.encoding, 'pcm16');
    const seconds = wav.samples.length / 8000;
    assert.ok(seconds > 0.5 && seconds < 3, `${seconds} s`);
    assert.ok(rms(wav.samples) > 300, 'it is not silence');
  });
});
