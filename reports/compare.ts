// Compares two run reports metric by metric, using each metric's registered direction: a
// regression is a change for the worse beyond the threshold (lower latency is better, higher
// throughput is better; neutral metrics never gate).
import { improvement, metric, METRIC_NAMES } from './metrics.js';
import type { RunReport, UnitRecord } from './types.js';

export interface MetricDelta {
  readonly unit: string;
  readonly baselineUnit: string;
  readonly metric: string;
  readonly unitOfMeasure: string;
  readonly direction: 'lower' | 'higher' | 'neutral';
  readonly baseline: number | null;
  readonly candidate: number | null;
  /** (candidate − baseline) / |baseline| × 100, null when either is missing or the baseline is 0. */
  readonly deltaPct: number | null;
  /** Signed so that positive is better, in percent. */
  readonly improvementPct: number | null;
  readonly regressed: boolean;
}

export interface Comparison {
  readonly maxRegressionPct: number;
  readonly deltas: readonly MetricDelta[];
  readonly regressions: readonly MetricDelta[];
  /** Units in only one of the two reports. */
  readonly onlyInBaseline: readonly string[];
  readonly onlyInCandidate: readonly string[];
}

/** The workload a unit measures, without the device (the id's first part, recorded on its own). */
export function workloadKey(u: Pick<UnitRecord, 'workload'>): string {
  return u.workload;
}

/** Pairs candidate units with baseline units: same id first, else the same workload on another device when that is unique. */
export function pairUnits(baseline: readonly UnitRecord[], candidate: readonly UnitRecord[]): [UnitRecord, UnitRecord][] {
  const byId = new Map(baseline.map((u) => [u.id, u]));
  const used = new Set<string>();
  const pairs: [UnitRecord, UnitRecord][] = [];
  for (const c of candidate) {
    const b = byId.get(c.id);
    if (b) {
      pairs.push([b, c]);
      used.add(b.id);
    }
  }
  for (const c of candidate) {
    if (byId.has(c.id)) continue;
    const options = baseline.filter((b) => !used.has(b.id) && workloadKey(b) === workloadKey(c));
    if (options.length === 1) {
      pairs.push([options[0]!, c]);
      used.add(options[0]!.id);
    }
  }
  return pairs;
}

export function compareReports(baseline: RunReport, candidate: RunReport, maxRegressionPct: number): Comparison {
  const pairs = pairUnits(baseline.units, candidate.units);
  const deltas: MetricDelta[] = [];
  for (const [b, c] of pairs) {
    for (const name of METRIC_NAMES) {
      if (!(name in b.metrics) && !(name in c.metrics)) continue;
      const bv = b.metrics[name] ?? null;
      const cv = c.metrics[name] ?? null;
      const def = metric(name);
      const imp = improvement(name, bv, cv);
      deltas.push({
        unit: c.id,
        baselineUnit: b.id,
        metric: name,
        unitOfMeasure: def.unit,
        direction: def.direction,
        baseline: bv,
        candidate: cv,
        deltaPct: bv !== null && cv !== null && bv !== 0 ? ((cv - bv) / Math.abs(bv)) * 100 : null,
        improvementPct: imp === null ? null : imp * 100,
        // A small epsilon so that exactly-at-threshold changes are not flagged by rounding.
        regressed: imp !== null && def.direction !== 'neutral' && -imp * 100 > maxRegressionPct + 1e-9,
      });
    }
  }
  const pairedB = new Set(pairs.map(([b]) => b.id));
  const pairedC = new Set(pairs.map(([, c]) => c.id));
  return {
    maxRegressionPct,
    deltas,
    regressions: deltas.filter((d) => d.regressed),
    onlyInBaseline: baseline.units.filter((u) => !pairedB.has(u.id)).map((u) => u.id),
    onlyInCandidate: candidate.units.filter((u) => !pairedC.has(u.id)).map((u) => u.id),
  };
}
