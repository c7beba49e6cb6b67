// The per-op coverage matrix (op type × result) and the difference between two devices.
// Which ops a case counts for: for node/ tests, the op under test — the model's only node, or for
// a function-expanded test (`…_expanded`, whose graph is the function body) the op of its
// unexpanded sibling, else the op whose name starts the test name; for every other case (simple/,
// pytorch-*/, models) every op type in its graph.
import {
  CASE_STATUSES,
  type CaseResult,
  type CaseStatus,
  type DeviceDiff,
  type DeviceRun,
  type OpRow,
  type StatusCounts,
} from './types.js';

/** Returns the results with `ops` set by the rule above (cases are matched by id within the run). */
export function assignOps(results: readonly CaseResult[]): CaseResult[] {
  const single = new Map<string, string>();
  const known = new Set<string>();
  for (const r of results) {
    if (r.nodeOps.length === 1) {
      single.set(r.id, r.nodeOps[0]!);
      if (r.suite === 'node') known.add(r.nodeOps[0]!);
    }
  }
  const byPrefix = [...known].sort((a, b) => b.length - a.length).map((op) => ({ op, key: squash(op.replace(/^.*:/, '')) }));
  return results.map((r) => {
    if (r.suite !== 'node' || r.nodeOps.length === 1) return { ...r, ops: blamed(r) ?? r.nodeOps };
    const sibling = r.id.endsWith('_expanded') ? single.get(r.id.slice(0, -'_expanded'.length)) : undefined;
    if (sibling) return { ...r, ops: [sibling] };
    const name = squash(r.id.replace(/^.*\/test_/, ''));
    const hit = byPrefix.find((p) => name.startsWith(p.key));
    return { ...r, ops: hit ? [hit.op] : r.nodeOps };
  });
}

/**
 * For a multi-op model that did not run because the runtime named one of its ops
 * ("Could not find an implementation for Add(6)", "Adagrad(-1) is not a registered function/op"),
 * that op alone: the others never ran, so the case says nothing about them.
 */
function blamed(r: CaseResult): string[] | null {
  if (r.nodeOps.length <= 1 || (r.status !== 'unsupported' && r.status !== 'error') || !r.reason) return null;
  const named = r.nodeOps.filter((op) => new RegExp(`\\b${op.replace(/^.*:/, '')}(\\(| node)`).test(r.reason!));
  return named.length === 1 ? named : null;
}

function squash(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export function emptyCounts(): StatusCounts {
  return { pass: 0, fail: 0, unsupported: 0, error: 0, skipped: 0 };
}

export function countStatuses(results: readonly CaseResult[]): StatusCounts {
  const c = emptyCounts();
  for (const r of results) c[r.status]++;
  return c;
}

const SEVERITY: Record<CaseStatus, number> = { pass: 0, skipped: 1, unsupported: 2, fail: 3, error: 4 };

/** Op type × status counts over the cases that ran (filtered cases are left out), sorted by op. */
export function opMatrix(results: readonly CaseResult[]): OpRow[] {
  const rows = new Map<string, StatusCounts>();
  for (const r of results) {
    if (r.cause === 'filtered') continue;
    for (const op of r.ops) {
      const c = rows.get(op) ?? emptyCounts();
      c[r.status]++;
      rows.set(op, c);
    }
  }
  return [...rows.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([op, counts]) => ({ op, counts, verdict: verdictOf(counts) }));
}

/** pass when every case passed; otherwise the most severe status present (error > fail > unsupported > skipped). */
export function verdictOf(c: StatusCounts): CaseStatus {
  let worst: CaseStatus = 'pass';
  for (const s of CASE_STATUSES) if (c[s] > 0 && SEVERITY[s] > SEVERITY[worst]) worst = s;
  return worst;
}

/** What passes on one device and not on the other: by op verdict and by case status. */
export function diffRuns(a: DeviceRun, b: DeviceRun): DeviceDiff {
  const va = new Map(a.matrix.map((r) => [r.op, r.verdict]));
  const vb = new Map(b.matrix.map((r) => [r.op, r.verdict]));
  const allOps = [...new Set([...va.keys(), ...vb.keys()])].sort();
  const ops = allOps.map((op) => ({ op, a: va.get(op) ?? 'skipped', b: vb.get(op) ?? 'skipped' })).filter((d) => d.a !== d.b);
  const byId = new Map(b.cases.map((r) => [r.id, r]));
  const cases = a.cases.flatMap((ra) => {
    const rb = byId.get(ra.id);
    if (!rb || rb.status === ra.status) return [];
    return [{ id: ra.id, a: ra.status, b: rb.status, reasonA: ra.reason, reasonB: rb.reason }];
  });
  return {
    a: a.device,
    b: b.device,
    opsOnlyA: ops.filter((d) => d.a === 'pass').map((d) => d.op),
    opsOnlyB: ops.filter((d) => d.b === 'pass').map((d) => d.op),
    ops,
    cases,
  };
}
