// `npuval cluster`: one suite over several workers. Plan, shard, run, merge: every worker plans the
// same suite (its digest proves it), runs its shard (unit i → shard i mod N) as a normal resumable
// run in OUT/shards/<k>/, and `merge` writes one report in which each unit keeps its worker, node
// and device. The launchers are existing engines: N processes here, a Slurm batch job, or a
// Kubernetes Indexed Job. See docs/cluster.md.
import { cpus } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { EXIT, InputError } from '../errors.js';
import { JOURNAL_FILE } from '../journal.js';
import { emit, outPath, type CommonArgs } from '../output.js';
import { redactText } from '../redact.js';
import { launchLocal, launchSlurm, parseResources, writeK8sJob } from '../cluster/launch.js';
import { mergeShards, type Merged } from '../cluster/merge.js';
import {
  LAUNCHERS,
  planDigest,
  readManifest,
  shardDir,
  shardUnits,
  workerDeviceSpec,
  workerIdentity,
  writeManifest,
  type Launcher,
} from '../cluster/shard.js';
import { executeSuite } from './execute.js';
import type { Command } from './types.js';

const ACTIONS = ['launch', 'worker', 'merge'] as const;

interface ClusterArgs {
  action: (typeof ACTIONS)[number];
  dir?: string;
  launcher?: Launcher;
  workers?: number;
  suite?: string;
  device?: string[];
  'worker-device'?: string[];
  threads?: number;
  shard?: number;
  shards?: number;
  'sbatch-arg'?: string[];
  image?: string;
  pvc?: string;
  mount: string;
  'pod-out'?: string;
  resource?: string[];
  name: string;
  namespace?: string;
  'worker-command': string;
}

/** The run arguments every worker plans from (the same for all, so they agree on the plan). */
function runArgsOf(args: ClusterArgs): string[] {
  return [...(args.suite ? ['--suite', args.suite] : []), ...(args.device ?? []).flatMap((d) => ['--device', d])];
}

function positiveInt(name: string, v: number | undefined): number | undefined {
  if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new InputError(`--${name} ${v}: give a whole number ≥ 1`);
  return v;
}

function mergeSummary(m: Merged, dir: string): string {
  const s = m.report.summary;
  const c = m.report.cluster!;
  return [
    `merged ${c.shards} shard(s) (launcher ${c.launcher}, plan ${c.planDigest.slice(0, 12)}…): ${s.units}/${s.planned} units: ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skipped} skipped; ${s.valid} VALID, ${s.invalid} INVALID`,
    ...c.workers.map((w) => `  shard ${w.shard}: ${w.worker} on ${w.node}, ${w.units.length} unit(s)`),
    ...(m.incomplete.length
      ? [`shards with unfinished units: ${m.incomplete.join(', ')} (resume them: npuval cluster worker --shard K … --out ${dir})`]
      : []),
    `reports in ${dir}: ${m.files.map((f) => f.slice(resolve(dir).length + 1)).join(', ')}`,
  ].join('\n');
}

function mergeCode(m: Merged): number {
  const s = m.report.summary;
  return s.fail + s.error + s.invalid > 0 || m.incomplete.length > 0 ? EXIT.failed : EXIT.ok;
}

