// Clustered runs with real processes: the local launcher's 2-worker report equals a 1-worker run of
// the same plan; merge refuses a missing shard, a duplicated shard and a shard of another plan
// (exit 2, one sentence each); the Kubernetes manifest is a valid batch/v1 Indexed Job and its
// workers find their shard from JOB_COMPLETION_INDEX; a real one-node Slurm runs a 2-task suite.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, spawnSync } from 'node:child_process';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import type { RunReport, UnitRecord } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import '../../harness/workloads/index.js';
import { npuval, repoRoot } from '../helpers/cli.js';
import { systemTest } from '../helpers/system.js';
import { slurmDep } from '../helpers/slurm.js';
import { JOB_V1_SCHEMA } from './k8s-job-schema.js';

const tmp = mkdtempSync(join(tmpdir(), 'npuval-cluster-'));
const TINY = join(repoRoot, 'test/cluster/fixtures/tiny.json');
const TWO = join(repoRoot, 'test/cluster/fixtures/two.json');
const readReport = (dir: string) => JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RunReport;

/** What must not depend on how many workers ran the plan (timings and measured figures aside). */
function comparable(u: UnitRecord) {
  return {
    id: u.id,
    kind: u.kind,
    device: u.device,
    model: u.model,
    status: u.status,
    valid: u.validity.valid,
    checks: u.validity.checks.map((c) => c.name),
    settings: u.settings,
    result: u.result?.kind ?? null,
    error: u.error,
  };
}

const clusterDir = join(tmp, 'local2');

/** The parts of the emitted Job the tests read. */
interface JobDoc {
  readonly spec: {
    readonly completionMode: string;
    readonly completions: number;
    readonly parallelism: number;
    readonly template: {
      readonly spec: {
        readonly restartPolicy: string;
        readonly volumes: unknown;
        readonly containers: readonly {
          image: string;
          args: string[];
          resources: { requests: unknown; limits: unknown };
          volumeMounts: unknown;
        }[];
      };
    };
  };
}

