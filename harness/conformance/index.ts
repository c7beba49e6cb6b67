// The conformance runner: the ONNX backend test suite (or any folders in its layout) on one
// device, optionally compared with a second. Every case is journaled as it finishes.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { probeDevice } from '../../devices/probe.js';
import type { Device, DeviceDescription, DeviceKind, OpenOptions } from '../../devices/types.js';
import { EnvironmentError, InputError } from '../errors.js';
import type { Journal } from '../journal.js';
import { runCase } from './case-runner.js';
import { DEBIAN_ONNX_TESTDATA, discoverCases } from './discover.js';
import { assignOps, countStatuses, diffRuns, opMatrix } from './matrix.js';
import { WorkerPool } from './pool.js';
import { DEFAULT_PROFILES, ToleranceResolver, deviceClassOf, readToleranceFile, withDefaultProfiles } from './tolerances.js';
import type { CaseResult, ConformanceResult, DeviceRun, TestCase, ToleranceOverride, ToleranceProfile } from './types.js';

export type * from './types.js';
export { DEBIAN_ONNX_TESTDATA } from './discover.js';

export interface ConformanceOptions {
  /** The device under test (its id, the spec, is what --isolate workers open in their own process). */
  readonly device: Device;
  /** A second device to run the same cases on and diff against (`--compare-device`). */
  readonly compareDevice?: Device | null;
  /** Folders to search for test cases; default Debian's libonnx-testdata. */
  readonly roots?: readonly string[];
  /** Regular expression on case ids; cases that don't match are recorded as skipped (filtered). */
  readonly filter?: string | null;
  /** Run cases in child processes (a crash or hang costs one case, not the run). */
  readonly isolate?: boolean;
  /** Per-case timeout in seconds (default 60). In-process, a timed-out case is abandoned, not stopped. */
  readonly timeoutS?: number;
  /** Child processes with --isolate (default: min(4, available parallelism), at least 2). */
  readonly workers?: number;
  /** Tolerance file path (`--tolerances`): overrides, optionally replacement profiles. */
  readonly tolerancesFile?: string | null;
  /** Called after each case (progress display). */
  readonly onCase?: (result: CaseResult, device: string, done: number, total: number) => void;
  /** Child entry script for --isolate (tests substitute a misbehaving worker). */
  readonly workerPath?: string;
}

export const DEFAULT_TIMEOUT_S = 60;

/**
 * Runs the suite and returns the whole result (see ConformanceResult: plain JSON).
 * Journal records: `conformance.start` (device, roots, filter, isolate, tolerances, case count),
 * one `conformance.case` per case (device + CaseResult), `conformance.end` (device, counts, wallMs),
 * and `conformance.diff` with --compare-device.
 * Throws InputError (exit 2) for a bad filter, folder or tolerance file; EnvironmentError (exit 3)
 * when the suite is not installed or the device is unavailable.
 */
export async function runConformance(opts: ConformanceOptions, journal: Journal | null): Promise<ConformanceResult> {
  const roots = opts.roots?.length ? [...opts.roots] : defaultRoots();
  let filter: RegExp | null = null;
  if (opts.filter) {
    try {
      filter = new RegExp(opts.filter);
    } catch {
      throw new InputError(`--filter "${opts.filter}" is not a valid regular expression`);
    }
  }
  const timeoutS = opts.timeoutS ?? DEFAULT_TIMEOUT_S;
  if (!(timeoutS > 0)) throw new InputError(`--timeout ${timeoutS} must be a positive number of seconds`);
  if (opts.workers !== undefined && !(Number.isInteger(opts.workers) && opts.workers >= 1)) {
    throw new InputError(`--workers ${opts.workers} must be a whole number of child processes, at least 1`);
  }
  const file = opts.tolerancesFile ? readToleranceFile(opts.tolerancesFile) : null;
  const profiles = file?.profiles ? withDefaultProfiles(file.profiles) : [...DEFAULT_PROFILES];
  const overrides = file?.overrides ?? [];
  const cases = discoverCases(roots);
  if (cases.length === 0) throw new InputError(`no test cases (folders with model.onnx) found under ${roots.join(', ')}`);

  const devices = [opts.device, ...(opts.compareDevice ? [opts.compareDevice] : [])];
  // Every device must work before the first case runs (a second device failing after a long first run wastes it).
  const descriptions: DeviceDescription[] = [];
  for (const device of devices) {
    try {
      await probeDevice(device);
      descriptions.push(await device.describe());
    } catch (err) {
      if (typeof (err as { exitCode?: unknown }).exitCode === 'number') throw err;
      const reason = (err as Error).message.split('\n')[0]!;
      throw new EnvironmentError(reason.startsWith(device.id) ? reason : `device ${device.id} is unavailable: ${reason}`);
    }
  }
  const runs: DeviceRun[] = [];
  for (const [i, device] of devices.entries()) {
    runs.push(await runDevice(device, descriptions[i]!, cases, filter, { ...opts, timeoutS }, profiles, overrides, roots, journal));
  }
  const diff = runs.length === 2 ? diffRuns(runs[0]!, runs[1]!) : null;
  if (diff) journal?.append('conformance.diff', { ...diff });
  return {
    schema: 'npuval.conformance/1',
    roots,
    filter: opts.filter ?? null,
    isolate: !!opts.isolate,
    timeoutS,
    tolerances: { profiles, overrides },
    runs,
    diff,
  };
}

