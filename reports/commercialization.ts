// The commercialization report for one product: its MLPerf-style system description, then the
// run's evidence organised as a programme office reads it (conformance, accuracy, performance
// against a baseline, efficiency, scaling, PF contribution) and a verdict per acceptance
// criterion, each verdict linked to the units it rests on by their canonical-JSON SHA-256.
import { pairUnits, workloadKey } from './compare.js';
import {
  buildComparisonView,
  comparisonMarkdown,
  mdCell,
  mdTable,
  ratioText,
  targetsMarkdown,
  workloadTitle,
  type ComparisonView,
} from './comparison.js';
import { canonicalDigest } from './digest.js';
import { markdownFileLink } from './escape.js';
import { formatValue, metric } from './metrics.js';
import { COMMERCIALIZATION_ID, COMMERCIALIZATION_VERSION } from './schemas/commercialization.js';
import type { RunReport, UnitRecord, Verdict } from './types.js';

export interface ProductInfo {
  readonly vendor: string;
  readonly chip: string;
  readonly sdk: { readonly name: string; readonly version: string };
  readonly versions?: Readonly<Record<string, string>>;
  readonly modelPackage?: { readonly name: string; readonly version?: string; readonly sha256?: string };
  /** MLPerf Inference system-description fields (system_name, number_of_nodes, …), as strings. */
  readonly system: Readonly<Record<string, string>>;
  /** The device spec in the run that is this product. */
  readonly device: string;
}

export interface Criterion {
  readonly id: string;
  readonly description?: string;
  readonly metric: string;
  readonly op: '>=' | '<=';
  readonly threshold: number;
  readonly select?: {
    readonly kind?: string;
    readonly device?: string;
    readonly model?: string;
    readonly scenario?: string;
    readonly unit?: string;
  };
  readonly aggregate?: 'min' | 'max' | 'mean';
  /** Compare candidate / baseline instead of the raw value. */
  readonly relativeTo?: 'baseline';
}

export interface CommercializationReport {
  readonly $schema: string;
  readonly schemaVersion: string;
  readonly generatedAt: string;
  readonly runReport: { readonly path: string; readonly sha256: string; readonly canonicalSha256: string };
  readonly product: ProductInfo;
  readonly conformance: readonly {
    device: string;
    unit: string;
    digest: string;
    cases: number;
    passed: number;
    passRatePct: number | null;
    opsTested: number | null;
    opsPassing: number | null;
    opCoveragePct: number | null;
  }[];
  readonly accuracy: readonly {
    unit: string;
    digest: string;
    device: string | null;
    model: string | null;
    reference: string | null;
    metrics: Record<string, number | null>;
  }[];
  readonly performance: {
    readonly baseline: { path: string; sha256: string } | null;
    readonly note: string;
    readonly workloads: readonly {
      workload: string;
      unit: string;
      digest: string;
      baselineUnit: string | null;
      metric: string;
      value: number | null;
      baselineValue: number | null;
      ratio: number | null;
      better: boolean | null;
    }[];
  };
  readonly efficiency: readonly {
    unit: string;
    digest: string;
    device: string | null;
    samplesPerSecond: number | null;
    catalogPeakTflops: number | null;
    perCatalogTflops: number | null;
    powerW: number | null;
    perWatt: number | null;
    notes: string[];
  }[];
  /** The NPU-vs-GPU view: one table per workload, both sides named; null without a baseline. */
  readonly comparison: ComparisonView | null;
  readonly scaling: {
    readonly measured: boolean;
    readonly note: string;
    readonly units: readonly { unit: string; digest: string; scalingEfficiencyPct: number | null }[];
  };
  readonly targetContribution: { readonly evaluated: boolean; readonly note: string; readonly detail: Record<string, unknown> | null };
  readonly criteria: { readonly source: string; readonly sha256: string };
  readonly verdicts: readonly Verdict[];
  readonly overall: 'pass' | 'fail' | 'incomplete';
}

