// Assembles report.json from the journal: the plan from the first `run-start`, each unit's last
// `unit-end`, sessions from the start/end/interrupt records. Pure: it runs nothing and reads no files.
import { RUN_REPORT_ID, RUN_REPORT_VERSION } from './schemas/run-report.js';
import type {
  Artifact,
  DeviceEntry,
  EnvironmentInfo,
  ModelEntry,
  RunReport,
  RunSession,
  RunSummary,
  UnitKind,
  UnitRecord,
} from './types.js';

/** What the orchestrator knows before any unit runs; journaled in `run-start`. */
export interface RunPlan {
  readonly tool: RunReport['tool'];
  readonly command: RunReport['command'];
  readonly suite: RunReport['suite'];
  readonly seeds: RunReport['seeds'];
  readonly environment: EnvironmentInfo;
  readonly devices: readonly DeviceEntry[];
  readonly models: readonly ModelEntry[];
  readonly units: readonly PlannedUnit[];
  readonly baseline: RunReport['baseline'];
  readonly notes: readonly string[];
}

export interface PlannedUnit {
  readonly id: string;
  readonly kind: UnitKind;
  readonly title: string;
  readonly device: string | null;
  readonly model: string | null;
}

/** The journal record types the run writes (other modules may add their own; they are ignored here). The writer (harness/run/orchestrate.ts) writes exactly these shapes. */
export type RunRecord =
  | { type: 'run-start'; time: string; plan: RunPlan; argv: readonly string[]; resume: boolean; inputs?: unknown }
  | { type: 'unit-start'; time: string; unit: string; attempt: number }
  | { type: 'unit-end'; time: string; unit: UnitRecord }
  | { type: 'run-interrupted'; time: string; unit: string | null; signal: string }
  | { type: 'run-end'; time: string }
  | { type: 'targets'; time: string; targets: Record<string, unknown> | null; notes: readonly string[] };

/** A run record as the writer hands it over: the journal adds `time`. */
export type RunRecordInput = RunRecord extends infer R ? (R extends { time: string } ? Omit<R, 'time'> : never) : never;

export class JournalContentError extends Error {
  readonly exitCode = 2;
}

export interface JournalState {
  readonly plan: RunPlan;
  readonly finished: ReadonlyMap<string, UnitRecord>;
  readonly attempts: ReadonlyMap<string, number>;
  readonly sessions: readonly RunSession[];
  readonly targets: { targets: Record<string, unknown> | null; notes: readonly string[] } | null;
}

/** Reads the run state out of journal records (any record shape tolerated; ours interpreted). */
export function journalState(records: readonly { type: string; time: string }[]): JournalState {
  let plan: RunPlan | null = null;
  const finished = new Map<string, UnitRecord>();
  const attempts = new Map<string, number>();
  const sessions: { startedAt: string; endedAt: string | null; outcome: RunSession['outcome']; argv: readonly string[] }[] = [];
  let targets: JournalState['targets'] = null;
  for (const [index, raw] of records.entries()) {
    const r = raw as RunRecord;
    const broken = recordProblem(r);
    if (broken) throw new JournalContentError(`journal record ${index + 1} (${r.type}) ${broken}, so it was not written by npuval`);
    switch (r.type) {
      case 'run-start': {
        plan ??= r.plan;
        const open = sessions.at(-1);
        if (open && open.endedAt === null) open.outcome = 'crashed';
        sessions.push({ startedAt: r.time, endedAt: null, outcome: 'crashed', argv: r.argv });
        break;
      }
      case 'unit-start':
        attempts.set(r.unit, (attempts.get(r.unit) ?? 0) + 1);
        break;
      case 'unit-end':
        finished.set(r.unit.id, r.unit);
        break;
      case 'run-interrupted':
      case 'run-end': {
        const open = sessions.at(-1);
        if (open && open.endedAt === null) {
          open.endedAt = r.time;
          open.outcome = r.type === 'run-end' ? 'completed' : 'interrupted';
        }
        break;
      }
      case 'targets':
        targets = { targets: r.targets, notes: r.notes };
        break;
    }
  }
  if (!plan) throw new JournalContentError('the journal has no run-start record, so it is not the journal of an npuval run');
  return { plan, finished, attempts, sessions, targets };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with one of the run's own records, in the fields read here (other record types pass). */
function recordProblem(r: RunRecord): string | null {
  switch (r.type) {
    case 'run-start': {
      const plan = r.plan as unknown;
      if (!isObject(plan)) return 'has no plan object';
      if (!Array.isArray(plan.units) || !plan.units.every((u) => isObject(u) && typeof u.id === 'string'))
        return 'has no plan.units list of units with string ids';
      if (!Array.isArray(plan.notes)) return 'has no plan.notes list';
      return Array.isArray(r.argv) ? null : 'has no argv list';
    }
    case 'unit-start':
      return typeof r.unit === 'string' ? null : 'names no unit';
    case 'unit-end':
      return isObject(r.unit) && typeof r.unit.id === 'string' && isObject(r.unit.validity)
        ? null
        : 'holds no unit record with a string id and a validity object';
    case 'targets':
      return Array.isArray(r.notes) ? null : 'has no notes list';
    default:
      return null;
  }
}

export interface AssembleOptions {
  readonly finishedAt: string;
  /** Files the report refers to (journal, suite, baseline, models…), with digests. */
  readonly artifacts: readonly Artifact[];
}

export function assembleReport(state: JournalState, options: AssembleOptions): RunReport {
  const { plan } = state;
  const units: UnitRecord[] = [];
  for (const p of plan.units) {
    const u = state.finished.get(p.id);
    if (u) units.push({ ...u, attempts: Math.max(1, state.attempts.get(p.id) ?? 1) });
  }
  const missing = plan.units.filter((p) => !state.finished.has(p.id)).map((p) => p.id);
  const notes = [...plan.notes, ...(state.targets?.notes ?? [])];
  if (missing.length) notes.push(`${missing.length} planned unit(s) did not finish: ${missing.join(', ')}`);
  const sessions: RunSession[] = state.sessions.map((s) => ({ ...s }));
  return {
    $schema: RUN_REPORT_ID,
    schemaVersion: RUN_REPORT_VERSION,
    tool: plan.tool,
    command: plan.command,
    suite: plan.suite,
    seeds: plan.seeds,
    startedAt: sessions[0]?.startedAt ?? options.finishedAt,
    finishedAt: options.finishedAt,
    sessions,
    complete: missing.length === 0,
    environment: plan.environment,
    devices: plan.devices,
    models: plan.models,
    units,
    summary: summarize(units, plan.units.length),
    targets: state.targets?.targets ?? null,
    baseline: plan.baseline,
    notes,
    artifacts: options.artifacts,
  };
}

export function summarize(units: readonly UnitRecord[], planned: number): RunSummary {
  const count = (f: (u: UnitRecord) => boolean) => units.filter(f).length;
  return {
    units: units.length,
    planned,
    pass: count((u) => u.status === 'pass'),
    fail: count((u) => u.status === 'fail'),
    error: count((u) => u.status === 'error'),
    skipped: count((u) => u.status === 'skipped'),
    valid: count((u) => u.validity.valid === true),
    invalid: count((u) => u.validity.valid === false),
  };
}