/** Debian's libonnx-testdata when installed, else an environment error saying how to get the suite. */
export function defaultRoots(installed = DEBIAN_ONNX_TESTDATA): string[] {
  if (existsSync(installed)) return [installed];
  throw new EnvironmentError(
    `the ONNX backend test data is not installed at ${installed}: install it with "apt-get install libonnx-testdata" ` +
      '(Debian/Ubuntu), or pass --onnx-tests DIR pointing at onnx/backend/test/data from an ONNX source checkout or wheel',
  );
}

async function runDevice(
  device: Device,
  desc: DeviceDescription,
  cases: readonly TestCase[],
  filter: RegExp | null,
  opts: ConformanceOptions & { timeoutS: number },
  profiles: readonly ToleranceProfile[],
  overrides: readonly ToleranceOverride[],
  roots: readonly string[],
  journal: Journal | null,
): Promise<DeviceRun> {
  const deviceClass = deviceClassOf(desc.kind, desc.backend.name);
  // One intra-op thread is faster for these tiny graphs (session setup dominates) unless the spec says otherwise.
  const sessionOptions: Record<string, string> =
    device.kind === 'ort' && !('intraOpThreads' in desc.backend.options) ? { intraOpThreads: '1' } : {};
  const openOptions: OpenOptions = Object.keys(sessionOptions).length ? { options: sessionOptions } : {};
  const resolver = new ToleranceResolver(deviceClass, profiles, overrides);
  const selected = cases.filter((c) => !filter || filter.test(c.id));
  journal?.append('conformance.start', {
    device: device.id,
    runtime: `${desc.runtime.name} ${desc.runtime.version}`,
    driver: desc.driver?.detail ?? null,
    deviceClass,
    roots,
    filter: opts.filter ?? null,
    isolate: !!opts.isolate,
    timeoutS: opts.timeoutS,
    sessionOptions,
    tolerances: { profiles, overrides },
    cases: cases.length,
    selected: selected.length,
  });

  const t0 = performance.now();
  const results = new Map<string, CaseResult>();
  let done = 0;
  const batch = new CaseBatcher(journal, device.id);
  const record = (r: CaseResult) => {
    results.set(r.id, r);
    batch.add(r);
    opts.onCase?.(r, device.id, ++done, cases.length);
  };
  for (const c of cases) {
    if (filter && !filter.test(c.id)) record(filteredResult(c, opts.filter!));
  }
  if (opts.isolate) {
    const pool = new WorkerPool({
      // Never more processes than cases: each one loads ONNX Runtime for nothing otherwise.
      size: Math.min(opts.workers ?? Math.max(2, Math.min(4, availableParallelism())), Math.max(1, selected.length)),
      timeoutMs: opts.timeoutS * 1000,
      init: { type: 'init', spec: device.id, openOptions, deviceClass, profiles, overrides },
      workerPath: opts.workerPath,
    });
    try {
      await Promise.all(selected.map((c) => pool.run(c).then(record)));
      if (pool.error) throw pool.error;
    } finally {
      batch.flush();
      await pool.close();
    }
  } else {
    const ctx = { device, deviceKind: device.kind as DeviceKind, openOptions, tolerances: resolver };
    for (const c of selected) record(await withTimeout(runCase(c, ctx), c, opts.timeoutS));
  }
  batch.flush();
  const wallMs = Math.round(performance.now() - t0);
  // Results in discovery order, whatever order the children finished in.
  const ordered = assignOps(cases.map((c) => results.get(c.id)!));
  const counts = countStatuses(ordered);
  journal?.append('conformance.end', { device: device.id, counts, wallMs });
  return {
    device: device.id,
    deviceClass,
    runtime: `${desc.runtime.name} ${desc.runtime.version}`,
    driver: desc.driver?.detail ?? null,
    sessionOptions,
    counts,
    cases: ordered,
    matrix: opMatrix(ordered),
    wallMs,
  };
}

/**
 * Journals case records in groups: one fsync per group rather than per case (an fsync costs from
 * 0.1 ms to over 1 ms on a busy disk, as much as running a small case). A group is written once
 * its first record is FLUSH_MS old, so a crash of the harness itself loses at most that much finished work.
 */
class CaseBatcher {
  private pending: { type: string; payload: Record<string, unknown> }[] = [];
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly journal: Journal | null,
    private readonly device: string,
  ) {}

  add(r: CaseResult): void {
    if (!this.journal) return;
    this.pending.push({ type: 'conformance.case', payload: { device: this.device, ...r } });
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.journal && this.pending.length) this.journal.appendMany(this.pending);
    this.pending = [];
  }
}

const FLUSH_MS = 100;

function filteredResult(c: TestCase, filter: string): CaseResult {
  return notRun(c, 'skipped', 'filtered', `does not match --filter ${filter}`, 0);
}

/** A case recorded without a result of its own (filtered out, or abandoned at its timeout). */
function notRun(c: TestCase, status: CaseResult['status'], cause: CaseResult['cause'], reason: string, ms: number): CaseResult {
  return {
    id: c.id,
    suite: c.suite,
    status,
    cause,
    reason,
    ops: [],
    nodeOps: [],
    opset: null,
    irVersion: null,
    dataSets: c.dataSets.length,
    mismatch: null,
    ms,
  };
}

/** In-process timeout: the case is recorded as timed out; its native work cannot be stopped and is abandoned. */
function withTimeout(p: Promise<CaseResult>, c: TestCase, timeoutS: number): Promise<CaseResult> {
  let timer: NodeJS.Timeout;
  const late = new Promise<CaseResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve(
          notRun(
            c,
            'error',
            'timeout',
            `the case ran past the ${timeoutS} s per-case timeout (in-process: abandoned, not stopped; use --isolate to kill it)`,
            timeoutS * 1000,
          ),
        ),
      timeoutS * 1000,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
