// The NPU-vs-GPU comparison a reviewer reads: per workload, one table whose rows are metrics and
// whose columns are the candidate (the NPU), the baseline (the GPU, named by device, runtime and
// driver), their ratio, which direction is better for the metric, and which side the ratio
// favours. Also the per-device LLM series (TTFT, TPOT, output tokens/s against concurrency or
// request rate) from llm units' points, for the charts. Pure: reads reports, runs nothing.
import { pairUnits, type Comparison } from './compare.js';
import { escapeMarkdown } from './escape.js';
import { metric, METRIC_NAMES } from './metrics.js';
import type { RunReport, UnitRecord } from './types.js';

/** The metrics a comparison table shows, in order, where either side measured them. */
export const COMPARISON_METRICS: readonly string[] = [
  'samples_per_second',
  'latency_p50_ms',
  'latency_p90_ms',
  'latency_p99_ms',
  'effective_tflops',
  'utilization_pct',
  'samples_per_second_per_watt',
  'energy_per_query_j',
  'output_tokens_per_second',
  'requests_per_second',
  'goodput_rps',
  'ttft_p50_ms',
  'ttft_p99_ms',
  'tpot_p50_ms',
  'tpot_p99_ms',
  'e2e_p99_ms',
].filter((n) => METRIC_NAMES.includes(n));

export interface ComparisonSide {
  /** Device spec(s) of the units compared. */
  readonly device: string;
  readonly runtime: string | null;
  readonly driver: string | null;
  readonly catalogId: string | null;
}

export interface ComparisonRow {
  readonly metric: string;
  readonly label: string;
  readonly unit: string;
  readonly candidate: number | null;
  readonly baseline: number | null;
  /** candidate / baseline; null when either is missing or the baseline is 0. */
  readonly ratio: number | null;
  readonly better: 'higher' | 'lower';
  /** Which side the ratio favours given `better`; null without a ratio. */
  readonly favours: 'candidate' | 'baseline' | 'equal' | null;
}

export interface WorkloadComparison {
  readonly workload: string;
  readonly kind: string;
  readonly model: string | null;
  readonly scenario: string | null;
  readonly candidateUnit: string;
  readonly baselineUnit: string;
  /** LLM units: the load point the unit's metrics are from (its last, e.g. "engine b1 p8 g4 c2"); else null. */
  readonly point: string | null;
  readonly rows: readonly ComparisonRow[];
}

export interface LlmSeriesPoint {
  readonly device: string;
  readonly side: 'candidate' | 'baseline';
  readonly workload: string;
  /** What `x` is: the closed-loop concurrency, or the request rate (requests/s). */
  readonly xKind: 'concurrency' | 'rate' | 'batch';
  readonly x: number;
  readonly ttftP50Ms: number | null;
  readonly ttftP99Ms: number | null;
  readonly tpotP50Ms: number | null;
  readonly outputTokensPerS: number | null;
}

export interface ComparisonView {
  readonly candidate: ComparisonSide;
  readonly baseline: ComparisonSide;
  readonly note: string;
  readonly workloads: readonly WorkloadComparison[];
  readonly llm: readonly LlmSeriesPoint[];
}

export interface ComparisonInput {
  readonly candidate: RunReport;
  /** The product's device: only its units are compared. Default: every unit of the candidate run. */
  readonly candidateDevice?: string | null;
  /** The baseline run report; without it the view is built from `comparison` (device names from unit ids only). */
  readonly baseline?: RunReport | null;
  readonly comparison?: Comparison | null;
}

const PERF_KINDS = new Set(['scenario', 'llm']);

function side(report: RunReport | null, specs: readonly string[]): ComparisonSide {
  const entries = (report?.devices ?? []).filter((d) => specs.includes(d.spec));
  const join = (xs: (string | null | undefined)[]) => {
    const u = [...new Set(xs.filter((x): x is string => !!x))];
    return u.length ? u.join('; ') : null;
  };
  return {
    device: specs.length ? specs.join(', ') : 'none',
    runtime: join(
      entries.map((d) =>
        d.description ? `${d.description.runtime.name} ${d.description.runtime.version} (${d.description.backend.name})` : null,
      ),
    ),
    driver: join(entries.map((d) => (d.description?.driver ? `${d.description.driver.name} ${d.description.driver.detail}` : null))),
    catalogId: join(entries.map((d) => d.description?.catalogId)),
  };
}

