// Charts for the HTML report: Vega-Lite specs compiled to Vega and rendered to SVG strings in
// Node (renderer 'none': no canvas, no DOM, no network; data is always inline values).
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { Comparison } from '../compare.js';
import { buildComparisonView, deviceOfId, llmSeries, ratioText, workloadTitle, type ComparisonView } from '../comparison.js';
import { showControls } from '../escape.js';
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
    // Vega escapes markup in labels but keeps bidi and control characters; show those as text too.
    return showControls(await view.toSVG());
  } finally {
    view.finalize();
  }
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Tableau 10: one colour per device, the same in every chart of a report. */
export const DEVICE_PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

export interface DeviceColors {
  readonly domain: readonly string[];
  readonly range: readonly string[];
}

/** Colours by device spec, in the order given (the run's devices, then the baseline's). */
export function deviceColors(specs: readonly string[]): DeviceColors {
  const domain = [...new Set(specs)];
  return { domain, range: domain.map((_, i) => DEVICE_PALETTE[i % DEVICE_PALETTE.length]!) };
}

function colorBy(field: string, colors: DeviceColors, title = 'device') {
  return {
    field,
    type: 'nominal' as const,
    title,
    scale: { domain: [...colors.domain], range: [...colors.range] },
    legend: { orient: 'bottom' as const, columns: 1, labelLimit: 0 },
  };
}
const PERCENTILES: [string, string][] = [
  ['p50', 'latency_p50_ms'],
  ['p90', 'latency_p90_ms'],
  ['p95', 'latency_p95_ms'],
  ['p97', 'latency_p97_ms'],
  ['p99', 'latency_p99_ms'],
  ['p99.9', 'latency_p999_ms'],
];

function latencyRows(report: RunReport): Row[] {
  const rows: Row[] = [];
  for (const u of report.units) {
    // Offline's one query has no meaningful latency distribution; micro-benchmarks have their own scale.
    if (u.kind !== 'scenario' || u.result?.scenario === 'offline') continue;
    PERCENTILES.forEach(([label, name], order) => {
      const v = u.metrics[name];
      if (typeof v === 'number') rows.push({ unit: workloadTitle(u.workload), device: u.device ?? '—', percentile: label, order, ms: v });
    });
  }
  return rows;
}

