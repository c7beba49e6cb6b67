// Output-level agreement between a device and a reference on the same inputs: cosine similarity,
// max abs/rel error, and top-k agreement over the last axis for logits.
import type { Tensor, Value } from '../../devices/types.js';
import { fromBfloat16Bits, fromHalfBits } from '../../models/onnx/half.js';

/** A tensor's values as float64 (float16/bfloat16 decoded, integers converted). */
export function toFloat64(t: Tensor): Float64Array {
  const d = t.data as ArrayLike<number | bigint | string>;
  const out = new Float64Array(d.length);
  const conv = t.type === 'float16' ? fromHalfBits : t.type === 'bfloat16' ? fromBfloat16Bits : null;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    out[i] = conv ? conv(v as number) : typeof v === 'string' ? NaN : Number(v);
  }
  return out;
}

export interface PairStats {
  readonly elements: number;
  /** Cosine similarity of the flattened tensors (1 when both are all zeros; null when one is all zeros or a value is not finite). */
  readonly cosine: number | null;
  readonly maxAbsError: number;
  /** max |a − r| / |r| over elements with r ≠ 0 (0 when there are none). */
  readonly maxRelError: number;
  /** Elements where exactly one side is NaN or ±Infinity differs. */
  readonly nonFinite: number;
}

export function pairStats(actual: Float64Array, reference: Float64Array): PairStats {
  let dot = 0,
    na = 0,
    nr = 0,
    maxAbs = 0,
    maxRel = 0,
    nonFinite = 0;
  for (let i = 0; i < reference.length; i++) {
    const a = actual[i]!,
      r = reference[i]!;
    if (!Number.isFinite(a) || !Number.isFinite(r)) {
      if (!(Object.is(a, r) || (Number.isNaN(a) && Number.isNaN(r)))) nonFinite++;
      continue;
    }
    dot += a * r;
    na += a * a;
    nr += r * r;
    const d = Math.abs(a - r);
    if (d > maxAbs) maxAbs = d;
    if (r !== 0 && d / Math.abs(r) > maxRel) maxRel = d / Math.abs(r);
  }
  const cosine = nonFinite > 0 ? null : na === 0 && nr === 0 ? 1 : na === 0 || nr === 0 ? null : dot / Math.sqrt(na * nr);
  return { elements: reference.length, cosine, maxAbsError: maxAbs, maxRelError: maxRel, nonFinite };
}

/**
 * Top-k agreement over rows of the last axis (each row one distribution, e.g. one position's
 * logits): top-1 = the argmaxes are equal; top-5 = the reference's argmax is among the device's five
 * largest. Returns counts of agreeing rows.
 */
export function topKAgreement(
  actual: Float64Array,
  reference: Float64Array,
  classes: number,
): { rows: number; top1: number; top5: number } {
  const rows = Math.floor(reference.length / classes);
  let top1 = 0,
    top5 = 0;
  for (let row = 0; row < rows; row++) {
    const base = row * classes;
    const refBest = argmax(reference, base, classes);
    const order = topIndices(actual, base, classes, 5);
    if (order[0] === refBest) top1++;
    if (order.includes(refBest)) top5++;
  }
  return { rows, top1, top5 };
}

function argmax(x: Float64Array, base: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (x[base + i]! > x[base + best]!) best = i;
  return best;
}

function topIndices(x: Float64Array, base: number, n: number, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = x[base + i]!;
    if (top.length < k || v > x[base + top[top.length - 1]!]!) {
      let j = top.length < k ? top.length : k - 1;
      if (top.length < k) top.push(i);
      while (j > 0 && x[base + top[j - 1]!]! < v) {
        top[j] = top[j - 1]!;
        j--;
      }
      top[j] = i;
    }
  }
  return top;
}

export function isTensor(v: Value | undefined): v is Tensor {
  return v !== null && v !== undefined && !Array.isArray(v);
}
