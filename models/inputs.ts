// Seeded inputs for any model (zoo or user export), from its input metadata alone.
// Each input has its own random stream (seeded from the seed and the input's name), so adding an
// input never changes the values of another.
//   input_ids / *token* ids  uniform integers in [0, vocabSize)
//   attention_mask            ones (no padding)
//   position_ids              past_sequence_length … past_sequence_length + n − 1 in every row
//   token_type_ids            zeros
//   past_key_values.*         zeros
//   other float inputs        N(0, 1) (images, features), float16/bfloat16 as their bits
//   other integer/bool inputs zeros
// Symbolic dims take their value from `dims`, else from DEFAULT_DIMS; total_sequence_length defaults
// to sequence_length + past_sequence_length. An unbound or unknown dim is an error (exit 2).
import type { DType, Tensor, TensorData, ValueInfo } from '../devices/types.js';
import { ModelInputError } from './errors.js';
import { Rng } from './onnx/weights.js';
import { toBfloat16Bits, toHalfBits } from './onnx/half.js';
import { ARRAY_OF, storageLength } from './onnx/tensor.js';

export const DEFAULT_DIMS: Readonly<Record<string, number>> = {
  batch_size: 1,
  batch: 1,
  N: 1,
  sequence_length: 8,
  past_sequence_length: 0,
};

/** The largest value a symbolic dim may take (the settings' dims bound, harness/workloads/settings.ts). */
export const MAX_DIM = 1 << 20;

export interface SeededInputOptions {
  seed: number;
  /** Values for symbolic dims, e.g. { batch_size: 4, sequence_length: 128 }. */
  dims?: Record<string, number>;
  /** Token ids are drawn from [0, vocabSize); required when the model has a token-id input. */
  vocabSize?: number;
}

const isTokenIds = (name: string) => name === 'input_ids' || (/(^|_)(token|input)_?ids$/.test(name) && !/type/.test(name));

function resolveDims(info: ValueInfo, dims: Record<string, number>): number[] {
  if (!info.shape) throw new ModelInputError(`Input "${info.name}" has no known shape, so seeded values cannot be made for it.`);
  return info.shape.map((d, i) => {
    if (typeof d === 'number') return d;
    if (d === null)
      throw new ModelInputError(`Input "${info.name}" has an unnamed unknown dim at axis ${i}; the model must name it or fix it.`);
    const v = dims[d];
    if (v === undefined)
      throw new ModelInputError(`Input "${info.name}" has symbolic dim "${d}" with no value; pass it (e.g. --dim ${d}=N).`);
    if (!Number.isInteger(v) || v < 0) throw new ModelInputError(`Dim "${d}" must be a non-negative integer, not ${v}.`);
    return v;
  });
}

function fill(type: DType, count: number, f: (i: number) => number): Exclude<TensorData, string[]> {
  if (type === 'string') throw new ModelInputError('String inputs cannot be seeded.');
  const out = new ARRAY_OF[type](storageLength(type, count));
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) out[i] = BigInt(f(i));
  } else if (type === 'float16') {
    for (let i = 0; i < count; i++) out[i] = toHalfBits(f(i));
  } else if (type === 'bfloat16') {
    for (let i = 0; i < count; i++) out[i] = toBfloat16Bits(f(i));
  } else if (type === 'int4' || type === 'uint4' || type.startsWith('float8')) {
    // Packed or 8-bit float encodings: zeros are zero bits in every one of them.
    if (count && f(0) !== 0) throw new ModelInputError(`Seeded ${type} inputs can only be zeros.`);
  } else {
    for (let i = 0; i < count; i++) out[i] = f(i);
  }
  return out;
}

/** Every dim value seeded inputs use: the given ones over the defaults, total_sequence_length derived. */
function withDefaults(given: Record<string, number> | undefined): Record<string, number> {
  const dims: Record<string, number> = { ...DEFAULT_DIMS, ...given };
  if (given?.total_sequence_length === undefined) {
    dims.total_sequence_length = (dims.sequence_length ?? 0) + (dims.past_sequence_length ?? 0);
  }
  return dims;
}

