// Models a run uses: zoo presets with seeded weights (in memory, or from the model cache above
// 2 GB), or ONNX files named by path. Each is loaded once per run and recorded in the report with
// its SHA-256, parameters and analytic FLOPs.
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { resolve } from 'node:path';
import { modelCost } from '../../models/cost.js';
import { getZooEntry, zooModelSource, type ZooEntry } from '../../models/zoo/index.js';
import { isModelPath } from './plan.js';
import { sha256Files, sha256Hex } from '../../reports/digest.js';
import type { ModelEntry } from '../../reports/types.js';
import type { ModelSource } from '../../devices/types.js';
import type { LoadedModel } from './units/types.js';

export class ModelStore {
  private readonly loaded = new Map<string, { model: LoadedModel; entry: ModelEntry }>();

  constructor(private readonly weightSeed: number) {}

  /**
   * Loads (once) the model called `name`: a zoo preset (in memory, or from the model cache above
   * 2 GB), or an ONNX file, opened by path so its external data is found.
   */
  load(name: string): { model: LoadedModel; entry: ModelEntry } {
    const hit = this.loaded.get(name);
    if (hit) return hit;
    let source: ModelSource;
    let entry: Omit<ModelEntry, 'sha256' | 'bytes'>;
    if (isModelPath(name)) {
      if (!existsSync(resolve(name))) throw new InputError(`model file ${resolve(name)} does not exist (a suite's model is a zoo name, or an ONNX file path relative to the suite file's folder)`);
      source = { path: resolve(name) };
      entry = { name, source: 'file', family: null, params: null, flopsPerSample: null, dtype: null };
    } else {
      const zoo = getZooEntry(name);
      source = zooModelSource(name, { seed: this.weightSeed });
      entry = { name, source: 'zoo', family: zoo.family, params: zoo.params, flopsPerSample: modelCost(zoo).flopsPerSample, dtype: 'float32' };
    }
    // A file's digest covers `<file>.data` too when it is there (the zoo's external data name).
    const digest = 'bytes' in source
      ? { sha256: sha256Hex(source.bytes), bytes: source.bytes.length }
      : sha256Files([source.path, ...(existsSync(`${source.path}.data`) ? [`${source.path}.data`] : [])]);
    const loaded = { model: { name, source, sha256: digest.sha256 }, entry: { ...entry, ...digest } };
    this.loaded.set(name, loaded);
    return loaded;
  }

  entries(): ModelEntry[] {
    return [...this.loaded.values()].map((l) => l.entry);
  }
}

/** The zoo entry of a model name, or null for ONNX files. */
export function zooEntryOf(name: string): ZooEntry | null {
  return isModelPath(name) ? null : getZooEntry(name);
}
