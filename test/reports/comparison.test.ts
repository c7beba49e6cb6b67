// The NPU-vs-GPU comparison and the commercialization report from two real runs: a GPU stand-in
// (ort:cpu) and an NPU stand-in (ort:cpu with one intra-op thread) on tiny models, the second with
// the first as its baseline, criteria, a product and a fleet. The Markdown and the JSON are read
// back; the HTML is opened in headless Chromium and its DOM checked (tables, log-axis ratio chart
// with full labels, LLM charts, one colour per device, the PF-target section with both milestones).
// NPUVAL_SCREENSHOT=DIR keeps a full-page screenshot for a person to look at.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { exitCodeOf } from '../../harness/errors.js';
import { runSuite } from '../../harness/run/orchestrate.js';
import { writeReports } from '../../harness/run/outputs.js';
import type { CommercializationReport } from '../../reports/commercialization.js';
import { buildComparisonView, comparisonRow } from '../../reports/comparison.js';
import { buildCharts } from '../../reports/render/charts.js';
import { renderMarkdown } from '../../reports/render/markdown.js';
import type { RunReport } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { npuval, repoRoot } from '../helpers/cli.js';
import { deps, systemTest } from '../helpers/system.js';

const GPU = 'ort:cpu';
const NPU = 'ort:cpu?intraOpThreads=1';
const dir = mkdtempSync(join(tmpdir(), 'npuval-comparison-'));
const suite = {
  $schema: 'https://npuval.dev/schemas/suite/1.0.0.json',
  name: 'npu-vs-gpu',
  seed: 3,
  devices: [GPU],
  units: [
    { kind: 'scenario', scenario: 'single-stream', model: 'tiny-bert', settings: { minDurationMs: 100, warmupMs: 20, minQueryCount: 64 } },
    {
      kind: 'scenario',
      scenario: 'offline',
      model: 'tiny-bert',
      settings: { minDurationMs: 100, warmupMs: 20, batch: 4, minSampleCount: 16 },
    },
    {
      kind: 'llm',
      model: 'tiny-llama',
      settings: { requests: 4, promptLen: 8, genLen: 4, warmup: 0, sweepConcurrency: [1, 2], bandwidth: false },
    },
  ],
  fleet: [
    { device: 'furiosa-rngd', count: 40 },
    { device: 'rebellions-atom', count: 60 },
  ],
  targetDate: '2026-06-30',
};
const suitePath = join(dir, 'suite.json');
writeFileSync(suitePath, JSON.stringify(suite));
const product = {
  vendor: 'Stand-in NPU <i>',
  chip: 'one-thread CPU',
  sdk: { name: 'onnxruntime-node', version: '1.30' },
  device: NPU,
  system: {
    system_name: 'stand-in',
    number_of_nodes: '1',
    host_processor_model_name: 'x86',
    accelerators_per_node: '1',
    accelerator_model_name: 'CPU',
    accelerator_memory_capacity: '0 GB',
    framework: 'onnxruntime 1.30',
    operating_system: 'Linux',
  },
};
const productPath = join(dir, 'product.json');
writeFileSync(productPath, JSON.stringify(product));
const criteriaPath = join(dir, 'criteria.json');
writeFileSync(
  criteriaPath,
  JSON.stringify({
    $schema: 'https://npuval.dev/schemas/criteria/1.0.0.json',
    criteria: [
      {
        id: 'tput',
        description: 'scenario throughput ≥ 1 % of the GPU',
        metric: 'samples_per_second',
        op: '>=',
        threshold: 0.01,
        relativeTo: 'baseline',
        select: { kind: 'scenario' },
      },
      { id: 'ttft', metric: 'ttft_p99_ms', op: '<=', threshold: 60000, select: { kind: 'llm' } },
    ],
  }),
);

