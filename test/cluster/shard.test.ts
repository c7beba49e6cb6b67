// Sharding rules in process: the plan digest, unit i → shard i mod N, how a worker finds its
// shard in each launcher's environment, and the device a worker opens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { k8sJob, parseResources, shellQuote, slurmScript } from '../../harness/cluster/launch.js';
import { planDigest, shardUnits, workerDeviceSpec, workerIdentity } from '../../harness/cluster/shard.js';
import type { PlannedUnitSpec } from '../../harness/run/plan.js';

const unit = (id: string, settings: Record<string, unknown> = {}): PlannedUnitSpec => ({
  id,
  workload: id.split('@')[0]!,
  kind: 'micro',
  title: id,
  device: 'ort:cpu',
  model: null,
  spec: { kind: 'micro', settings },
});

test('the plan digest covers ids, specs and the seed, and nothing else', () => {
  const plan = [unit('a@ort:cpu'), unit('b@ort:cpu', { iterations: 5 })];
  const d = planDigest(plan, 1);
  assert.match(d, /^[0-9a-f]{64}$/);
  assert.is(planDigest([unit('a@ort:cpu'), unit('b@ort:cpu', { iterations: 5 })], 1), d);
  assert.is.not(planDigest(plan, 2), d);
  assert.is.not(planDigest([unit('a@ort:cpu'), unit('b@ort:cpu', { iterations: 6 })], 1), d);
  assert.is.not(planDigest([...plan].reverse(), 1), d);
  assert.is(planDigest([{ ...plan[0]!, title: 'other title' }, plan[1]!], 1), d);
});

test('unit i goes to shard i mod N; every unit is in exactly one shard', () => {
  const ids = ['u0', 'u1', 'u2', 'u3', 'u4'];
  assert.equal(shardUnits(ids, 0, 2), ['u0', 'u2', 'u4']);
  assert.equal(shardUnits(ids, 1, 2), ['u1', 'u3']);
  assert.equal([0, 1, 2].flatMap((k) => shardUnits(ids, k, 3)).sort(), ids);
  assert.equal(shardUnits(['only'], 1, 2), []);
});

test('a worker finds its shard from its flags, Slurm tasks, Slurm arrays and Kubernetes Indexed Jobs', () => {
  assert.equal(workerIdentity({ shard: 1, shards: 3, launcher: 'local' }, {}).worker, 'local:1');
  const task = workerIdentity(
    {},
    { SLURM_PROCID: '1', SLURM_STEP_NUM_TASKS: '2', SLURM_NTASKS: '4', SLURM_JOB_ID: '42', SLURM_STEP_ID: '0', SLURMD_NODENAME: 'n7' },
  );
  assert.equal([task.shard, task.shards, task.launcher, task.worker, task.node], [1, 2, 'slurm', 'slurm:42.0.1', 'n7']);
  const array = workerIdentity(
    {},
    { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '4', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_JOB_ID: '9', SLURM_PROCID: '0' },
  );
  assert.equal([array.shard, array.shards, array.worker], [1, 3, 'slurm:9_5']);
  const pod = workerIdentity({ shards: 4 }, { JOB_COMPLETION_INDEX: '3', HOSTNAME: 'job-3-xyz', NPUVAL_NODE: 'gpu-node-2' });
  assert.equal([pod.shard, pod.shards, pod.launcher, pod.worker, pod.node], [3, 4, 'k8s', 'k8s:job-3-xyz', 'gpu-node-2']);
  assert.throws(() => workerIdentity({}, {}), /does not know its shard/);
  assert.throws(() => workerIdentity({}, { JOB_COMPLETION_INDEX: '0' }), /give --shards N/);
  assert.throws(() => workerIdentity({ shard: 2, shards: 2 }, {}), /not one of 2 shards/);
  assert.throws(() => workerIdentity({}, { SLURM_PROCID: 'x' }), /not a non-negative integer/);
});

test('a worker opens its own device, or the planned ORT device with its thread budget', () => {
  assert.is(workerDeviceSpec('ort:cpu', null, 1), 'ort:cpu?intraOpThreads=1');
  assert.is(workerDeviceSpec('ort:cpu?graphOptimizationLevel=all', null, 2), 'ort:cpu?graphOptimizationLevel=all&intraOpThreads=2');
  assert.is(workerDeviceSpec('ort:cpu?intraOpThreads=4', null, 1), 'ort:cpu?intraOpThreads=4');
  assert.is(workerDeviceSpec('tfjs:cpu', null, 1), 'tfjs:cpu');
  assert.is(workerDeviceSpec('ort:cuda', 'ort:cuda:1', 1), 'ort:cuda:1');
  assert.is(workerDeviceSpec('ort:cpu', null, null), 'ort:cpu');
});

test('launcher parts: the Slurm script runs one srun step of N tasks; resources parse; names are checked', () => {
  const script = slurmScript(
    {
      outDir: '/shared/out',
      workers: 3,
      runArgs: ['--suite', 'my suite.json'],
      threads: 2,
      sbatchArgs: ['--partition=npu'],
      pollMs: 500,
      log: () => {},
    },
    '/work',
  );
  assert.match(script, /#SBATCH --ntasks=3\n#SBATCH --cpus-per-task=2\n/);
  assert.match(script, /#SBATCH --partition=npu\n/);
  assert.match(script, /exec srun --ntasks=3 .* cluster worker --launcher slurm --out \/shared\/out --threads 2 --suite 'my suite.json'\n/);
  assert.is(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(parseResources(['nvidia.com/gpu=1', 'memory=8Gi']), { 'nvidia.com/gpu': '1', memory: '8Gi' });
  assert.throws(() => parseResources(['gpu']), /name=quantity/);
  const base = {
    outDir: '/o',
    workers: 2,
    runArgs: [],
    namespace: null,
    image: 'i',
    pvc: 'p',
    mountPath: '/r',
    podOut: '/r/o',
    resources: {},
    command: ['npuval'],
    threads: null,
  };
  assert.throws(() => k8sJob({ ...base, name: 'Not_OK' }), /Job name/);
  assert.throws(() => k8sJob({ ...base, name: 'ok', image: '' }), /--image is required/);
});

test.run();
