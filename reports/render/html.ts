// One self-contained HTML file: inline CSS, charts as inline SVG (Vega-Lite → Vega → SVG in
// Node), no scripts and no external resources. A Content-Security-Policy forbids both, so even a
// name that slipped past escaping could neither run nor fetch anything.
import { formatValue, metric } from '../metrics.js';
import type { Comparison } from '../compare.js';
import type { CommercializationReport } from '../commercialization.js';
import type { RunReport } from '../types.js';
import { buildCharts } from './charts.js';
import { bytes, headlineText, validityLabel } from './text.js';

export function esc(text: unknown): string {
  if (text === null || text === undefined) return '—';
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const CSS = `
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px;max-width:100%}th,td{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
td:first-child{overflow-wrap:anywhere;max-width:28em}td code{overflow-wrap:anywhere}
th{background:#f4f4f4}.pass,.VALID{color:#0a6b1f;font-weight:600}.fail,.error,.INVALID{color:#b00020;font-weight:600}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem 1rem}
.card b{display:block;font-size:1.4rem}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
.empty{color:#666;font-style:italic}code{font-size:12px}details{margin:.3rem 0}pre{white-space:pre-wrap;font-size:12px;background:#f8f8f8;padding:.5rem}
`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export interface HtmlOptions {
  readonly comparison?: Comparison | null;
  readonly commercialization?: CommercializationReport | null;
}

export async function renderHtml(report: RunReport, options: HtmlOptions = {}): Promise<string> {
  const s = report.summary;
  const charts = await buildCharts(report, options.comparison ?? null);
  const parts: string[] = [];
  parts.push(`<h1>npuval report: suite ${esc(report.suite.name)}</h1>`);
  parts.push(`<p>${report.complete ? 'Complete' : '<b class="fail">Incomplete</b>'} · ${esc(report.startedAt)} → ${esc(report.finishedAt)} · npuval ${esc(report.tool.version)}${report.tool.gitCommit ? ` (${esc(report.tool.gitCommit.slice(0, 12))})` : ''}</p>`);
  if (report.suite.description) parts.push(`<p>${esc(report.suite.description)}</p>`);
  parts.push(`<div class="cards">${[
    ['units', `${s.units}/${s.planned}`], ['pass', s.pass], ['fail', s.fail], ['error', s.error], ['VALID', s.valid], ['INVALID', s.invalid],
  ].map(([k, v]) => `<div class="card"><b>${esc(v)}</b>${esc(k)}</div>`).join('')}</div>`);

  parts.push('<h2>Charts</h2>');
  for (const c of charts) {
    parts.push(`<figure class="chart" data-chart="${esc(c.id)}"><figcaption>${esc(c.title)}</figcaption>${c.svg ?? `<p class="empty">${esc(c.empty)}</p>`}</figure>`);
  }

  parts.push('<h2>Results</h2>');
  parts.push(table(['unit', 'device', 'model', 'status', 'validity', 'headline metrics'], report.units.map((u) => [
    esc(u.title), esc(u.device), esc(u.model), `<span class="${esc(u.status)}">${esc(u.status)}</span>`,
    `<span class="${esc(validityLabel(u))}">${esc(validityLabel(u))}</span>`,
    headlineText(u).map(esc).join('<br>'),
  ])));
  for (const u of report.units) {
    const lines = [...(u.error ? [`error: ${u.error.message}`] : []), ...u.validity.reasons.map((r) => `INVALID: ${r}`), ...u.notes];
    parts.push(`<details><summary>${esc(u.title)} — ${esc(u.status)}, ${u.attempts} attempt(s), ${(u.durationMs / 1000).toFixed(2)} s</summary>` +
      (lines.length ? `<ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>` : '') +
      (u.validity.checks.length ? table(['check', 'result', 'detail'], u.validity.checks.map((c) => [esc(c.name), c.passed ? '<span class="pass">yes</span>' : '<span class="fail">no</span>', esc(c.detail)])) : '') +
      table(['metric', 'value', 'better'], Object.entries(u.metrics).map(([n, v]) => [esc(n), esc(formatValue(n, v)), esc(metric(n).direction)])) +
      `<p>settings: <code>${esc(JSON.stringify(u.settings))}</code></p></details>`);
  }

  const comparison = options.comparison;
  if (comparison) {
    parts.push(`<h2>Against the baseline</h2><p>${esc(report.baseline?.path)} (threshold ${comparison.maxRegressionPct} %)</p>`);
    parts.push(table(['unit', 'metric', 'baseline', 'this run', 'change', 'better is'], comparison.deltas.filter((d) => d.direction !== 'neutral').map((d) => [
      esc(d.unit), esc(d.metric), esc(formatValue(d.metric, d.baseline)), esc(formatValue(d.metric, d.candidate)),
      d.deltaPct === null ? '—' : `<span class="${d.regressed ? 'fail' : ''}">${d.deltaPct >= 0 ? '+' : ''}${d.deltaPct.toFixed(1)} %</span>`, esc(d.direction),
    ])));
  }

  const c = options.commercialization;
  if (c) {
    parts.push(`<h2>Commercialization: ${esc(c.product.vendor)} ${esc(c.product.chip)} — <span class="${c.overall}">${esc(c.overall)}</span></h2>`);
    parts.push(table(['MLPerf field', 'value'], Object.entries(c.product.system).map(([k, v]) => [esc(k), esc(v)])));
    parts.push(table(['criterion', 'verdict', 'value', 'threshold', 'detail', 'evidence'], c.verdicts.map((v) => [
      esc(`${v.id}: ${v.description}`), `<span class="${v.verdict === 'pass' ? 'pass' : v.verdict === 'fail' ? 'fail' : ''}">${esc(v.verdict)}</span>`,
      esc(formatValue(v.metric, v.value)), esc(`${v.op} ${v.threshold}`), esc(v.detail),
      v.evidence.map((e) => `${esc(e.unit)} <code>${esc(e.digest.slice(0, 12))}</code>`).join('<br>'),
    ])));
  }

  const e = report.environment;
  parts.push('<h2>Environment</h2>');
  parts.push(table(['', ''], [
    ['host', esc(`${e.host.hostname} (${e.host.os}, ${e.host.arch})`)], ['CPU', esc(`${e.host.cpuModel}, ${e.host.cores} cores`)],
    ['memory', esc(bytes(e.host.memoryBytes))], ['Node', esc(e.node)], ['ONNX Runtime', esc(`${e.ort.version} (bundled EPs: ${e.ort.bundledEps.join(', ')})`)],
    ...e.drivers.map((d) => [esc(`driver (${d.device})`), esc(`${d.name}: ${d.detail}`)]),
    ...Object.entries(e.variables).map(([k, v]) => [esc(k), esc(v)]),
    ['command', `<code>${esc(report.command.argv.join(' '))}</code>`],
    ['seeds', esc(Object.entries(report.seeds).map(([k, v]) => `${k}=${v}`).join(', '))],
  ]));
  parts.push('<h2>Devices</h2>');
  parts.push(table(['device', 'available', 'runtime', 'driver', 'catalog', 'reason'], report.devices.map((d) => [
    `<span class="device-name">${esc(d.spec)}</span>`, d.available ? 'yes' : 'no',
    esc(d.description ? `${d.description.runtime.name} ${d.description.runtime.version}` : null), esc(d.description?.driver?.detail ?? null),
    esc(d.catalog ? JSON.stringify(d.catalog) : 'none (no catalog peak)'), esc(d.reason),
  ])));
  if (report.models.length) {
    parts.push('<h2>Models</h2>');
    parts.push(table(['model', 'source', 'params', 'FLOPs/sample', 'SHA-256'], report.models.map((m) => [
      esc(m.name), esc(m.source), esc(m.params?.toLocaleString('en-US') ?? null), esc(m.flopsPerSample?.toExponential(3) ?? 'per token / not computed'), `<code>${esc(m.sha256)}</code>`,
    ])));
  }
  parts.push('<h2>Targets</h2>');
  parts.push(report.targets ? `<pre>${esc(JSON.stringify(report.targets, null, 2))}</pre>` : '<p class="empty">Not evaluated in this run.</p>');
  if (report.notes.length) parts.push('<h2>Notes</h2><ul>' + report.notes.map((n) => `<li>${esc(n)}</li>`).join('') + '</ul>');
  parts.push('<h2>Artifacts</h2>');
  parts.push(table(['file', 'role', 'bytes', 'SHA-256'], report.artifacts.map((a) => [esc(a.path), esc(a.role), esc(a.bytes), `<code>${esc(a.sha256)}</code>`])));

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
