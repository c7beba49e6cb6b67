// Workloads from a model name: a zoo preset (built in memory, with its analytic cost) or an ONNX
// file (cost unknown). Samples come from models/inputs.ts seededInputs, one batch row each.
import { existsSync } from 'node:fs';
import type { Feeds, Session } from '../../devices/types.js';
import { modelCost } from '../../models/cost.js';
import { DEFAULT_DIMS, seededInputBytes, seededInputs } from '../../models/inputs.js';
import { getZooEntry, zooModelSource, type ZooEntry } from '../../models/zoo/index.js';
import { InputError } from '../errors.js';
import { checkMemory, gib } from '../resources.js';
import { batchDims, buildWorkload, type Workload } from './workload.js';

export interface BenchModel {
  /** As the user named it. */
  readonly name: string;
  readonly bytes: Uint8Array | null;
  readonly path: string | null;
  readonly zoo: ZooEntry | null;
  /** fp32 or fp16: the precision the model's weights and activations run at. */
  readonly precision: 'fp32' | 'fp16';
}

/** A zoo name builds the preset (in memory, or in the model cache above 2 GB); anything ending .onnx or holding a / is a file path. */
export function loadBenchModel(name: string, opts: { dtype?: 'float32' | 'float16'; seed?: number } = {}): BenchModel {
  const precision = opts.dtype === 'float16' ? 'fp16' : 'fp32';
  if (name.endsWith('.onnx') || name.includes('/')) {
    if (!existsSync(name)) throw new InputError(`model file ${name} does not exist`);
    return { name, bytes: null, path: name, zoo: null, precision };
  }
  const zoo = getZooEntry(name);
  const source = zooModelSource(name, { dtype: opts.dtype ?? 'float32', seed: opts.seed });
  return { name, bytes: 'bytes' in source ? source.bytes : null, path: 'path' in source ? source.path : null, zoo, precision };
}

export interface ModelWorkloadOptions {
  /** QSL size. */
  readonly count: number;
  readonly qslSeed: number;
  /** Symbolic dims (the batch dim is bound to 1 per sample whatever is given). */
  readonly dims?: Readonly<Record<string, number>>;
  /** Vocabulary for token-id inputs; zoo models know theirs. */
  readonly vocabSize?: number;
  /** The user's samples (an inputs folder, checked at plan time), one batch row each: the QSL instead of seeded ones. */
  readonly samples?: readonly Feeds[];
  /** FLOPs per sample the user gave (a user's ONNX file; zoo models have their analytic count). */
  readonly flopsPerSample?: number;
  /** Bytes per sample the user gave, for the roofline. */
  readonly bytesPerSample?: number;
}

/** The workload for `model` opened as `session`, with FLOPs per sample from the zoo's analytic cost or the user. */
export function modelWorkload(
  session: Session,
  model: Pick<BenchModel, 'name' | 'zoo' | 'precision'>,
  opts: ModelWorkloadOptions,
): Workload {
  const dims: Record<string, number> = { ...(opts.dims ?? {}) };
  for (const s of batchDims(session).symbols) dims[s] = 1; // each sample is one batch row; queries concatenate rows
  const config = model.zoo?.config as { vocab_size?: number; seq_len?: number } | undefined;
  if (config?.seq_len !== undefined && dims.sequence_length === undefined) dims.sequence_length = config.seq_len;
  const vocabSize = opts.vocabSize ?? config?.vocab_size;
  let flopsPerSample: number | null = opts.flopsPerSample ?? null;
  if (model.zoo && opts.flopsPerSample === undefined) {
    const cost = modelCost(model.zoo);
    // Decoders have no per-sample figure: a sample is then one prefill of sequence_length tokens.
    const seq = dims.sequence_length ?? DEFAULT_DIMS.sequence_length;
    flopsPerSample = cost.flopsPerSample ?? (seq !== undefined ? cost.prefillFlops(1, seq) : null);
  }
  // The QSL holds every sample in memory at once: refuse before allocating what cannot fit (an inputs folder's are read already).
  if (!opts.samples) {
    const sampleBytes = seededInputBytes(session.inputs, dims);
    checkMemory(
      sampleBytes * opts.count,
      `the sample library (${opts.count} samples × ${gib(sampleBytes)})`,
      'lower --qsl-size (performanceSampleCount) or the --dim sizes',
    );
  }
  return buildWorkload(session, {
    name: model.name,
    count: opts.count,
    qslSeed: opts.qslSeed,
    flopsPerSample,
    flopsSource: opts.flopsPerSample === undefined ? 'analytic' : 'user-supplied',
    bytesPerSample: opts.bytesPerSample ?? null,
    precision: model.precision,
    samples: opts.samples,
    generate: (seed) => seededInputs(session.inputs, { seed, dims, vocabSize }),
  });
}
