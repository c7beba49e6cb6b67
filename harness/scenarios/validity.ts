// Result validity as LoadGen decides it (results.cc): min duration, min queries, the latency
// constraint (Server; SingleStream/MultiStream only when a bound is given), and early stopping.
// Every failed check adds a reason that says what to change and, where LoadGen says it, how
// many more queries the run needed.
import {
  boundEarlyStopping,
  percentileEarlyStopping,
  percentile,
  type BoundEarlyStopping,
  type PercentileEarlyStopping,
} from '../stats.js';
import type { RawRun } from './drivers.js';
import type { ScenarioSettings } from './settings.js';

export interface Check {
  readonly met: boolean;
  readonly required: number;
  readonly actual: number;
}

export interface Validity {
  readonly valid: boolean;
  /** Offline: last completion; Server: final scheduled time; SingleStream/MultiStream: final issue time — each against min duration (ms). */
  readonly minDuration: Check;
  readonly minQueries: Check;
  /** The metric percentile against the latency bound (ms); null when the scenario has no bound. */
  readonly latency: (Check & { readonly percentile: number }) | null;
  /** null for Offline, which LoadGen does not early-stop. */
  readonly earlyStopping: PercentileEarlyStopping | BoundEarlyStopping | null;
  readonly maxDurationReached: boolean;
  /** Every reason the result is INVALID, one sentence each; empty when VALID. */
  readonly reasons: readonly string[];
}

/** Latencies the checks need, in ms, and the same in whole nanoseconds as LoadGen keeps them. */
export interface Latencies {
  /** Per sample: its run's completion − its query's scheduled time. */
  readonly sample: readonly number[];
  /** Per query: last sample's completion − scheduled time. */
  readonly query: readonly number[];
  /** `sample` in integer ns: each timestamp rounded to a whole ns, then subtracted (LoadGen's QuerySampleLatency). */
  readonly sampleNs: readonly number[];
  readonly queryNs: readonly number[];
}

/** A time in ms as whole nanoseconds (LoadGen keeps every time as an integer count of ns). */
export function toNs(ms: number): number {
  return Math.round(ms * 1e6);
}

export function latenciesOf(run: RawRun): Latencies {
  const sample: number[] = [];
  const sampleNs: number[] = [];
  const queryEnd = new Map<number, { scheduled: number; completed: number }>();
  for (const r of run.records) {
    const l = r.completedMs - r.scheduledMs;
    const lNs = toNs(r.completedMs) - toNs(r.scheduledMs);
    for (let i = 0; i < r.samples.length; i++) {
      sample.push(l);
      sampleNs.push(lNs);
    }
    const q = queryEnd.get(r.query);
    if (!q || r.completedMs > q.completed) queryEnd.set(r.query, { scheduled: r.scheduledMs, completed: r.completedMs });
  }
  const queries = [...queryEnd.values()];
  return {
    sample,
    query: queries.map((q) => q.completed - q.scheduled),
    sampleNs,
    queryNs: queries.map((q) => toNs(q.completed) - toNs(q.scheduled)),
  };
}