export function comparisonRow(name: string, candidate: number | null, baseline: number | null): ComparisonRow | null {
  const def = metric(name);
  if (def.direction === 'neutral') return null;
  const ratio = candidate !== null && baseline !== null && baseline !== 0 ? candidate / baseline : null;
  const favours = ratio === null ? null : ratio === 1 ? 'equal' : (def.direction === 'higher') === ratio > 1 ? 'candidate' : 'baseline';
  return { metric: name, label: def.label, unit: def.unit, candidate, baseline, ratio, better: def.direction, favours };
}

function unitScenario(u: Pick<UnitRecord, 'result' | 'settings'>): string | null {
  const s = u.result?.scenario ?? u.settings.scenario;
  return typeof s === 'string' ? s : null;
}

export function lastPoint(u: UnitRecord): string | null {
  const points = u.result?.points;
  if (u.kind !== 'llm' || !Array.isArray(points) || !points.length) return null;
  const label = (points[points.length - 1] as { label?: unknown }).label;
  return typeof label === 'string' ? label : null;
}

export function deviceOfId(id: string): string {
  const at = id.indexOf('@');
  return at < 0 ? '—' : id.slice(at + 1);
}

/** The LLM series of one report's llm units (every point of a sweep, or the single point). */
export function llmSeries(report: RunReport, sideName: 'candidate' | 'baseline', device: string | null = null): LlmSeriesPoint[] {
  const out: LlmSeriesPoint[] = [];
  for (const u of report.units) {
    if (u.kind !== 'llm' || !u.device || (device !== null && u.device !== device) || !Array.isArray(u.result?.points)) continue;
    for (const p of u.result.points as {
      concurrency?: number | null;
      rate?: number | null;
      batch?: number | null;
      summary?: Record<string, unknown>;
    }[]) {
      const s = (p.summary ?? {}) as {
        ttft?: { p50?: number; p99?: number } | null;
        tpot?: { p50?: number } | null;
        outputTokensPerS?: number | null;
      };
      const xKind = typeof p.rate === 'number' ? 'rate' : typeof p.concurrency === 'number' ? 'concurrency' : 'batch';
      const x = xKind === 'rate' ? p.rate : xKind === 'concurrency' ? p.concurrency : p.batch;
      if (typeof x !== 'number') continue;
      out.push({
        device: u.device,
        side: sideName,
        workload: u.workload,
        xKind,
        x,
        ttftP50Ms: s.ttft?.p50 ?? null,
        ttftP99Ms: s.ttft?.p99 ?? null,
        tpotP50Ms: s.tpot?.p50 ?? null,
        outputTokensPerS: typeof s.outputTokensPerS === 'number' ? s.outputTokensPerS : null,
      });
    }
  }
  return out;
}

function workloadComparison(c: UnitRecord, baselineUnit: string, rows: readonly ComparisonRow[]): WorkloadComparison {
  return {
    workload: c.workload,
    kind: c.kind,
    model: c.model,
    scenario: unitScenario(c),
    candidateUnit: c.id,
    baselineUnit,
    point: lastPoint(c),
    rows,
  };
}

