// The launchers: existing engines start the workers, npuval only asks them to. `local` starts N
// worker processes on this host; `slurm` submits one batch job whose `srun` step runs N tasks and
// waits for it (scontrol); `k8s` writes a batch/v1 Indexed Job for `kubectl apply`. Every worker
// is `npuval cluster worker …` with the same run arguments; it finds its shard from its flags or
// from the launcher's environment (SLURM_PROCID, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX).
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { writeOutputFile } from '../durable.js';
import { EnvironmentError, InputError } from '../errors.js';
import { CLUSTER_FILE, type ClusterFile } from './merge.js';

/** How this process was started (node + bin/npuval.js): workers are started the same way. */
export function selfCommand(): string[] {
  return [process.execPath, resolve(process.argv[1] ?? 'bin/npuval.js')];
}

/** cluster.json records the run's arguments for the merge and for people: redacted like every output (its workers get theirs directly). */
export function writeClusterFile(outDir: string, c: ClusterFile): void {
  writeOutputFile(join(outDir, CLUSTER_FILE), JSON.stringify(c, null, 2) + '\n');
}

/** Quotes a word for sh. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** What every launcher is given. */
export interface LaunchOptions {
  readonly outDir: string;
  readonly workers: number;
  /** The run arguments every worker plans from (--suite, --device). */
  readonly runArgs: readonly string[];
  /** Intra-op threads per worker for ORT devices (null: ORT decides). */
  readonly threads: number | null;
}

export interface LocalOptions extends LaunchOptions {
  /** One device spec per worker, opened in place of the plan's one device (empty: the plan's). */
  readonly workerDevices: readonly string[];
  readonly log: (line: string) => void;
  /** Aborted (SIGINT/SIGTERM): the signal is passed on to every worker, which writes its partial report and exits. */
  readonly signal?: AbortSignal;
}

/** Starts the N workers on this host and waits for all; each one's output goes to OUT/logs/worker-K.log. */
export async function launchLocal(o: LocalOptions): Promise<number[]> {
  if (o.workerDevices.length && o.workerDevices.length !== o.workers) {
    throw new InputError(
      `--worker-device is given ${o.workerDevices.length} times for ${o.workers} workers; give it once per worker or not at all`,
    );
  }
  const logs = join(o.outDir, 'logs');
  mkdirSync(logs, { recursive: true });
  writeClusterFile(o.outDir, { launcher: 'local', shards: o.workers, runArgs: o.runArgs });
  const [cmd, ...self] = selfCommand();
  const runs = Array.from({ length: o.workers }, (_, k) => {
    const args = [
      ...self,
      'cluster',
      'worker',
      '--launcher',
      'local',
      '--shard',
      String(k),
      '--shards',
      String(o.workers),
      '--out',
      o.outDir,
      ...(o.threads !== null ? ['--threads', String(o.threads)] : []),
      ...(o.workerDevices[k] ? ['--worker-device', o.workerDevices[k]!] : []),
      ...o.runArgs,
    ];
    const logPath = join(logs, `worker-${k}.log`);
    const out = createWriteStream(logPath);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    o.log(`worker ${k}: started (pid ${child.pid}), log ${logPath}`);
    // A terminal's Ctrl-C reaches the workers itself; a SIGTERM sent to npuval alone must be passed on.
    o.signal?.addEventListener('abort', () => child.kill(o.signal!.reason as NodeJS.Signals), { once: true });
    return new Promise<number>((done) => {
      child.on('close', (code, signal) => {
        out.end();
        o.log(`worker ${k}: exited ${code ?? signal}`);
        done(code ?? 130);
      });
      child.on('error', (err) => {
        out.end();
        o.log(`worker ${k}: could not start: ${err.message}`);
        done(3);
      });
    });
  });
  const codes = await Promise.all(runs);
  if (o.signal?.aborted) {
    throw new LaunchInterrupted(
      `interrupted (${String(o.signal.reason)}): the ${o.workers} workers were stopped and wrote their partial reports in ${o.outDir} (npuval cluster merge ${o.outDir})`,
      o.signal.reason === 'SIGTERM' ? 143 : 130,
    );
  }
  return codes;
}

