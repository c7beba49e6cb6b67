// The `conformance` workload: the ONNX backend test suite (harness/conformance) on one device, or
// the cases the unit's `filter` selects, optionally diffed against a second device. Filtered-out
// cases are counted but not listed one by one.
import { availableParallelism } from 'node:os';
import { DEFAULT_TIMEOUT_S, runConformance, type ConformanceResult, type StatusCounts } from '../../conformance/index.js';
import { readToleranceFile } from '../../conformance/tolerances.js';
import { InputError } from '../../errors.js';
import { checkInputFolder } from '../../input-file.js';
import { arrayOf, bool, nonNegInt, nullable, num, str } from '../../../reports/schemas/common.js';
import { writeUnitFile } from '../files.js';
import type { Params, UnitOutcome, Workload } from '../types.js';

/** Worker processes one machine runs at most: each is a whole ONNX Runtime; past twice the cores they only queue (docs/reliability.md#resource-bounds). */
function maxWorkers(): number {
  return Math.max(4, 2 * availableParallelism());
}

const SETTINGS = {
  isolate: {
    type: 'boolean',
    default: false,
    flag: 'isolate',
    doc: 'Run cases in child processes, so a crash or hang costs one case, not the run',
  },
  timeoutS: {
    type: 'number',
    default: DEFAULT_TIMEOUT_S,
    min: 0,
    exclusiveMin: true,
    max: 86_400,
    unit: 's',
    flag: 'timeout',
    doc: 'Per-case timeout (killed with isolate; abandoned in-process)',
  },
  workers: {
    type: 'integer',
    default: null,
    min: 1,
    max: 64,
    flag: 'workers',
    doc: 'Child processes with isolate (default min(4, cores), at least 2)',
  },
  tolerancesFile: {
    type: 'string',
    default: null,
    flag: 'tolerances',
    doc: 'JSON/YAML file with per-test overrides ({overrides: [{match, rtol, atol, reason}]}) and optional profiles',
  },
  compareDevice: {
    type: 'string',
    default: null,
    flag: 'compare-device',
    doc: 'Run the same cases on a second device and list which ops pass on one and not the other',
  },
} as const;

type S = typeof SETTINGS;

interface ConformanceParams extends Params<S> {
  readonly filter: string | null;
  readonly roots: readonly string[] | undefined;
}

