/**
 * indications.conf: the project's file and Asterisk's reference file load cleanly, and Asterisk's rules hold
 * (invalid zones dropped, the default country falling back to the first zone, redefined tones moving to the
 * end, the built-in `us` zone without a file).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BUILTIN_INDICATIONS, defaultToneZone, findToneZone, findZoneTone, loadIndicationsConf } from './indications.ts';
import { REFERENCE_CONFIG_DIR } from '../../test/helpers/reference.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..');

function withFile(text: string | undefined, run: (dir: string) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariadne-indications-'));
  try {
    if (text !== undefined) fs.writeFileSync(path.join(dir, 'indications.conf'), text);
    run(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("the project's configs/indications.conf loads cleanly, us by default", () => {
  const { value, diagnostics } = loadIndicationsConf(path.join(REPO, 'configs'));
  assert.deepEqual(diagnostics, []);
  assert.equal(value.defaultCountry, 'us');
  assert.deepEqual(value.zones.map((z) => z.country), ['de', 'fr', 'it', 'jp', 'nl', 'uk', 'us']);
  const uk = findToneZone(value, 'UK');
  assert.ok(uk);
  assert.equal(findZoneTone(uk, 'busy'), '400/375,0/375');
  assert.deepEqual(uk.ringcadence, [400, 200, 400, 2000]);
  // The project's us zone is the built-in one.
  assert.deepEqual(findToneZone(value, 'us'), BUILTIN_INDICATIONS.zones[0]);
});

test("Asterisk's reference indications.conf: the us zone only", () => {
  const { value, diagnostics } = loadIndicationsConf(REFERENCE_CONFIG_DIR);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(value.zones.map((z) => z.country), ['us']);
  assert.equal(defaultToneZone(value).description, 'United States / North America');
});

test('without the file: the built-in us zone, silently', () => {
  withFile(undefined, (dir) => {
    const { value, diagnostics } = loadIndicationsConf(dir);
    assert.deepEqual(diagnostics, []);
    assert.equal(value, BUILTIN_INDICATIONS);
  });
});

test('invalid zones are dropped; the default falls back to the first zone; a redefined tone moves to the end', () => {
  const text = [
    '[general]',
    'country = xx',
    'colour = blue',
    '[nodesc]',
    'busy = 400',
    '[notones]',
    'description = Nothing',
    '[aa]',
    'description = First',
    'ringcadence = 1000,x,3000',
    'busy = 425/500,0/500',
    'dial = 425',
    'BUSY = 425/250,0/250',
    'odd = 12 Hz',
    '[AA]',
    'description = again',
    'dial = 1',
    '',
  ].join('\n');
  withFile(text, (dir) => {
    const { value, diagnostics } = loadIndicationsConf(dir);
    assert.deepEqual(value.zones.map((z) => z.country), ['aa']);
    assert.equal(value.defaultCountry, 'aa');
    const aa = value.zones[0];
    assert.ok(aa);
    assert.deepEqual(aa.ringcadence, [1000, 3000]);
    assert.deepEqual(aa.tones.map((t) => [t.name, t.data]), [
      ['dial', '425'],
      ['BUSY', '425/250,0/250'],
      ['odd', '12 Hz'],
    ]);
    const messages = diagnostics.map((d) => `${d.line}: ${d.message}`);
    for (const [line, words] of [
      [3, 'colour'],
      [4, '[nodesc] needs a description'],
      [6, '[notones] needs a description'],
      [10, "invalid ringcadence value 'x'"],
      [14, "tone 'odd'"],
      [15, 'defined again'],
      [2, "default country 'xx'"],
    ] as const) {
      assert.ok(messages.some((m) => m.startsWith(`${line}: `) && m.includes(words)), `${line} ${words} in ${messages.join(' | ')}`);
    }
    assert.equal(diagnostics.length, 7);
  });
});

test('a file without any usable zone keeps the built-in one', () => {
  withFile('[general]\ncountry = us\n', (dir) => {
    const { value, diagnostics } = loadIndicationsConf(dir);
    assert.equal(value, BUILTIN_INDICATIONS);
    assert.equal(diagnostics.length, 1);
  });
});
