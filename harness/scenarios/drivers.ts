// The four LoadGen scenarios as query-issuing loops. Each records, per query (per batch in
// Offline), when it was scheduled, issued and completed, in ms from the run's start on the
// monotonic clock; latency is always completed − scheduled, so issue delay counts.
// Server and Offline may spread their queries over several sessions (replicas of one model on
// several devices, harness/scenarios/replicas.ts): one arrival schedule, least-outstanding dispatch.
import { performance } from 'node:perf_hooks';
import type { Session } from '../../devices/types.js';
import { poissonSchedule, seededRng, type Rng } from '../random.js';
import type { ScenarioSettings } from './settings.js';
import { InputError } from '../errors.js';
import { batchingOf, runSamples, type Batching, type Workload } from './workload.js';

/** One run of the session: a whole query, or one batch of Offline's single query. */
export interface QueryRecord {
  /** Query number (Offline: always 0; its batches share it). */
  readonly query: number;
  readonly scheduledMs: number;
  readonly issuedMs: number;
  readonly completedMs: number;
  /** QSL sample indices carried. */
  readonly samples: readonly number[];
  /** With replicas: the index of the session that ran it (absent with one session). */
  readonly replica?: number;
}

export interface RawRun {
  /** Wall-clock start of the timed run (ISO 8601). */
  readonly startedAt: string;
  readonly records: QueryRecord[];
  readonly queriesIssued: number;
  readonly samplesIssued: number;
  /** Offline: the samples its one query carried (all of them, even if max duration stopped it). */
  readonly samplesInQuery: number;
  readonly batching: Batching;
  /** True when max duration stopped issuing before the run's own end. */
  readonly stoppedAtMaxDuration: boolean;
  /** Offline: the expected rate the query was sized by (the setting, else measured in warm-up), samples/s. */
  readonly expectedSamplesPerSecond: number | null;
  /** Warm-up queries run before the timed run. */
  readonly warmupQueries: number;
}

/** Live counters a progress line reads; the drivers only increment them. */
export interface ProgressCounters {
  startMs: number;
  queries: number;
  samples: number;
}

/**
 * Runs one scenario. Several sessions (replicas) are for Server and Offline only: Server sends each
 * arrival to the replica with the fewest queries in flight (ties go round-robin); Offline's
 * replicas each take the next batch of the one query when their last is done (a shared queue).
 */
export async function driveScenario(
  sessionOrReplicas: Session | readonly Session[],
  workload: Workload,
  settings: ScenarioSettings,
  progress?: ProgressCounters,
  /** Called after warm-up, just before the timed run starts (power sampling starts here). */
  beforeRun?: () => void,
): Promise<RawRun> {
  const sessions: readonly Session[] = Array.isArray(sessionOrReplicas) ? sessionOrReplicas : [sessionOrReplicas as Session];
  const session = sessions[0]!;
  if (sessions.length > 1 && (settings.scenario === 'single-stream' || settings.scenario === 'multi-stream')) {
    throw new InputError(`the ${settings.scenario} scenario is one stream of queries by definition, so it cannot be spread over replicas`);
  }
  const batching = batchingOf(workload, session);
  const { pick, pickOne } = samplePicker(workload, settings);
  // Each replica is warmed up in turn; Offline's expected rate is the sum of theirs.
  let warm = { queries: 0, samplesPerSecond: 0 };
  for (const s of sessions) {
    const w = await warmUp(s, workload, settings, batching);
    warm = { queries: warm.queries + w.queries, samplesPerSecond: warm.samplesPerSecond + w.samplesPerSecond };
  }
  beforeRun?.();
  const counters = progress ?? { startMs: 0, queries: 0, samples: 0 };
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  counters.startMs = t0;
  const common = { session, sessions, workload, settings, batching, pick, pickOne, t0, counters };
  let run: Omit<RawRun, 'startedAt' | 'batching' | 'warmupQueries' | 'expectedSamplesPerSecond' | 'samplesInQuery'> & {
    samplesInQuery?: number;
  };
  switch (settings.scenario) {
    case 'single-stream':
    case 'multi-stream':
      run = await serialQueries(common);
      break;
    case 'server':
      run = await poissonQueries(common);
      break;
    case 'offline':
      run = await offlineQuery(common, warm.samplesPerSecond);
      break;
  }
  return {
    startedAt,
    batching,
    warmupQueries: warm.queries,
    expectedSamplesPerSecond: settings.scenario === 'offline' ? (settings.expectedSamplesPerSecond ?? warm.samplesPerSecond) : null,
    samplesInQuery: run.samplesInQuery ?? settings.samplesPerQuery,
    ...run,
  };
}

