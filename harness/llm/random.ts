// Request gaps for rate-driven LLM load: the gamma distribution of vLLM `bench serve`'s
// burstiness (shape = burstiness, scale = 1/(rate·burstiness), so the mean gap is 1/rate).
// Uniforms come from the scenarios' seeded generator.
import { seededRng } from '../random.js';

/** Standard normal by Box–Muller. */
export function normal(u: () => number): number {
  const u1 = 1 - u(); // (0, 1]: log is finite
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u());
}

/** Gamma(shape, scale) by Marsaglia–Tsang; shape < 1 via the Gamma(shape+1)·U^(1/shape) boost. */
export function gamma(u: () => number, shape: number, scale: number): number {
  if (!(shape > 0) || !(scale > 0)) throw new RangeError(`gamma needs shape > 0 and scale > 0 (got ${shape}, ${scale})`);
  if (shape < 1) return gamma(u, shape + 1, scale) * (1 - u()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = normal(u);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const w = 1 - u();
    if (w < 1 - 0.0331 * x ** 4 || Math.log(w) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
  }
}

/**
 * Inter-arrival gaps in ms for `rate` requests/s: burstiness 1 is a Poisson process, < 1 burstier,
 * > 1 more regular; the mean is 1000/rate ms either way. rate = Infinity sends all at once (gaps 0).
 */
export function arrivalGaps(count: number, rate: number, burstiness: number, seed: number): number[] {
  if (rate === Infinity) return new Array<number>(count).fill(0);
  const rng = seededRng(seed);
  const u = () => rng.next();
  const scaleMs = 1000 / (rate * burstiness);
  return Array.from({ length: count }, () => gamma(u, burstiness, scaleMs));
}
