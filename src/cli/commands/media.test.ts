/**
 * The media console commands print Asterisk's layouts (column widths, headers, footers) over Ariadne's codecs,
 * file formats, translators and tone zones; the translation costs follow Asterisk's cost rule and multi-step
 * relaxation; bad arguments print the usage or fail as Asterisk does.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { CommandRegistry } from '../registry.ts';
import { ENGINE_TRANSLATORS, TranslationMatrix, codecRows, formatTranslationTable, registerMediaCommands } from './media.ts';
import { loadIndicationsConf } from '../../config/indications.ts';

const REPO = path.resolve(import.meta.dirname, '..', '..', '..');
const indications = loadIndicationsConf(path.join(REPO, 'configs')).value;

async function run(line: string): Promise<string> {
  const registry = new CommandRegistry();
  registerMediaCommands(registry, { indications: () => indications });
  let out = '';
  await registry.execute(line, (t) => {
    out += t;
  });
  return out;
}

describe('core show codecs', () => {
  it("lists Ariadne's codecs with Asterisk's ids, names and quality, in Asterisk's container order", async () => {
    assert.equal(
      await run('core show codecs'),
      'Disclaimer: this command is for informational purposes only.\n' +
        '\tIt does not indicate anything about your configuration.\n' +
        '      ID TYPE  NAME         FORMAT           QUALITY DESCRIPTION\n' +
        `${'-'.repeat(96)}\n` +
        '       4 audio alaw         alaw                 100 (G.711 a-law)\n' +
        '       9 audio slin         slin                 115 (16 bit Signed Linear PCM)\n' +
        '      11 audio slin         slin16               116 (16 bit Signed Linear PCM (16kHz))\n' +
        '       3 audio ulaw         ulaw                 100 (G.711 u-law)\n',
    );
  });

  it('filters by media type; more than one argument is a usage error', async () => {
    assert.equal((await run('core show codecs audio')).split('\n').length, 9);
    assert.equal((await run('core show codecs video')).split('\n').length, 5);
    assert.match(await run('core show codecs audio video'), /^Usage: core show codecs \[audio\|video\|image\|text\]/);
  });
});

it('core show file formats: format, name, extensions, and the count', async () => {
  assert.equal(
    await run('core show file formats'),
    'Format     Name       Extensions          \n' +
      '------     ----       ----------          \n' +
      'slin       wav        wav                 \n' +
      'slin16     wav16      wav16               \n' +
      'ulaw       pcm        pcm|ulaw|ul|mu|ulw  \n' +
      'alaw       alaw       alaw|al|alw         \n' +
      'slin       sln        sln|slin|raw        \n' +
      'slin16     sln16      sln16               \n' +
      '6 file formats registered.\n',
  );
});

describe('core show translation', () => {
  it('the table cost matrix (hundredths of Asterisk table costs), sources as rows', async () => {
    assert.equal(
      await run('core show translation'),
      '         Translation times between formats (in microseconds) for one second of data\n' +
        '          Source Format (Rows) Destination Format (Columns)\n\n' +
        '          ulaw  alaw slin8 slin16\n' +
        '    ulaw     - 15000  9000  17000\n' +
        '    alaw 15000     -  9000  17000\n' +
        '   slin8  6000  6000     -   8000\n' +
        '  slin16 14500 14500  8500      -\n',
    );
  });

  it('comp: measured costs of direct steps only, after the recalc line', async () => {
    const out = await run('core show translation comp');
    const lines = out.split('\n');
    assert.equal(lines[0], '         Recalculating Codec Translation (number of sample seconds: 1)');
    const row = (name: string) => (lines.find((l) => l.startsWith(` ${name.padStart(7)} `)) as string).trim().split(/\s+/).slice(1);
    const [uToU, uToA, uToS8, uToS16] = row('ulaw');
    assert.deepEqual([uToU, uToA, uToS16], ['-', '-', '-']); // no direct translator
    assert.match(uToS8 as string, /^\d+$/);
    assert.ok(Number(uToS8) > 0 && Number(uToS8) < 1_000_000);
    assert.match(await run('core show translation recalc 0'), /^ {9}Recalc must be greater than 0\.  Defaulting to 1\.\n/);
  });

  it('paths: each destination with its steps; unknown codecs and rates fail', async () => {
    assert.equal(
      await run('core show translation paths ulaw'),
      '--- Translation paths SRC Codec "ulaw" sample rate 8000 ---\n' +
        `\tulaw:8000        To alaw:8000       : ${'(ulaw@8000)->(slin@8000)->(alaw@8000)'.padEnd(60)}\n` +
        `\tulaw:8000        To slin:8000       : ${'(ulaw@8000)->(slin@8000)'.padEnd(60)}\n` +
        `\tulaw:8000        To slin:16000      : ${'(ulaw@8000)->(slin@8000)->(slin@16000)'.padEnd(60)}\n`,
    );
    assert.match(await run('core show translation paths slin 16000'), /^--- Translation paths SRC Codec "slin" sample rate 16000 ---\n\tslin:16000 +To ulaw:8000 +: \(slin@16000\)->\(slin@8000\)->\(ulaw@8000\)/);
    assert.equal(await run('core show translation paths opus'), 'Source codec "opus" is not found.\nCommand \'core show translation paths opus\' failed.\n');
    assert.match(await run('core show translation paths slin fast'), /^Invalid sample rate: fast\.\n/);
    assert.match(await run('core show translation bogus'), /^Usage: /);
  });

  it('a translator that is cheaper directly wins over the two-step path', () => {
    const rows = codecRows();
    const direct = { src: 'ulaw' as const, dst: 'alaw' as const, run: () => 0 };
    const m = new TranslationMatrix(rows, [...ENGINE_TRANSLATORS, direct], ENGINE_TRANSLATORS.map(() => 1).concat(1));
    assert.match(formatTranslationTable(m), /\n {4}ulaw {5}- {2}9150 {2}9000/);
    assert.deepEqual(m.path(m.index('ulaw'), m.index('alaw')).map((r) => r.format), ['ulaw', 'alaw']);
  });
});

describe('indication show', () => {
  it('lists the zones and the default', async () => {
    const out = await run('indication show');
    const lines = out.split('\n');
    assert.deepEqual(lines.slice(0, 2), ['Country   Description', '===========================']);
    assert.ok(lines.includes('uk       United Kingdom'));
    assert.ok(lines.includes('fr       France'));
    assert.equal(lines.filter((l) => /^[a-z]{2} {7}\S/.test(l)).length, 7);
    assert.deepEqual(lines.slice(-3), ['===========================', 'Default tone zone: us', '']);
  });

  it("shows a zone's cadence and tones; unknown countries match nothing", async () => {
    const out = await run('indication show FR zz');
    assert.equal(out.split('\n').slice(0, 5).join('\n'), [
      'Country Indication      PlayList',
      '=====================================',
      'fr      <ringcadence>   1500,3500',
      'fr      dial            440',
      'fr      busy            440/500,0/500',
    ].join('\n'));
    assert.equal(await run('indication show zz'), 'No countries matched your criteria.\n');
  });
});
