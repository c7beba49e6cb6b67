// Power samplers: read board or package power while a workload runs. A sampler never guesses:
// it either returns readings it took, or says why it could not take any.

/** One reading: instantaneous (or interval-average) power at a time on the monotonic clock. */
export interface PowerSample {
  /** ms since the sampler started (performance.now() based). */
  readonly tMs: number;
  readonly watts: number;
}

/** What a finished sampling run measured. */
export interface PowerReading {
  /** e.g. nvidia-smi, rapl, furiosa-smi, rbln-stat */
  readonly sampler: string;
  /** What exactly was read, e.g. `nvidia-smi power.draw, GPU 0` or `/sys/class/powercap/intel-rapl:0 (package-0)`. */
  readonly source: string;
  readonly intervalMs: number;
  readonly samples: readonly PowerSample[];
  /** Sampling span in ms (start to stop). */
  readonly durationMs: number;
  /** Energy over the span, J, from an energy counter where the source has one (RAPL); null when there are only power samples (integrate them with meanWatts). */
  readonly energyJoules: number | null;
  /** Problems met while sampling (e.g. the tool exited early); the readings taken are still valid. */
  readonly notes: readonly string[];
}

export interface PowerRun {
  /** Stops sampling and returns what was read. Never rejects: failures come back as a reading with no samples and a note. */
  stop(): Promise<PowerReading>;
}

export interface PowerSampler {
  readonly name: string;
  readonly intervalMs: number;
  /** Resolves null when the sampler can read power here, else one sentence saying why not. */
  check(): Promise<string | null>;
  /** Starts sampling now. Call check() first; start() on an unusable sampler yields a reading with no samples. */
  start(): PowerRun;
}

/** Time-weighted mean power of samples over [0, durationMs], each sample holding until the next. */
export function meanWatts(samples: readonly PowerSample[], durationMs: number): number | null {
  if (samples.length === 0) return null;
  if (samples.length === 1 || durationMs <= 0) return samples.reduce((s, x) => s + x.watts, 0) / samples.length;
  // Trapezoids between samples, and the first/last sample held flat to the span's edges.
  let area = samples[0]!.watts * Math.max(0, samples[0]!.tMs);
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!,
      b = samples[i]!;
    area += ((a.watts + b.watts) / 2) * (b.tMs - a.tMs);
  }
  const lastSample = samples[samples.length - 1]!;
  area += lastSample.watts * Math.max(0, durationMs - lastSample.tMs);
  const span = Math.max(durationMs, lastSample.tMs);
  return area / span;
}
