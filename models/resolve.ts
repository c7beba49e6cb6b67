// The one rule that turns a model name into something a device can open: a name with a path
// separator or ending in .onnx is a file; anything else is a zoo preset, built with seeded
// weights (in memory, or through the model cache above protobuf's 2 GB limit).
import { resolve } from 'node:path';
import { ModelInputError } from './errors.js';
import type { ValueInfo } from '../devices/types.js';
import { inputValueInfos, inspectFile, ioInfo } from './inspect.js';
import { DEFAULT_SEED, getZooEntry, zooModelSource, zooPlan, type ZooEntry } from './zoo/index.js';

export type ModelDtype = 'float32' | 'float16';

/** Bytes in memory or a file path; the shape devices/ accepts (type-compatible, defined here so models/ stands alone). */
export type ResolvedSource = { readonly path: string } | { readonly bytes: Uint8Array };

export interface ResolvedModel {
  /** As the user named it. */
  readonly name: string;
  readonly source: ResolvedSource;
  /** The zoo entry, or null for a user's ONNX file. */
  readonly zoo: ZooEntry | null;
  /** The build type asked for (zoo presets); null for a file, which is used as it is. */
  readonly dtype: ModelDtype | null;
}

/** A model name names a file (not a zoo preset) when it has a path separator or ends in .onnx. */
export function isModelPath(name: string): boolean {
  return /[\\/]|\.onnx$/i.test(name);
}

/**
 * Resolves `name`. Zoo weights use the zoo's default seed unless told otherwise, so one model name
 * is one SHA-256 in every report. A dtype applies to zoo presets only.
 */
export function resolveModel(name: string, opts: { dtype?: ModelDtype; seed?: number } = {}): ResolvedModel {
  if (isModelPath(name)) {
    const path = resolve(name);
    if (opts.dtype && opts.dtype !== 'float32')
      throw new ModelInputError(`dtype ${opts.dtype} applies to zoo models; ${name} is used as it is`);
    // Read now, so a missing file, a folder or a file that is not an ONNX model (or whose external data is missing)
    // is bad input before anything runs (exit 2), not a device error later.
    inspectFile(path);
    return { name, source: { path }, zoo: null, dtype: null };
  }
  const zoo = getZooEntry(name);
  const dtype = opts.dtype ?? 'float32';
  return { name, source: zooModelSource(name, { dtype, seed: opts.seed ?? DEFAULT_SEED }), zoo, dtype };
}

/** The zoo entry of a model name without building it, or null for a file. Throws for an unknown preset. */
export function zooEntryOf(name: string): ZooEntry | null {
  return isModelPath(name) ? null : getZooEntry(name);
}

/**
 * The inputs a model declares (names, dtypes, fixed and symbolic dims), read without building it:
 * a file's graph, or a preset's graph plan (no weights), with initializers left out.
 */
export function declaredInputs(name: string, opts: { dtype?: ModelDtype } = {}): ValueInfo[] {
  if (isModelPath(name)) return inputValueInfos(inspectFile(resolve(name)));
  const graph = zooPlan(name, { dtype: opts.dtype }).proto.graph!;
  const weights = new Set((graph.initializer ?? []).map((t) => t.name));
  return inputValueInfos({ inputs: (graph.input ?? []).filter((v) => !weights.has(v.name ?? '')).map(ioInfo) });
}
