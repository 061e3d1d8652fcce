/**
 * Push configuration for res_pjsip: objects created at run time through ARI
 * (`PUT /asterisk/config/dynamic/res_pjsip/{type}/{id}`) living beside those of pjsip.conf, as Asterisk's
 * sorcery keeps a `memory` wizard after the `config` one.
 *
 * - The configuration in effect is pjsip.conf plus the pushed objects. A file object shadows a pushed one of
 *   the same type and id (sorcery asks the config wizard first), and the pushed one comes back if the file
 *   drops it on a reload.
 * - Objects from the file are read-only here: updating one is refused (403 `Cannot update sorcery objects of
 *   type 'endpoint'`) and so is deleting one (403 `Could not delete object with id 'alice'`), as Asterisk's
 *   config wizard can do neither.
 * - A pushed object is read by `readPjsipObject` from its fields, so it is checked exactly like a pjsip.conf
 *   section; any error, or an option the type does not have, refuses the whole request (400) and nothing
 *   changes. An update applies its fields over the object's earlier ones.
 * - Only the types that make sense at run time are accepted: endpoint, aor, auth, identify, registration and
 *   domain_alias. Transports need a socket and global/system are singletons: creating those is refused (403).
 *
 * Every accepted change hands the merged configuration to `apply` (the stack, the endpoint state tracker).
 */

import type { ConfEntry } from '../config/parser.ts';
import { DiagnosticList } from '../config/options.ts';
import { FrozenMap } from '../config/freeze.ts';
import { PJSIP_OBJECT_TYPES, readPjsipObject, type PjsipConfig, type PjsipObject, type PjsipObjectType } from '../config/pjsip.ts';

/** Types whose objects can be created at run time. */
const PUSHABLE: ReadonlySet<PjsipObjectType> = new Set(['endpoint', 'aor', 'auth', 'identify', 'registration', 'domain_alias']);

export interface PushField {
  readonly attribute: string;
  readonly value: string;
}

export type PushResult = { readonly ok: true; readonly object: PjsipObject } | { readonly ok: false; readonly status: 400 | 403 | 404; readonly message: string };

type MapType = Exclude<PjsipObjectType, 'global' | 'system'>;

interface Pushed {
  readonly entries: readonly ConfEntry[];
  readonly object: PjsipObject;
}

export function isPjsipObjectType(type: string): type is PjsipObjectType {
  return (PJSIP_OBJECT_TYPES as readonly string[]).includes(type);
}

export class PjsipPushConfig {
  #file: PjsipConfig;
  #merged: PjsipConfig;
  readonly #pushed = new Map<PjsipObjectType, Map<string, Pushed>>();
  readonly #apply: (config: PjsipConfig) => void;
  readonly #etcDir: string;

  constructor(options: { readonly file: PjsipConfig; readonly etcDir: string; readonly apply?: (config: PjsipConfig) => void }) {
    this.#file = options.file;
    this.#merged = options.file;
    this.#etcDir = options.etcDir;
    this.#apply = options.apply ?? (() => {});
  }

  /** The configuration in effect: pjsip.conf plus the pushed objects. */
  get config(): PjsipConfig {
    return this.#merged;
  }

  /** A reloaded pjsip.conf; returns the merged configuration (the caller applies it, as on any reload). */
  setFile(file: PjsipConfig): PjsipConfig {
    this.#file = file;
    this.#merged = this.#merge();
    return this.#merged;
  }

  /** The object in effect, and whether it was pushed (false: from pjsip.conf). */
  get(type: PjsipObjectType, id: string): { readonly object: PjsipObject; readonly pushed: boolean } | undefined {
    const fromFile = fileObject(this.#file, type, id);
    if (fromFile !== undefined) return { object: fromFile, pushed: false };
    const pushed = this.#pushed.get(type)?.get(id);
    return pushed === undefined ? undefined : { object: pushed.object, pushed: true };
  }

  /** Creates or updates a pushed object; `fields` undefined is allowed only for a creation. */
  put(type: PjsipObjectType, id: string, fields: readonly PushField[] | undefined): PushResult {
    const existing = this.get(type, id);
    if (existing !== undefined && !existing.pushed) return { ok: false, status: 403, message: `Cannot update sorcery objects of type '${type}'` };
    if (existing === undefined && !PUSHABLE.has(type)) return { ok: false, status: 403, message: `Cannot create sorcery objects of type '${type}'` };
    if (existing !== undefined && fields === undefined) return { ok: false, status: 400, message: `Fields must be provided to update object '${id}'` };
    const at = { file: 'ARI push configuration', line: 0 };
    const added: ConfEntry[] = (fields ?? []).map((f) => ({ key: f.attribute, value: f.value, op: '=', file: at.file, line: 0, inherited: false }));
    const entries = [...(this.#pushed.get(type)?.get(id)?.entries ?? []), ...added];
    const diagnostics = new DiagnosticList();
    const object = readPjsipObject(type, id, entries, at, { diagnostics, etcDir: this.#etcDir });
    // Unsupported-but-known options only warn (they are accepted, as Asterisk accepts them); unknown
    // options and bad values refuse the request.
    const problem = diagnostics.toArray().find((d) => d.level === 'error' || d.message.startsWith('unknown option'));
    if (object === undefined || problem !== undefined) {
      const reason = problem?.message ?? diagnostics.toArray()[0]?.message;
      return {
        ok: false,
        status: 400,
        message: `${existing === undefined ? 'Creation' : 'Update'} of object '${id}' failed field value validation${reason === undefined ? '' : `: ${reason}`}`,
      };
    }
    let map = this.#pushed.get(type);
    if (map === undefined) this.#pushed.set(type, (map = new Map()));
    map.set(id, { entries, object });
    this.#changed();
    return { ok: true, object };
  }

  /** Deletes a pushed object. */
  delete(type: PjsipObjectType, id: string): PushResult {
    const existing = this.get(type, id);
    if (existing === undefined) return { ok: false, status: 404, message: `Object with id '${id}' not found` };
    if (!existing.pushed) return { ok: false, status: 403, message: `Could not delete object with id '${id}'` };
    this.#pushed.get(type)?.delete(id);
    this.#changed();
    return { ok: true, object: existing.object };
  }

  #changed(): void {
    this.#merged = this.#merge();
    this.#apply(this.#merged);
  }

  #merge(): PjsipConfig {
    const file = this.#file;
    const out: Record<string, unknown> = { ...file };
    for (const [type, pushed] of this.#pushed) {
      if (type === 'global' || type === 'system' || pushed.size === 0) continue;
      const base = file[type as MapType] as ReadonlyMap<string, PjsipObject>;
      const map = new Map<string, PjsipObject>(base);
      for (const [id, p] of pushed) if (!map.has(id)) map.set(id, p.object);
      out[type] = new FrozenMap(map);
    }
    return out as unknown as PjsipConfig;
  }
}

function fileObject(config: PjsipConfig, type: PjsipObjectType, id: string): PjsipObject | undefined {
  if (type === 'global' || type === 'system') return id === type ? config[type] : undefined;
  return (config[type] as ReadonlyMap<string, PjsipObject>).get(id);
}
