// The bad-input corpus (test/fixtures/bad/<NN-name>/case.json, docs/reliability.md#bad-input): every
// case runs through the real CLI, in a copy of its folder, with --out in a fresh temporary folder.
// Each must end with its exit code (2 bad input, 3 unavailable resource), one sentence on stderr that
// matches the case, no stack trace, no "internal error", and no report left behind looking complete.
import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../helpers/cli.js';

interface BadCase {
  /** The CLI's arguments; $OUT is a fresh folder under the run's temporary folder, $CASE the case's copy. */
  readonly args: readonly string[];
  readonly expectExit: 2 | 3;
  /** A regular expression the error sentence must match. */
  readonly expectMatch: string;
  /** What the case's files are, for a reader. */
  readonly files?: string;
  /** Inputs made at run time instead of committed: name → "random:BYTES" (seeded bytes), "dir" (an empty folder) or "symlink:TARGET". */
  readonly generate?: Readonly<Record<string, string>>;
  /**
   * Found only once the unit started (a runtime refusing the graph; memory checked against the model's
   * real inputs): the unit is journaled and reported as this status, never as a result.
   */
  readonly reportsUnit?: 'error' | 'skipped';
}

const CORPUS = join(repoRoot, 'test/fixtures/bad');
const work = mkdtempSync(join(tmpdir(), 'npuval-bad-input-'));
const cases = readdirSync(CORPUS)
  .filter((name) => existsSync(join(CORPUS, name, 'case.json')))
  .sort()
  .map((name) => ({ name, spec: JSON.parse(readFileSync(join(CORPUS, name, 'case.json'), 'utf8')) as BadCase }));

/** Seeded bytes (xorshift32), so a "random" file is the same in every run. */
function seededBytes(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function prepare(name: string, spec: BadCase): { dir: string; out: string; args: string[] } {
  const dir = join(work, name);
  cpSync(join(CORPUS, name), dir, { recursive: true });
  for (const [file, how] of Object.entries(spec.generate ?? {})) {
    if (how === 'dir') mkdirSync(join(dir, file), { recursive: true });
    else if (how.startsWith('symlink:')) symlinkSync(how.slice(8), join(dir, file));
    else if (how.startsWith('random:')) writeFileSync(join(dir, file), seededBytes(Number(how.slice(7)), 0x5eed));
    else throw new Error(`${name}: unknown generate rule ${how}`);
  }
  const out = join(work, `${name}.out`);
  const args = spec.args.map((a) => a.replaceAll('$OUT', out).replaceAll('$CASE', dir));
  return { dir, out, args };
}

interface Outcome {
  readonly code: number | null;
  readonly stderr: string;
  readonly stdout: string;
  readonly out: string;
  readonly ms: number;
}

function runCase(name: string, spec: BadCase): Promise<Outcome> {
  const { dir, out, args } = prepare(name, spec);
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/npuval.js'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A case that hangs is a failure in itself (a resource bomb not refused); end it, and say so.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stderr, stdout, out, ms: Date.now() - started });
    });
  });
}

/** Runs every case, a few at a time: each is one CLI process. */
async function runAll(): Promise<Map<string, Outcome>> {
  const results = new Map<string, Outcome>();
  const queue = [...cases];
  const width = Math.max(2, Math.min(4, availableParallelism()));
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) results.set(c.name, await runCase(c.name, c.spec));
    }),
  );
  return results;
}

/** The case's own files (not case.json) with their contents. */
function caseFiles(name: string): string[] {
  const dir = join(CORPUS, name);
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f !== 'case.json' && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => `${f}:${readFileSync(join(dir, f)).toString('base64')}`);
}

/** Files under `dir` whose name is one of `names`, at any depth. */
function findFiles(dir: string, names: readonly string[]): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => names.some((n) => p === n || p.endsWith(`/${n}`)));
}

const outcomes = await runAll();
if (process.env.NPUVAL_BAD_INPUT_TIMES)
  for (const [name, o] of [...outcomes].sort((a, b) => b[1].ms - a[1].ms)) process.stdout.write(`${o.ms} ms ${name}\n`);

test('the corpus has at least 60 distinct cases, each with a case.json the runner understands', () => {
  assert.ok(cases.length >= 60, `only ${cases.length} cases`);
  // Distinct: no two cases run the same arguments on the same files.
  const keys = new Set(cases.map((c) => JSON.stringify([c.spec.args, c.spec.generate ?? {}, caseFiles(c.name)])));
  assert.is(keys.size, cases.length, 'two cases run the same arguments on the same files');
  for (const { name, spec } of cases) {
    assert.match(name, /^\d{2,3}-[a-z0-9-]+$/, `${name}: folder name is NN-name`);
    assert.ok(Array.isArray(spec.args) && spec.args.length > 0, `${name}: args`);
    assert.ok(spec.expectExit === 2 || spec.expectExit === 3, `${name}: expectExit is 2 or 3`);
    assert.ok(typeof spec.expectMatch === 'string' && new RegExp(spec.expectMatch), `${name}: expectMatch`);
  }
});

for (const { name, spec } of cases) {
  test(`${name}: exit ${spec.expectExit}, one sentence matching /${spec.expectMatch}/`, () => {
    const r = outcomes.get(name)!;
    const shown = `\n--- stderr ---\n${r.stderr}\n--- stdout ---\n${r.stdout.slice(0, 2000)}`;
    assert.is(r.code, spec.expectExit, `${name}: exit code${shown}`);
    assert.not.match(r.stderr, /^\s+at /m, `${name}: a stack trace${shown}`);
    assert.not.match(r.stderr, /internal error/i, `${name}: reported as an internal error${shown}`);
    // The error is the last thing on stderr; progress lines of a unit that ran may come before it. A
    // command whose result is the verdict (report validate) prints it on stdout, with stderr empty.
    const text = r.stderr.trim() === '' ? r.stdout : r.stderr;
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const errorAt = lines.findIndex((l) => !/^npuval: \[\d+\/\d+\]/.test(l));
    assert.ok(errorAt >= 0, `${name}: no error sentence${shown}`);
    const [sentence, ...rest] = lines.slice(errorAt);
    // One sentence; only a list of schema problems (`/path: message`) or notes may follow it.
    const extra = rest.filter((l) => !/^(\/\S*: |note: )/.test(l));
    assert.equal(extra, [], `${name}: more than one sentence${shown}`);
    assert.match([sentence, ...rest].join('\n'), new RegExp(spec.expectMatch), `${name}: the sentence${shown}`);
    if (text === r.stderr) assert.ok(sentence!.startsWith('npuval: '), `${name}: the sentence starts with "npuval: "${shown}`);
    const reports = findFiles(r.out, ['report.json', 'report.html']);
    if (spec.reportsUnit) {
      // The unit is on record as an error (or not run here), never as a result.
      for (const f of reports.filter((p) => p.endsWith('report.json'))) {
        const summary = (JSON.parse(readFileSync(join(r.out, f), 'utf8')) as { summary: Record<string, number> }).summary;
        assert.is(summary.pass, 0, `${name}: ${f} shows a passing unit`);
        assert.ok(summary[spec.reportsUnit]! > 0, `${name}: ${f} records no unit as ${spec.reportsUnit}`);
      }
    } else {
      assert.equal(reports, [], `${name}: left ${reports.join(', ')} in --out`);
    }
  });
}

test.after(() => rmSync(work, { recursive: true, force: true }));
test.run();
