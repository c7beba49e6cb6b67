// Charts for the HTML report: Vega-Lite specs compiled to Vega and rendered to SVG strings in
// Node (renderer 'none': no canvas, no DOM, no network; data is always inline values).
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Comparison } from '../compare.js';
import type { RunReport } from '../types.js';

export interface Chart {
  readonly id: string;
  readonly title: string;
  /** The SVG markup, or null with `empty` saying why there is nothing to draw. */
  readonly svg: string | null;
  readonly empty: string | null;
}

type Row = Record<string, string | number>;

async function toSvg(spec: vl.TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const PERCENTILES: [string, string][] = [['p50', 'latency_p50_ms'], ['p90', 'latency_p90_ms'], ['p95', 'latency_p95_ms'], ['p97', 'latency_p97_ms'], ['p99', 'latency_p99_ms'], ['p99.9', 'latency_p999_ms']];

function latencyRows(report: RunReport): Row[] {
  const rows: Row[] = [];
  for (const u of report.units) {
    // Offline's one query has no meaningful latency distribution; micro-benchmarks have their own scale.
    if (u.kind !== 'scenario' || u.result?.scenario === 'offline') continue;
    PERCENTILES.forEach(([label, name], order) => {
      const v = u.metrics[name];
      if (typeof v === 'number') rows.push({ unit: u.title, percentile: label, order, ms: v });
    });
  }
  return rows;
}

function throughputRows(report: RunReport): Row[] {
  return report.units
    .filter((u) => typeof u.metrics.samples_per_second === 'number')
    .map((u) => {
      const scenario = u.result?.scenario;
      const batch = scenario === 'offline' ? u.settings.batchSize : scenario === 'multi-stream' ? u.settings.samplesPerQuery : undefined;
      return {
        device: u.device ?? '—',
        workload: `${u.model ?? u.kind}${typeof scenario === 'string' ? ` ${scenario}` : ''}${batch !== undefined ? ` ×${String(batch)}` : ''}`,
        rate: u.metrics.samples_per_second as number,
      };
    });
}

function coverageRows(report: RunReport): Row[] {
  const rows: Row[] = [];
  for (const u of report.units) {
    if (u.kind !== 'conformance' || !Array.isArray(u.result?.ops)) continue;
    for (const o of u.result.ops as { op?: unknown; pass?: unknown; total?: unknown }[]) {
      const total = Number(o.total ?? 0);
      if (!total) continue;
      rows.push({ device: u.device ?? '—', op: String(o.op), passPct: (100 * Number(o.pass ?? 0)) / total });
    }
  }
  return rows;
}

function targetRows(report: RunReport): Row[] {
  const t = report.targets as { progress?: { label?: unknown; pf?: unknown; targetPf?: unknown }[] } | null;
  if (!t || !Array.isArray(t.progress)) return [];
  return t.progress
    .filter((p) => typeof p.pf === 'number')
    .map((p) => ({ label: String(p.label ?? ''), pf: p.pf as number, target: typeof p.targetPf === 'number' ? p.targetPf : 0 }));
}

export async function buildCharts(report: RunReport, comparison: Comparison | null): Promise<Chart[]> {
  const charts: Chart[] = [];
  const add = async (id: string, title: string, rows: Row[], empty: string, spec: (rows: Row[]) => vl.TopLevelSpec) => {
    charts.push(rows.length ? { id, title, svg: await toSvg(spec(rows)), empty: null } : { id, title, svg: null, empty });
  };
  await add('latency', 'Latency distribution (percentiles, ms; SingleStream, MultiStream, Server)', latencyRows(report), 'no latency-bound scenario unit recorded latencies', (values) => ({
    $schema: SCHEMA, width: 520, height: 220, data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'percentile', type: 'ordinal', sort: { field: 'order' }, title: 'percentile' },
      y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)' },
      color: { field: 'unit', type: 'nominal', legend: { orient: 'bottom', columns: 1, labelLimit: 500 } },
    },
  }));
  await add('throughput', 'Throughput per device and workload (samples/s, log scale; ×N = batch or samples per query)', throughputRows(report), 'no unit measured samples/s', (values) => ({
    $schema: SCHEMA, width: 520, data: { values },
    // Points, not bars: rates span orders of magnitude across devices, and bars cannot start at log(0).
    mark: { type: 'point', filled: true, size: 90 },
    encoding: {
      y: { field: 'workload', type: 'nominal', title: null, axis: { labelLimit: 300 } },
      yOffset: { field: 'device' },
      x: { field: 'rate', type: 'quantitative', title: 'samples/s', scale: { type: 'log' } },
      color: { field: 'device', type: 'nominal', legend: { orient: 'bottom', labelLimit: 500 } },
    },
  }));
  const ratios: Row[] = (comparison?.deltas ?? [])
    .filter((d) => d.baseline !== null && d.candidate !== null && d.baseline !== 0 && (d.metric === 'samples_per_second' || d.metric === 'latency_p90_ms' || d.metric === 'latency_p99_ms'))
    .map((d) => ({ workload: d.unit, metric: d.metric, ratio: (d.candidate as number) / (d.baseline as number) }));
  await add('ratios', 'Candidate vs baseline (ratio, 1 = equal)', ratios, comparison ? 'the baseline shares no workload with this run' : 'no baseline report was given (--baseline)', (values) => ({
    $schema: SCHEMA, width: 520, data: { values },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'workload', type: 'nominal', title: null }, yOffset: { field: 'metric' }, x: { field: 'ratio', type: 'quantitative', title: 'candidate / baseline' }, color: { field: 'metric', type: 'nominal', legend: { orient: 'bottom' } } } },
      { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { x: { datum: 1 } } },
    ],
  }));
  await add('coverage', 'Op coverage (% of cases passing per op type)', coverageRows(report), 'no conformance unit recorded per-op results', (values) => ({
    $schema: SCHEMA, data: { values },
    mark: 'rect',
    encoding: {
      x: { field: 'device', type: 'nominal', title: null },
      y: { field: 'op', type: 'nominal', title: null, sort: 'ascending' },
      color: { field: 'passPct', type: 'quantitative', scale: { domain: [0, 100], scheme: 'redyellowgreen' }, title: '% pass' },
    },
  }));
  await add('targets', 'Progress toward the PF target', targetRows(report), report.targets ? 'the targets section has no progress figures' : 'no fleet target evaluation in this run', (values) => ({
    $schema: SCHEMA, width: 520, data: { values },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'label', type: 'nominal', title: null }, x: { field: 'pf', type: 'quantitative', title: 'PF' } } },
      { mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { y: { field: 'label', type: 'nominal' }, x: { field: 'target', type: 'quantitative' } } },
    ],
  }));
  return charts;
}