test('local launcher, 2 workers: the merged report equals a 1-worker run of the same plan', () => {
  const one = join(tmp, 'single');
  const r1 = npuval('run', '--suite', TINY, '--out', one);
  assert.ok(r1.status === 0, `npuval run: exit ${r1.status}\n${r1.stderr}`);
  const r2 = npuval('cluster', '--launcher', 'local', '--workers', '2', '--suite', TINY, '--out', clusterDir);
  assert.ok(r2.status === 0, `npuval cluster: exit ${r2.status}\n${r2.stdout}\n${r2.stderr}`);
  const single = readReport(one);
  const merged = readReport(clusterDir);
  assert.equal(validate('run-report', merged), []);
  assert.equal(merged.units.map(comparable), single.units.map(comparable));
  assert.equal(merged.summary, single.summary);
  assert.ok(merged.complete);
  // Each result keeps where it ran: unit i on shard i mod 2, the worker's own thread budget.
  assert.equal(
    merged.units.map((u) => u.placement?.shard),
    [0, 1, 0],
  );
  assert.equal(
    merged.units.map((u) => u.placement?.worker),
    ['local:0', 'local:1', 'local:0'],
  );
  for (const u of merged.units) {
    assert.is(u.placement?.node, hostname());
    assert.is(u.placement?.device, 'ort:cpu?intraOpThreads=1');
  }
  assert.is(merged.cluster?.launcher, 'local');
  assert.is(merged.cluster?.shards, 2);
  assert.match(merged.cluster!.planDigest, /^[0-9a-f]{64}$/);
  for (const f of ['report.md', 'report.html', 'junit.xml', 'results.csv']) assert.ok(existsSync(join(clusterDir, f)), f);
  assert.match(readFileSync(join(clusterDir, 'report.md'), 'utf8'), /## Cluster[\s\S]*local:1/);
  // Each shard is a normal run: its own journal and schema-valid report.
  for (const k of [0, 1]) assert.equal(validate('run-report', readReport(join(clusterDir, 'shards', String(k)))), []);
});

/** Runs merge on a mutated copy of the 2-worker folder: exit 2 and one sentence on stderr. */
function refusal(name: string, mutate: (dir: string) => void): string {
  const dir = join(tmp, name);
  cpSync(clusterDir, dir, { recursive: true });
  mutate(dir);
  const r = npuval('cluster', 'merge', dir);
  assert.is(r.status, 2, `${name}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  return lines[0]!;
}

test('merge refuses a missing shard, a duplicated shard and a shard of another plan (exit 2, one sentence each)', () => {
  assert.match(
    refusal('missing', (d) => rmSync(join(d, 'shards', '1'), { recursive: true })),
    /shard 1 of 2 is missing/,
  );
  assert.match(
    refusal('duplicated', (d) => cpSync(join(d, 'shards', '1'), join(d, 'shards', '1-again'), { recursive: true })),
    /shard 1 is present 2 times \(shards\/1, shards\/1-again\)/,
  );
  // A real shard 1 of another plan (another suite), put in place of this run's shard 1.
  const other = join(tmp, 'other-plan');
  const w = npuval('cluster', 'worker', '--shard', '1', '--shards', '2', '--suite', TWO, '--out', other);
  assert.ok(w.status === 0, w.stderr);
  const message = refusal('foreign', (d) => {
    rmSync(join(d, 'shards', '1'), { recursive: true });
    cpSync(join(other, 'shards', '1'), join(d, 'shards', '1'), { recursive: true });
  });
  assert.match(message, /shards\/1 \(shard 1\) comes from another plan/);
  // The untouched folder still merges.
  assert.is(npuval('cluster', 'merge', clusterDir).status, 0);
});

/** `npuval cluster --launcher k8s --workers 2 --out DIR …`: writes DIR/job.yaml. */
const k8s = (dir: string, ...args: string[]) => npuval('cluster', '--launcher', 'k8s', '--workers', '2', '--out', dir, ...args);

/** The parameters examples/k8s/job.yaml was written with (docs/cluster.md shows the command). */
const EXAMPLE_K8S = [
  '--image',
  'registry.example/npuval:0.1',
  '--pvc',
  'npuval-results',
  '--resource',
  'furiosa.ai/rngd=1',
  '--resource',
  'cpu=4',
  '--resource',
  'memory=16Gi',
  '--pod-out',
  '/results/smoke',
  '--name',
  'npuval-smoke',
  '--suite',
  'smoke',
];

test('k8s: the manifest is a batch/v1 Indexed Job (validated against the Job schema); examples/k8s/job.yaml is one', () => {
  const dir = join(tmp, 'k8s');
  const r = npuval('cluster', '--launcher', 'k8s', '--workers', '4', '--out', dir, ...EXAMPLE_K8S);
  assert.ok(r.status === 0, r.stderr);
  const text = readFileSync(join(dir, 'job.yaml'), 'utf8');
  const job = YAML.parse(text) as JobDoc;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  const check = ajv.compile(JOB_V1_SCHEMA);
  assert.ok(check(job), JSON.stringify(check.errors, null, 2));
  assert.is(job.spec.completionMode, 'Indexed');
  assert.is(job.spec.completions, 4);
  assert.is(job.spec.parallelism, 4);
  const pod = job.spec.template.spec;
  assert.is(pod.restartPolicy, 'Never');
  assert.equal(pod.volumes, [{ name: 'results', persistentVolumeClaim: { claimName: 'npuval-results' } }]);
  const c = pod.containers[0]!;
  assert.is(c.image, 'registry.example/npuval:0.1');
  assert.equal(c.resources.requests, { 'furiosa.ai/rngd': '1', cpu: '4', memory: '16Gi' });
  assert.equal(c.resources.limits, { 'furiosa.ai/rngd': '1' });
  assert.equal(c.args.slice(0, 8), ['cluster', 'worker', '--launcher', 'k8s', '--shards', '4', '--out', '/results/smoke']);
  assert.equal(c.volumeMounts, [{ name: 'results', mountPath: '/results' }]);
  // The schema is strict: a misspelt field is refused.
  assert.not.ok(check({ ...job, spec: { ...job.spec, completionmode: 'Indexed' } }));
  assert.is(
    readFileSync(join(repoRoot, 'examples/k8s/job.yaml'), 'utf8'),
    text,
    'regenerate examples/k8s/job.yaml with the command in docs/cluster.md',
  );
  // Bad parameters are bad input.
  const bad = k8s(join(tmp, 'k8s-bad'), '--image', 'x', '--pvc', 'p', '--name', 'Bad_Name');
  assert.is(bad.status, 2, bad.stderr);
});

function runWorker(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/npuval.js'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => done({ code, stderr }));
  });
}

test('k8s: two workers started as the Job starts them find their shards from JOB_COMPLETION_INDEX; merge names them', async () => {
  const dir = join(tmp, 'k8s-run');
  const r = k8s(dir, '--image', 'npuval:test', '--pvc', 'results', '--suite', TWO);
  assert.ok(r.status === 0, r.stderr);
  const job = YAML.parse(readFileSync(join(dir, 'job.yaml'), 'utf8')) as JobDoc;
  // The container's args, with the volume's path replaced by where it is mounted here.
  const args = (job.spec.template.spec.containers[0].args as string[]).map((a) => (a === '/results/k8s-run' ? dir : a));
  const runs = await Promise.all(
    [0, 1].map((k) =>
      runWorker(args, { JOB_COMPLETION_INDEX: String(k), HOSTNAME: `npuval-cluster-${k}-abcde`, NPUVAL_NODE: `node-${k}` }),
    ),
  );
  for (const w of runs) assert.is(w.code, 0, w.stderr);
  const m = npuval('cluster', 'merge', dir, '--json');
  assert.is(m.status, 0, m.stderr);
  const report = readReport(dir);
  assert.equal(validate('run-report', report), []);
  assert.is(report.cluster?.launcher, 'k8s');
  assert.equal(
    report.units.map((u) => [u.id, u.placement?.shard, u.placement?.worker, u.placement?.node]),
    [
      ['probe-a@ort:cpu', 0, 'k8s:npuval-cluster-0-abcde', 'node-0'],
      ['probe-b@ort:cpu', 1, 'k8s:npuval-cluster-1-abcde', 'node-1'],
    ],
  );
});

test('a worker resumes its shard when started again (a requeued task, a retried pod)', () => {
  const dir = join(tmp, 'k8s-run');
  const journal = join(dir, 'shards', '0', 'journal.jsonl');
  const before = readFileSync(journal, 'utf8').split('\n').filter(Boolean).length;
  const r = npuval('cluster', 'worker', '--shard', '0', '--shards', '2', '--suite', TWO, '--out', dir);
  assert.is(r.status, 0, r.stderr);
  const records = readFileSync(journal, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string });
  assert.is(records.filter((x) => x.type === 'unit-end').length, 1, 'the finished unit is kept, not run again');
  assert.ok(records.length > before);
  // Other run arguments in the same folder are refused.
  const other = npuval('cluster', 'worker', '--shard', '0', '--shards', '2', '--suite', TINY, '--out', dir);
  assert.is(other.status, 2, other.stderr);
  assert.match(other.stderr, /a run with other arguments/);
});

systemTest(
  test,
  slurmDep,
  'slurm: a one-node Slurm runs a 2-task suite through npuval cluster --launcher slurm; the merged report names both tasks and the launcher',
  () => {
    const dir = join(tmp, 'slurm');
    const r = npuval('cluster', '--launcher', 'slurm', '--workers', '2', '--suite', TWO, '--out', dir);
    assert.ok(r.status === 0, `exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /submitted Slurm job \d+/);
    const report = readReport(dir);
    assert.equal(validate('run-report', report), []);
    assert.is(report.cluster?.launcher, 'slurm');
    const job = (JSON.parse(readFileSync(join(dir, 'cluster.json'), 'utf8')) as { job: string }).job;
    assert.equal(
      report.cluster?.workers.map((w) => [w.shard, w.worker, w.units]),
      [
        [0, `slurm:${job}.0.0`, ['probe-a@ort:cpu']],
        [1, `slurm:${job}.0.1`, ['probe-b@ort:cpu']],
      ],
    );
    assert.equal(
      report.units.map((u) => u.status),
      ['pass', 'pass'],
    );
    assert.match(
      readFileSync(join(dir, 'slurm.sh'), 'utf8'),
      /#SBATCH --ntasks=2\n[\s\S]*exec srun --ntasks=2 .* cluster worker --launcher slurm /,
    );
  },
);