interface Common {
  session: Session;
  /** Every replica (session is the first); one entry without replicas. */
  sessions: readonly Session[];
  workload: Workload;
  settings: ScenarioSettings;
  batching: Batching;
  pick: (n: number) => number[];
  pickOne: () => number;
  t0: number;
  counters: ProgressCounters;
}

/** LoadGen draws each query's samples at random from the loaded set (sample_index_rng_seed). */
function samplePicker(workload: Workload, settings: ScenarioSettings): { pick: (n: number) => number[]; pickOne: () => number } {
  const rng: Rng = seededRng(settings.seeds.sampleIndex);
  const size = workload.samples.length;
  return {
    pick: (n) => {
      const ids = new Array<number>(n);
      for (let i = 0; i < n; i++) ids[i] = rng.int(size);
      return ids;
    },
    pickOne: () => rng.int(size),
  };
}

/**
 * Untimed queries of the run's own shape for settings.warmupMs (at least three), so first-run
 * costs (allocation, kernel selection) stay out of the numbers. Returns the rate seen, which
 * sizes Offline's query as LoadGen's expected QPS would.
 */
async function warmUp(
  session: Session,
  workload: Workload,
  settings: ScenarioSettings,
  batching: Batching,
): Promise<{ queries: number; samplesPerSecond: number }> {
  const perQuery = settings.scenario === 'offline' ? settings.batchSize : settings.samplesPerQuery;
  // The warm-up draws from its own stream so the timed run's sample sequence does not depend on it.
  const rng = seededRng(settings.seeds.sampleIndex ^ 0x5bd1e995);
  const start = performance.now();
  const done: number[] = [];
  do {
    const ids = Array.from({ length: perQuery }, () => rng.int(workload.samples.length));
    await runSamples(session, workload, ids, batching);
    done.push(performance.now());
  } while (performance.now() - start < settings.warmupMs || done.length < 3);
  // The rate from the median warm-up query time: robust to the first runs' one-time costs
  // (allocation, kernel choice) and to stalls on a busy machine.
  const times = done.map((t, i) => t - (i === 0 ? start : done[i - 1]!)).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  return { queries: done.length, samplesPerSecond: perQuery / Math.max(1e-6, median / 1000) };
}

/**
 * Timestamps kept in growable typed arrays while a run is timed, so recording a query allocates
 * nothing; QueryRecord objects are made after the run.
 */
class TimeLog {
  private scheduled = new Float64Array(1024);
  private issued = new Float64Array(1024);
  private completed = new Float64Array(1024);
  private sample = new Int32Array(1024);
  private n = 0;

  /** Appends one query (its first sample; the rest are kept by the caller). */
  add(scheduledMs: number, issuedMs: number, completedMs: number, sampleId: number): void {
    if (this.n === this.scheduled.length) this.grow();
    this.scheduled[this.n] = scheduledMs;
    this.issued[this.n] = issuedMs;
    this.completed[this.n] = completedMs;
    this.sample[this.n] = sampleId;
    this.n++;
  }

  get length(): number {
    return this.n;
  }

  private grow(): void {
    const g = <T extends Float64Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.scheduled = g(this.scheduled);
    this.issued = g(this.issued);
    this.completed = g(this.completed);
    this.sample = g(this.sample);
  }