export interface CommercializationInput {
  readonly report: RunReport;
  readonly reportPath: string;
  /** SHA-256 of report.json's bytes as written. */
  readonly reportSha256: string;
  readonly product: ProductInfo;
  readonly criteria: readonly Criterion[];
  readonly criteriaSource: string;
  readonly criteriaSha256: string;
  readonly baseline: RunReport | null;
  readonly baselinePath: string | null;
  readonly baselineSha256: string | null;
  /** Catalog peak TFLOP/s per device spec at the precision run, when the device maps to a catalog entry. */
  readonly catalogPeakTflops?: Readonly<Record<string, number>>;
  readonly now?: Date;
}

function unitScenario(u: UnitRecord): string | null {
  const s = u.result?.scenario ?? u.settings.scenario;
  return typeof s === 'string' ? s : null;
}

export function selectUnits(units: readonly UnitRecord[], select: Criterion['select'], productDevice: string): UnitRecord[] {
  const sel = select ?? {};
  const device = sel.device ?? productDevice;
  return units.filter(
    (u) =>
      (sel.unit === undefined || u.id === sel.unit) &&
      (sel.kind === undefined || u.kind === sel.kind) &&
      (device === '*' || u.device === device) &&
      (sel.model === undefined || u.model === sel.model) &&
      (sel.scenario === undefined || unitScenario(u) === sel.scenario),
  );
}

export function evaluateCriterion(c: Criterion, report: RunReport, baseline: RunReport | null, productDevice: string): Verdict {
  const chosen = selectUnits(report.units, c.select, productDevice);
  const description = c.description ?? `${c.metric} ${c.op} ${c.threshold}${c.relativeTo ? ' (ratio to baseline)' : ''}`;
  const evidence: { unit: string; digest: string; value: number | null }[] = [];
  const reasons: string[] = [];
  const baselinePairs = baseline ? new Map(pairUnits(baseline.units, chosen).map(([b, cu]) => [cu.id, b])) : null;
  for (const u of chosen) {
    let value = u.metrics[c.metric] ?? null;
    if (value !== null && c.relativeTo === 'baseline') {
      const b = baselinePairs?.get(u.id);
      const bv = b?.metrics[c.metric] ?? null;
      if (!baseline) reasons.push('no baseline report was given');
      else if (!b) reasons.push(`${u.id} has no counterpart in the baseline`);
      value = b && bv !== null && bv !== 0 ? value / bv : null;
    }
    evidence.push({ unit: u.id, digest: canonicalDigest(u), value });
  }
  const values = evidence.map((e) => e.value).filter((v): v is number => v !== null);
  const base = { id: c.id, description, metric: c.metric, op: c.op, threshold: c.threshold, evidence };
  if (values.length === 0) {
    const why =
      chosen.length === 0
        ? `no unit in the run matches the selection ${JSON.stringify(c.select ?? {})} on ${c.select?.device ?? productDevice}`
        : [...new Set(reasons)].join('; ') || `${c.metric} was not measured by the selected units`;
    return { ...base, verdict: 'not-measured', value: null, detail: why };
  }
  const aggregate = c.aggregate ?? (c.op === '>=' ? 'min' : 'max');
  const value =
    aggregate === 'min'
      ? Math.min(...values)
      : aggregate === 'max'
        ? Math.max(...values)
        : values.reduce((a, b) => a + b, 0) / values.length;
  const ok = c.op === '>=' ? value >= c.threshold : value <= c.threshold;
  const unit = c.relativeTo ? '× baseline' : metric(c.metric).unit;
  return {
    ...base,
    verdict: ok ? 'pass' : 'fail',
    value,
    detail: `${aggregate} of ${values.length} value(s) = ${value.toPrecision(4)} ${unit} ${ok ? 'meets' : 'misses'} ${c.op} ${c.threshold}`,
  };
}

/** The product names a device the run did not use: nothing in the report could be about the product. */
export class ProductDeviceError extends Error {}

