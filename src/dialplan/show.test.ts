import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandRegistry } from '../cli/registry.ts';
import type { Dialplan } from './model.ts';
import { loadExtensions, parseExtensionsText } from './parser.ts';
import { formatDialplanShow, registerDialplanCommands, showDialplan } from './show.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seed = loadExtensions(path.join(ROOT, 'configs'));

const SEED_SHOW = [
  "[ Context 'internal' created by 'pbx_config' ]",
  "  'ringonly' =>     1. Ringing()                                  [extensions.conf:17]",
  '                    2. Wait(3600)                                 [extensions.conf:18]',
  '                    3. Hangup()                                   [extensions.conf:19]',
  "  'wait' =>         1. Answer()                                   [extensions.conf:13]",
  '                    2. Wait(3600)                                 [extensions.conf:14]',
  '                    3. Hangup()                                   [extensions.conf:15]',
  "  '_stasis-.' =>    1. Answer()                                   [extensions.conf:21]",
  '                    2. Stasis(${EXTEN:7})                         [extensions.conf:22]',
  '                    3. Hangup()                                   [extensions.conf:23]',
  '',
  "[ Context 'from-trunk' created by 'pbx_config' ]",
  "  '1000' =>         1. NoOp(Sending channel to ARI application)   [extensions.conf:5]",
  '                    2. Answer()                                   [extensions.conf:6]',
  '                    3. Stasis(hello-world)                        [extensions.conf:7]',
  '                    4. Hangup()                                   [extensions.conf:8]',
  '',
  '-= 4 extensions (13 priorities) in 2 contexts. =-',
  '',
].join('\n');

const FEATURES: Dialplan = parseExtensionsText([
  '[office]',
  'exten => 100,hint,PJSIP/alice,CustomPresence:alice',
  'exten => 100,1(start),Answer()',
  ' same => n(loop),Playback(a-very-long-sound-file-name-that-overflows-the-column)',
  'exten => 200/5551234,1,NoOp(vip)',
  'exten => 200,1,NoOp',
  'include => shared',
  'include => night,18:00-08:00,*,*,*',
  'ignorepat => 9',
  'autohints = yes',
  '[shared]',
  'exten => _2XX,1,NoOp(shared)',
  'include => office',
  '[night]',
  '',
].join('\n'), '/etc/asterisk/extensions.conf');

