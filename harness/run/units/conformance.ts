// The `conformance` unit: the ONNX backend test suite (harness/conformance) on one device, or the
// cases the unit's `filter` selects. Filtered-out cases are counted but not listed one by one.
import { runConformance, type ConformanceResult, type StatusCounts } from '../../conformance/index.js';
import { readToleranceFile } from '../../conformance/tolerances.js';
import { InputError } from '../../errors.js';
import { checkSettingKeys, settingName, type PlannedUnitSpec, type UnitExecutor, type UnitOutcome } from './types.js';

const SETTING_KEYS = ['isolate', 'timeoutS', 'workers', 'tolerancesFile'] as const;

export function conformanceOutcome(r: ConformanceResult, settings: Record<string, unknown>): UnitOutcome {
  const run = r.runs[0]!;
  const c: StatusCounts = run.counts;
  const filtered = run.cases.filter((x) => x.cause === 'filtered').length;
  const considered = c.pass + c.fail + c.unsupported + c.error + c.skipped - filtered;
  const ran = considered - (c.skipped - filtered);
  const ops = run.matrix
    .map((o) => ({ op: o.op, ...o.counts, total: o.counts.pass + o.counts.fail + o.counts.unsupported + o.counts.error, verdict: o.verdict }))
    .filter((o) => o.total > 0);
  const notes: string[] = [];
  if (filtered) notes.push(`${filtered} case(s) left out by the filter ${r.filter ?? ''}`.trim());
  const byCause = new Map<string, number>();
  for (const x of run.cases) if (x.status !== 'pass' && x.cause !== 'filtered') byCause.set(`${x.status}/${x.cause}`, (byCause.get(`${x.status}/${x.cause}`) ?? 0) + 1);
  if (byCause.size) notes.push(`non-pass by cause: ${[...byCause].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  return {
    status: c.fail + c.error > 0 ? 'fail' : 'pass',
    validity: { valid: null, checks: [], reasons: [] },
    metrics: {
      conformance_cases: considered,
      conformance_passed: c.pass,
      conformance_failed: c.fail,
      conformance_unsupported: c.unsupported,
      conformance_errors: c.error,
      conformance_pass_rate_pct: ran > 0 ? (100 * c.pass) / ran : null,
      op_coverage_pct: ops.length ? (100 * ops.filter((o) => o.pass > 0).length) / ops.length : null,
    },
    notes,
    result: {
      kind: 'conformance',
      counts: { ...c },
      filtered,
      device: run.device, runtime: run.runtime, sessionOptions: run.sessionOptions,
      roots: r.roots, filter: r.filter, isolate: r.isolate, timeoutS: r.timeoutS, tolerances: r.tolerances, wallMs: run.wallMs,
      ops,
      cases: run.cases.filter((x) => x.cause !== 'filtered').map((x) => ({
        name: x.id, suite: x.suite, status: x.status, cause: x.cause, reason: x.reason, ops: x.ops, opset: x.opset,
        mismatch: x.mismatch, durationMs: x.ms,
      })),
    },
    settings,
  };
}

export interface ConformanceUnitSettings {
  readonly isolate: boolean;
  readonly timeoutS?: number;
  readonly workers?: number;
  readonly tolerancesFile: string | null;
}

/** The unit's settings, each checked for its type (exit 2); `npuval run` also calls it while planning. */
export function conformanceUnitSettings(unit: PlannedUnitSpec): ConformanceUnitSettings {
  const s = unit.spec.settings ?? {};
  checkSettingKeys(unit.id, s, SETTING_KEYS);
  const where = (key: string) => settingName(unit.id, key);
  if (s.isolate !== undefined && typeof s.isolate !== 'boolean') throw new InputError(`${where('isolate')} must be true or false`);
  if (s.timeoutS !== undefined && !(typeof s.timeoutS === 'number' && s.timeoutS > 0)) throw new InputError(`${where('timeoutS')} must be a positive number of seconds`);
  if (s.workers !== undefined && !(typeof s.workers === 'number' && Number.isInteger(s.workers) && s.workers >= 1)) throw new InputError(`${where('workers')} must be a whole number of child processes, at least 1`);
  if (s.tolerancesFile !== undefined && typeof s.tolerancesFile !== 'string') throw new InputError(`${where('tolerancesFile')} must be a file path`);
  // Read now so a broken file stops the run while planning, not when the unit starts.
  if (typeof s.tolerancesFile === 'string') readToleranceFile(s.tolerancesFile);
  return {
    isolate: s.isolate === true,
    timeoutS: s.timeoutS as number | undefined,
    workers: s.workers as number | undefined,
    tolerancesFile: (s.tolerancesFile as string | undefined) ?? null,
  };
}

export const runConformanceUnit: UnitExecutor = async (unit, ctx) => {
  if (!unit.device) throw new InputError(`conformance unit ${unit.id} needs a device`);
  const s = unit.spec.settings ?? {};
  const r = await runConformance({
    device: unit.device,
    roots: unit.spec.onnxTests,
    filter: unit.spec.filter ?? null,
    ...conformanceUnitSettings(unit),
  }, ctx.journal);
  return conformanceOutcome(r, { ...s, filter: unit.spec.filter ?? null, onnxTests: unit.spec.onnxTests ?? null });
};
