// Models a run uses: zoo presets with seeded weights (in memory, or from the model cache above
// 2 GB), or ONNX files named by path (models/resolve.ts is the one rule). Each (name, dtype) is
// built and hashed once per run and recorded in the report with its SHA-256, parameters and
// analytic FLOPs; the same object is what the unit opens, so the digest is of what ran.
import { existsSync } from 'node:fs';
import { modelCost } from '../../models/cost.js';
import { resolveModel } from '../../models/resolve.js';
import { DEFAULT_SEED } from '../../models/zoo/index.js';
import { sha256Files, sha256Hex } from '../../reports/digest.js';
import type { ModelEntry } from '../../reports/types.js';
import type { LoadedModel, ModelRequest } from '../workloads/types.js';

const keyOf = (r: ModelRequest) => `${r.name}\u0000${r.dtype ?? 'float32'}`;

export class ModelStore {
  private readonly loaded = new Map<string, { model: LoadedModel; entry: ModelEntry }>();

  constructor(private readonly weightSeed: number = DEFAULT_SEED) {}

  /** Loads (once) the model asked for; a bad name or file is bad input (exit 2). */
  load(request: ModelRequest | string): { model: LoadedModel; entry: ModelEntry } {
    const r = typeof request === 'string' ? { name: request } : request;
    const hit = this.loaded.get(keyOf(r));
    if (hit) return hit;
    const resolved = resolveModel(r.name, { dtype: r.dtype, seed: this.weightSeed });
    const { source, zoo } = resolved;
    // A file's digest covers `<file>.data` too when it is there (the zoo's external data name).
    const digest =
      'bytes' in source
        ? { sha256: sha256Hex(source.bytes), bytes: source.bytes.length }
        : sha256Files([source.path, ...(existsSync(`${source.path}.data`) ? [`${source.path}.data`] : [])]);
    const entry: ModelEntry = zoo
      ? {
          name: r.name,
          source: 'zoo',
          family: zoo.family,
          params: zoo.params,
          flopsPerSample: modelCost(zoo).flopsPerSample,
          dtype: resolved.dtype,
          ...digest,
        }
      : { name: r.name, source: 'file', family: null, params: null, flopsPerSample: null, dtype: null, ...digest };
    const loaded = { model: { ...resolved, sha256: digest.sha256 }, entry };
    this.loaded.set(keyOf(r), loaded);
    return loaded;
  }

  entries(): ModelEntry[] {
    return [...this.loaded.values()].map((l) => l.entry);
  }
}
