import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadMusicOnHold, scanDirectory } from './musiconhold.ts';

/** A temporary tree: `etc/` (with musiconhold.conf when `conf` is given) and `data/` with the given files. */
function withTree(conf: string | undefined, files: readonly string[], run: (etc: string, data: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-moh-conf-'));
  try {
    const etc = path.join(dir, 'etc');
    const data = path.join(dir, 'data');
    fs.mkdirSync(etc, { recursive: true });
    for (const f of files) {
      const p = path.join(data, f);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, Buffer.alloc(320));
    }
    if (conf !== undefined) fs.writeFileSync(path.join(etc, 'musiconhold.conf'), conf);
    run(etc, data);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('without musiconhold.conf: the sample default class, files from <astdatadir>/moh', () => {
  withTree(undefined, ['moh/b-song.wav', 'moh/a-song.wav'], (etc, data) => {
    const { value, diagnostics } = loadMusicOnHold(etc, data);
    assert.deepEqual(diagnostics, []);
    assert.equal(value.classes.length, 1);
    const c = value.classes[0]!;
    assert.deepEqual({ name: c.name, mode: c.mode, directory: c.directory, sort: c.sort }, { name: 'default', mode: 'files', directory: 'moh', sort: undefined });
    assert.deepEqual(c.files.map((f) => f.name), [path.join(data, 'moh', 'a-song'), path.join(data, 'moh', 'b-song')]);
    assert.deepEqual(c.files[0]!.paths, [path.join(data, 'moh', 'a-song.wav')]);
  });
});

test('the reference file: [general] is not a class, [default] is mode files in moh', () => {
  withTree('[general]\n[default]\nmode = files\ndirectory = moh\n', ['moh/x.wav'], (etc, data) => {
    const { value, diagnostics } = loadMusicOnHold(etc, data);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(value.classes.map((c) => [c.name, c.mode, c.directory, c.files.length]), [['default', 'files', 'moh', 1]]);
  });
});

test('classes: relative and absolute directories, sort, one entry per name whatever the formats', () => {
  withTree(
    `[general]
cachertclasses = yes
[default]
mode = files
directory = moh
sort = random
[jazz]
mode = files
directory = music/jazz
sort = alpha
[abs]
mode = files
directory = DATA/moh
sort = randstart
`,
    ['moh/one.wav', 'moh/one.ulaw', 'moh/.hidden.wav', 'moh/noext', 'moh/short.x', 'music/jazz/Zed.wav', 'music/jazz/alpha.sln'],
    (etc, data) => {
      fs.writeFileSync(path.join(etc, 'musiconhold.conf'), fs.readFileSync(path.join(etc, 'musiconhold.conf'), 'utf8').replace('DATA', data));
      const { value, diagnostics } = loadMusicOnHold(etc, data);
      assert.deepEqual(diagnostics, []);
      const [def, jazz, abs] = value.classes;
      assert.equal(def!.sort, 'random');
      assert.deepEqual(def!.files.map((f) => path.basename(f.name)), ['one']);
      assert.deepEqual(def!.files[0]!.paths.map((p) => path.basename(p)), ['one.ulaw', 'one.wav']);
      assert.equal(jazz!.sort, 'alpha');
      assert.deepEqual(jazz!.files.map((f) => path.basename(f.name)), ['alpha', 'Zed']);
      assert.equal(abs!.sort, 'randstart');
      assert.equal(abs!.directory, path.join(data, 'moh'));
      assert.deepEqual(abs!.files.map((f) => path.basename(f.name)), ['one']);
    },
  );
});

test('problems: no mode, no directory, bad sort, unknown option, external players, duplicates, playlists', () => {
  withTree(
    `[nomode]
directory = moh
[nodir]
mode = files
[badsort]
mode = files
directory = moh
sort = shuffle
colour = blue
[player]
mode = custom
application = /usr/bin/mpg123 -q -r 8000 -f 8192 -b 2048 --mono -s
[badsort]
mode = files
directory = elsewhere
[list]
mode = playlist
entry = /nowhere/song
entry = relative/song
`,
    ['moh/a.wav'],
    (etc, data) => {
      const { value, diagnostics } = loadMusicOnHold(etc, data);
      assert.deepEqual(value.classes.map((c) => c.name), ['badsort', 'player', 'list']);
      const badsort = value.classes[0]!;
      assert.equal(badsort.sort, 'alpha');
      assert.equal(badsort.directory, 'moh');
      const player = value.classes[1]!;
      assert.deepEqual([player.mode, player.files.length], ['custom', 0]);
      const list = value.classes[2]!;
      assert.deepEqual(list.files.map((f) => f.name), ['/nowhere/song']);
      assert.deepEqual(list.files[0]!.paths, []);
      const text = diagnostics.map((d) => `${d.level}:${d.line}:${d.message}`);
      assert.ok(text.some((t) => t.startsWith('warning:1:') && t.includes("'nomode' has no mode")), text.join('\n'));
      assert.ok(text.some((t) => t.startsWith('warning:3:') && t.includes("'nodir' has no directory")), text.join('\n'));
      assert.ok(text.some((t) => t.startsWith('error:8:') && t.includes("'shuffle'")), text.join('\n'));
      assert.ok(text.some((t) => t.startsWith('warning:9:') && t.includes("unknown option 'colour'")), text.join('\n'));
      assert.ok(text.some((t) => t.startsWith('warning:10:') && t.includes('external player')), text.join('\n'));
      assert.ok(text.some((t) => t.includes("'badsort' is defined twice")), text.join('\n'));
      assert.ok(text.some((t) => t.startsWith('error:') && t.includes('relative/song')), text.join('\n'));
      assert.equal(diagnostics.length, 7);
    },
  );
});

test('scanDirectory: a missing directory has no files', () => {
  assert.deepEqual(scanDirectory('/nonexistent/ariadne/moh'), []);
});