function throughputRows(report: RunReport, view: ComparisonView | null): Row[] {
  const baseline: Row[] = (view?.workloads ?? []).flatMap((w) =>
    w.rows
      .filter((r) => r.metric === 'samples_per_second' && r.baseline !== null)
      .map((r) => ({
        device: deviceOfId(w.baselineUnit),
        workload: workloadTitle(w.workload),
        rate: r.baseline as number,
      })),
  );
  return [
    ...baseline,
    ...report.units
      .filter((u) => typeof u.metrics.samples_per_second === 'number')
      .map((u) => {
        const scenario = u.result?.scenario;
        const batch = scenario === 'offline' ? u.settings.batchSize : scenario === 'multi-stream' ? u.settings.samplesPerQuery : undefined;
        return {
          device: u.device ?? '—',
          workload: view
            ? workloadTitle(u.workload)
            : `${u.model ?? u.kind}${typeof scenario === 'string' ? ` ${scenario}` : ''}${batch !== undefined ? ` ×${String(batch)}` : ''}`,
          rate: u.metrics.samples_per_second as number,
        };
      }),
  ];
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

/** Ratio rows: one per workload × metric with a ratio, labelled in full, coloured by the device the ratio favours. */
function ratioRows(view: ComparisonView | null): Row[] {
  return (view?.workloads ?? []).flatMap((w) =>
    w.rows
      .filter((r) => r.ratio !== null && r.ratio > 0)
      .map((r) => ({
        label: `${workloadTitle(w.workload)} · ${r.label} (${r.better} is better)`,
        ratio: r.ratio as number,
        ratioText: ratioText(r.ratio),
        textAt: Math.max(r.ratio as number, 1),
        favours: r.favours === 'candidate' ? deviceOfId(w.candidateUnit) : r.favours === 'baseline' ? deviceOfId(w.baselineUnit) : 'equal',
      })),
  );
}

function llmRows(view: ComparisonView | null, report: RunReport): Row[] {
  const rows: Row[] = [];
  for (const p of view ? view.llm : llmSeries(report, 'candidate')) {
    const base = { device: p.device, x: p.x, xKind: p.xKind, workload: workloadTitle(p.workload) };
    if (p.ttftP50Ms !== null) rows.push({ ...base, metric: 'TTFT p50 (ms)', value: p.ttftP50Ms });
    if (p.ttftP99Ms !== null) rows.push({ ...base, metric: 'TTFT p99 (ms)', value: p.ttftP99Ms });
    if (p.tpotP50Ms !== null) rows.push({ ...base, metric: 'TPOT p50 (ms)', value: p.tpotP50Ms });
    if (p.outputTokensPerS !== null) rows.push({ ...base, metric: 'output tokens/s', value: p.outputTokensPerS });
  }
  return rows;
}

export interface ChartOptions {
  /** The NPU-vs-GPU view; built from `comparison` (and the run) when not given. */
  readonly view?: ComparisonView | null;
  /** Device specs of the baseline run, for the colour map. */
  readonly baselineDevices?: readonly string[];
}

export async function buildCharts(report: RunReport, comparison: Comparison | null, options: ChartOptions = {}): Promise<Chart[]> {
  const charts: Chart[] = [];
  const view = options.view ?? (comparison ? buildComparisonView({ candidate: report, comparison }) : null);
  const colors = deviceColors([
    ...report.devices.map((d) => d.spec),
    ...(options.baselineDevices ?? []),
    ...(view?.workloads ?? []).map((w) => deviceOfId(w.baselineUnit)),
    ...(view?.llm ?? []).map((p) => p.device),
  ]);
  const add = async (id: string, title: string, rows: Row[], empty: string, spec: (rows: Row[]) => vl.TopLevelSpec) => {
    charts.push(rows.length ? { id, title, svg: await toSvg(spec(rows)), empty: null } : { id, title, svg: null, empty });
  };
  await add(
    'latency',
    'Latency distribution (percentiles, ms; SingleStream, MultiStream, Server)',
    latencyRows(report),
    'no latency-bound scenario unit recorded latencies',
    (values) => ({
      $schema: SCHEMA,
      width: 520,
      height: 220,
      data: { values },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'percentile', type: 'ordinal', sort: { field: 'order' }, title: 'percentile' },
        y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'latency (ms, log scale)' },
        color: colorBy('device', colors),
        strokeDash: {
          field: 'unit',
          type: 'nominal',
          title: 'workload',
          legend: { orient: 'bottom', columns: 1, labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 2, symbolStrokeColor: 'black' },
        },
        detail: { field: 'unit', type: 'nominal' },
      },
    }),
  );
  await add(
    'throughput',
    'Throughput per device and workload (samples/s, log scale; ×N = batch or samples per query)',
    throughputRows(report, view),
    'no unit measured samples/s',
    (values) => ({
      $schema: SCHEMA,
      width: 520,
      data: { values },
      // Points, not bars: rates span orders of magnitude across devices, and bars cannot start at log(0).
      mark: { type: 'point', filled: true, size: 90 },
      encoding: {
        y: { field: 'workload', type: 'nominal', title: null, axis: { labelLimit: 0 } },
        yOffset: { field: 'device' },
        x: { field: 'rate', type: 'quantitative', title: 'samples/s (log scale; higher is better)', scale: { type: 'log' } },
        color: colorBy('device', colors),
      },
    }),
  );
  const ratios = ratioRows(view);
  // Log axis centred at 1: the domain is symmetric in log space, so 317× and 0.002× are both visible
  // and equally far from "equal" when they are equally far in orders of magnitude.
  const span = Math.max(10, ...ratios.map((r) => Math.max(r.ratio as number, 1 / (r.ratio as number)))) ** 1.1;
  await add(
    'ratios',
    'NPU / GPU ratio per workload and metric (log scale centred at 1; bar colour = the device the ratio favours)',
    ratios,
    view ? 'the baseline shares no workload with this run' : 'no baseline report was given (--baseline)',
    (values) => ({
      $schema: SCHEMA,
      width: 420,
      data: { values },
      encoding: { y: { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelLimit: 0 } } },
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: {
              field: 'ratio',
              type: 'quantitative',
              title: 'candidate (NPU) / baseline (GPU), log scale',
              scale: { type: 'log', domain: [1 / span, span] },
              axis: { format: '~g' },
            },
            x2: { datum: 1 },
            color: colorBy('favours', { domain: [...colors.domain, 'equal'], range: [...colors.range, '#999999'] }, 'favours'),
          },
        },
        // The figure sits right of the bar's outer end whichever side of 1 the bar is on.
        {
          mark: { type: 'text', align: 'left', dx: 4 },
          encoding: { x: { field: 'textAt', type: 'quantitative' }, text: { field: 'ratioText' } },
        },
        { mark: { type: 'rule', strokeDash: [4, 4], color: 'black' }, encoding: { x: { datum: 1 } } },
      ],
    }),
  );
  const llm = llmRows(view, report);
  const xKind = llm.some((r) => r.xKind === 'rate')
    ? 'request rate (requests/s)'
    : llm.some((r) => r.xKind === 'concurrency')
      ? 'concurrency (requests in flight)'
      : 'batch';
  const llmChart = (id: string, title: string, metrics: string[], yTitle: string) =>
    add(
      id,
      `LLM ${title} vs ${xKind}`,
      llm.filter((r) => metrics.includes(r.metric as string)),
      'no LLM unit recorded load points',
      (values) => ({
        $schema: SCHEMA,
        width: 420,
        height: 200,
        data: { values },
        mark: { type: 'line', point: { size: 60 } },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: xKind, scale: { zero: false } },
          y: { field: 'value', type: 'quantitative', title: yTitle, scale: { type: 'log' } },
          color: colorBy('device', colors),
          strokeDash: {
            field: 'metric',
            type: 'nominal',
            title: 'metric',
            legend: { orient: 'bottom', labelLimit: 0, symbolType: 'stroke', symbolStrokeWidth: 2, symbolStrokeColor: 'black' },
          },
          detail: { field: 'workload', type: 'nominal' },
        },
      }),
    );
  await llmChart('llm-ttft', 'time to first token (TTFT p50, p99)', ['TTFT p50 (ms)', 'TTFT p99 (ms)'], 'ms (log scale; lower is better)');
  await llmChart('llm-tpot', 'time per output token (TPOT p50)', ['TPOT p50 (ms)'], 'ms (log scale; lower is better)');
  await llmChart('llm-throughput', 'output throughput', ['output tokens/s'], 'tokens/s (log scale; higher is better)');
  await add(
    'coverage',
    'Op coverage (% of cases passing per op type)',
    coverageRows(report),
    'no conformance unit recorded per-op results',
    (values) => ({
      $schema: SCHEMA,
      data: { values },
      mark: 'rect',
      encoding: {
        x: { field: 'device', type: 'nominal', title: null },
        y: { field: 'op', type: 'nominal', title: null, sort: 'ascending' },
        color: { field: 'passPct', type: 'quantitative', scale: { domain: [0, 100], scheme: 'redyellowgreen' }, title: '% pass' },
      },
    }),
  );
  await add(
    'targets',
    'Progress toward the PF target',
    targetRows(report),
    report.targets ? 'the targets section has no progress figures' : 'no fleet target evaluation in this run',
    (values) => ({
      $schema: SCHEMA,
      width: 520,
      data: { values },
      layer: [
        {
          mark: 'bar',
          encoding: { y: { field: 'label', type: 'nominal', title: null }, x: { field: 'pf', type: 'quantitative', title: 'PF' } },
        },
        {
          mark: { type: 'tick', color: 'black', thickness: 2 },
          encoding: { y: { field: 'label', type: 'nominal' }, x: { field: 'target', type: 'quantitative' } },
        },
      ],
    }),
  );
  return charts;
}
