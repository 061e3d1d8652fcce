/**
 * Serves our api-docs (`src/ari/spec/*.json`) at `/ari/api-docs/resources.json` and
 * `/ari/api-docs/{resource}.json`, with `basePath` rebuilt from the request's Host so that clients such as
 * `ari-client` call back the address they reached us on (https on the TLS listener).
 */

import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../shared/paths.ts';

/** The spec files are data, not code: they are read from the source tree also when running compiled code. */
export const SPEC_DIR = path.join(PROJECT_ROOT, 'src', 'ari', 'spec');

type Json = Record<string, unknown>;

export class ApiDocs {
  readonly #docs = new Map<string, Json>();

  constructor(dir: string = SPEC_DIR) {
    for (const file of fs.readdirSync(dir)) {
      if (!file.endsWith('.json')) continue;
      this.#docs.set(file.slice(0, -5), JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Json);
    }
    if (!this.#docs.has('resources')) throw new Error(`no resources.json in ${dir}`);
  }

  /** Resource names listed by resources.json, in order. */
  resourceNames(): string[] {
    return [...this.#docs.keys()].filter((n) => n !== 'resources');
  }

  /**
   * The document for `name` (`resources` or a resource) with basePath pointing at `baseUrl`
   * (e.g. `http://127.0.0.1:8088/ari`), or undefined for an unknown name.
   */
  get(name: string, baseUrl: string): Json | undefined {
    // Only plain names: `../x`, `a/b` and friends never reach the file system anyway, but say no early.
    if (!/^[A-Za-z]+$/.test(name)) return undefined;
    const doc = this.#docs.get(name);
    if (!doc) return undefined;
    return { ...doc, basePath: baseUrl };
  }
}
