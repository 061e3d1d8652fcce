/**
 * `/ari/sounds` over real sockets: a temporary sounds tree under the test server's astdatadir (languages,
 * subdirectories, descriptions, filters, files added while running), and Debian's
 * `asterisk-core-sounds-en-wav` laid out as in the reference capture (`sounds/en` → the Allison voice),
 * where the answers must be Asterisk 22's byte for byte.
 */

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, type TestServer } from '../helpers/ariadne.ts';
import { REFERENCE_DIR } from '../helpers/sequences.ts';
import { asteriskContainerOrder } from '../../src/media/sounds.ts';

/** Debian's `asterisk-core-sounds-en` points this at `en_US_f_Allison`; `.ci/run` installs it. */
const DEBIAN_EN = '/usr/share/asterisk/sounds/en';

interface Reference {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

function reference(name: string): Reference {
  return JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, 'rest', `${name}.json`), 'utf8')) as Reference;
}

/** A valid mono 16-bit PCM WAV file of 20 ms of silence at 8 kHz. */
function wavFile(): Buffer {
  const data = Buffer.alloc(320);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

function put(root: string, rel: string, content: Buffer | string): void {
  const full = path.join(root, rel);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
}

async function call(srv: TestServer, pathAndQuery: string, auth?: string): Promise<{ status: number; body: unknown; raw: string }> {
  const res = await srv.ari('GET', pathAndQuery, auth === undefined ? {} : { auth });
  const raw = await res.text();
  return { status: res.status, body: raw ? (JSON.parse(raw) as unknown) : undefined, raw };
}

describe('/sounds over a temporary sounds tree', () => {
  let srv: TestServer;
  let sounds: string;
  before(async () => {
    srv = await startTestServer();
    sounds = path.join(srv.dir, 'data', 'sounds');
  });
  after(async () => {
    await srv.stop();
  });

  it('without a sounds directory: no sounds (404), and no sound', async () => {
    assert.deepEqual(await call(srv, '/sounds').then((r) => [r.status, r.body]), [404, { message: 'No sounds found that matched the query' }]);
    assert.deepEqual(await call(srv, '/sounds/hello-world').then((r) => [r.status, r.body]), [404, { message: 'Sound not found' }]);
  });

  it('lists languages and formats, gets one sound, filters, and follows changes', async () => {
    put(sounds, 'en/hello-world.wav', wavFile());
    put(sounds, 'en/hello-world.ulaw', Buffer.alloc(160, 0xff));
    put(sounds, 'en/digits/1.wav', wavFile());
    put(sounds, 'en/core-sounds-en.txt', '; Core sounds\n\nhello-world: Hello world.\ndigits/1: one\n');
    put(sounds, 'fr/hello-world.wav', wavFile());
    put(sounds, 'fr/digits/1.alaw', Buffer.alloc(160, 0xd5));
    put(sounds, 'stray.wav', wavFile()); // outside any language: not listed
    const langs = asteriskContainerOrder(['en', 'fr'], 7);
    const hello = {
      id: 'hello-world',
      text: 'Hello world.',
      formats: langs.flatMap((language) =>
        language === 'en'
          ? [
              { language, format: 'ulaw' },
              { language, format: 'slin' },
            ]
          : [{ language, format: 'slin' }],
      ),
    };
    const one = { id: 'digits/1', text: 'one', formats: langs.map((language) => ({ language, format: language === 'en' ? 'slin' : 'alaw' })) };

    const list = await call(srv, '/sounds');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, asteriskContainerOrder(['hello-world', 'digits/1'], 157).map((id) => (id === 'hello-world' ? hello : one)));
    assert.deepEqual(Object.keys((list.body as object[])[0] as object), ['id', 'text', 'formats'], 'field order');
    assert.equal(list.raw, JSON.stringify(list.body, null, 2), 'pretty=yes as ari.conf says');

    assert.deepEqual((await call(srv, '/sounds/hello-world')).body, hello);
    // A sound in a subdirectory: its id holds a slash, sent encoded as one path segment.
    assert.deepEqual(await call(srv, '/sounds/digits%2F1').then((r) => [r.status, r.body]), [200, one]);
    assert.deepEqual(await call(srv, '/sounds/digits/1').then((r) => [r.status, r.body]), [404, { message: 'Resource not found' }]);
    assert.deepEqual(await call(srv, '/sounds/stray').then((r) => [r.status, r.body]), [404, { message: 'Sound not found' }]);
    // Read-only users may read.
    assert.equal((await call(srv, '/sounds/hello-world', 'readonly:readonly')).status, 200);

    assert.deepEqual((await call(srv, '/sounds?lang=fr&format=alaw')).body, [{ id: 'digits/1', text: 'one', formats: [{ language: 'fr', format: 'alaw' }] }]);
    assert.deepEqual((await call(srv, '/sounds?format=ulaw')).body, [{ id: 'hello-world', text: 'Hello world.', formats: [{ language: 'en', format: 'ulaw' }] }]);
    const notFound = { message: 'No sounds found that matched the query' };
    for (const q of ['format=wav', 'lang=de', 'lang=fr&format=ulaw', 'lang=EN']) {
      assert.deepEqual(await call(srv, `/sounds?${q}`).then((r) => [r.status, r.body]), [404, notFound], q);
    }

    // A recording dropped into the tree shows up on the next request; a removed one goes.
    put(sounds, 'en/custom/greeting.wav', wavFile());
    assert.deepEqual((await call(srv, '/sounds/custom%2Fgreeting')).body, { id: 'custom/greeting', formats: [{ language: 'en', format: 'slin' }] });
    fs.rmSync(path.join(sounds, 'en', 'custom'), { recursive: true });
    assert.equal((await call(srv, '/sounds/custom%2Fgreeting')).status, 404);
  });
});