  /** Records for the logged queries; `samplesOf(i)` gives query i's samples when it has more than the logged one. */
  toRecords(samplesOf?: (i: number) => readonly number[]): QueryRecord[] {
    const out = new Array<QueryRecord>(this.n);
    for (let i = 0; i < this.n; i++) {
      out[i] = {
        query: i,
        scheduledMs: this.scheduled[i]!,
        issuedMs: this.issued[i]!,
        completedMs: this.completed[i]!,
        samples: samplesOf ? samplesOf(i) : [this.sample[i]!],
      };
    }
    return out;
  }
}

/** SingleStream and MultiStream: the next query is issued when the last completes. */
async function serialQueries(c: Common) {
  const { session, workload, settings, batching, pick, pickOne, t0, counters } = c;
  const log = new TimeLog();
  const multi: number[][] = [];
  const n = settings.samplesPerQuery;
  const samples = workload.samples;
  let lastIssued = -Infinity;
  let stoppedAtMaxDuration = false;
  for (let q = 0; ; q++) {
    if (q >= settings.minQueryCount && lastIssued >= settings.minDurationMs) break;
    const ids = n === 1 ? null : pick(n);
    const first = ids ? ids[0]! : pickOne();
    const issued = performance.now() - t0;
    if (issued >= settings.maxDurationMs) {
      stoppedAtMaxDuration = true;
      break;
    }
    // One sample: straight to the session, no extra async layer (this loop is what the overhead benchmark measures).
    if (ids === null) await session.run(samples[first]!);
    else await runSamples(session, workload, ids, batching);
    const completed = performance.now() - t0;
    log.add(issued, issued, completed, first);
    if (ids) multi.push(ids);
    lastIssued = issued;
    counters.queries++;
    counters.samples += n;
  }
  const records = log.toRecords(n > 1 ? (i) => multi[i]! : undefined);
  return { records, queriesIssued: records.length, samplesIssued: records.length * n, stoppedAtMaxDuration };
}

/**
 * Server: queries arrive on a seeded Poisson schedule and are issued at their time whatever is
 * outstanding (no cap; a session that takes one run at a time gets them queued). The loop sleeps with a timer until about a millisecond before the next
 * arrival and then yields with setImmediate, so completions are handled while it waits.
 */
async function poissonQueries(c: Common) {
  const { sessions, workload, settings, pickOne, t0, counters } = c;
  const schedule = poissonSchedule(
    settings.targetQps!,
    settings.seeds.schedule,
    settings.minDurationMs,
    settings.minQueryCount,
    settings.maxDurationMs,
  );
  const fullLength = poissonSchedule(
    settings.targetQps!,
    settings.seeds.schedule,
    settings.minDurationMs,
    settings.minQueryCount,
    Infinity,
  ).length;
  const total = schedule.length;
  // Slots fixed in advance: completing a query writes two numbers and allocates nothing.
  const issuedAt = new Float64Array(total);
  const completedAt = new Float64Array(total).fill(-1);
  const sampleIds = Int32Array.from(schedule, () => pickOne());
  const samples = workload.samples;
  let next = 0;
  let outstanding = 0;
  let stoppedAtMaxDuration = total < fullLength;
  let failure: unknown = null;
  // Per replica: the runs in flight, and the queue of a session that takes one run at a time.
  const n = sessions.length;
  const replicaOf = n > 1 ? new Int32Array(total) : null;
  const inFlight = new Int32Array(n);
  const queues: Promise<void>[] = sessions.map(() => Promise.resolve());
  let nextReplica = 0;
  /** Least outstanding; among equals the first from the round-robin pointer. */
  const choose = (): number => {
    let best = nextReplica;
    for (let k = 1; k < n; k++) {
      const r = (nextReplica + k) % n;
      if (inFlight[r]! < inFlight[best]!) best = r;
    }
    nextReplica = (best + 1) % n;
    return best;
  };
  await new Promise<void>((resolve) => {
    let issuing = true;
    const complete = (q: number) => () => {
      completedAt[q] = performance.now() - t0;
      inFlight[replicaOf ? replicaOf[q]! : 0]!--;
      counters.queries++;
      counters.samples++;
      if (--outstanding === 0 && !issuing) resolve();
    };
    const fail = (q: number) => (err: unknown) => {
      failure ??= err;
      complete(q)();
    };
    const tick = () => {
      const now = performance.now() - t0;
      while (next < total && schedule[next]! <= now) {
        const q = next++;
        const issued = performance.now() - t0;
        if (issued >= settings.maxDurationMs) {
          stoppedAtMaxDuration = true;
          next = total;
          break;
        }
        issuedAt[q] = issued;
        outstanding++;
        const r = n > 1 ? choose() : 0;
        if (replicaOf) replicaOf[q] = r;
        inFlight[r]!++;
        const session = sessions[r]!;
        if (session.concurrentRuns) {
          session.run(samples[sampleIds[q]!]!).then(complete(q), fail(q));
        } else {
          // The session takes one run at a time: queue behind the last; the wait counts in latency.
          queues[r] = queues[r]!.then(() => session.run(samples[sampleIds[q]!]!)).then(complete(q), fail(q));
        }
      }
      if (next >= total) {
        issuing = false;
        if (outstanding === 0) resolve();
        return;
      }
      const wait = schedule[next]! - (performance.now() - t0);
      if (wait > 1.5) setTimeout(tick, wait - 1);
      else setImmediate(tick);
    };
    tick();
  });
  if (failure) throw failure;
  const records: QueryRecord[] = [];
  for (let q = 0; q < total; q++) {
    if (completedAt[q]! < 0) continue; // never issued (max duration)
    records.push({
      query: q,
      scheduledMs: schedule[q]!,
      issuedMs: issuedAt[q]!,
      completedMs: completedAt[q]!,
      samples: [sampleIds[q]!],
      ...(replicaOf ? { replica: replicaOf[q]! } : {}),
    });
  }
  return { records, queriesIssued: records.length, samplesIssued: records.length, stoppedAtMaxDuration };
}

