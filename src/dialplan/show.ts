/**
 * `dialplan show [[exten@]context]` and `dialplan reload` for the console.
 *
 * The layout is Asterisk's (facts read from its pbx, the text is ours): a `[ Context 'x' created by
 * 'pbx_config' ]` header per context, one line per priority with the extension name in a 17-column field,
 * the step in a 45-column field and `[file:line]` after it, `Include =>` and `Ignore pattern =>` lines, a
 * blank line after each context and a `-= N extensions (M priorities) in K contexts. =-` summary. A hint
 * counts as a priority and is printed first (`hint: PJSIP/alice`); only continuation lines show their
 * `[label]`. Contexts are listed newest first, the way Asterisk's context list is built when
 * extensions.conf loads. With `exten@context`, only matching extensions are shown and the includes are
 * searched (each included context printed under an `Included context` header inside its includer);
 * with `exten@`, every context is searched.
 */

import * as path from 'node:path';
import { CommandFailure, UsageError } from '../cli/registry.ts';
import type { CommandRegistry } from '../cli/registry.ts';
import { DIALPLAN_REGISTRAR } from './model.ts';
import type { Dialplan, DialplanContext, DialplanExtension } from './model.ts';
import { MAX_INCLUDE_DEPTH } from './lookup.ts';
import { matches } from './patterns.ts';

export interface DialplanShowResult {
  readonly text: string;
  /** False when the context or extension asked for does not exist (the console then reports failure). */
  readonly ok: boolean;
}

interface Counters {
  extensions: number;
  priorities: number;
  contexts: number;
  contextFound: boolean;
  extensionFound: boolean;
}

/**
 * The output of `dialplan show`, `dialplan show <context>` or `dialplan show <exten>@[context]`.
 */
export function showDialplan(dialplan: Dialplan, target?: string): DialplanShowResult {
  let context: string | undefined;
  let exten: string | undefined;
  if (target !== undefined) {
    const at = target.indexOf('@');
    if (at >= 0) {
      exten = target.slice(0, at) || undefined;
      context = target.slice(at + 1) || undefined;
    } else {
      context = target || undefined;
    }
  }
  const out: string[] = [];
  const counters: Counters = { extensions: 0, priorities: 0, contexts: 0, contextFound: false, extensionFound: false };
  showContexts(dialplan, out, context, exten, counters, false, []);

  if (context !== undefined && !counters.contextFound) {
    return { text: `There is no existence of '${context}' context\n`, ok: false };
  }
  if (exten !== undefined && !counters.extensionFound) {
    const text = context !== undefined
      ? `There is no existence of ${exten}@${context} extension\n`
      : `There is no existence of '${exten}' extension in all contexts\n`;
    return { text: out.join('') + text, ok: false };
  }
  const { extensions: e, priorities: p, contexts: c } = counters;
  out.push(
    `-= ${e} ${e === 1 ? 'extension' : 'extensions'} (${p} ${p === 1 ? 'priority' : 'priorities'}) ` +
      `in ${c} ${c === 1 ? 'context' : 'contexts'}. =-\n`,
  );
  return { text: out.join(''), ok: true };
}

/** `dialplan show` as text; `context` limits it to one context (an unknown one gives Asterisk's message). */
export function formatDialplanShow(dialplan: Dialplan, context?: string): string {
  return showDialplan(dialplan, context).text;
}