/** The comparison view, or null when there is nothing to compare against (no baseline). */
export function buildComparisonView(input: ComparisonInput): ComparisonView | null {
  const { candidate, baseline = null, comparison = null } = input;
  const device = input.candidateDevice ?? null;
  const mine = candidate.units.filter((u) => PERF_KINDS.has(u.kind) && (device === null || u.device === device));
  const workloads: WorkloadComparison[] = [];
  if (baseline) {
    for (const [b, c] of pairUnits(baseline.units, mine)) {
      const rows = COMPARISON_METRICS.filter((n) => n in c.metrics || n in b.metrics)
        .filter((n) => (c.metrics[n] ?? null) !== null || (b.metrics[n] ?? null) !== null)
        .map((n) => comparisonRow(n, c.metrics[n] ?? null, b.metrics[n] ?? null))
        .filter((r): r is ComparisonRow => r !== null);
      workloads.push(workloadComparison(c, b.id, rows));
    }
  } else if (comparison) {
    const byUnit = new Map<string, { baselineUnit: string; rows: ComparisonRow[] }>();
    for (const d of comparison.deltas) {
      if (!COMPARISON_METRICS.includes(d.metric)) continue;
      const c = mine.find((u) => u.id === d.unit);
      if (!c) continue;
      const entry = byUnit.get(d.unit) ?? { baselineUnit: d.baselineUnit, rows: [] };
      const row = comparisonRow(d.metric, d.candidate, d.baseline);
      if (row) entry.rows.push(row);
      byUnit.set(d.unit, entry);
    }
    for (const c of mine) {
      const e = byUnit.get(c.id);
      if (!e) continue;
      e.rows.sort((a, b) => COMPARISON_METRICS.indexOf(a.metric) - COMPARISON_METRICS.indexOf(b.metric));
      workloads.push(workloadComparison(c, e.baselineUnit, e.rows));
    }
  } else {
    return null;
  }
  const candidateSpecs = [...new Set(workloads.map((w) => deviceOfId(w.candidateUnit)))];
  const baselineSpecs = [...new Set(workloads.map((w) => deviceOfId(w.baselineUnit)))];
  const llm = [
    ...llmSeries(candidate, 'candidate', device),
    ...(baseline ? baselineSpecs.flatMap((s) => llmSeries(baseline, 'baseline', s)) : []),
  ];
  return {
    candidate: side(candidate, candidateSpecs),
    baseline: side(baseline, baselineSpecs),
    note:
      'ratio = candidate (NPU) / baseline (GPU) for the same workload; "better" is the metric\'s direction (higher or lower is better), and "favours" says which side the ratio is good for.' +
      (baseline ? '' : ' The baseline report itself was not at hand, so its runtime and driver are not named.'),
    workloads,
    llm,
  };
}

/** "NPU ×3.2 better" style verdict text for a row. */
export function favoursText(r: ComparisonRow): string {
  if (r.favours === null) return '—';
  if (r.favours === 'equal') return 'equal';
  return r.favours === 'candidate' ? 'favours the NPU (candidate)' : 'favours the GPU (baseline)';
}

/** A ratio for people: 3 significant figures, thousands whole, tiny ones in exponent form. */
export function ratioText(r: number | null): string {
  if (r === null) return '—';
  const a = Math.abs(r);
  return a >= 1000 ? `${r.toFixed(0)}×` : a >= 0.001 ? `${r.toPrecision(3)}×` : `${r.toExponential(2)}×`;
}

// ---- human titles and Markdown sections (shared by report.md and commercialization.md) ----

const SCENARIO_NAMES: Readonly<Record<string, string>> = {
  'single-stream': 'SingleStream',
  'multi-stream': 'MultiStream',
  server: 'Server',
  offline: 'Offline',
};

/**
 * A workload id as a person reads it: "tiny-bert, Offline (batch 8)", "ONNX conformance (filtered
 * cases)"; never the raw filter regex (it stays in the id, shown as evidence).
 */
export function workloadTitle(workloadOrId: string): string {
  const at = workloadOrId.indexOf('@');
  const w = at < 0 ? workloadOrId : workloadOrId.slice(0, at);
  const on = at < 0 ? '' : ` on ${workloadOrId.slice(at + 1)}`;
  const [kind, ...rest] = w.split(':');
  if (kind === 'scenario' && rest.length >= 2) {
    const batch = rest.slice(2).find((p) => /^b\d+$/.test(p));
    return `${rest[1]}, ${SCENARIO_NAMES[rest[0]!] ?? rest[0]}${batch ? ` (batch ${batch.slice(1)})` : ''}${on}`;
  }
  if (kind === 'llm') return `${rest[0] ?? 'endpoint model'} LLM serving${rest[1] ? ` (${rest[1]})` : ''}${on}`;
  if (kind === 'conformance') return `ONNX conformance${rest.length && rest.join(':') !== '' ? ' (filtered cases)' : ''}${on}`;
  if (kind === 'accuracy') {
    const [model, ref] = rest.join(':').split('~');
    return `${model} accuracy${ref ? ` against ${ref}` : ''}${on}`;
  }
  return `${w}${on}`;
}

