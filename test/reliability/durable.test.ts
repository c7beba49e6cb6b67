// Durable outputs: a torn journal line never swallows the next record, a file-size limit or a full
// disk ends the run with exit 3 naming the file (no report left cut mid-file, the journaled results
// kept and resumable), and a command refused for bad input leaves nothing that blocks its rerun.
// Faults are real: `ulimit -f` on the CLI process, and a small tmpfs where this machine lets us mount one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutputWriteError } from '../../harness/durable.js';
import { Journal, readJournal } from '../../harness/journal.js';
import { runSuite } from '../../harness/run/orchestrate.js';
import type { Suite } from '../../harness/run/suite.js';
import { registerWorkload, unregisterWorkload } from '../../harness/workloads/index.js';
import type { Workload } from '../../harness/workloads/types.js';
import type { RunReport } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { npuval, repoRoot } from '../helpers/cli.js';
import { systemTest, type SystemDep } from '../helpers/system.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-durable-'));
const LLM = ['llm', '--device', 'ort:cpu', '--model', 'tiny-llama', '--requests', '2', '--prompt-len', '8', '--gen-len', '4'];
const REPORTS = ['report.json', 'report.md', 'report.html', 'junit.xml', 'results.csv'];

/** Runs the CLI under bash with `setup` (e.g. `ulimit -f 24`) applied to its process only. */
function npuvalUnder(setup: string, args: readonly string[]) {
  const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return spawnSync('bash', ['-c', `${setup}; exec '${process.execPath}' '${repoRoot}bin/npuval.js' ${quoted}`], {
    encoding: 'utf8',
    cwd: repoRoot,
  });
}

const unitEnds = (out: string) => readJournal(join(out, 'journal.jsonl')).records.filter((r) => r.type === 'unit-end').length;
const leftovers = (out: string) => readdirSync(out).filter((f) => f.includes('.tmp-'));

test('a last record without its newline is dropped on open, so the next record starts a line of its own', () => {
  const path = join(dir, 'unterminated.jsonl');
  const j = new Journal(path);
  j.append('kept', { n: 1 });
  j.close();
  appendFileSync(path, '{"type":"torn","n":2}'); // valid JSON, but its write never finished
  assert.equal(readJournal(path).torn, { line: 2, bytes: 21 }, 'a reader does not trust it either');
  const again = new Journal(path);
  assert.equal(again.repaired, { bytes: 21 });
  again.append('next', { n: 3 });
  again.close();
  const { records, torn } = readJournal(path);
  assert.is(torn, null);
  assert.equal(
    records.map((r) => r.type),
    ['kept', 'next'],
  );
});

test('a newline-terminated last line that is not a record is dropped too; a clean journal is left as it is', () => {
  const path = join(dir, 'garbage.jsonl');
  writeFileSync(path, '{"type":"a"}\n\u0000\u0000\u0000\n');
  const j = new Journal(path);
  assert.equal(j.repaired, { bytes: 4 });
  j.append('b');
  j.close();
  assert.equal(
    readJournal(path).records.map((r) => r.type),
    ['a', 'b'],
  );
  const clean = new Journal(path);
  assert.is(clean.repaired, null);
  clean.close();
});

test('an append the file-size limit refuses throws exit 3 naming the journal, and the file keeps whole records only', () => {
  const path = join(dir, 'limited', 'journal.jsonl');
  const journalModule = new URL('../../harness/journal.js', import.meta.url).href;
  const code = `import { Journal } from ${JSON.stringify(journalModule)};
const j = new Journal(${JSON.stringify(path)});
try { for (let i = 0; i < 100; i++) j.append('r', { i, pad: 'x'.repeat(100) }); }
catch (e) { process.stdout.write(JSON.stringify({ exitCode: e.exitCode, message: e.message })); }`;
  const r = spawnSync('bash', ['-c', `ulimit -f 1; exec '${process.execPath}' --input-type=module -e "$0"`, code], { encoding: 'utf8' });
  const result = JSON.parse(r.stdout || '{}') as { exitCode?: number; message?: string };
  assert.is(result.exitCode, 3, r.stderr);
  assert.is(result.message, `cannot write ${path}: file too large (a file-size limit such as ulimit -f) (EFBIG)`);
  const { records, torn } = readJournal(path);
  assert.is(torn, null, 'the refused record was cut back off');
  assert.ok(records.length > 0 && records.length < 100);
  assert.equal(
    records.map((rec) => rec.i),
    records.map((_, i) => i),
  );
});

test('a file-size limit while writing the reports: exit 3 naming the file, nothing cut mid-file, the result kept and resumable', () => {
  // Sizes from a run without a limit, so the limit admits the journal and report.json but not report.html.
  const reference = join(dir, 'reference');
  const ok = npuval(...LLM, '--out', reference);
  assert.is(ok.status, 0, ok.stderr);
  const size = (f: string) => statSync(join(reference, f)).size;
  const limitKiB = Math.ceil((Math.max(size('journal.jsonl'), size('report.json')) * 1.3) / 1024);
  assert.ok(size('report.html') > limitKiB * 1024, `report.html (${size('report.html')} B) must exceed the ${limitKiB} KiB limit`);

  const out = join(dir, 'fsize');
  const r = npuvalUnder(`ulimit -f ${limitKiB}`, [...LLM, '--out', out]);
  assert.is(r.status, 3, r.stderr);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('npuval: ') && !l.startsWith('npuval: ['));
  assert.equal(errors, [`npuval: cannot write ${join(out, 'report.html')}: file too large (a file-size limit such as ulimit -f) (EFBIG)`]);
  assert.not.ok(existsSync(join(out, 'report.html')), 'no report.html cut mid-file');
  assert.equal(leftovers(out), []);
  const partial = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  assert.equal(validate('run-report', partial), [], 'what was written is whole');
  assert.is(unitEnds(out), 1, 'the finished unit is journaled');

  const resumed = npuval('run', '--resume', out);
  assert.is(resumed.status, 0, resumed.stderr);
  for (const f of REPORTS) assert.ok(existsSync(join(out, f)), f);
  assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<\/html>\s*$/);
  assert.is(unitEnds(out), 1, 'the unit was not run again');
});

