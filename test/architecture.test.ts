// The arrows of docs/architecture.md ("Arrows point one way"), checked on the TypeScript sources (not dist/): no import
// cycles between files or between second-level folders, the layering of harness/ devices/ models/ reports/,
// no device adapter imported by name from outside devices/, and test/ never imported by product code.
// Imports are parsed with the TypeScript compiler API (test/helpers/imports.ts): `import type`, `import { type X }`
// and `typeof import()` are type-only; everything else (imports, `export … from`, `import()`) is a value import.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { adjacency, type Edge, findCycles, listSources, parseImports, readGraph } from './helpers/imports.js';

/** Product code: every file here is checked. test/ is not product code; seeds/ is data and must hold none. */
const PRODUCT_FOLDERS = ['harness', 'devices', 'models', 'reports', 'bin'] as const;

/**
 * What each top folder may import (path prefixes). `value`: runtime imports; `types`: what `import type` may reach
 * in addition. Anything not listed — test/ above all — is a violation.
 * devices/ → models/onnx/: the tfjs adapter decodes ONNX initializers (models/onnx/tensor.ts, half.ts) to run a model
 * file itself; it uses nothing else of models/. models/ may name devices/' tensor types.
 */
const LAYERS: Record<(typeof PRODUCT_FOLDERS)[number], { value: string[]; types: string[] }> = {
  harness: { value: ['harness/', 'devices/', 'models/', 'reports/', 'seeds/'], types: [] },
  devices: { value: ['devices/', 'models/onnx/'], types: ['models/'] },
  models: { value: ['models/'], types: ['devices/'] },
  reports: { value: ['reports/'], types: ['harness/', 'devices/', 'models/'] },
  bin: { value: ['harness/cli.ts'], types: [] },
};

/**
 * The public surface of devices/: the only devices/ files that code outside devices/ may import (type or value).
 * Adapters (devices/ort*, devices/tfjs/**, devices/endpoint/**, devices/proc/**) are reached through the registry by
 * spec string, never by name; a type an adapter exports for callers belongs re-exported in devices/index.ts or types.ts.
 */
const DEVICES_PUBLIC = [
  'devices/index.ts',
  'devices/types.ts',
  'devices/errors.ts',
  'devices/catalog.ts',
  'devices/power/',
  'devices/host.ts',
  'devices/spec.ts',
  'devices/probe.ts',
  'devices/nvidia.ts',
  'devices/registry.ts',
];

/**
 * Violations that exist today and are being fixed. Each entry is exactly one violation string as the checker prints
 * it. The test fails on any violation not listed here AND on any entry here that no longer occurs, so this list only
 * shrinks: when you fix one, delete its line.
 */
const KNOWN_VIOLATIONS: string[] = [];

const top = (path: string): string => path.split('/')[0];
/** Second-level unit of a file: its folder two levels down (harness/llm), or the file itself when it sits higher (harness/cli.ts). */
const unitOf = (path: string): string => {
  const parts = path.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : path;
};
const under = (path: string, prefixes: readonly string[]): boolean =>
  prefixes.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p));

/** Every violation of the rules above in a resolved graph of product files, each as one stable string (sorted, unique). */
function checkArchitecture(edges: readonly Edge[]): string[] {
  const found = new Set<string>();
  const value = edges.filter((e) => !e.typeOnly);

  for (const c of findCycles(adjacency(value.map((e) => [e.from, e.to] as const)))) found.add(`file cycle: ${c.join(' → ')}`);

  const folderPairs = value.filter((e) => unitOf(e.from) !== unitOf(e.to)).map((e) => [unitOf(e.from), unitOf(e.to)] as const);
  for (const c of findCycles(adjacency(folderPairs))) found.add(`folder cycle: ${c.join(' → ')}`);

  for (const e of edges) {
    const from = top(e.from);
    if (top(e.to) === 'test') {
      found.add(`layer: ${e.from} → ${e.to} (product code imports test/)`);
      continue;
    }
    const layer = LAYERS[from as keyof typeof LAYERS];
    if (!layer) {
      found.add(`layer: ${e.from} → ${e.to} (${from}/ is not a product folder)`);
      continue;
    }
    if (!under(e.to, e.typeOnly ? [...layer.value, ...layer.types] : layer.value)) {
      const allowed = e.typeOnly ? [...layer.value, ...layer.types] : layer.value;
      found.add(`layer: ${e.from} → ${e.to} (${e.typeOnly ? 'type' : 'value'} import; ${from}/ may import only ${allowed.join(', ')})`);
    }
    if (from !== 'devices' && top(e.to) === 'devices' && !under(e.to, DEVICES_PUBLIC)) {
      found.add(`adapter: ${e.from} → ${e.to} (outside devices/, import only its public surface)`);
    }
  }
  return [...found].sort();
}

