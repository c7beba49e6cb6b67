// --find-peak for Server: the largest target QPS whose run is VALID, by a bounded search —
// double (or halve) from the start rate until the verdict flips, then bisect between the last
// VALID and the first INVALID rate. Every probe is a full Server run and is journaled.
import type { Session } from '../../devices/types.js';
import type { ScenarioSettings } from './settings.js';
import { runScenario, type RunOptions, type ScenarioResult } from './run.js';
import type { Workload } from './workload.js';

export interface PeakSearchOptions {
  /** First rate tried (default: the settings' target QPS). */
  readonly startQps?: number;
  /** At most this many Server runs (default 8). */
  readonly maxProbes?: number;
  /** Stop bisecting when INVALID/VALID rates are within this ratio (default 1.1, i.e. 10 %). */
  readonly resolution?: number;
}

export interface Probe {
  readonly probe: number;
  readonly qps: number;
  readonly result: 'VALID' | 'INVALID';
  readonly completedSamplesPerSecond: number | null;
  readonly p99LatencyMs: number | null;
  readonly reasons: readonly string[];
}

export interface PeakSearch {
  /** The largest probed QPS that was VALID; null when none was. */
  readonly peakQps: number | null;
  /** The smallest probed QPS that was INVALID above the peak; null when none was found within the probes. */
  readonly firstInvalidQps: number | null;
  readonly probes: readonly Probe[];
  /** The run at the peak rate (null when no probe was VALID). */
  readonly best: ScenarioResult | null;
  /** Every probe's run, in probe order. */
  readonly runs: readonly ScenarioResult[];
  /** Why the search stopped. */
  readonly stoppedBecause: string;
}

export async function findPeak(
  session: Session,
  workload: Workload,
  settings: ScenarioSettings,
  options: RunOptions,
  search: PeakSearchOptions = {},
): Promise<PeakSearch> {
  if (settings.scenario !== 'server') throw new Error('findPeak runs the server scenario');
  const maxProbes = search.maxProbes ?? 8;
  const resolution = search.resolution ?? 1.1;
  const probes: Probe[] = [];
  const runs: ScenarioResult[] = [];
  let best: ScenarioResult | null = null;
  let lo: number | null = null; // highest VALID
  let hi: number | null = null; // lowest INVALID
  const probe = async (qps: number): Promise<boolean> => {
    const n = probes.length;
    const result = await runScenario(
      session,
      workload,
      { ...settings, targetQps: qps },
      { ...options, journalTag: { ...(options.journalTag ?? {}), probe: n, qps } },
    );
    const p: Probe = {
      probe: n,
      qps,
      result: result.result,
      completedSamplesPerSecond: result.throughput.completedSamplesPerSecond,
      p99LatencyMs: result.latency.sample?.p99 ?? null,
      reasons: result.validity.reasons,
    };
    probes.push(p);
    runs.push(result);
    options.journal?.append('bench.probe', { model: workload.name, device: options.device, ...p });
    if (result.valid && (lo === null || qps > lo)) {
      lo = qps;
      best = result;
    }
    if (!result.valid && (hi === null || qps < hi)) hi = qps;
    return result.valid;
  };
  let qps = search.startQps ?? settings.targetQps!;
  let stoppedBecause = `used all ${maxProbes} probes`;
  // Bracket: double while VALID, halve while INVALID.
  const firstValid = await probe(qps);
  while (probes.length < maxProbes && (firstValid ? hi === null : lo === null)) {
    qps = firstValid ? qps * 2 : qps / 2;
    await probe(qps);
  }
  // Bisect (geometrically) inside the bracket.
  while (probes.length < maxProbes && lo !== null && hi !== null) {
    if (hi / lo <= resolution) {
      stoppedBecause = `bracketed within ${Math.round((resolution - 1) * 100)} %`;
      break;
    }
    await probe(Math.sqrt(lo * hi));
  }
  if (lo === null && probes.length >= maxProbes) stoppedBecause = `no VALID rate found in ${maxProbes} probes`;
  return { peakQps: lo, firstInvalidQps: hi, probes, best, runs, stoppedBecause };
}
