// Plain-text views of a conformance result for the terminal: counts per class, every non-pass
// grouped by cause, the op matrix (non-passing ops, or all with `full`), and the device diff.
import { table } from '../output.js';
import type { CaseResult, ConformanceResult, DeviceRun, OpRow } from './types.js';

export function renderConformance(r: ConformanceResult, opts: { full?: boolean } = {}): string {
  const parts: string[] = [];
  parts.push(
    table(
      ['device', 'runtime', 'pass', 'fail', 'unsupported', 'error', 'skipped', 'wall s'],
      r.runs.map((d) => [
        d.device,
        d.runtime,
        d.counts.pass,
        d.counts.fail,
        d.counts.unsupported,
        d.counts.error,
        d.counts.skipped,
        (d.wallMs / 1000).toFixed(1),
      ]),
    ),
  );
  const drivers = r.runs.filter((d) => d.driver).map((d) => `${d.device} driver: ${d.driver}`);
  if (drivers.length) parts[0] += '\n' + drivers.join('\n');
  for (const run of r.runs) parts.push(renderCauses(run));
  for (const run of r.runs) parts.push(renderMatrix(run, opts.full ?? false));
  if (r.diff) {
    const d = r.diff;
    parts.push(
      `Ops passing on ${d.a} but not ${d.b}: ${d.opsOnlyA.join(', ') || 'none'}\nOps passing on ${d.b} but not ${d.a}: ${d.opsOnlyB.join(', ') || 'none'}`,
    );
    if (d.ops.length) {
      const ra = new Map(r.runs[0]!.matrix.map((x) => [x.op, x]));
      const rb = new Map(r.runs[1]!.matrix.map((x) => [x.op, x]));
      parts.push(
        `Op matrix, ${d.a} vs ${d.b} (ops whose verdict differs):\n` +
          table(
            ['op', d.a, d.b],
            d.ops.map((o) => [o.op, cell(ra.get(o.op)), cell(rb.get(o.op))]),
          ),
      );
    }
    if (d.cases.length) {
      parts.push(
        `Cases whose status differs (${d.cases.length}):\n` +
          table(
            ['case', d.a, d.b, 'reason'],
            d.cases.map((c) => [c.id, c.a, c.b, truncate(c.reasonA ?? c.reasonB ?? '', 100)]),
          ),
      );
    }
  }
  parts.push(
    `Tolerances: ${r.tolerances.profiles.map((p) => `${p.name} (${p.deviceClass}, ${p.dtypes.join('/')}): rtol ${p.rtol}, atol ${p.atol}`).join('; ')}` +
      (r.tolerances.overrides.length ? `; ${r.tolerances.overrides.length} per-test override(s)` : ''),
  );
  return parts.join('\n\n');
}

function cell(row: OpRow | undefined): string {
  if (!row) return 'not run';
  const c = row.counts;
  const n = c.pass + c.fail + c.unsupported + c.error + c.skipped;
  return `${row.verdict} (${c.pass}/${n} pass)`;
}

/** Non-pass cases grouped by status and cause, with every case id and one sample reason. */
export function renderCauses(run: DeviceRun): string {
  const groups = new Map<string, CaseResult[]>();
  for (const c of run.cases) {
    if (c.status === 'pass' || c.cause === 'filtered') continue;
    const key = `${c.status} / ${c.cause}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  if (groups.size === 0) return `${run.device}: every case that ran passed.`;
  const lines = [`${run.device}: cases that did not pass, by cause`];
  for (const [key, list] of [...groups.entries()].sort()) {
    lines.push(`  ${key} (${list.length}):`);
    for (const c of list) lines.push(`    ${c.id}: ${c.reason ?? ''}`);
  }
  return lines.join('\n');
}

export function renderMatrix(run: DeviceRun, full: boolean): string {
  const rows = full ? run.matrix : run.matrix.filter((r) => r.verdict !== 'pass');
  const passing = run.matrix.filter((r) => r.verdict === 'pass').length;
  const head =
    `${run.device}: op coverage, ${passing} of ${run.matrix.length} ops pass every case` +
    (full ? '' : ' (ops with a non-pass shown; --matrix for all)');
  if (rows.length === 0) return head;
  return (
    head +
    '\n' +
    table(
      ['op', 'verdict', 'pass', 'fail', 'unsupported', 'error', 'skipped'],
      rows.map((r) => [r.op, r.verdict, r.counts.pass, r.counts.fail, r.counts.unsupported, r.counts.error, r.counts.skipped]),
    )
  );
}

function truncate(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
