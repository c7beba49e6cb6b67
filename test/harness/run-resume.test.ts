import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJournal } from '../../harness/journal.js';
import type { RunReport, UnitRecord } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { npuval, npuvalAsync } from '../helpers/cli.js';

const out = join(mkdtempSync(join(tmpdir(), 'npuval-resume-')), 'smoke');

function unitEnds(): string[] {
  if (!existsSync(join(out, 'journal.jsonl'))) return [];
  return readJournal(join(out, 'journal.jsonl'))
    .records.filter((r) => r.type === 'unit-end')
    .map((r) => (r.unit as UnitRecord).id);
}

test('SIGINT mid-suite stops with a resume hint; --resume completes it and every unit ran exactly once to completion', async () => {
  const child = npuvalAsync('run', '--suite', 'smoke', '--out', out);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Interrupt once the first unit is journaled, i.e. with the second one in flight.
  const started = Date.now();
  while (unitEnds().length === 0 && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 25));
  assert.ok(unitEnds().length > 0, `no unit finished: ${stderr}`);
  child.kill('SIGINT');
  const code = await exited;
  assert.is(code, 130, stderr);
  assert.match(stderr, /Resume with: npuval run --resume /);
  const before = unitEnds();
  assert.ok(before.length >= 1);
  const partial = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  assert.is(partial.complete, false);
  assert.equal(validate('run-report', partial), []);
  const records = readJournal(join(out, 'journal.jsonl'));
  assert.is(records.torn, null, 'nothing half-written');
  assert.ok(records.records.some((r) => r.type === 'run-interrupted'));

  const resumed = npuval('run', '--resume', out, '--json');
  assert.ok(resumed.status === 0 || resumed.status === 1, resumed.stderr);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  assert.equal(validate('run-report', report), []);
  assert.is(report.complete, true);
  assert.equal(
    report.sessions.map((s) => s.outcome),
    ['interrupted', 'completed'],
  );
  const ends = unitEnds();
  const planned = report.summary.planned;
  assert.is(ends.length, planned, 'one unit-end per unit');
  assert.is(new Set(ends).size, planned, 'no unit finished twice');
  assert.equal(ends.slice(0, before.length), before, 'finished units were kept, not re-run');
  assert.is(report.units.length, planned);
  for (const u of report.units) assert.ok(u.status !== 'error', `${u.id}: ${u.error?.message}`);
  // The unit that was in flight (if any) shows two starts; all others one.
  const starts = readJournal(join(out, 'journal.jsonl'))
    .records.filter((r) => r.type === 'unit-start')
    .map((r) => r.unit as string);
  for (const u of report.units) assert.is(u.attempts, starts.filter((s) => s === u.id).length);
  assert.ok(report.units.filter((u) => u.attempts > 1).length <= 1);
});

test('a half-written last journal line (a crash mid-write) is dropped on --resume', () => {
  appendFileSync(join(out, 'journal.jsonl'), '{"type":"unit-end","time":"2026-');
  assert.ok(readJournal(join(out, 'journal.jsonl')).torn);
  const r = npuval('run', '--resume', out);
  assert.ok(r.status === 0 || r.status === 1, r.stderr);
  assert.match(r.stderr, /dropped a half-written last line/);
  const after = readJournal(join(out, 'journal.jsonl'));
  assert.is(after.torn, null);
  assert.ok(after.records.at(-1)!.type === 'run-end');
});

test('--resume refuses a directory without a journal and extra suite options', () => {
  const none = npuval('run', '--resume', join(out, 'nowhere'));
  assert.is(none.status, 2);
  const extra = npuval('run', '--resume', out, '--suite', 'smoke');
  assert.is(extra.status, 2);
});

test.run();