/** The bytes seededInputs would allocate for one set of inputs, without allocating (checked against memory first). */
export function seededInputBytes(inputs: readonly ValueInfo[], given?: Record<string, number>): number {
  const dims = withDefaults(given);
  let bytes = 0;
  for (const info of inputs) {
    if (info.kind !== 'tensor' || !info.type) continue;
    const count = resolveDims(info, dims).reduce((a, b) => a * b, 1);
    bytes += count * (ARRAY_OF[info.type as Exclude<DType, 'string'>]?.BYTES_PER_ELEMENT ?? 8);
  }
  return bytes;
}

/** The shape of one seeded input, or the one-sentence reason it cannot be seeded (exit 2). */
function seedShape(info: ValueInfo, dims: Record<string, number>, vocabSize: number | undefined): number[] {
  if (info.kind !== 'tensor' || !info.type)
    throw new ModelInputError(`Input "${info.name}" is not a tensor; seeded inputs cover tensors only.`);
  const shape = resolveDims(info, dims);
  if (isTokenIds(info.name)) {
    if (vocabSize === undefined)
      throw new ModelInputError(`Input "${info.name}" holds token ids; give the vocabulary size (vocabSize / --vocab) to draw them from.`);
    if (!Number.isInteger(vocabSize) || vocabSize < 1)
      throw new ModelInputError(`The vocabulary size (vocabSize / --vocab) must be a positive integer, not ${vocabSize}.`);
  }
  return shape;
}

/** Checks that seededInputs can make every input (dims bound, a vocabulary for token ids) without making them. */
export function checkSeedable(inputs: readonly ValueInfo[], opts: Omit<SeededInputOptions, 'seed'>): void {
  const dims = withDefaults(opts.dims);
  for (const info of inputs) seedShape(info, dims, opts.vocabSize);
}

/** One seeded tensor per tensor input of `inputs`; non-tensor inputs (sequences, maps) are an error. */
export function seededInputs(inputs: readonly ValueInfo[], opts: SeededInputOptions): Record<string, Tensor> {
  const dims = withDefaults(opts.dims);
  const out: Record<string, Tensor> = {};
  for (const info of inputs) {
    const shape = seedShape(info, dims, opts.vocabSize);
    const type = info.type!;
    const count = shape.reduce((a, b) => a * b, 1);
    const rng = new Rng(opts.seed, info.name);
    const isFloat = type === 'float32' || type === 'float16' || type === 'bfloat16' || type === 'float64';
    let f: (i: number) => number;
    if (isTokenIds(info.name)) {
      const vocab = opts.vocabSize!;
      f = () => rng.int(vocab);
    } else if (info.name === 'attention_mask') {
      f = () => 1;
    } else if (info.name === 'position_ids') {
      const row = shape[shape.length - 1] ?? 1;
      const start = dims.past_sequence_length ?? 0;
      f = (i) => start + (i % row);
    } else if (isFloat && !info.name.startsWith('past_key_values')) {
      f = () => rng.normal();
    } else {
      f = () => 0;
    }
    out[info.name] = { type, dims: shape, data: fill(type, count, f) };
  }
  return out;
}

/** Parses `--dim name=N` flags into a dims record; a malformed flag is an input error (exit 2). */
export function parseDimFlags(flags: readonly string[]): Record<string, number> {
  const dims: Record<string, number> = {};
  for (const flag of flags) {
    const m = /^([^=\s]+)=(-?\d+)$/.exec(flag.trim());
    if (!m) throw new ModelInputError(`--dim "${flag}" is not of the form NAME=N (e.g. batch_size=4).`);
    const n = Number(m[2]);
    if (!(n >= 0 && n <= MAX_DIM)) throw new ModelInputError(`--dim ${m[1]}=${m[2]}: the size must be an integer from 0 to ${MAX_DIM}.`);
    dims[m[1]!] = n;
  }
  return dims;
}