/** A cluster launch stopped by SIGINT or SIGTERM: exit 130 or 143, after the workers were stopped. */
export class LaunchInterrupted extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export interface SlurmOptions extends LaunchOptions {
  /** Extra `#SBATCH` options, e.g. `--partition=npu`, `--time=30`. */
  readonly sbatchArgs: readonly string[];
  readonly pollMs: number;
  readonly log: (line: string) => void;
  /** Aborted (SIGINT/SIGTERM): the job is cancelled with scancel and the wait ends. */
  readonly signal?: AbortSignal;
}

/** The batch script: one allocation of N tasks, one `srun` step whose tasks are the workers (SLURM_PROCID = shard). */
export function slurmScript(o: SlurmOptions, cwd = process.cwd()): string {
  const out = resolve(o.outDir);
  const worker = [
    ...selfCommand(),
    'cluster',
    'worker',
    '--launcher',
    'slurm',
    '--out',
    out,
    ...(o.threads !== null ? ['--threads', String(o.threads)] : []),
    ...o.runArgs,
  ];
  return [
    '#!/bin/sh',
    '#SBATCH --job-name=npuval-cluster',
    `#SBATCH --ntasks=${o.workers}`,
    ...(o.threads !== null ? [`#SBATCH --cpus-per-task=${o.threads}`] : []),
    `#SBATCH --output=${join(out, 'logs', 'slurm-%j.out')}`,
    `#SBATCH --chdir=${cwd}`,
    ...o.sbatchArgs.map((a) => `#SBATCH ${a}`),
    '# Written by npuval cluster --launcher slurm. Each task is one worker: SLURM_PROCID selects its shard.',
    `exec srun --ntasks=${o.workers} ${worker.map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}

const FINAL_STATES = /^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|PREEMPTED|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|REVOKED|SPECIAL_EXIT)/;

/** Submits the batch job with sbatch and waits until Slurm says it ended; returns its id and final state. */
export async function launchSlurm(o: SlurmOptions): Promise<{ job: string; state: string }> {
  const out = resolve(o.outDir);
  mkdirSync(join(out, 'logs'), { recursive: true });
  const script = join(out, 'slurm.sh');
  writeFileSync(script, slurmScript(o), { mode: 0o755 });
  const sub = spawnSync('sbatch', ['--parsable', script], { encoding: 'utf8' });
  if (sub.error)
    throw new EnvironmentError(`sbatch could not be run (${sub.error.message}); is Slurm installed here (apt-get install slurm-wlm)?`);
  if (sub.status !== 0) throw new EnvironmentError(`sbatch refused ${script}: ${(sub.stderr || sub.stdout).trim().split('\n')[0]}`);
  const job = sub.stdout.trim().split(';')[0]!;
  writeClusterFile(out, { launcher: 'slurm', shards: o.workers, runArgs: o.runArgs, job });
  o.log(`submitted Slurm job ${job} (${o.workers} tasks; script ${script}); waiting for it`);
  let last = '';
  for (;;) {
    if (o.signal?.aborted) {
      // A pending or running job would otherwise outlive npuval and hold its allocation.
      const cancel = spawnSync('scancel', [job], { encoding: 'utf8' });
      const how =
        cancel.status === 0 ? 'cancelled with scancel' : `scancel failed (${(cancel.stderr || String(cancel.error ?? '')).trim()})`;
      throw new LaunchInterrupted(
        `interrupted (${String(o.signal.reason)}): Slurm job ${job} ${how}; shards that finished are in ${out} (npuval cluster merge ${out})`,
        o.signal.reason === 'SIGTERM' ? 143 : 130,
      );
    }
    const r = spawnSync('scontrol', ['show', 'job', '-o', job], { encoding: 'utf8' });
    const state = /JobState=(\S+)/.exec(r.stdout ?? '')?.[1] ?? null;
    // A finished job leaves the controller's memory after MinJobAge; then it is gone, and done.
    if (state === null && /Invalid job id/i.test(r.stderr ?? '')) return { job, state: 'UNKNOWN (purged)' };
    if (state && state !== last) {
      o.log(`Slurm job ${job}: ${state}`);
      last = state;
    }
    if (state && FINAL_STATES.test(state)) {
      const exit = /ExitCode=(\S+)/.exec(r.stdout)?.[1];
      return { job, state: exit ? `${state} (exit ${exit})` : state };
    }
    await new Promise<void>((r2) => {
      const timer = setTimeout(r2, o.pollMs);
      o.signal?.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          r2();
        },
        { once: true },
      );
    });
  }
}

export interface K8sOptions extends LaunchOptions {
  readonly name: string;
  readonly namespace: string | null;
  readonly image: string;
  /** The PersistentVolumeClaim every pod mounts; results go to it. */
  readonly pvc: string;
  readonly mountPath: string;
  /** The cluster's out folder as the pods see it (on the volume). */
  readonly podOut: string;
  /** Resource requests (and equal limits), e.g. { 'furiosa.ai/rngd': '1', cpu: '2', memory: '4Gi' }. */
  readonly resources: Readonly<Record<string, string>>;
  /** The worker's command in the image. */
  readonly command: readonly string[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A batch/v1 Indexed Job: completions = parallelism = shards; JOB_COMPLETION_INDEX selects each pod's shard. */
export function k8sJob(o: K8sOptions): Record<string, unknown> {
  if (!DNS_LABEL.test(o.name) || o.name.length > 52)
    throw new InputError(`--name ${o.name}: a Job name must be lowercase letters, digits and '-' (at most 52 characters)`);
  if (!o.image) throw new InputError('--image is required with --launcher k8s: the container image that has npuval');
  if (!o.pvc) throw new InputError('--pvc is required with --launcher k8s: the PersistentVolumeClaim the pods write their shards to');
  const limits = Object.fromEntries(Object.entries(o.resources).filter(([k]) => k !== 'cpu' && k !== 'memory'));
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: o.name,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      labels: { 'app.kubernetes.io/name': 'npuval', 'app.kubernetes.io/component': 'cluster-worker' },
    },
    spec: {
      completionMode: 'Indexed',
      completions: o.workers,
      parallelism: o.workers,
      backoffLimit: o.workers * 2,
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'npuval', 'app.kubernetes.io/component': 'cluster-worker' } },
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'worker',
              image: o.image,
              command: [...o.command],
              args: [
                'cluster',
                'worker',
                '--launcher',
                'k8s',
                '--shards',
                String(o.workers),
                '--out',
                o.podOut,
                ...(o.threads !== null ? ['--threads', String(o.threads)] : []),
                ...o.runArgs,
              ],
              env: [
                // The node the pod runs on, recorded as each unit's node (the pod's hostname is its own name).
                { name: 'NPUVAL_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
              ],
              resources: {
                ...(Object.keys(o.resources).length ? { requests: { ...o.resources } } : {}),
                // Extended resources (accelerators) need limits equal to requests.
                ...(Object.keys(limits).length ? { limits } : {}),
              },
              volumeMounts: [{ name: 'results', mountPath: o.mountPath }],
            },
          ],
          volumes: [{ name: 'results', persistentVolumeClaim: { claimName: o.pvc } }],
        },
      },
    },
  };
}

/** Writes OUT/job.yaml (and cluster.json); returns the manifest's path. */
export function writeK8sJob(o: K8sOptions): string {
  const manifest = k8sJob(o);
  mkdirSync(o.outDir, { recursive: true });
  const path = join(o.outDir, 'job.yaml');
  writeFileSync(
    path,
    `# Written by npuval cluster --launcher k8s (${o.workers} shards). Apply it: kubectl apply -f job.yaml\n` + YAML.stringify(manifest),
  );
  writeClusterFile(o.outDir, { launcher: 'k8s', shards: o.workers, runArgs: o.runArgs, job: o.name });
  return path;
}

/** Parses `name=quantity` resource flags (e.g. furiosa.ai/rngd=1, nvidia.com/gpu=1, cpu=2, memory=8Gi). */
export function parseResources(items: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const m = /^([A-Za-z0-9][\w./-]*)=([0-9.]+[A-Za-z]*)$/.exec(item);
    if (!m) throw new InputError(`--resource ${item}: write name=quantity, e.g. furiosa.ai/rngd=1, nvidia.com/gpu=1, cpu=2, memory=8Gi`);
    out[m[1]!] = m[2]!;
  }
  return out;
}