async function worker(args: ClusterArgs & CommonArgs): Promise<number> {
  if (!args.out)
    throw new InputError("cluster worker needs --out DIR: the cluster's shared output folder (its shard goes to DIR/shards/<k>)");
  const id = workerIdentity({ shard: args.shard, shards: positiveInt('shards', args.shards), launcher: args.launcher });
  const dir = shardDir(resolve(args.out), id.shard);
  const runArgs = runArgsOf(args);
  const own = args['worker-device']?.length ? args['worker-device'] : null;
  if (own && own.length > 1) throw new InputError('cluster worker takes one --worker-device (its own device)');
  const threads =
    positiveInt('threads', args.threads) ?? (process.env.SLURM_CPUS_PER_TASK ? Number(process.env.SLURM_CPUS_PER_TASK) : null);
  const log = (line: string) => {
    if (line && !args.json) process.stderr.write(`npuval [shard ${id.shard}/${id.shards}]: ${line}\n`);
  };
  const existing = readManifest(dir);
  let devices = new Map<string, string>(Object.entries(existing?.devices ?? {}));
  // shard.json keeps specs masked (a resumed worker is handed the real spec): look a spec up by either form.
  const deviceSpec = (planned: string) =>
    devices.get(planned) ?? devices.get(redactText(planned)) ?? workerDeviceSpec(planned, null, threads);
  const resuming = existsSync(join(dir, JOURNAL_FILE));
  if (resuming) {
    // The shard ran before (a requeued task, a retried pod): continue it, as `npuval run --resume` would.
    if (!existing)
      throw new InputError(`${dir} holds a journal but no shard.json, so it is not a shard of npuval cluster; choose another --out`);
    if (redactText(JSON.stringify(existing.runArgs)) !== redactText(JSON.stringify(runArgs)) || existing.shards !== id.shards) {
      throw new InputError(
        `${dir} holds shard ${existing.shard} of ${existing.shards} of a run with other arguments (${existing.runArgs.join(' ') || 'none'}); choose another --out`,
      );
    }
    writeManifest(dir, { ...existing, worker: id.worker, node: id.node, launcher: id.launcher });
    log(`resuming shard ${id.shard} in ${dir}`);
  }
  const e = await executeSuite(args, {
    // Resuming, --device hands back the credentials the journal masks.
    ...(resuming ? { resume: dir, devices: args.device } : { suite: args.suite, devices: args.device }),
    outDir: dir,
    log,
    deviceSpec,
    selectUnits: (all, suite) => {
      const digest = planDigest(all, suite.seed ?? 1);
      const mine = shardUnits(all, id.shard, id.shards);
      const planned = [...new Set(all.map((u) => u.device).filter((d): d is string => d !== null))];
      if (own && planned.length !== 1)
        throw new InputError(
          `--worker-device replaces the plan's one device, but this plan names ${planned.length} (${planned.join(', ')}); leave it out or plan one device`,
        );
      devices = new Map(planned.map((d) => [d, own ? own[0]! : workerDeviceSpec(d, null, threads)]));
      writeManifest(dir, {
        format: 'npuval-shard/1',
        planDigest: digest,
        shard: id.shard,
        shards: id.shards,
        launcher: id.launcher,
        worker: id.worker,
        node: id.node,
        units: mine.map((u) => u.id),
        plan: all.map((u) => ({ id: u.id, kind: u.kind, title: u.title, device: u.device, model: u.model })),
        devices: Object.fromEntries(devices),
        runArgs,
        startedAt: new Date().toISOString(),
      });
      log(`plan ${digest.slice(0, 12)}…: ${mine.length} of ${all.length} unit(s) in this shard (${id.worker} on ${id.node})`);
      return mine;
    },
  });
  const s = e.written.report.summary;
  emit(
    args,
    { shard: id.shard, shards: id.shards, worker: id.worker, node: id.node, outDir: dir, summary: s },
    () =>
      `shard ${id.shard}/${id.shards} (${id.worker} on ${id.node}): ${s.units}/${s.planned} units: ${s.pass} pass, ${s.fail} fail, ${s.error} error, ${s.skipped} skipped; in ${dir}`,
  );
  return e.code;
}

async function launch(args: ClusterArgs & CommonArgs): Promise<number> {
  if (!args.launcher) throw new InputError(`npuval cluster needs --launcher (${LAUNCHERS.filter((l) => l !== 'manual').join(', ')})`);
  const workers = positiveInt('workers', args.workers);
  if (!workers) throw new InputError('npuval cluster needs --workers N (the number of shards)');
  const out = resolve(outPath(args));
  const runArgs = runArgsOf(args);
  const log = (line: string) => {
    if (!args.json) process.stderr.write(`npuval: ${line}\n`);
  };
  const threads = positiveInt('threads', args.threads) ?? null;
  if (args.launcher === 'k8s') {
    const mount = args.mount;
    const path = writeK8sJob({
      outDir: out,
      workers,
      runArgs,
      name: args.name,
      namespace: args.namespace ?? null,
      image: args.image ?? '',
      pvc: args.pvc ?? '',
      mountPath: mount,
      podOut: args['pod-out'] ?? `${mount.replace(/\/$/, '')}/${out.split('/').pop()}`,
      resources: parseResources(args.resource ?? []),
      command: args['worker-command'].split(' ').filter(Boolean),
      threads,
    });
    emit(args, { manifest: path, outDir: out }, () =>
      [
        `wrote ${path} (batch/v1 Indexed Job, ${workers} pods)`,
        `apply it: kubectl apply -f ${path}`,
        `when it completes, with the volume mounted here: npuval cluster merge ${out}`,
      ].join('\n'),
    );
    return EXIT.ok;
  }
  if (args.launcher !== 'local' && args.launcher !== 'slurm')
    throw new InputError(`--launcher ${args.launcher}: choose local, slurm or k8s`);
  // SIGINT/SIGTERM stop the workers (local) or cancel the job (slurm) instead of leaving them behind.
  const stop = new AbortController();
  const onSignal = (name: NodeJS.Signals) => stop.abort(name);
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    if (args.launcher === 'local') {
      // Each worker gets its share of this host's cores unless told otherwise.
      const budget = threads ?? Math.max(1, Math.floor(cpus().length / workers));
      await launchLocal({
        outDir: out,
        workers,
        runArgs,
        threads: budget,
        workerDevices: args['worker-device'] ?? [],
        log,
        signal: stop.signal,
      });
    } else {
      const sbatchArgs = args['sbatch-arg'] ?? [];
      const r = await launchSlurm({ outDir: out, workers, runArgs, threads, sbatchArgs, pollMs: 500, log, signal: stop.signal });
      log(`Slurm job ${r.job} ended: ${r.state}`);
    }
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  const merged = await mergeShards(out);
  emit(
    args,
    { outDir: out, files: merged.files, summary: merged.report.summary, cluster: merged.report.cluster, incomplete: merged.incomplete },
    () => mergeSummary(merged, out),
  );
  return mergeCode(merged);
}

