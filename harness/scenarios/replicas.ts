// Data-parallel Server and Offline: one model opened on several devices (replicas), one arrival
// schedule (Server) or one query (Offline) spread over them by least-outstanding dispatch
// (drivers.ts), judged as LoadGen judges the aggregate. Before the run, a short Offline pass on
// replica 0 alone measures the single-replica rate that scaling efficiency divides by:
// efficiency = aggregate samples/s / (replicas × single-replica samples/s).
import type { Session } from '../../devices/types.js';
import { summarize, type Statistics } from '../stats.js';
import type { QueryRecord } from './drivers.js';
import { runScenarioWithRecords, type RunOptions, type ScenarioResult } from './run.js';
import { resolveSettings, type ScenarioSettings } from './settings.js';
import type { Workload } from './workload.js';

/** How queries reach the replicas (drivers.ts). */
export const REPLICA_DISPATCH = 'least-outstanding';

export interface ReplicaFigures {
  readonly replica: number;
  readonly device: string;
  /** Server: queries it completed; Offline: batches of the one query it ran. */
  readonly queries: number;
  readonly samples: number;
  /** Per sample: completion − the query's scheduled time (as the aggregate's latency). */
  readonly latency: Statistics | null;
  /** Per run: completion − issue (the time on the replica, queueing included). */
  readonly serviceTime: Statistics | null;
}

export interface ReplicaSummary {
  readonly count: number;
  readonly dispatch: typeof REPLICA_DISPATCH;
  readonly devices: readonly string[];
  readonly perReplica: readonly ReplicaFigures[];
  /** The single-replica Offline pass on replica 0, run first. */
  readonly baseline: {
    readonly scenario: 'offline';
    readonly device: string;
    readonly minDurationMs: number;
    readonly batch: number;
    readonly samples: number;
    readonly durationMs: number;
    readonly samplesPerSecond: number | null;
  };
  /** The aggregate run's metric rate (Server: completed samples/s; Offline: samples/s). */
  readonly aggregateSamplesPerSecond: number | null;
  /** 100 × aggregate / (count × baseline); null when either rate is unknown. */
  readonly scalingEfficiencyPct: number | null;
}

/** The settings of the single-replica Offline pass: the unit's warm-up, batch, QSL and seeds, for `baselineMs`. */
export function baselineSettings(settings: ScenarioSettings, baselineMs: number): ScenarioSettings {
  const offline = settings.scenario === 'offline';
  return resolveSettings('offline', {
    minDurationMs: baselineMs,
    maxDurationMs: Math.max(settings.maxDurationMs, baselineMs * 4),
    warmupMs: settings.warmupMs,
    batchSize: settings.batchSize,
    performanceSampleCount: settings.performanceSampleCount,
    minSampleCount: offline ? settings.minSampleCount : undefined,
    seeds: settings.seeds,
  });
}

/** Per-replica counts and latencies from the aggregate run's records. */
export function perReplica(records: readonly QueryRecord[], devices: readonly string[]): ReplicaFigures[] {
  return devices.map((device, replica) => {
    const mine = records.filter((r) => (r.replica ?? 0) === replica);
    return {
      replica,
      device,
      queries: mine.length,
      samples: mine.reduce((n, r) => n + r.samples.length, 0),
      latency: summarize(
        mine.flatMap((r) => r.samples.map(() => r.completedMs - r.scheduledMs)),
        'ms',
      ),
      serviceTime: summarize(
        mine.map((r) => r.completedMs - r.issuedMs),
        'ms',
      ),
    };
  });
}

/**
 * The single-replica Offline pass on sessions[0], then the unit's scenario over every session.
 * Both are journaled (the pass tagged `pass: "single-replica baseline"`).
 */
export async function runReplicated(
  sessions: readonly Session[],
  devices: readonly string[],
  workload: Workload,
  settings: ScenarioSettings,
  options: RunOptions,
  baselineMs: number,
): Promise<{ result: ScenarioResult; replicas: ReplicaSummary }> {
  const single = baselineSettings(settings, baselineMs);
  const base = await runScenarioWithRecords(sessions[0]!, workload, single, {
    device: devices[0]!,
    journal: options.journal,
    journalTag: { ...(options.journalTag ?? {}), pass: 'single-replica baseline' },
    peak: options.peak,
  });
  const { result, run } = await runScenarioWithRecords(sessions, workload, settings, {
    ...options,
    journalTag: { ...(options.journalTag ?? {}), replicas: devices.length },
  });
  const baseRate = base.result.throughput.samplesPerSecond;
  const aggregate = result.throughput.samplesPerSecond;
  const efficiency = baseRate !== null && baseRate > 0 && aggregate !== null ? (100 * aggregate) / (devices.length * baseRate) : null;
  return {
    result,
    replicas: {
      count: devices.length,
      dispatch: REPLICA_DISPATCH,
      devices,
      perReplica: perReplica(run.records, devices),
      baseline: {
        scenario: 'offline',
        device: devices[0]!,
        minDurationMs: single.minDurationMs,
        batch: single.batchSize,
        samples: base.result.counts.samples,
        durationMs: base.result.times.finalQueryCompletedMs,
        samplesPerSecond: baseRate,
      },
      aggregateSamplesPerSecond: aggregate,
      scalingEfficiencyPct: efficiency,
    },
  };
}
