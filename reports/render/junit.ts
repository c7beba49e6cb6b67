// JUnit XML for CI systems: one <testsuite> per unit; each validity check and each conformance case
// is a <testcase>. A unit that errored gets one <testcase> carrying the <error>.
import { escapeXml } from '../escape.js';
import type { RunReport, UnitRecord } from '../types.js';

/** XML-escapes text; characters XML 1.0 cannot hold, and bidi controls, are shown as `\u{…}` (reports/escape.ts). */
export const xml = escapeXml;

interface Case {
  name: string;
  classname: string;
  time: number;
  outcome: 'pass' | 'failure' | 'error' | 'skipped';
  message: string;
}

interface ConformanceCase {
  name?: unknown;
  status?: unknown;
  reason?: unknown;
  durationMs?: unknown;
}

function unitCases(u: UnitRecord): Case[] {
  const cases: Case[] = [];
  const classname = `${u.kind}.${u.id}`;
  if (u.error) cases.push({ name: 'run', classname, time: u.durationMs / 1000, outcome: 'error', message: u.error.message });
  for (const c of u.validity.checks) {
    cases.push({ name: `validity: ${c.name}`, classname, time: 0, outcome: c.passed ? 'pass' : 'failure', message: c.detail });
  }
  const conformanceCases = u.kind === 'conformance' && Array.isArray(u.result?.cases) ? (u.result.cases as ConformanceCase[]) : [];
  for (const c of conformanceCases) {
    const status = String(c.status ?? 'error');
    cases.push({
      name: String(c.name ?? '?'),
      classname,
      time: typeof c.durationMs === 'number' ? c.durationMs / 1000 : 0,
      outcome:
        status === 'pass' ? 'pass' : status === 'fail' ? 'failure' : status === 'skipped' || status === 'unsupported' ? 'skipped' : 'error',
      message: `${status}${c.reason ? `: ${String(c.reason)}` : ''}`,
    });
  }
  if (cases.length === 0) {
    const outcome = u.status === 'pass' ? 'pass' : u.status === 'fail' ? 'failure' : u.status === 'skipped' ? 'skipped' : 'error';
    cases.push({ name: 'result', classname, time: u.durationMs / 1000, outcome, message: u.notes.join('; ') || u.status });
  }
  return cases;
}

export function renderJunit(report: RunReport): string {
  const suites = report.units.map((u) => {
    const cases = unitCases(u);
    const count = (o: Case['outcome']) => cases.filter((c) => c.outcome === o).length;
    const body = cases.map((c) => {
      const open = `    <testcase name="${xml(c.name)}" classname="${xml(c.classname)}" time="${c.time.toFixed(3)}"`;
      if (c.outcome === 'pass') return `${open}/>`;
      const tag = c.outcome === 'skipped' ? 'skipped' : c.outcome;
      return `${open}>\n      <${tag} message="${xml(c.message.slice(0, 1000))}"/>\n    </testcase>`;
    });
    return (
      `  <testsuite name="${xml(u.id)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" ` +
      `skipped="${count('skipped')}" time="${(u.durationMs / 1000).toFixed(3)}" timestamp="${xml(u.startedAt.replace(/Z$/, ''))}">\n` +
      body.join('\n') +
      '\n  </testsuite>'
    );
  });
  const all = report.units.flatMap(unitCases);
  const n = (o: Case['outcome']) => all.filter((c) => c.outcome === o).length;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="npuval ${xml(report.suite.name)}" tests="${all.length}" failures="${n('failure')}" errors="${n('error')}" skipped="${n('skipped')}">\n` +
    suites.join('\n') +
    (suites.length ? '\n' : '') +
    '</testsuites>\n'
  );
}
