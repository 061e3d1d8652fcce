import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AriadneError, errorCodes } from '../shared/errors.ts';
import { ModuleRegistry, normalizeModuleName, reloadOutcomeError } from './modules.ts';

function isError(code: string, message: string) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof AriadneError);
    assert.equal(error.code, code);
    assert.equal(error.message, message);
    return true;
  };
}

describe('ModuleRegistry', () => {
  it('lists modules sorted by name in the ARI Module shape', () => {
    const modules = new ModuleRegistry();
    modules.register({ name: 'res_stasis.so', description: 'Stasis application support', supportLevel: 'core', running: true, useCount: () => 20 });
    modules.register({ name: 'res_ari', description: 'Asterisk RESTful Interface', supportLevel: 'core', running: true, useCount: () => 12 });
    modules.register({ name: 'app_stasis_broadcast.so', description: 'Stasis application broadcast', supportLevel: 'extended' });
    assert.deepEqual(modules.list(), [
      { name: 'app_stasis_broadcast.so', description: 'Stasis application broadcast', use_count: 0, status: 'Not Running', support_level: 'extended' },
      { name: 'res_ari.so', description: 'Asterisk RESTful Interface', use_count: 12, status: 'Running', support_level: 'core' },
      { name: 'res_stasis.so', description: 'Stasis application support', use_count: 20, status: 'Running', support_level: 'core' },
    ]);
    assert.deepEqual(modules.get('res_ari.so'), modules.get('res_ari'));
    assert.equal(modules.get('nope.so'), undefined);
    assert.equal(modules.isRunning('res_ari'), true);
    assert.equal(modules.isRunning('app_stasis_broadcast'), false);
    assert.equal(normalizeModuleName(' x '), 'x.so');
  });

  it('refuses duplicate and empty names, and unregisters', () => {
    const modules = new ModuleRegistry();
    const off = modules.register({ name: 'a.so', description: 'A', supportLevel: 'core' });
    assert.throws(() => modules.register({ name: 'a', description: 'A again', supportLevel: 'core' }), (e: unknown) => {
      assert.ok(e instanceof AriadneError);
      assert.equal(e.code, errorCodes.ERR_CONFLICT);
      return true;
    });
    assert.throws(() => modules.register({ name: '', description: '', supportLevel: 'core' }), TypeError);
    off();
    assert.equal(modules.has('a'), false);
  });

  it('loads and unloads through the hooks, with ARI error phrases', async () => {
    const calls: string[] = [];
    const modules = new ModuleRegistry();
    modules.register({
      name: 'res_x.so',
      description: 'X',
      supportLevel: 'core',
      load: () => void calls.push('load'),
      unload: async () => void calls.push('unload'),
    });
    await assert.rejects(modules.load('res_missing'), isError(errorCodes.ERR_NOT_FOUND, 'Module could not be found'));
    await assert.rejects(modules.unload('res_x'), isError(errorCodes.ERR_NOT_FOUND, 'Module not found in running modules'));
    const info = await modules.load('res_x');
    assert.equal(info.status, 'Running');
    await assert.rejects(modules.load('res_x.so'), isError(errorCodes.ERR_CONFLICT, 'Module is already loaded'));
    assert.equal((await modules.unload('res_x')).status, 'Not Running');
    assert.deepEqual(calls, ['load', 'unload']);
    await assert.rejects(modules.unload('res_nope'), isError(errorCodes.ERR_NOT_FOUND, 'Module not found in running modules'));
  });

  it('keeps state when a hook fails and refuses to unload a module in use unless forced', async () => {
    let users = 2;
    const modules = new ModuleRegistry();
    modules.register({
      name: 'bad.so',
      description: 'fails to load',
      supportLevel: 'extended',
      load: () => {
        throw new Error('boom');
      },
    });
    modules.register({ name: 'busy.so', description: 'in use', supportLevel: 'core', running: true, useCount: () => users });
    await assert.rejects(modules.load('bad'), (e: unknown) => {
      assert.ok(e instanceof AriadneError);
      assert.equal(e.message, 'Module could not be loaded properly');
      assert.equal((e.cause as Error).message, 'boom');
      return true;
    });
    assert.equal(modules.isRunning('bad'), false);
    await assert.rejects(modules.unload('busy'), isError(errorCodes.ERR_CONFLICT, 'Module could not be unloaded'));
    assert.equal(modules.isRunning('busy'), true);
    assert.equal((await modules.unload('busy', { force: true })).status, 'Not Running');
    users = 0;
    await modules.load('busy');
    await modules.unload('busy');
  });

  it('reloads one module or all running ones, reporting each outcome', async () => {
    const reloaded: string[] = [];
    const modules = new ModuleRegistry();
    modules.register({ name: 'b.so', description: 'B', supportLevel: 'core', running: true, reload: () => void reloaded.push('b') });
    modules.register({ name: 'a.so', description: 'A', supportLevel: 'core', running: true, reload: async () => void reloaded.push('a') });
    modules.register({ name: 'c.so', description: 'C', supportLevel: 'core', running: true });
    modules.register({ name: 'd.so', description: 'D', supportLevel: 'core', reload: () => void reloaded.push('d') });
    modules.register({
      name: 'e.so',
      description: 'E',
      supportLevel: 'core',
      running: true,
      reload: () => {
        throw new Error('bad config');
      },
    });
    assert.deepEqual(await modules.reload(), [
      { name: 'a.so', result: 'success' },
      { name: 'b.so', result: 'success' },
      { name: 'e.so', result: 'error', error: 'bad config' },
    ]);
    assert.deepEqual(reloaded, ['a', 'b']);
    assert.deepEqual(await modules.reload('c'), [{ name: 'c.so', result: 'not-implemented' }]);
    assert.deepEqual(await modules.reload('d'), [{ name: 'd.so', result: 'not-running' }]);
    assert.deepEqual(await modules.reload('zz'), [{ name: 'zz.so', result: 'not-found' }]);
    await modules.reloadOne('a');
    await assert.rejects(modules.reloadOne('zz'), isError(errorCodes.ERR_NOT_FOUND, 'Module could not be found'));
    await assert.rejects(modules.reloadOne('c'), isError(errorCodes.ERR_CONFLICT, 'Module does not support reloading'));
    await assert.rejects(modules.reloadOne('d'), isError(errorCodes.ERR_CONFLICT, 'Module has not been initialized'));
    await assert.rejects(
      modules.reloadOne('e'),
      isError(errorCodes.ERR_CONFLICT, 'An unknown error occurred while reloading the module'),
    );
    assert.equal(reloadOutcomeError({ name: 'x.so', result: 'not-found' }).code, errorCodes.ERR_NOT_FOUND);
  });

  it('runs operations one at a time and loadAll reports failures', async () => {
    const events: string[] = [];
    const modules = new ModuleRegistry();
    const slow = (tag: string) => async () => {
      events.push(`${tag}:start`);
      await new Promise((r) => setTimeout(r, 20));
      events.push(`${tag}:end`);
    };
    modules.register({ name: 'a.so', description: 'A', supportLevel: 'core', load: slow('load'), reload: slow('reload') });
    modules.register({
      name: 'b.so',
      description: 'B',
      supportLevel: 'core',
      load: () => {
        throw new Error('no');
      },
    });
    const failedP = modules.loadAll();
    const reloadP = modules.reload('a');
    const failed = await failedP;
    assert.deepEqual(await reloadP, [{ name: 'a.so', result: 'success' }]);
    assert.deepEqual(events, ['load:start', 'load:end', 'reload:start', 'reload:end']);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.name, 'b.so');
    assert.equal(modules.isRunning('a'), true);
  });
});
