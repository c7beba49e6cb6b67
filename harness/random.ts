// The one seeded generator harness/ uses (xoshiro128**, seeded through splitmix32), so every random
// choice a run makes — arrival gaps, sample indices, prompts — is reproducible from the seeds it records.
// (models/ keeps its own for weights: a model's bytes, and so its SHA-256, must never change.)

export interface Rng {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Exponential with the given rate (mean 1/rate), by inversion. */
  exponential(rate: number): number;
}

export function seededRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix(),
    b = splitmix(),
    c = splitmix(),
    d = splitmix();
  const u32 = () => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  const next = () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  return {
    next,
    int: (n) => Math.floor(next() * n),
    // 1 − U is in (0, 1], so the log is finite.
    exponential: (rate) => -Math.log(1 - next()) / rate,
  };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Server arrivals: a Poisson process at `qps` (exponential gaps), as times in ms from the start,
 * generated until both `minDurationMs` and `minQueries` are covered, never past `maxDurationMs`.
 * LoadGen likewise pre-generates the whole schedule before the run.
 */
export function poissonSchedule(qps: number, seed: number, minDurationMs: number, minQueries: number, maxDurationMs: number): number[] {
  const rng = seededRng(seed);
  const times: number[] = [];
  // The first query goes at 0, so n queries span n − 1 gaps ((n − 1)/last time is the rate, as LoadGen counts it).
  let t = 0;
  while (t <= maxDurationMs) {
    times.push(t);
    if (t >= minDurationMs && times.length >= minQueries) break;
    t += rng.exponential(qps) * 1000;
  }
  return times;
}
