// The Markdown report: what a person reads first. Every cell is escaped so names from devices,
// suites or models cannot break the table or inject HTML into a Markdown viewer.
import { formatValue } from '../metrics.js';
import type { Comparison } from '../compare.js';
import type { RunReport } from '../types.js';
import { bytes, headlineText, validityLabel } from './text.js';

export function md(text: unknown): string {
  if (text === null || text === undefined) return '—';
  return String(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\|/g, '\\|')
    .replace(/[`*_[\]]/g, (c) => `\\${c}`)
    .replace(/\r?\n/g, ' ');
}

function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [
    `| ${header.map(md).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(md).join(' | ')} |`),
  ].join('\n');
}

export function renderMarkdown(report: RunReport, comparison: Comparison | null = null): string {
  const s = report.summary;
  const out: string[] = [];
  out.push(`# npuval report: suite ${md(report.suite.name)}`);
  out.push('');
  out.push(
    `${report.complete ? 'Complete' : '**Incomplete**'}: ${s.units}/${s.planned} units finished — ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skipped} skipped; ` +
      `${s.valid} VALID, ${s.invalid} INVALID. ${md(report.startedAt)} → ${md(report.finishedAt)}, npuval ${md(report.tool.version)}` +
      `${report.tool.gitCommit ? ` (${md(report.tool.gitCommit.slice(0, 12))})` : ''}.`,
  );
  if (report.suite.description) out.push('', md(report.suite.description));
  out.push('', '## Results', '');
  out.push(table(['unit', 'device', 'model', 'status', 'validity', 'headline metrics'], report.units.map((u) => [
    u.title, u.device, u.model, u.status, validityLabel(u),
    headlineText(u).join('; '),
  ])));
  const invalid = report.units.filter((u) => u.validity.reasons.length || u.error || u.notes.length);
  if (invalid.length) {
    out.push('', '### Reasons and notes', '');
    for (const u of invalid) {
      const lines = [...(u.error ? [`error: ${u.error.message}`] : []), ...u.validity.reasons.map((r) => `INVALID: ${r}`), ...u.notes];
      out.push(`- **${md(u.title)}**: ${lines.map(md).join('; ')}`);
    }
  }
  if (comparison) {
    out.push('', `## Against the baseline (${md(report.baseline?.path ?? '')})`, '');
    const shown = comparison.deltas.filter((d) => d.direction !== 'neutral' && d.deltaPct !== null);
    out.push(table(['unit', 'metric', 'baseline', 'this run', 'change', 'better is'], shown.map((d) => [
      d.unit, d.metric, formatValue(d.metric, d.baseline), formatValue(d.metric, d.candidate),
      `${(d.deltaPct as number) >= 0 ? '+' : ''}${(d.deltaPct as number).toFixed(1)} %${d.regressed ? ' (regression)' : ''}`, d.direction,
    ])));
  }
  out.push('', '## Environment', '');
  const e = report.environment;
  out.push(table(['', ''], [
    ['host', `${e.host.hostname} (${e.host.os}, ${e.host.arch})`],
    ['CPU', `${e.host.cpuModel}, ${e.host.cores} cores`],
    ['memory', bytes(e.host.memoryBytes)],
    ['Node', e.node],
    ['ONNX Runtime', `${e.ort.version} (bundled EPs: ${e.ort.bundledEps.join(', ')})`],
    ...e.drivers.map((d) => [`driver (${d.device})`, `${d.name}: ${d.detail}`]),
    ...Object.entries(e.variables).map(([k, v]) => [k, v]),
    ['seeds', Object.entries(report.seeds).map(([k, v]) => `${k}=${v}`).join(', ')],
  ]));
  out.push('', '## Devices', '');
  out.push(table(['device', 'available', 'runtime', 'backend options', 'catalog', 'reason'], report.devices.map((d) => [
    d.spec, d.available ? 'yes' : 'no',
    d.description ? `${d.description.runtime.name} ${d.description.runtime.version}` : null,
    d.description ? Object.entries(d.description.backend.options).map(([k, v]) => `${k}=${v}`).join(', ') || 'defaults' : null,
    d.catalog ? String((d.catalog as { id?: unknown }).id ?? 'yes') : 'none (no catalog peak; utilization not computed)',
    d.reason,
  ])));
  if (report.models.length) {
    out.push('', '## Models', '');
    out.push(table(['model', 'source', 'params', 'FLOPs/sample', 'SHA-256'], report.models.map((m) => [
      m.name, m.source, m.params?.toLocaleString('en-US') ?? null, m.flopsPerSample?.toExponential(3) ?? 'per token / not computed', m.sha256.slice(0, 16) + '…',
    ])));
  }
  out.push('', '## Targets', '');
  out.push(targetsText(report.targets));
  if (report.notes.length) out.push('', '## Notes', '', ...report.notes.map((n) => `- ${md(n)}`));
  out.push('', '## Artifacts', '');
  out.push(table(['file', 'role', 'bytes', 'SHA-256'], report.artifacts.map((a) => [a.path, a.role, a.bytes, a.sha256])));
  out.push('');
  return out.join('\n');
}

/** The PF target evaluation in a few lines; the full evaluation (inputs, sources, gap lines) is in report.json. */
function targetsText(t: RunReport['targets']): string {
  if (!t) return 'Not evaluated in this run (the suite gives no fleet inventory).';
  const e = t as {
    target?: { date?: string; pf?: number; explanation?: string };
    inputs?: { precision?: string; precisionReason?: string };
    totals?: { peakPf?: number; effectivePf?: number | null };
    fractionOfTarget?: { peak?: number; effective?: number | null };
    fleet?: { catalogId?: string; count?: number; peakPf?: number | null; effectivePf?: number | null }[];
  };
  const pct = (x: number | null | undefined) => (typeof x === 'number' ? `${(100 * x).toFixed(1)} %` : 'not measured');
  const pf = (x: number | null | undefined) => (typeof x === 'number' ? `${x.toFixed(2)} PF` : 'not measured');
  return [
    `Target on ${md(e.target?.date)}: ${pf(e.target?.pf)} (${md(e.target?.explanation)}). Precision: ${md(e.inputs?.precision)}.`,
    '',
    table(['fleet line', 'count', 'catalog peak', 'measured effective'], (e.fleet ?? []).map((l) => [l.catalogId, l.count, pf(l.peakPf), pf(l.effectivePf)])),
    '',
    `Total catalog peak: ${pf(e.totals?.peakPf)} (${pct(e.fractionOfTarget?.peak)} of the target). Measured effective: ` +
      (typeof e.totals?.effectivePf === 'number' ? `${pf(e.totals.effectivePf)} (${pct(e.fractionOfTarget?.effective)} of the target).` : 'not measured (no unit in this run measured a fleet device).') +
      ' Catalog peaks are published figures, not measurements; the full evaluation is in report.json.',
  ].join('\n');
}
