// The comparison rule of ONNX's backend test runner (onnx/backend/test/runner/__init__.py,
// assert_similar_outputs → numpy.testing.assert_allclose): value kinds, dtypes and shapes must be
// equal; integers, bools and strings exactly; floats |a − e| ≤ atol + rtol·|e|, NaN matching NaN
// and infinities matching only the same infinity. Sequences compare element by element.
// Arithmetic is done in float64 (numpy does float32 subtraction for float32 arrays; the
// difference is below any tolerance in use).
import type { DType, Tensor, Value } from '../../devices/types.js';
import { fromBfloat16Bits, fromHalfBits } from '../../models/onnx/half.js';
import type { Mismatch, Tolerance } from './types.js';

/** Float types compared with a tolerance; every other type compares exactly. */
export const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** Element-wise statistics of one tensor comparison. */
export interface TensorStats {
  readonly elements: number;
  readonly mismatches: number;
  readonly maxAbsError: number | null;
  readonly maxRelError: number | null;
  /** Flat index of the first mismatch, -1 when none. */
  readonly first: number;
}

/**
 * Compares one output against its expected value. Returns null when it matches, else the
 * mismatch (the first failing element's index and values, error statistics, the tolerance used).
 * `tolFor` gives the tolerance for a float dtype.
 */
export function compareValue(
  output: string,
  dataSet: string,
  actual: Value | undefined,
  expected: Value,
  tolFor: (dtype: DType) => Tolerance,
): Mismatch | null {
  const base = {
    output,
    dataSet,
    maxAbsError: null,
    maxRelError: null,
    mismatches: 1,
    elements: 1,
    firstIndex: null,
    actual: null,
    expected: null,
    tolerance: null,
  };
  if (actual === undefined) return { ...base, what: 'missing-output', message: `output "${output}" was not returned` };
  const ka = kindOf(actual),
    ke = kindOf(expected);
  if (ka !== ke) return { ...base, what: 'kind', message: `${output} is ${ka}, expected ${ke}`, actual: ka, expected: ke };
  if (expected === null) return null;
  if (Array.isArray(expected)) {
    const seq = actual as Value[];
    if (seq.length !== expected.length) {
      return {
        ...base,
        what: 'shape',
        message: `${output} is a sequence of ${seq.length}, expected ${expected.length}`,
        actual: String(seq.length),
        expected: String(expected.length),
      };
    }
    for (let i = 0; i < expected.length; i++) {
      const m = compareValue(`${output}[${i}]`, dataSet, seq[i], expected[i]!, tolFor);
      if (m) return m;
    }
    return null;
  }
  const a = actual as Tensor,
    e = expected;
  if (a.type !== e.type)
    return { ...base, what: 'dtype', message: `${output} is ${a.type}, expected ${e.type}`, actual: a.type, expected: e.type };
  if (!sameDims(a.dims, e.dims)) {
    return {
      ...base,
      what: 'shape',
      message: `${output} has shape [${a.dims.join(',')}], expected [${e.dims.join(',')}]`,
      actual: `[${a.dims.join(',')}]`,
      expected: `[${e.dims.join(',')}]`,
    };
  }
  const tolerance = FLOAT_DTYPES.has(e.type) ? tolFor(e.type) : null;
  const stats = compareTensors(a, e, tolerance);
  if (stats.mismatches === 0) return null;
  const idx = unravel(stats.first, e.dims);
  return {
    output,
    dataSet,
    what: 'values',
    message:
      `${output}: ${stats.mismatches} of ${stats.elements} elements differ` +
      (tolerance
        ? ` beyond rtol ${tolerance.rtol}, atol ${tolerance.atol} (max abs error ${fmt(stats.maxAbsError)}, max rel error ${fmt(stats.maxRelError)})`
        : ' (exact comparison)') +
      `; first at [${idx.join(',')}]: ${elementText(a, stats.first)} vs expected ${elementText(e, stats.first)}`,
    maxAbsError: stats.maxAbsError,
    maxRelError: stats.maxRelError,
    mismatches: stats.mismatches,
    elements: stats.elements,
    firstIndex: idx,
    actual: elementText(a, stats.first),
    expected: elementText(e, stats.first),
    tolerance,
  };
}

/**
 * Element-wise comparison of two tensors of equal type and shape. `tolerance` null means exact
 * (integers, bools, strings, float8 bytes). Error statistics are over finite pairs only.
 */
export function compareTensors(actual: Tensor, expected: Tensor, tolerance: Tolerance | null): TensorStats {
  const n = expected.data.length;
  let mismatches = 0,
    first = -1;
  let maxAbs: number | null = null,
    maxRel: number | null = null;
  if (actual.data.length !== n) return { elements: n, mismatches: n, maxAbsError: null, maxRelError: null, first: 0 };
  const numeric = tolerance !== null || (typeof expected.data[0] !== 'string' && typeof expected.data[0] !== 'bigint');
  if (tolerance === null) {
    const ad = actual.data as ArrayLike<unknown>,
      ed = expected.data as ArrayLike<unknown>;
    for (let i = 0; i < n; i++) {
      if (ad[i] !== ed[i] && !(numeric && Number.isNaN(ad[i]) && Number.isNaN(ed[i]))) {
        mismatches++;
        if (first < 0) first = i;
      }
      if (numeric && typeof ad[i] === 'number') {
        const d = Math.abs((ad[i] as number) - (ed[i] as number));
        if (Number.isFinite(d)) maxAbs = Math.max(maxAbs ?? 0, d);
      }
    }
    return { elements: n, mismatches, maxAbsError: numeric ? maxAbs : null, maxRelError: null, first };
  }
  const read = reader(expected.type);
  const ad = actual.data as ArrayLike<number>,
    ed = expected.data as ArrayLike<number>;
  const { rtol, atol } = tolerance;
  for (let i = 0; i < n; i++) {
    const a = read(ad[i]!),
      e = read(ed[i]!);
    let ok: boolean;
    if (Number.isNaN(a) || Number.isNaN(e)) ok = Number.isNaN(a) && Number.isNaN(e);
    else if (!Number.isFinite(a) || !Number.isFinite(e)) ok = a === e;
    else {
      const d = Math.abs(a - e);
      maxAbs = Math.max(maxAbs ?? 0, d);
      if (e !== 0) maxRel = Math.max(maxRel ?? 0, d / Math.abs(e));
      ok = d <= atol + rtol * Math.abs(e);
    }
    if (!ok) {
      mismatches++;
      if (first < 0) first = i;
    }
  }
  return { elements: n, mismatches, maxAbsError: maxAbs, maxRelError: maxRel, first };
}

function reader(type: DType): (x: number) => number {
  if (type === 'float16') return fromHalfBits;
  if (type === 'bfloat16') return fromBfloat16Bits;
  return (x) => x;
}

function kindOf(v: Value): 'tensor' | 'sequence' | 'absent optional' {
  return v === null ? 'absent optional' : Array.isArray(v) ? 'sequence' : 'tensor';
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => Number(d) === Number(b[i]));
}

/** Flat index → multi-dimensional index (row-major). */
export function unravel(flat: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length).fill(0);
  let rest = flat;
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = Number(dims[k]) || 1;
    idx[k] = rest % d;
    rest = Math.floor(rest / d);
  }
  return idx;
}

function elementText(t: Tensor, i: number): string {
  const v = (t.data as ArrayLike<unknown>)[i];
  if (typeof v === 'number') return String(reader(t.type)(v));
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

function fmt(x: number | null): string {
  return x === null ? 'n/a' : x.toPrecision(3);
}
