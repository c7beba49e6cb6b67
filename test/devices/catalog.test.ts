import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { catalogEntry, findCatalogEntry, loadCatalog, peakTflops, validateCatalog, PRECISIONS } from '../../devices/catalog.js';
import type { Catalog } from '../../devices/catalog.js';
import catalogJson from '../../devices/catalog.json' with { type: 'json' };
import catalogSchema from '../../devices/catalog.schema.json' with { type: 'json' };
import { deps, systemTest } from '../helpers/system.js';
import { main } from '../../harness/cli.js';

const clone = (): { entries: Record<string, unknown>[] } & Record<string, unknown> => JSON.parse(JSON.stringify(catalogJson));
type Err = Error & { exitCode?: number };

test('the shipped catalog validates against its schema', () => {
  const r = validateCatalog(catalogJson);
  assert.equal(r.errors, []);
  assert.ok(r.valid);
  assert.ok(loadCatalog().entries.length >= 12);
});

test('it lists the programme devices the brief names', () => {
  const ids = loadCatalog().entries.map((e) => e.id);
  for (const id of [
    'nvidia-h100-sxm',
    'nvidia-h200',
    'nvidia-b200',
    'nvidia-gh200',
    'nvidia-a100-sxm-80gb',
    'nvidia-l40s',
    'furiosa-rngd',
    'furiosa-warboy',
    'rebellions-atom',
    'rebellions-rebel-quad',
    'deepx-dx-m1',
    'mobilint-aries',
  ]) {
    assert.ok(ids.includes(id), id);
  }
});

test('a made-up field is rejected, at entry level and inside a figure', () => {
  const a = clone();
  (a.entries[0] as Record<string, unknown>).madeUp = 1;
  const ra = validateCatalog(a);
  assert.not.ok(ra.valid);
  assert.ok(
    ra.errors.some((e) => e.includes('/entries/0') && e.includes('madeUp')),
    ra.errors.join('\n'),
  );

  const b = clone();
  (b.entries[0]!.peak as { dense: Record<string, Record<string, unknown>> }).dense.bf16!.confidence = 'high';
  assert.not.ok(validateCatalog(b).valid);

  const c = clone();
  (c as Record<string, unknown>).extra = true;
  assert.not.ok(validateCatalog(c).valid);
});

test('a figure with a value but no source is rejected; null needs a note instead', () => {
  const a = clone();
  const fig = (a.entries[0]!.peak as { dense: Record<string, Record<string, unknown>> }).dense.fp16!;
  delete fig.source;
  const ra = validateCatalog(a);
  assert.not.ok(ra.valid);
  assert.ok(
    ra.errors.some((e) => e.includes('/entries/0/peak/dense/fp16') && e.includes('source')),
    ra.errors.join('\n'),
  );

  const b = clone();
  (b.entries[0]!.memoryGB as Record<string, unknown>) = { value: 80, source: 'not a url', sourceKind: 'vendor' };
  assert.not.ok(validateCatalog(b).valid);

  const c = clone();
  (c.entries[0]!.tdpW as Record<string, unknown>) = { value: null };
  assert.not.ok(validateCatalog(c).valid, 'null without a note');

  const d = clone();
  (d.entries[0]!.tdpW as Record<string, unknown>) = { value: 700, source: 'https://example.org/x' };
  assert.not.ok(validateCatalog(d).valid, 'value without sourceKind');

  const e = clone();
  (e.entries[0]!.tdpW as Record<string, unknown>) = { value: null, note: 'unknown here' };
  assert.ok(validateCatalog(e).valid, 'null with a note is fine');
});

