/**
 * Writes docs/sdk-reference.md, the SDK's reference, from its TSDoc (`--check`: exit 1 when the file is stale).
 *
 * The public API is what `client/index.ts` exports. Each hand-written export (from `client/src/*.ts`) gets its
 * signature, its TSDoc text and its `@example` blocks; classes and interfaces list their public members the same
 * way. The generated part (`client/generated/`) is summarised: one table row per resource operation (the
 * summary line of its TSDoc and how it is sent), per event and per model. Everything is read with the
 * TypeScript compiler API from the source files, so the output depends on them only.
 */

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { operationTable } from '../client/generated/api.ts';
import { eventTypes } from '../client/generated/models.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REFERENCE_FILE = path.join(ROOT, 'docs', 'sdk-reference.md');
const CLIENT = path.join(ROOT, 'client');

// ---------------------------------------------------------------------------------------------------------------
// TSDoc

interface Doc {
  /** The text before the first tag, as written (markdown). */
  readonly text: string;
  /** The bodies of `@example` tags. */
  readonly examples: readonly string[];
  /** Other tags, as `@name rest`. */
  readonly tags: readonly string[];
}

const NO_DOC: Doc = { text: '', examples: [], tags: [] };

/** Splits one `/** … *\/` comment into text, examples and other tags, keeping the examples' indentation. */
function parseComment(raw: string): Doc {
  const lines = raw
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
  const text: string[] = [];
  const examples: string[][] = [];
  const tags: string[][] = [];
  let current = text;
  for (const line of lines) {
    const tag = /^@(\w+)\s*(.*)$/.exec(line);
    if (!tag) {
      current.push(line);
      continue;
    }
    current = [];
    if (tag[1] === 'example') {
      examples.push(current);
      if (tag[2]) current.push(tag[2]);
    } else {
      tags.push(current);
      current.push(`@${tag[1]}${tag[2] ? ` ${tag[2]}` : ''}`);
    }
  }
  const join = (block: readonly string[]) => block.join('\n').trim();
  return { text: join(text), examples: examples.map(join), tags: tags.map(join) };
}

/** The TSDoc right before `node` (the last one when there are several). */
function docOf(node: ts.Node): Doc {
  const jsdocs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = jsdocs[jsdocs.length - 1];
  return last ? parseComment(last.getText()) : NO_DOC;
}

/** The doc comment a file starts with. */
function moduleDoc(sf: ts.SourceFile): Doc {
  const first = ts.getLeadingCommentRanges(sf.text, 0)?.[0];
  if (!first) return NO_DOC;
  const raw = sf.text.slice(first.pos, first.end);
  return raw.startsWith('/**') ? parseComment(raw) : NO_DOC;
}

/** The first paragraph of a doc text, on one line. */
function summary(doc: Doc): string {
  return (doc.text.split(/\n\s*\n/)[0] ?? '').replace(/\s*\n\s*/g, ' ').trim();
}

function renderDoc(doc: Doc, out: string[]): void {
  if (doc.text) out.push(doc.text, '');
  for (const tag of doc.tags) out.push(`*${tag.replace(/^@(\w+)/, '$1:')}*`, '');
  for (const example of doc.examples) out.push('```ts', example, '```', '');
}

// ---------------------------------------------------------------------------------------------------------------
// Signatures

/** A declaration's source text without its doc comment, body or initializer, whitespace collapsed. */
function signature(node: ts.Node, sf: ts.SourceFile): string {
  let end = node.getEnd();
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isConstructorDeclaration(node)) && node.body) {
    end = node.body.getStart(sf);
  } else if ((ts.isPropertyDeclaration(node) || ts.isVariableDeclaration(node)) && node.initializer) {
    end = node.initializer.getStart(sf);
  }
  return sf.text
    .slice(node.getStart(sf), end)
    .replace(/\s*=\s*$/, '')
    .replace(/\s*\n\s*/g, ' ')
    .replace(/;$/, '')
    .replace(/^(export )?(async )?/, '')
    .trim();
}

/** A type declaration printed without comments (interfaces and type aliases, as a reader wants to see them). */
function printed(node: ts.Node, sf: ts.SourceFile): string {
  const printer = ts.createPrinter({ removeComments: true });
  return printer.printNode(ts.EmitHint.Unspecified, node, sf).replace(/^export /, '').replace(/ {4}/g, '  ');
}

function isPublicMember(member: ts.ClassElement | ts.TypeElement): boolean {
  if (member.name && ts.isPrivateIdentifier(member.name)) return false;
  const flags = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
  return !flags.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword);
}