export function conformanceOutcome(r: ConformanceResult): UnitOutcome {
  const run = r.runs[0]!;
  const c: StatusCounts = run.counts;
  const filtered = run.cases.filter((x) => x.cause === 'filtered').length;
  const considered = c.pass + c.fail + c.unsupported + c.error + c.skipped - filtered;
  const ran = considered - (c.skipped - filtered);
  const ops = run.matrix
    .map((o) => ({
      op: o.op,
      ...o.counts,
      total: o.counts.pass + o.counts.fail + o.counts.unsupported + o.counts.error,
      verdict: o.verdict,
    }))
    .filter((o) => o.total > 0);
  const notes: string[] = [];
  if (filtered) notes.push(`${filtered} case(s) left out by the filter ${r.filter ?? ''}`.trim());
  const byCause = new Map<string, number>();
  for (const x of run.cases)
    if (x.status !== 'pass' && x.cause !== 'filtered')
      byCause.set(`${x.status}/${x.cause}`, (byCause.get(`${x.status}/${x.cause}`) ?? 0) + 1);
  if (byCause.size) notes.push(`non-pass by cause: ${[...byCause].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const failed = r.runs.some((x) => x.counts.fail + x.counts.error > 0);
  return {
    status: failed ? 'fail' : 'pass',
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
      device: run.device,
      runtime: run.runtime,
      sessionOptions: run.sessionOptions,
      roots: r.roots,
      filter: r.filter,
      isolate: r.isolate,
      timeoutS: r.timeoutS,
      tolerances: r.tolerances,
      wallMs: run.wallMs,
      ops,
      cases: run.cases
        .filter((x) => x.cause !== 'filtered')
        .map((x) => ({
          name: x.id,
          suite: x.suite,
          status: x.status,
          cause: x.cause,
          reason: x.reason,
          ops: x.ops,
          opset: x.opset,
          mismatch: x.mismatch,
          durationMs: x.ms,
        })),
      // With a compare device: its run and the per-op diff (the whole result is also the conformance.json artifact).
      compared: r.runs[1] ? { device: r.runs[1].device, counts: { ...r.runs[1].counts } } : null,
      diff: r.diff,
    },
  };
}

const counts = { type: 'object', additionalProperties: nonNegInt };
const resultSchema = {
  type: 'object',
  properties: {
    counts,
    filtered: nonNegInt,
    device: str,
    runtime: str,
    sessionOptions: { type: 'object' },
    roots: arrayOf(str),
    filter: nullable(str),
    isolate: bool,
    timeoutS: num,
    tolerances: { type: 'object' },
    wallMs: num,
    ops: arrayOf({ type: 'object', properties: { op: str, total: nonNegInt }, required: ['op', 'total'] }),
    cases: arrayOf({
      type: 'object',
      properties: { name: str, status: { enum: ['pass', 'fail', 'unsupported', 'error', 'skipped'] }, cause: nullable(str) },
      required: ['name', 'status', 'cause'],
    }),
    compared: nullable({ type: 'object', properties: { device: str, counts }, required: ['device', 'counts'] }),
    diff: nullable({ type: 'object' }),
  },
  required: ['counts', 'filtered', 'device', 'runtime', 'roots', 'filter', 'isolate', 'timeoutS', 'ops', 'cases', 'compared', 'diff'],
  additionalProperties: false,
};

export const conformanceWorkload: Workload<S, ConformanceParams> = {
  kind: 'conformance',
  summary: 'The ONNX backend test suite (or folders in its layout) on a device: pass/fail/unsupported/error per case, per-op matrix',
  settings: SETTINGS,
  fields: { filter: 'optional', onnxTests: 'optional' },
  needsDevice: true,
  name: (u) => `conformance${u.filter ? `:${u.filter}` : ''}`,
  title: (u) => `conformance${u.filter ? ` (${u.filter})` : ''}`,
  resolve(unit, settings, plan) {
    if (unit.filter) {
      try {
        new RegExp(unit.filter);
      } catch {
        throw new InputError(`unit ${plan.unitId}: filter "${unit.filter}" is not a valid regular expression`);
      }
    }
    // Read now so a broken file stops the run while planning, not when the unit starts.
    if (settings.tolerancesFile) readToleranceFile(settings.tolerancesFile);
    for (const root of unit.onnxTests ?? []) checkInputFolder(root, 'onnxTests folder');
    const most = maxWorkers();
    if (settings.workers !== null && settings.workers > most)
      throw new InputError(
        `--workers ${settings.workers} (setting "workers") is more than this machine's ${availableParallelism()} cores allow (at most ${most}: twice the cores, or 4)`,
      );
    return { unit, settings, filter: unit.filter ?? null, roots: unit.onnxTests };
  },
  needs: (p) => ({ models: [], devices: p.settings.compareDevice ? [p.settings.compareDevice] : [] }),
  async run(p, ctx) {
    const r = await runConformance(
      {
        device: ctx.device!,
        compareDevice: p.settings.compareDevice ? ctx.otherDevice(p.settings.compareDevice) : null,
        roots: p.roots,
        filter: p.filter,
        isolate: p.settings.isolate,
        timeoutS: p.settings.timeoutS,
        workers: p.settings.workers ?? undefined,
        tolerancesFile: p.settings.tolerancesFile,
        onCase: ctx.onProgress
          ? (_r, device, done, total) => ctx.onProgress!(`${device}: ${done}/${total} cases`, done === total)
          : undefined,
      },
      ctx.journal,
    );
    const outcome = conformanceOutcome(r);
    // Every case of every device, as `npuval conformance --json` prints it.
    return { ...outcome, artifacts: [writeUnitFile(ctx, 'conformance.json', 'conformance result (all cases)', r)] };
  },
  resultSchema,
  headline: [
    'conformance_pass_rate_pct',
    'conformance_cases',
    'conformance_passed',
    'conformance_failed',
    'conformance_unsupported',
    'conformance_errors',
    'op_coverage_pct',
  ],
};