test('every dense precision is present on every entry, and every number has a URL source', () => {
  for (const entry of loadCatalog().entries) {
    for (const p of PRECISIONS) assert.ok(p in entry.peak.dense, `${entry.id} ${p}`);
    const figures = [
      ...Object.values(entry.peak.dense),
      ...Object.values(entry.peak.sparse ?? {}),
      entry.memoryGB,
      entry.memoryBandwidthTBs,
      entry.tdpW,
    ];
    for (const f of figures) {
      if (f!.value !== null) assert.match(f!.source ?? '', /^https?:\/\//, entry.id);
      else assert.ok(f!.note, entry.id);
    }
  }
});

test('duplicate ids and broken match regexes are rejected', () => {
  const a = clone();
  a.entries.push(JSON.parse(JSON.stringify(a.entries[0])));
  assert.ok(validateCatalog(a).errors.some((e) => e.includes('duplicate id')));
  const b = clone();
  b.entries[0]!.match = ['(unclosed'];
  assert.ok(validateCatalog(b).errors.some((e) => e.includes('not a valid regular expression')));
  assert.throws(
    () => loadCatalog(b),
    (e: Err) => e.exitCode === 2 && e.message.includes('devices/catalog.json is invalid'),
  );
});

test('NVIDIA sparse figures are twice the dense ones (the datasheet asterisk)', () => {
  for (const id of ['nvidia-h100-sxm', 'nvidia-h200', 'nvidia-b200', 'nvidia-a100-sxm-80gb', 'nvidia-l40s']) {
    const e = catalogEntry(id);
    for (const [p, fig] of Object.entries(e.peak.sparse ?? {})) {
      const dense = e.peak.dense[p as keyof typeof e.peak.dense].value;
      if (dense === null || fig!.value === null) continue;
      const ratio = fig!.value / dense;
      // 3% slack: NVIDIA's own L40S table prints BF16 362.05 dense against 733* sparse.
      assert.ok(Math.abs(ratio - 2) < 0.03, `${id} ${p}: sparse ${fig!.value} vs dense ${dense}`);
    }
  }
  // The H100 SXM datasheet prints BF16 1,979* (with sparsity): the dense catalog figure is about half.
  const h100 = peakTflops(catalogEntry('nvidia-h100-sxm'), 'bf16');
  assert.ok(h100.value! > 980 && h100.value! < 1000, String(h100.value));
});

test('device names as vendor tools print them map to entries; others do not', () => {
  const cases: [string, string | null][] = [
    ['NVIDIA H100 80GB HBM3', 'nvidia-h100-sxm'], // as nvidia-smi printed it on an H100 SXM (board 695-2G520-0200-000)
    ['NVIDIA H200', 'nvidia-h200'],
    ['NVIDIA B200', 'nvidia-b200'],
    ['NVIDIA GH200 480GB', 'nvidia-gh200'],
    ['NVIDIA A100-SXM4-80GB', 'nvidia-a100-sxm-80gb'],
    ['NVIDIA L40S', 'nvidia-l40s'],
    ['RNGD', 'furiosa-rngd'],
    ['FuriosaAI Warboy', 'furiosa-warboy'],
    ['RBLN-CA12', 'rebellions-atom'],
    ['RBLN-CR03', 'rebellions-rebel-quad'],
    ['DX-M1', 'deepx-dx-m1'],
    ['RBLN-CA25', null],
    ['NVIDIA H100 PCIe', null],
    ['NVIDIA L40', null],
    ['Intel(R) Xeon(R) CPU', null],
    ['', null],
  ];
  for (const [name, id] of cases) assert.is(findCatalogEntry(name)?.id ?? null, id, name);
});

test('catalogEntry names the known ids for an unknown one (exit 2)', () => {
  assert.is(catalogEntry('furiosa-rngd').vendor, 'FuriosaAI');
  assert.throws(
    () => catalogEntry('nvidia-h999'),
    (e: Err) => e.exitCode === 2 && e.message.includes('furiosa-rngd'),
  );
});

test('peakTflops returns the catalog figure with its source, unit and label', () => {
  const rngd = catalogEntry('furiosa-rngd');
  const fp8 = peakTflops(rngd, 'fp8');
  assert.is(fp8.value, 512);
  assert.is(fp8.unit, 'TFLOPS');
  assert.is(fp8.origin, 'catalog');
  assert.is(fp8.sparsity, 'dense');
  assert.match(fp8.source!, /^https:\/\/developer\.furiosa\.ai\//);
  assert.is(fp8.sourceKind, 'vendor');
  assert.is(peakTflops(rngd, 'int4').unit, 'TOPS');
  const none = peakTflops(rngd, 'fp16');
  assert.is(none.value, null);
  assert.ok(none.note);
  const sparse = peakTflops(catalogEntry('nvidia-h100-sxm'), 'fp8', { sparse: true });
  assert.is(sparse.sparsity, 'sparse');
  assert.ok(sparse.value! > 3900);
  assert.is(peakTflops(rngd, 'fp8', { sparse: true }).value, null, 'no sparse figure published');
  assert.throws(
    () => peakTflops(rngd, 'fp64' as never),
    (e: Err) => e.exitCode === 2,
  );
});

test('a catalog given to loadCatalog is validated and not cached', () => {
  const small = clone();
  small.entries = [small.entries[0]!];
  const c: Catalog = loadCatalog(small);
  assert.is(c.entries.length, 1);
  assert.ok(loadCatalog().entries.length > 1);
  assert.is(findCatalogEntry('RNGD', c), null);
});

// An independent validator (Python's jsonschema, Draft 2020-12) must agree with ajv.
systemTest(test, deps.pythonJsonschema, 'python jsonschema agrees: the catalog is valid and a source-less figure is not', () => {
  const bad = clone();
  delete (bad.entries[1]!.peak as { dense: Record<string, Record<string, unknown>> }).dense.bf16!.source;
  const script =
    'import json,sys,jsonschema\nd=json.load(sys.stdin)\nv=jsonschema.Draft202012Validator(d["schema"])\nprint(json.dumps([len(list(v.iter_errors(x))) for x in d["docs"]]))';
  const r = spawnSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify({ schema: catalogSchema, docs: [catalogJson, bad] }),
    encoding: 'utf8',
  });
  assert.is(r.status, 0, r.stderr);
  const [good, badCount] = JSON.parse(r.stdout) as number[];
  assert.is(good, 0);
  assert.ok(badCount! > 0);
});

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stdout.write;
  try {
    const code = await main(args);
    return { code: code ?? 0, out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

test('npuval devices --catalog prints the table, and --json every figure with its source', async () => {
  const text = await cli('devices', '--catalog');
  assert.is(text.code, 0);
  assert.match(text.out, /DENSE peaks/);
  assert.match(text.out, /furiosa-rngd\s+npu\s+—\s+—\s+256/);
  const json = await cli('devices', '--catalog', '--json');
  assert.is(json.code, 0);
  const { catalog } = JSON.parse(json.out) as { catalog: Catalog };
  assert.is(catalog.entries.length, loadCatalog().entries.length);
  assert.match(catalog.entries[0]!.peak.dense.bf16.source!, /^https?:\/\//);
});

test.run();
