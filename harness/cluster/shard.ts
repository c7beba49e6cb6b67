// Sharding a plan over workers. The plan's digest is the SHA-256 of its canonical JSON (RFC 8785)
// of the seed and every unit's id and spec, so workers that planned the same suite with the same
// arguments agree on it without talking to each other. Unit i of the plan goes to shard i mod N.
// Each shard writes OUT/shards/<k>/ : a normal run (journal.jsonl, report.json, …) of its units,
// and shard.json saying which plan, shard and worker it is.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { canonicalDigest } from '../../reports/digest.js';
import type { PlannedUnit } from '../../reports/assemble.js';
import type { ClusterInfo } from '../../reports/types.js';
import { writeOutputFile } from '../durable.js';
import { InputError } from '../errors.js';
import type { PlannedUnitSpec } from '../run/plan.js';

export type Launcher = ClusterInfo['launcher'];
export const LAUNCHERS: readonly Launcher[] = ['local', 'slurm', 'k8s', 'manual'];

export const SHARDS_DIR = 'shards';
export const SHARD_FILE = 'shard.json';

/** What a shard's folder says about itself (shard.json), written before its first unit runs. */
export interface ShardManifest {
  readonly format: 'npuval-shard/1';
  readonly planDigest: string;
  readonly shard: number;
  readonly shards: number;
  readonly launcher: Launcher;
  readonly worker: string;
  readonly node: string;
  /** The unit ids of this shard, in plan order. */
  readonly units: readonly string[];
  /** Every unit of the whole plan, in plan order (the merged report lists them in this order). */
  readonly plan: readonly PlannedUnit[];
  /** Planned device spec → the spec this worker opened for it. */
  readonly devices: Readonly<Record<string, string>>;
  /** The run arguments the worker planned from (a resumed shard must be given the same). */
  readonly runArgs: readonly string[];
  readonly startedAt: string;
}

/** SHA-256 of the canonical plan: the seed and each unit's id and spec, in order. */
export function planDigest(units: readonly PlannedUnitSpec[], seed: number): string {
  return canonicalDigest({ seed, units: units.map((u) => ({ id: u.id, spec: u.spec })) });
}

/** The units of shard k of n: unit i goes to shard i mod n. */
export function shardUnits<T>(units: readonly T[], shard: number, shards: number): T[] {
  return units.filter((_, i) => i % shards === shard);
}

/** Who this worker is and which shard it runs. */
export interface WorkerIdentity {
  readonly shard: number;
  readonly shards: number;
  readonly launcher: Launcher;
  readonly worker: string;
  readonly node: string;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | null {
  const v = env[name];
  if (v === undefined || v === '') return null;
  if (!/^\d+$/.test(v)) throw new InputError(`${name}=${v} is not a non-negative integer`);
  return Number(v);
}

/**
 * The worker's shard: --shard/--shards when given, else from the launcher's environment:
 * Kubernetes Indexed Jobs (JOB_COMPLETION_INDEX, with --shards), Slurm job arrays
 * (SLURM_ARRAY_TASK_ID from SLURM_ARRAY_TASK_MIN, of SLURM_ARRAY_TASK_COUNT) or Slurm tasks
 * (SLURM_PROCID of SLURM_STEP_NUM_TASKS or SLURM_NTASKS).
 */
export function workerIdentity(
  flags: { shard?: number; shards?: number; launcher?: Launcher },
  env: NodeJS.ProcessEnv = process.env,
): WorkerIdentity {
  const node = env.NPUVAL_NODE || env.SLURMD_NODENAME || hostname();
  let shard: number | null = flags.shard ?? null;
  let shards: number | null = flags.shards ?? null;
  let launcher: Launcher = flags.launcher ?? 'manual';
  let worker = `${hostname()}:${process.pid}`;
  const k8sIndex = envInt(env, 'JOB_COMPLETION_INDEX');
  const arrayId = envInt(env, 'SLURM_ARRAY_TASK_ID');
  const procId = envInt(env, 'SLURM_PROCID');
  if (shard === null && k8sIndex !== null) {
    shard = k8sIndex;
    launcher = flags.launcher ?? 'k8s';
    worker = `k8s:${env.HOSTNAME || hostname()}`;
  } else if (shard === null && arrayId !== null) {
    shard = arrayId - (envInt(env, 'SLURM_ARRAY_TASK_MIN') ?? 0);
    shards ??= envInt(env, 'SLURM_ARRAY_TASK_COUNT');
    launcher = flags.launcher ?? 'slurm';
    worker = `slurm:${env.SLURM_ARRAY_JOB_ID ?? env.SLURM_JOB_ID ?? '?'}_${arrayId}`;
  } else if (shard === null && procId !== null) {
    shard = procId;
    shards ??= envInt(env, 'SLURM_STEP_NUM_TASKS') ?? envInt(env, 'SLURM_NTASKS');
    launcher = flags.launcher ?? 'slurm';
    worker = `slurm:${env.SLURM_JOB_ID ?? '?'}.${env.SLURM_STEP_ID ?? '?'}.${procId}`;
  } else if (shard !== null && launcher === 'local') {
    worker = `local:${shard}`;
  }
  if (shard === null) {
    throw new InputError(
      'this worker does not know its shard: give --shard K --shards N, or run it as a Slurm task (srun), a Slurm array task or a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX)',
    );
  }
  if (shards === null) throw new InputError(`shard ${shard}: the number of shards is unknown here; give --shards N`);
  if (shards < 1 || shard >= shards) throw new InputError(`shard ${shard} is not one of ${shards} shards (0 … ${shards - 1})`);
  return { shard, shards, launcher, worker, node };
}

export function shardDir(outDir: string, shard: number): string {
  return join(outDir, SHARDS_DIR, String(shard));
}

/** Writes shard.json whole or not at all, credentials masked like every output (a resumed worker gets them from its arguments again). */
export function writeManifest(dir: string, m: ShardManifest): void {
  writeOutputFile(join(dir, SHARD_FILE), JSON.stringify(m, null, 2) + '\n');
}

/** Reads a shard.json; null when the folder has none. Bad content is bad input (exit 2). */
export function readManifest(dir: string): ShardManifest | null {
  const path = join(dir, SHARD_FILE);
  if (!existsSync(path)) return null;
  let m: Partial<ShardManifest>;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Partial<ShardManifest>;
  } catch (err) {
    throw new InputError(`${path} is not JSON: ${(err as Error).message}`);
  }
  if (
    m.format !== 'npuval-shard/1' ||
    typeof m.planDigest !== 'string' ||
    typeof m.shard !== 'number' ||
    typeof m.shards !== 'number' ||
    !Array.isArray(m.units) ||
    !Array.isArray(m.plan)
  ) {
    throw new InputError(`${path} is not an npuval shard manifest (format npuval-shard/1)`);
  }
  return m as ShardManifest;
}

/**
 * The device spec a worker opens for a planned one: its own `--worker-device` (a plan of one
 * device only), else the planned spec with `intraOpThreads=T` for ORT devices when a thread budget
 * is given and the spec sets none.
 */
export function workerDeviceSpec(planned: string, own: string | null, threads: number | null): string {
  if (own) return own;
  if (threads === null || !planned.startsWith('ort:') || /[?&]intraOpThreads=/.test(planned)) return planned;
  return `${planned}${planned.includes('?') ? '&' : '?'}intraOpThreads=${threads}`;
}