async function run(
  device: string,
  extra: Record<string, string> = {},
): Promise<{ out: string; report: RunReport; commercialization: CommercializationReport | null }> {
  const out = join(dir, device === GPU ? 'gpu' : 'npu');
  const r = await runSuite({
    suite: suitePath,
    devices: [device],
    outDir: out,
    argv: ['run'],
    log: () => {},
    signal: new AbortController().signal,
    ...extra,
  });
  const w = await writeReports(r.outDir, r.state, r.inputs);
  return { out, report: w.report, commercialization: w.commercialization };
}

const gpu = await run(GPU);
const npu = await run(NPU, { baseline: join(gpu.out, 'report.json'), criteria: criteriaPath, product: productPath });
const c = npu.commercialization!;
const WORKLOADS = ['scenario:single-stream:tiny-bert', 'scenario:offline:tiny-bert:b4', 'llm:tiny-llama'];

test('ratio rows: the direction is explicit and says which side the ratio favours', () => {
  assert.equal(comparisonRow('samples_per_second', 2, 1), {
    metric: 'samples_per_second',
    label: 'throughput',
    unit: 'samples/s',
    candidate: 2,
    baseline: 1,
    ratio: 2,
    better: 'higher',
    favours: 'candidate',
  });
  assert.is(comparisonRow('latency_p90_ms', 2, 1)!.favours, 'baseline');
  assert.is(comparisonRow('latency_p90_ms', 0.5, 1)!.favours, 'candidate');
  assert.is(comparisonRow('latency_p90_ms', 1, 1)!.favours, 'equal');
  assert.is(comparisonRow('samples_per_second', 1, null)!.ratio, null);
  assert.is(comparisonRow('duration_s', 1, 2), null, 'neutral metrics have no better side');
});

test('the ratio chart: a 317× latency ratio and a 0.002× throughput ratio both show, on a log axis symmetric about 1', async () => {
  const view = {
    ...c.comparison!,
    workloads: [
      { ...c.comparison!.workloads[0]!, rows: [comparisonRow('latency_p99_ms', 317, 1)!, comparisonRow('samples_per_second', 0.002, 1)!] },
    ],
  };
  const chart = (await buildCharts(npu.report, null, { view })).find((x) => x.id === 'ratios')!;
  const svg = chart.svg!;
  assert.ok(svg.includes('317×') && svg.includes('0.00200×'), 'both ratios are labelled');
  assert.ok(svg.includes('tiny-bert, SingleStream · latency p99 (lower is better)'));
  assert.ok(svg.includes('tiny-bert, SingleStream · throughput (higher is better)'));
  // Ticks a decade apart on both sides of 1, equally far: 0.01 … 100.
  for (const tick of ['0.01', '0.1', '1', '10', '100']) assert.ok(svg.includes(`>${tick}</text>`), `tick ${tick}`);
  // Both ratios favour the GPU here: its colour on both bars.
  assert.is(view.workloads[0]!.rows.map((r) => r.favours).join(), 'baseline,baseline');
});

test('the commercialization JSON holds the comparison: both sides named, one table per workload', () => {
  assert.equal(validate('commercialization-report', c), []);
  const v = c.comparison!;
  assert.is(v.candidate.device, NPU);
  assert.is(v.baseline.device, GPU);
  assert.match(v.baseline.runtime ?? '', /^onnxruntime-node \S+ \(cpu\)$/);
  assert.equal(
    v.workloads.map((w) => w.workload),
    WORKLOADS,
  );
  for (const w of v.workloads) {
    for (const r of w.rows) {
      assert.ok(r.better === 'higher' || r.better === 'lower');
      if (r.candidate !== null && r.baseline !== null) assert.ok(Math.abs(r.ratio! - r.candidate / r.baseline) < 1e-12);
    }
  }
  assert.match(v.workloads[2]!.point ?? '', / c2$/, 'LLM figures are from the last load point, concurrency 2');
  assert.is(v.workloads[0]!.point, null);
  const llm = v.workloads[2]!.rows.map((r) => r.metric);
  for (const m of ['output_tokens_per_second', 'ttft_p50_ms', 'ttft_p99_ms', 'tpot_p50_ms']) assert.ok(llm.includes(m), m);
  // Both devices' LLM points at concurrency 1 and 2.
  assert.equal(v.llm.map((p) => `${p.side} ${p.device} ${p.xKind}=${p.x}`).sort(), [
    `baseline ${GPU} concurrency=1`,
    `baseline ${GPU} concurrency=2`,
    `candidate ${NPU} concurrency=1`,
    `candidate ${NPU} concurrency=2`,
  ]);
  assert.ok(c.targetContribution.evaluated);
});