/**
 * Offline sizes its query for min duration × this at the warm-up's rate: LoadGen uses 1.1 on a
 * user-given expected QPS; a short warm-up under-estimates the steady rate, so more margin.
 */
const OFFLINE_MARGIN = 1.5;

/**
 * Offline: one query carrying every sample, issued at 0; the session takes it in batches of
 * batchSize, one after another. The sample count covers min duration at the warm-up's rate
 * (with OFFLINE_MARGIN), and at least minSampleCount — LoadGen sizes it from the expected QPS.
 */
async function offlineQuery(c: Common, warmupSamplesPerSecond: number) {
  const { sessions, workload, settings, batching, pick, t0, counters } = c;
  const expectedSamplesPerSecond = settings.expectedSamplesPerSecond ?? warmupSamplesPerSecond;
  const total = Math.max(settings.minSampleCount, Math.ceil((expectedSamplesPerSecond * settings.minDurationMs * OFFLINE_MARGIN) / 1000));
  const ids = pick(total);
  const records: QueryRecord[] = [];
  let stoppedAtMaxDuration = false;
  // One worker per replica, each taking the next batch when its last is done (one worker: batches in turn).
  let cursor = 0;
  const replicated = sessions.length > 1;
  const worker = async (r: number) => {
    const session = sessions[r]!;
    while (cursor < total && !stoppedAtMaxDuration) {
      const issued = performance.now() - t0;
      if (issued >= settings.maxDurationMs) {
        stoppedAtMaxDuration = true;
        break;
      }
      const batch = ids.slice(cursor, cursor + settings.batchSize);
      cursor += settings.batchSize;
      await runSamples(session, workload, batch, batching);
      records.push({
        query: 0,
        scheduledMs: 0,
        issuedMs: issued,
        completedMs: performance.now() - t0,
        samples: batch,
        ...(replicated ? { replica: r } : {}),
      });
      counters.samples += batch.length;
    }
  };
  await Promise.all(sessions.map((_, r) => worker(r)));
  counters.queries = 1;
  const samplesIssued = records.reduce((n, r) => n + r.samples.length, 0);
  return { records, queriesIssued: 1, samplesIssued, stoppedAtMaxDuration, samplesInQuery: total };
}