test('local: SIGTERM to npuval alone stops every worker, which writes its partial report; exit 143', async () => {
  const dir = join(tmp, 'local-term');
  const suite = join(tmp, 'long.json');
  const long = {
    kind: 'scenario',
    scenario: 'single-stream',
    model: 'tiny-bert',
    settings: { minDurationMs: 60_000, maxDurationMs: 120_000 },
  };
  writeFileSync(
    suite,
    JSON.stringify({
      name: 'long',
      devices: ['ort:cpu'],
      units: [
        { ...long, id: 'a' },
        { ...long, id: 'b' },
      ],
    }),
  );
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin/npuval.js'), 'cluster', '--launcher', 'local', '--workers', '2', '--suite', suite, '--out', dir],
    // detached: the signal goes to npuval only, not to a process group the workers share with it.
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  let stderr = '';
  const ended = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  await new Promise<void>((started) =>
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/worker 1: started/.test(stderr)) started();
    }),
  );
  // Let both workers start their units, then stop npuval.
  for (let k = 0; k < 100 && !['0', '1'].every((w) => existsSync(join(dir, 'shards', w, 'journal.jsonl'))); k++) await sleep(100);
  child.kill('SIGTERM');
  assert.is(await ended, 143, stderr);
  assert.match(stderr, /interrupted \(SIGTERM\): the 2 workers were stopped/);
  assert.match(stderr, /worker 0: exited 143/);
  assert.match(stderr, /worker 1: exited 143/);
});

