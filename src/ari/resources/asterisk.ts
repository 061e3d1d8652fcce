/**
 * `/asterisk`: system information, ping, global variables, the module table and the logger's channels.
 * Dynamic configuration (`/asterisk/config/dynamic/...`) belongs to the PJSIP work and is not handled here.
 */

import { ariTimestamp } from '../../shared/time.ts';
import type { HandlerMap } from '../dispatcher.ts';
import { AriError } from '../errors.ts';

export interface ModuleView {
  readonly name: string;
  readonly description: string;
  readonly use_count: number;
  readonly status: string;
  readonly support_level: string;
}

export interface LogChannelView {
  readonly channel: string;
  readonly type: string;
  readonly status: string;
  readonly configuration: string;
}

/** What `/asterisk` needs from the rest of the server. */
export interface AsteriskResourceDeps {
  asteriskId(): string;
  info(): {
    build: Record<string, unknown>;
    system: Record<string, unknown>;
    config: Record<string, unknown>;
    status: Record<string, unknown>;
  };
  readonly globals: { get(name: string): string | undefined; set(name: string, value: string): void };
  readonly modules: {
    list(): ModuleView[];
    get(name: string): ModuleView | undefined;
    load(name: string): Promise<void> | void;
    unload(name: string): Promise<void> | void;
    reload(name: string): Promise<void> | void;
  };
  readonly logging: {
    list(): LogChannelView[];
    add(name: string, configuration: string): void;
    /** Deleting and rotating finish asynchronously (files close and reopen); the answer waits for them. */
    remove(name: string): Promise<void> | void;
    rotate(name: string): Promise<void> | void;
  };
}

const INFO_PARTS = ['build', 'system', 'config', 'status'] as const;

export function asteriskHandlers(deps: AsteriskResourceDeps): HandlerMap {
  return {
    'asterisk.getInfo': {
      handle: ({ params }) => {
        const info = deps.info();
        const only = params.list('only');
        const body: Record<string, unknown> = {};
        for (const part of INFO_PARTS) if (only.length === 0 || only.includes(part)) body[part] = info[part];
        return { status: 200, body };
      },
    },
    'asterisk.ping': {
      handle: () => ({ status: 200, body: { ping: 'pong', timestamp: ariTimestamp(), asterisk_id: deps.asteriskId() } }),
    },
    'asterisk.getGlobalVar': {
      messages: { missing: { variable: 'Variable name is required' } },
      handle: ({ params }) => {
        const name = params.string('variable') ?? '';
        if (!name) throw new AriError(400, 'Variable name is required');
        return { status: 200, body: { value: deps.globals.get(name) ?? '' } };
      },
    },
    'asterisk.setGlobalVar': {
      messages: { missing: { variable: 'Variable name is required' } },
      handle: ({ params }) => {
        const name = params.string('variable') ?? '';
        if (!name) throw new AriError(400, 'Variable name is required');
        deps.globals.set(name, params.string('value') ?? '');
        return { status: 204 };
      },
    },
    'asterisk.listModules': {
      handle: () => ({ status: 200, body: deps.modules.list() }),
    },
    'asterisk.getModule': {
      handle: ({ params }) => {
        const m = deps.modules.get(params.string('moduleName') ?? '');
        if (!m) throw new AriError(404, 'Module could not be found in running modules');
        return { status: 200, body: m };
      },
    },
    'asterisk.loadModule': {
      handle: async ({ params }) => {
        await deps.modules.load(params.string('moduleName') ?? '');
        return { status: 204 };
      },
    },
    'asterisk.unloadModule': {
      handle: async ({ params }) => {
        await deps.modules.unload(params.string('moduleName') ?? '');
        return { status: 204 };
      },
    },
    'asterisk.reloadModule': {
      handle: async ({ params }) => {
        await deps.modules.reload(params.string('moduleName') ?? '');
        return { status: 204 };
      },
    },
    'asterisk.listLogChannels': {
      handle: () => ({ status: 200, body: deps.logging.list() }),
    },
    'asterisk.addLog': {
      handle: ({ params }) => {
        const configuration = params.string('configuration') ?? '';
        if (!configuration.trim()) throw new AriError(400, 'Log channel configuration is empty');
        deps.logging.add(params.string('logChannelName') ?? '', configuration);
        return { status: 204 };
      },
    },
    'asterisk.deleteLog': {
      handle: async ({ params }) => {
        await deps.logging.remove(params.string('logChannelName') ?? '');
        return { status: 204 };
      },
    },
    'asterisk.rotateLog': {
      handle: async ({ params }) => {
        await deps.logging.rotate(params.string('logChannelName') ?? '');
        return { status: 204 };
      },
    },
  };
}