function showContexts(
  dialplan: Dialplan,
  out: string[],
  context: string | undefined,
  exten: string | undefined,
  counters: Counters,
  included: boolean,
  stack: string[],
): void {
  const all = [...dialplan.contexts.values()].reverse();
  for (const c of all) {
    if (context !== undefined && c.name !== context) continue;
    counters.contextFound = true;
    let headed = false;
    const header = (): void => {
      counters.contexts++;
      out.push(`[ ${included ? 'Included context' : 'Context'} '${c.name}' created by '${DIALPLAN_REGISTRAR}' ]\n`);
      if (!included && c.autohints) out.push('Autohints support enabled\n');
      headed = true;
    };
    if (exten === undefined) header();

    for (const extension of c.extensions) {
      if (exten !== undefined && !matches(extension.name, exten)) continue;
      counters.extensionFound = true;
      if (!headed) header();
      const rows = extensionRows(extension);
      counters.extensions++;
      counters.priorities += rows.length;
      rows.forEach((row, i) => {
        const first = i === 0;
        const name = first
          ? extension.cidMatch === undefined
            ? `'${extension.name}' =>`
            : `'${extension.name}' (CID match '${extension.cidMatch}') => `
          : row.label === undefined
            ? ''
            : `   [${row.label}]`;
        out.push(`  ${name.padEnd(17)} ${row.text.padEnd(45)} [${path.basename(row.file)}:${row.line}]\n`);
      });
    }

    for (const include of c.includes) {
      const name = include.timeSpec === undefined ? include.context : `${include.context},${include.timeSpec}`;
      if (exten === undefined) {
        out.push(`  Include =>        ${`'${name}'`.padEnd(45)} [${DIALPLAN_REGISTRAR}]\n`);
      } else if (context !== undefined) {
        // Unlike Asterisk, the context the search started in counts as visited, so a context that
        // includes its includer is not listed twice; and with no context named, every context is listed
        // on its own anyway, so includes are not followed (Asterisk would count them twice).
        const chain = stack.length === 0 ? [c.name] : stack;
        const seen = chain.some((s) => s.toLowerCase() === include.context.toLowerCase());
        if (!seen && chain.length < MAX_INCLUDE_DEPTH) {
          showContexts(dialplan, out, include.context, exten, counters, true, [...chain, include.context]);
        }
      }
    }

    for (const pattern of c.ignorePatterns) {
      if (exten === undefined || matches(`_${pattern}.`, exten)) {
        out.push(`  Ignore pattern => ${`'${pattern}'`.padEnd(45)} [${DIALPLAN_REGISTRAR}]\n`);
      }
    }
    if (headed) out.push('\n');
  }
}

interface Row {
  readonly text: string;
  readonly label: string | undefined;
  readonly file: string;
  readonly line: number;
}

function extensionRows(extension: DialplanExtension): Row[] {
  const rows: Row[] = [];
  if (extension.hint !== undefined) {
    const presence = extension.hintPresence === undefined ? '' : `,${extension.hintPresence}`;
    rows.push({
      text: `hint: ${extension.hint}${presence}`,
      label: undefined,
      file: extension.hintSource?.file ?? extension.file,
      line: extension.hintSource?.line ?? extension.line,
    });
  }
  for (const p of extension.priorities.values()) {
    rows.push({ text: `${p.priority}. ${p.app}(${p.appData})`, label: p.label, file: p.file, line: p.line });
  }
  return rows;
}

/** Where the console's dialplan commands get the current dialplan, and how they reload it. */
export interface DialplanCommandSource {
  dialplan(): Dialplan;
  /** Reloads extensions.conf; resolves to the text to print (e.g. `Dialplan reloaded.`). */
  reload(): Promise<string>;
}

/** Registers `dialplan show [[exten@]context]` and `dialplan reload`. Returns a function that removes both. */
export function registerDialplanCommands(registry: CommandRegistry, source: DialplanCommandSource): () => void {
  const removeShow = registry.register({
    words: ['dialplan', 'show'],
    usage: 'dialplan show [[exten@]context]',
    summary: 'Show dialplan',
    handler: ({ args, write }) => {
      if (args.length > 1) throw new UsageError();
      const result = showDialplan(source.dialplan(), args[0]);
      write(result.text);
      if (!result.ok) throw new CommandFailure();
    },
    complete: (args, word) => {
      if (args.length > 0) return [];
      const at = word.indexOf('@');
      const prefix = at < 0 ? '' : word.slice(0, at + 1);
      return contextNames(source.dialplan()).map((name) => prefix + name);
    },
  });
  const removeReload = registry.register({
    words: ['dialplan', 'reload'],
    usage: 'dialplan reload',
    summary: 'Reload extensions and *only* extensions',
    description:
      'Reloads extensions.conf without touching any other configuration.\n' +
      'Global variables are kept unless clearglobalvars is set in [general].',
    handler: async ({ args, write }) => {
      if (args.length > 0) throw new UsageError();
      let text: string;
      try {
        text = await source.reload();
      } catch (error) {
        throw new CommandFailure(error instanceof Error ? error.message : String(error));
      }
      if (text !== '') write(text.endsWith('\n') ? text : `${text}\n`);
    },
  });
  return () => {
    removeShow();
    removeReload();
  };
}

function contextNames(dialplan: Dialplan): string[] {
  return [...dialplan.contexts.values()].map((c: DialplanContext) => c.name);
}