systemTest(test, slurmDep, 'slurm: SIGINT while waiting cancels the job with scancel and exits 130, naming the job', async () => {
  const dir = join(tmp, 'slurm-cancel');
  // --begin in an hour keeps the job pending, so only the signal can end the wait.
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin/npuval.js'),
      'cluster',
      '--launcher',
      'slurm',
      '--workers',
      '1',
      '--suite',
      TINY,
      '--out',
      dir,
      '--sbatch-arg=--begin=now+3600',
    ],
    { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  const ended = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  await new Promise<void>((submitted) =>
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/submitted Slurm job \d+/.test(stderr)) submitted();
    }),
  );
  child.kill('SIGINT');
  assert.is(await ended, 130, stderr);
  const job = /submitted Slurm job (\d+)/.exec(stderr)![1]!;
  assert.match(stderr, new RegExp(`interrupted \\(SIGINT\\): Slurm job ${job} cancelled with scancel`));
  const state = spawnSync('scontrol', ['show', 'job', '-o', job], { encoding: 'utf8' }).stdout;
  assert.ok(!state || /JobState=CANCELLED/.test(state), state);
});

systemTest(
  test,
  slurmDep,
  'slurm: workers started with srun in an allocation of your own find their shards from SLURM_PROCID; then merge',
  () => {
    const dir = join(tmp, 'srun');
    const r = spawnSync(
      'srun',
      ['-n', '2', process.execPath, join(repoRoot, 'bin/npuval.js'), 'cluster', 'worker', '--suite', TWO, '--out', dir],
      { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 },
    );
    assert.is(r.status, 0, r.stderr);
    const m = npuval('cluster', 'merge', dir);
    assert.is(m.status, 0, m.stderr);
    const report = readReport(dir);
    assert.is(report.cluster?.launcher, 'slurm');
    assert.equal(
      report.units.map((u) => u.placement?.shard),
      [0, 1],
    );
    assert.ok(report.units.every((u) => /^slurm:\d+\.\d+\.[01]$/.test(u.placement?.worker ?? '')));
  },
);

test.after(() => {
  if (process.env.NPUVAL_KEEP_TMP !== '1') rmSync(tmp, { recursive: true, force: true });
});

test.run();
