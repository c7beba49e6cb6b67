// Checks a schema-valid run report for what a schema cannot say: the summary agrees with the
// units, unit ids are unique, and every artifact found on disk still has its recorded SHA-256.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { summarize } from './assemble.js';
import { sha256File } from './digest.js';
import type { RunReport } from './types.js';

export interface ConsistencyResult {
  /** `path: message` lines, like schema errors. */
  readonly problems: readonly string[];
  /** Artifacts that could not be checked (not on this machine), as notes. */
  readonly unchecked: readonly string[];
}

/** @param baseDir the directory relative artifact paths are resolved against (the report's own). */
export function checkConsistency(report: RunReport, baseDir: string): ConsistencyResult {
  const problems: string[] = [];
  const unchecked: string[] = [];
  const expected = summarize(report.units, report.summary.planned);
  for (const [key, value] of Object.entries(expected)) {
    const recorded = (report.summary as unknown as Record<string, number>)[key];
    if (recorded !== value) problems.push(`/summary/${key}: is ${recorded} but the units say ${value}`);
  }
  const seen = new Set<string>();
  report.units.forEach((u, i) => {
    if (seen.has(u.id)) problems.push(`/units/${i}/id: "${u.id}" appears twice`);
    seen.add(u.id);
  });
  if (report.complete !== (report.units.length === report.summary.planned)) {
    problems.push(`/complete: is ${report.complete} but ${report.units.length} of ${report.summary.planned} planned units are present`);
  }
  const artifacts = [...report.artifacts.map((a, i) => ({ a, path: `/artifacts/${i}` }))];
  for (const [i, u] of report.units.entries())
    for (const [j, a] of u.artifacts.entries()) artifacts.push({ a, path: `/units/${i}/artifacts/${j}` });
  for (const { a, path } of artifacts) {
    const file = isAbsolute(a.path) ? a.path : join(baseDir, a.path);
    if (!existsSync(file)) {
      // A unit's artifacts are listed again at the top level: say each missing file once.
      const note = `${a.path} (${a.role}) is not here, so its SHA-256 was not checked`;
      if (!unchecked.includes(note)) unchecked.push(note);
      continue;
    }
    const actual = sha256File(file);
    // The journal grows after the report is assembled only if a run is resumed; anything else is a change.
    if (actual !== a.sha256) problems.push(`${path}/sha256: ${a.path} (${a.role}) has SHA-256 ${actual}, not the recorded ${a.sha256}`);
  }
  return { problems, unchecked };
}
