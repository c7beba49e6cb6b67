// Writes everything a run leaves in its out dir from the journal: report.json (checked against
// the schema before it is written), report.md, report.html, junit.xml, results.csv, and the
// commercialization report when product info and criteria were given. Each file is written whole
// or not at all (harness/durable.ts) and redacted on its way out.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { catalogEntry, peakTflops } from '../../devices/catalog.js';
import { assembleReport, type JournalState } from '../../reports/assemble.js';
import { buildCommercialization, renderCommercializationMarkdown, type CommercializationReport } from '../../reports/commercialization.js';
import { compareReports, type Comparison } from '../../reports/compare.js';
import { fileArtifact, sha256Hex } from '../../reports/digest.js';
import { renderCsv } from '../../reports/render/csv.js';
import { renderHtml } from '../../reports/render/html.js';
import { renderJunit } from '../../reports/render/junit.js';
import { renderMarkdown } from '../../reports/render/markdown.js';
import type { Artifact, RunReport } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { writeOutputFile } from '../durable.js';
import { JOURNAL_FILE } from '../journal.js';
import { redactText } from '../redact.js';
import type { RunInputs } from './orchestrate.js';

export const OUTPUT_FILES = ['journal.jsonl', 'report.json', 'report.md', 'report.html', 'junit.xml', 'results.csv'] as const;

export interface WrittenReports {
  readonly report: RunReport;
  readonly files: readonly string[];
  readonly comparison: Comparison | null;
  readonly commercialization: CommercializationReport | null;
  readonly notes: readonly string[];
}

/** Reads a baseline report; null (with a note) when it is missing or does not match the schema. */
export function readBaseline(path: string, notes: string[]): RunReport | null {
  if (!existsSync(path)) {
    notes.push(`baseline ${path} no longer exists; no comparison`);
    return null;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    notes.push(`baseline ${path} is not JSON; no comparison`);
    return null;
  }
  const errors = validate('run-report', doc);
  if (errors.length) {
    notes.push(`baseline ${path} is not a valid run report (${errors[0]}); no comparison`);
    return null;
  }
  return doc as RunReport;
}

function inputArtifacts(outDir: string, state: JournalState, inputs: RunInputs): Artifact[] {
  const artifacts: Artifact[] = [fileArtifact(JOURNAL_FILE, 'journal', join(outDir, JOURNAL_FILE))];
  const plan = state.plan;
  if (plan.suite.path && existsSync(plan.suite.path)) artifacts.push(fileArtifact(plan.suite.path, 'suite'));
  if (inputs.baselinePath && existsSync(inputs.baselinePath)) artifacts.push(fileArtifact(inputs.baselinePath, 'baseline report'));
  if (inputs.criteria && existsSync(inputs.criteria.source)) artifacts.push(fileArtifact(inputs.criteria.source, 'criteria'));
  if (inputs.productPath && existsSync(inputs.productPath)) artifacts.push(fileArtifact(inputs.productPath, 'product description'));
  for (const u of state.finished.values()) artifacts.push(...u.artifacts);
  return artifacts;
}

export async function writeReports(outDir: string, state: JournalState, inputs: RunInputs, now = new Date()): Promise<WrittenReports> {
  const notes: string[] = [];
  const report = assembleReport(state, { finishedAt: now.toISOString(), artifacts: inputArtifacts(outDir, state, inputs) });
  const problems = validate('run-report', report);
  if (problems.length) {
    writeOutputFile(join(outDir, 'report.invalid.json'), JSON.stringify(report, null, 2) + '\n');
    throw new Error(
      `the assembled report does not match its schema (a bug in npuval; kept as report.invalid.json):\n${problems.join('\n')}`,
    );
  }
  // Redacted before it is hashed, so the digest the commercialization report cites is the file's.
  const reportText = redactText(JSON.stringify(report, null, 2) + '\n');
  writeOutputFile(join(outDir, 'report.json'), reportText);

  const baseline = inputs.baselinePath ? readBaseline(inputs.baselinePath, notes) : null;
  const comparison = baseline ? compareReports(baseline, report, 5) : null;

  let commercialization: CommercializationReport | null = null;
  if (inputs.product && inputs.criteria) {
    const peaks: Record<string, number> = {};
    for (const d of report.devices) {
      const id = d.description?.catalogId;
      if (!id) continue;
      try {
        const v = peakTflops(catalogEntry(id), 'fp32').value;
        if (v !== null) peaks[d.spec] = v;
      } catch {
        // An unknown catalog id leaves the peak out; efficiency then says so.
      }
    }
    commercialization = buildCommercialization({
      report,
      reportPath: 'report.json',
      reportSha256: sha256Hex(reportText),
      product: inputs.product,
      criteria: inputs.criteria.criteria,
      criteriaSource: inputs.criteria.source,
      criteriaSha256: inputs.criteria.sha256,
      baseline,
      baselinePath: baseline ? inputs.baselinePath : null,
      baselineSha256: baseline ? (report.baseline?.sha256 ?? null) : null,
      catalogPeakTflops: peaks,
      now,
    });
    const cErrors = validate('commercialization-report', commercialization);
    if (cErrors.length) throw new Error(`the commercialization report does not match its schema (a bug in npuval):\n${cErrors.join('\n')}`);
    writeOutputFile(join(outDir, 'commercialization.json'), JSON.stringify(commercialization, null, 2) + '\n');
    writeOutputFile(join(outDir, 'commercialization.md'), renderCommercializationMarkdown(commercialization));
  } else if (inputs.product || inputs.criteria) {
    notes.push(
      `no commercialization report: it needs both product info and criteria (${inputs.product ? 'criteria' : 'product info'} missing)`,
    );
  }

  writeOutputFile(
    join(outDir, 'report.md'),
    renderMarkdown(report, comparison, { baseline }) + (commercialization ? '\n' + renderCommercializationMarkdown(commercialization) : ''),
  );
  writeOutputFile(join(outDir, 'report.html'), await renderHtml(report, { comparison, commercialization, baseline }));
  writeOutputFile(join(outDir, 'junit.xml'), renderJunit(report));
  writeOutputFile(join(outDir, 'results.csv'), renderCsv(report));
  const files = [...OUTPUT_FILES, ...(commercialization ? ['commercialization.json', 'commercialization.md'] : [])].map((f) =>
    join(outDir, basename(f)),
  );
  return { report, files, comparison, commercialization, notes };
}
