// The Markdown report: what a person reads first. Every cell is escaped so names from devices,
// suites or models cannot break the table or inject HTML into a Markdown viewer.
import { formatValue } from '../metrics.js';
import type { Comparison } from '../compare.js';
import { buildComparisonView, comparisonMarkdown, mdCell, mdTable, targetsMarkdown } from '../comparison.js';
import { showControls } from '../escape.js';
import type { RunReport } from '../types.js';
import { bytes, headlineText, modelFlopsText, validityLabel } from './text.js';

/** Escapes a table cell (the shared rule in reports/comparison.ts). */
export const md = mdCell;

function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return mdTable(header, rows);
}

export interface MarkdownOptions {
  /** The baseline run report, so the comparison names the GPU's runtime and driver. */
  readonly baseline?: RunReport | null;
}

export function renderMarkdown(report: RunReport, comparison: Comparison | null = null, options: MarkdownOptions = {}): string {
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
  out.push(
    table(
      ['unit', 'device', 'model', 'status', 'validity', 'headline metrics'],
      report.units.map((u) => [u.title, u.device, u.model, u.status, validityLabel(u), headlineText(u).join('; ')]),
    ),
  );
  const invalid = report.units.filter((u) => u.validity.reasons.length || u.error || u.notes.length);
  if (invalid.length) {
    out.push('', '### Reasons and notes', '');
    for (const u of invalid) {
      const lines = [...(u.error ? [`error: ${u.error.message}`] : []), ...u.validity.reasons.map((r) => `INVALID: ${r}`), ...u.notes];
      out.push(`- **${md(u.title)}**: ${lines.map(md).join('; ')}`);
    }
  }
  const detailed = report.units.filter((u) => u.details?.length);
  if (detailed.length) {
    out.push('', '### Details', '');
    // An indented code block: no line of it can become markup; control characters are shown as escapes.
    for (const u of detailed) out.push(`**${md(u.title)}**`, '', ...u.details!.map((l) => `    ${showControls(l)}`), '');
  }
  if (comparison) {
    const view = buildComparisonView({ candidate: report, baseline: options.baseline ?? null, comparison });
    if (view) out.push('', comparisonMarkdown(view));
    out.push('', `## Against the baseline (${md(report.baseline?.path ?? '')}): every metric`, '');
    const shown = comparison.deltas.filter((d) => d.direction !== 'neutral' && d.deltaPct !== null);
    out.push(
      table(
        ['unit', 'metric', 'baseline', 'this run', 'change', 'better is'],
        shown.map((d) => [
          d.unit,
          d.metric,
          formatValue(d.metric, d.baseline),
          formatValue(d.metric, d.candidate),
          `${(d.deltaPct as number) >= 0 ? '+' : ''}${(d.deltaPct as number).toFixed(1)} %${d.regressed ? ' (regression)' : ''}`,
          d.direction,
        ]),
      ),
    );
  }
  out.push('', '## Environment', '');
  const e = report.environment;
  out.push(
    table(
      ['', ''],
      [
        ['host', `${e.host.hostname} (${e.host.os}, ${e.host.arch})`],
        ['CPU', `${e.host.cpuModel}, ${e.host.cores} cores`],
        ['memory', bytes(e.host.memoryBytes)],
        ['Node', e.node],
        ['ONNX Runtime', `${e.ort.version} (bundled EPs: ${e.ort.bundledEps.join(', ')})`],
        ...e.drivers.map((d) => [`driver (${d.device})`, `${d.name}: ${d.detail}`]),
        ...Object.entries(e.variables).map(([k, v]) => [k, v]),
        [
          'seeds',
          Object.entries(report.seeds)
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
        ],
      ],
    ),
  );
  out.push('', '## Devices', '');
  out.push(
    table(
      ['device', 'available', 'runtime', 'backend options', 'catalog', 'reason'],
      report.devices.map((d) => [
        d.spec,
        d.available ? 'yes' : 'no',
        d.description ? `${d.description.runtime.name} ${d.description.runtime.version}` : null,
        d.description
          ? Object.entries(d.description.backend.options)
              .map(([k, v]) => `${k}=${v}`)
              .join(', ') || 'defaults'
          : null,
        d.catalog ? String((d.catalog as { id?: unknown }).id ?? 'yes') : 'none (no catalog peak; utilization not computed)',
        d.reason,
      ]),
    ),
  );
  if (report.models.length) {
    out.push('', '## Models', '');
    out.push(
      table(
        ['model', 'source', 'params', 'FLOPs/sample', 'SHA-256'],
        report.models.map((m) => [
          m.name,
          m.source,
          m.params?.toLocaleString('en-US') ?? null,
          modelFlopsText(m),
          m.sha256.slice(0, 16) + '…',
        ]),
      ),
    );
  }
  out.push('', '## Targets: the fleet against the PF target', '');
  out.push(targetsMarkdown(report.targets));
  if (report.notes.length) out.push('', '## Notes', '', ...report.notes.map((n) => `- ${md(n)}`));
  out.push('', '## Artifacts', '');
  out.push(
    table(
      ['file', 'role', 'bytes', 'SHA-256'],
      report.artifacts.map((a) => [a.path, a.role, a.bytes, a.sha256]),
    ),
  );
  out.push('');
  return out.join('\n');
}