export const clusterCommand: Command<ClusterArgs> = {
  command: 'cluster [action] [dir]',
  describe:
    'Run a suite over several workers (local processes, a Slurm job, a Kubernetes Indexed Job) and merge their shards into one report',
  builder: (y: Argv) =>
    y
      .positional('action', {
        choices: ACTIONS,
        default: 'launch',
        describe: 'launch (default): start the workers and merge; worker: run one shard; merge DIR: one report from DIR/shards',
      })
      .positional('dir', { type: 'string', describe: "merge: the cluster's output folder" })
      .option('launcher', {
        choices: LAUNCHERS,
        describe:
          'local (N processes here), slurm (sbatch, srun tasks), k8s (writes an Indexed Job manifest); worker: recorded (default: from the environment)',
      })
      .option('workers', { type: 'number', describe: 'Number of workers = shards' })
      .option('suite', { type: 'string', describe: 'The suite every worker plans (built-in name or file), as npuval run --suite' })
      .option('device', { type: 'string', array: true, describe: 'Device specs of the plan, as npuval run --device' })
      .option('worker-device', {
        type: 'string',
        array: true,
        describe: "The device each worker opens in place of the plan's one device (launch: once per worker, e.g. ort:cuda:0 ort:cuda:1)",
      })
      .option('threads', {
        type: 'number',
        describe: 'Intra-op threads per worker for ort: devices (local default: cores / workers; slurm: also --cpus-per-task)',
      })
      .option('shard', {
        type: 'number',
        describe: "worker: this worker's shard (default: SLURM_PROCID, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX)",
      })
      .option('shards', { type: 'number', describe: 'worker: the number of shards (default: SLURM_NTASKS or SLURM_ARRAY_TASK_COUNT)' })
      .option('sbatch-arg', { type: 'string', array: true, describe: 'slurm: extra #SBATCH options, e.g. --sbatch-arg=--partition=npu' })
      .option('image', { type: 'string', describe: 'k8s: the container image with npuval' })
      .option('pvc', { type: 'string', describe: 'k8s: the PersistentVolumeClaim the pods write their shards to' })
      .option('mount', { type: 'string', default: '/results', describe: 'k8s: where the volume is mounted in the pods' })
      .option('pod-out', {
        type: 'string',
        describe: "k8s: the cluster's output folder as the pods see it (default: MOUNT/<name of --out>)",
      })
      .option('resource', {
        type: 'string',
        array: true,
        describe: 'k8s: resource requests name=quantity (accelerators also as limits), e.g. furiosa.ai/rngd=1, nvidia.com/gpu=1, cpu=2',
      })
      .option('name', { type: 'string', default: 'npuval-cluster', describe: "k8s: the Job's name" })
      .option('namespace', { type: 'string', describe: "k8s: the Job's namespace" })
      .option('worker-command', { type: 'string', default: 'npuval', describe: 'k8s: the npuval command in the image' })
      .example('npuval cluster --launcher local --workers 2 --suite smoke --out out/c', 'two worker processes here, then one merged report')
      .example('npuval cluster --launcher slurm --workers 4 --suite smoke --out /shared/c', 'one Slurm job of 4 tasks; waits, then merges')
      .example(
        'srun -n 4 npuval cluster worker --suite smoke --out /shared/c',
        'workers inside an allocation you made; then: npuval cluster merge /shared/c',
      )
      .example(
        'npuval cluster --launcher k8s --workers 4 --image reg/npuval:1 --pvc results --resource furiosa.ai/rngd=1 --suite smoke --out c',
        'writes c/job.yaml for kubectl apply',
      )
      .example('npuval cluster merge out/c', 'one report from out/c/shards'),
  handler: async (args) => {
    if (args.action === 'worker') return worker(args);
    if (args.action === 'merge') {
      const dir = args.dir ?? args.out;
      if (!dir) throw new InputError("npuval cluster merge needs the cluster's output folder: npuval cluster merge DIR");
      const merged = await mergeShards(resolve(dir));
      emit(
        args,
        {
          outDir: resolve(dir),
          files: merged.files,
          summary: merged.report.summary,
          cluster: merged.report.cluster,
          incomplete: merged.incomplete,
        },
        () => mergeSummary(merged, dir),
      );
      return mergeCode(merged);
    }
    if (args.dir) throw new InputError(`npuval cluster: unexpected "${args.dir}"; the launch takes --out DIR`);
    return launch(args);
  },
};
