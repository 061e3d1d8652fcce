import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AriadneError } from '../shared/errors.ts';
import { CommandFailure, CommandRegistry, tokenize, UsageError } from './registry.ts';
import type { CommandContext } from './registry.ts';

async function run(registry: CommandRegistry, line: string): Promise<{ text: string; ok: boolean }> {
  let text = '';
  const ok = await registry.execute(line, (t) => {
    text += t;
  });
  return { text, ok };
}

function recording(registry: CommandRegistry, words: string[]): CommandContext[] {
  const seen: CommandContext[] = [];
  registry.register({ words, usage: words.join(' '), summary: `run ${words.join(' ')}`, handler: (ctx) => void seen.push(ctx) });
  return seen;
}

describe('tokenize', () => {
  it('splits on whitespace, groups quotes and honours backslashes', () => {
    assert.deepEqual(tokenize('  ari   show\tapp  '), ['ari', 'show', 'app']);
    assert.deepEqual(tokenize('say "hello world" x"y z"w'), ['say', 'hello world', 'xy zw']);
    assert.deepEqual(tokenize('a\\ b \\"c'), ['a b', '"c']);
    assert.deepEqual(tokenize('x ""'), ['x', '']);
    assert.deepEqual(tokenize(''), []);
  });
});

describe('CommandRegistry', () => {
  it('runs the longest word-prefix match, case-insensitively, with the rest as arguments', async () => {
    const registry = new CommandRegistry();
    const app = recording(registry, ['ari', 'show', 'app']);
    const apps = recording(registry, ['ari', 'show', 'apps']);
    const show = recording(registry, ['ari', 'show']);
    assert.equal((await run(registry, 'ARI Show App hello-world')).ok, true);
    assert.deepEqual(app[0]?.args, ['hello-world']);
    assert.equal(app[0]?.line, 'ARI Show App hello-world');
    await run(registry, 'ari show apps');
    assert.deepEqual(apps[0]?.args, []);
    await run(registry, 'ari show "two words" x');
    assert.deepEqual(show[0]?.args, ['two words', 'x']);
    assert.equal(registry.find(['ari', 'show', 'app', 'x'])?.command.display, 'ari show app');
    assert.equal(registry.find(['nope']), undefined);
  });

  it("reports unknown commands in Asterisk's words", async () => {
    const registry = new CommandRegistry();
    recording(registry, ['ari', 'show', 'app']);
    recording(registry, ['core', 'reload']);
    const help = (line: string, topic: string): string =>
      `No such command '${line}' (type 'core show help ${topic}' for other possible commands)\n`;
    assert.deepEqual(await run(registry, 'foo'), { text: help('foo', 'foo'), ok: false });
    assert.equal((await run(registry, '  foo bar ')).text, help('foo bar', 'foo bar'));
    assert.equal((await run(registry, 'ari show bogus')).text, help('ari show bogus', 'ari show'));
    assert.equal((await run(registry, 'core bogus x')).text, help('core bogus x', 'core bogus x'));
    assert.deepEqual(await run(registry, '   '), { text: '', ok: true });
  });

  it('prints usage for UsageError, the failure line for CommandFailure, and the message of any other error', async () => {
    const registry = new CommandRegistry();
    registry.register({
      words: ['x', 'usage'],
      usage: 'x usage <thing>\nx usage off',
      summary: 'Shows usage',
      description: 'First line.\nSecond line.',
      handler: () => {
        throw new UsageError();
      },
    });
    registry.register({ words: ['x', 'short'], usage: 'x short', summary: 'Short one', handler: () => { throw new UsageError(); } });
    registry.register({ words: ['x', 'fail'], usage: 'x fail', summary: 'Fails', handler: () => { throw new CommandFailure(); } });
    registry.register({ words: ['x', 'failmsg'], usage: 'x failmsg', summary: 'Fails', handler: () => { throw new CommandFailure('Unable to do it'); } });
    registry.register({ words: ['x', 'throw'], usage: 'x throw', summary: 'Throws', handler: async () => { throw new Error('kaput'); } });
    registry.register({ words: ['x', 'odd'], usage: 'x odd', summary: 'Throws a string', handler: () => { throw 'odd\n'; } });
    assert.deepEqual(await run(registry, 'x usage'), {
      text: 'Usage: x usage <thing>\n       x usage off\n       First line.\n       Second line.\n',
      ok: false,
    });
    assert.equal((await run(registry, 'x short')).text, 'Usage: x short\n       Short one\n');
    assert.equal((await run(registry, 'x fail')).text, "Command 'x fail' failed.\n");
    assert.equal((await run(registry, 'x failmsg')).text, "Unable to do it\nCommand 'x failmsg' failed.\n");
    assert.deepEqual(await run(registry, 'x throw'), { text: 'kaput\n', ok: false });
    assert.equal((await run(registry, 'x odd')).text, 'odd\n');
  });

  it('refuses duplicate and malformed registrations, and unregisters', async () => {
    const registry = new CommandRegistry();
    const off = registry.register({ words: ['a', 'b'], usage: 'a b', summary: 's', handler: () => undefined });
    assert.throws(() => registry.register({ words: ['A', 'B'], usage: 'a b', summary: 's', handler: () => undefined }), AriadneError);
    assert.throws(() => registry.register({ words: [], usage: '', summary: '', handler: () => undefined }), TypeError);
    assert.throws(() => registry.register({ words: ['a b'], usage: '', summary: '', handler: () => undefined }), TypeError);
    off();
    assert.equal((await run(registry, 'a b')).ok, false);
    registry.register({ words: ['a', 'b'], usage: 'a b', summary: 's', handler: () => undefined });
  });

  it('has core show help: the list, one command, a prefix, and unknown topics', async () => {
    const registry = new CommandRegistry();
    registry.register({ words: ['ari', 'show', 'status'], usage: 'ari show status', summary: 'Show the ARI settings', handler: () => undefined });
    registry.register({
      words: ['core', 'show', 'uptime'],
      display: 'core show uptime [seconds]',
      usage: 'core show uptime [seconds]',
      summary: 'Show uptime',
      handler: () => undefined,
    });
    const list = (await run(registry, 'core show help')).text;
    assert.equal(
      list,
      'ari show status                -- Show the ARI settings\n' +
        'core show help                 -- List commands, or explain one\n' +
        'core show uptime [seconds]     -- Show uptime\n',
    );
    assert.equal((await run(registry, 'core show help ari show status')).text, 'Usage: ari show status\n       Show the ARI settings\n');
    assert.equal((await run(registry, 'core show help core')).text, list.split('\n').slice(1).join('\n'));
    assert.equal((await run(registry, 'core show help nothing here')).text, "No such command 'nothing here'.\n");
    assert.equal(registry.usageOf(['ARI', 'show', 'status']), 'Usage: ari show status\n       Show the ARI settings\n');
    assert.equal(registry.commands().length, 3);
  });

  it('completes command words and command arguments', () => {
    const registry = new CommandRegistry();
    registry.register({ words: ['ari', 'show', 'app'], usage: '', summary: '', handler: () => undefined, complete: (args) => (args.length === 0 ? ['hello-world', 'other'] : []) });
    registry.register({ words: ['ari', 'show', 'apps'], usage: '', summary: '', handler: () => undefined });
    registry.register({ words: ['ari', 'set', 'debug'], usage: '', summary: '', handler: () => undefined, complete: () => { throw new Error('broken'); } });
    assert.deepEqual(registry.complete(''), ['ari', 'core']);
    assert.deepEqual(registry.complete('a'), ['ari']);
    assert.deepEqual(registry.complete('ari '), ['set', 'show']);
    assert.deepEqual(registry.complete('ari show ap'), ['app', 'apps']);
    assert.deepEqual(registry.complete('ari show app '), ['hello-world', 'other']);
    assert.deepEqual(registry.complete('ari show app h'), ['hello-world']);
    assert.deepEqual(registry.complete('ari set debug '), []);
    assert.deepEqual(registry.complete('core show help ari sh'), ['show']);
  });
});