export function buildCommercialization(input: CommercializationInput): CommercializationReport {
  const { report, product, baseline } = input;
  if (!report.devices.some((d) => d.spec === product.device)) {
    throw new ProductDeviceError(
      `the product's device ${product.device} is not a device of the run (the run has ${report.devices.map((d) => d.spec).join(', ') || 'none'}); set "device" in the product file to the spec the run used`,
    );
  }
  const mine = report.units.filter((u) => u.device === product.device);
  const digest = (u: UnitRecord) => canonicalDigest(u);

  const conformance = mine
    .filter((u) => u.kind === 'conformance')
    .map((u) => {
      const ops = Array.isArray(u.result?.ops) ? (u.result.ops as { pass?: number; total?: number }[]) : null;
      return {
        device: u.device ?? '',
        unit: u.id,
        digest: digest(u),
        cases: u.metrics.conformance_cases ?? 0,
        passed: u.metrics.conformance_passed ?? 0,
        passRatePct: u.metrics.conformance_pass_rate_pct ?? null,
        opsTested: ops ? ops.length : null,
        opsPassing: ops ? ops.filter((o) => (o.pass ?? 0) > 0).length : null,
        opCoveragePct: u.metrics.op_coverage_pct ?? null,
      };
    });
  const accuracy = mine
    .filter((u) => u.kind === 'accuracy')
    .map((u) => ({
      unit: u.id,
      digest: digest(u),
      device: u.device,
      model: u.model,
      reference: typeof u.result?.reference === 'string' ? u.result.reference : null,
      metrics: { ...u.metrics },
    }));

  const workloads: CommercializationReport['performance']['workloads'][number][] = [];
  const perfUnits = mine.filter((u) => u.kind === 'scenario' || u.kind === 'llm');
  const pairs = baseline ? new Map(pairUnits(baseline.units, perfUnits).map(([b, c]) => [c.id, b])) : new Map<string, UnitRecord>();
  for (const u of perfUnits) {
    for (const name of ['samples_per_second', 'latency_p90_ms', 'latency_p99_ms', 'output_tokens_per_second', 'ttft_p99_ms']) {
      if (!(name in u.metrics)) continue;
      const b = pairs.get(u.id) ?? null;
      const value = u.metrics[name] ?? null;
      const baselineValue = b?.metrics[name] ?? null;
      const ratio = value !== null && baselineValue ? value / baselineValue : null;
      const dir = metric(name).direction;
      workloads.push({
        workload: workloadKey(u),
        unit: u.id,
        digest: digest(u),
        baselineUnit: b?.id ?? null,
        metric: name,
        value,
        baselineValue,
        ratio,
        better: ratio === null || dir === 'neutral' ? null : dir === 'higher' ? ratio > 1 : ratio < 1,
      });
    }
  }

  const efficiency = mine
    .filter((u) => u.kind === 'scenario')
    .map((u) => {
      const notes: string[] = [];
      const sps = u.metrics.samples_per_second ?? null;
      const peak = input.catalogPeakTflops?.[u.device ?? ''] ?? null;
      if (peak === null) notes.push('no catalog peak for this device: per-TFLOPS efficiency not computed');
      const power = u.metrics.power_avg_w ?? null;
      if (power === null) notes.push('power was not measured on this device, so per-watt efficiency is not reported');
      return {
        unit: u.id,
        digest: digest(u),
        device: u.device,
        samplesPerSecond: sps,
        catalogPeakTflops: peak,
        perCatalogTflops: sps !== null && peak ? sps / peak : null,
        powerW: power,
        perWatt: sps !== null && power ? sps / power : null,
        notes,
      };
    });

  const clusterUnits = mine.filter((u) => u.kind === 'cluster');
  const verdicts = input.criteria.map((c) => evaluateCriterion(c, report, baseline, product.device));
  const overall = verdicts.some((v) => v.verdict === 'fail')
    ? 'fail'
    : verdicts.some((v) => v.verdict === 'not-measured') || !report.complete
      ? 'incomplete'
      : 'pass';
  return {
    $schema: COMMERCIALIZATION_ID,
    schemaVersion: COMMERCIALIZATION_VERSION,
    generatedAt: (input.now ?? new Date()).toISOString(),
    runReport: { path: input.reportPath, sha256: input.reportSha256, canonicalSha256: canonicalDigest(report) },
    product: { ...product, versions: product.versions ?? {} },
    conformance,
    accuracy,
    performance: {
      baseline: input.baselinePath && input.baselineSha256 ? { path: input.baselinePath, sha256: input.baselineSha256 } : null,
      note: baseline
        ? 'ratio = this product / baseline, per workload; "better" follows each metric\'s direction'
        : 'no baseline report given (--baseline): ratios not computed',
      workloads,
    },
    efficiency,
    comparison: baseline ? buildComparisonView({ candidate: report, candidateDevice: product.device, baseline }) : null,
    scaling: clusterUnits.length
      ? {
          measured: true,
          note: 'from cluster units in this run',
          units: clusterUnits.map((u) => ({
            unit: u.id,
            digest: digest(u),
            scalingEfficiencyPct: u.metrics.scaling_efficiency_pct ?? null,
          })),
        }
      : { measured: false, note: 'not measured: the suite ran no cluster unit on this product', units: [] },
    targetContribution: report.targets
      ? {
          evaluated: true,
          note: "from the run report's targets section (fleet × measured per-device rates against seeds/targets.json)",
          detail: report.targets,
        }
      : { evaluated: false, note: 'not evaluated: the suite gave no fleet inventory', detail: null },
    criteria: { source: input.criteriaSource, sha256: input.criteriaSha256 },
    verdicts,
    overall,
  };
}

