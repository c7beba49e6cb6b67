// Import graph of the TypeScript sources, for the architecture test: every import, `export … from`,
// `import x = require()`, dynamic `import()` and `typeof import()` type, parsed with the TypeScript
// compiler API and resolved to a repository-relative path, marked type-only or value. Pure graph
// helpers (strongly connected components, shortest cycles) sit beside it so the test's rules stay short.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import ts from 'typescript';

/** One module reference as written in a file. `typeOnly`: erased at compile time (no runtime edge). */
export interface ImportRef {
  specifier: string;
  typeOnly: boolean;
  kind: 'import' | 'export' | 'dynamic' | 'require' | 'import-type';
  line: number;
}

/** A resolved edge between two repository-relative files (posix separators). */
export interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
  line: number;
}

/** Every module reference in one source text. A dynamic import whose argument is not a string literal is kept with specifier ''. */
export function parseImports(fileName: string, text: string): ImportRef[] {
  const kindOfScript = fileName.endsWith('.js') || fileName.endsWith('.mjs') ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kindOfScript);
  const refs: ImportRef[] = [];
  const lineOf = (node: ts.Node): number => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const literal = (node: ts.Node | undefined): string | undefined => (node && ts.isStringLiteralLike(node) ? node.text : undefined);

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const specifier = literal(node.moduleSpecifier);
      if (specifier !== undefined)
        refs.push({ specifier, typeOnly: importIsTypeOnly(node.importClause), kind: 'import', line: lineOf(node) });
    } else if (ts.isExportDeclaration(node)) {
      const specifier = literal(node.moduleSpecifier);
      if (specifier !== undefined) refs.push({ specifier, typeOnly: exportIsTypeOnly(node), kind: 'export', line: lineOf(node) });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const specifier = literal(node.moduleReference.expression);
      if (specifier !== undefined) refs.push({ specifier, typeOnly: node.isTypeOnly, kind: 'require', line: lineOf(node) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      refs.push({ specifier: literal(node.arguments[0]) ?? '', typeOnly: false, kind: 'dynamic', line: lineOf(node) });
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      const specifier = ts.isLiteralTypeNode(arg) ? literal(arg.literal) : undefined;
      if (specifier !== undefined) refs.push({ specifier, typeOnly: true, kind: 'import-type', line: lineOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/**
 * `import type …`, or named bindings that are all `type` (with no default binding) — TypeScript erases those.
 * A side-effect import (`import './x.js'`) and `import {} from` stay value imports: they run the module.
 */
function importIsTypeOnly(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function exportIsTypeOnly(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return !!clause && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

/**
 * Resolves a relative specifier from a repository-relative file to a repository-relative file, as NodeNext
 * resolution does for these sources (`./x.js` is `./x.ts`; `.json` stays). `../dist/…` (bin/) maps to the source.
 * Bare specifiers (packages, `node:`) give null; an unresolvable relative one gives undefined.
 */
export function resolveSpecifier(from: string, specifier: string, exists: (path: string) => boolean): string | null | undefined {
  if (!specifier.startsWith('.')) return null;
  let target = posix.normalize(posix.join(posix.dirname(from), specifier));
  if (target.startsWith('dist/')) target = target.slice('dist/'.length);
  const candidates = /\.(c|m)?js$/.test(target)
    ? [target.replace(/\.(c|m)?js$/, (_m, c: string | undefined) => `.${c ?? ''}ts`), target.replace(/\.(c|m)?js$/, '.tsx'), target]
    : [target, `${target}.ts`, `${target}/index.ts`];
  return candidates.find(exists);
}

/** Repository-relative paths of the source files under the given top folders (.ts except .d.ts; .js/.mjs in bin/). */
export function listSources(root: string, folders: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = posix.join(root, rel);
    if (!existsSync(abs)) return;
    for (const name of readdirSync(abs).sort()) {
      const child = posix.join(rel, name);
      if (statSync(posix.join(root, child)).isDirectory()) {
        if (name !== 'node_modules' && name !== 'dist') walk(child);
      } else if ((name.endsWith('.ts') && !name.endsWith('.d.ts')) || name.endsWith('.mts') || /\.m?js$/.test(name)) {
        out.push(child);
      }
    }
  };
  for (const folder of folders) walk(folder);
  return out;
}

/** Resolved edges of the given files; relative specifiers that resolve nowhere (and non-literal dynamic imports) are returned apart. */
export function readGraph(root: string, files: readonly string[]): { edges: Edge[]; unresolved: string[] } {
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  const exists = (p: string): boolean => existsSync(posix.join(root, p)) && statSync(posix.join(root, p)).isFile();
  for (const file of files) {
    for (const ref of parseImports(file, readFileSync(posix.join(root, file), 'utf8'))) {
      if (ref.specifier === '') {
        unresolved.push(`${file}:${ref.line} dynamic import() of a computed specifier`);
        continue;
      }
      const to = resolveSpecifier(file, ref.specifier, exists);
      if (to === null) continue;
      if (to === undefined) unresolved.push(`${file}:${ref.line} '${ref.specifier}' resolves to no file`);
      else edges.push({ from: file, to, typeOnly: ref.typeOnly, line: ref.line });
    }
  }
  return { edges, unresolved };
}

/** Adjacency (sorted, de-duplicated) of a list of [from, to] pairs; self-loops kept. */
export function adjacency(pairs: Iterable<readonly [string, string]>): Map<string, string[]> {
  const sets = new Map<string, Set<string>>();
  for (const [a, b] of pairs) {
    if (!sets.has(a)) sets.set(a, new Set());
    if (!sets.has(b)) sets.set(b, new Set());
    sets.get(a)!.add(b);
  }
  return new Map([...sets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, [...v].sort()]));
}

/** Strongly connected components (Tarjan), each sorted; only those that hold a cycle (size > 1, or a self-loop). */
export function cyclicComponents(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) strong(v);
  return out.sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/**
 * Cycles to report, each as a closed path [a, b, …, a] rotated to start at its smallest node: for every edge inside a
 * cyclic component, the shortest cycle through that edge (BFS back, neighbours in sorted order, so the answer is
 * stable). Every edge that takes part in some cycle appears in at least one reported cycle; the count is bounded by
 * the number of such edges.
 */
export function findCycles(graph: Map<string, string[]>): string[][] {
  const seen = new Set<string>();
  const cycles: string[][] = [];
  for (const comp of cyclicComponents(graph)) {
    const members = new Set(comp);
    for (const u of comp) {
      for (const v of graph.get(u) ?? []) {
        if (!members.has(v)) continue;
        const back = shortestPath(graph, members, v, u);
        if (!back) continue;
        const cycle = rotate([u, ...back.slice(0, -1)]);
        const key = cycle.join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      }
    }
  }
  return cycles;
}

/** Shortest path from → to (both included) inside `within`; [from] when they are the same node. */
function shortestPath(graph: Map<string, string[]>, within: Set<string>, from: string, to: string): string[] | undefined {
  if (from === to) return [from];
  const prev = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!within.has(w) || prev.has(w)) continue;
      prev.set(w, v);
      if (w === to) {
        const path = [w];
        while (path[0] !== from) path.unshift(prev.get(path[0])!);
        return path;
      }
      queue.push(w);
    }
  }
  return undefined;
}

/** [b, c, a] (the cycle b→c→a→b) → [a, b, c, a]: rotated to its smallest node, closed. */
function rotate(open: string[]): string[] {
  let start = 0;
  for (let i = 1; i < open.length; i++) if (open[i] < open[start]) start = i;
  const r = [...open.slice(start), ...open.slice(0, start)];
  return [...r, r[0]];
}