/** Escapes a Markdown table cell so names cannot break the table or inject HTML. */
export const mdCell = escapeMarkdown;

/** A Markdown table; cells are escaped unless given as `{ raw }` (already-safe Markdown such as a link). */
export function mdTable(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cell = (c: unknown) => (c !== null && typeof c === 'object' && 'raw' in c ? String((c as { raw: unknown }).raw) : mdCell(c));
  return [
    `| ${header.map(mdCell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

const num = (v: number | null, unit: string) =>
  v === null
    ? 'not measured'
    : `${Math.abs(v) >= 1000 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toPrecision(4) : v.toPrecision(3)}${unit === '1' ? '' : ` ${unit}`}`;

export function sideText(s: ComparisonSide): string {
  return `${s.device}${s.runtime ? `, runtime ${s.runtime}` : ''}${s.driver ? `, driver ${s.driver}` : ', driver not reported'}${s.catalogId ? `, catalog ${s.catalogId}` : ''}`;
}

/** The comparison view as Markdown: who is compared, then one table per workload. */
export function comparisonMarkdown(v: ComparisonView, heading = '##'): string {
  const out = [
    `${heading} NPU vs GPU baseline`,
    '',
    `- **Candidate (NPU)**: ${mdCell(sideText(v.candidate))}`,
    `- **Baseline (GPU)**: ${mdCell(sideText(v.baseline))}`,
    '',
    mdCell(v.note),
  ];
  if (!v.workloads.length) out.push('', 'No workload of the candidate has a counterpart in the baseline.');
  for (const w of v.workloads) {
    out.push(
      '',
      `${heading}# ${mdCell(workloadTitle(w.workload))}`,
      '',
      `Units: ${mdCell(w.candidateUnit)} vs ${mdCell(w.baselineUnit)}.${w.point ? ` Figures at the load point ${mdCell(w.point)} (the unit's last; every point is in the LLM charts).` : ''}`,
      '',
    );
    out.push(
      mdTable(
        ['metric', 'id', 'candidate (NPU)', 'baseline (GPU)', 'ratio NPU/GPU', 'better', 'verdict'],
        w.rows.map((r) => [
          r.label,
          r.metric,
          num(r.candidate, r.unit),
          num(r.baseline, r.unit),
          ratioText(r.ratio),
          `${r.better} is better`,
          favoursText(r),
        ]),
      ),
    );
  }
  return out.join('\n');
}

interface TargetsLike {
  target?: { date?: string; pf?: number; explanation?: string; anchorInterpretation?: string };
  milestones?: { year?: number; anchorDate?: string; pf?: number; fractionPeak?: number; fractionEffective?: number | null }[];
  inputs?: { precision?: string; sparsity?: string; precisionReason?: string; workload?: string | null };
  totals?: { peakPf?: number; effectivePf?: number | null };
  fractionOfTarget?: { peak?: number; effective?: number | null };
  gapPf?: { peak?: number; effective?: number | null };
  fleet?: {
    catalogId?: string;
    name?: string;
    count?: number;
    peak?: { value?: number | null };
    peakPf?: number | null;
    measuredTflopsPerDevice?: number | null;
    effectivePf?: number | null;
    utilization?: number | null;
  }[];
  measurements?: { catalogId?: string; unit?: string | null; note?: string }[];
  toCloseGap?: {
    byPeak?: { catalogId?: string; additionalDevices?: number | null }[];
    byMeasured?: { catalogId?: string; additionalDevices?: number | null; reason?: string | null }[];
  };
}

/** PF for people: 3 decimals from 1 PF up, else 3 significant figures (a stand-in's 0.000576 PF is not "0.000"). */
export function pfNumber(x: number): string {
  return x === 0 || Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(3);
}

/** A fraction as percent: one decimal from 0.1 % up, else 3 significant figures. */
export function pctNumber(fraction: number): string {
  const p = 100 * fraction;
  return p === 0 || Math.abs(p) >= 0.1 ? p.toFixed(1) : p.toPrecision(3);
}

const pfText = (x: number | null | undefined) => (typeof x === 'number' ? `${pfNumber(x)} PF` : 'not measured');
const pctText = (x: number | null | undefined) => (typeof x === 'number' ? `${pctNumber(x)} %` : 'not measured');