/** "throughput (samples_per_second)": the human name beside the id. */
export function metricName(id: string): string {
  try {
    return `${metric(id).label} (${id})`;
  } catch {
    return id;
  }
}

export function renderCommercializationMarkdown(c: CommercializationReport): string {
  const esc = mdCell;
  const rows = mdTable;
  const runLink = (unit: string, digest: string) => ({
    raw: `[${esc(workloadTitle(unit))}](${markdownFileLink(c.runReport.path)}) \`${digest.slice(0, 16).replace(/[^0-9a-f]/gi, '?')}…\``,
  });
  const counts = { pass: 0, fail: 0, 'not-measured': 0 } as Record<string, number>;
  for (const v of c.verdicts) counts[v.verdict] = (counts[v.verdict] ?? 0) + 1;
  const out = [
    `# Commercialization report: ${esc(c.product.vendor)} ${esc(c.product.chip)} — ${c.overall.toUpperCase()}`,
    '',
    `${c.verdicts.length} criteria: ${counts.pass} pass, ${counts.fail} fail, ${counts['not-measured']} not measured. Product device in the run: ${esc(c.product.device)}; SDK ${esc(c.product.sdk.name)} ${esc(c.product.sdk.version)}.`,
    '',
    `Run report ${esc(c.runReport.path)} (SHA-256 ${c.runReport.sha256}); criteria ${esc(c.criteria.source)} (SHA-256 ${c.criteria.sha256})` +
      (c.performance.baseline
        ? `; GPU baseline ${esc(c.performance.baseline.path)} (SHA-256 ${c.performance.baseline.sha256}).`
        : '; no GPU baseline.'),
    '',
    '## System (MLPerf system-description fields)',
    '',
    rows(['field', 'value'], Object.entries(c.product.system)),
    ...(Object.keys(c.product.versions ?? {}).length ? ['', rows(['component', 'version'], Object.entries(c.product.versions ?? {}))] : []),
    '',
    '## Verdict per criterion',
    '',
    rows(
      ['criterion', 'metric', 'condition', 'value', 'verdict', 'detail', 'evidence (unit in the run report, SHA-256)'],
      c.verdicts.map((v) => [
        `${v.id}: ${v.description}`,
        metricName(v.metric),
        `${v.op} ${v.threshold}${/ratio to baseline|× baseline/.test(v.detail) ? ' × baseline' : ''}`,
        v.value === null ? 'not measured' : /× baseline/.test(v.detail) ? ratioText(v.value) : formatValue(v.metric, v.value),
        v.verdict.toUpperCase(),
        v.detail,
        // The units that gave a value are the evidence; the others matched the selection but did not
        // measure the metric (listed only when none did, to show what was looked at).
        {
          raw:
            (v.evidence.some((e) => e.value !== null) ? v.evidence.filter((e) => e.value !== null) : v.evidence)
              .map((e) => runLink(e.unit, e.digest).raw + ` (${esc(e.unit)})`)
              .join('<br>') || '—',
        },
      ]),
    ),
    '',
    '## Conformance',
    '',
    c.conformance.length
      ? rows(
          ['unit', 'cases', 'passed', 'pass rate', 'ops tested', 'ops passing', 'op coverage', 'evidence'],
          c.conformance.map((x) => [
            workloadTitle(x.unit),
            x.cases,
            x.passed,
            x.passRatePct === null ? '—' : `${x.passRatePct.toFixed(1)} %`,
            x.opsTested,
            x.opsPassing,
            x.opCoveragePct === null ? '—' : `${x.opCoveragePct.toFixed(1)} %`,
            runLink(x.unit, x.digest),
          ]),
        )
      : 'Not measured on this product.',
    '',
    '## Accuracy',
    '',
    c.accuracy.length
      ? rows(
          ['unit', 'reference', 'metric', 'value', 'evidence'],
          c.accuracy.flatMap((a) =>
            Object.entries(a.metrics).map(([k, val], i) => [
              i === 0 ? workloadTitle(a.unit) : '',
              i === 0 ? a.reference : '',
              metricName(k),
              formatValue(k, val),
              i === 0 ? runLink(a.unit, a.digest) : '',
            ]),
          ),
        )
      : 'Not measured on this product.',
    '',
    c.comparison ? comparisonMarkdown(c.comparison) : `## NPU vs GPU baseline\n\n${esc(c.performance.note)}`,
    '',
    '## Performance ratios used by the criteria',
    '',
    esc(c.performance.note),
    '',
    c.performance.workloads.length
      ? rows(
          ['workload', 'metric', 'this product', 'baseline', 'ratio', 'better', 'favours'],
          c.performance.workloads.map((w) => [
            workloadTitle(w.workload),
            metricName(w.metric),
            formatValue(w.metric, w.value),
            formatValue(w.metric, w.baselineValue),
            ratioText(w.ratio),
            `${metric(w.metric).direction} is better`,
            w.better === null ? '—' : w.better ? 'this product' : 'the baseline',
          ]),
        )
      : 'No performance units on this product.',
    '',
    '## Efficiency',
    '',
    c.efficiency.length
      ? rows(
          ['unit', 'samples/s', 'catalog peak TFLOP/s (catalog)', 'samples/s per catalog TFLOP/s', 'power', 'samples/s per W', 'notes'],
          c.efficiency.map((e) => [
            workloadTitle(e.unit),
            e.samplesPerSecond?.toPrecision(4),
            e.catalogPeakTflops,
            e.perCatalogTflops?.toPrecision(4),
            e.powerW === null ? 'not measured' : `${e.powerW.toPrecision(4)} W`,
            e.perWatt?.toPrecision(4),
            e.notes.join('; '),
          ]),
        )
      : 'Not measured.',
    '',
    '## Scaling',
    '',
    esc(c.scaling.note),
    ...(c.scaling.units.length
      ? [
          '',
          rows(
            ['unit', 'scaling efficiency'],
            c.scaling.units.map((u) => [
              workloadTitle(u.unit),
              u.scalingEfficiencyPct === null ? '—' : `${u.scalingEfficiencyPct.toFixed(1)} %`,
            ]),
          ),
        ]
      : []),
    '',
    '## Contribution to the PF target',
    '',
    esc(c.targetContribution.note),
    '',
    targetsMarkdown(c.targetContribution.detail),
    '',
  ];
  return out.join('\n');
}
