// One self-contained HTML file: inline CSS, charts as inline SVG (Vega-Lite → Vega → SVG in
// Node), no scripts and no external resources. A Content-Security-Policy forbids both, so even a
// name that slipped past escaping could neither run nor fetch anything.
import { formatValue, metric } from '../metrics.js';
import type { Comparison } from '../compare.js';
import { metricName, type CommercializationReport } from '../commercialization.js';
import {
  buildComparisonView,
  favoursText,
  ratioText,
  sideText,
  targetsSections,
  workloadTitle,
  type ComparisonView,
} from '../comparison.js';
import { escapeHtml } from '../escape.js';
import type { RunReport } from '../types.js';
import { buildCharts, type Chart } from './charts.js';
import { bytes, headlineText, modelFlopsText, validityLabel } from './text.js';

/** Escapes text for HTML (reports/escape.ts: entities, and control and bidi characters made visible). */
export const esc = escapeHtml;

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px;max-width:100%}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
td:first-child{overflow-wrap:anywhere;max-width:28em}td code{overflow-wrap:anywhere}
th{background:#f4f4f4}.pass,.VALID{color:#0a6b1f;font-weight:600}.fail,.error,.INVALID{color:#b00020;font-weight:600}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}
.card b{display:block;font-size:1.4rem}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
.empty{color:#666;font-style:italic}.favours-candidate{color:#0a6b1f}.favours-baseline{color:#b00020}td.num{text-align:right;font-variant-numeric:tabular-nums}
.chart svg{max-width:100%;height:auto}code{font-size:12px}details{margin:.3rem 0}pre{white-space:pre-wrap;font-size:12px;background:#f8f8f8;padding:.5rem}
`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export interface HtmlOptions {
  readonly comparison?: Comparison | null;
  readonly commercialization?: CommercializationReport | null;
  /** The baseline run report, so the comparison names the GPU's runtime and driver and charts its LLM points. */
  readonly baseline?: RunReport | null;
}

function figure(c: Chart): string {
  return `<figure class="chart" data-chart="${esc(c.id)}"><figcaption>${esc(c.title)}</figcaption>${c.svg ?? `<p class="empty">${esc(c.empty)}</p>`}</figure>`;
}

/** The NPU-vs-GPU tables: both sides named, then per workload rows = metrics. */
export function comparisonHtml(v: ComparisonView): string {
  const parts = [
    '<section class="comparison"><h2>NPU vs GPU baseline</h2>',
    `<ul><li><b>Candidate (NPU)</b>: <span class="side-candidate">${esc(sideText(v.candidate))}</span></li><li><b>Baseline (GPU)</b>: <span class="side-baseline">${esc(sideText(v.baseline))}</span></li></ul>`,
    `<p>${esc(v.note)}</p>`,
  ];
  if (!v.workloads.length) parts.push('<p class="empty">No workload of the candidate has a counterpart in the baseline.</p>');
  for (const w of v.workloads) {
    parts.push(
      `<h3>${esc(workloadTitle(w.workload))}</h3><p>units <code>${esc(w.candidateUnit)}</code> vs <code>${esc(w.baselineUnit)}</code>${w.point ? `; figures at the load point ${esc(w.point)} (the unit's last; every point is in the LLM charts)` : ''}</p>`,
    );
    parts.push(
      `<table class="comparison-table" data-workload="${esc(w.workload)}"><thead><tr>${['metric', 'candidate (NPU)', 'baseline (GPU)', 'ratio NPU/GPU', 'better', 'verdict'].map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${w.rows
        .map(
          (r) =>
            `<tr data-metric="${esc(r.metric)}"><td>${esc(r.label)} <code>${esc(r.metric)}</code></td><td class="num">${esc(formatValue(r.metric, r.candidate))}</td><td class="num">${esc(formatValue(r.metric, r.baseline))}</td>` +
            `<td class="num">${esc(ratioText(r.ratio))}</td><td>${esc(r.better)} is better</td><td class="favours-${esc(r.favours ?? 'none')}">${esc(favoursText(r))}</td></tr>`,
        )
        .join('')}</tbody></table>`,
    );
  }
  parts.push('</section>');
  return parts.join('\n');
}

/** The PF-target section as tables (both milestones, the fleet, the gap). */
export function targetsHtml(targets: Record<string, unknown> | null): string {
  if (!targets) return '<p class="empty">Not evaluated (no fleet inventory was given).</p>';
  const t = targetsSections(targets);
  const tbl = (x: (typeof t.tables)[number]) =>
    `<h3>${esc(x.title)}</h3>${table(
      x.header,
      x.rows.map((r) => r.map(esc)),
    )}`;
  return `<div class="targets"><p>${esc(t.lead)}</p>${tbl(t.tables[0]!)}${tbl(t.tables[1]!)}<p>${esc(t.total)}</p>${tbl(t.tables[2]!)}<p>${esc(t.closing)}</p></div>`;
}

/** Every section of the commercialization report. */
export function commercializationHtml(c: CommercializationReport): string {
  const ev = (unit: string, digest: string) =>
    `${esc(workloadTitle(unit))}<br><code title="${esc(unit)}">${esc(digest.slice(0, 16))}…</code>`;
  const parts: string[] = [];
  parts.push(
    `<section class="commercialization"><h2>Commercialization: ${esc(c.product.vendor)} ${esc(c.product.chip)} — <span class="${c.overall}">${esc(c.overall)}</span></h2>`,
  );
  parts.push(
    `<p>Product device in the run: <code>${esc(c.product.device)}</code>; SDK ${esc(c.product.sdk.name)} ${esc(c.product.sdk.version)}. Run report ${esc(c.runReport.path)} <code>${esc(c.runReport.sha256)}</code>; criteria ${esc(c.criteria.source)}` +
      `${c.performance.baseline ? `; GPU baseline ${esc(c.performance.baseline.path)} <code>${esc(c.performance.baseline.sha256)}</code>` : '; no GPU baseline'}.</p>`,
  );
  parts.push('<h3>System (MLPerf system-description fields)</h3>');
  parts.push(
    table(
      ['MLPerf field', 'value'],
      Object.entries(c.product.system).map(([k, v]) => [esc(k), esc(v)]),
    ),
  );
  parts.push('<h3>Verdict per criterion</h3>');
  parts.push(
    table(
      ['criterion', 'metric', 'condition', 'value', 'verdict', 'detail', 'evidence'],
      c.verdicts.map((v) => [
        esc(`${v.id}: ${v.description}`),
        esc(metricName(v.metric)),
        esc(`${v.op} ${v.threshold}${/× baseline/.test(v.detail) ? ' × baseline' : ''}`),
        esc(v.value === null ? 'not measured' : /× baseline/.test(v.detail) ? ratioText(v.value) : formatValue(v.metric, v.value)),
        `<span class="${v.verdict === 'pass' ? 'pass' : v.verdict === 'fail' ? 'fail' : ''}">${esc(v.verdict)}</span>`,
        esc(v.detail),
        (v.evidence.some((e) => e.value !== null) ? v.evidence.filter((e) => e.value !== null) : v.evidence)
          .map((e) => ev(e.unit, e.digest))
          .join('<br>') || '—',
      ]),
    ),
  );
  parts.push('<h3>Conformance</h3>');
  parts.push(
    c.conformance.length
      ? table(
          ['unit', 'cases', 'passed', 'pass rate', 'ops tested', 'ops passing', 'op coverage', 'evidence'],
          c.conformance.map((x) => [
            esc(workloadTitle(x.unit)),
            esc(x.cases),
            esc(x.passed),
            esc(x.passRatePct === null ? '—' : `${x.passRatePct.toFixed(1)} %`),
            esc(x.opsTested),
            esc(x.opsPassing),
            esc(x.opCoveragePct === null ? '—' : `${x.opCoveragePct.toFixed(1)} %`),
            ev(x.unit, x.digest),
          ]),
        )
      : '<p class="empty">Not measured on this product.</p>',
  );
  parts.push('<h3>Accuracy</h3>');
  parts.push(
    c.accuracy.length
      ? table(
          ['unit', 'reference', 'metric', 'value'],
          c.accuracy.flatMap((a) =>
            Object.entries(a.metrics).map(([k, val]) => [
              esc(workloadTitle(a.unit)),
              esc(a.reference),
              esc(metricName(k)),
              esc(formatValue(k, val)),
            ]),
          ),
        )
      : '<p class="empty">Not measured on this product.</p>',
  );
  parts.push('<h3>Efficiency</h3>');
  parts.push(
    c.efficiency.length
      ? table(
          ['unit', 'samples/s', 'catalog peak TFLOP/s (catalog)', 'samples/s per catalog TFLOP/s', 'power', 'samples/s per W', 'notes'],
          c.efficiency.map((e) => [
            esc(workloadTitle(e.unit)),
            esc(e.samplesPerSecond?.toPrecision(4)),
            esc(e.catalogPeakTflops),
            esc(e.perCatalogTflops?.toPrecision(4)),
            esc(e.powerW === null ? 'not measured' : `${e.powerW.toPrecision(4)} W`),
            esc(e.perWatt?.toPrecision(4)),
            esc(e.notes.join('; ')),
          ]),
        )
      : '<p class="empty">Not measured.</p>',
  );
  parts.push(`<h3>Scaling</h3><p>${esc(c.scaling.note)}</p>`);
  parts.push(`<h3>Contribution to the PF target</h3><p>${esc(c.targetContribution.note)}</p>${targetsHtml(c.targetContribution.detail)}`);
  parts.push('</section>');
  return parts.join('\n');
}

export async function renderHtml(report: RunReport, options: HtmlOptions = {}): Promise<string> {
  const s = report.summary;
  const view =
    options.commercialization?.comparison ??
    (options.comparison
      ? buildComparisonView({ candidate: report, baseline: options.baseline ?? null, comparison: options.comparison })
      : null);
  const charts = await buildCharts(report, options.comparison ?? null, {
    view,
    baselineDevices: options.baseline?.devices.map((d) => d.spec) ?? [],
  });
  const parts: string[] = [];
  parts.push(`<h1>npuval report: suite ${esc(report.suite.name)}</h1>`);
  parts.push(
    `<p>${report.complete ? 'Complete' : '<b class="fail">Incomplete</b>'} · ${esc(report.startedAt)} → ${esc(report.finishedAt)} · npuval ${esc(report.tool.version)}${report.tool.gitCommit ? ` (${esc(report.tool.gitCommit.slice(0, 12))})` : ''}</p>`,
  );
  if (report.suite.description) parts.push(`<p>${esc(report.suite.description)}</p>`);
  parts.push(
    `<div class="cards">${[
      ['units', `${s.units}/${s.planned}`],
      ['pass', s.pass],
      ['fail', s.fail],
      ['error', s.error],
      ['VALID', s.valid],
      ['INVALID', s.invalid],
    ]
      .map(([k, v]) => `<div class="card"><b>${esc(v)}</b>${esc(k)}</div>`)
      .join('')}</div>`,
  );

  parts.push('<h2>Charts</h2>');
  for (const c of charts) parts.push(figure(c));
  if (view) parts.push(comparisonHtml(view));

  parts.push('<h2>Results</h2>');
  parts.push(
    table(
      ['unit', 'device', 'model', 'status', 'validity', 'headline metrics'],
      report.units.map((u) => [
        esc(u.title),
        esc(u.device),
        esc(u.model),
        `<span class="${esc(u.status)}">${esc(u.status)}</span>`,
        `<span class="${esc(validityLabel(u))}">${esc(validityLabel(u))}</span>`,
        headlineText(u).map(esc).join('<br>'),
      ]),
    ),
  );
  for (const u of report.units) {
    const lines = [...(u.error ? [`error: ${u.error.message}`] : []), ...u.validity.reasons.map((r) => `INVALID: ${r}`), ...u.notes];
    parts.push(
      `<details><summary>${esc(u.title)} — ${esc(u.status)}, ${u.attempts} attempt(s), ${(u.durationMs / 1000).toFixed(2)} s</summary>` +
        (lines.length ? `<ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : '') +
        (u.details?.length ? `<pre>${u.details.map(esc).join('\n')}</pre>` : '') +
        (u.validity.checks.length
          ? table(
              ['check', 'result', 'detail'],
              u.validity.checks.map((c) => [
                esc(c.name),
                c.passed ? '<span class="pass">yes</span>' : '<span class="fail">no</span>',
                esc(c.detail),
              ]),
            )
          : '') +
        table(
          ['metric', 'value', 'better'],
          Object.entries(u.metrics).map(([n, v]) => [esc(n), esc(formatValue(n, v)), esc(metric(n).direction)]),
        ) +
        `<p>settings: <code>${esc(JSON.stringify(u.settings))}</code></p></details>`,
    );
  }

  const comparison = options.comparison;
  if (comparison) {
    parts.push(`<h2>Against the baseline</h2><p>${esc(report.baseline?.path)} (threshold ${comparison.maxRegressionPct} %)</p>`);
    parts.push(
      table(
        ['unit', 'metric', 'baseline', 'this run', 'change', 'better is'],
        comparison.deltas
          .filter((d) => d.direction !== 'neutral')
          .map((d) => [
            esc(d.unit),
            esc(d.metric),
            esc(formatValue(d.metric, d.baseline)),
            esc(formatValue(d.metric, d.candidate)),
            d.deltaPct === null
              ? '—'
              : `<span class="${d.regressed ? 'fail' : ''}">${d.deltaPct >= 0 ? '+' : ''}${d.deltaPct.toFixed(1)} %</span>`,
            esc(d.direction),
          ]),
      ),
    );
  }

  if (options.commercialization) parts.push(commercializationHtml(options.commercialization));

  const e = report.environment;
  parts.push('<h2>Environment</h2>');
  parts.push(
    table(
      ['', ''],
      [
        ['host', esc(`${e.host.hostname} (${e.host.os}, ${e.host.arch})`)],
        ['CPU', esc(`${e.host.cpuModel}, ${e.host.cores} cores`)],
        ['memory', esc(bytes(e.host.memoryBytes))],
        ['Node', esc(e.node)],
        ['ONNX Runtime', esc(`${e.ort.version} (bundled EPs: ${e.ort.bundledEps.join(', ')})`)],
        ...e.drivers.map((d) => [esc(`driver (${d.device})`), esc(`${d.name}: ${d.detail}`)]),
        ...Object.entries(e.variables).map(([k, v]) => [esc(k), esc(v)]),
        ['command', `<code>${esc(report.command.argv.join(' '))}</code>`],
        [
          'seeds',
          esc(
            Object.entries(report.seeds)
              .map(([k, v]) => `${k}=${v}`)
              .join(', '),
          ),
        ],
      ],
    ),
  );
  parts.push('<h2>Devices</h2>');
  parts.push(
    table(
      ['device', 'available', 'runtime', 'driver', 'catalog', 'reason'],
      report.devices.map((d) => [
        `<span class="device-name">${esc(d.spec)}</span>`,
        d.available ? 'yes' : 'no',
        esc(d.description ? `${d.description.runtime.name} ${d.description.runtime.version}` : null),
        esc(d.description?.driver?.detail ?? null),
        esc(d.catalog ? JSON.stringify(d.catalog) : 'none (no catalog peak)'),
        esc(d.reason),
      ]),
    ),
  );
  if (report.models.length) {
    parts.push('<h2>Models</h2>');
    parts.push(
      table(
        ['model', 'source', 'params', 'FLOPs/sample', 'SHA-256'],
        report.models.map((m) => [
          esc(m.name),
          esc(m.source),
          esc(m.params?.toLocaleString('en-US') ?? null),
          esc(modelFlopsText(m)),
          `<code>${esc(m.sha256)}</code>`,
        ]),
      ),
    );
  }
  parts.push('<h2>Targets: the fleet against the PF target</h2>');
  parts.push(targetsHtml(report.targets));
  if (report.notes.length) parts.push('<h2>Notes</h2><ul>' + report.notes.map((n) => `<li>${esc(n)}</li>`).join('') + '</ul>');
  parts.push('<h2>Artifacts</h2>');
  parts.push(
    table(
      ['file', 'role', 'bytes', 'SHA-256'],
      report.artifacts.map((a) => [esc(a.path), esc(a.role), esc(a.bytes), `<code>${esc(a.sha256)}</code>`]),
    ),
  );

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>npuval report: ${esc(report.suite.name)}</title>
<style>${CSS}</style></head>
<body>
${parts.join('\n')}
</body></html>
`;
}