const memberName = (m: ts.ClassElement | ts.TypeElement, sf: ts.SourceFile): string =>
  ts.isConstructorDeclaration(m) ? 'constructor' : m.name ? m.name.getText(sf) : '';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/**
 * The public members of a class or interface: properties in a table, methods (and accessors, constructors) each
 * with its signatures — all overloads, not the implementation — its text and examples.
 */
function renderMembers(members: readonly (ts.ClassElement | ts.TypeElement)[], sf: ts.SourceFile, owner: { readonly name: string; readonly instance: string; readonly shown: boolean }, out: string[]): void {
  const props: string[] = [];
  const methods = new Map<string, (ts.ClassElement | ts.TypeElement)[]>();
  for (const m of members) {
    if (!isPublicMember(m) || ts.isIndexSignatureDeclaration(m) || ts.isClassStaticBlockDeclaration(m)) continue;
    const name = memberName(m, sf);
    if (ts.isPropertyDeclaration(m) || ts.isPropertySignature(m)) {
      const doc = docOf(m);
      const text = `${cell(doc.text)}${doc.examples.map((e) => ` Example: \`${cell(e)}\``).join('')}`;
      // An interface's shape is printed above it: only what its members' TSDoc adds is listed.
      if (owner.shown) {
        if (text) props.push(`| \`${name}\` | ${text} |`);
        continue;
      }
      const type = m.type ? m.type.getText(sf) : ts.isPropertyDeclaration(m) && m.initializer ? m.initializer.getText(sf) : '';
      const readonly = (ts.getModifiers(m) ?? []).some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword) ? 'readonly ' : '';
      props.push(`| \`${readonly}${name}${m.questionToken ? '?' : ''}\` | \`${cell(type)}\` | ${text} |`);
    } else {
      methods.set(name, [...(methods.get(name) ?? []), m]);
    }
  }
  if (props.length > 0) out.push(owner.shown ? '| Property | Description |' : '| Property | Type | Description |', owner.shown ? '|---|---|' : '|---|---|---|', ...props, '');
  for (const [name, decls] of methods) {
    const overloads = decls.filter((d) => !('body' in d && d.body) || decls.length === 1);
    const documented = decls.find((d) => docOf(d).text || docOf(d).examples.length > 0);
    if (owner.shown && !documented) continue; // its signature is in the interface printed above
    const heading = name === 'constructor' ? `new ${owner.name}(…)` : `${owner.instance}.${name}`;
    out.push(`#### \`${heading}\``, '', '```ts', ...overloads.map((d) => signature(d, sf)), '```', '');
    if (documented) renderDoc(docOf(documented), out);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The export list

interface Export {
  readonly name: string;
  readonly kind: string;
  readonly file: string; // relative to the repository
  readonly decls: readonly ts.Declaration[];
}

function kindOf(decl: ts.Declaration): string {
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isInterfaceDeclaration(decl)) return 'interface';
  if (ts.isTypeAliasDeclaration(decl)) return 'type';
  if (ts.isVariableDeclaration(decl)) return 'const';
  return ts.SyntaxKind[decl.kind];
}

const rel = (file: string): string => path.relative(ROOT, file).split(path.sep).join('/');

/** The named exports of `client/index.ts`, resolved to their declarations, in the order index.ts lists them. */
function namedExports(program: ts.Program, index: ts.SourceFile): Export[] {
  const checker = program.getTypeChecker();
  const out: Export[] = [];
  for (const st of index.statements) {
    if (!ts.isExportDeclaration(st) || !st.exportClause || !ts.isNamedExports(st.exportClause)) continue;
    for (const el of st.exportClause.elements) {
      let symbol = checker.getSymbolAtLocation(el.name);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const decls = symbol?.declarations ?? [];
      const main = decls.find(ts.isClassDeclaration) ?? decls[0];
      if (!main) throw new Error(`client/index.ts exports ${el.name.text}, which does not resolve`);
      out.push({ name: el.name.text, kind: kindOf(main), file: rel(main.getSourceFile().fileName), decls });
    }
  }
  return out;
}

/** The type of an unannotated `const`: an `as const` list shows its first items and its length. */
function constType(decl: ts.VariableDeclaration, sf: ts.SourceFile): string {
  const init = decl.initializer;
  if (init && ts.isAsExpression(init) && ts.isArrayLiteralExpression(init.expression)) {
    const items = init.expression.elements;
    return `: readonly [${items
      .slice(0, 3)
      .map((i) => i.getText(sf))
      .join(', ')}, … (${items.length} in all)]`;
  }
  return '';
}

