// A folder of the user's own input samples, used instead of seeded ones. Two layouts, as users
// already have them:
//   ONNX test data   input_0.pb, input_1.pb, … (serialized TensorProto; input_K is the model's K-th input)
//   NumPy            input_K.npy, or <input name>.npy
// The folder itself holds one sample, and each sub-folder holding such files (test_data_set_0/, …,
// in natural order) one more. Other files (output_K.pb, notes) are left alone. Every tensor is
// checked against the model's declared inputs — dtype, rank, fixed dims, the symbolic dims given
// (--dim) and the same symbol having one value within a sample — and a mismatch is one sentence
// naming the file (ModelInputError, exit 2).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Tensor, TensorData, ValueInfo } from '../devices/types.js';
import { ModelInputError } from './errors.js';
import { readNpy } from './npy.js';
import { readTensorFile } from './onnx/tensor.js';

export interface InputSample {
  /** The folder the sample came from. */
  readonly folder: string;
  /** One tensor per model input, by input name. */
  readonly feeds: Readonly<Record<string, Tensor>>;
  /** The file each input came from, by input name. */
  readonly files: Readonly<Record<string, string>>;
  /** The value each symbolic dim took in this sample. */
  readonly dims: Readonly<Record<string, number>>;
}

export interface InputCheckOptions {
  /** Symbolic dim values the user gave (--dim / dims); a file must agree with them. */
  readonly dims?: Readonly<Record<string, number>>;
  /** Dims the caller sets itself (a scenario's batch dim): not checked against `dims`. */
  readonly free?: readonly string[];
}

const INDEXED = /^input_(\d+)\.(pb|npy)$/;
const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** Which model input a file holds, or null when the file is not an input file. */
function inputOf(file: string, inputs: readonly ValueInfo[], path: string): string | null {
  const m = INDEXED.exec(file);
  if (m) {
    const k = Number(m[1]);
    if (k >= inputs.length)
      throw new ModelInputError(
        `${path} is input ${k}, but the model has ${inputs.length} input(s): ${inputs.map((i) => i.name).join(', ')}.`,
      );
    return inputs[k]!.name;
  }
  if (!file.endsWith('.npy')) return null;
  const name = file.slice(0, -'.npy'.length);
  if (!inputs.some((i) => i.name === name))
    throw new ModelInputError(
      `${path} is named after no input of the model; name it input_K.npy or after one of: ${inputs.map((i) => i.name).join(', ')}.`,
    );
  return name;
}

/** The input files of one folder, by input name; null when it holds none. */
function sampleFiles(folder: string, inputs: readonly ValueInfo[]): Record<string, string> | null {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => natural(a.name, b.name))) {
    if (!entry.isFile()) continue;
    const path = join(folder, entry.name);
    const name = inputOf(entry.name, inputs, path);
    if (name === null) continue;
    if (files[name]) throw new ModelInputError(`${path} and ${files[name]} both hold input "${name}"; keep one.`);
    files[name] = path;
  }
  return Object.keys(files).length ? files : null;
}

/** Checks one tensor against its declared input; `bound` collects the sample's symbolic dim values. */
function check(t: Tensor, info: ValueInfo, path: string, bound: Map<string, [number, string]>, opts: InputCheckOptions): void {
  const declared = `[${(info.shape ?? []).map((d) => d ?? '?').join(', ')}]`;
  if (info.kind !== 'tensor')
    throw new ModelInputError(`${path}: input "${info.name}" of the model is not a tensor, so it cannot be fed from a file.`);
  if (t.type !== info.type) throw new ModelInputError(`${path} holds ${t.type}, but the model's input "${info.name}" is ${info.type}.`);
  if (!info.shape) return;
  if (t.dims.length !== info.shape.length)
    throw new ModelInputError(
      `${path} has shape [${t.dims.join(', ')}] (rank ${t.dims.length}), but the model's input "${info.name}" is ${declared} (rank ${info.shape.length}).`,
    );
  info.shape.forEach((d, axis) => {
    const v = t.dims[axis]!;
    const at = `${path} has shape [${t.dims.join(', ')}], but the model's input "${info.name}" is ${declared}:`;
    if (typeof d === 'number' && d !== v) throw new ModelInputError(`${at} axis ${axis} must be ${d}.`);
    if (typeof d !== 'string') return;
    const given = opts.dims?.[d];
    if (given !== undefined && given !== v && !opts.free?.includes(d))
      throw new ModelInputError(`${at} ${d} is ${v} in the file but ${given} in --dim/dims.`);
    const seen = bound.get(d);
    if (seen && seen[0] !== v) throw new ModelInputError(`${at} ${d} is ${v} here but ${seen[0]} in ${seen[1]}.`);
    bound.set(d, [v, path]);
  });
}

