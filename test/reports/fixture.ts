// Test fixture: a real report from a real (tiny) run — the probe micro-benchmark and a short
// SingleStream scenario on ort:cpu — made once per test file in a temp dir.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSuite } from '../../harness/run/orchestrate.js';
import { writeReports } from '../../harness/run/outputs.js';
import type { RunReport } from '../../reports/types.js';

export const FIXTURE_SUITE = {
  $schema: 'https://npuval.dev/schemas/suite/1.0.0.json',
  name: 'fixture',
  description: 'test fixture',
  seed: 7,
  devices: ['ort:cpu'],
  units: [
    { kind: 'micro', settings: { iterations: 50, warmup: 2 } },
    { kind: 'scenario', scenario: 'single-stream', model: 'tiny-bert', settings: { minDurationMs: 100, warmupMs: 20, minQueryCount: 64 } },
  ],
};

export async function makeReport(
  extraSuite: Record<string, unknown> = {},
): Promise<{ dir: string; report: RunReport; reportPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'npuval-report-'));
  const suitePath = join(dir, 'suite.json');
  writeFileSync(suitePath, JSON.stringify({ ...FIXTURE_SUITE, ...extraSuite }));
  const out = join(dir, 'out');
  const result = await runSuite({
    suite: suitePath,
    outDir: out,
    argv: ['run', '--suite', suitePath],
    log: () => {},
    signal: new AbortController().signal,
  });
  const written = await writeReports(result.outDir, result.state, result.inputs);
  return { dir: out, report: written.report, reportPath: join(out, 'report.json') };
}