test('the commercialization Markdown shows every section the JSON has', () => {
  const md = readFileSync(join(npu.out, 'commercialization.md'), 'utf8');
  for (const h of [
    '## System',
    '## Verdict per criterion',
    '## Conformance',
    '## Accuracy',
    '## NPU vs GPU baseline',
    '## Efficiency',
    '## Scaling',
    '## Contribution to the PF target',
    '### Milestones',
    '### Fleet',
    '### Devices to close the gap',
  ]) {
    assert.ok(md.includes(h), h);
  }
  assert.match(md, /- \*\*Baseline \(GPU\)\*\*: ort:cpu, runtime onnxruntime-node/);
  assert.match(md, /### tiny-bert, Offline \(batch 4\)/);
  assert.match(
    md,
    /\| throughput \| samples\\_per\\_second \| [\d.]+ samples\/s \| [\d.]+ samples\/s \| [\d.e+-]+× \| higher is better \| favours the (NPU \(candidate\)|GPU \(baseline\)) \|/,
  );
  assert.match(md, /\| TTFT p99 \| ttft\\_p99\\_ms \| .* \| lower is better \|/);
  // Verdicts: the human metric name beside the id, evidence linked to the run report with the digest.
  assert.match(md, /\| tput: scenario throughput ≥ 1 % of the GPU \| throughput \(samples\\_per\\_second\) \| &gt;= 0\.01 × baseline \|/);
  assert.match(md, /\[tiny-bert, SingleStream on ort:cpu\?intraOpThreads=1\]\(report\.json\) `[0-9a-f]{16}…`/);
  // The target for the date and both milestones, with the hand-checked 2026-06-30 figure 50 + 70 × 545/730.
  assert.match(md, /Target on 2026-06-30: 102\.260 PF — 50 PF \+ \(120 − 50\) PF × 545\/730 days/);
  assert.match(md, /\| 2025 \| 2025-01-01 \| 50\.000 PF \| 24\.3 % \|/);
  assert.match(md, /\| 2027 \| 2027-01-01 \| 120\.000 PF \| 10\.1 % \|/);
  // The product's escaped name, and no raw filter regex as a title.
  assert.match(md, /Stand-in NPU &lt;i&gt;/);
});

test('report.md: the comparison view from the comparison alone, and with the baseline report the GPU is named in full', () => {
  const comparison = { maxRegressionPct: 5, deltas: [], regressions: [], onlyInBaseline: [], onlyInCandidate: [] };
  const md = renderMarkdown(npu.report, comparison, { baseline: gpu.report });
  assert.match(md, /## NPU vs GPU baseline/);
  assert.match(md, /Baseline \(GPU\)\*\*: ort:cpu, runtime onnxruntime-node/);
  assert.match(md, /## Targets: the fleet against the PF target/);
  const alone = buildComparisonView({ candidate: npu.report, comparison: null, baseline: null });
  assert.is(alone, null, 'no baseline, no comparison');
});

test('a product whose device is not in the run is an error (exit 2), not a silent "incomplete"', async () => {
  const wrong = join(dir, 'wrong-product.json');
  writeFileSync(wrong, JSON.stringify({ ...product, device: 'ort:webgpu' }));
  try {
    await runSuite({
      suite: suitePath,
      devices: [NPU],
      outDir: join(dir, 'wrong'),
      argv: ['run'],
      log: () => {},
      signal: new AbortController().signal,
      product: wrong,
      criteria: criteriaPath,
    });
    assert.unreachable('the run must be refused');
  } catch (err) {
    assert.is(exitCodeOf(err), 2, String(err));
    assert.match((err as Error).message, /device "ort:webgpu" is not a device of this run \(ort:cpu\?intraOpThreads=1\)/);
  }
});

test('npuval targets: the fleet file against the target with the measured rate of a named workload', () => {
  const report = join(npu.out, 'report.json');
  const args = [
    'targets',
    '--report',
    report,
    '--fleet',
    join(repoRoot, 'examples/fleet.json'),
    '--date',
    '2026-01-01',
    '--workload',
    'scenario:offline:tiny-bert:b4',
  ];
  const r = npuval(...args);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /Target npu-validation-testbed on 2026-01-01: 85\.000 PF/);
  assert.match(r.stdout, /Milestones: 2025 \(2025-01-01\) 50 PF: peak 24\.3 %.*; 2027 \(2027-01-01\) 120 PF: peak 10\.1 %/);
  const j = npuval(...args, '--json');
  assert.is(j.status, 0, j.stderr);
  const e = JSON.parse(j.stdout) as {
    totals: { effectivePf: number };
    fleet: { measuredTflopsPerDevice: number | null }[];
    milestones: unknown[];
  };
  const offline = npu.report.units.find((u) => u.workload === 'scenario:offline:tiny-bert:b4')!;
  const tflops = offline.metrics.effective_tflops as number;
  assert.is(e.fleet[0]!.measuredTflopsPerDevice, tflops);
  assert.ok(Math.abs(e.totals.effectivePf - (40 * tflops) / 1000) < 1e-12);
  assert.is(e.milestones.length, 2);
  const bad = npuval('targets', '--report', report, '--fleet', join(repoRoot, 'examples/fleet.json'), '--workload', 'nope');
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /workload "nope" is not in the run/);
});

interface Facts {
  tables: { workload: string; header: string[]; rows: string[][] }[];
  charts: Record<string, { svg: boolean; text: string[]; legend: Record<string, string> }>;
  targets: string;
  truncated: number;
  text: string;
}

systemTest(
  test,
  deps.chromium,
  'headless Chromium: comparison tables, log-axis ratio chart with full labels, LLM charts, one colour per device, the target section',
  async () => {
    const file = join(npu.out, 'report.html');
    const url = pathToFileURL(file).href;
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url, { waitUntil: 'load' });
      if (process.env.NPUVAL_SCREENSHOT)
        await page.screenshot({ path: join(process.env.NPUVAL_SCREENSHOT, 'comparison.png'), fullPage: true });
      // Legends: Vega draws each entry as a group holding a symbol path and a label text.
      const facts = await page.evaluate<Facts>(`(() => {
      const charts = {};
      for (const f of document.querySelectorAll('figure.chart')) {
        const svg = f.querySelector('svg');
        const legend = {};
        for (const text of f.querySelectorAll('g.role-legend-label text')) {
          const sym = text.parentElement.previousElementSibling;
          const path = sym && sym.classList.contains('role-legend-symbol') ? sym.querySelector('path') : null;
          if (path) legend[text.textContent] = path.getAttribute('fill') !== 'transparent' && path.getAttribute('fill') ? path.getAttribute('fill') : path.getAttribute('stroke');
        }
        charts[f.dataset.chart] = { svg: !!svg, text: svg ? Array.from(svg.querySelectorAll('text')).map((t) => t.textContent || '') : [], legend };
      }
      const tables = Array.from(document.querySelectorAll('table.comparison-table')).map((t) => ({
        workload: t.dataset.workload,
        header: Array.from(t.querySelectorAll('thead th')).map((th) => th.textContent),
        rows: Array.from(t.querySelectorAll('tbody tr')).map((tr) => Array.from(tr.cells).map((td) => td.textContent)),
      }));
      return {
        tables, charts,
        targets: Array.from(document.querySelectorAll('.targets')).map((d) => d.innerText).join('\\n'),
        truncated: Array.from(document.querySelectorAll('figure.chart svg text')).filter((t) => (t.textContent || '').endsWith('…')).length,
        text: document.body.innerText,
      };
    })()`);
      assert.equal(errors, []);
      // One table per workload, rows = metrics, the named columns, and a direction on every row.
      assert.equal(
        facts.tables.map((t) => t.workload),
        WORKLOADS,
      );
      for (const t of facts.tables) {
        assert.equal(t.header, ['metric', 'candidate (NPU)', 'baseline (GPU)', 'ratio NPU/GPU', 'better', 'verdict']);
        for (const r of t.rows) {
          assert.match(r[4]!, /^(higher|lower) is better$/);
          assert.match(r[5]!, /^(favours the NPU \(candidate\)|favours the GPU \(baseline\)|equal|—)$/);
        }
      }
      assert.ok(facts.text.includes(`Baseline (GPU): ${GPU}, runtime onnxruntime-node`), 'the GPU baseline is named');
      // The ratio chart: log axis around 1 (ticks on both sides), every label whole, none cut off.
      const ratios = facts.charts.ratios!;
      assert.ok(ratios.svg);
      assert.ok(ratios.text.includes('1'), `a tick at 1: ${ratios.text.join(' | ')}`);
      assert.ok(
        ratios.text.some((t) => /^0\.0*1$/.test(t)) && ratios.text.some((t) => /^10+$/.test(t)),
        `decades on both sides of 1: ${ratios.text.join(' | ')}`,
      );
      assert.ok(ratios.text.includes('tiny-bert, Offline (batch 4) · throughput (higher is better)'), ratios.text.join(' | '));
      assert.ok(ratios.text.includes('tiny-llama LLM serving · TTFT p99 (lower is better)'));
      assert.is(facts.truncated, 0, 'no chart label is truncated');
      // LLM charts, each with both devices.
      for (const id of ['llm-ttft', 'llm-tpot', 'llm-throughput']) {
        assert.ok(facts.charts[id]!.svg, id);
        assert.ok(
          facts.charts[id]!.text.some((t) => /concurrency/.test(t)),
          `${id} is against concurrency`,
        );
        assert.ok(
          GPU in facts.charts[id]!.legend && NPU in facts.charts[id]!.legend,
          `${id} legend: ${JSON.stringify(facts.charts[id]!.legend)}`,
        );
      }
      // One colour per device across charts.
      const colourOf = (spec: string) =>
        new Set(
          Object.values(facts.charts)
            .filter((x) => spec in x.legend)
            .map((x) => x.legend[spec]),
        );
      assert.is(colourOf(GPU).size, 1, `GPU colours: ${[...colourOf(GPU)]}`);
      assert.is(colourOf(NPU).size, 1, `NPU colours: ${[...colourOf(NPU)]}`);
      assert.is.not([...colourOf(GPU)][0], [...colourOf(NPU)][0]);
      assert.ok(
        Object.values(facts.charts).filter((x) => GPU in x.legend).length >= 4,
        'the device legend is in throughput, ratio and LLM charts',
      );
      // The target section: the date's target and both milestones, in the run and the commercialization sections.
      assert.match(facts.targets, /Target on 2026-06-30: 102\.260 PF/);
      assert.match(facts.targets, /2025\s+2025-01-01\s+50\.000 PF/);
      assert.match(facts.targets, /2027\s+2027-01-01\s+120\.000 PF/);
    } finally {
      await browser.close();
    }
  },
);

test.run();
