/**
 * Finds the ARI operation for a method and path, from the generated operation table.
 *
 * Paths compile into a segment trie once at start-up; literal segments win over `{param}` segments
 * (`/channels/externalMedia` before `/channels/{channelId}`). A path that exists with another method gives the
 * methods it does accept, for `405` + `Allow` and for OPTIONS.
 */

import type { HttpMethod, OperationSpec } from './operation.ts';

interface Node {
  readonly literals: Map<string, Node>;
  param?: { readonly name: string; readonly node: Node };
  readonly ops: Map<HttpMethod, OperationSpec>;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly op: OperationSpec; readonly pathParams: Record<string, string>; readonly allow: readonly string[] }
  | { readonly kind: 'method'; readonly allow: readonly string[] }
  | { readonly kind: 'none' };

/** Asterisk lists allowed methods in this order, after OPTIONS. */
const METHOD_ORDER: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'DELETE'];

function newNode(): Node {
  return { literals: new Map(), ops: new Map() };
}

export class Router {
  readonly #root = newNode();

  constructor(operations: readonly OperationSpec[]) {
    for (const op of operations) {
      let node = this.#root;
      for (const seg of op.path.split('/').filter(Boolean)) {
        const m = /^\{(.+)\}$/.exec(seg);
        if (m?.[1]) {
          if (!node.param) node.param = { name: m[1], node: newNode() };
          else if (node.param.name !== m[1]) throw new Error(`conflicting path parameter names at ${op.path}`);
          node = node.param.node;
        } else {
          let next = node.literals.get(seg);
          if (!next) node.literals.set(seg, (next = newNode()));
          node = next;
        }
      }
      node.ops.set(op.method, op);
    }
  }

  /** `path` is relative to `/ari`, still percent-encoded, e.g. `/channels/abc%3B2/play`. */
  match(method: string, path: string): RouteMatch {
    const segs = path.split('/').filter(Boolean);
    const params: Record<string, string> = {};
    const node = this.#walk(this.#root, segs, 0, params);
    // A path that exists only as a prefix of others (`/ari` itself, `/asterisk`) takes no method but OPTIONS,
    // as in Asterisk: 405 with `Allow: OPTIONS`, not 404.
    if (!node) return { kind: 'none' };
    const allow = ['OPTIONS', ...METHOD_ORDER.filter((m) => node.ops.has(m))];
    const op = node.ops.get(method as HttpMethod);
    if (!op) return { kind: 'method', allow };
    return { kind: 'found', op, pathParams: params, allow };
  }

  #walk(node: Node, segs: readonly string[], i: number, params: Record<string, string>): Node | undefined {
    if (i === segs.length) return node;
    const seg = segs[i] as string;
    const lit = node.literals.get(seg);
    let prefixOnly: Node | undefined;
    if (lit) {
      const found = this.#walk(lit, segs, i + 1, params);
      if (found && found.ops.size > 0) return found;
      prefixOnly = found;
    }
    if (node.param) {
      let value: string;
      try {
        value = decodeURIComponent(seg);
      } catch {
        return prefixOnly;
      }
      const found = this.#walk(node.param.node, segs, i + 1, params);
      if (found && (found.ops.size > 0 || !prefixOnly)) {
        params[node.param.name] = value;
        return found;
      }
    }
    return prefixOnly;
  }
}