export function judge(settings: ScenarioSettings, run: RawRun, lat: Latencies): Validity {
  const reasons: string[] = [];
  const recs = run.records;
  const s = settings.scenario;
  const last = (f: (r: RawRun['records'][number]) => number) => recs.reduce((m, r) => Math.max(m, f(r)), 0);
  const durationActual =
    s === 'offline' ? last((r) => r.completedMs) : s === 'server' ? last((r) => r.scheduledMs) : last((r) => r.issuedMs);
  const minDuration: Check = {
    met: recs.length > 0 && durationActual >= settings.minDurationMs,
    required: settings.minDurationMs,
    actual: durationActual,
  };
  if (!minDuration.met) {
    const what =
      s === 'offline' ? 'the last sample completed' : s === 'server' ? 'the final query was scheduled' : 'the final query was issued';
    const fix =
      s === 'server'
        ? 'raise the target QPS or min query count, or max duration'
        : s === 'offline'
          ? offlineFix(run, durationActual, settings.minDurationMs)
          : 'raise max duration';
    reasons.push(`min duration not met: ${what} at ${fmtMs(durationActual)}, min duration is ${fmtMs(settings.minDurationMs)} (${fix})`);
  }

  const minQueries: Check = {
    met: run.queriesIssued >= settings.minQueryCount,
    required: settings.minQueryCount,
    actual: run.queriesIssued,
  };
  if (!minQueries.met) {
    reasons.push(
      `min queries not met: ${run.queriesIssued} queries issued, min query count is ${settings.minQueryCount} (${settings.minQueryCount - run.queriesIssued} more needed)`,
    );
  }
  if (s === 'offline' && run.samplesIssued < run.samplesInQuery) {
    reasons.push(
      `the query's ${run.samplesInQuery} samples were not all processed: ${run.samplesIssued} done (${run.samplesInQuery - run.samplesIssued} more needed)`,
    );
  }
  if (run.stoppedAtMaxDuration) {
    reasons.push(`max duration ${fmtMs(settings.maxDurationMs)} stopped the run before it finished issuing its queries`);
  }

  let latency: Validity['latency'] = null;
  const p = settings.targetLatencyPercentile;
  // Every latency-vs-bound comparison is in whole ns, as LoadGen's (a latency exactly at the bound is within it).
  const metricNs = s === 'multi-stream' ? lat.queryNs : lat.sampleNs;
  const boundNs = settings.targetLatencyMs === null ? null : toNs(settings.targetLatencyMs);
  if (settings.targetLatencyMs !== null && boundNs !== null && s !== 'offline' && metricNs.length > 0) {
    const actualNs = percentile(
      [...metricNs].sort((a, b) => a - b),
      p,
    );
    const actual = actualNs / 1e6;
    latency = { met: actualNs <= boundNs, required: settings.targetLatencyMs, actual, percentile: p };
    if (!latency.met) {
      reasons.push(
        `latency constraint not met: p${pctLabel(p)} latency ${fmtMs(actual)} is over the bound ${fmtMs(settings.targetLatencyMs)}` +
          (s === 'server' ? ' (reduce the target QPS)' : ''),
      );
    }
  }

  let earlyStopping: Validity['earlyStopping'] = null;
  if (s === 'server') {
    const es = boundEarlyStopping(lat.sampleNs, boundNs!, p);
    earlyStopping = es;
    if (!es.met) {
      reasons.push(
        `early stopping not met: ${es.overBound} of ${es.queries} queries over the bound; would need at least ${es.moreQueriesNeeded} more queries, ` +
          `with the run successful only if every additional query were under the bound`,
      );
    }
  } else if (s !== 'offline') {
    const es = percentileEarlyStopping(metricNs, p);
    earlyStopping = { ...es, estimate: es.estimate === null ? null : es.estimate / 1e6 };
    if (!es.met) {
      reasons.push(
        `early stopping not met: only ${es.queries} queries processed; early stopping at p${pctLabel(p)} needs at least ${es.minQueries} (${es.moreQueriesNeeded} more)`,
      );
    }
  }
  if (recs.length === 0) reasons.push('no query completed');
  return {
    valid: reasons.length === 0,
    minDuration,
    minQueries,
    latency,
    earlyStopping,
    maxDurationReached: run.stoppedAtMaxDuration,
    reasons,
  };
}

/** Offline's min-duration advice: the query ran faster than it was sized for; how many more samples it needed. */
function offlineFix(run: RawRun, lastMs: number, minMs: number): string {
  const rate = lastMs > 0 ? run.samplesIssued / (lastMs / 1000) : 0;
  const more = Math.ceil((rate * (minMs - lastMs)) / 1000);
  const sized =
    run.expectedSamplesPerSecond === null
      ? ''
      : `the query was sized for ${run.expectedSamplesPerSecond.toFixed(1)} samples/s and ran at ${rate.toFixed(1)}; `;
  return `${sized}about ${more} more samples were needed: raise the expected QPS or the min sample count`;
}

export function pctLabel(p: number): string {
  return String(Math.round(p * 1000) / 10);
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(3)} s` : `${ms.toFixed(3)} ms`;
}