describe("/sounds over Debian's core sounds (asterisk-core-sounds-en-wav), as in the reference capture", () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
    // The reference Asterisk had only `sounds/en -> /usr/share/asterisk/sounds/en_US_f_Allison`.
    const sounds = path.join(srv.dir, 'data', 'sounds');
    fs.mkdirSync(sounds, { recursive: true });
    fs.symlinkSync(DEBIAN_EN, path.join(sounds, 'en'));
  });
  after(async () => {
    await srv.stop();
  });

  it("answers as Asterisk 22 did: the same 568 sounds in the same order, to the byte; get, 404s and filters", async () => {
    // .ci/run installs the packages, so a missing file is a failure, not a reason to skip.
    assert.ok(fs.existsSync(path.join(DEBIAN_EN, 'hello-world.wav')), `${DEBIAN_EN}/hello-world.wav is missing: install asterisk-core-sounds-en-wav and asterisk-core-sounds-en (.ci/run does)`);

    const ref = reference('sounds-list');
    const refBody = ref.body as { total_items: number; first_items: unknown[] };
    const res = await srv.ari('GET', '/sounds');
    const raw = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200);
    const list = JSON.parse(raw.toString('utf8')) as { id: string }[];
    assert.equal(list.length, refBody.total_items);
    assert.deepEqual(list.slice(0, refBody.first_items.length), refBody.first_items);
    // Same ids, languages, formats and order give the same bytes (pretty=yes on both sides).
    assert.equal(raw.length, Number(ref.headers['content-length']));
    assert.equal(res.headers.get('content-length'), ref.headers['content-length']);
    assert.ok(list.some((s) => s.id === 'digits/1') && list.some((s) => s.id === 'letters/a'));

    for (const name of ['sounds-get', 'sounds-get-404', 'sounds-list-filtered']) {
      const r = reference(name) as Reference & { request: { path: string; query?: Record<string, string> } };
      const q = r.request.query ? `?${new URLSearchParams(r.request.query).toString()}` : '';
      const got = await call(srv, `${r.request.path.replace(/^\/ari/, '')}${q}`);
      assert.deepEqual([got.status, got.body], [r.status, r.body], name);
    }
  });
});
