// How `npuval serve` picks each next token from the last position's logits: greedy at temperature 0,
// otherwise a draw from softmax(logits / temperature) restricted to the top_p nucleus (the smallest
// set of most likely tokens whose probabilities sum to at least top_p), as OpenAI and vLLM define
// them. Draws come from the harness's seeded generator, one stream per request choice, so the same
// seed and the same request give the same tokens.
import type { Tensor } from '../../devices/types.js';
import { fromHalfBits } from '../../models/onnx/half.js';
import { seededRng } from '../random.js';

export interface SamplingParams {
  /** 0 = greedy; OpenAI's range is [0, 2]. */
  readonly temperature: number;
  /** In (0, 1]; 1 keeps the whole vocabulary. */
  readonly topP: number;
  /** Seed of choice 0's draws; choice i draws from a stream derived from (seed, i). */
  readonly seed: number;
}

/** Picks a token from row `row` of logits [batch, seq, vocab] (its last position). */
export type TokenChooser = (logits: Tensor, row: number) => number;

/** The last position's logits of one row, as float32. */
export function rowLogits(logits: Tensor, row: number): Float32Array {
  const [, seq, vocab] = logits.dims as [number, number, number];
  const base = (row * seq + seq - 1) * vocab;
  if (logits.type === 'float16') {
    const bits = logits.data as Uint16Array;
    const out = new Float32Array(vocab);
    for (let v = 0; v < vocab; v++) out[v] = fromHalfBits(bits[base + v]!);
    return out;
  }
  return (logits.data as Float32Array).subarray(base, base + vocab);
}

/** The most likely token (the first of equals). */
export const greedy: TokenChooser = (logits, row) => argmax(rowLogits(logits, row));

/** The chooser for one choice of a request: greedy at temperature 0, else a seeded nucleus draw. */
export function tokenChooser(p: SamplingParams, choice = 0): TokenChooser {
  if (p.temperature === 0) return greedy;
  const rng = seededRng((p.seed ^ Math.imul(choice, 0x9e3779b9)) >>> 0);
  return (logits, row) => sample(rowLogits(logits, row), p.temperature, p.topP, rng.next());
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let v = 1; v < x.length; v++) if (x[v]! > x[best]!) best = v;
  return best;
}

/** The token at uniform draw u ∈ [0, 1) of the nucleus distribution. */
export function sample(x: Float32Array, temperature: number, topP: number, u: number): number {
  const max = x[argmax(x)]!;
  const p = new Float64Array(x.length);
  let total = 0;
  for (let v = 0; v < x.length; v++) total += p[v] = Math.exp((x[v]! - max) / temperature);
  // Tokens in order of probability (ties by id, so the order is deterministic); the nucleus is the
  // shortest prefix reaching top_p of the mass. Without a nucleus the walk goes in id order.
  let order: number[] | null = null;
  let mass = total;
  if (topP < 1) {
    order = Array.from(p.keys()).sort((a, b) => p[b]! - p[a]! || a - b);
    let kept = 0;
    mass = 0;
    while (kept < order.length && mass < topP * total) mass += p[order[kept++]!]!;
    order.length = kept;
  }
  let target = u * mass;
  const n = order ? order.length : p.length;
  for (let i = 0; i < n; i++) {
    const v = order ? order[i]! : i;
    target -= p[v]!;
    if (target < 0) return v;
  }
  // Rounding left a sliver of mass: the last token of the walk.
  return order ? order[n - 1]! : n - 1;
}
