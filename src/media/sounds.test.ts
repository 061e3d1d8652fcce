/**
 * The sound library over temporary sound trees: ids, languages and formats as Asterisk's media index finds
 * them (symlinks followed, subdirectories, description files), Asterisk's order, filters, re-scanning when
 * the tree changes, and the playback lookup with Asterisk's language fallback.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  SoundLibrary,
  astStrHash,
  asteriskContainerOrder,
  formatForExtension,
  languageCandidates,
  parseDescriptions,
  resolveSound,
} from './sounds.ts';

/** A valid mono 16-bit PCM WAV file of `ms` milliseconds of silence. */
function wavFile(ms = 20, rate = 8000): Buffer {
  const data = Buffer.alloc((rate * ms) / 1000 * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20); // PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** Writes files (relative path → content; a Buffer, a string, or `{ link: target }`) under a new temp dir. */
function tree(files: Readonly<Record<string, Buffer | string | { link: string }>>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-sounds-'));
  for (const [rel, content] of Object.entries(files)) {
    const full = path.join(root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    if (typeof content === 'object' && 'link' in content) fs.symlinkSync(content.link, full);
    else fs.writeFileSync(full, content);
  }
  return root;
}

const roots: string[] = [];
function track(root: string): string {
  roots.push(root);
  return root;
}
after(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

/** Sets every directory's and file's times under `root` one minute back, so they are past the racy window. */
function age(root: string): void {
  const t = new Date(Date.now() - 60_000);
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
    fs.utimesSync(p, t, t);
  };
  walk(root);
}

describe('format names by extension', () => {
  it('maps extensions as Asterisk 22 format modules register them', () => {
    const cases: [string, string | undefined][] = [
      ['wav', 'slin'],
      ['wav16', 'slin16'],
      ['WAV', 'gsm'],
      ['wav49', 'gsm'],
      ['sln', 'slin'],
      ['raw', 'slin'],
      ['sln16', 'slin16'],
      ['sln48', 'slin48'],
      ['ulaw', 'ulaw'],
      ['pcm', 'ulaw'],
      ['ul', 'ulaw'],
      ['au', 'ulaw'],
      ['alaw', 'alaw'],
      ['al', 'alaw'],
      ['g722', 'g722'],
      ['gsm', 'gsm'],
      ['g729', 'g729'],
      ['g726-32', 'g726'],
      ['ilbc', 'ilbc'],
      ['spx16', 'speex16'],
      ['ogg', 'slin'],
      ['vox', 'adpcm'],
      ['h264', 'h264'],
      ['Wav', undefined],
      ['mp3', undefined],
      ['txt', undefined],
      ['', undefined],
    ];
    for (const [ext, format] of cases) assert.equal(formatForExtension(ext), format, ext);
  });
});

describe("Asterisk's container order", () => {
  it('is ast_str_hash (djb2 with xor, positive int) modulo the bucket count, then strcmp', () => {
    assert.equal(astStrHash(''), 5381);
    assert.equal(astStrHash('a'), (5381 * 33) ^ 97);
    // Overflow wraps as unsigned 32-bit and the top bit is dropped.
    const long = 'x'.repeat(40);
    let h = 5381n;
    for (let i = 0; i < 40; i++) h = ((h * 33n) & 0xffffffffn) ^ 120n;
    assert.equal(astStrHash(long), Number(h & 0x7fffffffn));
  });

  it("puts the reference capture's first sounds first, in its order", () => {
    // The first four of `GET /sounds` from Asterisk 22.10.1 over Debian's sounds (rest/sounds-list.json).
    const reference = ['conf-now-unmuted', 'queue-minutes', 'phonetic/y_p', 'conf-thereare'];
    const shuffled = ['hello-world', 'conf-thereare', 'digits/1', 'phonetic/y_p', 'queue-minutes', 'conf-now-unmuted', 'beep'];
    assert.deepEqual(asteriskContainerOrder(shuffled, 157).slice(0, 4), reference);
  });

  it('sorts one bucket by bytes (strcmp), upper case first', () => {
    // With one bucket the order is plain strcmp.
    assert.deepEqual(asteriskContainerOrder(['b', 'B', 'a', 'é', 'z'], 1), ['B', 'a', 'b', 'z', 'é']);
  });
});

describe('description files', () => {
  it("parses `id: text`, comments, continuations and blank lines as Asterisk's process_description_file", () => {
    const text = [
      '; Core Asterisk Sounds in English',
      '',
      'hello-world: Hello world.',
      'digits/1: one',
      'long: first line',
      '  second line',
      'spaced :  padded text   \r',
      'empty:',
      'blank-after: text',
      '',
      'time: 10:30 sharp',
      'later: x',
      'later: y',
      'dangling',
      ' ; not a comment: indented',
    ].join('\n');
    const d = parseDescriptions(text);
    assert.deepEqual(Object.fromEntries(d), {
      'hello-world': 'Hello world.',
      'digits/1': 'one',
      long: 'first line\n  second line',
      'spaced ': 'padded text',
      'blank-after': 'text\n',
      time: '10:30 sharp',
      later: 'y\ndangling',
      ' ; not a comment': 'indented',
    });
  });

  it('skips lines longer than its 2048-byte line buffer', () => {
    const d = parseDescriptions(`a: ${'x'.repeat(3000)}\nb: short\n`);
    assert.deepEqual(Object.fromEntries(d), { b: 'short' });
  });
});

describe('SoundLibrary', () => {
  let root: string;
  let lib: SoundLibrary;
  before(() => {
    root = track(
      tree({
        'sounds/en_US_f_Allison/hello-world.wav': wavFile(),
        'sounds/en_US_f_Allison/hello-world.ulaw': Buffer.alloc(160, 0xff),
        'sounds/en_US_f_Allison/hello-world.pcm': Buffer.alloc(160, 0xff), // ulaw again: listed once
        'sounds/en_US_f_Allison/digits/1.wav': wavFile(),
        'sounds/en_US_f_Allison/digits/1.gsm': Buffer.alloc(33),
        'sounds/en_US_f_Allison/letters/deep/er/a.wav16': wavFile(20, 16000),
        'sounds/en_US_f_Allison/vm-intro.WAV': Buffer.alloc(65),
        'sounds/en_US_f_Allison/notes.mp3': 'not a format Asterisk has',
        'sounds/en_US_f_Allison/README': 'no extension',
        'sounds/en_US_f_Allison/core-sounds-en.txt': '; descriptions\n\nhello-world: Hello world.\ndigits/1: one\nghost: described but no file\n',
        'sounds/en': { link: 'en_US_f_Allison' },
        'sounds/fr/hello-world.alaw': Buffer.alloc(160, 0xd5),
        'sounds/fr/extra.txt': 'hello-world: Bonjour le monde.\n',
        'sounds/fr/only-french.g722': Buffer.alloc(160),
        'sounds/top-level.wav': wavFile(), // no language: not listed
        'sounds/broken': { link: 'nowhere' },
        'sounds/en_US_f_Allison/dangling.wav': { link: '/nonexistent/file.wav' },
        'sounds/en_US_f_Allison/loop/up': { link: '..' },
      }),
    );
    lib = new SoundLibrary(path.join(root, 'sounds'));
  });

  it('finds languages as the first-level directories (symlinks followed)', async () => {
    assert.deepEqual((await lib.languages()).sort(), ['en', 'en_US_f_Allison', 'fr']);
  });

  it('lists every sound with its languages and formats, ids relative to the language directory', async () => {
    const list = await lib.list();
    const byId = new Map(list.map((s) => [s.id, s]));
    assert.deepEqual(
      [...byId.keys()].sort(),
      ['digits/1', 'hello-world', 'letters/deep/er/a', 'only-french', 'vm-intro'],
    );
    const langs = asteriskContainerOrder(['en', 'en_US_f_Allison', 'fr'], 7);
    const helloFormats = langs.flatMap((language) =>
      language === 'fr' ? [{ language, format: 'alaw' }] : [{ language, format: 'ulaw' }, { language, format: 'slin' }],
    );
    // Formats in file name order: hello-world.pcm (ulaw), hello-world.ulaw (ulaw again), hello-world.wav (slin).
    assert.deepEqual(byId.get('hello-world'), { id: 'hello-world', text: 'Hello world.', formats: helloFormats });
    const enOnly = langs.filter((l) => l !== 'fr');
    assert.deepEqual(byId.get('digits/1'), {
      id: 'digits/1',
      text: 'one',
      formats: enOnly.flatMap((language) => [
        { language, format: 'gsm' },
        { language, format: 'slin' },
      ]),
    });
    assert.deepEqual(byId.get('letters/deep/er/a')?.formats, enOnly.map((language) => ({ language, format: 'slin16' })));
    assert.deepEqual(byId.get('vm-intro')?.formats, enOnly.map((language) => ({ language, format: 'gsm' })));
    // The text is the English description only; French has its own but no English one.
    assert.deepEqual(byId.get('only-french'), { id: 'only-french', formats: [{ language: 'fr', format: 'g722' }] });
    // Asterisk's order.
    assert.deepEqual(
      list.map((s) => s.id),
      asteriskContainerOrder(byId.keys(), 157),
    );
  });

  it('gets one sound by id, with subdirectories; unknown ids, directories and extensions are not sounds', async () => {
    assert.equal((await lib.get('digits/1'))?.id, 'digits/1');
    assert.equal(await lib.get('digits'), undefined);
    assert.equal(await lib.get('hello-world.wav'), undefined);
    assert.equal(await lib.get('HELLO-WORLD'), undefined);
    assert.equal(await lib.get('ghost'), undefined); // a description without a file
    assert.equal(await lib.get('top-level'), undefined);
    assert.equal(await lib.get('notes'), undefined);
    assert.equal(await lib.get(''), undefined);
  });

  it('filters by language and by format name, exactly', async () => {
    assert.deepEqual(
      (await lib.list({ lang: 'fr' })).map((s) => s.id).sort(),
      ['hello-world', 'only-french'],
    );
    assert.deepEqual((await lib.list({ lang: 'fr' })).find((s) => s.id === 'hello-world'), {
      id: 'hello-world',
      text: 'Hello world.',
      formats: [{ language: 'fr', format: 'alaw' }],
    });
    const slin16 = await lib.list({ format: 'slin16' });
    assert.deepEqual(slin16.map((s) => s.id), ['letters/deep/er/a']);
    assert.deepEqual(await lib.list({ format: 'wav' }), []);
    assert.deepEqual(await lib.list({ lang: 'EN' }), []);
    assert.deepEqual(await lib.list({ lang: 'de' }), []);
    assert.deepEqual(await lib.list({ lang: 'fr', format: 'slin' }), []);
    assert.deepEqual((await lib.list({ lang: 'en', format: 'gsm' })).map((s) => s.id).sort(), ['digits/1', 'vm-intro']);
    // Empty filters filter nothing.
    assert.equal((await lib.list({ lang: '', format: '' })).length, (await lib.list()).length);
  });

  it('answers concurrent requests from one scan', async () => {
    const fresh = new SoundLibrary(path.join(root, 'sounds'));
    const [a, b, c] = await Promise.all([fresh.list(), fresh.get('hello-world'), fresh.languages()]);
    assert.equal(a.length, 5);
    assert.equal(b?.id, 'hello-world');
    assert.equal(c.length, 3);
  });
});

describe('SoundLibrary keeps up with the tree', () => {
  it('shows added, removed and renamed files and changed descriptions on the next request', async () => {
    const root = track(tree({ 'sounds/en/a.wav': wavFile(), 'sounds/en/core-sounds-en.txt': 'a: A.\n' }));
    const sounds = path.join(root, 'sounds');
    const lib = new SoundLibrary(sounds);
    assert.deepEqual(await lib.list(), [{ id: 'a', text: 'A.', formats: [{ language: 'en', format: 'slin' }] }]);

    fs.mkdirSync(path.join(sounds, 'en', 'custom'));
    fs.writeFileSync(path.join(sounds, 'en', 'custom', 'greeting.ulaw'), Buffer.alloc(160));
    assert.deepEqual(await lib.get('custom/greeting'), { id: 'custom/greeting', formats: [{ language: 'en', format: 'ulaw' }] });

    fs.writeFileSync(path.join(sounds, 'en', 'custom', 'greeting.wav'), wavFile());
    assert.deepEqual((await lib.get('custom/greeting'))?.formats.map((f) => f.format), ['ulaw', 'slin']);

    fs.renameSync(path.join(sounds, 'en', 'a.wav'), path.join(sounds, 'en', 'b.wav'));
    assert.equal(await lib.get('a'), undefined);
    assert.equal((await lib.get('b'))?.id, 'b');

    fs.writeFileSync(path.join(sounds, 'en', 'core-sounds-en.txt'), 'b: Bee.\n');
    assert.equal((await lib.get('b'))?.text, 'Bee.');

    fs.mkdirSync(path.join(sounds, 'de'));
    fs.writeFileSync(path.join(sounds, 'de', 'b.alaw'), Buffer.alloc(160));
    assert.deepEqual((await lib.get('b'))?.formats.map((f) => f.language).sort(), ['de', 'en']);

    fs.rmSync(path.join(sounds, 'en', 'custom'), { recursive: true });
    assert.equal(await lib.get('custom/greeting'), undefined);
  });

  it('walks a quiet tree again only when a directory changed', async () => {
    const root = track(tree({ 'sounds/en/digits/1.wav': wavFile() }));
    age(root);
    const sounds = path.join(root, 'sounds');
    const digits = path.join(sounds, 'en', 'digits');
    const lib = new SoundLibrary(sounds);
    assert.deepEqual((await lib.list()).map((s) => s.id), ['digits/1']);
    // A file slipped in with the directory's mtime put back is not seen: the index was kept, not rebuilt.
    const before = fs.statSync(digits);
    fs.writeFileSync(path.join(digits, '2.wav'), wavFile());
    fs.utimesSync(digits, before.atime, before.mtime);
    assert.deepEqual((await lib.list()).map((s) => s.id), ['digits/1']);
    // Any real change to a directory is.
    fs.writeFileSync(path.join(digits, '3.wav'), wavFile());
    assert.deepEqual((await lib.list()).map((s) => s.id).sort(), ['digits/1', 'digits/2', 'digits/3']);
  });

  it('trusts the index for recheckMs before looking again', async () => {
    const root = track(tree({ 'sounds/en/a.wav': wavFile() }));
    let now = 1_000;
    const lib = new SoundLibrary(path.join(root, 'sounds'), { recheckMs: 500, now: () => now });
    assert.equal((await lib.list()).length, 1);
    fs.writeFileSync(path.join(root, 'sounds', 'en', 'b.wav'), wavFile());
    now += 100;
    assert.equal((await lib.list()).length, 1);
    now += 500;
    assert.equal((await lib.list()).length, 2);
    fs.writeFileSync(path.join(root, 'sounds', 'en', 'c.wav'), wavFile());
    lib.invalidate();
    assert.equal((await lib.list()).length, 3);
  });

  it('has no sounds while the directory is missing, and finds them once it exists', async () => {
    const root = track(tree({}));
    const sounds = path.join(root, 'sounds');
    const lib = new SoundLibrary(sounds);
    assert.deepEqual(await lib.list(), []);
    assert.deepEqual(await lib.languages(), []);
    fs.mkdirSync(path.join(sounds, 'en'), { recursive: true });
    fs.writeFileSync(path.join(sounds, 'en', 'x.wav'), wavFile());
    assert.deepEqual(await lib.list(), [{ id: 'x', formats: [{ language: 'en', format: 'slin' }] }]);
    fs.rmSync(sounds, { recursive: true });
    assert.deepEqual(await lib.list(), []);
  });

  it('follows a language symlink that is re-pointed', async () => {
    const root = track(tree({ 'voices/a/one.wav': wavFile(), 'voices/b/two.wav': wavFile(), 'sounds/en': { link: '../voices/a' } }));
    const sounds = path.join(root, 'sounds');
    const lib = new SoundLibrary(sounds);
    assert.deepEqual((await lib.list()).map((s) => s.id), ['one']);
    fs.rmSync(path.join(sounds, 'en'));
    fs.symlinkSync('../voices/b', path.join(sounds, 'en'));
    assert.deepEqual((await lib.list()).map((s) => s.id), ['two']);
  });
});

describe('resolveSound (playback lookup)', () => {
  let root: string;
  let sounds: string;
  before(() => {
    root = track(
      tree({
        'sounds/en/hello-world.wav': wavFile(),
        'sounds/en/hello-world.ulaw': Buffer.alloc(160),
        'sounds/en/digits/1.wav': wavFile(),
        'sounds/en/only-en.g722': Buffer.alloc(160),
        'sounds/fr/hello-world.alaw': Buffer.alloc(160),
        'sounds/fr_CA/digits/1.gsm': Buffer.alloc(33),
        'sounds/no-language.sln16': Buffer.alloc(320),
        'sounds/en/no-language.wav': wavFile(),
        'sounds/en/strange.mp3': 'x',
        'custom/en/beep.wav': wavFile(),
        'custom/beep.ulaw': Buffer.alloc(160),
      }),
    );
    sounds = path.join(root, 'sounds');
  });

  it('tries the language, then without each _suffix, then no language, then en', () => {
    assert.deepEqual(languageCandidates('fr_CA_x'), ['fr_CA_x', 'fr_CA', 'fr', '', 'en']);
    assert.deepEqual(languageCandidates('en_US'), ['en_US', 'en', '']);
    assert.deepEqual(languageCandidates('en'), ['en', '']);
    assert.deepEqual(languageCandidates(''), ['', 'en']);
    assert.deepEqual(languageCandidates(undefined), ['', 'en']);
  });

  it('finds the sound in the first language that has it, in the preferred format', async () => {
    const en = await resolveSound(sounds, 'hello-world', 'en');
    assert.equal(en?.path, path.join(sounds, 'en', 'hello-world.wav'));
    assert.equal(en?.format, 'slin');
    assert.equal(en?.language, 'en');
    assert.deepEqual(en?.available.map((a) => a.format).sort(), ['slin', 'ulaw']);

    const ulaw = await resolveSound(sounds, 'hello-world', 'en', ['ulaw']);
    assert.deepEqual([ulaw?.format, ulaw?.ext, ulaw?.path], ['ulaw', 'ulaw', path.join(sounds, 'en', 'hello-world.ulaw')]);

    // A preference the language lacks does not move to another language.
    const fr = await resolveSound(sounds, 'hello-world', 'fr_CA', ['slin']);
    assert.deepEqual([fr?.language, fr?.format], ['fr', 'alaw']);

    const digit = await resolveSound(sounds, 'digits/1', 'fr_CA');
    assert.deepEqual([digit?.language, digit?.format], ['fr_CA', 'gsm']);
    const digitFr = await resolveSound(sounds, 'digits/1', 'fr');
    assert.deepEqual([digitFr?.language, digitFr?.format], ['en', 'slin']);

    // No language before the default one.
    const bare = await resolveSound(sounds, 'no-language', 'de');
    assert.deepEqual([bare?.language, bare?.format], ['', 'slin16']);
    const withEn = await resolveSound(sounds, 'no-language', 'en');
    assert.deepEqual([withEn?.language, withEn?.format], ['en', 'slin']);

    assert.equal((await resolveSound(sounds, 'only-en', 'de'))?.format, 'g722');
  });

  it('takes absolute names, with the language put before the file name', async () => {
    const custom = path.join(root, 'custom', 'beep');
    assert.equal((await resolveSound(sounds, custom, 'en'))?.path, path.join(root, 'custom', 'en', 'beep.wav'));
    assert.equal((await resolveSound(sounds, custom, 'de'))?.path, path.join(root, 'custom', 'beep.ulaw'));
  });

  it('finds nothing for missing sounds, unknown formats, directories and bad names', async () => {
    assert.equal(await resolveSound(sounds, 'no-such-sound', 'en'), undefined);
    assert.equal(await resolveSound(sounds, 'strange', 'en'), undefined);
    assert.equal(await resolveSound(sounds, 'digits', 'en'), undefined);
    assert.equal(await resolveSound(sounds, 'hello-world.wav', 'en'), undefined);
    assert.equal(await resolveSound(sounds, '', 'en'), undefined);
    assert.equal(await resolveSound(sounds, 'a\0b', 'en'), undefined);
    assert.equal(await resolveSound(sounds, 'digits/', 'en'), undefined);
    assert.equal(await resolveSound(sounds, 'http://example.com/x', 'en'), undefined);
  });

  it('is what SoundLibrary.resolve answers', async () => {
    const lib = new SoundLibrary(sounds);
    assert.deepEqual(await lib.resolve('digits/1', 'fr_CA'), await resolveSound(sounds, 'digits/1', 'fr_CA'));
  });
});