function renderExport(e: Export, out: string[]): void {
  const main = e.decls.find(ts.isClassDeclaration) ?? e.decls[0]!;
  const sf = main.getSourceFile();
  out.push(`### \`${e.name}\``, '', `*${e.kind}* — \`${e.file}\``, '');
  if (ts.isClassDeclaration(main)) {
    const heritage = main.heritageClauses?.map((h) => ` ${h.getText(sf)}`).join('') ?? '';
    out.push('```ts', `class ${e.name}${main.typeParameters ? `<${main.typeParameters.map((p) => p.getText(sf)).join(', ')}>` : ''}${heritage}`, '```', '');
    // The class's text may sit on a merged interface of the same name (`interface Ari extends AriApi`).
    const docs = e.decls.map(docOf).filter((d) => d.text || d.examples.length > 0);
    for (const d of docs) renderDoc(d, out);
    const merged = e.decls.filter(ts.isInterfaceDeclaration).flatMap((i) => i.heritageClauses?.map((h) => h.getText(sf)) ?? []);
    if (merged.length > 0) out.push(`It also has, through its interface, the members of \`${merged.join(', ').replace(/^extends /, '')}\` (see [Resources and operations](#resources-and-operations)).`, '');
    renderMembers(main.members, sf, { name: e.name, instance: e.name === 'Ari' ? 'ari' : e.name, shown: false }, out);
  } else if (ts.isInterfaceDeclaration(main)) {
    out.push('```ts', printed(main, sf), '```', '');
    renderDoc(docOf(main), out);
    renderMembers(main.members, sf, { name: e.name, instance: e.name, shown: true }, out);
  } else if (ts.isTypeAliasDeclaration(main)) {
    out.push('```ts', printed(main, sf), '```', '');
    renderDoc(docOf(main), out);
  } else if (ts.isVariableDeclaration(main)) {
    out.push('```ts', `const ${signature(main, sf)}${main.type ? '' : constType(main, sf)}`, '```', '');
    renderDoc(docOf(main), out);
  } else {
    out.push('```ts', signature(main, sf), '```', '');
    renderDoc(docOf(main), out);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The generated part

function interfaces(sf: ts.SourceFile): Map<string, ts.InterfaceDeclaration> {
  const map = new Map<string, ts.InterfaceDeclaration>();
  for (const st of sf.statements) if (ts.isInterfaceDeclaration(st)) map.set(st.name.text, st);
  return map;
}

/** Resources whose operations handles carry (`handleFactory` in client/src/handles.ts), with the id they fill in. */
const HANDLES: Readonly<Record<string, { readonly variable: string; readonly idParam: string }>> = {
  channels: { variable: 'channel', idParam: 'channelId' },
  bridges: { variable: 'bridge', idParam: 'bridgeId' },
  playbacks: { variable: 'playback', idParam: 'playbackId' },
  recordings: { variable: 'recording', idParam: 'recordingName' },
};

function renderResources(api: ts.SourceFile, out: string[]): void {
  const ifaces = interfaces(api);
  const root = ifaces.get('AriApi');
  if (!root) throw new Error('client/generated/api.ts has no AriApi');
  const sent = new Map(operationTable.map((o) => [`${o.resource}.${o.name}`, o]));
  out.push('## Resources and operations', '', summary(docOf(root)), '');
  out.push(
    'Each method takes one object with all of its parameters (path, query and body alike; the `…Params` interface',
    'of the same name, e.g. `ChannelsOriginateParams`) and an optional `CallOptions`; its TSDoc in',
    '`client/generated/api.ts` repeats the api-docs notes, the error statuses and an example. "On a handle" is the',
    "same operation on a handle (`ari.channel(id)`, `ari.bridge(id)`, `ari.playback(id)`, `ari.liveRecording(name)`",
    'as `recording` below), with the id filled in.',
    '',
  );
  for (const prop of root.members) {
    if (!ts.isPropertySignature(prop) || !prop.type) continue;
    const resource = prop.name.getText(api);
    const iface = ifaces.get(prop.type.getText(api));
    if (!iface) throw new Error(`no interface ${prop.type.getText(api)} for ari.${resource}`);
    out.push(`### \`ari.${resource}\``, '', summary(docOf(iface)).replace(/^`ari\.\w+`: /, ''), '');
    const handle = HANDLES[resource];
    out.push(handle ? '| Method | Sends | On a handle | Summary |' : '| Method | Sends | Summary |', handle ? '|---|---|---|---|' : '|---|---|---|');
    for (const m of iface.members) {
      if (!ts.isMethodSignature(m)) continue;
      const name = m.name.getText(api);
      const params = m.parameters[0];
      const arg = params === undefined || params.type?.getText(api).startsWith('Readonly<Record<string, never>>') ? '' : params.questionToken ? 'params?' : 'params';
      const entry = sent.get(`${resource}.${name}`);
      if (!entry) throw new Error(`${resource}.${name} is not in operationTable`);
      const bound = handle ? (entry.pathParams.includes(handle.idParam) ? `\`${handle.variable}.${name}(${entry.pathParams.length > 1 || entry.query.length > 0 || entry.body ? '…' : ''})\` | ` : ' | ') : '';
      out.push(`| \`${resource}.${name}(${arg})\` | \`${entry.method} ${entry.path}\` | ${bound}${cell(summary(docOf(m)))} |`);
    }
    out.push('');
  }
}

function renderModels(models: ts.SourceFile, out: string[]): void {
  const ifaces = interfaces(models);
  const events = new Set<string>(eventTypes);
  out.push(
    '## Events',
    '',
    '`ari.on(type, …)`, `ari.once(type)` and the handles narrow the event to the interface of its `type`',
    '(`EventMap[type]`); `AriEvent` is their union. Every event also has the fields of `Event` (`type`,',
    '`application`, `timestamp`, `asterisk_id`).',
    '',
    '| Event | Description |',
    '|---|---|',
  );
  for (const name of [...events].sort()) out.push(`| \`${name}\` | ${cell(summary(docOf(ifaces.get(name) ?? models)))} |`);
  out.push('', '## Models', '', 'What calls return and events carry (`client/generated/models.ts`).', '', '| Model | Description |', '|---|---|');
  for (const [name, decl] of ifaces) if (!events.has(name)) out.push(`| \`${name}\` | ${cell(summary(docOf(decl)))} |`);
  out.push('');
}

// ---------------------------------------------------------------------------------------------------------------

export function renderSdkReference(): string {
  const indexFile = path.join(CLIENT, 'index.ts');
  const program = ts.createProgram([indexFile], {
    target: ts.ScriptTarget.ES2024,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    allowImportingTsExtensions: true,
    noEmit: true,
    types: [],
  });
  const source = (file: string): ts.SourceFile => {
    const sf = program.getSourceFile(path.join(CLIENT, file));
    if (!sf) throw new Error(`client/${file} is not part of the SDK program`);
    return sf;
  };
  const index = source('index.ts');
  const exports = namedExports(program, index);
  const byFile = new Map<string, Export[]>();
  for (const e of exports) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);

  const out: string[] = [
    '# SDK reference',
    '',
    '<!-- Generated by scripts/gen-sdk-docs.ts from the TSDoc in client/ — do not edit; run `npm run gen`. -->',
    '',
    'The public API of the SDK in `client/` (what `client/index.ts` exports). [sdk.md](sdk.md) is the guide: how',
    'to connect, call, listen and handle errors; this page lists every export with its signature, its',
    'documentation and examples, then the generated API: resources and operations, events and models.',
    '',
  ];
  renderDoc(moduleDoc(index), out);
  out.push('## Contents', '');
  for (const [file, list] of byFile) {
    out.push(`- \`${file}\`: ${list.map((e) => `[${e.name}](#${e.name.toLowerCase()})`).join(', ')}`);
  }
  out.push('- [Resources and operations](#resources-and-operations), [Events](#events), [Models](#models)', '');

  for (const [file, list] of byFile) {
    out.push(`## \`${file}\``, '');
    const fileDoc = moduleDoc(list[0]!.decls[0]!.getSourceFile());
    if (fileDoc.text) out.push(fileDoc.text, '');
    for (const e of list) renderExport(e, out);
  }
  renderResources(source('generated/api.ts'), out);
  renderModels(source('generated/models.ts'), out);
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = renderSdkReference();
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(REFERENCE_FILE) ? fs.readFileSync(REFERENCE_FILE, 'utf8') : '';
    if (current !== text) {
      console.error(`${REFERENCE_FILE} is out of date: run npm run gen`);
      process.exit(1);
    }
  } else {
    fs.writeFileSync(REFERENCE_FILE, text);
    console.log(`wrote ${REFERENCE_FILE}`);
  }
}