describe('dialplan show', () => {
  test('the seed file, all contexts', () => {
    assert.equal(formatDialplanShow(seed), SEED_SHOW);
    assert.equal(showDialplan(seed).ok, true);
  });

  test('one context; an unknown one', () => {
    assert.equal(formatDialplanShow(seed, 'from-trunk'), [
      "[ Context 'from-trunk' created by 'pbx_config' ]",
      "  '1000' =>         1. NoOp(Sending channel to ARI application)   [extensions.conf:5]",
      '                    2. Answer()                                   [extensions.conf:6]',
      '                    3. Stasis(hello-world)                        [extensions.conf:7]',
      '                    4. Hangup()                                   [extensions.conf:8]',
      '',
      '-= 1 extension (4 priorities) in 1 context. =-',
      '',
    ].join('\n'));
    assert.deepEqual(showDialplan(seed, 'nope'), { text: "There is no existence of 'nope' context\n", ok: false });
    assert.equal(showDialplan(seed, 'From-Trunk').ok, false, 'context names are case-sensitive');
  });

  test('hints, labels, caller-id, includes, ignore patterns and autohints', () => {
    assert.equal(formatDialplanShow(FEATURES, 'office'), [
      "[ Context 'office' created by 'pbx_config' ]",
      'Autohints support enabled',
      "  '100' =>          hint: PJSIP/alice,CustomPresence:alice        [extensions.conf:2]",
      // after a hint, priority 1 is a continuation line, so its label shows
      '     [start]        1. Answer()                                   [extensions.conf:3]',
      '     [loop]         2. Playback(a-very-long-sound-file-name-that-overflows-the-column) [extensions.conf:4]',
      "  '200' (CID match '5551234') =>  1. NoOp(vip)                                  [extensions.conf:5]",
      "  '200' =>          1. NoOp()                                     [extensions.conf:6]",
      "  Include =>        'shared'                                      [pbx_config]",
      "  Include =>        'night,18:00-08:00,*,*,*'                     [pbx_config]",
      "  Ignore pattern => '9'                                           [pbx_config]",
      '',
      '-= 3 extensions (5 priorities) in 1 context. =-',
      '',
    ].join('\n'));
  });

  test('exten@context follows includes (once each) and shows matching ignore patterns', () => {
    assert.deepEqual(showDialplan(FEATURES, '250@office'), {
      ok: true,
      text: [
        "[ Included context 'shared' created by 'pbx_config' ]",
        "  '_2XX' =>         1. NoOp(shared)                               [extensions.conf:12]",
        '',
        '-= 1 extension (1 priority) in 1 context. =-',
        '',
      ].join('\n'),
    });
    // Included contexts are listed inside their includer, before its closing blank line.
    assert.equal(showDialplan(FEATURES, '200@office').text, [
      "[ Context 'office' created by 'pbx_config' ]",
      'Autohints support enabled',
      "  '200' (CID match '5551234') =>  1. NoOp(vip)                                  [extensions.conf:5]",
      "  '200' =>          1. NoOp()                                     [extensions.conf:6]",
      "[ Included context 'shared' created by 'pbx_config' ]",
      "  '_2XX' =>         1. NoOp(shared)                               [extensions.conf:12]",
      '',
      '',
      '-= 3 extensions (3 priorities) in 2 contexts. =-',
      '',
    ].join('\n'));
    // A matching ignore pattern is printed even when no extension matches (then without a header).
    assert.deepEqual(showDialplan(FEATURES, '9123@office'), {
      ok: false,
      text: "  Ignore pattern => '9'                                           [pbx_config]\n" +
        'There is no existence of 9123@office extension\n',
    });
    assert.deepEqual(showDialplan(FEATURES, '777@office'), { text: 'There is no existence of 777@office extension\n', ok: false });
    assert.deepEqual(showDialplan(FEATURES, '777@'), { text: "There is no existence of '777' extension in all contexts\n", ok: false });
    assert.match(showDialplan(FEATURES, '100@').text, /-= 1 extension \(3 priorities\) in 1 context\. =-\n$/);
  });

  test('an empty dialplan', () => {
    const empty = parseExtensionsText('', '/etc/asterisk/extensions.conf');
    assert.equal(formatDialplanShow(empty), '-= 0 extensions (0 priorities) in 0 contexts. =-\n');
  });
});

describe('console commands', () => {
  function setup(reload: () => Promise<string>): { registry: CommandRegistry; run(line: string): Promise<[boolean, string]> } {
    const registry = new CommandRegistry();
    let current = seed;
    registerDialplanCommands(registry, {
      dialplan: () => current,
      reload: async () => {
        const text = await reload();
        current = FEATURES;
        return text;
      },
    });
    return {
      registry,
      async run(line) {
        let out = '';
        const ok = await registry.execute(line, (t) => {
          out += t;
        });
        return [ok, out];
      },
    };
  }

  test('dialplan show, with and without a context', async () => {
    const { run } = setup(async () => 'Dialplan reloaded.');
    assert.deepEqual(await run('dialplan show'), [true, SEED_SHOW]);
    assert.deepEqual(await run('dialplan show nope'), [
      false,
      "There is no existence of 'nope' context\nCommand 'dialplan show nope' failed.\n",
    ]);
    const [ok, usage] = await run('dialplan show a b');
    assert.equal(ok, false);
    assert.match(usage, /^Usage: dialplan show \[\[exten@\]context\]/);
  });

  test('dialplan reload prints what the source returns and swaps the dialplan', async () => {
    const { run } = setup(async () => 'Dialplan reloaded.');
    assert.deepEqual(await run('dialplan reload'), [true, 'Dialplan reloaded.\n']);
    assert.match((await run('dialplan show office'))[1], /Context 'office'/);
  });

  test('a failing reload reports the failure', async () => {
    const { run } = setup(async () => {
      throw new Error('extensions.conf: 3 errors');
    });
    assert.deepEqual(await run('dialplan reload'), [
      false,
      "extensions.conf: 3 errors\nCommand 'dialplan reload' failed.\n",
    ]);
  });

  test('completion offers context names', () => {
    const { registry } = setup(async () => '');
    assert.deepEqual(registry.complete('dialplan show '), ['from-trunk', 'internal']);
    assert.deepEqual(registry.complete('dialplan show in'), ['internal']);
    assert.deepEqual(registry.complete('dialplan show 1000@f'), ['1000@from-trunk']);
  });
});