export interface TextTable {
  readonly title: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** The PF-target evaluation as plain text pieces (a lead, tables, a closing line) for any renderer. */
export function targetsSections(targets: Record<string, unknown>): { lead: string; tables: TextTable[]; total: string; closing: string } {
  const t = targets as TargetsLike;
  const measuredBy = new Map((t.measurements ?? []).map((m) => [m.catalogId, m]));
  const by = (id: string | undefined) => {
    const m = measuredBy.get(id);
    return m?.unit ? `${m.unit} (${m.note ?? ''})` : (m?.note ?? '—');
  };
  return {
    lead: `Target on ${t.target?.date ?? '—'}: ${pfText(t.target?.pf)} — ${t.target?.explanation ?? ''} Precision: ${t.inputs?.precision ?? '—'} (${t.inputs?.sparsity ?? '—'}); workload for effective PF: ${t.inputs?.workload ?? 'the best measured per device'}.`,
    tables: [
      {
        title: 'Milestones',
        header: ['milestone', 'anchor date', 'target', 'fleet catalog peak, % of it', 'fleet measured effective, % of it'],
        rows: (t.milestones ?? []).map((m) => [
          String(m.year),
          m.anchorDate ?? '—',
          pfText(m.pf),
          pctText(m.fractionPeak),
          pctText(m.fractionEffective),
        ]),
      },
      {
        title: 'Fleet',
        header: [
          'device',
          'count',
          'catalog peak per device (TFLOP/s, catalog)',
          'catalog peak',
          'measured per device (TFLOP/s)',
          'measured effective',
          'utilization',
          'measured by',
        ],
        rows: (t.fleet ?? []).map((l) => [
          `${l.name ?? l.catalogId} (${l.catalogId})`,
          String(l.count ?? '—'),
          typeof l.peak?.value === 'number' ? String(l.peak.value) : 'no catalog figure',
          pfText(l.peakPf),
          typeof l.measuredTflopsPerDevice === 'number' ? l.measuredTflopsPerDevice.toPrecision(4) : 'not measured',
          pfText(l.effectivePf),
          typeof l.utilization === 'number' ? `${(100 * l.utilization).toPrecision(3)} %` : '—',
          by(l.catalogId),
        ]),
      },
      {
        title: 'Devices to close the gap (each kind on its own)',
        header: ['device', `at measured efficiency (gap ${pfText(t.gapPf?.effective)})`, `at catalog peak (gap ${pfText(t.gapPf?.peak)})`],
        rows: (t.toCloseGap?.byMeasured ?? []).map((g, i) => [
          g.catalogId ?? '—',
          typeof g.additionalDevices === 'number' ? `+${g.additionalDevices}` : `unknown (${g.reason ?? 'no rate'})`,
          typeof t.toCloseGap?.byPeak?.[i]?.additionalDevices === 'number' ? `+${t.toCloseGap.byPeak[i]!.additionalDevices}` : 'unknown',
        ]),
      },
    ],
    total: `Total: catalog peak ${pfText(t.totals?.peakPf)} (${pctText(t.fractionOfTarget?.peak)} of the target on ${t.target?.date ?? '—'}); measured effective ${typeof t.totals?.effectivePf === 'number' ? `${pfText(t.totals.effectivePf)} (${pctText(t.fractionOfTarget?.effective)})` : 'not measured'}.`,
    closing: `Catalog peaks are published figures, not measurements. ${t.target?.anchorInterpretation ?? ''}`,
  };
}

/** The PF-target evaluation as Markdown: the target for the date, both milestones, the fleet, totals and the gap. */
export function targetsMarkdown(targets: Record<string, unknown> | null, heading = '###'): string {
  if (!targets) return 'Not evaluated (no fleet inventory was given).';
  const s = targetsSections(targets);
  const [milestones, fleet, gap] = s.tables;
  const part = (t: TextTable) => ['', `${heading} ${t.title}`, '', mdTable(t.header, t.rows)];
  return [mdCell(s.lead), ...part(milestones!), ...part(fleet!), '', mdCell(s.total), ...part(gap!), '', mdCell(s.closing)].join('\n');
}