/** Found violations against the known list: the new ones fail the test, and so do known ones that are gone. */
function compareWithKnown(found: readonly string[], known: readonly string[]): { unexpected: string[]; fixed: string[] } {
  return { unexpected: found.filter((v) => !known.includes(v)), fixed: known.filter((v) => !found.includes(v)) };
}

/** The imports behind each violation, for the failure message (file:line of every edge involved). */
function evidence(violation: string, edges: readonly Edge[]): string[] {
  const cycle = /^(file|folder) cycle: (.*)$/.exec(violation);
  if (cycle) {
    const nodes = cycle[2].split(' → ');
    const key = cycle[1] === 'file' ? (p: string) => p : unitOf;
    const lines: string[] = [];
    for (let i = 0; i + 1 < nodes.length; i++) {
      const hop = edges.filter((e) => !e.typeOnly && key(e.from) === nodes[i] && key(e.to) === nodes[i + 1]);
      lines.push(...hop.map((e) => `${e.from}:${e.line} imports ${e.to}`));
    }
    return lines;
  }
  const pair = /^\w+: (\S+) → (\S+) /.exec(violation);
  return pair
    ? edges.filter((e) => e.from === pair[1] && e.to === pair[2]).map((e) => `${e.from}:${e.line}${e.typeOnly ? ' (type-only)' : ''}`)
    : [];
}

// --- the checker itself can fail: synthetic graphs ---

const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, typeOnly, line: 1 });

test('checker: a clean graph has no violations', () => {
  assert.equal(
    checkArchitecture([
      edge('harness/cli.ts', 'harness/run/plan.ts'),
      edge('harness/run/plan.ts', 'devices/registry.ts'),
      edge('harness/run/plan.ts', 'models/zoo/index.ts'),
      edge('harness/run/plan.ts', 'reports/assemble.ts'),
      edge('reports/assemble.ts', 'harness/run/plan.ts', true),
      edge('devices/tfjs/session.ts', 'models/onnx/tensor.ts'),
      edge('models/inputs.ts', 'devices/types.ts', true),
      edge('bin/npuval.js', 'harness/cli.ts'),
    ]),
    [],
  );
});

test('checker: file cycles and folder cycles, value imports only', () => {
  const found = checkArchitecture([
    edge('harness/run/a.ts', 'harness/run/b.ts'),
    edge('harness/run/b.ts', 'harness/run/a.ts'),
    edge('harness/llm/x.ts', 'harness/run/c.ts'),
    edge('harness/run/c.ts', 'harness/llm/y.ts'),
    // a type-only back edge closes no cycle
    edge('harness/llm/z.ts', 'harness/scenarios/s.ts'),
    edge('harness/scenarios/s.ts', 'harness/llm/z.ts', true),
  ]);
  assert.equal(found, [
    'file cycle: harness/run/a.ts → harness/run/b.ts → harness/run/a.ts',
    'folder cycle: harness/llm → harness/run → harness/llm',
  ]);
});

