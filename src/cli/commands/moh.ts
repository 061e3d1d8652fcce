/**
 * `moh show classes`, `moh show files` and `moh reload`: the music on hold classes from the console, in
 * res_musiconhold's layout (`Class:` lines, details indented by a tab; files named without extension; classes
 * without files left out of `moh show files`).
 */

import type { MohClass } from '../../config/musiconhold.ts';
import type { CommandRegistry } from '../registry.ts';
import { UsageError } from '../registry.ts';

export interface MohCommandDeps {
  readonly classes: () => readonly MohClass[];
  readonly reload: () => void;
}

/** `moh show classes`: each class with its mode and directory (and format, which only non-file modes show). */
export function formatMohClasses(classes: readonly MohClass[]): string {
  let out = '';
  for (const c of classes) {
    out += `Class: ${c.name}\n\tMode: ${c.mode || '<none>'}\n\tDirectory: ${c.directory || '<none>'}\n`;
    if (c.mode !== 'files') out += '\tFormat: slin\n';
  }
  return out;
}

/** `moh show files`: the files of every class that has some. */
export function formatMohFiles(classes: readonly MohClass[]): string {
  let out = '';
  for (const c of classes) {
    if (c.files.length === 0) continue;
    out += `Class: ${c.name}\n`;
    for (const f of c.files) out += `\tFile: ${f.name}\n`;
  }
  return out;
}

export function registerMohCommands(registry: CommandRegistry, deps: MohCommandDeps): () => void {
  const removers = [
    registry.register({
      words: ['moh', 'show', 'classes'],
      usage: 'moh show classes',
      summary: 'List MusicOnHold classes',
      description: 'Lists all MusicOnHold classes.',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        write(formatMohClasses(deps.classes()));
      },
    }),
    registry.register({
      words: ['moh', 'show', 'files'],
      usage: 'moh show files',
      summary: 'List MusicOnHold file-based classes',
      description: 'Lists all loaded file-based MusicOnHold classes and their files.',
      handler: ({ args, write }) => {
        if (args.length !== 0) throw new UsageError();
        write(formatMohFiles(deps.classes()));
      },
    }),
    registry.register({
      words: ['moh', 'reload'],
      usage: 'moh reload',
      summary: 'Reloads the MusicOnHold module',
      description: "Reloads musiconhold.conf (an alias for 'module reload res_musiconhold.so'); music already playing goes on with the files it has.",
      handler: ({ args }) => {
        if (args.length !== 0) throw new UsageError();
        deps.reload();
      },
    }),
  ];
  return () => {
    for (const remove of removers) remove();
  };
}