/** A tmpfs we may mount (root in a container that allows it). */
const tmpfs: SystemDep = {
  name: 'a mountable tmpfs (root)',
  present: () => {
    const probe = join(dir, 'probe-mount');
    mkdirSync(probe, { recursive: true });
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe]).status === 0;
    if (mounted) spawnSync('umount', [probe]);
    return mounted;
  },
  install: 'run as root where mount(2) is permitted',
};

systemTest(test, tmpfs, 'a full disk and a read-only disk: exit 3 naming the file; results finished before the fault are kept', () => {
  const mnt = join(dir, 'small-disk');
  mkdirSync(mnt, { recursive: true });
  // Room for the journal and report.json (as in the reference run), not for report.html as well.
  const pages = (f: string) => Math.ceil(statSync(join(dir, 'reference', f)).size / 4096);
  const kib = 4 * (pages('journal.jsonl') + pages('report.json') + pages('report.md') + 2);
  assert.is(spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k`, 'tmpfs', mnt]).status, 0);
  try {
    const out = join(mnt, 'run');
    const r = npuval(...LLM, '--out', out);
    assert.is(r.status, 3, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`npuval: cannot write ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/[\\w.]+: no space left on device \\(ENOSPC\\)\\n$`),
    );
    assert.not.ok(/internal error/.test(r.stderr));
    assert.equal(leftovers(out), []);
    for (const f of REPORTS.filter((f) => existsSync(join(out, f)))) {
      if (f === 'report.html') assert.match(readFileSync(join(out, f), 'utf8'), /<\/html>\s*$/);
      if (f === 'report.json') assert.equal(validate('run-report', JSON.parse(readFileSync(join(out, f), 'utf8'))), []);
    }
    assert.is(unitEnds(out), 1, 'the finished unit is journaled');

    assert.is(spawnSync('mount', ['-o', 'remount,ro', mnt]).status, 0);
    const ro = npuval(...LLM, '--out', join(mnt, 'other'));
    assert.is(ro.status, 3, ro.stderr);
    assert.match(ro.stderr, /cannot write .*other: read-only file system \(EROFS\)/);
  } finally {
    spawnSync('umount', [mnt]);
  }
});

test('a refused write inside a unit ends the run (exit 3) instead of recording the unit as not run; finished units stay journaled', async () => {
  const SETTINGS = {} as const;
  const writer: Workload<typeof SETTINGS> = {
    kind: 'unit-file-writer',
    summary: 'writes a unit file',
    settings: SETTINGS,
    fields: {},
    needsDevice: true,
    name: () => 'writer',
    title: () => 'writer',
    resolve: (unit, settings) => ({ unit, settings }),
    needs: () => ({ models: [], devices: [] }),
    async run(_p, ctx) {
      // The second device's unit meets the fault as writeOutputFile reports it (the errno mapping is tested above).
      if (ctx.device?.id === 'tfjs:cpu') throw new OutputWriteError(join(ctx.outDir, 'units', 'writer', 'log.txt'), 'ENOSPC');
      return {
        status: 'pass',
        validity: { valid: null, checks: [], reasons: [] },
        metrics: {},
        notes: [],
        result: { kind: 'unit-file-writer' },
      };
    },
    resultSchema: { type: 'object' },
    headline: [],
  };
  registerWorkload(writer);
  try {
    const out = join(dir, 'unit-fault');
    const suite: Suite = { name: 'fault', devices: ['ort:cpu', 'tfjs:cpu'], units: [{ kind: 'unit-file-writer' }] };
    const run = runSuite({ suiteObject: suite, outDir: out, argv: [], log: () => {}, signal: new AbortController().signal });
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    assert.instance(err, OutputWriteError);
    assert.is((err as OutputWriteError).exitCode, 3);
    assert.match((err as Error).message, /^cannot write .*log\.txt: no space left on device \(ENOSPC\)$/);
    const ends = readJournal(join(out, 'journal.jsonl')).records.filter((r) => r.type === 'unit-end');
    assert.equal(
      ends.map((r) => (r.unit as { id: string }).id),
      ['writer@ort:cpu'],
    );
  } finally {
    unregisterWorkload('unit-file-writer');
  }
});

test('a command refused for bad input after its journal was opened leaves nothing behind; the rerun is not blocked', () => {
  const out = join(dir, 'refused');
  const bad = npuval('llm', '--device', 'ort:cpu', '--model', 'tiny-bert', '--requests', '2', '--out', out);
  assert.is(bad.status, 2, bad.stderr);
  assert.match(bad.stderr, /generation needs a decoder/);
  assert.not.ok(existsSync(out), 'the folder it created is gone');
  const good = npuval(...LLM, '--out', out);
  assert.is(good.status, 0, good.stderr);

  // A folder that was there already, with the user's file in it: only what the command wrote goes.
  const mine = join(dir, 'users-folder');
  mkdirSync(mine);
  writeFileSync(join(mine, 'notes.txt'), 'mine');
  const again = npuval('llm', '--device', 'ort:cpu', '--model', 'tiny-bert', '--requests', '2', '--out', mine);
  assert.is(again.status, 2, again.stderr);
  assert.equal(readdirSync(mine), ['notes.txt']);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
