// Plan-time handling of a user's own model for the kinds that run one (scenario, accuracy): the
// inputs folder is read and checked against the model's declared inputs before anything runs, and
// a user's file without one is checked to be seedable (its dims and vocabulary given).
import { resolve } from 'node:path';
import type { ModelDtype } from '../../models/resolve.js';
import { declaredInputs, isModelPath } from '../../models/resolve.js';
import { checkSeedable } from '../../models/inputs.js';
import { inspectFile } from '../../models/inspect.js';
import { readInputSamples, splitRows, type InputSample } from '../../models/input-files.js';
import { InputError } from '../errors.js';
import { batchDims } from '../scenarios/workload.js';
import { settingName } from './settings.js';

export interface ModelInputSettings {
  readonly inputs: string | null;
  readonly dims: Readonly<Record<string, number>> | null;
  readonly vocabSize: number | null;
}

/**
 * The samples of the unit's inputs folder, checked against `model`'s inputs; null without one.
 * `rows`: each sample becomes one batch row (a scenario sets the batch dim per query), so files
 * with several rows are split and the batch dim is not held to --dim. Without a folder, a user's
 * file is checked to be seedable (every symbolic dim bound, a vocabulary for token ids; without
 * `rows`, as accuracy does, a fixed logits width stands in for the vocabulary).
 */
export function planInputSamples(
  unitId: string,
  model: string,
  dtype: ModelDtype | undefined,
  s: ModelInputSettings,
  opts: { rows: boolean },
): InputSample[] | null {
  if (s.inputs === null && !isModelPath(model)) return null;
  // A folder's errors name the setting; a seedability error names the model (it may be --dim or --vocab that is missing).
  const where = s.inputs === null ? `unit ${unitId}: model ${model}` : settingName(unitId, 'inputs');
  try {
    const declared = declaredInputs(model, { dtype });
    const batch = opts.rows ? batchDims({ inputs: declared }) : { inputs: [], symbols: [] };
    if (s.inputs === null) {
      const rowDims = Object.fromEntries(batch.symbols.map((d) => [d, 1]));
      const vocabSize = s.vocabSize ?? (opts.rows ? null : logitsWidth(model));
      checkSeedable(declared, { dims: { ...s.dims, ...rowDims }, vocabSize: vocabSize ?? undefined });
      return null;
    }
    const samples = readInputSamples(s.inputs, declared, { dims: s.dims ?? {}, free: batch.symbols });
    return opts.rows ? splitRows(samples, batch.inputs) : samples;
  } catch (err) {
    if ((err as { exitCode?: number }).exitCode !== 2) throw err;
    throw new InputError(`${where}: ${(err as Error).message}`);
  }
}

/** The fixed last dim of a user file's logits output (accuracy draws token ids below it), or null. */
function logitsWidth(file: string): number | null {
  const logits = inspectFile(resolve(file)).outputs.find((o) => /logits/i.test(o.name));
  const last = logits?.shape?.at(-1);
  return typeof last === 'number' ? last : null;
}

/** One note line saying where the unit's samples came from. */
export function inputsNote(dir: string, samples: readonly InputSample[]): string {
  const folders = new Set(samples.map((x) => x.folder)).size;
  return `inputs: ${samples.length} sample(s) from ${folders} folder(s) under ${dir} (the user's own data, not seeded)`;
}