test('checker: forbidden imports — layering, adapters by name, test/ from product code', () => {
  const found = checkArchitecture([
    edge('devices/ort.ts', 'harness/errors.ts'),
    edge('devices/ort.ts', 'harness/stats.ts', true),
    edge('devices/tfjs/a.ts', 'models/zoo/index.ts'),
    edge('models/zoo/index.ts', 'devices/registry.ts'),
    edge('reports/render/html.ts', 'harness/stats.ts'),
    edge('reports/render/html.ts', 'harness/stats.ts', true),
    edge('harness/llm/run.ts', 'devices/ort.ts', true),
    edge('harness/llm/run.ts', 'devices/tfjs/index.ts'),
    edge('harness/llm/run.ts', 'devices/registry.ts'),
    edge('harness/llm/run.ts', 'test/helpers/system.ts', true),
  ]);
  assert.equal(found, [
    'adapter: harness/llm/run.ts → devices/ort.ts (outside devices/, import only its public surface)',
    'adapter: harness/llm/run.ts → devices/tfjs/index.ts (outside devices/, import only its public surface)',
    'layer: devices/ort.ts → harness/errors.ts (value import; devices/ may import only devices/, models/onnx/)',
    'layer: devices/ort.ts → harness/stats.ts (type import; devices/ may import only devices/, models/onnx/, models/)',
    'layer: devices/tfjs/a.ts → models/zoo/index.ts (value import; devices/ may import only devices/, models/onnx/)',
    'layer: harness/llm/run.ts → test/helpers/system.ts (product code imports test/)',
    'layer: models/zoo/index.ts → devices/registry.ts (value import; models/ may import only models/)',
    'layer: reports/render/html.ts → harness/stats.ts (value import; reports/ may import only reports/)',
  ]);
});

test('checker: a known violation that is gone fails as loudly as a new one', () => {
  assert.equal(compareWithKnown(['a', 'b'], ['b', 'c']), { unexpected: ['a'], fixed: ['c'] });
});

test('parser: type-only and value imports, export-from, dynamic import, typeof import', () => {
  const refs = parseImports(
    'x.ts',
    [
      "import type { A } from './a.js';",
      "import { type B, type C } from './b.js';",
      "import { type D, e } from './d.js';",
      "import f from './f.js';",
      "import './side.js';",
      "import * as ns from './ns.js';",
      "export { g } from './g.js';",
      "export type { H } from './h.js';",
      "export { type I } from './i.js';",
      "export * from './star.js';",
      "type R = typeof import('./r.js');",
      "const m = await import('./m.js');",
      'const n = await import(name);',
      "import fs from 'node:fs';",
    ].join('\n'),
  );
  assert.equal(
    refs.map((r) => `${r.specifier} ${r.typeOnly ? 'type' : 'value'} ${r.kind}`),
    [
      './a.js type import',
      './b.js type import',
      './d.js value import',
      './f.js value import',
      './side.js value import',
      './ns.js value import',
      './g.js value export',
      './h.js type export',
      './i.js type export',
      './star.js value export',
      './r.js type import-type',
      './m.js value dynamic',
      ' value dynamic',
      'node:fs value import',
    ],
  );
});

// --- the real sources ---

const root = fileURLToPath(new URL('../../', import.meta.url));

test("architecture: the sources keep docs/architecture.md's arrows (beyond KNOWN_VIOLATIONS)", () => {
  const files = listSources(root, PRODUCT_FOLDERS);
  assert.ok(files.length > 50, `found only ${files.length} source files under ${root}`);
  const { edges, unresolved } = readGraph(root, files);
  assert.equal(unresolved, [], `imports the architecture test cannot resolve:\n  ${unresolved.join('\n  ')}`);

  const { unexpected, fixed } = compareWithKnown(checkArchitecture(edges), KNOWN_VIOLATIONS);
  const lines = [
    ...unexpected.flatMap((v) => [`new violation: ${v}`, ...evidence(v, edges).map((e) => `    ${e}`)]),
    ...fixed.map((v) => `remove from KNOWN_VIOLATIONS (test/architecture.test.ts): ${v}`),
  ];
  assert.ok(lines.length === 0, `architecture check failed:\n  ${lines.join('\n  ')}`);
});

test('architecture: seeds/ holds data, no code', () => {
  assert.ok(existsSync(`${root}seeds`), 'seeds/ is missing');
  assert.equal(listSources(root, ['seeds']), []);
});

test.run();