/**
 * Reads every sample in `dir` for a model with these inputs and checks each tensor. A folder that
 * is missing, holds no input files, or a sample that lacks an input is bad input (exit 2).
 */
export function readInputSamples(dir: string, inputs: readonly ValueInfo[], opts: InputCheckOptions = {}): InputSample[] {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new ModelInputError(`Inputs folder ${root} does not exist or is not a folder.`);
  const folders = [
    root,
    ...readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => join(root, e.name))
      .sort(natural),
  ];
  const samples: InputSample[] = [];
  for (const folder of folders) {
    const files = sampleFiles(folder, inputs);
    if (!files) continue;
    const missing = inputs.filter((i) => !files[i.name]).map((i) => i.name);
    if (missing.length)
      throw new ModelInputError(
        `Inputs folder ${folder} has no file for input ${missing.map((m) => `"${m}"`).join(', ')} (input_K.pb, input_K.npy or NAME.npy).`,
      );
    const bound = new Map<string, [number, string]>();
    const feeds: Record<string, Tensor> = {};
    for (const info of inputs) {
      const path = files[info.name]!;
      const t = path.endsWith('.npy') ? readNpy(path) : readTensorFile(path);
      check(t, info, path, bound, opts);
      feeds[info.name] = t;
    }
    samples.push({ folder, feeds, files, dims: Object.fromEntries([...bound].map(([k, [v]]) => [k, v])) });
  }
  if (samples.length === 0)
    throw new ModelInputError(`Inputs folder ${root} holds no input_K.pb, input_K.npy or NAME.npy files, nor sub-folders with them.`);
  return samples;
}

/**
 * Splits each sample into rows along the leading dim of `batchInputs` (which must agree), so a
 * file of 4 rows is 4 one-row samples; the other inputs are shared by every row.
 */
export function splitRows(samples: readonly InputSample[], batchInputs: readonly string[]): InputSample[] {
  if (batchInputs.length === 0) return [...samples];
  return samples.flatMap((s) => {
    const rows = s.feeds[batchInputs[0]!]!.dims[0]!;
    for (const name of batchInputs) {
      if (s.feeds[name]!.dims[0] !== rows)
        throw new ModelInputError(
          `${s.files[name]} has ${s.feeds[name]!.dims[0]} rows along its batch dim, but ${s.files[batchInputs[0]!]} has ${rows}.`,
        );
    }
    if (rows === 1) return [s];
    return Array.from({ length: rows }, (_, r) => ({
      ...s,
      feeds: Object.fromEntries(Object.entries(s.feeds).map(([name, t]) => [name, batchInputs.includes(name) ? row(t, r, rows) : t])),
    }));
  });
}

function row(t: Tensor, r: number, rows: number): Tensor {
  const width = t.data.length / rows;
  if (!Number.isInteger(width))
    throw new ModelInputError(`A ${t.type} input packs elements across rows, so it cannot be split into one-row samples.`);
  return { type: t.type, dims: [1, ...t.dims.slice(1)], data: t.data.slice(r * width, (r + 1) * width) as TensorData };
}
