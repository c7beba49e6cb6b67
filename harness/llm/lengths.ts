// Prompt and output lengths as distributions, seeded, in the two ways the anchors offer:
//  - AIPerf's `--isl/--isl-stddev` (`--osl/--osl-stddev`): a normal around the mean, here truncated
//    to mean ± 3σ (redrawn outside) and to at least 1 token, so the longest length is known before
//    the run (the context check) and the mean stays the asked one unless the floor of 1 bites;
//  - vLLM `bench serve`'s `--random-range-ratio r`: integers uniform in [⌊L(1−r)⌋, ⌈L(1+r)⌉] (at least 1).
// With neither, every request has the mean length (the fixed lengths of before).
import { seededRng } from '../random.js';
import { normal } from './random.js';

export interface LengthDistribution {
  /** The mean (stddev) or centre (range ratio) in tokens. */
  readonly mean: number;
  /** Standard deviation of the normal in tokens; 0: not normal. */
  readonly stddev: number;
  /** vLLM's range ratio in [0, 1); 0: not uniform. */
  readonly rangeRatio: number;
}

/** How many standard deviations the normal is truncated at. */
export const TRUNCATE_SIGMAS = 3;

export const fixedLength = (mean: number): LengthDistribution => ({ mean, stddev: 0, rangeRatio: 0 });

/** The shortest and longest length the distribution can draw. */
export function lengthBounds(d: LengthDistribution): { readonly min: number; readonly max: number } {
  if (d.rangeRatio > 0) {
    return { min: Math.max(1, Math.floor(d.mean * (1 - d.rangeRatio))), max: Math.max(1, Math.ceil(d.mean * (1 + d.rangeRatio))) };
  }
  if (d.stddev > 0) {
    return {
      min: Math.max(1, Math.ceil(d.mean - TRUNCATE_SIGMAS * d.stddev)),
      max: Math.max(1, Math.floor(d.mean + TRUNCATE_SIGMAS * d.stddev)),
    };
  }
  return { min: d.mean, max: d.mean };
}

/** `count` lengths drawn from `d` with the generator seeded by `seed`; the same seed gives the same lengths. */
export function drawLengths(count: number, d: LengthDistribution, seed: number): number[] {
  if (d.stddev === 0 && d.rangeRatio === 0) return new Array<number>(count).fill(d.mean);
  const rng = seededRng(seed);
  const u = () => rng.next();
  const { min, max } = lengthBounds(d);
  if (d.rangeRatio > 0) return Array.from({ length: count }, () => min + Math.floor(u() * (max - min + 1)));
  return Array.from({ length: count }, () => {
    for (;;) {
      const v = Math.round(d.mean + d.stddev * normal(u));
      if (v >= min && v <= max) return v;
    }
  });
}

/** One line saying how lengths are drawn (labels, notes). */
export function describeLengths(d: LengthDistribution): string {
  if (d.rangeRatio > 0) {
    const { min, max } = lengthBounds(d);
    return `uniform ${min}–${max} (range ratio ${d.rangeRatio})`;
  }
  if (d.stddev > 0) return `normal mean ${d.mean} σ ${d.stddev} (truncated at ±${TRUNCATE_SIGMAS}σ, ≥ 1)`;
  return `${d.mean}`;
}
