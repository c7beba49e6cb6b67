// The workload a scenario drives: LoadGen's query sample library (QSL) — a fixed set of seeded
// samples held in memory — plus what it costs. Queries name samples by index; how a query of
// several samples reaches the session (one batched run, or runs in flight together) is decided
// here once, so every scenario does it the same way.
import type { Feeds, Session, Tensor, TensorData, Value } from '../../devices/types.js';
import { InputError } from '../errors.js';
import type { CostSource } from './compute.js';

export interface Workload {
  /** The model's name as the user gave it (zoo name or file path). */
  readonly name: string;
  /** The samples, each with the leading (batch) dimension 1 on the batch inputs. */
  readonly samples: readonly Feeds[];
  /** Inputs whose leading dimension is the batch; empty when the model's batch is fixed. */
  readonly batchInputs: readonly string[];
  /** FLOPs per sample (2 per multiply-add), or null when unknown. */
  readonly flopsPerSample: number | null;
  /** Where flopsPerSample came from (default analytic). */
  readonly flopsSource?: CostSource;
  /** Bytes one sample moves (user-supplied), for the roofline; absent or null when unknown. */
  readonly bytesPerSample?: number | null;
  /** Precision the model runs at, e.g. fp32, fp16 (for utilization against the catalog peak). */
  readonly precision: string;
}

/** How a query of several samples is run. */
export type Batching = 'tensor' | 'concurrent-runs' | 'sequential-runs';

export function batchingOf(workload: Workload, session: Session): Batching {
  if (workload.batchInputs.length > 0) return 'tensor';
  return session.concurrentRuns ? 'concurrent-runs' : 'sequential-runs';
}

/**
 * Names the inputs whose leading dim is symbolic (or unknown): those are batched by concatenation.
 * The symbol's name is returned so samples can be generated with that dim bound to 1.
 */
export function batchDims(session: Pick<Session, 'inputs'>): { inputs: string[]; symbols: string[] } {
  const inputs: string[] = [];
  const symbols = new Set<string>();
  for (const info of session.inputs) {
    const first = info.shape?.[0];
    if (info.kind === 'tensor' && info.shape && info.shape.length > 0 && typeof first !== 'number') {
      inputs.push(info.name);
      if (typeof first === 'string') symbols.add(first);
    }
  }
  return { inputs, symbols: [...symbols] };
}

/**
 * Builds a workload from a generator of one sample's feeds per seed. Sample i is generated with
 * seed `qslSeed + i`, so the set is reproducible from the recorded QSL seed.
 */
export function buildWorkload(
  session: Session,
  opts: {
    name: string;
    count: number;
    qslSeed: number;
    generate: (seed: number) => Feeds;
    flopsPerSample: number | null;
    flopsSource?: CostSource;
    bytesPerSample?: number | null;
    precision: string;
    /** The user's samples (an inputs folder): the QSL is these, in turn, instead of generated ones. */
    samples?: readonly Feeds[];
  },
): Workload {
  const { inputs } = batchDims(session);
  const samples = opts.samples ? [...opts.samples] : Array.from({ length: opts.count }, (_, i) => opts.generate(opts.qslSeed + i));
  // A batch input is concatenated along dim 0, so each sample must have leading dim 1 there.
  const batchInputs = inputs.filter((name) => samples.every((s) => isTensor(s[name]) && s[name].dims[0] === 1));
  return {
    name: opts.name,
    samples,
    batchInputs,
    flopsPerSample: opts.flopsPerSample,
    flopsSource: opts.flopsSource,
    bytesPerSample: opts.bytesPerSample ?? null,
    precision: opts.precision,
  };
}

function isTensor(v: Value | undefined): v is Tensor {
  return v !== null && v !== undefined && !Array.isArray(v);
}

/** The feeds of one run carrying these samples along dim 0 (batch inputs concatenated; others from the first sample). */
export function batchFeeds(workload: Workload, ids: readonly number[]): Feeds {
  if (ids.length === 1) return workload.samples[ids[0]!]!;
  if (workload.batchInputs.length === 0) {
    throw new InputError(`model ${workload.name} has a fixed batch dimension, so ${ids.length} samples cannot share one run`);
  }
  const first = workload.samples[ids[0]!]!;
  const out: Feeds = { ...first };
  for (const name of workload.batchInputs) {
    const parts = ids.map((id) => workload.samples[id]![name] as Tensor);
    out[name] = { type: parts[0]!.type, dims: [ids.length, ...parts[0]!.dims.slice(1)], data: concatData(parts.map((p) => p.data)) };
  }
  return out;
}

function concatData(parts: readonly TensorData[]): TensorData {
  const first = parts[0]!;
  if (Array.isArray(first)) return (parts as string[][]).flat();
  const total = parts.reduce((n, p) => n + p.length, 0);
  const Ctor = first.constructor as new (n: number) => Exclude<TensorData, string[]>;
  const out = new Ctor(total);
  let offset = 0;
  for (const p of parts as Exclude<TensorData, string[]>[]) {
    (out as { set(a: ArrayLike<number | bigint>, o: number): void }).set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Runs one query's samples on the session and resolves when all are done: one run when the
 * batch is a tensor dim, else one run per sample (overlapping when the session allows it).
 */
export async function runSamples(session: Session, workload: Workload, ids: readonly number[], batching: Batching): Promise<void> {
  if (ids.length === 1 || batching === 'tensor') {
    await session.run(batchFeeds(workload, ids));
    return;
  }
  if (batching === 'concurrent-runs') {
    await Promise.all(ids.map((id) => session.run(workload.samples[id]!)));
    return;
  }
  for (const id of ids) await session.run(workload.samples[id]!);
}
